//! Report tables: a [`Table`] is built column by column and encoded as Parquet with polars
//! (the run-time crate writes the bytes atomically).

use anyhow::{Context, Result};
use polars::prelude::*;
use std::path::Path;

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

/// The bytes of a table as a Parquet file, with the `run_id` column first.
pub fn parquet_bytes(table: Table, run_id: &str) -> Result<Vec<u8>> {
    let mut df = table.into_frame(run_id)?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .finish(&mut df)
        .map_err(|e| anyhow::anyhow!("cannot encode a Parquet table: {e}"))?;
    Ok(bytes)
}

/// Reads a Parquet report back (tests and `--check`).
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(ParquetReader::new(file).finish()?)
}
