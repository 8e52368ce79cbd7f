//! Drawing one network and evaluating it on the input set (paper section 2; the Cos-net of
//! arXiv:2307.03223 with its uniform phase). Nothing is
//! allocated per net: the caller owns the buffers, and a net's parameters live only in
//! registers while its neurons are evaluated.

use crate::normal::{LANES, Normals};
use nnqft_theory::machinery::{BATCH, Lanes, Parts, ProductScratch, ProductTable, cos_lanes, erf_lanes, exp_lanes};
use nnqft_theory::{Activation, InputSet, Network};

/// The input set laid out for evaluation: coordinates and `S(x, x)` per point.
#[derive(Debug, Clone)]
pub struct PreparedInputs {
    coords: Vec<f64>,
    self_cov: Vec<f64>,
    d: usize,
}

impl PreparedInputs {
    /// Lays out `inputs` for `net` (dimensions checked by the caller).
    pub fn new(net: &Network, inputs: &InputSet) -> Self {
        Self {
            coords: inputs.points().flatten().copied().collect(),
            self_cov: inputs.points().map(|x| net.preactivation_cov(x, x)).collect(),
            d: inputs.d_in(),
        }
    }
    /// Number of points.
    #[allow(clippy::len_without_is_empty)] // crate-internal; an input set is never empty
    pub fn len(&self) -> usize {
        self.self_cov.len()
    }
}

/// An activation as a type, so that the per-neuron loops are monomorphised per activation
/// (static dispatch, no branch or indirect call per element). Every lane of a block is
/// evaluated, used or not, point by point, in loops that vectorise.
trait Activate {
    /// `z[j] <- phi(z[j], s_xx)` for every lane.
    fn phi_lanes(&self, z: &mut NeuronLanes, s_xx: f64);

    /// The hidden biases from standard normals `u[j]`: `b = sigma_b u` (the paper's
    /// `N(0, sigma_b^2)`), unless the activation draws them otherwise.
    #[inline(always)]
    fn bias_lanes(&self, u: &mut NeuronLanes, sigma_b: f64) {
        u.iter_mut().for_each(|b| *b *= sigma_b);
    }
}

struct ErfAct;
struct ReluAct;
struct GaussAct;
struct CosAct;

impl Activate for ErfAct {
    #[inline(always)]
    fn phi_lanes(&self, z: &mut NeuronLanes, _: f64) {
        erf_lanes(z);
    }
}
impl Activate for ReluAct {
    #[inline(always)]
    fn phi_lanes(&self, z: &mut NeuronLanes, _: f64) {
        z.iter_mut().for_each(|v| *v = v.max(0.0));
    }
}
impl Activate for GaussAct {
    #[inline(always)]
    fn phi_lanes(&self, z: &mut NeuronLanes, s_xx: f64) {
        z.iter_mut().for_each(|v| *v -= s_xx);
        exp_lanes(z);
    }
}

impl Activate for CosAct {
    #[inline(always)]
    fn phi_lanes(&self, z: &mut NeuronLanes, _: f64) {
        cos_lanes(z);
    }

    /// The Cos-net's phase, uniform on `[-pi, pi]`: `b = pi erf(u / sqrt 2) = pi (2 Phi(u) - 1)`
    /// of a standard normal `u` (`Phi(u)` is uniform on `[0, 1]`), so the phase takes the
    /// normal that any other family's bias takes, and the draw order of every family is one.
    #[inline(always)]
    fn bias_lanes(&self, u: &mut NeuronLanes, _: f64) {
        u.iter_mut().for_each(|b| *b *= std::f64::consts::FRAC_1_SQRT_2);
        erf_lanes(u);
        u.iter_mut().for_each(|b| *b *= std::f64::consts::PI);
    }
}

/// Runs `$body` with `$act` bound to the network's activation type.
macro_rules! with_activation {
    ($net:expr, $act:ident => $body:expr) => {
        match $net.activation() {
            Activation::Erf => {
                let $act = &ErfAct;
                $body
            }
            Activation::Relu => {
                let $act = &ReluAct;
                $body
            }
            Activation::Gauss => {
                let $act = &GaussAct;
                $body
            }
            Activation::Cos => {
                let $act = &CosAct;
                $body
            }
        }
    };
}

/// Neurons drawn and evaluated together: lane `j` of every block array is neuron `j`.
pub const NEURON_LANES: usize = LANES;

/// One value per neuron of a block.
type NeuronLanes = [f64; NEURON_LANES];

