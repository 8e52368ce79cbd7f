//! The bias-integrated estimator of Gauss-net: the conditional-Gaussian estimator averaged
//! over the hidden biases analytically (a second Rao-Blackwellisation, on top of the one over
//! the readout), so that its only randomness is the hidden weights `w`.
//!
//! # Derivation
//!
//! Gauss-net's activation is `phi_j(x) = exp(w_j . x + b_j - S(x, x))` with
//! `S(x, x) = sigma_b^2 + sigma_w^2 |x|^2 / d` (paper section 2). Write
//! `phi_j(x) = e^{b_j} psi_j(x)` with `psi_j(x) = exp(w_j . x - S(x, x))`, which depends on
//! `w_j` only. Given the hidden layer the output is Gaussian with covariance
//!
//! ```text
//! C(a, b) = σ_b² + (σ_w² / N) Σ_j Y_j ψ_j(x_a) ψ_j(x_b),    Y_j = exp(2 b_j),
//! ```
//!
//! and the conditional estimator of `G(n)` on a multiset is the Wick sum `W(C)`: the sum over
//! the perfect matchings of the multiset's `n` positions of products of `C` over the pairs.
//! Given `w`, the `Y_j` are i.i.d. log-normal, with moments `E[Y^k] = exp(2 k^2 sigma_b^2)`
//! and cumulants `k_1, k_2, k_3`. Write `C = sigma_b^2 + D`, `D(t) = sum_j Y_j A_j(t)` for a
//! pair `t`, `A_j(t) = (sigma_w^2 / N) psi_j psi_j'`. Since the `Y_j` are independent, the joint
//! cumulant of `D(t_1), ..., D(t_q)` is `k_q sum_j prod_i A_j(t_i)`, and moments are sums over
//! set partitions of products of joint cumulants. Expanding every product of `C`s over a
//! matching in `sigma_b^2` and `D`, and grouping each term by the partition of the
//! multiset's positions into pairs left to `sigma_b^2` and blocks of pairs joined by a
//! cumulant (a block of `2q` positions arises from `(2q - 1)!!` matchings), gives
//!
//! ```text
//! E_b[W(C) | w] = Σ over the partitions of the positions into blocks of even size of  Π_(blocks B) h(B),
//! ```
//!
//! ```text
//! h({a, b}) = C̄(a, b) = σ_b² + k_1 (σ_w² / N) P(a, b),
//! h(B_4)    = 3 k_2 (σ_w² / N)² P(B_4),
//! h(B_6)    = 15 k_3 (σ_w² / N)³ P(B_6),
//! ```
//!
//! with the neuron power sums `P(B) = sum_j prod_{a in B} psi_j(x_a)` over every multiset of
//! order 2, 4 and 6. So, per net,
//!
//! - `G2 = C-bar`;
//! - `G4 = W4(C-bar) + h(abcd)` (three pairings and one block of four);
//! - `G6 = W6(C-bar) + sum over the 15 splits {abcd | ef} of h(abcd) C-bar(e, f) + h(abcdef)`.
//!
//! The cost per net is that of the power sums, one multiply per multiset and neuron
//! (`O(N)` per multiset), plus one Wick evaluation; the biases are never drawn. Averaging
//! over `w` gives `E[W(C)]`, the exact `G(n)`: the estimator is exactly unbiased. On the
//! paper's x-sets (`|x| ~ 0.01`) `psi_j` barely depends on `w`, so its variance is tiny,
//! while the conditional estimator carries the log-normal tail of `e^{2 b}` (moments up to
//! `e^{18 sigma_b^2}` at order 6).
//!
//! Where only the sums over nets are wanted (no per-net squares), the nets of a work item are
//! summed without forming each one's estimate: every term is a polynomial in the net's mean
//! covariance `C-bar` and power sums, so the Wick sums of `C-bar` go through the lane batches of
//! [`WickSums::accumulate_batch`] (32 nets at once, as the conditional estimator's do), the terms
//! linear in `P` are summed as they come, and the splits' products through their moments
//! `M(abcd, ef) = sum over nets of P(abcd) C-bar(e, f)` (126 x 21 on six points), contracted with
//! the splits once per work item.
//!
//! # Power sums on a grid of points
//!
//! The power sum of a multiset `B` of `n` points factorises neuron by neuron,
//! `prod_{a in B} psi_j(x_a) = exp(w_j . s_B - sum_{a in B} S(x_a, x_a))` with
//! `s_B = sum_{a in B} x_a`, so it depends on the neuron only through `s_B`. When the points
//! lie on an arithmetic grid of one dimension, `x_a = x_0 + h k_a` with integers
//! `0 <= k_a <= k_max` (the paper's x-sets do), `s_B = n x_0 + h t_B` with the integer
//! `t_B = sum_{a in B} k_a`, and with `S_min = min_a S(x_a, x_a)`
//!
//! ```text
//! P(B) = exp(-(sum_{a in B} S(x_a, x_a) - n S_min)) Q(n, t_B),
//! Q(n, t) = sum_j u_j^n r_j^t,    u_j = exp(w_j x_0 - S_min),    r_j = exp(w_j h):
//! ```
//!
//! per neuron two exponentials and one multiply-add per `(n, t)`, `3 + 12 k_max` of them for
//! `n = 2, 4, 6` (63 on six consecutive grid points), instead of one multiply per multiset
//! (609 on six points) and one exponential per point. The grid is accepted when every point
//! is within 8 ulps (of the largest `|x|`) of `x_0 + h k_a`, so the power sums it gives are
//! those of the points as given to rounding (the powers `r_j^t` by repeated multiplication
//! carry at most `t` roundings, `t <= 6 k_max`), and when it is cheaper than the products.
//!
//! Cumulants of `Y = e^{2b}`, with `s = sigma_b^2` and `y = e^{4s} - 1` (computed with
//! `expm1`, so nothing cancels as `s -> 0`): `k_1 = e^{2s}`, `k_2 = e^{4s} y`,
//! `k_3 = e^{6s} y^2 (3 + y)`.

