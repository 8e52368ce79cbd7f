//! Several products of `φ`, `φ'` and `φ''` on the same distinct points by one nested quadrature
//! whose nodes they all share.
//!
//! The NTK's finite-width recursions need, per layer, `⟨φ'_a φ'_b φ_c φ_d⟩_K` for every pair of
//! pairs and `⟨φ'_a φ'_b φ'_c φ'_d⟩_K` for every quadruple: on six points 567 four-point
//! expectations, most of them on four distinct points, and the 15 sets of four distinct points
//! carry seven products each (which two points carry `φ'`, and all four). One at a time, each
//! product is its own nested quadrature; here the products on one set of distinct points go
//! through one: the covariance, its Cholesky factor (points in the order [`quiet_first`] picks), the nodes of
//! every level and the activation's `φ, φ', φ''` at each node (one `tanh`, or one `Φ` and `ϕ`
//! for gelu) are shared, and each product only multiplies its own powers of them:
//!
//! ```text
//! E_s = ⟨∏_a φ(z_a)^(p_sa) φ'(z_a)^(q_sa) φ''(z_a)^(r_sa)⟩_K,   z = L u,   K = L Lᵀ,
//! E_s ≈ Σ_(u_1) w(u_1) g_s1(z_1) Σ_(u_2) w(u_2) g_s2(z_2) ... ,
//! ```
//!
//! the same rule as [`super::expect`] (coarse and fine resolutions for the number of levels,
//! the fine one pruned from three levels on, the error `|fine − coarse|`), and the same
//! innermost tables from three levels on, one pair per distinct innermost factor. Smooth
//! activations only (no kink, no closed-form innermost level): relu, linear and the Gauss-net
//! keep their closed forms in [`super::mixed_moment`].

use super::{
    Estimate, FAST_LEVELS, InnerTable, MAX_FACTORS, Rule, T_MAX, TABLE_MAX_POINTS, TABLE_SPACING, cholesky, ipow,
};
use crate::deep_activation::{DeepActivation, gelu_with_derivatives};
use crate::error::Result;
use crate::monitor::{Monitor, parallel_map};
use std::collections::BTreeMap;

/// The powers `(p, q, r)` of `φ`, `φ'`, `φ''` at one point of a product.
pub(crate) type Powers = [u32; 3];

/// Whether [`expectations`] takes `act`: smooth, without closed forms at the innermost level.
pub(crate) fn shares_nodes(act: DeepActivation) -> bool {
    !matches!(act, DeepActivation::Relu | DeepActivation::Linear | DeepActivation::Gauss)
}

/// `E_s` of the module docs for every product `s` of `products` (each one [`Powers`] per point
/// of `points`, in that order), `K` the row-major `m x m` covariance of all points, `points`
/// distinct and at most [`MAX_FACTORS`]; `act` one that [`shares_nodes`].
pub(crate) fn expectations(
    act: DeepActivation,
    kernel: &[f64],
    m: usize,
    points: &[usize],
    products: &[Vec<Powers>],
) -> Vec<Estimate> {
    let k = points.len();
    debug_assert!(k <= MAX_FACTORS && shares_nodes(act) && products.iter().all(|s| s.len() == k));
    // the levels in the order of least variance given the levels before (module docs)
    let order = quiet_first(kernel, m, points);
    let points: Vec<usize> = order.iter().map(|&i| points[i]).collect();
    let products: Vec<Vec<Powers>> = products.iter().map(|s| order.iter().map(|&i| s[i]).collect()).collect();
    let cov: Vec<f64> = (0..k * k).map(|x| kernel[points[x / k] * m + points[x % k]]).collect();
    let chol = cholesky(&cov, k);
    let levels = (0..k).filter(|&j| chol[j * k + j] > 0.0).count();
    // per level, the distinct powers of its point and which one each product takes
    let mut kinds: Vec<Vec<Powers>> = vec![Vec::new(); k];
    let mut kind_of: Vec<Vec<usize>> = vec![Vec::with_capacity(products.len()); k];
    for s in &products {
        for (j, pw) in s.iter().enumerate() {
            let at = kinds[j].iter().position(|x| x == pw).unwrap_or_else(|| {
                kinds[j].push(*pw);
                kinds[j].len() - 1
            });
            kind_of[j].push(at);
        }
    }
    let nested = |rule: &Rule, fast: bool, step: f64| -> Vec<f64> {
        // the innermost level tabulated under two or more others, one table per distinct factor
        let sigma = if k > 0 { chol[(k - 1) * k + k - 1] } else { 0.0 };
        let tables: Option<Vec<InnerTable>> = (levels >= 3 && sigma > 0.0)
            .then(|| {
                let reach = T_MAX * chol[(k - 1) * k..k * k - 1].iter().map(|l| l.abs()).sum::<f64>();
                inner_tables(act, &kinds[k - 1], sigma, reach, step, rule)
            })
            .flatten();
        let shared = Shared { act, chol: &chol, k, rule, fast, kinds: &kinds, kind_of: &kind_of, tables };
        let mut scratch = Scratch {
            sums: vec![vec![0.0; products.len()]; k + 1],
            factors: kinds.iter().map(|level| vec![0.0; level.len()]).collect(),
        };
        let mut u = [0.0; MAX_FACTORS];
        shared.level(0, &mut u, &mut scratch);
        std::mem::take(&mut scratch.sums[0])
    };
    if levels == 0 {
        return nested(&Rule::new(1), false, TABLE_SPACING).into_iter().map(Estimate::exact).collect();
    }
    let (coarse, fine) = Rule::pair(levels);
    let fast = levels >= FAST_LEVELS;
    let c = nested(&coarse, fast, 2.0 * TABLE_SPACING);
    let f = nested(&fine, fast, TABLE_SPACING);
    f.into_iter().zip(c).map(|(f, c)| Estimate { value: f, error: (f - c).abs() }).collect()
}

