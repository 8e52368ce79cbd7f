//! Perfect matchings and the GP correlators: Wick sums of a kernel, and their first-order terms.

use crate::error::{Result, check_even};
use crate::multiset::{
    BATCH, Lanes, Multisets, PARTS, Parts, add_chains, add_lanes, add_squared_lanes, dot_parts_into,
};
use crate::simd::with_simd;

/// All perfect matchings of `0..n` (`n` even), each as `n/2` pairs `(a, b)` with `a < b`.
pub fn perfect_matchings(n: usize) -> Result<Vec<Vec<(usize, usize)>>> {
    check_even(n)?;
    let mut out = Vec::new();
    let mut cur = Vec::with_capacity(n / 2);
    let free: Vec<usize> = (0..n).collect();
    matchings_rec(&free, &mut cur, &mut out);
    Ok(out)
}

fn matchings_rec(free: &[usize], cur: &mut Vec<(usize, usize)>, out: &mut Vec<Vec<(usize, usize)>>) {
    let Some((&first, rest)) = free.split_first() else {
        out.push(cur.clone());
        return;
    };
    for (i, &partner) in rest.iter().enumerate() {
        cur.push((first, partner));
        let remaining: Vec<usize> = rest.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, &v)| v).collect();
        matchings_rec(&remaining, cur, out);
        cur.pop();
    }
}

/// One order of the recursion: for each multiset, `n - 1` terms
/// `(flat covariance index a * m + b, position of the remaining multiset one order down)`.
#[derive(Debug, Clone)]
struct Level {
    multisets: Multisets,
    terms: Vec<(u32, u32)>,
}

/// Wick sums of every even order `2, 4, ..., n_max` over all multisets of `m` points.
///
/// Wick contractions: the perfect matchings of `n` points and the Gaussian (free-field)
/// correlator `G_GP(n) = sum over matchings of prod K(x_a, x_b)` (slides, "Experimental
/// Verification of NNGP"): 3 matchings for `n = 4`, 15 for `n = 6`, `(n-1)!!` in general.
///
/// [`WickSums`] evaluates all even orders at once by the recursion on the first point,
///
/// ```text
/// W(i_0, i_1, ..., i_(n−1)) = Σ_(j=1..n−1) C(i_0, i_j) W({i_1, ..., i_(n−1)} \ {i_j}),
/// ```
///
/// so order 6 costs 5 multiply-adds per multiset on top of order 4 (instead of 15 x 3).
///
/// The highest order is summed by fused multiply-add chains as it is formed; the lower ones
/// are stored and their lanes added. [`Self::with_fused_sums`] sums every order above 2 by
/// those chains (still storing it), so a table to `n_max = 6` gives the sums of orders 2 and
/// 4 bit for bit as a table to `n_max = 4` does.
#[derive(Debug, Clone)]
pub struct WickSums {
    m: usize,
    levels: Vec<Level>,
    fused: bool,
}

impl WickSums {
    /// Builds the recursion tables for orders `2..=n_max` (`n_max` even).
    pub fn new(m: usize, n_max: usize) -> Result<Self> {
        check_even(n_max)?;
        let mut levels: Vec<Level> = Vec::new();
        for n in (2..=n_max).step_by(2) {
            let multisets = Multisets::new(m, n)?;
            let mut terms = Vec::with_capacity(multisets.len() * (n - 1));
            for ms in multisets.iter() {
                let i0 = ms[0] as usize;
                for j in 1..n {
                    let cov = (i0 * m + ms[j] as usize) as u32;
                    let lower = match levels.last() {
                        None => u32::MAX,
                        Some(l) => {
                            let rest: Vec<usize> = (1..n).filter(|&k| k != j).map(|k| ms[k] as usize).collect();
                            l.multisets.position(&rest).unwrap_or(0) as u32
                        }
                    };
                    terms.push((cov, lower));
                }
            }
            levels.push(Level { multisets, terms });
        }
        Ok(Self { m, levels, fused: false })
    }

    /// The same sums with every order above 2 accumulated by the highest order's fused
    /// multiply-add chains in [`Self::accumulate_batch`] (type docs): the sums of orders
    /// `2..=k` equal those of a table to `n_max = k` bit for bit. Without squares only.
    pub fn with_fused_sums(mut self) -> Self {
        self.fused = true;
        self
    }

    /// The multisets of order `2 (k + 1)`.
    pub fn multisets(&self, k: usize) -> &Multisets {
        &self.levels[k].multisets
    }