use crate::draw::pairwise_sum;
use crate::error::{Result, SamplingError};
use nnqft_theory::exp_bias_cumulants;
use nnqft_theory::machinery::{BATCH, Lanes, Parts, exp_lanes};
use nnqft_theory::{Activation, InputSet, Multisets, Network, SplitTable, WickSums};

/// The coefficients of the bias-integrated estimator for one network, width and input set.
#[derive(Debug, Clone)]
pub(crate) struct BiasIntegrated {
    m: usize,
    sigma_b2: f64,
    /// `[k_1 sigma_w^2 / N, 3 k_2 (sigma_w^2 / N)^2, 15 k_3 (sigma_w^2 / N)^3]`.
    scales: [f64; 3],
    /// Position of the order-2 multiset `{a, b}` for flat index `a * m + b`.
    pair_pos: Vec<usize>,
    splits: SplitTable,
}

/// Gauss-net's neuron power sums on an arithmetic grid of points (module docs, "Power sums
/// on a grid of points").
#[derive(Debug, Clone)]
pub(crate) struct PowerGrid {
    /// `x_0`, `h` and `S_min`.
    start: f64,
    step: f64,
    s_min: f64,
    /// Per order `2 (o + 1)`: `t_B` of every multiset, in the multisets' order.
    sums: [Vec<u32>; 3],
    /// Per order: `exp(-(sum_{a in B} S(x_a, x_a) - n S_min))` of every multiset.
    factors: [Vec<f64>; 3],
    /// Per order: the number of values of `t`, `n k_max + 1`.
    lens: [usize; 3],
}

