//! The N^-1 scaling study (paper section 2): for each network (the paper's three and the Cos-net
//! of its sequel, arXiv:2307.03223, whose kernel is translation invariant), input
//! dimension, width and estimator, sample the ensemble, compare `G(n)` with the GP and the
//! exact finite-width theory, and fit the power laws.

use crate::error::Result;
use crate::key::EnsembleKey;
use crate::runner::{Planned, Runner};
use crate::table::{Table, joined};
use nnqft_sampling::{DeepEnsembleResult, Ensemble, EnsembleResult, Estimator};
use nnqft_stats::{
    PowerLawFit, Summary, background, common_exponent_slope, connected_six_point, fit_common_exponent, fit_power_law,
    jackknife_stderr, m_n, mean_relative_deviation, summarize,
};
use nnqft_theory::{
    Activation, ExactCorrelators, FiniteWidthTheory, InputSet, KernelShift, Multisets, Network, SixPointVertex,
    WickSums,
};
use std::fmt;

/// How a scaling slope is fitted: the `method` column of `scaling_fits.parquet`,
/// `coverage.parquet` and `analyze_fits.parquet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlopeMethod {
    /// The paper's least-squares fit of `log10 m_n` on `log10 N`, over the widths where the signal
    /// exceeds 3x the background.
    PaperLsq,
    /// One exponent for every multiset, fitted to the signed deviations over every width, with a
    /// jackknife interval ([`nnqft_stats::fit_common_exponent`]).
    CommonExponent,
}

impl SlopeMethod {
    /// The name in the reports: `paper_lsq` or `common_exponent`.
    pub fn name(self) -> &'static str {
        match self {
            Self::PaperLsq => "paper_lsq",
            Self::CommonExponent => "common_exponent",
        }
    }
}

impl fmt::Display for SlopeMethod {
    /// [`SlopeMethod::name`], padded as a string would be.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// What a scaling fit fits: the `quantity` column of `scaling_fits.parquet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FitQuantity {
    /// The paper's `m_n` (or, for the common exponent, the deviation `Delta G_n` it summarises).
    MN,
    /// The connected 6-pt function.
    Connected6pt,
}

impl FitQuantity {
    /// The name in the reports: `m_n` or `connected_6pt`.
    pub fn name(self) -> &'static str {
        match self {
            Self::MN => "m_n",
            Self::Connected6pt => "connected_6pt",
        }
    }
}

impl fmt::Display for FitQuantity {
    /// [`FitQuantity::name`], padded as a string would be.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Relative standard error below which a value has no sampling noise (rounding only).
const ZERO_STDERR: f64 = 1e-12;

/// The estimators of a network, in report order, the best last: the paper's raw estimator, and
/// the conditional-Gaussian one averaged over everything that enters in closed form: the readout
/// (`conditional`), and for Gauss-net also the hidden biases (`bias_integrated`, free of the
/// log-normal tail of `e^{2b}`). The Cos-net is not among the paper's networks, so there is no
/// paper estimator to reproduce: it has the conditional one only.
pub fn estimators(act: Activation) -> &'static [Estimator] {
    match act {
        Activation::Gauss => &[Estimator::Raw, Estimator::BiasIntegrated],
        Activation::Cos => &[Estimator::Conditional],
        Activation::Erf | Activation::Relu => &[Estimator::Raw, Estimator::Conditional],
    }
}

/// One row of `scaling.parquet`.
#[derive(Debug, Clone)]
pub struct ScalingRow {
    /// Network.
    pub network: Activation,
    /// Input dimension.
    pub d: usize,
    /// Width.
    pub width: usize,
    /// Order n.
    pub n: usize,
    /// Estimator.
    pub estimator: Estimator,
    /// `m_n` measured.
    pub m_n: f64,
    /// Standard error of `m_n` over experiments (delete-one jackknife, `nnqft_stats::jackknife_stderr`).
    pub m_n_stderr: f64,
    /// Background.
    pub background: f64,
    /// `m_n` of the exact finite-width correlators.
    pub m_n_exact: Option<f64>,
    /// n = 6 only: mean |connected 6-pt| / |G6_GP|, measured.
    pub connected: Option<f64>,
    /// Its standard error over experiments (jackknife).
    pub connected_stderr: Option<f64>,
    /// Its background.
    pub connected_background: Option<f64>,
    /// Its exact value (`kappa6`).
    pub connected_exact: Option<f64>,
}

/// One row of `scaling_fits.parquet`.
#[derive(Debug, Clone)]
pub struct FitRow {
    /// Network.
    pub network: Activation,
    /// Input dimension.
    pub d: usize,
    /// Order n.
    pub n: usize,
    /// Estimator.
    pub estimator: Estimator,
    /// `m_n` or the connected 6-pt function.
    pub quantity: FitQuantity,
    /// The paper's least-squares fit of `log m_n`, or the common exponent
    /// ([`nnqft_stats::fit_common_exponent`]: signed deviations, jackknife interval).
    pub method: SlopeMethod,
    /// The fit: for `paper_lsq` over the widths where the signal exceeds 3x the background
    /// (None if < 2); for `common_exponent` over every width (`r2` NaN).
    pub fit: Option<PowerLawFit>,
    /// Standard error of the slope (the interval's half-width over its t quantile).
    pub slope_stderr: Option<f64>,
    /// Widths used.
    pub widths: Vec<usize>,
    /// Slope of the exact curve over the same widths.
    pub slope_exact: Option<f64>,
    /// The paper's expectation.
    pub slope_expected: f64,
}

