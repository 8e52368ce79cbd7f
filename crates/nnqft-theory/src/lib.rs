//! # nnqft-theory
//!
//! The theory every measurement in nnqft is judged against (SPEC sections 1-5). Depends on
//! no other workspace crate.
//!
//! - [`network`] -- the network family (activation, `d`, `sigma_w`, `sigma_b`), validated.
//! - [`deep_network`] -- deep networks (SPEC section 9): widths `n_1..n_L`, erf, relu, tanh,
//!   linear (Gauss-net at `L = 1`), `d_out` outputs, `C_W`, `C_b`, validated.
//! - [`input_set`]: named point sets; the paper's sets from `data/x-sets/`.
//! - [`multiset`] -- symmetric-tensor indexing (position <-> multiset, multiplicities) and batched
//!   products over the multisets of the even orders (AVX2 + FMA where the CPU has them).
//! - [`simd`] -- run-time choice of an AVX2 + FMA build for hot loops (same bits either way).
//! - [`erf`] -- the error function: series and interval Taylor tables, within an ulp.
//! - [`exp`] -- the exponential in a form whose loops over lanes vectorise, within two ulps.
//! - [`kernel`](mod@kernel) -- GP kernels `K` and `K_g` for Erf, ReLU and Gauss-net at any `d`.
//! - [`wick`] -- perfect matchings and GP correlators (Wick sums).
//! - [`diagram`] -- Wick contractions with vertices, deriving the diagram coefficients.
//! - [`split`] -- the 15 `{4|2}` splits of six points.
//! - [`moments`] -- single-neuron moments `M_k` (closed form or quadrature, with accuracy).
//! - [`estimator_variance`] -- exact per-net variance of the raw, conditional and control-variate
//!   estimators of `G4(x, x, x, x)` at width `N` (the check on sampled variances).
//! - [`exact`] -- exact finite-width correlators `G4`, `G6`, `kappa4 ~ 1/N`, `kappa6 ~ 1/N^2`.
//! - [`gaussian`] -- Gaussian expectations of activations and their kernel derivatives
//!   (closed forms, Price's theorem, nested quadrature with error estimates).
//! - [`deep_kernel`] -- the infinite-width kernel recursion `K¹ ... Kᴸ⁺¹` of a deep network.
//! - [`deep_vertex`] -- the leading-order four-point vertex recursion (derived in its docs),
//!   output-indexed `G4`, and the exact one-input identities of relu and linear nets.
//! - [`vertex`] -- EFT vertex integrals `T0`, `T2`, `TNL`, 6-pt and sextic terms with a cutoff.

mod error;

pub mod deep_kernel;
pub mod deep_network;
pub mod deep_vertex;
pub mod diagram;
pub mod erf;
pub mod estimator_variance;
pub mod exact;
pub mod exp;
pub mod gaussian;
pub mod input_set;
pub mod kernel;
pub mod moments;
pub mod multiset;
pub mod network;
pub mod simd;
pub mod split;
pub mod vertex;
pub mod wick;

pub use deep_kernel::KernelRecursion;
pub use deep_network::{DeepActivation, DeepNetwork};
pub use deep_vertex::{FourPointVertex, exact_one_input_ratio};
pub use diagram::VertexCoefficients;
pub use error::{Result, TheoryError};
pub use estimator_variance::DiagonalG4Variance;
pub use exact::{ExactCorrelators, FiniteWidthTheory};
pub use gaussian::ActivationFn;
pub use input_set::InputSet;
pub use kernel::{kernel, kernel_g, kernel_matrix};
pub use moments::NeuronMoments;
pub use multiset::{BATCH, Lanes, Multisets, PARTS, Parts, ProductScratch, ProductTable, parts_total};
pub use network::{Activation, Network};
pub use split::SplitTable;
pub use vertex::{Cutoff, Lambda, VertexIntegrals, VertexTable};
pub use wick::{WickSums, perfect_matchings};
