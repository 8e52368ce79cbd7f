//! The control variate of the conditional-Gaussian estimator.
//!
//! Given a net's hidden layer, its outputs are Gaussian with covariance `C`, and the
//! conditional estimator averages the Wick sums `W(C)`, with
//! `C(x, x') = sigma_b² + (sigma_w² / N) Σ_j φ_j(x) φ_j(x')`. At every width
//! `E[C] = K`: `E[sigma_b^2 + (sigma_w^2 / N) sum_j phi_j phi_j'] = sigma_b^2 + sigma_w^2 E[phi phi'] = K`.
//! Write `C = K + delta`. Expanding the Wick sum around `K`,
//!
//! ```text
//! W(C) = W(K) + L_K(δ) + O(δ²),
//! ```
//!
//! where `L_K` is linear ([`WickSums::linear_term_into`]), so `E[L_K(delta)] = 0` exactly and
//!
//! ```text
//! Ĝ_n(cv) = mean over nets of W(C) − L_K(C̄ − K)
//! ```
//!
//! has the same expectation as the conditional estimator for every order and multiset. The
//! coefficient is 1, not fitted, so no bias enters. `delta` fluctuates as `N^{-1/2}`: the
//! linear term carries the `O(1/N)` part of the conditional estimator's per-net variance,
//! and what remains (`W(K) + O(delta^2)`) has variance `O(1/N^2)`, while `Delta G_4` itself is
//! `O(1/N)`. At order 2 the estimator is `K` itself (zero variance), as it must be:
//! `G2 = K` at every width.
//!
//! The correction is applied once per experiment to the merged means (`C-bar` is the
//! conditional estimator's own order-2 mean), so it costs nothing per net. Per-net variances,
//! when tracked, need each net's `W(C) - L_K(C - K)`, and are formed one net at a time.

use crate::error::Result;
use nnqft_theory::{InputSet, Multisets, Network, WickSums, kernel_matrix};

/// The expansion point `K` and the Wick sums there.
#[derive(Debug, Clone)]
pub(crate) struct ControlVariate {
    m: usize,
    kernel: Vec<f64>,
    /// `W(K)` for every order and multiset.
    at_kernel: Vec<Vec<f64>>,
    /// Position of the order-2 multiset `{a, b}` for flat index `a * m + b`.
    pair_pos: Vec<usize>,
}

/// Reused buffers of [`ControlVariate::deviation_into`].
#[derive(Debug, Clone, Default)]
pub(crate) struct DeviationScratch {
    delta: Vec<f64>,
    wick: Vec<Vec<f64>>,
    linear: Vec<Vec<f64>>,
}

impl ControlVariate {
    /// The control variate of `net` on `inputs`, for the orders of `wick`.
    pub(crate) fn new(net: &Network, inputs: &InputSet, wick: &WickSums) -> Result<Self> {
        let m = inputs.len();
        let kernel = kernel_matrix(net, inputs)?;
        let pairs = Multisets::new(m, 2)?;
        let pair_pos = pairs.flat_pair_positions();
        Ok(Self { m, at_kernel: wick.evaluate(&kernel), kernel, pair_pos })
    }

    /// `W(K)` for every order (element `k` is order `2 (k + 1)`) and multiset.
    pub(crate) fn at_kernel(&self) -> &[Vec<f64>] {
        &self.at_kernel
    }

    /// Corrects every experiment of `means` (per order, `experiments x multisets`,
    /// experiment-major) in place: conditional means become control-variate means.
    pub(crate) fn correct_experiments(&self, wick: &WickSums, means: &mut [Vec<f64>; 3], experiments: usize) {
        let mut scratch = DeviationScratch::default();
        for e in 0..experiments {
            let mut rows = means.each_mut().map(|o| {
                let len = o.len() / experiments;
                &mut o[e * len..(e + 1) * len]
            });
            self.correct(wick, &mut rows, &mut scratch);
        }
    }

    /// Turns one experiment's conditional means (`means[k]` for order `2 (k + 1)`, with
    /// `means[0]` the mean covariance `C-bar` by multiset) into the control-variate means by
    /// subtracting `L_K(C-bar - K)`.
    pub(crate) fn correct(&self, wick: &WickSums, means: &mut [&mut [f64]], scratch: &mut DeviationScratch) {
        let DeviationScratch { delta, linear, .. } = scratch;
        delta.clear();
        delta.extend(self.pair_pos.iter().zip(&self.kernel).map(|(&p, k)| means[0][p] - k));
        wick.linear_term_into(&self.kernel, &self.at_kernel, delta, linear);
        for (mean, lin) in means.iter_mut().zip(linear.iter()).skip(1) {
            mean.iter_mut().zip(lin).for_each(|(g, l)| *g -= l);
        }
        // `C-bar - (C-bar - K)`, without its rounding
        means[0].copy_from_slice(&self.at_kernel[0]);
    }

