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
//! after that release). Plain multiplies and adds only, so every build gives the same bits.

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

struct Tables {
    series: [f64; SERIES],
    intervals: Vec<[f64; COEFFS]>,
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
    let intervals = (0..INTERVALS)
        .map(|i| {
            let c = LOW + (i as f64 + 0.5) / PER_UNIT;
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
        })
        .collect();
    Tables { series, intervals }
});

/// The error function `erf(z) = (2/sqrt(pi)) int_0^z e^(-t^2) dt` (see the module docs).
#[inline]
pub fn erf(z: f64) -> f64 {
    let x = z.abs();
    if x < LOW {
        let s = &TABLES.series;
        let w = x * x;
        let mut r = s[SERIES - 1];
        for k in (0..SERIES - 1).rev() {
            r = r * w + s[k];
        }
        return z * r;
    }
    if x >= HIGH || x.is_nan() {
        return if x.is_nan() { z } else { 1.0f64.copysign(z) };
    }
    let i = (((x - LOW) * PER_UNIT) as usize).min(INTERVALS - 1);
    let t = x - (LOW + (i as f64 + 0.5) / PER_UNIT);
    let a = &TABLES.intervals[i];
    let mut r = a[COEFFS - 1];
    for n in (0..COEFFS - 1).rev() {
        r = r * t + a[n];
    }
    r.copysign(z)
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
