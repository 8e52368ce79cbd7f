//! The studies of `cargo xtask reproduce` as Python functions: `nnqft.scaling`, `nnqft.table5`,
//! `nnqft.rg`, `nnqft.depth`, `nnqft.ntk_study` and `nnqft.action_study` run a study at a profile's sizes (or the caller's) through the
//! study crate's `Direct` runner and return its tables, built by the study's own `tables()` (the
//! function the report writer calls), so the columns are the Parquet files' and, for the same
//! sizes and seed, the numbers too, bit for bit. Each runs under [`interruptible`] (Ctrl-C stops
//! it with `KeyboardInterrupt`; `progress=` counts its nets).

use crate::configuration::{integer, integer_list, text, threads as thread_count};
use crate::error::{invalid, study_error};
use crate::interrupt::{Progress, interruptible};
use crate::table::into_dict;
use nnqft_study::Direct;
use nnqft_study::plan::{Plan, Profile};
use nnqft_study::table::Table;
use nnqft_theory::DeepActivation;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The allowed values of `profile`, in words.
const PROFILES: &str = "one of quick, default, paper-full";

/// The allowed values of `experiments`, in words.
const EXPERIMENTS: &str = "an integer >= 2 (standard errors need two), or None for the profile's";

/// The allowed values of `nets`, in words.
const NETS: &str = "an integer >= 1 (nets per experiment), or None for the profile's";

/// The sizes every study takes: the profile, and the counts that override it.
struct Sizes {
    plan: Plan,
    experiments: Option<usize>,
    nets: Option<u64>,
    seed: u64,
    threads: usize,
}

impl Sizes {
    fn from_args(
        profile: Option<&Bound<'_, PyAny>>,
        experiments: Option<&Bound<'_, PyAny>>,
        nets: Option<&Bound<'_, PyAny>>,
        seed: Option<&Bound<'_, PyAny>>,
        threads: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let profile = match profile {
            None => Profile::Quick,
            Some(p) => {
                let name = text(p, "profile", PROFILES)?;
                name.parse::<Profile>().map_err(|_| invalid("profile", format!("{name:?}"), PROFILES))?
            }
        };
        let experiments = experiments.map(|e| integer(e, "experiments", 2, EXPERIMENTS)).transpose()?;
        let experiments =
            experiments.map(|e| usize::try_from(e).map_err(|_| invalid("experiments", e, EXPERIMENTS))).transpose()?;
        let nets = nets.map(|n| integer(n, "nets", 1, NETS)).transpose()?;
        let seed =
            seed.map_or(Ok(nnqft_sampling::DEFAULT_SEED), |s| integer(s, "seed", 0, "an integer in [0, 2**64)"))?;
        Ok(Self { plan: Plan::of(profile), experiments, nets, seed, threads: thread_count(threads)? })
    }

    /// `experiments` and `nets` of the call, else the profile's; refused when their product
    /// overflows.
    fn counts(&self, experiments: usize, nets: u64) -> PyResult<(usize, u64)> {
        let (e, n) = (self.experiments.unwrap_or(experiments), self.nets.unwrap_or(nets));
        if n.checked_mul(e as u64).is_none() {
            return Err(invalid("nets", n, "an integer >= 1 with nets * experiments < 2**64"));
        }
        Ok((e, n))
    }
}

/// A list argument of distinct integers `>= min`, or the profile's values when `None`.
fn distinct(value: Option<&Bound<'_, PyAny>>, field: &str, min: u64, allowed: &str) -> PyResult<Option<Vec<usize>>> {
    let Some(value) = value else { return Ok(None) };
    let list = integer_list(value, field, min, allowed)?;
    if list.iter().enumerate().any(|(i, v)| list[..i].contains(v)) {
        return Err(invalid(field, format!("{list:?}"), allowed));
    }
    Ok(Some(list))
}

