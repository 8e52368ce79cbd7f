//! `cargo xtask reproduce`: runs every stage, then writes all reports at the end (each file
//! atomically), so an interrupted run leaves no half-written report.

use crate::context::Context;
use crate::provenance::{self, Provenance};
use crate::report::{write_atomic, write_parquet};
use crate::sample::SampleArgs;
use crate::shard::{ShardRun, Sharding};
use crate::{Common, summary, tables};
use anyhow::{Context as _, Result};
use nnqft_sampling::Shard;
use nnqft_study::plan::{Plan, Profile};
use std::path::{Path, PathBuf};

/// The configuration of a `reproduce` run (hashed into `config_hash`).
pub fn config_of(plan: &Plan, seed: u64) -> serde_json::Value {
    serde_json::json!({ "plan": plan, "seed": seed })
}

/// The configuration of a `sample` run.
pub fn sample_config(args: &SampleArgs, seed: u64) -> serde_json::Value {
    serde_json::json!({ "sample": args, "seed": seed })
}

/// FNV-1a 64 of a configuration, as 16 hex digits.
pub fn config_hash(config: &serde_json::Value) -> String {
    format!("{:016x}", provenance::fnv1a(config.to_string().as_bytes()))
}

/// The command that wrote the reports in `out`, read from its `provenance.json` (whose
/// `profile` is `sample`, `coverage` or a profile of `reproduce`), with the run id.
fn previous_reports(out: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(out.join("provenance.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let command = match v["profile"].as_str().unwrap_or("") {
        c @ ("sample" | "coverage" | "theory" | "ntk" | "fit" | "analyze") => c.to_string(),
        _ => "reproduce".to_string(),
    };
    Some((command, v["run_id"].as_str().unwrap_or("unknown").to_string()))
}

/// No command replaces another command's reports: `out` may hold earlier reports of the same
/// command for `reproduce` and `coverage` (their folders are rewritten run after run), never
/// of another; `sample`, `theory`, `ntk` and `fit` never replace any; unless `force`.
fn check_replace(out: &Path, command: &str, force: bool) -> Result<()> {
    let rewritable = matches!(command, "reproduce" | "coverage");
    match previous_reports(out) {
        Some((previous, run)) if !force && (previous != command || !rewritable) => anyhow::bail!(
            "--out {} already holds the reports of `{previous}` (run {run}); choose another --out, or pass --force \
             to replace them",
            out.display()
        ),
        _ => Ok(()),
    }
}

/// `path`, or `path-2`, `path-3`, ... if it exists (two runs started in the same second).
fn fresh(path: PathBuf) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    (1..)
        .map(|k| if k == 1 { path.clone() } else { path.with_file_name(format!("{name}-{k}")) })
        .find(|p| !p.exists())
        .unwrap_or(path)
}

/// `--out`, default `reports`.
fn reports_dir(common: &Common) -> PathBuf {
    common.out_or(|| PathBuf::from("reports"))
}

/// `--out`, default a new folder `nnqft-out/<network>-N<width>-<start time>`.
pub fn sample_dir(common: &Common, args: &SampleArgs, start: u64) -> PathBuf {
    common.out_or(|| {
        fresh(PathBuf::from("nnqft-out").join(format!("{}-{}-{start}", args.network.network, args.width_label())))
    })
}

