//! # nnqft-report
//!
//! The report writers: the Parquet encoding of the studies' tables (each built by its study,
//! `nnqft_study::scaling::ScalingReport::tables` and the like), `SUMMARY.md` and
//! the other Markdown reports, and the figures (SVG and PNG). It renders, and only renders:
//! it returns bytes and text, which the command lines hand to the run-time crate
//! (`nnqft-run`) to write. Also the polars (and npyz) readers of the files users hand to the
//! one-table commands ([`read`]), as plain functions of paths and values; the commands'
//! options (clap) and logic live in `nnqft-cli`.
//!
//! - [`report`] -- a report table and its Parquet encoding.
//! - [`read`] -- the readers of the files users hand in (correlators, network outputs).
//! - [`summary`] -- SUMMARY.md, one file per section.
//! - [`markdown`] -- how the Markdown reports write numbers and embed figures.
//! - [`figures`] -- the figures (SVG and PNG) and the record of what they draw.
//! - [`coverage`] -- COVERAGE.md.
//! - [`compare`] -- bit-for-bit comparison of two report folders.

pub mod compare;
pub mod coverage;
pub mod figures;
pub mod markdown;
pub mod read;
pub mod report;
pub mod summary;
