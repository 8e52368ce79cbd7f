//! The second-order differentials of the neural tangent kernel (ddNTKs) of a sampled deep
//! network, exactly, by hyper-dual numbers through the NTK's forward and backward passes along
//! materialised gradient directions ([`DeepWeights::double_differential_tangent_kernel`],
//! [`NetworkDdntk`]), and their means over an ensemble of nets ([`DdntkEnsemble`],
//! [`DdntkMeans`]), seeded and thread-invariant.

use crate::dntk::{ExplicitNets, check};
use crate::error::Result;
use crate::monitor::{Monitor, map_items};
use crate::ntk_ensemble::{DeepWeights, Measured};
use crate::seed;
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};
use std::ops::{Add, Mul};

/// A hyper-dual number `re + e1 ε₁ + e2 ε₂ + e12 ε₁ε₂` (`ε₁² = ε₂² = 0`): carried through a
/// computation at `θ + ε₁ v + ε₂ w`, its `e12` part is the exact second directional
/// derivative along `v` and `w`, its `e1` and `e2` parts the first ones.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Hyper {
    re: f64,
    e1: f64,
    e2: f64,
    e12: f64,
}

impl Hyper {
    fn real(re: f64) -> Self {
        Self { re, ..Self::default() }
    }

    /// `g(self)` from `g`, `g'`, `g''` at `self.re`.
    fn apply(self, g: f64, g1: f64, g2: f64) -> Self {
        Self { re: g, e1: g1 * self.e1, e2: g1 * self.e2, e12: g1 * self.e12 + g2 * self.e1 * self.e2 }
    }
}

impl Add for Hyper {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self { re: self.re + o.re, e1: self.e1 + o.e1, e2: self.e2 + o.e2, e12: self.e12 + o.e12 }
    }
}

impl Mul for Hyper {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Self {
            re: self.re * o.re,
            e1: self.re * o.e1 + self.e1 * o.re,
            e2: self.re * o.e2 + self.e2 * o.re,
            e12: self.re * o.e12 + self.e1 * o.e2 + self.e2 * o.e1 + self.e12 * o.re,
        }
    }
}

impl Mul<f64> for Hyper {
    type Output = Self;
    fn mul(self, s: f64) -> Self {
        Self { re: self.re * s, e1: self.e1 * s, e2: self.e2 * s, e12: self.e12 * s }
    }
}

fn dot(x: &[Hyper], y: &[Hyper]) -> Hyper {
    x.iter().zip(y).fold(Hyper::default(), |acc, (a, b)| acc + *a * *b)
}

/// `[φ, φ', φ'', φ''']` at `z` ([`DeepActivation::third_derivative`] has `φ'''`). Relu:
/// `φ'(0) = 0`, `φ'' = φ''' = 0` (its kink is never hit by a sampled pre-activation; the
/// per-network ddNTK is the derivative almost everywhere).
fn jet(act: DeepActivation, z: f64) -> [f64; 4] {
    if act == DeepActivation::Relu {
        return [z.max(0.0), f64::from(u8::from(z > 0.0)), 0.0, 0.0];
    }
    let (d1, d2) = act.derivatives(z).unwrap_or((f64::NAN, f64::NAN));
    [act.phi(z).unwrap_or(f64::NAN), d1, d2, act.third_derivative(z).unwrap_or(f64::NAN)]
}

/// One net's activations and backward deltas, at parameters that may carry hyper-dual parts.
struct Passes {
    /// `φˡ_a` for `l = 0, ..., L` (`φ⁰_a = x_a`), index `[l][a][k]`.
    phi: Vec<Vec<Vec<Hyper>>>,
    /// `δˡ_p = ∂f_p/∂zˡ` for `l = 1, ..., L + 1` (index `l`; `δᴸ⁺¹_p = e_i`), `[l][p][k]`.
    delta: Vec<Vec<Vec<Hyper>>>,
}

