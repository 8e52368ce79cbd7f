//! The depth study (beyond the paper, which has one hidden layer): how the finite-width
//! correction of the output's 4-pt function grows with the depth-to-width ratio `L/n`.
//!
//! For each activation (relu at `C_W = 2`, tanh and erf at `C_W = 1`, all with `C_b = 0`),
//! depth `L` and equal hidden width `n`, an ensemble of `L`-layer networks is sampled on the
//! paper's Erf scaling x-set `{-1, -0.6, -0.2, 0.2, 0.6, 1}` and, on every multiset of order 4,
//! the normalised connected 4-pt function
//!
//! ```text
//! r = (G4 − Wick4(G2)) / Wick4(G2)
//! ```
//!
//! is measured per experiment (`G2` the same experiment's finite-width 2-pt function), with its
//! standard error over the experiments. It is compared with
//! - the leading order in `1/n` (Yaida 2019; Roberts, Yaida, Hanin, *The Principles of Deep
//!   Learning Theory*, 2022, ch. 4): `r = (V₍₁₂₎₍₃₄₎ + V₍₁₃₎₍₂₄₎ + V₍₁₄₎₍₂₃₎) / (n Wick4(K))`,
//!   `V` the four-point vertex of [`nnqft_theory::FourPointVertex`], which grows like `L` at
//!   fixed `n` for relu at criticality (`r = 5L/n` exactly) and nearly so for tanh, so that
//!   `r ∝ L/n`; for erf at `C_W = 1`, off criticality, it grows more slowly (on the default
//!   profile the leading order's slope in `L` is 0.76 and the measured ones fall from 0.84 at
//!   `n = 10` to 0.77 at `n = 100`: SUMMARY's depth fits);
//! - for relu on the diagonal multisets `(x, x, x, x)`, the exact finite-width value
//!   `r = Π_l (1 + 5/n_l) − 1 = (1 + 5/n)ᴸ − 1` ([`nnqft_theory::exact_one_input_ratio`]),
//!   whose expansion is the leading order `5L/n` and whose remainder is the `O(L²/n²)` that the
//!   leading order leaves out;
//! - on the diagonal multisets, `r` through order `1/n²` ([`nnqft_theory::OneInputLaw`]: the
//!   leading order plus the next, from the exact Markov chain of the one-input kernel).
//!
//! The conditional estimator (the readout is never drawn) is measured at every `(L, n)`; the
//! raw estimator beside it at one width. [`DepthFit`] fits the power law of `r` in `L` at
//! fixed `n` (leading order: slope `+1` for large `L`) and in `n` at fixed `L` (slope `−1`) on
//! one diagonal multiset, and names the smallest `L/n` at which the measured `r` leaves the
//! leading order, and the next order.
//!
//! GELU joins at its critical point ([`priors`]: an activation of the half-stable class is
//! sampled at its critical point, every other at its deep priors). The next orders, on the same
//! conditional ensembles (which measure `G6` too: orders 2 and 4 are the same bit for bit), are
//! in [`crate::depth_next_order`]: the measured `1/n` shift of `G2` against `K1` and the
//! connected six-point function against the six-point vertex. `r` through order `1/n²` is
//! computed on the diagonal multisets only (above): off the diagonal the four-point function to
//! that order ([`nnqft_theory::FourPointNextOrder`], the theory table's `connected_next_order`)
//! costs about as much again as the six-point vertex at every depth and width, so this study
//! leaves it out.

use crate::depth_next_order::{
    ShiftRow, SixPointRow, departs_from, shift_rows, shift_table, six_point_inputs, six_point_rows, six_point_table,
};
use crate::error::Result;
use crate::key::EnsembleKey;
use crate::relative_error::RelativeError;
use crate::runner::Runner;
use crate::table::{Table, joined};
use nnqft_sampling::{DeepEnsemble, Estimator};
use nnqft_stats::{PowerLawFit, fit_power_law, summarize};
use nnqft_theory::{
    DeepActivation, DeepNetwork, InputSet, KernelShift, Multisets, OneInputLaw, SixPointVertex, UniversalityClass,
    critical_point, exact_one_input_ratio,
};
use serde::Serialize;

