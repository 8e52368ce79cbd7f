//! The exact neural tangent kernel of sampled deep networks with explicit weights
//! ([`DeepWeights`]), and ensembles of them ([`NtkEnsemble`]): the mean of the per-network NTK
//! and of `G2` over nets, with standard errors over experiments.

use crate::deep_ensemble::{apply_activation, dot};
use crate::ensemble::{CHUNK_NETS, neumaier};
use crate::error::{Result, SamplingError, check_positive};
use crate::monitor::{Monitor, map_items};
use crate::normal::Normals;
use crate::ntk_moments::MomentSums;
use crate::seed;
use nnqft_theory::machinery::with_simd;
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};
use std::f64::consts::FRAC_2_SQRT_PI;

/// Largest number of `(output, point)` pairs `m d_out` of an ensemble.
const MAX_PAIRS: usize = 255;

/// Largest number of `(output, point)` pairs `m d_out` of an ensemble that measures the NTK's
/// fluctuations ([`NtkEnsemble::with_fluctuations`]: `P⁴` sums of products per work item).
pub const NTK_FLUCTUATION_MAX_PAIRS: usize = 16;

/// The flat layout of a deep network's parameters: layer `l = 1, ..., L + 1` holds `Wˡ`
/// (`n_l x n_(l−1)`, row-major) and then `bˡ` (`n_l`), layer after layer.
#[derive(Debug, Clone, PartialEq)]
struct Layout {
    /// `n_0 = d, n_1, ..., n_L, n_(L+1) = d_out`.
    sizes: Vec<usize>,
    /// Start of `Wˡ` at index `l − 1`.
    offsets: Vec<usize>,
    /// Number of parameters.
    len: usize,
}

impl Layout {
    fn new(net: &DeepNetwork) -> Self {
        let mut sizes = vec![net.d_in()];
        sizes.extend_from_slice(net.widths());
        sizes.push(net.d_out());
        let mut offsets = Vec::with_capacity(sizes.len() - 1);
        let mut len = 0usize;
        for l in 1..sizes.len() {
            offsets.push(len);
            len += sizes[l] * sizes[l - 1] + sizes[l];
        }
        Self { sizes, offsets, len }
    }

    /// `L + 1`, the layers with parameters.
    fn layers(&self) -> usize {
        self.sizes.len() - 1
    }

    #[inline(always)]
    fn weights<'a>(&self, params: &'a [f64], l: usize) -> &'a [f64] {
        let o = self.offsets[l - 1];
        &params[o..o + self.sizes[l] * self.sizes[l - 1]]
    }

    #[inline(always)]
    fn biases<'a>(&self, params: &'a [f64], l: usize) -> &'a [f64] {
        let o = self.offsets[l - 1] + self.sizes[l] * self.sizes[l - 1];
        &params[o..o + self.sizes[l]]
    }

    /// Draws every parameter from its prior into `params`: one block of standard normals in
    /// layout order, `Wˡ` scaled by `√(C_W / n_(l−1))`, `bˡ` by `√C_b`.
    #[inline(always)]
    fn draw<G: Normals>(&self, c_w: f64, c_b: f64, rng: &mut G, params: &mut [f64]) {
        rng.fill_slice(params);
        let sb = c_b.sqrt();
        for l in 1..=self.layers() {
            let (n, n_prev, o) = (self.sizes[l], self.sizes[l - 1], self.offsets[l - 1]);
            let sw = (c_w / n_prev as f64).sqrt();
            params[o..o + n * n_prev].iter_mut().for_each(|w| *w *= sw);
            params[o + n * n_prev..o + n * n_prev + n].iter_mut().for_each(|b| *b *= sb);
        }
    }
}

/// The buffers of one per-network NTK evaluation on `m` fixed inputs, sized once.
struct TangentScratch {
    m: usize,
    /// `(output, point)` pairs `P = m d_out`.
    pairs: usize,
    /// `σˡ_a` for `l = 0, ..., L` (`σ⁰_a = x_a`) at `act_offsets[l] + a n_l`.
    act: Vec<f64>,
    /// `φ'(zˡ_a)` for `l = 1, ..., L`, same layout as `act` (layer 0 unused).
    slope: Vec<f64>,
    act_offsets: Vec<usize>,
    /// `δˡ_p = ∂f_i(x_a)/∂zˡ` for `l = 1, ..., L`, pair `p = i m + a`, at `delta_offsets[l] + p n_l`.
    delta: Vec<f64>,
    delta_offsets: Vec<usize>,
    /// One point's pre-activations.
    z: Vec<f64>,
    /// `Aˡ_ab = λ_b + (λ_W / n_(l−1)) σˡ⁻¹_a · σˡ⁻¹_b`, `m x m`.
    gram: Vec<f64>,
    /// `K¹(x_a, x_a)` (Gauss-net's normalisation).
    self_cov: Vec<f64>,
}

