//! The field-theory analysis of an ensemble that nnqft did not sample (`nnqft analyze`,
//! Python's `nnqft.analyze`): from the per-experiment means of the products of network outputs
//! (`nnqft_sampling::OutputStream`), the measured `G2`, `G4`, `G6` (and, asked for, `G8`) on every
//! multiset with standard errors, the Gaussian process that the ensemble's own two-point function implies,
//! the connected four- and six-point functions, the paper's `m_n` and background, and, over
//! several widths, the scaling fits.
//!
//! # Estimators
//!
//! The nets are split into `E` experiments of equal size (consecutive nets); `G_n` is the mean
//! over the experiments of each experiment's mean product, its standard error the standard
//! deviation over experiments over `√E` (the columns of our own correlator tables).
//!
//! The GP prediction is the Wick sum of the *measured* `G2`. Its plug-in estimate,
//! `Σ_pairings Ĝ2 Ĝ2`, is biased: `E[Ĝ2(ab) Ĝ2(cd)] = G2(ab) G2(cd) + Cov(Ĝ2(ab), Ĝ2(cd))`,
//! an error of order `1/nets` that does not shrink with the width and so would pollute the
//! `1/N` signal of a width scan. Here every product of `k` factors is instead taken over `k`
//! *distinct* experiments, whose means are independent, which is unbiased (a U-statistic over
//! experiments). With `S_A = Σ_e A_e`, `P_AB = Σ_e A_e B_e` and `T = Σ_e A_e B_e C_e`:
//!
//! ```text
//! U(A, B)    = (S_A S_B − P_AB) / (E (E − 1))                                  → E[A] E[B]
//! U(A, B, C) = (S_A S_B S_C − S_C P_AB − S_B P_AC − S_A P_BC + 2 T)
//!              / (E (E − 1) (E − 2))                                           → E[A] E[B] E[C]
//! ```
//!
//! so that, for fields of zero mean,
//!
//! - `g_gp` (order 4) `= Σ_3 U(G2, G2)`, (order 6) `= Σ_15 U(G2, G2, G2)`, (order 2) `= G2`;
//! - `connected` (order 4) `= G4 − Σ_3 U(G2, G2)`, the fourth joint cumulant;
//! - `connected` (order 6) `= G6 − Σ_15 U(G4, G2) + 2 Σ_15 U(G2, G2, G2)`, the sixth joint
//!   cumulant (`κ6 = m6 − Σ_15 m4 m2 + 2 Σ_15 m2 m2 m2` when odd moments vanish; the sum over
//!   the 15 ways to split six points into four and two),
//!
//! each unbiased for any number of nets.
//!
//! # Order 8
//!
//! With a maximum order of 8 (`output_stream(…, 8)`; at most [`MAX_EIGHTH_ORDER_MULTISETS`]
//! multisets of order 8, at least [`MIN_EXPERIMENTS_ORDER_EIGHT`] experiments) the rows of order 8
//! follow the same pattern. The moment-cumulant formula,
//! `κ(1…8) = Σ_π (−1)^{|π|−1} (|π|−1)! Π_{B∈π} m_B` over the set partitions `π` of the eight
//! points, keeps for fields of zero mean (odd moments vanish) only the partitions into blocks of
//! even size. Counting them by block sizes: `{8}` one; `{6, 2}` `C(8, 2) = 28`; `{4, 4}`
//! `C(8, 4) / 2 = 35`; `{4, 2, 2}` `C(8, 4) · 3 = 210`; `{2, 2, 2, 2}` `7!! = 105`; with weights
//! `+1, −1, −1, +2, −6` (`|π| = 1, 2, 2, 3, 4`). So
//!
//! ```text
//! κ8 = G8 − Σ_28 G6 G2 − Σ_35 G4 G4 + 2 Σ_210 G4 G2 G2 − 6 Σ_105 G2 G2 G2 G2,
//! ```
//!
//! and `connected` (order 8) is this sum with every product a U-statistic over distinct experiments,
//! `g_gp` (order 8) `= Σ_105 U(G2, G2, G2, G2)`. The paper's connected functions are exactly
//! these cumulants (its `G_n − G_GP` differs from `κ_n` by products of lower cumulants from order
//! 6 on). The four-factor U-statistic is the general one over the set partitions of its factors
//! (`U(A_1, …, A_k) E (E−1) ⋯ (E−k+1) = Σ_π μ(π) Π_{B∈π} Σ_e Π_{i∈B} A_i(e)`, Möbius weights
//! `μ(π) = Π_B (−1)^{|B|−1} (|B|−1)!`), of which `U(A, B)` and `U(A, B, C)` above are the cases
//! `k = 2, 3`. For a one-layer network of `N` i.i.d. neurons scaled by `1/√N` the `n`-th cumulant
//! is `N` times that of one term, so `κ8 ∝ 1/N³`. A check on a Rademacher variable (every even
//! moment 1): `κ8 = 1 − 28 − 35 + 420 − 630 = −272`.
//!
//! Their standard errors are the delete-one jackknife
//! over experiments (each replicate the same U-statistic over the other `E − 1` experiments,
//! computed from the sums above less the deleted experiment's terms). A U-statistic's jackknife
//! pseudo-values `E θ − (E − 1) θ₍ₑ₎` average to `θ` itself; they are the per-experiment values a
//! width scan fits ([`Analysis::connected_pseudo`]).
//!
//! The paper's `m_n = mean |G_n − G_GP| / |G_GP|` and its background `mean std_n / |G_GP|` are
//! taken over the multisets whose GP value is resolved from zero (`|g_gp| > 5 g_gp_stderr`):
//! with several outputs, the GP of a multiset with an odd count of some output vanishes, and a
//! ratio to it means nothing. Their standard errors are jackknifed too.

use crate::error::{Result, StudyError};
use crate::scaling::SlopeMethod;
use crate::table::{Table, joined};
use nnqft_sampling::{EnsembleResult, Monitor, OutputStream, SamplingError};
use nnqft_stats::{PowerLawFit, fit_common_exponent, fit_power_law, jackknife_from_replicates, summarize};
use nnqft_theory::{Multisets, perfect_matchings};

/// Fewest experiments: the jackknife replicate of the order-6 Wick sum needs three distinct
/// experiments among the `E − 1` left.
pub const MIN_EXPERIMENTS: usize = 4;

/// Fewest experiments with order 8: the replicate of its Wick sum needs four distinct
/// experiments among the `E − 1` left.
pub const MIN_EXPERIMENTS_ORDER_EIGHT: usize = 5;

/// The most multisets of order 8 an analysis takes (11 points give 43,758, 12 give 75,582): each
/// costs about 400 U-statistics with their replicates over experiments, and the stream holds
/// its sums per work item and experiment, so the analysis stays within seconds and megabytes.
pub const MAX_EIGHTH_ORDER_MULTISETS: usize = 50_000;

/// Refuses order 8 over more than [`MAX_EIGHTH_ORDER_MULTISETS`] multisets, naming the option.
fn check_eighth_order(multisets: usize) -> Result<()> {
    if multisets > MAX_EIGHTH_ORDER_MULTISETS {
        return Err(StudyError::Table {
            field: "max_order",
            found: format!("8 over {multisets} multisets of order 8"),
            expected: format!(
                "at most {MAX_EIGHTH_ORDER_MULTISETS} multisets of order 8 (11 points): fewer points, or max_order 6"
            ),
        });
    }
    Ok(())
}

/// A value counts as resolved from zero (a GP value enters `m_n`; a mean output is flagged) when
/// it is as unlikely to be noise as a normal deviate beyond this many standard deviations: with
/// `E` experiments the threshold on `|value| / stderr` is Student's t quantile with `E − 1`
/// degrees of freedom at the same two-sided probability ([`resolved_threshold`]).
pub const RESOLVED_SIGMAS: f64 = 5.0;

/// The threshold on `|value| / stderr` equivalent to [`RESOLVED_SIGMAS`] normal standard
/// deviations with `experiments` experiments (17.1 at 8 experiments; 5 in the normal limit).
pub fn resolved_threshold(experiments: usize) -> Result<f64> {
    Ok(nnqft_stats::t_quantile(experiments.saturating_sub(1) as f64, 1.0 - FIVE_SIGMA_TAIL / 2.0)?)
}

/// The two-sided tail of the standard normal beyond [`RESOLVED_SIGMAS`], `erfc(5 / √2)`.
const FIVE_SIGMA_TAIL: f64 = 5.733_031_438_470_704e-7;

/// The paper's criterion for a width in its fit of `m_n`: the signal exceeds this many times the
/// background.
pub const PAPER_SIGNAL_OVER_BACKGROUND: f64 = 3.0;