impl FitRow {
    /// The quantity as the summary and the coverage study name it: `m4`, `m6` (`m_n` of order
    /// `n`) or `connected_6pt`.
    pub fn label(&self) -> String {
        match self.quantity {
            FitQuantity::MN => format!("m{}", self.n),
            FitQuantity::Connected6pt => self.quantity.name().to_string(),
        }
    }

    /// Where the fit has an interval and exact theory a slope: `Ok(())` if the interval
    /// contains the exact slope, else `Err(z)` with `z = (slope - exact) / slope_stderr`.
    pub fn covers_exact(&self) -> Option<Result<(), f64>> {
        let (fit, exact) = (self.fit.as_ref()?, self.slope_exact?);
        if !fit.slope_lo.is_finite() {
            return None;
        }
        Some(if fit.slope_lo <= exact && exact <= fit.slope_hi {
            Ok(())
        } else {
            Err((fit.slope - exact) / self.slope_stderr.unwrap_or(f64::NAN))
        })
    }
}

/// Agreement of measured correlators with the exact finite-width theory, pooled over widths
/// and multisets of one `(network, d, estimator, n)`: `z = (g_mean - g_exact) / g_stderr`.
#[derive(Debug, Clone)]
pub struct AgreementRow {
    /// Network.
    pub network: Activation,
    /// Input dimension.
    pub d: usize,
    /// Estimator.
    pub estimator: Estimator,
    /// Order n.
    pub n: usize,
    /// Number of (width, multiset) values compared.
    pub count: usize,
    /// Fraction with |z| <= 3.
    pub within_3: f64,
    /// Median |z|.
    pub median_abs_z: f64,
    /// Largest |z|.
    pub max_abs_z: f64,
    /// The same values width by width, in increasing width.
    pub by_width: Vec<WidthAgreement>,
}

/// The values of one [`AgreementRow`] at one width: they share that width's nets, so they move
/// together (with the bias-integrated estimator almost as one).
#[derive(Debug, Clone, PartialEq)]
pub struct WidthAgreement {
    /// Width `N`.
    pub width: usize,
    /// Number of multisets compared at this width.
    pub count: usize,
    /// How many of them have |z| > 3.
    pub beyond_3: usize,
    /// Smallest |z| at this width.
    pub min_abs_z: f64,
    /// Largest |z| at this width.
    pub max_abs_z: f64,
}

/// Everything the scaling study produces.
pub struct ScalingReport {
    /// Measured against exact, per (network, d, estimator, n).
    pub agreement: Vec<AgreementRow>,
    /// What honest error bars from the plan's number of experiments give (Student's t).
    pub z_expected: nnqft_stats::ZExpectation,
    /// Every signed `z = (g_mean - g_exact) / g_stderr` behind `agreement`, keyed by
    /// `(network, d, estimator, n)`.
    pub z_scores: Vec<((Activation, usize, Estimator, usize), f64)>,
    /// The rows of `correlators.parquet`.
    pub correlators: CorrelatorColumns,
    /// Rows of `scaling.parquet`.
    pub rows: Vec<ScalingRow>,
    /// Rows of `scaling_fits.parquet`.
    pub fits: Vec<FitRow>,
}

/// The signed deviations of one `(network, d, estimator)` group over widths, for the
/// common-exponent fits: for each quantity (`Delta G4`, `Delta G6`, connected 6-pt) and width,
/// the values of every experiment (experiment-major) and, where it exists, the exact value.
#[derive(Debug, Clone)]
pub struct DeviationSeries {
    /// Network.
    pub network: Activation,
    /// Input dimension.
    pub d: usize,
    /// Estimator.
    pub estimator: Estimator,
    /// Experiments per width.
    pub experiments: usize,
    /// Widths in study order.
    pub widths: Vec<usize>,
    /// Per quantity and width: `experiments x multisets`.
    pub measured: [Vec<Vec<f64>>; 3],
    /// Per quantity and width: the exact deviation (None if exact theory is missing at any width).
    pub exact: [Option<Vec<Vec<f64>>>; 3],
    /// Per quantity: `|G_GP|` by multiset, the scale of `m_n` (`G4_GP`, `G6_GP`, `G6_GP`).
    pub gp_scale: [Vec<f64>; 3],
}

/// The quantities of the common-exponent fits: (order n, quantity, paper's expected slope).
const CALIBRATED: [(usize, FitQuantity, f64); 3] =
    [(4, FitQuantity::MN, -1.0), (6, FitQuantity::MN, -1.0), (6, FitQuantity::Connected6pt, -2.0)];

/// What one ensemble contributes to the study.
pub struct Block {
    /// Its rows of `scaling.parquet` (n = 2, 4, 6).
    pub rows: Vec<ScalingRow>,
    /// `((n), z)` of every value against exact theory (empty without it).
    pub z: Vec<(usize, f64)>,
    /// Per experiment (experiment-major): `Delta G4`, `Delta G6` and the connected 6-pt.
    pub deviations: [Vec<f64>; 3],
    /// The exact counterparts (None without exact theory).
    pub exact_deviations: Option<[Vec<f64>; 3]>,
}

