//! `cargo xtask sample`: one custom ensemble from the command line, written as
//! `correlators.parquet` (same columns as the reproduce reports), plus a one-line throughput
//! figure on stdout.

use crate::context::Context;
use crate::options::NetworkArgs;
use crate::report::write_parquet;
use crate::tables::correlators_table;
use anyhow::{Result, bail};
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_study::scaling::{CorrelatorColumns, nnqft_theory_gp, summaries};
use nnqft_theory::{ExactCorrelators, FiniteWidthTheory, InputSet, Network, TheoryError};
use std::time::Instant;

/// Options of `cargo xtask sample`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct SampleArgs {
    /// The network and its inputs.
    #[command(flatten)]
    #[serde(flatten)]
    pub network: NetworkArgs,
    /// Hidden width N (>= 1).
    #[arg(long)]
    pub width: usize,
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

impl SampleArgs {
    /// The validated network, input set, estimator and ensemble of these options with master
    /// seed `seed` (errors name the option and its allowed range).
    pub fn ensemble(&self, seed: u64) -> Result<(Network, InputSet, Estimator, Ensemble)> {
        let (net, xs) = self.network.resolve()?;
        if self.experiments < 2 {
            bail!(
                "invalid experiments = {}: allowed range is an integer >= 2 (standard errors need two)",
                self.experiments
            );
        }
        let est = Estimator::parse(&self.estimator)?;
        let ens = Ensemble::new(net, self.width, xs.clone(), self.nets, self.experiments, est, seed)?;
        ens.check_memory(1)?; // at least one thread's worth: refused before a folder is made
        Ok((net, xs, est, ens))
    }
}

/// The exact finite-width correlators at `width` where exact theory covers the configuration
/// (`None`, with the reason on stderr, where it does not; any other error is returned).
pub fn exact_if_covered(net: &Network, xs: &InputSet, width: usize) -> Result<Option<ExactCorrelators>> {
    match FiniteWidthTheory::new(net, xs) {
        Ok(t) => Ok(Some(t.at_width(width)?)),
        Err(TheoryError::Unsupported(why)) => {
            eprintln!("no exact finite-width theory for this configuration ({why}): g_exact is null");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs the ensemble and writes the report.
pub fn run(ctx: &Context, args: &SampleArgs) -> Result<()> {
    let (net, xs, est, ens) = args.ensemble(ctx.seed)?;
    let act = net.activation();
    let start = Instant::now();
    let result = ctx.ensemble(&format!("sample-{}-N{}-{}", act.name(), args.width, est.name()), &ens, ctx.seed)?;
    let secs = start.elapsed().as_secs_f64();
    if matches!(ctx.sharding, crate::shard::Sharding::Shard(_)) {
        return Ok(()); // a shard writes its partial, not the report
    }
    let gp = nnqft_theory_gp(&net, &xs)?;
    let exact = exact_if_covered(&net, &xs, args.width)?;
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
