//! Table 5 of the paper: coupling fits of `Delta G4` with models M0..M3
//! under MSE and MAPE, trained on the train x-set and tested on the test x-set, from three
//! sources side by side: `exact` (`Delta G4 = kappa4` from nnqft-theory), `monte_carlo`
//! (sampled ensembles, every experiment fitted separately) and `paper` (as published).

use crate::error::{Result, StudyError};
use crate::key::{EnsembleKey, Table5Set};
use crate::runner::{Planned, Runner};
use crate::table::Table;
use nnqft_fit::{Design, Loss, Model, evaluate, fit};
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_stats::summarize;
use nnqft_theory::{Activation, Cutoff, FiniteWidthTheory, InputSet, Lambda, Network, VertexIntegrals, WickSums};
use std::fmt;

/// Where a row's couplings come from: the `source` column of `table5.parquet` and
/// `rg_fits.parquet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Exact finite-width theory (`Delta G4 = kappa4`).
    Exact,
    /// Sampled ensembles (every experiment fitted separately).
    MonteCarlo,
    /// The published values (Table 5 of the paper).
    Paper,
}

impl Source {
    /// The name in the reports: `exact`, `monte_carlo` or `paper`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::MonteCarlo => "monte_carlo",
            Self::Paper => "paper",
        }
    }
}

