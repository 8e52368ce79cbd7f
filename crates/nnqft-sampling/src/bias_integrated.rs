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
//! Cumulants of `Y = e^{2b}`, with `s = sigma_b^2` and `y = e^{4s} - 1` (computed with
//! `expm1`, so nothing cancels as `s -> 0`): `k_1 = e^{2s}`, `k_2 = e^{4s} y`,
//! `k_3 = e^{6s} y^2 (3 + y)`.

use crate::error::{Result, SamplingError};
use nnqft_theory::exp_bias_cumulants;
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
