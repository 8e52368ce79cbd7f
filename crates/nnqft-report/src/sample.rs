//! `cargo xtask sample`: one custom ensemble from the command line, written as
//! `correlators.parquet` (same columns as the reproduce reports), plus a one-line throughput
//! figure on stdout.

use crate::context::Context;
use crate::report::write_parquet;
use crate::tables::correlators_table;
use anyhow::{Result, bail};
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_study::scaling::{CorrelatorColumns, nnqft_theory_gp, summaries};
use nnqft_theory::{Activation, FiniteWidthTheory, InputSet, Network};
use std::time::Instant;

/// Options of `cargo xtask sample`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct SampleArgs {
    /// Network: erf, relu or gauss.
    #[arg(long)]
    pub network: String,
    /// Input dimension d (>= 1).
    #[arg(long, default_value_t = 1)]
    pub d_in: usize,
    /// Hidden width N (>= 1).
    #[arg(long)]
    pub width: usize,
    /// Prior width of the weights, sigma_w (>= 0).
    #[arg(long, default_value_t = 1.0)]
    pub sigma_w: f64,
    /// Prior width of the biases, sigma_b (>= 0); default: the paper's (1 for erf and gauss, 0 for relu).
    #[arg(long)]
    pub sigma_b: Option<f64>,
    /// Input set: a paper set name (e.g. scaling-erf-d1, table5-test-relu) or a file path;
    /// default: the paper's scaling set for the network and d.
    #[arg(long)]
    pub x_set: Option<String>,
    /// Nets per experiment (>= 1).
    #[arg(long, default_value_t = 100_000)]
    pub nets: u64,
    /// Experiments (>= 2, for standard errors).
    #[arg(long, default_value_t = 10)]
    pub experiments: usize,
    /// Estimator: raw, conditional, or conditional_cv (conditional with its zero-mean
    /// first-order term removed).
    #[arg(long, default_value = "conditional")]
    pub estimator: String,
}

/// Runs the ensemble and writes the report.
pub fn run(ctx: &Context, args: &SampleArgs) -> Result<()> {
    let act = Activation::parse(&args.network)?;
    let sigma_b = args.sigma_b.unwrap_or(act.paper_sigma_b());
    let net = Network::new(act, args.d_in, args.sigma_w, sigma_b)?;
    let xs = match &args.x_set {
        None => InputSet::scaling(act, args.d_in)?,
        Some(name) if std::path::Path::new(name).is_file() => InputSet::from_file(std::path::Path::new(name))?,
        Some(name) => InputSet::named(name)?,
    };
    if args.experiments < 2 {
        bail!(
            "invalid experiments = {}: allowed range is an integer >= 2 (standard errors need two)",
            args.experiments
        );
    }
    let est = Estimator::parse(&args.estimator)?;
    let ens = Ensemble::new(net, args.width, xs.clone(), args.nets, args.experiments, est, ctx.seed)?;
    let start = Instant::now();
    let result = ctx.ensemble(&format!("sample-{}-N{}-{}", act.name(), args.width, est.name()), &ens, ctx.seed)?;
    let secs = start.elapsed().as_secs_f64();
    if matches!(ctx.sharding, crate::shard::Sharding::Shard(_)) {
        return Ok(()); // a shard writes its partial, not the report
    }
    let gp = nnqft_theory_gp(&net, &xs)?;
    let exact = FiniteWidthTheory::new(&net, &xs).ok().map(|t| t.at_width(args.width)).transpose()?;
    let mut cols = CorrelatorColumns::default();
    cols.push_block(&net, args.width, est, &result, &summaries(&result)?, &gp.tensors, exact.as_ref().map(|e| &e.g));
    write_parquet(&ctx.out.join("correlators.parquet"), correlators_table(cols), &ctx.run_id)?;
    let nets = ens.nets_total() as f64;
    println!(
        "{} nets in {secs:.3} s: {:.4e} nets/s, {:.4e} neuron evaluations/s ({} threads)",
        ens.nets_total(),
        nets / secs,
        nets * args.width as f64 * xs.len() as f64 / secs,
        ctx.threads
    );
    Ok(())
}
