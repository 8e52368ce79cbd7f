//! The neural tangent kernel study (beyond the paper): the sampled NTK of deep networks at
//! finite width against its order-`1/n` theory, as the depth-to-width ratio `L/n` grows.
//!
//! For each activation at its critical initialisation ([`nnqft_theory::critical_point`]: relu
//! `C_W = 2`, `C_b = 0`; tanh `C_W = 1`, `C_b = 0`; gelu at its own `C_W`, `C_b`), depth `L` and
//! equal hidden width `n`, an ensemble of `L`-layer networks is sampled on the depth study's
//! x-set `{-1, -0.6, -0.2, 0.2, 0.6, 1}` ([`crate::depth::inputs`], `d = 1`, one output) in the
//! NTK parameterisation (`λ_W = C_W`, `λ_b = C_b`), each net's exact NTK `Θ(x_a, x_b)`
//! computed by a forward and a backward pass ([`nnqft_sampling::NtkEnsemble`]). On every pair
//! `a <= b` of the six points three quantities ([`NtkQuantity`]) are measured against their
//! leading order in `1/n` ([`nnqft_theory::NtkFluctuations`]; Roberts, Yaida, Hanin, *The
//! Principles of Deep Learning Theory*, arXiv:2106.10165, ch. 8, whose `Ĥ`, `H^{1}`, `A`, `B`,
//! `D`, `F` are ours as that type's docs state):
//!
//! ```text
//! mean shift          E[Θ_ab] − Θ_ab(∞)       = T_ab                        (PDLT: H^{1}_ab / n)
//! variance            Var Θ_ab                = (A_(ab)(ab) + B_aabb + B_abba) / n
//! cross-correlation   Cov(Θ_ab, f_a f_b)      = (D_(ab)(ab) + F_aabb + F_abba) / n
//! ```
//!
//! (`B` and `F` in PDLT's index order, the first two indices one neuron's). The measured mean
//! shift is the mean over experiments of each experiment's mean NTK less the infinite-width
//! NTK ([`nnqft_theory::NeuralTangentKernel`]), with the standard error over experiments; the
//! variance and cross-correlation are each experiment's unbiased covariance over its nets,
//! averaged over experiments, with their standard error.
//!
//! At equal widths every one of the three is exactly `1/n` times a width-independent
//! coefficient (the recursions carry `1/n_l` with ratios `n_l / n_(l−1) = 1`): the study
//! computes the theory at `n = 1` and divides by `n` (`theory_is_one_over_n` in the tests checks
//! this against the theory at each width, to rounding), and so is the bound on each prediction's
//! quadrature error (`predicted_error`: [`nnqft_theory::NtkFluctuations::theta_shift_error`] and its
//! siblings, propagated through the recursions entry by entry; the summary states the largest
//! relative one per quantity, [`NtkStudyReport::relative_errors`]). The theory is built once per activation,
//! at the deepest `L`, and read off at each depth ([`nnqft_theory::NtkFluctuations::at_widths`]:
//! a depth's recursion passes through every shallower one, and the numbers are a build per depth's
//! bit for bit). For relu the mean shift vanishes on the diagonal `a = b` (Guillen, Misof, Gerken,
//! arXiv:2508.11522) and, at `d = 1` without biases, on every pair of same-sign points (relu
//! is homogeneous and such points are collinear); at `L = 1` it vanishes for every
//! network (the mean NTK of one hidden layer is the infinite-width one exactly). Relu's NTK on
//! opposite-sign points is exactly zero per network at `L = 1` (its standard error too, so its
//! `z` is undefined).

use crate::depth::inputs;
use crate::error::Result;
use crate::key::EnsembleKey;
use crate::relative_error::RelativeError;
use crate::runner::Runner;
use crate::table::Table;
use nnqft_sampling::{Measured, NtkEnsemble};
use nnqft_theory::{DeepActivation, DeepNetwork, Multisets, NtkFluctuations};
use serde::Serialize;

/// What the NTK study samples.
#[derive(Debug, Clone, Serialize)]
pub struct NtkStudyPlan {
    /// Activations, each at its critical point ([`DeepNetwork::at_criticality`]).
    #[serde(serialize_with = "crate::depth::activation_names")]
    pub activations: Vec<DeepActivation>,
    /// Depths `L` (hidden layers).
    pub depths: Vec<usize>,
    /// Equal hidden widths `n`.
    pub widths: Vec<usize>,
    /// Experiments per `(activation, L, n)` (>= 2).
    pub experiments: usize,
    /// Nets per experiment (>= 2).
    pub nets: u64,
}