/// Measures one ensemble's result against the GP and the exact theory.
pub fn block(
    net: &Network,
    width: usize,
    est: Estimator,
    result: &EnsembleResult,
    gp: &GpTensors,
    exact: Option<&ExactCorrelators>,
) -> Result<Block> {
    let (act, d) = (net.activation(), net.d_in());
    let sums = summaries(result)?;
    let mut z = Vec::new();
    if let Some(ex) = exact {
        for o in 0..3 {
            for (p, (m, se)) in sums[o].mean.iter().zip(&sums[o].stderr).enumerate() {
                // a standard error at rounding level is an estimator without variance there
                // (Gauss-net's bias-integrated G2 at x_a = -x_b): no z-score
                if *se > ZERO_STDERR * ex.g[o][p].abs() {
                    z.push((2 * o + 2, (m - ex.g[o][p]) / se));
                }
            }
        }
    }
    let per_experiment_connected = connected_per_experiment(result, gp)?;
    let conn = {
        let s = summarize(&per_experiment_connected, result.experiments)?;
        let stderr = jackknife_stderr(&per_experiment_connected, result.experiments, |m| {
            Ok::<_, nnqft_stats::StatsError>(mean_abs_ratio(m, &gp.tensors[2]))
        })?;
        (mean_abs_ratio(&s.mean, &gp.tensors[2]), background(&s, &gp.tensors[2])?, stderr)
    };
    let mut rows = Vec::new();
    for o in 0..3 {
        let six = o == 2;
        rows.push(ScalingRow {
            network: act,
            d,
            width,
            n: 2 * o + 2,
            estimator: est,
            m_n: m_n(&sums[o], &gp.tensors[o])?,
            m_n_stderr: jackknife_stderr(&result.means[o], result.experiments, |m| {
                mean_relative_deviation(m, &gp.tensors[o])
            })?,
            background: background(&sums[o], &gp.tensors[o])?,
            m_n_exact: exact.map(|e| mean_relative_deviation(&e.g[o], &gp.tensors[o])).transpose()?,
            connected: six.then_some(conn.0),
            connected_stderr: six.then_some(conn.2),
            connected_background: six.then_some(conn.1),
            connected_exact: if six { exact.map(|e| mean_abs_ratio(&e.kappa6, &gp.tensors[2])) } else { None },
        });
    }
    let minus_gp = |o: usize| -> Vec<f64> {
        (0..result.experiments)
            .flat_map(|e| result.experiment(o, e).iter().zip(&gp.tensors[o]).map(|(g, w)| g - w).collect::<Vec<_>>())
            .collect()
    };
    let exact_minus_gp = |e: &ExactCorrelators, o: usize| -> Vec<f64> {
        e.g[o].iter().zip(&gp.tensors[o]).map(|(g, w)| g - w).collect()
    };
    Ok(Block {
        rows,
        z,
        deviations: [minus_gp(1), minus_gp(2), per_experiment_connected],
        exact_deviations: exact.map(|e| [exact_minus_gp(e, 1), exact_minus_gp(e, 2), e.kappa6.clone()]),
    })
}

impl DeviationSeries {
    /// An empty series of the network's GP tensors `gp`.
    pub fn new(network: Activation, d: usize, estimator: Estimator, experiments: usize, gp: &GpTensors) -> Self {
        let abs = |v: &[f64]| v.iter().map(|x| x.abs()).collect::<Vec<_>>();
        Self {
            gp_scale: [abs(&gp.tensors[1]), abs(&gp.tensors[2]), abs(&gp.tensors[2])],
            network,
            d,
            estimator,
            experiments,
            widths: Vec::new(),
            measured: [Vec::new(), Vec::new(), Vec::new()],
            exact: [Some(Vec::new()), Some(Vec::new()), Some(Vec::new())],
        }
    }

    /// Appends one width's block.
    pub fn push(&mut self, width: usize, block: &Block) {
        self.widths.push(width);
        for q in 0..3 {
            self.measured[q].push(block.deviations[q].clone());
            self.exact[q] = match (self.exact[q].take(), &block.exact_deviations) {
                (Some(mut v), Some(e)) => {
                    v.push(e[q].clone());
                    Some(v)
                }
                _ => None,
            };
        }
    }