impl TangentScratch {
    fn new(net: &DeepNetwork, layout: &Layout, inputs: &InputSet) -> Self {
        let (m, depth) = (inputs.len(), net.depth());
        let pairs = m * net.d_out();
        let mut act_offsets = Vec::with_capacity(depth + 1);
        let mut total = 0;
        for l in 0..=depth {
            act_offsets.push(total);
            total += m * layout.sizes[l];
        }
        let mut delta_offsets = vec![0; depth + 1];
        let mut deltas = 0;
        for (l, offset) in delta_offsets.iter_mut().enumerate().skip(1) {
            *offset = deltas;
            deltas += pairs * layout.sizes[l];
        }
        let mut act = vec![0.0; total];
        for (a, x) in inputs.points().enumerate() {
            act[a * layout.sizes[0]..(a + 1) * layout.sizes[0]].copy_from_slice(x);
        }
        let n_max = layout.sizes.iter().copied().max().unwrap_or(1);
        Self {
            m,
            pairs,
            act,
            slope: vec![0.0; total],
            act_offsets,
            delta: vec![0.0; deltas],
            delta_offsets,
            z: vec![0.0; n_max],
            gram: vec![0.0; m * m],
            self_cov: inputs.points().map(|x| net.first_layer_cov(x, x)).collect(),
        }
    }

    /// Doubles in the buffers (for the memory estimate).
    fn size(net: &DeepNetwork, inputs: &InputSet) -> u64 {
        let (m, pairs) = (inputs.len() as u64, (inputs.len() * net.d_out()) as u64);
        let hidden: u64 = net.widths().iter().map(|&n| n as u64).sum();
        let widest = net.widths().iter().copied().max().unwrap_or(1).max(net.d_in()) as u64;
        2 * m * (hidden + net.d_in() as u64) + pairs * hidden + widest + m * m + m
    }

    /// The forward pass of the net `params` on every input: `σˡ`, `φ'(zˡ)` for the hidden
    /// layers and the outputs `f[i m + a] = f_i(x_a)`.
    #[inline(always)]
    fn forward(&mut self, act: DeepActivation, layout: &Layout, params: &[f64], f: &mut [f64]) {
        let (m, depth) = (self.m, layout.layers() - 1);
        for l in 1..=depth {
            let (n, n_prev) = (layout.sizes[l], layout.sizes[l - 1]);
            let (w, b) = (layout.weights(params, l), layout.biases(params, l));
            let (below, here) = self.act.split_at_mut(self.act_offsets[l]);
            let below = &below[self.act_offsets[l - 1]..];
            let slope = &mut self.slope[self.act_offsets[l]..];
            for a in 0..m {
                let x = &below[a * n_prev..(a + 1) * n_prev];
                let z = &mut self.z[..n];
                for (j, z) in z.iter_mut().enumerate() {
                    *z = b[j] + dot(&w[j * n_prev..(j + 1) * n_prev], x);
                }
                let p = &mut here[a * n..(a + 1) * n];
                apply_activation(act, z, p, self.self_cov[a]);
                apply_slope(act, z, p, &mut slope[a * n..(a + 1) * n]);
            }
        }
        let (n_out, n_last) = (layout.sizes[depth + 1], layout.sizes[depth]);
        let (w, b) = (layout.weights(params, depth + 1), layout.biases(params, depth + 1));
        let last = &self.act[self.act_offsets[depth]..];
        for a in 0..m {
            for i in 0..n_out {
                f[i * m + a] = b[i] + dot(&w[i * n_last..(i + 1) * n_last], &last[a * n_last..(a + 1) * n_last]);
            }
        }
    }

    /// The backward deltas `δˡ_p = ∂f_i(x_a)/∂zˡ` of every pair `p = i m + a`:
    /// `δᴸ_p,k = Wᴸ⁺¹_ik φ'(zᴸ_a,k)`, `δˡ_p = ((Wˡ⁺¹)ᵀ δˡ⁺¹_p) ⊙ φ'(zˡ_a)`.
    #[inline(always)]
    fn backward(&mut self, layout: &Layout, params: &[f64]) {
        let (m, depth) = (self.m, layout.layers() - 1);
        let n_last = layout.sizes[depth];
        let w = layout.weights(params, depth + 1);
        let slope = &self.slope[self.act_offsets[depth]..];
        let top = &mut self.delta[self.delta_offsets[depth]..];
        for p in 0..self.pairs {
            let (i, a) = (p / m, p % m);
            let d = &mut top[p * n_last..(p + 1) * n_last];
            let (row, s) = (&w[i * n_last..(i + 1) * n_last], &slope[a * n_last..(a + 1) * n_last]);
            d.iter_mut().zip(row.iter().zip(s)).for_each(|(d, (w, s))| *d = w * s);
        }
        for l in (1..depth).rev() {
            let (n, n_next) = (layout.sizes[l], layout.sizes[l + 1]);
            let w = layout.weights(params, l + 1);
            let (here, above) = self.delta.split_at_mut(self.delta_offsets[l + 1]);
            let here = &mut here[self.delta_offsets[l]..];
            let slope = &self.slope[self.act_offsets[l]..];
            for p in 0..self.pairs {
                let a = p % m;
                let d = &mut here[p * n..(p + 1) * n];
                d.iter_mut().for_each(|v| *v = 0.0);
                for (j, &c) in above[p * n_next..(p + 1) * n_next].iter().enumerate() {
                    d.iter_mut().zip(&w[j * n..(j + 1) * n]).for_each(|(d, w)| *d += c * w);
                }
                d.iter_mut().zip(&slope[a * n..(a + 1) * n]).for_each(|(d, s)| *d *= s);
            }
        }
    }

