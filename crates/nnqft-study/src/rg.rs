//! Renormalisation-group flow, the 6-pt prediction, the sextic coupling and the naturalness
//! conjecture of the paper (its Wilsonian RG with an input-space cutoff `Lambda`;
//! RG equation `dG(n) / d log Lambda = 0`, `beta(lambda) = d lambda / d log Lambda`).
//!
//! - `lambda_m(Lambda) = Delta G4_m / T0_m(Lambda)` per multiset over the 21 cutoffs, exact
//!   (`Delta G4 = kappa4`) and measured (per experiment, by the conditional estimator with its
//!   control variate, and also without it, from the same nets); pooled fit of
//!   `log10 |lambda_m|` on `log10 Lambda`; `beta = d lambda / d log Lambda`, exact
//!   (`beta_m = -Delta G4_m (dT0_m / d log Lambda) / T0_m^2` with the exact flow of `T0`,
//!   `nnqft_fit::flow::beta_function`) for the exact and for each experiment's measured
//!   `Delta G4`.
//! - 6-pt prediction: `(G6_GP + lambda(Lambda) Q6(Lambda)) / G6` with `Q6 = 24 sum_15 I4 K` and
//!   `lambda(Lambda)` the M1 least-squares coupling of the 4-pt function at that cutoff.
//! - Sextic coupling: `sextic_m = (Delta G6_m - lambda Q6_m) / (720 I6_m + 360 sum_15 I4loop K)`.
//! - Naturalness: spread of `lambda_m` over multisets on x-sets scaled by 0.01, 0.1, 1.

use crate::error::Result;
use crate::key::EnsembleKey;
use crate::runner::{Planned, Runner};
use crate::scaling::nnqft_theory_gp;
use crate::table::Table;
use crate::table5::Source;
use nnqft_fit::flow::{beta_function, running_coupling};
use nnqft_fit::{Design, Loss, Model, fit};
use nnqft_sampling::{Ensemble, EnsembleResult, Estimator};
use nnqft_stats::{fit_power_law, jackknife_stderr, summarize};
use nnqft_theory::{Activation, Cutoff, FiniteWidthTheory, InputSet, Network, VertexIntegrals};

/// The cutoffs of the paper's RG-flow experiment.
pub const CUTOFFS: [f64; 21] = [
    7.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 70.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 7e3, 1e4, 2e4, 4e4, 6e4, 8e4,
    1e5,
];

/// The flow cases: (network, d, width). Widths follow the 6-pt prediction of issue 6
/// (ReLU 20, Erf 5, Gauss 100).
pub const CASES: [(Activation, usize, usize); 5] = [
    (Activation::Relu, 1, 20),
    (Activation::Relu, 2, 20),
    (Activation::Relu, 3, 20),
    (Activation::Erf, 1, 5),
    (Activation::Gauss, 1, 100),
];

/// The estimator of a flow case's measured couplings: Gauss-net's bias-integrated one, else
/// the conditional one with its control variate (derived from the same nets as the plain
/// conditional estimator beside it).
pub fn flow_estimator(act: Activation) -> Estimator {
    if act == Activation::Gauss { Estimator::BiasIntegrated } else { Estimator::ControlVariate }
}

/// The x-set of a flow case: the Table 5 test set at d = 1, the scaling set at d = 2, 3.
fn inputs(act: Activation, d: usize) -> Result<InputSet> {
    Ok(if d == 1 { InputSet::table5_test(act) } else { InputSet::scaling(act, d)? })
}

/// One row of `rg_flow.parquet`.
#[derive(Debug, Clone)]
pub struct FlowRow {
    /// Network.
    pub network: Activation,
    /// Input dimension.
    pub d: usize,
    /// Width.
    pub width: usize,
    /// Cutoff.
    pub cutoff: f64,
    /// Measured (control variate): mean over experiments of the multiset-mean of `lambda_m`.
    pub lambda_mean: f64,
    /// Its standard error over experiments.
    pub lambda_stderr: f64,
    /// The same from the plain conditional estimator on the same nets.
    pub lambda_mean_conditional: f64,
    /// Its standard error over experiments.
    pub lambda_stderr_conditional: f64,
    /// Exact: multiset-mean of `lambda_m`.
    pub lambda_exact: f64,
    /// Exact: std over multisets of `lambda_m` / |mean|.
    pub lambda_spread: f64,
    /// Exact beta function `d lambda / d log Lambda` (multiset mean of `beta_m`), from the
    /// exact `Delta G4` and the exact flow of `T0`.
    pub beta_exact: f64,
    /// Measured beta function (the reference estimator's `Delta G4`, the exact flow of `T0`):
    /// mean over experiments of the multiset-mean of `beta_m`.
    pub beta_mean: f64,
    /// Its standard error over experiments (for this statistic, linear in the experiment's
    /// means, the delete-one jackknife gives the same value).
    pub beta_stderr: f64,
    /// Exact sextic coupling, multiset mean.
    pub sextic_exact: f64,
    /// Its std over multisets / |mean|.
    pub sextic_spread: f64,
}

