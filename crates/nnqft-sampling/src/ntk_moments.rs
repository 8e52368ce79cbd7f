//! A work item's running sums of the sampled NTK's moments (for [`crate::NtkEnsemble`]): per net
//! the values of `Θ_pq` and `G2_pq = f_p f_q` and, measuring fluctuations, the products
//! `Θ_pq Θ_rs` and `Θ_pq f_r f_s`, added by plain additions within a batch of [`MOMENT_BATCH`]
//! nets and by Neumaier's compensated addition from batch to batch.

/// Nets whose values are added by plain additions before one compensated addition of their sum
/// ([`MomentSums`]).
pub(crate) const MOMENT_BATCH: usize = 32;

/// The sums over a work item's nets of the NTK's moments, over `P` `(output, point)` pairs.
///
/// **Layout.** `Θ` is symmetric bit for bit (`TangentScratch::tangent` copies its upper
/// triangle) and so is `f_p f_q` (a product of two doubles does not depend on their order), so
/// only the `U = P (P + 1) / 2` canonical pairs `p <= q` are summed, `k(p, q)` in row-major order
/// of the upper triangle. Per net `t_k = Θ_pq` and `g_k = f_p f_q` are gathered, and the running
/// sums are one contiguous row
///
/// ```text
/// [ t_k (U) | g_k (U) | t_k t_l, k <= l (U (U + 1) / 2, packed by rows) | t_k g_l (U x U) ],
/// ```
///
/// the last two only when measuring fluctuations, so that every addition of a net and every
/// compensated addition of a batch runs over contiguous memory and vectorises. [`Self::finish`]
/// copies each sum to every position of the full `P x P` (`P⁴` for the products, index
/// `((p P + q) P + r) P + s`) layout whose term it is: `Θ_pq Θ_rs` is the same number at
/// `(p, q, r, s)`, `(q, p, r, s)`, `(p, q, s, r)` and `(r, s, p, q)`, and `Θ_pq (f_r f_s)` at
/// `(p, q, r, s)`, `(q, p, r, s)`, `(p, q, s, r)`: the sums over every position, bit for bit, for
/// `U (U + 1) / 2` and `U²` of the `P⁴` additions each (231 and 441 of 1296 at `P = 6`).
///
/// **Accuracy.** The terms `x_1, ..., x_N` (the rounded products above) of one position are added
/// in net order, `B =` [`MOMENT_BATCH`] at a time by plain additions, each batch's sum `b_j` then
/// into a compensated sum (Neumaier, ZAMM 54 (1974) 39), which is rounded once at the end. A
/// recursive sum of `B` terms is within `γ_(B−1) Σ|x_k| < B u Σ|x_k|` of their exact sum
/// (`u = 2⁻⁵³`, `γ_k = k u / (1 − k u)`; Higham, *Accuracy and Stability of Numerical
/// Algorithms*, 2nd ed. 2002, eq. (4.4)), the compensated sum of the `N / B` batch sums within
/// `(2u + O((N / B) u²)) Σ|b_j|` of theirs (ibid., section 4.3), and the last rounding adds
/// `u |S|`, so a work item's sum is within
///
/// ```text
/// |Ŝ − S| <= (B + 4) u Σ_k |x_k|
/// ```
///
/// of the exact sum `S` of its `N <= 4096` terms (`O((N / B) u²) = O(128 u²)` is far below the
/// slack of `u`). That is `36 u Σ|x_k| ≈ 4e-15 Σ|x_k|`, at rounding level and orders of magnitude
/// below the statistical error of the sum, about `σ √N` against `36 u N E|x|`; a plain running sum
/// over the item's nets would be bounded by `(N − 1) u Σ|x_k|`, 4095 u. A unit test holds every sum to this bound against a
/// double-double reference. Compensating every net's addition instead (`2u` per sum) costs a
/// compare, a branch and four dependent additions per term and net: at one hidden layer of 20
/// tanh neurons on six points that was about 60% of a net's time with the fluctuations.
#[derive(Debug, Clone)]
pub(crate) struct MomentSums {
    pairs: usize,
    /// `U = P (P + 1) / 2`.
    upper: usize,
    fluctuations: bool,
    /// One net's `t_k` and `g_k`.
    theta: Vec<f64>,
    g2: Vec<f64>,
    /// The plain sums of the current batch, in the layout of the type docs.
    batch: Vec<f64>,
    /// Nets in the current batch.
    filled: usize,
    /// The compensated sums of the batches done and their compensations.
    sums: Vec<f64>,
    comps: Vec<f64>,
}

