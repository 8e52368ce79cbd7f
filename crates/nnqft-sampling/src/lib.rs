//! # nnqft-sampling
//!
//! Fast, seeded, parallel ensembles of single-hidden-layer networks and streaming
//! estimators of their correlation functions (Halverson, Maiti, Stoner, arXiv:2008.08601,
//! section 2). Uses the theory
//! crate's types (networks, input sets, multisets, Wick tables).
//!
//! - [`seed`] -- the documented seeding scheme (one generator per experiment and chunk).
//! - [`normal`] -- the vectorised normal generator of the hot path and the reference one.
//! - `draw` (internal) -- drawing one network / one hidden layer, allocation-free.
//! - [`DeepEnsemble`] -- deep networks with several outputs (beyond the paper): each layer
//!   drawn from its exact conditional law, raw and conditional estimators of output-indexed
//!   `G2`, `G4` and (up to [`DEEP_ORDER_SIX_MAX_PAIRS`] (output, point) pairs) `G6`, with the
//!   measured connected 4- and 6-point functions.
//! - [`NtkEnsemble`], [`DeepWeights`] -- deep networks with explicit weights and their exact
//!   per-network neural tangent kernels (forward pass and backward deltas, layer by layer); the
//!   mean NTK and `G2` over nets with standard errors over experiments, and with
//!   [`NtkEnsemble::with_fluctuations`] (at most [`NTK_FLUCTUATION_MAX_PAIRS`] pairs) the NTK's
//!   covariances with itself and with `f f`.
//! - `ntk_moments` (internal) -- a work item's sums of the NTK's moments: canonical pairs only,
//!   plain sums over batches of 32 nets, compensated from batch to batch (the accuracy bound in
//!   its docs).
//! - [`Ensemble`] -- experiments, the raw and conditional-Gaussian estimators, ordered merge.
//! - [`control_variate`] -- the conditional estimator with its exactly zero-mean first-order
//!   term `L_K(C - K)` removed: per-net variance `O(1/N^2)` instead of `O(1/N)`
//!   ([`Estimator::ControlVariate`]; the module holds its derivation).
//! - [`bias_integrated`] -- Gauss-net's conditional estimator averaged over the hidden biases in
//!   closed form: exactly unbiased, without the log-normal tail of `e^{2b}`
//!   ([`Estimator::BiasIntegrated`]; the module holds its derivation).
//! - `raw_fold` (internal) -- the raw estimator's inner loop, shared by ensembles and
//!   [`OutputStream`].
//! - [`scale`] -- priors and inputs whose correlators would overflow `f64`, refused before
//!   sampling.
//!
//! Run-time machinery is not public API: the nets per work item (4096, part of the seeding
//! scheme), the merge's memory bound, the generator's lane count and scratch buffers are
//! internal; `floor` (the same draws with no correlator work, the benchmarks' reference) is
//! hidden, for the benchmarks and examples only.
//! - [`DntkEnsemble`], [`DntkPreactivation`] -- the dNTK of sampled deep networks
//!   (`DeepWeights::differential_tangent_kernel`: exact, by forward mode through the NTK's passes)
//!   and its correlation with the outputs over an ensemble (at most [`DNTK_MAX_PAIRS`] pairs),
//!   seeded and thread-invariant.
//! - [`DdntkEnsemble`], [`DdntkMeans`], [`NetworkDdntk`] -- the second-order differentials
//!   of the NTK (ddNTKs `ddI`, `ddII`) of sampled deep networks
//!   (`DeepWeights::double_differential_tangent_kernel`: exact, by hyper-dual numbers through
//!   the NTK's passes along the materialised gradient directions) and their means over an
//!   ensemble (at most [`DDNTK_MAX_PAIRS`] pairs), seeded and thread-invariant.
//! - [`memory`] -- memory estimated before a run allocates, against the machine's limit.
//! - [`OutputStream`] -- the raw estimator over network outputs handed in (any ensemble),
//!   bit for bit the raw estimator of a sampled ensemble on that ensemble's own outputs.
//! - [`Monitor`] -- a run's caller, asked between work items whether to stop and told the nets
//!   done (progress bars, Python's Ctrl-C); the numbers do not depend on it.
//! - [`Shard`] -- which work items shard `K` of `N` runs; merging every shard's item sums
//!   bit for bit.

mod error;
pub mod memory;
mod monitor;
pub mod normal;
mod ntk_ensemble;
mod ntk_moments;

pub mod bias_integrated;
pub mod control_variate;
mod ddntk;
mod deep_ensemble;
mod dntk;
mod draw;
mod ensemble;
#[doc(hidden)]
pub mod floor;
mod outputs;
mod raw_fold;
pub mod scale;
pub mod seed;
mod shard;

pub use ddntk::{DDNTK_MAX_PAIRS, DdntkEnsemble, DdntkMeans, NetworkDdntk};
pub use deep_ensemble::{DEEP_ORDER_SIX_MAX_PAIRS, DeepEnsemble, DeepEnsembleResult};
pub use dntk::{DNTK_MAX_PAIRS, DntkEnsemble, DntkPreactivation};
pub use ensemble::{EighthOrderMeans, Ensemble, EnsembleBuilder, EnsembleResult, Estimator, ItemSums};
pub use error::{Result, SamplingError};
pub use monitor::Monitor;
pub use ntk_ensemble::{DeepWeights, Measured, NTK_FLUCTUATION_MAX_PAIRS, NtkEnsemble, NtkEnsembleResult};
pub use outputs::OutputStream;
pub use shard::Shard;

/// The master seed every front door uses when none is given (`--seed`, Python's `seed=`,
/// `Ensemble::builder`): the date of the paper's arXiv submission, 2020-08-18.
pub const DEFAULT_SEED: u64 = 20_200_818;