impl PowerGrid {
    /// The grid of `inputs` (coordinates `coords`, one per point, and `S(x, x)` per point
    /// `self_cov`) when the points are one-dimensional, lie on an arithmetic grid (module
    /// docs) and the grid is cheaper per neuron than one product per multiset; `None`
    /// otherwise.
    pub(crate) fn of(d: usize, coords: &[f64], self_cov: &[f64], multisets: &[Multisets; 3]) -> Option<Self> {
        if d != 1 || coords.is_empty() || coords.iter().chain(self_cov).any(|v| !v.is_finite()) {
            return None;
        }
        let lo = coords.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = coords.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sorted = coords.to_vec();
        sorted.sort_by(f64::total_cmp);
        let gap = sorted.windows(2).map(|w| w[1] - w[0]).filter(|g| *g > 0.0).fold(f64::INFINITY, f64::min);
        let tolerance = 8.0 * f64::EPSILON * lo.abs().max(hi.abs());
        let (step, ks) = if gap.is_finite() {
            let k_max = ((hi - lo) / gap).round();
            // the budget below bounds k_max far more tightly; this keeps the casts exact
            if !(1.0..=1024.0).contains(&k_max) {
                return None;
            }
            let step = (hi - lo) / k_max;
            let ks: Vec<u32> = coords.iter().map(|x| ((x - lo) / step).round() as u32).collect();
            (step, ks)
        } else {
            (1.0, vec![0; coords.len()])
        };
        if coords.iter().zip(&ks).any(|(x, &k)| (step.mul_add(f64::from(k), lo) - x).abs() > tolerance) {
            return None;
        }
        let k_max = ks.iter().copied().max().unwrap_or(0) as usize;
        let lens = [2, 4, 6].map(|n| n * k_max + 1);
        let products: usize = multisets.iter().map(Multisets::len).sum();
        if lens.iter().sum::<usize>() >= products {
            return None;
        }
        let s_min = self_cov.iter().copied().fold(f64::INFINITY, f64::min);
        let sums = multisets.each_ref().map(|ms| ms.iter().map(|b| b.iter().map(|&a| ks[a as usize]).sum()).collect());
        let factors = multisets.each_ref().map(|ms| {
            ms.iter().map(|b| (-b.iter().map(|&a| self_cov[a as usize] - s_min).sum::<f64>()).exp()).collect()
        });
        Some(Self { start: lo, step, s_min, sums, factors, lens })
    }

    /// Zeroed lane accumulators of `Q(n, t)`: `[order][t]`.
    pub(crate) fn accumulators(&self) -> [Vec<Lanes>; 3] {
        self.lens.map(|len| vec![[0.0; BATCH]; len])
    }

    /// Adds the neurons of one batch, hidden weights `w` (lanes `count..` unused), to the lane
    /// accumulators `q` of `Q(n, t)`.
    #[inline(always)]
    pub(crate) fn accumulate(&self, w: &Lanes, count: usize, q: &mut [Vec<Lanes>; 3]) {
        let (mut u, mut r) = ([0.0; BATCH], [0.0; BATCH]);
        for j in 0..BATCH {
            u[j] = w[j].mul_add(self.start, -self.s_min);
            r[j] = w[j] * self.step;
        }
        exp_lanes(&mut u);
        exp_lanes(&mut r);
        u[count..].iter_mut().for_each(|v| *v = 0.0);
        let mut u2 = [0.0; BATCH];
        for j in 0..BATCH {
            u2[j] = u[j] * u[j];
        }
        let mut base = u2;
        for (o, acc) in q.iter_mut().enumerate() {
            if o > 0 {
                for j in 0..BATCH {
                    base[j] *= u2[j];
                }
            }
            let mut v = base;
            for (t, a) in acc.iter_mut().enumerate() {
                if t > 0 {
                    for j in 0..BATCH {
                        v[j] *= r[j];
                    }
                }
                for j in 0..BATCH {
                    a[j] += v[j];
                }
            }
        }
    }

