//! Single-neuron moments `M_k(x_a, ...) = E[φ(x_a) ...]` of orders 2, 4, 6 (closed form or
//! quadrature, with accuracy).

use crate::error::{Result, TheoryError};
use crate::input_set::InputSet;
use crate::multiset::{BATCH, Lanes, Multisets, PARTS, Parts, ProductScratch, ProductTable, parts_total};
use crate::network::{Activation, Network};
use gauss_quad::GaussLegendre;
use std::f64::consts::PI;
use std::num::NonZeroUsize;

/// The orders stored: 2, 4 and 6.
pub const ORDERS: [usize; 3] = [2, 4, 6];

/// `M_2`, `M_4`, `M_6` over every multiset of an input set, with the accuracy reached.
///
/// Single-neuron moments `M_k(x_1, ..., x_k) = E[phi(x_1) ... phi(x_k)]` over the hidden
/// parameters `(w, b)` of one neuron, for every multiset of order 2, 4 and 6 of an input
/// set: the ingredients of the exact finite-width correlators ([`crate::FiniteWidthTheory`]).
///
/// Write the pre-activations as `z_a = u . y_a` with `u ~ N(0, I_D)` and the lifted inputs
/// `y_a = (sigma_w x_a / sqrt(d), sigma_b)` (`D = d + 1`; the last coordinate is dropped when
/// `sigma_b = 0`, `D = d`). Then:
///
/// - **Gauss-net**, closed form (log-normal):
///   `M_k = exp( sigma_w^2 |sum_a x_a|^2 / (2d) + k^2 sigma_b^2 / 2 - sum_a S(x_a, x_a) )`.
/// - **Cos-net**, closed form (uniform phase). With `θ_a = w · x_a` and the phase `b` uniform
///   on `[−π, π]`, expand each cosine as `(e^{i(θ_a+b)} + e^{−i(θ_a+b)}) / 2`:
///
///   ```text
///   ∏_{a=1..n} cos(θ_a + b) = 2^{−n} Σ_{s ∈ {±1}^n} cos( Σ_a s_a θ_a + (Σ_a s_a) b ).
///   ```
///
///   `E_b[cos(α + k b)] = cos α` for the integer `k = 0` and `0` otherwise (`E_b e^{ikb} = δ_{k0}`),
///   so only the sign vectors with `Σ_a s_a = 0` survive, and `w · Y ~ N(0, σ_w² |Y|² / d)` has
///   `E cos(w · Y) = exp(−σ_w² |Y|² / (2d))`:
///
///   ```text
///   M_n(x_1, …, x_n) = 2^{−n} Σ_{s ∈ {±1}^n, Σ_a s_a = 0} exp( −σ_w² |Σ_a s_a x_a|² / (2d) ),
///   ```
///
///   `C(n, n/2)` terms (2, 6, 20 for `n` = 2, 4, 6; odd `n` have none and vanish). Each term
///   depends on the points only through a difference (`Σ_a s_a = 0`), so every moment, and
///   with it every correlator, is translation invariant. `M_2 = exp(−σ_w² |x − y|² / (2d)) / 2`;
///   at coincident points `M_n = C(n, n/2) / 2^n` (`E cos^n` of a uniform angle). The tests
///   hold it to a quadrature over `w` (the normal rule below) times the trapezoidal rule in
///   the phase, exact for the frequencies `|k| <= 6` that a product of six cosines has.
/// - **Erf-net**: tensor composite Gauss-Legendre quadrature against the normal density on
///   `[-T, T]^D` (nodes from the `gauss-quad` crate). The integrand is entire, so each piece
///   converges exponentially; Gauss-Hermite does not serve here: erf grows like `exp(z^2)`
///   off the real axis and 96 Hermite nodes leave `M6` at only ~1e-7. Reached accuracy
///   (coarse vs fine rule): ~1e-13 at `D = 2`, ~1e-9 at `D = 3`, ~2e-8 at `D = 4` (about 20 s).
/// - **ReLU-net**: positive homogeneity. With `u = r theta`, `r ~ chi_D`, `theta` uniform on
///   the sphere, `M_k = E[r^k] E_theta[prod_a relu(theta . y_a)]`,
///   `E[r^k] = 2^{k/2} Gamma((D+k)/2) / Gamma(D/2)`. The angular integrand is smooth between
///   the great circles `theta . y_a = 0`, so the sphere is cut along them and each piece gets
///   Gauss-Legendre nodes: `D = 1` is two points, `D = 2` arcs of the circle, `D = 3` an
///   azimuthal outer rule (cut where two circles cross) times a polar inner rule (cut where
///   each circle passes). Convergence is then exponential, not the slow algebraic rate of
///   Gauss-Hermite across the kinks. `D = 4` (ReLU, `d = 3`, `sigma_b > 0`) is not supported.
///
/// Every quadrature is evaluated at two resolutions; the reported accuracy is the largest
/// difference between them relative to the largest moment of the same order.
#[derive(Debug, Clone)]
pub struct NeuronMoments {
    /// Multisets of order 2, 4, 6 (in that order).
    pub multisets: [Multisets; 3],
    /// Moments, one vector per order, indexed like `multisets`.
    pub values: [Vec<f64>; 3],
    /// Estimated relative error: max over multisets of |coarse - fine| / max |fine|, per order.
    pub relative_accuracy: [f64; 3],
    /// How the moments were computed.
    pub method: &'static str,
}