/// What the depth study samples.
#[derive(Debug, Clone, Serialize)]
pub struct DepthPlan {
    /// Activations, each at the priors of [`priors`].
    #[serde(serialize_with = "activation_names")]
    pub activations: Vec<DeepActivation>,
    /// Depths `L` (hidden layers).
    pub depths: Vec<usize>,
    /// Equal hidden widths `n`.
    pub widths: Vec<usize>,
    /// The width at which the raw estimator is measured beside the conditional one.
    pub raw_width: usize,
    /// Experiments per `(activation, L, n, estimator)`.
    pub experiments: usize,
    /// Nets per experiment.
    pub nets: u64,
}

/// Serialises activations by name (the plans of the deep studies).
pub(crate) fn activation_names<S: serde::Serializer>(acts: &[DeepActivation], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(acts.iter().map(|a| a.name()))
}

impl DepthPlan {
    /// The issue's study: relu, tanh, erf, GELU; `L ∈ {1, 2, 3, 4, 6, 8}`;
    /// `n ∈ {10, 20, 50, 100}`; raw beside conditional at `n = 10`.
    pub fn standard(experiments: usize, nets: u64) -> Self {
        Self {
            activations: vec![DeepActivation::Relu, DeepActivation::Tanh, DeepActivation::Erf, DeepActivation::Gelu],
            depths: vec![1, 2, 3, 4, 6, 8],
            widths: vec![10, 20, 50, 100],
            raw_width: 10,
            experiments,
            nets,
        }
    }
}

impl DepthPlan {
    /// Nets over every ensemble of the plan: per activation, depth and width, `experiments ×
    /// nets` (conditional), and as many again at [`DepthPlan::raw_width`] (raw), if it is one of
    /// the widths (saturating at `u64::MAX`).
    pub fn nets_total(&self) -> u64 {
        let ensembles = self.widths.len() + usize::from(self.widths.contains(&self.raw_width));
        ((self.activations.len() * self.depths.len() * ensembles) as u64)
            .saturating_mul(self.experiments as u64)
            .saturating_mul(self.nets)
    }
}

/// The priors `(C_W, C_b)` at which the study samples an activation: the critical point
/// ([`nnqft_theory::critical_point`]) for the half-stable class (GELU, SiLU: their deep defaults
/// `(1, 0)` are no fixed point of interest), the deep priors ([`DeepActivation::deep_priors`])
/// for every other (relu `(2, 0)` and tanh `(1, 0)` are critical; erf's `(1, 0)` is not, and
/// stays the study's choice; sigmoid and softplus have no critical point).
pub fn priors(act: DeepActivation) -> (f64, f64) {
    match critical_point(act) {
        Ok(c) if c.class() == UniversalityClass::HalfStable => (c.c_w(), c.c_b()),
        _ => act.deep_priors(),
    }
}

/// The study's network of `act` at hidden widths `widths`, at [`priors`].
pub fn network(act: DeepActivation, widths: &[usize]) -> Result<DeepNetwork> {
    let (c_w, c_b) = priors(act);
    Ok(DeepNetwork::new(act, widths, c_w, c_b)?)
}

/// The x-set of the study: the paper's Erf scaling set at `d = 1`.
pub fn inputs() -> Result<InputSet> {
    Ok(InputSet::scaling(nnqft_theory::Activation::Erf, 1)?)
}

/// The point whose diagonal multiset `(x, x, x, x)` the fits and the summary use: `x = 1`, the
/// last point of [`inputs`].
pub const FIT_POINT: usize = 5;

