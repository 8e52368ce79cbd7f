//! Ensembles of deep networks, drawn layer by layer from their exact conditional Gaussian laws,
//! and the streaming raw and conditional estimators of their output-indexed `G2`, `G4` and
//! (up to [`DEEP_ORDER_SIX_MAX_PAIRS`] (output, point) pairs) `G6`.

use crate::ensemble::{CHUNK_NETS, Estimator, neumaier};
use crate::error::{Result, SamplingError, check_positive};
use crate::monitor::{Monitor, map_items};
use crate::normal::{LANES, Normals};
use crate::seed;
use nnqft_theory::machinery::{
    BATCH, PARTS, Parts, ProductScratch, ProductTable, erf_lanes, exp_lanes, parts_total, tanh_lanes, with_simd,
};
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, Multisets, WickSums};

/// The most `(output, point)` pairs `m d_out` for which a deep ensemble measures `G6` (by
/// default, and at all): `C(P + 5, 6)` multisets of order 6 over `P` pairs, 12376 at `P = 12`
/// (against 1365 of order 4), each a product (raw) or a 5-term Wick recursion (conditional) per
/// net, and one sum per multiset in every work item. Beyond, `G6` would dominate the run's time
/// and memory (`C(P + 5, 6)` grows as `P⁶ / 720`: 1.6 million at `P = 30`), so only orders 2
/// and 4 are measured.
pub const DEEP_ORDER_SIX_MAX_PAIRS: usize = 12;

/// A residual variance below this fraction of the largest diagonal entry drops its column
/// from the Cholesky factor (the covariance has lower rank).
const RANK_TOLERANCE: f64 = 1e-12;

/// Runs `$body` with `$phi` bound to the network's activation as a function
/// `(z, φ(z), K¹(x, x))` over the slice of one point's neurons, so that the per-neuron loops are
/// monomorphised per activation.
macro_rules! with_deep_activation {
    ($net:expr, $phi:ident => $body:expr) => {
        match $net.activation() {
            DeepActivation::Erf => {
                let $phi = PhiErf;
                $body
            }
            DeepActivation::Relu => {
                let $phi = PhiRelu;
                $body
            }
            DeepActivation::Tanh => {
                let $phi = PhiTanh;
                $body
            }
            DeepActivation::Linear => {
                let $phi = PhiLinear;
                $body
            }
            DeepActivation::Gauss => {
                let $phi = PhiGauss;
                $body
            }
            DeepActivation::Gelu => {
                let $phi = PhiGelu;
                $body
            }
            DeepActivation::Silu => {
                let $phi = PhiSilu;
                $body
            }
            DeepActivation::Softplus => {
                let $phi = PhiSoftplus;
                $body
            }
            DeepActivation::Sigmoid => {
                let $phi = PhiSigmoid;
                $body
            }
            DeepActivation::Sin => {
                let $phi = PhiSin;
                $body
            }
        }
    };
}

/// An activation applied to one point's neurons: `apply(z, φ(z), K¹(x, x))`. A trait with an
/// `#[inline(always)]` method rather than a closure, so that it is compiled inside the AVX2
/// wrapper of `with_simd` (a closure the inliner left out ran with the baseline's two lanes:
/// tanh nets took about twice as long).
trait Phi: Copy {
    fn apply(self, z: &[f64], p: &mut [f64], s: f64);
}

macro_rules! activation {
    ($name:ident, |$z:ident, $p:ident, $s:ident| $body:expr) => {
        #[derive(Clone, Copy)]
        struct $name;
        impl Phi for $name {
            // a closure around a lane function carries `#[inline(always)]` (see `by_lanes`)
            #[allow(clippy::redundant_closure)]
            #[inline(always)]
            fn apply(self, $z: &[f64], $p: &mut [f64], $s: f64) {
                $body
            }
        }
    };
}

activation!(PhiErf, |z, p, _s| by_lanes(
    z,
    p,
    #[inline(always)]
    |l| erf_lanes(l)
));
activation!(PhiRelu, |z, p, _s| p.iter_mut().zip(z).for_each(|(p, z)| *p = z.max(0.0)));
activation!(PhiTanh, |z, p, _s| by_lanes(
    z,
    p,
    #[inline(always)]
    |l| tanh_lanes(l)
));
activation!(PhiLinear, |z, p, _s| p.copy_from_slice(z));
activation!(PhiGauss, |z, p, s| by_lanes(
    z,
    p,
    #[inline(always)]
    |l: &mut [f64; LANES]| {
        l.iter_mut().for_each(|v| *v -= s);
        exp_lanes(l)
    }
));
// gelu, silu, softplus, sigmoid and sin: the theory crate's scalar functions, one neuron at a
// time (see `by_scalar`)
activation!(PhiGelu, |z, p, _s| by_scalar(z, p, DeepActivation::Gelu));
activation!(PhiSilu, |z, p, _s| by_scalar(z, p, DeepActivation::Silu));
activation!(PhiSoftplus, |z, p, _s| by_scalar(z, p, DeepActivation::Softplus));
activation!(PhiSigmoid, |z, p, _s| by_scalar(z, p, DeepActivation::Sigmoid));
activation!(PhiSin, |z, p, _s| by_scalar(z, p, DeepActivation::Sin));

