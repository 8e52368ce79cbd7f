//! # xtask
//!
//! `cargo xtask reproduce`, `sample` and `merge`: run the paper's protocols on the
//! workspace crates and write the reports of SPEC section 8. The library holds the stages so
//! that the report tests can run them; `main.rs` is the command line.
//!
//! - [`profile`] -- the run profiles (quick, default, paper-full).
//! - [`context`] -- shared run settings and the resumable block cache.
//! - [`scaling`] -- the N^-1 scaling study.
//! - [`coverage`] -- how often the scaling slopes' intervals contain the exact slope.
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
pub mod profile;
pub mod provenance;
pub mod report;
pub mod reproduce;
pub mod rg;
pub mod sample;
pub mod scaling;
pub mod shard;
pub mod summary;
pub mod table5;

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