/// `r` on one multiset of order 4 at one `(activation, L, n, estimator)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthRow {
    /// Activation.
    pub network: DeepActivation,
    /// Depth `L`.
    pub depth: usize,
    /// Equal hidden width `n`.
    pub width: usize,
    /// Output dimension (1 in this study).
    pub d_out: usize,
    /// The multiset's input indices, e.g. `0,0,1,3`.
    pub indices: String,
    /// Whether the multiset is diagonal, `(x, x, x, x)`.
    pub diagonal: bool,
    /// Estimator.
    pub estimator: Estimator,
    /// Mean of `r` over the experiments; NaN where `r` is undefined, that is, where `Wick4(K)`
    /// vanishes (see [`Self::r_leading_order`]). There relu at `C_b = 0` gives inputs of
    /// opposite sign exactly zero covariance at `d = 1`, so the conditional `Wick4(G2)` is 0
    /// too, and the raw one is a noise of mean zero whose quotient has no mean.
    pub r_mean: f64,
    /// Its standard error (NaN where `r_mean` is).
    pub r_stderr: f64,
    /// The leading order in `1/n`; NaN where `r` is undefined
    /// ([`nnqft_theory::FourPointVertex::leading_order_r`]: `Wick4(K)` zero to rounding).
    pub r_leading_order: f64,
    /// The quadrature error estimate of `r_leading_order`, `3 e / (n |Wick4(K)|)` with `e` the
    /// vertex's propagated error ([`nnqft_theory::FourPointVertex::vertex_error`]); 0 where every
    /// expectation is a closed form.
    pub r_leading_order_error: f64,
    /// The exact finite-width value where one is known (relu, diagonal multisets).
    pub r_exact: Option<f64>,
    /// `r` through order `1/n²` on the diagonal multisets (`r₁ + r₂` of
    /// [`nnqft_theory::OneInputLaw`]); `None` elsewhere (the several-input version,
    /// [`nnqft_theory::FourPointNextOrder`], is left out of this study: module docs).
    pub r_next_order: Option<f64>,
    /// The propagated error bound of `r_next_order` (`None` where it is).
    pub r_next_order_error: Option<f64>,
}

impl DepthRow {
    /// `L/n`.
    pub fn l_over_n(&self) -> f64 {
        self.depth as f64 / self.width as f64
    }

    /// `(r_mean − reference) / r_stderr`.
    pub fn z_against(&self, reference: f64) -> f64 {
        (self.r_mean - reference) / self.r_stderr
    }

    /// Whether the measured `r` has left the leading order: off by more than 10% of it and by
    /// more than 3 standard errors.
    pub fn leaves_leading_order(&self) -> bool {
        departs_from(self.r_mean, self.r_stderr, self.r_leading_order)
    }

    /// Whether the measured `r` has left `r` through order `1/n²` (same criterion); `None` off
    /// the diagonal.
    pub fn leaves_next_order(&self) -> Option<bool> {
        Some(departs_from(self.r_mean, self.r_stderr, self.r_next_order?))
    }
}

/// Which variable a [`DepthFit`] scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scan {
    /// `r` against `L` at fixed `n` (leading order: slope `+1` at large `L`).
    Depth,
    /// `r` against `n` at fixed `L` (leading order: slope `−1`).
    Width,
}

impl Scan {
    /// `depth` or `width`.
    pub fn name(self) -> &'static str {
        match self {
            Scan::Depth => "depth",
            Scan::Width => "width",
        }
    }

    /// The slope of the leading order's asymptotic form `r ∝ L/n`.
    pub fn nominal_slope(self) -> f64 {
        match self {
            Scan::Depth => 1.0,
            Scan::Width => -1.0,
        }
    }
}

/// A power-law fit of `r` on the diagonal multiset of [`FIT_POINT`] (conditional estimator),
/// in `L` at fixed `n` or in `n` at fixed `L`. The leading-order and exact slopes are the same
/// fit of those values at the same points: their difference from the nominal `±1` is the
/// shape of the theory, not noise.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthFit {
    /// Activation.
    pub network: DeepActivation,
    /// The scanned variable.
    pub scan: Scan,
    /// The fixed width (depth scans) or depth (width scans).
    pub fixed: usize,
    /// The multiset fitted.
    pub indices: String,
    /// The scanned values used (those with `r > 0`).
    pub values: Vec<usize>,
    /// The fit of the measured `r` (unweighted least squares in log-log, 95% t interval);
    /// `None` with fewer than two positive points.
    pub fit: Option<PowerLawFit>,
    /// The slope of the leading order over the same values.
    pub slope_leading_order: Option<f64>,
    /// The slope of the exact values over the same values (relu).
    pub slope_exact: Option<f64>,
    /// The smallest `L/n` of the scan at which the measured `r` leaves the leading order
    /// ([`DepthRow::leaves_leading_order`]); `None` if it never does.
    pub leading_order_fails_at: Option<f64>,
    /// The same for `r` through order `1/n²` ([`DepthRow::leaves_next_order`]).
    pub next_order_fails_at: Option<f64>,
}