/// Draws networks of one family and width on one input set. Neurons are drawn in blocks of
/// [`NEURON_LANES`], a block's normals [`NEURON_LANES`] at a time (its weights component by
/// component, then its biases, then for the raw estimator its readout weights; the lanes of
/// a last, partial block are drawn and weigh 0). Activations and their sums are formed
/// lane-wise, which vectorises. Each lane keeps its own running sum, summed pairwise once per
/// net. The block buffers are reused, so nothing is allocated per net.
#[derive(Debug, Clone)]
pub struct NetSampler<'a> {
    net: &'a Network,
    width: usize,
    xs: &'a PreparedInputs,
    /// `(sigma_w / sqrt(d), sigma_b)`, computed once.
    scales: (f64, f64),
    /// Hidden weights of a block, component-major: `w[c][j]`.
    w: Vec<NeuronLanes>,
    b: NeuronLanes,
    v: NeuronLanes,
    /// Activations of a block, point-major: `phi[a][j]`.
    phi: Vec<NeuronLanes>,
    /// Per-lane running sums: `f` (raw) or the lower triangle of `C` (conditional).
    acc: Vec<NeuronLanes>,
    /// Hidden weights of a batch of [`BATCH`] neurons, component-major (bias-integrated
    /// estimator only; sized on first use).
    w_batch: Vec<Lanes>,
}

impl<'a> NetSampler<'a> {
    /// A sampler for `width` neurons of `net` on the prepared inputs.
    pub fn new(net: &'a Network, width: usize, xs: &'a PreparedInputs) -> Self {
        let m = xs.len();
        Self {
            net,
            width,
            xs,
            scales: (net.weight_std(), net.sigma_b()),
            w: vec![[0.0; NEURON_LANES]; net.d_in()],
            b: [0.0; NEURON_LANES],
            v: [0.0; NEURON_LANES],
            phi: vec![[0.0; NEURON_LANES]; m],
            acc: vec![[0.0; NEURON_LANES]; m * (m + 1) / 2],
            w_batch: Vec::new(),
        }
    }

    /// Draws the next block: `w ~ N(0, sigma_w^2/d)` per component, `b ~ N(0, sigma_b^2)` (for
    /// the Cos-net uniform on `[-pi, pi]`, from the same normal: `Activate::bias_lanes`) and,
    /// if `v_std` is given, `v ~ N(0, v_std^2)`, [`NEURON_LANES`] neurons at a time. Then writes
    /// `phi(w . x_a + b; x_a)` for every point; lanes from `count` on get `phi = v = 0`.
    #[inline(always)]
    fn draw_block<G: Normals, A: Activate>(&mut self, rng: &mut G, count: usize, v_std: Option<f64>, act: &A) {
        let (weight_std, sigma_b) = self.scales;
        for wc in self.w.iter_mut() {
            rng.fill(wc);
            wc.iter_mut().for_each(|w| *w *= weight_std);
        }
        rng.fill(&mut self.b);
        act.bias_lanes(&mut self.b, sigma_b);
        if let Some(vs) = v_std {
            rng.fill(&mut self.v);
            self.v.iter_mut().for_each(|v| *v *= vs);
        }
        self.v[count..].iter_mut().for_each(|v| *v = 0.0);
        let (xs, w, b) = (self.xs, &self.w, &self.b);
        // point-major: each point's lanes in one vectorisable loop
        for (a, (p, s)) in self.phi.iter_mut().zip(&xs.self_cov).enumerate() {
            let x = &xs.coords[a * xs.d..(a + 1) * xs.d];
            for j in 0..NEURON_LANES {
                p[j] = match xs.d {
                    1 => w[0][j] * x[0] + b[j],
                    _ => b[j] + w.iter().zip(x).map(|(wc, xc)| wc[j] * xc).sum::<f64>(),
                };
            }
            act.phi_lanes(p, *s);
            p[count..].iter_mut().for_each(|v| *v = 0.0);
        }
    }

    /// Draws a whole network and writes `f(x_a)` into `f`
    /// (`f = b1 + sum_j v_j phi_j`, `v_j ~ N(0, sigma_w^2 / N)`; `b1` is drawn first, and is 0 for
    /// the Cos-net, whose `sigma_b` is 0: one draw order serves every family).
    #[inline(always)]
    pub fn outputs<G: Normals>(&mut self, rng: &mut G, f: &mut [f64]) {
        let net = self.net;
        let vs = net.sigma_w() / (self.width as f64).sqrt();
        let b1 = net.sigma_b() * rng.next();
        let m = self.xs.len();
        self.acc[..m].iter_mut().for_each(|l| *l = [0.0; NEURON_LANES]);
        with_activation!(net, act => {
            let mut left = self.width;
            while left > 0 {
                let count = left.min(NEURON_LANES);
                self.draw_block(rng, count, Some(vs), act);
                for (acc, p) in self.acc.iter_mut().zip(&self.phi) {
                    for j in 0..NEURON_LANES {
                        acc[j] += self.v[j] * p[j];
                    }
                }
                left -= count;
            }
        });
        for (o, acc) in f.iter_mut().zip(&self.acc) {
            *o = b1 + pairwise_sum(acc);
        }
    }