impl FlowRow {
    /// `(lambda measured - lambda exact) / standard error`, the reference estimator.
    pub fn z(&self) -> f64 {
        (self.lambda_mean - self.lambda_exact) / self.lambda_stderr
    }
    /// The same for the plain conditional estimator on the same nets.
    pub fn z_conditional(&self) -> f64 {
        (self.lambda_mean_conditional - self.lambda_exact) / self.lambda_stderr_conditional
    }
    /// `(beta measured - beta exact) / standard error`.
    pub fn z_beta(&self) -> f64 {
        (self.beta_mean - self.beta_exact) / self.beta_stderr
    }
}

/// One row of `rg_fits.parquet`.
#[derive(Debug, Clone)]
pub struct FitRow {
    /// Network.
    pub network: Activation,
    /// Input dimension.
    pub d: usize,
    /// Exact theory or Monte Carlo.
    pub source: Source,
    /// Pooled slope of `log10 |lambda_m|` on `log10 Lambda`.
    pub slope: f64,
    /// Its R^2.
    pub r2: f64,
    /// Intercept `log10 |lambda|` at `Lambda = 1`.
    pub intercept: f64,
    /// Dimension counting for ReLU: `-(4 + d)`.
    pub slope_expected: Option<f64>,
}

/// One row of `six_point.parquet`.
#[derive(Debug, Clone)]
pub struct SixRow {
    /// Network.
    pub network: Activation,
    /// Width.
    pub width: usize,
    /// Cutoff.
    pub cutoff: f64,
    /// Mean over multisets of `G6_GP / G6_measured`.
    pub ratio_gp: f64,
    /// Its standard error: the same ratio formed per experiment, over the experiments.
    pub ratio_gp_stderr: f64,
    /// Mean over multisets of `(G6_GP + lambda Q6) / G6_measured`.
    pub ratio_gp_lambda: f64,
    /// Its standard error over experiments: delete-one jackknife of the whole chain (the
    /// coupling refitted and `G6` re-averaged without each experiment).
    pub ratio_gp_lambda_stderr: f64,
    /// The same over the exact `G6`.
    pub ratio_gp_exact: f64,
    /// With the exact coupling, over the exact `G6`.
    pub ratio_gp_lambda_exact: f64,
}

impl SixRow {
    /// `(GP / G6 measured - GP / G6 exact) / standard error`.
    pub fn z(&self) -> f64 {
        (self.ratio_gp - self.ratio_gp_exact) / self.ratio_gp_stderr
    }
}

/// One row of `naturalness.parquet`.
#[derive(Debug, Clone)]
pub struct NaturalRow {
    /// Network.
    pub network: Activation,
    /// Scale of the x-set `{0.2, ..., 1.2}`.
    pub scale: f64,
    /// Cutoff used.
    pub cutoff: f64,
    /// Width.
    pub width: usize,
    /// Exact multiset-mean of `lambda_m`.
    pub lambda_mean: f64,
    /// Std over multisets / |mean|.
    pub lambda_spread: f64,
}

/// Everything this stage produces.
pub struct RgReport {
    /// Flow rows.
    pub flow: Vec<FlowRow>,
    /// Pooled fits.
    pub fits: Vec<FitRow>,
    /// 6-pt prediction rows.
    pub six: Vec<SixRow>,
    /// Naturalness rows.
    pub natural: Vec<NaturalRow>,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn rel_spread(v: &[f64]) -> f64 {
    let m = mean(v);
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len().max(2) - 1) as f64;
    var.sqrt() / m.abs()
}

