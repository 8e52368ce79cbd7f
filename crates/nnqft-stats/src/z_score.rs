//! The expectation and density of `|z|` when the standard error comes from few experiments
//! (Student's t).

use crate::error::{Result, StatsError};
use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

/// The distribution of `|z|` for a standard error from `experiments` experiments.
///
/// What honest z-scores look like when the standard error is estimated from few experiments.
///
/// With `k` experiments, `z = (mean - truth) / (s / sqrt(k))`, `s` the sample standard
/// deviation, follows Student's t with `k - 1` degrees of freedom, not a standard normal:
/// for `k = 10`, `P(|z| <= 3) = 98.5%` (normal: 99.73%) and the median `|z|` is 0.703
/// (normal: 0.674).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZExpectation {
    /// Degrees of freedom, `experiments - 1`.
    pub dof: f64,
    /// `P(|z| <= 3)`.
    pub within_3: f64,
    /// Median of `|z|`, the 75% quantile of t (to 1e-15 by bisection on the cdf).
    pub median_abs: f64,
}

impl ZExpectation {
    /// The density of `z` (Student's t with [`dof`](Self::dof) degrees of freedom):
    /// `p(z) = Gamma((nu + 1) / 2) / (sqrt(nu pi) Gamma(nu / 2)) (1 + z^2 / nu)^(-(nu + 1) / 2)`.
    pub fn density(&self, z: f64) -> f64 {
        // dof was validated when self was made; NaN only for a hand-built invalid value
        StudentsT::new(0.0, 1.0, self.dof).map_or(f64::NAN, |t| t.pdf(z))
    }
}

/// The expected `|z|` distribution for `experiments >= 2`.
pub fn z_expectation(experiments: usize) -> Result<ZExpectation> {
    if experiments < 2 {
        return Err(StatsError::TooFew { what: "experiments for a t-distributed z", need: 2, got: experiments });
    }
    let dof = (experiments - 1) as f64;
    let t = students_t(dof)?;
    Ok(ZExpectation { dof, within_3: 2.0 * t.cdf(3.0) - 1.0, median_abs: t_quantile(dof, 0.75)? })
}

fn students_t(dof: f64) -> Result<StudentsT> {
    StudentsT::new(0.0, 1.0, dof).map_err(|_| StatsError::Invalid { what: "degrees of freedom", value: dof })
}

/// The `p` quantile of Student's t with `dof > 0` degrees of freedom, `0.5 <= p < 1`, to about
/// 1e-13 by bisection on the cdf: statrs' `inverse_cdf` is off by 0.3% at large dof (0.6723
/// instead of 0.6745 for the 75% quantile at 1e6).
pub fn t_quantile(dof: f64, p: f64) -> Result<f64> {
    if !(0.5..1.0).contains(&p) {
        return Err(StatsError::Invalid { what: "quantile level (allowed: 0.5 <= p < 1)", value: p });
    }
    let t = students_t(dof)?;
    let (mut lo, mut hi) = (0.0, 1.0);
    while t.cdf(hi) < p {
        hi *= 2.0;
        if hi > 1e12 {
            return Err(StatsError::Invalid { what: "quantile level (too close to 1)", value: p });
        }
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if t.cdf(mid) < p { lo = mid } else { hi = mid }
    }
    Ok(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_experiments_and_the_normal_limit() {
        // t with 9 dof: two-sided P(|t| > 3) = 0.014956 and t_0.75 = 0.70272 (tables).
        let z = z_expectation(10).unwrap();
        assert!((z.within_3 - (1.0 - 0.014956)).abs() < 2e-6, "{}", z.within_3);
        assert!((z.median_abs - 0.70272).abs() < 2e-5, "{}", z.median_abs);
        // many experiments: the normal values 99.73% and 0.6745
        let z = z_expectation(1_000_000).unwrap();
        assert!((z.within_3 - 0.99730).abs() < 1e-5 && (z.median_abs - 0.67449).abs() < 1e-4, "{z:?}");
        assert!(z_expectation(1).is_err());
        // two-sided 95% points (tables): 12.706 (1 dof), 2.262 (9), 1.960 (normal)
        for (dof, want) in [(1.0, 12.7062), (9.0, 2.26216), (1e7, 1.95996)] {
            assert!((t_quantile(dof, 0.975).unwrap() - want).abs() < 1e-4, "{dof}");
        }
        assert!(t_quantile(9.0, 0.3).is_err() && t_quantile(9.0, 1.0).is_err());
    }

    #[test]
    fn density_is_students_t() {
        // nu = 1 is the Cauchy density 1 / (pi (1 + z^2)); nu = 4 at 0 is 3/8
        let z = z_expectation(2).unwrap();
        for v in [0.0, 0.5, 3.0] {
            assert!((z.density(v) - 1.0 / (std::f64::consts::PI * (1.0 + v * v))).abs() < 1e-14);
        }
        assert!((z_expectation(5).unwrap().density(0.0) - 0.375).abs() < 1e-14);
    }
}
