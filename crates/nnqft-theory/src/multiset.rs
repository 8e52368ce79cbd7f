//! Symmetric-tensor indexing. A symmetric correlator `G(n)(x_i1, ..., x_in)` over `m`
//! points is stored once per multiset of indices: `C(m+n-1, n)` values in lexicographic
//! order of the sorted index tuple (`0,0,0,0`, `0,0,0,1`, ...).

use crate::error::{Result, at_least};

/// The multisets of order `n` over `m` points, in lexicographic order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multisets {
    m: usize,
    n: usize,
    items: Vec<u8>,
}

/// `C(a, b)` as u64 (exact for the small arguments used here).
fn binomial(a: usize, b: usize) -> u64 {
    if b > a {
        return 0;
    }
    let b = b.min(a - b);
    (0..b).fold(1u64, |acc, i| acc * (a - i) as u64 / (i + 1) as u64)
}

impl Multisets {
    /// All multisets of order `n >= 1` over `1 <= m <= 255` points.
    pub fn new(m: usize, n: usize) -> Result<Self> {
        at_least("number of points m", m, 1, "1 to 255")?;
        if m > 255 {
            return Err(crate::TheoryError::OutOfRange {
                field: "number of points m",
                value: m.to_string(),
                allowed: "1 to 255",
            });
        }
        at_least("order n", n, 1, "an integer >= 1")?;
        let count = binomial(m + n - 1, n) as usize;
        let mut items = Vec::with_capacity(count * n);
        let mut cur = vec![0u8; n];
        loop {
            items.extend_from_slice(&cur);
            // next non-decreasing tuple
            let Some(i) = (0..n).rev().find(|&i| (cur[i] as usize) < m - 1) else {
                break;
            };
            let v = cur[i] + 1;
            cur[i..].iter_mut().for_each(|c| *c = v);
        }
        debug_assert_eq!(items.len(), count * n);
        Ok(Self { m, n, items })
    }

    /// Number of points `m`.
    pub fn points(&self) -> usize {
        self.m
    }
    /// Order `n`.
    pub fn order(&self) -> usize {
        self.n
    }
    /// Number of multisets, `C(m+n-1, n)`.
    pub fn len(&self) -> usize {
        self.items.len() / self.n
    }
    /// Never empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// The sorted indices of multiset `pos`.
    pub fn get(&self, pos: usize) -> &[u8] {
        &self.items[pos * self.n..(pos + 1) * self.n]
    }
    /// Iterates over all multisets in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.items.chunks_exact(self.n)
    }

    /// Position of the multiset holding `indices` (any order), or `None` if the length is
    /// not `n` or an index is `>= m`. Lexicographic rank: for each slot, count the
    /// multisets that agree on the earlier slots and have a smaller value here.
    pub fn position(&self, indices: &[usize]) -> Option<usize> {
        if indices.len() != self.n || indices.iter().any(|&i| i >= self.m) {
            return None;
        }
        let mut s: Vec<usize> = indices.to_vec();
        s.sort_unstable();
        let mut rank = 0u64;
        let mut lo = 0;
        for (slot, &v) in s.iter().enumerate() {
            let rest = self.n - slot - 1;
            for u in lo..v {
                // multisets of length `rest` over values u..m-1
                rank += binomial(self.m - u + rest - 1, rest);
            }
            lo = v;
        }
        Some(rank as usize)
    }

    /// Number of ordered tuples that sort to multiset `pos`: `n! / prod_k (count_k)!`.
    pub fn multiplicity(&self, pos: usize) -> u64 {
        let ms = self.get(pos);
        let fact = |k: usize| (1..=k as u64).product::<u64>();
        let mut denom = 1u64;
        let mut run = 1usize;
        for w in ms.windows(2) {
            if w[0] == w[1] {
                run += 1;
            } else {
                denom *= fact(run);
                run = 1;
            }
        }
        denom *= fact(run);
        fact(self.n) / denom
    }

    /// The report label of multiset `pos`, e.g. `"0,0,1,3"`.
    pub fn label(&self, pos: usize) -> String {
        self.get(pos).iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
    }

    /// Adds `weight * prod_{a in multiset} values[a]` to `sums[pos]` for every multiset,
    /// in one depth-first pass that shares prefix products (cost about one multiply-add per
    /// multiset). `values.len()` must be `m` and `sums.len()` must be [`Self::len`].
    #[inline]
    pub fn accumulate_products(&self, values: &[f64], weight: f64, sums: &mut [f64]) {
        debug_assert_eq!(values.len(), self.m);
        debug_assert_eq!(sums.len(), self.len());
        let mut k = 0;
        accumulate_rec(values, self.n, 0, weight, sums, &mut k);
    }
}