/// The M1 (lambda0 only) MSE coupling of `delta` against `T0` over the multisets.
fn m1_coupling(t0: &[f64], weights: &[f64], delta: &[f64]) -> Result<f64> {
    let zeros = vec![0.0; t0.len()];
    let design = Design::new(t0.to_vec(), zeros.clone(), zeros, weights.to_vec())?;
    Ok(fit(&design, delta, Model::M1, Loss::Mse)?.values[0])
}

/// The ensemble of a flow case with estimator `est` (the conditional one, keyed by the case
/// alone, or Gauss-net's bias-integrated one, keyed with its name; both on the same seed).
fn planned(
    master: u64,
    (act, d, width): (Activation, usize, usize),
    est: Estimator,
    experiments: usize,
    nets: u64,
) -> Result<Planned> {
    let key = EnsembleKey::Rg { activation: act, d_in: d, width, estimator: est };
    let seed = key.seed(master);
    let ensemble = Ensemble::new(Network::paper(act, d)?, width, inputs(act, d)?, nets, experiments, est, seed)?;
    Ok(Planned { key, ensemble })
}

/// The study's ensembles, in the order [`run`] asks for them.
pub fn ensembles(experiments: usize, nets: u64, master: u64) -> Result<Vec<Planned>> {
    let mut out = Vec::new();
    for case in CASES {
        out.push(planned(master, case, Estimator::Conditional, experiments, nets)?);
        if flow_estimator(case.0) == Estimator::BiasIntegrated {
            out.push(planned(master, case, Estimator::BiasIntegrated, experiments, nets)?);
        }
    }
    Ok(out)
}

