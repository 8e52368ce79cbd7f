//! The tables every front door shares, as typed columns: a [`Table`] is named columns of equal
//! length, each a [`Column`] of text, integers, reals or one array of reals per row, with
//! missing values where a row has none. The study functions that build them (the theory table,
//! the fits of a correlators table, the NTK, action and analysis tables) are the only place
//! their column names and order are written; the report crate writes a table as Parquet (with a
//! leading `run_id`) and the Python package hands it over as a `dict` of columns, each by one
//! conversion and without knowing which table it is.
//!
//! Missing values: a real column stores `None` where a value is missing (null in Parquet, NaN
//! in Python). [`Table::f64`] takes every non-finite value as missing, [`Table::opt`]
//! `None` and non-finite values, and [`Table::f64_with_inf`] only NaN (a cutoff of
//! infinity is a value, not a gap).

/// One column's values.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Text.
    Text(Vec<String>),
    /// Text, `None` where missing.
    OptionalText(Vec<Option<String>>),
    /// Integers.
    Int(Vec<i64>),
    /// Integers, `None` where missing.
    OptionalInt(Vec<Option<i64>>),
    /// Reals, `None` where missing.
    F64(Vec<Option<f64>>),
    /// One array of reals per row (each experiment's value, say).
    Arrays(Vec<Vec<f64>>),
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(v) => v.len(),
            Self::OptionalText(v) => v.len(),
            Self::Int(v) => v.len(),
            Self::OptionalInt(v) => v.len(),
            Self::F64(v) => v.len(),
            Self::Arrays(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Named columns in order, built column by column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    columns: Vec<(&'static str, Column)>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// This table's columns followed by `other`'s (a table of the same height).
    pub fn then(mut self, other: Table) -> Self {
        self.columns.extend(other.columns);
        self
    }

    /// The rows of `tables` one after another (tables of the same columns, as built by one
    /// function; an empty list gives an empty table). A column whose name or kind differs from
    /// the first table's is a bug of the caller: it panics.
    pub fn stacked(tables: impl IntoIterator<Item = Table>) -> Self {
        let mut tables = tables.into_iter();
        let Some(mut out) = tables.next() else { return Self::new() };
        for t in tables {
            assert_eq!(out.names(), t.names(), "stacked tables must have the same columns");
            for ((_, a), (_, b)) in out.columns.iter_mut().zip(t.columns) {
                match (a, b) {
                    (Column::Text(a), Column::Text(b)) => a.extend(b),
                    (Column::OptionalText(a), Column::OptionalText(b)) => a.extend(b),
                    (Column::Int(a), Column::Int(b)) => a.extend(b),
                    (Column::OptionalInt(a), Column::OptionalInt(b)) => a.extend(b),
                    (Column::F64(a), Column::F64(b)) => a.extend(b),
                    (Column::Arrays(a), Column::Arrays(b)) => a.extend(b),
                    _ => panic!("stacked tables must have the same column kinds"),
                }
            }
        }
        out
    }

    fn with(mut self, name: &'static str, column: Column) -> Self {
        self.columns.push((name, column));
        self
    }

    /// Adds a text column.
    pub fn str<S: Into<String>>(self, name: &'static str, values: impl IntoIterator<Item = S>) -> Self {
        self.with(name, Column::Text(values.into_iter().map(Into::into).collect()))
    }

    /// Adds a text column with missing values.
    pub fn opt_str(self, name: &'static str, values: impl IntoIterator<Item = Option<String>>) -> Self {
        self.with(name, Column::OptionalText(values.into_iter().collect()))
    }

    /// Adds an integer column.
    pub fn int(self, name: &'static str, values: impl IntoIterator<Item = i64>) -> Self {
        self.with(name, Column::Int(values.into_iter().collect()))
    }

    /// Adds an integer column with missing values.
    pub fn opt_int(self, name: &'static str, values: impl IntoIterator<Item = Option<i64>>) -> Self {
        self.with(name, Column::OptionalInt(values.into_iter().collect()))
    }

    /// Adds a real column; a non-finite value is missing.
    pub fn f64(self, name: &'static str, values: impl IntoIterator<Item = f64>) -> Self {
        self.with(name, Column::F64(values.into_iter().map(|v| v.is_finite().then_some(v)).collect()))
    }

    /// Adds a real column with missing values (`None`, and any non-finite value).
    pub fn opt(self, name: &'static str, values: impl IntoIterator<Item = Option<f64>>) -> Self {
        self.with(name, Column::F64(values.into_iter().map(|v| v.filter(|x| x.is_finite())).collect()))
    }

    /// Adds a real column that keeps infinities (a cutoff of infinity); NaN is missing.
    pub fn f64_with_inf(self, name: &'static str, values: impl IntoIterator<Item = f64>) -> Self {
        self.with(name, Column::F64(values.into_iter().map(|v| (!v.is_nan()).then_some(v)).collect()))
    }

    /// Adds a column of one array of reals per row.
    pub fn arrays(self, name: &'static str, values: impl IntoIterator<Item = Vec<f64>>) -> Self {
        self.with(name, Column::Arrays(values.into_iter().collect()))
    }

    /// Number of rows (of the first column; every column has as many).
    pub fn height(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }

    /// The column names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|(n, _)| *n).collect()
    }

    /// The column `name`, if the table has it.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|(n, _)| *n == name).map(|(_, c)| c)
    }

    /// The named columns, in order (for a writer).
    pub fn into_columns(self) -> Vec<(&'static str, Column)> {
        self.columns
    }
}

/// `"1,2,3"`: hidden widths (or any counts) joined as the tables write them.
pub fn joined(values: &[usize]) -> String {
    values.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_values_follow_each_builder() {
        let t = Table::new()
            .f64("a", [1.0, f64::NAN, f64::INFINITY])
            .opt("b", [Some(1.0), None, Some(f64::NEG_INFINITY)])
            .f64_with_inf("c", [1.0, f64::NAN, f64::INFINITY]);
        assert_eq!(t.names(), ["a", "b", "c"]);
        assert_eq!(t.height(), 3);
        assert_eq!(t.column("a"), Some(&Column::F64(vec![Some(1.0), None, None])));
        assert_eq!(t.column("b"), Some(&Column::F64(vec![Some(1.0), None, None])));
        assert_eq!(t.column("c"), Some(&Column::F64(vec![Some(1.0), None, Some(f64::INFINITY)])));
        assert!(t.column("d").is_none());
        assert_eq!(joined(&[20, 10]), "20,10");
    }
}
