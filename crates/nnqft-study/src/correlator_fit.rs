//! The models of Table 5 fitted to a correlators table that a user hands in (`nnqft fit` on a
//! `correlators.parquet`, `nnqft.fit` on a table of `nnqft.sample` or `nnqft.exact`): one
//! implementation for every front door, with one set of columns ([`TableFit`]).
//!
//! The table names its multisets by point indices only (`"0,0,1,3"`), so the input set, `sigma_w`
//! and `sigma_b` the fit's design is built from must be those the table was made with. Two
//! checks hold a wrong guess off: every 4-pt multiset of the input set has exactly one row, and
//! the table's GP column `g_gp` equals the GP four-point function of the given network within
//! [`GP_TOLERANCE`] (relative), so that a wrong `sigma_w` is an error instead of wrong couplings.
//!
//! The target is `ΔG4 = G4 − G4_GP` per multiset (or the connected four-point function itself
//! where the table has it exactly). Where the table also carries each experiment's `ΔG4`, every
//! experiment is fitted on its own too, and the standard error of each coupling is the standard
//! deviation of the experiments' couplings over `√E` (as for the Monte Carlo rows of Table 5);
//! otherwise it is NaN.

use crate::analyze::Analysis;
use crate::error::{Result, StudyError};
use crate::table::Table;
use crate::table5::{CouplingFit, FitProblem};
use nnqft_fit::{Loss, Model};
use nnqft_stats::jackknife_from_replicates;
use std::collections::HashMap;

/// Largest relative difference allowed between a table's `g_gp` and the GP of the options it
/// is fitted with (the GP is a closed form: only rounding separates two computations of it).
pub const GP_TOLERANCE: f64 = 1e-9;

/// The 4-pt rows of one ensemble of a correlators table.
#[derive(Debug, Clone, Default)]
pub struct FourPointRows {
    /// The multiset label of each row (`"0,0,1,3"`).
    pub indices: Vec<String>,
    /// The table's GP column `g_gp`, per row.
    pub g_gp: Vec<f64>,
    /// The target `ΔG4`, per row.
    pub delta_g4: Vec<f64>,
    /// Each experiment's `ΔG4` per row (experiment-major), where the table carries them.
    pub experiments: Option<Vec<Vec<f64>>>,
}

/// One model fitted under one loss, with the standard errors of its couplings.
#[derive(Debug, Clone)]
pub struct TableFit {
    /// The fit to the table's `ΔG4`.
    pub fit: CouplingFit,
    /// Standard error of `(λ0, λ2, λNL)` over the experiments' own fits: NaN without
    /// experiments; with them, 0 for the couplings the model does not fit.
    pub stderr: [f64; 3],
}

/// Fits `models` under `losses` to `rows` on the design of `problem` (see the module docs for
/// the checks). Errors name the column or option that does not match.
pub fn fit_rows(
    problem: &FitProblem,
    rows: &FourPointRows,
    models: &[Model],
    losses: &[Loss],
) -> Result<Vec<TableFit>> {
    let order = problem_order(problem, rows)?;
    let gp: Vec<f64> = order.iter().map(|&i| rows.g_gp[i]).collect();
    if let Some(bad) = gp.iter().find(|v| !v.is_finite()) {
        return Err(mismatch(
            "g_gp",
            format!("a non-finite GP value ({bad})"),
            "the finite GP four-point function".into(),
        ));
    }
    let worst =
        gp.iter().zip(problem.gp4()).map(|(a, b)| (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)).fold(0.0, f64::max);
    if worst.is_nan() || worst > GP_TOLERANCE {
        return Err(mismatch(
            "g_gp",
            format!("a GP four-point function that differs from these options' by up to {worst:.1e} (relative)"),
            format!("within {GP_TOLERANCE:e}: give the x-set, sigma_w and sigma_b the table was made with"),
        ));
    }
    let delta: Vec<f64> = order.iter().map(|&i| rows.delta_g4[i]).collect();
    let per_experiment: Option<Vec<Vec<f64>>> = rows
        .experiments
        .as_ref()
        .map(|es| {
            if es.len() < 2 {
                return Err(mismatch("experiments", format!("{}", es.len()), "at least 2 for standard errors".into()));
            }
            es.iter()
                .map(|e| {
                    if e.len() == rows.indices.len() {
                        Ok(order.iter().map(|&i| e[i]).collect())
                    } else {
                        Err(mismatch(
                            "experiments",
                            format!("{} values", e.len()),
                            format!("{} (one per row)", rows.indices.len()),
                        ))
                    }
                })
                .collect()
        })
        .transpose()?;
    let replicates = match per_experiment {
        Some(es) => Replicates::Experiments(es),
        None => Replicates::None,
    };
    fit_with_errors(problem, &delta, &replicates, models, losses)
}

