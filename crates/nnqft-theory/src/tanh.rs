//! The hyperbolic tangent, written so that a loop over lanes vectorises.
//!
//! - `|z| < 0.55`: the Maclaurin series `tanh z = Σ_k a_k z²ᵏ⁺¹` to `k = 19`, with `a_0 = 1`
//!   and `(2n + 1) a_n = −Σ_(i+j=n−1) a_i a_j` (from `tanh′ = 1 − tanh²`); the terms shrink like
//!   `(2z/π)²ᵏ`, so the first omitted one is below `1e-18` relative. Summed as
//!   `z + (z w) Q(w)`, `w = z²`, so that small arguments keep their relative accuracy.
//! - `|z| >= 0.55`: `tanh|z| = 1 − 2 / (e + 2)`, `e = exp(2|z|) − 1` (the exponential's range
//!   reduction and its Taylor polynomial summed without the leading 1, see [`crate::exp`]);
//!   the subtraction loses little, since `2/(e + 2) < 0.5`.
//!
//! Then the sign of `z`. Both are evaluated on every lane and each lane keeps its own: no
//! branch, no call. Within two ulps of the system's `tanh` (tests); plain multiplies, adds and
//! divisions and fused multiply-adds, so every build gives the same bits.

use crate::exp::expm1_in_range;
use crate::polynomial::estrin;

/// Where the series ends and the exponential takes over.
const SERIES_BELOW: f64 = 0.55;
/// Terms of the series.
const TERMS: usize = 20;

/// The series' coefficients `a_k` (see the module docs).
const SERIES: [f64; TERMS] = {
    let mut a = [0.0; TERMS];
    a[0] = 1.0;
    let mut n = 1;
    while n < TERMS {
        let mut sum = 0.0;
        let mut i = 0;
        while i < n {
            sum += a[i] * a[n - 1 - i];
            i += 1;
        }
        a[n] = -sum / (2 * n + 1) as f64;
        n += 1;
    }
    a
};

/// `Q(w) = Σ_(k≥1) a_k wᵏ⁻¹`: `tanh z = z + z w Q(w)`.
const Q: [f64; TERMS - 1] = {
    let mut q = [0.0; TERMS - 1];
    let mut k = 0;
    while k < TERMS - 1 {
        q[k] = SERIES[k + 1];
        k += 1;
    }
    q
};

/// `tanh` of every lane, in place (see the module docs).
#[inline(always)]
pub fn tanh_lanes<const L: usize>(z: &mut [f64; L]) {
    for v in z.iter_mut() {
        let x = v.abs();
        let w = x * x;
        let series = (x * w).mul_add(estrin(&Q, w), x);
        let e = expm1_in_range(2.0 * x);
        let large = 1.0 - 2.0 / (e + 2.0);
        let t = if x < SERIES_BELOW { series } else { large };
        *v = t.copysign(*v);
    }
}

/// `tanh(z)` (see the module docs; the bits of [`tanh_lanes`]).
#[inline]
pub fn tanh(z: f64) -> f64 {
    let mut v = [z];
    tanh_lanes(&mut v);
    v[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exp::tests::ulps;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn within_two_ulps_of_std_on_a_dense_grid_and_the_edges() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(13);
        let mut grid: Vec<f64> = (-400_000..=400_000).map(|i| i as f64 * 5e-5).collect();
        grid.extend((0..200_000).map(|_| rng.random_range(-40.0..40.0)));
        grid.extend((0..100_000).map(|_| 10f64.powf(rng.random_range(-300.0..0.0))));
        for x in [SERIES_BELOW, 1.0, 0.5, 19.0, 22.0, 354.0, 355.0] {
            grid.extend([x, f64::from_bits(x.to_bits() - 1), f64::from_bits(x.to_bits() + 1)]);
        }
        grid.extend([0.0, 5e-324, 1e-300, 1e300, f64::MAX]);
        let mut worst: (f64, f64) = (0.0, 0.0);
        for &x in &grid {
            for z in [x, -x] {
                let u = ulps(tanh(z), z.tanh());
                if u > worst.0 {
                    worst = (u, z);
                }
            }
        }
        assert!(worst.0 <= 2.0, "worst {} ulps at {}", worst.0, worst.1);
        assert_eq!(tanh(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!((tanh(f64::INFINITY), tanh(f64::NEG_INFINITY)), (1.0, -1.0));
        assert!(tanh(f64::NAN).is_nan());
    }

    #[test]
    fn lanes_give_the_scalar_bits() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(14);
        for _ in 0..10_000 {
            let mut z: [f64; 8] = std::array::from_fn(|_| rng.random_range(-25.0..25.0));
            let want = z.map(tanh);
            tanh_lanes(&mut z);
            assert_eq!(z.map(f64::to_bits), want.map(f64::to_bits));
        }
    }
}
