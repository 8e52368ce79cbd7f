//! Exact per-net variances of the raw, conditional and control-variate estimators of
//! `G4(x, x, x, x)`.

use crate::error::Result;
use crate::input_set::InputSet;
use crate::moments::{gauss_moment, normal_rule};
use crate::network::{Activation, Network};

/// Per-net variances of the estimators of `G4(x, x, x, x)` and their ingredients.
///
/// Exact per-net variance of the three estimators of `G4(x, x, x, x)` at width `N`: the
/// figure of merit of an estimator, and the check on a sampled variance when the activation
/// is heavy-tailed.
///
/// Given the hidden layer, `f(x) ~ N(0, C)` with `C = sigma_b^2 + (1/N) sum_j Y_j`,
/// `Y_j = sigma_w^2 phi_j(x)^2` i.i.d. over neurons. Write `C = K + delta`, `K = sigma_b^2 + E[Y]`.
/// With `kappa_r` the cumulants of `Y`, the central moments of `delta` (a mean of `N` i.i.d.
/// terms) are
///
/// ```text
/// μ2 = κ2 / N,    μ3 = κ3 / N²,    μ4 = κ4 / N³ + 3 κ2² / N²,
/// ```
///
/// so `E[C^2] = K^2 + mu_2` and `E[C^4] = K^4 + 6 K^2 mu_2 + 4 K mu_3 + mu_4`. Per net:
///
/// - raw, `f^4` with `E[f^4 | C] = 3 C^2`, `E[f^8 | C] = 105 C^4`: `Var = 105 E[C^4] - 9 E[C^2]^2`;
/// - conditional, `3 C^2`: `Var = 9 (4 K^2 mu_2 + 4 K mu_3 + mu_4 - mu_2^2)`;
/// - control variate, `3 C^2 - 6 K delta = 3 K^2 + 3 delta^2`: `Var = 9 (mu_4 - mu_2^2)`.
///
/// The term `kappa_4 / N^3` needs `E[phi^8]`. For Gauss-net `phi` is log-normal,
/// `E[phi^{2k}] = exp(2 k (k - 1) S)` with `S = S(x, x)`, so at `S ~ 1` it is `e^24 ~ 2.6e10`,
/// carried by hidden biases near `8 sigma`: no feasible sample holds them, and a sampled
/// variance misses that term.
///
/// Gauss-net's bias-integrated estimator (the conditional one averaged over the hidden biases
/// in closed form) is `B = 3 C-bar^2 + e V` with `C-bar = sigma_b^2 + a U`, `U = sum_j u_j`,
/// `V = sum_j u_j^2`, `u_j = psi_j(x)^2 = exp(2 w_j . x - 2 S)`, `a = k_1 sigma_w^2 / N`,
/// `e = 3 k_2 sigma_w^4 / N^2` (`k_r` the cumulants of `e^{2b}`). Only `w` is random: `u` is
/// log-normal with `Var(log u) = s_u^2 = 4 sigma_w^2 |x|^2 / d`, `q = e^{s_u^2}`, and with
/// `c_r` its cumulants (`c_2 = m^2 (q-1)`, `c_3 = m^3 (q-1)^2 (q+2)`,
/// `c_4 = m^4 (q-1)^3 (q^3 + 3q^2 + 6q + 6)`, `m = E[u]`), `U` has mean `mu = N m` and
/// cumulants `N c_r`. Writing `B - E[B] = A_1 dU + A_2 (U^2 - E[U^2]) + e dV` with
/// `A_1 = 6 sigma_b^2 a`, `A_2 = 3 a^2`:
///
/// ```text
/// Var U²      = 4 μ² κ2(U) + 4 μ κ3(U) + κ4(U) + 2 κ2(U)²,
/// Cov(U, U²) = 2 μ κ2(U) + κ3(U),
/// ```
///
/// and `Var V`, `Cov(U, V)`, `Cov(U^2, V)` from the log-normal moments likewise; every factor
/// `q - 1` is formed with `expm1`, so the tiny variances of the paper's x-sets (`|x| ~ 0.01`)
/// do not cancel.
///
/// Moments of `Y`: Gauss-net closed form (above); ReLU `E[relu(z)^{2k}] = S^k (2k-1)!! / 2`;
/// Cos-net `E[cos^{2k}] = C(2k, k) / 4^k` (its phase is uniform at every `x`);
/// Erf by composite Gauss-Legendre quadrature of `erf(sqrt(S) u)^{2k}` against the normal
/// density on `[-10, 10]`, at two resolutions (the difference is the reported accuracy).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiagonalG4Variance {
    /// `K(x, x)`.
    pub kernel: f64,
    /// Cumulants `kappa_1..kappa_4` of `Y = sigma_w^2 phi(x)^2`.
    pub cumulants: [f64; 4],
    /// Central moments `mu_2, mu_3, mu_4` of `delta = C - K` at this width.
    pub delta_moments: [f64; 3],
    /// Per-net variance of the raw estimator `f^4`.
    pub raw: f64,
    /// Per-net variance of the conditional estimator `3 C^2`.
    pub conditional: f64,
    /// Per-net variance of the control-variate estimator `3 K^2 + 3 delta^2`.
    pub control_variate: f64,
    /// Gauss-net only: per-net variance of the bias-integrated estimator (module docs), which
    /// does not carry the part below.
    pub bias_integrated: Option<f64>,
    /// The part `9 kappa_4 / N^3` (from `E[phi^8]`) that every estimator above carries.
    pub eighth_moment_part: f64,
    /// Relative accuracy of the moments of `Y` (quadrature for Erf; rounding otherwise).
    pub relative_accuracy: f64,
}

