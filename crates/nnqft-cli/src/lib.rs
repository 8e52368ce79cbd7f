//! # nnqft-cli
//!
//! The commands of the `nnqft` binary and of `cargo xtask`, as a library: each parses its
//! options (clap), runs its study through a run-time runner (`nnqft-run`) and hands the
//! tables, figures and Markdown that `nnqft-report` renders to the run, which writes them.
//! This is the only crate that knows both the run-time and the report writers, and, with
//! xtask, the only one that knows clap.
//!
//! - [`reproduce`] -- the whole paper (`cargo xtask reproduce`, also `--shard K/N`), and the
//!   coverage study.
//! - [`sample`] -- one ensemble (`sample`, also `--shard K/N`).
//! - [`merge`] -- the reports of a complete set of shards.
//! - [`tables`] -- `theory`, `ntk`, `fit`, `analyze`, `action`: one table each.
//! - [`command_line`] -- one-line errors and exit codes, and the checks that hold the README
//!   to the parsers.
//! - [`Common`], [`Output`] -- the options every command shares.

pub mod command_line;
pub mod merge;
pub mod reproduce;
pub mod sample;
mod settings;
pub mod tables;

pub use settings::{Common, Output};

use anyhow::Result;
use nnqft_report::report::{Table, parquet_bytes};
use nnqft_run::run::Run;
use std::path::PathBuf;

/// Writes `table` as the Parquet report `name` of `run` (staged until the run ends).
fn write_table(run: &Run, name: &str, table: Table) -> Result<()> {
    nnqft_run::atomic::write_atomic(&run.out.join(name), &parquet_bytes(table, &run.run_id)?)
}

/// Writes the text report `name` of `run` (staged until the run ends).
fn write_text(run: &Run, name: &str, text: &str) -> Result<()> {
    nnqft_run::atomic::write_atomic(&run.out.join(name), text.as_bytes())
}

/// `--out`, default a new folder `nnqft-out/<command>-<name>-<start time>`.
fn new_dir(command: &str, name: &str, start: u64) -> PathBuf {
    nnqft_run::run::fresh(PathBuf::from("nnqft-out").join(format!("{command}-{name}-{start}")))
}
