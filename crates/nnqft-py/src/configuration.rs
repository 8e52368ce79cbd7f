//! The arguments every function shares, validated: the network family (`network`, `d_in`,
//! `sigma_w`, `sigma_b`), the input set `x` (a paper set's name, a file, or an array of
//! points) and integer counts. Checked by the library's network specification
//! (`nnqft_study::network_spec`), the one the command line checks its options with, so that the
//! same arguments describe the same ensemble and are refused in the same words.

use crate::error::{invalid, study_error, value_error, value_error_in};
use nnqft_study::StudyError;
use nnqft_study::network_spec::{CheckedNetwork, NetworkSpec};
use nnqft_theory::{Activation, InputSet, Network, TheoryError};
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::path::PathBuf;

/// The largest input set the functions accept: `m = 40` points already have 8.1 million
/// order-6 multisets (65 MB per vector of `G6`), and larger sets would exhaust memory
/// rather than fail.
pub const MAX_POINTS: usize = 40;

/// The allowed range of `x`, in words.
const X_ALLOWED: &str = "a paper x-set name (e.g. scaling-erf-d1, table5-train-relu), a path to an x-set file, \
or finite points as a 1-D array (d_in = 1) or a 2-D array of shape (m, d_in), 1 <= m <= 40";

/// A validated network family and input set.
#[derive(Debug, Clone)]
pub struct Configuration {
    /// The network and its inputs, checked.
    pub checked: CheckedNetwork,
}

impl Configuration {
    /// Checks the shared arguments with the library's network specification
    /// (`nnqft_study::network_spec::NetworkSpec`, the one the CLI checks its options with: the
    /// same defaults, ranges and overflow refusals, in the same words). `d_in = None` takes the
    /// dimension of the points of `x` (1 without `x`, which then is the paper's scaling set);
    /// `sigma_w = None` is 1; `sigma_b = None` takes the paper's (1 for erf and gauss, 0 for relu
    /// and cos, whose only allowed value it is). At most [`MAX_POINTS`] points.
    pub fn new(
        act: Activation,
        d_in: Option<u64>,
        sigma_w: Option<f64>,
        sigma_b: Option<f64>,
        x: Option<InputSet>,
    ) -> PyResult<Self> {
        let d_in = d_in
            .map(|d| usize::try_from(d).map_err(|_| invalid("d_in", d, "an integer >= 1 that fits the platform")))
            .transpose()?;
        let spec = NetworkSpec::new(act.name()).d_in(d_in).sigma_w(sigma_w).sigma_b(sigma_b).inputs(x);
        let checked = spec.check().map_err(study_error)?;
        if checked.inputs().len() > MAX_POINTS {
            return Err(invalid("x", format!("a set of {} points", checked.inputs().len()), X_ALLOWED));
        }
        Ok(Self { checked })
    }

    /// The network.
    pub fn net(&self) -> &Network {
        self.checked.network()
    }

    /// The input points.
    pub fn inputs(&self) -> &InputSet {
        self.checked.inputs()
    }

    /// Reads the shared Python arguments; `sigma_w = None` is 1.
    pub fn from_args(
        network: &Bound<'_, PyAny>,
        x: Option<&Bound<'_, PyAny>>,
        d_in: Option<&Bound<'_, PyAny>>,
        sigma_w: Option<&Bound<'_, PyAny>>,
        sigma_b: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let act = activation(network)?;
        let d_in = d_in.map(|d| integer(d, "d_in", 1, "an integer >= 1")).transpose()?;
        let sigma_w = sigma_w.map(|s| real(s, "sigma_w", "finite and >= 0")).transpose()?;
        let sigma_b = sigma_b.map(|s| real(s, "sigma_b", "finite and >= 0")).transpose()?;
        let x = x.map(input_set).transpose()?;
        Self::new(act, d_in, sigma_w, sigma_b, x)
    }
}

/// The activation named by `network`.
pub fn activation(network: &Bound<'_, PyAny>) -> PyResult<Activation> {
    Activation::parse(&text(network, "network", "one of erf, relu, gauss, cos")?).map_err(value_error)
}

/// A string argument.
pub fn text(value: &Bound<'_, PyAny>, field: &str, allowed: &str) -> PyResult<String> {
    match value.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(invalid(field, value.repr().map_or_else(|_| "?".to_string(), |r| r.to_string()), allowed)),
    }
}