/// Per multiset of orders 2, 4, 6 (and 8, where measured) over the `(output, input)` pairs: the
/// measured correlators, the GP of the measured `G2` and the connected parts, with standard
/// errors (module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisRows {
    /// Order `n` (2, 4, 6, 8).
    pub n: Vec<i64>,
    /// The input index of each factor, e.g. `0,0,1,3`.
    pub indices: Vec<String>,
    /// The output index of each factor, in the order of `indices`.
    pub outputs: Vec<String>,
    /// Mean over experiments of the measured `G_n`.
    pub g_mean: Vec<f64>,
    /// Its standard error over experiments.
    pub g_stderr: Vec<f64>,
    /// The standard deviation over experiments.
    pub g_std_experiments: Vec<f64>,
    /// The Wick sum of the measured `G2` (unbiased; `G2` itself at order 2).
    pub g_gp: Vec<f64>,
    /// Its jackknife standard error.
    pub g_gp_stderr: Vec<f64>,
    /// The connected (cumulant) part at orders 4, 6 and 8; `None` at order 2.
    pub connected: Vec<Option<f64>>,
    /// Its jackknife standard error.
    pub connected_stderr: Vec<Option<f64>>,
}

impl AnalysisRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.n.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.n.is_empty()
    }
}

/// The paper's summary of one order (4, 6 or 8) against the GP of the measured `G2`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderSummary {
    /// Order `n`.
    pub n: usize,
    /// `m_n` over the multisets used (`None` if none is resolved).
    pub m_n: Option<f64>,
    /// Its jackknife standard error.
    pub m_n_stderr: Option<f64>,
    /// The background, `mean std / |G_GP|` over the multisets used.
    pub background: Option<f64>,
    /// At order 6: `mean |connected| / |G_GP|` over the multisets used.
    pub connected_6pt: Option<f64>,
    /// Its jackknife standard error.
    pub connected_6pt_stderr: Option<f64>,
    /// Multisets whose GP value is resolved ([`resolved_threshold`]), over which the means run.
    pub multisets_used: usize,
}

/// The analysis of one ensemble (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Input points.
    pub inputs: usize,
    /// Outputs per network.
    pub outputs: usize,
    /// Nets per experiment.
    pub nets: u64,
    /// Experiments.
    pub experiments: usize,
    /// The per-multiset rows.
    pub rows: AnalysisRows,
    /// `m_n` and background at orders 4, 6 and (where measured) 8.
    pub summary: Vec<OrderSummary>,
    /// The jackknife pseudo-values of the connected four-, six- and (with order 8; else empty)
    /// eight-point functions, experiment-major (`experiments x multisets`): what [`width_scan`]
    /// fits.
    pub connected_pseudo: [Vec<f64>; 3],
    /// Each experiment's mean `G2`, experiment-major (`experiments x multisets of order 2`):
    /// the pseudo-values of the measured `G2` (for a mean they are the experiments' values).
    pub g2_experiments: Vec<f64>,
    /// The largest `|mean output| / stderr` over the points (when the outputs were streamed in,
    /// [`analyze_stream`]): `g_gp` and `connected` assume outputs of mean zero, and above
    /// [`resolved_threshold`] the mean is resolved and they are not the GP and the cumulants.
    pub mean_max_abs_z: Option<f64>,
}

impl Analysis {
    /// The highest order analysed: 6, or 8 where `G8` was measured.
    pub fn max_order(&self) -> usize {
        if self.rows.n.contains(&8) { 8 } else { 6 }
    }

    /// Whether the mean output is resolved from zero at some point ([`Analysis::mean_max_abs_z`]
    /// above [`resolved_threshold`]).
    pub fn mean_resolved(&self) -> bool {
        self.mean_max_abs_z.is_some_and(|z| z > resolved_threshold(self.experiments).unwrap_or(f64::INFINITY))
    }
}

/// The stream that takes `nets_total` nets of `points` values each (`outputs` outputs per
/// network, rows input-major as in a C-ordered `f[net, input, output]`) in `experiments` equal
/// experiments: errors name the field if `nets_total` is not a multiple of `experiments`
/// (at least [`MIN_EXPERIMENTS`]) or `outputs` does not divide `points`.
pub fn output_stream(
    points: usize,
    outputs: usize,
    nets_total: u64,
    experiments: usize,
    max_order: usize,
) -> Result<OutputStream> {
    if !OutputStream::MAX_ORDERS.contains(&max_order) {
        return Err(StudyError::Table {
            field: "max_order",
            found: max_order.to_string(),
            expected: "6 (G2, G4, G6) or 8 (and G8)".into(),
        });
    }
    check_experiments(experiments, max_order)?;
    if max_order == 8 {
        check_eighth_order(nnqft_sampling::memory::multiset_count(points as u64, 8).min(usize::MAX as u64) as usize)?;
    }
    if nets_total < experiments as u64 || !nets_total.is_multiple_of(experiments as u64) {
        return Err(StudyError::Table {
            field: "nets",
            found: format!("{nets_total} nets"),
            expected: format!(
                "a multiple of the {experiments} experiments (equal experiments of consecutive nets): choose \
                 experiments dividing the number of nets, or drop the last nets"
            ),
        });
    }
    check_memory(points, nets_total / experiments as u64, experiments, max_order)?;
    Ok(OutputStream::new(points, nets_total / experiments as u64, experiments)?
        .with_outputs(outputs)?
        .with_max_order(max_order)?)
}

/// Refuses fewer experiments than the jackknife of the highest order's Wick sum needs
/// ([`MIN_EXPERIMENTS`], [`MIN_EXPERIMENTS_ORDER_EIGHT`]).
fn check_experiments(experiments: usize, max_order: usize) -> Result<()> {
    let (least, what) = if max_order == 8 { (MIN_EXPERIMENTS_ORDER_EIGHT, "eight") } else { (MIN_EXPERIMENTS, "six") };
    if experiments < least {
        return Err(StudyError::Table {
            field: "experiments",
            found: experiments.to_string(),
            expected: format!("at least {least} (the jackknife of the {what}-point Wick sum)"),
        });
    }
    Ok(())
}

/// Refuses an analysis whose tables would not fit in memory, before any is allocated: per
/// multiset of order 2, 4, 6 (and 8 with `max_order` 8) of the points, the running sums of one
/// work item and the item sums of one experiment, and the analysis: the experiments' means, their
/// copies, three jackknife replicates and the pseudo-values (six values per experiment), and
/// about 300 bytes of rows.
fn check_memory(points: usize, nets: u64, experiments: usize, max_order: usize) -> Result<()> {
    use nnqft_sampling::memory::{human_bytes, memory_limit, multiset_count};
    let multisets =
        (2..=max_order).step_by(2).fold(0u64, |a, n| a.saturating_add(multiset_count(points as u64, n as u64)));
    let per = OutputStream::bytes_per_multiset(nets)
        .saturating_add((experiments as u64).saturating_mul(6).saturating_mul(8))
        .saturating_add(300);
    let needed = multisets.saturating_mul(per);
    if needed > memory_limit() {
        return Err(StudyError::Table {
            field: "points",
            found: format!(
                "{points} points per net ({multisets} multisets of the even orders to {max_order}: about {})",
                human_bytes(needed)
            ),
            expected: format!(
                "an analysis that fits in the available memory, {}: fewer points",
                human_bytes(memory_limit())
            ),
        });
    }
    Ok(())
}

/// [`analyze`] of everything a stream took, with the check of its mean output
/// ([`Analysis::mean_max_abs_z`]).
pub fn analyze_stream(stream: OutputStream) -> Result<Analysis> {
    let means = summarize(stream.point_means(), stream.experiments_done())?;
    let outputs = stream.outputs();
    let mut a = analyze(&stream.finish()?, outputs)?;
    a.mean_max_abs_z = Some(
        means
            .mean
            .iter()
            .zip(&means.stderr)
            .map(|(m, s)| if *s > 0.0 { (m / s).abs() } else { 0.0 })
            .fold(0.0, f64::max),
    );
    Ok(a)
}

/// [`analyze_stream`] of `values`, `nets x points` in memory (row-major, rows as for
/// [`output_stream`]).
pub fn analyze_outputs(values: &[f64], points: usize, outputs: usize, experiments: usize) -> Result<Analysis> {
    analyze_outputs_with_progress(values, points, outputs, experiments, 6, &())
}

/// Nets that [`analyze_outputs_with_progress`] hands its stream at a time (16 of the sampler's
/// work items of 4096 nets), asking its monitor in between.
const NETS_PER_PUSH: usize = 65_536;