/// `E[Y^k]`, `k = 1..4`, for `Y = sigma_w^2 phi(x)^2` at the one point of `point`, and their
/// relative accuracy.
fn power_moments(net: &Network, point: &InputSet) -> Result<([f64; 4], f64)> {
    let x = point.point(0);
    let s = net.preactivation_cov(x, x);
    let sw2 = net.sigma_w() * net.sigma_w();
    let scale = |k: usize| sw2.powi(k as i32);
    match net.activation() {
        Activation::Gauss => {
            Ok(([1, 2, 3, 4].map(|k| scale(k) * gauss_moment(net, point, &vec![0u8; 2 * k])), 16.0 * f64::EPSILON))
        }
        Activation::Relu => {
            let double_factorial = |k: usize| (1..2 * k).step_by(2).map(|i| i as f64).product::<f64>();
            Ok(([1, 2, 3, 4].map(|k| scale(k) * s.powi(k as i32) * double_factorial(k) / 2.0), 16.0 * f64::EPSILON))
        }
        Activation::Cos => {
            // the phase w . x + b is uniform: E[cos^{2k}] = C(2k, k) / 4^k
            let central_binomial = |k: usize| (1..=k).map(|i| (k + i) as f64 / i as f64).product::<f64>();
            Ok(([1, 2, 3, 4].map(|k| scale(k) * central_binomial(k) / 4f64.powi(k as i32)), 16.0 * f64::EPSILON))
        }
        Activation::Erf => {
            let rule = |pieces: usize| {
                let nodes = normal_rule(10.0, pieces, 24);
                [1, 2, 3, 4].map(|k| {
                    scale(k)
                        * nodes.iter().map(|&(u, w)| w * crate::erf::erf(s.sqrt() * u).powi(2 * k as i32)).sum::<f64>()
                })
            };
            let (coarse, fine) = (rule(10), rule(20));
            let accuracy =
                (0..4).fold(0.0f64, |a, k| a.max((coarse[k] - fine[k]).abs() / fine[k].abs().max(f64::MIN_POSITIVE)));
            Ok((fine, accuracy))
        }
    }
}

impl DiagonalG4Variance {
    /// The variances for `net` at the point `x` (dimension `d_in`) and `width >= 1`.
    pub fn compute(net: &Network, x: &[f64], width: usize) -> Result<Self> {
        crate::error::at_least("width", width, 1, "an integer >= 1")?;
        let point = InputSet::new("x", &[x.to_vec()])?;
        point.check_dimension(net.d_in())?;
        let ([m1, m2, m3, m4], relative_accuracy) = power_moments(net, &point)?;
        let k2 = m2 - m1 * m1;
        let k3 = m3 - 3.0 * m2 * m1 + 2.0 * m1.powi(3);
        let k4 = m4 - 4.0 * m3 * m1 - 3.0 * m2 * m2 + 12.0 * m2 * m1 * m1 - 6.0 * m1.powi(4);
        let n = width as f64;
        let (mu2, mu3, mu4) = (k2 / n, k3 / (n * n), k4 / n.powi(3) + 3.0 * k2 * k2 / (n * n));
        let kernel = net.sigma_b() * net.sigma_b() + m1;
        let c2 = kernel * kernel + mu2;
        let c4 = kernel.powi(4) + 6.0 * kernel * kernel * mu2 + 4.0 * kernel * mu3 + mu4;
        Ok(Self {
            kernel,
            cumulants: [m1, k2, k3, k4],
            delta_moments: [mu2, mu3, mu4],
            raw: 105.0 * c4 - 9.0 * c2 * c2,
            conditional: 9.0 * (4.0 * kernel * kernel * mu2 + 4.0 * kernel * mu3 + mu4 - mu2 * mu2),
            control_variate: 9.0 * (mu4 - mu2 * mu2),
            bias_integrated: (net.activation() == Activation::Gauss).then(|| bias_integrated_variance(net, x, n)),
            eighth_moment_part: 9.0 * k4 / n.powi(3),
            relative_accuracy,
        })
    }
}

