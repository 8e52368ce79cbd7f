//! `nnqft analyze`: the field-theory analysis of network outputs that nnqft did not sample,
//! read from NumPy `.npy` files or Parquet tables (wide or long), one ensemble per file ([`nnqft_study::analyze`]); written as
//! `analysis.parquet` (per multiset), `analysis_summary.parquet` (per file and order),
//! `analysis_fits.parquet` (with `--widths`: the width scan's fits), `analysis_table5.parquet`
//! (with `--eft`: Table 5's couplings), `analysis_action.parquet` (with `--action`: each file's
//! action, [`nnqft_study::action`]) and `SUMMARY.md`.
//!
//! A file holds a C-ordered array of `float64` or `float32` (either byte order): `f[net, point]`
//! or `f[net, point, output]`, or is a Parquet table, wide (one row per net and one float column
//! per point) or long (columns `net`, `point`, optionally `output`, and `value`, sorted by net,
//! point, output); each is read by [`nnqft_report::read::analyze_file`] (a `.npy` file in blocks,
//! a Parquet file a row group at a time, each hashed: provenance names each file with its SHA-256). Nothing is written unless every
//! file reads and analyses.

use anyhow::{Context, Result, bail};
use nnqft_fit::{Loss, Model};
use nnqft_report::read::{FileAnalysis, analyze_file};
use nnqft_study::action::{ActionTable, measured_action, measured_order};
use nnqft_study::analyze::{NamedAnalysis, ScanFit, width_scan};
use nnqft_study::correlator_fit::{FittedBlock, connected_fits_table, fit_connected};
use nnqft_study::table::Table;
use nnqft_study::table5::FitProblem;
use nnqft_theory::InputSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Options of `analyze`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct AnalyzeArgs {
    /// Files of network outputs, one ensemble each: `.npy`, a C-ordered float64 or float32 array
    /// f[net, point] or f[net, point, output]; or `.parquet`, wide (one row per net and one float
    /// column per point) or long (integer columns net, point and optionally output, float column
    /// value; rows sorted by net, point, output), read a row group at a time.
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// The width of each file's networks (comma-separated, one per file, each >= 1): the files
    /// are then one architecture at several widths, and `analysis_fits.parquet` holds the 1/N
    /// scaling fits.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub widths: Option<Vec<usize>>,
    /// Experiments (>= 4): the nets of a file are split into this many equal experiments of
    /// consecutive nets, whose spread gives the standard errors; must divide the number of nets.
    #[arg(long, default_value_t = 10)]
    pub experiments: usize,
    /// The highest even order measured: 6 (G2, G4, G6) or 8, which adds rows n = 8 (G8 with its
    /// standard error, the Wick sum of the measured G2 over the 105 pairings and the connected
    /// eight-point function, the eighth joint cumulant) and m_8 to the summary; needs >= 5
    /// experiments and at most 11 points (50,000 multisets of order 8).
    #[arg(long, default_value_t = 6)]
    #[serde(default = "default_max_order")]
    pub max_order: usize,
    /// Reconstruct each file's action S(f) = -log p(f) on its points from the measured G2 and
    /// connected G4 (and G6, at order 1/N^2 on at most 10 (point, output) pairs; else order 1/N),
    /// with jackknife standard errors over experiments, as `nnqft action FILE` does: writes
    /// analysis_action.parquet (the columns of action.parquet, one block per file). A G2 that is
    /// singular or too ill-conditioned on the points is refused, naming the file.
    #[arg(long)]
    #[serde(default)]
    pub action: bool,
    /// The points' input set, checked against the files' point count: a file path (one point per
    /// line) or a paper set name.
    #[arg(long)]
    pub x_set: Option<String>,
    /// Fit Table 5's models (the local quartic couplings lambda0, lambda2, lambdaNL) to each
    /// file's measured connected G4, on the vertex integrals of this network's closed-form kernel
    /// (erf, relu, gauss or cos, with --sigma-w, --sigma-b, --d-in, --cutoff) over the points of
    /// --x-set (required), with jackknife standard errors over experiments: writes
    /// analysis_table5.parquet. The measured G2 must agree with the kernel (a wrong network or
    /// prior is refused, naming the largest deviation). One output per net.
    #[arg(long, requires = "x_set", value_parser = clap::builder::PossibleValuesParser::new(
        nnqft_theory::Activation::EVERY.map(|a| a.name())))]
    pub eft: Option<String>,
    /// --eft's input dimension d (>= 1).
    #[arg(long, default_value_t = 1, requires = "eft")]
    pub d_in: usize,
    /// --eft's weight prior sigma_w (>= 0); default 1.
    #[arg(long, requires = "eft")]
    pub sigma_w: Option<f64>,
    /// --eft's bias prior sigma_b (>= 0); default: the paper's for the network.
    #[arg(long, requires = "eft")]
    pub sigma_b: Option<f64>,
    /// --eft's cutoff Lambda of the vertex integrals (> 0, or inf); default: the paper's for the
    /// network (100 for erf and relu, inf for gauss).
    #[arg(long, requires = "eft")]
    pub cutoff: Option<f64>,
}

