//! `sample` (`nnqft sample`, `cargo xtask sample`): one custom ensemble from the command line, written as
//! `correlators.parquet` (same columns as the reproduce reports), plus a one-line throughput
//! figure on stdout. A paper network at one hidden layer and one output is sampled by
//! [`nnqft_sampling::Ensemble`] (orders 2, 4, 6, exact theory where it exists); a deep one
//! (`--widths` with two or more layers, tanh or linear, or `--d-out` above 1) by
//! [`nnqft_sampling::DeepEnsemble`] (orders 2, 4 and 6 over the `(output, point)` pairs, order 6
//! up to [`nnqft_sampling::DEEP_ORDER_SIX_MAX_PAIRS`] pairs, with the GP and the leading
//! finite-width orders: the `1/n` shift of `G2`, the four-point vertex's `1/n` connected `G4`
//! and, up to [`nnqft_study::deep_theory::ORDER_SIX_MAX_POINTS`] input points, the six-point
//! vertex's `1/n²` connected `G6`; null beyond, as in the theory table).

use crate::options::NetworkArgs;
use crate::{Common, write_table};
use anyhow::{Result, bail};
use nnqft_run::provenance::unix_now;
use nnqft_run::run::{Command, Run};
use nnqft_run::runner::{Merged, Sampler};
use nnqft_sampling::Shard;
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_study::deep_sample::DeepSample;
use nnqft_study::key::EnsembleKey;
use nnqft_study::scaling::{CorrelatorColumns, nnqft_theory_gp, summaries};
use nnqft_study::{Planned, Runner};
use nnqft_theory::{ExactCorrelators, FiniteWidthTheory, InputSet, Network, TheoryError};
use std::path::PathBuf;
use std::time::Instant;

/// Options of `cargo xtask sample`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct SampleArgs {
    /// The network and its inputs.
    #[command(flatten)]
    #[serde(flatten)]
    pub network: NetworkArgs,
    /// Hidden width N (>= 1) of a one-layer network.
    #[arg(long, required_unless_present = "widths", conflicts_with = "widths")]
    pub width: Option<usize>,
    /// Hidden widths n_1,...,n_L of a deep network, comma-separated (depth L = their count,
    /// each >= 1), e.g. 20,20,20.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub widths: Option<Vec<usize>>,
    /// Outputs d_out (>= 1); above 1 the report has the cross-output correlators.
    #[arg(long, default_value_t = 1)]
    pub d_out: usize,
    /// Nets per experiment (>= 1).
    #[arg(long, default_value_t = 100_000)]
    pub nets: u64,
    /// Experiments (>= 2, for standard errors).
    #[arg(long, default_value_t = 10)]
    pub experiments: usize,
    /// Also write each experiment's means (the values behind g_mean and g_stderr) to
    /// correlators_experiments.parquet: one row per order, multiset and experiment.
    #[arg(long)]
    #[serde(default)]
    pub per_experiment: bool,
    /// Estimator: raw (the mean of the products of the outputs), conditional (the Wick sum of
    /// each net's conditional covariance), conditional_cv (conditional with its zero-mean
    /// first-order term removed; paper networks at one layer and one output only) or
    /// bias_integrated (Gauss-net only: conditional, averaged over the hidden biases in closed
    /// form).
    #[arg(long, default_value = "conditional",
        value_parser = clap::builder::PossibleValuesParser::new(Estimator::ALL.map(Estimator::name)))]
    pub estimator: String,
}

/// What `sample` runs: a paper network at one layer and one output, or a deep network.
#[derive(Debug, Clone)]
pub enum Job {
    /// One hidden layer, one output, erf, relu or gauss.
    Paper {
        /// The network.
        net: Network,
        /// Its hidden width.
        width: usize,
        /// The input set.
        xs: InputSet,
        /// The estimator.
        est: Estimator,
        /// The ensemble.
        ens: Ensemble,
    },
    /// Any depth and output dimension, erf, relu, tanh or linear (gauss at one layer).
    Deep(DeepSample),
}

impl SampleArgs {
    /// The hidden widths: `--widths`, or `--width` as one layer.
    pub fn hidden_widths(&self) -> Vec<usize> {
        self.widths.clone().or(self.width.map(|w| vec![w])).unwrap_or_default()
    }

    /// `N<width>` at one layer, `N<n1>x<n2>...` for a deep network (output folder names).
    pub fn width_label(&self) -> String {
        let w: Vec<String> = self.hidden_widths().iter().map(|w| w.to_string()).collect();
        format!("N{}", w.join("x"))
    }

