//! # nnqft-report
//!
//! Runs the paper's protocols on the workspace crates and writes the reports: Parquet
//! tables, `SUMMARY.md`, figures and `provenance.json`, with the resumable block cache,
//! shards and their merge. `cargo xtask` and the `nnqft` command line are thin layers over
//! it.
//!
//! - [`context`] -- shared run settings and the resumable block cache.
//! - [`coverage`] -- the coverage study's reports.
//! - [`tables`] -- the Parquet tables, from the studies' typed rows.
//! - [`report`] -- report tables, Parquet and atomic writes.
//! - [`lock`] -- one run per output folder (advisory lock naming its holder).
//! - [`figures`] -- the figures (SVG and PNG) and the record of what they draw.
//! - [`summary`] -- SUMMARY.md.
//! - [`provenance`] -- provenance.json.
//! - [`sample`] -- one custom ensemble.
//! - [`options`] -- the options naming a network and its inputs.
//! - [`theory`] -- GP and exact finite-width correlators of a network on an x-set.
//! - [`ntk`] -- the neural tangent kernel table of a deep network.
//! - [`fit`] -- the Table 5 models fitted to a correlators file.
//! - [`reproduce`] -- the whole run.
//! - [`shard`] -- `--shard K/N`: a shard's work items and the shard file format.
//! - [`merge`] -- `cargo xtask merge`: the reports from a complete set of shards.
//! - [`compare`] -- bit-for-bit comparison of two report folders.
//! - [`bench_history`] -- `cargo xtask bench`: criterion results over commits, as ratios to
//!   their floor of the same sitting.
//! - [`command_line`] -- one-line errors and exit codes of the command lines.

pub mod action;
pub mod analyze;
pub mod bench_history;
pub mod command_line;
pub mod compare;
pub mod context;
pub mod coverage;
pub mod figures;
pub mod fit;
pub mod lock;
pub mod merge;
pub mod ntk;
pub mod options;
pub mod provenance;
pub mod report;
pub mod reproduce;
pub mod sample;
pub mod shard;
pub mod summary;
pub mod tables;
pub mod theory;

use std::path::PathBuf;

/// Options shared by every task.
#[derive(clap::Args, Clone, Debug)]
pub struct Common {
    /// Output folder (created if missing); default: `reports` for `reproduce` (and
    /// `reports/coverage` for `coverage`), a new folder `nnqft-out/<network>-N<width>-<time>`
    /// for `sample`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the reports of another command in --out (for `sample`: any earlier reports).
    #[arg(long)]
    pub force: bool,
    /// Master seed; every ensemble derives its own seed from it, so the same seed gives the
    /// same numbers whatever the thread count.
    #[arg(long, default_value_t = nnqft_sampling::DEFAULT_SEED)]
    pub seed: u64,
    /// Worker threads (>= 1); default: all cores.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Hide the progress bars.
    #[arg(long)]
    pub no_progress: bool,
}

/// The output options alone, for the commands that sample nothing (`theory`, `fit`): they take
/// no seed, threads or progress bars.
#[derive(clap::Args, Clone, Debug)]
pub struct Output {
    /// Output folder (created if missing); default: a new folder
    /// `nnqft-out/<command>-<network>-<time>`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace earlier reports in --out.
    #[arg(long)]
    pub force: bool,
}

impl From<Output> for Common {
    /// The shared options of a command that samples nothing: the default seed (unused), one
    /// thread, no progress bars.
    fn from(o: Output) -> Self {
        Self { out: o.out, force: o.force, seed: nnqft_sampling::DEFAULT_SEED, threads: Some(1), no_progress: true }
    }
}

impl Common {
    /// `--out`, or `default` when it was not given.
    pub fn out_or(&self, default: impl FnOnce() -> PathBuf) -> PathBuf {
        self.out.clone().unwrap_or_else(default)
    }
}
