//! # nnqft-report
//!
//! The report writers: the Parquet tables (from the studies' typed rows), `SUMMARY.md` and
//! the other Markdown reports, and the figures (SVG and PNG). It renders, and only renders:
//! it returns bytes and text, which the command lines hand to the run-time crate
//! (`nnqft-run`) to write. Also the options and tables of the one-table commands (`theory`,
//! `ntk`, `fit`, `analyze`, `action`).
//!
//! - [`report`] -- a report table and its Parquet encoding.
//! - [`read`] -- the readers of the files users hand in (correlators, network outputs).
//! - [`tables`] -- the Parquet tables of `reproduce`, from the studies' typed rows.
//! - [`summary`] -- SUMMARY.md.
//! - [`figures`] -- the figures (SVG and PNG) and the record of what they draw.
//! - [`coverage`] -- COVERAGE.md.
//! - [`options`] -- the options naming a network and its inputs.
//! - [`theory`] -- GP and exact finite-width correlators of a network on an x-set.
//! - [`ntk`] -- the neural tangent kernel table of a deep network.
//! - [`fit`] -- the Table 5 models fitted to a correlators file.
//! - [`action`] -- the couplings of an ensemble's action.
//! - [`analyze`] -- the analysis of network outputs made elsewhere.
//! - [`compare`] -- bit-for-bit comparison of two report folders.

pub mod action;
pub mod analyze;
pub mod compare;
pub mod coverage;
pub mod figures;
pub mod fit;
pub mod ntk;
pub mod options;
pub mod read;
pub mod report;
pub mod summary;
pub mod tables;
pub mod theory;