impl NeuronMoments {
    /// Computes the moments for `net` on `inputs` (`d_in` of both must agree).
    /// [`TheoryError::Unsupported`] where the quadrature is out of reach (see
    /// [`crate::FiniteWidthTheory::new`]).
    pub fn compute(net: &Network, inputs: &InputSet) -> Result<Self> {
        inputs.check_dimension(net.d_in())?;
        let m = inputs.len();
        let multisets = [Multisets::new(m, 2)?, Multisets::new(m, 4)?, Multisets::new(m, 6)?];
        if net.activation() == Activation::Gauss {
            let values = [0, 1, 2].map(|o| multisets[o].iter().map(|ms| gauss_moment(net, inputs, ms)).collect());
            return Ok(Self {
                multisets,
                values,
                relative_accuracy: [f64::EPSILON * 16.0; 3],
                method: "closed form (log-normal)",
            });
        }
        if net.activation() == Activation::Cos {
            let values = [0, 1, 2].map(|o| multisets[o].iter().map(|ms| cos_moment(net, inputs, ms)).collect());
            return Ok(Self {
                multisets,
                values,
                relative_accuracy: [f64::EPSILON * 64.0; 3],
                method: "closed form (uniform phase)",
            });
        }
        check_erf_quadrature_in_reach(net)?;
        let coarse = integrate(net, inputs, &multisets, 0)?;
        let fine = integrate(net, inputs, &multisets, 1)?;
        let relative_accuracy = [0, 1, 2].map(|o| {
            let scale = fine[o].iter().fold(0.0f64, |a, v| a.max(v.abs())).max(f64::MIN_POSITIVE);
            coarse[o].iter().zip(&fine[o]).fold(0.0f64, |a, (c, f)| a.max((c - f).abs())) / scale
        });
        let method = match net.activation() {
            Activation::Erf => "tensor composite Gauss-Legendre x normal density",
            _ => "radial moment x piecewise Gauss-Legendre on the sphere",
        };
        Ok(Self { multisets, values: fine, relative_accuracy, method })
    }

    /// The moment of order `n` (2, 4 or 6) for the multiset holding `indices`.
    pub fn get(&self, indices: &[usize]) -> Option<f64> {
        let o = ORDERS.iter().position(|&k| k == indices.len())?;
        Some(self.values[o][self.multisets[o].position(indices)?])
    }
}

/// Closed-form Gauss-net moment, evaluated in the log domain.
pub(crate) fn gauss_moment(net: &Network, inputs: &InputSet, ms: &[u8]) -> f64 {
    let d = net.d_in();
    let (sw2, sb2) = (net.sigma_w().powi(2), net.sigma_b().powi(2));
    let k = ms.len() as f64;
    let mut sum = vec![0.0; d];
    let mut self_cov = 0.0;
    for &a in ms {
        let x = inputs.point(a as usize);
        sum.iter_mut().zip(x).for_each(|(s, c)| *s += c);
        self_cov += net.preactivation_cov(x, x);
    }
    let norm2: f64 = sum.iter().map(|s| s * s).sum();
    (sw2 * norm2 / (2.0 * d as f64) + k * k * sb2 / 2.0 - self_cov).exp()
}