    /// The per-network NTK `Θ_pq` (row-major `P x P`) of the net whose forward and backward
    /// passes are in the buffers: `Σ_l Aˡ_(a(p) a(q)) Bˡ_pq` with `Bˡ_pq = δˡ_p · δˡ_q` (`δ_ij` at
    /// the readout).
    #[inline(always)]
    fn tangent(&mut self, layout: &Layout, lambda_w: f64, lambda_b: f64, theta: &mut [f64]) {
        let (m, pairs, depth) = (self.m, self.pairs, layout.layers() - 1);
        theta.iter_mut().for_each(|t| *t = 0.0);
        for l in 1..=depth + 1 {
            let n_prev = layout.sizes[l - 1];
            let below = &self.act[self.act_offsets[l - 1]..];
            let scale = lambda_w / n_prev as f64;
            for a in 0..m {
                for b in 0..=a {
                    let v = lambda_b
                        + scale * dot(&below[a * n_prev..(a + 1) * n_prev], &below[b * n_prev..(b + 1) * n_prev]);
                    self.gram[a * m + b] = v;
                    self.gram[b * m + a] = v;
                }
            }
            if l == depth + 1 {
                for p in 0..pairs {
                    for q in p..pairs {
                        if p / m == q / m {
                            theta[p * pairs + q] += self.gram[(p % m) * m + q % m];
                        }
                    }
                }
            } else {
                let n = layout.sizes[l];
                let delta = &self.delta[self.delta_offsets[l]..];
                for p in 0..pairs {
                    for q in p..pairs {
                        let overlap = dot(&delta[p * n..(p + 1) * n], &delta[q * n..(q + 1) * n]);
                        theta[p * pairs + q] += self.gram[(p % m) * m + q % m] * overlap;
                    }
                }
            }
        }
        for p in 0..pairs {
            for q in 0..p {
                theta[p * pairs + q] = theta[q * pairs + p];
            }
        }
    }
}

/// `out = φ'(z)` over one point's neurons, given `p = φ(z)`: relu `1(z > 0)` (so `φ'(0) = 0`),
/// erf `(2/√π) e^(−z²)`, tanh `1 − p²`, linear 1, Gauss-net `p`, the rest
/// [`DeepActivation::derivatives`].
#[inline(always)]
fn apply_slope(act: DeepActivation, z: &[f64], p: &[f64], out: &mut [f64]) {
    match act {
        DeepActivation::Relu => out.iter_mut().zip(z).for_each(|(d, z)| *d = if *z > 0.0 { 1.0 } else { 0.0 }),
        DeepActivation::Erf => out.iter_mut().zip(z).for_each(|(d, z)| *d = FRAC_2_SQRT_PI * (-z * z).exp()),
        DeepActivation::Tanh => out.iter_mut().zip(p).for_each(|(d, p)| *d = 1.0 - p * p),
        DeepActivation::Linear => out.iter_mut().for_each(|d| *d = 1.0),
        DeepActivation::Gauss => out.copy_from_slice(p),
        _ => out.iter_mut().zip(z).for_each(|(d, z)| *d = act.derivatives(*z).map_or(f64::NAN, |v| v.0)),
    }
}

/// Checks that `lambda_w`, `lambda_b` are finite and `>= 0`.
fn check_learning_rates(lambda_w: f64, lambda_b: f64) -> Result<()> {
    for (field, value) in [("lambda_w", lambda_w), ("lambda_b", lambda_b)] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(SamplingError::OutOfRange { field, value: format!("{value}"), allowed: "finite and >= 0" });
        }
    }
    Ok(())
}

/// One deep network with explicit weights and biases, and its exact (empirical) neural tangent
/// kernel.
///
/// The network is that of [`DeepNetwork`]: `z¹ = b¹ + W¹ x`, `zˡ⁺¹ = bˡ⁺¹ + Wˡ⁺¹ φ(zˡ)`,
/// `f = zᴸ⁺¹`, with `Wˡ` an `n_l x n_(l−1)` matrix and `n_0 = d`, `n_(L+1) = d_out`. Its NTK with
/// learning-rate factors `λ_W` (weights of layer `l` scaled by `1/n_(l−1)`) and `λ_b` is
///
/// ```text
/// Θ_ij(x_a, x_b) = Σ_(l=1..L+1) [ λ_b Σ_k ∂f_i,a/∂bˡ_k ∂f_j,b/∂bˡ_k
///                               + (λ_W / n_(l−1)) Σ_(k,q) ∂f_i,a/∂Wˡ_kq ∂f_j,b/∂Wˡ_kq ].
/// ```
///
/// **Computation** (never forming the parameter vector's gradient): with the backward deltas
/// `δˡ_(a,i) = ∂f_i(x_a)/∂zˡ` (`δᴸ⁺¹_(a,i) = e_i`, `δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ φ'(zˡ_a)`) and
/// `σˡ_a = φ(zˡ_a)` (`σ⁰_a = x_a`), `∂f_i,a/∂Wˡ_kq = δˡ_(a,i),k σˡ⁻¹_a,q` and
/// `∂f_i,a/∂bˡ_k = δˡ_(a,i),k`, so layer `l` contributes
///
/// ```text
/// [λ_b + (λ_W / n_(l−1)) σˡ⁻¹_a · σˡ⁻¹_b] × (δˡ_(a,i) · δˡ_(b,j)),
/// ```
///
/// one forward pass, one backward pass per `(output, point)` pair and dot products: per net
/// `O(m L n²)` for the passes plus `O((m d_out)² L n)` for the products. `φ'(0) = 0` for relu.
///
/// ```
/// use nnqft_sampling::DeepWeights;
/// use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};
/// // one linear layer of width 1, one output: f = b² + W² (b¹ + W¹ x)
/// let net = DeepNetwork::new(DeepActivation::Linear, &[1], 1.0, 1.0)?;
/// let weights = DeepWeights::from_layers(&net, &[vec![2.0], vec![3.0]], &[vec![0.5], vec![-1.0]])?;
/// let x = InputSet::new("one", &[vec![1.0]])?;
/// assert_eq!(weights.outputs(&x)?, vec![-1.0 + 3.0 * (0.5 + 2.0)]);
/// // Θ = λ_b (W²)² + λ_W x² (W²)² + λ_b + λ_W (z¹)² = 9 + 9 + 1 + 6.25
/// let theta = weights.tangent_kernel(&x, 1.0, 1.0)?;
/// assert!((theta[0] - 25.25).abs() < 1e-12);
/// # Ok::<(), nnqft_sampling::SamplingError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DeepWeights {
    net: DeepNetwork,
    layout: Layout,
    params: Vec<f64>,
}