/// `out = φ(z)` for the activation `act` over one point's neurons (`s = K¹(x, x)`, Gauss-net's
/// normalisation): the kernels of [`DeepEnsemble`], dispatched once per call.
#[inline(always)]
pub(crate) fn apply_activation(act: DeepActivation, z: &[f64], out: &mut [f64], s: f64) {
    match act {
        DeepActivation::Erf => PhiErf.apply(z, out, s),
        DeepActivation::Relu => PhiRelu.apply(z, out, s),
        DeepActivation::Tanh => PhiTanh.apply(z, out, s),
        DeepActivation::Linear => PhiLinear.apply(z, out, s),
        DeepActivation::Gauss => PhiGauss.apply(z, out, s),
        DeepActivation::Gelu => PhiGelu.apply(z, out, s),
        DeepActivation::Silu => PhiSilu.apply(z, out, s),
        DeepActivation::Softplus => PhiSoftplus.apply(z, out, s),
        DeepActivation::Sigmoid => PhiSigmoid.apply(z, out, s),
        DeepActivation::Sin => PhiSin.apply(z, out, s),
    }
}

/// `out = φ(z)` with the theory crate's scalar [`DeepActivation::phi`] (the same bits as the
/// kernel and vertex recursions), neuron by neuron: `act` is a constant in each
/// monomorphised caller, so the match inside `phi` folds away, but the calls into libm
/// (`erfc`, `exp`, `log1p`, `sin`) do not vectorise.
#[inline(always)]
fn by_scalar(z: &[f64], out: &mut [f64], act: DeepActivation) {
    out.iter_mut().zip(z).for_each(|(p, z)| *p = act.phi(*z).unwrap_or(f64::NAN));
}

/// `out = f(z)` through a lane function `f` (the theory crate's vectorised activations),
/// eight at a time; a last, partial chunk is padded with zeros. Pass `f` as an
/// `#[inline(always)]` closure: a function item goes through a call shim that the inliner may
/// leave out of the AVX2 + FMA build, where `mul_add` becomes a library call (measured: tanh
/// nets ten times slower). The whole chunks are fixed-size arrays (`as_chunks`), copied in
/// registers: copies of a slice of run-time length were calls to `memmove`, two per eight
/// neurons (12% of a tanh net's time at L = 1, n = 100, by `perf`). Each lane is computed
/// alone, so the chunking changes no bit.
#[inline(always)]
fn by_lanes(z: &[f64], out: &mut [f64], f: impl Fn(&mut [f64; LANES])) {
    let (z_whole, z_rest) = z.as_chunks::<LANES>();
    let (out_whole, out_rest) = out.as_chunks_mut::<LANES>();
    for (zc, oc) in z_whole.iter().zip(out_whole.iter_mut()) {
        let mut t = *zc;
        f(&mut t);
        *oc = t;
    }
    if !z_rest.is_empty() {
        let mut t = [0.0; LANES];
        t[..z_rest.len()].copy_from_slice(z_rest);
        f(&mut t);
        out_rest.copy_from_slice(&t[..out_rest.len()]);
    }
}

/// A validated ensemble of deep networks: `experiments` independent experiments of `nets`
/// networks each.
///
/// Ensembles of deep networks with several outputs (beyond the paper) and the streaming raw and
/// conditional estimators of their output-indexed `G2` and `G4`.
///
/// **Drawing a net layer by layer.** Given every layer up to `l`, the rows
/// `zˡ⁺¹_i = bˡ⁺¹_i + Σ_j Wˡ⁺¹_ij φ(zˡ_j)` (`i = 1..n_(l+1)`) are i.i.d. Gaussian over the
/// input points with covariance `Gˡ⁺¹ = C_b + (C_W / n_l) Φᵀ Φ`, `Φ` the `n_l x m` matrix of
/// activations (`G¹ = K¹ = C_b + C_W x·x'/d` is fixed). So each layer is drawn exactly from this
/// law: `Gˡ⁺¹` as a Gram matrix product, its semi-definite Cholesky factor `L` (columns whose
/// residual variance vanishes are dropped, leaving `r = rank ≤ min(m, n_l + 1)` columns), and
/// `Zˡ⁺¹ = E Lᵀ` with `E` an `n_(l+1) x r` matrix of standard normals. That is the law of the
/// weight-and-bias draw, with `r` normals per neuron instead of `n_l + 1` (6 instead of 101 at
/// `m = 6`, `n = 100`), which is what makes deep ensembles cheap.
///
/// The two matrix products per layer (`m x n_l x m` and `n_(l+1) x r x m`) are written as
/// dot products and `axpy`s over the neurons, point-major, so that they vectorise. A GEMM
/// crate was measured and does not serve here: `matrixmultiply` 0.3 allocates its packing
/// buffer on every call (this crate promises no allocation per net), and at these shapes (one
/// dimension is `m = 6`) its packing costs more than the products: one layer step took 858 ns
/// against 458 ns at `n = 20`, 4141 ns against 2073 ns at `n = 100` (`examples/deep_gemm.rs`,
/// through ndarray's `general_mat_mul`).
///
/// **Estimators**, over the `m d_out` (output, point) pairs, pair `p` being output `p / m` at
/// input `p % m`:
/// - raw: the output rows are drawn from `N(0, Gᴸ⁺¹)` (`d_out x r` normals) and the products of
///   `f` over every multiset of order 2, 4 and 6 are averaged;
/// - conditional: the output is never drawn; `E[f ... f | hidden layers]` is the Wick sum (3
///   pairings at order 4, 15 at order 6) of the covariance `δ_ij Gᴸ⁺¹(x, x')` of the (output,
///   point) pairs.
///
/// **Order 6.** `G6` is measured when the ensemble has at most [`DEEP_ORDER_SIX_MAX_PAIRS`]
/// (output, point) pairs (on by default; [`Self::with_order_six`] turns it off, or refuses it
/// beyond). Orders 2 and 4 are the same bit for bit with or without it: the order-6 tables sum
/// every order by the fused chains that a table to order 4 uses for its highest order
/// (`ProductTable::with_fused_sums`, `WickSums::with_fused_sums`).
///
/// ```
/// use nnqft_sampling::{DeepEnsemble, Estimator};
/// use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};
/// let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[20, 20])?.with_d_out(2)?;
/// let xs = InputSet::new("two", &[vec![-0.5], vec![0.5]])?;
/// let result = DeepEnsemble::new(net, xs, 2000, 4, Estimator::Conditional, 7)?.run(2)?;
/// // E[f_0(x_0) f_0(x_1) f_1(x_1) f_1(x_1)] in experiment 0
/// let pos = result.position(&[0, 0, 1, 1], &[0, 1, 1, 1]).unwrap();
/// let g4 = result.experiment(1, 0)[pos];
/// let r = result.normalised_connected()?; // experiments x multisets of order 4
/// assert!(g4.is_finite() && r.len() == 4 * result.multisets[1].len());
/// // 4 (output, point) pairs: G6 on its C(9, 6) = 84 multisets, and the connected 6-pt function
/// let k6 = result.connected_g6()?.expect("G6 is measured up to 12 pairs");
/// assert!(result.multisets[2].len() == 84 && k6.len() == 4 * 84);
/// # Ok::<(), nnqft_sampling::SamplingError>(())
/// ```
///
/// Seeding, work items and the merge are those of [`crate::Ensemble`]: one generator per
/// `(experiment, chunk)` of 4096 nets ([`crate::seed`]), item sums merged per
/// experiment in chunk order with Neumaier's sum, so the numbers do not depend on the thread
/// count. Every buffer is sized once per work item: nothing is allocated per net.
#[derive(Debug, Clone)]
pub struct DeepEnsemble {
    net: DeepNetwork,
    inputs: InputSet,
    nets: u64,
    experiments: usize,
    estimator: Estimator,
    seed: u64,
    order_six: bool,
}

