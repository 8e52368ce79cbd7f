//! The cosine, written so that a loop over lanes vectorises (the Cos-net's activation).
//!
//! `cos z = ± cos r` or `± sin r` with `z = k π/2 + r`, `k = round(z · 2/π)`, chosen by
//! `k mod 4` (`cos r`, `−sin r`, `−cos r`, `sin r` for `k ≡ 0, 1, 2, 3`): every lane evaluates
//! both kernels and keeps one by a select and a sign flip of the bits, so there is no branch,
//! no call and no table.
//!
//! # Range reduction (Cody–Waite, `|z| ≤ 2²⁰`)
//!
//! `π/2 = P₁ + P₂ + P₃ + P₄ + δ` with fdlibm's parts (`e_rem_pio2.c`): `P₁`, `P₂`, `P₃` the
//! first three 33-bit pieces of `π/2` (`pio2_1`, `pio2_2`, `pio2_3`: at most 33 significant
//! bits each) and `P₄ = pio2_3t`, the next 53 bits, so `|δ| < 2⁻¹⁵⁵`. The integer `k` is the
//! shifted sum `z · 2/π + 1.5·2⁵²` minus the shift (`|k| ≤ 2²⁰ · 2/π + 1 < 2²⁰`), and the sum's
//! low bits give `k mod 4`. Then
//!
//! - `t = z − k P₁` is exact: `k P₁` is (20 + 33 ≤ 53 bits); for `k ≠ 0`, `|z| > 1/2`, so `z`
//!   and `k P₁` are multiples of `2⁻⁵³` and `|t| ≤ π/4 + 2⁻³⁰ + 2²⁰ |π/2 − P₁| < 1`, which
//!   makes `t` a double.
//! - `k P₂` and `k P₃` are exact (20 + 33 bits); two error-free sums (Knuth's TwoSum)
//!   give `s₁ + e₁ = t − k P₂` and `s₂ + e₂ = s₁ − k P₃` exactly.
//! - `lo = (e₁ + e₂) − k P₄` is the only rounded term: its error is below
//!   `2⁻⁵² (|e₁| + |e₂| + |k P₄|) ≤ 2⁻¹⁰⁵ (|s₁| + |s₂|) + 2⁻¹³⁵`. Where the remainder is
//!   small the sums are exact and `e₁ = e₂ = 0`: if `|s₁| < 2⁻⁴⁷` then `t − k P₂` is a
//!   multiple of `2⁻⁶⁶` below `2⁻⁴⁷` (19 bits), and likewise `s₁ − k P₃`, a multiple of
//!   `2⁻¹⁰¹` below `2⁻⁴⁸`. So `|s₁| ≤ 2 |s₂|` whenever `e₁ ≠ 0`, and the reduced argument
//!   `r = s₂ + lo`, renormalised to `hi + lo` (`hi` the rounded sum, `lo` its exact remainder),
//!   carries a relative error below `2⁻¹⁰³ + 2⁻¹³⁴ / |r|`. No double is closer to a multiple of
//!   `π/2` than about `2⁻⁶¹` (J.-M. Muller, *Elementary Functions*, 3rd ed., ch. 11: the
//!   closest is `6381956970095103 · 2⁷⁹⁷`), so that is below `2⁻⁷²`: the reduction is good to
//!   far more than the last bit, even where `cos z` is near 0.
//! - `|r| ≤ π/4 (1 + 2⁻³⁰)`: `k` is the rounded `z · 2/π` to within `2²⁰ · 2⁻⁵²`.
//!
//! Lanes with `|z| > 2²⁰`, infinite or NaN are recomputed by `f64::cos` after the branch-free
//! pass ([`cos_lanes`]), as [`crate::exp`] does for its range; the Cos-net's arguments
//! `w · x + b` are a few units at most, so the fix-up never runs there.
//!
//! # Kernels on `[−π/4, π/4]` (fdlibm's `k_cos.c`, `k_sin.c`, Sun Microsystems 1993, freely
//! redistributable; the coefficients as in FreeBSD's msun and musl)
//!
//! - `cos(x + y) ≈ w + (((1 − w) − x²/2) + (x² R(x²) − x y))`, `w = 1 − x²/2`,
//!   `R(u) = C₁ u + … + C₆ u⁶`: the Remez polynomial `1 − x²/2 + x⁴ R(x²)` is within `2⁻⁵⁸` of
//!   `cos x` on `[0, π/4]`; `((1 − w) − x²/2)` is the exact rounding error of `w`, and `− x y`
//!   the first-order correction `−sin(x) y` of the tail `y`.
//! - `sin(x + y) ≈ x − ((x² (y/2 − x³ R) − y) − x³ S₁)`,
//!   `R = S₂ + S₃ x² + … + S₆ x⁸`: `x + S₁ x³ + … + S₆ x¹³` is within `2⁻⁵⁸` of `sin x`
//!   relatively, and `y (1 − x²/2)` the tail's correction.
//!
//! Error: each kernel returns its leading term (`w`, `x`) plus a correction below `0.11` of it
//! (`x⁴/24 ≤ 0.016` for the cosine, `x²/6 ≤ 0.103` for the sine), so the correction's own
//! roundings (a few of `2⁻⁵³` of it) and the Remez error (`2⁻⁵⁸`) add below `0.15` ulp to the
//! `0.5` ulp of the last addition; the tail's second-order term `x y²` is below `2⁻¹⁰⁶`. So
//! within about `0.7` ulp of `cos z` for `|z| ≤ 2²⁰`, and within two ulps of the system's
//! `cos` (tests: a dense sweep of `[−100, 100]`, random arguments up to `2²⁰`, neighbours of
//! multiples of `π/2` where the value is near 0, tiny arguments, the bound and the special
//! values). The polynomials' inner sums are fused multiply-adds (`f64::mul_add`, exactly
//! rounded on every target), the rest plain multiplies and adds, so every build gives the same
//! bits.