/// `--max-order`'s default: 6.
fn default_max_order() -> usize {
    6
}

/// The network, input set and cutoff of `--eft`, checked, if given.
pub fn eft_problem(args: &AnalyzeArgs) -> Result<Option<(FitProblem, f64)>> {
    let Some(network) = &args.eft else { return Ok(None) };
    let options = crate::options::NetworkArgs {
        network: network.clone(),
        d_in: args.d_in,
        sigma_w: args.sigma_w,
        sigma_b: args.sigma_b,
        x_set: args.x_set.clone(),
    };
    let (net, xs) = options.resolve()?;
    let cutoff = crate::fit::cutoff(args.cutoff, net.activation())?;
    Ok(Some((FitProblem::new(&net, xs, cutoff)?, cutoff.value())))
}

/// `analysis_table5.parquet`: Table 5's models fitted to each file's connected G4
/// ([`nnqft_study::correlator_fit::fit_connected`]), one block per file.
pub fn table5_table(args: &AnalyzeArgs, files: &[FileAnalysis], problem: &FitProblem, cutoff: f64) -> Result<Table> {
    let mut ensembles = Vec::with_capacity(files.len());
    for f in files {
        let fits = fit_connected(problem, &f.analysis, &Model::ALL, &Loss::ALL)
            .with_context(|| format!("{}: the Table 5 fit (--eft)", f.path.display()))?;
        let block = FittedBlock { width: f.width.map(|w| w as i64), estimator: Some("raw".into()), fits };
        ensembles.push((source(f), block));
    }
    let network = args.eft.as_deref().unwrap_or_default();
    Ok(connected_fits_table(network, args.d_in, cutoff, &ensembles))
}

/// The action of each file (`--action`, [`nnqft_study::action::measured_action`], at the highest
/// order available), named by its file name; `analysis_action.parquet` is
/// [`nnqft_study::action::couplings_blocks_table`] of them.
pub fn actions(files: &[FileAnalysis]) -> Result<Vec<(String, ActionTable)>> {
    let mut blocks = Vec::with_capacity(files.len());
    for f in files {
        let order = measured_order(&f.analysis, None);
        let table = measured_action(&f.analysis, order)
            .with_context(|| format!("{}: the action (--action)", f.path.display()))?;
        blocks.push((source(f), table));
    }
    Ok(blocks)
}

/// Reads and analyses every file of `args`, checking them against each other, `--widths` and
/// `--x-set`; then the width scan's fits (with `--widths`).
pub fn analyze_files(args: &AnalyzeArgs) -> Result<(Vec<FileAnalysis>, Vec<ScanFit>)> {
    if let Some(w) = &args.widths {
        if w.len() != args.files.len() {
            bail!("--widths has {} values for {} files; give one width per file", w.len(), args.files.len());
        }
        if let Some(bad) = w.iter().find(|&&w| w == 0) {
            bail!("--widths: {bad}; allowed are integers >= 1");
        }
    }
    if !nnqft_sampling::OutputStream::MAX_ORDERS.contains(&args.max_order) {
        bail!("--max-order: {}; allowed are 6 (G2, G4, G6) and 8 (and G8)", args.max_order);
    }
    let expected_points =
        args.x_set.as_deref().map(|x| crate::options::input_set(x).map(|xs: InputSet| xs.len())).transpose()?;
    let mut out: Vec<FileAnalysis> = Vec::with_capacity(args.files.len());
    for (i, path) in args.files.iter().enumerate() {
        let fa = analyze_file(path, args.experiments, args.max_order, args.widths.as_ref().map(|w| w[i]))?;
        if let Some(m) = expected_points
            && fa.analysis.inputs != m
        {
            bail!("{} has {} input points; --x-set has {m}", path.display(), fa.analysis.inputs);
        }
        if let Some(first) = out.first()
            && (first.analysis.inputs, first.analysis.outputs) != (fa.analysis.inputs, fa.analysis.outputs)
        {
            bail!(
                "{} has {} points x {} outputs but {} has {} x {}: the files of one analysis share their points",
                path.display(),
                fa.analysis.inputs,
                fa.analysis.outputs,
                first.path.display(),
                first.analysis.inputs,
                first.analysis.outputs
            );
        }
        out.push(fa);
    }
    let fits = match &args.widths {
        Some(w) if w.len() >= 2 => {
            width_scan(&out.iter().map(|f| (f.width.unwrap_or(0), &f.analysis)).collect::<Vec<_>>())?
        }
        _ => Vec::new(),
    };
    Ok((out, fits))
}

