//! The activations of deep networks: names, values, the derivatives that Price's theorem needs,
//! and the Taylor coefficients at zero that decide an activation's universality class.

use crate::erfc::normal_cdf;
use crate::error::{Result, TheoryError};
use crate::network::Activation;
use std::f64::consts::PI;

/// The activation of every hidden layer of a [`crate::DeepNetwork`].
///
/// | name | `φ(z)` | `φ'(z)` | `φ''(z)` |
/// |------|--------|---------|----------|
/// | `erf` | `erf z` | `(2/√π) e^(−z²)` | `−2z φ'(z)` |
/// | `relu` | `max(z, 0)` | `1(z > 0)` | `δ(z)` (a kink) |
/// | `tanh` | `tanh z` | `1 − tanh² z` | `−2 tanh z (1 − tanh² z)` |
/// | `linear` | `z` | `1` | `0` |
/// | `gauss` | `exp(z − K¹(x, x))` (first layer only) | | |
/// | `gelu` | `z Φ(z)` (exact, not the tanh approximation) | `Φ(z) + z ϕ(z)` | `(2 − z²) ϕ(z)` |
/// | `silu` | `z s(z)` (swish) | `s + z s (1 − s)` | `s (1 − s) (2 + z (1 − 2s))` |
/// | `softplus` | `log(1 + e^z)` | `s(z)` | `s (1 − s)` |
/// | `sigmoid` | `s(z) = 1 / (1 + e^(−z))` | `s (1 − s)` | `s (1 − s) (1 − 2s)` |
/// | `sin` | `sin z` | `cos z` | `−sin z` |
///
/// `Φ` and `ϕ` are the standard normal distribution function and density, `s` the logistic
/// sigmoid (Hendrycks and Gimpel 2016, arXiv:1606.08415, for GELU; Elfwing, Uchibe, Doya 2018,
/// arXiv:1702.03118, and Ramachandran, Zoph, Le 2017, arXiv:1710.05941, for SiLU/swish).
/// Evaluated without overflow or cancellation at any finite `z`: `Φ(z) = erfc(−z/√2)/2`,
/// `log(1 + e^z) = max(z, 0) + log1p(e^(−|z|))`, and the sigmoid through `e^(−|z|)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeepActivation {
    /// `φ(z) = erf(z)`.
    Erf,
    /// `φ(z) = max(z, 0)`.
    Relu,
    /// `φ(z) = tanh(z)`.
    Tanh,
    /// `φ(z) = z` (a deep linear network).
    Linear,
    /// `φ(z; x) = exp(z - K¹(x, x))`, Gauss-net (paper section 2): defined for the first
    /// layer only, so only at depth `L = 1`.
    Gauss,
    /// `φ(z) = z Φ(z)`, the exact Gaussian error linear unit.
    Gelu,
    /// `φ(z) = z / (1 + e^(−z))`, the sigmoid linear unit (swish with β = 1).
    Silu,
    /// `φ(z) = log(1 + e^z)`.
    Softplus,
    /// `φ(z) = 1 / (1 + e^(−z))`, the logistic sigmoid.
    Sigmoid,
    /// `φ(z) = sin(z)`.
    Sin,
}

/// The names [`DeepActivation::parse`] accepts, for its error message.
const ALLOWED_NAMES: &str = "one of erf, relu, tanh, linear, gauss, gelu, silu (or swish), softplus, sigmoid, sin";

impl DeepActivation {
    /// The four activations of the first deep release (erf, relu, tanh, linear), in report
    /// order. The depth study names its own list; this constant stays as it was.
    pub const DEEP: [DeepActivation; 4] =
        [DeepActivation::Erf, DeepActivation::Relu, DeepActivation::Tanh, DeepActivation::Linear];

    /// Every activation allowed at any depth (all but Gauss-net), in report order.
    pub const ANY_DEPTH: [DeepActivation; 9] = [
        DeepActivation::Erf,
        DeepActivation::Relu,
        DeepActivation::Tanh,
        DeepActivation::Linear,
        DeepActivation::Gelu,
        DeepActivation::Silu,
        DeepActivation::Softplus,
        DeepActivation::Sigmoid,
        DeepActivation::Sin,
    ];

