//! The one deep ensemble of a `sample` (the command's `--widths`/`--d-out`, Python's
//! `nnqft.sample(..., widths=...)`): its key and seed, the ensemble with its memory checked, the
//! leading finite-width theory it is compared with, and its rows of `correlators.parquet`
//! ([`CorrelatorColumns::push_deep_block`]). One implementation for both front doors, so the same
//! network, sizes and master seed give the same table bit for bit.
//!
//! The rows are orders 2, 4 and (up to [`nnqft_sampling::DEEP_ORDER_SIX_MAX_PAIRS`] (output,
//! point) pairs) 6 over the `(output, point)` pairs, each with the GP `δ K` Wick sums, the
//! `1/n` shift of `G2` (`shift_leading_order`), the four-point vertex's `1/n` connected `G4`
//! and, up to [`crate::deep_theory::ORDER_SIX_MAX_POINTS`] input points, the six-point vertex's
//! `1/n²` connected `G6` (`connected_leading_order`; null beyond, as in the theory table).

use crate::error::Result;
use crate::key::EnsembleKey;
use crate::runner::Runner;
use crate::scaling::CorrelatorColumns;
use nnqft_sampling::{DeepEnsemble, DeepEnsembleResult, Estimator};
use nnqft_theory::{DeepNetwork, InputSet, KernelShift, SixPointVertex};

/// A deep ensemble to sample, validated and seeded.
#[derive(Debug, Clone)]
pub struct DeepSample {
    key: EnsembleKey,
    ensemble: DeepEnsemble,
}

/// The leading finite-width theory a deep sample's rows carry: the kernel shift (which holds the
/// four-point vertex) and, where `G6` is measured on few enough points, the six-point vertex.
pub struct DeepSampleTheory {
    shift: KernelShift,
    six: Option<SixPointVertex>,
}

impl DeepSample {
    /// `nets` nets per experiment in `experiments` experiments of `net` on `xs`, estimator `est`
    /// (raw or conditional), seeded from the master seed `master` through its key
    /// ([`EnsembleKey::DeepSample`]); its memory checked for one thread before anything is
    /// allocated. Errors name the argument and its allowed range.
    pub fn new(
        net: DeepNetwork,
        xs: InputSet,
        nets: u64,
        experiments: usize,
        est: Estimator,
        master: u64,
    ) -> Result<Self> {
        let key =
            EnsembleKey::DeepSample { activation: net.activation(), widths: net.widths().to_vec(), estimator: est };
        let ensemble = DeepEnsemble::new(net, xs, nets, experiments, est, key.seed(master))?;
        ensemble.check_memory(1)?;
        Ok(Self { key, ensemble })
    }

    /// Its key (its name and seed).
    pub fn key(&self) -> &EnsembleKey {
        &self.key
    }

    /// The ensemble.
    pub fn ensemble(&self) -> &DeepEnsemble {
        &self.ensemble
    }

    /// The leading finite-width theory of the rows (module docs): computed apart from the
    /// sampling, so a caller can time the sampling alone.
    pub fn theory(&self) -> Result<DeepSampleTheory> {
        let (net, xs) = (self.ensemble.network(), self.ensemble.inputs());
        let shift = KernelShift::new(net, xs)?;
        let six = (self.ensemble.measures_order_six() && xs.len() <= crate::deep_theory::ORDER_SIX_MAX_POINTS)
            .then(|| SixPointVertex::new(net, xs))
            .transpose()?;
        Ok(DeepSampleTheory { shift, six })
    }

    /// The rows of `correlators.parquet` of the sampled `result` of this ensemble.
    pub fn columns(&self, theory: &DeepSampleTheory, result: &DeepEnsembleResult) -> Result<CorrelatorColumns> {
        let mut cols = CorrelatorColumns::default();
        cols.push_deep_block(&theory.shift, theory.six.as_ref(), self.ensemble.estimator(), result)?;
        Ok(cols)
    }

    /// Samples the ensemble through `runner` and returns its rows: [`Self::theory`],
    /// [`Runner::deep_ensemble`], [`Self::columns`].
    pub fn run(&self, runner: &dyn Runner) -> Result<CorrelatorColumns> {
        let theory = self.theory()?;
        let result = runner.deep_ensemble(&self.key, &self.ensemble)?;
        self.columns(&theory, &result)
    }
}
