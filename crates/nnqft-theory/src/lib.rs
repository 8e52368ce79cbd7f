//! # nnqft-theory
//!
//! The theory every measurement in nnqft is judged against: the networks and Gaussian-process
//! kernels of Halverson, Maiti, Stoner, *Neural Networks and Quantum Field Theory*
//! (arXiv:2008.08601, section 2), the vertex integrals of its effective field theory, and the
//! exact finite-width correlators that the paper only measures. Depends on no other
//! workspace crate.
//!
//! - [`Network`], [`Activation`] -- the one-layer network family (activation, `d`, `sigma_w`,
//!   `sigma_b`), validated: the paper's Erf-, ReLU- and Gauss-net ([`Activation::ALL`]) and the
//!   Cos-net of its sequel (arXiv:2307.03223; [`Activation::EVERY`] has all four); [`DeepNetwork`], [`DeepActivation`] -- deep networks (beyond the
//!   paper): widths `n_1..n_L`, erf, relu, tanh, linear, gelu, silu, softplus, sigmoid, sin
//!   (Gauss-net at `L = 1`), `d_out` outputs, `C_W`, `C_b`, validated.
//! - [`critical_point`], [`CriticalPoint`], [`UniversalityClass`] -- the `(C_W, C_b)` of an
//!   activation at which both susceptibilities of the kernel recursion are one, and its class.
//! - [`InputSet`]: named point sets; the paper's sets from `data/x-sets/`.
//! - [`Multisets`] -- symmetric-tensor indexing (position <-> multiset, multiplicities).
//! - [`erf()`] -- the error function: series and interval Taylor tables, within an ulp, and the
//!   same bits on lanes.
//! - [`kernel()`], [`kernel_g`], [`kernel_matrix`] -- GP kernels `K` and `K_g` for Erf, ReLU,
//!   Gauss- and Cos-net at any `d`.
//! - [`WickSums`], [`perfect_matchings`] -- perfect matchings and GP correlators (Wick sums).
//! - [`VertexCoefficients`], [`contractions`] -- Wick contractions with vertices, deriving the
//!   diagram coefficients.
//! - [`SplitTable`] -- the 15 `{4|2}` splits of six points.
//! - [`NeuronMoments`] -- single-neuron moments `M_k` (closed form or quadrature, with accuracy).
//! - [`DiagonalG4Variance`] -- exact per-net variance of the raw, conditional and
//!   control-variate estimators of `G4(x, x, x, x)` at width `N` (the check on sampled
//!   variances).
//! - [`FiniteWidthTheory`], [`ExactCorrelators`] -- exact finite-width correlators `G4`, `G6`,
//!   `kappa4 ~ 1/N`, `kappa6 ~ 1/N^2`.
//! - [`ActivationFn`] -- Gaussian expectations of activations and their kernel derivatives
//!   (closed forms, Price's theorem, nested quadrature with error estimates).
//! - [`KernelRecursion`] -- the infinite-width kernel recursion `K¹ ... Kᴸ⁺¹` of a deep network.
//! - [`FourPointVertex`] -- the leading-order four-point vertex recursion (derived in its
//!   docs), output-indexed `G4`, and [`exact_one_input_ratio`], the exact one-input identities
//!   of relu and linear nets.
//! - [`KernelShift`] -- the `1/n` shift of a deep network's two-point function
//!   (`G2 = K + S + O(1/n²)`, each layer weighted by its own inverse width; derived in its docs).
//! - [`FourPointNextOrder`] -- the connected four-point function and the two-point function one
//!   order further (`1/n²`) on every multiset of an input set (derived in its docs).
//! - [`NeuralTangentKernel`] -- the infinite-width neural tangent kernel recursion `Θ¹ ... Θᴸ⁺¹`
//!   of a deep network with learning-rate factors `λ_W`, `λ_b` (derived in its docs).
//! - [`NtkFluctuations`] -- the NTK at order `1/n`: the `1/n` shift of its mean, its variance
//!   tensors `A`, `B` and its cross-correlation with the pre-activations `D`, `F` (PDLT ch. 8;
//!   layer recursions derived in its docs).
//! - [`DifferentialNtk`] -- the dNTK at leading order: its cross-correlation with the
//!   pre-activations, the tensors `P`, `Q` (PDLT ch. 11; layer recursions derived in its docs).
//! - [`DoubleDifferentialNtk`] -- the means of the two ddNTKs (second-order differentials of the
//!   NTK, `ddI`, `ddII`) at order `1/n` for one hidden layer, exact at any width (derived in its
//!   docs; deeper networks refused: their recursion is not derived).
//! - [`SixPointVertex`] -- the leading-order six-point vertex recursion (order `1/n²`, derived
//!   in its docs), the output-indexed connected six-point function, and
//!   [`exact_one_input_sixth_ratio`], the exact one-input `E[f⁶]` of relu and linear nets.
//! - [`Action`], [`ActionOrder`], [`DenseTensor`] -- the action `S = −log p` of an ensemble on a point set,
//!   reconstructed from `G2`, `κ4` and `κ6` to order `1/N` or `1/N²` (Edgeworth expansion;
//!   derived in its docs).
//! - [`Monitor`] -- a long computation's caller, asked between work items whether to stop
//!   (the vertex recursions' `with_monitor` constructors; the sampling crate's ensembles).
//! - [`VertexIntegrals`], [`Cutoff`] -- EFT vertex integrals `T0`, `T2`, `TNL`, 6-pt and sextic
//!   terms with a cutoff.
//!
//! The hot loops' run-time machinery (lane batches of `BATCH` values folded to `PARTS` partial
//! sums, the product table over the multisets of the even orders, the run-time choice of an
//! AVX2 + FMA build, the lane kernels of erf, exp, tanh and cos and Estrin's scheme) is shared with
//! the sampling crate and the benchmarks through one hidden module, `machinery`: not public API.