    /// The common-exponent fits of `Delta G4`, `Delta G6` and the connected 6-pt function over
    /// every width, each with the exponent the same fit gives on the exact deviations.
    pub fn fits(&self) -> Result<Vec<FitRow>> {
        let widths: Vec<f64> = self.widths.iter().map(|w| *w as f64).collect();
        let mut out = Vec::new();
        for (q, (n, quantity, expected)) in CALIBRATED.into_iter().enumerate() {
            let fit = match fit_common_exponent(&widths, &self.measured[q], self.experiments) {
                Ok(fit) => fit,
                // nothing with a standard error to weigh (an estimator without variance)
                Err(nnqft_stats::StatsError::TooFew { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let resolved = fit.resolved_widths >= 2;
            let slope_exact =
                self.exact[q].as_ref().map(|ex| common_exponent_slope(&widths, ex, &fit.weights)).transpose()?;
            out.push(FitRow {
                network: self.network,
                d: self.d,
                n,
                estimator: self.estimator,
                quantity,
                method: SlopeMethod::CommonExponent,
                slope_stderr: resolved.then_some(fit.stderr),
                fit: resolved.then_some(PowerLawFit {
                    slope: fit.slope,
                    slope_lo: fit.slope_lo,
                    slope_hi: fit.slope_hi,
                    // m(N) = mean_i |A_i N^p| / |G_GP,i| = N^p mean_i |A_i| / |G_GP,i|
                    intercept: (fit.amplitudes.iter().zip(&self.gp_scale[q]).map(|(a, g)| a.abs() / g).sum::<f64>()
                        / fit.amplitudes.len() as f64)
                        .log10(),
                    r2: f64::NAN,
                    points: widths.len(),
                }),
                widths: self.widths.clone(),
                slope_exact,
                slope_expected: expected,
            });
        }
        Ok(out)
    }
}

/// Per-multiset correlator rows, accumulated column-wise: the columns of
/// `correlators.parquet`, one entry per (block, order, multiset).
#[derive(Debug, Clone, Default)]
pub struct CorrelatorColumns {
    /// Network name.
    pub network: Vec<String>,
    /// Input dimension d.
    pub d_in: Vec<i64>,
    /// Depth L (hidden layers; 1 for the paper's networks).
    pub depth: Vec<i64>,
    /// Hidden width N (of the last hidden layer, `n_L`, for deep networks).
    pub width: Vec<i64>,
    /// Every hidden width, `n_1,...,n_L`.
    pub widths: Vec<String>,
    /// Order n (2, 4, 6).
    pub n: Vec<i64>,
    /// The multiset's input indices, e.g. `0,0,1,3`.
    pub indices: Vec<String>,
    /// The output index of each factor, in the order of `indices`, e.g. `0,0,1,1`.
    pub outputs: Vec<String>,
    /// Estimator name.
    pub estimator: Vec<String>,
    /// Mean over experiments of the measured `G(n)`.
    pub g_mean: Vec<f64>,
    /// Its standard error over experiments.
    pub g_stderr: Vec<f64>,
    /// Standard deviation over experiments.
    pub g_std_experiments: Vec<f64>,
    /// The GP (free theory) value.
    pub g_gp: Vec<f64>,
    /// Each experiment's mean of the measured `G(n)` (over its nets), in experiment order: what
    /// `g_mean`, `g_stderr` and `g_std_experiments` summarise, for a user's own statistics.
    pub g_experiments: Vec<Vec<f64>>,
    /// The leading order in `1/n` of the connected 4-pt function, `G4 − Wick4(G2)`, from the
    /// four-point vertex (deep networks; null elsewhere). Compare it with the measured `G4`
    /// minus the Wick sum of the measured `G2`, not of the GP: at depth `L >= 2`, `G2` differs
    /// from the kernel `K` at `O(1/n)` too, a shift this column leaves out.
    pub connected_leading_order: Vec<Option<f64>>,
    /// The `1/n` shift `S` of the two-point function, `G2 = K + S + O(1/n²)`, each layer weighted
    /// by its own `1/n_l` (deep networks, order 2; null elsewhere): compare it with the measured
    /// `G2` minus `g_gp`.
    pub shift_leading_order: Vec<Option<f64>>,
    /// The exact finite-width value, where exact theory exists.
    pub g_exact: Vec<Option<f64>>,
}

impl CorrelatorColumns {
    /// Appends the rows of one block.
    #[allow(clippy::too_many_arguments)]
    pub fn push_block(
        &mut self,
        net: &Network,
        width: usize,
        est: Estimator,
        result: &EnsembleResult,
        summaries: &[Summary; 3],
        gp: &[Vec<f64>; 3],
        exact: Option<&[Vec<f64>; 3]>,
    ) {
        let ms = &result.multisets;
        let keys = CorrelatorKeys::new(net, [&ms[0], &ms[1], &ms[2]]);
        let rows = keys.len();
        self.network.extend(keys.network);
        self.d_in.extend(keys.d_in);
        self.depth.extend(std::iter::repeat_n(1, rows));
        self.width.extend(std::iter::repeat_n(width as i64, rows));
        self.widths.extend(std::iter::repeat_n(width.to_string(), rows));
        self.outputs.extend(keys.n.iter().map(|&n| vec!["0"; n as usize].join(",")));
        self.n.extend(keys.n);
        self.indices.extend(keys.indices);
        self.estimator.extend(std::iter::repeat_n(est.name().to_string(), rows));
        self.connected_leading_order.extend(std::iter::repeat_n(None, rows));
        self.shift_leading_order.extend(std::iter::repeat_n(None, rows));
        for o in 0..3 {
            let len = ms[o].len();
            self.g_mean.extend_from_slice(&summaries[o].mean[..len]);
            self.g_stderr.extend_from_slice(&summaries[o].stderr[..len]);
            self.g_std_experiments.extend_from_slice(&summaries[o].std[..len]);
            self.g_gp.extend_from_slice(&gp[o][..len]);
            self.g_experiments
                .extend((0..len).map(|pos| (0..result.experiments).map(|e| result.experiment(o, e)[pos]).collect()));
            self.g_exact.extend((0..len).map(|pos| exact.map(|e| e[o][pos])));
        }
    }

    /// Appends the rows of a deep ensemble (orders 2, 4 and, when measured, 6 over its
    /// `(output, point)` pairs), with the GP, the `1/n` shift of `G2`, the leading-order
    /// connected 4-pt function of `shift` (the kernel shift of the same network and inputs,
    /// which holds its vertex) and, at order 6, the leading-order connected 6-pt function
    /// (sixth cumulant, order `1/n²`) of `six`, the six-point vertex of the same network and
    /// inputs (`None`: `connected_leading_order` is null at order 6, e.g. beyond
    /// `deep_theory::ORDER_SIX_MAX_POINTS` input points). The order-6 GP is the 15-pairing Wick
    /// sum of `δ_ij K` (the six-point vertex's own where it is given, as in the theory table).
    pub fn push_deep_block(
        &mut self,
        shift: &KernelShift,
        six: Option<&SixPointVertex>,
        est: Estimator,
        result: &DeepEnsembleResult,
    ) -> Result<()> {
        let vertex = shift.vertex();
        let s2 = shift.shift();
        let net = vertex.network();
        let widths = net.widths().iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",");
        let (_, connected, gp4) = vertex.output_indexed()?;
        let k = vertex.kernels().output();
        let m = result.points;
        let (connected6, gp6) = match (result.has_order_six(), six) {
            (false, _) => (None, Vec::new()),
            (true, Some(six)) => {
                let (_, c, gp) = six.output_indexed()?;
                (Some(c), gp)
            }
            (true, None) => {
                let p = m * result.d_out;
                let cov: Vec<f64> = (0..p * p)
                    .map(|i| {
                        let (u, v) = (i / p, i % p);
                        if u / m == v / m { k[(u % m) * m + v % m] } else { 0.0 }
                    })
                    .collect();
                (None, WickSums::new(p, 6)?.evaluate(&cov).swap_remove(2))
            }
        };
        for o in 0..result.multisets.len() {
            let s = summarize(&result.means[o], result.experiments)?;
            for pos in 0..result.multisets[o].len() {
                let pairs = result.indices(o, pos);
                let label = |f: fn(&(usize, usize)) -> usize| {
                    pairs.iter().map(|p| f(p).to_string()).collect::<Vec<_>>().join(",")
                };
                let (gp, leading, shifted) = match o {
                    0 => {
                        let [(i, a), (j, b)] = [pairs[0], pairs[1]];
                        if i == j { (k[a * m + b], None, Some(s2[a * m + b])) } else { (0.0, None, Some(0.0)) }
                    }
                    1 => (gp4[pos], Some(connected[pos]), None),
                    _ => (gp6[pos], connected6.as_ref().map(|c| c[pos]), None),
                };
                self.network.push(net.activation().name().into());
                self.d_in.push(net.d_in() as i64);
                self.depth.push(net.depth() as i64);
                self.width.push(net.widths()[net.depth() - 1] as i64);
                self.widths.push(widths.clone());
                self.n.push(2 * o as i64 + 2);
                self.indices.push(label(|p| p.1));
                self.outputs.push(label(|p| p.0));
                self.estimator.push(est.name().into());
                self.g_mean.push(s.mean[pos]);
                self.g_stderr.push(s.stderr[pos]);
                self.g_std_experiments.push(s.std[pos]);
                self.g_gp.push(gp);
                self.g_experiments.push((0..result.experiments).map(|e| result.experiment(o, e)[pos]).collect());
                self.connected_leading_order.push(leading);
                self.shift_leading_order.push(shifted);
                self.g_exact.push(None);
            }
        }
        Ok(())
    }

    /// The table of these rows, `correlators.parquet`'s columns in its order (one
    /// implementation for `sample`, `reproduce` and Python's `nnqft.sample`): `network`, `d_in`,
    /// `depth`, `width`, `widths`, `n`, `indices`, `outputs`, `estimator`, `g_mean`, `g_stderr`,
    /// `g_std_experiments`, `g_gp`, `shift_leading_order`, `connected_leading_order`, `g_exact`;
    /// with `per_experiment` a last column `g_experiments`, each row's values of the experiments.
    pub fn into_table(self, per_experiment: bool) -> Table {
        let table = Table::new()
            .str("network", self.network)
            .int("d_in", self.d_in)
            .int("depth", self.depth)
            .int("width", self.width)
            .str("widths", self.widths)
            .int("n", self.n)
            .str("indices", self.indices)
            .str("outputs", self.outputs)
            .str("estimator", self.estimator)
            .f64("g_mean", self.g_mean)
            .f64("g_stderr", self.g_stderr)
            .f64("g_std_experiments", self.g_std_experiments)
            .f64("g_gp", self.g_gp)
            .opt("shift_leading_order", self.shift_leading_order)
            .opt("connected_leading_order", self.connected_leading_order)
            .opt("g_exact", self.g_exact);
        if per_experiment { table.arrays("g_experiments", self.g_experiments) } else { table }
    }

    /// `correlators_experiments.parquet` (`sample`): the values [`CorrelatorColumns::into_table`]
    /// summarises, one row per (block, order, multiset, experiment) with that experiment's mean
    /// `g` over its nets.
    pub fn experiments_table(&self) -> Table {
        let rows: Vec<(usize, usize)> =
            self.g_experiments.iter().enumerate().flat_map(|(i, es)| (0..es.len()).map(move |e| (i, e))).collect();
        let text = |col: &[String]| rows.iter().map(|&(i, _)| col[i].clone()).collect::<Vec<_>>();
        let int = |col: &[i64]| rows.iter().map(|&(i, _)| col[i]).collect::<Vec<_>>();
        Table::new()
            .str("network", text(&self.network))
            .int("d_in", int(&self.d_in))
            .int("depth", int(&self.depth))
            .int("width", int(&self.width))
            .str("widths", text(&self.widths))
            .int("n", int(&self.n))
            .str("indices", text(&self.indices))
            .str("outputs", text(&self.outputs))
            .str("estimator", text(&self.estimator))
            .int("experiment", rows.iter().map(|&(_, e)| e as i64))
            .f64("g", rows.iter().map(|&(i, e)| self.g_experiments[i][e]))
    }
}

/// The key columns of the correlator rows of one network and input set: one row per order
/// `n` in 2, 4, 6 and multiset of input indices, in the library's multiset order (the rows
/// of [`CorrelatorColumns::push_block`], and of any table of per-multiset values such as the
/// GP or exact correlators).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorrelatorKeys {
    /// Network name.
    pub network: Vec<String>,
    /// Input dimension d.
    pub d_in: Vec<i64>,
    /// Order n (2, 4, 6).
    pub n: Vec<i64>,
    /// The multiset's input indices, e.g. `0,0,1,3`.
    pub indices: Vec<String>,
}

impl CorrelatorKeys {
    /// One row per multiset of orders 2, 4, 6 (`multisets[o]` is of order `2 o + 2`).
    pub fn new(net: &Network, multisets: [&Multisets; 3]) -> Self {
        let mut keys = Self::default();
        for (o, ms) in multisets.iter().enumerate() {
            for pos in 0..ms.len() {
                keys.network.push(net.activation().name().to_string());
                keys.d_in.push(net.d_in() as i64);
                keys.n.push(2 * o as i64 + 2);
                keys.indices.push(ms.label(pos));
            }
        }
        keys
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.n.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.n.is_empty()
    }
}

/// Summaries of the three orders of a result.
pub fn summaries(result: &EnsembleResult) -> Result<[Summary; 3]> {
    Ok([
        summarize(&result.means[0], result.experiments)?,
        summarize(&result.means[1], result.experiments)?,
        summarize(&result.means[2], result.experiments)?,
    ])
}

/// The scaling study of one profile.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScalingPlan {
    /// Input dimensions.
    pub dims: Vec<usize>,
    /// Hidden widths.
    pub widths: Vec<usize>,
    /// Experiments per width.
    pub experiments: usize,
    /// Nets per experiment.
    pub nets: u64,
}

