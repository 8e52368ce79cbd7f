//! How a study gets its ensembles. A study names every ensemble it needs by a key (unique
//! within a run) and a seed derived from the master seed ([`block_seed`]); a [`Runner`]
//! samples it ([`Direct`]), or reads it back from a resume cache or from shard files (the
//! report crate's runner), with the same numbers either way.

use crate::error::Result;
use nnqft_sampling::{
    DeepEnsemble, DeepEnsembleResult, Ensemble, EnsembleResult, Monitor, NtkEnsemble, NtkEnsembleResult,
};

/// Provides the result of each ensemble a study asks for. A study names every ensemble it
/// needs by a key (unique within a run) and a seed derived from the master seed
/// ([`block_seed`]); a runner samples it ([`Direct`]), or reads it back from a resume cache or
/// from shard files (the report crate's runner), with the same numbers either way.
pub trait Runner {
    /// The master seed of the run.
    fn seed(&self) -> u64;
    /// The result of `ensemble`, named `key` and seeded with `seed` (already set in
    /// `ensemble`; passed so that a cache can check it).
    fn ensemble(&self, key: &str, ensemble: &Ensemble, seed: u64) -> Result<EnsembleResult>;
    /// The result of the deep ensemble `ensemble`, named `key` (the depth study's; a few
    /// minutes in all, so it is neither cached nor split into shards: a merge samples it).
    fn deep_ensemble(&self, key: &str, ensemble: &DeepEnsemble) -> Result<DeepEnsembleResult>;
    /// The per-network NTKs of `ensemble`, named `key` (the NTK table's; neither cached nor
    /// split into shards, as deep ensembles).
    fn ntk_ensemble(&self, key: &str, ensemble: &NtkEnsemble) -> Result<NtkEnsembleResult>;
}

/// Samples every ensemble on `threads` worker threads (no cache), under a
/// [`Monitor`] if one is given ([`Direct::with_monitor`]: progress, and a caller's request to
/// stop, which ends the study with `SamplingError::Interrupted`).
#[derive(Clone, Copy)]
pub struct Direct<'a> {
    seed: u64,
    threads: usize,
    monitor: &'a dyn Monitor,
}

impl Direct<'static> {
    /// A runner with master seed `seed` on `threads` threads (at least one is used).
    pub fn new(seed: u64, threads: usize) -> Self {
        Self { seed, threads: threads.max(1), monitor: &() }
    }
}

impl<'a> Direct<'a> {
    /// The same runner, its ensembles run under `monitor` (the numbers do not change).
    pub fn with_monitor<'b>(self, monitor: &'b dyn Monitor) -> Direct<'b> {
        Direct { seed: self.seed, threads: self.threads, monitor }
    }
}

impl std::fmt::Debug for Direct<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direct").field("seed", &self.seed).field("threads", &self.threads).finish_non_exhaustive()
    }
}

impl Runner for Direct<'_> {
    fn seed(&self) -> u64 {
        self.seed
    }
    fn ensemble(&self, _key: &str, ensemble: &Ensemble, _seed: u64) -> Result<EnsembleResult> {
        Ok(ensemble.run_with_progress(self.threads, self.monitor)?)
    }
    fn deep_ensemble(&self, _key: &str, ensemble: &DeepEnsemble) -> Result<DeepEnsembleResult> {
        Ok(ensemble.run_with_progress(self.threads, self.monitor)?)
    }
    fn ntk_ensemble(&self, _key: &str, ensemble: &NtkEnsemble) -> Result<NtkEnsembleResult> {
        Ok(ensemble.run_with_progress(self.threads, self.monitor)?)
    }
}

/// Seed of one block: SplitMix64 of the master seed and a code naming the block.
pub fn block_seed(master: u64, code: &[u64]) -> u64 {
    code.iter().fold(nnqft_sampling::seed::splitmix64(master), |h, c| nnqft_sampling::seed::splitmix64(h ^ c))
}
