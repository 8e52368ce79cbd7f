//! The action of an ensemble on a finite point set, reconstructed order by order from its
//! two-point function and connected four- and six-point functions (the Edgeworth expansion).

use crate::error::{Result, TheoryError};
use crate::multiset::Multisets;

/// Largest condition number of the two-point matrix `G2` on the points that
/// [`Action::reconstruct`] accepts. Every coupling is a connected correlator with `G2⁻¹` on
/// each leg, so the inverse's relative rounding error (about `cond · 2⁻⁵³`, `1e-6` at this
/// limit) reaches the couplings; beyond it the points are too close (or coincide) for the
/// action to mean anything in double precision.
pub const ACTION_MAX_CONDITION: f64 = 1e10;

/// Most points of an action at order `1/N²`: its sextic coupling is built from dense
/// six-index tensors (`k⁶` values, 8 MB at 10 points).
pub const ACTION_SECOND_ORDER_MAX_POINTS: usize = 10;

/// Most points of an action at order `1/N` (dense four-index tensors, `k⁴` values).
pub const ACTION_FIRST_ORDER_MAX_POINTS: usize = 64;

/// The order in the expansion parameter (`1/N` for width-`N` networks) to which an action is
/// kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionOrder {
    /// Order `1/N`: the quartic coupling and the quadratic term's first correction; needs
    /// `G2` and the connected four-point function.
    First,
    /// Order `1/N²`: adds the sextic coupling and the second corrections to the quadratic and
    /// quartic couplings; needs the connected six-point function too.
    Second,
}

impl ActionOrder {
    /// The order a front door asked for (`Some(1)` first, any other power second; the front
    /// doors accept only 1 and 2), or without a request the highest available: second where
    /// `second_available`, else first.
    pub fn chosen(requested: Option<u64>, second_available: bool) -> Self {
        match requested {
            Some(1) => ActionOrder::First,
            Some(_) => ActionOrder::Second,
            None if second_available => ActionOrder::Second,
            None => ActionOrder::First,
        }
    }

    /// The power of `1/N`: 1 or 2.
    pub fn power(self) -> usize {
        match self {
            ActionOrder::First => 1,
            ActionOrder::Second => 2,
        }
    }
}

/// The action `S(f) = −log p(f) + const` of an ensemble's outputs `f = (f(x_1), ..., f(x_k))`
/// on `k` points, reconstructed from its two-point function `G2` and connected correlators
/// `κ4 ~ 1/N`, `κ6 ~ 1/N²` (Demirtas, Halverson, Maiti, Schwartz, Stoner, arXiv:2307.03223,
/// section 3: a Feynman-diagram prescription whose vertices are the connected correlators).
///
/// # Convention
///
/// ```text
/// S(f) = Σ_{n = 2, 4, 6} (1/n!) Σ_{i_1 ... i_n} s_n[i_1 ... i_n] f_{i_1} ... f_{i_n} + const,
/// ```
///
/// the sum over ordered index tuples and every `s_n` fully symmetric; the coupling of a
/// multiset of points is the tensor element `s_n` there (what the `coupling` column of the
/// action tables holds). The Gaussian process is `s_2 = G2⁻¹`, `s_4 = s_6 = 0`. A local
/// quartic term `∫ λ_phys f(x)⁴` is `s_4 = 24 λ_phys δ(x_1 = ... = x_4)`; the paper's Table 5
/// reports `λ = −λ_phys` (its couplings are fitted as `ΔG4 = λ T0 + ...`), so positive Table 5
/// couplings are negative quartic couplings here.
///
/// # Derivation
///
/// Write `P = G2⁻¹` and amputate every connected correlator, putting `P` on each leg:
/// `A4 = κ4 ∘ P⁴`, `A6 = κ6 ∘ P⁶` (`A4_{abcd} = Σ κ4_{ijkl} P_{ia} P_{jb} P_{kc} P_{ld}`).
/// The Edgeworth series writes the density as the Gaussian `p_G(f) ∝ exp(−½ fᵀ P f)` times
/// Hermite tensors `H_I(f) = e^{½ fᵀPf} (−∂)_I e^{−½ fᵀPf}` (each a sum over partial
/// pairings of the indices `I` with `−P` per pair and `(Pf)_i` per unpaired index):
///
/// ```text
/// p = p_G [1 + κ4·H4/4! + κ6·H6/6! + ½ (κ4 κ4)·H8/(4!)² + O(1/N³)],
/// S = S_G − κ4·H4/4! − κ6·H6/6! − (κ4 κ4)·(H8 − H4 H4)/(2 (4!)²) + O(1/N³),
/// ```
///
/// taking the logarithm to second order. `H8 − H4 H4` keeps only the pairings that join the
/// two vertices, and with the legs amputated every pair becomes one `G2`: the propagator
/// between two vertices, or a loop on one. Counting the pairings of each shape
/// (16, 72 and 96, 96 and 144 and 144) gives, with `Σ_splits` the sum over the distinct ways
/// to deal the free indices to the two vertices:
///
/// ```text
/// s_2 = P + ½ (A4 G2)
///         − ⅛ (A6 G2 G2) + ⅙ Z3 + ¼ Z2 + ¼ Z1                                 [1/N²]
/// s_4 = − A4
///         + ½ (A6 G2) − ½ Σ_{3 splits ab|cd} Y2 − ½ Σ_{4 splits a|bcd} Y1        [1/N²]
/// s_6 = − A6 + Σ_{10 splits abc|def} A4_{abcx} G2_{xy} A4_{ydef}                [1/N²]
/// ```
///
/// where `(A4 G2)_{ab} = Σ A4_{abxy} G2_{xy}` closes two legs into a loop,
/// `Y2 = A4_{abxy} G2_{xx'} G2_{yy'} A4_{x'y'cd}` (two propagators between the vertices),
/// `Y1 = (A4 G2)_{ax} G2_{xy} A4_{ybcd}` (one propagator, a loop on one vertex),
/// `Z3 = A4_{axyz} G2 G2 G2 A4_{x'y'z'b}`, `Z2 = (A4 G2)_{xy} G2_{xx'} G2_{yy'} A4_{x'y'ab}`,
/// `Z1 = (A4 G2) G2 (A4 G2)`. At order `1/N`: `s_4 = −A4` (the paper's quartic vertex: the
/// connected four-point function with an inverse propagator on each leg, negated) and
/// `s_2 = P + ½ (A4 G2)`, whose correction cancels the quartic coupling's tadpole so that the
/// action's two-point function stays `G2`. At order `1/N²` the sextic coupling is the
/// connected six-point function, amputated and negated, plus the exchange of two quartic
/// vertices, as the paper states.
///
/// Closure (tested to rounding): perturbation theory with this action (Wick contractions with
/// `s_2⁻¹`, expanded in the couplings to the order kept) returns `G2`, `κ4` and `κ6`.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    order: ActionOrder,
    multisets: [Multisets; 3],
    couplings: [Vec<f64>; 3],
    first_order: [Vec<f64>; 3],
    gaussian: Vec<f64>,
    condition: f64,
    /// Each multiset's number of orderings, per order (what [`Action::evaluate`] weighs by).
    orderings: [Vec<f64>; 3],
}