impl MomentSums {
    /// Empty sums over `pairs` `(output, point)` pairs, with the products when `fluctuations`.
    pub(crate) fn new(pairs: usize, fluctuations: bool) -> Self {
        let len = Self::len(pairs, fluctuations);
        let upper = pairs * (pairs + 1) / 2;
        Self {
            pairs,
            upper,
            fluctuations,
            theta: vec![0.0; upper],
            g2: vec![0.0; upper],
            batch: vec![0.0; len],
            filled: 0,
            sums: vec![0.0; len],
            comps: vec![0.0; len],
        }
    }

    /// Values in one row of running sums: `2U`, plus `U (U + 1) / 2 + U²` with fluctuations.
    pub(crate) fn len(pairs: usize, fluctuations: bool) -> usize {
        let upper = pairs * (pairs + 1) / 2;
        2 * upper + if fluctuations { upper * (upper + 1) / 2 + upper * upper } else { 0 }
    }

    /// Adds one net's `Θ` (row-major `P x P`, symmetric) and outputs `f` (`P`); folds a full
    /// batch into the compensated sums.
    #[inline(always)]
    pub(crate) fn push(&mut self, theta: &[f64], f: &[f64]) {
        let (pairs, upper) = (self.pairs, self.upper);
        let mut k = 0;
        for p in 0..pairs {
            let row = &theta[p * pairs + p..(p + 1) * pairs];
            let (t, g) = (&mut self.theta[k..k + pairs - p], &mut self.g2[k..k + pairs - p]);
            t.copy_from_slice(row);
            g.iter_mut().zip(&f[p..]).for_each(|(g, fq)| *g = f[p] * fq);
            k += pairs - p;
        }
        let (means, products) = self.batch.split_at_mut(2 * upper);
        let (theta, g2) = (&self.theta, &self.g2);
        means[..upper].iter_mut().zip(theta).for_each(|(s, t)| *s += t);
        means[upper..].iter_mut().zip(g2).for_each(|(s, g)| *s += g);
        if self.fluctuations {
            let (squares, cross) = products.split_at_mut(upper * (upper + 1) / 2);
            let mut start = 0;
            for (x, &t) in theta.iter().enumerate() {
                let row = &mut squares[start..start + upper - x];
                row.iter_mut().zip(&theta[x..]).for_each(|(s, v)| *s += t * v);
                start += upper - x;
                let row = &mut cross[x * upper..(x + 1) * upper];
                row.iter_mut().zip(g2).for_each(|(s, g)| *s += t * g);
            }
        }
        self.filled += 1;
        if self.filled == MOMENT_BATCH {
            self.fold();
        }
    }

    /// Adds the current batch's sums into the compensated sums and empties it.
    #[inline(always)]
    fn fold(&mut self) {
        let running = self.sums.iter_mut().zip(self.comps.iter_mut());
        for ((sum, comp), b) in running.zip(self.batch.iter_mut()) {
            compensated_add(sum, comp, *b);
            *b = 0.0;
        }
        self.filled = 0;
    }