/// Where the standard errors of fitted couplings come from.
enum Replicates {
    /// Nowhere: they are NaN.
    None,
    /// Each experiment's own target: the spread of the experiments' couplings over `√E`.
    Experiments(Vec<Vec<f64>>),
    /// Each delete-one target: the jackknife of the couplings fitted to them.
    Jackknife(Vec<Vec<f64>>),
}

/// `models` under `losses` fitted to `target` (in the problem's multiset order), with each
/// coupling's standard error from `replicates`.
fn fit_with_errors(
    problem: &FitProblem,
    target: &[f64],
    replicates: &Replicates,
    models: &[Model],
    losses: &[Loss],
) -> Result<Vec<TableFit>> {
    let mut out = Vec::new();
    for &model in models {
        for &loss in losses {
            let fit = problem.fit_one(target, model, loss)?;
            let couplings = |targets: &[Vec<f64>]| -> Result<Vec<[f64; 3]>> {
                targets.iter().map(|t| Ok(problem.fit_one(t, model, loss)?.couplings)).collect()
            };
            let stderr = match replicates {
                Replicates::None => [f64::NAN; 3],
                Replicates::Experiments(es) => {
                    let values: Vec<f64> = couplings(es)?.into_iter().flatten().collect();
                    let s = nnqft_stats::summarize(&values, es.len())?;
                    [s.stderr[0], s.stderr[1], s.stderr[2]]
                }
                Replicates::Jackknife(loo) => {
                    let c = couplings(loo)?;
                    [0, 1, 2].map(|j| jackknife_from_replicates(&c.iter().map(|c| c[j]).collect::<Vec<_>>()))
                }
            };
            out.push(TableFit { fit, stderr });
        }
    }
    Ok(out)
}

