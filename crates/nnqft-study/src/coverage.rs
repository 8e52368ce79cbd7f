//! `cargo xtask coverage`: how often each scaling-slope method's 95% interval contains the
//! exact slope. The scaling study is repeated at reduced size over many independent seeds, for
//! Erf, ReLU and Gauss-net at d = 1 with each network's unbiased low-variance estimator
//! (conditional; bias-integrated for Gauss-net), and every fit with an interval is checked
//! against the slope the same method gives on the exact correlators over the same widths.
//! Writes `coverage.parquet` and `COVERAGE.md` into `--out` (default `reports/coverage`).

use crate::error::Result;
use crate::key::EnsembleKey;
use crate::scaling::{DeviationSeries, SlopeMethod, block, estimators, fit_rows, nnqft_theory_gp};
use crate::table::Table;
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_theory::{Activation, FiniteWidthTheory, InputSet, Network};

/// The size of a coverage study.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CoveragePlan {
    /// Independent repetitions of the reduced scaling study.
    pub seeds: usize,
    /// Widths of each repetition.
    pub widths: Vec<usize>,
    /// Experiments per width.
    pub experiments: usize,
    /// Nets per experiment.
    pub nets: u64,
}

impl CoveragePlan {
    /// The study of the closing criteria: 200 seeds, the paper's widths up to 100, 10
    /// experiments of 2,000 nets per width.
    pub fn standard(seeds: usize) -> Self {
        Self { seeds, widths: vec![2, 3, 4, 5, 10, 20, 50, 100], experiments: 10, nets: 2_000 }
    }
}

/// Coverage of one `(network, estimator, method, quantity)`.
#[derive(Debug, Clone)]
pub struct CoverageRow {
    /// Network.
    pub network: Activation,
    /// Estimator.
    pub estimator: Estimator,
    /// The paper's least-squares fit or the common exponent.
    pub method: SlopeMethod,
    /// `m4`, `m6` or `connected_6pt`.
    pub quantity: String,
    /// Fits that had an interval and an exact slope.
    pub repetitions: usize,
    /// Of those, how many intervals contained the exact slope.
    pub covered: usize,
}

impl CoverageRow {
    /// Fraction covered.
    pub fn coverage(&self) -> f64 {
        self.covered as f64 / self.repetitions.max(1) as f64
    }
    /// Binomial standard error of the coverage at the nominal 95%.
    pub fn binomial_stderr(&self) -> f64 {
        (0.95 * 0.05 / self.repetitions.max(1) as f64).sqrt()
    }
}

/// Runs the study for `networks` and returns one row per network, method and quantity.
///
/// The target of an interval: for `paper_lsq`, the exact slope over the widths that
/// repetition used (they differ from one repetition to the next); for `common_exponent`, which
/// uses every width but weighs the points by their measured standard errors, the mean over the
/// repetitions of the exact slope under each repetition's weights, the exponent the method
/// estimates. For `m4` and the connected 6-pt function (exactly `N^-1` and `N^-2`) that is the
/// exact exponent whatever the weights; `Delta G6` mixes `N^-1` and `N^-2`, so its target depends
/// on the weights, and the jackknife, which re-estimates them, measures the spread about it.
///
/// `seed` is the master seed, `threads` the worker threads of every ensemble, and
/// `on_repetition(network, done, total)` is called after each repetition (progress).
pub fn run(
    seed: u64,
    threads: usize,
    plan: &CoveragePlan,
    networks: &[Activation],
    on_repetition: &dyn Fn(Activation, usize, usize),
) -> Result<Vec<CoverageRow>> {
    // (network, estimator, method, quantity, interval low, high, exact slope) of every fit
    let mut intervals = Vec::new();
    for &act in networks {
        let net = Network::paper(act, 1)?;
        let xs = InputSet::scaling(act, 1)?;
        let gp = nnqft_theory_gp(&net, &xs)?;
        let theory = FiniteWidthTheory::new(&net, &xs)?;
        let exact: Vec<_> = plan.widths.iter().map(|&w| theory.at_width(w)).collect::<Result<_, _>>()?;
        // the best estimator, last in the list
        let Some(&est) = estimators(act).last() else { continue };
        for rep in 0..plan.seeds {
            let mut series = DeviationSeries::new(act, 1, est, plan.experiments, &gp);
            let mut rows = Vec::new();
            for (&width, ex) in plan.widths.iter().zip(&exact) {
                let s = EnsembleKey::Coverage { activation: act, width, repetition: rep }.seed(seed);
                let result =
                    Ensemble::new(net, width, xs.clone(), plan.nets, plan.experiments, est, s)?.run(threads)?;
                let b = block(&net, width, est, &result, &gp, Some(ex))?;
                series.push(width, &b);
                rows.extend(b.rows);
            }
            let mut fits = fit_rows(&rows)?;
            fits.extend(series.fits()?);
            for f in fits.iter().filter(|f| f.n > 2) {
                let (Some(fit), Some(exact)) = (&f.fit, f.slope_exact) else { continue };
                if fit.slope_lo.is_finite() {
                    intervals.push((act, est, f.method, f.label(), fit.slope_lo, fit.slope_hi, exact));
                }
            }
            on_repetition(act, rep + 1, plan.seeds);
        }
    }
    let mut out: Vec<CoverageRow> = Vec::new();
    for (act, est, method, quantity, ..) in &intervals {
        if out.iter().any(|r| r.network == *act && r.method == *method && r.quantity == *quantity) {
            continue;
        }
        let group: Vec<_> = intervals.iter().filter(|i| i.0 == *act && i.2 == *method && i.3 == *quantity).collect();
        // common_exponent: one target for the group, the mean of the exact slopes (see `run`)
        let mean_exact = group.iter().map(|i| i.6).sum::<f64>() / group.len() as f64;
        let covered = group
            .iter()
            .filter(|i| {
                let target = if *method == SlopeMethod::CommonExponent { mean_exact } else { i.6 };
                i.4 <= target && target <= i.5
            })
            .count();
        out.push(CoverageRow {
            network: *act,
            estimator: *est,
            method: *method,
            quantity: quantity.clone(),
            repetitions: group.len(),
            covered,
        });
    }
    Ok(out)
}

/// `coverage.parquet`: one row per network, estimator, method and quantity, how often the
/// interval covered the exact slope, with the binomial standard error and the plan's sizes.
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