/// Per-experiment means of `G2`, `G4` and (when measured) `G6` over the multisets of the
/// `m d_out` (output, point) pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepEnsembleResult {
    /// Multisets of order 2, 4 and (when `G6` was measured) 6 over the `m d_out` pairs; pair
    /// `p` is output `p / m` at input point `p % m`. Index `o` is order `2 o + 2`.
    pub multisets: Vec<Multisets>,
    /// Number of input points `m`.
    pub points: usize,
    /// Output dimension `d_out`.
    pub d_out: usize,
    /// Number of experiments.
    pub experiments: usize,
    /// Nets per experiment.
    pub nets: u64,
    /// For each order of `multisets`, `experiments x multisets` means, experiment-major.
    pub means: Vec<Vec<f64>>,
}

impl DeepEnsembleResult {
    /// The means of experiment `e` for order index `o` (0 for `G2`, 1 for `G4`, 2 for `G6`
    /// when measured).
    pub fn experiment(&self, o: usize, e: usize) -> &[f64] {
        let len = self.multisets[o].len();
        &self.means[o][e * len..(e + 1) * len]
    }

    /// The position of the correlator `E[f_(outputs[0])(x_(points[0])) ...]` among the
    /// multisets of its order (2, 4, or 6 when measured), or `None` if out of range.
    pub fn position(&self, outputs: &[usize], points: &[usize]) -> Option<usize> {
        if outputs.len() != points.len() || outputs.iter().any(|&i| i >= self.d_out) {
            return None;
        }
        let o = match outputs.len() {
            2 => 0,
            4 => 1,
            6 => 2,
            _ => return None,
        };
        let pairs: Vec<usize> = outputs.iter().zip(points).map(|(i, a)| i * self.points + a).collect();
        self.multisets.get(o)?.position(&pairs)
    }

    /// Per experiment (experiment-major, over the multisets of order 4): the connected 4-pt
    /// function `G4 − Wick4(G2)` and `Wick4(G2)`, with `G2` the same experiment's measured
    /// 2-pt function as the covariance of the (output, point) pairs (at depth
    /// `L >= 2` it differs from `K` at `O(1/n)`, so the kernel shift stays out of the vertex).
    pub fn connected_g4(&self) -> Result<(Vec<f64>, Vec<f64>)> {
        let p = self.points * self.d_out;
        let wick = WickSums::new(p, 4)?;
        let flat = self.multisets[0].flat_pair_positions();
        let (mut connected, mut gp) =
            (Vec::with_capacity(self.means[1].len()), Vec::with_capacity(self.means[1].len()));
        let mut w = Vec::new();
        for e in 0..self.experiments {
            let g2 = self.experiment(0, e);
            let cov: Vec<f64> = flat.iter().map(|&pos| g2[pos]).collect();
            wick.evaluate_into(&cov, &mut w);
            connected.extend(self.experiment(1, e).iter().zip(&w[1]).map(|(g, w)| g - w));
            gp.extend_from_slice(&w[1]);
        }
        Ok((connected, gp))
    }

    /// The normalised connected 4-pt function per experiment and multiset of
    /// order 4, `r = (G4 − Wick4(G2)) / Wick4(G2)` (experiment-major; NaN where `Wick4(G2)`
    /// vanishes, e.g. an odd number of one output under the conditional estimator).
    pub fn normalised_connected(&self) -> Result<Vec<f64>> {
        let (connected, gp) = self.connected_g4()?;
        Ok(connected.iter().zip(&gp).map(|(c, w)| c / w).collect())
    }