    /// One net's control-variate value minus its expectation's leading part,
    /// `W(C) - L_K(C - K) - W(K)` (the `O(delta^2)` remainder), for every order and multiset,
    /// into `scratch`'s result (returned). `cov` is the net's row-major `m x m` covariance.
    pub(crate) fn deviation_into<'s>(
        &self,
        wick: &WickSums,
        cov: &[f64],
        scratch: &'s mut DeviationScratch,
    ) -> &'s [Vec<f64>] {
        debug_assert_eq!(cov.len(), self.m * self.m);
        let DeviationScratch { delta, wick: values, linear } = scratch;
        delta.clear();
        delta.extend(cov.iter().zip(&self.kernel).map(|(c, k)| c - k));
        wick.evaluate_into(cov, values);
        wick.linear_term_into(&self.kernel, &self.at_kernel, delta, linear);
        for ((v, lin), at) in values.iter_mut().zip(linear.iter()).zip(&self.at_kernel).skip(1) {
            for ((v, l), a) in v.iter_mut().zip(lin).zip(at) {
                *v = *v - l - a;
            }
        }
        // order 2 has no remainder: `C - (C - K) - K`, without its rounding
        values[0].iter_mut().for_each(|v| *v = 0.0);
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnqft_theory::Activation;

    /// The paper's network of `act` at `d = 1` on its scaling set, with its control variate.
    fn fixture(act: Activation) -> (InputSet, WickSums, ControlVariate) {
        let net = Network::paper(act, 1).unwrap();
        let xs = InputSet::scaling(act, 1).unwrap();
        let wick = WickSums::new(xs.len(), 6).unwrap();
        let cv = ControlVariate::new(&net, &xs, &wick).unwrap();
        (xs, wick, cv)
    }

    #[test]
    fn remainder_is_second_order_in_delta() {
        // W(K + t D) - L_K(t D) - W(K) must scale as t^2 (t^2 and t^3 terms only at n = 6).
        let (xs, wick, cv) = fixture(Activation::Erf);
        let m = xs.len();
        let dir: Vec<f64> = (0..m * m).map(|i| 0.3 / (1.0 + (i / m + i % m) as f64)).collect();
        let mut scratch = DeviationScratch::default();
        let at = |t: f64, scratch: &mut DeviationScratch| -> Vec<Vec<f64>> {
            let cov: Vec<f64> = cv.kernel.iter().zip(&dir).map(|(k, d)| k + t * d).collect();
            cv.deviation_into(&wick, &cov, scratch).to_vec()
        };
        let (small, half) = (at(1e-3, &mut scratch), at(5e-4, &mut scratch));
        assert!(small[0].iter().all(|&v| v == 0.0), "order 2 has no remainder");
        for k in 1..3 {
            for (a, b) in small[k].iter().zip(&half[k]) {
                assert!(a.abs() > 1e-9, "the remainder is not zero");
                assert!((a / b - 4.0).abs() < 1e-2, "ratio {}", a / b);
            }
        }
    }

    #[test]
    fn correction_removes_a_first_order_shift_and_keeps_exact_means() {
        let (xs, wick, cv) = fixture(Activation::Gauss);
        let pairs = Multisets::new(xs.len(), 2).unwrap();
        let correct = |means: &mut Vec<Vec<f64>>| {
            let mut refs: Vec<&mut [f64]> = means.iter_mut().map(|v| v.as_mut_slice()).collect();
            cv.correct(&wick, &mut refs, &mut DeviationScratch::default());
        };
        // means equal to the GP values are left as they are
        let mut exact: Vec<Vec<f64>> = cv.at_kernel().to_vec();
        correct(&mut exact);
        for (a, b) in exact.iter().flatten().zip(cv.at_kernel().iter().flatten()) {
            assert!((a - b).abs() < 1e-15 * b.abs());
        }
        // an order-2 mean of K + 0.01 is brought back to K, and orders 4 and 6 move down
        let mut shifted: Vec<Vec<f64>> = cv.at_kernel().to_vec();
        shifted[0].iter_mut().for_each(|g| *g += 0.01);
        correct(&mut shifted);
        for p in 0..pairs.len() {
            let ms = pairs.get(p);
            let k = cv.kernel[ms[0] as usize * xs.len() + ms[1] as usize];
            assert_eq!(shifted[0][p].to_bits(), k.to_bits(), "order 2 becomes K");
        }
        for k in 1..3 {
            assert!(shifted[k].iter().zip(&cv.at_kernel()[k]).all(|(a, b)| a < b), "K > 0, so L_K(0.01) > 0");
        }
    }
}
