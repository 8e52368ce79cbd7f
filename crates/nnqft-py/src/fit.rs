//! `nnqft.fit`: the EFT coupling fits of Table 5 of the paper on a correlators
//! table. The target is `Delta G4 = G4 - G4_GP` over the table's 4-pt multisets; the design
//! is `T0, T2, TNL` of `nnqft-theory`'s vertex integrals on the same input set, each row
//! weighted by its multiplicity (all ordered 4-tuples): `nnqft_study::table5::FitProblem`, the
//! fit `cargo xtask reproduce` and `nnqft fit` use for Table 5.

use crate::configuration::{Configuration, as_float_array, real, text};
use crate::error::{invalid, value_error, value_error_in};
use crate::table::into_dict;
use nnqft_fit::{Loss, Model};
use nnqft_study::StudyError;
use nnqft_study::correlator_fit::{FitSource, FittedBlock, FourPointRows, TableFit, fit_rows, fits_table};
use nnqft_study::table5::{FitProblem, setup};
use nnqft_theory::{Activation, Cutoff, TheoryError};
use numpy::PyArrayMethods;
use pyo3::PyTypeInfo;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

/// The columns `fit` reads.
const TABLE_ALLOWED: &str = "a dict of columns (or a pandas / polars DataFrame, or the path of a correlators.parquet \
file) as returned by nnqft.sample, nnqft.exact or cargo xtask sample, with columns network, d_in, width, n, \
indices, g_gp and the fitted column, for one ensemble";