/// Table 5's models fitted to the measured connected four-point function of an ensemble nnqft
/// did not sample (`nnqft analyze --eft`, Python's `nnqft.analyze(..., eft=)`): the target is the
/// analysis's `connected` column at order 4 (`G4 − Wick4(G2)`, a U-statistic over experiments,
/// so it carries no `O(1/nets)` bias), on the design of `problem`, whose closed-form kernel gives
/// the vertex integrals. Each coupling's standard error is the delete-one jackknife over
/// experiments: the fit repeated on each delete-one target `(E·κ̂4 − p_x)/(E − 1)` built from the
/// analysis's pseudo-values `p_x`.
///
/// The kernel is the user's claim about the ensemble, and it is checked: every measured `G2`
/// must lie within [`crate::analyze::resolved_threshold`] standard errors (Student's t at the
/// two-sided probability of 5σ) of the kernel, else the error names the largest deviation.
/// One output only (Table 5's models are those of one output), on the problem's input set.
pub fn fit_connected(
    problem: &FitProblem,
    analysis: &Analysis,
    models: &[Model],
    losses: &[Loss],
) -> Result<Vec<TableFit>> {
    if analysis.outputs != 1 {
        return Err(mismatch(
            "outputs",
            format!("{} outputs per net", analysis.outputs),
            "1: Table 5's models are those of one output".into(),
        ));
    }
    let points = problem.inputs().len();
    if analysis.inputs != points {
        return Err(mismatch(
            "x",
            format!("{} points in the outputs", analysis.inputs),
            format!("{points}, the points of {}", problem.inputs().name()),
        ));
    }
    let rows = &analysis.rows;
    let bound = crate::analyze::resolved_threshold(analysis.experiments)?;
    let k = problem.kernel();
    let mut worst: Option<(f64, &str)> = None;
    for i in (0..rows.len()).filter(|&i| rows.n[i] == 2) {
        let ab: Vec<usize> = rows.indices[i].split(',').filter_map(|v| v.parse().ok()).collect();
        // a NaN (no spread at all) counts as off the kernel
        let z = ((rows.g_mean[i] - k[ab[0] * points + ab[1]]) / rows.g_stderr[i]).abs();
        let z = if z.is_nan() { f64::INFINITY } else { z };
        if worst.is_none_or(|(w, _)| z > w) {
            worst = Some((z, &rows.indices[i]));
        }
    }
    if let Some((z, at)) = worst.filter(|(z, _)| *z > bound) {
        return Err(mismatch(
            "network",
            format!("a measured G2 {z:.1} standard errors off the given kernel (points {at})"),
            format!(
                "within {bound:.2} (t at 5 sigma over {} experiments): give the network, sigma_w, sigma_b and x-set \
                 the ensemble was made with",
                analysis.experiments
            ),
        ));
    }
    let at4: Vec<usize> = (0..rows.len()).filter(|&i| rows.n[i] == 4).collect();
    let connected: Vec<f64> = at4.iter().map(|&i| rows.connected[i].unwrap_or(f64::NAN)).collect();
    let labelled = FourPointRows {
        indices: at4.iter().map(|&i| rows.indices[i].clone()).collect(),
        g_gp: vec![0.0; at4.len()],
        delta_g4: connected.clone(),
        experiments: None,
    };
    let order = problem_order(problem, &labelled)?;
    let e = analysis.experiments;
    let pseudo = &analysis.connected_pseudo[0];
    let loo: Vec<Vec<f64>> = (0..e)
        .map(|x| {
            order.iter().map(|&p| (e as f64 * connected[p] - pseudo[x * at4.len() + p]) / (e as f64 - 1.0)).collect()
        })
        .collect();
    let target: Vec<f64> = order.iter().map(|&p| connected[p]).collect();
    fit_with_errors(problem, &target, &Replicates::Jackknife(loo), models, losses)
}

/// For each 4-pt multiset of the problem's input set (in its order), the table row holding it.
fn problem_order(problem: &FitProblem, rows: &FourPointRows) -> Result<Vec<usize>> {
    let n = rows.indices.len();
    if rows.g_gp.len() != n || rows.delta_g4.len() != n {
        return Err(mismatch("columns", "columns of different lengths".into(), "one value per row in each".into()));
    }
    let ms = nnqft_theory::Multisets::new(problem.inputs().len(), 4)?;
    if n != ms.len() {
        return Err(mismatch(
            "x",
            format!("a table with {n} four-point rows"),
            format!(
                "{} (the 4-pt multisets of the {} points of {}): give the x-set the table was made with",
                ms.len(),
                problem.inputs().len(),
                problem.inputs().name()
            ),
        ));
    }
    let mut at: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, label) in rows.indices.iter().enumerate() {
        if at.insert(label.as_str(), i).is_some() {
            return Err(mismatch("indices", format!("the multiset {label} twice"), "each multiset once".into()));
        }
    }
    (0..ms.len())
        .map(|p| {
            let label = ms.label(p);
            at.get(label.as_str()).copied().ok_or_else(|| {
                mismatch(
                    "x",
                    format!("a table without the 4-pt multiset {label}"),
                    "the input set the table was made on".into(),
                )
            })
        })
        .collect()
}