/// The layer sizes `n_0 = d, n_1, ..., n_L, n_(L+1) = d_out`.
fn sizes(net: &DeepNetwork) -> Vec<usize> {
    let mut sizes = vec![net.d_in()];
    sizes.extend_from_slice(net.widths());
    sizes.push(net.d_out());
    sizes
}

/// The forward pass `zˡ = bˡ + Wˡ φˡ⁻¹`, `φˡ = φ(zˡ)` and the backward deltas
/// `δˡ_p = ((Wˡ⁺¹)ᵀ δˡ⁺¹_p) ⊙ φ'(zˡ_a)` at weights `w[l − 1] = Wˡ`, biases `b[l − 1] = bˡ`.
fn passes(act: DeepActivation, sizes: &[usize], w: &[Vec<Hyper>], b: &[Vec<Hyper>], x: &[Vec<f64>]) -> Passes {
    let depth = sizes.len() - 2;
    let (m, d_out) = (x.len(), sizes[depth + 1]);
    let pairs = m * d_out;
    let mut phi: Vec<Vec<Vec<Hyper>>> = vec![x.iter().map(|p| p.iter().map(|&v| Hyper::real(v)).collect()).collect()];
    let mut slope: Vec<Vec<Vec<Hyper>>> = vec![Vec::new()];
    for l in 1..=depth {
        let (n, n_prev) = (sizes[l], sizes[l - 1]);
        let (mut ps, mut ss) = (Vec::with_capacity(m), Vec::with_capacity(m));
        for a in 0..m {
            let (mut p, mut s) = (Vec::with_capacity(n), Vec::with_capacity(n));
            for k in 0..n {
                let z = b[l - 1][k] + dot(&w[l - 1][k * n_prev..(k + 1) * n_prev], &phi[l - 1][a]);
                let [g0, g1, g2, g3] = jet(act, z.re);
                p.push(z.apply(g0, g1, g2));
                s.push(z.apply(g1, g2, g3));
            }
            ps.push(p);
            ss.push(s);
        }
        phi.push(ps);
        slope.push(ss);
    }
    let mut delta: Vec<Vec<Vec<Hyper>>> = vec![Vec::new(); depth + 2];
    delta[depth + 1] =
        (0..pairs).map(|p| (0..d_out).map(|i| Hyper::real(f64::from(u8::from(i == p / m)))).collect()).collect();
    for l in (1..=depth).rev() {
        let (n, n_next) = (sizes[l], sizes[l + 1]);
        let wn = &w[l];
        let mut ds = Vec::with_capacity(pairs);
        for p in 0..pairs {
            let above = &delta[l + 1][p];
            let d: Vec<Hyper> = (0..n)
                .map(|k| {
                    (0..n_next).fold(Hyper::default(), |acc, j| acc + wn[j * n + k] * above[j]) * slope[l][p % m][k]
                })
                .collect();
            ds.push(d);
        }
        delta[l] = ds;
    }
    Passes { phi, delta }
}

impl Passes {
    /// `Θ_pq = Σ_l Aˡ_(a(p) a(q)) δˡ_p·δˡ_q`, `Aˡ_ab = λ_b + (λ_W/n_(l−1)) φˡ⁻¹_a·φˡ⁻¹_b`,
    /// row-major over `(p, q)`.
    fn tangent(&self, sizes: &[usize], m: usize, lambda_w: f64, lambda_b: f64) -> Vec<Hyper> {
        let depth = sizes.len() - 2;
        let pairs = m * sizes[depth + 1];
        let mut theta = vec![Hyper::default(); pairs * pairs];
        for l in 1..=depth + 1 {
            let scale = lambda_w / sizes[l - 1] as f64;
            for p in 0..pairs {
                for q in 0..pairs {
                    let a = dot(&self.phi[l - 1][p % m], &self.phi[l - 1][q % m]) * scale + Hyper::real(lambda_b);
                    theta[p * pairs + q] = theta[p * pairs + q] + a * dot(&self.delta[l][p], &self.delta[l][q]);
                }
            }
        }
        theta
    }