    /// The power sums `P(B)` of every multiset of each order from the accumulators `q` of one
    /// net, into `out` (`totals` and `out` are reused buffers).
    #[inline(always)]
    pub(crate) fn power_sums_into(&self, q: &[Vec<Lanes>; 3], totals: &mut Vec<f64>, out: &mut [Vec<f64>; 3]) {
        for o in 0..3 {
            totals.clear();
            totals.extend(q[o].iter().map(pairwise_sum));
            out[o].clear();
            out[o].extend(self.sums[o].iter().zip(&self.factors[o]).map(|(&t, f)| f * totals[t as usize]));
        }
    }
}

/// Reused buffers of [`BiasIntegrated::values_into`].
#[derive(Debug, Clone, Default)]
pub(crate) struct BiasScratch {
    mean_cov: Vec<f64>,
    wick: Vec<Vec<f64>>,
    four: Vec<f64>,
}

impl BiasIntegrated {
    /// The estimator for Gauss-net `net` at `width >= 1` on `inputs` (other activations and
    /// a `sigma_b` so large that `E[e^{6b}]` overflows are errors).
    pub(crate) fn new(net: &Network, width: usize, inputs: &InputSet) -> Result<Self> {
        if net.activation() != Activation::Gauss {
            return Err(SamplingError::OutOfRange {
                field: "estimator",
                value: format!("bias_integrated for {}", net.activation().name()),
                allowed: "bias_integrated for gauss only (its biases enter in closed form); \
                          raw, conditional or conditional_cv for every network",
            });
        }
        let [k1, k2, k3] = exp_bias_cumulants(net.sigma_b());
        if !k3.is_finite() {
            return Err(SamplingError::OutOfRange {
                field: "sigma_b",
                value: net.sigma_b().to_string(),
                allowed: "sigma_b <= 6 for bias_integrated (E[exp(6 b)] = exp(18 sigma_b^2) must be finite)",
            });
        }
        let m = inputs.len();
        let unit = net.sigma_w() * net.sigma_w() / width.max(1) as f64;
        let wick = WickSums::new(m, 6)?;
        let pairs = Multisets::new(m, 2)?;
        Ok(Self {
            m,
            sigma_b2: net.sigma_b() * net.sigma_b(),
            scales: [k1 * unit, 3.0 * k2 * unit * unit, 15.0 * k3 * unit.powi(3)],
            pair_pos: pairs.flat_pair_positions(),
            splits: SplitTable::new(wick.multisets(2), wick.multisets(1), wick.multisets(0))?,
        })
    }

    /// One net's estimate of `G2`, `G4`, `G6` on every multiset from its neuron power sums
    /// `power[k][pos] = P(multiset pos of order 2 (k + 1))` (module docs). `wick` must hold
    /// the orders up to 6 over the same points; `out` is reused.
    pub(crate) fn values_into(
        &self,
        wick: &WickSums,
        power: &[Vec<f64>; 3],
        scratch: &mut BiasScratch,
        out: &mut [Vec<f64>; 3],
    ) {
        let BiasScratch { mean_cov, wick: w, four } = scratch;
        let [s2, s4, s6] = self.scales;
        mean_cov.clear();
        mean_cov.extend(self.pair_pos.iter().map(|&p| s2.mul_add(power[0][p], self.sigma_b2)));
        debug_assert_eq!(mean_cov.len(), self.m * self.m);
        wick.evaluate_into(mean_cov, w);
        four.clear();
        four.extend(power[1].iter().map(|p| s4 * p));
        out[0].clone_from(&w[0]);
        out[1].clear();
        out[1].extend(w[1].iter().zip(four.iter()).map(|(a, b)| a + b));
        out[2].clear();
        let splits = self.splits.entries().chunks_exact(nnqft_theory::SPLITS);
        out[2].extend(w[2].iter().zip(splits).zip(&power[2]).map(|((g, ch), p6)| {
            let split: f64 = ch.iter().map(|[p4, p2]| four[*p4 as usize] * w[0][*p2 as usize]).sum();
            g + split + s6 * p6
        }));
    }
}

