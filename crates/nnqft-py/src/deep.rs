//! `nnqft.theory` and `nnqft.critical`: the theory of one deep network (infinite width, the
//! `1/n` shift of the two-point function, the leading connected four-point function, exact
//! values where known) and the critical point of an activation, computed by the library as
//! `nnqft theory --widths ...` computes them (`nnqft_study::deep_theory`), with the same columns.

use crate::configuration::{input_set, integer, real, text};
use crate::error::{invalid, study_error, value_error_in};
use crate::interrupt::{Progress, interruptible};
use crate::table::into_dict;
use nnqft_study::StudyError;
use nnqft_study::network_spec::{CheckedDeepNetwork, NetworkSpec};
use nnqft_theory::{DeepActivation, TheoryError, critical_point};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The allowed network names, in words.
const NETWORKS: &str = "one of erf, relu, tanh, linear, gelu, silu, softplus, sigmoid, sin (and gauss at one layer)";

fn activation(network: &Bound<'_, PyAny>) -> PyResult<DeepActivation> {
    let name = text(network, "network", NETWORKS)?;
    DeepActivation::parse(&name).map_err(|_| invalid("network", format!("{name:?}"), NETWORKS))
}

/// The theory of a deep network on an input set, per multiset of orders 2, 4 and 6 over the
/// (output, point) pairs: the columns of `nnqft theory --widths`'s `theory.parquet`.
///
/// Network: `z1 = b1 + W1 x`, `z(l+1) = b(l+1) + W(l+1) phi(z(l))`, `f = z(L+1)` (`d_out` rows),
/// `W(l)` entries ~ N(0, C_W / n(l-1)), `b(l)` ~ N(0, C_b), `C_W = sigma_w**2`, `C_b = sigma_b**2`.
/// Columns: `network`, `d_in`, `sigma_w`, `sigma_b`, `x_set`, `depth`, `widths`, `n` (2, 4 or 6;
/// 6 when the input set has at most 8 points),
/// `indices` (the input of each factor), `outputs` (its output), `g_gp` (infinite width:
/// `delta_ij K(x_a, x_b)` and its Wick sum), `shift_leading_order` (n = 2: the 1/n shift `S` of
/// `G2 = K + S + O(1/n**2)`, each layer weighted by its own 1/n_l; NaN at n = 4, 6),
/// `shift_next_order` (n = 2: the shift through 1/n**2, on every pair with at most 8 input
/// points, on the pairs of one input point beyond; NaN elsewhere),
/// `connected_leading_order` (n = 4: the four-point vertex term, order 1/n; n = 6: the six-point
/// vertex term, the sixth cumulant at order 1/n**2; NaN at n = 2), `connected_next_order` (n = 4:
/// the connected four-point function through order 1/n**2, on every multiset with at most 8
/// input points, on the multisets of one input point beyond; NaN elsewhere) and `g_exact` (the exact value
/// where known: linear nets' G2, relu's diagonal G2, E f**4 and E f**6 of relu and linear nets
/// with C_b = 0; NaN elsewhere).
///
/// Arguments: `network` one of erf, relu, tanh, linear, gelu, silu, softplus, sigmoid, sin (gauss
/// at one layer); `widths` the hidden widths n_1..n_L (a list of integers >= 1); `x` a paper
/// x-set name, a file or an array of points (default: Erf's scaling set, or the network's own for
/// erf, relu and gauss); `d_in` (default: the dimension of `x`); `d_out` >= 1 outputs; `sigma_w`,
/// `sigma_b` >= 0 (default: the paper's for a paper network with one layer, else the deep priors
/// relu (sqrt 2, 0), others (1, 0)); `critical` False (default) or True, which takes the
/// activation's critical point instead (see `nnqft.critical`; not with `sigma_w` or `sigma_b`).
/// Ctrl-C stops the call with KeyboardInterrupt before the next Gaussian expectation of the
/// vertex recursions (seconds at most for the six-point vertex of a smooth activation).
/// Raises ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (network, widths, *, x = None, d_in = None, d_out = None, sigma_w = None, sigma_b = None, critical = None),
    text_signature = "(network, widths, *, x=None, d_in=None, d_out=1, sigma_w=None, sigma_b=None, critical=False)")]