/// The `depths` and `widths` arguments of a deep study, each a list of distinct integers `>= 1`
/// replacing the profile's (`None` keeps it).
fn layers(
    depths: Option<&Bound<'_, PyAny>>,
    widths: Option<&Bound<'_, PyAny>>,
    plan_depths: &mut Vec<usize>,
    plan_widths: &mut Vec<usize>,
) -> PyResult<()> {
    const ALLOWED: &str = "a non-empty list of distinct integers >= 1";
    if let Some(depths) = distinct(depths, "depths", 1, ALLOWED)? {
        *plan_depths = depths;
    }
    if let Some(widths) = distinct(widths, "widths", 1, ALLOWED)? {
        *plan_widths = widths;
    }
    Ok(())
}

/// A list argument of distinct names, each one `parse` accepts, or `None` when not given; a
/// string, an empty list, a repeated or unknown name is refused naming `field`.
fn distinct_names<T: PartialEq>(
    value: Option<&Bound<'_, PyAny>>,
    field: &'static str,
    allowed: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> PyResult<Option<Vec<T>>> {
    let Some(value) = value else { return Ok(None) };
    let shown = || value.repr().map_or_else(|_| "?".to_string(), |r| r.to_string());
    if value.is_instance_of::<pyo3::types::PyString>() {
        return Err(invalid(field, shown(), allowed));
    }
    let mut out: Vec<T> = Vec::new();
    for item in value.try_iter().map_err(|_| invalid(field, shown(), allowed))? {
        let name = text(&item?, field, allowed)?;
        let v =
            parse(&name).filter(|v| !out.contains(v)).ok_or_else(|| invalid(field, format!("{name:?}"), allowed))?;
        out.push(v);
    }
    if out.is_empty() {
        return Err(invalid(field, "[]", allowed));
    }
    Ok(Some(out))
}

/// Runs `study` on the calling thread's worker under [`interruptible`] and returns its tables
/// as a dict of tables (report stem -> dict of columns).
fn run_study<'py>(
    py: Python<'py>,
    progress: Option<&Bound<'py, PyAny>>,
    total: u64,
    what: &str,
    sizes: &Sizes,
    study: impl FnOnce(&Direct<'_>) -> nnqft_study::Result<Vec<(&'static str, Table)>> + Send,
) -> PyResult<Bound<'py, PyDict>> {
    let progress = Progress::from_arg(py, progress)?;
    let (seed, threads) = (sizes.seed, sizes.threads);
    let tables = interruptible(py, &progress, total, "nets", what, |monitor| {
        study(&Direct::new(seed, threads).with_monitor(monitor)).map_err(study_error)
    })?;
    let out = PyDict::new(py);
    for (stem, table) in tables {
        out.set_item(stem, into_dict(py, table)?)?;
    }
    Ok(out)
}

/// Nets over a study's planned ensembles (what `progress=` counts).
fn planned_nets(planned: nnqft_study::Result<Vec<nnqft_study::Planned>>) -> PyResult<u64> {
    Ok(planned.map_err(study_error)?.iter().fold(0, |n: u64, p| n.saturating_add(p.ensemble.nets_total())))
}

/// A study sized by `(experiments, nets)` alone (Table 5, the RG flow): its planned nets counted
/// by `ensembles`, then `run` under [`run_study`].
fn counted_study<'py>(
    py: Python<'py>,
    progress: Option<&Bound<'py, PyAny>>,
    what: &str,
    sizes: &Sizes,
    (experiments, nets): (usize, u64),
    ensembles: fn(usize, u64, u64) -> nnqft_study::Result<Vec<nnqft_study::Planned>>,
    run: impl FnOnce(&Direct<'_>, usize, u64) -> nnqft_study::Result<Vec<(&'static str, Table)>> + Send,
) -> PyResult<Bound<'py, PyDict>> {
    let total = planned_nets(ensembles(experiments, nets, sizes.seed))?;
    run_study(py, progress, total, what, sizes, |runner| run(runner, experiments, nets))
}