    /// Whether `G6` was measured (the result then has three orders).
    pub fn has_order_six(&self) -> bool {
        self.multisets.len() == 3
    }

    /// Per experiment (experiment-major, over the multisets of order 6): the connected 6-pt
    /// function (the sixth cumulant of a field with vanishing odd moments) from the same
    /// experiment's measured `G2`, `G4`, `G6`,
    ///
    /// ```text
    /// κ6(1..6) = G6(1..6) − Σ_(15 pairs {u, v}) G4(rest) G2(u, v) + 2 Wick6(G2)(1..6),
    /// ```
    ///
    /// the 15 pairs being the ways to split the six (output, point) pairs into a pair and
    /// the other four (Gaussian outputs: `G4 = Wick4`, `G6 = Wick6` and `κ6 = 0`), and
    /// `Wick6(G2)` the 15-pairing Wick sum of the measured `G2`. Equivalently
    /// `G6 − Wick6(G2) − Σ_15 κ4(rest) G2(u, v)` with `κ4 = G4 − Wick4(G2)`. `None` when `G6`
    /// was not measured.
    ///
    /// Plugging means of `N` nets into products of means biases it by `O(1/N)` times their
    /// covariances across nets; for the conditional estimator these are the fluctuations of
    /// the output covariance, `O(1/n)`, so the bias is `O(1/(n N))` against a signal
    /// `O(1/n²)`; the per-net value of the statistic moves only at third order in
    /// `G − K` (the first and second orders cancel), which is why the conditional estimator
    /// resolves `κ6` at small widths.
    pub fn connected_g6(&self) -> Result<Option<Vec<f64>>> {
        if !self.has_order_six() {
            return Ok(None);
        }
        let p = self.points * self.d_out;
        let wick = WickSums::new(p, 6)?;
        let flat = self.multisets[0].flat_pair_positions();
        let splits = self.order_six_splits();
        let len6 = self.multisets[2].len();
        let mut out = Vec::with_capacity(self.experiments * len6);
        let mut w = Vec::new();
        for e in 0..self.experiments {
            let (g2, g4, g6) = (self.experiment(0, e), self.experiment(1, e), self.experiment(2, e));
            let cov: Vec<f64> = flat.iter().map(|&pos| g2[pos]).collect();
            wick.evaluate_into(&cov, &mut w);
            for (pos, split) in splits.chunks_exact(15).enumerate() {
                let products: f64 = split.iter().map(|&(two, four)| g4[four] * g2[two]).sum();
                out.push(g6[pos] - products + 2.0 * w[2][pos]);
            }
        }
        Ok(Some(out))
    }

    /// For every multiset of order 6, its 15 splits into a pair and the other four, as the
    /// positions `(pair among order 2, rest among order 4)`.
    fn order_six_splits(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(15 * self.multisets[2].len());
        for six in self.multisets[2].iter() {
            for u in 0..6 {
                for v in u + 1..6 {
                    let rest: Vec<usize> = (0..6).filter(|&k| k != u && k != v).map(|k| six[k] as usize).collect();
                    let two = self.multisets[0].position(&[six[u] as usize, six[v] as usize]).unwrap_or(0);
                    out.push((two, self.multisets[1].position(&rest).unwrap_or(0)));
                }
            }
        }
        out
    }

    /// The `(output, point)` pairs of multiset `pos` of order index `o`.
    pub fn indices(&self, o: usize, pos: usize) -> Vec<(usize, usize)> {
        self.multisets[o].get(pos).iter().map(|&p| (p as usize / self.points, p as usize % self.points)).collect()
    }
}

/// The tables every work item of a run shares.
struct DeepTables {
    multisets: Vec<Multisets>,
    products: Option<ProductTable>,
    wick: Option<WickSums>,
    /// Cholesky factor of `K¹` (row-major `m x m`) and its nonzero columns.
    first: (Vec<f64>, Vec<usize>),
    /// `K¹(x_a, x_a)` (Gauss-net's normalisation).
    self_cov: Vec<f64>,
}

impl DeepEnsemble {
    /// Validates an ensemble: `nets >= 1`, `experiments >= 1`, inputs in the network's input
    /// dimension, `m d_out <= 255` (output, point) pairs, estimator `raw` or `conditional`, priors
    /// and inputs whose correlators stay finite ([`crate::scale`]). It measures `G6` when
    /// `m d_out <= DEEP_ORDER_SIX_MAX_PAIRS` ([`Self::with_order_six`]).
    pub fn new(
        net: DeepNetwork,
        inputs: InputSet,
        nets: u64,
        experiments: usize,
        estimator: Estimator,
        seed: u64,
    ) -> Result<Self> {
        check_positive("nets", nets, "an integer >= 1 (nets per experiment)")?;
        check_positive("experiments", experiments as u64, "an integer >= 1")?;
        crate::scale::check_deep_network(&net, &inputs)?;
        let pairs = inputs.len().saturating_mul(net.d_out());
        if pairs > 255 {
            return Err(SamplingError::OutOfRange {
                field: "input points x d_out",
                value: pairs.to_string(),
                allowed: "1 to 255",
            });
        }
        if !matches!(estimator, Estimator::Raw | Estimator::Conditional) {
            return Err(SamplingError::OutOfRange {
                field: "estimator",
                value: estimator.name().into(),
                allowed: "raw or conditional for deep networks",
            });
        }
        let order_six = pairs <= DEEP_ORDER_SIX_MAX_PAIRS;
        Ok(Self { net, inputs, nets, experiments, estimator, seed, order_six })
    }

