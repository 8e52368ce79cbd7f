//! `cargo xtask`: runs the paper's protocols and writes the reports (their files and columns: README).
//!
//! - `cargo xtask reproduce [--profile quick|default|paper-full]`: everything, into `reports/`.
//! - `cargo xtask sample --network erf --width 20 ...`: one custom ensemble.
//! - `--shard K/N` on either: run shard K of N only; `cargo xtask merge DIR...`: the reports
//!   from every shard, bit-identical to an unsharded run.
//! - `cargo xtask compare A B`: are two report folders bit-identical?
//! - `cargo xtask coverage [--seeds 200]`: coverage of the scaling-slope intervals.
//! - `cargo xtask bench`: the criterion suites, appended to `reports/bench/history.parquet`
//!   with the change against the previous record of this machine; with `--side-by-side` also our
//!   sampler against the NumPy and JAX baselines and our floor.

mod bench_history;
mod side_by_side;

use clap::{Parser, Subcommand};
use nnqft_cli::{Common, command_line, merge, reproduce, sample};
use nnqft_sampling::Shard;
use nnqft_study::plan::Profile;
use std::path::PathBuf;
use std::process::ExitCode;

/// nnqft tasks: reproduce the paper's studies, sample one ensemble, merge shards, compare report
/// folders, the coverage study of the slope intervals, and the benchmark history.
#[derive(Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every study and write Parquet reports, SUMMARY.md, figures (SVG and PNG) and
    /// provenance.json.
    ///
    /// The studies: the N^-1 scaling of the correlators, the EFT couplings of Table 5, the RG
    /// flow of the quartic coupling with its exact beta function, the 6-pt function predicted
    /// from the 4-pt coupling, naturalness, and (beyond the paper) the depth study of deep
    /// networks.
    Reproduce {
        #[command(flatten)]
        common: Common,
        /// quick (CI, < 1 min), default (every study at d = 1, on 0.45 of paper-full's nets but
        /// the action study, about six minutes on two cores) or paper-full (the paper's scale, the scaling study at d = 1, 2, 3).
        #[arg(long, default_value = "default", value_parser = profile_parser())]
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
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(nnqft_cli::options::paper_network_names()))]
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
    /// Run the criterion suites (sampler and theory), append every result with commit, date and
    /// machine to the history, and print each benchmark's change against the previous record of
    /// this machine, flagging regressions. A change is measured as the ratio to a reference of the
    /// same sitting: the floor of the same network and width for the sampler's benchmarks, the
    /// reference normal generator for the others.
    Bench {
        /// History file.
        #[arg(long, default_value = "reports/bench/history.parquet")]
        history: PathBuf,
        /// Only benchmarks whose id contains this (criterion's filter); default: all.
        #[arg(long)]
        filter: Option<String>,
        /// Also run the examples throughput and deep_speed (release build) and record our raw and
        /// conditional estimators against the NumPy and JAX baselines (skipped, with a note, when
        /// the python, $NNQFT_PYTHON or python3, lacks them) and against our floor, as throughput
        /// ratios (above 1: ours is faster), rows `side_by_side/<estimator>/<network>/<size>/<reference>`.
        #[arg(long)]
        side_by_side: bool,
        /// The throughput example's own arguments with --side-by-side: `[rounds [networks [widths]]]`.
        #[arg(long, value_name = "ARGS", requires = "side_by_side", default_value = side_by_side::EXAMPLES[0].1)]
        throughput_args: String,
        /// The deep_speed example's own arguments with --side-by-side:
        /// `[threads [activations [depths [widths]]]]`.
        #[arg(long, value_name = "ARGS", requires = "side_by_side", default_value = side_by_side::EXAMPLES[1].1)]
        deep_speed_args: String,
    },
    /// Check that two report folders hold bit-identical values (run ids and times aside).
    Compare {
        /// First report folder.
        a: PathBuf,
        /// Second report folder.
        b: PathBuf,
    },
}

/// `--profile`: the names of [`Profile::ALL`], listed in the help, parsed by `Profile`'s own parser.
fn profile_parser() -> impl clap::builder::TypedValueParser<Value = Profile> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Profile::ALL.map(Profile::name)).try_map(|s| s.parse::<Profile>())
}

fn main() -> ExitCode {
    let cli: Cli = match command_line::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    command_line::exit(match cli.command {
        Command::Reproduce { common, profile, resume, shard: None } => {
            reproduce::run(&common, profile, resume).map(drop)
        }
        Command::Reproduce { common, profile, resume, shard: Some(shard) } => {
            reproduce::run_shard(&common, profile, resume, shard).map(drop)
        }
        Command::Sample { common, args, shard } => sample::sample(&common, &args, shard),
        Command::Merge { args } => merge::run(&args),
        Command::Bench { history, filter, side_by_side, throughput_args, deep_speed_args } => {
            let examples = side_by_side.then_some([throughput_args, deep_speed_args]);
            bench(&history, filter.as_deref(), examples.as_ref())
        }
        Command::Compare { a, b } => nnqft_report::compare::run(&a, &b),
        Command::Coverage { common, seeds, network } => reproduce::coverage(&common, seeds as usize, &network),
    })
}

