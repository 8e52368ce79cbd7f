//! `nnqft.action`: the couplings of an ensemble's action on a point set, the table of
//! `nnqft action` with the same columns (`nnqft_study::action`), and with `deform_quartic` the
//! engineered `φ⁴` couplings (`nnqft_study::quartic_deformation`).

use crate::configuration::{Configuration, input_set, integer, real, threads as thread_count};
use crate::error::{invalid, value_error};
use crate::interrupt::{Progress, interruptible};
use crate::table::into_dict;
use nnqft_study::action::{
    ActionTable, couplings_table, deep_action_with_monitor, exact_action, locality, locality_table, measured_action,
    measured_order,
};
use nnqft_study::quartic_deformation::{QuarticDeformation, deform_quartic as deform_quartic_rows, deformation_table};
use nnqft_theory::{ActionOrder, InputSet};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The couplings of an ensemble's action S(f) = -log p(f) on a point set, reconstructed order
/// by order in 1/N from its two-point function G2 and its connected four- and six-point
/// functions (the Edgeworth expansion; arXiv:2307.03223).
///
/// Convention: S(f) = sum over n = 2, 4, 6 of (1/n!) sum_{i1..in} s_n[i1..in] f_i1 ... f_in
/// (ordered index tuples, s_n symmetric); `coupling` is s_n at each multiset of the points. At
/// order 1/N: s_2 = G2^-1 + (1/2) (A4 . G2), s_4 = -A4 with A4 = kappa4 with G2^-1 on each
/// leg; at order 1/N^2 also s_6 = -A6 + the exchange of two quartic vertices, and second
/// corrections to s_2 and s_4. A local quartic term lambda_phys * f^4 is s_4 = 24 lambda_phys;
/// the paper's Table 5 lambda is -lambda_phys.
///
/// Sources (give exactly one):
/// - `network` (erf, relu, gauss) with `width` (an integer >= 1): a one-hidden-layer network's
///   exact correlators; `x`, `d_in`, `sigma_w`, `sigma_b` as for `nnqft.exact`;
/// - `network` with `widths` (a list of integers >= 1): a deep network's finite-width theory, at
///   order 1 (1/n, the default) or, with `order=2` on at most 8 input points, 1/n**2 (G2 and G4
///   through 1/n**2 and the six-point vertex); `d_out`, `critical` as for `nnqft.theory`;
/// - `f`: network outputs made anywhere, an array of shape (nets, points) or
///   (nets, points, outputs) as for `nnqft.analyze`, split into `experiments` (>= 4, dividing
///   the nets) experiments; `coupling_stderr` is the delete-one jackknife over them.
///
/// `order` is 1 or 2 (default 2 where available: a one-layer network, or `f` on at most 10
/// (output, point) pairs; else 1). Returns a dict of two tables (dicts of columns):
/// `"couplings"`, the columns of `action.parquet`: `source` ("exact", "deep" or "array"),
/// `order`, `condition_number` (of G2 on the points), `n`, `indices`, `outputs`, `coupling`,
/// `coupling_stderr` (NaN without measured inputs), `coupling_order1` (the couplings at order
/// 1/N), `coupling_gp` (G2^-1 at n = 2, else 0); and `"locality"`, those of
/// `action_locality.parquet` (per distinct spread of four points, the largest distance between
/// two of them: `spread`, `multisets`, `mean_abs`, `max_abs` of s_4, and `norm_share`,
/// `cumulative_share` of its squared norm), empty for `f` without `x` (the points' coordinates).
/// With `deform_quartic` (a list of couplings lambda, each > 0; only with `network` and `width`):
/// phi^4 engineered by deforming the network's parameter density by
/// exp(-lambda * measure * sum_j f(x_j)^4) over the points of `x` (a lattice; `measure` > 0 is the
/// measure a of a site, default 1), sampled by importance weights on `nets` (>= 1, default
/// 100000) nets in each of `experiments` (>= 2) experiments with master seed `seed` (an integer in
/// [0, 2**64); the same numbers as `nnqft action --deform-quartic --seed` with any number of
/// `threads`, >= 1 or None for all cores), and lambda measured back from the reconstructed
/// quartic coupling at order 1/N^2: the dict gains `"deformation"`, the columns of
/// `action_deformation.parquet` (`lambda`, `site`, `x`, `measure`, `expansion_parameter`,
/// `lambda_measured`, `lambda_stderr`, `z`, `effective_sample_size`, `nets`,
/// `offdiagonal_max_z`).
/// `progress` shows the reading of `f` as `nnqft.analyze` does (False, True for a tqdm bar, or
/// a callable receiving (done, total)); reading `f` and a deep network's theory stop at Ctrl-C
/// with KeyboardInterrupt. Raises ValueError for invalid arguments and for points where G2 is
/// singular or too ill-conditioned (condition number above 1e10).
#[pyfunction]
#[pyo3(signature = (network = None, *, width = None, widths = None, f = None, x = None, d_in = None, d_out = None,
    sigma_w = None, sigma_b = None, critical = None, order = None, experiments = None, deform_quartic = None,
    measure = None, nets = None, seed = None, threads = None, progress = None),
    text_signature = "(network=None, *, width=None, widths=None, f=None, x=None, d_in=None, d_out=1, sigma_w=None, \
    sigma_b=None, critical=False, order=None, experiments=10, deform_quartic=None, measure=1.0, nets=100000, \
    seed=20200818, threads=None, progress=False)")]