    /// The gradient direction `v = λ ∇_θ f_p`, layer by layer `(Vˡ, vˡ_b)`:
    /// `Vˡ_kj = (λ_W/n_(l−1)) δˡ_(p,k) φˡ⁻¹_(a,j)`, `vˡ_(b,k) = λ_b δˡ_(p,k)`, `a = a(p)`.
    fn direction(&self, sizes: &[usize], m: usize, p: usize, lambda_w: f64, lambda_b: f64) -> Direction {
        let depth = sizes.len() - 2;
        (1..=depth + 1)
            .map(|l| {
                let scale = lambda_w / sizes[l - 1] as f64;
                let (d, x) = (&self.delta[l][p], &self.phi[l - 1][p % m]);
                let w = d.iter().flat_map(|dk| x.iter().map(move |xj| *dk * *xj * scale)).collect();
                let b = d.iter().map(|dk| *dk * lambda_b).collect();
                (w, b)
            })
            .collect()
    }
}

/// A direction in parameter space, per layer `(Wˡ, bˡ)` parts.
type Direction = Vec<(Vec<Hyper>, Vec<Hyper>)>;

/// The two ddNTKs of one net over its `P = d_out m` `(output, point)` pairs `p = i m + a`
/// ([`DeepWeights::double_differential_tangent_kernel`]), each at index
/// `((p0 P + p1) P + p2) P + p3`.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkDdntk {
    pairs: usize,
    ddi: Vec<f64>,
    ddii: Vec<f64>,
}

impl NetworkDdntk {
    /// `P = d_out m`, the number of `(output, point)` pairs.
    pub fn pairs(&self) -> usize {
        self.pairs
    }
    /// `ddIΘ_(p0 p1; p2 p3)` at `((p0 P + p1) P + p2) P + p3`.
    pub fn ddi(&self) -> &[f64] {
        &self.ddi
    }
    /// `ddIIΘ_(p0 p1; p2 p3)` at `((p0 P + p1) P + p2) P + p3`.
    pub fn ddii(&self) -> &[f64] {
        &self.ddii
    }
}

