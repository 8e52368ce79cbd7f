//! Power-law fits in log-log space (the paper's least squares of `log m_n` on `log N`).

use crate::error::{Result, StatsError};
use linfa::prelude::*;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A fitted line in log-log space.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerLawFit {
    /// Fitted exponent.
    pub slope: f64,
    /// Lower end of the 95% interval (NaN with only two points).
    pub slope_lo: f64,
    /// Upper end of the 95% interval.
    pub slope_hi: f64,
    /// Intercept `log10 A`.
    pub intercept: f64,
    /// Coefficient of determination of the log-log fit.
    pub r2: f64,
    /// Number of points used.
    pub points: usize,
}

/// At least 2 points, every `x` and `y` positive and finite (both fits take logarithms).
fn check_points(x: &[f64], y: &[f64]) -> Result<()> {
    if x.len() < 2 {
        return Err(StatsError::TooFew { what: "a power-law fit", need: 2, got: x.len() });
    }
    if let Some(bad) = x.iter().chain(y).find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(StatsError::Invalid { what: "power-law data (must be positive and finite)", value: *bad });
    }
    Ok(())
}

/// Fits `log10 y = intercept + slope log10 x`; all `x`, `y` must be positive and finite, at
/// least 2 points.
///
/// Power-law fits `y = A N^slope` by ordinary least squares of `log10 y` on `log10 N`
/// (linfa-linear), with the slope's 95% interval from Student's t with `n - 2` degrees of
/// freedom and the coefficient of determination `R^2`.
pub fn fit_power_law(x: &[f64], y: &[f64]) -> Result<PowerLawFit> {
    if x.len() != y.len() {
        return Err(StatsError::Shape { what: "power-law x vs y", detail: format!("{} vs {}", x.len(), y.len()) });
    }
    check_points(x, y)?;
    let lx: Vec<f64> = x.iter().map(|v| v.log10()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.log10()).collect();
    let n = lx.len();
    let records = Array2::from_shape_vec((n, 1), lx.clone()).map_err(|e| StatsError::Regression(e.to_string()))?;
    let dataset = Dataset::new(records, Array1::from(ly.clone()));
    let model = LinearRegression::new().fit(&dataset).map_err(|e| StatsError::Regression(e.to_string()))?;
    let (slope, intercept) = (model.params()[0], model.intercept());
    let mean_x = lx.iter().sum::<f64>() / n as f64;
    let mean_y = ly.iter().sum::<f64>() / n as f64;
    let sxx: f64 = lx.iter().map(|v| (v - mean_x).powi(2)).sum();
    let sse: f64 = lx.iter().zip(&ly).map(|(a, b)| (b - intercept - slope * a).powi(2)).sum();
    let sst: f64 = ly.iter().map(|v| (v - mean_y).powi(2)).sum();
    let r2 = if sst > 0.0 { 1.0 - sse / sst } else { 1.0 };
    let (slope_lo, slope_hi) = if n > 2 {
        let se = (sse / (n as f64 - 2.0) / sxx).sqrt();
        let t = StudentsT::new(0.0, 1.0, n as f64 - 2.0)
            .map_err(|e| StatsError::Regression(e.to_string()))?
            .inverse_cdf(0.975);
        (slope - t * se, slope + t * se)
    } else {
        (f64::NAN, f64::NAN)
    };
    Ok(PowerLawFit { slope, slope_lo, slope_hi, intercept, r2, points: n })
}