impl DeepWeights {
    /// Draws every parameter from its prior, `Wˡ_kq ~ N(0, C_W / n_(l−1))`, `bˡ_k ~ N(0, C_b)`,
    /// from `rng`: one block of standard normals, layer `l = 1, ..., L + 1` after layer, `Wˡ`
    /// row by row and then `bˡ` (the order of [`NtkEnsemble`]'s draws).
    pub fn draw<G: Normals>(net: &DeepNetwork, rng: &mut G) -> Self {
        let layout = Layout::new(net);
        let mut params = vec![0.0; layout.len];
        layout.draw(net.c_w(), net.c_b(), rng, &mut params);
        Self { net: net.clone(), layout, params }
    }

    /// The network with the given parameters: `weights[l − 1]` is `Wˡ` row-major
    /// (`n_l x n_(l−1)` values), `biases[l − 1]` is `bˡ` (`n_l` values), `l = 1, ..., L + 1`.
    /// Errors: a wrong number of layers or of values in a layer, a value not finite.
    pub fn from_layers(net: &DeepNetwork, weights: &[Vec<f64>], biases: &[Vec<f64>]) -> Result<Self> {
        let layout = Layout::new(net);
        let layers = layout.layers();
        for (field, given) in [("weights", weights.len()), ("biases", biases.len())] {
            if given != layers {
                return Err(SamplingError::OutOfRange {
                    field,
                    value: format!("{given} layers"),
                    allowed: "one per layer with parameters, L + 1 (the hidden layers and the readout)",
                });
            }
        }
        let mut params = Vec::with_capacity(layout.len);
        for l in 1..=layers {
            let (n, n_prev) = (layout.sizes[l], layout.sizes[l - 1]);
            for (field, values, expected, allowed) in [
                ("weights", &weights[l - 1], n * n_prev, "n_l x n_(l-1) finite values in layer l"),
                ("biases", &biases[l - 1], n, "n_l finite values in layer l"),
            ] {
                if values.len() != expected || values.iter().any(|v| !v.is_finite()) {
                    return Err(SamplingError::OutOfRange {
                        field,
                        value: format!("{} values in layer {l} (expected {expected}, all finite)", values.len()),
                        allowed,
                    });
                }
                params.extend_from_slice(values);
            }
        }
        Ok(Self { net: net.clone(), layout, params })
    }

    /// The network family.
    pub fn network(&self) -> &DeepNetwork {
        &self.net
    }
    /// `Wˡ` row-major (`n_l x n_(l−1)`), `l = 1, ..., L + 1` (`None` out of range).
    pub fn weights(&self, l: usize) -> Option<&[f64]> {
        (1..=self.layout.layers()).contains(&l).then(|| self.layout.weights(&self.params, l))
    }
    /// `bˡ`, `l = 1, ..., L + 1` (`None` out of range).
    pub fn biases(&self, l: usize) -> Option<&[f64]> {
        (1..=self.layout.layers()).contains(&l).then(|| self.layout.biases(&self.params, l))
    }

    /// The outputs `f_i(x_a)` at position `i m + a`. Errors: the inputs' dimension is not `d`.
    pub fn outputs(&self, inputs: &InputSet) -> Result<Vec<f64>> {
        inputs.check_dimension(self.net.d_in())?;
        let mut scratch = TangentScratch::new(&self.net, &self.layout, inputs);
        let mut f = vec![0.0; scratch.pairs];
        scratch.forward(self.net.activation(), &self.layout, &self.params, &mut f);
        Ok(f)
    }

    /// The NTK `Θ_ij(x_a, x_b)` (type docs) at row `i m + a`, column `j m + b` of a row-major
    /// `m d_out x m d_out` matrix. Errors: the inputs' dimension is not `d`; `lambda_w`,
    /// `lambda_b` negative or not finite.
    pub fn tangent_kernel(&self, inputs: &InputSet, lambda_w: f64, lambda_b: f64) -> Result<Vec<f64>> {
        inputs.check_dimension(self.net.d_in())?;
        check_learning_rates(lambda_w, lambda_b)?;
        let mut scratch = TangentScratch::new(&self.net, &self.layout, inputs);
        let pairs = scratch.pairs;
        let (mut f, mut theta) = (vec![0.0; pairs], vec![0.0; pairs * pairs]);
        scratch.forward(self.net.activation(), &self.layout, &self.params, &mut f);
        scratch.backward(&self.layout, &self.params);
        scratch.tangent(&self.layout, lambda_w, lambda_b, &mut theta);
        Ok(theta)
    }
}

