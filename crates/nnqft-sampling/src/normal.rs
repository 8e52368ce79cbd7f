//! Standard normal variates for the hot path, eight at a time.
//!
//! **The lane generator** ([`LaneNormals`], the default). Sixteen independent xoshiro256++
//! generators (Blackman and Vigna 2021), one per lane, stored word-major so that one step of
//! all sixteen is a handful of vector shifts, xors and adds. Each pair of lane outputs
//! `(a, b)` becomes two normals by the Box-Muller transform
//!
//! `z₁ = r cos θ`, `z₂ = r sin θ`, `r = √(−2 ln u)`, `θ = (π/2)(q + t)`,
//!
//! with `u = 2 − 1.m(a) ∈ (0, 1]` (52 bits of `a` as a mantissa, so `r ≤ √(104 ln 2) ≈ 8.5`),
//! the quadrant `q ∈ {0, 1, 2, 3}` from the top two bits of `b` and `t ∈ [−1/2, 1/2)` from its
//! next 52. Then `θ` is uniform on a whole turn, and `cos θ`, `sin θ` are `± cos φ`, `± sin φ`
//! (swapped in odd quadrants) of `φ = (π/2) t ∈ [−π/4, π/4)`, where their Taylor series are
//! short: no argument reduction, no table, no branch. `ln u` is `e ln 2 + ln m` with
//! `u = 2ᵉ m`, `m ∈ [1/√2, √2)`, and `ln m = 2 atanh s = 2 (s + s³/3 + … + s²¹/21)`,
//! `s = (m − 1)/(m + 1)`, `|s| ≤ 0.172` (first omitted term below `1e-17`). The polynomials
//! by Estrin's scheme (`nnqft_theory`'s `estrin`); exactly rounded operations only (fused
//! multiply-adds, one division and one square root per pair): a loop over lanes that
//! vectorises, and the same bits on every build.
//!
//! Thirty-two normals are made at once (the cosines of the sixteen lanes, then their sines)
//! and handed out in that order by [`Normals::fill`] and [`Normals::next`]; sixteen lanes
//! rather than eight give the processor four independent vectors per step, which hides the
//! latency of the division, the square root and the polynomials (measured: eight lanes ran at
//! the reference generator's speed).
//!
//! **The reference generator** ([`ReferenceNormals`]): `Pcg64Mcg` with rand_distr's ziggurat,
//! one variate at a time, kept to test the lane generator against. Measured one thread
//! (`cargo bench -p nnqft-sampling -- primitives`): 205 million variates a second for the
//! reference, 259 million for the lanes. The Box-Muller transform costs about 23 vector
//! instructions a variate (a ziggurat's accepted draw fewer, but its table lookups are
//! element-by-element gathers on AVX2); inside the sampler a block's normals also come eight
//! at a time, without a call per variate.
//!
//! Both are seeded per work item from the same key ([`crate::seed`]), so results do not
//! depend on the thread or shard count with either.

use nnqft_theory::machinery::estrin;
use rand::RngExt;
use rand_distr::StandardNormal;
use rand_pcg::Pcg64Mcg;

/// Normals per [`Normals::fill`]: the lanes of the samplers' neuron blocks.
pub(crate) const LANES: usize = 8;

/// A stream of standard normal variates.
pub trait Normals {
    /// The next eight variates.
    fn fill(&mut self, out: &mut [f64; LANES]);
    /// The next variate.
    fn next(&mut self) -> f64;
    /// The next `out.len()` variates, in order.
    #[inline(always)]
    fn fill_slice(&mut self, out: &mut [f64]) {
        let mut chunks = out.chunks_exact_mut(LANES);
        for c in &mut chunks {
            let c: &mut [f64; LANES] = c.try_into().expect("chunks_exact_mut gives LANES values");
            self.fill(c);
        }
        for v in chunks.into_remainder() {
            *v = self.next();
        }
    }
}

/// Which generator an ensemble draws its normals from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Generator {
    /// [`LaneNormals`]: vectorised, the default.
    #[default]
    Lanes,
    /// [`ReferenceNormals`]: `Pcg64Mcg` and rand_distr's ziggurat, one at a time.
    Reference,
}

/// Generator lanes of [`LaneNormals`].
const STREAMS: usize = 16;
/// Variates made at once.
const BUF: usize = 2 * STREAMS;

/// Sixteen xoshiro256++ lanes and the Box-Muller transform (see the module docs).
#[derive(Debug, Clone)]
pub struct LaneNormals {
    /// `state[w][j]`: word `w` of lane `j`.
    state: [[u64; STREAMS]; 4],
    /// Variates made at once, handed out from `pos`.
    buf: [f64; BUF],
    pos: usize,
}

