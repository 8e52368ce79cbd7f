//! `nnqft.sample`: one seeded ensemble, as `cargo xtask sample` runs it (the master seed goes
//! to `Ensemble::new` unchanged), summarised over experiments into the columns of
//! `correlators.parquet`. The interpreter is released while the nets are drawn.

use crate::configuration::{Configuration, integer, text, threads as thread_count};
use crate::error::{invalid, sampling_error, study_error, value_error};
use crate::interrupt::{Progress, interruptible};
use crate::table::into_dict;
use crate::theory::exact_if_available;
use nnqft_sampling::{Ensemble, EnsembleResult, Estimator};
use nnqft_stats::Summary;
use nnqft_study::Direct;
use nnqft_study::deep_sample::DeepSample;
use nnqft_study::network_spec::CheckedDeepNetwork;
use nnqft_study::scaling::{CorrelatorColumns, GpTensors, nnqft_theory_gp};
use nnqft_study::table::Table;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// Everything a sampled table is made of, computed without the interpreter.
struct Sampled {
    result: EnsembleResult,
    summaries: [Summary; 3],
    gp: GpTensors,
    exact: Option<[Vec<f64>; 3]>,
}

/// Samples `experiments` independent ensembles of `nets` networks of width N (or of hidden
/// widths n_1..n_L) and measures the correlators G(n), n = 2, 4, 6, at every multiset of input
/// indices (of (output, point) pairs for a deep network).
///
/// Returns a dict of columns with the names of `correlators.parquet`: `network`, `d_in`,
/// `depth`, `width`, `widths`, `n`, `indices`, `outputs`, `estimator`, `g_mean` (mean over
/// experiments), `g_stderr` (its standard error), `g_std_experiments`, `g_gp` (the GP value),
/// `shift_leading_order` and `connected_leading_order` (deep networks: the 1/n shift S of
/// G2 = K + S + O(1/n^2), and the leading connected G4 - Wick4(G2) at order 1/n and G6 at order
/// 1/n^2; NaN elsewhere) and `g_exact` (exact finite-width theory; NaN where it does not cover
/// the network, and for erf beyond d_in = 3, where its quadrature would take hours).
/// `pandas.DataFrame(d)` and `polars.DataFrame(d)` take it as it is.
///
/// Arguments: `network` in erf, relu, gauss, cos (the Cos-net of arXiv:2307.03223: cos(w.x + b),
/// b uniform on [-pi, pi], no output bias, `sigma_b` 0) at one hidden layer, and with `widths` or
/// `d_out` > 1 any deep activation (erf, relu, tanh, linear, gelu, silu, softplus, sigmoid, sin;
/// gauss at one layer), as `nnqft.theory` takes it; `width` (N) >= 1, or None with `widths` a
/// non-empty list of hidden widths >= 1 (one of the two: as `sample --width`/`--widths`, a paper
/// network with one width and one output is the one-layer ensemble, anything else the deep one,
/// whose G6 is measured up to 12 (output, point) pairs); `d_out` >= 1 outputs; `nets` per
/// experiment >= 1; `experiments` >= 2; `x`, `d_in`, `sigma_w`, `sigma_b` as for `gp` (deep
/// networks: as for `nnqft.theory`, default the deep priors); `estimator` one of
/// raw, conditional, conditional_cv, bias_integrated (gauss only; deep networks: raw or
/// conditional); `seed` an integer in
/// [0, 2**64); `threads` >= 1 or None for all cores. The same arguments and seed give the
/// same numbers as `cargo xtask sample` with any number of threads. `per_experiment`: False
/// (default) or True, with which the table gains a column `g_experiments`: for each row a NumPy array
/// of the experiments' means (what `g_mean` and `g_stderr` summarise), for statistics of your
/// own (a jackknife, say) and for the standard errors of `nnqft.fit`'s couplings. `progress`:
/// False (default), True (a tqdm bar of the nets drawn, when tqdm is installed; nothing
/// otherwise) or a callable `progress(done, total)`, called from the calling thread as work
/// items of 4096 nets end. The GIL is released while sampling; Ctrl-C (or Jupyter's interrupt)
/// stops the call with KeyboardInterrupt after the work items running (at most one per thread).
/// Raises ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (
    network, width = None, *, widths = None, d_out = None, nets = None, experiments = None, x = None, d_in = None,
    sigma_w = None, sigma_b = None, estimator = None, seed = None, threads = None, per_experiment = None,
    progress = None
),
text_signature = "(network, width=None, *, widths=None, d_out=1, nets=100000, experiments=10, x=None, d_in=None, \
sigma_w=None, sigma_b=None, estimator='conditional', seed=20200818, threads=None, per_experiment=False, \
progress=False)")]
#[allow(clippy::too_many_arguments)]
pub fn sample<'py>(
    py: Python<'py>,
    network: &Bound<'py, PyAny>,
    width: Option<&Bound<'py, PyAny>>,
    widths: Option<&Bound<'py, PyAny>>,
    d_out: Option<&Bound<'py, PyAny>>,
    nets: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    x: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
    estimator: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    per_experiment: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let per_experiment = crate::configuration::flag(per_experiment, "per_experiment")?;
    let progress = Progress::from_arg(py, progress)?;
    const WIDTH: &str = "an integer >= 1 (one hidden layer), or None with widths=[n_1, ..., n_L]";
    const WIDTHS: &str = "a non-empty list of integers >= 1 (the hidden widths n_1..n_L), or None with width=N";
    let hidden = match (width, widths) {
        (Some(w), None) => {
            vec![usize::try_from(integer(w, "width", 1, WIDTH)?).map_err(|_| invalid("width", w, WIDTH))?]
        }
        (None, Some(ws)) => crate::configuration::integer_list(ws, "widths", 1, WIDTHS)?,
        (Some(w), Some(_)) => return Err(invalid("width", w, "None when widths is given (one or the other)")),
        (None, None) => return Err(invalid("width", "None", WIDTH)),
    };
    let one_output = d_out.map_or(Ok(1), |d| integer(d, "d_out", 1, "an integer >= 1"))? == 1;
    // as `sample` decides: a paper network with one hidden layer and one output, else a deep one
    if !(hidden.len() == 1 && one_output && crate::configuration::activation(network).is_ok()) {
        let list = PyList::new(py, &hidden)?.into_any();
        let checked = crate::deep::deep_network(network, &list, x, d_in, d_out, sigma_w, sigma_b, None)?;
        return deep(py, checked, nets, experiments, estimator, seed, threads, per_experiment, &progress);
    }
    let c = Configuration::from_args(network, x, d_in, sigma_w, sigma_b)?;
    let width = hidden[0];
    let (nets, experiments, est, seed) = counts(nets, experiments, estimator, seed)?;
    let threads = thread_count(threads)?;
    let ens =
        Ensemble::new(*c.net(), width, c.inputs().clone(), nets, experiments, est, seed).map_err(sampling_error)?;
    let total = ens.nets_total();
    let sampled = interruptible(py, &progress, total, "nets", "nnqft.sample", |monitor| -> PyResult<Sampled> {
        let result = ens.run_with_progress(threads, monitor).map_err(sampling_error)?;
        let summaries = nnqft_study::scaling::summaries(&result).map_err(value_error)?;
        let gp = nnqft_theory_gp(c.net(), c.inputs()).map_err(value_error)?;
        let exact = exact_if_available(c.net(), c.inputs(), width).map_err(value_error)?.map(|e| e.g);
        Ok(Sampled { result, summaries, gp, exact })
    })?;
    into_dict(py, table(c.net(), width, est, &sampled, per_experiment))
}