/// `cargo bench` on the sampler and theory suites, then, with `examples` (the arguments of
/// `side_by_side::EXAMPLES`), the side-by-side examples, then the history: the whole sitting
/// appended at once (see `Command::Bench`).
fn bench(history: &std::path::Path, filter: Option<&str>, examples: Option<&[String; 2]>) -> anyhow::Result<()> {
    let root = command_line::workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    // criterion's file times are the filesystem's; step back a second for coarse clocks
    let since = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
    let mut cmd = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(&root).args(["bench", "-p", "nnqft-sampling", "-p", "nnqft-theory", "--bench", "bench_main", "--"]);
    cmd.arg("--noplot");
    if let Some(f) = filter {
        // the yardstick runs in every sitting
        cmd.arg(format!("{f}|{}", bench_history::YARDSTICK));
    }
    let status = cmd.status().map_err(|e| anyhow::anyhow!("cannot run cargo bench: {e}"))?;
    anyhow::ensure!(status.success(), "cargo bench failed ({status})");
    let history = if history.is_absolute() { history.to_path_buf() } else { root.join(history) };
    let sitting = bench_history::Sitting::now();
    let mut now = bench_history::criterion_records(&target.join("criterion"), since, &sitting)?;
    for (args, (example, _)) in examples.into_iter().flatten().zip(side_by_side::EXAMPLES) {
        let cases = side_by_side::run(&root, &target, example, args)?;
        now.extend(side_by_side::records(&cases, &sitting));
    }
    let changes = bench_history::record_sitting(&now, &history)?;
    print!("{}", bench_history::markdown(&changes));
    let flagged = changes.iter().filter(|c| c.regression).count();
    println!("{} results appended to {}; {flagged} regression(s) flagged", changes.len(), history.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;
    use nnqft_cli::command_line::{check_listed_values, check_readme};

    /// `--side-by-side` is opt-in: plain `bench` runs the criterion suites only, the examples'
    /// arguments need the flag, and the flag alone gives the examples' default arguments.
    #[test]
    fn side_by_side_is_opt_in() {
        use super::Command;
        use clap::Parser;
        let bench = |args: &[&str]| {
            Cli::try_parse_from(["cargo xtask", "bench"].iter().chain(args)).map(|cli| match cli.command {
                Command::Bench { side_by_side, throughput_args, deep_speed_args, .. } => {
                    (side_by_side, throughput_args, deep_speed_args)
                }
                _ => unreachable!("bench parses as Command::Bench"),
            })
        };
        assert!(!bench(&[]).unwrap().0);
        let defaults = bench(&["--side-by-side"]).unwrap();
        assert_eq!(defaults, (true, "5".to_string(), "1 tanh,relu,erf 1,8 20,100".to_string()));
        let given = bench(&["--side-by-side", "--throughput-args", "3 erf 100"]).unwrap();
        assert_eq!(given.1, "3 erf 100");
        let err = bench(&["--deep-speed-args", "1 tanh 1 20"]).unwrap_err().to_string();
        assert!(err.contains("--side-by-side"), "{err}");
    }

    /// Every `cargo xtask` command the README shows parses with this parser (whole commands in
    /// code blocks) or names only options this parser has (synopses in the text).
    #[test]
    fn readme_commands_parse() {
        check_readme(&Cli::command(), "cargo xtask", 4).unwrap();
    }

    /// `--help` lists every value an option accepts, and every value it lists is accepted by the
    /// library's own parser of that option.
    #[test]
    fn help_lists_every_accepted_value() {
        let accepts = |long: &str, value: &str| match long {
            "network" => {
                nnqft_theory::DeepActivation::parse(value).is_ok() || nnqft_theory::Activation::parse(value).is_ok()
            }
            "estimator" => nnqft_sampling::Estimator::parse(value).is_ok(),
            "profile" => value.parse::<nnqft_study::plan::Profile>().is_ok(),
            _ => false,
        };
        check_listed_values(&Cli::command(), &accepts).unwrap();
        // --x-set takes a file or a paper set name: its help lists every name
        nnqft_cli::options::check_x_set_help(&Cli::command(), "sample").unwrap();
        let listed = |sub: &str, long: &str| -> Vec<String> {
            let cli = Cli::command();
            let arg = cli.find_subcommand(sub).unwrap().get_arguments().find(|a| a.get_long() == Some(long)).unwrap();
            arg.get_possible_values().iter().map(|v| v.get_name().to_string()).collect()
        };
        let estimators: Vec<String> = nnqft_sampling::Estimator::ALL.iter().map(|e| e.name().to_string()).collect();
        assert_eq!(listed("sample", "estimator"), estimators);
        let profiles: Vec<String> = nnqft_study::plan::Profile::ALL.iter().map(|p| p.name().to_string()).collect();
        assert_eq!(listed("reproduce", "profile"), profiles);
        let mut networks = listed("sample", "network");
        networks.sort();
        let mut all: Vec<String> =
            nnqft_theory::DeepActivation::ANY_DEPTH.iter().map(|a| a.name().to_string()).collect();
        all.extend(["gauss".into(), "cos".into()]);
        all.sort();
        assert_eq!(networks, all);
    }
}
