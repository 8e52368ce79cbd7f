//! The error function, fast and accurate to about one ulp.
//!
//! - `|z| < 1/2`: the Maclaurin series `erf(z) = (2/sqrt(pi)) sum_k (-1)^k z^(2k+1) / (k! (2k+1))`,
//!   13 terms in `z^2` (the first omitted term is below `1e-17` relative), so small
//!   arguments keep their relative accuracy.
//! - `1/2 <= |z| < 6`: 44 intervals of width `1/8`, each a degree-11 Taylor polynomial about
//!   its centre `c` in `t = |z| - c`, `|t| <= 1/16`: `a_0 = erf(c)` (libm, FreeBSD's msun,
//!   under an ulp) and, for `n >= 1`,
//!   `a_n = erf^(n)(c) / n! = (2/sqrt(pi)) (-1)^(n-1) H_(n-1)(c) e^(-c^2) / n!` with the
//!   physicists' Hermite polynomials (`H_(k+1) = 2c H_k - 2k H_(k-1)`). By Cramer's bound
//!   the remainder is below `3e-18`.
//! - `|z| >= 6`: `+-1` (`1 - erf(6) = 2e-17` is below half an ulp of 1).
//!
//! Odd by construction. Tests: within an ulp of libm for `|z| >= 1/2` and `3e-16` relative
//! below, and against 30-digit reference values. Evaluation is a table lookup and one Horner
//! chain: faster than libm (two `exp` calls above `|z| = 1.25`) and than statrs, whose erf
//! (0.19.1) is also off by up to ~1e-11 (`erf(0.9)` by 9.4e-12; statrs-dev/statrs#412, fixed
//! after that release). Plain multiplies and adds only (the theory's quadratures call it
//! outside FMA builds, where `mul_add` is a library call), so every build gives the same bits.

use crate::polynomial::estrin;
use std::sync::LazyLock;

/// Start of the interval table.
const LOW: f64 = 0.5;
/// Above this, `erf = +-1` in double precision.
const HIGH: f64 = 6.0;
/// Intervals per unit.
const PER_UNIT: f64 = 8.0;
/// Number of intervals.
const INTERVALS: usize = ((HIGH - LOW) * PER_UNIT) as usize;
/// Coefficients per interval (degree + 1).
const COEFFS: usize = 12;
/// Terms of the series below [`LOW`].
const SERIES: usize = 13;

/// `2 / sqrt(pi)`.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// Intervals per unit of the lane table.
const LANE_PER_UNIT: f64 = 16.0;
/// Intervals of the lane table, covering `[0, HIGH)`.
const LANE_INTERVALS: usize = (HIGH * LANE_PER_UNIT) as usize;

struct Tables {
    series: [f64; SERIES],
    intervals: [[f64; COEFFS]; INTERVALS],
    /// [`erf_lanes`]' table: interval 0 holds the Maclaurin coefficients (degree 11, centre
    /// 0), interval `i >= 1` the Taylor coefficients about `(i + 1/2)/16`.
    lanes: [[f64; COEFFS]; LANE_INTERVALS],
}

/// Taylor coefficients of `erf` about `c`, degree `COEFFS − 1`: `a_0 = erf(c)` and
/// `a_n = (2/sqrt(pi)) (-1)^(n-1) H_(n-1)(c) e^(-c^2) / n!`.
fn taylor(c: f64) -> [f64; COEFFS] {
    let gauss = TWO_OVER_SQRT_PI * (-c * c).exp();
    let mut hermite = [0.0; COEFFS];
    hermite[0] = 1.0;
    hermite[1] = 2.0 * c;
    for k in 1..COEFFS - 1 {
        hermite[k + 1] = 2.0 * c * hermite[k] - 2.0 * k as f64 * hermite[k - 1];
    }
    let mut a = [0.0; COEFFS];
    a[0] = libm::erf(c);
    let mut fact = 1.0;
    for n in 1..COEFFS {
        fact *= n as f64;
        let sign = if n % 2 == 1 { 1.0 } else { -1.0 };
        a[n] = sign * hermite[n - 1] * gauss / fact;
    }
    a
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut series = [0.0; SERIES];
    let mut fact = 1.0;
    for (k, s) in series.iter_mut().enumerate() {
        if k > 0 {
            fact *= k as f64;
        }
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        *s = sign * TWO_OVER_SQRT_PI / (fact * (2 * k + 1) as f64);
    }
    let intervals = std::array::from_fn(|i| taylor(LOW + (i as f64 + 0.5) / PER_UNIT));
    let lanes = std::array::from_fn(|i| match i {
        // odd powers only: a_(2k+1) = series[k]
        0 => std::array::from_fn(|n| if n % 2 == 1 { series[n / 2] } else { 0.0 }),
        _ => taylor((i as f64 + 0.5) / LANE_PER_UNIT),
    });
    Tables { series, intervals, lanes }
});

/// `Σ_k c[k] wᵏ` by Horner's rule, plain multiplies and adds.
#[inline(always)]
fn horner<const K: usize>(c: &[f64; K], w: f64) -> f64 {
    let mut r = c[K - 1];
    for k in (0..K - 1).rev() {
        r = r * w + c[k];
    }
    r
}

/// The error function `erf(z) = (2/sqrt(pi)) int_0^z e^(-t^2) dt` (see the module docs).
#[inline]
pub fn erf(z: f64) -> f64 {
    let x = z.abs();
    if x < LOW {
        return z * horner(&TABLES.series, x * x);
    }
    if x >= HIGH || x.is_nan() {
        return if x.is_nan() { z } else { 1.0f64.copysign(z) };
    }
    let i = (((x - LOW) * PER_UNIT) as usize).min(INTERVALS - 1);
    let t = x - (LOW + (i as f64 + 0.5) / PER_UNIT);
    horner(&TABLES.intervals[i], t).copysign(z)
}

