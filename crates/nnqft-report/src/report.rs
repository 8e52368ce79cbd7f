//! Report tables and atomic file writes. A [`Table`] (the study crate's typed columns) is
//! written as Parquet with polars ([`frame`]); every file is written to `NAME.tmp` and renamed, so an
//! interrupted run never leaves a half-written report. While a [`Staging`] is open on a
//! thread, its report writes stop at the `.tmp` file and are renamed together (in order,
//! `provenance.json` last) by [`commit_staged`]: a write that fails (a full disk) leaves the
//! previous reports as they were and no `.tmp` behind.

use anyhow::{Context, Result};
use polars::prelude::*;
use std::path::{Path, PathBuf};

pub use nnqft_study::table::Table;

/// A table as a polars frame, with a leading `run_id` column: the one conversion of every
/// report table (text to String, integers to Int64, reals to Float64, missing values to null,
/// a column of per-row arrays to List(Float64)).
pub fn frame(table: Table, run_id: &str) -> Result<DataFrame> {
    use nnqft_study::table::Column as Values;
    let h = table.height();
    let mut cols = vec![Column::new("run_id".into(), vec![run_id.to_string(); h])];
    for (name, v) in table.into_columns() {
        cols.push(match v {
            Values::Text(x) => Column::new(name.into(), x),
            Values::OptionalText(x) => Column::new(name.into(), x),
            Values::Int(x) => Column::new(name.into(), x),
            Values::OptionalInt(x) => Column::new(name.into(), x),
            Values::F64(x) => Column::new(name.into(), x),
            Values::Arrays(x) => {
                let rows: Vec<Series> = x.into_iter().map(|a| Series::new(PlSmallStr::EMPTY, a)).collect();
                Column::new(name.into(), rows)
            }
        });
    }
    Ok(DataFrame::new_infer_height(cols)?)
}

thread_local! {
    /// The open staging of this thread: `(tmp, path)` of every report written so far.
    static STAGED: std::cell::RefCell<Option<Vec<(PathBuf, PathBuf)>>> = const { std::cell::RefCell::new(None) };
}

/// Report writes of this thread held at their `.tmp` files until [`commit_staged`]; dropped
/// without a commit (a run that failed), it removes them.
#[derive(Debug)]
pub struct Staging(());

impl Staging {
    /// Opens the staging of this thread's report writes.
    pub fn begin() -> Self {
        STAGED.with(|s| *s.borrow_mut() = Some(Vec::new()));
        Self(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        for (tmp, _) in STAGED.with(|s| s.borrow_mut().take()).unwrap_or_default() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Renames every staged report into place, in the order written, and closes the staging
/// (nothing to do without one).
pub fn commit_staged() -> Result<()> {
    let staged = STAGED.with(|s| s.borrow_mut().take()).unwrap_or_default();
    for (k, (tmp, path)) in staged.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, path) {
            staged[k..].iter().for_each(|(t, _)| drop(std::fs::remove_file(t)));
            return Err(e).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()));
        }
    }
    Ok(())
}

/// Renames `tmp` to `path`, or stages it while a [`Staging`] is open.
fn put_in_place(tmp: PathBuf, path: &Path) -> Result<()> {
    let staged = STAGED.with(|s| match s.borrow_mut().as_mut() {
        Some(list) => {
            list.push((tmp.clone(), path.to_path_buf()));
            true
        }
        None => false,
    });
    if !staged {
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename;
/// staged while a [`Staging`] is open). A failed write removes its temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
    }
    put_in_place(tmp, path)
}

/// [`write_atomic`] renamed at once, never staged (the resume cache: a block must be in
/// place as soon as it is computed).
pub fn write_atomic_now(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes a table as Parquet, atomically.
pub fn write_parquet(path: &Path, table: Table, run_id: &str) -> Result<()> {
    let mut df = frame(table, run_id)?;
    let tmp = tmp_path(path);
    let file = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    if let Err(e) = ParquetWriter::new(file).finish(&mut df) {
        let _ = std::fs::remove_file(&tmp);
        anyhow::bail!("cannot write {}: {e}", tmp.display());
    }
    put_in_place(tmp, path)
}

/// Reads a Parquet report back (tests and `--check`).
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(ParquetReader::new(file).finish()?)
}