/// Runs every flow case, the 6-pt prediction and the naturalness scan.
pub fn run(runner: &dyn Runner, experiments: usize, nets: u64) -> Result<RgReport> {
    let mut report = RgReport { flow: Vec::new(), fits: Vec::new(), six: Vec::new(), natural: Vec::new() };
    for (act, d, width) in CASES {
        let net = Network::paper(act, d)?;
        let xs = inputs(act, d)?;
        let theory = FiniteWidthTheory::new(&net, &xs)?;
        let exact = theory.at_width(width)?;
        let gp = nnqft_theory_gp(&net, &xs)?;
        let conditional =
            runner.planned(&planned(runner.seed(), (act, d, width), Estimator::Conditional, experiments, nets)?)?;
        let estimator = flow_estimator(act);
        let r = match estimator {
            Estimator::BiasIntegrated => {
                runner.planned(&planned(runner.seed(), (act, d, width), estimator, experiments, nets)?)?
            }
            _ => conditional.control_variate(&net, &xs)?,
        };
        let deltas = |r: &EnsembleResult| -> Vec<Vec<f64>> {
            (0..experiments)
                .map(|e| r.experiment(1, e).iter().zip(&gp.tensors[1]).map(|(g, k)| g - k).collect())
                .collect()
        };
        let (delta_exp, delta_cond) = (deltas(&r), deltas(&conditional));
        let g6_meas = summarize(&r.means[2], experiments)?.mean;
        // per experiment: its Delta G4 then its G6, for the jackknife of the 6-pt prediction
        let joint: Vec<f64> =
            (0..experiments).flat_map(|e| delta_exp[e].iter().chain(r.experiment(2, e)).copied()).collect();
        let delta_mean: Vec<f64> = (0..gp.tensors[1].len())
            .map(|i| delta_exp.iter().map(|e| e[i]).sum::<f64>() / experiments as f64)
            .collect();
        let ms4 = &theory.multisets[1];
        let weights: Vec<f64> = (0..ms4.len()).map(|p| ms4.multiplicity(p) as f64).collect();
        let dg6_exact: Vec<f64> = exact.g[2].iter().zip(&gp.tensors[2]).map(|(g, w)| g - w).collect();
        let (mut pooled_exact, mut pooled_mc) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
        let mut rows = Vec::new();
        for &cut in &CUTOFFS {
            let v = VertexIntegrals::compute(&net, &xs, Cutoff::finite(cut)?)?;
            let t0 = v.t0().values;
            let t0_flow = v.t0_flow().values;
            let lam_exact = running_coupling(&exact.kappa4, &t0)?;
            let beta_exact = mean(&beta_function(&exact.kappa4, &t0, &t0_flow)?);
            let betas: Vec<f64> = delta_exp
                .iter()
                .map(|dl| beta_function(dl, &t0, &t0_flow).map(|b| mean(&b)))
                .collect::<std::result::Result<_, _>>()?;
            let beta = summarize(&betas, experiments)?;
            let per_exp = |deltas: &[Vec<f64>]| -> Result<_> {
                let lams: Vec<f64> = deltas
                    .iter()
                    .map(|dl| running_coupling(dl, &t0).map(|l| mean(&l)))
                    .collect::<std::result::Result<_, _>>()?;
                Ok(summarize(&lams, experiments)?)
            };
            let (s, s_cond) = (per_exp(&delta_exp)?, per_exp(&delta_cond)?);
            let lam_mc = running_coupling(&delta_mean, &t0)?;
            for (a, b) in lam_exact.iter().zip(&lam_mc) {
                pooled_exact.0.push(cut);
                pooled_exact.1.push(a.abs());
                pooled_mc.0.push(cut);
                pooled_mc.1.push(b.abs());
            }
            // 6-pt prediction and sextic coupling
            let q6 = v.quartic_6pt().values;
            let lam_fit_exact = m1_coupling(&t0, &weights, &exact.kappa4)?;
            let lam_fit_mc = m1_coupling(&t0, &weights, &delta_mean)?;
            let s6: Vec<f64> =
                v.sextic_6pt().values.iter().zip(&v.sextic_loop_6pt().values).map(|(a, b)| a + b).collect();
            let sextic: Vec<f64> =
                dg6_exact.iter().zip(&q6).zip(&s6).map(|((dg, q), s)| (dg - lam_fit_exact * q) / s).collect();
            if d == 1 {
                let ratio = |num: &dyn Fn(usize) -> f64, den: &[f64]| {
                    mean(&(0..den.len()).map(|i| num(i) / den[i]).collect::<Vec<_>>())
                };
                let ratio_gp_stderr = jackknife_stderr(&r.means[2], experiments, |g6| -> Result<f64> {
                    Ok(ratio(&|i| gp.tensors[2][i], g6))
                })?;
                let ratio_gp_lambda_stderr = jackknife_stderr(&joint, experiments, |m| -> Result<f64> {
                    let (dl, g6) = m.split_at(delta_mean.len());
                    let lam = m1_coupling(&t0, &weights, dl)?;
                    Ok(ratio(&|i| gp.tensors[2][i] + lam * q6[i], g6))
                })?;
                report.six.push(SixRow {
                    network: act,
                    width,
                    cutoff: cut,
                    ratio_gp: ratio(&|i| gp.tensors[2][i], &g6_meas),
                    ratio_gp_stderr,
                    ratio_gp_lambda: ratio(&|i| gp.tensors[2][i] + lam_fit_mc * q6[i], &g6_meas),
                    ratio_gp_lambda_stderr,
                    ratio_gp_exact: ratio(&|i| gp.tensors[2][i], &exact.g[2]),
                    ratio_gp_lambda_exact: ratio(&|i| gp.tensors[2][i] + lam_fit_exact * q6[i], &exact.g[2]),
                });
            }
            rows.push(FlowRow {
                network: act,
                d,
                width,
                cutoff: cut,
                lambda_mean: s.mean[0],
                lambda_stderr: s.stderr[0],
                lambda_mean_conditional: s_cond.mean[0],
                lambda_stderr_conditional: s_cond.stderr[0],
                lambda_exact: mean(&lam_exact),
                lambda_spread: rel_spread(&lam_exact),
                beta_exact,
                beta_mean: beta.mean[0],
                beta_stderr: beta.stderr[0],
                sextic_exact: mean(&sextic),
                sextic_spread: rel_spread(&sextic),
            });
        }
        report.flow.extend(rows);
        let expected = (act == Activation::Relu).then_some(-(4.0 + d as f64));
        for (source, (x, y)) in [(Source::Exact, pooled_exact), (Source::MonteCarlo, pooled_mc)] {
            let f = fit_power_law(&x, &y)?;
            report.fits.push(FitRow {
                network: act,
                d,
                source,
                slope: f.slope,
                r2: f.r2,
                intercept: f.intercept,
                slope_expected: expected,
            });
        }
    }
    // naturalness: exact lambda_m spread on scaled x-sets
    for act in Activation::ALL {
        let (width, cutoff) = crate::table5::setup(act);
        let net = Network::paper(act, 1)?;
        for scale in [0.01, 0.1, 1.0] {
            let xs = InputSet::table5_test(Activation::Relu).scaled(scale);
            let k4 = FiniteWidthTheory::new(&net, &xs)?.at_width(width)?.kappa4;
            let t0 = VertexIntegrals::compute(&net, &xs, cutoff)?.t0().values;
            let lam = running_coupling(&k4, &t0)?;
            report.natural.push(NaturalRow {
                network: act,
                scale,
                cutoff: cutoff.value(),
                width,
                lambda_mean: mean(&lam),
                lambda_spread: rel_spread(&lam),
            });
        }
    }
    Ok(report)
}