/// The N^-1 scaling study of the paper's section 2, as `cargo xtask reproduce` runs it: for
/// each paper network (erf, relu, gauss), input dimension d and width N, both estimators of the
/// network, `experiments` experiments of `nets` nets on the paper's scaling x-set, and
///
///     m_n = mean over multisets of |G(n) - G_GP(n)| / |G_GP(n)|,   n = 2, 4, 6,
///
/// which falls as N^-1 for n = 4, 6 (the connected 6-pt function as N^-2), with the paper's
/// least-squares power-law fits (over the widths whose signal exceeds 3x its background) and the
/// calibrated common-exponent fits, and exact finite-width theory where it exists.
///
/// Returns a dict of three tables (each a dict of columns, as `nnqft.sample` returns one), keyed
/// by the report file they equal: `correlators` (`correlators.parquet`: every multiset's
/// measured G(n), its errors, the GP and exact values), `scaling` (`scaling.parquet`: `network`,
/// `d_in`, `width`, `n`, `estimator`, `m_n`, `m_n_stderr`, `background`, `m_n_exact`,
/// `connected_6pt`, `connected_6pt_stderr`, `connected_6pt_background`, `connected_6pt_exact`)
/// and `scaling_fits` (`scaling_fits.parquet`: `network`, `d_in`, `n`, `estimator`, `quantity`,
/// `method`, `slope`, `slope_lo`, `slope_hi`, `slope_stderr`, `r2`, `widths_used`,
/// `slope_exact`, `slope_expected`).
///
/// Arguments: `profile` one of quick, default, paper-full (default quick: d = 1, widths
/// 2, 5, 20, 100, 4 experiments of 2000 nets; default: the paper's ten widths 2..1000, 10
/// experiments of 45000 nets; paper-full: the paper's 10 of 10^5, at d = 1, 2, 3); `dims` a list of distinct input
/// dimensions, each 1, 2 or 3; `widths` a list of distinct widths >= 1; `experiments` >= 2;
/// `nets` >= 1 per experiment (each None: the profile's); `seed` an integer in [0, 2**64) (the
/// master seed: each ensemble's seed derives from it and the ensemble's key, so the same sizes
/// and seed give `cargo xtask reproduce --profile P --seed S`'s tables bit for bit); `threads`
/// >= 1 or None for all cores (the numbers do not depend on it); `progress` False, True (a tqdm
/// bar of the nets) or a callable `progress(done, total)`. Ctrl-C stops it with
/// KeyboardInterrupt. Raises ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (profile = None, *, dims = None, widths = None, experiments = None, nets = None, seed = None,
    threads = None, progress = None),
    text_signature = "(profile='quick', *, dims=None, widths=None, experiments=None, nets=None, seed=20200818, \
threads=None, progress=False)")]
#[allow(clippy::too_many_arguments)]
pub fn scaling<'py>(
    py: Python<'py>,
    profile: Option<&Bound<'py, PyAny>>,
    dims: Option<&Bound<'py, PyAny>>,
    widths: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    nets: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let sizes = Sizes::from_args(profile, experiments, nets, seed, threads)?;
    let mut plan = sizes.plan.scaling.clone();
    if let Some(dims) = distinct(dims, "dims", 1, "a non-empty list of distinct integers, each 1, 2 or 3")? {
        if let Some(d) = dims.iter().find(|&&d| d > 3) {
            return Err(invalid("dims", d, "a non-empty list of distinct integers, each 1, 2 or 3"));
        }
        plan.dims = dims;
    }
    if let Some(widths) = distinct(widths, "widths", 1, "a non-empty list of distinct integers >= 1")? {
        plan.widths = widths;
    }
    (plan.experiments, plan.nets) = sizes.counts(plan.experiments, plan.nets)?;
    let total = planned_nets(nnqft_study::scaling::ensembles(&plan, sizes.seed))?;
    run_study(py, progress, total, "nnqft.scaling", &sizes, |runner| {
        Ok(nnqft_study::scaling::run(runner, &plan)?.tables())
    })
}

