//! `cargo xtask`: runs the paper's protocols and writes the reports (their files and columns: README).
//!
//! - `cargo xtask reproduce [--profile quick|default|paper-full]`: everything, into `reports/`.
//! - `cargo xtask sample --network erf --width 20 ...`: one custom ensemble.
//! - `--shard K/N` on either: run shard K of N only; `cargo xtask merge DIR...`: the reports
//!   from every shard, bit-identical to an unsharded run.
//! - `cargo xtask compare A B`: are two report folders bit-identical?
//! - `cargo xtask coverage [--seeds 200]`: coverage of the scaling-slope intervals.

use clap::{Parser, Subcommand};
use nnqft_report::command_line;
use nnqft_report::{Common, merge, reproduce, sample};
use nnqft_sampling::Shard;
use nnqft_study::plan::Profile;
use std::path::PathBuf;
use std::process::ExitCode;

/// nnqft tasks: reproduce the paper, sample one ensemble, merge shards.
#[derive(Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the paper's protocols (scaling study, Table 5, RG flow) and write Parquet reports,
    /// SUMMARY.md, figures/*.svg and provenance.json.
    Reproduce {
        #[command(flatten)]
        common: Common,
        /// quick (CI, < 1 min), default (the paper's scale at d = 1) or paper-full (adds d = 2, 3).
        #[arg(long, default_value = "default", value_parser = clap::value_parser!(Profile))]
        profile: Profile,
        /// Reuse the finished ensembles of an interrupted run with the same configuration
        /// (gives the same numbers as an uninterrupted run).
        #[arg(long)]
        resume: bool,
        /// Run only shard K of N (0-based, e.g. 2/8): its share of every ensemble's work
        /// items, written to --out as shard-K-of-N.nnqs instead of reports; then
        /// `cargo xtask merge`.
        #[arg(long, value_name = "K/N", value_parser = command_line::parse_shard)]
        shard: Option<Shard>,
    },
    /// Coverage study of the scaling-slope intervals: repeats the scaling study at reduced size
    /// over many seeds (Erf, ReLU, Gauss-net, d = 1) and counts how often each method's 95%
    /// interval contains the exact slope; writes `<out>/coverage/{coverage.parquet, COVERAGE.md}`.
    Coverage {
        #[command(flatten)]
        common: Common,
        /// Independent repetitions (>= 1).
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
        seeds: u32,
        /// Networks to study (repeatable): erf, relu, gauss; default: all three.
        #[arg(long)]
        network: Vec<String>,
    },
    /// Sample one custom ensemble and write correlators.parquet; prints nets/s.
    Sample {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: sample::SampleArgs,
        /// Run only shard K of N (0-based), written as shard-K-of-N.nnqs.
        #[arg(long, value_name = "K/N", value_parser = command_line::parse_shard)]
        shard: Option<Shard>,
    },
    /// Merge the shard files of a sharded run (every shard exactly once, one configuration)
    /// into the reports an unsharded run writes, bit for bit.
    Merge {
        #[command(flatten)]
        args: merge::MergeArgs,
    },
    /// Check that two report folders hold bit-identical values (run ids and times aside).
    Compare {
        /// First report folder.
        a: PathBuf,
        /// Second report folder.
        b: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli: Cli = match command_line::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    command_line::exit(match cli.command {
        Command::Reproduce { common, profile, resume, shard } => {
            reproduce::run_sharded(&common, profile, resume, shard).map(drop)
        }
        Command::Sample { common, args, shard } => reproduce::sample(&common, &args, shard),
        Command::Merge { args } => merge::run(&args),
        Command::Compare { a, b } => nnqft_report::compare::run(&a, &b),
        Command::Coverage { common, seeds, network } => reproduce::coverage(&common, seeds as usize, &network),
    })
}
