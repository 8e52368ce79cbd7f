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
    if x.len() < 2 {
        return Err(StatsError::TooFew { what: "a power-law fit", need: 2, got: x.len() });
    }
    if let Some(bad) = x.iter().chain(y).find(|v| !(v.is_finite() && **v > 0.0)) {
        return Err(StatsError::Invalid { what: "power-law data (must be positive and finite)", value: *bad });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