    /// Measures `G6` too (`on`), or orders 2 and 4 only; `G6` needs at most
    /// [`DEEP_ORDER_SIX_MAX_PAIRS`] (output, point) pairs. Orders 2 and 4 are the same bit for
    /// bit either way.
    pub fn with_order_six(mut self, on: bool) -> Result<Self> {
        let pairs = self.inputs.len() * self.net.d_out();
        if on && pairs > DEEP_ORDER_SIX_MAX_PAIRS {
            return Err(SamplingError::OutOfRange {
                field: "input points x d_out",
                value: pairs.to_string(),
                allowed: "1 to 12 for G6 (DEEP_ORDER_SIX_MAX_PAIRS; orders 2 and 4 up to 255)",
            });
        }
        self.order_six = on;
        Ok(self)
    }

    /// Whether the ensemble measures `G6`.
    pub fn measures_order_six(&self) -> bool {
        self.order_six
    }

    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        &self.net
    }
    /// The input set.
    pub fn inputs(&self) -> &InputSet {
        &self.inputs
    }
    /// The estimator.
    pub fn estimator(&self) -> Estimator {
        self.estimator
    }
    /// Nets per experiment.
    pub fn nets(&self) -> u64 {
        self.nets
    }
    /// Experiments.
    pub fn experiments(&self) -> usize {
        self.experiments
    }
    /// The master seed of the ensemble.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Chunks per experiment: `ceil(nets / CHUNK_NETS)`.
    pub fn chunks(&self) -> u64 {
        self.nets.div_ceil(CHUNK_NETS)
    }

    /// Bytes a run on `threads` threads needs, about: every work item's sums and the means
    /// (`(C(P+1, 2) + C(P+3, 4) [+ C(P+5, 6)]) x 8` bytes each, `P = m d_out`, the last with
    /// `G6`), the shared tables, and per thread the layer buffers (`3 m n_max` values) and the
    /// estimator's lanes (`P²` lanes of [`BATCH`] values, and with `G6` the stored orders 2
    /// and 4, `C(P+1, 2) + C(P+3, 4)` lanes).
    pub fn memory_estimate(&self, threads: usize) -> u64 {
        use crate::memory::multiset_count;
        let (m, pairs) = (self.inputs.len() as u64, (self.inputs.len() * self.net.d_out()) as u64);
        let widest = self.net.widths().iter().copied().max().unwrap_or(1) as u64;
        let lower = multiset_count(pairs, 2).saturating_add(multiset_count(pairs, 4));
        let six = if self.order_six { multiset_count(pairs, 6) } else { 0 };
        let sums = lower.saturating_add(six).saturating_mul(8);
        let items = (self.experiments as u64).saturating_mul(self.chunks());
        let stored = if self.order_six { lower } else { multiset_count(pairs, 2) };
        let per_thread = m
            .saturating_mul(widest)
            .saturating_mul(3)
            .saturating_add(pairs.saturating_mul(pairs).saturating_add(stored).saturating_mul(BATCH as u64))
            .saturating_mul(8);
        sums.saturating_mul(items.saturating_add(self.experiments as u64).saturating_add(threads as u64 + 8))
            .saturating_add(per_thread.saturating_mul(threads as u64))
    }

    /// Refuses a run on `threads` threads whose [`Self::memory_estimate`] exceeds
    /// [`crate::memory::memory_limit`], with the estimate and the limit in the error.
    pub fn check_memory(&self, threads: usize) -> Result<()> {
        check_deep_memory(&self.net, &self.inputs, self.memory_estimate(threads), threads)
    }

    /// Runs the ensemble on `threads >= 1` threads (after [`Self::check_memory`]).
    pub fn run(&self, threads: usize) -> Result<DeepEnsembleResult> {
        self.run_with_progress(threads, &())
    }

    /// [`Self::run`] under `monitor` ([`Monitor`]: told the nets of each work item, asked
    /// before each whether to stop). The same numbers, bit for bit.
    pub fn run_with_progress(&self, threads: usize, monitor: &dyn Monitor) -> Result<DeepEnsembleResult> {
        self.check_memory(threads)?;
        let tables = self.tables()?;
        let items = self.map_items(threads, monitor, |e, c, count| {
            with_simd(
                #[inline(always)]
                || with_deep_activation!(self.net, phi => self.run_item_with(e, c, count, &tables, phi)),
            )
        })?;
        let chunks = self.chunks();
        let n = self.nets as f64;
        let means = (0..tables.multisets.len())
            .map(|o| {
                let len = tables.multisets[o].len();
                let mut out = Vec::with_capacity(self.experiments * len);
                for exp_items in items.chunks_exact(chunks as usize) {
                    out.extend((0..len).map(|pos| neumaier(exp_items.iter().map(|it| it[o][pos])) / n));
                }
                out
            })
            .collect();
        Ok(DeepEnsembleResult {
            multisets: tables.multisets,
            points: self.inputs.len(),
            d_out: self.net.d_out(),
            experiments: self.experiments,
            nets: self.nets,
            means,
        })
    }

    fn tables(&self) -> Result<DeepTables> {
        let (m, pairs) = (self.inputs.len(), self.inputs.len() * self.net.d_out());
        let k1: Vec<f64> = self
            .inputs
            .points()
            .flat_map(|x| self.inputs.points().map(move |y| self.net.first_layer_cov(x, y)))
            .collect();
        let mut chol = vec![0.0; m * m];
        let mut cols = Vec::with_capacity(m);
        cholesky_into(&k1, m, &mut chol, &mut cols);
        // with G6: tables to order 6 whose orders 2 and 4 keep the bits of tables to order 4
        let top = if self.order_six { 6 } else { 4 };
        let multisets =
            (2..=top).step_by(2).map(|n| Multisets::new(pairs, n)).collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(DeepTables {
            multisets,
            products: (self.estimator == Estimator::Raw)
                .then(|| ProductTable::new(pairs, top).map(ProductTable::with_fused_sums))
                .transpose()?,
            wick: (self.estimator == Estimator::Conditional)
                .then(|| WickSums::new(pairs, top).map(WickSums::with_fused_sums))
                .transpose()?,
            first: (chol, cols),
            self_cov: (0..m).map(|a| k1[a * m + a]).collect(),
        })
    }

    /// The floor of [`Self::run`]: the same work items and draws (hidden layers and, for the
    /// raw estimator, the outputs) with no correlator work; returns a sum of the outputs' first
    /// entries (or of the output covariance) so that nothing can be skipped.
    pub(crate) fn draw_only(&self, threads: usize) -> Result<f64> {
        self.check_memory(threads)?;
        let tables = self.tables()?;
        let raw = self.estimator == Estimator::Raw;
        let items = self.map_items(threads, &(), |e, c, count| {
            with_simd(
                #[inline(always)]
                || with_deep_activation!(self.net, phi => self.draw_item(e, c, count, &tables, raw, phi)),
            )
        })?;
        Ok(items.iter().sum())
    }

    /// `item(experiment, chunk, nets)` for every work item on `threads >= 1` threads, in
    /// item order (experiment-major), under `monitor`.
    fn map_items<T: Send>(
        &self,
        threads: usize,
        monitor: &dyn Monitor,
        item: impl Fn(u64, u64, u64) -> T + Sync + Send,
    ) -> Result<Vec<T>> {
        let chunks = self.chunks();
        map_items(threads, 0..self.experiments as u64 * chunks, monitor, |i| {
            let c = i % chunks;
            let count = CHUNK_NETS.min(self.nets - c * CHUNK_NETS);
            (item(i / chunks, c, count), count)
        })
    }

    #[inline(always)]
    fn draw_item(&self, experiment: u64, chunk: u64, count: u64, tables: &DeepTables, raw: bool, phi: impl Phi) -> f64 {
        let mut rng = seed::lanes(self.seed, experiment, chunk);
        let m = self.inputs.len();
        let mut layer = LayerScratch::new(m, self.net.widths().iter().copied().max().unwrap_or(1));
        let (mut gram, mut f) = (vec![0.0; m * m], vec![0.0; m * self.net.d_out()]);
        let mut acc = 0.0;
        for _ in 0..count {
            self.hidden_layers(&mut rng, tables, &mut layer, phi);
            layer.output_gram(self.net.c_w(), self.net.c_b(), &mut gram);
            if raw {
                layer.draw_rows(&mut rng, &gram, self.net.d_out(), &mut f);
                acc += f[0];
            } else {
                acc += gram[0];
            }
        }
        acc
    }

    /// One work item with the activation `phi` ([`with_deep_activation`]; monomorphised;
    /// [`Self::run`] builds it for AVX2 where the CPU has it, with the same bits either way: the
    /// products are plain multiplies and adds, which Rust never fuses or reorders).
    #[inline(always)]
    fn run_item_with(
        &self,
        experiment: u64,
        chunk: u64,
        count: u64,
        tables: &DeepTables,
        phi: impl Phi,
    ) -> Vec<Vec<f64>> {
        let mut rng = seed::lanes(self.seed, experiment, chunk);
        let (m, d_out) = (self.inputs.len(), self.net.d_out());
        let pairs = m * d_out;
        let mut sums: Vec<Vec<Parts>> = tables.multisets.iter().map(|ms| vec![[0.0; PARTS]; ms.len()]).collect();
        let mut layer = LayerScratch::new(m, self.net.widths().iter().copied().max().unwrap_or(1));
        let mut gram = vec![0.0; m * m];
        let mut f = vec![0.0; pairs];
        let mut lanes = vec![[0.0; BATCH]; if tables.wick.is_some() { pairs * pairs } else { pairs }];
        let (mut product_scratch, mut wick_scratch) = (ProductScratch::default(), Vec::new());
        let mut done = 0u64;
        while done < count {
            let batch = BATCH.min((count - done) as usize);
            lanes.iter_mut().for_each(|l| *l = [0.0; BATCH]);
            let mut weights = [0.0; BATCH];
            for j in 0..batch {
                self.hidden_layers(&mut rng, tables, &mut layer, phi);
                layer.output_gram(self.net.c_w(), self.net.c_b(), &mut gram);
                match &tables.wick {
                    Some(_) => {
                        // covariance of the (output, point) pairs: δ_ij G(x, x')
                        for i in 0..d_out {
                            for a in 0..m {
                                for b in 0..m {
                                    lanes[(i * m + a) * pairs + i * m + b][j] = gram[a * m + b];
                                }
                            }
                        }
                    }
                    None => {
                        layer.draw_rows(&mut rng, &gram, d_out, &mut f);
                        for (lane, v) in lanes.iter_mut().zip(&f) {
                            lane[j] = *v;
                        }
                        weights[j] = 1.0;
                    }
                }
            }
            match (&tables.wick, &tables.products) {
                (Some(wick), _) => wick.accumulate_batch(&lanes, &mut wick_scratch, &mut sums, None),
                (None, Some(products)) => {
                    products.accumulate_batch(&lanes, &weights, &mut product_scratch, &mut sums, None)
                }
                (None, None) => unreachable!("`tables` builds the estimator's table"),
            }
            done += batch as u64;
        }
        sums.iter().map(|o| o.iter().map(parts_total).collect()).collect()
    }

    /// Draws the hidden layers of one net; the last layer's activations end in `layer.phi`.
    #[inline(always)]
    fn hidden_layers<G: Normals>(&self, rng: &mut G, tables: &DeepTables, layer: &mut LayerScratch, phi: impl Phi) {
        let widths = self.net.widths();
        let (c_w, c_b) = (self.net.c_w(), self.net.c_b());
        layer.preactivations(rng, &tables.first.0, &tables.first.1, widths[0]);
        layer.activate(widths[0], &tables.self_cov, phi);
        for l in 1..widths.len() {
            layer.gram(widths[l - 1], c_w, c_b);
            layer.factor();
            let (chol, cols) = (std::mem::take(&mut layer.chol), std::mem::take(&mut layer.cols));
            layer.preactivations(rng, &chol, &cols, widths[l]);
            (layer.chol, layer.cols) = (chol, cols);
            layer.activate(widths[l], &tables.self_cov, phi);
        }
        layer.width = widths[widths.len() - 1];
    }
}

