//! The N^-1 scaling study (paper section 2; SPEC sections 3, 4, 6): for each network, input
//! dimension, width and estimator, sample the ensemble, compare `G(n)` with the GP and the
//! exact finite-width theory, and fit the power laws.

use crate::context::{Context, block_seed};
use crate::profile::ScalingPlan;
use crate::report::Table;
use anyhow::Result;
use nnqft_sampling::{Ensemble, EnsembleResult, Estimator};
use nnqft_stats::{
    PowerLawFit, Summary, background, connected_six_point, fit_power_law, jackknife_stderr, m_n,
    mean_relative_deviation, summarize,
};
use nnqft_theory::{Activation, FiniteWidthTheory, InputSet, Network};

/// The estimators, in report order.
pub const ESTIMATORS: [Estimator; 2] = [Estimator::Raw, Estimator::Conditional];

/// One row of `scaling.parquet`.
#[derive(Debug, Clone)]
pub struct ScalingRow {
    /// Network.
    pub network: Activation,
    /// Input dimension.
    pub d: usize,
    /// Width.
    pub width: usize,
    /// Order n.
    pub n: usize,
    /// Estimator.
    pub estimator: Estimator,
    /// `m_n` measured.
    pub m_n: f64,
    /// Standard error of `m_n` over experiments (delete-one jackknife, `nnqft_stats::jackknife_stderr`).
    pub m_n_stderr: f64,
    /// Background.
    pub background: f64,
    /// `m_n` of the exact finite-width correlators.
    pub m_n_exact: Option<f64>,
    /// n = 6 only: mean |connected 6-pt| / |G6_GP|, measured.
    pub connected: Option<f64>,
    /// Its standard error over experiments (jackknife).
    pub connected_stderr: Option<f64>,
    /// Its background.
    pub connected_background: Option<f64>,
    /// Its exact value (`kappa6`).
    pub connected_exact: Option<f64>,
}

/// One row of `scaling_fits.parquet`.
#[derive(Debug, Clone)]
pub struct FitRow {
    /// Network.
    pub network: Activation,
    /// Input dimension.
    pub d: usize,
    /// Order n.
    pub n: usize,
    /// Estimator.
    pub estimator: Estimator,
    /// `m_n` or `connected_6pt`.
    pub quantity: &'static str,
    /// Fit over the widths where the signal exceeds 3x the background (None if < 2).
    pub fit: Option<PowerLawFit>,
    /// Widths used.
    pub widths: Vec<usize>,
    /// Slope of the exact curve over the same widths.
    pub slope_exact: Option<f64>,
    /// The paper's expectation.
    pub slope_expected: f64,
}

/// Agreement of measured correlators with the exact finite-width theory, pooled over widths
/// and multisets of one `(network, d, estimator, n)`: `z = (g_mean - g_exact) / g_stderr`.
#[derive(Debug, Clone)]
pub struct AgreementRow {
    /// Network.
    pub network: Activation,
    /// Input dimension.
    pub d: usize,
    /// Estimator.
    pub estimator: Estimator,
    /// Order n.
    pub n: usize,
    /// Number of (width, multiset) values compared.
    pub count: usize,
    /// Fraction with |z| <= 3.
    pub within_3: f64,
    /// Median |z|.
    pub median_abs_z: f64,
    /// Largest |z|.
    pub max_abs_z: f64,
}

/// Everything the scaling study produces.
pub struct ScalingReport {
    /// Measured against exact, per (network, d, estimator, n).
    pub agreement: Vec<AgreementRow>,
    /// What honest error bars from the plan's number of experiments give (Student's t).
    pub z_expected: nnqft_stats::ZExpectation,
    /// Every signed `z = (g_mean - g_exact) / g_stderr` behind `agreement`, keyed by
    /// `(network, d, estimator, n)`.
    pub z_scores: Vec<((Activation, usize, Estimator, usize), f64)>,
    /// `correlators.parquet`.
    pub correlators: Table,
    /// Rows of `scaling.parquet`.
    pub rows: Vec<ScalingRow>,
    /// Rows of `scaling_fits.parquet`.
    pub fits: Vec<FitRow>,
}