impl DeepWeights {
    /// The ddNTKs of this net over the `(output, point)` pairs `p = i m + a` (`P = d_out m`):
    ///
    /// ```text
    /// ddIΘ_(p0 p1; p2 p3)  = Σ_(μ,ν) λ_μ λ_ν (∂²Θ_(p2 p3)/∂θ_μ∂θ_ν) (∂f_p0/∂θ_μ) (∂f_p1/∂θ_ν),
    /// ddIIΘ_(p0 p1; p2 p3) = Σ_(μ,ν) λ_μ λ_ν (∂Θ_(p2 p3)/∂θ_μ) (∂²f_p0/∂θ_μ∂θ_ν) (∂f_p1/∂θ_ν),
    /// ```
    ///
    /// `λ_μ` the learning-rate factor of parameter `μ` (`λ_W/n_(l−1)` for a weight of layer
    /// `l`, `λ_b` for a bias), `Θ` the NTK of [`Self::tangent_kernel`]. One gradient-descent
    /// step `Δθ_μ = −η λ_μ Σ_p ε_p ∂f_p/∂θ_μ` changes the NTK by
    /// `ΔΘ_(p2 p3) = −η Σ_p dΘ_(p p2 p3) ε_p + (η²/2) Σ_(p p') ddIΘ_(p p'; p2 p3) ε_p ε_p' + O(η³)`
    /// (`dΘ` of [`Self::differential_tangent_kernel`]); `ddII` enters at the second step through
    /// the change of the gradient directions. The derivative of `dΘ_(p0 p2 p3)` along
    /// `λ ∇_θ f_p1` is `ddIΘ_(p0 p1; p2 p3) + ddIIΘ_(p0 p1; p2 p3)`. `ddI` is symmetric under
    /// `p0 ↔ p1` and under `p2 ↔ p3`. (PDLT, arXiv:2106.10165, §11.1 and §11.3, writes
    /// `dd_IĤ` and `dd_IIĤ`; their correspondence to these is not checked against the text.)
    ///
    /// **Method.** The gradient directions `v_p = λ ∇_θ f_p` are materialised layer by layer,
    /// `Vˡ_kj = (λ_W/n_(l−1)) δˡ_(p,k) φˡ⁻¹_(a,j)`, `vˡ_(b,k) = λ_b δˡ_(p,k)` (`δˡ_p = ∂f_p/∂zˡ`
    /// from the backward pass, `φ⁰ = x`): each the size of the weights, `P` of them. Then the
    /// NTK's passes (forward `zˡ = bˡ + Wˡ φˡ⁻¹`, backward `δˡ_p = ((Wˡ⁺¹)ᵀ δˡ⁺¹_p) ⊙ φ'(zˡ)`,
    /// `Θ_pq = Σ_l (λ_b + (λ_W/n_(l−1)) φˡ⁻¹_a·φˡ⁻¹_b) δˡ_p·δˡ_q`) are run in hyper-dual
    /// arithmetic at `θ + ε₁ v_p0 + ε₂ v_p1`: the `ε₁ε₂` part of `Θ_(p2 p3)` is `ddI` exactly
    /// (a second directional derivative, with `φ'''` entering through `φ'(zˡ)`). The same run's
    /// direction `v_p0`, rebuilt from its hyper-dual `δ` and `φ`, has as `ε₂` part
    /// `u = D_(v_p1) v_p0`, `u_μ = λ_μ Σ_ν (∂²f_p0/∂θ_μ∂θ_ν) v_(p1,ν)`, and a second run at
    /// `θ + ε₁ u` gives `ddII_(p0 p1; ·)` as the `ε₁` part of `Θ`. Hyper-dual numbers rather
    /// than forward-over-forward by hand (as the dNTK's passes are): the second-order passes
    /// by hand double in length with every order and the hyper-dual ones are the NTK's passes
    /// once more, exact to rounding, with no step size. Per net `2 P²` hyper-dual passes,
    /// `O(P³ L n² + P⁴ L n)` (the second term from each pass's NTK over the pairs). Relu's `φ'' = φ''' = 0` almost everywhere.
    ///
    /// Errors: the inputs' dimension is not `d`; Gauss-net; `lambda_w`, `lambda_b` negative or
    /// not finite.
    pub fn double_differential_tangent_kernel(
        &self,
        inputs: &InputSet,
        lambda_w: f64,
        lambda_b: f64,
    ) -> Result<NetworkDdntk> {
        check(self.network(), inputs, lambda_w, lambda_b)?;
        Ok(self.ddntk(inputs, lambda_w, lambda_b))
    }