    /// Draws the hidden layer only and writes the conditional covariance of `f` given it,
    /// `C(x_a, x_b) = sigma_b^2 + (sigma_w^2 / N) sum_j phi_j(x_a) phi_j(x_b)`, row-major `m x m`.
    #[inline(always)]
    pub fn conditional_cov<G: Normals>(&mut self, rng: &mut G, cov: &mut [f64]) {
        let net = self.net;
        let m = self.xs.len();
        self.acc.iter_mut().for_each(|l| *l = [0.0; NEURON_LANES]);
        with_activation!(net, act => {
            let mut left = self.width;
            while left > 0 {
                let count = left.min(NEURON_LANES);
                self.draw_block(rng, count, None, act);
                let mut k = 0;
                for a in 0..m {
                    for b in 0..=a {
                        let (pa, pb) = (&self.phi[a], &self.phi[b]);
                        let acc = &mut self.acc[k];
                        for j in 0..NEURON_LANES {
                            acc[j] += pa[j] * pb[j];
                        }
                        k += 1;
                    }
                }
                left -= count;
            }
        });
        let (sb2, scale) = (net.sigma_b() * net.sigma_b(), net.sigma_w() * net.sigma_w() / self.width as f64);
        let mut k = 0;
        for a in 0..m {
            for b in 0..=a {
                let v = sb2 + scale * pairwise_sum(&self.acc[k]);
                cov[a * m + b] = v;
                cov[b * m + a] = v;
                k += 1;
            }
        }
    }
}

impl NetSampler<'_> {
    /// Gauss-net with the biases integrated out ([`crate::bias_integrated`]): draws the hidden
    /// weights of one net only, `w_j ~ N(0, sigma_w^2 / d)`, component by component (no bias,
    /// no readout), and adds the neuron power sums
    /// `P(S) = sum_j prod_{a in S} psi_j(x_a)`, `psi_j(x) = exp(w_j . x - S(x, x))`, of every
    /// multiset `S` of the even orders of `products` to `power`. Neurons fill the lanes of
    /// `psi` ([`BATCH`] at a time; unused lanes weigh 0).
    #[inline(always)]
    pub fn gauss_power_sums<G: Normals>(
        &mut self,
        rng: &mut G,
        products: &ProductTable,
        psi: &mut [Lanes],
        scratch: &mut ProductScratch,
        power: &mut [Vec<Parts>],
    ) {
        let d = self.xs.d;
        let mut left = self.width;
        while left > 0 {
            let count = left.min(BATCH);
            let mut weights = [0.0; BATCH];
            weights[..count].iter_mut().for_each(|w| *w = 1.0);
            self.draw_weight_batch(rng, count);
            for (a, (lane, s)) in psi.iter_mut().zip(&self.xs.self_cov).enumerate() {
                let x = &self.xs.coords[a * d..(a + 1) * d];
                for j in 0..BATCH {
                    lane[j] = -s;
                }
                for (wc, xc) in self.w_batch.iter().zip(x) {
                    for j in 0..BATCH {
                        lane[j] = wc[j].mul_add(*xc, lane[j]);
                    }
                }
                exp_lanes(lane);
                lane[count..].iter_mut().for_each(|v| *v = 0.0);
            }
            products.accumulate_batch(psi, &weights, scratch, power, None);
            left -= count;
        }
    }

    /// The draws of [`Self::gauss_power_sums`] for one-dimensional points, each batch of
    /// hidden weights handed to `batch(w, count)` (lanes `count..` unused), as the power sums
    /// on a grid of points take them (`bias_integrated::PowerGrid`).
    #[inline(always)]
    pub fn gauss_weight_batches<G: Normals>(&mut self, rng: &mut G, mut batch: impl FnMut(&Lanes, usize)) {
        let mut left = self.width;
        while left > 0 {
            let count = left.min(BATCH);
            self.draw_weight_batch(rng, count);
            batch(&self.w_batch[0], count);
            left -= count;
        }
    }

    /// The hidden weights of `count <= BATCH` neurons, `w ~ N(0, sigma_w^2 / d)`, component by
    /// component, into the first `count` lanes of `w_batch`.
    #[inline(always)]
    fn draw_weight_batch<G: Normals>(&mut self, rng: &mut G, count: usize) {
        let weight_std = self.scales.0;
        self.w_batch.resize(self.xs.d, [0.0; BATCH]);
        for wc in self.w_batch.iter_mut() {
            rng.fill_slice(&mut wc[..count]);
            wc[..count].iter_mut().for_each(|w| *w *= weight_std);
        }
    }
}

/// Pairwise sum of lanes (`L` a power of two): halves are added until one value is left.
#[inline]
pub(crate) fn pairwise_sum<const L: usize>(lanes: &[f64; L]) -> f64 {
    let mut v = *lanes;
    let mut width = L;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            v[i] += v[i + width];
        }
    }
    v[0]
}
