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

/// Products over the multisets of every order `1..=n_max`, level by level: the product of
/// multiset `(i_1, ..., i_L)` is that of its prefix `(i_1, ..., i_{L-1})` times `values[i_L]`, so
/// one pass over the levels gives every order with one multiply per multiset and no
/// recursion. Multiplication runs left to right from the weight, as in
/// [`Multisets::accumulate_products`].
#[derive(Debug, Clone)]
pub struct ProductTable {
    m: usize,
    levels: Vec<ProductLevel>,
}

#[derive(Debug, Clone)]
struct ProductLevel {
    multisets: Multisets,
    parent: Vec<u32>,
    last: Vec<u8>,
}

impl ProductTable {
    /// Tables for orders `1..=n_max` over `m` points.
    pub fn new(m: usize, n_max: usize) -> Result<Self> {
        at_least("order n", n_max, 1, "an integer >= 1")?;
        let mut levels: Vec<ProductLevel> = Vec::with_capacity(n_max);
        for n in 1..=n_max {
            let multisets = Multisets::new(m, n)?;
            let (mut parent, mut last) = (Vec::with_capacity(multisets.len()), Vec::with_capacity(multisets.len()));
            for ms in multisets.iter() {
                let prefix: Vec<usize> = ms[..n - 1].iter().map(|&i| i as usize).collect();
                parent.push(levels.last().and_then(|l| l.multisets.position(&prefix)).unwrap_or(0) as u32);
                last.push(ms[n - 1]);
            }
            levels.push(ProductLevel { multisets, parent, last });
        }
        Ok(Self { m, levels })
    }

    /// The multisets of order `n` (`1..=n_max`).
    pub fn multisets(&self, n: usize) -> &Multisets {
        &self.levels[n - 1].multisets
    }

    /// For each requested order `orders[k]`, adds `sum_j w_j prod_a values[a][j]` over the
    /// batch to `sums[k][pos]` for every multiset, and the sum of squares to `squares[k][pos]`
    /// if given. `values[a]` holds point `a`'s value for each of `BATCH` samples; unused lanes
    /// must have weight 0. `scratch` is reused between calls.
    pub fn accumulate_batch(
        &self,
        values: &[Lanes],
        weights: &Lanes,
        scratch: &mut Vec<Vec<Lanes>>,
        orders: &[usize],
        sums: &mut [Vec<f64>],
        mut squares: Option<&mut [Vec<f64>]>,
    ) {
        debug_assert_eq!(values.len(), self.m);
        let top = orders.iter().copied().max().unwrap_or(0);
        scratch.resize(top, Vec::new());
        for (l, level) in self.levels[..top].iter().enumerate() {
            let (done, rest) = scratch.split_at_mut(l);
            let cur = &mut rest[0];
            cur.resize(level.multisets.len(), [0.0; BATCH]);
            for ((dst, &p), &a) in cur.iter_mut().zip(&level.parent).zip(&level.last) {
                let base = if l == 0 { weights } else { &done[l - 1][p as usize] };
                for ((d, b), x) in dst.iter_mut().zip(base).zip(&values[a as usize]) {
                    *d = b * x;
                }
            }
        }
        for (k, &n) in orders.iter().enumerate() {
            for (pos, prod) in scratch[n - 1].iter().enumerate() {
                sums[k][pos] += lane_sum(prod);
                if let Some(sq) = squares.as_deref_mut() {
                    let mut p2 = *prod;
                    p2.iter_mut().for_each(|x| *x *= *x);
                    sq[k][pos] += lane_sum(&p2);
                }
            }
        }
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
        let (mut sums, mut squares) = (vec![vec![0.0; ms.len()]], vec![vec![0.0; ms.len()]]);
        let mut weights = [0.0; BATCH];
        weights[..5].iter_mut().for_each(|w| *w = 1.0);
        let table = ProductTable::new(m, 4).unwrap();
        assert_eq!(table.multisets(4), &ms);
        table.accumulate_batch(&lanes, &weights, &mut Vec::new(), &[4], &mut sums, Some(&mut squares));
        for p in 0..ms.len() {
            assert!((sums[0][p] - scalar[p]).abs() < 1e-12 && (squares[0][p] - scalar_sq[p]).abs() < 1e-12);
        }
    }

    #[test]
    fn invalid_sizes_are_errors() {
        assert!(Multisets::new(0, 2).is_err());
        assert!(Multisets::new(3, 0).is_err());
        assert!(Multisets::new(256, 2).is_err());
    }
}
