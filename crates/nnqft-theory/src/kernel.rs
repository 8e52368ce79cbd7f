//! The Gaussian-process kernels `K` and `K_g` of Erf-, ReLU-, Gauss- and Cos-net in closed form.

use crate::error::Result;
use crate::input_set::InputSet;
use crate::network::{Activation, Network};
use std::f64::consts::PI;

/// `K_g(x, y) = sigma_w^2 E[phi(x) phi(y)]`, with `S(x, y) = sigma_b^2 + sigma_w^2 x.y / d`:
///
/// - Erf: `(2 sigma_w^2 / pi) asin( 2 S(x,y) / sqrt((1 + 2 S(x,x)) (1 + 2 S(y,y))) )`;
/// - ReLU: `(sigma_w^2 / 2 pi) sqrt(S(x,x) S(y,y)) (sin t + (pi - t) cos t)`,
///   `cos t = S(x,y) / sqrt(S(x,x) S(y,y))` clamped to `[-1, 1]`, zero when `S(x,x) S(y,y) = 0`;
/// - Gauss: `sigma_w^2 exp(-sigma_w^2 |x - y|^2 / (2 d))` (translation invariant);
/// - Cos: `(sigma_w^2 / 2) exp(-sigma_w^2 |x - y|^2 / (2 d))` (translation invariant; `sigma_b = 0`,
///   so `K = K_g`). With `θ = w · x`, `θ' = w · y` and the phase `b` uniform,
///   `E_b[cos(θ + b) cos(θ' + b)] = cos(θ − θ') / 2`, and `w · (x − y) ~ N(0, σ_w² |x − y|² / d)`
///   has `E cos = exp(−σ_w² |x − y|² / (2d))` (its characteristic function at 1).
pub fn kernel_g(net: &Network, x: &[f64], y: &[f64]) -> f64 {
    let sw2 = net.sigma_w() * net.sigma_w();
    match net.activation() {
        Activation::Erf => {
            let (sxy, sxx, syy) =
                (net.preactivation_cov(x, y), net.preactivation_cov(x, x), net.preactivation_cov(y, y));
            // the product under the root overflows for S beyond ~1e154: then root each factor
            // (same value, other rounding; the ordinary range keeps its bits)
            let product = (1.0 + 2.0 * sxx) * (1.0 + 2.0 * syy);
            let root =
                if product.is_finite() { product.sqrt() } else { (1.0 + 2.0 * sxx).sqrt() * (1.0 + 2.0 * syy).sqrt() };
            let arg = (2.0 * sxy / root).clamp(-1.0, 1.0);
            2.0 * sw2 / PI * arg.asin()
        }
        Activation::Relu => {
            let p = net.preactivation_cov(x, x) * net.preactivation_cov(y, y);
            if p <= 0.0 {
                return 0.0;
            }
            let root = p.sqrt();
            let c = (net.preactivation_cov(x, y) / root).clamp(-1.0, 1.0);
            let t = c.acos();
            sw2 / (2.0 * PI) * root * (t.sin() + (PI - t) * c)
        }
        Activation::Gauss => {
            let dist2: f64 = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
            sw2 * (-sw2 * dist2 / (2.0 * net.d_in() as f64)).exp()
        }
        Activation::Cos => {
            let dist2: f64 = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
            0.5 * sw2 * (-sw2 * dist2 / (2.0 * net.d_in() as f64)).exp()
        }
    }
}

/// `K(x, y) = sigma_b^2 + K_g(x, y)`: the GP kernel of the full output `f = b1 + g`.
///
/// Gaussian-process kernels, the `N -> infinity` two-point functions (paper section 2):
/// `K(x, x') = sigma_b^2 + sigma_w^2 E[phi(x) phi(x')]` and the propagator of the
/// non-Gaussian part, `K_g = K - sigma_b^2`.
pub fn kernel(net: &Network, x: &[f64], y: &[f64]) -> f64 {
    net.sigma_b() * net.sigma_b() + kernel_g(net, x, y)
}

/// The row-major `m x m` matrix `K(x_a, x_b)` over an input set.
pub fn kernel_matrix(net: &Network, inputs: &InputSet) -> Result<Vec<f64>> {
    inputs.check_dimension(net.d_in())?;
    Ok(inputs.points().flat_map(|x| inputs.points().map(move |y| kernel(net, x, y))).collect())
}
