//! The complementary error function `erfc` and the normal distribution function `Φ`, to a few
//! ulps, with one exponential.
//!
//! For `|x| < 1/2`, `erfc(x) = 1 − erf(x)` ([`erf`]; `erf(1/2) = 0.52`, so the difference
//! loses at most a bit). Beyond, `erfc(−a) = 2 − erfc(a)` and, for `a ≥ 1/2`,
//!
//! `erfc(a) = e^(−a²) erfcx(a)`,
//!
//! where the scaled function `erfcx(a) = e^(a²) erfc(a)` is smooth and slowly varying
//! (`erfcx(a) → 1/(a√π)`), so polynomials fit it well: degree 17 and 20 in `t = a − c` on
//! `[1/2, 3/2)` and `[3/2, 7/2)` (each centre `c` a multiple of `2^−10` whose `erfcx` lies
//! within a few thousandths of an ulp of a double, as in [`erf`]'s tables), and, for the tail,
//! `a erfcx(a) = 1/√π (1 − 1/(2a²) + 3/(4a⁴) − …)` as a polynomial of degree 13 in `v = 16/a²` on
//! `[7/2, 7)` and of degree 9 in `v = 64/a²` on `[7, 27.5)` (the powers of two keep `v` near 1
//! and its computation exact up to the rounding of `a²`). Each is a least-squares fit to the
//! relative error at 90 Chebyshev nodes in 60-digit arithmetic (mpmath), coefficients rounded
//! one at a time with the later ones refitted; the fitted errors are 0.011 to 0.029 ulp
//! (`crates/nnqft-theory/tools/erfc_fit.py` prints the tables as they stand here). `e^(−a²)`
//! needs `a²` beyond double precision (an error `δ` in `a²` is a relative error `δ` in
//! `erfc`, 22 ulps at `a = 5` if `a²` is merely rounded): with `a² = h + l` exactly (Veltkamp's
//! split and Dekker's product, plain multiplies and adds), `e^(−a²) = e^(−h) (1 − l)` to
//! `l²/2 < 1e-26` relative, and `e^(−h)` is the system's `exp` (under an ulp, subnormal results
//! included, as the standard normal density of [`crate::DeepActivation`] already uses; this
//! crate's two-ulp [`crate::exp::exp`] is for lanes). From `a = 27.5` on, `erfc(a) < 2^−1075`
//! is 0.
//!
//! Within four ulps of libm's `erfc` (musl's, under an ulp) on a sweep of `[−6, 27.3]` and of
//! 30-digit reference values (tests), with one exponential per call where libm's takes two;
//! plain multiplies and adds only, no fused multiply-add (the quadratures call it outside FMA
//! builds, where one is a library call).

use crate::erf::erf;

/// Where the pieces begin: `1 − erf` below the first, `0` from the last.
const STARTS: [f64; 5] = [0.5, 1.5, 3.5, 7.0, 27.5];
/// Centres of the two Taylor-like pieces.
const CENTRES: [f64; 2] = [0.9375, 2.494140625];

/// `erfcx(a)` on `[1/2, 3/2)`: degree 17 in `t = a − 0.9375` (fitted error 0.012 ulp).
#[allow(clippy::excessive_precision)]
const TAYLOR_LOW: [f64; 18] = [
    0.4452822731368817,
    -0.2934749049638594,
    0.17014954973326352,
    -0.08930646805928517,
    0.043212367963833154,
    -0.019517949237146635,
    0.008304763518388122,
    -0.0033520667008014177,
    0.0012905502396432665,
    -0.00047603901019694446,
    0.00016885278635013032,
    -5.7771474194507865e-05,
    1.9115293820117853e-05,
    -6.1273397743492675e-06,
    1.9084177733434005e-06,
    -5.885718152703927e-07,
    1.790895005503026e-07,
    -3.889427772479809e-08,
];