    /// [`Self::double_differential_tangent_kernel`], unchecked.
    fn ddntk(&self, inputs: &InputSet, lambda_w: f64, lambda_b: f64) -> NetworkDdntk {
        let net = self.network();
        let act = net.activation();
        let sizes = sizes(net);
        let depth = net.depth();
        let m = inputs.len();
        let pairs = m * net.d_out();
        let x: Vec<Vec<f64>> = inputs.points().map(|p| p.to_vec()).collect();
        let real = |v: &[f64]| v.iter().map(|&t| Hyper::real(t)).collect::<Vec<_>>();
        let w: Vec<Vec<Hyper>> = (1..=depth + 1).map(|l| real(self.weights(l).unwrap_or(&[]))).collect();
        let b: Vec<Vec<Hyper>> = (1..=depth + 1).map(|l| real(self.biases(l).unwrap_or(&[]))).collect();
        let base = passes(act, &sizes, &w, &b, &x);
        let directions: Vec<Direction> = (0..pairs).map(|p| base.direction(&sizes, m, p, lambda_w, lambda_b)).collect();
        // θ + ε₁ v0 + ε₂ v1, or θ + ε₁ u with v1 = None
        let shifted = |v0: &Direction, v1: Option<&Direction>| {
            let mut ws = w.clone();
            let mut bs = b.clone();
            for (l, (wl, bl)) in ws.iter_mut().zip(bs.iter_mut()).enumerate() {
                for (k, t) in wl.iter_mut().enumerate() {
                    t.e1 = v0[l].0[k].re;
                    t.e2 = v1.map_or(0.0, |v| v[l].0[k].re);
                }
                for (k, t) in bl.iter_mut().enumerate() {
                    t.e1 = v0[l].1[k].re;
                    t.e2 = v1.map_or(0.0, |v| v[l].1[k].re);
                }
            }
            (ws, bs)
        };
        let p2 = pairs * pairs;
        let (mut ddi, mut ddii) = (vec![0.0; p2 * p2], vec![0.0; p2 * p2]);
        for p0 in 0..pairs {
            for p1 in 0..pairs {
                let (ws, bs) = shifted(&directions[p0], Some(&directions[p1]));
                let run = passes(act, &sizes, &ws, &bs, &x);
                let theta = run.tangent(&sizes, m, lambda_w, lambda_b);
                let at = (p0 * pairs + p1) * p2;
                for (slot, t) in ddi[at..at + p2].iter_mut().zip(&theta) {
                    *slot = t.e12;
                }
                // u = D_(v1) v0: the ε₂ parts of v0 rebuilt at θ + ε₂ v1 (moved to ε₁)
                let u: Direction = run
                    .direction(&sizes, m, p0, lambda_w, lambda_b)
                    .into_iter()
                    .map(|(wl, bl)| {
                        let lift = |v: Vec<Hyper>| v.into_iter().map(|t| Hyper::real(t.e2)).collect::<Vec<_>>();
                        (lift(wl), lift(bl))
                    })
                    .collect();
                let (ws, bs) = shifted(&u, None);
                let theta = passes(act, &sizes, &ws, &bs, &x).tangent(&sizes, m, lambda_w, lambda_b);
                for (slot, t) in ddii[at..at + p2].iter_mut().zip(&theta) {
                    *slot = t.e1;
                }
            }
        }
        NetworkDdntk { pairs, ddi, ddii }
    }
}

/// The measured means `E[ddIΘ]`, `E[ddIIΘ]` of an ensemble ([`DdntkEnsemble::run`]).
#[derive(Debug, Clone)]
pub struct DdntkMeans {
    pairs: usize,
    m: usize,
    /// Per experiment, the mean over its nets of `ddI` and of `ddII`, `P⁴` values each.
    per_experiment: Vec<(Vec<f64>, Vec<f64>)>,
}

impl DdntkMeans {
    fn measured(&self, outputs: [usize; 4], points: [usize; 4], second: bool) -> Option<Measured> {
        let p: Vec<usize> = outputs.iter().zip(points).map(|(i, a)| i * self.m + a).collect();
        if p.iter().any(|&x| x >= self.pairs) || points.iter().any(|&a| a >= self.m) {
            return None;
        }
        let at = ((p[0] * self.pairs + p[1]) * self.pairs + p[2]) * self.pairs + p[3];
        let values: Vec<f64> = self.per_experiment.iter().map(|(i, ii)| if second { ii[at] } else { i[at] }).collect();
        let k = values.len() as f64;
        let mean = values.iter().sum::<f64>() / k;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0).max(1.0);
        Some(Measured { mean, stderr: (var / k).sqrt() })
    }

    /// The mean over experiments of `E[ddIΘ_(i0 i1 i2 i3; a0 a1 a2 a3)]` (pairs `p_k = (i_k, a_k)`)
    /// with its standard error, for `outputs = [i0, i1, i2, i3]`, `points = [a0, a1, a2, a3]`
    /// (`None` out of range).
    pub fn ddi(&self, outputs: [usize; 4], points: [usize; 4]) -> Option<Measured> {
        self.measured(outputs, points, false)
    }

    /// The same for `E[ddIIΘ]`.
    pub fn ddii(&self, outputs: [usize; 4], points: [usize; 4]) -> Option<Measured> {
        self.measured(outputs, points, true)
    }
}