impl Action {
    /// Reconstructs the action on `points` points from `g2` (one value per multiset of order
    /// 2, in [`Multisets`] order), the connected four-point function `kappa4` (per multiset of
    /// order 4) and, for order `1/N²`, the connected six-point function `kappa6` (per multiset
    /// of order 6).
    ///
    /// Errors name the field: lengths that do not match the points, values that are not
    /// finite, more points than [`ACTION_FIRST_ORDER_MAX_POINTS`] (or
    /// [`ACTION_SECOND_ORDER_MAX_POINTS`] with `kappa6`), and a `G2` that is not positive
    /// definite or whose condition number exceeds [`ACTION_MAX_CONDITION`].
    pub fn reconstruct(points: usize, g2: &[f64], kappa4: &[f64], kappa6: Option<&[f64]>) -> Result<Self> {
        let order = if kappa6.is_some() { ActionOrder::Second } else { ActionOrder::First };
        let max = match order {
            ActionOrder::First => (ACTION_FIRST_ORDER_MAX_POINTS, "1 to 64 points at order 1/N"),
            ActionOrder::Second => (ACTION_SECOND_ORDER_MAX_POINTS, "1 to 10 points at order 1/N^2 (with kappa6)"),
        };
        if points == 0 || points > max.0 {
            return Err(TheoryError::OutOfRange { field: "points", value: points.to_string(), allowed: max.1 });
        }
        let multisets = [Multisets::new(points, 2)?, Multisets::new(points, 4)?, Multisets::new(points, 6)?];
        check_values("g2", g2, multisets[0].len())?;
        check_values("kappa4", kappa4, multisets[1].len())?;
        if let Some(k6) = kappa6 {
            check_values("kappa6", k6, multisets[2].len())?;
        }
        let k = points;
        let g = DenseTensor::from_multisets(&multisets[0], g2);
        let (p, condition) = inverse_spd(k, &g.v)?;
        let a4 = DenseTensor::from_multisets(&multisets[1], kappa4).on_every_leg(&p);
        let loop4 = a4.close_last_two(&g.v); // (A4 G2)_{ab}
        let gaussian: Vec<f64> = multisets[0].iter().map(|ms| p[ms[0] as usize * k + ms[1] as usize]).collect();
        let s2_first: Vec<f64> = multisets[0].iter().zip(&gaussian).map(|(ms, p)| p + 0.5 * loop4.at(ms)).collect();
        let s4_first: Vec<f64> = multisets[1].iter().map(|ms| -a4.at(ms)).collect();
        let first_order = [s2_first, s4_first, vec![0.0; multisets[2].len()]];
        let couplings = match kappa6 {
            None => first_order.clone(),
            Some(k6) => second_order(k, &multisets, &first_order, (&g.v, &p), &a4, &loop4, k6),
        };
        let orderings = multisets.each_ref().map(|ms| (0..ms.len()).map(|pos| ms.multiplicity(pos) as f64).collect());
        Ok(Self { order, multisets, couplings, first_order, gaussian, condition, orderings })
    }

