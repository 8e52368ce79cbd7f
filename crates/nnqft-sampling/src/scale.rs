//! The range of priors and inputs a run accepts: the correlators it averages must stay finite
//! in `f64` (largest about 1.8e308), so priors or inputs so large that they would not are a
//! typed error before sampling, never a report of infinities.
//!
//! - Every network: the output variance `K(x, x)` (the GP 2-pt function on the diagonal) is
//!   at most [`MAX_OUTPUT_VARIANCE`] on every input, so that `G6 ≈ 15 K³` and the per-net
//!   products behind it stay far inside the range (tiny priors underflow to zero harmlessly).
//! - Gauss-net: its activation `exp(z − K¹(x, x))`, `z` Gaussian of variance `K¹(x, x) =
//!   σ_b² + σ_w² |x|² / d`, has the sixth moment `exp(12 K¹(x, x))`; [`MAX_GAUSS_PREACTIVATION`]
//!   keeps it finite.

use crate::error::{Result, SamplingError};

/// The largest output variance `K(x, x)` accepted.
pub const MAX_OUTPUT_VARIANCE: f64 = 1e100;

/// The largest first-layer variance `K¹(x, x)` accepted for Gauss-net: `exp(12 × 58) ≈ 1e302`.
pub const MAX_GAUSS_PREACTIVATION: f64 = 58.0;

/// The largest value, NaN if any is NaN (`f64::max` would skip it).
fn largest(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0f64, |a, k| if k.is_nan() || a.is_nan() { f64::NAN } else { a.max(k) })
}

/// Refuses output variances (the diagonal `K(x_a, x_a)`) above [`MAX_OUTPUT_VARIANCE`] or not
/// finite.
pub fn check_output_variance(diagonal: impl IntoIterator<Item = f64>) -> Result<()> {
    let worst = largest(diagonal);
    if worst.is_nan() || worst > MAX_OUTPUT_VARIANCE {
        return Err(SamplingError::OutOfRange {
            field: "sigma_w, sigma_b and the inputs",
            value: format!("an output variance K(x, x) = {worst:e}"),
            allowed: "K(x, x) <= 1e100 on every input, so that G6 ~ 15 K^3 stays finite in f64: scale the priors or \
                      the inputs down",
        });
    }
    Ok(())
}

/// Refuses Gauss-net first-layer variances `K¹(x_a, x_a)` above [`MAX_GAUSS_PREACTIVATION`].
pub fn check_gauss_preactivation(diagonal: impl IntoIterator<Item = f64>) -> Result<()> {
    let worst = largest(diagonal);
    if worst.is_nan() || worst > MAX_GAUSS_PREACTIVATION {
        return Err(SamplingError::OutOfRange {
            field: "sigma_w, sigma_b and the inputs (Gauss-net)",
            value: format!("K1(x, x) = sigma_b^2 + sigma_w^2 |x|^2 / d = {worst:e}"),
            allowed: "at most 58 on every input: Gauss-net's activation exp(z - K1(x, x)) has the sixth moment \
                      exp(12 K1(x, x)), beyond f64 above it",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_refuse_overflow_and_nan_and_accept_underflow() {
        assert!(check_output_variance([1.0, 1e100, 0.0, 1e-300]).is_ok());
        assert!(check_output_variance([1.0, 1.1e100]).is_err());
        assert!(check_output_variance([f64::INFINITY]).is_err());
        assert!(check_output_variance([1.0, f64::NAN, 2.0]).is_err());
        assert!(check_gauss_preactivation([2.0, 58.0]).is_ok());
        let e = check_gauss_preactivation([2.0, 1e12]).unwrap_err().to_string();
        assert!(e.contains("Gauss-net") && e.contains("at most 58"), "{e}");
    }
}