/// The running sums of the bias-integrated estimator over the nets of one work item, when no
/// per-net squares are wanted (module docs): a lane batch of mean covariances, the sums of `P`
/// of orders 4 and 6, and the moments `M`.
#[derive(Debug, Clone)]
pub(crate) struct BiasSums {
    /// `C-bar(a, b)` of each net of the batch in its lane, row-major `m x m`.
    lanes: Vec<Lanes>,
    filled: usize,
    wick_scratch: Vec<Vec<Lanes>>,
    /// One net's `C-bar` per pair position.
    mean_cov: Vec<f64>,
    four: Vec<f64>,
    six: Vec<f64>,
    /// `M[p4 * pairs + p2]`.
    moments: Vec<f64>,
}

impl BiasIntegrated {
    /// Zeroed running sums for `wick`'s multisets.
    pub(crate) fn running_sums(&self, wick: &WickSums) -> BiasSums {
        BiasSums {
            lanes: vec![[0.0; BATCH]; self.m * self.m],
            filled: 0,
            wick_scratch: Vec::new(),
            mean_cov: Vec::with_capacity(wick.multisets(0).len()),
            four: vec![0.0; wick.multisets(1).len()],
            six: vec![0.0; wick.multisets(2).len()],
            moments: vec![0.0; wick.multisets(1).len() * wick.multisets(0).len()],
        }
    }

    /// Adds one net, from its neuron power sums `power` (as in [`Self::values_into`]), to
    /// `acc`; a full batch goes to the Wick sums in `sums` (partial sums per order and
    /// multiset).
    #[inline(always)]
    pub(crate) fn add_net(&self, wick: &WickSums, power: &[Vec<f64>; 3], acc: &mut BiasSums, sums: &mut [Vec<Parts>]) {
        let s2 = self.scales[0];
        acc.mean_cov.clear();
        acc.mean_cov.extend(power[0].iter().map(|p| s2.mul_add(*p, self.sigma_b2)));
        let lane = acc.filled;
        for (l, &p) in acc.lanes.iter_mut().zip(&self.pair_pos) {
            l[lane] = acc.mean_cov[p];
        }
        acc.four.iter_mut().zip(&power[1]).for_each(|(s, p)| *s += p);
        acc.six.iter_mut().zip(&power[2]).for_each(|(s, p)| *s += p);
        let pairs = acc.mean_cov.len();
        for (row, p4) in acc.moments.chunks_exact_mut(pairs).zip(&power[1]) {
            row.iter_mut().zip(&acc.mean_cov).for_each(|(m, c)| *m = p4.mul_add(*c, *m));
        }
        acc.filled += 1;
        if acc.filled == BATCH {
            self.flush(wick, acc, sums);
        }
    }

    /// Adds the nets of `acc` to `sums` and zeroes it: the partial batch's Wick sums, then the
    /// linear terms and the splits contracted with the moments.
    pub(crate) fn finish(&self, wick: &WickSums, acc: &mut BiasSums, sums: &mut [Vec<Parts>]) {
        self.flush(wick, acc, sums);
        let [_, s4, s6] = self.scales;
        for (s, four) in sums[1].iter_mut().zip(&acc.four) {
            s[0] = s4.mul_add(*four, s[0]);
        }
        let pairs = wick.multisets(0).len();
        let splits = self.splits.entries().chunks_exact(nnqft_theory::SPLITS);
        for ((s, six), ch) in sums[2].iter_mut().zip(&acc.six).zip(splits) {
            let split: f64 = ch.iter().map(|[p4, p2]| acc.moments[*p4 as usize * pairs + *p2 as usize]).sum();
            s[0] = s4.mul_add(split, s6.mul_add(*six, s[0]));
        }
        acc.four.iter_mut().chain(acc.six.iter_mut()).chain(acc.moments.iter_mut()).for_each(|v| *v = 0.0);
    }