    /// Lower-case name used in reports (`erf`, `relu`, `tanh`, `linear`, `gauss`, `gelu`,
    /// `silu`, `softplus`, `sigmoid`, `sin`).
    pub fn name(self) -> &'static str {
        match self {
            DeepActivation::Erf => "erf",
            DeepActivation::Relu => "relu",
            DeepActivation::Tanh => "tanh",
            DeepActivation::Linear => "linear",
            DeepActivation::Gauss => "gauss",
            DeepActivation::Gelu => "gelu",
            DeepActivation::Silu => "silu",
            DeepActivation::Softplus => "softplus",
            DeepActivation::Sigmoid => "sigmoid",
            DeepActivation::Sin => "sin",
        }
    }

    /// Parses a name (any case; `swish` is SiLU). An unknown name is
    /// [`TheoryError::OutOfRange`] on the field `network`, listing every allowed name.
    pub fn parse(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "erf" => Ok(DeepActivation::Erf),
            "relu" => Ok(DeepActivation::Relu),
            "tanh" => Ok(DeepActivation::Tanh),
            "linear" => Ok(DeepActivation::Linear),
            "gauss" => Ok(DeepActivation::Gauss),
            "gelu" => Ok(DeepActivation::Gelu),
            "silu" | "swish" => Ok(DeepActivation::Silu),
            "softplus" => Ok(DeepActivation::Softplus),
            "sigmoid" => Ok(DeepActivation::Sigmoid),
            "sin" => Ok(DeepActivation::Sin),
            _ => Err(TheoryError::OutOfRange { field: "network", value: name.to_string(), allowed: ALLOWED_NAMES }),
        }
    }

    /// The activation's number in a block seed (the depth study's, through nnqft-study's
    /// `EnsembleKey::seed`): a fixed constant per activation (erf 0, relu 1, tanh 2, linear 3,
    /// gauss 4, gelu 5, silu 6, softplus 7, sigmoid 8, sin 9), not the variant's position, so
    /// that reordering or adding variants changes no seed.
    pub const fn seed_code(self) -> u64 {
        match self {
            DeepActivation::Erf => 0,
            DeepActivation::Relu => 1,
            DeepActivation::Tanh => 2,
            DeepActivation::Linear => 3,
            DeepActivation::Gauss => 4,
            DeepActivation::Gelu => 5,
            DeepActivation::Silu => 6,
            DeepActivation::Softplus => 7,
            DeepActivation::Sigmoid => 8,
            DeepActivation::Sin => 9,
        }
    }

    /// The deep defaults `(C_W, C_b)`: relu `(2, 0)` (criticality; Roberts, Yaida, Hanin, "The
    /// Principles of Deep Learning Theory", 2022, ch. 5), every
    /// other activation `(1, 0)`. For the critical point of any activation see
    /// [`crate::critical_point`] and [`crate::DeepNetwork::at_criticality`].
    pub fn deep_priors(self) -> (f64, f64) {
        match self {
            DeepActivation::Relu => (2.0, 0.0),
            _ => (1.0, 0.0),
        }
    }

    /// The default priors `(C_W, C_b)` of a network of this activation with `depth` hidden
    /// layers, the one rule every front door follows: a paper network (erf, relu, gauss) with one
    /// hidden layer keeps the paper's priors (`σ_w = 1`, its `σ_b`), any other network takes
    /// [`Self::deep_priors`].
    pub fn default_priors(self, depth: usize) -> (f64, f64) {
        let paper = match self {
            DeepActivation::Erf => Some(crate::Activation::Erf),
            DeepActivation::Relu => Some(crate::Activation::Relu),
            DeepActivation::Gauss => Some(crate::Activation::Gauss),
            _ => None,
        };
        match paper {
            Some(a) if depth == 1 => (1.0, a.paper_sigma_b().powi(2)),
            _ => self.deep_priors(),
        }
    }

    /// `φ(z)` for the activations that do not depend on the input (`None` for Gauss-net).
    #[inline]
    pub fn phi(self, z: f64) -> Option<f64> {
        match self {
            DeepActivation::Erf => Some(crate::erf::erf(z)),
            DeepActivation::Relu => Some(z.max(0.0)),
            DeepActivation::Tanh => Some(z.tanh()),
            DeepActivation::Linear => Some(z),
            DeepActivation::Gauss => None,
            DeepActivation::Gelu => Some(z * normal_cdf(z)),
            DeepActivation::Silu => Some(z * sigmoid(z)),
            DeepActivation::Softplus => Some(z.max(0.0) + (-z.abs()).exp().ln_1p()),
            DeepActivation::Sigmoid => Some(sigmoid(z)),
            DeepActivation::Sin => Some(z.sin()),
        }
    }

    /// `(φ'(z), φ''(z))` for the smooth activations (`None` for relu, whose `φ''` is a delta
    /// function, and Gauss-net). The table in the type's docs has the formulas.
    #[inline]
    pub fn derivatives(self, z: f64) -> Option<(f64, f64)> {
        match self {
            DeepActivation::Erf => {
                let d1 = 2.0 / PI.sqrt() * (-z * z).exp();
                Some((d1, -2.0 * z * d1))
            }
            DeepActivation::Tanh => {
                let t = z.tanh();
                Some((1.0 - t.powi(2), -2.0 * t * (1.0 - t * t)))
            }
            DeepActivation::Linear => Some((1.0, 0.0)),
            DeepActivation::Gelu => {
                let pdf = normal_pdf(z);
                Some((normal_cdf(z) + z * pdf, (2.0 - z * z) * pdf))
            }
            DeepActivation::Silu => {
                let (s, c) = sigmoid_pair(z);
                Some((s + z * s * c, s * c * (2.0 + z * (c - s))))
            }
            DeepActivation::Softplus => {
                let (s, c) = sigmoid_pair(z);
                Some((s, s * c))
            }
            DeepActivation::Sigmoid => {
                let (s, c) = sigmoid_pair(z);
                Some((s * c, s * c * (c - s)))
            }
            DeepActivation::Sin => Some((z.cos(), -z.sin())),
            DeepActivation::Relu | DeepActivation::Gauss => None,
        }
    }

    /// `φ'''(z)` for the smooth activations (`None` for relu and Gauss-net, as
    /// [`Self::derivatives`]): the derivative of the table's `φ''`. With `s` the logistic
    /// sigmoid, `g = s (1 − s)` and `ϕ` the standard normal density:
    ///
    /// | activation | `φ'''(z)` |
    /// |------------|-----------|
    /// | erf | `(4z² − 2) φ'(z)` |
    /// | tanh | `−2 φ'² + 4 φ² φ'` |
    /// | linear | `0` |
    /// | gelu | `(z³ − 4z) ϕ(z)` |
    /// | silu | `g [(1 − 2s)(2 + z (1 − 2s)) + (1 − 2s) − 2 z g]` |
    /// | softplus | `g (1 − 2s)` |
    /// | sigmoid | `g (1 − 2s)² − 2 g²` |
    /// | sin | `−cos z` |
    pub fn third_derivative(self, z: f64) -> Option<f64> {
        let (d1, _) = self.derivatives(z)?;
        let (s, c) = sigmoid_pair(z);
        let g = s * c;
        Some(match self {
            DeepActivation::Erf => (4.0 * z * z - 2.0) * d1,
            DeepActivation::Tanh => {
                let t = z.tanh();
                -2.0 * d1 * d1 + 4.0 * t * t * d1
            }
            DeepActivation::Linear => 0.0,
            DeepActivation::Gelu => (z * z * z - 4.0 * z) * normal_pdf(z),
            DeepActivation::Silu => g * ((c - s) * (2.0 + z * (c - s)) + (c - s) - 2.0 * z * g),
            DeepActivation::Softplus => g * (c - s),
            DeepActivation::Sigmoid => g * (c - s) * (c - s) - 2.0 * g * g,
            DeepActivation::Sin => -z.cos(),
            DeepActivation::Relu | DeepActivation::Gauss => return None,
        })
    }

    /// Whether [`Self::derivatives`] has `φ'` and `φ''` (every activation but relu and Gauss-net).
    #[inline]
    pub(crate) fn is_smooth(self) -> bool {
        self.derivatives(0.0).is_some()
    }

    /// `½ (φ²)''(z) = φ'(z)² + φ(z) φ''(z)`, the integrand of `d⟨φ(z)²⟩_K / dK` by Price's
    /// theorem (`None` where [`Self::derivatives`] is).
    #[inline]
    pub(crate) fn half_square_curvature(self, z: f64) -> Option<f64> {
        if self == DeepActivation::Tanh {
            // tanh's own arrangement of the same formula (its numbers predate the others)
            let t = z.tanh();
            let d1 = 1.0 - t * t;
            return Some(d1 * d1 - 2.0 * t * t * d1);
        }
        let (d1, d2) = self.derivatives(z)?;
        Some(d1 * d1 + self.phi(z)? * d2)
    }

    /// The Taylor coefficients `(σ₀, σ₁, σ₂, σ₃) = (φ(0), φ'(0), φ''(0), φ'''(0))` of the smooth
    /// activations (Roberts, Yaida, Hanin 2022, §5.3, write `σ_p` for them); `None` for relu and
    /// Gauss-net. From the table in the type's docs (`s(0) = 1/2`, `s' = s(1 − s)`,
    /// `ϕ(0) = 1/√(2π)`):
    ///
    /// | | σ₀ | σ₁ | σ₂ | σ₃ |
    /// |-|----|----|----|----|
    /// | erf | 0 | 2/√π | 0 | −4/√π |
    /// | tanh | 0 | 1 | 0 | −2 |
    /// | linear | 0 | 1 | 0 | 0 |
    /// | gelu | 0 | 1/2 | 2/√(2π) | 0 |
    /// | silu | 0 | 1/2 | 1/2 | 0 |
    /// | softplus | log 2 | 1/2 | 1/4 | 0 |
    /// | sigmoid | 1/2 | 1/4 | 0 | −1/8 |
    /// | sin | 0 | 1 | 0 | −1 |
    pub fn taylor_at_zero(self) -> Option<[f64; 4]> {
        let root_pi = PI.sqrt();
        let root_two_pi = (2.0 * PI).sqrt();
        match self {
            DeepActivation::Erf => Some([0.0, 2.0 / root_pi, 0.0, -4.0 / root_pi]),
            DeepActivation::Tanh => Some([0.0, 1.0, 0.0, -2.0]),
            DeepActivation::Linear => Some([0.0, 1.0, 0.0, 0.0]),
            DeepActivation::Gelu => Some([0.0, 0.5, 2.0 / root_two_pi, 0.0]),
            DeepActivation::Silu => Some([0.0, 0.5, 0.5, 0.0]),
            DeepActivation::Softplus => Some([std::f64::consts::LN_2, 0.5, 0.25, 0.0]),
            DeepActivation::Sigmoid => Some([0.5, 0.25, 0.0, -0.125]),
            DeepActivation::Sin => Some([0.0, 1.0, 0.0, -1.0]),
            DeepActivation::Relu | DeepActivation::Gauss => None,
        }
    }
}

