//! Symmetric-tensor indexing (multiset ↔ position, multiplicities) and the batched products over
//! multisets of the hot loops.

use crate::error::{Result, at_least};
use crate::simd::with_simd;

/// The multisets of order `n` over `m` points, in lexicographic order.
///
/// Symmetric-tensor indexing. A symmetric correlator `G(n)(x_i1, ..., x_in)` over `m`
/// points is stored once per multiset of indices: `C(m+n-1, n)` values in lexicographic
/// order of the sorted index tuple (`0,0,0,0`, `0,0,0,1`, ...).
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

    /// For order 2: the position of the pair `{a, b}` for every flat index `a * m + b` of a
    /// row-major `m x m` matrix (how a covariance matrix maps onto order-2 multisets).
    pub fn flat_pair_positions(&self) -> Vec<usize> {
        let m = self.m;
        (0..m * m).map(|i| self.position(&[i / m, i % m]).unwrap_or(0)).collect()
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

/// Number of running partial sums kept per multiset by the batched accumulators.
pub const PARTS: usize = 4;

/// Running partial sums of one multiset: a batch is folded to [`PARTS`] values and added
/// lane by lane, so no horizontal reduction is done per batch; [`parts_total`] reduces them
/// once, at the end of a long sum.
pub type Parts = [f64; PARTS];

/// Pairwise fold of one batch of lanes to [`PARTS`] values (32 -> 16 -> 8 -> 4): fixed
/// order, vectorisable, more accurate than a running sum.
#[inline(always)]
fn fold_lanes(l: &Lanes) -> Parts {
    let mut a = [0.0; BATCH / 2];
    for (i, v) in a.iter_mut().enumerate() {
        *v = l[i] + l[i + BATCH / 2];
    }
    let mut b = [0.0; BATCH / 4];
    for (i, v) in b.iter_mut().enumerate() {
        *v = a[i] + a[i + BATCH / 4];
    }
    let mut c = [0.0; PARTS];
    for (i, v) in c.iter_mut().enumerate() {
        *v = b[i] + b[i + PARTS];
    }
    c
}

/// Adds a batch of lanes to running partial sums: `parts += fold_lanes(l)`.
#[inline(always)]
pub(crate) fn add_lanes(parts: &mut Parts, l: &Lanes) {
    for (p, v) in parts.iter_mut().zip(fold_lanes(l)) {
        *p += v;
    }
}

/// Adds the squares of a batch of lanes to running partial sums.
#[inline(always)]
pub(crate) fn add_squared_lanes(parts: &mut Parts, l: &Lanes) {
    let mut sq = *l;
    sq.iter_mut().for_each(|x| *x *= *x);
    add_lanes(parts, &sq);
}

/// The lane-wise product `a * b`.
#[inline(always)]
fn mul_lanes(a: &Lanes, b: &Lanes) -> Lanes {
    let mut out = [0.0; BATCH];
    for i in 0..BATCH {
        out[i] = a[i] * b[i];
    }
    out
}

/// Adds the lane-wise dot product of `a` and `b`, folded to [`PARTS`] values, to two running
/// chains of fused multiply-adds: `even_i += sum_{k even} a[PARTS k + i] b[PARTS k + i]`, and
/// `odd` likewise for odd `k`. A fused multiply-add is exactly rounded on every target, so
/// every build gives the same bits.
#[inline(always)]
pub(crate) fn dot_parts_into(a: &Lanes, b: &Lanes, even: &mut Parts, odd: &mut Parts) {
    for k in (0..BATCH / PARTS).step_by(2) {
        for i in 0..PARTS {
            let (j, l) = (PARTS * k + i, PARTS * (k + 1) + i);
            even[i] = a[j].mul_add(b[j], even[i]);
            odd[i] = a[l].mul_add(b[l], odd[i]);
        }
    }
}

/// Adds `even + odd` to running partial sums.
#[inline(always)]
pub(crate) fn add_chains(parts: &mut Parts, even: &Parts, odd: &Parts) {
    for i in 0..PARTS {
        parts[i] += even[i] + odd[i];
    }
}

/// The total of running partial sums, `(p0 + p2) + (p1 + p3)`.
#[inline]
pub fn parts_total(p: &Parts) -> f64 {
    (p[0] + p[2]) + (p[1] + p[3])
}

/// Products over the multisets of the even orders `2, 4, ..., n_max`, built two indices at
/// a time: with the pair products `q_ab = values[a] values[b]`, the product of multiset
/// `(i_1, ..., i_n)` is `P(i_1, ..., i_{n-2}) * q(i_{n-1}, i_n)`, and `P(i_1, i_2) = w q(i_1, i_2)`.
/// So every multiset costs one multiply, no odd order is formed, and each order is one flat,
/// branch-free loop over a precomputed `(prefix, pair)` list. Products of the highest order
/// are never stored: they are summed by fused multiply-adds as they are formed.
///
/// On x86-64 the kernel is also compiled for AVX2 + FMA and chosen at run time. Rust never
/// reorders floating-point operations or fuses them unasked, and an explicit fused
/// multiply-add is exactly rounded everywhere, so both versions give bit-identical sums.
///
/// [`Self::with_fused_sums`] sums every order by those fused chains (the lower orders are still
/// formed and stored for the next one), so a table to `n_max = 6` gives the sums of orders 2
/// and 4 bit for bit as a table to `n_max = 4` does: a sampler can add order 6 without
/// changing its lower orders. [`Self::with_fused_from`] does so from a given order up, so that
/// a table to `n_max = 8` fused from order 6 gives the sums of orders 2, 4 and 6 bit for bit as
/// a plain table to `n_max = 6` does.
#[derive(Debug, Clone)]
pub struct ProductTable {
    m: usize,
    levels: Vec<ProductLevel>,
    /// The first level (index, order `2 (l + 1)`) whose sums are fused chains; none below it.
    fused_from: usize,
}

/// One even order: its multisets and, for each, the positions of its prefix (two orders
/// lower; 0, the weight, for order 2) and of its last pair among the order-2 multisets.
#[derive(Debug, Clone)]
struct ProductLevel {
    multisets: Multisets,
    prefix: Vec<u32>,
    pair: Vec<u32>,
}

/// Scratch lanes of one batch: the pair products and the stored even orders below the top.
#[derive(Debug, Clone, Default)]
pub struct ProductScratch {
    pairs: Vec<Lanes>,
    levels: Vec<Vec<Lanes>>,
}

impl ProductTable {
    /// Tables for the even orders `2..=n_max` over `m` points (`n_max` even, `>= 2`).
    pub fn new(m: usize, n_max: usize) -> Result<Self> {
        crate::error::check_even(n_max)?;
        let pairs = Multisets::new(m, 2)?;
        let mut levels: Vec<ProductLevel> = Vec::with_capacity(n_max / 2);
        for n in (2..=n_max).step_by(2) {
            let multisets = Multisets::new(m, n)?;
            let (mut prefix, mut pair) = (Vec::with_capacity(multisets.len()), Vec::with_capacity(multisets.len()));
            for ms in multisets.iter() {
                let head: Vec<usize> = ms[..n - 2].iter().map(|&i| i as usize).collect();
                let tail = [ms[n - 2] as usize, ms[n - 1] as usize];
                prefix.push(levels.last().and_then(|l| l.multisets.position(&head)).unwrap_or(0) as u32);
                pair.push(pairs.position(&tail).unwrap_or(0) as u32);
            }
            levels.push(ProductLevel { multisets, prefix, pair });
        }
        let fused_from = levels.len();
        Ok(Self { m, levels, fused_from })
    }

    /// The same table with every order above 2 summed by fused multiply-add chains, as the
    /// highest order always is (type docs): the sums of orders `2..=k` equal those of a table to
    /// `n_max = k` bit for bit. Without squares only (with squares the products are summed
    /// as stored).
    pub fn with_fused_sums(mut self) -> Self {
        self.fused_from = 1;
        self
    }

    /// The same table with the orders from `n` up (even, `>= 4`) summed by fused chains, as the
    /// highest order always is, and the orders below `n` summed as stored: the sums of orders
    /// `2..=n` equal those of a plain table to `n_max = n` bit for bit (type docs).
    pub fn with_fused_from(mut self, n: usize) -> Result<Self> {
        crate::error::check_even(n)?;
        self.fused_from = (n / 2).saturating_sub(1).max(1);
        Ok(self)
    }

    /// Number of even orders held, `n_max / 2`.
    pub fn orders(&self) -> usize {
        self.levels.len()
    }

    /// The multisets of even order `n` (`2..=n_max`).
    pub fn multisets(&self, n: usize) -> &Multisets {
        assert!(n >= 2 && n.is_multiple_of(2), "ProductTable holds even orders only, not {n}");
        &self.levels[n / 2 - 1].multisets
    }

    /// For each even order `n = 2, 4, ..., n_max`, adds `sum_j w_j prod_a values[a][j]` over
    /// the batch to the running partial sums `sums[n / 2 - 1][pos]` of every multiset, and the
    /// sum of squares to `squares[n / 2 - 1][pos]` if given. `values[a]` holds point `a`'s
    /// value for each of `BATCH` samples; unused lanes must have weight 0.
    pub fn accumulate_batch(
        &self,
        values: &[Lanes],
        weights: &Lanes,
        scratch: &mut ProductScratch,
        sums: &mut [Vec<Parts>],
        squares: Option<&mut [Vec<Parts>]>,
    ) {
        with_simd(
            #[inline(always)]
            || self.accumulate_portable(values, weights, scratch, sums, squares),
        )
    }

    /// The kernel of [`Self::accumulate_batch`] for any target.
    #[inline(always)]
    fn accumulate_portable(
        &self,
        values: &[Lanes],
        weights: &Lanes,
        scratch: &mut ProductScratch,
        sums: &mut [Vec<Parts>],
        mut squares: Option<&mut [Vec<Parts>]>,
    ) {
        debug_assert_eq!(values.len(), self.m);
        debug_assert_eq!(sums.len(), self.levels.len());
        let top = self.levels.len() - 1;
        let pair_level = &self.levels[0];
        scratch.pairs.resize(pair_level.multisets.len(), [0.0; BATCH]);
        for (q, ms) in scratch.pairs.iter_mut().zip(pair_level.multisets.iter()) {
            *q = mul_lanes(&values[ms[0] as usize], &values[ms[1] as usize]);
        }
        scratch.levels.resize(top, Vec::new());
        for (l, level) in self.levels.iter().enumerate() {
            let (below, rest) = scratch.levels.split_at_mut(l);
            let prev: &[Lanes] = if l == 0 { std::slice::from_ref(weights) } else { &below[l - 1] };
            let (sum, sq) = (&mut sums[l], squares.as_deref_mut().map(|s| &mut s[l]));
            let store = rest.first_mut().filter(|_| l < top);
            fold_level(level, prev, &scratch.pairs, sum, sq, store, l >= self.fused_from);
        }
    }
}

/// Forms the products of one level, `prev[prefix] * pairs[pair]`, adds them (and their
/// squares) to the running sums, and stores them in `store` if given. With `fused` and no
/// squares, the sums are the fused chains of the highest order even where the products are
/// stored ([`ProductTable::with_fused_sums`]).
#[inline(always)]
fn fold_level(
    level: &ProductLevel,
    prev: &[Lanes],
    pairs: &[Lanes],
    sums: &mut [Parts],
    mut squares: Option<&mut Vec<Parts>>,
    mut store: Option<&mut Vec<Lanes>>,
    fused: bool,
) {
    let nodes = level.prefix.iter().zip(&level.pair).map(|(&p, &q)| (&prev[p as usize], &pairs[q as usize]));
    if fused
        && squares.is_none()
        && let Some(st) = store.as_deref_mut()
    {
        st.resize(level.multisets.len(), [0.0; BATCH]);
        for (i, (s, (p, q))) in sums.iter_mut().zip(nodes).enumerate() {
            let (mut even, mut odd) = ([0.0; PARTS], [0.0; PARTS]);
            dot_parts_into(p, q, &mut even, &mut odd);
            add_chains(s, &even, &odd);
            st[i] = mul_lanes(p, q);
        }
        return;
    }
    if store.is_none() && squares.is_none() {
        for (s, (p, q)) in sums.iter_mut().zip(nodes) {
            let (mut even, mut odd) = ([0.0; PARTS], [0.0; PARTS]);
            dot_parts_into(p, q, &mut even, &mut odd);
            add_chains(s, &even, &odd);
        }
        return;
    }
    if let Some(st) = store.as_deref_mut() {
        st.resize(level.multisets.len(), [0.0; BATCH]);
    }
    for (i, (p, q)) in nodes.enumerate() {
        let prod = mul_lanes(p, q);
        add_lanes(&mut sums[i], &prod);
        if let Some(sq) = squares.as_deref_mut() {
            add_squared_lanes(&mut sq[i], &prod);
        }
        if let Some(st) = store.as_deref_mut() {
            st[i] = prod;
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
        // orders 2 (stored level) and 4 (folded as formed), with weights and unused lanes
        // (whose values must not leak in)
        let m = 3;
        let orders = [2, 4];
        let ms = orders.map(|n| Multisets::new(m, n).unwrap());
        let mut lanes = vec![[7.0; BATCH]; m];
        let mut weights = [0.0; BATCH];
        let mut scalar = ms.clone().map(|s| vec![0.0; s.len()]);
        let mut scalar_sq = scalar.clone();
        for j in 0..5 {
            let w = 0.5 + 0.25 * j as f64;
            let vals: Vec<f64> = (0..m).map(|a| 0.3 + 0.7 * a as f64 - 0.2 * j as f64).collect();
            for a in 0..m {
                lanes[a][j] = vals[a];
            }
            weights[j] = w;
            for k in 0..2 {
                let mut one = vec![0.0; ms[k].len()];
                ms[k].accumulate_products(&vals, w, &mut one);
                for (p, v) in one.iter().enumerate() {
                    scalar[k][p] += v;
                    scalar_sq[k][p] += v * v;
                }
            }
        }
        let zeros = || ms.clone().map(|s| vec![[0.0; PARTS]; s.len()]).to_vec();
        let (mut sums, mut squares) = (zeros(), zeros());
        let table = ProductTable::new(m, 4).unwrap();
        assert_eq!(table.multisets(4), &ms[1]);
        table.accumulate_batch(&lanes, &weights, &mut ProductScratch::default(), &mut sums, Some(&mut squares));
        for k in 0..2 {
            for p in 0..ms[k].len() {
                let (s, s2) = (parts_total(&sums[k][p]), parts_total(&squares[k][p]));
                assert!((s - scalar[k][p]).abs() < 1e-12, "order {} pos {p}: {s} vs {}", orders[k], scalar[k][p]);
                assert!((s2 - scalar_sq[k][p]).abs() < 1e-12, "order {} pos {p}", orders[k]);
            }
        }
    }

    #[test]
    fn every_kernel_gives_the_same_bits() {
        let m = 6;
        let mut lanes = vec![[0.0; BATCH]; m];
        for (a, l) in lanes.iter_mut().enumerate() {
            for (j, v) in l.iter_mut().enumerate() {
                *v = ((a * 31 + j * 17) % 23) as f64 / 7.0 - 1.3;
            }
        }
        let weights: Lanes = std::array::from_fn(|j| 0.1 + j as f64 / 9.0);
        let table = ProductTable::new(m, 6).unwrap();
        let zeros = || (2..=6).step_by(2).map(|n| vec![[0.0; PARTS]; table.multisets(n).len()]).collect::<Vec<_>>();
        let (mut a, mut a2, mut b, mut b2) = (zeros(), zeros(), zeros(), zeros());
        for _ in 0..3 {
            table.accumulate_batch(&lanes, &weights, &mut ProductScratch::default(), &mut a, Some(&mut a2));
            table.accumulate_portable(&lanes, &weights, &mut ProductScratch::default(), &mut b, Some(&mut b2));
        }
        assert!(
            a.iter().flatten().flatten().zip(b.iter().flatten().flatten()).all(|(x, y)| x.to_bits() == y.to_bits())
        );
        assert!(
            a2.iter().flatten().flatten().zip(b2.iter().flatten().flatten()).all(|(x, y)| x.to_bits() == y.to_bits())
        );
        // and the values are the products over the multisets
        for (k, n) in [2, 4, 6].into_iter().enumerate() {
            let ms = table.multisets(n);
            for (pos, idx) in ms.iter().enumerate() {
                let direct: f64 =
                    (0..BATCH).map(|j| weights[j] * idx.iter().map(|&i| lanes[i as usize][j]).product::<f64>()).sum();
                let got = parts_total(&a[k][pos]) / 3.0;
                assert!((got - direct).abs() <= 1e-12 * direct.abs().max(1.0), "n={n} {idx:?}: {got} vs {direct}");
            }
        }
    }

    /// A fused table to order 6 gives the sums of orders 2 and 4 of a table to order 4, and
    /// the order-6 sums of a plain table to order 6, bit for bit (dispatched and baseline).
    #[test]
    fn fused_sums_keep_the_lower_orders_bits() {
        let m = 5;
        let mut lanes = vec![[0.0; BATCH]; m];
        for (a, l) in lanes.iter_mut().enumerate() {
            for (j, v) in l.iter_mut().enumerate() {
                *v = ((a * 37 + j * 13) % 29) as f64 / 11.0 - 1.1;
            }
        }
        let weights: Lanes = std::array::from_fn(|j| if j < 27 { 1.0 } else { 0.0 });
        let (four, six) = (ProductTable::new(m, 4).unwrap(), ProductTable::new(m, 6).unwrap());
        let fused = six.clone().with_fused_sums();
        let zeros = |t: &ProductTable, top: usize| {
            (2..=top).step_by(2).map(|n| vec![[0.0; PARTS]; t.multisets(n).len()]).collect::<Vec<_>>()
        };
        let (mut a, mut b, mut c, mut d) = (zeros(&four, 4), zeros(&six, 6), zeros(&six, 6), zeros(&six, 6));
        for _ in 0..3 {
            four.accumulate_batch(&lanes, &weights, &mut ProductScratch::default(), &mut a, None);
            six.accumulate_batch(&lanes, &weights, &mut ProductScratch::default(), &mut b, None);
            fused.accumulate_batch(&lanes, &weights, &mut ProductScratch::default(), &mut c, None);
            fused.accumulate_portable(&lanes, &weights, &mut ProductScratch::default(), &mut d, None);
        }
        let bits = |x: &[Vec<Parts>]| x.iter().flatten().flatten().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&c[..2]));
        assert_eq!(bits(&b[2..]), bits(&c[2..]));
        assert_eq!(bits(&c), bits(&d));
        // the plain table's stored order 4 is summed otherwise: not the same bits everywhere
        assert_ne!(bits(&a), bits(&b[..2]));
    }

    #[test]
    fn odd_or_small_top_orders_are_errors() {
        assert!(ProductTable::new(6, 5).is_err());
        assert!(ProductTable::new(6, 1).is_err());
    }

    #[test]
    fn invalid_sizes_are_errors() {
        assert!(Multisets::new(0, 2).is_err());
        assert!(Multisets::new(3, 0).is_err());
        assert!(Multisets::new(256, 2).is_err());
    }
}
