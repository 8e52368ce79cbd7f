//! The paper's one-hidden-layer networks (Erf-, ReLU-, Gauss-net), the Cos-net of its sequel,
//! and their priors, validated.

use crate::error::{Result, TheoryError, at_least, non_negative};

/// The activation of the hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Activation {
    /// `phi(z) = erf(z)`.
    Erf,
    /// `phi(z) = max(z, 0)`.
    Relu,
    /// `phi(z; x) = exp(z - sigma_b^2 - sigma_w^2 |x|^2 / d)`: `exp(z)` divided by
    /// `sqrt(E[exp(2z)])`, evaluated in the log domain.
    Gauss,
    /// The Cos-net of Demirtas, Halverson, Maiti, Schwartz, Stoner, *Neural network field
    /// theories: non-Gaussianity, actions, and locality* (arXiv:2307.03223):
    /// `phi(z) = cos(z)` with the hidden bias uniform on `[-pi, pi]` and no output bias, so
    /// that every neuron's phase is uniform and the kernel is translation invariant
    /// (`K(x, y) = (sigma_w^2 / 2) exp(-sigma_w^2 |x - y|^2 / (2d))`). Its `sigma_b` must be 0
    /// ([`Network::new`]).
    Cos,
}

impl Activation {
    /// The paper's three activations, in report order (the networks `cargo xtask reproduce`
    /// reports on; the Cos-net is not among them).
    pub const ALL: [Activation; 3] = [Activation::Erf, Activation::Relu, Activation::Gauss];

    /// Every one-hidden-layer family: the paper's three, then the Cos-net.
    pub const EVERY: [Activation; 4] = [Activation::Erf, Activation::Relu, Activation::Gauss, Activation::Cos];

    /// Lower-case name used in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Erf => "erf",
            Activation::Relu => "relu",
            Activation::Gauss => "gauss",
            Activation::Cos => "cos",
        }
    }

    /// Parses a lower-case name (`erf`, `relu`, `gauss`, `cos`).
    pub fn parse(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "erf" => Ok(Activation::Erf),
            "relu" => Ok(Activation::Relu),
            "gauss" => Ok(Activation::Gauss),
            "cos" => Ok(Activation::Cos),
            _ => Err(TheoryError::OutOfRange {
                field: "network",
                value: name.to_string(),
                allowed: "one of erf, relu, gauss, cos",
            }),
        }
    }

    /// The paper's default `sigma_b`: 1 for Erf and Gauss, 0 for ReLU and the Cos-net (whose
    /// biases are not Gaussian: it has no `sigma_b`).
    pub fn paper_sigma_b(self) -> f64 {
        match self {
            Activation::Relu | Activation::Cos => 0.0,
            Activation::Erf | Activation::Gauss => 1.0,
        }
    }

    /// Whether the hidden bias is drawn uniform on `[-pi, pi]` (the Cos-net) rather than from
    /// `N(0, sigma_b^2)`.
    pub fn uniform_phase(self) -> bool {
        self == Activation::Cos
    }

    /// The activation's number in a block seed (nnqft-study's `EnsembleKey::seed`): a fixed
    /// constant per activation (erf 0, relu 1, gauss 2, cos 3), not the variant's position, so
    /// that reordering or adding variants changes no seed.
    pub const fn seed_code(self) -> u64 {
        match self {
            Activation::Erf => 0,
            Activation::Relu => 1,
            Activation::Gauss => 2,
            Activation::Cos => 3,
        }
    }
}

