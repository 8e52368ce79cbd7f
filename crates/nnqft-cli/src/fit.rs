//! `nnqft fit`: the Table 5 models (the paper's EFT fits) fitted to the measured four-point
//! deviation `ΔG4 = g_mean − g_gp` of a `correlators.parquet` (written by `sample` or
//! `reproduce`), for every (network, d, width, estimator) block in it; written as
//! `fits.parquet` and printed as a Markdown table.
//!
//! Each block is fitted to its mean over experiments; where the sample also wrote each
//! experiment's means (`sample --per-experiment`, `correlators_experiments.parquet` beside the
//! file), every experiment is fitted too and the couplings get their standard errors
//! (`nnqft_study::correlator_fit`, the implementation Python's `nnqft.fit` uses too).

use crate::options::NetworkArgs;
use anyhow::{Context, Result, bail};
use nnqft_fit::{Loss, Model};
use nnqft_report::read::correlator_blocks;
use nnqft_study::correlator_fit::{FitSource, FittedBlock, fit_rows, fits_table};
use nnqft_study::table::Table;
use nnqft_study::table5::{FitProblem, setup};
use nnqft_theory::{Activation, Cutoff};
use std::fmt::Write;
use std::path::PathBuf;

/// Options of `fit`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct FitArgs {
    /// A `correlators.parquet`, or the folder holding one.
    #[arg(value_name = "CORRELATORS")]
    pub correlators: PathBuf,
    /// The network and inputs the correlators were sampled with (the fit's design depends
    /// on them; a mismatch is detected through the file's GP column).
    #[command(flatten)]
    #[serde(flatten)]
    pub network: NetworkArgs,
    /// Cutoff Lambda of the vertex integrals (> 0, or inf); default: the paper's for the
    /// network (100 for erf and relu, inf for gauss).
    #[arg(long)]
    pub cutoff: Option<f64>,
}

/// The cutoff of the vertex integrals: `value` (> 0, or inf), by default the paper's for `act`.
pub fn cutoff(value: Option<f64>, act: Activation) -> Result<Cutoff> {
    Ok(match value {
        None => setup(act).1,
        Some(v) if v == f64::INFINITY => Cutoff::Infinite,
        Some(v) => Cutoff::finite(v)?,
    })
}

/// Fits every block of the file; returns the blocks and the cutoff used. A
/// `correlators_experiments.parquet` beside the file (`sample --per-experiment`) gives the
/// couplings their standard errors.
pub fn fit_file(args: &FitArgs) -> Result<(Vec<FittedBlock>, f64)> {
    let (net, xs) = args.network.resolve()?;
    let cutoff = cutoff(args.cutoff, net.activation())?;
    let problem = FitProblem::new(&net, xs, cutoff)?;
    let path =
        if args.correlators.is_dir() { args.correlators.join("correlators.parquet") } else { args.correlators.clone() };
    let beside = path.with_file_name("correlators_experiments.parquet");
    let experiments = beside.is_file().then_some(beside.as_path());
    let found = correlator_blocks(&path, experiments, net.activation().name(), net.d_in() as i64)?;
    if found.is_empty() {
        bail!(
            "{} has no n = 4 rows of the one-layer network {} at d = {} (deep samples are not fitted)",
            path.display(),
            net.activation().name(),
            net.d_in()
        );
    }
    let mut out = Vec::new();
    for b in found {
        let fits = fit_rows(&problem, &b.rows, &Model::ALL, &Loss::ALL).with_context(|| {
            format!(
                "{} (N = {}, {}) does not match the given --network, --x-set, --sigma-w and --sigma-b",
                path.display(),
                b.width,
                b.estimator
            )
        })?;
        out.push(FittedBlock { width: Some(b.width), estimator: Some(b.estimator), fits });
    }
    Ok((out, cutoff.value()))
}

/// `fits.parquet`: [`fits_table`] of the blocks (Monte Carlo rows).
pub fn table(args: &FitArgs, blocks: &[FittedBlock], cutoff: f64) -> Table {
    let network =
        Activation::parse(&args.network.network).map_or_else(|_| args.network.network.clone(), |a| a.name().into());
    fits_table(&network, args.network.d_in, FitSource::MonteCarlo, cutoff, blocks)
}

/// The fits as a Markdown table.
pub fn markdown(blocks: &[FittedBlock]) -> String {
    let mut s = String::from("| N | estimator | model | loss | lambda0 | lambda2 | lambdaNL | MAPE % | MSE |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for b in blocks {
        for t in &b.fits {
            let f = &t.fit;
            let c = |v: f64, e: f64| match (v.is_nan(), e.is_nan()) {
                (true, _) => "-".to_string(),
                (false, true) => format!("{v:.4e}"),
                (false, false) => format!("{v:.4e} ± {e:.1e}"),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {:.3} | {:.3e} |",
                b.width.map_or("-".to_string(), |w| w.to_string()),
                b.estimator.as_deref().unwrap_or("-"),
                f.model.name(),
                f.loss.name(),
                c(f.couplings[0], t.stderr[0]),
                c(f.couplings[1], t.stderr[1]),
                c(f.couplings[2], t.stderr[2]),
                f.mape,
                f.mse
            );
        }
    }
    s
}