/// Closed-form Cos-net moment `2^{-n} Σ_{s, Σ s = 0} exp(-σ_w² |Σ_a s_a x_a|² / (2d))` (the
/// type's docs) of the points `ms` of `inputs`; 0 for odd `n`.
pub(crate) fn cos_moment(net: &Network, inputs: &InputSet, ms: &[u8]) -> f64 {
    let n = ms.len();
    if n % 2 == 1 {
        return 0.0;
    }
    let d = net.d_in();
    let scale = net.sigma_w().powi(2) / (2.0 * d as f64);
    let mut y = vec![0.0; d];
    let mut total = 0.0;
    // sign vectors as bit masks (bit a set: s_a = -1), with exactly n/2 minus signs
    for mask in 0u32..(1 << n) {
        if mask.count_ones() as usize != n / 2 {
            continue;
        }
        y.iter_mut().for_each(|c| *c = 0.0);
        for (a, &p) in ms.iter().enumerate() {
            let sign = if mask >> a & 1 == 1 { -1.0 } else { 1.0 };
            y.iter_mut().zip(inputs.point(p as usize)).for_each(|(c, x)| *c += sign * x);
        }
        total += (-scale * y.iter().map(|c| c * c).sum::<f64>()).exp();
    }
    total / f64::from(1u32 << n)
}

/// Streams quadrature nodes into batched products over multisets, so that no node table is
/// ever stored (the 4-dimensional Erf rule has ~5e7 nodes).
struct NodeAccumulator {
    table: ProductTable,
    scratch: ProductScratch,
    lanes: Vec<Lanes>,
    weights: Lanes,
    fill: usize,
    sums: Vec<Vec<Parts>>,
}

impl NodeAccumulator {
    fn new(multisets: &[Multisets; 3], m: usize) -> Result<Self> {
        Ok(Self {
            table: ProductTable::new(m, 6)?,
            scratch: ProductScratch::default(),
            lanes: vec![[0.0; BATCH]; m],
            weights: [0.0; BATCH],
            fill: 0,
            sums: multisets.iter().map(|ms| vec![[0.0; PARTS]; ms.len()]).collect(),
        })
    }

    /// Adds one node: weight `w` and the activation at every input point.
    #[inline]
    fn push(&mut self, w: f64, phis: impl Iterator<Item = f64>) {
        for (lane, v) in self.lanes.iter_mut().zip(phis) {
            lane[self.fill] = v;
        }
        self.weights[self.fill] = w;
        self.fill += 1;
        if self.fill == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.fill > 0 {
            self.table.accumulate_batch(&self.lanes, &self.weights, &mut self.scratch, &mut self.sums, None);
            self.weights = [0.0; BATCH];
            self.fill = 0;
        }
    }

    /// `sum_q w_q prod_a phi_a(q)` for every multiset of order 2, 4, 6, times `order_factor`.
    fn finish(mut self, order_factor: [f64; 3]) -> [Vec<f64>; 3] {
        self.flush();
        let mut it = self
            .sums
            .iter()
            .zip(order_factor)
            .map(|(sum, factor)| sum.iter().map(|p| parts_total(p) * factor).collect());
        [0, 1, 2].map(|_| it.next().unwrap_or_default())
    }
}

/// Largest dimension `D` of the Erf-net moment quadrature (`D = d_in + 1`, or `d_in` when
/// `sigma_b = 0`): the tensor rule takes about 20 s at `D = 4` and grows by two orders of
/// magnitude per dimension beyond.
pub(crate) const MAX_ERF_QUADRATURE_DIMENSION: usize = 4;

