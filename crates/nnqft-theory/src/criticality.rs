//! The critical point of an activation: the priors `(C_W, C_b)` at which both susceptibilities
//! of the infinite-width kernel recursion are one, found by bracketing and bisection on the
//! Gaussian expectations of [`crate::ActivationFn`]'s formulas.

use crate::deep_activation::DeepActivation;
use crate::error::{Result, TheoryError};
use crate::gaussian::{Act, moment, pair_gradient};

/// The universality class of a critical point (Roberts, Yaida, Hanin, "The Principles of Deep
/// Learning Theory", 2022, arXiv:2106.10165, §5.2-5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UniversalityClass {
    /// Scale-invariant activations (`φ(λz) = λφ(z)` for `λ > 0`: relu, linear; §5.2): at
    /// `C_b = 0`, `C_W = 1/⟨φ'²⟩` every `K* > 0` is a fixed point with `χ_∥ = χ_⊥ = 1`.
    ScaleInvariant,
    /// The `K* = 0` class (tanh, erf, sin; §5.3.3): `φ(0) = 0`, `φ'(0) ≠ 0` and the kernel
    /// flows into `K = 0` from above (`a₁ < 0`, see [`critical_point`]); criticality is
    /// `C_b = 0`, `C_W = 1/φ'(0)²`, the limit `K → 0` of both susceptibilities.
    KStarZero,
    /// A critical point at a nonzero `K*` (GELU, SiLU/swish; §5.3.4): half-stable, since
    /// `χ_∥ = 1` makes the linear term of the recursion around `K*` vanish and the quadratic
    /// one pushes `K` towards `K*` on one side and away on the other.
    HalfStable,
}

/// The critical point of an activation: priors `(C_W, C_b)`, the fixed point `K*` of the
/// single-input kernel recursion and the susceptibilities there (both one within
/// [`CriticalPoint::TOLERANCE`]). From [`critical_point`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriticalPoint {
    activation: DeepActivation,
    class: UniversalityClass,
    c_w: f64,
    c_b: f64,
    k_star: Option<f64>,
    chi_parallel: f64,
    chi_perpendicular: f64,
}

impl CriticalPoint {
    /// The finder's tolerance: `K*` is bracketed to a relative width of `1e-14`, so `C_W`,
    /// `C_b` and both susceptibilities carry errors of a few `1e-14` relative beside the
    /// quadrature's (a few `1e-16` for these one-dimensional integrals).
    pub const TOLERANCE: f64 = 1e-12;

    /// The activation.
    pub fn activation(&self) -> DeepActivation {
        self.activation
    }
    /// The universality class.
    pub fn class(&self) -> UniversalityClass {
        self.class
    }
    /// `C_W = σ_w²` at criticality.
    pub fn c_w(&self) -> f64 {
        self.c_w
    }
    /// `C_b = σ_b²` at criticality.
    pub fn c_b(&self) -> f64 {
        self.c_b
    }
    /// The fixed point `K*`: `Some(0.0)` for the `K* = 0` class, `None` for the scale-invariant
    /// class (every `K > 0` is one).
    pub fn k_star(&self) -> Option<f64> {
        self.k_star
    }
    /// `χ_∥` at `K*` (at `K = 1` for the scale-invariant class, where it is the same at every
    /// `K`; the limit `K → 0` for the `K* = 0` class).
    pub fn chi_parallel(&self) -> f64 {
        self.chi_parallel
    }
    /// `χ_⊥` where [`Self::chi_parallel`] is evaluated.
    pub fn chi_perpendicular(&self) -> f64 {
        self.chi_perpendicular
    }
}

/// Smallest and largest `K` of the bracketing scan for a nonzero `K*`.
const SCAN: (f64, f64) = (1e-3, 1e4);
/// Ratio of neighbouring `K` in the scan.
const SCAN_STEP: f64 = 1.25;
/// Relative width of the bracket at which bisection stops.
const BRACKET_WIDTH: f64 = 1e-14;

