//! The depth study's next orders (beyond the paper): the measured `1/n` shift of the two-point
//! function against `K1`, and the connected six-point function against the six-point vertex
//! (order `1/n²`), on the same deep ensembles as `r` (the depth study, `nnqft_study::depth`).
//!
//! **Shift of `G2`** (`depth_shift.parquet`), per `(network, L, n)` and pair of points `(a, b)`:
//! the measured `n (G2_ab − K_ab)`, `G2` the conditional estimator's mean over the experiments
//! and `K = Kᴸ⁺¹` the infinite-width kernel, against the coefficient `K1` of the `1/n` shift
//! ([`nnqft_theory::KernelShift::equal_width_coefficient`]; PDLT's NLO metric `G^{1}`,
//! Roberts, Yaida, Hanin, arXiv:2106.10165, ch. 4):
//!
//! ```text
//! G2 = K + K1 / n + O(1/n²),   so   n (G2 − K) = K1 + O(1/n).
//! ```
//!
//! Its standard error is `n` times that of `G2`. Exact checks: `K1 = 0` at `L = 1` for every
//! activation (one hidden layer: `E[G²] = C_b + C_W ⟨φφ⟩_K¹` exactly), and for relu on the
//! diagonal pairs at any `L` (`E[relu(z)² | G] = G/2` is linear, so `G2 = K` exactly at any
//! width; [`crate::deep_theory::g2_is_exact`]): `shift_exact = 0` there.
//!
//! **Connected six-point function** (`depth_six_point.parquet`), per `(network, L, n)` and
//! multiset of order 6 over the points [`SIX_POINT_SUBSET`] (`x = 0.2` and `x = 1`, seven
//! multisets: the six-point vertex on all 462 multisets of the six points would cost minutes for
//! a smooth activation at `L = 8`, and its values on a subset of points are those of the subset
//! alone, since every layer's recursion over pairs of the subset involves only the subset):
//! the normalised connected 6-pt function, per experiment,
//!
//! ```text
//! r6 = κ6 / Wick6(G2),   κ6 = G6 − Σ_15 G4 G2 + 2 Wick6(G2)
//! ```
//!
//! (`nnqft_sampling::DeepEnsembleResult::connected_g6`, `G2` the same experiment's), against
//! its leading order `Σ_15 U / (n² Wick6(K))` with the six-point vertex `U`
//! ([`nnqft_theory::SixPointVertex`]): normalised as `r` is, so that networks of different
//! kernels compare on one axis; `c6_*` keep the absolute values. For relu on the diagonal
//! multiset (`C_b = 0`) the exact one-input law gives, at any width,
//!
//! ```text
//! r6_exact = E[κ6] / (15 K³) = ∏_l (1 + 15/n_l + 44/n_l²) − 3 ∏_l (1 + 5/n_l) + 2,
//! ```
//!
//! whose `1/n²` term is the leading order `(44 L + 75 L (L − 1)) / n²`
//! ([`nnqft_theory::exact_one_input_sixth_ratio`], [`nnqft_theory::exact_one_input_ratio`]).
//!
//! **Not here:** `r` through order `1/n²` on the diagonal multisets is `depth.parquet`'s
//! `r_next_order` ([`crate::depth`], from [`nnqft_theory::OneInputLaw`]); off the diagonal the
//! four-point function at that order ([`nnqft_theory::FourPointNextOrder`]) is left out of this
//! study for its cost.

use crate::error::Result;
use crate::table::Table;
use nnqft_sampling::DeepEnsembleResult;
use nnqft_stats::summarize;
use nnqft_theory::{
    DeepActivation, DeepNetwork, InputSet, KernelShift, Multisets, SixPointVertex, WickSums, exact_one_input_ratio,
    exact_one_input_sixth_ratio,
};

/// The points of the study's x-set `{-1, -0.6, -0.2, 0.2, 0.6, 1}` on which the six-point function
/// is compared: `x = 0.2` and `x = 1` (the latter is the depth study's fit point).
pub const SIX_POINT_SUBSET: [usize; 2] = [3, 5];