    /// The order kept: `1/N` without `κ6`, `1/N²` with it.
    pub fn order(&self) -> ActionOrder {
        self.order
    }
    /// Number of points `k`.
    pub fn points(&self) -> usize {
        self.multisets[0].points()
    }
    /// The condition number of `G2` on the points (largest over smallest eigenvalue).
    pub fn condition_number(&self) -> f64 {
        self.condition
    }
    /// The multisets of order `n` (2, 4 or 6) that [`Self::couplings`] is indexed by.
    pub fn multisets(&self, n: usize) -> Result<&Multisets> {
        Ok(&self.multisets[slot(n)?])
    }
    /// The couplings `s_n` (n = 2, 4, 6) per multiset of order `n`, to the order kept (`s_6`
    /// is zero at order `1/N`).
    pub fn couplings(&self, n: usize) -> Result<&[f64]> {
        Ok(&self.couplings[slot(n)?])
    }
    /// The couplings at order `1/N` only (`s_6 = 0`), whatever the order kept.
    pub fn first_order_couplings(&self, n: usize) -> Result<&[f64]> {
        Ok(&self.first_order[slot(n)?])
    }
    /// The Gaussian process's action: `s_2 = G2⁻¹` per multiset of order 2.
    pub fn gaussian_couplings(&self) -> &[f64] {
        &self.gaussian
    }

    /// `S(f)` without its constant, at the order kept: `Σ_n Σ_multisets s_n · mult/n! · Π f`,
    /// with `mult` the multiset's number of orderings. `f` holds one value per point.
    pub fn evaluate(&self, f: &[f64]) -> Result<f64> {
        self.evaluate_couplings(&self.couplings, f)
    }

    /// `S(f)` without its constant at order `1/N` ([`Self::first_order_couplings`]).
    pub fn evaluate_first_order(&self, f: &[f64]) -> Result<f64> {
        self.evaluate_couplings(&self.first_order, f)
    }

    /// `−log p_G(f)` without its constant: `½ fᵀ G2⁻¹ f`.
    pub fn evaluate_gaussian(&self, f: &[f64]) -> Result<f64> {
        self.check_field(f)?;
        Ok(polynomial(&self.multisets[0], &self.orderings[0], &self.gaussian, f))
    }

    fn evaluate_couplings(&self, couplings: &[Vec<f64>; 3], f: &[f64]) -> Result<f64> {
        self.check_field(f)?;
        Ok((0..3).map(|o| polynomial(&self.multisets[o], &self.orderings[o], &couplings[o], f)).sum())
    }

    fn check_field(&self, f: &[f64]) -> Result<()> {
        if f.len() != self.points() {
            return Err(TheoryError::Length { field: "f", found: f.len(), expected: self.points() });
        }
        Ok(())
    }
}

/// `Σ_multisets s · mult/n! · Π_{a in multiset} f_a`: the symmetric form `(1/n!) s·f^n`, with
/// `orderings` each multiset's `mult`.
fn polynomial(ms: &Multisets, orderings: &[f64], s: &[f64], f: &[f64]) -> f64 {
    let n_fact: f64 = (1..=ms.order()).map(|i| i as f64).product();
    ms.iter()
        .enumerate()
        .map(|(pos, m)| s[pos] * orderings[pos] / n_fact * m.iter().map(|&a| f[a as usize]).product::<f64>())
        .sum()
}

/// The slot of order `n` in the per-order arrays.
fn slot(n: usize) -> Result<usize> {
    match n {
        2 => Ok(0),
        4 => Ok(1),
        6 => Ok(2),
        _ => Err(TheoryError::OutOfRange { field: "n", value: n.to_string(), allowed: "2, 4 or 6" }),
    }
}

fn check_values(field: &'static str, values: &[f64], expected: usize) -> Result<()> {
    if values.len() != expected {
        return Err(TheoryError::Length { field, found: values.len(), expected });
    }
    if let Some(v) = values.iter().find(|v| !v.is_finite()) {
        return Err(TheoryError::OutOfRange { field, value: v.to_string(), allowed: "finite values" });
    }
    Ok(())
}