#[allow(clippy::too_many_arguments)]
pub fn theory<'py>(
    py: Python<'py>,
    network: &Bound<'py, PyAny>,
    widths: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    d_out: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
    critical: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let checked = deep_network(network, widths, x, d_in, d_out, sigma_w, sigma_b, critical)?;
    let (xs, d_out) = (checked.inputs(), checked.network().d_out());
    if xs.len() * d_out > crate::configuration::MAX_POINTS {
        return Err(invalid("x", format!("{} points x {d_out} outputs", xs.len()), "at most 40 (output, point) pairs"));
    }
    let table = interruptible(py, &Progress::Off, 0, "", "nnqft.theory", |monitor| {
        nnqft_study::deep_theory::deep_theory_table(&checked, monitor).map_err(|e| match e {
            nnqft_study::StudyError::Theory(TheoryError::OutOfRange { field, .. }) => value_error_in(field, e),
            other => study_error(other),
        })
    })?;
    into_dict(py, table)
}

/// The deep network and input set of the arguments `nnqft.theory`, `nnqft.ntk` and
/// `nnqft.action` share (`network`, `widths`, `x`, `d_in`, `d_out`, `sigma_w`, `sigma_b`,
/// `critical`), read from Python and checked by the library's network specification
/// (`nnqft_study::network_spec::DeepNetworkSpec`, the one the CLI checks `--network`, `--widths`,
/// `--x-set`, `--d-in`, `--d-out`, `--sigma-w`, `--sigma-b` and `--critical` with: the same
/// defaults, ranges and overflow refusals). Every invalid argument is a ValueError naming it.
#[allow(clippy::too_many_arguments)]
pub fn deep_network<'py>(
    network: &Bound<'py, PyAny>,
    widths: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    d_out: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
    critical: Option<&Bound<'py, PyAny>>,
) -> PyResult<CheckedDeepNetwork> {
    let act = activation(network)?;
    const WIDTHS: &str = "a non-empty list of integers >= 1 (the hidden widths n_1..n_L)";
    let widths = crate::configuration::integer_list(widths, "widths", 1, WIDTHS)?;
    let d_out = d_out.map_or(Ok(1), |d| integer(d, "d_out", 1, "an integer >= 1"))? as usize;
    let critical = crate::configuration::flag(critical, "critical")?;
    let d_in = d_in.map(|d| integer(d, "d_in", 1, "an integer >= 1").map(|d| d as usize)).transpose()?;
    let sigma = |v: Option<&Bound<'py, PyAny>>, name: &str| v.map(|v| real(v, name, "finite and >= 0")).transpose();
    let x = x.map(input_set).transpose()?;
    NetworkSpec::new(act.name())
        .d_in(d_in)
        .sigma_w(sigma(sigma_w, "sigma_w")?)
        .sigma_b(sigma(sigma_b, "sigma_b")?)
        .inputs(x)
        .deep(&widths, d_out)
        .critical(critical)
        .check()
        .map_err(|e| match e {
            StudyError::Theory(TheoryError::NoCriticalPoint { .. }) => value_error_in("critical", e),
            other => study_error(other),
        })
}

/// The critical point `(C_W, C_b)` of an activation: the priors at which both susceptibilities
/// of the deep kernel recursion `K <- C_b + C_W <phi(z)**2>_K` equal one at its fixed point K*
/// (Roberts, Yaida, Hanin, "The Principles of Deep Learning Theory", ch. 5): parallel
/// `chi_par = C_W d<phi**2>_K/dK` and perpendicular `chi_perp = C_W <phi'(z)**2>_K`. relu (2, 0)
/// at any K*; tanh and sin (1, 0) and erf (pi/4, 0) at K* = 0; gelu and silu at a nonzero K*
/// (half-stable). `sigma_w = sqrt(C_W)`, `sigma_b = sqrt(C_b)`. `network`: one of relu, tanh,
/// sin, erf, gelu, silu, linear (sigmoid, softplus and gauss have none). Returns `(C_W, C_b)`.
/// Raises ValueError naming the activation and the reason where there is none or the name is
/// unknown.
#[pyfunction]
#[pyo3(text_signature = "(network)")]
pub fn critical(network: &Bound<'_, PyAny>) -> PyResult<(f64, f64)> {
    let act = activation(network)?;
    let cp = critical_point(act).map_err(|e| value_error_in("network", e))?;
    Ok((cp.c_w(), cp.c_b()))
}