/// [`analyze_outputs`] to the even order `max_order` (6, or 8 to add `G8`), under `monitor`
/// ([`Monitor`]: asked whether to stop before each block of 16 work items (65,536 nets), told its
/// nets after it). The same numbers, bit for bit: the
/// stream's items do not depend on how the rows arrive.
pub fn analyze_outputs_with_progress(
    values: &[f64],
    points: usize,
    outputs: usize,
    experiments: usize,
    max_order: usize,
    monitor: &dyn Monitor,
) -> Result<Analysis> {
    if points == 0 || !values.len().is_multiple_of(points) {
        return Err(StudyError::Table {
            field: "outputs array",
            found: format!("{} values", values.len()),
            expected: format!("whole nets of {points} values (points >= 1)"),
        });
    }
    let mut stream = output_stream(points, outputs, (values.len() / points) as u64, experiments, max_order)?;
    for block in values.chunks(NETS_PER_PUSH * points) {
        if monitor.interrupted() {
            return Err(SamplingError::Interrupted.into());
        }
        stream.push(block)?;
        monitor.advance((block.len() / points) as u64);
    }
    analyze_stream(stream)
}

/// How a file stores its numbers (a `.npy` array's dtype).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// float64, little-endian (`<f8`).
    F64Le,
    /// float64, big-endian (`>f8`).
    F64Be,
    /// float32, little-endian (`<f4`), widened.
    F32Le,
    /// float32, big-endian (`>f4`), widened.
    F32Be,
}

impl Encoding {
    /// The encoding of a NumPy type string (`<f8`, `>f8`, `<f4`, `>f4`), if it is one of them.
    pub fn from_numpy(descr: &str) -> Option<Self> {
        match descr {
            "<f8" => Some(Self::F64Le),
            ">f8" => Some(Self::F64Be),
            "<f4" => Some(Self::F32Le),
            ">f4" => Some(Self::F32Be),
            _ => None,
        }
    }

    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            Self::F64Le | Self::F64Be => 8,
            Self::F32Le | Self::F32Be => 4,
        }
    }

    /// Replaces `out` with the values in `bytes` (a whole number of values).
    pub fn decode(self, bytes: &[u8], out: &mut Vec<f64>) {
        out.clear();
        match self {
            Self::F64Le => {
                out.extend(bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))))
            }
            Self::F64Be => {
                out.extend(bytes.chunks_exact(8).map(|b| f64::from_be_bytes(b.try_into().unwrap_or([0; 8]))))
            }
            Self::F32Le => {
                out.extend(bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap_or([0; 4])) as f64))
            }
            Self::F32Be => {
                out.extend(bytes.chunks_exact(4).map(|b| f32::from_be_bytes(b.try_into().unwrap_or([0; 4])) as f64))
            }
        }
    }
}

/// A statistic and its delete-one replicates over experiments.
#[derive(Debug, Clone)]
struct Replicated {
    full: f64,
    loo: Vec<f64>,
}

impl Replicated {
    fn zero(e: usize) -> Self {
        Self { full: 0.0, loo: vec![0.0; e] }
    }
    /// `self += c * other`.
    fn add(&mut self, c: f64, other: &Replicated) {
        self.full += c * other.full;
        self.loo.iter_mut().zip(&other.loo).for_each(|(a, b)| *a += c * b);
    }
    fn stderr(&self) -> f64 {
        jackknife_from_replicates(&self.loo)
    }
}

/// The mean over experiments, and over all but each one.
fn mean(a: &[f64]) -> Replicated {
    let e = a.len() as f64;
    let s: f64 = a.iter().sum();
    Replicated { full: s / e, loo: a.iter().map(|x| (s - x) / (e - 1.0)).collect() }
}

/// `U(A, B)` (module docs) and its replicates.
fn u2(a: &[f64], b: &[f64]) -> Replicated {
    let e = a.len() as f64;
    let (sa, sb): (f64, f64) = (a.iter().sum(), b.iter().sum());
    let pab: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let at = |sa: f64, sb: f64, pab: f64, e: f64| (sa * sb - pab) / (e * (e - 1.0));
    Replicated {
        full: at(sa, sb, pab, e),
        loo: a.iter().zip(b).map(|(x, y)| at(sa - x, sb - y, pab - x * y, e - 1.0)).collect(),
    }
}

/// `U(A, B, C)` (module docs) and its replicates.
fn u3(a: &[f64], b: &[f64], c: &[f64]) -> Replicated {
    let e = a.len() as f64;
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(x, y)| x * y).sum::<f64>();
    let (sa, sb, sc) = (sum(a), sum(b), sum(c));
    let (pab, pac, pbc) = (dot(a, b), dot(a, c), dot(b, c));
    let t: f64 = a.iter().zip(b).zip(c).map(|((x, y), z)| x * y * z).sum();
    let at = |[sa, sb, sc, pab, pac, pbc, t]: [f64; 7], e: f64| {
        (sa * sb * sc - sc * pab - sb * pac - sa * pbc + 2.0 * t) / (e * (e - 1.0) * (e - 2.0))
    };
    let loo = (0..a.len())
        .map(|i| {
            let (x, y, z) = (a[i], b[i], c[i]);
            at([sa - x, sb - y, sc - z, pab - x * y, pac - x * z, pbc - y * z, t - x * y * z], e - 1.0)
        })
        .collect();
    Replicated { full: at([sa, sb, sc, pab, pac, pbc, t], e), loo }
}

/// `U(A_1, …, A_k)`, the mean of `A_1(e_1) ⋯ A_k(e_k)` over ordered tuples of `k` distinct
/// experiments, and its delete-one replicates (module docs, order 8). By Möbius inversion over
/// the lattice of set partitions `π` of `{1, …, k}`,
///
/// ```text
/// Σ_{e_1, …, e_k distinct} Π_i A_i(e_i) = Σ_π μ(π) Π_{B ∈ π} P_B,   P_B = Σ_e Π_{i ∈ B} A_i(e),
/// μ(π) = Π_{B ∈ π} (−1)^{|B| − 1} (|B| − 1)!,
/// ```
///
/// divided by `E (E − 1) ⋯ (E − k + 1)`; for `k = 2, 3` these are [`u2`] and [`u3`] (the latter
/// keep their own order of operations, which fixes the bits of orders 4 and 6).
fn u_distinct(cols: &[&[f64]]) -> Replicated {
    let k = cols.len();
    let e = cols[0].len();
    let subsets = 1usize << k;
    let product = |x: usize, mask: usize| (0..k).filter(|i| mask >> i & 1 == 1).map(|i| cols[i][x]).product::<f64>();
    let power: Vec<f64> = (0..subsets).map(|mask| (0..e).map(|x| product(x, mask)).sum()).collect();
    let partitions = set_partitions(k);
    let at = |p: &dyn Fn(usize) -> f64, e: usize| {
        let total: f64 = partitions.iter().map(|(mu, blocks)| mu * blocks.iter().map(|&b| p(b)).product::<f64>()).sum();
        total / (0..k).map(|i| (e - i) as f64).product::<f64>()
    };
    Replicated { full: at(&|b| power[b], e), loo: (0..e).map(|x| at(&|b| power[b] - product(x, b), e - 1)).collect() }
}

/// The set partitions of `{0, …, k − 1}`, each as its Möbius weight `Π_B (−1)^{|B|−1} (|B|−1)!`
/// and its blocks as bit masks.
fn set_partitions(k: usize) -> Vec<(f64, Vec<usize>)> {
    fn rec(i: usize, k: usize, blocks: &mut Vec<usize>, out: &mut Vec<(f64, Vec<usize>)>) {
        if i == k {
            let mu = blocks
                .iter()
                .map(|b| {
                    let size = b.count_ones() as usize;
                    let sign = if size % 2 == 1 { 1.0 } else { -1.0 };
                    sign * (1..size).product::<usize>() as f64
                })
                .product();
            out.push((mu, blocks.clone()));
            return;
        }
        for j in 0..blocks.len() {
            blocks[j] |= 1 << i;
            rec(i + 1, k, blocks, out);
            blocks[j] &= !(1 << i);
        }
        blocks.push(1 << i);
        rec(i + 1, k, blocks, out);
        blocks.pop();
    }
    let mut out = Vec::new();
    rec(0, k, &mut Vec::new(), &mut out);
    out
}

/// The splits of eight points into blocks of even size that the eighth cumulant sums over
/// (module docs): 105 pairings, 28 splits into six and two, 35 into four and four, 210 into four,
/// two and two.
#[derive(Debug, Clone)]
struct EighthOrderSplits {
    pairings: Vec<[Pair; 4]>,
    six_two: Vec<([usize; 6], Pair)>,
    four_four: Vec<([usize; 4], [usize; 4])>,
    four_two_two: Vec<([usize; 4], [Pair; 2])>,
}