/// `1.5 · 2⁵²`: adding it rounds a value of magnitude below `2⁵¹` to an integer.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// `2/π` rounded, 6.36619772367581382433e-01 (fdlibm's `invpio2`).
const INV_PIO2: f64 = std::f64::consts::FRAC_2_PI;
/// First 33 bits of `π/2`, 1.57079632673412561417e+00 (fdlibm's `pio2_1`).
const PIO2_1: f64 = f64::from_bits(0x3FF9_21FB_5440_0000);
/// Second 33 bits of `π/2`, 6.07710050630396597660e-11 (fdlibm's `pio2_2`).
const PIO2_2: f64 = f64::from_bits(0x3DD0_B461_1A60_0000);
/// Third 33 bits of `π/2`, 2.02226624871116645580e-21 (fdlibm's `pio2_3`).
const PIO2_3: f64 = f64::from_bits(0x3BA3_198A_2E00_0000);
/// `π/2 − (PIO2_1 + PIO2_2 + PIO2_3)`, 8.47842766036889956997e-32 (fdlibm's `pio2_3t`).
const PIO2_3T: f64 = f64::from_bits(0x397B_839A_2520_49C1);
/// Largest `|z|` reduced on lanes: `2²⁰` (see the module docs).
const REDUCTION_BOUND: f64 = 1_048_576.0;

