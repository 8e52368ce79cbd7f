//! The study crate's [`Runner`] over a [`Run`]: [`Sampler`] samples every ensemble on the
//! run's threads and keeps each finished one as a block of the shard format (the resume
//! cache, [`crate::shard`]), reusing it under `--resume`; [`Merged`] reads every ensemble from a complete set of shard files
//! ([`crate::merge`]), sampling nothing but the deep ensembles (which are never split). This
//! prints each ensemble's progress bar and timing line through [`crate::progress`].

use crate::merge::ShardSet;
use crate::progress::timed;
use crate::run::Run;
use crate::shard::{ShardFile, record_ensemble};
use anyhow::Result;
use nnqft_sampling::{
    DdntkEnsemble, DdntkMeans, DeepEnsemble, DeepEnsembleResult, DntkEnsemble, DntkPreactivation, Ensemble,
    EnsembleResult, NtkEnsemble, NtkEnsembleResult, Shard,
};
use nnqft_study::key::EnsembleKey;
use nnqft_study::{Runner, StudyError};

/// A run-time error as the study crate carries it, with its whole chain of causes in one
/// message (the command lines print a study error's message, not its sources).
fn runner_error(e: anyhow::Error) -> StudyError {
    StudyError::Runner(format!("{e:#}").into())
}

/// Samples the deep ensembles of a run (never cached, never split into shards).
fn deep(run: &Run, key: &str, ensemble: &DeepEnsemble) -> nnqft_study::Result<DeepEnsembleResult> {
    let total = ensemble.nets() * ensemble.experiments() as u64;
    Ok(timed(run.progress, key, "", total, |inc| ensemble.run_with_progress(run.threads, inc))?)
}

/// Samples the nets of an NTK table (never cached, never split).
fn ntk(run: &Run, key: &str, ensemble: &NtkEnsemble) -> nnqft_study::Result<NtkEnsembleResult> {
    let total = ensemble.nets() * ensemble.experiments() as u64;
    Ok(timed(run.progress, key, "", total, |inc| ensemble.run_with_progress(run.threads, inc))?)
}

/// Samples the nets of an NTK table's dNTK columns (never cached, never split).
fn dntk(run: &Run, key: &str, ensemble: &DntkEnsemble) -> nnqft_study::Result<DntkPreactivation> {
    let total = ensemble.nets() * ensemble.experiments() as u64;
    Ok(timed(run.progress, key, "", total, |inc| ensemble.run_with_progress(run.threads, inc))?)
}

/// Samples the nets of an NTK table's ddNTK columns (never cached, never split).
fn ddntk(run: &Run, key: &str, ensemble: &DdntkEnsemble) -> nnqft_study::Result<DdntkMeans> {
    let total = ensemble.nets() * ensemble.experiments() as u64;
    Ok(timed(run.progress, key, "", total, |inc| ensemble.run_with_progress(run.threads, inc))?)
}

/// Samples the outputs of the action study's histograms (never cached, never split).
fn outputs(run: &Run, key: &str, ensemble: &Ensemble) -> nnqft_study::Result<Vec<f64>> {
    let total = ensemble.nets_total();
    Ok(timed(run.progress, key, "", total, |_| ensemble.outputs(run.threads))?)
}

/// Samples every ensemble of a run as shard `0/1` of itself, keeping each ensemble's item
/// sums as a block file of the shard format ([`crate::shard::record_ensemble`]) and merging
/// them ([`Ensemble::merge_items`], the unsharded merge, so the numbers are
/// [`Ensemble::run`]'s bit for bit); with `resume`, an intact block of the same
/// configuration and ensemble is merged instead of sampling.
#[derive(Debug, Clone, Copy)]
pub struct Sampler<'r> {
    run: &'r Run,
    resume: bool,
}

impl<'r> Sampler<'r> {
    /// The sampler of `run`.
    pub fn new(run: &'r Run, resume: bool) -> Self {
        Self { run, resume }
    }

    fn sample(&self, key: &str, ensemble: &Ensemble) -> Result<EnsembleResult> {
        let (_, path) = record_ensemble(self.run, Shard::new(0, 1)?, key, ensemble, self.resume)?;
        let sums = ShardFile::open(&path)?.read_section(0)?;
        Ok(ensemble.merge_items(&sums)?)
    }
}

impl Runner for Sampler<'_> {
    fn seed(&self) -> u64 {
        self.run.seed
    }
    fn ensemble(&self, key: &EnsembleKey, ensemble: &Ensemble, _seed: u64) -> nnqft_study::Result<EnsembleResult> {
        self.sample(&key.name(), ensemble).map_err(runner_error)
    }
    fn deep_ensemble(&self, key: &EnsembleKey, ensemble: &DeepEnsemble) -> nnqft_study::Result<DeepEnsembleResult> {
        deep(self.run, &key.name(), ensemble)
    }
    fn ntk_ensemble(&self, key: &EnsembleKey, ensemble: &NtkEnsemble) -> nnqft_study::Result<NtkEnsembleResult> {
        ntk(self.run, &key.name(), ensemble)
    }
    fn dntk_ensemble(&self, key: &EnsembleKey, ensemble: &DntkEnsemble) -> nnqft_study::Result<DntkPreactivation> {
        dntk(self.run, &key.name(), ensemble)
    }
    fn ddntk_ensemble(&self, key: &EnsembleKey, ensemble: &DdntkEnsemble) -> nnqft_study::Result<DdntkMeans> {
        ddntk(self.run, &key.name(), ensemble)
    }
    fn outputs(&self, key: &EnsembleKey, ensemble: &Ensemble) -> nnqft_study::Result<Vec<f64>> {
        outputs(self.run, &key.name(), ensemble)
    }
}

/// Reads every ensemble of a run from a complete set of shard files (the deep ensembles,
/// never split, are sampled).
#[derive(Clone, Copy)]
pub struct Merged<'r> {
    run: &'r Run,
    set: &'r ShardSet,
}

impl<'r> Merged<'r> {
    /// The runner of `run` over the shards `set`.
    pub fn new(run: &'r Run, set: &'r ShardSet) -> Self {
        Self { run, set }
    }
}

impl Runner for Merged<'_> {
    fn seed(&self) -> u64 {
        self.run.seed
    }
    fn ensemble(&self, key: &EnsembleKey, ensemble: &Ensemble, _seed: u64) -> nnqft_study::Result<EnsembleResult> {
        self.set.ensemble(&key.name(), ensemble).map_err(runner_error)
    }
    fn deep_ensemble(&self, key: &EnsembleKey, ensemble: &DeepEnsemble) -> nnqft_study::Result<DeepEnsembleResult> {
        deep(self.run, &key.name(), ensemble)
    }
    fn ntk_ensemble(&self, key: &EnsembleKey, ensemble: &NtkEnsemble) -> nnqft_study::Result<NtkEnsembleResult> {
        ntk(self.run, &key.name(), ensemble)
    }
    fn dntk_ensemble(&self, key: &EnsembleKey, ensemble: &DntkEnsemble) -> nnqft_study::Result<DntkPreactivation> {
        dntk(self.run, &key.name(), ensemble)
    }
    fn ddntk_ensemble(&self, key: &EnsembleKey, ensemble: &DdntkEnsemble) -> nnqft_study::Result<DdntkMeans> {
        ddntk(self.run, &key.name(), ensemble)
    }
    fn outputs(&self, key: &EnsembleKey, ensemble: &Ensemble) -> nnqft_study::Result<Vec<f64>> {
        outputs(self.run, &key.name(), ensemble)
    }
}