/// Per-multiset correlator rows, accumulated column-wise.
#[derive(Default)]
pub struct CorrelatorColumns {
    network: Vec<String>,
    d_in: Vec<i64>,
    width: Vec<i64>,
    n: Vec<i64>,
    indices: Vec<String>,
    estimator: Vec<String>,
    g_mean: Vec<f64>,
    g_stderr: Vec<f64>,
    g_std: Vec<f64>,
    g_gp: Vec<f64>,
    g_exact: Vec<Option<f64>>,
}

impl CorrelatorColumns {
    /// Appends the rows of one block.
    #[allow(clippy::too_many_arguments)]
    pub fn push_block(
        &mut self,
        net: &Network,
        width: usize,
        est: Estimator,
        result: &EnsembleResult,
        summaries: &[Summary; 3],
        gp: &[Vec<f64>; 3],
        exact: Option<&[Vec<f64>; 3]>,
    ) {
        for o in 0..3 {
            for pos in 0..result.multisets[o].len() {
                self.network.push(net.activation().name().into());
                self.d_in.push(net.d_in() as i64);
                self.width.push(width as i64);
                self.n.push(2 * o as i64 + 2);
                self.indices.push(result.multisets[o].label(pos));
                self.estimator.push(est.name().into());
                self.g_mean.push(summaries[o].mean[pos]);
                self.g_stderr.push(summaries[o].stderr[pos]);
                self.g_std.push(summaries[o].std[pos]);
                self.g_gp.push(gp[o][pos]);
                self.g_exact.push(exact.map(|e| e[o][pos]));
            }
        }
    }

    /// The table of SPEC section 8.
    pub fn into_table(self) -> Table {
        Table::new()
            .str("network", self.network)
            .int("d_in", self.d_in)
            .int("width", self.width)
            .int("n", self.n)
            .str("indices", self.indices)
            .str("estimator", self.estimator)
            .f64("g_mean", self.g_mean)
            .f64("g_stderr", self.g_stderr)
            .f64("g_std_experiments", self.g_std)
            .f64("g_gp", self.g_gp)
            .opt("g_exact", self.g_exact)
    }
}

/// Summaries of the three orders of a result.
pub fn summaries(result: &EnsembleResult) -> Result<[Summary; 3]> {
    Ok([
        summarize(&result.means[0], result.experiments)?,
        summarize(&result.means[1], result.experiments)?,
        summarize(&result.means[2], result.experiments)?,
    ])
}

/// Runs the study.
pub fn run(ctx: &Context, plan: &ScalingPlan) -> Result<ScalingReport> {
    let mut cols = CorrelatorColumns::default();
    let mut rows = Vec::new();
    let mut zs: Vec<((Activation, usize, Estimator, usize), f64)> = Vec::new();
    for &d in &plan.dims {
        for act in Activation::ALL {
            let net = Network::paper(act, d)?;
            let xs = InputSet::scaling(act, d)?;
            let theory = FiniteWidthTheory::new(&net, &xs).ok();
            let gp = nnqft_theory_gp(&net, &xs)?;
            for &width in &plan.widths {
                let exact = theory.as_ref().map(|t| t.at_width(width)).transpose()?;
                for est in ESTIMATORS {
                    let seed = block_seed(ctx.seed, &[act as u64, d as u64, width as u64, 1]);
                    let ens = Ensemble::new(net, width, xs.clone(), plan.nets, plan.experiments, est, seed)?;
                    let key = format!("scaling-{}-d{d}-N{width}-{}", act.name(), est.name());
                    let result = ctx.ensemble(&key, &ens, seed)?;
                    let sums = summaries(&result)?;
                    cols.push_block(&net, width, est, &result, &sums, &gp.tensors, exact.as_ref().map(|e| &e.g));
                    if let Some(ex) = exact.as_ref() {
                        for o in 0..3 {
                            for (p, (m, se)) in sums[o].mean.iter().zip(&sums[o].stderr).enumerate() {
                                if *se > 0.0 {
                                    zs.push(((act, d, est, 2 * o + 2), (m - ex.g[o][p]) / se));
                                }
                            }
                        }
                    }
                    let conn = connected(&result, &gp)?;
                    for o in 0..3 {
                        let six = o == 2;
                        rows.push(ScalingRow {
                            network: act,
                            d,
                            width,
                            n: 2 * o + 2,
                            estimator: est,
                            m_n: m_n(&sums[o], &gp.tensors[o])?,
                            m_n_stderr: jackknife_stderr(&result.means[o], result.experiments, |m| {
                                mean_relative_deviation(m, &gp.tensors[o])
                            })?,
                            background: background(&sums[o], &gp.tensors[o])?,
                            m_n_exact: exact
                                .as_ref()
                                .map(|e| mean_relative_deviation(&e.g[o], &gp.tensors[o]))
                                .transpose()?,
                            connected: six.then_some(conn.0),
                            connected_stderr: six.then_some(conn.2),
                            connected_background: six.then_some(conn.1),
                            connected_exact: if six {
                                exact.as_ref().map(|e| mean_abs_ratio(&e.kappa6, &gp.tensors[2]))
                            } else {
                                None
                            },
                        });
                    }
                }
            }
        }
    }
    let fits = fit_rows(&rows)?;
    let mut agreement = Vec::new();
    for (act, d, est) in groups(&rows) {
        for n in [2, 4, 6] {
            let mut z: Vec<f64> = zs.iter().filter(|(k, _)| *k == (act, d, est, n)).map(|(_, z)| z.abs()).collect();
            if z.is_empty() {
                continue;
            }
            z.sort_by(f64::total_cmp);
            agreement.push(AgreementRow {
                network: act,
                d,
                estimator: est,
                n,
                count: z.len(),
                within_3: z.iter().filter(|v| **v <= 3.0).count() as f64 / z.len() as f64,
                median_abs_z: z[z.len() / 2],
                max_abs_z: z[z.len() - 1],
            });
        }
    }
    let z_expected = nnqft_stats::z_expectation(plan.experiments)?;
    Ok(ScalingReport { correlators: cols.into_table(), rows, fits, agreement, z_expected, z_scores: zs })
}