/// The inverse of a symmetric `k x k` matrix (row-major) and its condition number, by its
/// eigendecomposition; refuses matrices that are not positive definite or whose condition
/// number exceeds [`ACTION_MAX_CONDITION`].
fn inverse_spd(k: usize, g: &[f64]) -> Result<(Vec<f64>, f64)> {
    let eigen = nalgebra::DMatrix::from_row_slice(k, k, g).symmetric_eigen();
    let (lo, hi) = eigen.eigenvalues.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    let condition = if lo > 0.0 { hi / lo } else { f64::INFINITY };
    if condition.is_nan() || condition > ACTION_MAX_CONDITION {
        return Err(TheoryError::IllConditioned { field: "g2", condition, limit: ACTION_MAX_CONDITION });
    }
    let v = &eigen.eigenvectors;
    let mut p = vec![0.0; k * k];
    for a in 0..k {
        for b in 0..k {
            p[a * k + b] = (0..k).map(|e| v[(a, e)] * v[(b, e)] / eigen.eigenvalues[e]).sum();
        }
    }
    Ok((p, condition))
}

/// The order-`1/N²` couplings (see [`Action`]'s derivation).
fn second_order(
    k: usize,
    multisets: &[Multisets; 3],
    first: &[Vec<f64>; 3],
    (g, p): (&[f64], &[f64]),
    a4: &DenseTensor,
    loop4: &DenseTensor,
    kappa6: &[f64],
) -> [Vec<f64>; 3] {
    let a6 = DenseTensor::from_multisets(&multisets[2], kappa6).on_every_leg(p);
    let a6_loop = a6.close_last_two(g); // (A6 G2)_{abcd}
    let a6_loop2 = a6_loop.close_last_two(g); // (A6 G2 G2)_{ab}
    // A4 with G2 on its last leg, on its last two legs, and on its last three legs
    let a4_g1 = a4.on_leg(3, g);
    let a4_g2 = a4_g1.on_leg(2, g);
    let a4_g3 = a4_g2.on_leg(1, g);
    // (A4 G2) G2 as a matrix, and G2 (A4 G2) G2
    let loop_g = matmul(k, &loop4.v, g);
    let g_loop_g = matmul(k, g, &loop_g);
    let dot_last =
        |left: &[f64], right_first: &[f64]| -> f64 { left.iter().zip(right_first).map(|(a, b)| a * b).sum() };
    // s_2 corrections
    let s2: Vec<f64> = multisets[0]
        .iter()
        .zip(&first[0])
        .map(|(ms, s)| {
            let (a, b) = (ms[0] as usize, ms[1] as usize);
            let z3 = dot_last(a4_g3.block(&[a]), a4.block(&[b]));
            let z2 = dot_last(&g_loop_g, a4.block(&[a, b]));
            let z1 = dot_last(&loop_g[a * k..(a + 1) * k], &loop4.v[b * k..(b + 1) * k]);
            s - 0.125 * a6_loop2.at(ms) + z3 / 6.0 + 0.25 * z2 + 0.25 * z1
        })
        .collect();
    // s_4 corrections
    let s4: Vec<f64> = multisets[1]
        .iter()
        .zip(&first[1])
        .map(|(ms, s)| {
            let i: [usize; 4] = std::array::from_fn(|j| ms[j] as usize);
            let y2: f64 = [([0, 1], [2, 3]), ([0, 2], [1, 3]), ([0, 3], [1, 2])]
                .iter()
                .map(|(l, r)| dot_last(a4_g2.block(&[i[l[0]], i[l[1]]]), a4.block(&[i[r[0]], i[r[1]]])))
                .sum();
            let y1: f64 = (0..4)
                .map(|a| {
                    let rest: Vec<usize> = (0..4).filter(|&b| b != a).map(|b| i[b]).collect();
                    dot_last(&loop_g[i[a] * k..(i[a] + 1) * k], a4.block(&rest))
                })
                .sum();
            s + 0.5 * a6_loop.at(ms) - 0.5 * y2 - 0.5 * y1
        })
        .collect();
    // s_6
    let s6: Vec<f64> = multisets[2]
        .iter()
        .map(|ms| {
            let i: [usize; 6] = std::array::from_fn(|j| ms[j] as usize);
            let exchange: f64 = SPLITS_3_3
                .iter()
                .map(|(l, r)| {
                    dot_last(a4_g1.block(&[i[l[0]], i[l[1]], i[l[2]]]), a4.block(&[i[r[0]], i[r[1]], i[r[2]]]))
                })
                .sum();
            -a6.at(ms) + exchange
        })
        .collect();
    [s2, s4, s6]
}

/// The 10 ways to deal six slots into two unordered triples (the first triple holds slot 0).
const SPLITS_3_3: [([usize; 3], [usize; 3]); 10] = [
    ([0, 1, 2], [3, 4, 5]),
    ([0, 1, 3], [2, 4, 5]),
    ([0, 1, 4], [2, 3, 5]),
    ([0, 1, 5], [2, 3, 4]),
    ([0, 2, 3], [1, 4, 5]),
    ([0, 2, 4], [1, 3, 5]),
    ([0, 2, 5], [1, 3, 4]),
    ([0, 3, 4], [1, 2, 5]),
    ([0, 3, 5], [1, 2, 4]),
    ([0, 4, 5], [1, 2, 3]),
];