fn source(f: &FileAnalysis) -> String {
    f.path.file_name().map_or_else(|| f.path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// `table` of the files, each named by its file name ([`NamedAnalysis`]).
fn with_named(files: &[FileAnalysis], table: fn(&[NamedAnalysis<'_>]) -> Table) -> Table {
    let sources: Vec<String> = files.iter().map(source).collect();
    let ensembles: Vec<NamedAnalysis<'_>> = files
        .iter()
        .zip(&sources)
        .map(|(f, source)| NamedAnalysis { source, width: f.width, analysis: &f.analysis })
        .collect();
    table(&ensembles)
}

/// `analysis.parquet`: per file and multiset, [`nnqft_study::analyze::correlators_table`].
pub fn analysis_table(files: &[FileAnalysis]) -> Table {
    with_named(files, nnqft_study::analyze::correlators_table)
}

/// `analysis_summary.parquet`: per file and order 4, 6, [`nnqft_study::analyze::summary_table`].
pub fn summary_table(files: &[FileAnalysis]) -> Table {
    with_named(files, nnqft_study::analyze::summary_table)
}

/// `analysis_fits.parquet`: the width scan's fits, [`nnqft_study::analyze::fits_table`].
pub fn fits_table(fits: &[ScanFit]) -> Table {
    nnqft_study::analyze::fits_table(fits)
}

/// `SUMMARY.md` of an analysis: what was read, `m_n` per file and order, the width scan's
/// fits and (with `--action`) the action's couplings resolved from zero, every figure from the
/// rows.
pub fn summary_markdown(files: &[FileAnalysis], fits: &[ScanFit], action: Option<&[(String, ActionTable)]>) -> String {
    let mut s = String::from("# Analysis of network outputs\n\n");
    let _ = writeln!(
        s,
        "Each file is one ensemble; its nets are split into equal experiments of consecutive nets. `g_gp` is the \
         Wick sum of the ensemble's own measured G2 and `connected` the joint cumulant, both unbiased \
         (products over distinct experiments); standard errors are delete-one jackknife over experiments.\n"
    );
    let _ = writeln!(
        s,
        "| file | width | nets | experiments | points | outputs | max \\|mean\\| / stderr | SHA-256 |\n\
         |---|---|---|---|---|---|---|---|"
    );
    for f in files {
        let a = &f.analysis;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | `{}` |",
            source(f),
            f.width.map_or("-".into(), |w| w.to_string()),
            a.nets * a.experiments as u64,
            a.experiments,
            a.inputs,
            a.outputs,
            a.mean_max_abs_z.map_or("-".into(), |z| format!("{z:.2}")),
            &f.sha256[..16]
        );
    }
    for f in files.iter().filter(|f| f.analysis.mean_resolved()) {
        let _ = writeln!(
            s,
            "\n**{}: the mean output is resolved from zero** (max |mean| / stderr {:.1}, above the threshold {:.1} \
             of {} experiments): `g_gp` and `connected` assume outputs of mean zero, and here they are not the \
             Gaussian process and the cumulants; analyse the centred outputs.",
            source(f),
            f.analysis.mean_max_abs_z.unwrap_or(f64::NAN),
            nnqft_study::analyze::resolved_threshold(f.analysis.experiments).unwrap_or(f64::NAN),
            f.analysis.experiments
        );
    }
    let _ = writeln!(
        s,
        "\n## m_n against the GP of the measured G2\n\n| file | n | m_n | stderr | background | connected 6-pt / GP | multisets used |\n|---|---|---|---|---|---|---|"
    );
    let num = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4e}"));
    for f in files {
        for o in &f.analysis.summary {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                source(f),
                o.n,
                num(o.m_n),
                num(o.m_n_stderr),
                num(o.background),
                num(o.connected_6pt),
                o.multisets_used
            );
        }
    }
    if !fits.is_empty() {
        let _ = writeln!(
            s,
            "\n## Width scan\n\n| n | quantity | method | slope | 95% interval | expected | widths used |\n|---|---|---|---|---|---|---|"
        );
        for r in fits {
            let (slope, interval) = r.fit.as_ref().map_or(("not resolved".to_string(), "-".to_string()), |p| {
                (format!("{:.3}", p.slope), format!("[{:.3}, {:.3}]", p.slope_lo, p.slope_hi))
            });
            let _ = writeln!(
                s,
                "| {} | {} | {} | {slope} | {interval} | {} | {} |",
                r.n,
                r.quantity.name(),
                r.quantity.method(),
                r.slope_expected,
                r.widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",")
            );
        }
    }
    if let Some(blocks) = action {
        action_summary(&mut s, blocks);
    }
    s
}