/// The most `(output, point)` pairs `m d_out` of a [`DdntkEnsemble`]: each experiment keeps
/// `2 P⁴` means (one MiB at 16 pairs).
pub const DDNTK_MAX_PAIRS: usize = 16;
// the refusal's text names the limit
const _: () = assert!(DDNTK_MAX_PAIRS == 16);

/// An ensemble measuring `E[ddIΘ]` and `E[ddIIΘ]` ([`DdntkMeans`]): `experiments`
/// experiments of `nets` nets each of `net` on `inputs`, drawn with every weight explicit
/// ([`DeepWeights::draw`]); experiment `e` draws from its own generator
/// `seed::lanes(seed, e, 0)` (the nets of a [`crate::DntkEnsemble`]'s experiment `e` of the
/// same seed) and is one work item, so the numbers do not depend on the thread count.
/// Learning-rate factors by default the NTK parameterisation (`λ_W = C_W`, `λ_b = C_b`).
#[derive(Debug, Clone)]
pub struct DdntkEnsemble {
    spec: ExplicitNets,
}

impl DdntkEnsemble {
    /// Validates the ensemble. Errors name the field and its allowed range: the inputs'
    /// dimension is not `d`; Gauss-net; at most [`DDNTK_MAX_PAIRS`] `(output, point)` pairs;
    /// `nets` >= 1; `experiments` >= 2.
    pub fn new(net: DeepNetwork, inputs: InputSet, nets: u64, experiments: usize, seed: u64) -> Result<Self> {
        // DDNTK_MAX_PAIRS, held to this text by the assertion beside it
        let limit = (DDNTK_MAX_PAIRS, "1 to 16 (output, point) pairs for the ddNTK");
        Ok(Self { spec: ExplicitNets::new(net, inputs, nets, experiments, seed, limit)? })
    }

    /// The same ensemble with learning-rate factors `lambda_w`, `lambda_b` (finite, `>= 0`).
    pub fn with_learning_rates(self, lambda_w: f64, lambda_b: f64) -> Result<Self> {
        Ok(Self { spec: self.spec.with_learning_rates(lambda_w, lambda_b)? })
    }

