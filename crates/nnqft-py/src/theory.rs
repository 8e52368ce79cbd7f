//! `nnqft.gp`, `nnqft.kernel` and `nnqft.exact`: the GP correlators (Wick sums of the
//! kernel, paper section 2) and the exact finite-width correlators from
//! `nnqft-theory`, computed with the interpreter released.

use crate::configuration::{Configuration, integer};
use crate::correlators::{flatten, keys_table};
use crate::error::{invalid, study_error, value_error};
use crate::table::into_dict;
use nnqft_study::scaling::{CorrelatorKeys, nnqft_theory_gp};
use nnqft_study::theory_table::theory_table;
use nnqft_theory::{ExactCorrelators, FiniteWidthTheory, InputSet, Network, TheoryError, kernel_matrix};
use numpy::{PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The exact correlators at one width, or `None` where exact theory does not cover the
/// network (`TheoryError::Unsupported`: erf beyond its quadrature's reach, relu at d_in = 3
/// with sigma_b > 0), as the CLI writes a null `g_exact` then. Every other error is returned.
pub fn exact_if_available(
    net: &Network,
    inputs: &InputSet,
    width: usize,
) -> nnqft_theory::Result<Option<ExactCorrelators>> {
    match FiniteWidthTheory::new(net, inputs) {
        Ok(theory) => theory.at_width(width).map(Some),
        Err(TheoryError::Unsupported(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// GP correlators `G(n)_GP` for n = 2, 4, 6 (the N -> infinity limit).
///
/// `G(n)_GP(x_1..x_n)` is the Wick sum of the kernel over the n!/(2^(n/2) (n/2)!) pairings
/// (3 at n = 4, 15 at n = 6). Returns a dict of columns (`network`, `d_in`, `n`, `indices`,
/// `g_gp`), one row per multiset of input indices, as in `correlators.parquet`.
///
/// Arguments: `network` one of erf, relu, gauss (the paper's one-layer networks) or cos (the Cos-net); `x` a paper
/// x-set name, a path to an x-set file, or an array of finite points (1-D for d_in = 1, or
/// shape (m, d_in), 1 <= m <= 40); default: the paper's scaling set for the network and d_in;
/// `d_in` an integer >= 1 (default: the dimension of `x`, else 1; without `x`, 1, 2 or 3);
/// `sigma_w` >= 0 and finite (default 1: weights ~ N(0, sigma_w**2 / d_in)); `sigma_b` >= 0 and
/// finite (default the paper's: 1 for erf and gauss, 0 for relu; the Cos-net, whose hidden bias is a uniform phase, takes only 0). Raises ValueError for invalid
/// arguments.
#[pyfunction]
#[pyo3(signature = (network, *, x = None, d_in = None, sigma_w = None, sigma_b = None),
    text_signature = "(network, *, x=None, d_in=None, sigma_w=1.0, sigma_b=None)")]
pub fn gp<'py>(
    py: Python<'py>,
    network: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let c = Configuration::from_args(network, x, d_in, sigma_w, sigma_b)?;
    let gp = py.detach(|| nnqft_theory_gp(c.net(), c.inputs())).map_err(value_error)?;
    let ms = [&gp.multisets[0], &gp.multisets[1], &gp.multisets[2]];
    into_dict(py, keys_table(CorrelatorKeys::new(c.net(), ms)).f64("g_gp", flatten(&gp.tensors)))
}

/// The GP kernel matrix K(x_a, x_b) of the input set, an (m, m) NumPy array.
///
/// K is the N -> infinity covariance of the network outputs, G(2) of the GP (paper section
/// 2): closed forms for erf, relu, gauss and cos at any d_in (cos: (sigma_w^2 / 2)
/// exp(-sigma_w^2 |x - y|^2 / (2 d_in)), translation invariant). Arguments as for `gp`: `network` one
/// of erf, relu, gauss, cos; `x` a paper x-set name, an x-set file or an array of points (default:
/// the paper's scaling set); `d_in` an integer >= 1 (default: the dimension of `x`); `sigma_w`
/// >= 0 (default 1) and `sigma_b` >= 0 (default the paper's). Raises ValueError for invalid
/// arguments.
#[pyfunction]
#[pyo3(signature = (network, *, x = None, d_in = None, sigma_w = None, sigma_b = None),
    text_signature = "(network, *, x=None, d_in=None, sigma_w=1.0, sigma_b=None)")]
pub fn kernel<'py>(
    py: Python<'py>,
    network: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let c = Configuration::from_args(network, x, d_in, sigma_w, sigma_b)?;
    let k = py.detach(|| kernel_matrix(c.net(), c.inputs())).map_err(value_error)?;
    let m = c.inputs().len();
    numpy::PyArray1::from_vec(py, k).reshape([m, m])
}

/// Exact finite-width correlators G(n) at width N for n = 2, 4, 6: the cumulants of the
/// N i.i.d. neurons add, so G4 = Wick4(K) + κ4 with κ4 ∝ 1/N, and κ6 ∝ 1/N².
///
/// Returns a dict of columns (`network`, `d_in`, `sigma_w`, `sigma_b`, `x_set`, `width`, `n`,
/// `indices`, `g_gp`, `g_exact`, `connected_exact`), the table of `nnqft theory --width-scan`'s
/// `theory.parquet` (`nnqft_study::theory_table`, one implementation for both): `g_exact`
/// is the exact correlator at this width and `connected_exact` its connected part, the n-th
/// cumulant (kappa4 ~ 1/N for n = 4, kappa6 ~ 1/N^2 for n = 6; NaN for n = 2, whose
/// cumulant is `g_gp` itself at every width).
/// `width` (N) is an integer >= 1, or a list of them (the rows of every width, width by width,
/// as `nnqft theory --width-scan N1,N2,...` writes them; `[]`: the GP alone, `g_exact` and
/// `connected_exact` NaN, as `nnqft theory` without `--width-scan`); `network` (erf, relu, gauss), `x`, `d_in`, `sigma_w` and
/// `sigma_b` as for `gp`. Raises ValueError for invalid
/// arguments (priors or inputs whose correlators would overflow float64 included, as the CLI
/// refuses them), for a table beyond the available memory, and for networks the exact theory does not cover (erf beyond d_in = 3, whose
/// quadrature would take hours; relu at d_in = 3 with sigma_b > 0).
#[pyfunction]
#[pyo3(signature = (network, width, *, x = None, d_in = None, sigma_w = None, sigma_b = None),
    text_signature = "(network, width, *, x=None, d_in=None, sigma_w=1.0, sigma_b=None)")]
pub fn exact<'py>(
    py: Python<'py>,
    network: &Bound<'py, PyAny>,
    width: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    const WIDTH: &str = "an integer >= 1, or a list of them (theory --width-scan; [] for the GP alone)";
    let widths = if width.extract::<u64>().is_ok() || width.is_instance_of::<pyo3::types::PyBool>() {
        vec![usize::try_from(integer(width, "width", 1, WIDTH)?).map_err(|_| invalid("width", width, WIDTH))?]
    } else if !width.is_instance_of::<pyo3::types::PyString>() && width.len().is_ok_and(|n| n == 0) {
        Vec::new()
    } else {
        crate::configuration::integer_list(width, "width", 1, WIDTH)?
    };
    let c = Configuration::from_args(network, x, d_in, sigma_w, sigma_b)?;
    let table = py.detach(|| theory_table(&c.checked, &widths)).map_err(study_error)?;
    into_dict(py, table)
}