/// A mean over experiments with its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// The mean over experiments of the per-experiment means.
    pub mean: f64,
    /// The standard error of that mean, `s / √E` with `s` the sample standard deviation of the
    /// `E` per-experiment means (NaN for one experiment).
    pub stderr: f64,
}

/// A validated ensemble of deep networks with explicit weights and their per-network neural
/// tangent kernels: `experiments` independent experiments of `nets` networks each.
///
/// Each net is drawn weight by weight from the priors of [`DeepNetwork`] ([`DeepWeights::draw`];
/// unlike [`crate::DeepEnsemble`], which draws each layer from its conditional Gaussian law, the
/// NTK needs the weights themselves), and its exact NTK ([`DeepWeights`] has the formula and the
/// layer-by-layer computation) and outputs are evaluated on the input set. Per experiment the
/// run reports the means over its nets of
///
/// ```text
/// Θ_ij(x_a, x_b)   and   G2_ij(x_a, x_b) = f_i(x_a) f_j(x_b),
/// ```
///
/// over every pair of `(output, point)` pairs, and [`NtkEnsembleResult`] their mean and
/// standard error over experiments. At infinite width `E[Θ_ij] → δ_ij Θ` and
/// `E[G2_ij] = δ_ij K` (the NTK and kernel recursions of the theory crate,
/// `nnqft_theory::NeuralTangentKernel`), with `O(1/n)` corrections at finite width.
///
/// ```
/// use nnqft_sampling::NtkEnsemble;
/// use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, NeuralTangentKernel};
/// let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[20, 20])?;
/// let xs = InputSet::new("two", &[vec![0.5], vec![1.0]])?;
/// let result = NtkEnsemble::new(net.clone(), xs.clone(), 2000, 4, 7)?.run(2)?;
/// let theta = result.ntk(1, 1, 0, 0).unwrap(); // Θ(x_1, x_1), mean and standard error
/// let infinite = NeuralTangentKernel::new(&net, &xs)?.output()[3];
/// assert!((theta.mean - infinite).abs() < 6.0 * theta.stderr);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Seeding, work items and the merge are those of [`crate::Ensemble`]: work item
/// `(experiment, chunk)` of 4096 nets draws from its own generator
/// ([`crate::seed::lanes`]), each item sums its nets' values by plain additions over batches of
/// 32 nets and Neumaier's compensated sum of the batches (within `36 u Σ|terms|` of the exact
/// sum, `u = 2⁻⁵³`; the accumulator's docs derive the bound), and the items of an experiment are
/// merged in chunk order, so the numbers do not depend on the thread count. Every buffer is sized once per work item: nothing is allocated per net.
#[derive(Debug, Clone)]
pub struct NtkEnsemble {
    net: DeepNetwork,
    inputs: InputSet,
    nets: u64,
    experiments: usize,
    seed: u64,
    lambda_w: f64,
    lambda_b: f64,
    fluctuations: bool,
}

/// Per-experiment means of the per-network NTK and of `G2` over the `(output, point)` pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct NtkEnsembleResult {
    /// Number of input points `m`.
    pub points: usize,
    /// Output dimension `d_out`.
    pub d_out: usize,
    /// Number of experiments.
    pub experiments: usize,
    /// Nets per experiment.
    pub nets: u64,
    /// Per experiment, the mean over its nets of `Θ_pq`: `experiments x P x P`,
    /// experiment-major, `P = m d_out`, pair `p` being output `p / m` at point `p % m`.
    pub ntk: Vec<f64>,
    /// The same for `G2_pq = f_p f_q`.
    pub g2: Vec<f64>,
    /// With [`NtkEnsemble::with_fluctuations`] (else empty): per experiment, the mean over its
    /// nets of `Θ_pq Θ_rs`, `experiments x P⁴`, index `((p P + q) P + r) P + s`.
    pub ntk_ntk: Vec<f64>,
    /// The same for `Θ_pq f_r f_s`.
    pub ntk_g2: Vec<f64>,
}

impl NtkEnsembleResult {
    /// `P = m d_out`.
    pub fn pairs(&self) -> usize {
        self.points * self.d_out
    }

    /// The `P x P` means of `Θ` of experiment `e`.
    pub fn ntk_experiment(&self, e: usize) -> &[f64] {
        let len = self.pairs() * self.pairs();
        &self.ntk[e * len..(e + 1) * len]
    }

    /// The `P x P` means of `G2` of experiment `e`.
    pub fn g2_experiment(&self, e: usize) -> &[f64] {
        let len = self.pairs() * self.pairs();
        &self.g2[e * len..(e + 1) * len]
    }

    /// `E[Θ_ij(x_a, x_b)]` over experiments with its standard error (`None` out of range).
    pub fn ntk(&self, a: usize, b: usize, i: usize, j: usize) -> Option<Measured> {
        self.summary(&self.ntk, a, b, i, j)
    }

    /// `E[f_i(x_a) f_j(x_b)]` over experiments with its standard error (`None` out of range).
    pub fn g2(&self, a: usize, b: usize, i: usize, j: usize) -> Option<Measured> {
        self.summary(&self.g2, a, b, i, j)
    }

