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
//!
//! [`erf_lanes`], for the samplers' lanes, looks nothing up per lane: three polynomials cover
//! `[0, 5.9375)` and every lane evaluates all three, keeping its own by selects, so a loop over
//! lanes vectorises with no gather (a table of many short polynomials, as above, needs one
//! load of coefficients per lane and interval):
//!
//! - `[0, 3/4)`: `erf(x) = x + x S(x^2)`, `S` of degree 10 (`erf` odd to degree 21), its
//!   constant term the double nearest `2/sqrt(pi) - 1` and the rest fitted to the relative
//!   error; the leading `x` is added last, in the fused multiply-add, so `S` needs only an
//!   absolute accuracy well below 1 and small arguments keep their relative accuracy;
//! - `[3/4, 17/8)` and `[17/8, 5.9375)`: polynomials of degree 20 and 30 in `t = x - c` about
//!   a centre `c` chosen near the middle of the piece where `erf(c)` lies within a few
//!   thousandths of an ulp of a double (Gal's accurate-table trick; `c` is a multiple of
//!   `2^-10` and `|t| < x` on the piece, so `t`, a multiple of the ulp of `x`, is exact): the constant term is that double, the others fitted to the absolute error one at
//!   a time, each with the earlier ones fixed at their rounded values;
//! - `x >= 5.9375`: 1 (`1 - erf(5.9375) = 4.6e-17`, below half an ulp of 1, `2^-54`).
//!
//! Each fit is a least-squares fit at 120 Chebyshev nodes of its piece in 50-digit arithmetic
//! (mpmath), near the minimax polynomial. Fitted errors 0.097, 0.015 and 0.018 ulp; one degree
//! less gives 0.62 for the first piece and 0.095 and 0.037 for the others, whose margin we keep
//! for the rounding of the evaluation. The script that computes the tables and prints them as
//! they stand here is `crates/nnqft-theory/tools/erf_lanes_fit.py`. Evaluated by [`estrin`]'s
//! fused multiply-adds (exactly rounded, so every build gives the same bits), the lanes are
//! within one ulp of libm's `erf` on a sweep of `[0, 6.5)` in steps of `1e-6`, and within two
//! ulps of [`erf`] (tests). All three pieces, about 60 fused multiply-adds on four lanes at once,
//! take less time than a lookup and a degree-11 polynomial per lane, one lane at a time: 300
//! against 385 µs for 65,536 arguments on one core (`cargo bench -p nnqft-theory -- erf/`,
//! `erf/nnqft_lanes`, both in one run, 2026-12-07).

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

/// Where [`erf_lanes`]' middle and tail pieces begin, and from where its `erf` is 1 (see the
/// module docs).
const LANE_STARTS: [f64; 3] = [0.75, 2.125, 5.9375];
/// Centres of the middle and tail pieces.
const LANE_CENTRES: [f64; 2] = [1.376953125, 3.9912109375];
/// `S(w)` of the piece `[0, 3/4)`: `erf(x) = x + x S(x^2)`.
#[allow(clippy::excessive_precision)]
const LANE_SMALL: [f64; 11] = [
    0.1283791670955126,
    -0.37612638903183915,
    0.11283791670960684,
    -0.026866170645904835,
    0.0052239776300444475,
    -0.0008548327053260323,
    0.00012055321457843217,
    -1.492493695947131e-05,
    1.644120964505206e-06,
    -1.602366242375034e-07,
    1.1756746985437347e-08,
];
/// The middle piece, `erf(c + t) = sum_k a_k t^k` about `c = LANE_CENTRES[0]`.
#[allow(clippy::excessive_precision)]
const LANE_MIDDLE: [f64; 21] = [
    0.9485019143187827,
    0.16944656191421448,
    -0.23331997294828305,
    0.15769825661263337,
    -0.030798229308861357,
    -0.0303463897473735,
    0.022141379882212184,
    -0.0014854240259519309,
    -0.0042332416131967004,
    0.0015841602679650681,
    0.00031631361570497147,
    -0.0003384168672052069,
    2.9736512201018867e-05,
    4.142595778798077e-05,
    -1.2065847133476964e-05,
    -2.9141830869660934e-06,
    1.9000971214546876e-06,
    1.6277135114151726e-08,
    -1.899088160559935e-07,
    2.116605492023383e-08,
    8.594532465917212e-09,
];
/// The tail piece, `erf(c + t) = sum_k a_k t^k` about `c = LANE_CENTRES[1]`.
#[allow(clippy::excessive_precision)]
const LANE_TAIL: [f64; 31] = [
    0.9999999834265443,
    1.3622164845383674e-07,
    -5.43689333059252e-07,
    1.4012453247266472e-06,
    -2.615103059414032e-06,
    3.754597587755827e-06,
    -4.297769468390738e-06,
    4.0069922669123295e-06,
    -3.077237399395567e-06,
    1.9501747698177335e-06,
    -1.0096469155698402e-06,
    4.135551720144794e-07,
    -1.2212161282953924e-07,
    1.666558927123514e-08,
    6.602605671530642e-09,
    -5.577896544286141e-09,
    2.0117230192021284e-09,
    -3.287313348317639e-10,
    -6.410525132803395e-11,
    5.924145079853168e-11,
    -1.7789880086042293e-11,
    1.5520587129617797e-12,
    1.04740380514769e-12,
    -5.358411717456841e-13,
    7.873825914276683e-14,
    2.4807223104605814e-14,
    -1.0953212225395783e-14,
    2.678471932004315e-16,
    4.338649590346325e-16,
    -3.95745062842937e-17,
    -4.333545266892148e-18,
];

