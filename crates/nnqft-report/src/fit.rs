//! `nnqft fit`: the Table 5 models (paper section 5) fitted to the measured four-point
//! deviation `ΔG4 = g_mean − g_gp` of a `correlators.parquet` (written by `sample` or
//! `reproduce`), for every (network, d, width, estimator) block in it; written as
//! `fits.parquet` and printed as a Markdown table.
//!
//! The file holds the means over experiments, not the experiments, so each block is fitted
//! once, to its mean, without standard errors of the couplings (`cargo xtask reproduce`
//! fits every experiment for Table 5's error bars).

use crate::options::NetworkArgs;
use crate::report::{Table, read_parquet};
use anyhow::{Result, anyhow, bail};
use nnqft_study::table5::{CouplingFit, FitProblem, setup};
use nnqft_theory::Cutoff;
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

/// One block of the file, fitted.
#[derive(Debug, Clone)]
pub struct BlockFit {
    /// Width N.
    pub width: i64,
    /// Estimator.
    pub estimator: String,
    /// Every model under every loss.
    pub fits: Vec<CouplingFit>,
}

/// Fits every block of the file; returns the blocks and the cutoff used.
pub fn fit_file(args: &FitArgs) -> Result<(Vec<BlockFit>, f64)> {
    let (net, xs) = args.network.resolve()?;
    let cutoff = match args.cutoff {
        None => setup(net.activation()).1,
        Some(v) if v == f64::INFINITY => Cutoff::Infinite,
        Some(v) => Cutoff::finite(v)?,
    };
    let problem = FitProblem::new(&net, xs, cutoff)?;
    let path =
        if args.correlators.is_dir() { args.correlators.join("correlators.parquet") } else { args.correlators.clone() };
    let df = read_parquet(&path)?;
    let col = |name: &str| df.column(name).map_err(|_| anyhow!("{} has no column {name}", path.display()));
    let (network, d_in, width, n) =
        (col("network")?.str()?, col("d_in")?.i64()?, col("width")?.i64()?, col("n")?.i64()?);
    let (estimator, g_mean, g_gp) = (col("estimator")?.str()?, col("g_mean")?.f64()?, col("g_gp")?.f64()?);
    let mut blocks: Vec<(i64, String, Vec<f64>, Vec<f64>)> = Vec::new();
    for i in 0..df.height() {
        if n.get(i) != Some(4) {
            continue;
        }
        if network.get(i) != Some(net.activation().name()) || d_in.get(i) != Some(net.d_in() as i64) {
            continue;
        }
        let (w, e) = (width.get(i).unwrap_or(0), estimator.get(i).unwrap_or("").to_string());
        let (m, g) = (g_mean.get(i).unwrap_or(f64::NAN), g_gp.get(i).unwrap_or(f64::NAN));
        match blocks.iter_mut().find(|b| b.0 == w && b.1 == e) {
            Some(b) => {
                b.2.push(m - g);
                b.3.push(g);
            }
            None => blocks.push((w, e, vec![m - g], vec![g])),
        }
    }
    if blocks.is_empty() {
        bail!("{} has no n = 4 rows of network {} at d = {}", path.display(), net.activation().name(), net.d_in());
    }
    let mut out = Vec::new();
    for (w, e, delta, gp) in blocks {
        if delta.len() != problem.gp4().len() {
            bail!(
                "{}: {} multisets of order 4 at N = {w} ({e}), the x-set {} has {}; give the --x-set the sample used",
                path.display(),
                delta.len(),
                problem.inputs().name(),
                problem.gp4().len()
            );
        }
        let worst = gp.iter().zip(problem.gp4()).map(|(a, b)| (a - b).abs() / b.abs().max(1e-300)).fold(0.0, f64::max);
        if worst > 1e-9 {
            return Err(anyhow!(
                "{}: its g_gp differ from the GP of these options by up to {worst:.1e} (relative); give the \
                 --x-set, --sigma-w and --sigma-b the sample used",
                path.display()
            ));
        }
        out.push(BlockFit { width: w, estimator: e, fits: problem.fit_all(&delta)? });
    }
    Ok((out, cutoff.value()))
}

/// `fits.parquet`.
pub fn table(args: &FitArgs, blocks: &[BlockFit], cutoff: f64) -> Table {
    let rows: Vec<(&BlockFit, &CouplingFit)> = blocks.iter().flat_map(|b| b.fits.iter().map(move |f| (b, f))).collect();
    let h = rows.len();
    Table::new()
        .str("network", vec![args.network.network.clone(); h])
        .int("d_in", vec![args.network.d_in as i64; h])
        .int("width", rows.iter().map(|(b, _)| b.width))
        .str("estimator", rows.iter().map(|(b, _)| b.estimator.clone()))
        .f64_with_inf("cutoff", vec![cutoff; h])
        .str("model", rows.iter().map(|(_, f)| f.model.name()))
        .str("loss", rows.iter().map(|(_, f)| f.loss.name()))
        .f64("lambda0", rows.iter().map(|(_, f)| f.couplings[0]))
        .f64("lambda2", rows.iter().map(|(_, f)| f.couplings[1]))
        .f64("lambda_nl", rows.iter().map(|(_, f)| f.couplings[2]))
        .str("singular", rows.iter().map(|(_, f)| if f.singular { "true" } else { "false" }))
        .f64("mape", rows.iter().map(|(_, f)| f.mape))
        .f64("mse", rows.iter().map(|(_, f)| f.mse))
        .opt("condition_number", rows.iter().map(|(_, f)| f.condition_number))
}

/// The fits as a Markdown table.
pub fn markdown(blocks: &[BlockFit]) -> String {
    let mut s = String::from("| N | estimator | model | loss | lambda0 | lambda2 | lambdaNL | MAPE % | MSE |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for b in blocks {
        for f in &b.fits {
            let c = |v: f64| if v.is_nan() { "-".to_string() } else { format!("{v:.4e}") };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {:.3} | {:.3e} |",
                b.width,
                b.estimator,
                f.model.name(),
                f.loss.name(),
                c(f.couplings[0]),
                c(f.couplings[1]),
                c(f.couplings[2]),
                f.mape,
                f.mse
            );
        }
    }
    s
}