    /// The covariance `Cov(Θ_i1i2(x_a, x_b), Θ_i3i4(x_c, x_d))` over nets for `outputs =
    /// [i1, i2, i3, i4]` and `points = [a, b, c, d]`: each experiment's unbiased estimate
    /// `(N / (N − 1)) (mean of Θ Θ − mean of Θ × mean of Θ)`, their mean over experiments and its
    /// standard error (`None` out of range or without [`NtkEnsemble::with_fluctuations`]). Its
    /// leading order is `nnqft_theory::NtkFluctuations::ntk_covariance` (`A`, `B`).
    pub fn ntk_covariance(&self, outputs: [usize; 4], points: [usize; 4]) -> Option<Measured> {
        self.covariance(&self.ntk_ntk, &self.ntk, outputs, points)
    }

    /// The covariance `Cov(Θ_i1i2(x_a, x_b), f_i3(x_c) f_i4(x_d))` over nets, estimated as
    /// [`Self::ntk_covariance`]: at the population level it is `E[ΔΘ_i1i2,ab f_i3,c f_i4,d]`,
    /// whose leading order is `nnqft_theory::NtkFluctuations::ntk_preactivation` (`D`, `F`).
    pub fn ntk_preactivation(&self, outputs: [usize; 4], points: [usize; 4]) -> Option<Measured> {
        self.covariance(&self.ntk_g2, &self.g2, outputs, points)
    }

    fn covariance(
        &self,
        products: &[f64],
        second: &[f64],
        outputs: [usize; 4],
        points: [usize; 4],
    ) -> Option<Measured> {
        let (m, pairs) = (self.points, self.pairs());
        if products.is_empty() || points.iter().any(|&a| a >= m) || outputs.iter().any(|&i| i >= self.d_out) {
            return None;
        }
        let [p, q, r, s] = [0, 1, 2, 3].map(|k| outputs[k] * m + points[k]);
        let (square, quartic) = (pairs * pairs, pairs * pairs * pairs * pairs);
        let n = self.nets as f64;
        let per: Vec<f64> = (0..self.experiments)
            .map(|e| {
                let joint = products[e * quartic + ((p * pairs + q) * pairs + r) * pairs + s];
                let (x, y) = (self.ntk[e * square + p * pairs + q], second[e * square + r * pairs + s]);
                n / (n - 1.0) * (joint - x * y)
            })
            .collect();
        Some(mean_and_stderr(&per))
    }

    fn summary(&self, values: &[f64], a: usize, b: usize, i: usize, j: usize) -> Option<Measured> {
        let (m, pairs) = (self.points, self.pairs());
        if a >= m || b >= m || i >= self.d_out || j >= self.d_out {
            return None;
        }
        let pos = (i * m + a) * pairs + j * m + b;
        let per: Vec<f64> = (0..self.experiments).map(|e| values[e * pairs * pairs + pos]).collect();
        Some(mean_and_stderr(&per))
    }
}

/// The mean of per-experiment values and its standard error (NaN for one experiment).
fn mean_and_stderr(per: &[f64]) -> Measured {
    let e = per.len() as f64;
    let mean = per.iter().sum::<f64>() / e;
    let var = per.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (e - 1.0);
    Measured { mean, stderr: if per.len() > 1 { (var / e).sqrt() } else { f64::NAN } }
}

impl NtkEnsemble {
    /// Validates an ensemble with the NTK parameterisation's learning rates `λ_W = C_W`,
    /// `λ_b = C_b` (change them with [`Self::with_learning_rates`]): `nets >= 1`,
    /// `experiments >= 1`, inputs in the network's input dimension, `m d_out <= 255`
    /// (output, point) pairs, priors and inputs whose correlators stay finite ([`crate::scale`]).
    pub fn new(net: DeepNetwork, inputs: InputSet, nets: u64, experiments: usize, seed: u64) -> Result<Self> {
        check_positive("nets", nets, "an integer >= 1 (nets per experiment)")?;
        check_positive("experiments", experiments as u64, "an integer >= 1")?;
        crate::scale::check_deep_network(&net, &inputs)?;
        let pairs = inputs.len().saturating_mul(net.d_out());
        if pairs > MAX_PAIRS {
            return Err(SamplingError::OutOfRange {
                field: "input points x d_out",
                value: pairs.to_string(),
                allowed: "1 to 255",
            });
        }
        let (lambda_w, lambda_b) = (net.c_w(), net.c_b());
        Ok(Self { net, inputs, nets, experiments, seed, lambda_w, lambda_b, fluctuations: false })
    }

    /// The same ensemble measuring the NTK's fluctuations too: the means of `Θ_pq Θ_rs` and
    /// `Θ_pq f_r f_s` over every quadruple of `(output, point)` pairs
    /// ([`NtkEnsembleResult::ntk_covariance`], [`NtkEnsembleResult::ntk_preactivation`]), for at
    /// least 2 nets per experiment and at most [`NTK_FLUCTUATION_MAX_PAIRS`] pairs `m d_out`. The
    /// means of `Θ` and `G2` stay the same, bit for bit.
    pub fn with_fluctuations(self) -> Result<Self> {
        if self.nets < 2 {
            return Err(SamplingError::OutOfRange {
                field: "nets",
                value: self.nets.to_string(),
                allowed: "an integer >= 2 (nets per experiment, to measure the NTK's fluctuations)",
            });
        }
        let pairs = self.inputs.len() * self.net.d_out();
        if pairs > NTK_FLUCTUATION_MAX_PAIRS {
            return Err(SamplingError::OutOfRange {
                field: "input points x d_out",
                value: pairs.to_string(),
                allowed: "1 to 16 (to measure the NTK's fluctuations)",
            });
        }
        Ok(Self { fluctuations: true, ..self })
    }