/// Number of samples processed together by the batched accumulators: inner loops run over a
/// fixed-size array of this length so that the compiler vectorises them.
pub const BATCH: usize = 32;

/// One value per sample of a batch.
pub type Lanes = [f64; BATCH];

/// Pairwise sum of one batch of lanes (32 -> 16 -> 8 -> 4 -> 1): vectorisable, fixed order,
/// and more accurate than a running sum.
#[inline]
pub fn lane_sum(l: &Lanes) -> f64 {
    let mut a = [0.0; BATCH / 2];
    for (i, v) in a.iter_mut().enumerate() {
        *v = l[i] + l[i + BATCH / 2];
    }
    let mut b = [0.0; BATCH / 4];
    for (i, v) in b.iter_mut().enumerate() {
        *v = a[i] + a[i + BATCH / 4];
    }
    let mut c = [0.0; BATCH / 8];
    for (i, v) in c.iter_mut().enumerate() {
        *v = b[i] + b[i + BATCH / 8];
    }
    (c[0] + c[2]) + (c[1] + c[3])
}

impl Multisets {
    /// Batched form of [`Self::accumulate_products`]: `values[a]` holds point `a`'s value for
    /// each of `BATCH` samples; for every multiset adds `sum_j w_j prod_a values[a][j]` to
    /// `sums[pos]` and, if given, `sum_j (w_j prod_a values[a][j])^2` to `squares[pos]`.
    /// Unused lanes must have weight 0.
    pub fn accumulate_batch(
        &self,
        values: &[Lanes],
        weights: &Lanes,
        sums: &mut [f64],
        mut squares: Option<&mut [f64]>,
    ) {
        debug_assert_eq!(values.len(), self.m);
        debug_assert_eq!(sums.len(), self.len());
        let mut prefix = vec![*weights; self.n + 1];
        let mut k = 0;
        batch_rec(values, self.n, 0, 0, &mut prefix, sums, &mut squares, &mut k);
    }
}

#[allow(clippy::too_many_arguments)]
fn batch_rec(
    values: &[Lanes],
    n: usize,
    depth: usize,
    start: usize,
    prefix: &mut [Lanes],
    sums: &mut [f64],
    squares: &mut Option<&mut [f64]>,
    k: &mut usize,
) {
    let base = prefix[depth];
    if depth + 1 == n {
        for v in &values[start..] {
            let mut leaf = [0.0; BATCH];
            for ((l, b), x) in leaf.iter_mut().zip(&base).zip(v) {
                *l = b * x;
            }
            sums[*k] += lane_sum(&leaf);
            if let Some(sq) = squares.as_deref_mut() {
                leaf.iter_mut().for_each(|l| *l *= *l);
                sq[*k] += lane_sum(&leaf);
            }
            *k += 1;
        }
        return;
    }
    for a in start..values.len() {
        for ((p, b), x) in prefix[depth + 1].iter_mut().zip(&base).zip(&values[a]) {
            *p = b * x;
        }
        batch_rec(values, n, depth + 1, a, prefix, sums, squares, k);
    }
}