/// Table 5 of the paper (section 5): the EFT couplings of the connected 4-pt function,
///
///     Delta G4 = G4 - G4_GP ~ lambda0 T0 + lambda2 T2 + lambda_nl T_NL,
///
/// T the vertex integrals at the network's cutoff, fitted by every model and loss to exact
/// finite-width theory, to Monte Carlo ensembles (`experiments` experiments of `nets` nets) and
/// set beside the published values, with train and test losses, the design's condition number
/// and whether the design determines the couplings.
///
/// Returns a dict with one table, `table5` (`table5.parquet`: `network`, `model`, `loss`,
/// `source`, `estimator`, `lambda0`, `lambda2`, `lambda_nl`, their `_stderr`, `train_mape`,
/// `train_mse`, `test_mape`, `test_mse`, `condition_number`, `determined`, `width`, `cutoff`,
/// `nets`).
///
/// Arguments: `profile` one of quick, default, paper-full (quick: 4 experiments of 4000 nets;
/// default: 10 of 1.8*10^5, paper-full: 10 of 4*10^5; Gauss-net's bias-integrated estimator on
/// 100 times fewer and, in default, its conditional and raw estimators on 3.6 times fewer, enough
/// for lambda0 to 50%); `experiments` >= 2 and `nets` >= 1 override it (keeping those
/// proportions); `seed`,
/// `threads`, `progress` as for `nnqft.scaling` (the same sizes and seed give
/// `cargo xtask reproduce`'s table bit for bit). Ctrl-C stops it with KeyboardInterrupt. Raises
/// ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (profile = None, *, experiments = None, nets = None, seed = None, threads = None, progress = None),
    text_signature = "(profile='quick', *, experiments=None, nets=None, seed=20200818, threads=None, progress=False)")]
pub fn table5<'py>(
    py: Python<'py>,
    profile: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    nets: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let sizes = Sizes::from_args(profile, experiments, nets, seed, threads)?;
    let profile = sizes.plan.table5;
    let (experiments, nets) = sizes.counts(profile.experiments, profile.nets)?;
    // an override of `nets` keeps the profile's proportion of the paper estimators' nets
    let paper_estimator_nets =
        ((nets as f64 * profile.paper_estimator_nets as f64 / profile.nets as f64).round() as u64).max(1);
    let plan = nnqft_study::table5::Table5Plan { experiments, nets, paper_estimator_nets };
    let total = planned_nets(nnqft_study::table5::ensembles(&plan, sizes.seed))?;
    run_study(py, progress, total, "nnqft.table5", &sizes, |runner| {
        Ok(nnqft_study::table5::run(runner, &plan)?.tables())
    })
}

/// The RG flow of the paper's section 6: the quartic coupling lambda(Lambda) of the 4-pt fit
/// against the cutoff Lambda, measured (`experiments` experiments of `nets` nets, both
/// estimators) and exact, with its beta function `beta = d lambda / d log Lambda`, the pooled
/// power law of the flow, the 6-pt prediction of the quartic coupling and the naturalness scan
/// (the coupling's spread against the scale of the x-set).
///
/// Returns a dict of four tables keyed by their report files: `rg_flow` (`network`, `d_in`,
/// `width`, `cutoff`, `estimator`, `lambda_mean`, `lambda_stderr`, `lambda_mean_conditional`,
/// `lambda_stderr_conditional`, `lambda_exact`, `lambda_spread_exact`, `beta_exact`, `beta_mean`,
/// `beta_stderr`, `sextic_exact`, `sextic_spread_exact`), `rg_fits` (`network`, `d_in`,
/// `source`, `slope`, `r2`, `intercept`, `slope_expected`), `six_point` (`network`, `width`,
/// `cutoff`, `ratio_gp`, `ratio_gp_stderr`, `ratio_gp_lambda`, `ratio_gp_lambda_stderr`,
/// `ratio_gp_exact`, `ratio_gp_lambda_exact`) and `naturalness` (`network`, `x_scale`, `cutoff`,
/// `width`, `lambda_mean`, `lambda_spread`).
///
/// Arguments: `profile` one of quick, default, paper-full (quick: 4 experiments of 4000 nets;
/// default: 10 of 45000; paper-full: 10 of 10^5); `experiments` >= 2 and `nets` >= 1 override it; `seed`,
/// `threads`, `progress` as for `nnqft.scaling` (the same sizes and seed give
/// `cargo xtask reproduce`'s tables bit for bit). Ctrl-C stops it with KeyboardInterrupt. Raises
/// ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (profile = None, *, experiments = None, nets = None, seed = None, threads = None, progress = None),
    text_signature = "(profile='quick', *, experiments=None, nets=None, seed=20200818, threads=None, progress=False)")]