    /// The Wick sum of every order and multiset for the row-major `m x m` covariance `cov`;
    /// element `k` of the result is order `2 (k + 1)`.
    pub fn evaluate(&self, cov: &[f64]) -> Vec<Vec<f64>> {
        let mut out = Vec::new();
        self.evaluate_into(cov, &mut out);
        out
    }

    /// [`Self::evaluate`] into `out`, whose buffers are reused (no allocation once sized).
    pub fn evaluate_into(&self, cov: &[f64], out: &mut Vec<Vec<f64>>) {
        debug_assert_eq!(cov.len(), self.m * self.m);
        self.fill_levels(out, |k, terms, below| match k {
            0 => cov[terms[0].0 as usize],
            _ => terms.iter().map(|&(c, l)| cov[c as usize] * below[l as usize]).sum(),
        });
    }

    /// The first-order term of every Wick sum around the covariance `cov`, in the direction
    /// `dir` (both row-major `m x m`, `dir` symmetric):
    ///
    /// ```text
    /// L_cov(dir) = d/dt W(cov + t dir) at t = 0
    ///            = Σ_(matchings) Σ_(pairs p) dir_p Π_(q ≠ p) cov_q,
    /// ```
    ///
    /// by differentiating the recursion:
    /// `L(i0, ...) = sum_j [dir(i0, ij) W(rest) + cov(i0, ij) L(rest)]`. `at` must be
    /// `self.evaluate(cov)`; `out` is reused. Since `W` is homogeneous of degree `n / 2`,
    /// `L_cov(cov) = (n / 2) W(cov)` (Euler).
    pub fn linear_term_into(&self, cov: &[f64], at: &[Vec<f64>], dir: &[f64], out: &mut Vec<Vec<f64>>) {
        debug_assert_eq!(cov.len(), self.m * self.m);
        debug_assert_eq!(dir.len(), self.m * self.m);
        self.fill_levels(out, |k, terms, below| match k {
            0 => dir[terms[0].0 as usize],
            _ => terms
                .iter()
                .map(|&(c, l)| {
                    let (c, l) = (c as usize, l as usize);
                    dir[c] * at[k - 1][l] + cov[c] * below[l]
                })
                .sum(),
        });
    }

    /// Fills `out[k][pos]` order by order with `value(k, terms of pos, out[k - 1])` (the
    /// order below is empty for `k = 0`).
    fn fill_levels(&self, out: &mut Vec<Vec<f64>>, value: impl Fn(usize, &[(u32, u32)], &[f64]) -> f64) {
        out.resize(self.levels.len(), Vec::new());
        for (k, level) in self.levels.iter().enumerate() {
            let (done, rest) = out.split_at_mut(k);
            let below: &[f64] = done.last().map_or(&[], |v| v.as_slice());
            let cur = &mut rest[0];
            cur.clear();
            cur.extend(level.terms.chunks_exact(level.multisets.order() - 1).map(|terms| value(k, terms, below)));
        }
    }

    /// For each even order `2 (k + 1)`, adds the Wick sums of a batch of covariances
    /// (`cov[a * m + b]` holds that entry for each of `BATCH` samples; unused lanes must be
    /// zero) to the running partial sums `sums[k][pos]` of every multiset, and their squares to
    /// `squares[k][pos]` if given. Lower orders are kept in `scratch`; the highest order is
    /// summed by fused multiply-adds as it is formed, unless its squares are wanted. Built for
    /// AVX2 + FMA where the CPU has them, with the same bits as the baseline build.
    pub fn accumulate_batch(
        &self,
        cov: &[Lanes],
        scratch: &mut Vec<Vec<Lanes>>,
        sums: &mut [Vec<Parts>],
        squares: Option<&mut [Vec<Parts>]>,
    ) {
        with_simd(
            #[inline(always)]
            || self.accumulate_portable(cov, scratch, sums, squares),
        )
    }