/// Everything the depth study measures.
#[derive(Debug, Clone, Default)]
pub struct DepthReport {
    /// One row per `(activation, L, n, estimator, multiset)`.
    pub rows: Vec<DepthRow>,
    /// Depth and width scans.
    pub fits: Vec<DepthFit>,
    /// The largest absolute quadrature error estimate of a moment of any leading-order vertex
    /// (every activation; the summary states [`DepthReport::leading_order_relative_error`]).
    pub quadrature_error: f64,
    /// The measured `1/n` shift of `G2` against `K1`: one row per `(activation, L, n, pair)`
    /// (conditional estimator).
    pub shifts: Vec<ShiftRow>,
    /// The connected six-point function against the six-point vertex: one row per
    /// `(activation, L, n, multiset of order 6 over the six-point subset)` (conditional).
    pub six_points: Vec<SixPointRow>,
    /// The largest absolute quadrature error estimate of the shift at the study's widths and of
    /// the six-point vertex (the summary states [`DepthReport::next_order_relative_errors`]).
    pub next_order_quadrature_error: f64,
}

impl DepthReport {
    /// The conditional row of the diagonal multiset of [`FIT_POINT`] at `(act, L, n)`.
    pub fn diagonal(&self, act: DeepActivation, depth: usize, width: usize) -> Option<&DepthRow> {
        self.diagonal_of(act, depth, width, Estimator::Conditional)
    }

    /// The row of the diagonal multiset of [`FIT_POINT`] at `(act, L, n, estimator)`.
    pub fn diagonal_of(&self, act: DeepActivation, depth: usize, width: usize, est: Estimator) -> Option<&DepthRow> {
        let label = diagonal_label();
        self.rows.iter().find(|r| {
            r.network == act && r.depth == depth && r.width == width && r.estimator == est && r.indices == label
        })
    }

    /// `z` of every conditional row with an exact value (relu's diagonal multisets) against it.
    pub fn z_against_exact(&self) -> Vec<f64> {
        self.rows
            .iter()
            .filter(|row| row.estimator == Estimator::Conditional)
            .filter_map(|row| Some(row.z_against(row.r_exact?)))
            .collect()
    }

    /// `(r_raw − r_conditional) / sqrt(se_raw² + se_conditional²)` for every raw row and the
    /// conditional row of the same `(activation, L, n, multiset)` (independent ensembles; NaN
    /// where `r` is undefined).
    pub fn raw_against_conditional(&self) -> Vec<f64> {
        let conditional: std::collections::HashMap<_, &DepthRow> = self
            .rows
            .iter()
            .filter(|c| c.estimator == Estimator::Conditional)
            .map(|c| ((c.network, c.depth, c.width, c.indices.as_str()), c))
            .collect();
        self.rows
            .iter()
            .filter(|row| row.estimator == Estimator::Raw)
            .filter_map(|raw| {
                let cond = conditional.get(&(raw.network, raw.depth, raw.width, raw.indices.as_str()))?;
                Some((raw.r_mean - cond.r_mean) / raw.r_stderr.hypot(cond.r_stderr))
            })
            .collect()
    }
}

/// A prediction of the depth study that carries a quadrature error estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prediction {
    /// `r`'s leading order, from the four-point vertex ([`DepthRow::r_leading_order`]).
    FourPointVertex,
    /// `K1`, the `1/n` shift of `G2` ([`ShiftRow::shift_leading_order`]).
    Shift,
    /// The connected six-point function's leading order, from the six-point vertex
    /// ([`SixPointRow::c6_leading_order`]).
    SixPointVertex,
    /// `r` through order `1/n²` ([`DepthRow::r_next_order`]).
    NextOrder,
}

impl Prediction {
    /// How the summary names it.
    pub fn name(self) -> &'static str {
        match self {
            Prediction::FourPointVertex => "r leading order",
            Prediction::Shift => "K1",
            Prediction::SixPointVertex => "six-point vertex term",
            Prediction::NextOrder => "r through order 1/n²",
        }
    }
}