/// `erfcx(a)` on `[3/2, 7/2)`: degree 20 in `t = a − 2.494140625` (fitted error 0.011 ulp).
#[allow(clippy::excessive_precision)]
const TAYLOR_HIGH: [f64; 21] = [
    0.2112428508369778,
    -0.0746404150688694,
    0.025079159346848467,
    -0.008059643267364107,
    0.002488637825353866,
    -0.0007410522264936439,
    0.00021344978733736853,
    -5.962241159197492e-05,
    1.618577710366669e-05,
    -4.2784014933516e-06,
    1.1029684158529083e-06,
    -2.777174805303411e-07,
    6.838375466467812e-08,
    -1.648474405884726e-08,
    3.89520442987327e-09,
    -9.043041128009215e-10,
    2.05457532529719e-10,
    -4.467931127472918e-11,
    9.982709735011345e-12,
    -2.742876199695635e-12,
    5.499835687529003e-13,
];

/// `a erfcx(a)` on `[7/2, 7)`: degree 13 in `v = 16/a²` (fitted error 0.011 ulp).
#[allow(clippy::excessive_precision)]
const ASYMPTOTIC_NEAR: [f64; 14] = [
    0.5641895835457867,
    -0.01763092444203404,
    0.0016528987234172084,
    -0.0002582627188058118,
    5.6483815615575256e-05,
    -1.5853269383177774e-05,
    5.378536878341558e-06,
    -2.0699787505240325e-06,
    8.30122189004256e-07,
    -3.130981554742776e-07,
    9.98273791187731e-08,
    -2.4060964190334085e-08,
    3.7831409538293815e-09,
    -2.86068166859109e-10,
];

/// `a erfcx(a)` on `[7, 27.5)`: degree 9 in `v = 64/a²` (fitted error 0.029 ulp).
#[allow(clippy::excessive_precision)]
const ASYMPTOTIC_FAR: [f64; 10] = [
    0.5641895835477562,
    -0.004407731121463167,
    0.00010330619811404165,
    -4.035398070511959e-06,
    2.2068470836483334e-07,
    -1.5514199517350376e-08,
    1.3291059272705003e-09,
    -1.3090087650730534e-10,
    1.2847938070291692e-11,
    -8.509447563503597e-13,
];

/// `Σ_k c[k] vᵏ` as `Σ_i (c[2i] + c[2i+1] v) (v²)ⁱ` by Horner's rule in `v²`: half the chain of
/// plain Horner, plain multiplies and adds.
#[inline(always)]
fn pairs<const K: usize>(c: &[f64; K], v: f64) -> f64 {
    let v2 = v * v;
    let mut r = 0.0;
    for i in (0..K.div_ceil(2)).rev() {
        let pair = if 2 * i + 1 < K { c[2 * i] + c[2 * i + 1] * v } else { c[2 * i] };
        r = r * v2 + pair;
    }
    r
}

/// `(h, l)` with `h + l = a²` exactly (`h = fl(a²)`; Veltkamp's split of `a` into 26-bit
/// halves, then Dekker's exact product), for `|a| < 2^995`.
#[inline(always)]
fn square_exactly(a: f64) -> (f64, f64) {
    const SPLITTER: f64 = 134_217_729.0; // 2^27 + 1
    let h = a * a;
    let p = a * SPLITTER;
    let hi = p - (p - a);
    let lo = a - hi;
    let l = ((hi * hi - h) + 2.0 * hi * lo) + lo * lo;
    (h, l)
}

/// `erfc(a)` for `a ≥ 1/2` (module docs).
#[inline]
fn erfc_tail(a: f64) -> f64 {
    if a >= STARTS[4] {
        return 0.0;
    }
    let scaled = if a < STARTS[1] {
        pairs(&TAYLOR_LOW, a - CENTRES[0])
    } else if a < STARTS[2] {
        pairs(&TAYLOR_HIGH, a - CENTRES[1])
    } else if a < STARTS[3] {
        pairs(&ASYMPTOTIC_NEAR, 16.0 / (a * a)) / a
    } else {
        pairs(&ASYMPTOTIC_FAR, 64.0 / (a * a)) / a
    };
    let (h, l) = square_exactly(a);
    let e = (-h).exp() * scaled;
    e - e * l
}