/// The deep path of [`sample`]: the ensemble of `nnqft_study::deep_sample`, as `sample --widths`
/// runs it.
#[allow(clippy::too_many_arguments)]
fn deep<'py>(
    py: Python<'py>,
    checked: CheckedDeepNetwork,
    nets: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    estimator: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    per_experiment: bool,
    progress: &Progress<'py>,
) -> PyResult<Bound<'py, PyDict>> {
    let (nets, experiments, est, seed) = counts(nets, experiments, estimator, seed)?;
    let threads = thread_count(threads)?;
    let (net, xs) = checked.into_parts();
    let sample = DeepSample::new(net, xs, nets, experiments, est, seed).map_err(study_error)?;
    let total = sample.ensemble().nets().saturating_mul(experiments as u64);
    let cols = interruptible(py, progress, total, "nets", "nnqft.sample", |monitor| {
        sample.run(&Direct::new(seed, threads).with_monitor(monitor)).map_err(study_error)
    })?;
    into_dict(py, cols.into_table(per_experiment))
}

/// `nets`, `experiments`, `estimator` and `seed` of [`sample`], checked (defaults 100000, 10,
/// conditional, [`nnqft_sampling::DEFAULT_SEED`]).
fn counts(
    nets: Option<&Bound<'_, PyAny>>,
    experiments: Option<&Bound<'_, PyAny>>,
    estimator: Option<&Bound<'_, PyAny>>,
    seed: Option<&Bound<'_, PyAny>>,
) -> PyResult<(u64, usize, Estimator, u64)> {
    let nets = nets.map_or(Ok(100_000), |n| integer(n, "nets", 1, "an integer >= 1 (nets per experiment)"))?;
    let experiments =
        experiments.map_or(Ok(10), |e| integer(e, "experiments", 2, "an integer >= 2 (standard errors need two)"))?;
    if nets.checked_mul(experiments).is_none() {
        return Err(invalid("nets", nets, "an integer >= 1 with nets * experiments < 2**64"));
    }
    let experiments = usize::try_from(experiments)
        .map_err(|_| invalid("experiments", experiments, "an integer >= 2 that fits the platform's usize"))?;
    let est_name = estimator.map_or(Ok("conditional".to_string()), |e| text(e, "estimator", ESTIMATORS))?;
    let est = Estimator::parse(&est_name).map_err(sampling_error)?;
    let seed = seed.map_or(Ok(nnqft_sampling::DEFAULT_SEED), |s| integer(s, "seed", 0, "an integer in [0, 2**64)"))?;
    Ok((nets, experiments, est, seed))
}

/// The estimators, in words.
const ESTIMATORS: &str = "raw, conditional, conditional_cv or bias_integrated (gauss only)";

fn table(net: &nnqft_theory::Network, width: usize, est: Estimator, s: &Sampled, per_experiment: bool) -> Table {
    let mut cols = CorrelatorColumns::default();
    cols.push_block(net, width, est, &s.result, &s.summaries, &s.gp.tensors, s.exact.as_ref());
    cols.into_table(per_experiment)
}
