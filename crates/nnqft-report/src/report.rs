//! Report tables and atomic file writes. A [`Table`] is built column by column and written
//! as Parquet with polars; every file is written to `NAME.tmp` and renamed, so an
//! interrupted run never leaves a half-written report. While a [`Staging`] is open on a
//! thread, its report writes stop at the `.tmp` file and are renamed together (in order,
//! `provenance.json` last) by [`commit_staged`]: a write that fails (a full disk) leaves the
//! previous reports as they were and no `.tmp` behind.

use anyhow::{Context, Result};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Column values: f64 (nullable), string or integer.
pub enum Values {
    /// Nullable f64.
    F64(Vec<Option<f64>>),
    /// Lower-case categorical strings and labels.
    Str(Vec<String>),
    /// Nullable strings.
    OptStr(Vec<Option<String>>),
    /// Integers (widths, orders, counts).
    I64(Vec<i64>),
    /// Nullable integers.
    OptI64(Vec<Option<i64>>),
}

/// A report table: named columns of equal length.
#[derive(Default)]
pub struct Table {
    columns: Vec<(&'static str, Values)>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a string column.
    pub fn str<S: Into<String>>(mut self, name: &'static str, values: impl IntoIterator<Item = S>) -> Self {
        self.columns.push((name, Values::Str(values.into_iter().map(Into::into).collect())));
        self
    }
    /// Adds a nullable string column.
    pub fn opt_str(mut self, name: &'static str, values: impl IntoIterator<Item = Option<String>>) -> Self {
        self.columns.push((name, Values::OptStr(values.into_iter().collect())));
        self
    }
    /// Adds an f64 column that keeps infinities (a cutoff of infinity is a value, not a gap).
    pub fn f64_with_inf(mut self, name: &'static str, values: impl IntoIterator<Item = f64>) -> Self {
        self.columns.push((name, Values::F64(values.into_iter().map(|v| (!v.is_nan()).then_some(v)).collect())));
        self
    }
    /// Adds an f64 column (non-finite values become null).
    pub fn f64(mut self, name: &'static str, values: impl IntoIterator<Item = f64>) -> Self {
        self.columns.push((name, Values::F64(values.into_iter().map(|v| v.is_finite().then_some(v)).collect())));
        self
    }
    /// Adds a nullable f64 column.
    pub fn opt(mut self, name: &'static str, values: impl IntoIterator<Item = Option<f64>>) -> Self {
        self.columns.push((name, Values::F64(values.into_iter().map(|v| v.filter(|x| x.is_finite())).collect())));
        self
    }
    /// Adds a nullable integer column.
    pub fn opt_int(mut self, name: &'static str, values: impl IntoIterator<Item = Option<i64>>) -> Self {
        self.columns.push((name, Values::OptI64(values.into_iter().collect())));
        self
    }
    /// Adds an integer column.
    pub fn int(mut self, name: &'static str, values: impl IntoIterator<Item = i64>) -> Self {
        self.columns.push((name, Values::I64(values.into_iter().collect())));
        self
    }
    /// Number of rows (of the first column).
    pub fn height(&self) -> usize {
        self.columns.first().map_or(0, |(_, v)| match v {
            Values::F64(x) => x.len(),
            Values::Str(x) => x.len(),
            Values::OptStr(x) => x.len(),
            Values::I64(x) => x.len(),
            Values::OptI64(x) => x.len(),
        })
    }
    /// Prepends the `run_id` column and converts to a polars frame.
    pub fn into_frame(self, run_id: &str) -> Result<DataFrame> {
        let h = self.height();
        let mut cols = vec![Column::new("run_id".into(), vec![run_id.to_string(); h])];
        for (name, v) in self.columns {
            cols.push(match v {
                Values::F64(x) => Column::new(name.into(), x),
                Values::Str(x) => Column::new(name.into(), x),
                Values::OptStr(x) => Column::new(name.into(), x),
                Values::I64(x) => Column::new(name.into(), x),
                Values::OptI64(x) => Column::new(name.into(), x),
            });
        }
        Ok(DataFrame::new_infer_height(cols)?)
    }
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
    let mut df = table.into_frame(run_id)?;
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