impl NtkStudyPlan {
    /// The study of the issue: relu, tanh, gelu; `L ∈ {1, 2, 4, 8}`; `n ∈ {20, 50, 100}`.
    pub fn standard(experiments: usize, nets: u64) -> Self {
        Self {
            activations: vec![DeepActivation::Relu, DeepActivation::Tanh, DeepActivation::Gelu],
            depths: vec![1, 2, 4, 8],
            widths: vec![20, 50, 100],
            experiments,
            nets,
        }
    }
}

impl NtkStudyPlan {
    /// Nets over every ensemble of the plan, `activations × depths × widths × experiments ×
    /// nets` (saturating at `u64::MAX`).
    pub fn nets_total(&self) -> u64 {
        ((self.activations.len() * self.depths.len() * self.widths.len()) as u64)
            .saturating_mul(self.experiments as u64)
            .saturating_mul(self.nets)
    }
}

/// The diagonal pair `(x, x)` the summary and the figure use for the variance and the
/// cross-correlation: `x = 1`, the last point of the x-set ([`crate::depth::FIT_POINT`]).
pub const DIAGONAL: [usize; 2] = [crate::depth::FIT_POINT, crate::depth::FIT_POINT];

/// The off-diagonal pair the summary and the figure use: `(x_0, x_5) = (−1, 1)`, where relu's
/// mean shift is not zero (beyond `L = 1`).
pub const OFF_DIAGONAL: [usize; 2] = [0, crate::depth::FIT_POINT];

/// A prediction this small in absolute value is a zero of the theory (relu's mean shift, every
/// mean shift at `L = 1`), left to rounding: no ratio measured/predicted is formed.
pub const PREDICTED_ZERO: f64 = 1e-12;

/// What a row of the study measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NtkQuantity {
    /// `E[Θ_ab] − Θ_ab(∞)`, predicted `T_ab`.
    MeanShift,
    /// `Var Θ_ab`, predicted `(A_(ab)(ab) + B_aabb + B_abba) / n`.
    Variance,
    /// `Cov(Θ_ab, f_a f_b)`, predicted `(D_(ab)(ab) + F_aabb + F_abba) / n`.
    CrossCorrelation,
}

impl NtkQuantity {
    /// Every quantity, in table order.
    pub const ALL: [NtkQuantity; 3] = [NtkQuantity::MeanShift, NtkQuantity::Variance, NtkQuantity::CrossCorrelation];

    /// `mean_shift`, `variance` or `cross_correlation` (the `quantity` column).
    pub fn name(self) -> &'static str {
        match self {
            NtkQuantity::MeanShift => "mean_shift",
            NtkQuantity::Variance => "variance",
            NtkQuantity::CrossCorrelation => "cross_correlation",
        }
    }

    /// The pair of points the summary and the figure show: [`OFF_DIAGONAL`] for the mean shift
    /// (relu's is zero on the diagonal), [`DIAGONAL`] for the others.
    pub fn shown_pair(self) -> [usize; 2] {
        match self {
            NtkQuantity::MeanShift => OFF_DIAGONAL,
            _ => DIAGONAL,
        }
    }
}

impl std::fmt::Display for NtkQuantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One quantity on one pair of points at one `(activation, L, n)`.
#[derive(Debug, Clone, PartialEq)]
pub struct NtkStudyRow {
    /// Activation.
    pub network: DeepActivation,
    /// Depth `L`.
    pub depth: usize,
    /// Equal hidden width `n`.
    pub width: usize,
    /// The quantity.
    pub quantity: NtkQuantity,
    /// The pair of input indices `(a, b)`, `a <= b`.
    pub points: [usize; 2],
    /// Measured: mean over experiments.
    pub measured: f64,
    /// Its standard error over experiments.
    pub stderr: f64,
    /// The leading order in `1/n`.
    pub predicted: f64,
    /// The bound on its quadrature error, propagated through the recursions
    /// ([`NtkFluctuations::theta_shift_error`], [`NtkFluctuations::ntk_covariance_error`],
    /// [`NtkFluctuations::ntk_preactivation_error`]; 0 where every expectation is a closed form).
    pub predicted_error: f64,
}