/// [`erf`] of every lane, in place, within two ulps of it (test). One table for the whole
/// range, `[0, 6)` in intervals of `1/16`: the first holds the Maclaurin series to degree 11
/// (the first omitted term is below `4e-19` of the value there, so small arguments keep their
/// relative accuracy), the others the Taylor polynomials of degree 11 about their centres
/// (`|t| <= 1/32`). So every lane evaluates one polynomial (its coefficients looked up per lane)
/// by [`estrin`]'s split chains of fused multiply-adds, with no branch, and a loop over lanes
/// vectorises. For kernels built with FMA ([`crate::simd::with_simd`]).
#[inline(always)]
pub fn erf_lanes<const L: usize>(z: &mut [f64; L]) {
    let table = &TABLES.lanes;
    let (mut idx, mut t) = ([0usize; L], [0.0; L]);
    for j in 0..L {
        let x = z[j].abs();
        // the interval of `x`, clamped so that every lane has one (NaN gives 0)
        let y = (x * LANE_PER_UNIT).clamp(0.0, (LANE_INTERVALS - 1) as f64).floor();
        idx[j] = (y as i32 as usize).min(LANE_INTERVALS - 1);
        t[j] = if idx[j] == 0 { x } else { x - (y + 0.5) / LANE_PER_UNIT };
    }
    // one lane at a time: the coefficients are loads into fused multiply-adds, and the lanes'
    // chains overlap (a vectorised loop would gather them element by element)
    let mut r = [0.0; L];
    for j in 0..L {
        r[j] = estrin(&table[idx[j]], t[j]);
    }
    for (v, r) in z.iter_mut().zip(r) {
        let x = v.abs();
        let r = if x >= HIGH { 1.0 } else { r };
        *v = if x.is_nan() { *v } else { r.copysign(*v) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn ulp(x: f64) -> f64 {
        let x = x.abs();
        f64::from_bits(x.to_bits() + 1) - x
    }

    #[test]
    fn agrees_with_libm_to_an_ulp() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let reference = libm::erf;
        for _ in 0..400_000 {
            let z: f64 = rng.random_range(-7.0..7.0);
            let (got, want) = (erf(z), reference(z));
            assert!((got - want).abs() <= ulp(want).max(1.2e-16), "erf({z}) = {got}, libm {want}");
        }
        for _ in 0..100_000 {
            let z = rng.random_range(-0.5..0.5) * 10f64.powf(rng.random_range(-12.0..0.0));
            let (got, want) = (erf(z), reference(z));
            assert!((got - want).abs() <= 3e-16 * want.abs(), "erf({z}) = {got}, libm {want}");
        }
        // interval edges
        for i in 0..=INTERVALS {
            let x = LOW + i as f64 / PER_UNIT;
            for z in [x, f64::from_bits(x.to_bits() - 1)] {
                assert!((erf(z) - reference(z)).abs() <= ulp(reference(z)).max(1.2e-16), "edge {z}");
            }
        }
    }

    #[test]
    fn lanes_are_within_two_ulps_of_the_scalar() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(8);
        let mut grid: Vec<f64> = (-80_000..=80_000).map(|i| i as f64 * 1e-4).collect();
        grid.extend((0..100_000).map(|_| rng.random_range(-7.0..7.0)));
        for i in 0..=INTERVALS {
            let x = LOW + i as f64 / PER_UNIT;
            for e in [x, f64::from_bits(x.to_bits() - 1), f64::from_bits(x.to_bits() + 1)] {
                grid.extend([e, -e]);
            }
        }
        grid.extend([0.0, -0.0, 1e-300, -5e-324, HIGH, -HIGH, 1e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]);
        for chunk in grid.chunks(8) {
            let mut lanes = [0.0; 8];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let want = lanes.map(erf);
            erf_lanes(&mut lanes);
            for (g, w) in lanes.iter().zip(&want) {
                let close = (g - w).abs() <= 2.0 * ulp(*w) || g.to_bits() == w.to_bits();
                assert!(close || (g.is_nan() && w.is_nan()), "erf lanes {g} vs scalar {w}");
            }
        }
    }

    /// `erf` to 30 digits (more than f64 holds, kept as printed) at the exact binary value of each argument (mpmath 1.3, `mp.dps = 40`).
    #[allow(clippy::excessive_precision)]
    const REFERENCE: [(f64, f64); 6] = [
        (1e-8, 1.12837916709551255989210176294e-8),
        (0.3, 0.328626759459127416189617985318),
        (0.9, 0.79690821242283213966466616034),
        (1.3, 0.934007944940652445850185361578),
        (2.658563743371694, 0.999829935050940551897697360292),
        (4.2, 0.99999999714450582040781575978),
    ];

    #[test]
    fn matches_high_precision_values() {
        for (z, want) in REFERENCE {
            assert!((erf(z) - want).abs() <= ulp(want), "erf({z}) = {} vs {want}", erf(z));
        }
    }

    #[test]
    fn special_values_and_symmetry() {
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
        assert!(same(erf(0.0), 0.0) && same(erf(-0.0), -0.0));
        assert!(same(erf(f64::INFINITY), 1.0) && same(erf(f64::NEG_INFINITY), -1.0));
        assert!(same(erf(6.0), 1.0));
        assert!(erf(f64::NAN).is_nan());
        for z in [1e-300, 0.3, 0.5, 0.77, 1.0, 2.5, 5.99] {
            assert!(same(erf(-z), -erf(z)), "{z}");
        }
    }
}