/// The positions of `points` in the order the nested quadrature takes them: each next the one of
/// least variance given those before (a Cholesky factorisation pivoted on the smallest
/// remaining diagonal; ties to the earlier point). The order changes the quadrature's error, not
/// its value: the largest variance first puts the widest spread of means under every inner
/// level, and on a smooth kernel (`K_ab = 0.3 + x_a x_b + ½ e^{−(x_a − x_b)²}` at `x = −1, −0.4,
/// 0.3, 0.9`) took `⟨φ'_1 φ'_2 φ_3 φ_4⟩` for tanh from an estimated error of 8e-6 (this order)
/// to 1.6e-4 (the points ascending, the largest first).
fn quiet_first(kernel: &[f64], m: usize, points: &[usize]) -> Vec<usize> {
    let k = points.len();
    let mut residual: Vec<f64> = (0..k * k).map(|x| kernel[points[x / k] * m + points[x % k]]).collect();
    let mut left: Vec<usize> = (0..k).collect();
    let mut order = Vec::with_capacity(k);
    while !left.is_empty() {
        let mut at = 0;
        for (i, &x) in left.iter().enumerate() {
            if residual[x * k + x] < residual[left[at] * k + left[at]] {
                at = i;
            }
        }
        let a = left.remove(at);
        order.push(a);
        let pivot = residual[a * k + a];
        if pivot > 0.0 {
            for &b in &left {
                for &c in &left {
                    residual[b * k + c] -= residual[b * k + a] * residual[a * k + c] / pivot;
                }
            }
        }
    }
    order
}

/// The innermost tables of the distinct factors `kinds` of the last level (each `φ^p φ'^q φ''^r`):
/// `InnerTable::new` of each factor as a `Mixed` factor (evaluated exactly: `Mixed` has no
/// faster formula), built in one pass that evaluates `φ, φ', φ''` once per node for all of them
/// and forms each factor's sums as `Rule::sum` forms them for it alone (per piece, then over the
/// pieces), so the same tables, bit for bit.
fn inner_tables(
    act: DeepActivation,
    kinds: &[Powers],
    sigma: f64,
    reach: f64,
    step: f64,
    rule: &Rule,
) -> Option<Vec<InnerTable>> {
    let points = (2.0 * reach / step).ceil() as usize + 4;
    if points > TABLE_MAX_POINTS {
        return None;
    }
    let lo = -reach - step;
    let n = kinds.len();
    let width = rule.nodes.iter().map(Vec::len).max().unwrap_or(0);
    // per node of the current piece, every factor's value (node-major)
    let mut at_nodes = vec![0.0; width * n];
    let mut total = vec![0.0; n];
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(points); n];
    for i in 0..points {
        let mu = lo + step * i as f64;
        total.fill(0.0);
        for piece in &rule.nodes[rule.skip..rule.pieces - rule.skip] {
            for (t, &(x, _)) in piece.iter().enumerate() {
                let d = derivatives(act, mu + sigma * x, false);
                for (v, &[p, q, r]) in at_nodes[t * n..(t + 1) * n].iter_mut().zip(kinds) {
                    *v = ipow(d[0], p) * ipow(d[1], q) * ipow(d[2], r);
                }
            }
            for (s, sum) in total.iter_mut().enumerate() {
                *sum += piece.iter().enumerate().map(|(t, &(_, c))| c * at_nodes[t * n + s]).sum::<f64>();
            }
        }
        for (v, &sum) in values.iter_mut().zip(&total) {
            v.push(sum);
        }
    }
    Some(values.into_iter().map(|values| InnerTable { lo, step, values }).collect())
}