/// The `--action` section of `SUMMARY.md`: per file and order of coupling, the order kept, the
/// condition number of `G2`, and how many couplings are resolved from zero (more than three
/// standard errors), counted from the rows.
fn action_summary(s: &mut String, blocks: &[(String, ActionTable)]) {
    let _ = writeln!(
        s,
        "\n## The action S(f) = -log p(f) on the points\n\nCouplings `s_n` of `S = sum_n (1/n!) s_n f^n` \
         (analysis_action.parquet), reconstructed from the measured G2 and connected parts; resolved: \
         |coupling| > 3 standard errors (delete-one jackknife over experiments).\n\n\
         | file | order kept | condition number of G2 | n | couplings | resolved |\n|---|---|---|---|---|---|"
    );
    for (source, table) in blocks {
        let r = &table.rows;
        for n in [2, 4, 6] {
            let at: Vec<usize> = (0..r.len()).filter(|&k| r.n[k] == n).collect();
            if at.is_empty() {
                continue;
            }
            let resolved =
                at.iter().filter(|&&k| r.coupling_stderr[k].is_some_and(|e| r.coupling[k].abs() > 3.0 * e)).count();
            let _ = writeln!(
                s,
                "| {source} | 1/N^{} | {:.3e} | {n} | {} | {resolved} |",
                table.order.power(),
                table.condition_number,
                at.len()
            );
        }
    }
}

/// The inputs as provenance records: path, bytes, SHA-256, nets, points, outputs.
pub fn inputs_json(files: &[FileAnalysis]) -> serde_json::Value {
    serde_json::Value::Array(
        files
            .iter()
            .map(|f| {
                serde_json::json!({
                    "path": f.path.display().to_string(),
                    "bytes": f.bytes,
                    "sha256": f.sha256,
                    "width": f.width,
                    "nets": f.analysis.nets * f.analysis.experiments as u64,
                    "points": f.analysis.inputs,
                    "outputs": f.analysis.outputs,
                })
            })
            .collect(),
    )
}

/// The default output folder name's stem.
pub fn folder_stem(args: &AnalyzeArgs) -> String {
    args.files
        .first()
        .and_then(|p| p.file_stem())
        .map_or_else(|| "outputs".into(), |s| s.to_string_lossy().into_owned())
}

/// Every listed file exists and is a file (before anything is read).
pub fn check_files(args: &AnalyzeArgs) -> Result<()> {
    for p in &args.files {
        if !p.is_file() {
            bail!("{}: no such file", p.display());
        }
    }
    Ok(())
}

/// `PathBuf`s of the tables this command writes (for tests and messages).
pub fn written(out: &Path, fits: bool) -> Vec<PathBuf> {
    let mut v = vec![out.join("analysis.parquet"), out.join("analysis_summary.parquet"), out.join("SUMMARY.md")];
    if fits {
        v.push(out.join("analysis_fits.parquet"));
    }
    v
}