mod error;

mod action;
mod bounded;
mod criticality;
mod ddntk;
mod deep_activation;
mod deep_kernel;
mod deep_network;
mod deep_vertex;
mod diagram;
mod dntk;
mod erf;
mod erfc;
mod estimator_variance;
mod exact;
mod exp;
mod four_point_next_order;
mod gaussian;
mod grouped_moments;
mod input_set;
mod kernel;
mod kernel_shift;
mod moments;
mod monitor;
mod multiset;
mod network;
mod ntk;
mod ntk_fluctuations;
mod one_input_law;
mod polynomial;
mod simd;
mod six_point_vertex;
mod split;
mod tanh;
mod trig;
mod vertex;
mod wick;

pub use action::{
    ACTION_FIRST_ORDER_MAX_POINTS, ACTION_MAX_CONDITION, ACTION_SECOND_ORDER_MAX_POINTS, Action, ActionOrder,
    DenseTensor,
};
pub use criticality::{CriticalPoint, UniversalityClass, critical_point};
pub use ddntk::DoubleDifferentialNtk;
pub use deep_activation::DeepActivation;
pub use deep_kernel::KernelRecursion;
pub use deep_network::DeepNetwork;
pub use deep_vertex::{FourPointVertex, VANISHING_WICK, exact_one_input_ratio};
pub use diagram::{Contraction, VertexCoefficients, contractions};
pub use dntk::DifferentialNtk;
pub use erf::erf;
pub use error::{Result, TheoryError};
pub use estimator_variance::{DiagonalG4Variance, exp_bias_cumulants};
pub use exact::{ExactCorrelators, FiniteWidthTheory};
pub use four_point_next_order::FourPointNextOrder;
pub use gaussian::ActivationFn;
pub use input_set::{InputSet, TABLE5_TRAIN_FACTOR};
pub use kernel::{kernel, kernel_g, kernel_matrix};
pub use kernel_shift::KernelShift;
pub use moments::NeuronMoments;
pub use monitor::Monitor;
pub use multiset::Multisets;
pub use network::{Activation, Network};
pub use ntk::NeuralTangentKernel;
pub use ntk_fluctuations::NtkFluctuations;
pub use one_input_law::OneInputLaw;
pub use six_point_vertex::{SIX_POINT_MAX_POINTS, SixPointVertex, exact_one_input_sixth_ratio};
pub use split::{SPLITS, SplitTable};
pub use vertex::{Cutoff, Lambda, VertexIntegrals, VertexTable};
pub use wick::{WickSums, perfect_matchings};

/// Run-time machinery of the hot loops, shared with the sampling crate and the benchmarks: lane
/// batches ([`BATCH`](machinery::BATCH) values) folded to [`PARTS`](machinery::PARTS) running
/// partial sums, the product table over the multisets of the even orders, the run-time choice of
/// an AVX2 + FMA build, the lane kernels of erf, exp, tanh and cos (and the scalar forms of the
/// first three, the tests' references), the scalar erfc (for its benchmark) and Estrin's scheme. Not public API: hidden from the
/// documentation and free to change; every number it gives is reachable through the public types.
#[doc(hidden)]
pub mod machinery {
    pub use crate::erf::erf_lanes;
    pub use crate::erfc::erfc;
    pub use crate::exp::{exp, exp_lanes};
    pub use crate::multiset::{BATCH, Lanes, PARTS, Parts, ProductScratch, ProductTable, parts_total};
    pub use crate::polynomial::estrin;
    pub use crate::simd::with_simd;
    pub use crate::tanh::{tanh, tanh_lanes};
    pub use crate::trig::cos_lanes;
}