/// The fits of one ensemble of a correlators table (one width and estimator).
#[derive(Debug, Clone)]
pub struct FittedBlock {
    /// Width N, where known (an analysed ensemble's is known only with its width scan's widths).
    pub width: Option<i64>,
    /// The estimator, where the table names one (a table of exact theory has none).
    pub estimator: Option<String>,
    /// Every model under every loss, with standard errors where the experiments are known.
    pub fits: Vec<TableFit>,
}

/// What a fitted table holds: sampled correlators (`g_mean`) or exact theory (`g_exact`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitSource {
    /// Monte Carlo: a table of `sample`.
    MonteCarlo,
    /// Exact finite-width theory: a table of Python's `nnqft.exact`.
    Exact,
}

impl FitSource {
    /// The name in the `source` column: that of the same [`crate::table5::Source`], as in
    /// `table5.parquet`.
    pub fn name(self) -> &'static str {
        crate::table5::Source::from(self).name()
    }
}

impl From<FitSource> for crate::table5::Source {
    fn from(s: FitSource) -> Self {
        match s {
            FitSource::MonteCarlo => Self::MonteCarlo,
            FitSource::Exact => Self::Exact,
        }
    }
}

/// The fits of a correlators table of the network named `network` at `d_in` with the vertex integrals cut off at
/// `cutoff` (`nnqft fit`'s `fits.parquet`, Python's `nnqft.fit`), one row per block, model and
/// loss: `network`, `d_in`, `width`, `estimator`, `source`, `cutoff`, `model`, `loss`, `lambda0`,
/// `lambda2`, `lambda_nl`, their `_stderr`, `train_mape`, `train_mse`, `condition_number` and
/// `determined` (`no` for a rank-deficient design, whose couplings are missing and whose
/// condition number is infinite, as in `table5.parquet`).
pub fn fits_table(network: &str, d_in: usize, source: FitSource, cutoff: f64, blocks: &[FittedBlock]) -> Table {
    let rows: Vec<(&FittedBlock, &TableFit)> = blocks.iter().flat_map(|b| b.fits.iter().map(move |f| (b, f))).collect();
    let h = rows.len();
    let coupling = |j: usize| rows.iter().map(move |(_, f)| f.fit.couplings[j]).collect::<Vec<_>>();
    let stderr = |j: usize| rows.iter().map(move |(_, f)| f.stderr[j]).collect::<Vec<_>>();
    Table::new()
        .str("network", vec![network; h])
        .int("d_in", vec![d_in as i64; h])
        .opt_int("width", rows.iter().map(|(b, _)| b.width))
        .opt_str("estimator", rows.iter().map(|(b, _)| b.estimator.clone()))
        .str("source", vec![source.name(); h])
        .f64_with_inf("cutoff", vec![cutoff; h])
        .str("model", rows.iter().map(|(_, f)| f.fit.model.name()))
        .str("loss", rows.iter().map(|(_, f)| f.fit.loss.name()))
        .f64("lambda0", coupling(0))
        .f64("lambda2", coupling(1))
        .f64("lambda_nl", coupling(2))
        .f64("lambda0_stderr", stderr(0))
        .f64("lambda2_stderr", stderr(1))
        .f64("lambda_nl_stderr", stderr(2))
        .f64("train_mape", rows.iter().map(|(_, f)| f.fit.mape))
        .f64("train_mse", rows.iter().map(|(_, f)| f.fit.mse))
        .f64_with_inf("condition_number", rows.iter().map(|(_, f)| f.fit.condition_number.unwrap_or(f64::NAN)))
        .str("determined", rows.iter().map(|(_, f)| if f.fit.singular { "no" } else { "yes" }))
}