impl fmt::Display for Source {
    /// [`Source::name`], padded as a string would be.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Table 5 as published (arXiv:2008.08601, Table 5): couplings and test losses per network,
/// model and loss, transcribed in `data/table5-paper.toml`.
pub const PAPER_TABLE5: &str = include_str!("../data/table5-paper.toml");

/// The paper's Table 5 setup for one network: width and cutoff (Gauss `N = 1000`, `Lambda = ∞`; Erf `N = 5`,
/// `Lambda = 100`; ReLU `N = 20`, `Lambda = 100`). The Cos-net is not in Table 5; its setup here (the
/// default cutoff of `nnqft fit --network cos`) is `N = 5`, `Lambda = ∞`: its kernel is a Gaussian of
/// `x - y`, like Gauss-net's, so the vertex integrals converge without a cutoff.
pub fn setup(act: Activation) -> (usize, Cutoff) {
    match act {
        Activation::Gauss => (1000, Cutoff::Infinite),
        Activation::Cos => (5, Cutoff::Infinite),
        Activation::Erf => (5, Cutoff::Finite(Lambda::PAPER)),
        Activation::Relu => (20, Cutoff::Finite(Lambda::PAPER)),
    }
}

/// One row of `table5.parquet`.
#[derive(Debug, Clone)]
pub struct Row {
    /// Network.
    pub network: Activation,
    /// Model.
    pub model: Model,
    /// Training loss.
    pub loss: Loss,
    /// Exact theory, Monte Carlo or the paper.
    pub source: Source,
    /// Estimator (Monte Carlo rows only).
    pub estimator: Option<Estimator>,
    /// `(lambda0, lambda2, lambdaNL)`.
    pub couplings: [f64; 3],
    /// Standard errors over experiments (Monte Carlo only).
    pub stderr: Option<[f64; 3]>,
    /// Train losses (MAPE %, MSE).
    pub train: Option<(f64, f64)>,
    /// Test losses (MAPE %, MSE).
    pub test: (f64, f64),
    /// Condition number of the scaled train design.
    pub condition_number: Option<f64>,
    /// Width.
    pub width: usize,
    /// Cutoff.
    pub cutoff: f64,
    /// Nets (all experiments), Monte Carlo only.
    pub nets: Option<u64>,
    /// The design is rank deficient for this model: the couplings are not determined.
    pub singular: bool,
}

impl Row {
    /// `(self - reference) / reference's standard error` for each coupling the model fits
    /// (`None` where that standard error is zero or missing): how far, in standard errors, the
    /// paper's couplings lie from ours.
    pub fn z_against(&self, reference: &Row) -> Vec<Option<f64>> {
        (0..self.model.couplings())
            .map(|j| {
                let se = reference.stderr?[j];
                (se > 0.0).then(|| (self.couplings[j] - reference.couplings[j]) / se)
            })
            .collect()
    }
}

/// What the Table 5 figure draws for one network: the test set's `Delta G4` per multiset,
/// measured (conditional estimator) and exact, and the test design the models predict with.
#[derive(Debug, Clone)]
pub struct TestSet {
    /// Network.
    pub network: Activation,
    /// The estimator of the measured values: the network's reference estimator
    /// ([`reference_estimator`]).
    pub estimator: Estimator,
    /// Measured `Delta G4 = G4 - G4_GP`, mean over experiments.
    pub measured: Vec<f64>,
    /// Its standard error over experiments.
    pub measured_stderr: Vec<f64>,
    /// Exact `Delta G4 = kappa4`.
    pub exact: Vec<f64>,
    /// `T0, T2, TNL` on the test set: `design.predict(couplings, model)` is a model's `Delta G4`.
    pub design: Design,
}

/// Everything this stage produces.
pub struct Table5Report {
    /// Rows of `table5.parquet`.
    pub rows: Vec<Row>,
    /// Per network, the test-set data behind the test losses.
    pub test_sets: Vec<TestSet>,
}

const UNDETERMINED: [f64; 3] = [f64::NAN; 3];

#[derive(serde::Deserialize)]
struct PaperFile {
    loss: String,
    rows: Vec<PaperRow>,
}

#[derive(serde::Deserialize)]
struct PaperRow {
    network: String,
    model: String,
    lambda0: f64,
    lambda2: f64,
    lambda_nl: f64,
    test_mape: f64,
    test_mse: f64,
}

/// The regression problem of Table 5 on one input set (the paper's EFT fits): the design of the
/// vertex integrals `T0`, `T2`, `TNL` at a cutoff (weights: each multiset's multiplicity) and
/// the GP four-point function `G4_GP`, so that `ΔG4 = G4 − G4_GP ≈ λ0 T0 + λ2 T2 + λNL TNL`.
pub struct FitProblem {
    design: Design,
    gp4: Vec<f64>,
    kernel: Vec<f64>,
    inputs: InputSet,
}

/// One model fitted under one loss ([`FitProblem::fit_all`]).
#[derive(Debug, Clone)]
pub struct CouplingFit {
    /// Model (M0..M3: which couplings are free).
    pub model: Model,
    /// Training loss.
    pub loss: Loss,
    /// `(λ0, λ2, λNL)`; NaN where the design does not determine them.
    pub couplings: [f64; 3],
    /// The design is rank deficient for this model.
    pub singular: bool,
    /// Mean absolute percentage error (%) on the fitted data.
    pub mape: f64,
    /// Mean squared error on the fitted data.
    pub mse: f64,
    /// Condition number of the scaled design (infinite when singular).
    pub condition_number: Option<f64>,
}

impl FitProblem {
    /// The problem of `net` on `inputs` with the vertex integrals cut off at `cutoff`.
    pub fn new(net: &Network, inputs: InputSet, cutoff: Cutoff) -> Result<Self> {
        let v = VertexIntegrals::compute(net, &inputs, cutoff)?;
        let ms = &v.multisets[1];
        let weights = (0..ms.len()).map(|p| ms.multiplicity(p) as f64).collect();
        let design = Design::new(v.t0().values, v.t2().values, v.tnl().values, weights)?;
        let k = nnqft_theory::kernel_matrix(net, &inputs)?;
        let gp4 = WickSums::new(inputs.len(), 4)?.evaluate(&k).swap_remove(1);
        Ok(Self { design, gp4, kernel: k, inputs })
    }
    /// The design.
    pub fn design(&self) -> &Design {
        &self.design
    }
    /// The kernel `K(x_a, x_b)` of the network on the input set, row-major (`points x points`).
    pub fn kernel(&self) -> &[f64] {
        &self.kernel
    }
    /// `G4_GP` per multiset of order 4.
    pub fn gp4(&self) -> &[f64] {
        &self.gp4
    }
    /// The input set.
    pub fn inputs(&self) -> &InputSet {
        &self.inputs
    }
    /// Fits `delta_g4` (`ΔG4` per multiset of order 4) with `model` under `loss`; `None`
    /// where the design is rank deficient for the model (the couplings are not determined).
    pub fn fit(&self, delta_g4: &[f64], model: Model, loss: Loss) -> Result<Option<nnqft_fit::Couplings>> {
        match fit(&self.design, delta_g4, model, loss) {
            Ok(c) => Ok(Some(c)),
            Err(nnqft_fit::FitError::Singular(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
    /// `model` under `loss`, with the losses on the fitted data.
    pub fn fit_one(&self, delta_g4: &[f64], model: Model, loss: Loss) -> Result<CouplingFit> {
        let c = self.fit(delta_g4, model, loss)?;
        let couplings = c.map_or(UNDETERMINED, |c| c.values);
        let l = evaluate(&self.design, delta_g4, &couplings, model)?;
        Ok(CouplingFit {
            model,
            loss,
            couplings,
            singular: c.is_none(),
            mape: l.mape,
            mse: l.mse,
            condition_number: c.map_or(Some(f64::INFINITY), |c| c.condition_number),
        })
    }
    /// Every model under every loss ([`Self::fit_one`]).
    pub fn fit_all(&self, delta_g4: &[f64]) -> Result<Vec<CouplingFit>> {
        Model::ALL
            .into_iter()
            .flat_map(|m| Loss::ALL.map(|l| (m, l)))
            .map(|(m, l)| self.fit_one(delta_g4, m, l))
            .collect()
    }
}

/// The estimator whose Monte Carlo couplings the summary sets against exact theory and the
/// paper: `bias_integrated` for Gauss-net, `conditional` otherwise.
pub fn reference_estimator(act: Activation) -> Estimator {
    if act == Activation::Gauss { Estimator::BiasIntegrated } else { Estimator::Conditional }
}

/// The Monte Carlo ensembles of Table 5 in one profile.
///
/// Each network's reference estimator ([`reference_estimator`]) is sized for its couplings:
/// `nets` per experiment for the conditional estimator, 100 times fewer for Gauss-net's
/// bias-integrated estimator (its standard error is still far below every other estimator's).
/// The other ensembles are there to show the paper's estimators beside the reference. Where
/// they are cheap (ReLU-net at `N = 20`, Erf-net at `N = 5`) they keep `nets`; Gauss-net's
/// conditional and raw estimators at `N = 1000` take `paper_estimator_nets`, sized by one
/// criterion: enough nets that M1's `lambda0` has a relative standard error of at most 50%
/// (resolved from zero at 2 standard errors, so the table shows that each estimator agrees
/// with exact theory and how far its error sits above the reference's), and no more. The
/// raw estimator is the noisier (15% relative on 10 experiments of 4 x 10^5 nets), so the
/// default profile gives both 10 experiments of 5 x 10^4 nets (raw 43%, conditional 9%).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Table5Plan {
    /// Experiments of every ensemble.
    pub experiments: usize,
    /// Nets per experiment of the conditional estimator (and of the cheap raw ones).
    pub nets: u64,
    /// Nets per experiment of Gauss-net's conditional and raw estimators.
    pub paper_estimator_nets: u64,
}

impl Table5Plan {
    /// The Monte Carlo estimators of a network with their nets per experiment: the reference
    /// estimator first, then the others (type docs).
    pub fn estimators(&self, act: Activation) -> Vec<(Estimator, u64)> {
        monte_carlo_estimators(act)
            .iter()
            .map(|&est| match (act, est) {
                (Activation::Gauss, Estimator::BiasIntegrated) => (est, (self.nets / 100).max(1)),
                (Activation::Gauss, _) => (est, self.paper_estimator_nets),
                _ => (est, self.nets),
            })
            .collect()
    }
}

/// The Monte Carlo estimators of a network, the reference estimator first.
pub fn monte_carlo_estimators(act: Activation) -> &'static [Estimator] {
    match act {
        Activation::Gauss => &[Estimator::BiasIntegrated, Estimator::Conditional, Estimator::Raw],
        _ => &[Estimator::Conditional, Estimator::Raw],
    }
}

/// The networks of Table 5, in the order of the study.
const NETWORKS: [Activation; 3] = [Activation::Gauss, Activation::Relu, Activation::Erf];

/// The Monte Carlo ensemble of `act` on its training or test inputs with estimator `est`,
/// seeded from `master`.
fn planned(
    master: u64,
    act: Activation,
    set: Table5Set,
    est: Estimator,
    nets: u64,
    experiments: usize,
) -> Result<Planned> {
    let (width, _) = setup(act);
    let inputs = match set {
        Table5Set::Train => InputSet::table5_train(act),
        Table5Set::Test => InputSet::table5_test(act),
    };
    let key = EnsembleKey::Table5 { activation: act, width, set, estimator: est };
    let ensemble = Ensemble::new(Network::paper(act, 1)?, width, inputs, nets, experiments, est, key.seed(master))?;
    Ok(Planned { key, ensemble })
}

/// The study's ensembles, in the order [`run`] asks for them.
pub fn ensembles(plan: &Table5Plan, master: u64) -> Result<Vec<Planned>> {
    let mut out = Vec::new();
    for act in NETWORKS {
        for (est, nets) in plan.estimators(act) {
            for set in Table5Set::BOTH {
                out.push(planned(master, act, set, est, nets, plan.experiments)?);
            }
        }
    }
    Ok(out)
}

/// Runs the three sources for every network.
pub fn run(runner: &dyn Runner, plan: &Table5Plan) -> Result<Table5Report> {
    let experiments = plan.experiments;
    let paper: PaperFile = toml::from_str(PAPER_TABLE5)
        .map_err(|e| StudyError::Dataset(format!("table5-paper.toml does not parse: {e}")))?;
    let mut rows = Vec::new();
    let mut test_sets = Vec::new();
    for act in NETWORKS {
        let (width, cutoff) = setup(act);
        let net = Network::paper(act, 1)?;
        let train = FitProblem::new(&net, InputSet::table5_train(act), cutoff)?;
        let test = FitProblem::new(&net, InputSet::table5_test(act), cutoff)?;
        // exact
        let exact_train = FiniteWidthTheory::new(&net, &train.inputs)?.at_width(width)?.kappa4;
        let exact_test = FiniteWidthTheory::new(&net, &test.inputs)?.at_width(width)?.kappa4;
        for model in Model::ALL {
            for loss in Loss::ALL {
                let c = train.fit(&exact_train, model, loss)?;
                let values = c.map_or(UNDETERMINED, |c| c.values);
                let tr = evaluate(&train.design, &exact_train, &values, model)?;
                let te = evaluate(&test.design, &exact_test, &values, model)?;
                rows.push(Row {
                    network: act,
                    model,
                    loss,
                    source: Source::Exact,
                    estimator: None,
                    couplings: values,
                    stderr: None,
                    train: Some((tr.mape, tr.mse)),
                    test: (te.mape, te.mse),
                    condition_number: c.map_or(Some(f64::INFINITY), |c| c.condition_number),
                    width,
                    cutoff: cutoff.value(),
                    nets: None,
                    singular: c.is_none(),
                });
            }
        }
        // Monte Carlo: every estimator, every experiment fitted separately
        for (est, nets) in plan.estimators(act) {
            let delta = |p: &FitProblem, set: Table5Set| -> Result<Vec<Vec<f64>>> {
                let r = runner.planned(&planned(runner.seed(), act, set, est, nets, experiments)?)?;
                Ok((0..experiments)
                    .map(|e| r.experiment(1, e).iter().zip(&p.gp4).map(|(g, k)| g - k).collect())
                    .collect())
            };
            let (d_train, d_test) = (delta(&train, Table5Set::Train)?, delta(&test, Table5Set::Test)?);
            let mean = |d: &[Vec<f64>]| -> Vec<f64> {
                (0..d[0].len()).map(|i| d.iter().map(|e| e[i]).sum::<f64>() / d.len() as f64).collect()
            };
            let (m_train, m_test) = (mean(&d_train), mean(&d_test));
            if est == reference_estimator(act) {
                let flat: Vec<f64> = d_test.iter().flatten().copied().collect();
                test_sets.push(TestSet {
                    network: act,
                    estimator: est,
                    measured: m_test.clone(),
                    measured_stderr: summarize(&flat, experiments)?.stderr,
                    exact: exact_test.clone(),
                    design: test.design.clone(),
                });
            }
            for model in Model::ALL {
                for loss in Loss::ALL {
                    let per_exp: Vec<Option<[f64; 3]>> = d_train
                        .iter()
                        .map(|d| train.fit(d, model, loss).map(|c| c.map(|c| c.values)))
                        .collect::<Result<_>>()?;
                    let singular = per_exp.iter().any(Option::is_none);
                    let flat: Vec<f64> = per_exp.iter().flat_map(|c| c.unwrap_or(UNDETERMINED)).collect();
                    let s = summarize(&flat, experiments)?;
                    let couplings = [s.mean[0], s.mean[1], s.mean[2]];
                    let tr = evaluate(&train.design, &m_train, &couplings, model)?;
                    let te = evaluate(&test.design, &m_test, &couplings, model)?;
                    let cn = train.fit(&m_train, model, Loss::Mse)?.map_or(Some(f64::INFINITY), |c| c.condition_number);
                    rows.push(Row {
                        network: act,
                        model,
                        loss,
                        source: Source::MonteCarlo,
                        estimator: Some(est),
                        couplings,
                        stderr: Some([s.stderr[0], s.stderr[1], s.stderr[2]]),
                        train: Some((tr.mape, tr.mse)),
                        test: (te.mape, te.mse),
                        condition_number: cn,
                        width,
                        cutoff: cutoff.value(),
                        nets: Some(nets * experiments as u64),
                        singular,
                    });
                }
            }
        }
        // paper
        let loss = Loss::parse(&paper.loss)?;
        for p in paper.rows.iter().filter(|r| r.network == act.name()) {
            let model = Model::parse(&p.model)?;
            rows.push(Row {
                network: act,
                model,
                loss,
                source: Source::Paper,
                estimator: None,
                couplings: [p.lambda0, p.lambda2, p.lambda_nl],
                stderr: None,
                train: None,
                test: (p.test_mape, p.test_mse),
                condition_number: None,
                width,
                cutoff: cutoff.value(),
                nets: None,
                singular: false,
            });
        }
        if !paper.rows.iter().any(|r| r.network == act.name()) {
            return Err(StudyError::Dataset(format!("table5-paper.toml has no rows for {}", act.name())));
        }
    }
    Ok(Table5Report { rows, test_sets })
}

impl Table5Report {
    /// The study's table with the stem of its report file: `table5` ([`table5_table`]), as
    /// `cargo xtask reproduce` writes it and Python's `nnqft.table5` returns it.
    pub fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![("table5", table5_table(&self.rows))]
    }
}

/// `table5.parquet`: one row per network, model, loss and source (exact, Monte Carlo with its
/// estimator, the paper), the couplings `λ0`, `λ2`, `λNL` with standard errors, the train and
/// test losses, the design's condition number and whether it determines the couplings.
pub fn table5_table(rows: &[Row]) -> Table {
    let c = |j: usize| rows.iter().map(move |r| r.couplings[j]).collect::<Vec<_>>();
    let e = |j: usize| rows.iter().map(move |r| r.stderr.map(|s| s[j])).collect::<Vec<_>>();
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .str("model", rows.iter().map(|r| r.model.name()))
        .str("loss", rows.iter().map(|r| r.loss.name()))
        .str("source", rows.iter().map(|r| r.source.name()))
        .opt_str("estimator", rows.iter().map(|r| r.estimator.map(|e| e.name().to_string())))
        .f64("lambda0", c(0))
        .f64("lambda2", c(1))
        .f64("lambda_nl", c(2))
        .opt("lambda0_stderr", e(0))
        .opt("lambda2_stderr", e(1))
        .opt("lambda_nl_stderr", e(2))
        .opt("train_mape", rows.iter().map(|r| r.train.map(|t| t.0)))
        .opt("train_mse", rows.iter().map(|r| r.train.map(|t| t.1)))
        .f64("test_mape", rows.iter().map(|r| r.test.0))
        .f64("test_mse", rows.iter().map(|r| r.test.1))
        .f64_with_inf("condition_number", rows.iter().map(|r| r.condition_number.unwrap_or(f64::NAN)))
        .str("determined", rows.iter().map(|r| if r.singular { "no" } else { "yes" }))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64_with_inf("cutoff", rows.iter().map(|r| r.cutoff))
        .opt("nets", rows.iter().map(|r| r.nets.map(|n| n as f64)))
}