/// The buffers of one layer step, point-major (`m` rows of `n_max` neurons).
struct LayerScratch {
    m: usize,
    n_max: usize,
    /// Width of the layer held in `phi`.
    width: usize,
    /// Activations `φ(z_j(x_a))` at `a * n_max + j`.
    phi: Vec<f64>,
    /// Pre-activations, same layout.
    z: Vec<f64>,
    /// Standard normals, `r x n_max`.
    eps: Vec<f64>,
    /// The covariance of the next layer and its Cholesky factor (`m x m`), nonzero columns.
    cov: Vec<f64>,
    chol: Vec<f64>,
    cols: Vec<usize>,
}

impl LayerScratch {
    fn new(m: usize, n_max: usize) -> Self {
        Self {
            m,
            n_max,
            width: 0,
            phi: vec![0.0; m * n_max],
            z: vec![0.0; m * n_max],
            eps: vec![0.0; m * n_max],
            cov: vec![0.0; m * m],
            chol: vec![0.0; m * m],
            cols: Vec::with_capacity(m),
        }
    }

    /// `z_j(x_a) = Σ_c L_ac ε_cj` for `j < n`: the rows of `N(0, L Lᵀ)`, `ε` drawn column by
    /// column of `L` (only its nonzero columns), neuron after neuron.
    #[inline(always)]
    fn preactivations<G: Normals>(&mut self, rng: &mut G, chol: &[f64], cols: &[usize], n: usize) {
        let (m, n_max) = (self.m, self.n_max);
        for (k, _) in cols.iter().enumerate() {
            rng.fill_slice(&mut self.eps[k * n_max..k * n_max + n]);
        }
        for a in 0..m {
            let z = &mut self.z[a * n_max..a * n_max + n];
            z.iter_mut().for_each(|v| *v = 0.0);
            for (k, &c) in cols.iter().enumerate() {
                let l = chol[a * m + c];
                if l == 0.0 {
                    continue;
                }
                let e = &self.eps[k * n_max..k * n_max + n];
                z.iter_mut().zip(e).for_each(|(z, e)| *z += l * e);
            }
        }
    }

