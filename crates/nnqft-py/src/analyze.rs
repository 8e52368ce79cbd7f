//! `nnqft.analyze`: the field-theory analysis of network outputs made anywhere (NumPy, PyTorch,
//! JAX, ...), the tables of `nnqft analyze` with the same columns (`nnqft_study::analyze`).

use crate::configuration::{Configuration, as_float_array, flag, input_set, integer, real, text};
use crate::error::{invalid, value_error, value_error_in};
use crate::interrupt::{Progress, interruptible};
use crate::table::into_dict;
use nnqft_fit::{Loss, Model};
use nnqft_study::action::{couplings_blocks_table, measured_action, measured_order};
use nnqft_study::analyze::{
    Analysis, NamedAnalysis, analyze_outputs_with_progress, correlators_table, fits_table, summary_table, width_scan,
};
use nnqft_study::correlator_fit::{FittedBlock, connected_fits_table, fit_connected};
use nnqft_theory::Activation;
use numpy::{PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

const F_ALLOWED: &str = "an array of shape (nets, points) or (nets, points, outputs) of finite numbers (NumPy, or \
                         anything numpy.asarray reads: a PyTorch CPU tensor without grad, a JAX array), or a list of \
                         them with width=[...]";

/// One array, analysed with the interpreter released (interruptible, with `progress` over its
/// nets).
pub fn one<'py>(
    f: &Bound<'py, PyAny>,
    field: &str,
    experiments: usize,
    max_order: usize,
    progress: &Progress<'py>,
) -> PyResult<Analysis> {
    let array = as_float_array(f).map_err(|e| invalid(field, format!("a value numpy cannot read ({e})"), F_ALLOWED))?;
    let shape = array.shape().to_vec();
    let (points, outputs) = match shape.as_slice() {
        [_, p] => (*p, 1),
        [_, p, o] => (p * o, *o),
        _ => return Err(invalid(field, format!("an array of shape {shape:?}"), F_ALLOWED)),
    };
    if points == 0 {
        return Err(invalid(field, format!("an array of shape {shape:?}"), F_ALLOWED));
    }
    let ro = array.readonly();
    let values = ro.as_slice().map_err(|e| value_error_in(field, e))?;
    let nets = (values.len() / points) as u64;
    interruptible(f.py(), progress, nets, "nets", "nnqft.analyze", |monitor| {
        analyze_outputs_with_progress(values, points, outputs, experiments, max_order, monitor)
            .map_err(|e| value_error_in(field, e))
    })
}

