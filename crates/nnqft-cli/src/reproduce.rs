//! `cargo xtask reproduce`: plans every ensemble of a profile, samples them (or, with
//! `--shard K/N`, a shard's share of each, into a shard file, and nothing else), runs the
//! studies and writes all reports at the end (each file atomically, renamed together), so an
//! interrupted run leaves no half-written report. Also `cargo xtask coverage`.

use crate::{Common, write_table, write_text};
use anyhow::Result;
use nnqft_report::{figures, summary};
use nnqft_run::provenance::{self, unix_now};
use nnqft_run::run::{Command, Run};
use nnqft_run::runner::{Merged, Sampler};
use nnqft_sampling::Shard;
use nnqft_study::Runner;
use nnqft_study::plan::{Plan, Profile};
use std::path::PathBuf;

/// The configuration of a `reproduce` run (hashed into `config_hash`).
pub fn config_of(plan: &Plan, seed: u64) -> serde_json::Value {
    serde_json::json!({ "plan": plan, "seed": seed })
}

/// `--out`, default `reports`.
fn reports_dir() -> PathBuf {
    PathBuf::from("reports")
}

/// Runs a profile and writes every report; returns the record of every figure drawn.
pub fn run(common: &Common, profile: Profile, resume: bool) -> Result<Vec<figures::Drawing>> {
    let start = unix_now();
    let plan = Plan::of(profile);
    let run = Run::open(&common.settings(reports_dir), Command::Reproduce, config_of(&plan, common.seed), start, None)?;
    let drawings = analyse(&run, &Sampler::new(&run, resume), &plan)?;
    run.finish(profile.name(), None)?;
    Ok(drawings)
}

/// Samples shard `shard`'s work items of every ensemble of a profile into
/// `shard-K-of-N.nnqs` (`nnqft_run::shard`); no reports, no figures. Returns its path.
pub fn run_shard(common: &Common, profile: Profile, resume: bool, shard: Shard) -> Result<PathBuf> {
    let start = unix_now();
    let plan = Plan::of(profile);
    let config = config_of(&plan, common.seed);
    let run = Run::open(&common.settings(reports_dir), Command::Reproduce, config, start, Some(shard))?;
    nnqft_run::shard::record(&run, shard, &plan.ensembles(common.seed)?, resume)
}

/// Writes the reports of a `reproduce` run from its checked shards.
pub fn merge(
    common: &Common,
    profile: Profile,
    config: serde_json::Value,
    start: u64,
    set: &nnqft_run::merge::ShardSet,
) -> Result<()> {
    let run = Run::open(&common.settings(reports_dir), Command::Reproduce, config, start, None)?;
    analyse(&run, &Merged::new(&run, set), &Plan::of(profile))?;
    set.check_all_used()?;
    run.finish(profile.name(), Some(set.provenance()))
}

/// Runs the studies of `plan` on the ensembles of `runner` and writes every report of `run`.
fn analyse(run: &Run, runner: &dyn Runner, plan: &Plan) -> Result<Vec<figures::Drawing>> {
    let scaling = timed("scaling", || nnqft_study::scaling::run(runner, &plan.scaling))?;
    let table5 = timed("table5", || nnqft_study::table5::run(runner, &plan.table5))?;
    let rg = timed("rg", || nnqft_study::rg::run(runner, plan.rg_experiments, plan.rg_nets))?;
    let depth = timed("depth", || nnqft_study::depth::run(runner, &plan.depth))?;
    let ntk = timed("ntk_study", || nnqft_study::ntk_study::run(runner, &plan.ntk))?;
    let action = timed("action", || nnqft_study::action_study::run(runner, &plan.action))?;
    let inputs = figures::Inputs {
        plan,
        scaling: &scaling,
        table5: &table5,
        rg: &rg,
        depth: &depth,
        ntk: &ntk,
        action: &action,
    };
    let figures = timed("figures", || figures::all(&inputs))?;

    // all computation done: write the reports
    let tables = [scaling.tables(), table5.tables(), rg.tables(), depth.tables(), ntk.tables(), action.tables()];
    for (stem, table) in tables.into_iter().flatten() {
        write_table(run, &format!("{stem}.parquet"), table)?;
    }
    std::fs::create_dir_all(run.out.join("figures"))?;
    let mut drawings = Vec::new();
    for (figure, rendered) in figures.iter().zip(figures::render(&figures)?) {
        write_text(run, &format!("figures/{}.svg", figure.name), &rendered.svg)?;
        nnqft_run::atomic::write_atomic(&run.out.join(format!("figures/{}.png", figure.name)), &rendered.png)?;
        drawings.push(rendered.drawing);
    }
    let commit = provenance::git_commit();
    let line = summary::RunLine {
        profile: plan.profile.name(),
        seed: run.seed,
        commit: &commit,
        run_id: &run.run_id,
        threads: run.threads,
    };
    let md = summary::document(&line, &inputs);
    write_text(run, "SUMMARY.md", &md)?;
    Ok(drawings)
}

/// Runs one study (or the figures) and prints its wall time to stderr,
/// `study {name}: {secs} s` (its ensembles' own lines come before it), so a run's log says where
/// its time went.
fn timed<T>(name: &str, study: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let out = study();
    eprintln!("study {name}: {:.1} s", start.elapsed().as_secs_f64());
    out
}

/// `cargo xtask coverage`: the study into `<out>/coverage`.
pub fn coverage(common: &Common, seeds: usize, networks: &[String]) -> Result<()> {
    let start = unix_now();
    let networks: Vec<nnqft_theory::Activation> = if networks.is_empty() {
        nnqft_theory::Activation::ALL.to_vec()
    } else {
        networks.iter().map(|n| nnqft_theory::Activation::parse(n)).collect::<Result<_, _>>()?
    };
    let plan = nnqft_study::coverage::CoveragePlan::standard(seeds);
    let names: Vec<&str> = networks.iter().map(|a| a.name()).collect();
    let config = serde_json::json!({ "coverage": plan, "networks": names, "seed": common.seed });
    let mut settings = common.settings(reports_dir);
    settings.out = settings.out.join("coverage");
    let run = Run::open(&settings, Command::Coverage, config, start, None)?;
    let progress = |act: nnqft_theory::Activation, done: usize, total: usize| {
        if run.progress {
            eprintln!("coverage {}: seed {done}/{total}", act.name());
        }
    };
    let rows = nnqft_study::coverage::run(run.seed, run.threads, &plan, &networks, &progress)?;
    let markdown = nnqft_report::coverage::markdown(&rows, &plan, run.seed);
    write_table(&run, "coverage.parquet", nnqft_study::coverage::coverage_table(&rows, &plan))?;
    write_text(&run, "COVERAGE.md", &markdown)?;
    print!("{markdown}");
    run.finish("coverage", None)
}