/// The paper's three activations as deep ones. The Cos-net has no deep counterpart (its
/// phase is uniform, not a Gaussian bias): [`TheoryError::Unsupported`] naming it.
impl TryFrom<Activation> for DeepActivation {
    type Error = TheoryError;
    fn try_from(a: Activation) -> Result<Self> {
        match a {
            Activation::Erf => Ok(DeepActivation::Erf),
            Activation::Relu => Ok(DeepActivation::Relu),
            Activation::Gauss => Ok(DeepActivation::Gauss),
            Activation::Cos => Err(TheoryError::Unsupported(
                "the Cos-net as a deep network: its hidden bias is a uniform phase, not the N(0, C_b) of a \
                 deep layer (allowed: erf, relu, gauss)"
                    .into(),
            )),
        }
    }
}

/// GELU's `(φ, φ', φ'')` at `z` from one `Φ(z)` and one `ϕ(z)`: the same bits as
/// [`DeepActivation::phi`] and [`DeepActivation::derivatives`], for integrands that need several.
#[inline]
pub(crate) fn gelu_with_derivatives(z: f64) -> (f64, f64, f64) {
    let (cdf, pdf) = (normal_cdf(z), normal_pdf(z));
    (z * cdf, cdf + z * pdf, (2.0 - z * z) * pdf)
}