/// Refuses, at once, an Erf-net whose moment quadrature would run for hours:
/// [`TheoryError::Unsupported`] naming `d_in` and its allowed range.
fn check_erf_quadrature_in_reach(net: &Network) -> Result<()> {
    let with_bias = net.sigma_b() > 0.0;
    let dim = net.d_in() + usize::from(with_bias);
    if net.activation() == Activation::Erf && dim > MAX_ERF_QUADRATURE_DIMENSION {
        let sigma_b = if with_bias { "sigma_b > 0" } else { "sigma_b = 0" };
        return Err(TheoryError::Unsupported(format!(
            "exact erf theory at d_in = {} with {sigma_b}: allowed range is d_in = 1 to {} (1 to {} with \
             sigma_b = 0); its moments are a quadrature in d_in + 1 dimensions (d_in with sigma_b = 0), \
             about 20 s at {} and hours beyond",
            net.d_in(),
            MAX_ERF_QUADRATURE_DIMENSION - 1,
            MAX_ERF_QUADRATURE_DIMENSION,
            MAX_ERF_QUADRATURE_DIMENSION,
        )));
    }
    Ok(())
}

/// The lifted inputs `y_a` (see the module docs) and their dimension `D`.
fn lifted_inputs(net: &Network, inputs: &InputSet) -> (Vec<Vec<f64>>, usize) {
    let ws = net.weight_std();
    let with_bias = net.sigma_b() > 0.0;
    let ys: Vec<Vec<f64>> = inputs
        .points()
        .map(|x| {
            let mut y: Vec<f64> = x.iter().map(|c| c * ws).collect();
            if with_bias {
                y.push(net.sigma_b());
            }
            y
        })
        .collect();
    (ys, net.d_in() + usize::from(with_bias))
}

fn nz(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n.max(1)).unwrap_or(NonZeroUsize::MIN)
}

/// Integrates the moments with the rule of resolution `level` (see the module docs).
fn integrate(net: &Network, inputs: &InputSet, multisets: &[Multisets; 3], level: usize) -> Result<[Vec<f64>; 3]> {
    let mut acc = NodeAccumulator::new(multisets, inputs.len())?;
    let (ys, dim) = lifted_inputs(net, inputs);
    let s_xx: Vec<f64> = inputs.points().map(|x| net.preactivation_cov(x, x)).collect();
    match net.activation() {
        Activation::Erf | Activation::Gauss | Activation::Cos => {
            // Composite Gauss-Legendre on [-T, T] per dimension against the standard normal
            // density (erf is entire but grows like exp(z^2) off the real axis, which makes
            // Gauss-Hermite converge slowly); P(|u| > T) is 2e-19 for T = 9, 7e-13 for T = 7.
            let (t_max, pieces, n) = match dim {
                1 | 2 => (9.0, 12, 16 + 8 * level),
                3 => (7.0, 7, 12 + 4 * level),
                _ => (7.0, 5, 13 + 4 * level),
            };
            let nodes = normal_rule(t_max, pieces, n);
            let mut idx = vec![0usize; dim];
            let mut u = vec![0.0; dim];
            loop {
                u.iter_mut().zip(&idx).for_each(|(c, &i)| *c = nodes[i].0);
                let w: f64 = idx.iter().map(|&i| nodes[i].1).product();
                if net.activation() == Activation::Cos {
                    // the uniform phase by the trapezoidal rule, exact for |frequency| < PHASES
                    for k in 0..COS_PHASES {
                        let b = -PI + 2.0 * PI * k as f64 / COS_PHASES as f64;
                        let phis = ys.iter().map(|y| (u.iter().zip(y).map(|(a, c)| a * c).sum::<f64>() + b).cos());
                        acc.push(w / COS_PHASES as f64, phis);
                    }
                } else {
                    let phis =
                        ys.iter().zip(&s_xx).map(|(y, s)| net.phi(u.iter().zip(y).map(|(a, b)| a * b).sum(), *s));
                    acc.push(w, phis);
                }
                if !next_index(&mut idx, nodes.len()) {
                    break;
                }
            }
            Ok(acc.finish([1.0; 3]))
        }
        Activation::Relu => {
            let n_gl = 16 + 8 * level;
            let directions = match dim {
                1 => vec![(vec![1.0], 0.5), (vec![-1.0], 0.5)],
                2 => circle_rule(&ys, n_gl),
                3 => sphere_rule(&ys, n_gl),
                _ => {
                    return Err(TheoryError::Unsupported(
                        "exact ReLU moments need d_in + (sigma_b > 0) <= 3 (d = 3 with sigma_b > 0 is not implemented)"
                            .into(),
                    ));
                }
            };
            for (theta, w) in directions {
                acc.push(w, ys.iter().map(|y| theta.iter().zip(y).map(|(a, b)| a * b).sum::<f64>().max(0.0)));
            }
            Ok(acc.finish(ORDERS.map(|k| chi_moment(dim, k))))
        }
    }
}