/// The ensemble of one network, width and estimator of the study, seeded from `master`.
fn planned(
    master: u64,
    plan: &ScalingPlan,
    net: &Network,
    xs: &InputSet,
    width: usize,
    est: Estimator,
) -> Result<Planned> {
    let key = EnsembleKey::Scaling { activation: net.activation(), d_in: net.d_in(), width, estimator: est };
    let ensemble = Ensemble::new(*net, width, xs.clone(), plan.nets, plan.experiments, est, key.seed(master))?;
    Ok(Planned { key, ensemble })
}

/// The study's ensembles, in the order [`run`] asks for them.
pub fn ensembles(plan: &ScalingPlan, master: u64) -> Result<Vec<Planned>> {
    let mut out = Vec::new();
    for &d in &plan.dims {
        for act in Activation::EVERY {
            let net = Network::paper(act, d)?;
            let xs = InputSet::scaling(act, d)?;
            for &width in &plan.widths {
                for &est in estimators(act) {
                    out.push(planned(master, plan, &net, &xs, width, est)?);
                }
            }
        }
    }
    Ok(out)
}

/// `(network, d, estimator, n)` of an [`AgreementRow`].
type AgreementKey = (Activation, usize, Estimator, usize);

/// Runs the study.
pub fn run(runner: &dyn Runner, plan: &ScalingPlan) -> Result<ScalingReport> {
    let mut cols = CorrelatorColumns::default();
    let mut rows = Vec::new();
    // (network, d, estimator, n), width, z
    let mut zs: Vec<(AgreementKey, usize, f64)> = Vec::new();
    let mut series: Vec<DeviationSeries> = Vec::new();
    for &d in &plan.dims {
        for act in Activation::EVERY {
            let net = Network::paper(act, d)?;
            let xs = InputSet::scaling(act, d)?;
            let theory = FiniteWidthTheory::new(&net, &xs).ok();
            let gp = nnqft_theory_gp(&net, &xs)?;
            let first = series.len();
            series.extend(estimators(act).iter().map(|&est| DeviationSeries::new(act, d, est, plan.experiments, &gp)));
            for &width in &plan.widths {
                let exact = theory.as_ref().map(|t| t.at_width(width)).transpose()?;
                for (k, &est) in estimators(act).iter().enumerate() {
                    let result = runner.planned(&planned(runner.seed(), plan, &net, &xs, width, est)?)?;
                    let sums = summaries(&result)?;
                    cols.push_block(&net, width, est, &result, &sums, &gp.tensors, exact.as_ref().map(|e| &e.g));
                    let b = block(&net, width, est, &result, &gp, exact.as_ref())?;
                    zs.extend(b.z.iter().map(|&(n, z)| ((act, d, est, n), width, z)));
                    series[first + k].push(width, &b);
                    rows.extend(b.rows);
                }
            }
        }
    }
    let mut fits = fit_rows(&rows)?;
    for s in &series {
        fits.extend(s.fits()?);
    }
    let mut agreement = Vec::new();
    for (act, d, est) in groups(&rows) {
        for n in [2, 4, 6] {
            let key = (act, d, est, n);
            let mut z: Vec<f64> = zs.iter().filter(|(k, _, _)| *k == key).map(|(_, _, z)| z.abs()).collect();
            if z.is_empty() {
                continue;
            }
            z.sort_by(f64::total_cmp);
            agreement.push(AgreementRow {
                network: act,
                d,
                estimator: est,
                n,
                count: z.len(),
                within_3: z.iter().filter(|v| **v <= 3.0).count() as f64 / z.len() as f64,
                median_abs_z: z[z.len() / 2],
                max_abs_z: z[z.len() - 1],
                by_width: plan
                    .widths
                    .iter()
                    .filter_map(|&width| {
                        let z: Vec<f64> =
                            zs.iter().filter(|(k, w, _)| *k == key && *w == width).map(|(_, _, z)| z.abs()).collect();
                        (!z.is_empty()).then(|| WidthAgreement {
                            width,
                            count: z.len(),
                            beyond_3: z.iter().filter(|v| **v > 3.0).count(),
                            min_abs_z: z.iter().copied().fold(f64::INFINITY, f64::min),
                            max_abs_z: z.iter().copied().fold(0.0, f64::max),
                        })
                    })
                    .collect(),
            });
        }
    }
    let z_expected = nnqft_stats::z_expectation(plan.experiments)?;
    let z_scores = zs.into_iter().map(|(k, _, z)| (k, z)).collect();
    Ok(ScalingReport { correlators: cols, rows, fits, agreement, z_expected, z_scores })
}

