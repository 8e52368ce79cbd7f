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

/// Refuses `values` whose largest (NaN if any is NaN: `f64::max` would skip it) exceeds
/// `limit`, naming `field`, the value as `what = largest` and the `allowed` range.
fn at_most(
    values: impl IntoIterator<Item = f64>,
    limit: f64,
    field: &'static str,
    what: &str,
    allowed: &'static str,
) -> Result<()> {
    let worst = values.into_iter().fold(0.0f64, |a, k| if k.is_nan() || a.is_nan() { f64::NAN } else { a.max(k) });
    if worst.is_nan() || worst > limit {
        return Err(SamplingError::OutOfRange { field, value: format!("{what} = {worst:e}"), allowed });
    }
    Ok(())
}

/// Refuses output variances (the diagonal `K(x_a, x_a)`) above [`MAX_OUTPUT_VARIANCE`] or not
/// finite.
pub fn check_output_variance(diagonal: impl IntoIterator<Item = f64>) -> Result<()> {
    at_most(
        diagonal,
        MAX_OUTPUT_VARIANCE,
        "sigma_w, sigma_b and the inputs",
        "an output variance K(x, x)",
        "K(x, x) <= 1e100 on every input, so that G6 ~ 15 K^3 stays finite in f64: scale the priors or the inputs \
         down",
    )
}

/// Refuses Gauss-net first-layer variances `K¹(x_a, x_a)` above [`MAX_GAUSS_PREACTIVATION`].
pub fn check_gauss_preactivation(diagonal: impl IntoIterator<Item = f64>) -> Result<()> {
    at_most(
        diagonal,
        MAX_GAUSS_PREACTIVATION,
        "sigma_w, sigma_b and the inputs (Gauss-net)",
        "K1(x, x) = sigma_b^2 + sigma_w^2 |x|^2 / d",
        "at most 58 on every input: Gauss-net's activation exp(z - K1(x, x)) has the sixth moment exp(12 K1(x, x)), \
         beyond f64 above it",
    )
}

/// Refuses a one-hidden-layer network and input set whose correlators would overflow: the
/// inputs' dimension, the output variances ([`check_output_variance`]) and, for Gauss-net, the
/// first-layer variances ([`check_gauss_preactivation`]). `Ensemble::new` runs it; front doors
/// run it through the study crate's checked network specification, before anything is
/// computed.
pub fn check_network(net: &nnqft_theory::Network, inputs: &nnqft_theory::InputSet) -> Result<()> {
    inputs.check_dimension(net.d_in())?;
    check_output_variance(inputs.points().map(|x| nnqft_theory::kernel(net, x, x)))?;
    if net.activation() == nnqft_theory::Activation::Gauss {
        check_gauss_preactivation(inputs.points().map(|x| net.preactivation_cov(x, x)))?;
    }
    Ok(())
}

/// [`check_network`] for a deep network: checks the inputs' dimension and refuses priors and
/// inputs whose correlators would overflow: Gauss-net's first-layer variances, and the output
/// variances of the kernel recursion (the GP of the output). Erf, tanh, sigmoid and sin are
/// bounded by 1, so `C_b + C_W` bounds them and the quadrature (tanh's: 0.13 s at `L = 8`) is
/// only run when that bound is not enough. `DeepEnsemble::new` and `NtkEnsemble::new` run it.
pub fn check_deep_network(net: &nnqft_theory::DeepNetwork, inputs: &nnqft_theory::InputSet) -> Result<()> {
    use nnqft_theory::DeepActivation;
    inputs.check_dimension(net.d_in())?;
    if net.activation() == DeepActivation::Gauss {
        check_gauss_preactivation(inputs.points().map(|x| net.first_layer_cov(x, x)))?;
    }
    let bounded = matches!(
        net.activation(),
        DeepActivation::Erf | DeepActivation::Tanh | DeepActivation::Sigmoid | DeepActivation::Sin
    );
    if !bounded || check_output_variance([net.c_b() + net.c_w()]).is_err() {
        let (k, m) = (nnqft_theory::KernelRecursion::new(net, inputs)?, inputs.len());
        check_output_variance((0..m).map(|a| k.output()[a * m + a]))?;
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