/// Fits `log10 y = intercept + slope log10 x` by least squares weighted with the points' own
/// standard errors, for data whose errors are known (measured values with their standard
/// errors, at few `x`).
///
/// Each `log10 y_i` has the standard error `s_i = y_stderr_i / (y_i ln 10)` (first order), and
/// weight `w_i = 1/s_i²`. With `S_xx = Σ w (log10 x − x̄_w)²`, the slope's standard error is
/// `1/√S_xx` from the errors alone, multiplied by `√(χ²/(n − 2))` when the points scatter about
/// the line more than their errors allow (`χ² = Σ w r²` above its `n − 2` degrees of freedom;
/// the Birge ratio), and the 95% interval is `slope ± 1.96` of it. So two points have an
/// interval, and three points lying on a line by chance do not get an interval narrower than
/// their errors (the ordinary fit's residual interval, [`fit_power_law`], can: its one degree
/// of freedom estimates the scatter from one residual). `r2` is the weighted `R²`.
/// All `x`, `y` positive and finite, every `y_stderr` positive and finite, at least 2 points.
pub fn fit_power_law_weighted(x: &[f64], y: &[f64], y_stderr: &[f64]) -> Result<PowerLawFit> {
    if x.len() != y.len() || y.len() != y_stderr.len() {
        return Err(StatsError::Shape {
            what: "weighted power-law x, y and y_stderr",
            detail: format!("{}, {} and {}", x.len(), y.len(), y_stderr.len()),
        });
    }
    check_points(x, y)?;
    if let Some(bad) = y_stderr.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(StatsError::Invalid { what: "y_stderr (must be positive and finite)", value: *bad });
    }
    let lx: Vec<f64> = x.iter().map(|v| v.log10()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.log10()).collect();
    let w: Vec<f64> = y.iter().zip(y_stderr).map(|(v, e)| (v * std::f64::consts::LN_10 / e).powi(2)).collect();
    let sw: f64 = w.iter().sum();
    let mean = |v: &[f64]| v.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / sw;
    let (mx, my) = (mean(&lx), mean(&ly));
    let sxx: f64 = lx.iter().zip(&w).map(|(a, b)| b * (a - mx).powi(2)).sum();
    let sxy: f64 = lx.iter().zip(&ly).zip(&w).map(|((a, c), b)| b * (a - mx) * (c - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let chi2: f64 = lx.iter().zip(&ly).zip(&w).map(|((a, c), b)| b * (c - intercept - slope * a).powi(2)).sum();
    let syy: f64 = ly.iter().zip(&w).map(|(c, b)| b * (c - my).powi(2)).sum();
    let r2 = if syy > 0.0 { 1.0 - chi2 / syy } else { 1.0 };
    let dof = x.len() as f64 - 2.0;
    let birge = if dof > 0.0 { (chi2 / dof).max(1.0).sqrt() } else { 1.0 };
    let half = Z_975 * birge / sxx.sqrt();
    Ok(PowerLawFit { slope, slope_lo: slope - half, slope_hi: slope + half, intercept, r2, points: x.len() })
}

/// The standard normal's 97.5% quantile.
const Z_975: f64 = 1.959_963_984_540_054;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_fit_recovers_an_exact_law_with_the_errors_interval() {
        let x = [5.0, 10.0, 20.0];
        let y: Vec<f64> = x.iter().map(|v: &f64| 0.7 * v.powf(-2.0)).collect();
        // relative errors 1%, 2%, 10%
        let e: Vec<f64> = y.iter().zip([0.01, 0.02, 0.1]).map(|(v, r)| v * r).collect();
        let f = fit_power_law_weighted(&x, &y, &e).unwrap();
        assert!((f.slope + 2.0).abs() < 1e-12 && (f.intercept - 0.7f64.log10()).abs() < 1e-12);
        // no scatter: the interval is the errors' alone, 1.96 / sqrt(S_xx) in log10 units
        let s: Vec<f64> = [0.01f64, 0.02, 0.1].iter().map(|r| r / std::f64::consts::LN_10).collect();
        let w: Vec<f64> = s.iter().map(|s| 1.0 / (s * s)).collect();
        let lx: Vec<f64> = x.iter().map(|v| v.log10()).collect();
        let mx = lx.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / w.iter().sum::<f64>();
        let sxx: f64 = lx.iter().zip(&w).map(|(a, b)| b * (a - mx).powi(2)).sum();
        assert!((f.slope_hi - f.slope - 1.96 / sxx.sqrt()).abs() < 1e-4 / sxx.sqrt());
    }

    #[test]
    fn weighted_fit_follows_the_precise_points() {
        // two precise points on N^-1 and a third far off with a huge error
        let (x, y, e) = ([5.0, 10.0, 20.0], [0.2, 0.1, 1.0], [1e-6, 1e-6, 10.0]);
        let f = fit_power_law_weighted(&x, &y, &e).unwrap();
        assert!((f.slope + 1.0).abs() < 1e-6, "{}", f.slope);
        // the ordinary fit is pulled far away by the third point
        assert!(fit_power_law(&x, &y).unwrap().slope > 0.0);
    }

    /// Coverage over 4000 synthetic data sets (three widths, relative errors 3%, 5%, 10%,
    /// Gaussian noise of exactly those sizes in log space): the interval is exact when the
    /// Birge ratio is 1 and wider otherwise, so it covers at least 95% (96% here) and, at one degree of
    /// freedom, not much more (an ordinary 3-point fit's t interval covers 95% exactly but
    /// ignores the errors).
    #[test]
    fn weighted_interval_covers_at_least_its_level() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut uniform = move || {
            // splitmix64
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut normal = move || {
            let (u, v) = (uniform(), uniform());
            (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        };
        let (x, rel) = ([5.0, 10.0, 20.0], [0.03, 0.05, 0.1]);
        let trials = 4000;
        let mut covered = 0;
        for _ in 0..trials {
            let y: Vec<f64> =
                x.iter().zip(rel).map(|(v, r): (&f64, f64)| 2.0 * v.powf(-2.0) * (r * normal()).exp()).collect();
            let e: Vec<f64> = y.iter().zip(rel).map(|(v, r)| v * r).collect();
            let f = fit_power_law_weighted(&x, &y, &e).unwrap();
            covered += usize::from(f.slope_lo <= -2.0 && -2.0 <= f.slope_hi);
        }
        let share = covered as f64 / trials as f64;
        println!("weighted power-law interval coverage: {share}");
        // 95% has a binomial standard error of 0.0034 at 4000 trials
        assert!((0.94..=0.98).contains(&share), "coverage {share}");
    }

    #[test]
    fn weighted_fit_rejects_bad_errors() {
        let e = fit_power_law_weighted(&[1.0, 2.0], &[1.0, 0.5], &[0.1, 0.0]).unwrap_err().to_string();
        assert!(e.contains("y_stderr"), "{e}");
        assert!(fit_power_law_weighted(&[1.0, 2.0], &[1.0, 0.5], &[0.1]).is_err());
        assert!(fit_power_law_weighted(&[1.0], &[1.0], &[0.1]).is_err());
    }

    #[test]
    fn exact_power_law_is_recovered() {
        let x = [2.0, 5.0, 10.0, 100.0];
        let y: Vec<f64> = x.iter().map(|v: &f64| 3.0 * v.powf(-1.0)).collect();
        let f = fit_power_law(&x, &y).unwrap();
        assert!((f.slope + 1.0).abs() < 1e-12);
        assert!((f.intercept - 3f64.log10()).abs() < 1e-12);
        assert!((f.r2 - 1.0).abs() < 1e-12);
        assert!(f.slope_hi - f.slope_lo < 1e-9);
    }

    #[test]
    fn interval_matches_textbook_example() {
        // Noisy line: slope CI from t(0.975, 3) = 3.182446305284263
        let x = [10.0, 100.0, 1000.0, 10000.0, 100000.0];
        let ly = [1.0, 0.1, -0.8, -2.2, -2.9];
        let y: Vec<f64> = ly.iter().map(|v| 10f64.powf(*v)).collect();
        let f = fit_power_law(&x, &y).unwrap();
        // hand computation: lx = 1..5, slope = sum((x-3)(y-m))/10
        let m = ly.iter().sum::<f64>() / 5.0;
        let slope: f64 = (0..5).map(|i| (i as f64 - 2.0) * (ly[i] - m)).sum::<f64>() / 10.0;
        assert!((f.slope - slope).abs() < 1e-12);
        let sse: f64 = (0..5).map(|i| (ly[i] - m - slope * (i as f64 - 2.0)).powi(2)).sum();
        let half = 3.182446305284263 * (sse / 3.0 / 10.0).sqrt();
        assert!((f.slope_hi - f.slope - half).abs() < 1e-9);
    }

    #[test]
    fn bad_data_is_an_error() {
        assert!(fit_power_law(&[1.0], &[1.0]).is_err());
        assert!(fit_power_law(&[1.0, 2.0], &[1.0, -1.0]).is_err());
        assert!(fit_power_law(&[1.0, 2.0], &[1.0]).is_err());
    }
}