/// Trapezoidal nodes in the Cos-net's phase (quadrature check of its closed form): exact for
/// the frequencies `|k| <= 6` of a product of six cosines.
const COS_PHASES: usize = 8;

/// `E[r^k]` for `r ~ chi_D`: `2^{k/2} Gamma((D+k)/2) / Gamma(D/2)`.
pub fn chi_moment(dim: usize, k: usize) -> f64 {
    use statrs::function::gamma::ln_gamma;
    let (d, k) = (dim as f64, k as f64);
    (k / 2.0 * 2f64.ln() + ln_gamma((d + k) / 2.0) - ln_gamma(d / 2.0)).exp()
}

/// Advances a mixed-radix counter; false when it wraps around.
fn next_index(idx: &mut [usize], radix: usize) -> bool {
    for i in idx.iter_mut() {
        *i += 1;
        if *i < radix {
            return true;
        }
        *i = 0;
    }
    false
}

/// Sorted, de-duplicated break points in `[lo, hi]` including both ends.
fn breakpoints(mut pts: Vec<f64>, lo: f64, hi: f64) -> Vec<f64> {
    pts.retain(|p| *p > lo && *p < hi);
    pts.push(lo);
    pts.push(hi);
    pts.sort_by(f64::total_cmp);
    pts.dedup_by(|a, b| (*a - *b).abs() < 1e-13);
    pts
}

/// Nodes and weights for `E[g(u)]`, `u ~ N(0, 1)`: composite Gauss-Legendre with `n` nodes
/// on each of `pieces` equal pieces of `[-t_max, t_max]`, weights times the normal density.
pub(crate) fn normal_rule(t_max: f64, pieces: usize, n: usize) -> Vec<(f64, f64)> {
    let cuts: Vec<f64> = (0..=pieces).map(|i| -t_max + 2.0 * t_max * i as f64 / pieces as f64).collect();
    piecewise_gl(&GaussLegendre::new(nz(n)), &cuts)
        .into_iter()
        .map(|(u, w)| (u, w * (-0.5 * u * u).exp() / (2.0 * PI).sqrt()))
        .collect()
}

/// Gauss-Legendre nodes and weights on each piece between consecutive break points.
fn piecewise_gl(gl: &GaussLegendre, cuts: &[f64]) -> Vec<(f64, f64)> {
    cuts.windows(2)
        .flat_map(|w| {
            let (a, b) = (w[0], w[1]);
            let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0);
            gl.iter().map(move |&(t, wt)| (mid + half * t, half * wt))
        })
        .collect()
}

fn wrap_angle(a: f64) -> f64 {
    a.rem_euclid(2.0 * PI)
}

/// Directions on the unit circle with weights summing to 1, cut where `theta . y_a = 0`.
fn circle_rule(ys: &[Vec<f64>], n_gl: usize) -> Vec<(Vec<f64>, f64)> {
    let gl = GaussLegendre::new(nz(n_gl));
    let kinks: Vec<f64> = ys
        .iter()
        .filter(|y| y[0] != 0.0 || y[1] != 0.0)
        .flat_map(|y| {
            let beta = y[1].atan2(y[0]);
            [wrap_angle(beta + PI / 2.0), wrap_angle(beta - PI / 2.0)]
        })
        .collect();
    piecewise_gl(&gl, &breakpoints(kinks, 0.0, 2.0 * PI))
        .into_iter()
        .map(|(t, w)| (vec![t.cos(), t.sin()], w / (2.0 * PI)))
        .collect()
}

