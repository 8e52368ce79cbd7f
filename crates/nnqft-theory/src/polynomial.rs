//! Polynomial evaluation for lane kernels: split Horner chains (an Estrin-like scheme) with fused
//! multiply-adds.
//!
//! `p(x) = Σ_(k<K) c_k xᵏ = c_0 + x (c_1 + x t(x))`, where the tail
//! `t(x) = Σ_(k≥2) c_k xᵏ⁻²` is split by the residue of `k − 2` modulo 4 into four
//! independent Horner chains in `x⁴`, combined as `(t_0 + x t_1) + x² (t_2 + x t_3)`: depth
//! about `K/4 + 4` fused multiply-adds instead of Horner's `K − 1`, so that a lane's chain does
//! not wait on itself (the latency of Horner's rule with separate multiplies and adds was
//! what bounded the lane kernels). The last two steps are Horner's, so the value is rounded
//! at its full magnitude once, as with Horner's rule (splitting to the last step lost up to
//! two ulps in the tests). Each step is `f64::mul_add`, exactly rounded on every target, so
//! every build gives the same bits; the loops have constant trip counts and unroll. Meant for
//! kernels built with FMA ([`crate::simd::with_simd`]): elsewhere `mul_add` is a library call.

/// `Σ_(k<K) c[k] xᵏ` (see the module docs).
#[inline(always)]
pub fn estrin<const K: usize>(c: &[f64; K], x: f64) -> f64 {
    match K {
        0 => 0.0,
        1 => c[0],
        2 => x.mul_add(c[1], c[0]),
        _ => {
            let (x2, x4) = (x * x, (x * x) * (x * x));
            let mut t = [0.0f64; 4];
            for k in (2..K).rev() {
                t[(k - 2) % 4] = t[(k - 2) % 4].mul_add(x4, c[k]);
            }
            let tail = x2.mul_add(x.mul_add(t[3], t[2]), x.mul_add(t[1], t[0]));
            x.mul_add(x.mul_add(tail, c[1]), c[0])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_horner_in_exact_arithmetic() {
        // small integers: every step is exact, so both schemes give the same value
        let c = [3.0, -2.0, 5.0, 1.0, -4.0, 2.0, 7.0];
        for x in [-2.0, -1.0, 0.0, 0.5, 1.0, 3.0] {
            let horner = c.iter().rev().fold(0.0, |acc, &ck| acc * x + ck);
            assert_eq!(estrin(&c, x).to_bits(), horner.to_bits(), "x = {x}");
        }
        assert_eq!(estrin(&[4.0], 9.0).to_bits(), 4.0f64.to_bits());
        assert_eq!(estrin(&[1.0, 1.0], 2.0).to_bits(), 3.0f64.to_bits());
    }
}
