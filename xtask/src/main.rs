//! `cargo xtask`: runs the paper's protocols and writes the reports (SPEC section 8).
//!
//! - `cargo xtask reproduce [--profile quick|default|paper-full]`: everything, into `reports/`.
//! - `cargo xtask sample --network erf --width 20 ...`: one custom ensemble.

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use xtask::{Common, profile, reproduce, sample};

/// nnqft tasks: reproduce the paper, or sample one ensemble.
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
        #[arg(long, value_enum, default_value = "default")]
        profile: profile::Profile,
        /// Reuse the finished ensembles of an interrupted run with the same configuration
        /// (gives the same numbers as an uninterrupted run).
        #[arg(long)]
        resume: bool,
    },
    /// Sample one custom ensemble and write correlators.parquet; prints nets/s.
    Sample {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: sample::SampleArgs,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // one line: the message and the allowed values, without the usage block
            let text = e.render().to_string();
            let line: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:"))
                .collect();
            eprintln!("{}", line.join(" "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Reproduce { common, profile, resume } => reproduce::run(&common, profile, resume).map(drop),
        Command::Sample { common, args } => reproduce::sample(&common, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
