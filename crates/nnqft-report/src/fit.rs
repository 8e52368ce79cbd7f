//! `nnqft fit`: the Table 5 models (paper section 5) fitted to the measured four-point
//! deviation `ΔG4 = g_mean − g_gp` of a `correlators.parquet` (written by `sample` or
//! `reproduce`), for every (network, d, width, estimator) block in it; written as
//! `fits.parquet` and printed as a Markdown table.
//!
//! Each block is fitted to its mean over experiments; where the sample also wrote each
//! experiment's means (`sample --per-experiment`, `correlators_experiments.parquet` beside the
//! file), every experiment is fitted too and the couplings get their standard errors
//! (`nnqft_study::correlator_fit`, the implementation Python's `nnqft.fit` uses too).

use crate::options::NetworkArgs;
use crate::report::{Table, read_parquet};
use anyhow::{Context, Result, anyhow, bail};
use nnqft_fit::{Loss, Model};
use nnqft_study::correlator_fit::{FitSource, FittedBlock, FourPointRows, fit_rows, fits_table};
use nnqft_study::table5::{FitProblem, setup};
use nnqft_theory::{Activation, Cutoff};
use std::fmt::Write;
use std::path::{Path, PathBuf};

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

/// The 4-pt rows of one (width, estimator) block of a correlators file.
struct Block {
    width: i64,
    estimator: String,
    rows: FourPointRows,
}

/// The n = 4 rows of `net` in a correlators file, by (width, estimator), with each
/// experiment's `ΔG4` where `experiments` (a `correlators_experiments.parquet`) has them.
fn blocks(path: &Path, experiments: Option<&Path>, network: &str, d_in: i64) -> Result<Vec<Block>> {
    let df = read_parquet(path)?;
    let col = |name: &str| df.column(name).map_err(|_| anyhow!("{} has no column {name}", path.display()));
    let (net, d, width, n) = (col("network")?.str()?, col("d_in")?.i64()?, col("width")?.i64()?, col("n")?.i64()?);
    let (estimator, indices) = (col("estimator")?.str()?, col("indices")?.str()?);
    let (g_mean, g_gp) = (col("g_mean")?.f64()?, col("g_gp")?.f64()?);
    // deep samples (depth >= 2) share the file's layout but not the one-layer fit's design
    let depths = df.column("depth").ok().and_then(|c| c.i64().ok().cloned());
    let depth = |i: usize| depths.as_ref().and_then(|c| c.get(i)).unwrap_or(1);
    // several outputs: the first output's own correlators are the one-output network's
    let outputs = df.column("outputs").ok().and_then(|c| c.str().ok().cloned());
    let first_output =
        |i: usize| outputs.as_ref().and_then(|c| c.get(i)).is_none_or(|o| o.split(',').all(|x| x == "0"));
    let mut blocks: Vec<Block> = Vec::new();
    for i in 0..df.height() {
        if n.get(i) != Some(4)
            || net.get(i) != Some(network)
            || d.get(i) != Some(d_in)
            || depth(i) != 1
            || !first_output(i)
        {
            continue;
        }
        let (w, e) = (width.get(i).unwrap_or(0), estimator.get(i).unwrap_or("").to_string());
        let at = match blocks.iter().position(|b| b.width == w && b.estimator == e) {
            Some(at) => at,
            None => {
                blocks.push(Block { width: w, estimator: e, rows: FourPointRows::default() });
                blocks.len() - 1
            }
        };
        let rows = &mut blocks[at].rows;
        let (m, g) = (g_mean.get(i).unwrap_or(f64::NAN), g_gp.get(i).unwrap_or(f64::NAN));
        rows.indices.push(indices.get(i).unwrap_or("").to_string());
        rows.g_gp.push(g);
        rows.delta_g4.push(m - g);
    }
    if let Some(path) = experiments {
        let df = read_parquet(path)?;
        let col = |name: &str| df.column(name).map_err(|_| anyhow!("{} has no column {name}", path.display()));
        let (net, d, width, n) = (col("network")?.str()?, col("d_in")?.i64()?, col("width")?.i64()?, col("n")?.i64()?);
        let (estimator, indices) = (col("estimator")?.str()?, col("indices")?.str()?);
        let (experiment, g) = (col("experiment")?.i64()?, col("g")?.f64()?);
        for b in &mut blocks {
            let row: std::collections::HashMap<&str, usize> =
                b.rows.indices.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
            let mut values: Vec<Vec<f64>> = Vec::new();
            for i in 0..df.height() {
                let same = n.get(i) == Some(4)
                    && net.get(i) == Some(network)
                    && d.get(i) == Some(d_in)
                    && width.get(i) == Some(b.width)
                    && estimator.get(i) == Some(b.estimator.as_str());
                let (Some(e), Some(k)) = (experiment.get(i), indices.get(i).and_then(|l| row.get(l))) else { continue };
                if !same {
                    continue;
                }
                let e = usize::try_from(e)
                    .ok()
                    .filter(|&e| e < df.height())
                    .ok_or_else(|| anyhow!("{}: experiment {e} is out of range 0..{}", path.display(), df.height()))?;
                if values.len() <= e {
                    values.resize(e + 1, vec![f64::NAN; b.rows.indices.len()]);
                }
                values[e][*k] = g.get(i).unwrap_or(f64::NAN) - b.rows.g_gp[*k];
            }
            if values.iter().flatten().any(|v| v.is_nan()) {
                bail!(
                    "{}: the experiments of N = {} ({}) do not cover every 4-pt multiset",
                    path.display(),
                    b.width,
                    b.estimator
                );
            }
            b.rows.experiments = (!values.is_empty()).then_some(values);
        }
    }
    Ok(blocks)
}

/// Fits every block of the file; returns the blocks and the cutoff used. A
/// `correlators_experiments.parquet` beside the file (`sample --per-experiment`) gives the
/// couplings their standard errors.
pub fn fit_file(args: &FitArgs) -> Result<(Vec<FittedBlock>, f64)> {
    let (net, xs) = args.network.resolve()?;
    let cutoff = match args.cutoff {
        None => setup(net.activation()).1,
        Some(v) if v == f64::INFINITY => Cutoff::Infinite,
        Some(v) => Cutoff::finite(v)?,
    };
    let problem = FitProblem::new(&net, xs, cutoff)?;
    let path =
        if args.correlators.is_dir() { args.correlators.join("correlators.parquet") } else { args.correlators.clone() };
    let beside = path.with_file_name("correlators_experiments.parquet");
    let experiments = beside.is_file().then_some(beside.as_path());
    let found = blocks(&path, experiments, net.activation().name(), net.d_in() as i64)?;
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
        out.push(FittedBlock { width: b.width, estimator: Some(b.estimator), fits });
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
                b.width,
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