/// `(χ_∥, χ_⊥)` of `activation` at `C_W = c_w` and kernel `K = k > 0`:
/// `χ_∥ = C_W d⟨φ²⟩_K/dK`, `χ_⊥ = C_W ⟨φ'²⟩_K` (see [`critical_point`]). Both come from the
/// kernel derivatives of the vertex recursion: `d⟨φ²⟩/dK` is the one-point derivative and
/// `⟨φ'²⟩_K = ∂⟨φ_a φ_b⟩/∂K_ab` at `K_aa = K_bb = K_ab = K` (Price's theorem).
fn susceptibilities(activation: DeepActivation, c_w: f64, k: f64) -> (f64, f64) {
    let act = Act::Known(activation);
    let parallel = pair_gradient(act, k, k, k, true)[0];
    let perpendicular = pair_gradient(act, k, k, k, false)[2];
    (c_w * parallel, c_w * perpendicular)
}

/// `⟨φ(z)²⟩_K`.
fn second_moment(activation: DeepActivation, k: f64) -> f64 {
    moment(Act::Known(activation), &[k], 1, &[0, 0]).value
}

/// The critical point of a deep network's activation (beyond the paper; Roberts, Yaida, Hanin,
/// "The Principles of Deep Learning Theory", 2022, arXiv:2106.10165, ch. 5, whose notation is
/// given beside ours): the priors at which the kernel recursion neither forgets nor amplifies
/// perturbations of its fixed point, both in the size of the kernel and in the angle between
/// inputs.
///
/// ```
/// use nnqft_theory::{DeepActivation, UniversalityClass, critical_point};
/// let gelu = critical_point(DeepActivation::Gelu)?;
/// assert_eq!(gelu.class(), UniversalityClass::HalfStable);
/// let k_star = (3.0 + 17f64.sqrt()) / 2.0; // derived below
/// assert!((gelu.k_star().unwrap() - k_star).abs() < 1e-10);
/// assert!((gelu.c_w() - 1.983058257).abs() < 1e-9 && (gelu.c_b() - 0.172922391).abs() < 1e-9);
/// let tanh = critical_point(DeepActivation::Tanh)?;
/// assert_eq!((tanh.c_w(), tanh.c_b(), tanh.k_star()), (1.0, 0.0, Some(0.0)));
/// assert!(critical_point(DeepActivation::Sigmoid).is_err());
/// # Ok::<(), nnqft_theory::TheoryError>(())
/// ```
///
/// # Derivation
///
/// One input: the kernel recursion ([`crate::KernelRecursion`]) is
/// `Kˡ⁺¹ = C_b + C_W g(Kˡ)`, `g(K) = ⟨φ(z)²⟩_K`, `z ~ N(0, K)` (PDLT writes `K^(ℓ)` and
/// `⟨σ(z)σ(z)⟩_K`). A fixed point `K*` solves `K* = C_b + C_W g(K*)`. Two perturbations of it:
///
/// - of the size, `δKˡ⁺¹ = χ_∥ δKˡ` with the parallel susceptibility
///   `χ_∥(K) = C_W g'(K)`. PDLT writes it `χ_∥ = (C_W / 2K²) ⟨σ(z)σ(z)(z² − K)⟩_K`; the two agree
///   because `∂N(z; 0, K)/∂K = N(z; 0, K) (z² − K)/2K²`. By Price's theorem
///   `g'(K) = ½⟨(φ²)''⟩_K = ⟨φ'² + φ φ''⟩_K`.
/// - of the angle between two inputs at the fixed point (`K_ab = K* − δ`, to first order in
///   `δ`), `δˡ⁺¹ = χ_⊥ δˡ` with the perpendicular susceptibility `χ_⊥(K) = C_W ⟨φ'(z)²⟩_K`
///   (the derivative `∂⟨φ_a φ_b⟩/∂K_ab = ⟨φ'_a φ'_b⟩` at coincident points; PDLT's
///   `χ_⊥ = C_W ⟨σ'(z)σ'(z)⟩_K`).
///
/// Criticality is `χ_∥(K*) = χ_⊥(K*) = 1`: three equations in `(C_W, C_b, K*)`. Subtracting,
/// `χ_∥ − χ_⊥ = C_W h(K)` with `h(K) = ⟨φ φ''⟩_K`, so
///
/// ```text
/// h(K*) = 0,   C_W = 1 / ⟨φ'²⟩_K*,   C_b = K* − C_W ⟨φ²⟩_K*   (which must be >= 0).
/// ```
///
/// **Scale-invariant** (relu, linear): `φ φ'' = 0` everywhere (relu's `φ'' = δ(z)` meets
/// `φ(0) = 0`), so every `K` solves `h = 0`; `⟨φ'²⟩ = 1/2` (relu), `1` (linear) gives
/// `C_W = 2`, `1`, and `C_b = K(1 − C_W g(K)/K) = 0`.
///
/// **`K* = 0`**: if `φ(0) = 0`, `K = 0` is a fixed point at `C_b = 0`, and there
/// `χ_∥ = χ_⊥ = C_W σ₁²` (`σ_p` the Taylor coefficients at 0,
/// [`DeepActivation::taylor_at_zero`]), so `C_W = 1/σ₁²`. Near it
/// `Kˡ⁺¹ = Kˡ + a₁ (Kˡ)² + O(K³)` with `a₁ = σ₃/σ₁ + ¾ (σ₂/σ₁)²` (expand `φ²` to fourth order:
/// `⟨z⁴⟩ = 3K²`). For `a₁ < 0` the kernel flows into `K* = 0` like `1/(−a₁ l)`: tanh and erf
/// (`a₁ = −2`), sin (`a₁ = −1`) are in this class, at `(C_W, C_b) = (1, 0)`, `(π/4, 0)`,
/// `(1, 0)`. (The deep defaults of erf, `C_W = 1`, are therefore not critical.)
///
/// **Half-stable**: if `a₁ > 0` (GELU: `a₁ = 6/π`; SiLU: `3/4`), `K = 0` repels, and the finder
/// looks for a zero of `h` at `K > 0`. For GELU it is in closed form: with
/// `φ φ'' = z Φ(z) ϕ(z)(2 − z²)`, the even part of `Φ` drops out, `ϕ(z) N(z; 0, K)` is a
/// Gaussian of variance `s² = K/(K + 1)`, and Stein's lemma twice gives
/// `h(K) ∝ 2 − 2s² − s²/(1 + s²) = 2/(K + 1) − K/(2K + 1)`, which vanishes at
/// `K² − 3K − 2 = 0`: `K* = (3 + √17)/2 ≈ 3.5616`, and then `C_W ≈ 1.983058`, `C_b ≈ 0.172922`.
/// SiLU: `K* ≈ 14.320`, `C_W ≈ 1.98800`, `C_b ≈ 0.55514`. (PDLT §5.3.4 treats both as
/// half-stable; the digits here are the finder's, checked in the tests against the closed form
/// of `K*` and against an independent 30-digit evaluation of the same equations.)
///
/// **None**: sigmoid and softplus (PDLT §5.3.2). `φ(0) ≠ 0`, so `K = 0` is no fixed point
/// at any `C_b >= 0`, and `h` keeps one sign at every `K > 0`: sigmoid,
/// `s = ½ + ½ tanh(z/2)`, has `h(K) = ⟨tanh tanh''⟩_(K/4) / 16 < 0` (`tanh tanh'' ≤ 0`), so
/// `χ_∥ < χ_⊥` at every fixed point; softplus has `φ > 0` and `φ'' = s(1 − s) > 0`, so
/// `χ_∥ > χ_⊥`. Gauss-net is defined for the first layer only. Each is
/// [`TheoryError::NoCriticalPoint`] naming the activation and the reason.
///
/// # Method
///
/// The scale-invariant and `K* = 0` classes are decided from the Taylor coefficients and their
/// priors are exact. Otherwise `h(K) = χ_∥/C_W − χ_⊥/C_W` is evaluated on a geometric grid
/// `K = 10⁻³ · 1.25ʲ` up to `10⁴` (each value a one-dimensional Gauss-Legendre quadrature
/// against the normal density, the expectations of the kernel and vertex recursions); the
/// first sign change whose `C_b` is `>= 0` is bisected to a relative width of `1e-14`.
/// Errors: [`TheoryError::NoCriticalPoint`].
pub fn critical_point(activation: DeepActivation) -> Result<CriticalPoint> {
    use DeepActivation::*;
    let refuse = |reason: &'static str| Err(TheoryError::NoCriticalPoint { activation: activation.name(), reason });
    match activation {
        Gauss => return refuse("Gauss-net's activation is defined for the first layer only (depth 1)"),
        Sigmoid => {
            return refuse(
                "sigmoid(0) = 1/2 != 0, so K* = 0 is no fixed point for any C_b >= 0, and <phi phi''>_K < 0 \
                 at every K > 0 (sigmoid = (1 + tanh(z/2))/2), so chi_parallel < chi_perpendicular at every \
                 fixed point",
            );
        }
        Softplus => {
            return refuse(
                "softplus(0) = log 2 != 0, so K* = 0 is no fixed point for any C_b >= 0, and phi > 0, \
                 phi'' > 0 make <phi phi''>_K > 0 at every K > 0, so chi_parallel > chi_perpendicular at \
                 every fixed point",
            );
        }
        Relu | Linear => {
            // the same at every K: evaluate at K = 1
            let (par, perp) = susceptibilities(activation, 1.0, 1.0);
            let c_w = 1.0 / perp;
            return Ok(CriticalPoint {
                activation,
                class: UniversalityClass::ScaleInvariant,
                c_w,
                c_b: 0.0,
                k_star: None,
                chi_parallel: c_w * par,
                chi_perpendicular: c_w * perp,
            });
        }
        _ => {}
    }
    let Some([s0, s1, s2, s3]) = activation.taylor_at_zero() else {
        return refuse("no Taylor coefficients at 0");
    };
    if s0 == 0.0 && s1 != 0.0 && s3 / s1 + 0.75 * (s2 / s1).powi(2) < 0.0 {
        let c_w = 1.0 / (s1 * s1);
        return Ok(CriticalPoint {
            activation,
            class: UniversalityClass::KStarZero,
            c_w,
            c_b: 0.0,
            k_star: Some(0.0),
            chi_parallel: c_w * s1 * s1,
            chi_perpendicular: c_w * s1 * s1,
        });
    }
    let h = |k: f64| {
        let (par, perp) = susceptibilities(activation, 1.0, k);
        par - perp
    };
    let priors = |k: f64| {
        let c_w = 1.0 / susceptibilities(activation, 1.0, k).1;
        (c_w, k - c_w * second_moment(activation, k))
    };
    let (mut lo, mut h_lo) = (SCAN.0, h(SCAN.0));
    while lo < SCAN.1 {
        let hi = lo * SCAN_STEP;
        let h_hi = h(hi);
        if (h_lo < 0.0) != (h_hi < 0.0) || h_hi == 0.0 {
            let k = bisect(&h, (lo, h_lo), hi);
            let (c_w, c_b) = priors(k);
            if c_b >= 0.0 {
                let (chi_parallel, chi_perpendicular) = susceptibilities(activation, c_w, k);
                return Ok(CriticalPoint {
                    activation,
                    class: UniversalityClass::HalfStable,
                    c_w,
                    c_b,
                    k_star: Some(k),
                    chi_parallel,
                    chi_perpendicular,
                });
            }
        }
        (lo, h_lo) = (hi, h_hi);
    }
    refuse("<phi phi''>_K = (chi_parallel - chi_perpendicular) / C_W has no zero with C_b >= 0 on 1e-3 <= K <= 1e4")
}

/// A zero of `h` in `[lo, hi]`, where `h` changes sign, by bisection to a relative width of
/// [`BRACKET_WIDTH`].
fn bisect(h: &impl Fn(f64) -> f64, (mut lo, h_lo): (f64, f64), mut hi: f64) -> f64 {
    let negative_lo = h_lo < 0.0;
    while hi - lo > BRACKET_WIDTH * hi {
        let mid = 0.5 * (lo + hi);
        let v = h(mid);
        if v == 0.0 {
            return mid;
        }
        if (v < 0.0) == negative_lo {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}