/// Per-net variance of Gauss-net's bias-integrated estimator of `G4(x, x, x, x)` at width
/// `n` (module docs).
fn bias_integrated_variance(net: &Network, x: &[f64], n: f64) -> f64 {
    let (sw2, sb2) = (net.sigma_w() * net.sigma_w(), net.sigma_b() * net.sigma_b());
    let d = net.d_in() as f64;
    let s = net.preactivation_cov(x, x);
    let su2 = 4.0 * sw2 * x.iter().map(|v| v * v).sum::<f64>() / d;
    // u = exp(2 t - 2 s), t ~ N(0, su2 / 4): E[u] = exp(su2 / 2 - 2 s)
    let m = (0.5 * su2 - 2.0 * s).exp();
    let (q1, q) = (su2.exp_m1(), su2.exp());
    let c2 = m * m * q1;
    let c3 = m.powi(3) * q1 * q1 * (q + 2.0);
    let c4 = m.powi(4) * q1.powi(3) * (q.powi(3) + 3.0 * q * q + 6.0 * q + 6.0);
    let (mu, k2, k3, k4) = (n * m, n * c2, n * c3, n * c4);
    let var_u = k2;
    let var_u2 = 4.0 * mu * mu * k2 + 4.0 * mu * k3 + k4 + 2.0 * k2 * k2;
    let cov_u_u2 = 2.0 * mu * k2 + k3;
    // V = sum u^2: u^2 is log-normal with mean m^2 q and Var(log u^2) = 4 su2
    let var_v = n * (m * m * q).powi(2) * (4.0 * su2).exp_m1();
    // Cov(u, u^2) = m^3 (q^3 - q)
    let cov_u_v = n * m.powi(3) * q * q1 * (q + 1.0);
    // Cov(U^2, V) = 2 mu Cov(U, V) + N Cov((u - m)^2, u^2)
    let cov_u2_v = 2.0 * mu * cov_u_v + n * m.powi(4) * q * q1 * q1 * (q.powi(3) + 2.0 * q * q + 3.0 * q + 2.0);
    let [k1, kb2, _] = exp_bias_cumulants(net.sigma_b());
    let a = k1 * sw2 / n;
    let e = 3.0 * kb2 * sw2 * sw2 / (n * n);
    let (a1, a2) = (6.0 * sb2 * a, 3.0 * a * a);
    a1 * a1 * var_u
        + a2 * a2 * var_u2
        + e * e * var_v
        + 2.0 * a1 * a2 * cov_u_u2
        + 2.0 * a1 * e * cov_u_v
        + 2.0 * a2 * e * cov_u2_v
}