/// The bits of `1.0`.
const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;
/// `2⁵²` (its bits with a small integer `k` in the mantissa are `2⁵² + k`).
const TWO_52: f64 = 4_503_599_627_370_496.0;
/// `ln 2` in two parts (fdlibm's): `LN2_HI` has trailing zero bits, so `e LN2_HI` is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// `2 / (2k + 1)`, `k = 0..=10`: `ln m = s Σ_k ATANH[k] s²ᵏ`.
const ATANH: [f64; 11] = [
    2.0,
    2.0 / 3.0,
    2.0 / 5.0,
    2.0 / 7.0,
    2.0 / 9.0,
    2.0 / 11.0,
    2.0 / 13.0,
    2.0 / 15.0,
    2.0 / 17.0,
    2.0 / 19.0,
    2.0 / 21.0,
];
/// `(−1)ᵏ / (2k + 1)!`, `k = 0..=8`: `sin φ = φ Σ_k SIN[k] φ²ᵏ`.
const SIN: [f64; 9] = [
    1.0,
    -1.0 / 6.0,
    1.0 / 120.0,
    -1.0 / 5040.0,
    1.0 / 362_880.0,
    -1.0 / 39_916_800.0,
    1.0 / 6_227_020_800.0,
    -1.0 / 1_307_674_368_000.0,
    1.0 / 355_687_428_096_000.0,
];
/// `(−1)ᵏ / (2k)!`, `k = 0..=9`: `cos φ = Σ_k COS[k] φ²ᵏ`.
const COS: [f64; 10] = [
    1.0,
    -0.5,
    1.0 / 24.0,
    -1.0 / 720.0,
    1.0 / 40_320.0,
    -1.0 / 3_628_800.0,
    1.0 / 479_001_600.0,
    -1.0 / 87_178_291_200.0,
    1.0 / 20_922_789_888_000.0,
    -1.0 / 6_402_373_705_728_000.0,
];

/// `ln u` for `u` in `(0, 1]`, normal (see the module docs); within two ulps (test).
#[inline(always)]
fn ln_unit(u: f64) -> f64 {
    let bits = u.to_bits();
    // the biased exponent as a float, without an integer conversion (AVX2 has none for 64 bits)
    let biased = f64::from_bits((bits >> 52) | TWO_52.to_bits()) - TWO_52;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | ONE_BITS);
    let big = m > std::f64::consts::SQRT_2;
    let m = if big { 0.5 * m } else { m };
    let e = biased - 1023.0 + if big { 1.0 } else { 0.0 };
    let s = (m - 1.0) / (m + 1.0);
    let ln_m = s * estrin(&ATANH, s * s);
    e * LN2_HI + (ln_m + e * LN2_LO)
}

/// One xoshiro256++ step of every lane; returns the lanes' outputs.
#[inline(always)]
fn step(s: &mut [[u64; STREAMS]; 4]) -> [u64; STREAMS] {
    let mut out = [0u64; STREAMS];
    for j in 0..STREAMS {
        let (s0, s1, s2, s3) = (s[0][j], s[1][j], s[2][j], s[3][j]);
        out[j] = s0.wrapping_add(s3).rotate_left(23).wrapping_add(s0);
        let t = s1 << 17;
        let s2 = s2 ^ s0;
        let s3 = s3 ^ s1;
        let s1 = s1 ^ s2;
        let s0 = s0 ^ s3;
        let s2 = s2 ^ t;
        let s3 = s3.rotate_left(45);
        (s[0][j], s[1][j], s[2][j], s[3][j]) = (s0, s1, s2, s3);
    }
    out
}

impl LaneNormals {
    /// The lanes whose state word `w` of lane `j` is `word(4 j + w)`, `w = 0..4`, `j = 0..16`
    /// (the seeding scheme, [`crate::seed::lanes`], gives the words).
    pub(crate) fn from_words(word: impl Fn(u64) -> u64) -> Self {
        let mut state = [[0u64; STREAMS]; 4];
        for j in 0..STREAMS {
            for (w, words) in state.iter_mut().enumerate() {
                words[j] = word((4 * j + w) as u64);
            }
        }
        Self { state, buf: [0.0; BUF], pos: BUF }
    }

    /// New variates into `buf`.
    #[inline(always)]
    fn refill(&mut self) {
        let a = step(&mut self.state);
        let b = step(&mut self.state);
        let (cos_half, sin_half) = self.buf.split_at_mut(STREAMS);
        for j in 0..STREAMS {
            let u = 2.0 - f64::from_bits((a[j] >> 12) | ONE_BITS);
            let r = (-2.0 * ln_unit(u)).sqrt();
            let q = b[j] >> 62;
            let t = f64::from_bits(((b[j] << 2) >> 12) | ONE_BITS) - 1.5;
            let phi = std::f64::consts::FRAC_PI_2 * t;
            let w = phi * phi;
            let (s, c) = (phi * estrin(&SIN, w), estrin(&COS, w));
            // θ = (π/2) q + φ: cos θ = (c, −s, −c, s)[q], sin θ = (s, c, −s, −c)[q]
            let (x, y) = if q & 1 == 1 { (s, c) } else { (c, s) };
            let cos = f64::from_bits(x.to_bits() ^ (((q + 1) & 2) << 62));
            let sin = f64::from_bits(y.to_bits() ^ ((q & 2) << 62));
            cos_half[j] = r * cos;
            sin_half[j] = r * sin;
        }
        self.pos = 0;
    }
}

