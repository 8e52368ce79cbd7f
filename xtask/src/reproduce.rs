//! `cargo xtask reproduce`: runs every stage, then writes all reports at the end (each file
//! atomically), so an interrupted run leaves no half-written report.

use crate::context::Context;
use crate::figures::{Plot, Series, Style};
use crate::profile::{Plan, Profile};
use crate::provenance::{self, Provenance};
use crate::report::{write_atomic, write_parquet};
use crate::sample::SampleArgs;
use crate::scaling::{self, ScalingRow};
use crate::shard::{ShardRun, Sharding};
use crate::{Common, summary};
use anyhow::{Context as _, Result};
use nnqft_sampling::Shard;
use std::path::Path;

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

fn context(
    common: &Common,
    resume: bool,
    config: &serde_json::Value,
    start: u64,
    sharding: Sharding,
) -> Result<Context> {
    let threads =
        common.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |t| t as usize);
    std::fs::create_dir_all(&common.out).with_context(|| format!("cannot create --out {}", common.out.display()))?;
    // fail before any work if the folder is not writable (one probe per process: the shards
    // of a job array may share the folder)
    let probe = common.out.join(format!(".write-probe-{}", std::process::id()));
    write_atomic(&probe, b"ok").with_context(|| format!("--out {} is not writable", common.out.display()))?;
    let _ = std::fs::remove_file(&probe);
    let config_hash = config_hash(config);
    Ok(Context {
        out: common.out.clone(),
        seed: common.seed,
        threads,
        resume,
        run_id: format!("{start}-{}", &config_hash[..8]),
        config_hash,
        progress: !common.no_progress,
        sharding,
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
    ctx.clear_blocks();
    Ok(())
}

/// Runs a profile and writes every report.
pub fn run(common: &Common, profile: Profile, resume: bool) -> Result<()> {
    run_sharded(common, profile, resume, None)
}

/// Runs a profile; with `Some(shard)` only that shard's work items of every ensemble, into
/// `shard-K-of-N.nnqs` instead of reports ([`crate::shard`]).
pub fn run_sharded(common: &Common, profile: Profile, resume: bool, shard: Option<Shard>) -> Result<()> {
    let start = provenance::unix_now();
    let plan = Plan::of(profile);
    let config = config_of(&plan, common.seed);
    let sharding =
        shard.map_or(Sharding::Off, |s| Sharding::Shard(ShardRun::new(s, "reproduce", config.clone(), start)));
    let ctx = context(common, resume, &config, start, sharding)?;
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
    let ctx = context(common, false, &config, start, Sharding::Merge(set))?;
    run_in(&ctx, profile, config, start)
}

fn run_in(ctx: &Context, profile: Profile, config: serde_json::Value, start: u64) -> Result<()> {
    let plan = Plan::of(profile);
    let scaling = scaling::run(ctx, &plan.scaling)?;
    let table5 = crate::table5::run(ctx, plan.table5_experiments, plan.table5_nets)?;
    let rg = crate::rg::run(ctx, plan.rg_experiments, plan.rg_nets)?;
    if matches!(ctx.sharding, Sharding::Shard(_)) {
        return finish(ctx, profile.name(), config, start);
    }

    // all computation done: write the reports
    let out = &ctx.out;
    std::fs::create_dir_all(out.join("figures"))?;
    write_parquet(&out.join("correlators.parquet"), scaling.correlators, &ctx.run_id)?;
    write_parquet(&out.join("scaling.parquet"), scaling::scaling_table(&scaling.rows), &ctx.run_id)?;
    write_parquet(&out.join("scaling_fits.parquet"), scaling::fits_table(&scaling.fits), &ctx.run_id)?;
    write_parquet(&out.join("table5.parquet"), crate::table5::table(&table5), &ctx.run_id)?;
    write_parquet(&out.join("rg_flow.parquet"), crate::rg::flow_table(&rg.flow), &ctx.run_id)?;
    write_parquet(&out.join("rg_fits.parquet"), crate::rg::fits_table(&rg.fits), &ctx.run_id)?;
    write_parquet(&out.join("six_point.parquet"), crate::rg::six_table(&rg.six), &ctx.run_id)?;
    write_parquet(&out.join("naturalness.parquet"), crate::rg::natural_table(&rg.natural), &ctx.run_id)?;
    scaling_figures(out, &scaling.rows)?;
    rg_figures(out, &rg)?;
    let mut md = format!(
        "# nnqft reproduction of Halverson, Maiti, Stoner (arXiv:2008.08601)\n\n\
         <!-- generated by cargo xtask reproduce, do not edit -->\n\n\
         Profile `{}`, seed {}, commit `{}`, run `{}` ({} threads). Provenance: `provenance.json`.\n\n",
        profile.name(),
        ctx.seed,
        provenance::git_commit(),
        ctx.run_id,
        ctx.threads
    );
    md.push_str(&summary::scaling_section(&scaling.rows, &scaling.fits, &scaling.agreement, &scaling.z_expected));
    md.push_str(&summary::table5_section(&table5));
    md.push_str(&summary::rg_section(&rg));
    write_atomic(&out.join("SUMMARY.md"), md.as_bytes())?;
    finish(ctx, profile.name(), config, start)
}

/// `cargo xtask coverage`: the study into `<out>/coverage`.
pub fn coverage(common: &Common, seeds: usize, networks: &[String]) -> Result<()> {
    let start = provenance::unix_now();
    let networks: Vec<nnqft_theory::Activation> = if networks.is_empty() {
        nnqft_theory::Activation::ALL.to_vec()
    } else {
        networks.iter().map(|n| nnqft_theory::Activation::parse(n)).collect::<Result<_, _>>()?
    };
    let plan = crate::coverage::CoveragePlan::standard(seeds);
    let names: Vec<&str> = networks.iter().map(|a| a.name()).collect();
    let config = serde_json::json!({ "coverage": plan, "networks": names, "seed": common.seed });
    let common = Common { out: common.out.join("coverage"), ..common.clone() };
    let ctx = context(&common, false, &config, start, Sharding::Off)?;
    let rows = crate::coverage::write(&ctx, &plan, &networks)?;
    print!("{}", crate::coverage::markdown(&rows, &plan, ctx.seed));
    finish(&ctx, "coverage", config, start)
}

/// `cargo xtask sample`; with `Some(shard)` only that shard's work items.
pub fn sample(common: &Common, args: &SampleArgs, shard: Option<Shard>) -> Result<()> {
    let start = provenance::unix_now();
    let config = sample_config(args, common.seed);
    let sharding = shard.map_or(Sharding::Off, |s| Sharding::Shard(ShardRun::new(s, "sample", config.clone(), start)));
    let ctx = context(common, false, &config, start, sharding)?;
    crate::sample::run(&ctx, args)?;
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
    let ctx = context(common, false, &config, start, Sharding::Merge(set))?;
    crate::sample::run(&ctx, args)?;
    finish(&ctx, "sample", config, start)
}

fn scaling_figures(out: &Path, rows: &[ScalingRow]) -> Result<()> {
    for (act, d, est) in scaling::groups(rows) {
        let sel: Vec<&ScalingRow> =
            rows.iter().filter(|r| r.network == act && r.d == d && r.estimator == est).collect();
        let mut series = Vec::new();
        for (c, n) in [2usize, 4, 6].into_iter().enumerate() {
            let pts = |f: fn(&ScalingRow) -> Option<f64>| -> Vec<(f64, f64)> {
                sel.iter().filter(|r| r.n == n).filter_map(|r| f(r).map(|v| (r.width as f64, v))).collect()
            };
            series.push(Series {
                label: format!("m{n}"),
                points: pts(|r| Some(r.m_n)),
                style: Style::Points,
                color: c,
            });
            series.push(Series {
                label: format!("background {n}"),
                points: pts(|r| Some(r.background)),
                style: Style::Dashed,
                color: c,
            });
            if n > 2 {
                series.push(Series {
                    label: format!("m{n} exact"),
                    points: pts(|r| r.m_n_exact),
                    style: Style::Line,
                    color: c,
                });
            }
            if n == 6 {
                series.push(Series {
                    label: "connected 6-pt".into(),
                    points: pts(|r| r.connected),
                    style: Style::Points,
                    color: 3,
                });
                series.push(Series {
                    label: "connected 6-pt exact".into(),
                    points: pts(|r| r.connected_exact),
                    style: Style::Line,
                    color: 3,
                });
                series.push(Series {
                    label: "background connected 6-pt".into(),
                    points: pts(|r| r.connected_background),
                    style: Style::Dashed,
                    color: 3,
                });
            }
        }
        Plot {
            title: format!("{} d={d}, {} estimator: log10 m_n vs log10 N", act.name(), est.name()),
            x_label: "log10 N".into(),
            y_label: "log10 m_n".into(),
            log_x: true,
            log_y: true,
            series,
        }
        .write(&out.join("figures").join(format!("scaling-{}-d{d}-{}.svg", act.name(), est.name())))?;
    }
    Ok(())
}

fn rg_figures(out: &Path, rg: &crate::rg::RgReport) -> Result<()> {
    let mut series = Vec::new();
    for (c, (act, d, _)) in crate::rg::CASES.into_iter().enumerate() {
        let sel: Vec<&crate::rg::FlowRow> = rg.flow.iter().filter(|r| r.network == act && r.d == d).collect();
        let label = format!("{} d={d}", act.name());
        series.push(Series {
            label: format!("{label} measured"),
            points: sel.iter().map(|r| (r.cutoff, r.lambda_mean.abs())).collect(),
            style: Style::Points,
            color: c,
        });
        series.push(Series {
            label: format!("{label} exact"),
            points: sel.iter().map(|r| (r.cutoff, r.lambda_exact.abs())).collect(),
            style: Style::Line,
            color: c,
        });
        if let Some(f) = rg.fits.iter().find(|f| f.network == act && f.d == d && f.source == "monte_carlo") {
            series.push(Series {
                label: format!("{label} fit: slope {:.3}", f.slope),
                points: sel.iter().map(|r| (r.cutoff, 10f64.powf(f.intercept + f.slope * r.cutoff.log10()))).collect(),
                style: Style::Dashed,
                color: c,
            });
        }
    }
    Plot {
        title: "RG flow: log10 |lambda| vs log10 Lambda".into(),
        x_label: "log10 Lambda".into(),
        y_label: "log10 |lambda| (multiset mean)".into(),
        log_x: true,
        log_y: true,
        series,
    }
    .write(&out.join("figures").join("rg-flow.svg"))?;
    let mut series = Vec::new();
    let mut nets: Vec<nnqft_theory::Activation> = Vec::new();
    for r in &rg.six {
        if !nets.contains(&r.network) {
            nets.push(r.network);
        }
    }
    for (c, act) in nets.into_iter().enumerate() {
        let sel: Vec<&crate::rg::SixRow> = rg.six.iter().filter(|r| r.network == act).collect();
        let pts = |f: fn(&crate::rg::SixRow) -> f64| sel.iter().map(|r| (r.cutoff, f(r))).collect::<Vec<_>>();
        series.push(Series {
            label: format!("{} (GP+lambda)/G6 measured", act.name()),
            points: pts(|r| r.ratio_gp_lambda),
            style: Style::Points,
            color: c,
        });
        series.push(Series {
            label: format!("{} (GP+lambda)/G6 exact", act.name()),
            points: pts(|r| r.ratio_gp_lambda_exact),
            style: Style::Line,
            color: c,
        });
        series.push(Series {
            label: format!("{} GP/G6 exact", act.name()),
            points: pts(|r| r.ratio_gp_exact),
            style: Style::Dashed,
            color: c,
        });
    }
    Plot {
        title: "6-pt prediction vs cutoff".into(),
        x_label: "log10 Lambda".into(),
        y_label: "prediction / G6".into(),
        log_x: true,
        log_y: false,
        series,
    }
    .write(&out.join("figures").join("six-point.svg"))
}