    /// The sums over every net pushed: `[Θ, G2, Θ Θ, Θ f f]`, the first two `P x P` row-major,
    /// the products `P⁴` at `((p P + q) P + r) P + s` (empty without fluctuations).
    pub(crate) fn finish(mut self) -> [Vec<f64>; 4] {
        if self.filled > 0 {
            self.fold();
        }
        let (pairs, upper) = (self.pairs, self.upper);
        let total: Vec<f64> = self.sums.iter().zip(&self.comps).map(|(s, c)| s + c).collect();
        let square = pairs * pairs;
        // the canonical index k(min(p, q), max(p, q)) of every position p P + q
        let canonical: Vec<usize> = (0..square)
            .map(|x| {
                let (p, q) = (x / pairs, x % pairs);
                triangle_index(pairs, p.min(q), p.max(q))
            })
            .collect();
        let ntk = canonical.iter().map(|&k| total[k]).collect();
        let g2 = canonical.iter().map(|&k| total[upper + k]).collect();
        let (mut squares, mut cross) = (Vec::new(), Vec::new());
        if self.fluctuations {
            let (at_squares, at_cross) = (2 * upper, 2 * upper + upper * (upper + 1) / 2);
            squares.reserve(square * square);
            cross.reserve(square * square);
            for &kx in &canonical {
                for &ky in &canonical {
                    squares.push(total[at_squares + triangle_index(upper, kx.min(ky), kx.max(ky))]);
                    cross.push(total[at_cross + kx * upper + ky]);
                }
            }
        }
        [ntk, g2, squares, cross]
    }
}

/// The index of `(a, b)`, `a <= b < n`, in the upper triangle of an `n x n` matrix packed by
/// rows: `a n − a (a − 1) / 2 + (b − a)`.
#[inline(always)]
fn triangle_index(n: usize, a: usize, b: usize) -> usize {
    a * (2 * n + 1 - a) / 2 + (b - a)
}

/// One step of Neumaier's compensated sum: `sum += v`, the lost low-order part into `comp`.
#[inline(always)]
fn compensated_add(sum: &mut f64, comp: &mut f64, v: f64) {
    let t = *sum + v;
    *comp += if sum.abs() >= v.abs() { (*sum - t) + v } else { (v - t) + *sum };
    *sum = t;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triangle_index_counts_the_upper_triangle_by_rows() {
        for n in 1..8 {
            let mut k = 0;
            for a in 0..n {
                for b in a..n {
                    assert_eq!(triangle_index(n, a, b), k);
                    k += 1;
                }
            }
            assert_eq!(k, n * (n + 1) / 2);
        }
    }

    /// One large term `L = 2⁶⁰` (spacing 256 there), then 4095 small ones `s` (3 for `Θ`, 2.25
    /// for `G2`, with `f = 1.5`), each and each batch's sum of 32 below half the spacing: a
    /// plain running sum loses every later term (`4095 s`), and so would plain sums of the
    /// batches, beyond the bound `(B + 4) u Σ|x|` (4608 here); the batches lose only the 31
    /// small terms that share the large term's batch, and the compensated sum keeps every later
    /// batch's sum.
    #[test]
    fn a_large_first_term_does_not_swallow_the_later_batches() {
        let (large, nets) = (2f64.powi(60), 4096);
        let later = (nets - 1) as f64;
        let bound = |s: f64| (MOMENT_BATCH as f64 + 4.0) * f64::EPSILON / 2.0 * (large + later * s);
        // `got − L` is exact (Sterbenz) for `got` within a factor 2 of `L`, and so is `4095 s`
        let error = |got: f64, s: f64| ((got - large) - later * s).abs();
        let (mut plain, mut plain_batches, mut batch) = (0.0, 0.0, 0.0);
        let mut sums = MomentSums::new(1, true);
        for k in 0..nets {
            let (theta, f) = if k == 0 { (large, large.sqrt()) } else { (3.0, 1.5) };
            sums.push(&[theta], &[f]);
            plain += theta;
            batch += theta;
            if (k + 1) % MOMENT_BATCH == 0 {
                plain_batches += batch;
                batch = 0.0;
            }
        }
        let [ntk, g2, _, cross] = sums.finish();
        for (what, sum) in [("a plain running sum", plain), ("plain sums of the batches", plain_batches)] {
            assert!(error(sum, 3.0) > bound(3.0), "{what} would pass: the test cannot fail");
        }
        for (what, got, s) in [("Θ", ntk[0], 3.0), ("G2", g2[0], 2.25)] {
            assert!(error(got, s) <= bound(s), "{what}: {got} vs 2⁶⁰ + {later} x {s}, bound {}", bound(s));
            assert!(error(got, s) <= (MOMENT_BATCH - 1) as f64 * s, "{what}: {got} vs 2⁶⁰ + {later} x {s}");
        }
        assert!(cross[0] > 0.0);
    }
}