impl NtkStudyRow {
    /// `L/n`.
    pub fn l_over_n(&self) -> f64 {
        self.depth as f64 / self.width as f64
    }

    /// Whether the pair is diagonal, `a = b`.
    pub fn diagonal(&self) -> bool {
        self.points[0] == self.points[1]
    }

    /// `a,b`.
    pub fn indices(&self) -> String {
        format!("{},{}", self.points[0], self.points[1])
    }

    /// `(measured − predicted) / stderr`; `None` where the standard error is zero (relu's NTK
    /// on opposite-sign points at `L = 1`: zero for every net).
    pub fn z(&self) -> Option<f64> {
        (self.stderr > 0.0).then(|| (self.measured - self.predicted) / self.stderr)
    }

    /// `measured / predicted`, `None` where the prediction is a zero ([`PREDICTED_ZERO`]).
    pub fn ratio(&self) -> Option<f64> {
        (self.predicted.abs() > PREDICTED_ZERO).then(|| self.measured / self.predicted)
    }

    /// Whether the measurement has left the order-`1/n` theory: off by more than 10% of the
    /// prediction and by more than 3 standard errors (never where the standard error is zero:
    /// a value that is zero for every net differs from its prediction by rounding alone).
    pub fn leaves_theory(&self) -> bool {
        let d = (self.measured - self.predicted).abs();
        d > 0.1 * self.predicted.abs() && self.z().is_some_and(|z| z.abs() > 3.0)
    }
}

/// Everything the NTK study measures.
#[derive(Debug, Clone, Default)]
pub struct NtkStudyReport {
    /// One row per `(activation, L, n, quantity, pair of points)`.
    pub rows: Vec<NtkStudyRow>,
}

impl NtkStudyReport {
    /// The row of `quantity` on `points` at `(act, L, n)`.
    pub fn row(
        &self,
        act: DeepActivation,
        depth: usize,
        width: usize,
        quantity: NtkQuantity,
        points: [usize; 2],
    ) -> Option<&NtkStudyRow> {
        self.rows.iter().find(|r| {
            r.network == act && r.depth == depth && r.width == width && r.quantity == quantity && r.points == points
        })
    }

    /// Per quantity ([`NtkQuantity::ALL`] order), the largest relative quadrature error bound of
    /// its prediction, `predicted_error / |predicted|`, over the rows whose prediction is not
    /// negligible beside the largest of the same quantity at the same `(network, L, n)`
    /// ([`crate::relative_error::NEGLIGIBLE_FRACTION`]), and where it occurs.
    pub fn relative_errors(&self) -> [Option<RelativeError<NtkQuantity>>; 3] {
        NtkQuantity::ALL.map(|q| {
            let rows = self.rows.iter().filter(move |r| r.quantity == q);
            let entries = rows.map(|r| (r.network, r.depth, r.width, r.indices(), r.predicted, r.predicted_error));
            let entries: Vec<_> = entries.collect();
            RelativeError::largest(q, entries.iter().map(|e| (e.0, e.1, e.2, e.3.as_str(), e.4, e.5)))
        })
    }

    /// The study's table with the stem of its report file, `ntk_study` ([`ntk_study_table`]),
    /// as `cargo xtask reproduce` writes it and Python's `nnqft.ntk_study` returns it.
    pub fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![("ntk_study", ntk_study_table(&self.rows))]
    }
}

