//! The Parquet tables of the reports (their columns are listed in README): one function per file, from the
//! studies' typed rows to named columns. Every table gains a leading `run_id` column when
//! encoded ([`crate::report::parquet_bytes`]).

use crate::report::Table;
use nnqft_stats::PowerLawFit;
use nnqft_study::coverage::{CoveragePlan, CoverageRow};
use nnqft_study::depth::{DepthFit, DepthRow, Scan};
use nnqft_study::rg::{FitRow as RgFitRow, FlowRow, NaturalRow, SixRow, flow_estimator};
use nnqft_study::scaling::{CorrelatorColumns, FitRow, ScalingRow};
use nnqft_study::table5::Row;

/// `correlators.parquet`: per network, width, estimator, order and multiset, the measured correlator with
/// its errors beside the GP, the leading-order connected part (deep networks) and exact theory
/// ([`CorrelatorColumns::into_table`], the table Python's `nnqft.sample` returns too).
pub fn correlators_table(c: CorrelatorColumns) -> Table {
    c.into_table(false)
}

/// `correlators_experiments.parquet`: the values `correlators.parquet` summarises, one row per
/// (block, order, multiset, experiment) with that experiment's mean `g` over its nets.
pub fn correlators_experiments_table(c: &CorrelatorColumns) -> Table {
    let rows: Vec<(usize, usize)> =
        c.g_experiments.iter().enumerate().flat_map(|(i, es)| (0..es.len()).map(move |e| (i, e))).collect();
    let text = |col: &[String]| rows.iter().map(|&(i, _)| col[i].clone()).collect::<Vec<_>>();
    let int = |col: &[i64]| rows.iter().map(|&(i, _)| col[i]).collect::<Vec<_>>();
    Table::new()
        .str("network", text(&c.network))
        .int("d_in", int(&c.d_in))
        .int("depth", int(&c.depth))
        .int("width", int(&c.width))
        .str("widths", text(&c.widths))
        .int("n", int(&c.n))
        .str("indices", text(&c.indices))
        .str("outputs", text(&c.outputs))
        .str("estimator", text(&c.estimator))
        .int("experiment", rows.iter().map(|&(_, e)| e as i64))
        .f64("g", rows.iter().map(|&(i, e)| c.g_experiments[i][e]))
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
pub fn scaling_fits_table(fits: &[FitRow]) -> Table {
    let f = |g: fn(&PowerLawFit) -> f64| fits.iter().map(move |r| r.fit.as_ref().map(g)).collect::<Vec<_>>();
    Table::new()
        .str("network", fits.iter().map(|r| r.network.name()))
        .int("d_in", fits.iter().map(|r| r.d as i64))
        .int("n", fits.iter().map(|r| r.n as i64))
        .str("estimator", fits.iter().map(|r| r.estimator.name()))
        .str("quantity", fits.iter().map(|r| r.quantity.name()))
        .str("method", fits.iter().map(|r| r.method.name()))
        .opt("slope", f(|p| p.slope))
        .opt("slope_lo", f(|p| p.slope_lo))
        .opt("slope_hi", f(|p| p.slope_hi))
        .opt("slope_stderr", fits.iter().map(|r| r.slope_stderr))
        .opt("r2", f(|p| p.r2))
        .str("widths_used", fits.iter().map(|r| r.widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",")))
        .opt("slope_exact", fits.iter().map(|r| r.slope_exact))
        .f64("slope_expected", fits.iter().map(|r| r.slope_expected))
}

/// `table5.parquet`.
pub fn table5_table(rows: &[Row]) -> Table {
    let c = |j: usize| rows.iter().map(move |r| r.couplings[j]).collect::<Vec<_>>();
    let e = |j: usize| rows.iter().map(move |r| r.stderr.map(|s| s[j])).collect::<Vec<_>>();
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .str("model", rows.iter().map(|r| r.model.name()))
        .str("loss", rows.iter().map(|r| r.loss.name()))
        .str("source", rows.iter().map(|r| r.source.name()))
        .opt_str("estimator", rows.iter().map(|r| r.estimator.map(|e| e.name().to_string())))
        .f64("lambda0", c(0))
        .f64("lambda2", c(1))
        .f64("lambda_nl", c(2))
        .opt("lambda0_stderr", e(0))
        .opt("lambda2_stderr", e(1))
        .opt("lambda_nl_stderr", e(2))
        .opt("train_mape", rows.iter().map(|r| r.train.map(|t| t.0)))
        .opt("train_mse", rows.iter().map(|r| r.train.map(|t| t.1)))
        .f64("test_mape", rows.iter().map(|r| r.test.0))
        .f64("test_mse", rows.iter().map(|r| r.test.1))
        .f64_with_inf("condition_number", rows.iter().map(|r| r.condition_number.unwrap_or(f64::NAN)))
        .str("determined", rows.iter().map(|r| if r.singular { "no" } else { "yes" }))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64_with_inf("cutoff", rows.iter().map(|r| r.cutoff))
        .opt("nets", rows.iter().map(|r| r.nets.map(|n| n as f64)))
}

