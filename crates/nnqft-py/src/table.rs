//! Tables as Python receives them: a `dict` of equally long columns, in report order, that
//! `pandas.DataFrame(d)` and `polars.DataFrame(d)` take as they are. Numbers are NumPy
//! arrays (`int64`, `float64`; a missing value is NaN), text columns are lists of `str`, and a
//! column of per-row arrays (each experiment's value) is a list of NumPy arrays.

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One column, built without the interpreter (inside `Python::detach`).
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Text.
    Text(Vec<String>),
    /// Text, `None` where missing.
    OptionalText(Vec<Option<String>>),
    /// Integers.
    Int(Vec<i64>),
    /// Reals (NaN where a value is missing).
    Real(Vec<f64>),
    /// One array of reals per row (a list of NumPy arrays).
    Arrays(Vec<Vec<f64>>),
}

/// Named columns in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    columns: Vec<(&'static str, Column)>,
}

impl Table {
    /// Appends a text column.
    pub fn text(mut self, name: &'static str, values: Vec<String>) -> Self {
        self.columns.push((name, Column::Text(values)));
        self
    }
    /// Appends a text column with missing values.
    pub fn optional_text(mut self, name: &'static str, values: Vec<Option<String>>) -> Self {
        self.columns.push((name, Column::OptionalText(values)));
        self
    }
    /// Appends an integer column.
    pub fn int(mut self, name: &'static str, values: Vec<i64>) -> Self {
        self.columns.push((name, Column::Int(values)));
        self
    }
    /// Appends a real column.
    pub fn real(mut self, name: &'static str, values: Vec<f64>) -> Self {
        self.columns.push((name, Column::Real(values)));
        self
    }

    /// Appends a real column whose missing values (`None`) become NaN.
    pub fn optional_real(self, name: &'static str, values: Vec<Option<f64>>) -> Self {
        self.real(name, values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }

    /// Appends a column of one array per row.
    pub fn arrays(mut self, name: &'static str, values: Vec<Vec<f64>>) -> Self {
        self.columns.push((name, Column::Arrays(values)));
        self
    }

    /// The `dict` of columns.
    pub fn into_dict(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let dict = PyDict::new(py);
        for (name, column) in self.columns {
            match column {
                Column::Text(v) => dict.set_item(name, v)?,
                Column::OptionalText(v) => dict.set_item(name, v)?,
                Column::Int(v) => dict.set_item(name, PyArray1::from_vec(py, v))?,
                Column::Real(v) => dict.set_item(name, PyArray1::from_vec(py, v))?,
                Column::Arrays(v) => {
                    let arrays: Vec<Bound<'_, PyArray1<f64>>> =
                        v.into_iter().map(|a| PyArray1::from_vec(py, a)).collect();
                    dict.set_item(name, arrays)?
                }
            }
        }
        Ok(dict)
    }
}
