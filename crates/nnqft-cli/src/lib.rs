//! # nnqft-cli
//!
//! The commands of the `nnqft` binary and of `cargo xtask`, as a library: each owns its
//! options (clap structs, serialised into `provenance.json` with serde), checks them through
//! the study crate's network specification, runs its study through a run-time runner
//! (`nnqft-run`) and hands the tables, figures and Markdown that `nnqft-report` renders to the
//! run, which writes them. This is the only crate that knows both the run-time and the report
//! writers, and, with xtask, the only one that knows clap.
//!
//! - [`reproduce`] -- the whole paper (`cargo xtask reproduce`, also `--shard K/N`), and the
//!   coverage study.
//! - [`sample`] -- one ensemble (`sample`, also `--shard K/N`).
//! - [`merge`] -- the reports of a complete set of shards.
//! - [`tables`] -- `theory`, `ntk`, `fit`, `analyze`, `action`: one table each, written to a
//!   run of its own.
//! - [`options`] -- the options naming a network and its inputs (`sample`, `theory`, `ntk`,
//!   `fit`, `action`), and the checks of `--x-set`'s help.
//! - [`theory`] -- `theory`'s options and table: GP and exact finite-width correlators of a
//!   network on an x-set.
//! - [`ntk`] -- `ntk`'s options and table: the neural tangent kernel of a deep network.
//! - [`fit`] -- `fit`'s options, the Table 5 models fitted to a correlators file, and their
//!   Markdown table.
//! - [`analyze`] -- `analyze`'s options: the analysis of network outputs made elsewhere, its
//!   tables and `SUMMARY.md`.
//! - [`action`] -- `action`'s options and table: the couplings of an ensemble's action.
//! - [`command_line`] -- one-line errors and exit codes, and the checks that hold the README
//!   to the parsers.
//! - [`Common`], [`Output`] -- the options every command shares.

pub mod action;
pub mod analyze;
pub mod command_line;
pub mod fit;
pub mod merge;
pub mod ntk;
pub mod options;
pub mod reproduce;
pub mod sample;
mod settings;
pub mod tables;
pub mod theory;

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