/// GP tensors and the split table of an input set.
pub struct GpTensors {
    /// The tensors' multisets, of orders 2, 4, 6.
    pub multisets: [Multisets; 3],
    /// Wick sums of K for n = 2, 4, 6.
    pub tensors: [Vec<f64>; 3],
    /// The {4|2} splits.
    pub splits: nnqft_theory::SplitTable,
}

/// The GP prediction for a network on an input set.
pub fn nnqft_theory_gp(net: &Network, xs: &InputSet) -> Result<GpTensors> {
    let k = nnqft_theory::kernel_matrix(net, xs)?;
    let wick = nnqft_theory::WickSums::new(xs.len(), 6)?;
    let v = wick.evaluate(&k);
    let tensors = [v[0].clone(), v[1].clone(), v[2].clone()];
    let splits = nnqft_theory::SplitTable::new(wick.multisets(2), wick.multisets(1), wick.multisets(0))?;
    let multisets = [0, 1, 2].map(|k| wick.multisets(k).clone());
    Ok(GpTensors { multisets, tensors, splits })
}

/// `mean_i |a_i| / |b_i|`.
pub fn mean_abs_ratio(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x.abs() / y.abs()).sum::<f64>() / a.len() as f64
}

/// The connected 6-pt function of every experiment, experiment-major.
fn connected_per_experiment(result: &EnsembleResult, gp: &GpTensors) -> Result<Vec<f64>> {
    let mut per_exp = Vec::new();
    for e in 0..result.experiments {
        per_exp.extend(connected_six_point(
            result.experiment(2, e),
            result.experiment(1, e),
            &gp.tensors[1],
            &gp.tensors[2],
            &gp.tensors[0],
            gp.splits.entries(),
        )?);
    }
    Ok(per_exp)
}