/// Whether a measured value has left a prediction: off by more than 10% of it and by more than 3
/// standard errors (the depth study's criterion for every order).
pub fn departs_from(measured: f64, stderr: f64, predicted: f64) -> bool {
    let d = (measured - predicted).abs();
    d > 0.1 * predicted.abs() && d > 3.0 * stderr
}

/// The measured `1/n` shift of `G2` on one pair of points at one `(network, L, n)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftRow {
    /// Activation.
    pub network: DeepActivation,
    /// Depth `L`.
    pub depth: usize,
    /// Equal hidden width `n`.
    pub width: usize,
    /// The pair's input indices, e.g. `3,5`.
    pub indices: String,
    /// Whether the pair is diagonal, `(x, x)`.
    pub diagonal: bool,
    /// Measured `G2` (conditional estimator), mean over experiments.
    pub g2_mean: f64,
    /// Its standard error.
    pub g2_stderr: f64,
    /// The infinite-width kernel `K`.
    pub g2_gp: f64,
    /// `n (G2_mean − K)`.
    pub shift_mean: f64,
    /// Its standard error, `n g2_stderr`.
    pub shift_stderr: f64,
    /// The prediction at order `1/n`: `K1`.
    pub shift_leading_order: f64,
    /// The quadrature error estimate of `K1`: `n` times the propagated error of the shift at
    /// width `n` ([`nnqft_theory::KernelShift::shift_error`]; at equal widths the shift is
    /// `K1 / n`); 0 where every expectation is a closed form.
    pub shift_leading_order_error: f64,
    /// The exact `n (E[G2] − K)` where it is known: 0 at `L = 1` and for relu on diagonal pairs
    /// (and every pair of a linear network).
    pub shift_exact: Option<f64>,
}

impl ShiftRow {
    /// `L/n`.
    pub fn l_over_n(&self) -> f64 {
        self.depth as f64 / self.width as f64
    }
    /// `(shift_mean − K1) / shift_stderr` (NaN where the standard error is 0: relu's pairs of
    /// opposite sign at `L = 1`, whose `G2` is exactly 0 in every net).
    pub fn z(&self) -> f64 {
        (self.shift_mean - self.shift_leading_order) / self.shift_stderr
    }
    /// `G2_mean − K − K1/n`: what the order `1/n` leaves (order `1/n²` plus noise).
    pub fn residual(&self) -> f64 {
        self.g2_mean - self.g2_gp - self.shift_leading_order / self.width as f64
    }
    /// Whether the measured shift has left `K1` (by more than 10% of it and 3 standard errors).
    pub fn leaves_leading_order(&self) -> bool {
        departs_from(self.shift_mean, self.shift_stderr, self.shift_leading_order)
    }
}

/// The connected six-point function on one multiset of order 6 at one `(network, L, n)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SixPointRow {
    /// Activation.
    pub network: DeepActivation,
    /// Depth `L`.
    pub depth: usize,
    /// Equal hidden width `n`.
    pub width: usize,
    /// The multiset's input indices (of the study's x-set), e.g. `3,5,5,5,5,5`.
    pub indices: String,
    /// Whether the multiset is diagonal, `(x, ..., x)`.
    pub diagonal: bool,
    /// `r6 = κ6 / Wick6(G2)`, mean over experiments.
    pub r6_mean: f64,
    /// Its standard error.
    pub r6_stderr: f64,
    /// Its leading order, `Σ_15 U / (n² Wick6(K))`.
    pub r6_leading_order: f64,
    /// The exact value where known (relu, diagonal multiset, `C_b = 0`).
    pub r6_exact: Option<f64>,
    /// The connected six-point function `κ6` (absolute units), mean over experiments.
    pub c6_mean: f64,
    /// Its standard error.
    pub c6_stderr: f64,
    /// Its leading order `Σ_15 U / n²`.
    pub c6_leading_order: f64,
    /// The quadrature error estimate of `c6_leading_order`, `15 e / n²` with `e` the propagated
    /// error of every entry of `U` ([`nnqft_theory::SixPointVertex::quadrature_error`]); relative
    /// to its value it is that of `r6_leading_order` too. 0 where every expectation is a closed
    /// form.
    pub c6_leading_order_error: f64,
}

