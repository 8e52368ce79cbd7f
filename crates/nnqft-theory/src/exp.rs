//! The exponential, written so that a loop over lanes vectorises.
//!
//! `exp(x) = 2^k exp(r)` with `k = round(x / ln 2)` and `r = x - k ln 2` (Cody-Waite: `ln 2`
//! split in two parts, the first with trailing zero bits so that `k ln2_hi` is exact),
//! `|r| <= ln(2)/2`. `exp(r)` is its Taylor polynomial of degree 13 (remainder
//! `|r|^14 / 14! < 5e-18`), evaluated by Estrin's scheme, and `2^k` is built from the exponent bits. The rounding of `k` is
//! done by adding and subtracting `1.5 * 2^52`, and `2^k` by integer shifts, so there is no
//! branch and no call: in a loop over lanes the compiler emits vector code. Outside
//! `[-708, 709]` (overflow, subnormal results, non-finite input) the lane is recomputed by
//! `f64::exp` ([`exp_lanes`]).
//!
//! Within two ulps of `f64::exp` (tests). Plain multiplies and adds only, so every build
//! gives the same bits, on every platform (the system libm's `exp` may differ in the last bit
//! between platforms).

/// `1.5 * 2^52`: adding it rounds a value of magnitude below `2^51` to an integer.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// `ln 2`, high part, 6.93147180369123816490e-1 (fdlibm's; its low 21 mantissa bits are
/// zero, so `k * LN2_HI` is exact for `|k| < 2^21`).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// `ln 2 - LN2_HI`, 1.90821492927058770002e-10.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// Taylor coefficients `1/n!`, `n = 0..=13`.
const INV_FACT: [f64; 14] = [
    1.0,
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];
/// Inputs where the branch-free formula is valid (normal results, no overflow).
const LOW: f64 = -708.0;
const HIGH: f64 = 709.0;

/// `(2ᵏ, r)` with `x = k ln 2 + r`, `|r| <= ln(2)/2`, for `x` clamped to `[-708, 709]`.
#[inline(always)]
fn reduce(x: f64) -> (f64, f64) {
    let x = x.clamp(LOW, HIGH);
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let k = t - SHIFT;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // t's low mantissa bits hold k (two's complement within the 2^51 offset)
    let k_bits = t.to_bits().wrapping_sub(SHIFT.to_bits());
    (f64::from_bits(k_bits.wrapping_add(1023) << 52), r)
}

/// `Σ_(n<14) c[n] rⁿ` by Estrin's scheme: depth 4 instead of Horner's 13, so lanes and calls
/// overlap.
#[inline(always)]
fn estrin(c: &[f64; 14], r: f64) -> f64 {
    let (r2, r4) = (r * r, r * r * (r * r));
    let r8 = r4 * r4;
    let q: [f64; 7] = std::array::from_fn(|i| c[2 * i] + c[2 * i + 1] * r);
    let s = [q[0] + q[1] * r2, q[2] + q[3] * r2, q[4] + q[5] * r2, q[6]];
    (s[0] + s[1] * r4) + (s[2] + s[3] * r4) * r8
}

/// `exp(x)` for `x` in `[-708, 709]`, branch-free (other inputs give meaningless values; see
/// [`exp_lanes`]).
#[inline(always)]
fn exp_in_range(x: f64) -> f64 {
    let (scale, r) = reduce(x);
    estrin(&INV_FACT, r) * scale
}

/// `1/(n + 1)!`, `n = 0..=13`: `exp(r) − 1 = r Σ_n rⁿ/(n + 1)!`.
const EXPM1: [f64; 14] = {
    let mut c = [0.0; 14];
    let mut n = 0;
    while n < 13 {
        c[n] = INV_FACT[n + 1];
        n += 1;
    }
    c[13] = INV_FACT[13] / 14.0;
    c
};

/// `exp(x) − 1` for `x` in `[-708, 709]` (clamped outside; NaN stays NaN), branch-free:
/// `2ᵏ (exp(r) − 1) + (2ᵏ − 1)` with `exp(r) − 1` summed without its leading 1, so small
/// arguments keep their relative accuracy.
#[inline(always)]
pub(crate) fn expm1_in_range(x: f64) -> f64 {
    let (scale, r) = reduce(x);
    scale * (r * estrin(&EXPM1, r)) + (scale - 1.0)
}

/// `exp` of every lane, in place: one branch-free pass that vectorises, then `f64::exp` for
/// the (rare) lanes outside `[-708, 709]` or not finite.
#[inline(always)]
pub fn exp_lanes<const L: usize>(x: &mut [f64; L]) {
    let input = *x;
    // one vectorised test for the whole block; the fix-up loop runs only when needed
    let outside = input.iter().fold(false, |o, &i| o | !(LOW..=HIGH).contains(&i));
    for v in x.iter_mut() {
        *v = exp_in_range(*v);
    }
    if outside {
        for (v, &i) in x.iter_mut().zip(&input) {
            if !(LOW..=HIGH).contains(&i) {
                *v = i.exp();
            }
        }
    }
}

/// `exp(x)` (see the module docs).
#[inline]
pub fn exp(x: f64) -> f64 {
    if (LOW..=HIGH).contains(&x) { exp_in_range(x) } else { x.exp() }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// `|a − b|` in ulps of `b` (shared by the lane functions' tests).
    pub(crate) fn ulps(a: f64, b: f64) -> f64 {
        (a - b).abs() / (f64::from_bits(b.abs().to_bits() + 1) - b.abs())
    }

    #[test]
    fn within_two_ulps_of_std() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let mut worst: f64 = 0.0;
        for _ in 0..300_000 {
            let x: f64 = rng.random_range(-30.0..30.0);
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        for _ in 0..100_000 {
            let x: f64 = rng.random_range(-708.0..709.0);
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 2.0, "worst {worst} ulps");
    }

    #[test]
    fn lanes_match_scalar_and_handle_the_edges() {
        let mut x =
            [0.0, -1e-300, 1.0, -745.5, 709.5, 710.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -707.9, 708.9, 2.5];
        let want: Vec<f64> = x.iter().map(|&v| exp(v)).collect();
        exp_lanes(&mut x);
        for (g, w) in x.iter().zip(&want) {
            assert!(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()));
        }
        assert!(x[0].to_bits() == 1.0f64.to_bits() && x[5].is_infinite() && x[7].to_bits() == 0.0f64.to_bits());
        assert!(ulps(x[3], (-745.5f64).exp()) <= 1.0 && x[8].is_nan());
    }
}
