//! `nnqft.ntk`: the neural tangent kernel table of a deep network, computed by the library as
//! `nnqft ntk` computes it (`nnqft_study::ntk_table`), with the same columns; the nets, if any,
//! are sampled with the interpreter released.

use crate::configuration::{flag, integer, real, threads as thread_count};
use crate::deep::deep_network;
use crate::error::{invalid, sampling_error, value_error};
use crate::interrupt::{Progress, interruptible};
use crate::table::into_dict;
use nnqft_study::ntk_table::{NtkSampling, NtkSettings, NtkTable};
use nnqft_study::{Direct, StudyError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The neural tangent kernel of a deep network on an input set, per pair of (output, point)
/// pairs: the table of `nnqft ntk`'s `ntk.parquet` (`NtkTable::table`, one implementation for both).
///
/// Network as for `nnqft.theory`; the NTK `Theta_ij(x_a, x_b)` sums, over every parameter, the
/// products of the derivatives of `f_i(x_a)` and `f_j(x_b)`, each weight of layer l weighted by
/// `lambda_w / n(l-1)` and each bias by `lambda_b` (default `lambda_w = C_W`, `lambda_b = C_b`: the
/// NTK parameterisation). Columns: `network`, `d_in`, `sigma_w`, `sigma_b`, `x_set`, `depth`,
/// `widths`, `lambda_w`, `lambda_b`, `indices` (the input of each factor), `outputs` (its output),
/// `theta_inf` (infinite width: `delta_ij Theta(x_a, x_b)` of the layer recursion),
/// `theta_shift_leading_order` (the 1/n shift `delta_ij T(x_a, x_b)` of the mean NTK, each layer's
/// term over its own width; NaN beyond 8 input points), `theta_inf_error` and
/// `theta_shift_leading_order_error` (the propagated bounds of their quadrature errors, 0 where
/// every expectation is a closed form), with `nets`
/// also `theta_mean` and `theta_stderr` (the mean over `experiments` experiments of each
/// experiment's mean per-network NTK, and its standard error), then `g_gp` (infinite width:
/// `delta_ij K(x_a, x_b)`) and with `nets` `g2_mean`, `g2_stderr` (the same for
/// `f_i(x_a) f_j(x_b)` of the same nets).
///
/// Arguments: `network`, `widths`, `x`, `d_in`, `d_out`, `sigma_w`, `sigma_b`, `critical` as for
/// `nnqft.theory`; `lambda_w`, `lambda_b` finite and >= 0; `nets` >= 1 nets per experiment (None:
/// no sampling); `experiments` >= 2; `seed` an integer in [0, 2**64) (the same seed gives the same
/// numbers as `nnqft ntk --seed`, with any number of threads); `threads` >= 1 or None for all
/// cores; `progress` False, True (a tqdm bar of the nets, if tqdm is installed) or a callable
/// `progress(done, total)`, as for `nnqft.sample`; `fluctuations` False (default) or True, which
/// returns instead the table of `nnqft ntk`'s `ntk_fluctuations.parquet` (at most 8 input points
/// and 16 (output, point) pairs; ValueError beyond): per pair of rows, `ntk_indices`,
/// `ntk_outputs` (the NTK's pair), `indices`, `outputs` (the second pair),
/// `covariance_leading_order` (Cov(Theta_i1i2(x_a, x_b), Theta_i3i4(x_c, x_d)) at order 1/n, from
/// the tensors A and B), `covariance_leading_order_error` (its propagated quadrature error
/// bound), with `nets` `covariance_mean`, `covariance_stderr` (measured), then
/// `cross_leading_order` (Cov(Theta_i1i2(x_a, x_b), f_i3(x_c) f_i4(x_d)), from D and F),
/// `cross_leading_order_error` and with
/// `nets` `cross_mean`, `cross_stderr`; `dntk` False (default) or True, which returns instead the
/// table of `nnqft ntk --dntk`'s `ntk_dntk.parquet` (at most 8 input points and 16 (output, point)
/// pairs, not gauss; ValueError beyond), the dNTK's correlation with the outputs: per row of the
/// NTK table (`ntk_indices` `a1,a2`, `ntk_outputs` `i1,i2`) and ordered pair of the direction's
/// and the output's (output, point) pairs (`indices` `a0,a3`, `outputs` `i0,i3`),
/// `dntk_preactivation_leading_order` (E[dTheta_(i0 i1 i2; a0 a1 a2) f_i3(x_a3)] at order 1/n, from
/// PDLT's tensors P and Q), `dntk_preactivation_leading_order_error` (its propagated quadrature
/// error bound) and with `nets` `dntk_preactivation_mean`, `dntk_preactivation_stderr` (measured
/// from `experiments` experiments of `nets` nets with the same seed); `ddntk` False (default) or
/// True, which returns instead the table of `nnqft ntk --ddntk`'s `ntk_ddntk.parquet` (the same
/// reach as `dntk`), the means of the NTK's two second-order differentials
/// `ddI Theta_(p0 p1; p2 p3)` and `ddII Theta_(p0 p1; p2 p3)` (`p = (i, a)` an (output, point)
/// pair): per row of the NTK table (`ntk_indices` `a2,a3`, `ntk_outputs` `i2,i3`) and ordered
/// pair of the two gradient directions' (output, point) pairs (`indices` `a0,a1`, `outputs`
/// `i0,i1`), `ddi_leading_order` (E[ddI Theta] at order 1/n, exact for one hidden layer),
/// `ddi_leading_order_error` (its propagated quadrature error bound), with `nets` `ddi_mean`,
/// `ddi_stderr` (measured), then `ddii_leading_order`, `ddii_leading_order_error` and with
/// `nets` `ddii_mean`, `ddii_stderr` for ddII; the leading orders are NaN for networks with
/// more than one hidden layer (their theory is not derived; the measured columns are filled).
/// At most one of `fluctuations`, `dntk` and `ddntk`. At most 255 (output, point) pairs. Ctrl-C stops the sampling with
/// KeyboardInterrupt. Raises ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (
    network, widths, *, x = None, d_in = None, d_out = None, sigma_w = None, sigma_b = None, critical = None,
    lambda_w = None, lambda_b = None, nets = None, experiments = None, seed = None, threads = None, progress = None,
    fluctuations = None, dntk = None, ddntk = None
), text_signature = "(network, widths, *, x=None, d_in=None, d_out=1, sigma_w=None, sigma_b=None, critical=False, \
lambda_w=None, lambda_b=None, nets=None, experiments=10, seed=20200818, threads=None, progress=False, \
fluctuations=False, dntk=False, ddntk=False)")]
#[allow(clippy::too_many_arguments)]
pub fn ntk<'py>(
    py: Python<'py>,
    network: &Bound<'py, PyAny>,
    widths: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    d_in: Option<&Bound<'py, PyAny>>,
    d_out: Option<&Bound<'py, PyAny>>,
    sigma_w: Option<&Bound<'py, PyAny>>,
    sigma_b: Option<&Bound<'py, PyAny>>,
    critical: Option<&Bound<'py, PyAny>>,
    lambda_w: Option<&Bound<'py, PyAny>>,
    lambda_b: Option<&Bound<'py, PyAny>>,
    nets: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
    fluctuations: Option<&Bound<'py, PyAny>>,
    dntk: Option<&Bound<'py, PyAny>>,
    ddntk: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let progress = Progress::from_arg(py, progress)?;
    let fluctuations = flag(fluctuations, "fluctuations")?;
    let dntk = flag(dntk, "dntk")?;
    let ddntk = flag(ddntk, "ddntk")?;
    if fluctuations && dntk {
        return Err(invalid("dntk", "True", "False with fluctuations=True (one table per call)"));
    }
    if ddntk && dntk {
        return Err(invalid("ddntk", "True", "False with dntk=True (one table per call)"));
    }
    if ddntk && fluctuations {
        return Err(invalid("ddntk", "True", "False with fluctuations=True (one table per call)"));
    }
    let checked = deep_network(network, widths, x, d_in, d_out, sigma_w, sigma_b, critical)?;
    let rate = |v: Option<&Bound<'py, PyAny>>, name: &str| v.map(|v| real(v, name, "finite and >= 0")).transpose();
    let (lambda_w, lambda_b) = (rate(lambda_w, "lambda_w")?, rate(lambda_b, "lambda_b")?);
    let nets = nets.map(|n| integer(n, "nets", 1, "an integer >= 1 (nets per experiment), or None")).transpose()?;
    let experiments =
        experiments.map_or(Ok(10), |e| integer(e, "experiments", 2, "an integer >= 2 (standard errors need two)"))?;
    if let Some(n) = nets
        && n.checked_mul(experiments).is_none()
    {
        return Err(invalid("nets", n, "an integer >= 1 with nets * experiments < 2**64"));
    }
    let experiments = usize::try_from(experiments)
        .map_err(|_| invalid("experiments", experiments, "an integer >= 2 that fits the platform's usize"))?;
    let seed = seed.map_or(Ok(nnqft_sampling::DEFAULT_SEED), |s| integer(s, "seed", 0, "an integer in [0, 2**64)"))?;
    let threads = thread_count(threads)?;
    let sampling = nets.map(|nets| NtkSampling { nets, experiments, seed });
    let settings = NtkSettings { lambda_w, lambda_b, sampling, dntk, ddntk };
    // the NTK's nets, and the dNTK's or the ddNTK's as many again
    let total = nets.map_or(0, |n| (n * experiments as u64).saturating_mul(1 + u64::from(dntk || ddntk)));
    let (table, rows) = interruptible(py, &progress, total, "nets", "nnqft.ntk", |monitor| {
        let run = || {
            let table = NtkTable::with_monitor(checked.network(), checked.inputs(), &settings, monitor)?;
            let rows = table.rows(&Direct::new(seed, threads).with_monitor(monitor))?;
            Ok::<_, StudyError>((table, rows))
        };
        run().map_err(|e| match e {
            StudyError::Sampling(s) => sampling_error(s),
            other => value_error(other),
        })
    })?;
    if ddntk {
        let t = table.ddntk_table(&rows).ok_or_else(|| invalid("ddntk", "True", "a table with the ddNTK"))?;
        return into_dict(py, t);
    }
    if dntk {
        let t = table.dntk_table(&rows).ok_or_else(|| invalid("dntk", "True", "a table with the dNTK"))?;
        return into_dict(py, t);
    }
    if fluctuations {
        let t = table.fluctuation_table(&rows).ok_or_else(|| {
            invalid("fluctuations", "True", "False for more than 8 input points or 16 (output, point) pairs")
        })?;
        return into_dict(py, t);
    }
    into_dict(py, table.table(rows))
}