pub fn rg<'py>(
    py: Python<'py>,
    profile: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    nets: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let sizes = Sizes::from_args(profile, experiments, nets, seed, threads)?;
    let counts = sizes.counts(sizes.plan.rg_experiments, sizes.plan.rg_nets)?;
    counted_study(py, progress, "nnqft.rg", &sizes, counts, nnqft_study::rg::ensembles, |runner, e, n| {
        Ok(nnqft_study::rg::run(runner, e, n)?.tables())
    })
}

/// The depth study (beyond the paper): for each activation at its deep priors (relu at
/// C_W = 2, the others at C_W = 1, C_b = 0; GELU and SiLU at their critical points), depth L and equal hidden width n, the normalised
/// connected 4-pt function on every multiset of order 4 of the x-set {-1, -0.6, ..., 1},
///
///     r = (G4 - Wick4(G2)) / Wick4(G2),
///
/// measured (conditional estimator; the raw one too at `raw_width`), against its leading order
/// in 1/n, (V_(12)(34) + V_(13)(24) + V_(14)(23)) / (n Wick4(K)) (r = 5L/n for relu), and relu's
/// exact value on the diagonal, (1 + 5/n)^L - 1; with the power laws of r in L at fixed n and
/// in n at fixed L. On the same conditional ensembles, the next orders: the measured 1/n shift
/// of the 2-pt function, n (G2 - K), on every pair against K1 (G2 = K + K1/n + O(1/n^2)), and the
/// normalised connected 6-pt function r6 = kappa6 / Wick6(G2) on the multisets of order 6 over
/// x = 0.2 and 1 against the six-point vertex (order 1/n^2) and relu's exact diagonal value.
///
/// Returns a dict of four tables keyed by their report files: `depth` (`network`, `depth`,
/// `width`, `d_out`, `n`, `indices`, `estimator`, `r_mean`, `r_stderr`, `r_leading_order`,
/// `r_exact`, `r_next_order`) and `depth_fits` (`network`, `scan`, `depth`, `width`, `indices`,
/// `estimator`, `values_used`, `slope`, `slope_lo`, `slope_hi`, `r2`, `slope_leading_order`,
/// `slope_exact`, `slope_nominal`, `leading_order_fails_at_l_over_n`,
/// `next_order_fails_at_l_over_n`), `depth_shift` (`network`, `depth`,
/// `width`, `d_out`, `n`, `indices`, `estimator`, `g2_mean`, `g2_stderr`, `g2_gp`, `shift_mean`,
/// `shift_stderr`, `shift_leading_order`, `shift_exact`) and `depth_six_point` (`network`,
/// `depth`, `width`, `d_out`, `n`, `indices`, `estimator`, `r6_mean`, `r6_stderr`,
/// `r6_leading_order`, `r6_exact`, `c6_mean`, `c6_stderr`, `c6_leading_order`).
///
/// Arguments: `profile` one of quick, default, paper-full (quick: relu, tanh, erf; L in 1, 2, 4;
/// n in 10, 50; 4 experiments of 2000 nets; default and paper-full: relu, tanh, erf, gelu; L in
/// 1, 2, 3, 4, 6, 8, n in 10, 20, 50, 100, 10 experiments of 9000 nets, paper-full 20000); `networks` a list of distinct activations,
/// each one of erf, relu, tanh, linear, gelu, silu, softplus, sigmoid, sin; `depths` a list of
/// distinct depths >= 1; `widths` a list of distinct widths >= 1; `raw_width` an integer >= 1 (the
/// width where the raw estimator is measured too; none if it is not one of `widths`; default
/// 10); `experiments` >= 2; `nets` >= 1 (each None: the profile's); `seed`, `threads`, `progress`
/// as for `nnqft.scaling` (the same sizes and seed give `cargo xtask reproduce`'s tables bit for
/// bit). Ctrl-C stops it with KeyboardInterrupt. Raises ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (profile = None, *, networks = None, depths = None, widths = None, raw_width = None,
    experiments = None, nets = None, seed = None, threads = None, progress = None),
    text_signature = "(profile='quick', *, networks=None, depths=None, widths=None, raw_width=10, experiments=None, \
nets=None, seed=20200818, threads=None, progress=False)")]
#[allow(clippy::too_many_arguments)]
pub fn depth<'py>(
    py: Python<'py>,
    profile: Option<&Bound<'py, PyAny>>,
    networks: Option<&Bound<'py, PyAny>>,
    depths: Option<&Bound<'py, PyAny>>,
    widths: Option<&Bound<'py, PyAny>>,
    raw_width: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    nets: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    const NETWORKS: &str =
        "a non-empty list of distinct names, each one of erf, relu, tanh, linear, gelu, silu, softplus, sigmoid, sin";
    let sizes = Sizes::from_args(profile, experiments, nets, seed, threads)?;
    let mut plan = sizes.plan.depth.clone();
    let parse = |name: &str| DeepActivation::parse(name).ok().filter(|a| DeepActivation::ANY_DEPTH.contains(a));
    if let Some(acts) = distinct_names(networks, "networks", NETWORKS, parse)? {
        plan.activations = acts;
    }
    layers(depths, widths, &mut plan.depths, &mut plan.widths)?;
    if let Some(w) = raw_width {
        let w = integer(w, "raw_width", 1, "an integer >= 1")?;
        plan.raw_width = usize::try_from(w).map_err(|_| invalid("raw_width", w, "an integer >= 1"))?;
    }
    (plan.experiments, plan.nets) = sizes.counts(plan.experiments, plan.nets)?;
    let total = plan.nets_total();
    run_study(py, progress, total, "nnqft.depth", &sizes, |runner| Ok(nnqft_study::depth::run(runner, &plan)?.tables()))
}