fn matmul(k: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut c = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            c[i * k + j] = (0..k).map(|x| a[i * k + x] * b[x * k + j]).sum();
        }
    }
    c
}

/// A dense tensor of order `n` over `k` points, row-major (`v[i_1 k^{n-1} + ... + i_n]`): the
/// symmetric tensors of the correlators expanded from their multisets, for contractions that
/// act leg by leg (amputation, whitening).
#[derive(Debug, Clone)]
pub struct DenseTensor {
    k: usize,
    n: usize,
    v: Vec<f64>,
}

impl DenseTensor {
    /// The symmetric tensor whose value at every index tuple is its multiset's (`values` one per
    /// multiset of `ms`, in its order).
    pub fn from_multisets(ms: &Multisets, values: &[f64]) -> Self {
        let (k, n) = (ms.points(), ms.order());
        let len = k.pow(n as u32);
        let mut tuple = vec![0usize; n];
        let v = (0..len)
            .map(|flat| {
                let mut r = flat;
                for slot in (0..n).rev() {
                    tuple[slot] = r % k;
                    r /= k;
                }
                ms.position(&tuple).map_or(f64::NAN, |pos| values[pos])
            })
            .collect();
        Self { k, n, v }
    }

    /// The value at a multiset (any index order).
    fn at(&self, indices: &[u8]) -> f64 {
        self.v[indices.iter().fold(0, |acc, &i| acc * self.k + i as usize)]
    }

    /// The contiguous block of the trailing axes at the leading `indices`, flattened; for a
    /// symmetric tensor also the block of the leading axes at trailing `indices`.
    fn block(&self, indices: &[usize]) -> &[f64] {
        let width = self.k.pow((self.n - indices.len()) as u32);
        let start = indices.iter().fold(0, |acc, &i| acc * self.k + i) * width;
        &self.v[start..start + width]
    }

    /// The values, row-major.
    pub fn values(&self) -> &[f64] {
        &self.v
    }

    /// `T'[.., a, ..] = Σ_i m[a, i] T[.., i, ..]` on axis `leg` (`m` row-major `k x k`).
    fn on_leg(&self, leg: usize, m: &[f64]) -> Self {
        let k = self.k;
        let inner = k.pow((self.n - leg - 1) as u32);
        let outer = self.v.len() / (inner * k);
        let mut out = vec![0.0; self.v.len()];
        for o in 0..outer {
            for a in 0..k {
                for i in 0..k {
                    let w = m[a * k + i];
                    let src = &self.v[(o * k + i) * inner..(o * k + i + 1) * inner];
                    let dst = &mut out[(o * k + a) * inner..(o * k + a + 1) * inner];
                    dst.iter_mut().zip(src).for_each(|(d, s)| *d += w * s);
                }
            }
        }
        Self { k, n: self.n, v: out }
    }

    /// `T'_{a_1..a_n} = Σ m[a_1, i_1] ... m[a_n, i_n] T_{i_1..i_n}`: `m` on every axis.
    pub fn on_every_leg(&self, m: &[f64]) -> Self {
        (0..self.n).fold(self.clone(), |t, leg| t.on_leg(leg, m))
    }