#[allow(clippy::too_many_arguments)]
pub fn action<'py>(
    py: Python<'py>,
    network: Option<&Bound<'py, PyAny>>,
    width: Option<&Bound<'py, PyAny>>,
    widths: Option<&Bound<'py, PyAny>>,
    f: Option<&Bound<'py, PyAny>>,
    x: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    d_out: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
    critical: Option<&Bound<'py, PyAny>>,
    order: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    deform_quartic: Option<&Bound<'py, PyAny>>,
    measure: Option<&Bound<'py, PyAny>>,
    nets: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let progress = Progress::from_arg(py, progress)?;
    if deform_quartic.is_some() && (network.is_none() || width.is_none() || widths.is_some()) {
        return Err(invalid("deform_quartic", "given", "only with network and width (a one-hidden-layer network)"));
    }
    if deform_quartic.is_none()
        && let Some((name, _)) = [("measure", measure), ("nets", nets), ("seed", seed), ("threads", threads)]
            .iter()
            .find(|(_, v)| v.is_some())
    {
        return Err(invalid(name, "given", "only with deform_quartic"));
    }
    const SOURCES: &str = "exactly one of: network with width, network with widths, or f";
    let order = order.map(|o| integer(o, "order", 1, "1 or 2")).transpose()?;
    if order.is_some_and(|o| o > 2) {
        return Err(invalid("order", order.unwrap_or(0), "1 or 2"));
    }
    let pick = |second_available: bool| ActionOrder::chosen(order, second_available);
    let mut deformation = None;
    let (source, table, inputs): (&str, ActionTable, Option<InputSet>) = match (network, width, widths, f) {
        (None, None, None, Some(f)) => {
            let experiments = experiments
                .map(|e| integer(e, "experiments", 4, "an integer >= 4 dividing the nets"))
                .transpose()?
                .unwrap_or(10) as usize;
            let a = crate::analyze::one(f, "f", experiments, 6, &progress)?;
            let xs = x.map(input_set).transpose()?;
            if let Some(xs) = &xs
                && xs.len() != a.inputs
            {
                return Err(invalid("x", format!("{} points", xs.len()), &format!("the array's {} points", a.inputs)));
            }
            let order = measured_order(&a, order);
            ("array", py.detach(|| measured_action(&a, order)).map_err(value_error)?, xs)
        }
        (Some(network), Some(width), None, None) => {
            let width = integer(width, "width", 1, "an integer >= 1")? as usize;
            let c = Configuration::from_args(network, x, d_in, sigma_w, sigma_b)?;
            let table = py.detach(|| exact_action(c.net(), width, c.inputs(), pick(true))).map_err(value_error)?;
            if let Some(lambdas) = deform_quartic {
                let lambdas: Vec<f64> = lambdas
                    .try_iter()
                    .and_then(|it| it.map(|l| l.and_then(|l| real(&l, "deform_quartic", "numbers > 0"))).collect())
                    .map_err(|_| invalid("deform_quartic", "not a list of numbers", "a list of numbers > 0"))?;
                let settings = QuarticDeformation {
                    width,
                    measure: measure.map_or(Ok(1.0), |m| real(m, "measure", "a number > 0"))?,
                    lambdas,
                    nets: nets.map_or(Ok(100_000), |n| integer(n, "nets", 1, "an integer >= 1"))?,
                    experiments: experiments.map_or(Ok(10), |e| integer(e, "experiments", 2, "an integer >= 2"))?
                        as usize,
                    seed: seed.map_or(Ok(nnqft_sampling::DEFAULT_SEED), |s| {
                        integer(s, "seed", 0, "an integer in [0, 2**64)")
                    })?,
                };
                let threads = thread_count(threads)?;
                let rows =
                    py.detach(|| deform_quartic_rows(c.net(), c.inputs(), &settings, threads)).map_err(value_error)?;
                deformation = Some(rows);
            }
            ("exact", table, Some(c.inputs().clone()))
        }
        (Some(network), None, Some(widths), None) => {
            let checked = crate::deep::deep_network(network, widths, x, d_in, d_out, sigma_w, sigma_b, critical)?;
            let table = interruptible(py, &Progress::Off, 0, "", "nnqft.action", |monitor| {
                deep_action_with_monitor(checked.network(), checked.inputs(), pick(false), monitor).map_err(value_error)
            })?;
            ("deep", table, Some(checked.inputs().clone()))
        }
        _ => {
            let given: Vec<&str> = [("network", network), ("width", width), ("widths", widths), ("f", f)]
                .iter()
                .filter_map(|(name, v)| v.map(|_| *name))
                .collect();
            return Err(invalid("network", format!("the arguments {given:?}"), SOURCES));
        }
    };
    let profile = inputs.map(|xs| locality(&table.action, &xs)).transpose().map_err(value_error)?.unwrap_or_default();
    let out = PyDict::new(py);
    out.set_item("couplings", into_dict(py, couplings_table(source, table))?)?;
    out.set_item("locality", into_dict(py, locality_table(&profile))?)?;
    if let Some(rows) = deformation {
        out.set_item("deformation", into_dict(py, deformation_table(&rows))?)?;
    }
    Ok(out)
}