impl Normals for LaneNormals {
    #[inline(always)]
    fn fill(&mut self, out: &mut [f64; LANES]) {
        if self.pos + LANES <= BUF {
            out.copy_from_slice(&self.buf[self.pos..self.pos + LANES]);
            self.pos += LANES;
            return;
        }
        // the buffer's rest, then a new one
        let rest = BUF - self.pos;
        out[..rest].copy_from_slice(&self.buf[self.pos..]);
        self.refill();
        out[rest..].copy_from_slice(&self.buf[..LANES - rest]);
        self.pos = LANES - rest;
    }

    #[inline(always)]
    fn next(&mut self) -> f64 {
        if self.pos == BUF {
            self.refill();
        }
        self.pos += 1;
        self.buf[self.pos - 1]
    }
}

/// `Pcg64Mcg` and rand_distr's ziggurat, one variate at a time: the reference path.
#[derive(Debug, Clone)]
pub struct ReferenceNormals(pub Pcg64Mcg);

impl Normals for ReferenceNormals {
    #[inline(always)]
    fn fill(&mut self, out: &mut [f64; LANES]) {
        for v in out.iter_mut() {
            *v = self.0.sample(StandardNormal);
        }
    }

    #[inline(always)]
    fn next(&mut self) -> f64 {
        self.0.sample(StandardNormal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        (a - b).abs() / (f64::from_bits(b.abs().to_bits() + 1) - b.abs())
    }

    #[test]
    fn ln_is_within_two_ulps_of_std() {
        let mut worst: f64 = 0.0;
        let mut u = 1.0f64;
        // a dense geometric grid over (2^-53, 1], every binade
        while u > 1e-16 {
            worst = worst.max(ulps(ln_unit(u), u.ln()));
            u *= 0.999_9;
        }
        for u in [1.0, 0.5, f64::from_bits(ONE_BITS - 1), 2f64.powi(-52), std::f64::consts::FRAC_1_SQRT_2] {
            worst = worst.max(ulps(ln_unit(u), u.ln()));
        }
        assert_eq!(ln_unit(1.0).to_bits(), 0.0f64.to_bits());
        assert!(worst <= 2.0, "worst {worst} ulps");
    }

    #[test]
    fn sin_and_cos_are_within_an_ulp_on_the_octant() {
        let mut worst: f64 = 0.0;
        for i in 0..=200_000 {
            let phi = std::f64::consts::FRAC_PI_4 * (i as f64 / 100_000.0 - 1.0);
            let w = phi * phi;
            worst = worst.max(ulps(phi * estrin(&SIN, w), phi.sin())).max(ulps(estrin(&COS, w), phi.cos()));
        }
        assert!(worst <= 1.0, "worst {worst} ulps");
    }

    #[test]
    fn the_lanes_are_xoshiro256_plus_plus() {
        // lane 0 against a scalar xoshiro256++ from the same words (reference algorithm,
        // https://prng.di.unimi.it/xoshiro256plusplus.c)
        let mut lanes = LaneNormals::from_words(|i| (7 + i).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut s: [u64; 4] = std::array::from_fn(|w| lanes.state[w][0]);
        for _ in 0..100 {
            let want = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
            let t = s[1] << 17;
            s[2] ^= s[0];
            s[3] ^= s[1];
            s[1] ^= s[2];
            s[0] ^= s[3];
            s[2] ^= t;
            s[3] = s[3].rotate_left(45);
            assert_eq!(step(&mut lanes.state)[0], want);
        }
    }

    #[test]
    fn fill_and_next_hand_out_one_sequence() {
        let mut a = LaneNormals::from_words(|i| (3 + i).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut b = LaneNormals::from_words(|i| (3 + i).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut by_next = Vec::new();
        for _ in 0..100 {
            by_next.push(a.next());
        }
        // mixed: next, fill (unaligned), fill_slice with a remainder
        let mut mixed = vec![b.next()];
        for _ in 0..3 {
            let mut c = [0.0; LANES];
            b.fill(&mut c);
            mixed.extend(c);
        }
        let mut rest = vec![0.0; 100 - mixed.len()];
        b.fill_slice(&mut rest);
        mixed.extend(rest);
        assert_eq!(by_next, mixed);
        assert!(by_next.iter().all(|v| v.is_finite()));
    }
}