/// `rg_flow.parquet`.
pub fn rg_flow_table(rows: &[FlowRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("d_in", rows.iter().map(|r| r.d as i64))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64("cutoff", rows.iter().map(|r| r.cutoff))
        .str("estimator", rows.iter().map(|r| flow_estimator(r.network).name()))
        .f64("lambda_mean", rows.iter().map(|r| r.lambda_mean))
        .f64("lambda_stderr", rows.iter().map(|r| r.lambda_stderr))
        .f64("lambda_mean_conditional", rows.iter().map(|r| r.lambda_mean_conditional))
        .f64("lambda_stderr_conditional", rows.iter().map(|r| r.lambda_stderr_conditional))
        .f64("lambda_exact", rows.iter().map(|r| r.lambda_exact))
        .f64("lambda_spread_exact", rows.iter().map(|r| r.lambda_spread))
        .f64("beta_exact", rows.iter().map(|r| r.beta_exact))
        .f64("beta_mean", rows.iter().map(|r| r.beta_mean))
        .f64("beta_stderr", rows.iter().map(|r| r.beta_stderr))
        .f64("sextic_exact", rows.iter().map(|r| r.sextic_exact))
        .f64("sextic_spread_exact", rows.iter().map(|r| r.sextic_spread))
}

/// `rg_fits.parquet`.
pub fn rg_fits_table(rows: &[RgFitRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("d_in", rows.iter().map(|r| r.d as i64))
        .str("source", rows.iter().map(|r| r.source.name()))
        .f64("slope", rows.iter().map(|r| r.slope))
        .f64("r2", rows.iter().map(|r| r.r2))
        .f64("intercept", rows.iter().map(|r| r.intercept))
        .opt("slope_expected", rows.iter().map(|r| r.slope_expected))
}

/// `six_point.parquet`.
pub fn six_point_table(rows: &[SixRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64("cutoff", rows.iter().map(|r| r.cutoff))
        .f64("ratio_gp", rows.iter().map(|r| r.ratio_gp))
        .f64("ratio_gp_stderr", rows.iter().map(|r| r.ratio_gp_stderr))
        .f64("ratio_gp_lambda", rows.iter().map(|r| r.ratio_gp_lambda))
        .f64("ratio_gp_lambda_stderr", rows.iter().map(|r| r.ratio_gp_lambda_stderr))
        .f64("ratio_gp_exact", rows.iter().map(|r| r.ratio_gp_exact))
        .f64("ratio_gp_lambda_exact", rows.iter().map(|r| r.ratio_gp_lambda_exact))
}

/// `naturalness.parquet`.
pub fn naturalness_table(rows: &[NaturalRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .f64("x_scale", rows.iter().map(|r| r.scale))
        .f64_with_inf("cutoff", rows.iter().map(|r| r.cutoff))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64("lambda_mean", rows.iter().map(|r| r.lambda_mean))
        .f64("lambda_spread", rows.iter().map(|r| r.lambda_spread))
}

/// `coverage.parquet`.
pub fn coverage_table(rows: &[CoverageRow], plan: &CoveragePlan) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .str("estimator", rows.iter().map(|r| r.estimator.name()))
        .str("method", rows.iter().map(|r| r.method.name()))
        .str("quantity", rows.iter().map(|r| r.quantity.clone()))
        .int("repetitions", rows.iter().map(|r| r.repetitions as i64))
        .int("covered", rows.iter().map(|r| r.covered as i64))
        .f64("coverage", rows.iter().map(CoverageRow::coverage))
        .f64("binomial_stderr", rows.iter().map(CoverageRow::binomial_stderr))
        .int("seeds", rows.iter().map(|_| plan.seeds as i64))
        .int("nets", rows.iter().map(|_| plan.nets as i64))
        .int("experiments", rows.iter().map(|_| plan.experiments as i64))
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
}

/// `depth_fits.parquet`: power laws of `r` (diagonal multiset, conditional estimator) in the
/// depth at fixed width and in the width at fixed depth.
pub fn depth_fits_table(fits: &[DepthFit]) -> Table {
    let f = |g: fn(&PowerLawFit) -> f64| fits.iter().map(move |r| r.fit.as_ref().map(g)).collect::<Vec<_>>();
    let fixed = |scan: Scan| fits.iter().map(move |r| (r.scan != scan).then_some(r.fixed as i64)).collect::<Vec<_>>();
    Table::new()
        .str("network", fits.iter().map(|r| r.network.name()))
        .str("scan", fits.iter().map(|r| r.scan.name()))
        .opt_int("depth", fixed(Scan::Depth))
        .opt_int("width", fixed(Scan::Width))
        .str("indices", fits.iter().map(|r| r.indices.clone()))
        .str("estimator", fits.iter().map(|_| "conditional"))
        .str("values_used", fits.iter().map(|r| r.values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")))
        .opt("slope", f(|p| p.slope))
        .opt("slope_lo", f(|p| p.slope_lo))
        .opt("slope_hi", f(|p| p.slope_hi))
        .opt("r2", f(|p| p.r2))
        .opt("slope_leading_order", fits.iter().map(|r| r.slope_leading_order))
        .opt("slope_exact", fits.iter().map(|r| r.slope_exact))
        .f64("slope_nominal", fits.iter().map(|r| r.scan.nominal_slope()))
        .opt("leading_order_fails_at_l_over_n", fits.iter().map(|r| r.leading_order_fails_at))
}