/// Two of the eight points.
type Pair = (usize, usize);

impl EighthOrderSplits {
    fn new() -> Result<Self> {
        let pairings = perfect_matchings(8)?.iter().map(|p| [p[0], p[1], p[2], p[3]]).collect();
        let rest = |taken: &[usize]| -> Vec<usize> { (0..8).filter(|k| !taken.contains(k)).collect() };
        let mut six_two = Vec::new();
        for i in 0..8 {
            for j in i + 1..8 {
                let r = rest(&[i, j]);
                six_two.push(([r[0], r[1], r[2], r[3], r[4], r[5]], (i, j)));
            }
        }
        let (mut four_four, mut four_two_two) = (Vec::new(), Vec::new());
        let match4 = perfect_matchings(4)?;
        for mask in 0u32..256 {
            if mask.count_ones() != 4 {
                continue;
            }
            let q: Vec<usize> = (0..8).filter(|k| mask >> k & 1 == 1).collect();
            let r = rest(&q);
            let q = [q[0], q[1], q[2], q[3]];
            if q[0] == 0 {
                four_four.push((q, [r[0], r[1], r[2], r[3]]));
            }
            for m in &match4 {
                four_two_two.push((q, [(r[m[0].0], r[m[0].1]), (r[m[1].0], r[m[1].1])]));
            }
        }
        Ok(Self { pairings, six_two, four_four, four_two_two })
    }
}

/// Position of the multiset of the points `ms[i]` for `i` in `which`.
fn position(multisets: &Multisets, ms: &[usize], which: &[usize]) -> usize {
    let mut v: Vec<usize> = which.iter().map(|&i| ms[i]).collect();
    v.sort_unstable();
    multisets.position(&v).expect("a sub-multiset of a multiset over the same points")
}

/// Analyses the per-experiment means of `result` (from an `OutputStream` or a raw ensemble) of a
/// network with `outputs >= 1` outputs, its points ordered output-major (point `p` is output
/// `p / m` at input `p % m`). At least [`MIN_EXPERIMENTS`] experiments.
pub fn analyze(result: &EnsembleResult, outputs: usize) -> Result<Analysis> {
    let e = result.experiments;
    check_experiments(e, 6)?;
    let points = result.multisets[0].points();
    if outputs == 0 || !points.is_multiple_of(outputs) {
        return Err(StudyError::Table {
            field: "outputs",
            found: outputs.to_string(),
            expected: format!("an integer >= 1 that divides the {points} points per net"),
        });
    }
    let inputs = points / outputs;
    // orders 2, 4, 6 and, where measured, 8
    let mut tables: Vec<(&Multisets, &[f64])> =
        result.multisets.iter().zip(&result.means).map(|(m, v)| (m, v.as_slice())).collect();
    if let Some(eighth) = &result.eighth {
        check_eighth_order(eighth.multisets.len())?;
        check_experiments(e, 8)?;
        tables.push((&eighth.multisets, &eighth.means));
    }
    let lens: Vec<usize> = tables.iter().map(|(m, _)| m.len()).collect();
    let column = |o: usize, pos: usize| -> Vec<f64> { (0..e).map(|x| tables[o].1[x * lens[o] + pos]).collect() };
    let col2: Vec<Vec<f64>> = (0..lens[0]).map(|p| column(0, p)).collect();
    let col4: Vec<Vec<f64>> = (0..lens[1]).map(|p| column(1, p)).collect();
    let col6: Vec<Vec<f64>> = if tables.len() > 3 { (0..lens[2]).map(|p| column(2, p)).collect() } else { Vec::new() };
    let [m2, m4, m6] = &result.multisets;
    let (match4, match6) = (perfect_matchings(4)?, perfect_matchings(6)?);
    let splits: Vec<([usize; 4], [usize; 2])> = (0..6)
        .flat_map(|i| ((i + 1)..6).map(move |j| (i, j)))
        .map(|(i, j)| {
            let rest: Vec<usize> = (0..6).filter(|&k| k != i && k != j).collect();
            ([rest[0], rest[1], rest[2], rest[3]], [i, j])
        })
        .collect();
    let eight = (tables.len() > 3).then(EighthOrderSplits::new).transpose()?;

    let threshold = resolved_threshold(e)?;
    let mut rows = AnalysisRows::default();
    let mut summary = Vec::new();
    let mut connected_pseudo = [Vec::new(), Vec::new(), Vec::new()];
    for o in 0..tables.len() {
        let stats = summarize(tables[o].1, e)?;
        let mut gps = Vec::with_capacity(lens[o]);
        let mut means = Vec::with_capacity(lens[o]);
        let mut connected = Vec::with_capacity(lens[o]);
        for (pos, ms) in tables[o].0.iter().enumerate() {
            let ms: Vec<usize> = ms.iter().map(|&p| p as usize).collect();
            let g = mean(&column(o, pos));
            let (gp, conn) = match o {
                0 => (g.clone(), None),
                1 => {
                    let mut gp = Replicated::zero(e);
                    for pairing in &match4 {
                        let [(a, b), (c, d)] = [pairing[0], pairing[1]];
                        gp.add(1.0, &u2(&col2[position(m2, &ms, &[a, b])], &col2[position(m2, &ms, &[c, d])]));
                    }
                    let mut conn = g.clone();
                    conn.add(-1.0, &gp);
                    (gp, Some(conn))
                }
                3 => {
                    let sp = eight.as_ref().expect("order 8 is analysed only with its splits");
                    let c2 = |a: usize, b: usize| col2[position(m2, &ms, &[a, b])].as_slice();
                    let c4 = |q: &[usize; 4]| col4[position(m4, &ms, q)].as_slice();
                    let mut gp = Replicated::zero(e);
                    for p in &sp.pairings {
                        gp.add(1.0, &u_distinct(&p.map(|(a, b)| c2(a, b))));
                    }
                    let mut conn = g.clone();
                    for (six, (a, b)) in &sp.six_two {
                        conn.add(-1.0, &u2(&col6[position(m6, &ms, six)], c2(*a, *b)));
                    }
                    for (q, r) in &sp.four_four {
                        conn.add(-1.0, &u2(c4(q), c4(r)));
                    }
                    for (q, [(a, b), (c, d)]) in &sp.four_two_two {
                        conn.add(2.0, &u3(c4(q), c2(*a, *b), c2(*c, *d)));
                    }
                    conn.add(-6.0, &gp);
                    (gp, Some(conn))
                }
                _ => {
                    let mut gp = Replicated::zero(e);
                    for pairing in &match6 {
                        let [a, b, c] = [0, 1, 2].map(|k| &col2[position(m2, &ms, &[pairing[k].0, pairing[k].1])]);
                        gp.add(1.0, &u3(a, b, c));
                    }
                    let mut conn = g.clone();
                    for (quad, pair) in &splits {
                        conn.add(-1.0, &u2(&col4[position(m4, &ms, quad)], &col2[position(m2, &ms, pair)]));
                    }
                    conn.add(2.0, &gp);
                    (gp, Some(conn))
                }
            };
            let label = |f: fn(usize, usize) -> usize| {
                ms.iter().map(|&p| f(p, inputs).to_string()).collect::<Vec<_>>().join(",")
            };
            rows.n.push(2 * o as i64 + 2);
            rows.indices.push(label(|p, m| p % m));
            rows.outputs.push(label(|p, m| p / m));
            rows.g_mean.push(stats.mean[pos]);
            rows.g_stderr.push(stats.stderr[pos]);
            rows.g_std_experiments.push(stats.std[pos]);
            rows.g_gp.push(gp.full);
            rows.g_gp_stderr.push(gp.stderr());
            rows.connected.push(conn.as_ref().map(|c| c.full));
            rows.connected_stderr.push(conn.as_ref().map(Replicated::stderr));
            means.push(g);
            gps.push(gp);
            connected.push(conn);
        }
        if o == 0 {
            continue;
        }
        // pseudo-values, experiment-major
        let pseudo = &mut connected_pseudo[o - 1];
        for x in 0..e {
            pseudo.extend(connected.iter().flatten().map(|c| e as f64 * c.full - (e as f64 - 1.0) * c.loo[x]));
        }
        let used: Vec<usize> = (0..lens[o]).filter(|&q| gps[q].full.abs() > threshold * gps[q].stderr()).collect();
        let ratio = |num: &dyn Fn(usize, Option<usize>) -> f64| -> Option<Replicated> {
            (!used.is_empty()).then(|| {
                let k = used.len() as f64;
                let at = |x: Option<usize>| {
                    used.iter().map(|&q| num(q, x) / x.map_or(gps[q].full, |x| gps[q].loo[x]).abs()).sum::<f64>() / k
                };
                Replicated { full: at(None), loo: (0..e).map(|x| at(Some(x))).collect() }
            })
        };
        let pick = |r: &Replicated, x: Option<usize>| x.map_or(r.full, |x| r.loo[x]);
        let m = ratio(&|q, x| (pick(&means[q], x) - pick(&gps[q], x)).abs());
        let six = ratio(&|q, x| connected[q].as_ref().map_or(f64::NAN, |c| pick(c, x)).abs()).filter(|_| o == 2);
        summary.push(OrderSummary {
            n: 2 * o + 2,
            m_n: m.as_ref().map(|r| r.full),
            m_n_stderr: m.as_ref().map(Replicated::stderr),
            background: (!used.is_empty())
                .then(|| used.iter().map(|&q| stats.std[q] / gps[q].full.abs()).sum::<f64>() / used.len() as f64),
            connected_6pt: six.as_ref().map(|r| r.full),
            connected_6pt_stderr: six.as_ref().map(Replicated::stderr),
            multisets_used: used.len(),
        });
    }
    Ok(Analysis {
        inputs,
        outputs,
        nets: result.nets,
        experiments: e,
        rows,
        summary,
        connected_pseudo,
        g2_experiments: result.means[0].clone(),
        mean_max_abs_z: None,
    })
}