/// Cumulants `k_1, k_2, k_3` of `e^{2b}`, `b ~ N(0, sigma_b^2)`, with `s = sigma_b^2` and
/// `y = e^{4s} - 1` (by `expm1`, so nothing cancels as `s -> 0`):
/// `k_1 = e^{2s}`, `k_2 = e^{4s} y`, `k_3 = e^{6s} y^2 (3 + y)`.
pub fn exp_bias_cumulants(sigma_b: f64) -> [f64; 3] {
    let s = sigma_b * sigma_b;
    let y = (4.0 * s).exp_m1();
    [(2.0 * s).exp(), (4.0 * s).exp() * y, (6.0 * s).exp() * y * y * (3.0 + y)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::kernel;

    #[test]
    fn first_moment_gives_the_kernel() {
        for act in Activation::EVERY {
            let net = Network::paper(act, 1).unwrap();
            for x in [0.01, 0.3, 1.0] {
                let v = DiagonalG4Variance::compute(&net, &[x], 10).unwrap();
                let k = kernel(&net, &[x], &[x]);
                assert!((v.kernel - k).abs() < 1e-13 * k, "{act:?} x={x}: {} vs {k}", v.kernel);
                assert!(v.relative_accuracy < 1e-12, "{act:?}: {}", v.relative_accuracy);
            }
        }
    }

    #[test]
    fn closed_forms_at_a_single_width() {
        // ReLU, sigma_b = 0, x = 1, d = 1: S = 1, Y = phi^2, E[Y^k] = (2k-1)!!/2 = 1/2, 3/2, 15/2, 105/2.
        let net = Network::paper(Activation::Relu, 1).unwrap();
        let v = DiagonalG4Variance::compute(&net, &[1.0], 1).unwrap();
        let [m1, k2, ..] = v.cumulants;
        assert!((m1 - 0.5).abs() < 1e-15 && (k2 - 1.25).abs() < 1e-14);
        // At N = 1, sigma_b = 0: C = Y, f = v phi with v ~ N(0, 1), so the raw variance is
        // E[v^8] E[phi^8] - (E[v^4] E[phi^4])^2 = 105 * 52.5 - (3 * 1.5)^2.
        assert!((v.raw - (105.0 * 52.5 - 20.25)).abs() < 1e-9, "{}", v.raw);
        // and the conditional one 9 Var(phi^4) = 9 (52.5 - 1.5^2)
        assert!((v.conditional - 9.0 * (52.5 - 2.25)).abs() < 1e-10, "{}", v.conditional);
        // Gauss-net at x = 0, sigma_w = sigma_b = 1: S = 1, Y log-normal with E[Y^k] = e^{2k(k-1)}.
        let gauss = DiagonalG4Variance::compute(&Network::paper(Activation::Gauss, 1).unwrap(), &[0.0], 1000).unwrap();
        let e = f64::exp;
        let [m1, k2, k3, k4] = gauss.cumulants;
        assert!((m1 - 1.0).abs() < 1e-15 && (k2 - (e(4.0) - 1.0)).abs() < 1e-13 * k2);
        assert!((k3 - (e(12.0) - 3.0 * e(4.0) + 2.0)).abs() < 1e-13 * k3);
        assert!((k4 - (e(24.0) - 4.0 * e(12.0) - 3.0 * e(8.0) + 12.0 * e(4.0) - 6.0)).abs() < 1e-13 * k4);
        // At N = 1000 the e^24 / N^3 term is most of every estimator's variance but the raw one.
        assert!(gauss.eighth_moment_part > 0.99 * gauss.control_variate);
        assert!(gauss.eighth_moment_part > 0.9 * gauss.conditional);
    }

    #[test]
    fn cumulants_match_moments() {
        for sb in [0.0, 1e-4, 0.3, 1.0, 2.0] {
            let s: f64 = sb * sb;
            let c = |k: f64| (2.0 * k * k * s).exp();
            let [k1, k2, k3] = exp_bias_cumulants(sb);
            let (w2, w3) = (c(2.0) - c(1.0).powi(2), c(3.0) - 3.0 * c(2.0) * c(1.0) + 2.0 * c(1.0).powi(3));
            assert!((k1 - c(1.0)).abs() <= 1e-15 * k1);
            // the moment formulas cancel as s -> 0; compare where they do not
            if s > 0.05 {
                assert!((k2 - w2).abs() <= 1e-12 * k2, "sb={sb}: {k2} vs {w2}");
                assert!((k3 - w3).abs() <= 1e-11 * k3, "sb={sb}: {k3} vs {w3}");
            }
        }
        // small s: k_2 = 4 s + O(s^2), k_3 = 48 s^2 + O(s^3)
        let [_, k2, k3] = exp_bias_cumulants(1e-4);
        assert!((k2 / 4e-8 - 1.0).abs() < 1e-6 && (k3 / 48e-16 - 1.0).abs() < 1e-6, "{k2} {k3}");
    }

    #[test]
    fn bias_integrated_variance_vanishes_at_the_origin_and_grows_with_x() {
        let net = Network::paper(Activation::Gauss, 1).unwrap();
        let at = |x: f64| DiagonalG4Variance::compute(&net, &[x], 10).unwrap().bias_integrated.unwrap();
        // at x = 0, psi does not depend on w: the estimator is a constant
        assert_eq!(at(0.0).to_bits(), 0.0f64.to_bits());
        // small x: the variance is O(x^2) (linear response to w . x)
        let (a, b) = (at(1e-3), at(2e-3));
        assert!(a > 0.0 && (b / a - 4.0).abs() < 1e-2, "{a} {b}");
        assert!(
            DiagonalG4Variance::compute(&Network::paper(Activation::Erf, 1).unwrap(), &[0.1], 10)
                .unwrap()
                .bias_integrated
                .is_none()
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        let net = Network::paper(Activation::Erf, 1).unwrap();
        assert!(DiagonalG4Variance::compute(&net, &[0.5], 0).unwrap_err().to_string().contains("width"));
        assert!(DiagonalG4Variance::compute(&net, &[0.5, 0.5], 5).is_err());
    }
}