/// An input set from a name or path (as `--x-set` of the CLI: an existing file is read, any
/// other string is a paper set's name), a `pathlib.Path`, or anything `numpy.asarray` turns
/// into a 1-D or 2-D float array.
pub fn input_set(x: &Bound<'_, PyAny>) -> PyResult<InputSet> {
    if let Ok(s) = x.cast::<PyString>() {
        let name = &*s.to_cow()?;
        return nnqft_study::network_spec::input_set(name).map_err(|e| match e {
            StudyError::Theory(TheoryError::UnknownInputSet(_)) => {
                invalid("x", format!("{name:?} (neither a file nor a paper x-set)"), X_ALLOWED)
            }
            other => value_error_in("x", other),
        });
    }
    let py = x.py();
    let pathlike = py.import("os")?.getattr("PathLike")?;
    if x.is_instance(&pathlike)? {
        let path: PathBuf = x.extract()?;
        return InputSet::from_file(&path).map_err(|e| value_error_in("x", e));
    }
    let array = as_float_array(x)
        .map_err(|e| invalid("x", format!("a value numpy cannot read as a float array ({e})"), X_ALLOWED))?;
    let array = array.readonly();
    let shape = array.shape().to_vec();
    let values = array.as_array().iter().copied().collect::<Vec<f64>>();
    let points: Vec<Vec<f64>> = match shape.as_slice() {
        [m] => values.iter().take(*m).map(|v| vec![*v]).collect(),
        [_, d] if *d > 0 => values.chunks_exact(*d).map(<[f64]>::to_vec).collect(),
        _ => return Err(invalid("x", format!("an array of shape {shape:?}"), X_ALLOWED)),
    };
    InputSet::new("x", &points).map_err(|e| match e {
        TheoryError::EmptyInputSet { .. } => invalid("x", "an empty array", X_ALLOWED),
        other => value_error_in("x", other),
    })
}

/// `numpy.asarray(value, dtype=float64)` as a typed array (C order).
pub fn as_float_array<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    let np = value.py().import("numpy")?;
    let array = np.call_method1("ascontiguousarray", (value, "float64"))?;
    Ok(array.cast_into::<PyArrayDyn<f64>>()?)
}

/// A non-negative integer `>= min`; anything else (a negative number, a float, a string) is
/// a `ValueError` naming `field` and `allowed`.
pub fn integer(value: &Bound<'_, PyAny>, field: &str, min: u64, allowed: &str) -> PyResult<u64> {
    let shown = || value.repr().map_or_else(|_| "?".to_string(), |r| r.to_string());
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(invalid(field, shown(), allowed));
    }
    match value.extract::<u64>() {
        Ok(v) if v >= min => Ok(v),
        _ => Err(invalid(field, shown(), allowed)),
    }
}

/// A non-empty list (any iterable but a string) of integers `>= min` that fit a `usize`;
/// anything else is a `ValueError` naming `field` and `allowed`.
pub fn integer_list(value: &Bound<'_, PyAny>, field: &str, min: u64, allowed: &str) -> PyResult<Vec<usize>> {
    let shown = || value.repr().map_or_else(|_| "?".to_string(), |r| r.to_string());
    if value.is_instance_of::<PyString>() {
        return Err(invalid(field, shown(), allowed));
    }
    let items = value.try_iter().map_err(|_| invalid(field, shown(), allowed))?;
    let list = items
        .map(|v| {
            let v = integer(&v?, field, min, allowed)?;
            usize::try_from(v).map_err(|_| invalid(field, v, allowed))
        })
        .collect::<PyResult<Vec<_>>>()?;
    if list.is_empty() {
        return Err(invalid(field, "[]", allowed));
    }
    Ok(list)
}

/// A real number; its range is checked by the library constructor that takes it.
pub fn real(value: &Bound<'_, PyAny>, field: &str, allowed: &str) -> PyResult<f64> {
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(invalid(field, "a bool", allowed));
    }
    value.extract::<f64>().map_err(|_| {
        let shown = value.repr().map_or_else(|_| "?".to_string(), |r| r.to_string());
        invalid(field, shown, allowed)
    })
}

/// A `True`/`False` keyword argument; `None` is `false`; anything else is a `ValueError` naming
/// `field`.
pub fn flag(value: Option<&Bound<'_, PyAny>>, field: &str) -> PyResult<bool> {
    let Some(v) = value else { return Ok(false) };
    v.cast::<pyo3::types::PyBool>()
        .map(|b| b.is_true())
        .map_err(|_| invalid(field, v.repr().map_or_else(|_| "?".to_string(), |r| r.to_string()), "True or False"))
}

/// Worker threads: `None` is every core the process may use; results do not depend on it.
pub fn threads(value: Option<&Bound<'_, PyAny>>) -> PyResult<usize> {
    const MAX_THREADS: u64 = 1024;
    match value {
        None => Ok(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)),
        Some(v) => {
            let t = integer(v, "threads", 1, "an integer from 1 to 1024, or None for all cores")?;
            if t > MAX_THREADS {
                return Err(invalid("threads", t, "an integer from 1 to 1024, or None for all cores"));
            }
            Ok(t as usize)
        }
    }
}