/// The neural tangent kernel study (beyond the paper): for each activation at its critical
/// initialisation (nnqft_theory::critical_point; NTK parameterisation), depth L and equal hidden
/// width n, the sampled per-network NTK Theta on the x-set {-1, -0.6, -0.2, 0.2, 0.6, 1} against
/// its order-1/n theory on every pair of points (a, b):
///
///     mean shift         E[Theta_ab] - Theta_ab(infinite width)  against  T_ab,
///     variance           Var Theta_ab                            against  (A_(ab)(ab) + B_aabb + B_abba) / n,
///     cross-correlation  Cov(Theta_ab, f_a f_b)                  against  (D_(ab)(ab) + F_aabb + F_abba) / n
///
/// (Roberts, Yaida, Hanin, PDLT ch. 8), each measured as the mean over experiments with its
/// standard error.
///
/// Returns a dict of one table keyed by its report file: `ntk_study` (`network`, `depth`,
/// `width`, `l_over_n`, `quantity`, `indices`, `measured`, `stderr`, `predicted`, `predicted_error`,
/// `z`).
///
/// Arguments: `profile` one of quick, default, paper-full (quick: relu, tanh; L in 1, 2; n in 20,
/// 50; 4 experiments of 1000 nets; default and paper-full: relu, tanh, gelu; L in 1, 2, 4, 8; n in
/// 20, 50, 100; 10 experiments of 2700 nets, paper-full 6000); `networks` a list of distinct activations of deep
/// networks, each with a critical point (as `nnqft.critical` finds it); `depths` a list of
/// distinct depths >= 1; `widths` a list of distinct widths >= 1; `experiments` >= 2; `nets` >= 2
/// (each None: the profile's); `seed`, `threads`, `progress` as for `nnqft.scaling` (the same
/// sizes and seed give `cargo xtask reproduce`'s table bit for bit). Ctrl-C stops it with
/// KeyboardInterrupt. Raises ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (profile = None, *, networks = None, depths = None, widths = None, experiments = None,
    nets = None, seed = None, threads = None, progress = None),
    text_signature = "(profile='quick', *, networks=None, depths=None, widths=None, experiments=None, nets=None, \
seed=20200818, threads=None, progress=False)")]
#[allow(clippy::too_many_arguments)]
pub fn ntk_study<'py>(
    py: Python<'py>,
    profile: Option<&Bound<'py, PyAny>>,
    networks: Option<&Bound<'py, PyAny>>,
    depths: Option<&Bound<'py, PyAny>>,
    widths: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    nets: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    const NETWORKS: &str =
        "a non-empty list of distinct activation names of deep networks, each with a critical point (nnqft.critical)";
    let sizes = Sizes::from_args(profile, experiments, nets, seed, threads)?;
    let mut plan = sizes.plan.ntk.clone();
    let critical =
        |a: DeepActivation| DeepActivation::ANY_DEPTH.contains(&a) && nnqft_theory::critical_point(a).is_ok();
    let parse = |name: &str| DeepActivation::parse(name).ok().filter(|&a| critical(a));
    if let Some(acts) = distinct_names(networks, "networks", NETWORKS, parse)? {
        plan.activations = acts;
    }
    layers(depths, widths, &mut plan.depths, &mut plan.widths)?;
    (plan.experiments, plan.nets) = sizes.counts(plan.experiments, plan.nets)?;
    let total = plan.nets_total();
    run_study(py, progress, total, "nnqft.ntk_study", &sizes, |runner| {
        Ok(nnqft_study::ntk_study::run(runner, &plan)?.tables())
    })
}