impl std::fmt::Display for Prediction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl DepthReport {
    /// The largest relative quadrature error estimate of `r`'s leading order over the
    /// conditional rows (the raw rows repeat the same predictions), and where it occurs.
    pub fn leading_order_relative_error(&self) -> Option<RelativeError<Prediction>> {
        RelativeError::largest(
            Prediction::FourPointVertex,
            self.rows
                .iter()
                .filter(|r| r.estimator == Estimator::Conditional)
                .map(|r| (r.network, r.depth, r.width, r.indices.as_str(), r.r_leading_order, r.r_leading_order_error)),
        )
    }

    /// The largest relative quadrature error estimates of `K1` (over the shift rows), of the
    /// six-point vertex term (over the six-point rows) and of `r` through order `1/n²` (over the
    /// conditional diagonal rows), and where each occurs.
    pub fn next_order_relative_errors(&self) -> [Option<RelativeError<Prediction>>; 3] {
        [
            RelativeError::largest(
                Prediction::Shift,
                self.shifts.iter().map(|r| {
                    (
                        r.network,
                        r.depth,
                        r.width,
                        r.indices.as_str(),
                        r.shift_leading_order,
                        r.shift_leading_order_error,
                    )
                }),
            ),
            RelativeError::largest(
                Prediction::SixPointVertex,
                self.six_points.iter().map(|r| {
                    (r.network, r.depth, r.width, r.indices.as_str(), r.c6_leading_order, r.c6_leading_order_error)
                }),
            ),
            RelativeError::largest(
                Prediction::NextOrder,
                self.rows.iter().filter(|r| r.estimator == Estimator::Conditional).filter_map(|r| {
                    Some((r.network, r.depth, r.width, r.indices.as_str(), r.r_next_order?, r.r_next_order_error?))
                }),
            ),
        ]
    }
}

fn diagonal_label() -> String {
    [FIT_POINT; 4].map(|i| i.to_string()).join(",")
}

/// Runs the study: every ensemble through `runner`, the leading order and the exact values
/// beside each, then the scans.
pub fn run(runner: &dyn Runner, plan: &DepthPlan) -> Result<DepthReport> {
    let xs = inputs()?;
    let m4 = Multisets::new(xs.len(), 4)?;
    let mut report = DepthReport::default();
    let max_depth = plan.depths.iter().copied().max().unwrap_or(1);
    let xs6 = six_point_inputs(&xs)?;
    for &act in &plan.activations {
        // one recursion to the deepest L; every (L, n) is a truncation and rescaling of it
        let deepest_net = network(act, &vec![1; max_depth])?;
        let deepest = KernelShift::with_monitor(&deepest_net, &xs, runner.monitor())?;
        let deepest_six = SixPointVertex::with_monitor(&deepest_net, &xs6, runner.monitor())?;
        report.quadrature_error = report.quadrature_error.max(deepest.vertex().quadrature_error());
        // the one-input law at each point, its moments reused at every (L, n)
        let deepest_laws: Vec<OneInputLaw> =
            xs.points().map(|x| OneInputLaw::new(&deepest_net, x)).collect::<std::result::Result<_, _>>()?;
        for &depth in &plan.depths {
            for &width in &plan.widths {
                let widths = vec![width; depth];
                let net = network(act, &widths)?;
                let shift = deepest.at_widths(&widths)?;
                let six = deepest_six.at_widths(&widths)?;
                report.next_order_quadrature_error =
                    report.next_order_quadrature_error.max(shift.quadrature_error()).max(six.quadrature_error());
                let leading = shift.vertex().leading_order_r();
                let vertex_error = shift.vertex().vertex_error();
                let exact = exact_one_input_ratio(&net).map(|p| p - 1.0);
                // r through order 1/n² at each point (the diagonal multisets)
                let next: Vec<(f64, f64)> = deepest_laws
                    .iter()
                    .map(|law| {
                        let law = law.at_widths(&widths)?;
                        let ((r1, r2), e) = (law.r(), law.error());
                        Ok((r1 + r2, e[6] + e[7]))
                    })
                    .collect::<Result<_>>()?;
                let estimators: &[Estimator] = if width == plan.raw_width {
                    &[Estimator::Conditional, Estimator::Raw]
                } else {
                    &[Estimator::Conditional]
                };
                for &est in estimators {
                    let key = EnsembleKey::Depth { activation: act, depth, width, estimator: est };
                    let seed = key.seed(runner.seed());
                    // G6 for the next orders on the conditional ensembles (orders 2 and 4 are
                    // the same bit for bit with or without it)
                    let ens = DeepEnsemble::new(net.clone(), xs.clone(), plan.nets, plan.experiments, est, seed)?
                        .with_order_six(est == Estimator::Conditional)?;
                    let result = runner.deep_ensemble(&key, &ens)?;
                    let r = summarize(&result.normalised_connected()?, plan.experiments)?;
                    for pos in 0..m4.len() {
                        let set = m4.get(pos);
                        let diagonal = set.iter().all(|&p| p == set[0]);
                        let points = [0, 1, 2, 3].map(|i| usize::from(set[i]));
                        // Σ_3 V / (n Wick4(K)): three entries of V, each within the vertex's error
                        // r undefined (Wick4(K) = 0): no measured value, no error estimate
                        let undefined = leading[pos].is_nan();
                        let leading_error = if undefined {
                            f64::NAN
                        } else if vertex_error == 0.0 {
                            0.0
                        } else {
                            3.0 * vertex_error / (width as f64 * shift.vertex().gp_g4([0; 4], points).abs())
                        };
                        report.rows.push(DepthRow {
                            network: act,
                            depth,
                            width,
                            d_out: 1,
                            indices: m4.label(pos),
                            diagonal,
                            estimator: est,
                            r_mean: if undefined { f64::NAN } else { r.mean[pos] },
                            r_stderr: if undefined { f64::NAN } else { r.stderr[pos] },
                            r_leading_order: leading[pos],
                            r_leading_order_error: leading_error,
                            r_exact: exact.filter(|_| diagonal),
                            r_next_order: diagonal.then(|| next[points[0]].0),
                            r_next_order_error: diagonal.then(|| next[points[0]].1),
                        });
                    }
                    if est == Estimator::Conditional {
                        report.shifts.extend(shift_rows(&net, &shift, &result)?);
                        report.six_points.extend(six_point_rows(&net, &six, &result)?);
                    }
                }
            }
        }
    }
    report.fits = fits(&report, plan);
    Ok(report)
}