    /// Whether the ensemble measures the NTK's fluctuations ([`Self::with_fluctuations`]).
    pub fn fluctuations(&self) -> bool {
        self.fluctuations
    }

    /// The same ensemble with learning-rate factors `lambda_w` (weights of layer `l` scaled by
    /// `1/n_(l−1)`) and `lambda_b`, each finite and `>= 0`.
    pub fn with_learning_rates(self, lambda_w: f64, lambda_b: f64) -> Result<Self> {
        check_learning_rates(lambda_w, lambda_b)?;
        Ok(Self { lambda_w, lambda_b, ..self })
    }

    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        &self.net
    }
    /// The input set.
    pub fn inputs(&self) -> &InputSet {
        &self.inputs
    }
    /// Nets per experiment.
    pub fn nets(&self) -> u64 {
        self.nets
    }
    /// Experiments.
    pub fn experiments(&self) -> usize {
        self.experiments
    }
    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// `λ_W`.
    pub fn lambda_w(&self) -> f64 {
        self.lambda_w
    }
    /// `λ_b`.
    pub fn lambda_b(&self) -> f64 {
        self.lambda_b
    }
    /// Chunks per experiment: `ceil(nets / CHUNK_NETS)`.
    pub fn chunks(&self) -> u64 {
        self.nets.div_ceil(CHUNK_NETS)
    }

    /// Bytes a run on `threads` threads needs, about: every work item's sums and the means
    /// (`2 P²` values each, `P = m d_out`), and per thread the parameters of one net, the
    /// forward and backward buffers and the running sums.
    pub fn memory_estimate(&self, threads: usize) -> u64 {
        let pairs = (self.inputs.len() * self.net.d_out()) as u64;
        let square = pairs.saturating_mul(pairs);
        let square = if self.fluctuations { square.saturating_add(square.saturating_mul(square)) } else { square };
        let items = (self.experiments as u64).saturating_mul(self.chunks());
        let sums = square.saturating_mul(2 * 8).saturating_mul(items.saturating_add(self.experiments as u64));
        // the running sums, the batch's, the compensations and their totals; one net's Θ, f and
        // canonical values
        let running = MomentSums::len(pairs as usize, self.fluctuations) as u64;
        let per_thread = (Layout::new(&self.net).len as u64)
            .saturating_add(TangentScratch::size(&self.net, &self.inputs))
            .saturating_add(running.saturating_mul(4))
            .saturating_add(pairs.saturating_mul(2 * pairs + 2))
            .saturating_mul(8);
        sums.saturating_add(per_thread.saturating_mul(threads as u64))
    }

    /// Refuses a run on `threads` threads whose [`Self::memory_estimate`] exceeds
    /// [`crate::memory::memory_limit`], with the estimate and the limit in the error.
    pub fn check_memory(&self, threads: usize) -> Result<()> {
        crate::deep_ensemble::check_deep_memory(&self.net, &self.inputs, self.memory_estimate(threads), threads)
    }

    /// Runs the ensemble on `threads >= 1` threads (after [`Self::check_memory`]).
    pub fn run(&self, threads: usize) -> Result<NtkEnsembleResult> {
        self.run_with_progress(threads, &())
    }

    /// [`Self::run`] under `monitor` ([`Monitor`]: told the nets of each work item, asked
    /// before each whether to stop). The same numbers, bit for bit.
    pub fn run_with_progress(&self, threads: usize, monitor: &dyn Monitor) -> Result<NtkEnsembleResult> {
        check_positive("threads", threads as u64, "an integer >= 1")?;
        self.check_memory(threads)?;
        let chunks = self.chunks();
        let items: Vec<[Vec<f64>; 4]> = map_items(threads, 0..self.experiments as u64 * chunks, monitor, |i| {
            let c = i % chunks;
            let count = CHUNK_NETS.min(self.nets - c * CHUNK_NETS);
            let sums = with_simd(
                #[inline(always)]
                || self.run_item(i / chunks, c, count),
            );
            (sums, count)
        })?;
        let n = self.nets as f64;
        let [ntk, g2, ntk_ntk, ntk_g2] = [0, 1, 2, 3].map(|o| {
            let len = items.first().map_or(0, |it| it[o].len());
            let mut out = Vec::with_capacity(self.experiments * len);
            for exp_items in items.chunks_exact(chunks as usize) {
                out.extend((0..len).map(|pos| neumaier(exp_items.iter().map(|it| it[o][pos])) / n));
            }
            out
        });
        Ok(NtkEnsembleResult {
            points: self.inputs.len(),
            d_out: self.net.d_out(),
            experiments: self.experiments,
            nets: self.nets,
            ntk,
            g2,
            ntk_ntk,
            ntk_g2,
        })
    }

    /// The sums over the `count` nets of work item `(experiment, chunk)` of `Θ_pq` and
    /// `f_p f_q` and, measuring fluctuations, of `Θ_pq Θ_rs` and `Θ_pq f_r f_s` (else empty),
    /// each within `36 u Σ|terms|` of its exact value ([`MomentSums`]: plain sums over batches of
    /// 32 nets, compensated from batch to batch).
    #[inline(always)]
    fn run_item(&self, experiment: u64, chunk: u64, count: u64) -> [Vec<f64>; 4] {
        let mut rng = seed::lanes(self.seed, experiment, chunk);
        let layout = Layout::new(&self.net);
        let mut scratch = TangentScratch::new(&self.net, &layout, &self.inputs);
        let pairs = scratch.pairs;
        let mut params = vec![0.0; layout.len];
        let (mut f, mut theta) = (vec![0.0; pairs], vec![0.0; pairs * pairs]);
        let mut sums = MomentSums::new(pairs, self.fluctuations);
        let act = self.net.activation();
        for _ in 0..count {
            layout.draw(self.net.c_w(), self.net.c_b(), &mut rng, &mut params);
            scratch.forward(act, &layout, &params, &mut f);
            scratch.backward(&layout, &params);
            scratch.tangent(&layout, self.lambda_w, self.lambda_b, &mut theta);
            sums.push(&theta, &f);
        }
        sums.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_places_every_layer_after_the_previous() {
        let net = DeepNetwork::new(DeepActivation::Tanh, &[3, 4], 1.0, 0.5)
            .unwrap()
            .with_d_in(2)
            .unwrap()
            .with_d_out(2)
            .unwrap();
        let layout = Layout::new(&net);
        assert_eq!(layout.sizes, vec![2, 3, 4, 2]);
        assert_eq!(layout.offsets, vec![0, 9, 25]);
        assert_eq!(layout.len, 9 + 16 + 10);
    }

    /// A sum in double-double arithmetic: `hi + lo` carries about 106 bits, so over `N` terms
    /// it is within `O(N u²) Σ|x|` of the exact sum (Dekker's TwoSum, then a renormalisation).
    #[derive(Clone, Copy, Default)]
    struct DoubleDouble {
        hi: f64,
        lo: f64,
        magnitude: f64,
    }

    impl DoubleDouble {
        fn add(&mut self, x: f64) {
            let s = self.hi + x;
            let v = s - self.hi;
            let e = (self.hi - (s - v)) + (x - v);
            let lo = self.lo + e;
            self.hi = s + lo;
            self.lo = lo - (self.hi - s);
            self.magnitude += x.abs();
        }
    }

    /// A work item's sums (`MomentSums`: canonical pairs only, plain sums over batches of 32 nets,
    /// compensated from batch to batch), position by position over every pair and every
    /// quadruple, against a double-double sum of the same terms of the same nets, drawn one by one
    /// as `DeepWeights`: each within the bound of `MomentSums`' docs, `(B + 4) u Σ|x_k|`. A term
    /// copied to a wrong position, or left out, fails here; the compensation from batch to batch
    /// is tested in `ntk_moments`. Covers a full work item (4096 nets) and a last partial batch.
    #[test]
    fn item_sums_are_within_their_rounding_bound_of_a_double_double_sum_over_every_quadruple() {
        use crate::ntk_moments::MOMENT_BATCH;
        let bound = (MOMENT_BATCH as f64 + 4.0) * f64::EPSILON / 2.0;
        for (act, d_out, lambda_b, count) in
            [(DeepActivation::Tanh, 1, 0.0, 4096), (DeepActivation::Gelu, 2, 0.3, 1000)]
        {
            let net = DeepNetwork::new(act, &[5, 4], 1.2, 0.4).unwrap().with_d_out(d_out).unwrap();
            let xs = InputSet::new("three", &[vec![-0.7], vec![0.2], vec![1.1]]).unwrap();
            let (seed, experiment, chunk) = (11, 1, 2);
            let ensemble = NtkEnsemble::new(net.clone(), xs.clone(), 5 * CHUNK_NETS, 2, seed)
                .unwrap()
                .with_learning_rates(0.9, lambda_b)
                .unwrap()
                .with_fluctuations()
                .unwrap();
            let sums = ensemble.run_item(experiment, chunk, count);
            let pairs = xs.len() * d_out;
            let (square, quartic) = (pairs * pairs, pairs.pow(4));
            let mut want = [square, square, quartic, quartic].map(|len| vec![DoubleDouble::default(); len]);
            let mut rng = seed::lanes(seed, experiment, chunk);
            for _ in 0..count {
                let w = DeepWeights::draw(&net, &mut rng);
                let theta = w.tangent_kernel(&xs, 0.9, lambda_b).unwrap();
                let f = w.outputs(&xs).unwrap();
                for x in 0..square {
                    let g = f[x / pairs] * f[x % pairs];
                    want[0][x].add(theta[x]);
                    want[1][x].add(g);
                    for y in 0..square {
                        want[2][x * square + y].add(theta[x] * theta[y]);
                        want[3][x * square + y].add(theta[x] * (f[y / pairs] * f[y % pairs]));
                    }
                }
            }
            let mut worst = 0.0f64;
            for k in 0..4 {
                assert_eq!(sums[k].len(), want[k].len());
                for (pos, (got, exact)) in sums[k].iter().zip(&want[k]).enumerate() {
                    let error = ((got - exact.hi) - exact.lo).abs();
                    assert!(
                        error <= bound * exact.magnitude,
                        "{act:?}: sum {k} at {pos}: {got} vs {} + {}, error {error:e} > {bound:e} x {}",
                        exact.hi,
                        exact.lo,
                        exact.magnitude
                    );
                    assert!(exact.magnitude > 0.0);
                    worst = worst.max(error / (exact.magnitude * f64::EPSILON / 2.0));
                }
            }
            eprintln!("{act:?}, {count} nets: largest error {worst:.3} u Σ|x| (bound {})", MOMENT_BATCH + 4);
        }
    }
}