    /// `T'[rest] = Σ_{x,y} T[rest, x, y] m[x, y]`: the last two axes closed with `m`.
    fn close_last_two(&self, m: &[f64]) -> Self {
        let kk = self.k * self.k;
        let v = self.v.chunks_exact(kk).map(|block| block.iter().zip(m).map(|(t, w)| t * w).sum()).collect();
        Self { k: self.k, n: self.n - 2, v }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use std::collections::HashMap;

    /// A power series in the expansion parameter ε, truncated after ε².
    type Series = [f64; 3];

    fn mul(a: Series, b: Series) -> Series {
        [a[0] * b[0], a[0] * b[1] + a[1] * b[0], a[0] * b[2] + a[1] * b[1] + a[2] * b[0]]
    }
    fn add(a: Series, b: Series) -> Series {
        [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
    }
    fn scale(a: Series, s: f64) -> Series {
        [a[0] * s, a[1] * s, a[2] * s]
    }
    fn div(a: Series, b: Series) -> Series {
        let q0 = a[0] / b[0];
        let q1 = (a[1] - q0 * b[1]) / b[0];
        let q2 = (a[2] - q0 * b[2] - q1 * b[1]) / b[0];
        [q0, q1, q2]
    }

    /// A polynomial in `f` with series coefficients, by exponent vector.
    type Poly = HashMap<Vec<u8>, Series>;

    fn poly_mul(a: &Poly, b: &Poly) -> Poly {
        let mut out = Poly::new();
        for (ea, ca) in a {
            for (eb, cb) in b {
                let e: Vec<u8> = ea.iter().zip(eb).map(|(x, y)| x + y).collect();
                let c = out.entry(e).or_insert([0.0; 3]);
                *c = add(*c, mul(*ca, *cb));
            }
        }
        out
    }

    /// Gaussian moments `E[Π f_i^α_i]` with covariance `cov`, by Isserlis' recursion
    /// `E[f_i f^β] = Σ_j cov_ij β_j E[f^(β − e_j)]`: independent of the action's Hermite algebra.
    struct Gaussian {
        k: usize,
        cov: Vec<f64>,
        memo: HashMap<Vec<u8>, f64>,
    }

    impl Gaussian {
        fn moment(&mut self, alpha: &[u8]) -> f64 {
            let total: u32 = alpha.iter().map(|&a| a as u32).sum();
            if total == 0 {
                return 1.0;
            }
            if total % 2 == 1 {
                return 0.0;
            }
            if let Some(&v) = self.memo.get(alpha) {
                return v;
            }
            let i = alpha.iter().position(|&a| a > 0).unwrap_or(0);
            let mut beta = alpha.to_vec();
            beta[i] -= 1;
            let mut v = 0.0;
            for j in 0..self.k {
                if beta[j] > 0 {
                    let mut gamma = beta.clone();
                    gamma[j] -= 1;
                    v += self.cov[i * self.k + j] * beta[j] as f64 * self.moment(&gamma);
                }
            }
            self.memo.insert(alpha.to_vec(), v);
            v
        }

        fn expect(&mut self, p: &Poly, shift: &[u8]) -> Series {
            let mut out = [0.0; 3];
            for (e, c) in p {
                let alpha: Vec<u8> = e.iter().zip(shift).map(|(x, y)| x + y).collect();
                out = add(out, scale(*c, self.moment(&alpha)));
            }
            out
        }
    }

    /// The correlators of the action by perturbation theory: Wick contractions with the
    /// inverse of its Gaussian part `G2⁻¹` (the covariance is the input `G2`), the interaction
    /// `ΔS` = every coupling's ε and ε² parts, `⟨f_I⟩ = ⟨f_I e^{−ΔS}⟩₀ / ⟨e^{−ΔS}⟩₀` to ε².
    struct Perturbation {
        gauss: Gaussian,
        weight: Poly,
        norm: Series,
    }

    impl Perturbation {
        fn new(action: &Action, g2: &[f64]) -> Self {
            let k = action.points();
            let ms2 = action.multisets(2).unwrap();
            let mut cov = vec![0.0; k * k];
            for (pos, m) in ms2.iter().enumerate() {
                cov[m[0] as usize * k + m[1] as usize] = g2[pos];
                cov[m[1] as usize * k + m[0] as usize] = g2[pos];
            }
            let mut delta = Poly::new();
            for n in [2, 4, 6] {
                let ms = action.multisets(n).unwrap();
                let full = action.couplings(n).unwrap();
                let first = action.first_order_couplings(n).unwrap();
                let n_fact: f64 = (1..=n).map(|i| i as f64).product();
                for (pos, m) in ms.iter().enumerate() {
                    let free = if n == 2 { action.gaussian_couplings()[pos] } else { 0.0 };
                    let c = [0.0, first[pos] - free, full[pos] - first[pos]];
                    let mut e = vec![0u8; k];
                    m.iter().for_each(|&a| e[a as usize] += 1);
                    let entry = delta.entry(e).or_insert([0.0; 3]);
                    *entry = add(*entry, scale(c, ms.multiplicity(pos) as f64 / n_fact));
                }
            }
            // e^{−ΔS} = 1 − ΔS + ΔS²/2 + O(ε³)
            let mut weight = poly_mul(&delta, &delta);
            weight.values_mut().for_each(|c| *c = scale(*c, 0.5));
            for (e, c) in &delta {
                let w = weight.entry(e.clone()).or_insert([0.0; 3]);
                *w = add(*w, scale(*c, -1.0));
            }
            let one = weight.entry(vec![0u8; k]).or_insert([0.0; 3]);
            one[0] += 1.0;
            let mut gauss = Gaussian { k, cov, memo: HashMap::new() };
            let norm = gauss.expect(&weight, &vec![0u8; k]);
            Self { gauss, weight, norm }
        }

        fn moment(&mut self, indices: &[usize]) -> Series {
            let mut shift = vec![0u8; self.gauss.k];
            indices.iter().for_each(|&a| shift[a] += 1);
            let m = self.gauss.expect(&self.weight, &shift);
            div(m, self.norm)
        }

        /// The connected correlator of `indices` (2, 4 or 6 of them) from the moments.
        fn connected(&mut self, idx: &[usize]) -> Series {
            match idx.len() {
                2 => self.moment(idx),
                4 => {
                    let mut c = self.moment(idx);
                    for (p, q) in [([0, 1], [2, 3]), ([0, 2], [1, 3]), ([0, 3], [1, 2])] {
                        let t = mul(self.moment(&[idx[p[0]], idx[p[1]]]), self.moment(&[idx[q[0]], idx[q[1]]]));
                        c = add(c, scale(t, -1.0));
                    }
                    c
                }
                _ => {
                    let mut c = self.moment(idx);
                    for a in 0..6 {
                        for b in a + 1..6 {
                            let rest: Vec<usize> = (0..6).filter(|&j| j != a && j != b).map(|j| idx[j]).collect();
                            let t = mul(self.moment(&[idx[a], idx[b]]), self.moment(&rest));
                            c = add(c, scale(t, -1.0));
                        }
                    }
                    for [(a, b), (c2, d), (e, f)] in matchings6() {
                        let t = mul(
                            mul(self.moment(&[idx[a], idx[b]]), self.moment(&[idx[c2], idx[d]])),
                            self.moment(&[idx[e], idx[f]]),
                        );
                        c = add(c, scale(t, 2.0));
                    }
                    c
                }
            }
        }
    }

    fn matchings6() -> Vec<[(usize, usize); 3]> {
        let mut out = Vec::new();
        for b in 1..6 {
            let rest: Vec<usize> = (1..6).filter(|&j| j != b).collect();
            for (x, y, z) in [(1, 2, 3), (2, 1, 3), (3, 1, 2)] {
                out.push([(0, b), (rest[0], rest[x]), (rest[y], rest[z])]);
            }
        }
        out
    }

    /// A random positive definite `G2` and random symmetric `κ4`, `κ6` on `k` points.
    fn random_inputs(k: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let a: Vec<f64> = (0..k * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let ms2 = Multisets::new(k, 2).unwrap();
        let g2 = ms2
            .iter()
            .map(|m| {
                let (i, j) = (m[0] as usize, m[1] as usize);
                (0..k).map(|x| a[i * k + x] * a[j * k + x]).sum::<f64>() + if i == j { 0.5 } else { 0.0 }
            })
            .collect();
        let k4 = (0..Multisets::new(k, 4).unwrap().len()).map(|_| rng.random_range(-0.3..0.3)).collect();
        let k6 = (0..Multisets::new(k, 6).unwrap().len()).map(|_| rng.random_range(-0.3..0.3)).collect();
        (g2, k4, k6)
    }

    /// Relative rounding bound of the closure: sums of at most a few thousand products of
    /// O(1) numbers, through an inverse of condition number below 100.
    const CLOSURE_TOLERANCE: f64 = 1e-10;

    fn assert_series(got: Series, want: Series, upto: usize, what: &str) {
        let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for e in 0..=upto {
            assert!((got[e] - want[e]).abs() <= CLOSURE_TOLERANCE * scale, "{what}: ε^{e} {} vs {}", got[e], want[e]);
        }
    }

    fn check_closure(k: usize, seed: u64, second: bool) {
        let (g2, k4, k6) = random_inputs(k, seed);
        let action = Action::reconstruct(k, &g2, &k4, second.then_some(&k6[..])).unwrap();
        assert_eq!(action.order(), if second { ActionOrder::Second } else { ActionOrder::First });
        let upto = if second { 2 } else { 1 };
        let mut pt = Perturbation::new(&action, &g2);
        for (pos, m) in Multisets::new(k, 2).unwrap().iter().enumerate() {
            let idx: Vec<usize> = m.iter().map(|&a| a as usize).collect();
            assert_series(pt.connected(&idx), [g2[pos], 0.0, 0.0], upto, &format!("G2 {m:?}"));
        }
        for (pos, m) in Multisets::new(k, 4).unwrap().iter().enumerate() {
            let idx: Vec<usize> = m.iter().map(|&a| a as usize).collect();
            assert_series(pt.connected(&idx), [0.0, k4[pos], 0.0], upto, &format!("κ4 {m:?}"));
        }
        if second {
            for (pos, m) in Multisets::new(k, 6).unwrap().iter().enumerate() {
                let idx: Vec<usize> = m.iter().map(|&a| a as usize).collect();
                assert_series(pt.connected(&idx), [0.0, 0.0, k6[pos]], 2, &format!("κ6 {m:?}"));
            }
        }
    }

    #[test]
    fn perturbation_theory_returns_the_inputs_at_first_order() {
        for (k, seed) in [(1, 1), (2, 2), (3, 3)] {
            check_closure(k, seed, false);
        }
    }

    #[test]
    fn perturbation_theory_returns_the_inputs_at_second_order() {
        for (k, seed) in [(1, 4), (2, 5), (3, 6)] {
            check_closure(k, seed, true);
        }
    }

    #[test]
    fn one_point_couplings_match_the_edgeworth_series_by_hand() {
        // k = 1: every split of the indices gives the same term, so
        // s2 = 1/G + κ4/(2G³) − κ6/(8G⁴) + (1/6 + 1/4 + 1/4) κ4²/G⁵,
        // s4 = −κ4/G⁴ + κ6/(2G⁵) − (3/2 + 4/2) κ4²/G⁶, s6 = −κ6/G⁶ + 10 κ4²/G⁷
        let (g, k4, k6) = (1.7f64, 0.3f64, -0.2f64);
        let a = Action::reconstruct(1, &[g], &[k4], Some(&[k6])).unwrap();
        let first = a.first_order_couplings(4).unwrap()[0];
        assert!((first + k4 / g.powi(4)).abs() < 1e-15);
        let s6 = a.couplings(6).unwrap()[0];
        assert!((s6 - (-k6 / g.powi(6) + 10.0 * k4 * k4 / g.powi(7))).abs() < 1e-14, "{s6}");
        let s4 = a.couplings(4).unwrap()[0];
        let want4 = -k4 / g.powi(4) + 0.5 * k6 / g.powi(5) - (1.5 + 2.0) * k4 * k4 / g.powi(6);
        assert!((s4 - want4).abs() < 1e-14, "{s4} vs {want4}");
        let s2 = a.couplings(2).unwrap()[0];
        let want2 = 1.0 / g + 0.5 * k4 / g.powi(3) - 0.125 * k6 / g.powi(4) + (1.0 / 6.0 + 0.5) * k4 * k4 / g.powi(5);
        assert!((s2 - want2).abs() < 1e-14, "{s2} vs {want2}");
    }

    #[test]
    fn quartic_coupling_is_the_amputated_connected_function_by_direct_sums() {
        let k = 3;
        let (g2, k4, _) = random_inputs(k, 9);
        let a = Action::reconstruct(k, &g2, &k4, None).unwrap();
        // G2⁻¹ by Gauss-Jordan elimination, independent of the eigendecomposition
        let ms2 = Multisets::new(k, 2).unwrap();
        let mut m = vec![0.0; k * 2 * k];
        for i in 0..k {
            for j in 0..k {
                m[i * 2 * k + j] = g2[ms2.position(&[i, j]).unwrap()];
            }
            m[i * 2 * k + k + i] = 1.0;
        }
        for c in 0..k {
            let piv = m[c * 2 * k + c];
            (0..2 * k).for_each(|j| m[c * 2 * k + j] /= piv);
            for r in (0..k).filter(|&r| r != c) {
                let f = m[r * 2 * k + c];
                (0..2 * k).for_each(|j| m[r * 2 * k + j] -= f * m[c * 2 * k + j]);
            }
        }
        let p = |i: usize, j: usize| m[i * 2 * k + k + j];
        let ms4 = Multisets::new(k, 4).unwrap();
        for (pos, t) in ms4.iter().enumerate() {
            let mut sum = 0.0;
            for i in 0..k.pow(4) {
                let idx = [i / 27, (i / 9) % 3, (i / 3) % 3, i % 3];
                let w: f64 = (0..4).map(|l| p(idx[l], t[l] as usize)).product();
                sum += k4[ms4.position(&idx).unwrap()] * w;
            }
            let got = a.couplings(4).unwrap()[pos];
            assert!((got + sum).abs() < 1e-11 * sum.abs().max(1.0), "{t:?}: {got} vs {}", -sum);
        }
    }

    #[test]
    fn bad_inputs_are_refused_naming_the_cause() {
        // coincident points: G2 singular
        let err = Action::reconstruct(2, &[1.0, 1.0, 1.0], &[0.0; 5], None).unwrap_err();
        assert!(matches!(err, TheoryError::IllConditioned { field: "g2", .. }), "{err}");
        // nearly coincident: condition number above the limit
        let err = Action::reconstruct(2, &[1.0, 1.0 - 1e-12, 1.0], &[0.0; 5], None).unwrap_err();
        assert!(err.to_string().contains("ill-conditioned"), "{err}");
        let err = Action::reconstruct(2, &[1.0, 0.2, 1.0], &[0.0; 4], None).unwrap_err();
        assert_eq!(err, TheoryError::Length { field: "kappa4", found: 4, expected: 5 });
        let err = Action::reconstruct(2, &[1.0, 0.2, 1.0], &[0.0; 5], Some(&[0.0; 6])).unwrap_err();
        assert_eq!(err, TheoryError::Length { field: "kappa6", found: 6, expected: 7 });
        let err = Action::reconstruct(2, &[1.0, f64::NAN, 1.0], &[0.0; 5], None).unwrap_err();
        assert!(matches!(err, TheoryError::OutOfRange { field: "g2", .. }), "{err}");
        let err = Action::reconstruct(11, &[0.0; 66], &[0.0; 1001], Some(&[0.0; 8008])).unwrap_err();
        assert!(matches!(err, TheoryError::OutOfRange { field: "points", .. }), "{err}");
        let a = Action::reconstruct(2, &[1.0, 0.2, 1.0], &[0.0; 5], None).unwrap();
        assert!(a.couplings(3).is_err());
        assert!(a.evaluate(&[1.0]).is_err());
    }
}
