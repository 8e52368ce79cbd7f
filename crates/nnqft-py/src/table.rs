//! Tables as Python receives them: the study crate's typed tables (`nnqft_study::table`, the
//! tables the command line writes as Parquet) turned into a `dict` of equally long columns, in
//! report order, that `pandas.DataFrame(d)` and `polars.DataFrame(d)` take as they are. Numbers
//! are NumPy arrays (`int64`, `float64`; a missing value is NaN, so an integer column with
//! missing values is `float64`), text columns are lists of `str` (`None` where missing), and a
//! column of per-row arrays (each experiment's value) is a list of NumPy arrays. This is the
//! one conversion: no table is built here.

use nnqft_study::table::{Column, Table};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The `dict` of columns of `table`.
pub fn into_dict(py: Python<'_>, table: Table) -> PyResult<Bound<'_, PyDict>> {
    let dict = PyDict::new(py);
    for (name, column) in table.into_columns() {
        match column {
            Column::Text(v) => dict.set_item(name, v)?,
            Column::OptionalText(v) => dict.set_item(name, v)?,
            Column::Int(v) => dict.set_item(name, PyArray1::from_vec(py, v))?,
            Column::OptionalInt(v) => {
                let reals: Vec<f64> = v.into_iter().map(|x| x.map_or(f64::NAN, |x| x as f64)).collect();
                dict.set_item(name, PyArray1::from_vec(py, reals))?
            }
            Column::F64(v) => {
                let reals: Vec<f64> = v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect();
                dict.set_item(name, PyArray1::from_vec(py, reals))?
            }
            Column::Arrays(v) => {
                let arrays: Vec<Bound<'_, PyArray1<f64>>> = v.into_iter().map(|a| PyArray1::from_vec(py, a)).collect();
                dict.set_item(name, arrays)?
            }
        }
    }
    Ok(dict)
}