/// The analysis of network outputs that nnqft did not sample.
///
/// `f` is one ensemble's outputs, an array of shape (nets, points) or (nets, points, outputs)
/// (NumPy; a PyTorch CPU tensor or a JAX array through numpy.asarray, without a copy where it
/// is already C-ordered float64, so that a float64 np.load(..., mmap_mode="r") array is read
/// from disk as needed; other dtypes and layouts are converted, a copy), or a list of such
/// arrays, one per width, with `width` the list of widths (a width scan). The tables' `source`
/// is "array i" (the CLI's: the file name) and a missing width is NaN (the CLI's: null). The nets are split into `experiments` (>= 4, dividing the nets) equal experiments of
/// consecutive nets.
///
/// Returns a dict of three tables (dicts of columns, as `nnqft analyze` writes them):
/// `"correlators"` (analysis.parquet: per multiset of orders 2, 4, 6 (and 8 with `max_order` = 8: 6 or
/// 8, the highest even order measured; 8 needs experiments >= 5 and at most 11 points), `g_mean`, `g_stderr`,
/// `g_std_experiments`, `g_gp` the Wick sum of the measured G2 and `connected` the cumulant,
/// both unbiased, with jackknife standard errors), `"summary"` (analysis_summary.parquet: `m_n`
/// and its background per order) and `"fits"` (analysis_fits.parquet: the 1/N scaling fits of
/// a width scan; no rows otherwise). `x`, if given (an x-set name, file or array of points), is
/// checked against the number of points. `summary`'s `mean_max_abs_z` is the largest
/// |mean output| / stderr over the points: `g_gp` and `connected` assume outputs of mean zero.
/// With `eft` (erf, relu, gauss or cos: a network whose closed-form kernel, with `d_in` (>= 1),
/// `sigma_w` (>= 0, default 1), `sigma_b` (>= 0, default the paper's) and `cutoff` (> 0 or inf,
/// default the paper's), gives Table 5's vertex integrals over the points `x`, which are then
/// required), the dict has a fourth table, `"table5"` (analysis_table5.parquet of `nnqft analyze
/// --eft`): Table 5's models fitted to each array's connected G4, the couplings lambda0, lambda2,
/// lambda_nl with delete-one jackknife standard errors over experiments; the measured G2 must lie
/// within the 5-sigma t threshold of the kernel, else ValueError names `eft`.
/// With `action=True` the dict has a table `"action"` (analysis_action.parquet of `nnqft analyze
/// --action`, the columns of `nnqft.action()["couplings"]`): each array's action S(f) = -log p(f)
/// on its points, reconstructed from its measured G2 and connected parts (order 1/N^2 on at most
/// 10 (point, output) pairs, else 1/N), with delete-one jackknife standard errors; a singular or
/// ill-conditioned G2 raises ValueError naming `action`.
/// `progress`: False, True (a tqdm bar of the nets read, per array, if tqdm is installed) or a
/// callable `progress(done, total)`, as for `nnqft.sample`; Ctrl-C stops the call with
/// KeyboardInterrupt. Raises ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (f, *, width = None, experiments = None, x = None, progress = None, eft = None, d_in = None,
    sigma_w = None, sigma_b = None, cutoff = None, max_order = None, action = None),
    text_signature = "(f, *, width=None, experiments=10, x=None, progress=False, eft=None, d_in=None, sigma_w=None, \
    sigma_b=None, cutoff=None, max_order=6, action=False)")]