    #[inline(always)]
    fn activate(&mut self, n: usize, self_cov: &[f64], phi: impl Phi) {
        let n_max = self.n_max;
        for a in 0..self.m {
            phi.apply(&self.z[a * n_max..a * n_max + n], &mut self.phi[a * n_max..a * n_max + n], self_cov[a]);
        }
    }

    /// `cov = C_b + (C_W / n) Φᵀ Φ` over the `n` neurons in `phi`.
    #[inline(always)]
    fn gram(&mut self, n: usize, c_w: f64, c_b: f64) {
        let (m, n_max) = (self.m, self.n_max);
        let scale = c_w / n as f64;
        for a in 0..m {
            for b in 0..=a {
                let v = c_b + scale * dot(&self.phi[a * n_max..a * n_max + n], &self.phi[b * n_max..b * n_max + n]);
                self.cov[a * m + b] = v;
                self.cov[b * m + a] = v;
            }
        }
    }

    /// The output covariance `Gᴸ⁺¹` into `out`.
    #[inline(always)]
    fn output_gram(&mut self, c_w: f64, c_b: f64, out: &mut [f64]) {
        self.gram(self.width, c_w, c_b);
        out.copy_from_slice(&self.cov);
    }

    #[inline(always)]
    fn factor(&mut self) {
        cholesky_into(&self.cov, self.m, &mut self.chol, &mut self.cols);
    }

    /// Draws `rows` i.i.d. rows of `N(0, cov)` into `out` (row-major `rows x m`).
    #[inline(always)]
    fn draw_rows<G: Normals>(&mut self, rng: &mut G, cov: &[f64], rows: usize, out: &mut [f64]) {
        let m = self.m;
        self.cov.copy_from_slice(cov);
        self.factor();
        for i in 0..rows {
            let mut eps = [0.0; 255];
            for (k, _) in self.cols.iter().enumerate() {
                eps[k] = rng.next();
            }
            for a in 0..m {
                out[i * m + a] = self.cols.iter().enumerate().map(|(k, &c)| self.chol[a * m + c] * eps[k]).sum();
            }
        }
    }
}