    /// The Wick sums of the filled lanes into `sums`; the lanes are zeroed.
    fn flush(&self, wick: &WickSums, acc: &mut BiasSums, sums: &mut [Vec<Parts>]) {
        if acc.filled > 0 {
            wick.accumulate_batch(&acc.lanes, &mut acc.wick_scratch, sums, None);
            acc.lanes.iter_mut().for_each(|l| *l = [0.0; BATCH]);
            acc.filled = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn other_networks_and_huge_bias_are_errors() {
        let xs = InputSet::new("x", &[vec![0.1], vec![0.2]]).unwrap();
        let erf = Network::paper(Activation::Erf, 1).unwrap();
        let e = BiasIntegrated::new(&erf, 5, &xs).unwrap_err().to_string();
        assert!(e.contains("estimator") && e.contains("gauss only"), "{e}");
        let wide = Network::new(Activation::Gauss, 1, 1.0, 7.0).unwrap();
        assert!(BiasIntegrated::new(&wide, 5, &xs).unwrap_err().to_string().contains("sigma_b"));
    }

    /// The power sums on a grid equal the products of `psi` over each multiset, to rounding
    /// (relative 1e-13), on the paper's Gauss-net x-sets, with some lanes unused.
    #[test]
    fn grid_power_sums_equal_the_products() {
        let net = Network::paper(Activation::Gauss, 1).unwrap();
        let sets = [InputSet::scaling(Activation::Gauss, 1).unwrap(), InputSet::table5_train(Activation::Gauss)];
        for xs in sets {
            let coords: Vec<f64> = xs.points().flatten().copied().collect();
            let s_xx: Vec<f64> = xs.points().map(|x| net.preactivation_cov(x, x)).collect();
            let multisets = [2, 4, 6].map(|n| Multisets::new(xs.len(), n).unwrap());
            let grid = PowerGrid::of(1, &coords, &s_xx, &multisets).expect("the paper's x-sets are grids");
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
            // 45 neurons: a full batch and a batch of 13
            let w: Vec<f64> = (0..45)
                .map(|_| 3.0 * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng))
                .collect();
            let mut q = grid.accumulators();
            for batch in w.chunks(BATCH) {
                let mut lanes = [7.0; BATCH];
                lanes[..batch.len()].copy_from_slice(batch);
                grid.accumulate(&lanes, batch.len(), &mut q);
            }
            let mut out = [Vec::new(), Vec::new(), Vec::new()];
            grid.power_sums_into(&q, &mut Vec::new(), &mut out);
            for (o, ms) in multisets.iter().enumerate() {
                for (pos, b) in ms.iter().enumerate() {
                    let direct: f64 = w
                        .iter()
                        .map(|w| b.iter().map(|&a| (w * coords[a as usize] - s_xx[a as usize]).exp()).product::<f64>())
                        .sum();
                    let rel = (out[o][pos] - direct).abs() / direct;
                    assert!(
                        rel <= 1e-13,
                        "{} order {} multiset {pos}: {} vs {direct}",
                        xs.name(),
                        2 * o + 2,
                        out[o][pos]
                    );
                }
            }
        }
    }

    /// Points off a grid, in two dimensions, or so many grid steps that the grid costs more
    /// than the products, have no grid.
    #[test]
    fn grids_only_where_the_points_lie_on_one() {
        let multisets = |m: usize| [2, 4, 6].map(|n| Multisets::new(m, n).unwrap());
        let s = [1.0; 3];
        assert!(PowerGrid::of(1, &[0.0, 0.1, 0.2], &s, &multisets(3)).is_some());
        assert!(PowerGrid::of(1, &[0.2, 0.0, 0.1], &s, &multisets(3)).is_some(), "any order");
        assert!(PowerGrid::of(1, &[0.0, 0.1, 0.25], &s, &multisets(3)).is_none(), "off the grid");
        assert!(PowerGrid::of(1, &[0.0, 0.1, 0.2 + 1e-12], &s, &multisets(3)).is_none(), "beyond rounding");
        assert!(PowerGrid::of(2, &[0.0, 0.1, 0.2, 0.3, 0.4, 0.5], &s, &multisets(3)).is_none(), "d = 2");
        assert!(PowerGrid::of(1, &[0.0, 0.1, 3.0], &s, &multisets(3)).is_none(), "30 steps cost more");
        let coincident = PowerGrid::of(1, &[0.3, 0.3], &[1.0; 2], &multisets(2)).unwrap();
        assert_eq!(coincident.lens, [1, 1, 1]);
    }

    /// For one fixed hidden layer `w`, the estimator equals the conditional Wick sum averaged
    /// over the biases: a Monte Carlo over `b` alone, `|z| <= 4` on every multiset.
    #[test]
    fn equals_the_conditional_estimator_averaged_over_the_biases() {
        // sigma_b = 0.35 keeps the log-normal tail of e^{6b} within reach of the sample
        let net = Network::new(Activation::Gauss, 1, 1.3, 0.35).unwrap();
        let xs = InputSet::new("x", &[vec![-0.4], vec![0.1], vec![0.7]]).unwrap();
        let (m, width) = (xs.len(), 3);
        let wick = WickSums::new(m, 6).unwrap();
        let bi = BiasIntegrated::new(&net, width, &xs).unwrap();
        let w = [0.8, -1.1, 0.3];
        let s_xx: Vec<f64> = xs.points().map(|x| net.preactivation_cov(x, x)).collect();
        let psi = |j: usize, a: usize| (w[j] * xs.point(a)[0] - s_xx[a]).exp();
        let power: [Vec<f64>; 3] = [0, 1, 2].map(|k| {
            wick.multisets(k)
                .iter()
                .map(|ms| (0..width).map(|j| ms.iter().map(|&a| psi(j, a as usize)).product::<f64>()).sum())
                .collect()
        });
        let mut out = [Vec::new(), Vec::new(), Vec::new()];
        bi.values_into(&wick, &power, &mut BiasScratch::default(), &mut out);
        // Monte Carlo over the biases
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        let draws = 400_000;
        let sizes = [0, 1, 2].map(|k| wick.multisets(k).len());
        let (mut sum, mut sq) = (sizes.map(|l| vec![0.0; l]), sizes.map(|l| vec![0.0; l]));
        let mut cov = vec![0.0; m * m];
        let mut vals = Vec::new();
        let scale = net.sigma_w() * net.sigma_w() / width as f64;
        for _ in 0..draws {
            let b: Vec<f64> = (0..width)
                .map(|_| net.sigma_b() * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng))
                .collect();
            for a in 0..m {
                for c in 0..m {
                    let k: f64 = (0..width).map(|j| (2.0 * b[j]).exp() * psi(j, a) * psi(j, c)).sum();
                    cov[a * m + c] = net.sigma_b() * net.sigma_b() + scale * k;
                }
            }
            wick.evaluate_into(&cov, &mut vals);
            for k in 0..3 {
                for (p, v) in vals[k].iter().enumerate() {
                    sum[k][p] += v;
                    sq[k][p] += v * v;
                }
            }
        }
        let n = draws as f64;
        let mut worst: f64 = 0.0;
        for k in 0..3 {
            for p in 0..sizes[k] {
                let mean = sum[k][p] / n;
                let se = ((sq[k][p] / n - mean * mean) / (n - 1.0)).sqrt();
                let z = (mean - out[k][p]) / se;
                worst = worst.max(z.abs());
                assert!(z.abs() <= 4.0, "order {} multiset {p}: MC {mean} +- {se}, formula {}", 2 * k + 2, out[k][p]);
            }
        }
        // and it is not the plain Wick sum of the mean covariance (the cumulant terms matter)
        let mut plain = Vec::new();
        let cbar: Vec<f64> = bi.pair_pos.iter().map(|&p| out[0][p]).collect();
        wick.evaluate_into(&cbar, &mut plain);
        assert!((plain[1][0] - out[1][0]).abs() > 1e-3 * out[1][0]);
        assert!(worst > 0.0);
    }
}