/// Removes the `.tmp` files a killed run left in `out`, `out/figures` and `out/.blocks`
/// (called under the folder's lock; the files of shards, `shard-*`, are theirs).
fn remove_leftovers(out: &Path) {
    for dir in [out.to_path_buf(), out.join("figures"), out.join(".blocks")] {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") && !name.starts_with("shard-") && e.path().is_file() {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn context(
    common: &Common,
    out: PathBuf,
    command: &str,
    resume: bool,
    config: &serde_json::Value,
    start: u64,
    sharding: Sharding,
) -> Result<Context> {
    let threads =
        common.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |t| t as usize);
    if !matches!(sharding, Sharding::Shard(_)) {
        check_replace(&out, command, common.force)?;
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create --out {}", out.display()))?;
    // one run per folder; the shards of a job array share one, each locking its own file
    let shard = match &sharding {
        Sharding::Shard(run) => Some(run.shard),
        _ => None,
    };
    let lock = crate::lock::FolderLock::acquire(&out, &crate::lock::lock_name(shard), command, start)?;
    if shard.is_none() {
        // again under the lock: a run that ended meanwhile may have written reports
        check_replace(&out, command, common.force)?;
        remove_leftovers(&out);
    }
    // fail before any work if the folder is not writable (one probe per process: the shards
    // of a job array may share the folder)
    let probe = out.join(format!(".write-probe-{}", std::process::id()));
    crate::report::write_atomic_now(&probe, b"ok")
        .with_context(|| format!("--out {} is not writable", out.display()))?;
    let _ = std::fs::remove_file(&probe);
    let config_hash = config_hash(config);
    Ok(Context {
        out,
        seed: common.seed,
        threads,
        resume,
        run_id: format!("{start}-{}", &config_hash[..8]),
        config_hash,
        progress: !common.no_progress,
        sharding,
        staging: Some(crate::report::Staging::begin()),
        lock: Some(lock),
    })
}

fn finish(ctx: &Context, profile: &str, config: serde_json::Value, start: u64) -> Result<()> {
    let shards = match &ctx.sharding {
        Sharding::Shard(run) => return run.finish(ctx).map(|_| ()),
        Sharding::Merge(set) => {
            set.check_all_used()?;
            Some(set.provenance())
        }
        Sharding::Off => None,
    };
    let p = Provenance {
        run_id: ctx.run_id.clone(),
        git_commit: provenance::git_commit(),
        config_hash: ctx.config_hash.clone(),
        config,
        seed: ctx.seed,
        profile: profile.into(),
        crate_versions: provenance::crate_versions(),
        build_profile: provenance::build_profile(),
        start_time: provenance::rfc3339(start),
        end_time: provenance::rfc3339(provenance::unix_now()),
        threads: ctx.threads,
        shards,
    };
    provenance::write(&ctx.out, &p)?;
    crate::report::commit_staged()?;
    ctx.clear_blocks();
    Ok(())
}

/// Runs a profile and writes every report; returns the record of every figure drawn.
pub fn run(common: &Common, profile: Profile, resume: bool) -> Result<Vec<crate::figures::Drawing>> {
    run_sharded(common, profile, resume, None)
}

/// Runs a profile; with `Some(shard)` only that shard's work items of every ensemble, into
/// `shard-K-of-N.nnqs` instead of reports ([`crate::shard`]; no figures are drawn then).
pub fn run_sharded(
    common: &Common,
    profile: Profile,
    resume: bool,
    shard: Option<Shard>,
) -> Result<Vec<crate::figures::Drawing>> {
    let start = provenance::unix_now();
    let plan = Plan::of(profile);
    let config = config_of(&plan, common.seed);
    let sharding =
        shard.map_or(Sharding::Off, |s| Sharding::Shard(ShardRun::new(s, "reproduce", config.clone(), start)));
    let ctx = context(common, reports_dir(common), "reproduce", resume, &config, start, sharding)?;
    run_in(&ctx, profile, config, start)
}

/// Writes the reports of a `reproduce` run from its checked shards ([`crate::merge`]).
pub fn merge_reproduce(
    common: &Common,
    profile: Profile,
    config: serde_json::Value,
    start: u64,
    set: crate::merge::ShardSet,
) -> Result<()> {
    let ctx = context(common, reports_dir(common), "reproduce", false, &config, start, Sharding::Merge(set))?;
    run_in(&ctx, profile, config, start).map(drop)
}

fn run_in(
    ctx: &Context,
    profile: Profile,
    config: serde_json::Value,
    start: u64,
) -> Result<Vec<crate::figures::Drawing>> {
    let plan = Plan::of(profile);
    let scaling = nnqft_study::scaling::run(ctx, &plan.scaling)?;
    let table5 = nnqft_study::table5::run(ctx, plan.table5_experiments, plan.table5_nets)?;
    let rg = nnqft_study::rg::run(ctx, plan.rg_experiments, plan.rg_nets)?;
    if matches!(ctx.sharding, Sharding::Shard(_)) {
        finish(ctx, profile.name(), config, start)?;
        return Ok(Vec::new());
    }
    // deep ensembles are not split into shards: the depth study runs whole here or in a merge
    let depth = nnqft_study::depth::run(ctx, &plan.depth)?;

    let figures = crate::figures::all(&crate::figures::Inputs {
        plan: &plan,
        scaling: &scaling,
        table5: &table5,
        rg: &rg,
        depth: &depth,
    })?;

    // all computation done: write the reports
    let out = &ctx.out;
    std::fs::create_dir_all(out.join("figures"))?;
    write_parquet(
        &out.join("correlators.parquet"),
        tables::correlators_table(scaling.correlators.clone()),
        &ctx.run_id,
    )?;
    write_parquet(&out.join("scaling.parquet"), tables::scaling_table(&scaling.rows), &ctx.run_id)?;
    write_parquet(&out.join("scaling_fits.parquet"), tables::scaling_fits_table(&scaling.fits), &ctx.run_id)?;
    write_parquet(&out.join("table5.parquet"), tables::table5_table(&table5.rows), &ctx.run_id)?;
    write_parquet(&out.join("rg_flow.parquet"), tables::rg_flow_table(&rg.flow), &ctx.run_id)?;
    write_parquet(&out.join("rg_fits.parquet"), tables::rg_fits_table(&rg.fits), &ctx.run_id)?;
    write_parquet(&out.join("six_point.parquet"), tables::six_point_table(&rg.six), &ctx.run_id)?;
    write_parquet(&out.join("naturalness.parquet"), tables::naturalness_table(&rg.natural), &ctx.run_id)?;
    write_parquet(&out.join("depth.parquet"), tables::depth_table(&depth.rows), &ctx.run_id)?;
    write_parquet(&out.join("depth_fits.parquet"), tables::depth_fits_table(&depth.fits), &ctx.run_id)?;
    let drawings = crate::figures::write(&out.join("figures"), &figures)?;
    let mut md = format!(
        "# nnqft reproduction of Halverson, Maiti, Stoner (arXiv:2008.08601)\n\n\
         <!-- generated by cargo xtask reproduce, do not edit -->\n\n\
         Profile `{}`, seed {}, commit `{}`, run `{}` ({} threads). Provenance: `provenance.json`. Every term, \
         symbol and column used here is defined in the repository's \
         [docs/conventions.md](../docs/conventions.md).\n\n",
        profile.name(),
        ctx.seed,
        provenance::git_commit(),
        ctx.run_id,
        ctx.threads
    );
    md.push_str(&summary::scaling_section(&scaling.rows, &scaling.fits, &scaling.agreement, &scaling.z_expected));
    md.push_str(&summary::table5_section(&table5.rows));
    md.push_str(&summary::rg_section(&rg));
    md.push_str(&summary::depth_section(&depth, &plan.depth));
    write_atomic(&out.join("SUMMARY.md"), md.as_bytes())?;
    finish(ctx, profile.name(), config, start)?;
    Ok(drawings)
}

/// `cargo xtask coverage`: the study into `<out>/coverage`.
pub fn coverage(common: &Common, seeds: usize, networks: &[String]) -> Result<()> {
    let start = provenance::unix_now();
    let networks: Vec<nnqft_theory::Activation> = if networks.is_empty() {
        nnqft_theory::Activation::ALL.to_vec()
    } else {
        networks.iter().map(|n| nnqft_theory::Activation::parse(n)).collect::<Result<_, _>>()?
    };
    let plan = nnqft_study::coverage::CoveragePlan::standard(seeds);
    let names: Vec<&str> = networks.iter().map(|a| a.name()).collect();
    let config = serde_json::json!({ "coverage": plan, "networks": names, "seed": common.seed });
    let out = reports_dir(common).join("coverage");
    let ctx = context(common, out, "coverage", false, &config, start, Sharding::Off)?;
    let rows = crate::coverage::write(&ctx, &plan, &networks)?;
    print!("{}", crate::coverage::markdown(&rows, &plan, ctx.seed));
    finish(&ctx, "coverage", config, start)
}

/// `cargo xtask sample`; with `Some(shard)` only that shard's work items.
pub fn sample(common: &Common, args: &SampleArgs, shard: Option<Shard>) -> Result<()> {
    let start = provenance::unix_now();
    let config = sample_config(args, common.seed);
    // bad options (and a deep network with --shard) fail before a folder is made
    let job = args.job(common.seed)?;
    if let (Some(_), crate::sample::Job::Deep { .. }) = (shard, &job) {
        return Err(crate::sample::deep_not_sharded());
    }
    let sharding = shard.map_or(Sharding::Off, |s| Sharding::Shard(ShardRun::new(s, "sample", config.clone(), start)));
    let ctx = context(common, sample_dir(common, args, start), "sample", false, &config, start, sharding)?;
    crate::sample::run(&ctx, args, job)?;
    finish(&ctx, "sample", config, start)
}

/// Writes the report of a `sample` run from its checked shards.
pub fn merge_sample(
    common: &Common,
    args: &SampleArgs,
    config: serde_json::Value,
    start: u64,
    set: crate::merge::ShardSet,
) -> Result<()> {
    let job = args.job(common.seed)?;
    let ctx = context(common, sample_dir(common, args, start), "sample", false, &config, start, Sharding::Merge(set))?;
    crate::sample::run(&ctx, args, job)?;
    finish(&ctx, "sample", config, start)
}

/// `--out`, default a new folder `nnqft-out/<command>-<network>-<start time>`.
fn new_dir(common: &Common, command: &str, network: &str, start: u64) -> PathBuf {
    common.out_or(|| fresh(PathBuf::from("nnqft-out").join(format!("{command}-{network}-{start}"))))
}

/// `nnqft theory`: writes `theory.parquet` (GP and exact finite-width correlators).
pub fn theory(common: &Common, args: &crate::theory::TheoryArgs) -> Result<PathBuf> {
    let start = provenance::unix_now();
    let config = serde_json::json!({ "theory": args });
    let table = crate::theory::table(args)?;
    let out = new_dir(common, "theory", &args.network.network, start);
    let ctx = context(common, out, "theory", false, &config, start, Sharding::Off)?;
    write_parquet(&ctx.out.join("theory.parquet"), table, &ctx.run_id)?;
    finish(&ctx, "theory", config, start)?;
    Ok(ctx.out.join("theory.parquet"))
}

/// `nnqft ntk`: validates the options, samples the nets (with `--nets`) and writes `ntk.parquet`
/// (the rows of `nnqft_study::ntk_table`); returns its path.
pub fn ntk(common: &Common, args: &crate::ntk::NtkArgs) -> Result<PathBuf> {
    let start = provenance::unix_now();
    let config = serde_json::json!({ "ntk": args });
    let table = args.table()?;
    let out = new_dir(common, "ntk", &args.network.network, start);
    let ctx = context(common, out, "ntk", false, &config, start, Sharding::Off)?;
    if let Some(ens) = table.ensemble() {
        ens.check_memory(ctx.threads)?;
    }
    let rows = table.rows(&ctx)?;
    write_parquet(&ctx.out.join("ntk.parquet"), crate::ntk::parquet_table(&table, rows), &ctx.run_id)?;
    finish(&ctx, "ntk", config, start)?;
    Ok(ctx.out.join("ntk.parquet"))
}

/// `nnqft analyze`: reads and analyses every file, then writes `analysis.parquet`,
/// `analysis_summary.parquet`, `analysis_fits.parquet` (with `--widths`), `SUMMARY.md` and
/// `provenance.json` (naming each file with its SHA-256); returns the folder.
pub fn analyze(common: &Common, args: &crate::analyze::AnalyzeArgs) -> Result<PathBuf> {
    let start = provenance::unix_now();
    crate::analyze::check_files(args)?;
    let (files, fits) = crate::analyze::analyze_files(args)?;
    let config = serde_json::json!({ "analyze": args, "inputs": crate::analyze::inputs_json(&files) });
    let out = new_dir(common, "analyze", &crate::analyze::folder_stem(args), start);
    let ctx = context(common, out, "analyze", false, &config, start, Sharding::Off)?;
    write_parquet(&ctx.out.join("analysis.parquet"), crate::analyze::analysis_table(&files), &ctx.run_id)?;
    write_parquet(&ctx.out.join("analysis_summary.parquet"), crate::analyze::summary_table(&files), &ctx.run_id)?;
    if !fits.is_empty() {
        write_parquet(&ctx.out.join("analysis_fits.parquet"), crate::analyze::fits_table(&fits), &ctx.run_id)?;
    }
    crate::analyze::write_summary(&ctx.out, &files, &fits)?;
    finish(&ctx, "analyze", config, start)?;
    Ok(ctx.out.clone())
}

/// `nnqft action`: computes the action table (exact, deep or from a file of outputs) and writes
/// `action.parquet` and, where the points' coordinates are known, `action_locality.parquet`;
/// returns the path of `action.parquet` and a one-line summary.
pub fn action(common: &Common, args: &crate::action::ActionArgs) -> Result<(PathBuf, String)> {
    let start = provenance::unix_now();
    let config = serde_json::json!({ "action": args });
    let (table, inputs) = args.table()?;
    let locality = inputs.map(|xs| nnqft_study::action::locality(&table.action, &xs)).transpose()?;
    let line = format!(
        "action to order 1/N{} on {} points: {} couplings; condition number of G2 {:.3e}",
        if table.order.power() == 2 { "^2" } else { "" },
        table.action.points(),
        table.rows.len(),
        table.condition_number
    );
    let out = new_dir(common, "action", &args.stem(), start);
    let ctx = context(common, out, "action", false, &config, start, Sharding::Off)?;
    write_parquet(&ctx.out.join("action.parquet"), crate::action::parquet_table(args, table), &ctx.run_id)?;
    if let Some(rows) = locality {
        write_parquet(&ctx.out.join("action_locality.parquet"), crate::action::locality_table(rows), &ctx.run_id)?;
    }
    finish(&ctx, "action", config, start)?;
    Ok((ctx.out.join("action.parquet"), line))
}

/// `nnqft fit`: writes `fits.parquet` and returns its Markdown table.
pub fn fit(common: &Common, args: &crate::fit::FitArgs) -> Result<String> {
    let start = provenance::unix_now();
    let config = serde_json::json!({ "fit": args });
    let (blocks, cutoff) = crate::fit::fit_file(args)?;
    let out = new_dir(common, "fit", &args.network.network, start);
    let ctx = context(common, out, "fit", false, &config, start, Sharding::Off)?;
    write_parquet(&ctx.out.join("fits.parquet"), crate::fit::table(args, &blocks, cutoff), &ctx.run_id)?;
    finish(&ctx, "fit", config, start)?;
    Ok(crate::fit::markdown(&blocks))
}