/// GP tensors and the split table of an input set.
pub struct GpTensors {
    /// Wick sums of K for n = 2, 4, 6.
    pub tensors: [Vec<f64>; 3],
    /// The {4|2} splits.
    pub splits: nnqft_theory::SplitTable,
}

/// The GP prediction for a network on an input set.
pub fn nnqft_theory_gp(net: &Network, xs: &InputSet) -> Result<GpTensors> {
    let k = nnqft_theory::kernel_matrix(net, xs)?;
    let wick = nnqft_theory::WickSums::new(xs.len(), 6)?;
    let v = wick.evaluate(&k);
    let tensors = [v[0].clone(), v[1].clone(), v[2].clone()];
    let splits = nnqft_theory::SplitTable::new(wick.multisets(2), wick.multisets(1), wick.multisets(0))?;
    Ok(GpTensors { tensors, splits })
}

/// `mean_i |a_i| / |b_i|`.
pub fn mean_abs_ratio(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x.abs() / y.abs()).sum::<f64>() / a.len() as f64
}

/// Connected 6-pt per experiment; returns (mean |mean| / |G6_GP|, mean std / |G6_GP|, the
/// first's jackknife standard error).
fn connected(result: &EnsembleResult, gp: &GpTensors) -> Result<(f64, f64, f64)> {
    let mut per_exp = Vec::new();
    for e in 0..result.experiments {
        per_exp.extend(connected_six_point(
            result.experiment(2, e),
            result.experiment(1, e),
            &gp.tensors[1],
            &gp.tensors[2],
            &gp.tensors[0],
            gp.splits.entries(),
        )?);
    }
    let s = summarize(&per_exp, result.experiments)?;
    let stderr = jackknife_stderr(&per_exp, result.experiments, |m| {
        Ok::<_, nnqft_stats::StatsError>(mean_abs_ratio(m, &gp.tensors[2]))
    })?;
    Ok((mean_abs_ratio(&s.mean, &gp.tensors[2]), background(&s, &gp.tensors[2])?, stderr))
}