/// `φ, φ', φ''` at `z` from one evaluation of the activation (tanh by [`super::fast_tanh`] when
/// `fast`): the same bits as [`DeepActivation::phi`] and [`DeepActivation::derivatives`] (and the
/// `Mixed` factor's) otherwise.
#[inline]
fn derivatives(act: DeepActivation, z: f64, fast: bool) -> [f64; 3] {
    match act {
        DeepActivation::Gelu => {
            let (v, d1, d2) = gelu_with_derivatives(z);
            [v, d1, d2]
        }
        DeepActivation::Tanh => {
            let t = if fast { super::fast_tanh(z) } else { z.tanh() };
            let d1 = 1.0 - t * t;
            [t, d1, -2.0 * t * d1]
        }
        a => {
            let (d1, d2) = a.derivatives(z).unwrap_or((f64::NAN, f64::NAN));
            [a.phi(z).unwrap_or(f64::NAN), d1, d2]
        }
    }
}

/// The working memory of one nested sum, allocated once per resolution: per level, every
/// product's partial sum (`sums[k]` the empty product, 1) and the level's distinct factors at
/// the current node.
struct Scratch {
    sums: Vec<Vec<f64>>,
    factors: Vec<Vec<f64>>,
}

/// One resolution's nested sum over every product at once.
struct Shared<'a> {
    act: DeepActivation,
    chol: &'a [f64],
    k: usize,
    rule: &'a Rule,
    fast: bool,
    kinds: &'a [Vec<Powers>],
    kind_of: &'a [Vec<usize>],
    /// The innermost level's tables, one per distinct innermost factor, if tabulated.
    tables: Option<Vec<InnerTable>>,
}

impl Shared<'_> {
    /// The values of level `j`'s distinct factors at `z`.
    #[inline]
    fn factors(&self, j: usize, z: f64, out: &mut [f64]) {
        let d = derivatives(self.act, z, self.fast);
        for (o, &[p, q, r]) in out.iter_mut().zip(&self.kinds[j]) {
            *o = ipow(d[0], p) * ipow(d[1], q) * ipow(d[2], r);
        }
    }

    /// Levels `j..k` for every product, into `scratch.sums[j]` (the deeper levels' memory its
    /// scratch; level `j`'s factors stay in `scratch.factors[j]` across the deeper calls).
    fn level(&self, j: usize, u: &mut [f64; MAX_FACTORS], scratch: &mut Scratch) {
        let k = self.k;
        if j == k {
            scratch.sums[j].fill(1.0);
            return;
        }
        let row = &self.chol[j * k..(j + 1) * k];
        let mu: f64 = (0..j).map(|i| row[i] * u[i]).sum();
        let sigma = row[j];
        let kind_of = &self.kind_of[j];
        // `sums[j] (op)= w g[c] sums[j + 1]` per product, `g` level j's factors
        let combine = |scratch: &mut Scratch, w: Option<f64>| {
            let (here, below) = scratch.sums.split_at_mut(j + 1);
            let g = &scratch.factors[j];
            for ((o, &c), inner) in here[j].iter_mut().zip(kind_of).zip(&below[0]) {
                match w {
                    Some(w) => *o += w * g[c] * inner,
                    None => *o = g[c] * inner,
                }
            }
        };
        if sigma == 0.0 {
            // fixed by the outer levels
            u[j] = 0.0;
            self.factors(j, mu, &mut scratch.factors[j]);
            self.level(j + 1, u, scratch);
            combine(scratch, None);
            return;
        }
        if j + 1 == k
            && let Some(tables) = &self.tables
        {
            // every table on the same grid: one set of weights, each distinct factor's table
            // read once (into the level's factor slots, unused here), then copied per product
            if let Some(first) = tables.first() {
                let (i, w) = first.weights(mu);
                for (v, table) in scratch.factors[j].iter_mut().zip(tables) {
                    *v = table.combine(i, &w);
                }
            }
            let g = &scratch.factors[j];
            for (o, &c) in scratch.sums[j].iter_mut().zip(kind_of) {
                *o = g[c];
            }
            return;
        }
        scratch.sums[j].fill(0.0);
        for piece in &self.rule.nodes[self.rule.skip..self.rule.pieces - self.rule.skip] {
            for &(x, w) in piece {
                self.factors(j, mu + sigma * x, &mut scratch.factors[j]);
                u[j] = x;
                self.level(j + 1, u, scratch);
                combine(scratch, Some(w));
            }
        }
    }
}