/// What a width-scan fit fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanQuantity {
    /// The paper's `m_n` (fit of `log m_n` on `log N` over the widths whose `m_n` exceeds
    /// [`PAPER_SIGNAL_OVER_BACKGROUND`] times its background).
    MN,
    /// The connected function itself, every multiset with one exponent
    /// ([`nnqft_stats::fit_common_exponent`] on the jackknife pseudo-values).
    Connected,
}

impl ScanQuantity {
    /// Report name: `m_n` or `connected`.
    pub fn name(self) -> &'static str {
        match self {
            Self::MN => "m_n",
            Self::Connected => "connected",
        }
    }
    /// The fitting method (as in the scaling study): the paper's least-squares fit or the common
    /// exponent.
    pub fn method(self) -> SlopeMethod {
        match self {
            Self::MN => SlopeMethod::PaperLsq,
            Self::Connected => SlopeMethod::CommonExponent,
        }
    }
}

/// One fit of a width scan.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanFit {
    /// Order `n` (4, 6 or 8).
    pub n: usize,
    /// What is fitted.
    pub quantity: ScanQuantity,
    /// The fit (`None` where fewer than two widths carry a resolved signal).
    pub fit: Option<PowerLawFit>,
    /// The slope's standard error (jackknife for the common exponent; from the interval for the
    /// paper's fit).
    pub slope_stderr: Option<f64>,
    /// The widths used.
    pub widths: Vec<usize>,
    /// The leading-order expectation: `-1` for every `m_n` and the connected 4-pt function, `-2`
    /// for the connected 6-pt function, `-3` for the connected 8-pt function (a network whose
    /// couplings scale as `1/N`: the `n`-th cumulant of a sum of `N` independent neurons scaled by
    /// `1/√N` falls as `N^{1 − n/2}`).
    pub slope_expected: f64,
}