/// fdlibm's `k_cos.c` coefficients `C₁ … C₆` (its hexadecimal words; the decimals it prints
/// beside them are checked in the tests).
const COS: [f64; 6] = [
    f64::from_bits(0x3FA5_5555_5555_554C),
    f64::from_bits(0xBF56_C16C_16C1_5177),
    f64::from_bits(0x3EFA_01A0_19CB_1590),
    f64::from_bits(0xBE92_7E4F_809C_52AD),
    f64::from_bits(0x3E21_EE9E_BDB4_B1C4),
    f64::from_bits(0xBDA8_FAE9_BE88_38D4),
];
/// fdlibm's `k_sin.c` coefficients `S₁ … S₆` (likewise).
const SIN: [f64; 6] = [
    f64::from_bits(0xBFC5_5555_5555_5549),
    f64::from_bits(0x3F81_1111_1110_F8A6),
    f64::from_bits(0xBF2A_01A0_19C1_61D5),
    f64::from_bits(0x3EC7_1DE3_57B1_FE7D),
    f64::from_bits(0xBE5A_E5E6_8A2B_9CEB),
    f64::from_bits(0x3DE5_D93A_5ACF_D57C),
];

/// Whether `z` is reduced on lanes: `|z| ≤ 2²⁰` (false for NaN).
#[inline(always)]
fn reducible(z: f64) -> bool {
    z.abs() <= REDUCTION_BOUND
}

/// `a + b = s + e` exactly (Knuth's TwoSum, no condition on the magnitudes).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `(hi, lo, k mod 4)` with `z − k π/2 = hi + lo` (see the module docs) for `|z| ≤ 2²⁰`
/// (meaningless beyond).
#[inline(always)]
fn reduce(z: f64) -> (f64, f64, u64) {
    let shifted = z * INV_PIO2 + SHIFT;
    let k = shifted - SHIFT;
    let t = z - k * PIO2_1;
    let (s1, e1) = two_sum(t, -(k * PIO2_2));
    let (s2, e2) = two_sum(s1, -(k * PIO2_3));
    let lo = (e1 + e2) - k * PIO2_3T;
    let hi = s2 + lo;
    // `shifted`'s mantissa holds 2⁵¹ + k, whose low bits are k's (two's complement)
    (hi, lo - (hi - s2), shifted.to_bits() & 3)
}

/// `cos(x + y)` for `|x| ≤ π/4 (1 + 2⁻³⁰)`, `|y|` at most an ulp of `x` (fdlibm's
/// `__kernel_cos`).
#[inline(always)]
fn cos_kernel(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = z * z.mul_add(z.mul_add(COS[2], COS[1]), COS[0]) + (w * w) * z.mul_add(z.mul_add(COS[5], COS[4]), COS[3]);
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    w + (((1.0 - w) - hz) + (z * r - x * y))
}

/// `sin(x + y)` for `|x| ≤ π/4 (1 + 2⁻³⁰)`, `|y|` at most an ulp of `x` (fdlibm's
/// `__kernel_sin` with a tail).
#[inline(always)]
fn sin_kernel(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = z.mul_add(z.mul_add(SIN[3], SIN[2]), SIN[1]) + (z * w) * z.mul_add(SIN[5], SIN[4]);
    let v = z * x;
    x - ((z * (0.5 * y - v * r) - y) - v * SIN[0])
}