fn cross(a: &[f64], b: &[f64]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

/// Directions on the unit sphere with weights summing to 1. Azimuth `phi` outer, polar
/// angle `vartheta` inner; the measure is `sin(vartheta) dvartheta dphi / (4 pi)`.
fn sphere_rule(ys: &[Vec<f64>], n_gl: usize) -> Vec<(Vec<f64>, f64)> {
    let gl = GaussLegendre::new(nz(n_gl));
    let mut outer_cuts = Vec::new();
    for (i, a) in ys.iter().enumerate() {
        // azimuths where circle a passes through the poles' meridian structure changes
        if a[0] != 0.0 || a[1] != 0.0 {
            let phi0 = (-a[0]).atan2(a[1]);
            outer_cuts.extend([wrap_angle(phi0), wrap_angle(phi0 + PI)]);
        }
        for b in &ys[i + 1..] {
            let c = cross(a, b);
            if c[0] != 0.0 || c[1] != 0.0 {
                let phi = c[1].atan2(c[0]);
                outer_cuts.extend([wrap_angle(phi), wrap_angle(phi + PI)]);
            }
        }
    }
    let mut rule = Vec::new();
    for (phi, wphi) in piecewise_gl(&gl, &breakpoints(outer_cuts, 0.0, 2.0 * PI)) {
        let (cp, sp) = (phi.cos(), phi.sin());
        let inner_cuts: Vec<f64> = ys
            .iter()
            .filter_map(|y| {
                let (a, b) = (cp * y[0] + sp * y[1], y[2]);
                // a sin(t) + b cos(t) = 0
                if a == 0.0 && b == 0.0 { None } else { Some((-b).atan2(a).rem_euclid(PI)) }
            })
            .collect();
        for (t, wt) in piecewise_gl(&gl, &breakpoints(inner_cuts, 0.0, PI)) {
            let st = t.sin();
            rule.push((vec![st * cp, st * sp, t.cos()], wphi * wt * st / (4.0 * PI)));
        }
    }
    rule
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_moments_of_gaussians() {
        // E|u|^2 = D, E|u|^4 = D(D+2)
        assert!((chi_moment(3, 2) - 3.0).abs() < 1e-13);
        assert!((chi_moment(2, 4) - 8.0).abs() < 1e-13);
        assert!((chi_moment(1, 6) - 15.0).abs() < 1e-12);
    }

    /// The Cos-net's closed-form moments against the quadrature in `w` and the phase, for
    /// `n` = 2, 4, 6 at `d` = 1 and 2 (an independent evaluation: no sign-vector sum).
    #[test]
    fn cos_moments_match_quadrature() {
        const TOLERANCE: f64 = 1e-12;
        let sets = [
            InputSet::new("d1", &[vec![-1.0], vec![-0.3], vec![0.4], vec![1.1]]).unwrap(),
            InputSet::new("d2", &[vec![-0.5, 0.2], vec![0.3, -0.8], vec![0.9, 0.6]]).unwrap(),
        ];
        for (xs, sigma_w) in sets.iter().zip([1.3, 0.8]) {
            let net = Network::new(Activation::Cos, xs.d_in(), sigma_w, 0.0).unwrap();
            let closed = NeuronMoments::compute(&net, xs).unwrap();
            let multisets = closed.multisets.clone();
            let quadrature = integrate(&net, xs, &multisets, 1).unwrap();
            for o in 0..3 {
                for (c, q) in closed.values[o].iter().zip(&quadrature[o]) {
                    assert!((c - q).abs() < TOLERANCE, "order {}: closed {c} vs quadrature {q}", ORDERS[o]);
                }
            }
            // coincident points: E cos^n of a uniform angle, C(n, n/2) / 2^n
            for (n, expected) in [(2, 0.5), (4, 0.375), (6, 0.3125)] {
                assert!((closed.get(&vec![0; n]).unwrap() - expected).abs() < TOLERANCE);
            }
        }
    }

    #[test]
    fn angular_rules_integrate_constants_and_quadratics() {
        let ys = vec![vec![1.0, 0.3, -0.2], vec![0.2, 1.0, 0.5], vec![-0.4, 0.1, 1.0]];
        let rule = sphere_rule(&ys, 16);
        let total: f64 = rule.iter().map(|(_, w)| w).sum();
        let second: f64 = rule.iter().map(|(t, w)| w * t[2] * t[2]).sum();
        assert!((total - 1.0).abs() < 1e-13);
        assert!((second - 1.0 / 3.0).abs() < 1e-13);
        let circle = circle_rule(&[vec![1.0, 2.0]], 16);
        assert!((circle.iter().map(|(_, w)| w).sum::<f64>() - 1.0).abs() < 1e-13);
    }
}