/// The `1/N` scaling fits over analyses of one architecture at several widths (at least 2, with
/// the same points, outputs, experiments and highest order); order 8 is fitted where every
/// analysis has it.
pub fn width_scan(scan: &[(usize, &Analysis)]) -> Result<Vec<ScanFit>> {
    if scan.len() < 2 {
        return Err(StudyError::Table {
            field: "widths",
            found: scan.len().to_string(),
            expected: "at least 2 ensembles of different widths".into(),
        });
    }
    let (_, first) = scan[0];
    for &(w, a) in scan {
        if w == 0
            || (a.inputs, a.outputs, a.experiments, a.max_order())
                != (first.inputs, first.outputs, first.experiments, first.max_order())
        {
            return Err(StudyError::Table {
                field: "width scan",
                found: format!(
                    "width {w}: {} inputs, {} outputs, {} experiments, max order {}",
                    a.inputs,
                    a.outputs,
                    a.experiments,
                    a.max_order()
                ),
                expected: format!(
                    "widths >= 1 with the first ensemble's {} inputs, {} outputs, {} experiments and max order {}",
                    first.inputs,
                    first.outputs,
                    first.experiments,
                    first.max_order()
                ),
            });
        }
    }
    let widths: Vec<f64> = scan.iter().map(|(w, _)| *w as f64).collect();
    let mut out = Vec::new();
    let orders: &[(usize, usize)] = if first.max_order() == 8 { &[(0, 4), (1, 6), (2, 8)] } else { &[(0, 4), (1, 6)] };
    for &(q, n) in orders {
        // the paper's fit of m_n
        let resolved: Vec<(usize, f64, f64)> = scan
            .iter()
            .filter_map(|&(w, a)| {
                let s = a.summary.iter().find(|s| s.n == n)?;
                let (m, b) = (s.m_n?, s.background?);
                (m > PAPER_SIGNAL_OVER_BACKGROUND * b).then_some((w, m, s.m_n_stderr.unwrap_or(f64::NAN)))
            })
            .collect();
        let fit = (resolved.len() >= 2)
            .then(|| {
                let x: Vec<f64> = resolved.iter().map(|r| r.0 as f64).collect();
                let y: Vec<f64> = resolved.iter().map(|r| r.1).collect();
                fit_power_law(&x, &y)
            })
            .transpose()?;
        let slope_stderr = match fit.as_ref() {
            Some(f) if f.points > 2 => {
                Some((f.slope_hi - f.slope) / nnqft_stats::t_quantile((f.points - 2) as f64, 0.975)?)
            }
            _ => None,
        };
        out.push(ScanFit {
            n,
            quantity: ScanQuantity::MN,
            fit,
            slope_stderr,
            widths: resolved.iter().map(|r| r.0).collect(),
            slope_expected: -1.0,
        });
        // one exponent for every multiset of the connected function
        let values: Vec<Vec<f64>> = scan.iter().map(|(_, a)| a.connected_pseudo[q].clone()).collect();
        let common = match fit_common_exponent(&widths, &values, first.experiments) {
            Ok(f) => Some(f),
            Err(nnqft_stats::StatsError::TooFew { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let common = common.filter(|f| f.resolved_widths >= 2);
        out.push(ScanFit {
            n,
            quantity: ScanQuantity::Connected,
            slope_stderr: common.as_ref().map(|f| f.stderr),
            fit: common.map(|f| PowerLawFit {
                slope: f.slope,
                slope_lo: f.slope_lo,
                slope_hi: f.slope_hi,
                intercept: f64::NAN,
                r2: f64::NAN,
                points: widths.len(),
            }),
            widths: scan.iter().map(|(w, _)| *w).collect(),
            slope_expected: 1.0 - n as f64 / 2.0,
        });
    }
    Ok(out)
}

/// One analysed ensemble as the analysis tables name it: its `source` (the file name on the
/// command line, `array i` in Python) and its width, where one was given.
#[derive(Debug, Clone, Copy)]
pub struct NamedAnalysis<'a> {
    /// The `source` column.
    pub source: &'a str,
    /// The `width` column (missing without one).
    pub width: Option<usize>,
    /// The analysis.
    pub analysis: &'a Analysis,
}

/// `analysis.parquet` (Python's `nnqft.analyze()["correlators"]`): per ensemble and multiset,
/// `source`, `width`, `n`, `indices`, `outputs`, `estimator` (`raw`), `g_mean`, `g_stderr`,
/// `g_std_experiments`, `g_gp`, `g_gp_stderr`, `connected`, `connected_stderr`
/// ([`AnalysisRows`]).
pub fn correlators_table(ensembles: &[NamedAnalysis<'_>]) -> Table {
    let each = |f: &dyn Fn(&NamedAnalysis<'_>) -> Vec<String>| ensembles.iter().flat_map(f).collect::<Vec<_>>();
    let rep = |e: &NamedAnalysis<'_>, v: String| vec![v; e.analysis.rows.len()];
    let reals = |g: fn(&AnalysisRows) -> &Vec<f64>| {
        ensembles.iter().flat_map(|e| g(&e.analysis.rows).clone()).collect::<Vec<_>>()
    };
    let opts = |g: fn(&AnalysisRows) -> &Vec<Option<f64>>| {
        ensembles.iter().flat_map(|e| g(&e.analysis.rows).clone()).collect::<Vec<_>>()
    };
    Table::new()
        .str("source", each(&|e| rep(e, e.source.to_string())))
        .opt_int("width", ensembles.iter().flat_map(|e| vec![e.width.map(|w| w as i64); e.analysis.rows.len()]))
        .int("n", ensembles.iter().flat_map(|e| e.analysis.rows.n.clone()))
        .str("indices", each(&|e| e.analysis.rows.indices.clone()))
        .str("outputs", each(&|e| e.analysis.rows.outputs.clone()))
        .str("estimator", each(&|e| rep(e, "raw".into())))
        .f64("g_mean", reals(|r| &r.g_mean))
        .f64("g_stderr", reals(|r| &r.g_stderr))
        .f64("g_std_experiments", reals(|r| &r.g_std_experiments))
        .f64("g_gp", reals(|r| &r.g_gp))
        .f64("g_gp_stderr", reals(|r| &r.g_gp_stderr))
        .opt("connected", opts(|r| &r.connected))
        .opt("connected_stderr", opts(|r| &r.connected_stderr))
}

/// `analysis_summary.parquet` (Python's `nnqft.analyze()["summary"]`): per ensemble and order 4,
/// 6 (and 8 where measured), `source`, `width`, `nets`, `experiments`, `n`, `m_n`, `m_n_stderr`,
/// `background`, `connected_6pt`, `connected_6pt_stderr`, `multisets_used`, `mean_max_abs_z`
/// ([`OrderSummary`]).
pub fn summary_table(ensembles: &[NamedAnalysis<'_>]) -> Table {
    let rows: Vec<(&NamedAnalysis<'_>, &OrderSummary)> =
        ensembles.iter().flat_map(|e| e.analysis.summary.iter().map(move |s| (e, s))).collect();
    Table::new()
        .str("source", rows.iter().map(|(e, _)| e.source))
        .opt_int("width", rows.iter().map(|(e, _)| e.width.map(|w| w as i64)))
        .int("nets", rows.iter().map(|(e, _)| (e.analysis.nets * e.analysis.experiments as u64) as i64))
        .int("experiments", rows.iter().map(|(e, _)| e.analysis.experiments as i64))
        .int("n", rows.iter().map(|(_, s)| s.n as i64))
        .opt("m_n", rows.iter().map(|(_, s)| s.m_n))
        .opt("m_n_stderr", rows.iter().map(|(_, s)| s.m_n_stderr))
        .opt("background", rows.iter().map(|(_, s)| s.background))
        .opt("connected_6pt", rows.iter().map(|(_, s)| s.connected_6pt))
        .opt("connected_6pt_stderr", rows.iter().map(|(_, s)| s.connected_6pt_stderr))
        .int("multisets_used", rows.iter().map(|(_, s)| s.multisets_used as i64))
        .opt("mean_max_abs_z", rows.iter().map(|(e, _)| e.analysis.mean_max_abs_z))
}

/// `analysis_fits.parquet` (Python's `nnqft.analyze()["fits"]`): the width scan's fits, with
/// the columns of `scaling_fits.parquet` that apply: `n`, `quantity`, `method`, `slope`,
/// `slope_lo`, `slope_hi`, `slope_stderr`, `widths_used`, `slope_expected`.
pub fn fits_table(fits: &[ScanFit]) -> Table {
    let f = |g: fn(&PowerLawFit) -> f64| fits.iter().map(move |r| r.fit.as_ref().map(g)).collect::<Vec<_>>();
    Table::new()
        .int("n", fits.iter().map(|r| r.n as i64))
        .str("quantity", fits.iter().map(|r| r.quantity.name()))
        .str("method", fits.iter().map(|r| r.quantity.method().name()))
        .opt("slope", f(|p| p.slope))
        .opt("slope_lo", f(|p| p.slope_lo))
        .opt("slope_hi", f(|p| p.slope_hi))
        .opt("slope_stderr", fits.iter().map(|r| r.slope_stderr))
        .str("widths_used", fits.iter().map(|r| joined(&r.widths)))
        .f64("slope_expected", fits.iter().map(|r| r.slope_expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agreement of the closed forms with brute-force sums: rounding only.
    const EXACT: f64 = 1e-11;

    /// SplitMix64 values in [-1, 1): test data without a generator crate.
    fn values(seed: u64, count: usize) -> Vec<f64> {
        let mut s = seed;
        (0..count)
            .map(|_| {
                s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^= z >> 31;
                (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    /// A result of `e` experiments on `m` points with arbitrary means.
    fn result(m: usize, e: usize) -> EnsembleResult {
        let multisets = [2, 4, 6].map(|n| Multisets::new(m, n).unwrap());
        let means = [0, 1, 2].map(|o| values(o as u64 + 7, e * multisets[o].len()));
        EnsembleResult { multisets, experiments: e, nets: 1, means, variances: None, eighth: None }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= EXACT * (1.0 + a.abs().max(b.abs()))
    }

    /// Brute force: the average over ordered tuples of distinct experiments among `keep` of
    /// `term(tuple)`.
    fn distinct_mean(keep: &[usize], k: usize, term: &dyn Fn(&[usize]) -> f64) -> f64 {
        let mut total = 0.0;
        let mut count = 0usize;
        let mut tuple = vec![0usize; k];
        fn rec(
            keep: &[usize],
            depth: usize,
            tuple: &mut Vec<usize>,
            term: &dyn Fn(&[usize]) -> f64,
            total: &mut f64,
            count: &mut usize,
        ) {
            if depth == tuple.len() {
                *total += term(tuple);
                *count += 1;
                return;
            }
            for &x in keep {
                if !tuple[..depth].contains(&x) {
                    tuple[depth] = x;
                    rec(keep, depth + 1, tuple, term, total, count);
                }
            }
        }
        rec(keep, 0, &mut tuple, term, &mut total, &mut count);
        total / count as f64
    }

    /// The GP and connected columns and their standard errors equal brute-force U-statistics over
    /// distinct experiments and their delete-one jackknife, on arbitrary data.
    #[test]
    fn u_statistics_and_their_jackknife_equal_brute_force() {
        let (m, e) = (3, 6);
        let r = result(m, e);
        let a = analyze(&r, 1).unwrap();
        let lens = r.multisets.each_ref().map(Multisets::len);
        let at = |o: usize, x: usize, ms: &[usize]| {
            let mut v = ms.to_vec();
            v.sort_unstable();
            r.means[o][x * lens[o] + r.multisets[o].position(&v).unwrap()]
        };
        let (match4, match6) = (perfect_matchings(4).unwrap(), perfect_matchings(6).unwrap());
        // brute-force (gp, connected) of multiset `ms` over the experiments `keep`
        let brute = |ms: &[usize], keep: &[usize]| -> (f64, f64) {
            let g = keep.iter().map(|&x| at(ms.len() / 2 - 1, x, ms)).sum::<f64>() / keep.len() as f64;
            if ms.len() == 4 {
                let gp = distinct_mean(keep, 2, &|t| {
                    match4
                        .iter()
                        .map(|p| at(0, t[0], &[ms[p[0].0], ms[p[0].1]]) * at(0, t[1], &[ms[p[1].0], ms[p[1].1]]))
                        .sum()
                });
                (gp, g - gp)
            } else {
                let pair = |x: usize, p: (usize, usize)| at(0, x, &[ms[p.0], ms[p.1]]);
                let gp = distinct_mean(keep, 3, &|t| {
                    match6.iter().map(|p| pair(t[0], p[0]) * pair(t[1], p[1]) * pair(t[2], p[2])).sum()
                });
                let split = distinct_mean(keep, 2, &|t| {
                    let mut s = 0.0;
                    for i in 0..6 {
                        for j in i + 1..6 {
                            let quad: Vec<usize> = (0..6).filter(|&k| k != i && k != j).map(|k| ms[k]).collect();
                            s += at(1, t[0], &quad) * pair(t[1], (i, j));
                        }
                    }
                    s
                });
                (gp, g - split + 2.0 * gp)
            }
        };
        let all: Vec<usize> = (0..e).collect();
        let mut checked = 0;
        for row in 0..a.rows.len() {
            let n = a.rows.n[row] as usize;
            if n == 2 {
                continue;
            }
            let ms: Vec<usize> = a.rows.indices[row].split(',').map(|s| s.parse().unwrap()).collect();
            let (gp, conn) = brute(&ms, &all);
            assert!(close(a.rows.g_gp[row], gp), "gp {ms:?}: {} vs {gp}", a.rows.g_gp[row]);
            assert!(close(a.rows.connected[row].unwrap(), conn), "connected {ms:?}");
            let loo: Vec<(f64, f64)> =
                (0..e).map(|x| brute(&ms, &all.iter().copied().filter(|&y| y != x).collect::<Vec<_>>())).collect();
            let se = |v: Vec<f64>| jackknife_from_replicates(&v);
            assert!(close(a.rows.g_gp_stderr[row], se(loo.iter().map(|p| p.0).collect())), "gp stderr {ms:?}");
            assert!(close(a.rows.connected_stderr[row].unwrap(), se(loo.iter().map(|p| p.1).collect())));
            checked += 1;
        }
        assert_eq!(checked, lens[1] + lens[2]);
        // pseudo-values average to the statistic
        for (q, o) in [(0, 1), (1, 2)] {
            let first = lens[0] + if o == 2 { lens[1] } else { 0 };
            for pos in 0..lens[o] {
                let mean = (0..e).map(|x| a.connected_pseudo[q][x * lens[o] + pos]).sum::<f64>() / e as f64;
                assert!(close(mean, a.rows.connected[first + pos].unwrap()));
            }
        }
    }

    /// [`result`] with the means of order 8 too.
    fn result8(m: usize, e: usize) -> EnsembleResult {
        let mut r = result(m, e);
        let multisets = Multisets::new(m, 8).unwrap();
        let means = values(11, e * multisets.len());
        r.eighth = Some(nnqft_sampling::EighthOrderMeans { multisets, means });
        r
    }

    /// The set partitions of `0..k` as lists of blocks, by brute force (independent of
    /// [`set_partitions`]).
    fn partitions(k: usize) -> Vec<Vec<Vec<usize>>> {
        if k == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in partitions(k - 1) {
            for b in 0..p.len() {
                let mut q = p.clone();
                q[b].push(k - 1);
                out.push(q);
            }
            let mut q = p.clone();
            q.push(vec![k - 1]);
            out.push(q);
        }
        out
    }

    /// The joint cumulant of eight variables by the moment-cumulant formula over all 4140 set
    /// partitions of eight (odd blocks included): `κ = Σ_π (−1)^{|π|−1} (|π|−1)! Π_B m_B`.
    fn cumulant8(moment: &dyn Fn(&[usize]) -> f64) -> f64 {
        let all = partitions(8);
        assert_eq!(all.len(), 4140, "Bell(8)");
        all.iter()
            .map(|p| {
                let k = p.len();
                let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
                sign * (1..k).product::<usize>() as f64 * p.iter().map(|b| moment(b)).product::<f64>()
            })
            .sum()
    }

    /// The order-8 GP and connected columns and their standard errors equal brute-force
    /// U-statistics over ordered tuples of distinct experiments (enumerating the splits of eight
    /// points into even blocks afresh: 28, 35, 210, 105) and their delete-one jackknife; the
    /// pseudo-values average to the statistic.
    #[test]
    fn order_eight_u_statistics_and_their_jackknife_equal_brute_force() {
        let (m, e) = (2, 6);
        let r = result8(m, e);
        let a = analyze(&r, 1).unwrap();
        let eighth = r.eighth.as_ref().unwrap();
        let at = |n: usize, x: usize, ms: &[usize]| {
            let mut v = ms.to_vec();
            v.sort_unstable();
            if n == 8 {
                eighth.means[x * eighth.multisets.len() + eighth.multisets.position(&v).unwrap()]
            } else {
                let o = n / 2 - 1;
                r.means[o][x * r.multisets[o].len() + r.multisets[o].position(&v).unwrap()]
            }
        };
        // the splits of eight points into blocks of even size, grouped by block sizes
        let even: Vec<Vec<Vec<usize>>> =
            partitions(8).into_iter().filter(|p| p.iter().all(|b| b.len() % 2 == 0)).collect();
        let shape = |p: &Vec<Vec<usize>>| {
            let mut sizes: Vec<usize> = p.iter().map(Vec::len).collect();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            sizes
        };
        let count = |sizes: &[usize]| even.iter().filter(|p| shape(p) == sizes).count();
        assert_eq!(
            [count(&[8]), count(&[6, 2]), count(&[4, 4]), count(&[4, 2, 2]), count(&[2, 2, 2, 2])],
            [1, 28, 35, 210, 105]
        );
        let brute = |ms: &[usize], keep: &[usize]| -> (f64, f64) {
            let g = keep.iter().map(|&x| at(8, x, ms)).sum::<f64>() / keep.len() as f64;
            let term = |p: &Vec<Vec<usize>>, t: &[usize]| {
                let mut blocks = p.clone();
                blocks.sort_by_key(|b| std::cmp::Reverse(b.len()));
                blocks
                    .iter()
                    .zip(t)
                    .map(|(b, &x)| at(b.len(), x, &b.iter().map(|&i| ms[i]).collect::<Vec<_>>()))
                    .product::<f64>()
            };
            let sum = |sizes: &[usize]| {
                distinct_mean(keep, sizes.len(), &|t| {
                    even.iter().filter(|p| shape(p) == sizes).map(|p| term(p, t)).sum()
                })
            };
            let gp = sum(&[2, 2, 2, 2]);
            (gp, g - sum(&[6, 2]) - sum(&[4, 4]) + 2.0 * sum(&[4, 2, 2]) - 6.0 * gp)
        };
        let all: Vec<usize> = (0..e).collect();
        let rows: Vec<usize> = (0..a.rows.len()).filter(|&i| a.rows.n[i] == 8).collect();
        assert_eq!(rows.len(), eighth.multisets.len());
        for (pos, &row) in rows.iter().enumerate() {
            let ms: Vec<usize> = a.rows.indices[row].split(',').map(|s| s.parse().unwrap()).collect();
            let (gp, conn) = brute(&ms, &all);
            assert!(close(a.rows.g_gp[row], gp), "gp {ms:?}: {} vs {gp}", a.rows.g_gp[row]);
            assert!(
                close(a.rows.connected[row].unwrap(), conn),
                "connected {ms:?}: {:?} vs {conn}",
                a.rows.connected[row]
            );
            let loo: Vec<(f64, f64)> =
                (0..e).map(|x| brute(&ms, &all.iter().copied().filter(|&y| y != x).collect::<Vec<_>>())).collect();
            let se = |v: Vec<f64>| jackknife_from_replicates(&v);
            assert!(close(a.rows.g_gp_stderr[row], se(loo.iter().map(|p| p.0).collect())), "gp stderr {ms:?}");
            assert!(close(a.rows.connected_stderr[row].unwrap(), se(loo.iter().map(|p| p.1).collect())));
            let mean = (0..e).map(|x| a.connected_pseudo[2][x * rows.len() + pos]).sum::<f64>() / e as f64;
            assert!(close(mean, a.rows.connected[row].unwrap()));
        }
        assert_eq!(a.max_order(), 8);
        assert!(a.summary.iter().any(|s| s.n == 8));
        // orders 2, 4, 6 are the rows of the analysis without order 8
        let mut six = r.clone();
        six.eighth = None;
        let b = analyze(&six, 1).unwrap();
        assert_eq!(b.rows.len(), a.rows.len() - rows.len());
        assert_eq!(format!("{:?}", b.rows.g_gp), format!("{:?}", &a.rows.g_gp[..b.rows.len()]));
        assert_eq!(format!("{:?}", b.summary), format!("{:?}", &a.summary[..2]));
    }

    /// With exact moments in every experiment (so that every U-statistic is the product of the
    /// moments), the connected column is the joint cumulant: a symmetric three-atom distribution
    /// in the plane against the moment-cumulant formula over all partitions of eight, and the
    /// Rademacher variable's `κ8 = −272`.
    #[test]
    fn order_eight_connected_is_the_eighth_cumulant_of_a_known_distribution() {
        // X = ±v_i with probability p_i / 2
        let atoms = [(0.5, [1.0, 0.3]), (0.3, [-0.4, 1.2]), (0.2, [2.0, -0.7])];
        let moment = |idx: &[usize]| {
            if idx.len() % 2 == 1 {
                return 0.0;
            }
            atoms.iter().map(|(p, v)| p * idx.iter().map(|&i| v[i]).product::<f64>()).sum::<f64>()
        };
        let (m, e) = (2, 5);
        let multisets = [2, 4, 6].map(|n| Multisets::new(m, n).unwrap());
        let exact = |ms: &Multisets| -> Vec<f64> {
            let one: Vec<f64> = ms.iter().map(|s| moment(&s.iter().map(|&i| i as usize).collect::<Vec<_>>())).collect();
            (0..e).flat_map(|_| one.clone()).collect()
        };
        let means = multisets.each_ref().map(exact);
        let eight = Multisets::new(m, 8).unwrap();
        let eighth = Some(nnqft_sampling::EighthOrderMeans { means: exact(&eight), multisets: eight.clone() });
        let r = EnsembleResult { multisets, experiments: e, nets: 1, means, variances: None, eighth };
        let a = analyze(&r, 1).unwrap();
        let mut checked = 0;
        for row in (0..a.rows.len()).filter(|&i| a.rows.n[i] == 8) {
            let ms: Vec<usize> = a.rows.indices[row].split(',').map(|s| s.parse().unwrap()).collect();
            let kappa = cumulant8(&|b: &[usize]| moment(&b.iter().map(|&i| ms[i]).collect::<Vec<_>>()));
            let got = a.rows.connected[row].unwrap();
            assert!((got - kappa).abs() <= 1e-10 * (1.0 + kappa.abs()), "{ms:?}: {got} vs {kappa}");
            assert!(kappa.abs() > 0.01, "a non-Gaussian distribution: {ms:?} has κ8 = {kappa}");
            checked += 1;
        }
        assert_eq!(checked, 9);
        // Rademacher: moments all 1
        let ones = |len: usize| vec![1.0; e * len];
        let multisets = [2, 4, 6].map(|n| Multisets::new(1, n).unwrap());
        let eight = Multisets::new(1, 8).unwrap();
        let r = EnsembleResult {
            means: multisets.each_ref().map(|s| ones(s.len())),
            multisets,
            experiments: e,
            nets: 1,
            variances: None,
            eighth: Some(nnqft_sampling::EighthOrderMeans { means: ones(1), multisets: eight }),
        };
        let a = analyze(&r, 1).unwrap();
        let row = a.rows.n.iter().position(|&n| n == 8).unwrap();
        assert!((a.rows.connected[row].unwrap() + 272.0).abs() < 1e-9, "{:?}", a.rows.connected[row]);
        assert!((cumulant8(&|b| if b.len() % 2 == 0 { 1.0 } else { 0.0 }) + 272.0).abs() < 1e-9);
    }

    /// The general U-statistic over distinct experiments equals the closed forms [`u2`], [`u3`]
    /// and brute force at four factors, replicates included.
    #[test]
    fn general_u_statistic_equals_closed_forms_and_brute_force() {
        let e = 7;
        let cols: Vec<Vec<f64>> = (0..4).map(|k| values(20 + k, e)).collect();
        let c: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let same = |a: &Replicated, b: &Replicated| {
            close(a.full, b.full) && a.loo.iter().zip(&b.loo).all(|(x, y)| close(*x, *y))
        };
        assert!(same(&u_distinct(&c[..2]), &u2(c[0], c[1])));
        assert!(same(&u_distinct(&c[..3]), &u3(c[0], c[1], c[2])));
        let all: Vec<usize> = (0..e).collect();
        let four = |keep: &[usize]| distinct_mean(keep, 4, &|t| (0..4).map(|k| cols[k][t[k]]).product());
        let u = u_distinct(&c);
        assert!(close(u.full, four(&all)));
        for x in 0..e {
            let keep: Vec<usize> = all.iter().copied().filter(|&y| y != x).collect();
            assert!(close(u.loo[x], four(&keep)));
        }
        assert_eq!(set_partitions(4).len(), 15);
    }

    /// Order 8 with fewer than five experiments, or over more multisets than the limit, is
    /// refused naming the option; a max order other than 6 or 8 likewise.
    #[test]
    fn order_eight_beyond_its_limits_is_refused() {
        let e = analyze(&result8(2, 4), 1).unwrap_err().to_string();
        assert!(e.contains("experiments") && e.contains("at least 5"), "{e}");
        let e = output_stream(12, 1, 100, 5, 8).unwrap_err().to_string();
        assert!(e.contains("max_order") && e.contains("75582") && e.contains("50000"), "{e}");
        assert!(output_stream(11, 1, 100, 5, 8).is_ok());
        let e = output_stream(2, 1, 100, 4, 8).unwrap_err().to_string();
        assert!(e.contains("experiments") && e.contains("at least 5"), "{e}");
        let e = output_stream(2, 1, 100, 4, 7).unwrap_err().to_string();
        assert!(e.contains("max_order") && e.contains("6 (G2, G4, G6) or 8"), "{e}");
    }

    /// `m_n`, its background and its jackknife standard error equal their definitions recomputed
    /// from the rows of the full analysis and of analyses without each experiment.
    #[test]
    fn m_n_and_its_jackknife_equal_recomputation_without_each_experiment() {
        let (m, e) = (2, 6);
        let mut r = result(m, e);
        // means near 1 with spread 0.002: every GP value resolved (the threshold is t with 5 degrees of
        // freedom, 31.8)
        for o in 0..3 {
            r.means[o].iter_mut().for_each(|v| *v = 1.0 + 0.002 * *v);
        }
        let a = analyze(&r, 1).unwrap();
        let without = |x: usize| {
            let mut s = r.clone();
            s.experiments = e - 1;
            for o in 0..3 {
                let len = r.multisets[o].len();
                s.means[o] =
                    (0..e).filter(|&y| y != x).flat_map(|y| r.means[o][y * len..(y + 1) * len].to_vec()).collect();
            }
            analyze(&s, 1).unwrap()
        };
        let loo: Vec<Analysis> = (0..e).map(without).collect();
        for (k, n) in [(0usize, 4i64), (1, 6)] {
            let rows: Vec<usize> = (0..a.rows.len()).filter(|&i| a.rows.n[i] == n).collect();
            let s = &a.summary[k];
            assert_eq!(s.multisets_used, rows.len(), "every GP value is resolved here");
            let m_n = |b: &Analysis| {
                rows.iter().map(|&i| (b.rows.g_mean[i] - b.rows.g_gp[i]).abs() / b.rows.g_gp[i].abs()).sum::<f64>()
                    / rows.len() as f64
            };
            assert!(close(s.m_n.unwrap(), m_n(&a)));
            let bg = rows.iter().map(|&i| a.rows.g_std_experiments[i] / a.rows.g_gp[i].abs()).sum::<f64>()
                / rows.len() as f64;
            assert!(close(s.background.unwrap(), bg));
            let se = jackknife_from_replicates(&loo.iter().map(m_n).collect::<Vec<_>>());
            assert!(close(s.m_n_stderr.unwrap(), se), "n = {n}: {} vs {se}", s.m_n_stderr.unwrap());
        }
    }

    /// The resolution threshold is five normal standard deviations for many experiments and
    /// Student's t beyond it for few.
    #[test]
    fn resolved_threshold_is_five_sigma_in_the_normal_limit() {
        assert!((resolved_threshold(1_000_000_000).unwrap() - 5.0).abs() < 1e-4);
        // t with 7 degrees of freedom whose two-sided tail is 5.733e-7: 17.1026 (the survival
        // function integrated numerically, independently of statrs)
        let few = resolved_threshold(8).unwrap();
        assert!((few - 17.1026).abs() < 1e-3, "{few}");
    }

    /// Bad shapes are refused naming the field.
    #[test]
    fn too_few_experiments_and_bad_outputs_are_refused() {
        let e = analyze(&result(2, 3), 1).unwrap_err().to_string();
        assert!(e.contains("experiments") && e.contains("at least 4"), "{e}");
        let e = analyze(&result(3, 4), 2).unwrap_err().to_string();
        assert!(e.contains("outputs") && e.contains("divides the 3 points"), "{e}");
    }

    /// Rows handed to the stream in blocks (crossing work items and experiments: 30,001 nets
    /// per experiment) give the bits of one push of every row; a monitor that asks to stop ends
    /// the analysis with `Interrupted` after the blocks it let run.
    #[test]
    fn blocks_give_the_bits_of_one_push_and_a_monitor_can_stop_them() {
        struct StopAfter(std::sync::atomic::AtomicU64, u64);
        impl Monitor for StopAfter {
            fn advance(&self, nets: u64) {
                self.0.fetch_add(nets, std::sync::atomic::Ordering::Relaxed);
            }
            fn interrupted(&self) -> bool {
                self.0.load(std::sync::atomic::Ordering::Relaxed) >= self.1
            }
        }
        let (points, experiments, nets) = (2, 4, 30_001);
        let f = values(3, points * experiments * nets);
        let mut whole = output_stream(points, 1, (experiments * nets) as u64, experiments, 6).unwrap();
        whole.push(&f).unwrap();
        let whole = analyze_stream(whole).unwrap();
        let counted = StopAfter(Default::default(), u64::MAX);
        let blocks = analyze_outputs_with_progress(&f, points, 1, experiments, 6, &counted).unwrap();
        assert_eq!(format!("{whole:?}"), format!("{blocks:?}"));
        assert_eq!(counted.0.into_inner(), (experiments * nets) as u64);
        let stop = StopAfter(Default::default(), 1);
        let e = analyze_outputs_with_progress(&f, points, 1, experiments, 6, &stop).unwrap_err();
        assert!(matches!(e, StudyError::Sampling(SamplingError::Interrupted)), "{e}");
        assert_eq!(stop.0.into_inner(), NETS_PER_PUSH as u64);
    }
}