/// `cos` of every lane, in place: one branch-free pass that vectorises, then `f64::cos` for
/// the (rare) lanes with `|z| > 2²⁰` or not finite (see the module docs).
#[inline(always)]
pub fn cos_lanes<const L: usize>(z: &mut [f64; L]) {
    let input = *z;
    // one vectorised test for the whole block; the fix-up loop runs only when needed
    let outside = input.iter().fold(false, |o, &i| o | !reducible(i));
    for v in z.iter_mut() {
        let (hi, lo, quadrant) = reduce(*v);
        let (c, s) = (cos_kernel(hi, lo), sin_kernel(hi, lo));
        let value = if quadrant & 1 == 0 { c } else { s };
        // negative in quadrants 1 and 2
        *v = f64::from_bits(value.to_bits() ^ (((quadrant + 1) & 2) << 62));
    }
    if outside {
        for (v, &i) in z.iter_mut().zip(&input) {
            if !reducible(i) {
                *v = i.cos();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exp::tests::ulps;
    use rand::{RngExt, SeedableRng};
    use std::f64::consts::FRAC_PI_2;

    /// Largest distance to `f64::cos`, in its ulps, that the tests accept.
    const MAX_ULPS: f64 = 2.0;

    fn cos(z: f64) -> f64 {
        let mut v = [z];
        cos_lanes(&mut v);
        v[0]
    }

    /// The worst `(ulps, z)` over `zs` and their negatives.
    fn worst(zs: &[f64]) -> (f64, f64) {
        let mut worst = (0.0, 0.0);
        for &x in zs {
            for z in [x, -x] {
                let u = ulps(cos(z), z.cos());
                if u > worst.0 {
                    worst = (u, z);
                }
            }
        }
        worst
    }

    /// `x` and its `n` neighbouring doubles on either side.
    fn neighbours(x: f64, n: u64) -> impl Iterator<Item = f64> {
        let b = x.to_bits();
        (b.saturating_sub(n)..=b + n).map(f64::from_bits)
    }

    #[test]
    fn constants_are_fdlibms() {
        // each constant against the decimal fdlibm prints beside its hexadecimal word
        let decimals: [(f64, &str); 17] = [
            (INV_PIO2, "6.36619772367581382433e-01"),
            (PIO2_1, "1.57079632673412561417e+00"),
            (PIO2_2, "6.07710050630396597660e-11"),
            (PIO2_3, "2.02226624871116645580e-21"),
            (PIO2_3T, "8.47842766036889956997e-32"),
            (COS[0], "4.16666666666666019037e-02"),
            (COS[1], "-1.38888888888741095749e-03"),
            (COS[2], "2.48015872894767294178e-05"),
            (COS[3], "-2.75573143513906633035e-07"),
            (COS[4], "2.08757232129817482790e-09"),
            (COS[5], "-1.13596475577881948265e-11"),
            (SIN[0], "-1.66666666666666324348e-01"),
            (SIN[1], "8.33333333332248946124e-03"),
            (SIN[2], "-1.98412698298579493134e-04"),
            (SIN[3], "2.75573137070700676789e-06"),
            (SIN[4], "-2.50507602534068634195e-08"),
            (SIN[5], "1.58969099521155010221e-10"),
        ];
        for (c, d) in decimals {
            assert_eq!(c.to_bits(), d.parse::<f64>().unwrap().to_bits(), "{d}");
        }
        assert_eq!(INV_PIO2.to_bits(), 0x3FE4_5F30_6DC9_C883);
        // the three 33-bit parts have 20 trailing zero bits, so k P is exact for |k| < 2^20
        for p in [PIO2_1, PIO2_2, PIO2_3] {
            assert!(p.to_bits().trailing_zeros() >= 20);
        }
    }

    #[test]
    fn reduction_is_exact_on_multiples_of_pi_over_2() {
        // z = k P1 is reduced to -k (P2 + P3 + P4) with quadrant k mod 4, k < 2^20
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(15);
        for _ in 0..10_000 {
            let k = rng.random_range(-600_000i64..600_000) as f64;
            let (hi, lo, q) = reduce(k * PIO2_1);
            assert_eq!(q, (k as i64).rem_euclid(4) as u64);
            // -k (P2 + P3 + P4) as a double-double
            let (want_hi, want_lo) = two_sum(-(k * PIO2_2), -(k * PIO2_3));
            let want_lo = want_lo - k * PIO2_3T;
            let gap = (hi - want_hi) + (lo - want_lo);
            assert!(gap.abs() <= 1e-30 * want_hi.abs(), "k = {k}: {hi} + {lo} vs {want_hi} + {want_lo}");
        }
    }

    #[test]
    fn within_two_ulps_of_std_on_a_dense_sweep() {
        let grid: Vec<f64> = (0..=1_000_000).map(|i| i as f64 * 1e-4).collect();
        let (u, z) = worst(&grid);
        assert!(u <= MAX_ULPS, "worst {u} ulps at {z}");
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(16);
        let random: Vec<f64> = (0..300_000).map(|_| rng.random_range(0.0..100.0)).collect();
        let (u, z) = worst(&random);
        assert!(u <= MAX_ULPS, "worst {u} ulps at {z}");
    }

    #[test]
    fn within_two_ulps_of_std_up_to_the_reduction_bound() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(17);
        let mut zs: Vec<f64> = (0..200_000).map(|_| rng.random_range(0.0..REDUCTION_BOUND)).collect();
        // log-uniform magnitudes, 2^-30 to 2^20
        zs.extend((0..200_000).map(|_| 2f64.powf(rng.random_range(-30.0..20.0))));
        zs.extend(neighbours(REDUCTION_BOUND, 64));
        let (u, z) = worst(&zs);
        assert!(u <= MAX_ULPS, "worst {u} ulps at {z}");
    }

    #[test]
    fn within_two_ulps_of_std_near_multiples_of_pi_over_2() {
        // where cos is near 0 (odd k) or near ±1 (even k): the doubles nearest k π/2 and their
        // neighbours, every k up to 2000 and random k up to the bound, and the quarter points
        // where the reduction changes quadrant
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(18);
        let mut ks: Vec<f64> = (1..=2000).map(f64::from).collect();
        ks.extend((0..20_000).map(|_| rng.random_range(1..667_000) as f64));
        let mut zs = Vec::new();
        for k in ks {
            zs.extend(neighbours(k * FRAC_PI_2, 4));
            zs.extend(neighbours((k - 0.5) * FRAC_PI_2, 2));
        }
        zs.extend(neighbours(std::f64::consts::FRAC_PI_4, 8));
        let (u, z) = worst(&zs);
        assert!(u <= MAX_ULPS, "worst {u} ulps at {z}");
    }

    #[test]
    fn tiny_arguments_and_special_values() {
        let mut zs: Vec<f64> = (0..1075).map(|e| 2f64.powi(-e)).collect();
        zs.extend([5e-324, 1e-300, 1e-20, 1.5e-8, 1e-5, f64::MIN_POSITIVE]);
        let (u, z) = worst(&zs);
        assert!(u <= MAX_ULPS, "worst {u} ulps at {z}");
        for z in [0.0, -0.0, 5e-324, -1e-200, 1e-9] {
            assert_eq!(cos(z).to_bits(), 1f64.to_bits(), "cos({z})");
        }
        // beyond the bound, infinite or NaN: the system's cosine, bit for bit
        let beyond =
            [f64::from_bits(REDUCTION_BOUND.to_bits() + 1), 2e6, 1e10, 1e22, 1e300, f64::MAX, f64::INFINITY, f64::NAN];
        for x in beyond {
            for z in [x, -x] {
                let (got, want) = (cos(z), z.cos());
                assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "cos({z})");
            }
        }
        assert!(cos(f64::INFINITY).is_nan() && cos(f64::NEG_INFINITY).is_nan() && cos(f64::NAN).is_nan());
    }

    #[test]
    fn lanes_give_each_lanes_own_value() {
        // a block with lanes beyond the bound and non-finite ones: every lane as if alone
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(19);
        for trial in 0..10_000 {
            let mut z: [f64; 8] = std::array::from_fn(|_| rng.random_range(-30.0..30.0));
            if trial % 3 == 0 {
                z[trial % 8] = [1e7, f64::NAN, f64::NEG_INFINITY, -3e6][trial % 4];
            }
            let want = z.map(cos);
            // and the AVX2 + FMA build (where the CPU has it) gives the baseline's bits
            crate::simd::with_simd(
                #[inline(always)]
                || cos_lanes(&mut z),
            );
            for (g, w) in z.iter().zip(&want) {
                assert!(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()));
            }
        }
    }
}
