//! `nnqft.sample`: one seeded ensemble, as `cargo xtask sample` runs it (the master seed goes
//! to `Ensemble::new` unchanged), summarised over experiments into the columns of
//! `correlators.parquet`. The interpreter is released while the nets are drawn.

use crate::configuration::{Configuration, integer, text, threads as thread_count};
use crate::error::{invalid, sampling_error, value_error};
use crate::interrupt::{Progress, interruptible};
use crate::table::into_dict;
use crate::theory::exact_if_available;
use nnqft_sampling::{Ensemble, EnsembleResult, Estimator};
use nnqft_stats::Summary;
use nnqft_study::scaling::{CorrelatorColumns, GpTensors, nnqft_theory_gp};
use nnqft_study::table::Table;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Everything a sampled table is made of, computed without the interpreter.
struct Sampled {
    result: EnsembleResult,
    summaries: [Summary; 3],
    gp: GpTensors,
    exact: Option<[Vec<f64>; 3]>,
}

/// Samples `experiments` independent ensembles of `nets` networks of width N and measures
/// the correlators G(n), n = 2, 4, 6, at every multiset of input indices.
///
/// Returns a dict of columns with the names of `correlators.parquet`: `network`, `d_in`,
/// `width`, `n`, `indices`, `estimator`, `g_mean` (mean over experiments), `g_stderr`
/// (its standard error), `g_std_experiments`, `g_gp` (the GP value) and `g_exact` (exact
/// finite-width theory; NaN where it does not cover the network, and for erf beyond
/// d_in = 3, where its quadrature would take hours). `pandas.DataFrame(d)` and
/// `polars.DataFrame(d)` take it as it is.
///
/// Arguments: `network` in erf, relu, gauss, cos (the Cos-net of arXiv:2307.03223: cos(w.x + b),
/// b uniform on [-pi, pi], no output bias, `sigma_b` 0); `width` (N) >= 1; `nets` per experiment >= 1;
/// `experiments` >= 2; `x`, `d_in`, `sigma_w`, `sigma_b` as for `gp`; `estimator` one of
/// raw, conditional, conditional_cv, bias_integrated (gauss only); `seed` an integer in
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
    network, width, *, nets = None, experiments = None, x = None, d_in = None, sigma_w = None,
    sigma_b = None, estimator = None, seed = None, threads = None, per_experiment = None, progress = None
),
text_signature = "(network, width, *, nets=100000, experiments=10, x=None, d_in=None, sigma_w=1.0, sigma_b=None, \
estimator='conditional', seed=20200818, threads=None, per_experiment=False, progress=False)")]
#[allow(clippy::too_many_arguments)]
pub fn sample<'py>(
    py: Python<'py>,
    network: &Bound<'py, PyAny>,
    width: &Bound<'py, PyAny>,
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
    let c = Configuration::from_args(network, x, d_in, sigma_w, sigma_b)?;
    let width = integer(width, "width", 1, "an integer >= 1")? as usize;
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

/// The estimators, in words.
const ESTIMATORS: &str = "raw, conditional, conditional_cv or bias_integrated (gauss only)";

fn table(net: &nnqft_theory::Network, width: usize, est: Estimator, s: &Sampled, per_experiment: bool) -> Table {
    let mut cols = CorrelatorColumns::default();
    cols.push_block(net, width, est, &s.result, &s.summaries, &s.gp.tensors, s.exact.as_ref());
    cols.into_table(per_experiment)
}