/// Fits the EFT couplings of Table 5 to the 4-pt function of a correlators table.
///
/// `Delta G4 = G4 - G4_GP` (from the column `column`, `g_mean` for a sampled table or
/// `g_exact` for exact theory, minus `g_gp`; for a table of `nnqft.exact` with
/// `column="g_exact"`, its `connected_exact` = kappa4) is fitted over the 4-pt multisets,
/// weighted by multiplicity, by `lambda0 T0 + lambda2 T2 + lambdaNL TNL`, so that a positive
/// coupling raises G4 (the physical coupling of the action `S = S_GP + int lambda f^4` has the
/// opposite sign: docs/conventions.md, "signs"), with models M0 (GP, no coupling), M1
/// (lambda0), M2 (lambda0, lambda2), M3 (all three) under the losses mse and mape (percent).
///
/// `table`: a dict of columns (or a pandas / polars DataFrame) of one ensemble, as returned
/// by `nnqft.sample` or `nnqft.exact`, or the path of the `correlators.parquet` of
/// `cargo xtask sample` (read with pyarrow, if installed); its network, d_in and width are
/// read from it. `x`, `sigma_w`, `sigma_b` must be those the table was made with (default:
/// the paper's scaling set and priors): the table's `g_gp` is checked against the GP of these
/// options (relative 1e-9) and every 4-pt multiset of `x` must have one row, else ValueError.
/// `cutoff`: Lambda > 0 or `inf`; default the paper's Table 5 cutoff (inf for gauss, 100 for
/// erf and relu). `models`, `losses`: a name or a list of names (default all).
///
/// Returns a dict of columns, the table of `nnqft fit`'s `fits.parquet`
/// (`nnqft_study::correlator_fit::fits_table`, one implementation for both): network, d_in,
/// width, estimator, source, cutoff, model, loss, lambda0, lambda2, lambda_nl,
/// lambda0_stderr, lambda2_stderr, lambda_nl_stderr, train_mape, train_mse,
/// condition_number, determined. Couplings a model does not fit are 0; a rank-deficient
/// design gives NaN couplings and determined = "no". The standard errors come from fitting
/// every experiment on its own (a table of `nnqft.sample(..., per_experiment=True)` carries
/// them in `g_experiments`): the standard deviation of the experiments' couplings over
/// sqrt(experiments); NaN without them. Raises ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (
    table, *, x = None, sigma_w = None, sigma_b = None, cutoff = None, models = None, losses = None,
    column = None
),
text_signature = "(table, *, x=None, sigma_w=1.0, sigma_b=None, cutoff=None, models=None, losses=None, column='g_mean')")]
#[allow(clippy::too_many_arguments)]
pub fn fit<'py>(
    py: Python<'py>,
    table: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
    cutoff: Option<&Bound<'py, PyAny>>,
    models: Option<&Bound<'py, PyAny>>,
    losses: Option<&Bound<'py, PyAny>>,
    column: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let column = column.map_or(Ok("g_mean".to_string()), |c| text(c, "column", "g_mean or g_exact"))?;
    let source = match column.as_str() {
        "g_mean" => FitSource::MonteCarlo,
        "g_exact" => FitSource::Exact,
        _ => return Err(invalid("column", &column, "g_mean or g_exact")),
    };
    let parquet = parquet_columns(table)?;
    let table = parquet.as_ref().unwrap_or(table);
    let network = single(&text_column(table, "network")?, "network")?;
    let act = Activation::parse(&network).map_err(|e| value_error_in("table", e))?;
    let d_in = single(&text_of_numbers(&real_column(table, "d_in")?), "d_in")?;
    let width = single(&text_of_numbers(&real_column(table, "width")?), "width")?;
    let estimator = if contains(table, "estimator")? {
        Some(single(&text_column(table, "estimator")?, "estimator")?)
    } else {
        None
    };
    let d_in: u64 = d_in.parse().map_err(|_| invalid("table", format!("d_in = {d_in}"), TABLE_ALLOWED))?;
    let sigma_w = sigma_w.map(|s| real(s, "sigma_w", "finite and >= 0")).transpose()?;
    let sigma_b = sigma_b.map(|s| real(s, "sigma_b", "finite and >= 0")).transpose()?;
    let x = x.map(crate::configuration::input_set).transpose()?;
    let c = Configuration::new(act, Some(d_in), sigma_w, sigma_b, x)?;
    let cutoff = cutoff_arg(cutoff, act)?;
    let models =
        names(models, "models", "a list of M0, M1, M2, M3", &Model::ALL, |s| Model::parse(s).map_err(value_error))?;
    let losses = names(losses, "losses", "a list of mse, mape", &Loss::ALL, |s| Loss::parse(s).map_err(value_error))?;
    // The 4-pt rows: Delta G4 by label, and each experiment's where the table has them.
    let n = text_of_numbers(&real_column(table, "n")?);
    let indices = text_column(table, "indices")?;
    let g_gp = real_column(table, "g_gp")?;
    // A table of nnqft.exact carries kappa4 = Delta G4 itself: fitting it rather than
    // g_exact - g_gp gives Table 5's exact rows bit for bit.
    let delta_g4 = if source == FitSource::Exact && contains(table, "connected_exact")? {
        real_column(table, "connected_exact")?
    } else {
        let g = real_column(table, &column)?;
        if g.len() != g_gp.len() {
            return Err(invalid("table", "columns of different lengths", TABLE_ALLOWED));
        }
        g.iter().zip(&g_gp).map(|(g, k)| g - k).collect()
    };
    let len = n.len();
    if indices.len() != len || delta_g4.len() != len || g_gp.len() != len {
        return Err(invalid("table", "columns of different lengths", TABLE_ALLOWED));
    }
    let four: Vec<usize> = (0..len).filter(|&i| n[i] == "4").collect();
    let experiments = if source == FitSource::MonteCarlo && contains(table, "g_experiments")? {
        let per_row = arrays_column(table, "g_experiments")?;
        if per_row.len() != len {
            return Err(invalid("table", "columns of different lengths", TABLE_ALLOWED));
        }
        let count = four.first().map_or(0, |&i| per_row[i].len());
        if four.iter().any(|&i| per_row[i].len() != count) {
            return Err(invalid(
                "g_experiments",
                "arrays of different lengths",
                "one value per experiment in each row",
            ));
        }
        Some((0..count).map(|e| four.iter().map(|&i| per_row[i][e] - g_gp[i]).collect()).collect())
    } else {
        None
    };
    let rows = FourPointRows {
        indices: four.iter().map(|&i| indices[i].clone()).collect(),
        g_gp: four.iter().map(|&i| g_gp[i]).collect(),
        delta_g4: four.iter().map(|&i| delta_g4[i]).collect(),
        experiments,
    };
    let fitted = py.detach(|| -> PyResult<(Vec<TableFit>, f64)> {
        let problem = fit_problem(&c, cutoff)?;
        let fits = fit_rows(&problem, &rows, &models, &losses).map_err(|e| match e {
            StudyError::Table { field, .. } => value_error_in(field, e),
            other => value_error_in(&column, other),
        })?;
        Ok((fits, cutoff.value()))
    })?;
    let (fits, lambda) = fitted;
    let block = FittedBlock { width: width.parse().ok(), estimator, fits };
    into_dict(py, fits_table(act.name(), d_in as usize, source, lambda, &[block]))
}

/// The `cutoff` argument: > 0, or inf; by default the paper's for `act`.
pub fn cutoff_arg(cutoff: Option<&Bound<'_, PyAny>>, act: Activation) -> PyResult<Cutoff> {
    Ok(match cutoff {
        None => setup(act).1,
        Some(v) => {
            let l = real(v, "cutoff", "finite and > 0, or inf")?;
            if l.is_infinite() && l > 0.0 { Cutoff::Infinite } else { Cutoff::finite(l).map_err(value_error)? }
        }
    })
}