struct Tables {
    series: [f64; SERIES],
    intervals: [[f64; COEFFS]; INTERVALS],
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
    Tables { series, intervals }
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

/// [`erf`] of every lane, in place, within two ulps of it (test): all three pieces of the
/// module docs on every lane, each lane keeping its own by selects, so there is no branch and
/// no lookup, and a loop over lanes vectorises. For kernels built with FMA
/// ([`crate::simd::with_simd`]).
#[inline(always)]
pub fn erf_lanes<const L: usize>(z: &mut [f64; L]) {
    for v in z.iter_mut() {
        let x = v.abs();
        let small = x.mul_add(estrin(&LANE_SMALL, x * x), x);
        let middle = estrin(&LANE_MIDDLE, x - LANE_CENTRES[0]);
        let tail = estrin(&LANE_TAIL, x - LANE_CENTRES[1]);
        let r = if x < LANE_STARTS[0] {
            small
        } else if x < LANE_STARTS[1] {
            middle
        } else if x < LANE_STARTS[2] {
            tail
        } else {
            1.0
        };
        // NaN fails every comparison above and keeps itself here
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

    /// `erf_lanes` of `zs`, eight at a time (the last block padded with zeros).
    fn on_lanes(zs: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(zs.len());
        for chunk in zs.chunks(8) {
            let mut lanes = [0.0; 8];
            lanes[..chunk.len()].copy_from_slice(chunk);
            erf_lanes(&mut lanes);
            out.extend_from_slice(&lanes[..chunk.len()]);
        }
        out
    }

    #[test]
    fn lanes_are_within_two_ulps_of_the_scalar() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(8);
        // dense: [-6.5, 6.5] in steps of 1e-5, past the end of every piece
        let mut grid: Vec<f64> = (-650_000..=650_000).map(|i| i as f64 * 1e-5).collect();
        grid.extend((0..100_000).map(|_| rng.random_range(-7.0..7.0)));
        // small arguments down to 1e-300, where the relative accuracy is what counts
        grid.extend((0..100_000).map(|_| rng.random_range(-1.0..1.0) * 10f64.powf(rng.random_range(-300.0..0.0))));
        // the ends of the scalar's intervals and of the lane pieces, and the ulps beside them
        let ends = (0..=INTERVALS).map(|i| LOW + i as f64 / PER_UNIT).chain(LANE_STARTS).chain([HIGH]);
        for x in ends {
            for e in [x, f64::from_bits(x.to_bits() - 1), f64::from_bits(x.to_bits() + 1)] {
                grid.extend([e, -e]);
            }
        }
        // zeros, subnormals, the smallest normal, huge, infinite and NaN
        let tiny = f64::MIN_POSITIVE;
        grid.extend([0.0, -0.0, 5e-324, -5e-324, 1e-310, -3.3e-320, tiny, -tiny, f64::from_bits(tiny.to_bits() - 1)]);
        grid.extend([1e-300, 1e300, -1e300, f64::MAX, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN]);
        for ((z, g), w) in grid.iter().zip(on_lanes(&grid)).zip(grid.iter().map(|&z| erf(z))) {
            let close = (g - w).abs() <= 2.0 * ulp(w) && g.is_sign_negative() == w.is_sign_negative();
            assert!(close || (g.is_nan() && w.is_nan()), "erf_lanes({z}) = {g}, scalar {w}");
        }
    }

    #[test]
    fn lanes_are_within_an_ulp_of_libm_and_of_high_precision_values() {
        // [0, 6.5) in steps of 1e-6: the lanes against FreeBSD msun's erf (itself within an
        // ulp); measured worst 1 ulp
        let grid: Vec<f64> = (0..6_500_000).map(|i| i as f64 * 1e-6).collect();
        for (z, g) in grid.iter().zip(on_lanes(&grid)) {
            let want = libm::erf(*z);
            assert!((g - want).abs() <= ulp(want), "erf_lanes({z}) = {g}, libm {want}");
        }
        let (zs, want): (Vec<f64>, Vec<f64>) = REFERENCE.iter().flat_map(|&(z, w)| [(z, w), (-z, -w)]).unzip();
        for ((z, g), w) in zs.iter().zip(on_lanes(&zs)).zip(want) {
            assert!((g - w).abs() <= ulp(w), "erf_lanes({z}) = {g} vs {w}");
        }
    }

    #[test]
    fn lanes_keep_signs_infinities_and_nan() {
        let mut lanes = [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, LANE_STARTS[2], -HIGH, 5e-324, f64::NAN];
        erf_lanes(&mut lanes);
        let bits = lanes.map(f64::to_bits);
        let want = [0.0f64, -0.0, 1.0, -1.0, 1.0, -1.0, 5e-324].map(f64::to_bits);
        assert_eq!(bits[..7], want, "{lanes:?}");
        assert!(lanes[7].is_nan());
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