    #[inline(always)]
    fn accumulate_portable(
        &self,
        cov: &[Lanes],
        scratch: &mut Vec<Vec<Lanes>>,
        sums: &mut [Vec<Parts>],
        mut squares: Option<&mut [Vec<Parts>]>,
    ) {
        debug_assert_eq!(cov.len(), self.m * self.m);
        debug_assert_eq!(sums.len(), self.levels.len());
        let top = self.levels.len() - 1;
        scratch.resize(self.levels.len(), Vec::new());
        for (k, level) in self.levels.iter().enumerate() {
            let terms = level.terms.chunks_exact(level.multisets.order() - 1);
            let (done, rest) = scratch.split_at_mut(k);
            if k == top && k > 0 && squares.is_none() {
                let lower = &done[k - 1];
                for (s, terms) in sums[k].iter_mut().zip(terms) {
                    let (mut even, mut odd) = ([0.0; PARTS], [0.0; PARTS]);
                    for &(c, l) in terms {
                        dot_parts_into(&cov[c as usize], &lower[l as usize], &mut even, &mut odd);
                    }
                    add_chains(s, &even, &odd);
                }
                continue;
            }
            let cur = &mut rest[0];
            cur.resize(level.multisets.len(), [0.0; BATCH]);
            for (dst, terms) in cur.iter_mut().zip(terms) {
                if k == 0 {
                    *dst = cov[terms[0].0 as usize];
                    continue;
                }
                let lower = &done[k - 1];
                let mut acc = [0.0; BATCH];
                for &(c, l) in terms {
                    let (cv, lv) = (&cov[c as usize], &lower[l as usize]);
                    for i in 0..BATCH {
                        acc[i] = cv[i].mul_add(lv[i], acc[i]);
                    }
                }
                *dst = acc;
            }
            if self.fused && k > 0 && squares.is_none() {
                // the highest order's chains, over the same terms (`cur` is kept for order k + 1)
                let lower = &done[k - 1];
                let terms = level.terms.chunks_exact(level.multisets.order() - 1);
                for (s, terms) in sums[k].iter_mut().zip(terms) {
                    let (mut even, mut odd) = ([0.0; PARTS], [0.0; PARTS]);
                    for &(c, l) in terms {
                        dot_parts_into(&cov[c as usize], &lower[l as usize], &mut even, &mut odd);
                    }
                    add_chains(s, &even, &odd);
                }
            } else {
                for (s, v) in sums[k].iter_mut().zip(cur.iter()) {
                    add_lanes(s, v);
                }
            }
            if let Some(sq) = squares.as_deref_mut() {
                for (s, v) in sq[k].iter_mut().zip(cur.iter()) {
                    add_squared_lanes(s, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_counts_are_double_factorials() {
        assert_eq!(perfect_matchings(2).unwrap().len(), 1);
        assert_eq!(perfect_matchings(4).unwrap().len(), 3);
        assert_eq!(perfect_matchings(6).unwrap().len(), 15);
        assert_eq!(perfect_matchings(8).unwrap().len(), 105);
        assert!(perfect_matchings(5).is_err());
        assert!(perfect_matchings(0).is_err());
    }

    #[test]
    fn gaussian_moments_of_one_point() {
        // E[f^4] = 3 s^2, E[f^6] = 15 s^3 for one point of variance s.
        let w = WickSums::new(1, 6).unwrap().evaluate(&[2.0]);
        assert!((w[1][0] - 12.0).abs() < 1e-12 && (w[2][0] - 120.0).abs() < 1e-12);
    }

    /// A symmetric, positive test covariance over `m` points.
    fn test_cov(m: usize, shift: f64) -> Vec<f64> {
        (0..m * m)
            .map(|i| {
                let (a, b) = (i / m, i % m);
                (a * b) as f64 * 0.1 + 1.0 / (1.0 + shift + (a + b) as f64) + if a == b { 1.0 } else { 0.0 }
            })
            .collect()
    }

    #[test]
    fn linear_term_is_the_sum_over_matchings_and_pairs() {
        let m = 4;
        let (cov, dir) = (test_cov(m, 0.0), test_cov(m, 0.7));
        let ws = WickSums::new(m, 6).unwrap();
        let at = ws.evaluate(&cov);
        let mut lin = Vec::new();
        ws.linear_term_into(&cov, &at, &dir, &mut lin);
        for (k, n) in [(0usize, 2usize), (1, 4), (2, 6)] {
            let matchings = perfect_matchings(n).unwrap();
            for (pos, ms) in ws.multisets(k).iter().enumerate() {
                let entry = |mat: &[f64], (a, b): (usize, usize)| mat[ms[a] as usize * m + ms[b] as usize];
                let brute: f64 = matchings
                    .iter()
                    .map(|mt| {
                        (0..mt.len())
                            .map(|p| {
                                (0..mt.len())
                                    .map(|q| if q == p { entry(&dir, mt[q]) } else { entry(&cov, mt[q]) })
                                    .product::<f64>()
                            })
                            .sum::<f64>()
                    })
                    .sum();
                assert!((lin[k][pos] - brute).abs() < 1e-12 * brute.abs(), "n={n} {ms:?}");
            }
        }
        // Euler: L_cov(cov) = (n / 2) W(cov)
        ws.linear_term_into(&cov, &at, &cov, &mut lin);
        for k in 0..3 {
            for (l, w) in lin[k].iter().zip(&at[k]) {
                assert!((l - (k + 1) as f64 * w).abs() < 1e-12 * w.abs());
            }
        }
    }

    #[test]
    fn recursion_equals_the_sum_over_all_matchings() {
        let m = 4;
        let cov: Vec<f64> =
            (0..m * m).map(|i| ((i / m) * (i % m)) as f64 * 0.1 + 1.0 / (1.0 + (i / m + i % m) as f64)).collect();
        let ws = WickSums::new(m, 6).unwrap();
        let vals = ws.evaluate(&cov);
        for (k, n) in [(1usize, 4usize), (2, 6)] {
            let matchings = perfect_matchings(n).unwrap();
            for (pos, ms) in ws.multisets(k).iter().enumerate() {
                let brute: f64 = matchings
                    .iter()
                    .map(|mt| mt.iter().map(|&(a, b)| cov[ms[a] as usize * m + ms[b] as usize]).product::<f64>())
                    .sum();
                assert!((vals[k][pos] - brute).abs() < 1e-12 * brute.abs(), "n={n} {ms:?}");
            }
        }
        // batched: this covariance in lanes 3 and 7 (others zero), with and without squares,
        // dispatched and baseline builds
        let mut lanes = vec![[0.0; BATCH]; m * m];
        for (l, c) in lanes.iter_mut().zip(&cov) {
            l[3] = *c;
            l[7] = *c;
        }
        let zeros = || (0..3).map(|k| vec![[0.0; PARTS]; ws.multisets(k).len()]).collect::<Vec<_>>();
        let (mut plain, mut with_sq, mut sq, mut base, mut base_sq) = (zeros(), zeros(), zeros(), zeros(), zeros());
        ws.accumulate_batch(&lanes, &mut Vec::new(), &mut plain, None);
        ws.accumulate_batch(&lanes, &mut Vec::new(), &mut with_sq, Some(&mut sq));
        ws.accumulate_portable(&lanes, &mut Vec::new(), &mut base, Some(&mut base_sq));
        let total = |p: &Parts| crate::multiset::parts_total(p);
        for k in 0..3 {
            for (pos, v) in vals[k].iter().enumerate() {
                for got in [total(&plain[k][pos]), total(&with_sq[k][pos])] {
                    assert!((got - 2.0 * v).abs() < 1e-12 * v.abs().max(1.0), "k={k} pos={pos}");
                }
                assert!((total(&sq[k][pos]) - 2.0 * v * v).abs() < 1e-12 * (v * v).max(1.0));
                assert_eq!(total(&with_sq[k][pos]).to_bits(), total(&base[k][pos]).to_bits());
                assert_eq!(total(&sq[k][pos]).to_bits(), total(&base_sq[k][pos]).to_bits());
            }
        }
    }

    /// Fused sums to order 6 give the order-2 and order-4 sums of a table to order 4 and the
    /// order-6 sums of a plain table, bit for bit.
    #[test]
    fn fused_sums_keep_the_lower_orders_bits() {
        let m = 4;
        let mut lanes = vec![[0.0; BATCH]; m * m];
        for j in 0..29 {
            let cov = test_cov(m, j as f64 / 7.0);
            for (l, c) in lanes.iter_mut().zip(&cov) {
                l[j] = *c;
            }
        }
        let (four, six) = (WickSums::new(m, 4).unwrap(), WickSums::new(m, 6).unwrap());
        let fused = six.clone().with_fused_sums();
        let zeros =
            |w: &WickSums, k: usize| (0..k).map(|k| vec![[0.0; PARTS]; w.multisets(k).len()]).collect::<Vec<_>>();
        let (mut a, mut b, mut c, mut d) = (zeros(&four, 2), zeros(&six, 3), zeros(&six, 3), zeros(&six, 3));
        for _ in 0..3 {
            four.accumulate_batch(&lanes, &mut Vec::new(), &mut a, None);
            six.accumulate_batch(&lanes, &mut Vec::new(), &mut b, None);
            fused.accumulate_batch(&lanes, &mut Vec::new(), &mut c, None);
            fused.accumulate_portable(&lanes, &mut Vec::new(), &mut d, None);
        }
        let bits = |x: &[Vec<Parts>]| x.iter().flatten().flatten().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&c[..2]));
        assert_eq!(bits(&b[2..]), bits(&c[2..]));
        assert_eq!(bits(&c), bits(&d));
        assert_ne!(bits(&a), bits(&b[..2]));
    }
}