/// Runs the study: the theory once per activation at the deepest `L` and `n = 1`, read off at
/// every depth ([`NtkFluctuations::at_widths`]: the same numbers as a build per depth, bit for
/// bit), every ensemble through `runner`
/// (`Runner::ntk_ensemble`, keyed [`EnsembleKey::NtkStudy`]), and a row per quantity and pair.
/// Errors: a plan with fewer than 2 experiments or nets, or a depth or width of 0 (naming the
/// field), and those of the theory and the sampler.
pub fn run(runner: &dyn Runner, plan: &NtkStudyPlan) -> Result<NtkStudyReport> {
    check(plan)?;
    let xs = inputs()?;
    let pairs = Multisets::new(xs.len(), 2)?;
    let m = xs.len();
    let mut report = NtkStudyReport::default();
    let Some(max_depth) = plan.depths.iter().copied().max() else { return Ok(report) };
    for &act in &plan.activations {
        // one build to the deepest L at n = 1; every depth's theory is its first L layers
        let deepest_unit = DeepNetwork::at_criticality(act, &vec![1; max_depth])?;
        let deepest = NtkFluctuations::with_monitor(
            &deepest_unit,
            &xs,
            deepest_unit.c_w(),
            deepest_unit.c_b(),
            runner.monitor(),
        )?;
        for &depth in &plan.depths {
            // every width's theory is this one's divided by n (module docs)
            let theory = deepest.at_widths(&vec![1; depth])?;
            let unit = theory.network();
            let (theta_inf, shift, shift_error) =
                (theory.ntk().output(), theory.theta_shift(), theory.theta_shift_error());
            for &width in &plan.widths {
                let net = unit.with_widths(&vec![width; depth])?;
                let key = EnsembleKey::NtkStudy { activation: act, depth, width };
                let ens = NtkEnsemble::new(net, xs.clone(), plan.nets, plan.experiments, key.seed(runner.seed()))?
                    .with_fluctuations()?;
                ens.check_memory(1)?;
                let result = runner.ntk_ensemble(&key, &ens)?;
                let n = width as f64;
                for pair in pairs.iter() {
                    let (a, b) = (pair[0] as usize, pair[1] as usize);
                    let quad = [a, b, a, b];
                    // the ensemble's points are the x-set's and it measures its fluctuations
                    let mean = result.ntk(a, b, 0, 0).expect("pair in range");
                    let measured = [
                        Measured { mean: mean.mean - theta_inf[a * m + b], stderr: mean.stderr },
                        result.ntk_covariance([0; 4], quad).expect("pair in range, fluctuations on"),
                        result.ntk_preactivation([0; 4], quad).expect("pair in range, fluctuations on"),
                    ];
                    let predicted = [
                        shift[a * m + b] / n,
                        theory.ntk_covariance([0; 4], quad) / n,
                        theory.ntk_preactivation([0; 4], quad) / n,
                    ];
                    let predicted_error = [
                        shift_error[a * m + b] / n,
                        theory.ntk_covariance_error([0; 4], quad) / n,
                        theory.ntk_preactivation_error([0; 4], quad) / n,
                    ];
                    let predictions = predicted.into_iter().zip(predicted_error);
                    for ((quantity, got), (want, want_error)) in
                        NtkQuantity::ALL.into_iter().zip(measured).zip(predictions)
                    {
                        report.rows.push(NtkStudyRow {
                            network: act,
                            depth,
                            width,
                            quantity,
                            points: [a, b],
                            measured: got.mean,
                            stderr: got.stderr,
                            predicted: want,
                            predicted_error: want_error,
                        });
                    }
                }
            }
        }
    }
    Ok(report)
}

/// The plan's ranges, each error naming its field.
fn check(plan: &NtkStudyPlan) -> Result<()> {
    let refuse = |field: &'static str, value: String, allowed: &str| {
        Err(crate::StudyError::OutOfRange { field, value, allowed: allowed.into() })
    };
    if plan.experiments < 2 {
        return refuse("experiments", plan.experiments.to_string(), "an integer >= 2 (standard errors need two)");
    }
    if plan.nets < 2 {
        return refuse("nets", plan.nets.to_string(), "an integer >= 2 (covariances need two nets)");
    }
    if let Some(&d) = plan.depths.iter().find(|&&d| d == 0) {
        return refuse("depths", d.to_string(), "integers >= 1");
    }
    if let Some(&w) = plan.widths.iter().find(|&&w| w == 0) {
        return refuse("widths", w.to_string(), "integers >= 1");
    }
    Ok(())
}

/// `ntk_study.parquet`: per activation, depth, width, quantity and pair of points, the measured
/// value with its standard error against the order-`1/n` prediction with the bound on its
/// quadrature error (`predicted_error`) and `z`.
pub fn ntk_study_table(rows: &[NtkStudyRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("depth", rows.iter().map(|r| r.depth as i64))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64("l_over_n", rows.iter().map(NtkStudyRow::l_over_n))
        .str("quantity", rows.iter().map(|r| r.quantity.name()))
        .str("indices", rows.iter().map(NtkStudyRow::indices))
        .f64("measured", rows.iter().map(|r| r.measured))
        .f64("stderr", rows.iter().map(|r| r.stderr))
        .f64("predicted", rows.iter().map(|r| r.predicted))
        .f64("predicted_error", rows.iter().map(|r| r.predicted_error))
        .opt("z", rows.iter().map(NtkStudyRow::z))
}