/// The complementary error function `erfc(x) = 1 − erf(x)` (see the module docs).
#[inline]
pub fn erfc(x: f64) -> f64 {
    let a = x.abs();
    if a < STARTS[0] || a.is_nan() {
        return 1.0 - erf(x);
    }
    let tail = erfc_tail(a);
    if x > 0.0 { tail } else { 2.0 - tail }
}

/// The standard normal distribution function `Φ(z) = erfc(−z/√2) / 2` (no cancellation for
/// `z < 0`).
#[inline]
pub(crate) fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exp::tests::ulps;

    #[test]
    fn within_four_ulps_of_libm_on_a_sweep() {
        let mut worst: f64 = 0.0;
        let mut x = -6.0;
        while x < 27.3 {
            let (ours, libm) = (erfc(x), libm::erfc(x));
            if libm > f64::MIN_POSITIVE {
                worst = worst.max(ulps(ours, libm));
            } else {
                // subnormal results: an absolute error of a few of the smallest subnormals
                assert!((ours - libm).abs() <= 4.0 * 5e-324, "x = {x}: {ours:e} against {libm:e}");
            }
            x += 1.0 / 4096.0 + 1e-9;
        }
        assert!(worst <= 4.0, "worst {worst} ulps");
    }

    #[test]
    #[allow(clippy::excessive_precision)]
    fn matches_thirty_digit_reference_values() {
        // mpmath.erfc at 30 digits
        let reference = [
            (-3.0, 1.99997790950300141455862722387),
            (-0.7, 1.67780119383741844227685815435),
            (0.25, 7.23673609831763067014931732235e-1),
            (0.5, 4.79500122186953462317253346108e-1),
            (1.0, 1.57299207050285130658779364917e-1),
            (1.5, 3.38948535246892729330237383541e-2),
            (2.5, 4.06952017444958939564215739975e-4),
            (3.5, 7.43098372341412745523683756096e-7),
            (5.0, 1.53745979442803485018834348538e-12),
            (7.0, 4.1838256077794143986140102239e-23),
            (12.0, 1.35626116920590421278030615659e-64),
            (26.0, 5.66319240885614284647572789693e-296),
        ];
        for (x, want) in reference {
            let got = erfc(x);
            assert!(ulps(got, want) <= 3.0, "erfc({x}) = {got:e}, want {want:e} ({} ulps)", ulps(got, want));
        }
    }

    #[test]
    fn edges_and_symmetry() {
        for (x, want) in [(0.0, 1.0), (f64::INFINITY, 0.0), (f64::NEG_INFINITY, 2.0), (30.0, 0.0), (-30.0, 2.0)] {
            assert_eq!(erfc(x).to_bits(), f64::to_bits(want), "erfc({x})");
        }
        assert!(erfc(f64::NAN).is_nan());
        for i in 0..2000 {
            let x = i as f64 / 250.0;
            let sum = erfc(x) + erfc(-x);
            assert!((sum - 2.0).abs() <= 4.0 * f64::EPSILON, "x = {x}: {sum}");
            let phi = normal_cdf(x) + normal_cdf(-x);
            assert!((phi - 1.0).abs() <= 4.0 * f64::EPSILON, "z = {x}: {phi}");
        }
    }

    #[test]
    fn the_square_is_split_exactly() {
        // a² − h is a double, so the fused multiply-add gives it exactly
        for i in 0..10_000 {
            let a = 0.5 + 27.0 * (i as f64 / 10_000.0) + 1e-7 * (i % 7) as f64;
            let (h, l) = square_exactly(a);
            assert_eq!(h.to_bits(), (a * a).to_bits());
            assert_eq!(l.to_bits(), a.mul_add(a, -h).to_bits(), "a = {a}");
        }
    }
}
