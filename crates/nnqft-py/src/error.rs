//! Errors as Python sees them: every invalid argument is a `ValueError` whose message names
//! the field and its allowed range (the library crates already phrase their errors so); a
//! failure that no argument can cause (a thread pool that cannot start) is a `RuntimeError`.

use pyo3::PyErr;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use std::fmt::Display;

/// `ValueError("invalid {field} = {value}: allowed range is {allowed}")`, the wording of the
/// library crates' range errors.
pub fn invalid(field: &str, value: impl Display, allowed: &str) -> PyErr {
    PyValueError::new_err(format!("invalid {field} = {value}: allowed range is {allowed}"))
}

/// A library error raised by an argument: a `ValueError` with the library's message.
pub fn value_error(e: impl Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A library error about one argument whose message may not name it (an unknown input set,
/// an unreadable file): a `ValueError` prefixed with the argument's name.
pub fn value_error_in(field: &str, e: impl Display) -> PyErr {
    PyValueError::new_err(format!("{field}: {e}"))
}

/// A sampling error: `RuntimeError` for the thread pool, `ValueError` otherwise.
pub fn sampling_error(e: nnqft_sampling::SamplingError) -> PyErr {
    match e {
        nnqft_sampling::SamplingError::ThreadPool(reason) => PyRuntimeError::new_err(format!("thread pool: {reason}")),
        other => value_error(other),
    }
}

/// A study error: a sampling error as [`sampling_error`], anything else a `ValueError` with the
/// library's message (which names the field and its allowed range).
pub fn study_error(e: nnqft_study::StudyError) -> PyErr {
    match e {
        nnqft_study::StudyError::Sampling(s) => sampling_error(s),
        other => value_error(other),
    }
}
