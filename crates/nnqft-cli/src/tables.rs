//! The commands that write one table each: `theory`, `ntk`, `fit`, `analyze`, `action`. Each
//! validates its options and computes its table before it opens a folder, then writes the
//! table and `provenance.json` into a new folder of its own (`--out`, default
//! `nnqft-out/<command>-<name>-<time>`).

use crate::{Common, new_dir, write_table, write_text};
use crate::{action, analyze, fit, ntk, theory};
use anyhow::Result;
use nnqft_run::provenance::unix_now;
use nnqft_run::run::{Command, Run};
use std::path::PathBuf;

/// Opens the run of `command` named `name` with `config`.
fn open(common: &Common, command: Command, name: &str, config: serde_json::Value, start: u64) -> Result<Run> {
    Run::open(&common.settings(|| new_dir(command.name(), name, start)), command, config, start, None)
}

/// `nnqft theory`: writes `theory.parquet` (GP and exact finite-width correlators); returns
/// its path.
pub fn theory(common: &Common, args: &theory::TheoryArgs) -> Result<PathBuf> {
    let start = unix_now();
    let config = serde_json::json!({ "theory": args });
    let table = theory::table(args)?;
    let run = open(common, Command::Theory, &args.network.network, config, start)?;
    write_table(&run, "theory.parquet", table)?;
    let path = run.out.join("theory.parquet");
    run.finish("theory", None)?;
    Ok(path)
}

/// `nnqft ntk`: validates the options, samples the nets (with `--nets`) and writes
/// `ntk.parquet` and, up to 8 points and 16 (output, point) pairs, `ntk_fluctuations.parquet`
/// (the rows of `nnqft_study::ntk_table`), with `--dntk` `ntk_dntk.parquet`
/// (`nnqft_study::dntk_table`) and with `--ddntk` `ntk_ddntk.parquet`
/// (`nnqft_study::ddntk_table`); returns the path of `ntk.parquet`.
pub fn ntk(common: &Common, args: &ntk::NtkArgs) -> Result<PathBuf> {
    let start = unix_now();
    let config = serde_json::json!({ "ntk": args });
    let table = args.table()?;
    let run = open(common, Command::Ntk, &args.network.network, config, start)?;
    if let Some(ens) = table.ensemble() {
        ens.check_memory(run.threads)?;
    }
    if let Some(ens) = table.dntk_ensemble() {
        ens.check_memory(run.threads)?;
    }
    if let Some(ens) = table.ddntk_ensemble() {
        ens.check_memory(run.threads)?;
    }
    let rows = table.rows(&nnqft_run::runner::Sampler::new(&run, false))?;
    if let Some(fluctuations) = table.fluctuation_table(&rows) {
        write_table(&run, "ntk_fluctuations.parquet", fluctuations)?;
    }
    if let Some(dntk) = table.dntk_table(&rows) {
        write_table(&run, "ntk_dntk.parquet", dntk)?;
    }
    if let Some(ddntk) = table.ddntk_table(&rows) {
        write_table(&run, "ntk_ddntk.parquet", ddntk)?;
    }
    write_table(&run, "ntk.parquet", table.table(rows))?;
    let path = run.out.join("ntk.parquet");
    run.finish("ntk", None)?;
    Ok(path)
}

/// `nnqft analyze`: reads and analyses every file, then writes `analysis.parquet`,
/// `analysis_summary.parquet`, `analysis_fits.parquet` (with `--widths`), `SUMMARY.md` and
/// `provenance.json` (naming each file with its SHA-256); returns the folder.
pub fn analyze(common: &Common, args: &analyze::AnalyzeArgs) -> Result<PathBuf> {
    let start = unix_now();
    analyze::check_files(args)?;
    let eft = analyze::eft_problem(args)?;
    let (files, fits) = analyze::analyze_files(args)?;
    let table5 = eft.map(|(problem, cutoff)| analyze::table5_table(args, &files, &problem, cutoff)).transpose()?;
    let action = if args.action { Some(analyze::actions(&files)?) } else { None };
    let config = serde_json::json!({ "analyze": args, "inputs": analyze::inputs_json(&files) });
    let run = open(common, Command::Analyze, &analyze::folder_stem(args), config, start)?;
    write_table(&run, "analysis.parquet", analyze::analysis_table(&files))?;
    write_table(&run, "analysis_summary.parquet", analyze::summary_table(&files))?;
    if !fits.is_empty() {
        write_table(&run, "analysis_fits.parquet", analyze::fits_table(&fits))?;
    }
    if let Some(table5) = table5 {
        write_table(&run, "analysis_table5.parquet", table5)?;
    }
    let summary = analyze::summary_markdown(&files, &fits, action.as_deref());
    if let Some(action) = action {
        write_table(&run, "analysis_action.parquet", nnqft_study::action::couplings_blocks_table(action))?;
    }
    write_text(&run, "SUMMARY.md", &summary)?;
    let out = run.out.clone();
    run.finish("analyze", None)?;
    Ok(out)
}

/// `nnqft action`: computes the action table (exact, deep or from a file of outputs) and writes
/// `action.parquet` and, where the points' coordinates are known, `action_locality.parquet`
/// (and with `--deform-quartic`, `action_deformation.parquet`);
/// returns the path of `action.parquet` and a one-line summary.
pub fn action(common: &Common, args: &action::ActionArgs) -> Result<(PathBuf, String)> {
    let start = unix_now();
    let config = serde_json::json!({ "action": args });
    let (table, inputs) = args.table()?;
    let locality = inputs.map(|xs| nnqft_study::action::locality(&table.action, &xs)).transpose()?;
    let deformation = args.deformation()?;
    let line = format!(
        "action to order 1/N{} on {} points: {} couplings; condition number of G2 {:.3e}",
        if table.order.power() == 2 { "^2" } else { "" },
        table.action.points(),
        table.rows.len(),
        table.condition_number
    );
    let run = open(common, Command::Action, &args.stem(), config, start)?;
    write_table(&run, "action.parquet", action::parquet_table(args, table))?;
    if let Some(rows) = locality {
        write_table(&run, "action_locality.parquet", nnqft_study::action::locality_table(&rows))?;
    }
    if let Some(rows) = &deformation {
        write_table(&run, "action_deformation.parquet", nnqft_study::quartic_deformation::deformation_table(rows))?;
    }
    let path = run.out.join("action.parquet");
    run.finish("action", None)?;
    Ok((path, line))
}

/// `nnqft fit`: writes `fits.parquet` and returns its Markdown table.
pub fn fit(common: &Common, args: &fit::FitArgs) -> Result<String> {
    let start = unix_now();
    let config = serde_json::json!({ "fit": args });
    let (blocks, cutoff) = fit::fit_file(args)?;
    let run = open(common, Command::Fit, &args.network.network, config, start)?;
    write_table(&run, "fits.parquet", fit::table(args, &blocks, cutoff))?;
    run.finish("fit", None)?;
    Ok(fit::markdown(&blocks))
}