    /// Nets per experiment.
    pub fn nets(&self) -> u64 {
        self.spec.nets
    }
    /// Experiments.
    pub fn experiments(&self) -> usize {
        self.spec.experiments
    }
    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.spec.seed
    }

    /// Bytes a run on `threads` threads needs: every experiment's `2 P⁴` means, and per thread
    /// its running sums, one net's ddNTKs, weights and `P` gradient directions (hyper-dual,
    /// four values each) and the passes' activations and deltas.
    pub fn memory_estimate(&self, threads: usize) -> u64 {
        let pairs = (self.spec.inputs.len() * self.spec.net.d_out()) as u64;
        let p4 = 2 * pairs.saturating_mul(pairs).saturating_mul(pairs).saturating_mul(pairs);
        let widest = self.spec.net.widths().iter().copied().max().unwrap_or(1).max(self.spec.net.d_in()) as u64;
        let layers = self.spec.net.depth() as u64 + 1;
        let weights = layers.saturating_mul(widest.saturating_mul(widest + 1));
        // the weights, three shifted copies and P directions, hyper-dual
        let params = 4 * weights.saturating_mul(pairs + 4);
        // φ, φ' per layer and point; δ per layer and pair; hyper-dual; two runs alive
        let passes = 8 * layers.saturating_mul(widest).saturating_mul(2 * self.spec.inputs.len() as u64 + pairs);
        let per_thread = (2 * p4).saturating_add(params).saturating_add(passes);
        p4.saturating_mul(self.spec.experiments as u64)
            .saturating_add(per_thread.saturating_mul(threads as u64))
            .saturating_mul(8)
    }

    /// Refuses a run on `threads` threads that would not fit in memory.
    pub fn check_memory(&self, threads: usize) -> Result<()> {
        self.spec.check_memory(self.memory_estimate(threads), threads)
    }

    /// Runs the ensemble on `threads >= 1` threads (after [`Self::check_memory`]).
    pub fn run(&self, threads: usize) -> Result<DdntkMeans> {
        self.run_with_progress(threads, &())
    }

    /// [`Self::run`] under `monitor` ([`Monitor`]: asked before each experiment whether to
    /// stop, told its nets after it). The same numbers, bit for bit.
    pub fn run_with_progress(&self, threads: usize, monitor: &dyn Monitor) -> Result<DdntkMeans> {
        crate::error::check_positive("threads", threads as u64, "an integer >= 1")?;
        self.check_memory(threads)?;
        let pairs = self.spec.inputs.len() * self.spec.net.d_out();
        let p4 = pairs * pairs * pairs * pairs;
        let (lambda_w, lambda_b) = (self.spec.lambda_w, self.spec.lambda_b);
        let per_experiment =
            map_items(threads.min(self.spec.experiments), 0..self.spec.experiments as u64, monitor, |e| {
                let mut rng = seed::lanes(self.spec.seed, e, 0);
                let (mut first, mut second) = (vec![0.0; p4], vec![0.0; p4]);
                for _ in 0..self.spec.nets {
                    let weights = DeepWeights::draw(&self.spec.net, &mut rng);
                    let dd = weights.ddntk(&self.spec.inputs, lambda_w, lambda_b);
                    for (s, v) in first.iter_mut().zip(&dd.ddi) {
                        *s += v;
                    }
                    for (s, v) in second.iter_mut().zip(&dd.ddii) {
                        *s += v;
                    }
                }
                let n = self.spec.nets as f64;
                (
                    (first.iter().map(|s| s / n).collect::<Vec<f64>>(), second.iter().map(|s| s / n).collect()),
                    self.spec.nets,
                )
            })?;
        Ok(DdntkMeans { pairs, m: self.spec.inputs.len(), per_experiment })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_jets_vanish_beyond_the_slope() {
        assert_eq!(jet(DeepActivation::Relu, -0.5).map(f64::to_bits), [0.0f64; 4].map(f64::to_bits));
        assert_eq!(jet(DeepActivation::Relu, 0.5).map(f64::to_bits), [0.5, 1.0, 0.0, 0.0].map(f64::to_bits));
        let t = jet(DeepActivation::Tanh, 0.3);
        assert_eq!(t[3].to_bits(), DeepActivation::Tanh.third_derivative(0.3).unwrap().to_bits());
    }

    #[test]
    fn hyper_dual_products_carry_the_mixed_derivative() {
        // f(x, y) = x² y at (x, y) = (2, 3) along x: ε₁ and y: ε₂; ∂²f/∂x∂y = 2x = 4
        let x = Hyper { re: 2.0, e1: 1.0, e2: 0.0, e12: 0.0 };
        let y = Hyper { re: 3.0, e1: 0.0, e2: 1.0, e12: 0.0 };
        let f = x * x * y;
        assert_eq!((f.re, f.e1, f.e2, f.e12), (12.0, 12.0, 4.0, 4.0));
        // sin(x y): ∂²/∂x∂y = cos(xy) − xy sin(xy)
        let xy = x * y;
        let g = xy.apply(xy.re.sin(), xy.re.cos(), -xy.re.sin());
        assert!((g.e12 - (6.0f64.cos() - 6.0 * 6.0f64.sin())).abs() < 1e-14);
    }
}