/// The distinct `(network, d, estimator)` groups of the rows, in first-seen order.
pub fn groups(rows: &[ScalingRow]) -> Vec<(Activation, usize, Estimator)> {
    let mut out: Vec<(Activation, usize, Estimator)> = Vec::new();
    for r in rows {
        let key = (r.network, r.d, r.estimator);
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// Fits m_4, m_6 and the connected 6-pt against N over the widths with signal > 3x background.
pub fn fit_rows(rows: &[ScalingRow]) -> Result<Vec<FitRow>> {
    let mut out = Vec::new();
    for (act, d, est) in groups(rows) {
        let sel =
            |n: usize| rows.iter().filter(move |r| r.network == act && r.d == d && r.estimator == est && r.n == n);
        type Pick = fn(&ScalingRow) -> (f64, f64, Option<f64>);
        let quantities: [(usize, FitQuantity, f64, Pick); 4] = [
            (2, FitQuantity::MN, 0.0, |r| (r.m_n, r.background, r.m_n_exact)),
            (4, FitQuantity::MN, -1.0, |r| (r.m_n, r.background, r.m_n_exact)),
            (6, FitQuantity::MN, -1.0, |r| (r.m_n, r.background, r.m_n_exact)),
            (6, FitQuantity::Connected6pt, -2.0, |r| {
                (r.connected.unwrap_or(f64::NAN), r.connected_background.unwrap_or(f64::NAN), r.connected_exact)
            }),
        ];
        for (n, quantity, expected, pick) in quantities {
            let used: Vec<(usize, f64, Option<f64>)> = sel(n)
                .map(|r| (r.width, pick(r)))
                .filter(|(_, (v, bg, _))| *v > 3.0 * bg && *v > 0.0)
                .map(|(w, (v, _, ex))| (w, v, ex))
                .collect();
            let widths: Vec<usize> = used.iter().map(|u| u.0).collect();
            let x: Vec<f64> = widths.iter().map(|w| *w as f64).collect();
            let y: Vec<f64> = used.iter().map(|u| u.1).collect();
            let fit = if x.len() >= 2 { Some(fit_power_law(&x, &y)?) } else { None };
            let ex: Option<Vec<f64>> = used.iter().map(|u| u.2).collect();
            let slope_exact = match ex {
                Some(ex) if x.len() >= 2 && ex.iter().all(|v| *v > 0.0) => Some(fit_power_law(&x, &ex)?.slope),
                _ => None,
            };
            out.push(FitRow {
                network: act,
                d,
                n,
                estimator: est,
                quantity,
                method: SlopeMethod::PaperLsq,
                slope_stderr: match &fit {
                    Some(f) if f.points > 2 => {
                        Some((f.slope_hi - f.slope) / nnqft_stats::t_quantile((f.points - 2) as f64, 0.975)?)
                    }
                    _ => None,
                },
                fit,
                widths,
                slope_exact,
                slope_expected: expected,
            });
        }
    }
    Ok(out)
}

impl ScalingReport {
    /// The study's tables, each with the stem of its report file: `correlators`
    /// ([`CorrelatorColumns::into_table`] without the per-experiment column), `scaling`
    /// ([`scaling_table`]) and `scaling_fits` ([`fits_table`]); `cargo xtask reproduce` writes
    /// them as `<stem>.parquet` and Python's `nnqft.scaling` returns them, so the two cannot drift.
    pub fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![
            ("correlators", self.correlators.clone().into_table(false)),
            ("scaling", scaling_table(&self.rows)),
            ("scaling_fits", fits_table(&self.fits)),
        ]
    }
}

/// `scaling.parquet`: per network, `d`, width, order and estimator, `m_n` with its standard
/// error and background, the exact `m_n`, and at order 6 the connected 6-pt function (measured,
/// its error and background, exact).
pub fn scaling_table(rows: &[ScalingRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.name()))
        .int("d_in", rows.iter().map(|r| r.d as i64))
        .int("width", rows.iter().map(|r| r.width as i64))
        .int("n", rows.iter().map(|r| r.n as i64))
        .str("estimator", rows.iter().map(|r| r.estimator.name()))
        .f64("m_n", rows.iter().map(|r| r.m_n))
        .f64("m_n_stderr", rows.iter().map(|r| r.m_n_stderr))
        .f64("background", rows.iter().map(|r| r.background))
        .opt("m_n_exact", rows.iter().map(|r| r.m_n_exact))
        .opt("connected_6pt", rows.iter().map(|r| r.connected))
        .opt("connected_6pt_stderr", rows.iter().map(|r| r.connected_stderr))
        .opt("connected_6pt_background", rows.iter().map(|r| r.connected_background))
        .opt("connected_6pt_exact", rows.iter().map(|r| r.connected_exact))
}