impl SixPointRow {
    /// `L/n`.
    pub fn l_over_n(&self) -> f64 {
        self.depth as f64 / self.width as f64
    }
    /// `(r6_mean − reference) / r6_stderr`.
    pub fn z_against(&self, reference: f64) -> f64 {
        (self.r6_mean - reference) / self.r6_stderr
    }
    /// Whether the measured `r6` has left the leading order (by more than 10% of it and 3
    /// standard errors).
    pub fn leaves_leading_order(&self) -> bool {
        departs_from(self.r6_mean, self.r6_stderr, self.r6_leading_order)
    }
}

/// The sub-x-set of [`SIX_POINT_SUBSET`].
pub fn six_point_inputs(xs: &InputSet) -> Result<InputSet> {
    let pts: Vec<Vec<f64>> = xs.points().map(|p| p.to_vec()).collect();
    Ok(InputSet::new("depth-six-point", &SIX_POINT_SUBSET.map(|i| pts[i].clone()))?)
}

/// The shift rows of one conditional ensemble: every pair of points of `result`, against `shift`
/// (the theory at the ensemble's widths).
pub fn shift_rows(net: &DeepNetwork, shift: &KernelShift, result: &DeepEnsembleResult) -> Result<Vec<ShiftRow>> {
    let m = result.points;
    let (k, k1, error) = (shift.kernels().output(), shift.equal_width_coefficient(), shift.shift_error());
    let g2 = summarize(&result.means[0], result.experiments)?;
    let width = net.widths()[0];
    let n = width as f64;
    let mut rows = Vec::with_capacity(result.multisets[0].len());
    for pos in 0..result.multisets[0].len() {
        let pair = result.indices(0, pos);
        let (a, b) = (pair[0].1, pair[1].1);
        let exact = (net.depth() == 1 || crate::deep_theory::g2_is_exact(net.activation(), a, b)).then_some(0.0);
        rows.push(ShiftRow {
            network: net.activation(),
            depth: net.depth(),
            width,
            indices: format!("{a},{b}"),
            diagonal: a == b,
            g2_mean: g2.mean[pos],
            g2_stderr: g2.stderr[pos],
            g2_gp: k[a * m + b],
            shift_mean: n * (g2.mean[pos] - k[a * m + b]),
            shift_stderr: n * g2.stderr[pos],
            shift_leading_order: k1[a * m + b],
            shift_leading_order_error: n * error[a * m + b],
            shift_exact: exact,
        });
    }
    Ok(rows)
}

