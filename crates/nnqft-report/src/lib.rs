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
//! - [`figures`] -- the figures (SVG and PNG) and the record of what they draw.
//! - [`summary`] -- SUMMARY.md.
//! - [`provenance`] -- provenance.json.
//! - [`sample`] -- one custom ensemble.
//! - [`reproduce`] -- the whole run.
//! - [`shard`] -- `--shard K/N`: a shard's work items and the shard file format.
//! - [`merge`] -- `cargo xtask merge`: the reports from a complete set of shards.
//! - [`compare`] -- bit-for-bit comparison of two report folders.

pub mod compare;
pub mod context;
pub mod coverage;
pub mod figures;
pub mod merge;
pub mod provenance;
pub mod report;
pub mod reproduce;
pub mod sample;
pub mod shard;
pub mod summary;
pub mod tables;

use std::path::PathBuf;

/// Options shared by every task.
#[derive(clap::Args, Clone, Debug)]
pub struct Common {
    /// Output folder (created if missing).
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Master seed; every ensemble derives its own seed from it, so the same seed gives the
    /// same numbers whatever the thread count.
    #[arg(long, default_value_t = 20_200_818)]
    pub seed: u64,
    /// Worker threads (>= 1); default: all cores.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Hide the progress bars.
    #[arg(long)]
    pub no_progress: bool,
}
