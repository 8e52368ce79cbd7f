//! How a study gets its ensembles. A study names every ensemble it needs by a key (unique
//! within a run, [`EnsembleKey`]) from which its name and its seed (derived from the master
//! seed) both come; a [`Runner`]
//! samples it ([`Direct`]), or reads it back from a resume cache or from shard files (the
//! report crate's runner), with the same numbers either way.

use crate::error::Result;
use crate::key::EnsembleKey;
use nnqft_sampling::{
    DdntkEnsemble, DdntkMeans, DeepEnsemble, DeepEnsembleResult, DntkEnsemble, DntkPreactivation, Ensemble,
    EnsembleResult, Monitor, NtkEnsemble, NtkEnsembleResult,
};

/// Provides the result of each ensemble a study asks for. A study names every ensemble it
/// needs by a key (unique within a run, [`EnsembleKey`]), which gives its name and its seed
/// ([`EnsembleKey::seed`] of the master seed); a runner samples it ([`Direct`]), or reads it
/// back from a resume cache or from shard files (the report crate's runner), with the same
/// numbers either way.
pub trait Runner {
    /// The master seed of the run.
    fn seed(&self) -> u64;
    /// The result of `ensemble`, keyed `key` and seeded with `seed` (already set in
    /// `ensemble`; passed so that a cache can check it).
    fn ensemble(&self, key: &EnsembleKey, ensemble: &Ensemble, seed: u64) -> Result<EnsembleResult>;
    /// The result of the deep ensemble `ensemble`, keyed `key` (the depth study's; a few
    /// minutes in all, so it is neither cached nor split into shards: a merge samples it).
    fn deep_ensemble(&self, key: &EnsembleKey, ensemble: &DeepEnsemble) -> Result<DeepEnsembleResult>;
    /// The per-network NTKs of `ensemble`, keyed `key` (the NTK table's; neither cached nor
    /// split into shards, as deep ensembles).
    fn ntk_ensemble(&self, key: &EnsembleKey, ensemble: &NtkEnsemble) -> Result<NtkEnsembleResult>;
    /// The measured `E[dΘ f]` of `ensemble`, keyed `key` (the NTK table's dNTK columns; neither
    /// cached nor split into shards, as the NTK's).
    fn dntk_ensemble(&self, key: &EnsembleKey, ensemble: &DntkEnsemble) -> Result<DntkPreactivation>;
    /// The measured `E[ddIΘ]`, `E[ddIIΘ]` of `ensemble`, keyed `key` (the NTK table's ddNTK
    /// columns; neither cached nor split into shards, as the dNTK's).
    fn ddntk_ensemble(&self, key: &EnsembleKey, ensemble: &DdntkEnsemble) -> Result<DdntkMeans>;
    /// The outputs of every net of `ensemble`, keyed `key` ([`Ensemble::outputs`]: net-major,
    /// experiment after experiment; the action study's histograms, neither cached nor split
    /// into shards, as deep ensembles: a merge samples them).
    fn outputs(&self, key: &EnsembleKey, ensemble: &Ensemble) -> Result<Vec<f64>>;
    /// The monitor of the run's caller, which the theory a study computes between its ensembles
    /// (the depth study's four-point vertices) asks whether to stop; by default none (`&()`).
    /// It only observes: the numbers do not change.
    fn monitor(&self) -> &dyn Monitor {
        &()
    }
    /// The result of a planned ensemble: [`Runner::ensemble`] with its key and seed.
    fn planned(&self, planned: &Planned) -> Result<EnsembleResult> {
        self.ensemble(&planned.key, &planned.ensemble, planned.ensemble.seed())
    }
}

/// An ensemble a study will ask its runner for, known before anything is sampled: its key
/// (unique within a run) and the ensemble, seeded with the key's seed of the run's master
/// seed. A study lists its ensembles with the same function its run uses to make them (e.g.
/// [`crate::scaling::ensembles`] and [`crate::scaling::run`]), so a shard of a run can sample
/// its share of every planned ensemble without running any analysis.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The ensemble's key, unique within a run (its name is the name of the cached block and of
    /// the section in a shard file).
    pub key: EnsembleKey,
    /// The ensemble, its seed set.
    pub ensemble: Ensemble,
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
    fn monitor(&self) -> &dyn Monitor {
        self.monitor
    }
    fn ensemble(&self, _key: &EnsembleKey, ensemble: &Ensemble, _seed: u64) -> Result<EnsembleResult> {
        Ok(ensemble.run_with_progress(self.threads, self.monitor)?)
    }
    fn deep_ensemble(&self, _key: &EnsembleKey, ensemble: &DeepEnsemble) -> Result<DeepEnsembleResult> {
        Ok(ensemble.run_with_progress(self.threads, self.monitor)?)
    }
    fn ntk_ensemble(&self, _key: &EnsembleKey, ensemble: &NtkEnsemble) -> Result<NtkEnsembleResult> {
        Ok(ensemble.run_with_progress(self.threads, self.monitor)?)
    }
    fn dntk_ensemble(&self, _key: &EnsembleKey, ensemble: &DntkEnsemble) -> Result<DntkPreactivation> {
        Ok(ensemble.run_with_progress(self.threads, self.monitor)?)
    }
    fn ddntk_ensemble(&self, _key: &EnsembleKey, ensemble: &DdntkEnsemble) -> Result<DdntkMeans> {
        Ok(ensemble.run_with_progress(self.threads, self.monitor)?)
    }
    /// Asks the monitor before the ensemble (stopping with `SamplingError::Interrupted`) and
    /// tells it the ensemble's nets when it is drawn.
    fn outputs(&self, _key: &EnsembleKey, ensemble: &Ensemble) -> Result<Vec<f64>> {
        if self.monitor.interrupted() {
            return Err(nnqft_sampling::SamplingError::Interrupted.into());
        }
        let out = ensemble.outputs(self.threads)?;
        self.monitor.advance(ensemble.nets_total());
        Ok(out)
    }
}
