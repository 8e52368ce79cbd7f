//! Report tables: a [`Table`] (the study crate's typed columns) is converted to a polars frame
//! ([`frame`]) and encoded as Parquet ([`parquet_bytes`]); the run-time crate writes the bytes
//! atomically.

use anyhow::{Context, Result};
use polars::prelude::*;
use std::path::Path;

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

/// The bytes of a table as a Parquet file, with the `run_id` column first.
pub fn parquet_bytes(table: Table, run_id: &str) -> Result<Vec<u8>> {
    let mut df = frame(table, run_id)?;
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