#[allow(clippy::too_many_arguments)]
pub fn analyze<'py>(
    py: Python<'py>,
    f: &Bound<'py, PyAny>,
    width: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    x: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
    eft: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
    cutoff: Option<&Bound<'py, PyAny>>,
    max_order: Option<&Bound<'py, PyAny>>,
    action: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let progress = Progress::from_arg(py, progress)?;
    let action = flag(action, "action")?;
    const MAX_ORDER: &str = "6 (G2, G4, G6) or 8 (and G8)";
    let max_order = match max_order.filter(|m| !m.is_none()) {
        None => 6,
        Some(m) => {
            let m = integer(m, "max_order", 6, MAX_ORDER)? as usize;
            if !nnqft_sampling::OutputStream::MAX_ORDERS.contains(&m) {
                return Err(invalid("max_order", m.to_string(), MAX_ORDER));
            }
            m
        }
    };
    // eft: the fit problem, checked before any array is read
    let eft = match eft.filter(|e| !e.is_none()) {
        None => None,
        Some(e) => {
            const EFT: &str = "erf, relu, gauss or cos";
            let act = Activation::parse(&text(e, "eft", EFT)?).map_err(|err| value_error_in("eft", err))?;
            let x = x
                .filter(|x| !x.is_none())
                .ok_or_else(|| invalid("x", "None", "the ensemble's points (required with eft)"))?;
            let d_in = d_in.map(|d| integer(d, "d_in", 1, "an integer >= 1")).transpose()?;
            let sigma_w = sigma_w.map(|s| real(s, "sigma_w", "finite and >= 0")).transpose()?;
            let sigma_b = sigma_b.map(|s| real(s, "sigma_b", "finite and >= 0")).transpose()?;
            let c = Configuration::new(act, d_in, sigma_w, sigma_b, Some(input_set(x)?))?;
            let cut = crate::fit::cutoff_arg(cutoff, act)?;
            let problem = py.detach(|| crate::fit::fit_problem(&c, cut))?;
            Some((act, c.net().d_in(), problem, cut.value()))
        }
    };
    let experiments = experiments
        .map(|e| integer(e, "experiments", 4, "an integer >= 4 dividing the nets"))
        .transpose()?
        .unwrap_or(10) as usize;
    // a width scan: a list of arrays with a list of widths; anything else is one array (a nested
    // list of numbers included)
    let sequence = |v: &Bound<'py, PyAny>| v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>();
    let is_list = sequence(f) && width.is_some_and(sequence);
    let arrays: Vec<Bound<'py, PyAny>> =
        if is_list { f.try_iter()?.collect::<PyResult<_>>()? } else { vec![f.clone()] };
    let widths: Option<Vec<usize>> = match width {
        None => None,
        Some(w) if w.is_none() => None,
        Some(w) if is_list => Some(
            w.try_iter()?
                .map(|v| integer(&v?, "width", 1, "integers >= 1").map(|v| v as usize))
                .collect::<PyResult<_>>()?,
        ),
        Some(w) => {
            Some(vec![integer(w, "width", 1, "an integer >= 1, or a list of them with a list of arrays")? as usize])
        }
    };
    if let Some(w) = &widths
        && w.len() != arrays.len()
    {
        return Err(invalid("width", format!("{} widths for {} arrays", w.len(), arrays.len()), "one width per array"));
    }
    if arrays.is_empty() {
        return Err(invalid("f", "an empty list", F_ALLOWED));
    }
    let points_of_x = x.map(|x| input_set(x).map(|xs| xs.len())).transpose()?;
    let mut analyses = Vec::with_capacity(arrays.len());
    for (i, a) in arrays.iter().enumerate() {
        let field = if is_list { format!("f[{i}]") } else { "f".into() };
        let analysis = one(a, &field, experiments, max_order, &progress)?;
        if let Some(first) = analyses.first().map(|(_, a): &(String, Analysis)| a)
            && (first.inputs, first.outputs) != (analysis.inputs, analysis.outputs)
        {
            return Err(invalid(
                &field,
                format!("{} points x {} outputs", analysis.inputs, analysis.outputs),
                &format!("the points and outputs of f[0]: {} x {}", first.inputs, first.outputs),
            ));
        }
        analyses.push((format!("array {i}"), analysis));
    }
    if let Some(m) = points_of_x
        && m != analyses[0].1.inputs
    {
        return Err(invalid("x", format!("{m} points"), &format!("the arrays' {} points", analyses[0].1.inputs)));
    }
    let fits = match &widths {
        Some(w) if w.len() >= 2 => {
            let scan: Vec<(usize, &Analysis)> = w.iter().copied().zip(analyses.iter().map(|(_, a)| a)).collect();
            width_scan(&scan).map_err(value_error)?
        }
        _ => Vec::new(),
    };
    let named: Vec<NamedAnalysis<'_>> = analyses
        .iter()
        .enumerate()
        .map(|(i, (source, analysis))| NamedAnalysis { source, width: widths.as_ref().map(|w| w[i]), analysis })
        .collect();
    let out = PyDict::new(py);
    out.set_item("correlators", into_dict(py, correlators_table(&named))?)?;
    out.set_item("summary", into_dict(py, summary_table(&named))?)?;
    out.set_item("fits", into_dict(py, fits_table(&fits))?)?;
    if action {
        let mut blocks = Vec::with_capacity(named.len());
        for e in &named {
            let order = measured_order(e.analysis, None);
            let table =
                py.detach(|| measured_action(e.analysis, order)).map_err(|err| value_error_in("action", err))?;
            blocks.push((e.source.to_string(), table));
        }
        out.set_item("action", into_dict(py, couplings_blocks_table(blocks))?)?;
    }
    if let Some((act, d_in, problem, cutoff)) = eft {
        let mut ensembles = Vec::with_capacity(named.len());
        for e in &named {
            let fits = fit_connected(&problem, e.analysis, &Model::ALL, &Loss::ALL)
                .map_err(|err| value_error_in("eft", err))?;
            let block = FittedBlock { width: e.width.map(|w| w as i64), estimator: Some("raw".into()), fits };
            ensembles.push((e.source.to_string(), block));
        }
        out.set_item("table5", into_dict(py, connected_fits_table(act.name(), d_in, cutoff, &ensembles))?)?;
    }
    Ok(out)
}