/// `scaling_fits.parquet`: the power-law fits of [`FitRow`], one row per network, `d`, order,
/// estimator, quantity and method.
pub fn fits_table(fits: &[FitRow]) -> Table {
    let f = |g: fn(&PowerLawFit) -> f64| fits.iter().map(move |r| r.fit.as_ref().map(g)).collect::<Vec<_>>();
    Table::new()
        .str("network", fits.iter().map(|r| r.network.name()))
        .int("d_in", fits.iter().map(|r| r.d as i64))
        .int("n", fits.iter().map(|r| r.n as i64))
        .str("estimator", fits.iter().map(|r| r.estimator.name()))
        .str("quantity", fits.iter().map(|r| r.quantity.name()))
        .str("method", fits.iter().map(|r| r.method.name()))
        .opt("slope", f(|p| p.slope))
        .opt("slope_lo", f(|p| p.slope_lo))
        .opt("slope_hi", f(|p| p.slope_hi))
        .opt("slope_stderr", fits.iter().map(|r| r.slope_stderr))
        .opt("r2", f(|p| p.r2))
        .str("widths_used", fits.iter().map(|r| joined(&r.widths)))
        .opt("slope_exact", fits.iter().map(|r| r.slope_exact))
        .f64("slope_expected", fits.iter().map(|r| r.slope_expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnqft_sampling::DeepEnsemble;
    use nnqft_theory::{DeepActivation, DeepNetwork};

    /// The rows of a deep ensemble: orders 2, 4 and 6, the order-6 leading order where a six-point
    /// vertex is given and null where not, the order-6 GP the Wick sum of `δ_ij K` either way.
    #[test]
    fn deep_blocks_have_order_six_rows_with_or_without_the_vertex() {
        let pts: Vec<Vec<f64>> = (0..3).map(|i| vec![0.3 * i as f64 - 0.2]).collect();
        let xs = InputSet::new("three", &pts).unwrap();
        let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[5, 5]).unwrap().with_d_out(2).unwrap();
        let r = DeepEnsemble::new(net.clone(), xs.clone(), 64, 2, Estimator::Conditional, 3).unwrap().run(1).unwrap();
        let shift = KernelShift::new(&net, &xs).unwrap();
        let six = SixPointVertex::new(&net, &xs).unwrap();
        let (_, connected6, gp6) = six.output_indexed().unwrap();
        let (mut with, mut without) = (CorrelatorColumns::default(), CorrelatorColumns::default());
        with.push_deep_block(&shift, Some(&six), Estimator::Conditional, &r).unwrap();
        without.push_deep_block(&shift, None, Estimator::Conditional, &r).unwrap();
        // 6 (output, point) pairs: 21 + 126 + 462 multisets
        assert_eq!((with.n.len(), without.n.len()), (21 + 126 + 462, 21 + 126 + 462));
        let start = 21 + 126;
        assert!(with.n[start..].iter().all(|&n| n == 6) && with.n[..start].iter().all(|&n| n < 6));
        for pos in 0..462 {
            let i = start + pos;
            assert_eq!((with.connected_leading_order[i], with.g_gp[i]), (Some(connected6[pos]), gp6[pos]));
            assert_eq!(without.connected_leading_order[i], None);
            let g = without.g_gp[i];
            assert!((g - gp6[pos]).abs() <= 1e-14 * gp6[pos].abs().max(1e-300), "{pos}: {g} vs {}", gp6[pos]);
            assert_eq!(with.g_mean[i].to_bits(), without.g_mean[i].to_bits());
        }
        assert_eq!(with.g_mean[..start], without.g_mean[..start]);
        assert_eq!(with.connected_leading_order[..start], without.connected_leading_order[..start]);
        // without G6, orders 2 and 4 only, the same rows
        let r4 = DeepEnsemble::new(net, xs, 64, 2, Estimator::Conditional, 3).unwrap().with_order_six(false).unwrap();
        let mut four = CorrelatorColumns::default();
        four.push_deep_block(&shift, Some(&six), Estimator::Conditional, &r4.run(1).unwrap()).unwrap();
        assert_eq!(four.n.len(), start);
        assert_eq!(four.g_mean, with.g_mean[..start]);
    }
}
