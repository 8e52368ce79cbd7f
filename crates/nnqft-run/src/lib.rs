//! # nnqft-run
//!
//! The run-time of a report folder, without tables or figures: what every command that
//! writes reports shares, and the runners through which the studies of `nnqft-study` get
//! their ensembles.
//!
//! - [`run`] -- one run into one output folder: its lock, its settings (seed, threads, run id,
//!   configuration hash), the check that it replaces no other command's reports, the
//!   leftovers of a killed run, and its end (provenance, then every staged report renamed).
//! - [`runner`] -- the study crate's [`nnqft_study::Runner`] over a run: [`runner::Sampler`]
//!   samples (an unsharded run is shard `0/1` of itself: each ensemble is kept as a block of
//!   the shard format, its resume cache), [`runner::Merged`] reads each ensemble from a
//!   complete set of shard files.
//! - [`progress`] -- the one place that prints an ensemble's progress bar and timing line.
//! - [`shard`] -- `--shard K/N`: a shard samples its share of the planned ensembles into a
//!   shard file (format documented there); its one-section blocks are every run's resume
//!   cache, and a damaged block is named and recomputed.
//! - [`merge`] -- a complete, checked set of shard files.
//! - [`lock`] -- one run per output folder (advisory lock naming its holder).
//! - [`atomic`] -- atomic and staged file writes.
//! - [`provenance`] -- `provenance.json`, with the commit and dependency versions captured
//!   when the binary was built.

pub mod atomic;
#[cfg(test)]
mod fuzz_regressions;
pub mod lock;
pub mod merge;
pub mod progress;
pub mod provenance;
pub mod run;
pub mod runner;
pub mod shard;