/// `Σ_j x_j y_j` in 8 running lanes, summed pairwise (vectorises; fixed order, no fused
/// multiply-add, so every target gives the same bits).
#[inline(always)]
pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for k in 0..8 {
            acc[k] += a[k] * b[k];
        }
    }
    for (k, (a, b)) in xr.iter().zip(yr).enumerate() {
        acc[k] += a * b;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// The semi-definite Cholesky factor `L` (row-major `m x m`, lower) of `cov` and the indices of
/// its nonzero columns: a column whose residual variance is below [`RANK_TOLERANCE`] times
/// the largest diagonal entry is dropped (its point is a combination of the earlier ones).
fn cholesky_into(cov: &[f64], m: usize, l: &mut [f64], cols: &mut Vec<usize>) {
    let scale = (0..m).fold(0.0f64, |s, i| s.max(cov[i * m + i]));
    l.iter_mut().for_each(|v| *v = 0.0);
    cols.clear();
    for j in 0..m {
        let d = cov[j * m + j] - (0..j).map(|i| l[j * m + i] * l[j * m + i]).sum::<f64>();
        if d <= RANK_TOLERANCE * scale || d <= 0.0 {
            continue;
        }
        let ljj = d.sqrt();
        l[j * m + j] = ljj;
        for r in j + 1..m {
            l[r * m + j] = (cov[r * m + j] - (0..j).map(|i| l[r * m + i] * l[j * m + i]).sum::<f64>()) / ljj;
        }
        cols.push(j);
    }
}

/// Refuses a deep run of `net` on `inputs` that needs `needed` bytes on `threads` threads when
/// that exceeds [`crate::memory::memory_limit`] (the deep and NTK ensembles' check).
pub(crate) fn check_deep_memory(net: &DeepNetwork, inputs: &InputSet, needed: u64, threads: usize) -> Result<()> {
    let limit = crate::memory::memory_limit();
    if needed > limit {
        return Err(SamplingError::DeepMemory {
            pairs: inputs.len() * net.d_out(),
            widest: net.widths().iter().copied().max().unwrap_or(1),
            threads,
            needed: crate::memory::human_bytes(needed),
            limit: crate::memory::human_bytes(limit),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semi_definite_cholesky_reproduces_the_covariance() {
        // rank 2 in 3 points: x = (1, 2, 3) with a bias
        let x = [1.0, 2.0, 3.0];
        let cov: Vec<f64> = (0..9).map(|i| 0.5 + 2.0 * x[i / 3] * x[i % 3]).collect();
        let (mut l, mut cols) = (vec![0.0; 9], Vec::new());
        cholesky_into(&cov, 3, &mut l, &mut cols);
        assert_eq!(cols, vec![0, 1]);
        for a in 0..3 {
            for b in 0..3 {
                let v: f64 = (0..3).map(|c| l[a * 3 + c] * l[b * 3 + c]).sum();
                assert!((v - cov[a * 3 + b]).abs() < 1e-12, "{a} {b}: {v} vs {}", cov[a * 3 + b]);
            }
        }
        let d: Vec<f64> = (0..19).map(|i| i as f64 * 0.1).collect();
        assert!((dot(&d, &d) - d.iter().map(|v| v * v).sum::<f64>()).abs() < 1e-12);
    }

    #[test]
    fn activations_by_lanes_match_the_scalar_ones_at_any_length() {
        let z: Vec<f64> = (0..4003).map(|i| (i as f64 - 2000.0) / 100.0).chain([1e-300, -1e-12, 400.0]).collect();
        let mut p = vec![0.0; z.len()];
        PhiTanh.apply(&z, &mut p, 0.0);
        assert!(z.iter().zip(&p).all(|(z, p)| p.to_bits() == nnqft_theory::machinery::tanh(*z).to_bits()));
        PhiErf.apply(&z, &mut p, 0.0);
        let erf = nnqft_theory::erf;
        assert!(z.iter().zip(&p).all(|(z, p)| (p - erf(*z)).abs() <= 2.0 * f64::EPSILON * erf(*z).abs()));
        PhiGauss.apply(&z, &mut p, 0.5);
        assert!(z.iter().zip(&p).all(|(z, p)| p.to_bits() == nnqft_theory::machinery::exp(z - 0.5).to_bits()));
        // the scalar ones give the theory crate's bits
        let check = |phi: &dyn Fn(&[f64], &mut [f64]), act: DeepActivation| {
            let mut p = vec![0.0; z.len()];
            phi(&z, &mut p);
            assert!(z.iter().zip(&p).all(|(z, p)| p.to_bits() == act.phi(*z).unwrap().to_bits()), "{act:?}");
        };
        check(&|z, p| PhiGelu.apply(z, p, 0.0), DeepActivation::Gelu);
        check(&|z, p| PhiSilu.apply(z, p, 0.0), DeepActivation::Silu);
        check(&|z, p| PhiSoftplus.apply(z, p, 0.0), DeepActivation::Softplus);
        check(&|z, p| PhiSigmoid.apply(z, p, 0.0), DeepActivation::Sigmoid);
        check(&|z, p| PhiSin.apply(z, p, 0.0), DeepActivation::Sin);
    }
}