/// The depth scans at each width and the width scans at each depth.
fn fits(report: &DepthReport, plan: &DepthPlan) -> Vec<DepthFit> {
    let mut out = Vec::new();
    for &act in &plan.activations {
        for &width in &plan.widths {
            let rows: Vec<(usize, &DepthRow)> =
                plan.depths.iter().filter_map(|&l| Some((l, report.diagonal(act, l, width)?))).collect();
            out.push(scan_fit(act, Scan::Depth, width, &rows));
        }
        for &depth in &plan.depths {
            let rows: Vec<(usize, &DepthRow)> =
                plan.widths.iter().filter_map(|&n| Some((n, report.diagonal(act, depth, n)?))).collect();
            out.push(scan_fit(act, Scan::Width, depth, &rows));
        }
    }
    out
}

fn scan_fit(act: DeepActivation, scan: Scan, fixed: usize, rows: &[(usize, &DepthRow)]) -> DepthFit {
    let used: Vec<&(usize, &DepthRow)> = rows.iter().filter(|(_, r)| r.r_mean > 0.0).collect();
    let x: Vec<f64> = used.iter().map(|(v, _)| *v as f64).collect();
    let slope =
        |y: Vec<f64>| (y.len() == x.len() && y.iter().all(|v| *v > 0.0)).then(|| fit_power_law(&x, &y).ok()).flatten();
    let fit = slope(used.iter().map(|(_, r)| r.r_mean).collect());
    let leading = slope(used.iter().map(|(_, r)| r.r_leading_order).collect()).map(|f| f.slope);
    let exact = slope(used.iter().filter_map(|(_, r)| r.r_exact).collect()).map(|f| f.slope);
    let mut by_ratio: Vec<&DepthRow> = rows.iter().map(|(_, r)| *r).collect();
    by_ratio.sort_by(|a, b| a.l_over_n().total_cmp(&b.l_over_n()));
    DepthFit {
        network: act,
        scan,
        fixed,
        indices: diagonal_label(),
        values: used.iter().map(|(v, _)| *v).collect(),
        fit,
        slope_leading_order: leading,
        slope_exact: exact,
        leading_order_fails_at: by_ratio.iter().find(|r| r.leaves_leading_order()).map(|r| r.l_over_n()),
        next_order_fails_at: by_ratio.iter().find(|r| r.leaves_next_order() == Some(true)).map(|r| r.l_over_n()),
    }
}