    /// The validated job of these options with master seed `seed` (errors name the option and
    /// its allowed range); its memory is checked for one thread before anything is allocated.
    pub fn job(&self, seed: u64) -> Result<Job> {
        if self.experiments < 2 {
            bail!(
                "invalid experiments = {}: allowed range is an integer >= 2 (standard errors need two)",
                self.experiments
            );
        }
        let widths = self.hidden_widths();
        if widths.is_empty() {
            bail!("invalid widths: allowed is one or more hidden widths >= 1 (--width N or --widths n1,n2,...)");
        }
        let est = Estimator::parse(&self.estimator)?;
        if self.network.is_paper() && widths.len() == 1 && self.d_out == 1 {
            let (net, xs) = self.network.resolve()?;
            let seed = Job::paper_key(&net, widths[0], est).seed(seed);
            let ens = Ensemble::new(net, widths[0], xs.clone(), self.nets, self.experiments, est, seed)?;
            ens.check_memory(1)?; // at least one thread's worth: refused before a folder is made
            return Ok(Job::Paper { net, width: widths[0], xs, est, ens });
        }
        let (net, xs) = self.network.resolve_deep(&widths, self.d_out)?;
        Ok(Job::Deep(DeepSample::new(net, xs, self.nets, self.experiments, est, seed)?))
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

/// Why a deep `sample` is refused with `--shard` (or in a merge).
pub fn deep_not_sharded() -> anyhow::Error {
    anyhow::anyhow!("deep networks (--widths, tanh, linear, --d-out) are not split into shards: run without --shard")
}

impl Job {
    /// The key of the ensemble of a one-layer network `net` of width `width` with estimator
    /// `est` (named `sample-<network>-N<width>-<estimator>`; seeded with the master seed).
    fn paper_key(net: &Network, width: usize, est: Estimator) -> EnsembleKey {
        EnsembleKey::Sample { activation: net.activation(), width, estimator: est }
    }

    /// The key of the job's ensemble: its name and its seed.
    pub fn key(&self) -> EnsembleKey {
        match self {
            Job::Paper { net, width, est, .. } => Self::paper_key(net, *width, *est),
            Job::Deep(deep) => deep.key().clone(),
        }
    }
}

/// The configuration of a `sample` run (hashed into `config_hash`).
pub fn config_of(args: &SampleArgs, seed: u64) -> serde_json::Value {
    serde_json::json!({ "sample": args, "seed": seed })
}

/// `--out`, default a new folder `nnqft-out/<network>-N<width>-<start time>`.
fn settings(common: &Common, args: &SampleArgs, start: u64) -> nnqft_run::run::Settings {
    common.settings(|| {
        nnqft_run::run::fresh(PathBuf::from("nnqft-out").join(format!(
            "{}-{}-{start}",
            args.network.network,
            args.width_label()
        )))
    })
}

/// `sample`: samples the ensemble of `args` and writes its report; with `Some(shard)` only
/// that shard's work items, into a shard file.
pub fn sample(common: &Common, args: &SampleArgs, shard: Option<Shard>) -> Result<()> {
    let start = unix_now();
    let config = config_of(args, common.seed);
    // bad options (and a deep network with --shard) fail before a folder is made
    let job = args.job(common.seed)?;
    let settings = settings(common, args, start);
    match (shard, job) {
        (None, job) => {
            let run = Run::open(&settings, Command::Sample, config, start, None)?;
            report(&run, &Sampler::new(&run, false), args, job)?;
            run.finish("sample", None)
        }
        (Some(shard), Job::Paper { net, width, est, ens, .. }) => {
            let run = Run::open(&settings, Command::Sample, config, start, Some(shard))?;
            let planned = Planned { key: Job::paper_key(&net, width, est), ensemble: ens };
            nnqft_run::shard::record(&run, shard, &[planned], false).map(drop)
        }
        (Some(_), Job::Deep(_)) => Err(deep_not_sharded()),
    }
}

/// Writes the report of a `sample` run from its checked shards.
pub fn merge(
    common: &Common,
    args: &SampleArgs,
    config: serde_json::Value,
    start: u64,
    set: &nnqft_run::merge::ShardSet,
) -> Result<()> {
    let job = args.job(common.seed)?;
    if let Job::Deep(_) = job {
        return Err(deep_not_sharded());
    }
    let run = Run::open(&settings(common, args, start), Command::Sample, config, start, None)?;
    report(&run, &Merged::new(&run, set), args, job)?;
    set.check_all_used()?;
    run.finish("sample", Some(set.provenance()))
}

/// Runs `job` (of `args`) on `runner` and writes the report of `run`.
fn report(run: &Run, runner: &dyn Runner, args: &SampleArgs, job: Job) -> Result<()> {
    let mut cols = CorrelatorColumns::default();
    let key = job.key();
    let (nets, neurons, secs) = match job {
        Job::Paper { net, width, xs, est, ens } => {
            let start = Instant::now();
            let result = runner.ensemble(&key, &ens, ens.seed())?;
            let secs = start.elapsed().as_secs_f64();
            let gp = nnqft_theory_gp(&net, &xs)?;
            let exact = exact_if_covered(&net, &xs, width)?;
            let sums = summaries(&result)?;
            cols.push_block(&net, width, est, &result, &sums, &gp.tensors, exact.as_ref().map(|e| &e.g));
            (ens.nets_total(), width * xs.len(), secs)
        }
        Job::Deep(deep) => {
            let theory = deep.theory()?;
            let start = Instant::now();
            let result = runner.deep_ensemble(&key, deep.ensemble())?;
            let secs = start.elapsed().as_secs_f64();
            cols = deep.columns(&theory, &result)?;
            let (ens, neurons) = (deep.ensemble(), deep.ensemble().network().widths().iter().sum::<usize>());
            (ens.nets() * ens.experiments() as u64, neurons * ens.inputs().len(), secs)
        }
    };
    if args.per_experiment {
        write_table(run, "correlators_experiments.parquet", cols.experiments_table())?;
    }
    write_table(run, "correlators.parquet", cols.into_table(false))?;
    println!(
        "{nets} nets in {secs:.3} s: {:.4e} nets/s, {:.4e} neuron evaluations/s ({} threads)",
        nets as f64 / secs,
        nets as f64 * neurons as f64 / secs,
        run.threads
    );
    Ok(())
}