/// The Table 5 fits of analysed ensembles ([`fit_connected`]; `nnqft analyze --eft`'s
/// `analysis_table5.parquet`, the `"table5"` table of Python's `nnqft.analyze(..., eft=)`): the
/// column `ensemble` (the file name; in Python "array i"), then the columns of [`fits_table`]
/// with `estimator` = `raw` (what an analysis measures) and `source` = `monte_carlo`.
pub fn connected_fits_table(network: &str, d_in: usize, cutoff: f64, ensembles: &[(String, FittedBlock)]) -> Table {
    let names = ensembles.iter().flat_map(|(name, b)| std::iter::repeat_n(name.clone(), b.fits.len()));
    let blocks: Vec<FittedBlock> = ensembles.iter().map(|(_, b)| b.clone()).collect();
    Table::new().str("ensemble", names).then(fits_table(network, d_in, FitSource::MonteCarlo, cutoff, &blocks))
}

fn mismatch(field: &'static str, found: String, expected: String) -> StudyError {
    StudyError::Table { field, found, expected }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table5::setup;
    use nnqft_theory::{Activation, InputSet, Network};

    fn problem(sigma_w: f64) -> FitProblem {
        let net = Network::new(Activation::Erf, 1, sigma_w, 1.0).unwrap();
        FitProblem::new(&net, InputSet::table5_train(Activation::Erf), setup(Activation::Erf).1).unwrap()
    }

    /// Rows of a known `ΔG4 = c T0` in reversed order (the fit matches rows by label).
    fn rows(p: &FitProblem, c: f64, experiments: Option<usize>) -> FourPointRows {
        let ms = nnqft_theory::Multisets::new(p.inputs().len(), 4).unwrap();
        let t0 = p.design().column(0).to_vec();
        let idx: Vec<usize> = (0..ms.len()).rev().collect();
        FourPointRows {
            indices: idx.iter().map(|&i| ms.label(i)).collect(),
            g_gp: idx.iter().map(|&i| p.gp4()[i]).collect(),
            delta_g4: idx.iter().map(|&i| c * t0[i]).collect(),
            experiments: experiments.map(|e| {
                (0..e).map(|k| idx.iter().map(|&i| (c + 1e-3 * c * (k as f64 - 1.5)) * t0[i]).collect()).collect()
            }),
        }
    }

    #[test]
    fn a_known_coupling_comes_back_with_its_spread() {
        let p = problem(1.0);
        let c = -2.5e-6;
        let fits = fit_rows(&p, &rows(&p, c, Some(4)), &[Model::M1], &[Loss::Mse]).unwrap();
        let f = &fits[0];
        assert!((f.fit.couplings[0] / c - 1.0).abs() < 1e-10, "{:?}", f.fit.couplings);
        // couplings c (1 + 1e-3 (k - 1.5)), k = 0..3: std 1.29e-3 |c|, stderr half of it
        let expect = 1e-3 * c.abs() * (5.0f64 / 3.0).sqrt() / 2.0;
        assert!((f.stderr[0] / expect - 1.0).abs() < 1e-6, "{} vs {expect}", f.stderr[0]);
        let none = fit_rows(&p, &rows(&p, c, None), &[Model::M1], &[Loss::Mse]).unwrap();
        assert!(none[0].stderr[0].is_nan());
    }

    #[test]
    fn a_wrong_prior_or_input_set_is_named() {
        let p = problem(1.0);
        let wrong = problem(1.1);
        let e = fit_rows(&wrong, &rows(&p, 1e-6, None), &[Model::M1], &[Loss::Mse]).unwrap_err();
        assert!(e.to_string().contains("g_gp") && e.to_string().contains("sigma_w"), "{e}");
        let mut short = rows(&p, 1e-6, None);
        short.indices.pop();
        short.g_gp.pop();
        short.delta_g4.pop();
        let e = fit_rows(&p, &short, &[Model::M1], &[Loss::Mse]).unwrap_err();
        assert!(e.to_string().contains("x-set"), "{e}");
        let mut twice = rows(&p, 1e-6, None);
        twice.indices[1] = twice.indices[0].clone();
        let e = fit_rows(&p, &twice, &[Model::M1], &[Loss::Mse]).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
    }
}