impl DepthReport {
    /// The study's tables with the stems of their report files: `depth` ([`depth_table`]),
    /// `depth_fits` ([`fits_table`]), `depth_shift` ([`shift_table`]) and `depth_six_point`
    /// ([`six_point_table`]), as `cargo xtask reproduce` writes them and Python's `nnqft.depth`
    /// returns them.
    pub fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![
            ("depth", depth_table(&self.rows)),
            ("depth_fits", fits_table(&self.fits)),
            ("depth_shift", shift_table(&self.shifts)),
            ("depth_six_point", six_point_table(&self.six_points)),
        ]
    }

    /// The shift row of the diagonal pair of [`FIT_POINT`] at `(act, L, n)`.
    pub fn diagonal_shift(&self, act: DeepActivation, depth: usize, width: usize) -> Option<&ShiftRow> {
        let label = format!("{FIT_POINT},{FIT_POINT}");
        self.shifts.iter().find(|r| r.network == act && r.depth == depth && r.width == width && r.indices == label)
    }

    /// The six-point row of the diagonal multiset of [`FIT_POINT`] at `(act, L, n)`.
    pub fn diagonal_six_point(&self, act: DeepActivation, depth: usize, width: usize) -> Option<&SixPointRow> {
        let label = [FIT_POINT; 6].map(|i| i.to_string()).join(",");
        self.six_points.iter().find(|r| r.network == act && r.depth == depth && r.width == width && r.indices == label)
    }
}

/// `depth.parquet`: the normalised connected 4-pt function `r` of deep networks on every
/// multiset of order 4, against the leading order and the exact value (relu, diagonal).
pub fn depth_table(rows: &[DepthRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("depth", rows.iter().map(|r| r.depth as i64))
        .int("width", rows.iter().map(|r| r.width as i64))
        .int("d_out", rows.iter().map(|r| r.d_out as i64))
        .int("n", rows.iter().map(|_| 4))
        .str("indices", rows.iter().map(|r| r.indices.clone()))
        .str("estimator", rows.iter().map(|r| r.estimator.name()))
        .f64("r_mean", rows.iter().map(|r| r.r_mean))
        .f64("r_stderr", rows.iter().map(|r| r.r_stderr))
        .f64("r_leading_order", rows.iter().map(|r| r.r_leading_order))
        .opt("r_exact", rows.iter().map(|r| r.r_exact))
        .opt("r_next_order", rows.iter().map(|r| r.r_next_order))
}

/// `depth_fits.parquet`: power laws of `r` (diagonal multiset, conditional estimator) in the
/// depth at fixed width and in the width at fixed depth.
pub fn fits_table(fits: &[DepthFit]) -> Table {
    let f = |g: fn(&PowerLawFit) -> f64| fits.iter().map(move |r| r.fit.as_ref().map(g)).collect::<Vec<_>>();
    let fixed = |scan: Scan| fits.iter().map(move |r| (r.scan != scan).then_some(r.fixed as i64)).collect::<Vec<_>>();
    Table::new()
        .str("network", fits.iter().map(|r| r.network.name()))
        .str("scan", fits.iter().map(|r| r.scan.name()))
        .opt_int("depth", fixed(Scan::Depth))
        .opt_int("width", fixed(Scan::Width))
        .str("indices", fits.iter().map(|r| r.indices.clone()))
        .str("estimator", fits.iter().map(|_| "conditional"))
        .str("values_used", fits.iter().map(|r| joined(&r.values)))
        .opt("slope", f(|p| p.slope))
        .opt("slope_lo", f(|p| p.slope_lo))
        .opt("slope_hi", f(|p| p.slope_hi))
        .opt("r2", f(|p| p.r2))
        .opt("slope_leading_order", fits.iter().map(|r| r.slope_leading_order))
        .opt("slope_exact", fits.iter().map(|r| r.slope_exact))
        .f64("slope_nominal", fits.iter().map(|r| r.scan.nominal_slope()))
        .opt("leading_order_fails_at_l_over_n", fits.iter().map(|r| r.leading_order_fails_at))
        .opt("next_order_fails_at_l_over_n", fits.iter().map(|r| r.next_order_fails_at))
}