/// The six-point rows of one conditional ensemble that measured `G6`: every multiset of order 6
/// over [`SIX_POINT_SUBSET`], against `six` (the vertex on that subset at the ensemble's widths).
pub fn six_point_rows(
    net: &DeepNetwork,
    six: &SixPointVertex,
    result: &DeepEnsembleResult,
) -> Result<Vec<SixPointRow>> {
    let Some(connected) = result.connected_g6()? else { return Ok(Vec::new()) };
    let p = result.points * result.d_out;
    let wick = WickSums::new(p, 6)?;
    let flat = result.multisets[0].flat_pair_positions();
    let len6 = result.multisets[2].len();
    let (_, lead, gp) = six.output_indexed()?;
    let subsets = Multisets::new(SIX_POINT_SUBSET.len(), 6)?;
    let positions: Vec<usize> = subsets
        .iter()
        .map(|s| {
            let points: Vec<usize> = s.iter().map(|&i| SIX_POINT_SUBSET[i as usize]).collect();
            result.position(&[0; 6], &points).unwrap_or(0)
        })
        .collect();
    // per experiment: κ6 and κ6 / Wick6(G2) on the chosen multisets
    let (mut c6, mut r6) = (Vec::new(), Vec::new());
    let mut w = Vec::new();
    for e in 0..result.experiments {
        let g2 = result.experiment(0, e);
        let cov: Vec<f64> = flat.iter().map(|&pos| g2[pos]).collect();
        wick.evaluate_into(&cov, &mut w);
        for &pos in &positions {
            let c = connected[e * len6 + pos];
            c6.push(c);
            r6.push(c / w[2][pos]);
        }
    }
    let (c6, r6) = (summarize(&c6, result.experiments)?, summarize(&r6, result.experiments)?);
    let p4 = exact_one_input_ratio(net);
    let p6 = exact_one_input_sixth_ratio(net);
    let exact = p4.zip(p6).map(|(p4, p6)| p6 - 3.0 * p4 + 2.0);
    // Σ_15 U / n²: fifteen entries of U, each within the vertex's error
    let n = net.widths()[net.depth() - 1] as f64;
    let lead_error = 15.0 * six.quadrature_error() / (n * n);
    let mut rows = Vec::with_capacity(positions.len());
    for (i, s) in subsets.iter().enumerate() {
        let points: Vec<usize> = s.iter().map(|&j| SIX_POINT_SUBSET[j as usize]).collect();
        let diagonal = points.iter().all(|&x| x == points[0]);
        rows.push(SixPointRow {
            network: net.activation(),
            depth: net.depth(),
            width: net.widths()[0],
            indices: points.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(","),
            diagonal,
            r6_mean: r6.mean[i],
            r6_stderr: r6.stderr[i],
            r6_leading_order: lead[i] / gp[i],
            r6_exact: exact.filter(|_| diagonal),
            c6_mean: c6.mean[i],
            c6_stderr: c6.stderr[i],
            c6_leading_order: lead[i],
            c6_leading_order_error: lead_error,
        });
    }
    Ok(rows)
}

/// `depth_shift.parquet`: the measured `1/n` shift of `G2` on every pair of points against `K1`.
pub fn shift_table(rows: &[ShiftRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("depth", rows.iter().map(|r| r.depth as i64))
        .int("width", rows.iter().map(|r| r.width as i64))
        .int("d_out", rows.iter().map(|_| 1))
        .int("n", rows.iter().map(|_| 2))
        .str("indices", rows.iter().map(|r| r.indices.clone()))
        .str("estimator", rows.iter().map(|_| "conditional"))
        .f64("g2_mean", rows.iter().map(|r| r.g2_mean))
        .f64("g2_stderr", rows.iter().map(|r| r.g2_stderr))
        .f64("g2_gp", rows.iter().map(|r| r.g2_gp))
        .f64("shift_mean", rows.iter().map(|r| r.shift_mean))
        .f64("shift_stderr", rows.iter().map(|r| r.shift_stderr))
        .f64("shift_leading_order", rows.iter().map(|r| r.shift_leading_order))
        .opt("shift_exact", rows.iter().map(|r| r.shift_exact))
}

/// `depth_six_point.parquet`: the connected six-point function on the multisets of order 6 over
/// [`SIX_POINT_SUBSET`] against the six-point vertex.
pub fn six_point_table(rows: &[SixPointRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("depth", rows.iter().map(|r| r.depth as i64))
        .int("width", rows.iter().map(|r| r.width as i64))
        .int("d_out", rows.iter().map(|_| 1))
        .int("n", rows.iter().map(|_| 6))
        .str("indices", rows.iter().map(|r| r.indices.clone()))
        .str("estimator", rows.iter().map(|_| "conditional"))
        .f64("r6_mean", rows.iter().map(|r| r.r6_mean))
        .f64("r6_stderr", rows.iter().map(|r| r.r6_stderr))
        .f64("r6_leading_order", rows.iter().map(|r| r.r6_leading_order))
        .opt("r6_exact", rows.iter().map(|r| r.r6_exact))
        .f64("c6_mean", rows.iter().map(|r| r.c6_mean))
        .f64("c6_stderr", rows.iter().map(|r| r.c6_stderr))
        .f64("c6_leading_order", rows.iter().map(|r| r.c6_leading_order))
}