fn accumulate_rec(values: &[f64], depth: usize, start: usize, prefix: f64, sums: &mut [f64], k: &mut usize) {
    if depth == 1 {
        for &v in &values[start..] {
            sums[*k] += prefix * v;
            *k += 1;
        }
        return;
    }
    for a in start..values.len() {
        accumulate_rec(values, depth - 1, a, prefix * values[a], sums, k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_binomials() {
        for (n, count) in [(2, 21), (4, 126), (6, 462)] {
            assert_eq!(Multisets::new(6, n).unwrap().len(), count);
        }
        assert_eq!(Multisets::new(4, 6).unwrap().len(), 84);
    }

    #[test]
    fn position_inverts_get() {
        for (m, n) in [(6, 2), (6, 4), (6, 6), (4, 6), (1, 3), (7, 3)] {
            let ms = Multisets::new(m, n).unwrap();
            for pos in 0..ms.len() {
                let idx: Vec<usize> = ms.get(pos).iter().rev().map(|&i| i as usize).collect();
                assert_eq!(ms.position(&idx), Some(pos), "m={m} n={n} pos={pos}");
            }
        }
        let ms = Multisets::new(6, 4).unwrap();
        assert_eq!(ms.position(&[0, 1, 2]), None);
        assert_eq!(ms.position(&[0, 1, 2, 6]), None);
    }

    #[test]
    fn multiplicities_sum_to_all_ordered_tuples() {
        for (m, n) in [(6, 2), (6, 4), (6, 6), (3, 5)] {
            let ms = Multisets::new(m, n).unwrap();
            let total: u64 = (0..ms.len()).map(|p| ms.multiplicity(p)).sum();
            assert_eq!(total, (m as u64).pow(n as u32));
        }
    }

    #[test]
    fn accumulated_products_match_direct_products() {
        let vals = [0.5, -1.5, 2.0, 3.0];
        let ms = Multisets::new(4, 3).unwrap();
        let mut sums = vec![1.0; ms.len()];
        ms.accumulate_products(&vals, 2.0, &mut sums);
        for (pos, s) in ms.iter().enumerate() {
            let direct: f64 = 1.0 + 2.0 * s.iter().map(|&a| vals[a as usize]).product::<f64>();
            assert!((sums[pos] - direct).abs() < 1e-12);
        }
    }

    #[test]
    fn batched_products_match_scalar_products() {
        let m = 3;
        let ms = Multisets::new(m, 4).unwrap();
        let mut lanes = vec![[0.0; BATCH]; m];
        let mut scalar = vec![0.0; ms.len()];
        let mut scalar_sq = vec![0.0; ms.len()];
        for j in 0..5 {
            let vals: Vec<f64> = (0..m).map(|a| 0.3 + 0.7 * a as f64 - 0.2 * j as f64).collect();
            let sq: Vec<f64> = vals.iter().map(|v| v * v).collect();
            for a in 0..m {
                lanes[a][j] = vals[a];
            }
            ms.accumulate_products(&vals, 1.0, &mut scalar);
            ms.accumulate_products(&sq, 1.0, &mut scalar_sq);
        }
        let (mut sums, mut squares) = (vec![0.0; ms.len()], vec![0.0; ms.len()]);
        let mut weights = [0.0; BATCH];
        weights[..5].iter_mut().for_each(|w| *w = 1.0);
        ms.accumulate_batch(&lanes, &weights, &mut sums, Some(&mut squares));
        for p in 0..ms.len() {
            assert!((sums[p] - scalar[p]).abs() < 1e-12 && (squares[p] - scalar_sq[p]).abs() < 1e-12);
        }
    }

    #[test]
    fn invalid_sizes_are_errors() {
        assert!(Multisets::new(0, 2).is_err());
        assert!(Multisets::new(3, 0).is_err());
        assert!(Multisets::new(256, 2).is_err());
    }
}