/// Table 5's fit problem of a checked network on its inputs, the vertex integrals cut off at
/// `cutoff` (an error names `cutoff` where they are not finite).
pub fn fit_problem(c: &Configuration, cutoff: Cutoff) -> PyResult<FitProblem> {
    FitProblem::new(c.net(), c.inputs().clone(), cutoff).map_err(|e| match e {
        StudyError::Theory(TheoryError::Divergent(_)) => value_error_in("cutoff", e),
        StudyError::Fit(e) => {
            value_error_in("cutoff", format!("{e} (the vertex integrals are not finite at this cutoff)"))
        }
        other => value_error(other),
    })
}

/// A column of arrays (`g_experiments` of `nnqft.sample(..., per_experiment=True)`): one
/// float array per row.
fn arrays_column(table: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Vec<f64>>> {
    let col = get(table, name)?;
    let bad = || invalid("table", format!("column {name} that is not a list of numeric arrays"), TABLE_ALLOWED);
    col.try_iter()
        .map_err(|_| bad())?
        .map(|row| {
            let array = as_float_array(&row?).map_err(|_| bad())?;
            let array = array.readonly();
            Ok(numpy::PyReadonlyArrayDyn::as_array(&array).iter().copied().collect())
        })
        .collect()
}

/// A path (str or `os.PathLike`) read as a Parquet file into a dict of columns with
/// pyarrow, if installed; `None` for anything else.
fn parquet_columns<'py>(table: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = table.py();
    let pathlike = py.import("os")?.getattr("PathLike")?;
    if !table.is_instance_of::<PyString>() && !table.is_instance(&pathlike)? {
        return Ok(None);
    }
    let parquet = py
        .import("pyarrow.parquet")
        .map_err(|_| invalid("table", "a path (reading Parquet needs pyarrow: pip install pyarrow)", TABLE_ALLOWED))?;
    let read = parquet.call_method1("read_table", (table,)).and_then(|t| t.call_method0("to_pydict"));
    read.map(Some).map_err(|e| invalid("table", format!("a path that pyarrow cannot read ({e})"), TABLE_ALLOWED))
}

/// Whether the table has a column `name` (`name in table` for a dict or a DataFrame).
fn contains(table: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    table.contains(name).map_err(|_| invalid("table", type_name(table), TABLE_ALLOWED))
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type().name().map_or_else(|_| "?".to_string(), |n| format!("a {n}"))
}

fn get<'py>(table: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    if !contains(table, name)? {
        return Err(invalid("table", format!("a table without column {name}"), TABLE_ALLOWED));
    }
    table.get_item(name).map_err(|e| invalid("table", format!("column {name} ({e})"), TABLE_ALLOWED))
}

fn text_column(table: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<String>> {
    let col = get(table, name)?;
    let np = table.py().import("numpy")?;
    np.call_method1("asarray", (col,))
        .and_then(|a| a.call_method0("tolist"))
        .and_then(|l| l.extract::<Vec<String>>())
        .map_err(|_| invalid("table", format!("column {name} that is not text"), TABLE_ALLOWED))
}

fn real_column(table: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<f64>> {
    let col = get(table, name)?;
    let array = as_float_array(&col)
        .map_err(|_| invalid("table", format!("column {name} that is not numeric"), TABLE_ALLOWED))?;
    let array = array.readonly();
    Ok(numpy::PyReadonlyArrayDyn::as_array(&array).iter().copied().collect())
}

/// Integral numbers as text (`5` for 5.0), so that a column of one value compares exactly.
fn text_of_numbers(values: &[f64]) -> Vec<String> {
    values
        .iter()
        .map(|v| if v.fract() == 0.0 && v.is_finite() { format!("{}", *v as i64) } else { format!("{v}") })
        .collect()
}

/// The one value of a column.
fn single(values: &[String], name: &str) -> PyResult<String> {
    let first = values.first().ok_or_else(|| invalid("table", "an empty table", TABLE_ALLOWED))?;
    if let Some(other) = values.iter().find(|v| *v != first) {
        return Err(invalid("table", format!("a table with {name} = {first} and {other}"), TABLE_ALLOWED));
    }
    Ok(first.clone())
}

/// A list of names (or one name); `None` is all of `every`.
fn names<T: Copy>(
    value: Option<&Bound<'_, PyAny>>,
    field: &str,
    allowed: &str,
    every: &[T],
    parse: impl Fn(&str) -> PyResult<T>,
) -> PyResult<Vec<T>> {
    let Some(value) = value else { return Ok(every.to_vec()) };
    let items: Vec<String> = if let Ok(s) = value.cast::<PyString>() {
        vec![s.to_cow()?.into_owned()]
    } else {
        let list =
            PyList::type_object(value.py()).call1((value,)).map_err(|_| invalid(field, type_name(value), allowed))?;
        list.try_iter()?.map(|v| text(&v?, field, allowed)).collect::<PyResult<_>>()?
    };
    if items.is_empty() {
        return Err(invalid(field, "an empty list", allowed));
    }
    items.iter().map(|s| parse(s)).collect()
}