impl std::str::FromStr for Activation {
    type Err = TheoryError;
    fn from_str(s: &str) -> Result<Self> {
        Activation::parse(s)
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A single-hidden-layer network family
/// `f(x) = b1 + sum_j v_j phi(w_j . x + b_j; x)` with
/// `w_j ~ N(0, sigma_w^2/d)` per component, `b_j, b1 ~ N(0, sigma_b^2)`, `v_j ~ N(0, sigma_w^2/N)`.
///
/// The width `N` is not part of the family: the GP kernel does not depend on it, and the
/// finite-width corrections take it as an argument.
///
/// The network description shared by every crate: activation, input dimension and the
/// two prior widths `sigma_w`, `sigma_b` (paper section 2):
/// `f(x) = b1 + Σ_j v_j φ(w_j · x + b_j; x)`, `w_j ~ N(0, sigma_w² / d)` per component,
/// `b_j, b1 ~ N(0, sigma_b²)`, `v_j ~ N(0, sigma_w² / N)`.
///
/// The Cos-net ([`Activation::Cos`]) is `f(x) = Σ_j v_j cos(w_j · x + b_j)` with
/// `b_j ~ Uniform[-π, π]`, no output bias, and the same `w_j`, `v_j`; its `sigma_b` is 0.
/// The sequel (arXiv:2307.03223) gives its two weight layers separate prior widths
/// `σ_{W0}`, `σ_{W1}` (its `W0 ~ N(0, σ_{W0}² / d)`, `W1 ~ N(0, σ_{W1}² / N)`); here both
/// are `sigma_w`, as in the first paper's networks. Every correlator of theirs at
/// `σ_{W0} = σ_{W1}` is ours; otherwise `σ_{W0}` sets the length scale and `σ_{W1}^n` the
/// scale of the order-`n` correlators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Network {
    activation: Activation,
    d_in: usize,
    sigma_w: f64,
    sigma_b: f64,
}

impl Network {
    /// Validates and builds a network family. `d_in >= 1`; `sigma_w`, `sigma_b` finite and `>= 0`;
    /// for the Cos-net `sigma_b = 0` (its hidden bias is uniform on `[-pi, pi]` and it has no
    /// output bias, so no `sigma_b` enters it; any other value is refused rather than ignored).
    pub fn new(activation: Activation, d_in: usize, sigma_w: f64, sigma_b: f64) -> Result<Self> {
        at_least("d_in", d_in, 1, "an integer >= 1")?;
        non_negative("sigma_w", sigma_w)?;
        non_negative("sigma_b", sigma_b)?;
        if activation == Activation::Cos && sigma_b != 0.0 {
            return Err(TheoryError::OutOfRange {
                field: "sigma_b",
                value: format!("{sigma_b}"),
                allowed: "0 for the Cos-net (its hidden bias is uniform on [-pi, pi] and it has no output bias)",
            });
        }
        Ok(Self { activation, d_in, sigma_w, sigma_b })
    }

    /// The paper's defaults: `sigma_w = 1`, `sigma_b` from [`Activation::paper_sigma_b`].
    pub fn paper(activation: Activation, d_in: usize) -> Result<Self> {
        Self::new(activation, d_in, 1.0, activation.paper_sigma_b())
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// The input dimension `d`.
    pub fn d_in(&self) -> usize {
        self.d_in
    }
    /// `sigma_w`.
    pub fn sigma_w(&self) -> f64 {
        self.sigma_w
    }
    /// `sigma_b`.
    pub fn sigma_b(&self) -> f64 {
        self.sigma_b
    }

    /// Standard deviation of one component of a hidden weight: `sigma_w / sqrt(d)`.
    pub fn weight_std(&self) -> f64 {
        self.sigma_w / (self.d_in as f64).sqrt()
    }

    /// Pre-activation covariance `S(x, x') = sigma_b^2 + sigma_w^2 (x . x') / d`
    /// of `z = w . x + b` (paper section 2). For the Cos-net (`sigma_b = 0`) it is the
    /// covariance of `w . x` alone, the uniform phase aside.
    pub fn preactivation_cov(&self, x: &[f64], y: &[f64]) -> f64 {
        let dot: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
        self.sigma_b * self.sigma_b + self.sigma_w * self.sigma_w * dot / self.d_in as f64
    }

    /// The activation `phi(z; x)` given the pre-activation `z` and `s_xx = S(x, x)`
    /// (only Gauss-net uses `s_xx`: `phi = exp(z - s_xx)`, computed as one exponential of
    /// the difference so that it never overflows where the result is finite).
    #[inline]
    pub fn phi(&self, z: f64, s_xx: f64) -> f64 {
        match self.activation {
            Activation::Erf => crate::erf::erf(z),
            Activation::Relu => z.max(0.0),
            Activation::Gauss => crate::exp::exp(z - s_xx),
            Activation::Cos => z.cos(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Activation;

    /// Every activation's seed code, pinned: changing one changes the seeds of every study.
    #[test]
    fn seed_codes_are_pinned() {
        let pinned = [(Activation::Erf, 0), (Activation::Relu, 1), (Activation::Gauss, 2), (Activation::Cos, 3)];
        assert_eq!(pinned.len(), Activation::EVERY.len());
        for (act, code) in pinned {
            assert_eq!(act.seed_code(), code, "{}", act.name());
        }
    }
}
