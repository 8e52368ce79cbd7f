//! The infinite-width kernel recursion of a deep network over an input set.

use crate::deep_network::DeepNetwork;
use crate::error::Result;
use crate::gaussian::{Act, ActivationFn, moment};
use crate::input_set::InputSet;

/// The kernels `K¹, ..., Kᴸ⁺¹` of a deep network on an input set, with the pair expectations
/// `⟨φ_a φ_b⟩_Kˡ` they were built from.
///
/// The infinite-width kernel recursion of a deep network (beyond the paper; Neal 1996, Lee et
/// al. 2018, Matthews et al. 2018):
///
/// ```text
/// K¹(x, x') = C_b + C_W x·x' / d,
/// Kˡ⁺¹(x, x') = C_b + C_W ⟨φ(z_x) φ(z_x')⟩_Kˡ,   (z_x, z_x') ~ N(0, Kˡ restricted to the pair),
/// ```
///
/// over every pair of points of an input set, `l = 1, ..., L`; `Kᴸ⁺¹` is the kernel of the
/// output (the GP limit of `E[f_i(x) f_j(x')] = δ_ij K(x, x')`). The pair expectations are
/// closed forms for erf, relu, linear, sin and (first layer) Gauss-net, 2-D Gaussian
/// quadrature with an error estimate for tanh, gelu, silu, softplus, sigmoid and for an
/// activation given as a function
/// ([`crate::ActivationFn`] has the formulas). At `L = 1` the recursion is the one-layer GP
/// kernel of the paper's section 2 ([`crate::kernel_matrix`]).
#[derive(Debug, Clone)]
pub struct KernelRecursion {
    m: usize,
    /// `K¹ ... Kᴸ⁺¹`, each row-major `m x m`.
    kernels: Vec<Vec<f64>>,
    /// `⟨φ_a φ_b⟩_Kˡ` for `l = 1..L`, row-major `m x m`.
    pub(crate) pair_means: Vec<Vec<f64>>,
    quadrature_error: f64,
}

impl KernelRecursion {
    /// The recursion for `net` on `inputs` (their input dimensions must agree).
    pub fn new(net: &DeepNetwork, inputs: &InputSet) -> Result<Self> {
        Self::build(net, inputs, Act::Known(net.activation()))
    }

    /// The recursion with the activation `phi` in place of the network's, by quadrature.
    pub fn with_function(net: &DeepNetwork, inputs: &InputSet, phi: ActivationFn<'_>) -> Result<Self> {
        Self::build(net, inputs, Act::Function(phi))
    }

    pub(crate) fn build(net: &DeepNetwork, inputs: &InputSet, act: Act<'_>) -> Result<Self> {
        inputs.check_dimension(net.d_in())?;
        let m = inputs.len();
        let first: Vec<f64> =
            inputs.points().flat_map(|x| inputs.points().map(move |y| net.first_layer_cov(x, y))).collect();
        let mut kernels = vec![first];
        let mut pair_means = Vec::with_capacity(net.depth());
        let mut quadrature_error = 0.0f64;
        for _ in 0..net.depth() {
            let k = kernels.last().map_or(&[][..], Vec::as_slice);
            let mut means = vec![0.0; m * m];
            for a in 0..m {
                for b in a..m {
                    let e = moment(act, k, m, &[a, b]);
                    quadrature_error = quadrature_error.max(e.error);
                    means[a * m + b] = e.value;
                    means[b * m + a] = e.value;
                }
            }
            kernels.push(means.iter().map(|v| net.c_b() + net.c_w() * v).collect());
            pair_means.push(means);
        }
        Ok(Self { m, kernels, pair_means, quadrature_error })
    }

    /// The recursion up to depth `depth <= L` (the first layers of this one).
    pub fn truncated(&self, depth: usize) -> Self {
        let depth = depth.min(self.depth());
        Self {
            m: self.m,
            kernels: self.kernels[..=depth].to_vec(),
            pair_means: self.pair_means[..depth].to_vec(),
            quadrature_error: self.quadrature_error,
        }
    }

    /// The number of input points `m`.
    pub fn points(&self) -> usize {
        self.m
    }
    /// The depth `L`.
    pub fn depth(&self) -> usize {
        self.kernels.len() - 1
    }
    /// `Kˡ` for `l = 1, ..., L + 1`, row-major `m x m` (`K¹` is the first pre-activation's).
    pub fn layer(&self, l: usize) -> &[f64] {
        &self.kernels[l - 1]
    }
    /// The output kernel `K = Kᴸ⁺¹`, row-major `m x m`.
    pub fn output(&self) -> &[f64] {
        &self.kernels[self.kernels.len() - 1]
    }
    /// The largest estimated absolute error of a quadrature used (0 when all are closed forms).
    pub fn quadrature_error(&self) -> f64 {
        self.quadrature_error
    }
}
