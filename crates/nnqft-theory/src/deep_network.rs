//! Deep networks (beyond the paper, which has one hidden layer): hidden widths, activation,
//! input and output dimensions and the priors, validated.

use crate::deep_activation::DeepActivation;
use crate::error::{Result, TheoryError};
use crate::network::Network;

/// A validated deep network family: activation, hidden widths, `d`, `d_out`, `C_W`, `C_b`. The widths are part of it: unlike the
/// one-layer kernel, the deep finite-width corrections depend on every width.
///
/// Deep networks with several outputs (beyond the paper, which has one hidden layer): hidden widths `n_1, ..., n_L`, an
/// activation, the input dimension `d = n_0`, the output dimension `d_out` and the priors
/// `C_W = sigma_w^2`, `C_b = sigma_b^2`:
///
/// ```text
/// z¹ = b¹ + W¹ x,   zˡ⁺¹ = bˡ⁺¹ + Wˡ⁺¹ φ(zˡ),   f = zᴸ⁺¹ (d_out rows),
/// Wˡ entries ~ N(0, C_W / n_(l-1)),   bˡ entries ~ N(0, C_b).
/// ```
///
/// At `L = 1`, `d_out = 1` this is the paper's one-layer network (section 2) with `sigma_w² = C_W`,
/// `sigma_b² = C_b` ([`DeepNetwork::from_network`]).
///
/// The deep activations are their own enum, [`DeepActivation`], rather than two more variants
/// of [`crate::Activation`]: `Activation` is matched exhaustively by the paper's protocols (Table 5
/// settings, figure colours, estimator choices), none of which is defined for tanh or linear
/// nets, and every such match would have had to grow an arm that cannot be reached.
/// [`DeepActivation::try_from`] maps the three paper activations onto it (the Cos-net has no
/// deep counterpart).
#[derive(Debug, Clone, PartialEq)]
pub struct DeepNetwork {
    activation: DeepActivation,
    d_in: usize,
    widths: Vec<usize>,
    d_out: usize,
    c_w: f64,
    c_b: f64,
}

fn finite_non_negative(field: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(TheoryError::OutOfRange { field, value: format!("{value}"), allowed: "finite and >= 0" })
    }
}

/// Checks the hidden widths of a shallower network read off a layer recursion built at
/// `depth` layers (the `at_widths` of the vertices, the kernel shift and the NTK tensors):
/// `1 <= widths.len() <= depth`, or an error naming `widths`.
pub(crate) fn check_shallower(widths: &[usize], depth: usize) -> Result<()> {
    if widths.is_empty() || widths.len() > depth {
        return Err(TheoryError::OutOfRange {
            field: "widths",
            value: format!("{} layers", widths.len()),
            allowed: "between 1 and as many hidden widths as the depth the recursion was built at",
        });
    }
    Ok(())
}

impl DeepNetwork {
    /// Validates a deep network with input dimension 1 and one output (change them with
    /// [`Self::with_d_in`], [`Self::with_d_out`]).
    ///
    /// Errors: `widths` empty (depth 0) or holding a 0; Gauss-net with more than one hidden
    /// layer; `c_w`, `c_b` negative or not finite.
    pub fn new(activation: DeepActivation, widths: &[usize], c_w: f64, c_b: f64) -> Result<Self> {
        if widths.is_empty() {
            return Err(TheoryError::OutOfRange {
                field: "depth",
                value: "0".into(),
                allowed: "at least one hidden layer (widths n_1..n_L, L >= 1)",
            });
        }
        if let Some(pos) = widths.iter().position(|&n| n == 0) {
            return Err(TheoryError::OutOfRange {
                field: "width",
                value: format!("0 (layer {})", pos + 1),
                allowed: "every hidden width an integer >= 1",
            });
        }
        if activation == DeepActivation::Gauss && widths.len() > 1 {
            return Err(TheoryError::OutOfRange {
                field: "depth",
                value: widths.len().to_string(),
                allowed: "1 for Gauss-net (its normalisation is defined for the first layer only)",
            });
        }
        finite_non_negative("c_w", c_w)?;
        finite_non_negative("c_b", c_b)?;
        Ok(Self { activation, d_in: 1, widths: widths.to_vec(), d_out: 1, c_w, c_b })
    }

    /// [`Self::new`] with the deep defaults of [`DeepActivation::deep_priors`].
    pub fn with_deep_priors(activation: DeepActivation, widths: &[usize]) -> Result<Self> {
        let (c_w, c_b) = activation.deep_priors();
        Self::new(activation, widths, c_w, c_b)
    }

    /// [`Self::new`] at the critical point of the activation ([`crate::critical_point`]:
    /// `C_W`, `C_b` at which both susceptibilities are one). Errors: the activation has no
    /// critical point ([`TheoryError::NoCriticalPoint`]: sigmoid, softplus, Gauss-net), and
    /// those of [`Self::new`].
    pub fn at_criticality(activation: DeepActivation, widths: &[usize]) -> Result<Self> {
        let critical = crate::criticality::critical_point(activation)?;
        Self::new(activation, widths, critical.c_w(), critical.c_b())
    }

    /// The paper's one-layer network (section 2) at width `width`: `C_W = sigma_w²`,
    /// `C_b = sigma_b²`, `d_out = 1`. The Cos-net is refused ([`DeepActivation::try_from`]).
    pub fn from_network(net: &Network, width: usize) -> Result<Self> {
        Self::new(net.activation().try_into()?, &[width], net.sigma_w() * net.sigma_w(), net.sigma_b() * net.sigma_b())?
            .with_d_in(net.d_in())
    }

    /// Sets the input dimension `d >= 1`.
    pub fn with_d_in(mut self, d_in: usize) -> Result<Self> {
        if d_in == 0 {
            return Err(TheoryError::OutOfRange { field: "d_in", value: "0".into(), allowed: "an integer >= 1" });
        }
        self.d_in = d_in;
        Ok(self)
    }

    /// Sets the output dimension `d_out >= 1`.
    pub fn with_d_out(mut self, d_out: usize) -> Result<Self> {
        if d_out == 0 {
            return Err(TheoryError::OutOfRange { field: "d_out", value: "0".into(), allowed: "an integer >= 1" });
        }
        self.d_out = d_out;
        Ok(self)
    }

    /// The same family at other hidden widths (same depth rules as [`Self::new`]).
    pub fn with_widths(&self, widths: &[usize]) -> Result<Self> {
        Ok(Self { d_in: self.d_in, d_out: self.d_out, ..Self::new(self.activation, widths, self.c_w, self.c_b)? })
    }

    /// The activation.
    pub fn activation(&self) -> DeepActivation {
        self.activation
    }
    /// The input dimension `d = n_0`.
    pub fn d_in(&self) -> usize {
        self.d_in
    }
    /// The hidden widths `n_1, ..., n_L`.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }
    /// The depth `L` (number of hidden layers).
    pub fn depth(&self) -> usize {
        self.widths.len()
    }
    /// The output dimension `d_out`.
    pub fn d_out(&self) -> usize {
        self.d_out
    }
    /// `C_W = sigma_w²`.
    pub fn c_w(&self) -> f64 {
        self.c_w
    }
    /// `C_b = sigma_b²`.
    pub fn c_b(&self) -> f64 {
        self.c_b
    }

    /// The first-layer covariance `K¹(x, x') = C_b + C_W x·x' / d`.
    pub fn first_layer_cov(&self, x: &[f64], y: &[f64]) -> f64 {
        let dot: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
        self.c_b + self.c_w * dot / self.d_in as f64
    }
}