/// The standard normal density `ϕ(z)`.
#[inline]
fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * PI).sqrt()
}

/// The logistic sigmoid through `e^(−|z|)` (no overflow at any `z`).
#[inline]
fn sigmoid(z: f64) -> f64 {
    sigmoid_pair(z).0
}

/// `(s(z), 1 − s(z))`, each without cancellation.
#[inline]
fn sigmoid_pair(z: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    let (big, small) = (1.0 / (1.0 + e), e / (1.0 + e));
    if z >= 0.0 { (big, small) } else { (small, big) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences of `φ''` with step `1e-5`: truncation `O(h²) φ⁽⁵⁾` ~ 1e-10,
    /// rounding ~ 1e-16 / 1e-5 ~ 1e-11.
    const THIRD_DERIVATIVE: f64 = 1e-8;

    #[test]
    fn third_derivatives_are_those_of_the_second() {
        let h = 1e-5;
        // every activation allowed at any depth but relu, whose `φ''` is not a function
        for act in DeepActivation::ANY_DEPTH.into_iter().filter(|a| *a != DeepActivation::Relu) {
            for z in [-3.1, -1.2, -0.3, 0.0, 0.4, 1.7, 2.9] {
                let second = |t: f64| act.derivatives(t).unwrap().1;
                let want = (second(z + h) - second(z - h)) / (2.0 * h);
                let got = act.third_derivative(z).unwrap();
                assert!((got - want).abs() <= THIRD_DERIVATIVE, "{act:?} at {z}: {got} vs {want}");
            }
        }
        assert!(DeepActivation::Relu.third_derivative(0.5).is_none());
        assert!(DeepActivation::Gauss.third_derivative(0.5).is_none());
    }

    /// Every activation's seed code, pinned: changing one changes the depth study's seeds.
    #[test]
    fn seed_codes_are_pinned() {
        let pinned = [
            (DeepActivation::Erf, 0),
            (DeepActivation::Relu, 1),
            (DeepActivation::Tanh, 2),
            (DeepActivation::Linear, 3),
            (DeepActivation::Gauss, 4),
            (DeepActivation::Gelu, 5),
            (DeepActivation::Silu, 6),
            (DeepActivation::Softplus, 7),
            (DeepActivation::Sigmoid, 8),
            (DeepActivation::Sin, 9),
        ];
        assert_eq!(pinned.len(), DeepActivation::ANY_DEPTH.len() + 1, "every activation (ANY_DEPTH and gauss)");
        for (act, code) in pinned {
            assert_eq!(act.seed_code(), code, "{}", act.name());
        }
    }

    /// Central differences of `φ` and `φ'` against the closed-form derivatives.
    const DERIVATIVE_TOLERANCE: f64 = 1e-7;

    #[test]
    fn derivatives_and_taylor_coefficients_match_finite_differences() {
        let h = 1e-5;
        for a in DeepActivation::ANY_DEPTH {
            let Some(t) = a.taylor_at_zero() else { continue };
            for z in [-7.0, -2.5, -0.3, 0.0, 0.4, 1.7, 6.0] {
                let phi = |z: f64| a.phi(z).unwrap();
                let d = |z: f64| a.derivatives(z).unwrap();
                let (d1, d2) = d(z);
                let fd1 = (phi(z + h) - phi(z - h)) / (2.0 * h);
                let fd2 = (d(z + h).0 - d(z - h).0) / (2.0 * h);
                assert!((d1 - fd1).abs() < DERIVATIVE_TOLERANCE, "{a:?} z={z}: φ' {d1} vs {fd1}");
                assert!((d2 - fd2).abs() < DERIVATIVE_TOLERANCE, "{a:?} z={z}: φ'' {d2} vs {fd2}");
                let hs = a.half_square_curvature(z).unwrap();
                assert!((hs - (d1 * d1 + phi(z) * d2)).abs() < 1e-14, "{a:?} z={z}");
            }
            let d3 = (a.derivatives(h).unwrap().1 - a.derivatives(-h).unwrap().1) / (2.0 * h);
            let at0 = [a.phi(0.0).unwrap(), a.derivatives(0.0).unwrap().0, a.derivatives(0.0).unwrap().1, d3];
            for (k, (x, y)) in t.iter().zip(at0).enumerate() {
                assert!((x - y).abs() < DERIVATIVE_TOLERANCE, "{a:?} σ_{k}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn values_are_finite_and_stable_far_out() {
        for a in DeepActivation::ANY_DEPTH {
            for z in [-1e300, -800.0, -40.0, 40.0, 800.0, 1e300] {
                let v = a.phi(z).unwrap();
                assert!(!v.is_nan(), "{a:?}({z}) = {v}");
            }
        }
        // softplus and sigmoid keep their relative accuracy in the tails
        let sp = DeepActivation::Softplus.phi(-40.0).unwrap();
        assert!((sp / (-40.0f64).exp() - 1.0).abs() < 1e-15, "{sp}");
        assert!((DeepActivation::Softplus.phi(40.0).unwrap() - 40.0).abs() < 1e-14);
        let s = DeepActivation::Sigmoid.phi(-40.0).unwrap();
        assert!((s / (-40.0f64).exp() - 1.0).abs() < 1e-14, "{s}");
        // GELU at z = -10: z Φ(z) with Φ(-10) = 7.62e-24
        let g = DeepActivation::Gelu.phi(-10.0).unwrap();
        assert!((g / (-10.0 * 7.619853024160527e-24) - 1.0).abs() < 1e-12, "{g}");
    }

    #[test]
    fn every_name_parses_back_and_an_unknown_one_lists_them_all() {
        for a in DeepActivation::ANY_DEPTH.into_iter().chain([DeepActivation::Gauss]) {
            assert_eq!(DeepActivation::parse(a.name()).unwrap(), a);
            assert_eq!(DeepActivation::parse(&a.name().to_uppercase()).unwrap(), a);
            assert!(ALLOWED_NAMES.contains(a.name()), "{}", a.name());
        }
        assert_eq!(DeepActivation::parse("swish").unwrap(), DeepActivation::Silu);
        let msg = DeepActivation::parse("mish").unwrap_err().to_string();
        assert!(msg.contains("mish") && msg.contains(ALLOWED_NAMES), "{msg}");
    }
}