impl RgReport {
    /// The study's tables with the stems of their report files: `rg_flow` ([`flow_table`]),
    /// `rg_fits` ([`fits_table`]), `six_point` ([`six_point_table`]) and `naturalness`
    /// ([`naturalness_table`]), as `cargo xtask reproduce` writes them and Python's `nnqft.rg`
    /// returns them.
    pub fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![
            ("rg_flow", flow_table(&self.flow)),
            ("rg_fits", fits_table(&self.fits)),
            ("six_point", six_point_table(&self.six)),
            ("naturalness", naturalness_table(&self.natural)),
        ]
    }
}

/// `rg_flow.parquet`: per network, `d`, width and cutoff, the running coupling `λ(Λ)` measured
/// (both estimators) and exact, its spread over the x-set, `β`, and the sextic coupling.
pub fn flow_table(rows: &[FlowRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("d_in", rows.iter().map(|r| r.d as i64))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64("cutoff", rows.iter().map(|r| r.cutoff))
        .str("estimator", rows.iter().map(|r| flow_estimator(r.network).name()))
        .f64("lambda_mean", rows.iter().map(|r| r.lambda_mean))
        .f64("lambda_stderr", rows.iter().map(|r| r.lambda_stderr))
        .f64("lambda_mean_conditional", rows.iter().map(|r| r.lambda_mean_conditional))
        .f64("lambda_stderr_conditional", rows.iter().map(|r| r.lambda_stderr_conditional))
        .f64("lambda_exact", rows.iter().map(|r| r.lambda_exact))
        .f64("lambda_spread_exact", rows.iter().map(|r| r.lambda_spread))
        .f64("beta_exact", rows.iter().map(|r| r.beta_exact))
        .f64("beta_mean", rows.iter().map(|r| r.beta_mean))
        .f64("beta_stderr", rows.iter().map(|r| r.beta_stderr))
        .f64("sextic_exact", rows.iter().map(|r| r.sextic_exact))
        .f64("sextic_spread_exact", rows.iter().map(|r| r.sextic_spread))
}

/// `rg_fits.parquet`: the pooled power law of the flow per network, `d` and source.
pub fn fits_table(rows: &[FitRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("d_in", rows.iter().map(|r| r.d as i64))
        .str("source", rows.iter().map(|r| r.source.name()))
        .f64("slope", rows.iter().map(|r| r.slope))
        .f64("r2", rows.iter().map(|r| r.r2))
        .f64("intercept", rows.iter().map(|r| r.intercept))
        .opt("slope_expected", rows.iter().map(|r| r.slope_expected))
}

/// `six_point.parquet`: the 6-pt prediction, the measured ratios to the GP and to the GP plus
/// the quartic coupling's term, with errors, against their exact values.
pub fn six_point_table(rows: &[SixRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64("cutoff", rows.iter().map(|r| r.cutoff))
        .f64("ratio_gp", rows.iter().map(|r| r.ratio_gp))
        .f64("ratio_gp_stderr", rows.iter().map(|r| r.ratio_gp_stderr))
        .f64("ratio_gp_lambda", rows.iter().map(|r| r.ratio_gp_lambda))
        .f64("ratio_gp_lambda_stderr", rows.iter().map(|r| r.ratio_gp_lambda_stderr))
        .f64("ratio_gp_exact", rows.iter().map(|r| r.ratio_gp_exact))
        .f64("ratio_gp_lambda_exact", rows.iter().map(|r| r.ratio_gp_lambda_exact))
}

/// `naturalness.parquet`: the coupling's mean and spread against the x-set's scale.
pub fn naturalness_table(rows: &[NaturalRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .f64("x_scale", rows.iter().map(|r| r.scale))
        .f64_with_inf("cutoff", rows.iter().map(|r| r.cutoff))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64("lambda_mean", rows.iter().map(|r| r.lambda_mean))
        .f64("lambda_spread", rows.iter().map(|r| r.lambda_spread))
}