/// The items of one group of [`mixed_moments`]: each item's position and its powers per point.
type Members = Vec<(usize, Vec<Powers>)>;

/// [`super::mixed_moment`] of every `(values, slopes)` of `items` on the covariance `kernel`
/// (row-major `m x m`): the items with a slope grouped by their distinct points, each group by
/// one call of [`expectations`] when the activation [`shares_nodes`], the rest one by one;
/// the groups spread over threads by [`parallel_map`] under `monitor`. The same numbers for any
/// thread count.
pub(crate) fn mixed_moments(
    act: DeepActivation,
    kernel: &[f64],
    m: usize,
    items: &[(Vec<usize>, Vec<usize>)],
    monitor: &dyn Monitor,
) -> Result<Vec<Estimate>> {
    if !shares_nodes(act) {
        return parallel_map(items.len(), monitor, |i| super::mixed_moment(act, kernel, m, &items[i].0, &items[i].1));
    }
    // group by distinct points (ascending), each item with its powers per point
    let mut groups: BTreeMap<Vec<usize>, Members> = BTreeMap::new();
    let mut alone: Vec<usize> = Vec::new();
    for (i, (values, slopes)) in items.iter().enumerate() {
        if slopes.is_empty() {
            alone.push(i);
            continue;
        }
        let mut points: Vec<usize> = values.iter().chain(slopes).copied().collect();
        points.sort_unstable();
        points.dedup();
        let powers = points
            .iter()
            .map(|p| {
                let count = |list: &[usize]| list.iter().filter(|&&x| x == *p).count() as u32;
                [count(values), count(slopes), 0]
            })
            .collect();
        groups.entry(points).or_default().push((i, powers));
    }
    // the largest integrals first, so that striding over the threads balances them
    let mut groups: Vec<(Vec<usize>, Members)> = groups.into_iter().collect();
    groups.sort_by_key(|(points, members)| std::cmp::Reverse((points.len(), members.len())));
    let done = parallel_map(groups.len() + alone.len(), monitor, |g| {
        if g < groups.len() {
            let (points, members) = &groups[g];
            let products: Vec<Vec<Powers>> = members.iter().map(|(_, p)| p.clone()).collect();
            expectations(act, kernel, m, points, &products)
        } else {
            let (values, slopes) = &items[alone[g - groups.len()]];
            vec![super::mixed_moment(act, kernel, m, values, slopes)]
        }
    })?;
    let mut out = vec![Estimate::default(); items.len()];
    let order = groups.iter().flat_map(|(_, members)| members.iter().map(|(i, _)| *i)).chain(alone.iter().copied());
    for (i, e) in order.zip(done.into_iter().flatten()) {
        out[i] = e;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::Mixed;
    use super::*;

    /// The one-pass tables of several factors are each factor's own table bit for bit, on both
    /// resolutions' rules (the fine one pruned), for the activations that share nodes; and a
    /// table read through its weights is the one cubic expression over `t` it stands for.
    #[test]
    fn one_pass_tables_equal_each_factor_table_bit_for_bit() {
        let kinds: [Powers; 5] = [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 2, 0], [2, 0, 1]];
        let (coarse, fine) = Rule::pair(4);
        use DeepActivation::*;
        for act in [Tanh, Gelu, Silu, Sin, Erf] {
            for (rule, step) in [(&coarse, 2.0 * TABLE_SPACING), (&fine, TABLE_SPACING)] {
                let (sigma, reach) = (0.37, 3.1);
                let shared = inner_tables(act, &kinds, sigma, reach, step, rule).unwrap();
                for (&[p, q, r], table) in kinds.iter().zip(&shared) {
                    let alone = InnerTable::new(&Mixed { act, p, q, r }, sigma, reach, step, rule, true).unwrap();
                    assert_eq!((table.lo, table.step), (alone.lo, alone.step));
                    let bits = |t: &InnerTable| t.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(table), bits(&alone), "{act:?} {:?}", [p, q, r]);
                    for i in 0..200 {
                        let mu = -reach + 0.0313 * i as f64;
                        let x = (mu - table.lo) / table.step;
                        let at = (x.floor() as usize).clamp(1, table.values.len() - 3);
                        let (t, f) = (x - at as f64, &table.values[at - 1..at + 3]);
                        let cubic = -t * (t - 1.0) * (t - 2.0) / 6.0 * f[0]
                            + (t + 1.0) * (t - 1.0) * (t - 2.0) / 2.0 * f[1]
                            - (t + 1.0) * t * (t - 2.0) / 2.0 * f[2]
                            + (t + 1.0) * t * (t - 1.0) / 6.0 * f[3];
                        assert_eq!(table.eval(mu).to_bits(), cubic.to_bits(), "{act:?} at {mu}");
                    }
                }
            }
        }
    }

    /// A covariance of five points: a smooth kernel `K_ab = 0.3 + x_a x_b + 0.5 e^(−(x_a − x_b)²)`
    /// on `x = −1, −0.4, 0.3, 0.9`, and a fifth point equal to the third (a level the outer
    /// levels fix: semi-definite).
    fn kernel() -> (Vec<f64>, usize) {
        let x: [f64; 5] = [-1.0, -0.4, 0.3, 0.9, 0.3];
        let m = x.len();
        let k = (0..m * m)
            .map(|i| {
                let (a, b) = (x[i / m], x[i % m]);
                0.3 + a * b + 0.5 * (-(a - b) * (a - b)).exp()
            })
            .collect();
        (k, m)
    }

    /// Every product through the shared nodes equals its own nested quadrature
    /// ([`super::super::mixed_moment`], points in first-seen order, so a different Cholesky
    /// ordering) within the two error estimates and rounding, for four smooth activations, on
    /// four, three, two and one distinct points and on the degenerate fifth point, with an
    /// estimated error at most `ERROR_RATIO` times the one-at-a-time one's; items
    /// without a slope go their own way; the results come back in the items' order.
    #[test]
    fn shared_nodes_agree_with_one_product_at_a_time() {
        const ROUNDING: f64 = 1e-13;
        // the shared order's error estimate against the first-seen order's (1.8 at most here)
        const ERROR_RATIO: f64 = 4.0;
        let (k, m) = kernel();
        let items: Vec<(Vec<usize>, Vec<usize>)> = vec![
            (vec![2, 3], vec![0, 1]),
            (vec![0, 1], vec![2, 3]),
            (vec![0, 2], vec![1, 3]),
            (vec![], vec![0, 1, 2, 3]),
            (vec![0, 0], vec![1, 2]),
            (vec![0, 1], vec![0, 1]),
            (vec![1, 2], vec![]),
            (vec![3, 3], vec![3, 3]),
            (vec![2, 4], vec![1, 4]),
            (vec![], vec![2, 4, 4, 1]),
        ];
        for act in [DeepActivation::Tanh, DeepActivation::Gelu, DeepActivation::Erf, DeepActivation::Sin] {
            let shared = mixed_moments(act, &k, m, &items, &()).unwrap();
            for ((values, slopes), s) in items.iter().zip(&shared) {
                let alone = super::super::mixed_moment(act, &k, m, values, slopes);
                let gap = (s.value - alone.value).abs();
                let allowed = s.error + alone.error + ROUNDING * alone.value.abs().max(1.0);
                assert!(gap <= allowed, "{act:?} {values:?} {slopes:?}: {s:?} vs {alone:?}");
                assert!(
                    s.error <= ERROR_RATIO * alone.error + ROUNDING * alone.value.abs().max(1.0),
                    "{act:?} {values:?} {slopes:?}: {s:?} alone {alone:?}"
                );
            }
        }
        // relu keeps its closed forms: the same numbers as one at a time, bit for bit
        let relu = mixed_moments(DeepActivation::Relu, &k, m, &items, &()).unwrap();
        for ((values, slopes), r) in items.iter().zip(&relu) {
            assert_eq!(*r, super::super::mixed_moment(DeepActivation::Relu, &k, m, values, slopes));
        }
    }
}
