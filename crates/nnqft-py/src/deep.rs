//! `nnqft.theory` and `nnqft.critical`: the theory of one deep network (infinite width, the
//! `1/n` shift of the two-point function, the leading connected four-point function, exact
//! values where known) and the critical point of an activation, computed by the library as
//! `nnqft theory --widths ...` computes them (`nnqft_study::deep_theory`), with the same columns.

use crate::configuration::{input_set, integer, real, text};
use crate::error::{invalid, value_error, value_error_in};
use crate::interrupt::{Progress, interruptible};
use crate::table::Table;
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, TheoryError, critical_point};
use pyo3::PyTypeInfo;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

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
/// `connected_leading_order` (n = 4: the four-point vertex term, order 1/n; n = 6: the six-point
/// vertex term, the sixth cumulant at order 1/n**2; NaN at n = 2) and `g_exact` (the exact value
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
    let (act, widths, net, xs) = deep_network(py, network, widths, x, d_in, d_out, sigma_w, sigma_b, critical)?;
    let (c_w, c_b, d_out) = (net.c_w(), net.c_b(), net.d_out());
    if xs.len() * d_out > crate::configuration::MAX_POINTS {
        return Err(invalid("x", format!("{} points x {d_out} outputs", xs.len()), "at most 40 (output, point) pairs"));
    }
    let rows = interruptible(py, &Progress::Off, 0, "", "nnqft.theory", |monitor| {
        nnqft_study::deep_theory::deep_theory_with_progress(&net, &xs, monitor).map_err(|e| match e {
            nnqft_study::StudyError::Theory(TheoryError::OutOfRange { field, .. }) => value_error_in(field, e),
            other => value_error(other),
        })
    })?;
    let h = rows.len();
    let layers = widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",");
    Table::default()
        .text("network", vec![act.name().to_string(); h])
        .int("d_in", vec![xs.d_in() as i64; h])
        .real("sigma_w", vec![c_w.sqrt(); h])
        .real("sigma_b", vec![c_b.sqrt(); h])
        .text("x_set", vec![xs.name().to_string(); h])
        .int("depth", vec![widths.len() as i64; h])
        .text("widths", vec![layers; h])
        .int("n", rows.n)
        .text("indices", rows.indices)
        .text("outputs", rows.outputs)
        .real("g_gp", rows.g_gp)
        .optional_real("shift_leading_order", rows.shift_leading_order)
        .optional_real("connected_leading_order", rows.connected_leading_order)
        .optional_real("g_exact", rows.g_exact)
        .into_dict(py)
}

/// The deep network and input set of the arguments `nnqft.theory` and `nnqft.ntk` share, resolved
/// as the CLI resolves `--network`, `--widths`, `--x-set`, `--d-in`, `--d-out`, `--sigma-w`,
/// `--sigma-b` and `--critical`: the activation, the hidden widths, the network and the inputs.
/// Every invalid argument is a ValueError naming it.
#[allow(clippy::too_many_arguments)]
pub fn deep_network<'py>(
    py: Python<'py>,
    network: &Bound<'py, PyAny>,
    widths: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    d_out: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
    critical: Option<&Bound<'py, PyAny>>,
) -> PyResult<(DeepActivation, Vec<usize>, DeepNetwork, InputSet)> {
    let act = activation(network)?;
    const WIDTHS: &str = "a non-empty list of integers >= 1 (the hidden widths n_1..n_L)";
    let shown = || widths.repr().map_or_else(|_| "?".to_string(), |r| r.to_string());
    if widths.is_instance_of::<pyo3::types::PyString>() {
        return Err(invalid("widths", shown(), WIDTHS));
    }
    let list = PyList::type_object(py).call1((widths,)).map_err(|_| invalid("widths", shown(), WIDTHS))?;
    let widths: Vec<usize> =
        list.try_iter()?.map(|w| integer(&w?, "widths", 1, WIDTHS).map(|w| w as usize)).collect::<PyResult<_>>()?;
    if widths.is_empty() {
        return Err(invalid("widths", "[]", WIDTHS));
    }
    let d_out = d_out.map_or(Ok(1), |d| integer(d, "d_out", 1, "an integer >= 1"))? as usize;
    let critical = crate::configuration::flag(critical, "critical")?;
    if critical && (sigma_w.is_some() || sigma_b.is_some()) {
        return Err(invalid("critical", "True with sigma_w or sigma_b", "False when sigma_w or sigma_b is given"));
    }
    let xs = match x {
        Some(x) => input_set(x)?,
        None => {
            let d = d_in.map_or(Ok(1), |d| integer(d, "d_in", 1, "1, 2 or 3 for the paper's x-sets"))? as usize;
            let paper = match act {
                DeepActivation::Relu => nnqft_theory::Activation::Relu,
                DeepActivation::Gauss => nnqft_theory::Activation::Gauss,
                _ => nnqft_theory::Activation::Erf,
            };
            InputSet::scaling(paper, d).map_err(|e| value_error_in("d_in", e))?
        }
    };
    if let Some(d) = d_in {
        let d = integer(d, "d_in", 1, "an integer >= 1")?;
        if d as usize != xs.d_in() {
            return Err(invalid("d_in", d, &format!("the dimension of the points of x ({}), or None", xs.d_in())));
        }
    }
    let (c_w, c_b) = if critical {
        let cp = critical_point(act).map_err(|e| value_error_in("critical", e))?;
        (cp.c_w(), cp.c_b())
    } else {
        let (c_w, c_b) = act.default_priors(widths.len());
        let prior = |v: Option<&Bound<'py, PyAny>>, name: &str, default: f64| -> PyResult<f64> {
            match v.map(|v| real(v, name, "finite and >= 0")).transpose()? {
                None => Ok(default),
                Some(s) if s.is_finite() && s >= 0.0 => Ok(s * s),
                Some(s) => Err(invalid(name, s, "finite and >= 0")),
            }
        };
        (prior(sigma_w, "sigma_w", c_w)?, prior(sigma_b, "sigma_b", c_b)?)
    };
    let net = DeepNetwork::new(act, &widths, c_w, c_b)
        .and_then(|n| n.with_d_in(xs.d_in()))
        .and_then(|n| n.with_d_out(d_out))
        .map_err(value_error)?;
    Ok((act, widths, net, xs))
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