/// The distinct `(network, d, estimator)` groups of the rows, in first-seen order.
pub fn groups(rows: &[ScalingRow]) -> Vec<(Activation, usize, Estimator)> {
    let mut out: Vec<(Activation, usize, Estimator)> = Vec::new();
    for r in rows {
        let key = (r.network, r.d, r.estimator);
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// Fits m_4, m_6 and the connected 6-pt against N over the widths with signal > 3x background.
pub fn fit_rows(rows: &[ScalingRow]) -> Result<Vec<FitRow>> {
    let mut out = Vec::new();
    for (act, d, est) in groups(rows) {
        let sel =
            |n: usize| rows.iter().filter(move |r| r.network == act && r.d == d && r.estimator == est && r.n == n);
        type Pick = fn(&ScalingRow) -> (f64, f64, Option<f64>);
        let quantities: [(usize, &'static str, f64, Pick); 4] = [
            (2, "m_n", 0.0, |r| (r.m_n, r.background, r.m_n_exact)),
            (4, "m_n", -1.0, |r| (r.m_n, r.background, r.m_n_exact)),
            (6, "m_n", -1.0, |r| (r.m_n, r.background, r.m_n_exact)),
            (6, "connected_6pt", -2.0, |r| {
                (r.connected.unwrap_or(f64::NAN), r.connected_background.unwrap_or(f64::NAN), r.connected_exact)
            }),
        ];
        for (n, quantity, expected, pick) in quantities {
            let used: Vec<(usize, f64, Option<f64>)> = sel(n)
                .map(|r| (r.width, pick(r)))
                .filter(|(_, (v, bg, _))| *v > 3.0 * bg && *v > 0.0)
                .map(|(w, (v, _, ex))| (w, v, ex))
                .collect();
            let widths: Vec<usize> = used.iter().map(|u| u.0).collect();
            let x: Vec<f64> = widths.iter().map(|w| *w as f64).collect();
            let y: Vec<f64> = used.iter().map(|u| u.1).collect();
            let fit = if x.len() >= 2 { Some(fit_power_law(&x, &y)?) } else { None };
            let ex: Option<Vec<f64>> = used.iter().map(|u| u.2).collect();
            let slope_exact = match ex {
                Some(ex) if x.len() >= 2 && ex.iter().all(|v| *v > 0.0) => Some(fit_power_law(&x, &ex)?.slope),
                _ => None,
            };
            out.push(FitRow {
                network: act,
                d,
                n,
                estimator: est,
                quantity,
                fit,
                widths,
                slope_exact,
                slope_expected: expected,
            });
        }
    }
    Ok(out)
}

/// `scaling.parquet`.
pub fn scaling_table(rows: &[ScalingRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("d_in", rows.iter().map(|r| r.d as i64))
        .int("width", rows.iter().map(|r| r.width as i64))
        .int("n", rows.iter().map(|r| r.n as i64))
        .str("estimator", rows.iter().map(|r| r.estimator.name()))
        .f64("m_n", rows.iter().map(|r| r.m_n))
        .f64("m_n_stderr", rows.iter().map(|r| r.m_n_stderr))
        .f64("background", rows.iter().map(|r| r.background))
        .opt("m_n_exact", rows.iter().map(|r| r.m_n_exact))
        .opt("connected_6pt", rows.iter().map(|r| r.connected))
        .opt("connected_6pt_stderr", rows.iter().map(|r| r.connected_stderr))
        .opt("connected_6pt_background", rows.iter().map(|r| r.connected_background))
        .opt("connected_6pt_exact", rows.iter().map(|r| r.connected_exact))
}

/// `scaling_fits.parquet`.
pub fn fits_table(fits: &[FitRow]) -> Table {
    let f = |g: fn(&PowerLawFit) -> f64| fits.iter().map(move |r| r.fit.as_ref().map(g)).collect::<Vec<_>>();
    Table::new()
        .str("network", fits.iter().map(|r| r.network.name()))
        .int("d_in", fits.iter().map(|r| r.d as i64))
        .int("n", fits.iter().map(|r| r.n as i64))
        .str("estimator", fits.iter().map(|r| r.estimator.name()))
        .str("quantity", fits.iter().map(|r| r.quantity))
        .opt("slope", f(|p| p.slope))
        .opt("slope_lo", f(|p| p.slope_lo))
        .opt("slope_hi", f(|p| p.slope_hi))
        .opt("r2", f(|p| p.r2))
        .str("widths_used", fits.iter().map(|r| r.widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",")))
        .opt("slope_exact", fits.iter().map(|r| r.slope_exact))
        .f64("slope_expected", fits.iter().map(|r| r.slope_expected))
}
