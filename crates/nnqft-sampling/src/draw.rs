//! Drawing one network and evaluating it on the input set (SPEC section 1). Nothing is
//! allocated per net: the caller owns the buffers, and a net's parameters live only in
//! registers while its neurons are evaluated.

use nnqft_theory::network::erf;
use nnqft_theory::{Activation, InputSet, Network};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

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
    pub fn len(&self) -> usize {
        self.self_cov.len()
    }
    /// Never empty.
    pub fn is_empty(&self) -> bool {
        self.self_cov.is_empty()
    }
}

#[inline]
fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

/// An activation as a type, so that the per-neuron loops are monomorphised per activation
/// (static dispatch, no branch or indirect call per element).
trait Activate {
    fn phi(&self, z: f64, s_xx: f64) -> f64;
}

struct ErfAct;
struct ReluAct;
struct GaussAct;

impl Activate for ErfAct {
    #[inline(always)]
    fn phi(&self, z: f64, _: f64) -> f64 {
        erf(z)
    }
}
impl Activate for ReluAct {
    #[inline(always)]
    fn phi(&self, z: f64, _: f64) -> f64 {
        z.max(0.0)
    }
}
impl Activate for GaussAct {
    #[inline(always)]
    fn phi(&self, z: f64, s_xx: f64) -> f64 {
        (z - s_xx).exp()
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
        }
    };
}

/// Draws the hidden parameters `(w, b)` of one neuron and writes `phi(w . x_a + b; x_a)`
/// for every input point into `phi`. `w` is scratch of length `d`.
#[inline]
pub fn draw_neuron<R: Rng + ?Sized>(rng: &mut R, net: &Network, xs: &PreparedInputs, w: &mut [f64], phi: &mut [f64]) {
    with_activation!(net, act => neuron(rng, net, xs, w, phi, act))
}

#[inline(always)]
fn neuron<R: Rng + ?Sized, A: Activate>(
    rng: &mut R,
    net: &Network,
    xs: &PreparedInputs,
    w: &mut [f64],
    phi: &mut [f64],
    act: &A,
) {
    let ws = net.weight_std();
    for c in w.iter_mut() {
        *c = ws * normal(rng);
    }
    let b = net.sigma_b() * normal(rng);
    if xs.d == 1 {
        for ((p, x), s) in phi.iter_mut().zip(&xs.coords).zip(&xs.self_cov) {
            *p = act.phi(w[0] * x + b, *s);
        }
    } else {
        for ((p, x), s) in phi.iter_mut().zip(xs.coords.chunks_exact(xs.d)).zip(&xs.self_cov) {
            let z = b + w.iter().zip(x).map(|(a, c)| a * c).sum::<f64>();
            *p = act.phi(z, *s);
        }
    }
}

/// Draws networks of one family and width on one input set, reusing its scratch buffers
/// (`w`: one hidden weight vector, `phi`: one neuron's activations, and the neuron blocks of
/// the conditional covariance), so nothing is allocated per net.
#[derive(Debug, Clone)]
pub struct NetSampler<'a> {
    net: &'a Network,
    width: usize,
    xs: &'a PreparedInputs,
    w: Vec<f64>,
    phi: Vec<f64>,
    phi_lanes: Vec<[f64; NEURON_LANES]>,
    cov_lanes: Vec<[f64; NEURON_LANES]>,
}

/// Neurons per block of [`NetSampler::conditional_cov`].
pub const NEURON_LANES: usize = 8;

impl<'a> NetSampler<'a> {
    /// A sampler for `width` neurons of `net` on the prepared inputs.
    pub fn new(net: &'a Network, width: usize, xs: &'a PreparedInputs) -> Self {
        let m = xs.len();
        Self {
            net,
            width,
            xs,
            w: vec![0.0; net.d_in()],
            phi: vec![0.0; m],
            phi_lanes: vec![[0.0; NEURON_LANES]; m],
            cov_lanes: vec![[0.0; NEURON_LANES]; m * (m + 1) / 2],
        }
    }

    /// Draws a whole network and writes `f(x_a)` into `f`
    /// (`f = b1 + sum_j v_j phi_j`, `v_j ~ N(0, sigma_w^2 / N)`).
    #[inline]
    pub fn outputs<R: Rng + ?Sized>(&mut self, rng: &mut R, f: &mut [f64]) {
        let (net, xs) = (self.net, self.xs);
        let vs = net.sigma_w() / (self.width as f64).sqrt();
        let b1 = net.sigma_b() * normal(rng);
        f.iter_mut().for_each(|v| *v = b1);
        with_activation!(net, act => {
            for _ in 0..self.width {
                neuron(rng, net, xs, &mut self.w, &mut self.phi, act);
                let v = vs * normal(rng);
                for (o, p) in f.iter_mut().zip(self.phi.iter()) {
                    *o += v * p;
                }
            }
        });
    }

    /// Draws the hidden layer only and writes the conditional covariance of `f` given it,
    /// `C(x_a, x_b) = sigma_b^2 + (sigma_w^2 / N) sum_j phi_j(x_a) phi_j(x_b)`, row-major `m x m`.
    ///
    /// Neurons are taken [`NEURON_LANES`] at a time: neuron `j` adds its products to lane
    /// `j mod NEURON_LANES` of each entry, so the products of a block are lane-wise
    /// (vectorisable) and the lanes are summed once per net.
    #[inline]
    pub fn conditional_cov<R: Rng + ?Sized>(&mut self, rng: &mut R, cov: &mut [f64]) {
        let (net, xs) = (self.net, self.xs);
        let m = xs.len();
        self.cov_lanes.clear();
        self.cov_lanes.resize(m * (m + 1) / 2, [0.0; NEURON_LANES]);
        with_activation!(net, act => {
            let mut left = self.width;
            while left > 0 {
                let block = left.min(NEURON_LANES);
                for j in 0..block {
                    neuron(rng, net, xs, &mut self.w, &mut self.phi, act);
                    for (lane, p) in self.phi_lanes.iter_mut().zip(&self.phi) {
                        lane[j] = *p;
                    }
                }
                for lane in &mut self.phi_lanes {
                    lane[block..].iter_mut().for_each(|p| *p = 0.0);
                }
                let mut k = 0;
                for a in 0..m {
                    for b in 0..=a {
                        let (pa, pb, c) = (&self.phi_lanes[a], &self.phi_lanes[b], &mut self.cov_lanes[k]);
                        for i in 0..NEURON_LANES {
                            c[i] += pa[i] * pb[i];
                        }
                        k += 1;
                    }
                }
                left -= block;
            }
        });
        let (sb2, scale) = (net.sigma_b() * net.sigma_b(), net.sigma_w() * net.sigma_w() / self.width as f64);
        let mut k = 0;
        for a in 0..m {
            for b in 0..=a {
                let v = sb2 + scale * pairwise_sum(&self.cov_lanes[k]);
                cov[a * m + b] = v;
                cov[b * m + a] = v;
                k += 1;
            }
        }
    }
}

/// Pairwise sum of the neuron lanes: halves are added until one value is left.
#[inline]
fn pairwise_sum(lanes: &[f64; NEURON_LANES]) -> f64 {
    let mut v = *lanes;
    let mut width = NEURON_LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            v[i] += v[i + width];
        }
    }
    v[0]
}