/// The action study (arXiv:2307.03223): for each one-hidden-layer network (erf and relu at
/// sigma_w = sigma_b = 1, the Cos-net at sigma_w = 1, sigma_b = 0; d = 1) on the two points
/// x = -0.5, 0.7 and each width N, the exact couplings s_2, s_4, s_6 of the action
/// S = sum_n (1/n!) s_n f^n to order 1/N^2, and the histogram of experiments x nets sampled
/// outputs against the GP and the order-1/N and order-1/N^2 densities of the action (Edgeworth
/// form, and exp(-S) on the window): the noise-subtracted chi-square distance
///
///     D^2 = sum_b (p_b - q_b)^2 / g_b
///
/// with its jackknife error, the ordering of successive orders, the Edgeworth density's
/// negative mass, and the power law of D in N over the resolved widths N >= 5; and per network,
/// on 16 points spaced 0.5 apart, the locality of the quartic coupling at order 1/N (at
/// N = 10, whatever `widths`) and its diagonal against Table 5's constant local coupling, on
/// coarser grids too, and the coupling in the eigenbasis of G2.
///
/// Returns a dict of seven tables keyed by their report files: `action` (`network`, `width`,
/// then the columns of `nnqft.action`), `action_density` (`network`, `width`, `order`, `form`,
/// `distance_squared`, `distance_squared_stderr`, `distance`, `distance_stderr`, `resolved`,
/// `z_below_previous_order`, `distance_predicted`, `negative_mass`, `normalisable`, `outside`,
/// `nets`, `experiments`), `action_density_fits` (`network`, `order`, `form`, `min_width`,
/// `widths_used`, `slope`, `slope_lo`, `slope_hi`, `r2`, `slope_predicted`, `slope_expected`),
/// `action_density_predicted` (`network`, `order`, `width`, `distance_predicted`,
/// `local_slope_predicted`, `slope_expected`: the distances the action predicts without
/// sampling, at `widths` and at N = 40, 80, ..., 1280), `action_locality`
/// (`network`, `width`, then the columns of `nnqft.action(...)["locality"]`) and
/// `action_local_coupling` (`network`, `width`, `points`, `spacing`, `cutoff`,
/// `condition_number`, `lambda0`, `lambda0_mape`, `lambda_diagonal_mean`, `lambda_diagonal_min`,
/// `lambda_diagonal_max`, `rough_modes`, `rough_share`; one row per grid of 8, 10, 12, 14 and 16
/// points over the same interval) and `action_local_modes` (`network`, `width`, `mode`,
/// `eigenvalue`, `eigenvalue_ratio`, `excess_kurtosis`, `norm_share`, `cumulative_share`,
/// `local_diagonal`, `lambda_diagonal`, `lambda_projected`, `model_lambda_projected`; the quartic coupling in the
/// eigenbasis of G2 on the 16 points, one row per mode).
///
/// Arguments: `profile` one of quick, default, paper-full (quick: erf, cos, relu at N in 2, 3,
/// 5, 10, 20, 4 experiments of 5000 nets; default and paper-full: 10 experiments of 1000000);
/// `networks` a list of distinct names, each one of erf, relu, gauss, cos; `widths` a list of
/// distinct widths >= 1; `experiments` >= 2; `nets` >= 1 (each None: the profile's); `seed`,
/// `threads`, `progress` as for `nnqft.scaling` (progress advances per histogram; the same
/// sizes and seed give `cargo xtask reproduce`'s tables bit for bit). Ctrl-C stops it with
/// KeyboardInterrupt between histograms. Raises ValueError for invalid arguments.
#[pyfunction]
#[pyo3(signature = (profile = None, *, networks = None, widths = None, experiments = None, nets = None, seed = None,
    threads = None, progress = None),
    text_signature = "(profile='quick', *, networks=None, widths=None, experiments=None, nets=None, seed=20200818, \
threads=None, progress=False)")]
#[allow(clippy::too_many_arguments)]
pub fn action_study<'py>(
    py: Python<'py>,
    profile: Option<&Bound<'py, PyAny>>,
    networks: Option<&Bound<'py, PyAny>>,
    widths: Option<&Bound<'py, PyAny>>,
    experiments: Option<&Bound<'py, PyAny>>,
    nets: Option<&Bound<'py, PyAny>>,
    seed: Option<&Bound<'py, PyAny>>,
    threads: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    const NETWORKS: &str = "a non-empty list of distinct names, each one of erf, relu, gauss, cos";
    let sizes = Sizes::from_args(profile, experiments, nets, seed, threads)?;
    let mut plan = sizes.plan.action.clone();
    let parse = |name: &str| nnqft_theory::Activation::parse(name).ok();
    if let Some(acts) = distinct_names(networks, "networks", NETWORKS, parse)? {
        plan.networks = acts;
    }
    if let Some(widths) = distinct(widths, "widths", 1, "a non-empty list of distinct integers >= 1")? {
        plan.widths = widths;
    }
    (plan.experiments, plan.nets) = sizes.counts(plan.experiments, plan.nets)?;
    let total = plan.nets_total();
    run_study(py, progress, total, "nnqft.action_study", &sizes, |runner| {
        Ok(nnqft_study::action_study::run(runner, &plan)?.tables())
    })
}
