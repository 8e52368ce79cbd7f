//! The action study of `cargo xtask reproduce` (Demirtas, Halverson, Maiti, Schwartz, Stoner,
//! arXiv:2307.03223): for the Erf-net, the Cos-net and the ReLU-net on two points, the couplings
//! of the action `S = −log p` from exact finite-width theory, and the density of sampled outputs
//! against the densities the action predicts at each order, with the distance's power law in the
//! width.
//!
//! # What it computes
//!
//! On the two points `x = −0.5, 0.7` ([`inputs`]; ReLU at `σ_b = 1` is not degenerate there:
//! its kernel is well conditioned and its outputs have a density on the plane), for each network
//! of the plan ([`network`]: erf and relu at `σ_w = σ_b = 1`, the Cos-net at `σ_w = 1`,
//! `σ_b = 0`) and each width `N`:
//!
//! - **the couplings** ([`crate::action::exact_action`] at order `1/N²`): with
//!   `S = Σ_n (1/n!) s_n · fⁿ` (the convention of [`nnqft_theory::Action`], which the paper
//!   writes `S = ½ G2⁻¹ f f − (1/4!) A4 f f f f + …`, so `s_4 = −A4`, the amputated connected
//!   four-point function), the quadratic `s_2`, quartic `s_4` and sextic `s_6` tensors at every
//!   multiset of the points, beside their order-`1/N` values and the GP's;
//! - **the density distances** ([`crate::action_density::compare_densities`]): `nets × experiments`
//!   sampled outputs binned on the window `|z_a| <= 4` of whitened coordinates (16 bins per
//!   axis) against the GP, order-`1/N` and order-`1/N²` densities, in Edgeworth form and as
//!   `exp(−S)` normalised on the window; the noise-subtracted χ² distance
//!
//!   ```text
//!   D² = Σ_b (p_b − q_b)² / g_b
//!   ```
//!
//!   (`p` measured, `q` the candidate, `g` the GP, per bin) estimated without bias with its
//!   delete-one jackknife error over experiments, and the Edgeworth form's negative mass;
//! - **the ordering** of successive orders per width: `z = (D̂²_{k−1} − D̂²_k) / σ` for order
//!   `k` against the order below it (`σ` the two jackknife errors combined; positive when the
//!   higher order is closer), [`DensityStudyRow::z_below_previous_order`];
//! - **the slopes** ([`crate::action_density::density_slopes`]): `D ∝ N^slope` per network,
//!   order and form over the widths `N >=` [`ActionStudyPlan::slope_min_width`] whose distance is
//!   resolved (above the sampling floor, `D̂² > 3 σ`), weighted by the distances' standard
//!   errors, with a 95% interval from those errors (widened when the widths scatter more than
//!   they allow; `nnqft_stats::fit_power_law_weighted`). The expansion predicts `−1`, `−2`, `−3` for the GP, order `1/N` and order `1/N²`
//!   as `N → ∞`;
//! - **what the action predicts** ([`crate::action_density::ActionDensities::predicted`],
//!   no sampling): the distance from the GP's and the order-`1/N` density to the order-`1/N²`
//!   one, per row and fitted like the measured distances at the same widths
//!   ([`DensitySlope::predicted`]), and at the plan's widths and [`PREDICTED_WIDTHS`] with its
//!   local slopes ([`ActionStudyReport::predicted`]): on the window the GP's slope approaches
//!   −1 only at the rate `1/N` (the module docs of `action_density` derive why), so the slope at
//!   the plan's widths is compared with the predicted one, not only with −1.
//!
//! The sampling floor: with `n` nets per histogram the noise of `D̂²` is at least
//! `sqrt(2 B) / n` for `B` bins (the multinomial noise of a perfect candidate), and more where the
//! candidate differs from the measured density (the cross term `2 Σ (p_b − q_b)(c_b/n − p_b)/g_b`),
//! so `D` is resolved only above `sqrt(3 σ(D̂²))`, which the section reads off its rows (4e-3 to
//! 6e-3 at the largest width at `10^7` nets on the default window, where `(B)^{1/4} / sqrt(n)`
//! would say 1.3e-3): at large `N` the order-`1/N²` distance falls below it first, and the
//! section states from which width on, per network, from the rows
//! ([`ActionStudyReport::floor_width`]).
//!
//! **Locality** ([`locality_study`]; no sampling): per network, on the grid of
//! [`LOCALITY_POINTS`] points spaced `h =` [`LOCALITY_SPACING`] apart and symmetric about 0
//! ([`locality_inputs`]), the quartic coupling `s_4` of the action at order `1/N`
//! (from the exact `G2 = K` and `κ4` at [`ActionStudyPlan::locality_width`]; order `1/N²` is
//! out of reach on 16 points, [`nnqft_theory::ACTION_SECOND_ORDER_MAX_POINTS`]) is profiled by
//! [`crate::action::locality`]: its share of the squared norm against the spread of its four
//! points. At order `1/N`, `s_4 = −κ4 ∘ (G2⁻¹)⁴` with `κ4 ∝ 1/N` and `G2 = K` independent of
//! `N`, so the shares do not depend on the width and the couplings scale as `1/N`. The spacing
//! is half the kernels' length scale (`σ_w = 1`), and as dense as the conditioning allows: the
//! Cos-net's Gaussian kernel on 16 points has condition number 5e6 at `h = 0.5` (erf's 1.5e7,
//! relu's 1.2e6), 1.7e9 at `h = 0.4`, close to [`nnqft_theory::ACTION_MAX_CONDITION`] where the
//! inverse's rounding (`cond · 2⁻⁵³`, 2e-7 on each of the four legs) reaches the couplings, and
//! 6e12 at `h = 0.3`, beyond it. Amputation puts the inverse kernel on four legs, so the
//! tensor's rounding floor grows as the fourth power of the condition number: an exactly local
//! `κ4` (`λ = 0.03`) with the Cos-net's kernel on this grid came back with errors up to 6e5 in
//! `λ`'s units on the diagonal, 1e-10 of the Cos-net's own diagonal couplings (whose mean is
//! 3e15 at `N = 10`): the numbers reported are far above that floor, but a tensor as small as a
//! local one would not be resolved on this grid.
//!
//! Beside the profile, the comparison of the tensor's diagonal with the best constant local
//! coupling, both in the convention of Table 5 (`ΔG4 = λ T0 + …`, the action's local term
//! `−λ ∫ f⁴`, so positive `λ` is a negative quartic coupling), [`LocalCoupling`]:
//!
//! - `λ0`, Table 5's model M1 fitted under MSE ([`crate::table5::FitProblem`]) to the exact
//!   `κ4` on every multiset of the grid, `κ4 ≈ λ0 T0` with
//!   `T0(x_1..x_4) = 24 ∫_{−Λ}^{Λ} dx Π_a K_g(x, x_a)` (`K_g = K − σ_b²`) and the cutoff
//!   `Λ = LOCALITY_POINTS · h / 2` ([`locality_cutoff`]), the interval the grid's cells cover
//!   (Table 5's own cutoffs, 100 for erf and relu, would integrate far outside the grid, where
//!   nothing on it constrains the coupling, and `λ0` runs with `Λ`: the RG section);
//! - `λ_diag(x_i) = −s_4[iiii] / (24 h)`: the coupling a local term would have if the tensor's
//!   diagonal were all of it. A local `∫ dx λ_phys f(x)⁴`, discretised on the grid as
//!   `h Σ_i λ_phys f_i⁴ = Σ_i (1/4!) s_4[iiii] f_i⁴`, has `s_4[iiii] = 24 h λ_phys`, and Table 5's
//!   `λ = −λ_phys`.
//!
//! Were the action local with a constant coupling and `σ_b = 0` (so `K_g = K`), `s_4` would be
//! `24 h λ_phys δ` and `κ4 = 24 λ h Σ_j Π_a K(x_j, x_a)`, the grid's quadrature of `λ T0`: the two
//! would agree up to that quadrature and the locality profile would put all of the norm on the
//! diagonal. Both are `∝ 1/N` at order `1/N`, so their ratio does not depend on the width.
//!
//! Why the diagonal is many orders of magnitude above `λ0` ([`NetworkLocality::modes`],
//! [`crate::action_modes`]): in the eigenbasis of `G2` the coupling is
//! `s̃_4(pqrs) = −κ̃4(pqrs) / (λ_p λ_q λ_r λ_s)`; nearly all of its squared norm has a leg on the
//! rough modes (`λ_p / λ_1 <` [`ROUGH_MODE_RATIO`]) and its diagonal is carried by the smallest,
//! `s̃_4(kkkk) = −γ_k / λ_k²`, with `γ_p` the mode's excess kurtosis. The refinement
//! ([`LOCALITY_REFINEMENT`]: 8 to 16 points over the same interval, so that `λ0` stays and the
//! resolution grows; at a fixed `h` over a growing interval the shortest wavelength stays `2h`
//! while `λ0`'s cutoff `Λ` runs with the interval, which would mix the two) measures the growth
//! `λ_diag / λ0 ∝ cond^α` ([`NetworkLocality::ratio_growth`]): the diagonal has no continuum
//! limit. Kept on the `m` largest modes, the coupling's diagonal over that of a local coupling seen
//! through the same modes ([`ModeRow::lambda_projected`]) is what a finite resolution can set beside
//! `λ0`.
//!
//! The outputs of each `(network, N)` are sampled whole through [`Runner::outputs`] (keyed
//! [`EnsembleKey::ActionDensity`], neither cached nor split into shards: a merge samples them
//! again), so the numbers are the same for any thread count.

use crate::action::{ActionTable, LocalityRow, couplings_table, exact_action, locality, locality_table};
use crate::action_density::{
    DensityForm, DensityOrder, DensityRow, DensitySlope, DensityWindow, PredictedDistance, compare_densities,
    density_slopes, predicted_distances,
};
use crate::action_modes::{ModalCoupling, ROUGH_MODE_RATIO};
use crate::error::Result;
use crate::key::EnsembleKey;
use crate::runner::Runner;
use crate::table::{Table, joined};
use crate::table5::FitProblem;
use nnqft_fit::{Loss, Model};
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_stats::{PowerLawFit, fit_power_law};
use nnqft_theory::{Action, ActionOrder, Activation, Cutoff, DenseTensor, FiniteWidthTheory, InputSet, Network};
use serde::Serialize;

/// The two points of the study.
pub const POINTS: [f64; 2] = [-0.5, 0.7];

/// Points of the locality grid ([`locality_inputs`]).
pub const LOCALITY_POINTS: usize = 16;

/// Spacing `h` of the locality grid (module docs: half the kernels' length scale, as dense as
/// the conditioning of the kernels on [`LOCALITY_POINTS`] points allows).
pub const LOCALITY_SPACING: f64 = 0.5;

/// The grids of the refinement ([`NetworkLocality::refinement`]): points on the locality grid's
/// interval `[−P h / 2, P h / 2] = [−4, 4]`, spaced `8 / P` (`P = 16` is the locality grid).
pub const LOCALITY_REFINEMENT: [usize; 5] = [8, 10, 12, 14, 16];

/// Widths beyond the plan's at which the distances the action predicts are computed (no
/// sampling; [`ActionStudyReport::predicted`]): where the asymptotic slopes set in.
pub const PREDICTED_WIDTHS: [usize; 6] = [40, 80, 160, 320, 640, 1280];

/// What the action study samples.
#[derive(Debug, Clone, Serialize)]
pub struct ActionStudyPlan {
    /// Networks, each at the study's priors ([`network`]).
    #[serde(serialize_with = "activation_names")]
    pub networks: Vec<Activation>,
    /// Hidden widths `N`.
    pub widths: Vec<usize>,
    /// Experiments per histogram (the jackknife's groups, at least 2).
    pub experiments: usize,
    /// Nets per experiment.
    pub nets: u64,
    /// The smallest width the slopes fit (the asymptotic slope shows once the next order is
    /// small; at `N = 2` the series has failed).
    pub slope_min_width: usize,
    /// The width of the density figure ([`ActionStudyReport::maps`]).
    pub figure_width: usize,
    /// The width of the locality profile and the local coupling (order `1/N`: the shares and
    /// the ratio of the two couplings do not depend on it).
    pub locality_width: usize,
}

fn activation_names<S: serde::Serializer>(acts: &[Activation], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(acts.iter().map(|a| a.name()))
}

impl ActionStudyPlan {
    /// The issue's study: erf, the Cos-net, relu at `N ∈ {2, 3, 5, 10, 20}`, slopes from
    /// `N = 5`, the figure at `N = 3`, the locality at `N = 10`.
    pub fn standard(experiments: usize, nets: u64) -> Self {
        Self {
            networks: vec![Activation::Erf, Activation::Cos, Activation::Relu],
            widths: vec![2, 3, 5, 10, 20],
            experiments,
            nets,
            slope_min_width: 5,
            figure_width: 3,
            locality_width: 10,
        }
    }

    /// Nets per histogram.
    pub fn nets_per_histogram(&self) -> u64 {
        self.nets.saturating_mul(self.experiments as u64)
    }

    /// Nets over every histogram of the plan (saturating at `u64::MAX`).
    pub fn nets_total(&self) -> u64 {
        ((self.networks.len() * self.widths.len()) as u64).saturating_mul(self.nets_per_histogram())
    }
}

/// The study's network of `activation`: erf and relu at `σ_w = σ_b = 1`, the Cos-net at
/// `σ_w = 1`, `σ_b = 0` (its kernel is translation invariant), others at `σ_w = σ_b = 1`; `d = 1`.
pub fn network(activation: Activation) -> Result<Network> {
    let sigma_b = if activation == Activation::Cos { 0.0 } else { 1.0 };
    Ok(Network::new(activation, 1, 1.0, sigma_b)?)
}

/// The two points [`POINTS`].
pub fn inputs() -> Result<InputSet> {
    Ok(InputSet::new("action", &POINTS.map(|x| vec![x]))?)
}

/// One row of the density comparison: [`DensityRow`] and the ordering against the order below.
#[derive(Debug, Clone, PartialEq)]
pub struct DensityStudyRow {
    /// The comparison.
    pub row: DensityRow,
    /// Experiments of its histogram.
    pub experiments: usize,
    /// `(D̂²_{previous order} − D̂²) / sqrt(σ²_previous + σ²)`, the previous order the one
    /// below in the same form (the GP for order `1/N`); `None` for the GP.
    pub z_below_previous_order: Option<f64>,
}

/// The grid of the locality profile: [`LOCALITY_POINTS`] points `x_i = (i − (P − 1)/2) h`,
/// `h =` [`LOCALITY_SPACING`], symmetric about 0.
pub fn locality_inputs() -> Result<InputSet> {
    refinement_inputs(LOCALITY_POINTS)
}

/// `points` points spaced [`refinement_spacing`]`(points)` over the locality grid's interval,
/// `x_i = (i − (P − 1)/2) h`, each the centre of a cell `h` wide (at [`LOCALITY_POINTS`]: the
/// locality grid).
pub fn refinement_inputs(points: usize) -> Result<InputSet> {
    let (centre, h) = ((points as f64 - 1.0) / 2.0, refinement_spacing(points));
    let xs: Vec<Vec<f64>> = (0..points).map(|i| vec![(i as f64 - centre) * h]).collect();
    Ok(InputSet::new("action-locality", &xs)?)
}

/// The spacing `h = 2 Λ / P` of `points` points over `[−Λ, Λ]`, `Λ =` [`locality_cutoff`].
pub fn refinement_spacing(points: usize) -> f64 {
    2.0 * locality_cutoff() / points.max(1) as f64
}

/// The cutoff `Λ = P h / 2` of the local coupling's fit: `[−Λ, Λ]` is the interval the grid's
/// cells (each `h` wide, centred on a point) cover.
pub fn locality_cutoff() -> f64 {
    LOCALITY_POINTS as f64 * LOCALITY_SPACING / 2.0
}

/// The best constant local coupling against the quartic tensor's diagonal, for one network
/// (module docs), in the convention of Table 5.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalCoupling {
    /// The network.
    pub network: Activation,
    /// Its width.
    pub width: usize,
    /// Grid spacing `h`.
    pub spacing: f64,
    /// The fit's cutoff `Λ` ([`locality_cutoff`]).
    pub cutoff: f64,
    /// The condition number of `G2` on the grid.
    pub condition_number: f64,
    /// `λ0` of Table 5's model M1 under MSE on the grid.
    pub lambda0: f64,
    /// The fit's mean absolute percentage error on the grid (%): how well `λ0 T0` describes `κ4`.
    pub lambda0_mape: f64,
    /// `−s_4[iiii] / (24 h)` per grid point.
    pub diagonal: Vec<f64>,
    /// Modes of `G2` with `λ_p / λ_1 <` [`ROUGH_MODE_RATIO`].
    pub rough_modes: usize,
    /// The share of `Σ s_4²` in the index tuples with a leg on one of them
    /// ([`ModalCoupling::rough_share`]).
    pub rough_share: f64,
}

impl LocalCoupling {
    /// The mean of [`Self::diagonal`] over the grid.
    pub fn diagonal_mean(&self) -> f64 {
        self.diagonal.iter().sum::<f64>() / self.diagonal.len().max(1) as f64
    }
    /// Its smallest value.
    pub fn diagonal_min(&self) -> f64 {
        self.diagonal.iter().copied().fold(f64::INFINITY, f64::min)
    }
    /// Its largest value.
    pub fn diagonal_max(&self) -> f64 {
        self.diagonal.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
    /// `λ_diag mean / λ0`.
    pub fn ratio(&self) -> f64 {
        self.diagonal_mean() / self.lambda0
    }
}

/// The quartic coupling of one network on the locality grid mode by mode ([`crate::action_modes`]),
/// one row per number `m` of modes kept, largest eigenvalue first.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeRow {
    /// `m`, from 1: the mode `p = m` and the projection on the modes `1..=m`.
    pub mode: usize,
    /// `λ_m`, the eigenvalue of `G2`.
    pub eigenvalue: f64,
    /// `λ_m / λ_1`.
    pub eigenvalue_ratio: f64,
    /// `γ_m = κ̃4(mmmm) / λ_m²`, the excess kurtosis of the mode's amplitude at the width.
    pub excess_kurtosis: f64,
    /// The share of `Σ s_4²` in the tuples whose smallest mode is `m`.
    pub norm_share: f64,
    /// The share in the tuples whose modes are all among `1..=m`.
    pub cumulative_share: f64,
    /// The mean over the grid of `d_m(i) = Σ_j P_m[ij]⁴`: a local coupling's diagonal seen
    /// through `m` modes, per unit coupling.
    pub local_diagonal: f64,
    /// The mean over the grid of `−s_4^(m)[iiii] / (24 h)`, the diagonal of the coupling kept
    /// on `m` modes.
    pub lambda_diagonal: f64,
    /// The same for the best constant local coupling's own `κ4 = λ0 T0` (model M1's prediction,
    /// a continuum integral over `[−Λ, Λ]`, not the grid's quadrature) in place of the network's.
    pub model_lambda_diagonal: f64,
}

impl ModeRow {
    /// `λ_diag^(m) / d_m`: the constant local coupling whose projection on the same `m` modes
    /// has the same mean diagonal (a local coupling `λ` gives `λ` at every `m`).
    pub fn lambda_projected(&self) -> f64 {
        self.lambda_diagonal / self.local_diagonal
    }

    /// [`Self::lambda_projected`] of `κ4 = λ0 T0`: what the same projection makes of a coupling
    /// that is local in the continuum, the calibration of the network's.
    pub fn model_lambda_projected(&self) -> f64 {
        self.model_lambda_diagonal / self.local_diagonal
    }
}

/// The locality of one network's quartic coupling: its profile and the local coupling.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkLocality {
    /// The profile ([`crate::action::locality`]).
    pub profile: Vec<LocalityRow>,
    /// The tensor's diagonal against Table 5's `λ0`.
    pub coupling: LocalCoupling,
    /// The same on the coarser grids of [`LOCALITY_REFINEMENT`] (same interval, fewer points),
    /// coarsest first; with [`Self::coupling`] last, the refinement's rows.
    pub refinement: Vec<LocalCoupling>,
    /// The coupling on the locality grid mode by mode.
    pub modes: Vec<ModeRow>,
}

impl NetworkLocality {
    /// Every grid's comparison, coarsest first, the locality grid last.
    pub fn grids(&self) -> impl Iterator<Item = &LocalCoupling> {
        self.refinement.iter().chain(std::iter::once(&self.coupling))
    }

    /// `λ_diag mean / λ0 ∝ cond^α` over the grids of the refinement ([`Self::grids`]) whose
    /// ratio is positive: the least-squares power law in the condition number of `G2`, with
    /// its 95% interval from three grids.
    pub fn ratio_growth(&self) -> Result<PowerLawFit> {
        let (x, y): (Vec<f64>, Vec<f64>) =
            self.grids().filter(|c| c.ratio() > 0.0).map(|c| (c.condition_number, c.ratio())).unzip();
        Ok(fit_power_law(&x, &y)?)
    }

    /// `γ_p ∝ (λ_p / λ_1)^(−β)` over the rough modes (`λ_p / λ_1 <` [`ROUGH_MODE_RATIO`],
    /// positive `γ_p`) of the locality grid: how fast the modes' excess kurtosis grows as
    /// their eigenvalue falls (`β = 0`: as for the Gaussian-like modes, `β = 1`: a mode carried
    /// by rare neurons). The fit is of `γ_p` against `λ_p / λ_1`, so its slope is `−β`.
    pub fn kurtosis_growth(&self) -> Result<PowerLawFit> {
        let (x, y): (Vec<f64>, Vec<f64>) = self
            .modes
            .iter()
            .filter(|m| m.eigenvalue_ratio < ROUGH_MODE_RATIO && m.excess_kurtosis > 0.0)
            .map(|m| (m.eigenvalue_ratio, m.excess_kurtosis))
            .unzip();
        Ok(fit_power_law(&x, &y)?)
    }

    /// The number of leading modes whose excess kurtosis is below 1 at the width: the modes
    /// on which the order-`1/N` action is a small correction to the GP.
    pub fn perturbative_modes(&self) -> usize {
        self.modes.iter().take_while(|m| m.excess_kurtosis.abs() < 1.0).count()
    }
}

/// The locality of `act`'s quartic coupling at width `width` on [`locality_inputs`] (module
/// docs): exact theory only, no sampling.
pub fn locality_study(act: Activation, width: usize) -> Result<NetworkLocality> {
    let net = network(act)?;
    let mut refinement =
        LOCALITY_REFINEMENT.iter().map(|&points| grid_coupling(&net, width, points)).collect::<Result<Vec<_>>>()?;
    let (coupling, action, modal, model) = refinement.pop().ok_or_else(|| crate::error::StudyError::Table {
        field: "LOCALITY_REFINEMENT",
        found: "no grid".into(),
        expected: "the locality grid last".into(),
    })?;
    let profile = locality(&action, &locality_inputs()?)?;
    let modes = mode_rows(&modal, &model, LOCALITY_SPACING);
    Ok(NetworkLocality { profile, coupling, refinement: refinement.into_iter().map(|r| r.0).collect(), modes })
}

/// The comparison on `points` points of the refinement ([`refinement_inputs`]), with the action
/// and the coupling in modes it was computed from, and the coupling in modes of M1's `λ0 T0`.
fn grid_coupling(
    net: &Network,
    width: usize,
    points: usize,
) -> Result<(LocalCoupling, Action, ModalCoupling, ModalCoupling)> {
    let (grid, h) = (refinement_inputs(points)?, refinement_spacing(points));
    let theory = FiniteWidthTheory::new(net, &grid)?;
    let exact = theory.at_width(width)?;
    let action = Action::reconstruct(grid.len(), &exact.g[0], &exact.kappa4, None)?;
    let g2 = DenseTensor::from_multisets(&theory.multisets[0], &exact.g[0]);
    let modal = ModalCoupling::new(g2.values(), &theory.multisets[1], &exact.kappa4)?;
    let problem = FitProblem::new(net, grid.clone(), Cutoff::finite(locality_cutoff())?)?;
    let fit = problem.fit_one(&exact.kappa4, Model::M1, Loss::Mse)?;
    let model =
        ModalCoupling::new(g2.values(), &theory.multisets[1], &problem.design().predict(&fit.couplings, Model::M1))?;
    let lambda = modal.modes().eigenvalues();
    let coupling = LocalCoupling {
        network: net.activation(),
        width,
        spacing: h,
        cutoff: locality_cutoff(),
        condition_number: action.condition_number(),
        lambda0: fit.couplings[0],
        lambda0_mape: fit.mape,
        diagonal: diagonal_couplings(&action, h)?,
        rough_modes: lambda.iter().filter(|&&l| l / lambda[0] < ROUGH_MODE_RATIO).count(),
        rough_share: modal.rough_share(),
    };
    Ok((coupling, action, modal, model))
}

/// The rows of [`ModeRow`] of a coupling in modes on a grid of spacing `h`, with `model`'s
/// projected diagonal beside it (the same kernel).
fn mode_rows(modal: &ModalCoupling, model: &ModalCoupling, h: f64) -> Vec<ModeRow> {
    let lambda = modal.modes().eigenvalues();
    let (gamma, shares) = (modal.excess_kurtosis(), modal.band_shares());
    let (kept, local) = (modal.projected_diagonal(), modal.modes().local_diagonal());
    let model_kept = model.projected_diagonal();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let mut cumulative = 0.0;
    (0..lambda.len())
        .map(|p| {
            cumulative += shares[p];
            ModeRow {
                mode: p + 1,
                eigenvalue: lambda[p],
                eigenvalue_ratio: lambda[p] / lambda[0],
                excess_kurtosis: gamma[p],
                norm_share: shares[p],
                cumulative_share: cumulative,
                local_diagonal: mean(&local[p]),
                lambda_diagonal: -mean(&kept[p]) / (24.0 * h),
                model_lambda_diagonal: -mean(&model_kept[p]) / (24.0 * h),
            }
        })
        .collect()
}

/// `−s_4[iiii] / (24 h)` at each point `i` of `action` (module docs: the coupling, in Table 5's
/// convention, of a local term whose grid discretisation with spacing `h` has that diagonal).
pub fn diagonal_couplings(action: &Action, spacing: f64) -> Result<Vec<f64>> {
    let (ms, s4) = (action.multisets(4)?, action.couplings(4)?);
    (0..action.points())
        .map(|i| {
            let pos = ms.position(&[i; 4]).ok_or_else(|| crate::error::StudyError::Table {
                field: "points",
                found: i.to_string(),
                expected: format!("a point of the action's {}", action.points()),
            })?;
            Ok(-s4[pos] / (24.0 * spacing))
        })
        .collect()
}

/// The densities of the figure: one network at one width, per bin of the window (axis 0
/// fastest), the measured fraction of the nets inside it and each order's Edgeworth
/// probability.
#[derive(Debug, Clone, PartialEq)]
pub struct DensityMaps {
    /// The network.
    pub network: Activation,
    /// Its width.
    pub width: usize,
    /// The window.
    pub window: DensityWindow,
    /// Measured bin fractions.
    pub measured: Vec<f64>,
    /// The GP, order-`1/N` and order-`1/N²` Edgeworth bin probabilities, in that order.
    pub predicted: [Vec<f64>; 3],
}

/// Everything the action study measures.
#[derive(Debug, Clone, Default)]
pub struct ActionStudyReport {
    /// The exact couplings per network and width (order `1/N²`).
    pub couplings: Vec<(Activation, usize, ActionTable)>,
    /// The density comparisons, per network, width, order and form.
    pub densities: Vec<DensityStudyRow>,
    /// The slopes per network, order and form.
    pub slopes: Vec<DensitySlope>,
    /// The smallest width the slopes fit.
    pub slope_min_width: usize,
    /// The distances the action predicts for the GP and order `1/N` (Edgeworth form), per
    /// network over the plan's widths and [`PREDICTED_WIDTHS`], with their local slopes.
    pub predicted: Vec<PredictedDistance>,
    /// The figure's densities, one per network at [`ActionStudyPlan::figure_width`] (none if
    /// that width is not in the plan).
    pub maps: Vec<DensityMaps>,
    /// The locality of each network's quartic coupling, in the plan's order.
    pub locality: Vec<NetworkLocality>,
}

/// Runs the study: the couplings, then per network and width the outputs through `runner`,
/// their histogram against each density, then the slopes; and per network the locality of
/// its quartic coupling (exact theory).
pub fn run(runner: &dyn Runner, plan: &ActionStudyPlan) -> Result<ActionStudyReport> {
    let xs = inputs()?;
    let window = DensityWindow::default();
    let mut report = ActionStudyReport { slope_min_width: plan.slope_min_width, ..Default::default() };
    for &act in &plan.networks {
        let net = network(act)?;
        for &width in &plan.widths {
            report.couplings.push((act, width, exact_action(&net, width, &xs, ActionOrder::Second)?));
            let key = EnsembleKey::ActionDensity { activation: act, width };
            let ensemble = Ensemble::new(
                net,
                width,
                xs.clone(),
                plan.nets,
                plan.experiments,
                Estimator::Raw,
                key.seed(runner.seed()),
            )?;
            let outputs = runner.outputs(&key, &ensemble)?;
            let rows = compare_densities(&net, width, &xs, &outputs, plan.experiments, window)?;
            report.densities.extend(ordered(rows, plan.experiments));
            if width == plan.figure_width {
                report.maps.push(maps(&net, width, &xs, &outputs, plan.experiments, window)?);
            }
        }
        let mut widths: Vec<usize> = plan.widths.iter().chain(&PREDICTED_WIDTHS).copied().collect();
        widths.sort_unstable();
        widths.dedup();
        report.predicted.extend(predicted_distances(&net, &xs, window, &widths)?);
        report.locality.push(locality_study(act, plan.locality_width)?);
    }
    let rows: Vec<DensityRow> = report.densities.iter().map(|r| r.row.clone()).collect();
    report.slopes = density_slopes(&rows, plan.slope_min_width);
    Ok(report)
}

/// The rows of one `(network, N)` with each order's `z` against the order below in its form.
fn ordered(rows: Vec<DensityRow>, experiments: usize) -> Vec<DensityStudyRow> {
    let previous = |r: &DensityRow| -> Option<&DensityRow> {
        let (order, form) = match r.order {
            DensityOrder::Gaussian => return None,
            DensityOrder::First => (DensityOrder::Gaussian, DensityForm::Edgeworth),
            DensityOrder::Second => (DensityOrder::First, r.form),
        };
        rows.iter().find(|p| p.order == order && p.form == form)
    };
    rows.iter()
        .map(|r| DensityStudyRow {
            row: r.clone(),
            experiments,
            z_below_previous_order: previous(r).map(|p| {
                (p.distance.squared - r.distance.squared) / p.distance.squared_stderr.hypot(r.distance.squared_stderr)
            }),
        })
        .collect()
}

fn maps(
    net: &Network,
    width: usize,
    xs: &InputSet,
    outputs: &[f64],
    experiments: usize,
    window: DensityWindow,
) -> Result<DensityMaps> {
    use crate::action_density::{ActionDensities, bin_outputs};
    let densities = ActionDensities::new(net, width, xs, window)?;
    let binned = bin_outputs(&densities, outputs, experiments)?;
    let mut counts = vec![0u64; binned.counts.first().map_or(0, Vec::len)];
    for c in &binned.counts {
        counts.iter_mut().zip(c).for_each(|(t, v)| *t += v);
    }
    let inside: u64 = counts.iter().sum();
    let measured = counts.iter().map(|&c| c as f64 / inside.max(1) as f64).collect();
    let edgeworth = |order| densities.bin_probabilities(order, DensityForm::Edgeworth);
    Ok(DensityMaps {
        network: net.activation(),
        width,
        window,
        measured,
        predicted: [
            edgeworth(DensityOrder::Gaussian)?,
            edgeworth(DensityOrder::First)?,
            edgeworth(DensityOrder::Second)?,
        ],
    })
}

impl ActionStudyReport {
    /// The Edgeworth rows of `network` at `order`, by width.
    pub fn edgeworth(&self, network: &str, order: DensityOrder) -> Vec<&DensityStudyRow> {
        self.densities
            .iter()
            .filter(|r| r.row.network == network && r.row.order == order && r.row.form == DensityForm::Edgeworth)
            .collect()
    }

    /// The smallest width from which on every Edgeworth distance of `network` at `order` is at
    /// the sampling floor (not resolved); `None` if the largest width's is resolved.
    pub fn floor_width(&self, network: &str, order: DensityOrder) -> Option<usize> {
        let rows = self.edgeworth(network, order);
        let mut floor = None;
        for r in rows.iter().rev() {
            if r.row.distance.resolved {
                break;
            }
            floor = Some(r.row.width);
        }
        floor
    }

    /// The networks of the report, in the order of the rows.
    pub fn networks(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.densities {
            if !out.contains(&r.row.network) {
                out.push(r.row.network.clone());
            }
        }
        out
    }

    /// The study's tables with the stems of their report files: `action` ([`action_table`]),
    /// `action_density` ([`density_table`]), `action_density_fits` ([`slopes_table`]),
    /// `action_density_predicted` ([`predicted_table`]), `action_locality` ([`locality_study_table`]), `action_local_coupling`
    /// ([`local_coupling_table`]) and `action_local_modes` ([`local_modes_table`]), as `cargo xtask reproduce` writes them and Python's
    /// `nnqft.action_study` returns them.
    pub fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![
            ("action", action_table(&self.couplings)),
            ("action_density", density_table(&self.densities)),
            ("action_density_fits", slopes_table(&self.slopes, self.slope_min_width)),
            ("action_density_predicted", predicted_table(&self.predicted)),
            ("action_locality", locality_study_table(&self.locality)),
            ("action_local_coupling", local_coupling_table(&self.locality)),
            ("action_local_modes", local_modes_table(&self.locality)),
        ]
    }
}

/// `action_locality.parquet`: per network, `network` and `width`, then the columns of
/// [`locality_table`] (`nnqft action`'s `action_locality.parquet`) per distinct spread of four
/// points of the grid ([`locality_inputs`]).
pub fn locality_study_table(locality: &[NetworkLocality]) -> Table {
    Table::stacked(locality.iter().map(|l| {
        let h = l.profile.len();
        Table::new()
            .str("network", vec![l.coupling.network.name(); h])
            .int("width", vec![l.coupling.width as i64; h])
            .then(locality_table(&l.profile))
    }))
}

/// `action_local_coupling.parquet`: per network and grid of the refinement
/// ([`LOCALITY_REFINEMENT`], coarsest first), `network`, `width`, `points`, `spacing` (`h`),
/// `cutoff` (`Λ`), the `condition_number` of `G2` on the grid, Table 5's `lambda0` (model M1
/// under MSE on the grid) with its `lambda0_mape` (%), the tensor's diagonal
/// `−s_4[iiii] / (24 h)` over the grid's points (`lambda_diagonal_mean`, `lambda_diagonal_min`,
/// `lambda_diagonal_max`), all in Table 5's convention (module docs), and the `rough_modes` of
/// `G2` (`λ_p / λ_1 <` [`ROUGH_MODE_RATIO`]) with the `rough_share` of `Σ s_4²` on them.
pub fn local_coupling_table(locality: &[NetworkLocality]) -> Table {
    let c: Vec<&LocalCoupling> = locality.iter().flat_map(NetworkLocality::grids).collect();
    Table::new()
        .str("network", c.iter().map(|c| c.network.name()))
        .int("width", c.iter().map(|c| c.width as i64))
        .int("points", c.iter().map(|c| c.diagonal.len() as i64))
        .f64("spacing", c.iter().map(|c| c.spacing))
        .f64("cutoff", c.iter().map(|c| c.cutoff))
        .f64("condition_number", c.iter().map(|c| c.condition_number))
        .f64("lambda0", c.iter().map(|c| c.lambda0))
        .f64("lambda0_mape", c.iter().map(|c| c.lambda0_mape))
        .f64("lambda_diagonal_mean", c.iter().map(|c| c.diagonal_mean()))
        .f64("lambda_diagonal_min", c.iter().map(|c| c.diagonal_min()))
        .f64("lambda_diagonal_max", c.iter().map(|c| c.diagonal_max()))
        .int("rough_modes", c.iter().map(|c| c.rough_modes as i64))
        .f64("rough_share", c.iter().map(|c| c.rough_share))
}

/// `action_local_modes.parquet`: per network, the quartic coupling on the locality grid mode by
/// mode ([`ModeRow`], largest eigenvalue first): `network`, `width`, `mode`, `eigenvalue`,
/// `eigenvalue_ratio`, `excess_kurtosis`, `norm_share`, `cumulative_share`, `local_diagonal`,
/// `lambda_diagonal`, `lambda_projected` and, for M1's `κ4 = λ0 T0`, `model_lambda_projected`
/// (Table 5's convention).
pub fn local_modes_table(locality: &[NetworkLocality]) -> Table {
    let rows: Vec<(&LocalCoupling, &ModeRow)> =
        locality.iter().flat_map(|l| l.modes.iter().map(move |m| (&l.coupling, m))).collect();
    Table::new()
        .str("network", rows.iter().map(|(c, _)| c.network.name()))
        .int("width", rows.iter().map(|(c, _)| c.width as i64))
        .int("mode", rows.iter().map(|(_, m)| m.mode as i64))
        .f64("eigenvalue", rows.iter().map(|(_, m)| m.eigenvalue))
        .f64("eigenvalue_ratio", rows.iter().map(|(_, m)| m.eigenvalue_ratio))
        .f64("excess_kurtosis", rows.iter().map(|(_, m)| m.excess_kurtosis))
        .f64("norm_share", rows.iter().map(|(_, m)| m.norm_share))
        .f64("cumulative_share", rows.iter().map(|(_, m)| m.cumulative_share))
        .f64("local_diagonal", rows.iter().map(|(_, m)| m.local_diagonal))
        .f64("lambda_diagonal", rows.iter().map(|(_, m)| m.lambda_diagonal))
        .f64("lambda_projected", rows.iter().map(|(_, m)| m.lambda_projected()))
        .f64("model_lambda_projected", rows.iter().map(|(_, m)| m.model_lambda_projected()))
}

/// `action.parquet`: per network and width, `network`, `width`, then the columns of
/// [`couplings_table`] (source `exact`, order 2) per multiset of the two points.
pub fn action_table(couplings: &[(Activation, usize, ActionTable)]) -> Table {
    Table::stacked(couplings.iter().map(|(act, width, table)| {
        let h = table.rows.len();
        Table::new()
            .str("network", vec![act.name(); h])
            .int("width", vec![*width as i64; h])
            .then(couplings_table("exact", table.clone()))
    }))
}

/// `action_density.parquet`: one row per network, width, order and form: the distance
/// (noise-subtracted `D̂²`, its jackknife error, `D` and its error where resolved), whether
/// it is resolved, the ordering `z` against the order below, the distance the action
/// predicts (`distance_predicted`, [`DensityRow::predicted`]), the Edgeworth form's negative
/// mass, whether `exp(−S)` is normalisable on the plane, the fraction of nets outside the
/// window, nets and experiments.
pub fn density_table(rows: &[DensityStudyRow]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.row.network.clone()))
        .int("width", rows.iter().map(|r| r.row.width as i64))
        .str("order", rows.iter().map(|r| r.row.order.name()))
        .str("form", rows.iter().map(|r| r.row.form.name()))
        .f64("distance_squared", rows.iter().map(|r| r.row.distance.squared))
        .f64("distance_squared_stderr", rows.iter().map(|r| r.row.distance.squared_stderr))
        .f64("distance", rows.iter().map(|r| r.row.distance.distance))
        .f64("distance_stderr", rows.iter().map(|r| r.row.distance.distance_stderr))
        .int("resolved", rows.iter().map(|r| i64::from(r.row.distance.resolved)))
        .opt("z_below_previous_order", rows.iter().map(|r| r.z_below_previous_order))
        .opt("distance_predicted", rows.iter().map(|r| r.row.predicted))
        .opt("negative_mass", rows.iter().map(|r| r.row.negative_mass))
        .int("normalisable", rows.iter().map(|r| i64::from(r.row.normalisable)))
        .f64("outside", rows.iter().map(|r| r.row.outside))
        .int("nets", rows.iter().map(|r| r.row.nets as i64))
        .int("experiments", rows.iter().map(|r| r.experiments as i64))
}

/// `action_density_fits.parquet`: per network, order and form, the power law `D ∝ N^slope`
/// over the resolved widths `N >= min_width` (`widths_used`), weighted by the distances'
/// standard errors, its 95% interval from those errors (`nnqft_stats::fit_power_law_weighted`),
/// the weighted `r2`, the same fit of the distances the action predicts at those widths
/// (`slope_predicted`, [`DensitySlope::predicted`]) and the expansion's asymptotic slope
/// `slope_expected` (−1, −2, −3).
pub fn slopes_table(slopes: &[DensitySlope], min_width: usize) -> Table {
    let f = |g: fn(&PowerLawFit) -> f64| {
        slopes.iter().map(move |s| s.fit.as_ref().map(g).filter(|v| v.is_finite())).collect::<Vec<_>>()
    };
    Table::new()
        .str("network", slopes.iter().map(|s| s.network.clone()))
        .str("order", slopes.iter().map(|s| s.order.name()))
        .str("form", slopes.iter().map(|s| s.form.name()))
        .int("min_width", slopes.iter().map(|_| min_width as i64))
        .str("widths_used", slopes.iter().map(|s| joined(&s.widths)))
        .opt("slope", f(|p| p.slope))
        .opt("slope_lo", f(|p| p.slope_lo))
        .opt("slope_hi", f(|p| p.slope_hi))
        .opt("r2", f(|p| p.r2))
        .opt(
            "slope_predicted",
            slopes.iter().map(|s| s.predicted.as_ref().map(|p| p.slope).filter(|v| v.is_finite())).collect::<Vec<_>>(),
        )
        .f64("slope_expected", slopes.iter().map(|s| s.order.expected_slope()))
}

/// `action_density_predicted.parquet`: per network, order (the GP and `1/N`, Edgeworth form)
/// and width (the plan's and [`PREDICTED_WIDTHS`]), the distance the action predicts
/// (`distance_predicted`, [`crate::action_density::ActionDensities::predicted`]) and
/// the local slope from the previous width (`local_slope_predicted`, missing at the first),
/// beside `slope_expected`.
pub fn predicted_table(rows: &[PredictedDistance]) -> Table {
    Table::new()
        .str("network", rows.iter().map(|r| r.network.clone()))
        .str("order", rows.iter().map(|r| r.order.name()))
        .int("width", rows.iter().map(|r| r.width as i64))
        .f64("distance_predicted", rows.iter().map(|r| r.distance))
        .opt("local_slope_predicted", rows.iter().map(|r| r.local_slope))
        .f64("slope_expected", rows.iter().map(|r| r.order.expected_slope()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Direct;

    /// Seed of the tests' runs.
    const SEED: u64 = 20_261_207;
    /// Resolved orderings: `z` above this is an order closer than the one below it.
    const ORDER_Z: f64 = 3.0;

    fn small(experiments: usize, nets: u64) -> ActionStudyPlan {
        ActionStudyPlan {
            networks: vec![Activation::Erf, Activation::Cos],
            widths: vec![3, 10],
            figure_width: 3,
            slope_min_width: 3,
            ..ActionStudyPlan::standard(experiments, nets)
        }
    }

    /// The same seed gives the same tables on one thread and on two (work items seeded by
    /// `(master, experiment, chunk)`, outputs in item order).
    #[test]
    fn same_numbers_for_any_thread_count() {
        let plan = small(4, 5_000);
        let one = run(&Direct::new(SEED, 1), &plan).unwrap();
        let two = run(&Direct::new(SEED, 2), &plan).unwrap();
        assert_eq!(one.tables(), two.tables());
        assert_eq!(one.maps, two.maps);
        assert_eq!(one.maps.len(), 2); // one per network at the figure's width
    }

    /// Agreement of an exact identity computed two ways (rounding of the inverse kernel's four
    /// factors on a well-conditioned set).
    const IDENTITY: f64 = 1e-9;

    /// The Cos-net's profile on the three points 0, 0.5, 1 at N = 4 against a computation by
    /// hand: the closed-form moments `M2 = ½ e^{−(x−y)²/2}`,
    /// `M4 = 2⁻⁴ Σ_{ε ∈ {±1}⁴, Σε = 0} e^{−(Σ ε_a x_a)²/2}` (the uniform phase keeps the sign
    /// patterns that sum to zero), `κ4 = (3 M4 − Σ_3 M2 M2) / N`, amputated by the inverse kernel
    /// over every ordered tuple, `s_4 = −A4`, and its squared norm summed per spread.
    #[test]
    fn cos_net_profile_matches_a_hand_computation() {
        let xs = [0.0, 0.5, 1.0];
        let n = 4.0;
        let grid = InputSet::new("hand", &xs.map(|x| vec![x])).unwrap();
        let net = network(Activation::Cos).unwrap();
        let t = exact_action(&net, 4, &grid, ActionOrder::First).unwrap();
        let rows = locality(&t.action, &grid).unwrap();
        // by hand
        let m2 = |a: usize, b: usize| 0.5 * (-(xs[a] - xs[b]).powi(2) / 2.0).exp();
        let m4 = |i: [usize; 4]| {
            let mut sum = 0.0;
            for mask in 0..16u32 {
                let e: Vec<f64> = (0..4).map(|k| if (mask >> k) & 1 == 1 { 1.0 } else { -1.0 }).collect();
                if mask.count_ones() == 2 {
                    let arg: f64 = (0..4).map(|k| e[k] * xs[i[k]]).sum();
                    sum += (-arg * arg / 2.0).exp();
                }
            }
            sum / 16.0
        };
        let k4 = |[a, b, c, d]: [usize; 4]| {
            (3.0 * m4([a, b, c, d]) - m2(a, b) * m2(c, d) - m2(a, c) * m2(b, d) - m2(a, d) * m2(b, c)) / n
        };
        // the inverse of the 3 x 3 kernel by cofactors
        let k = |a: usize, b: usize| m2(a, b);
        let det = k(0, 0) * (k(1, 1) * k(2, 2) - k(1, 2) * k(2, 1)) - k(0, 1) * (k(1, 0) * k(2, 2) - k(1, 2) * k(2, 0))
            + k(0, 2) * (k(1, 0) * k(2, 1) - k(1, 1) * k(2, 0));
        let p = |a: usize, b: usize| {
            let (r, c) = ([(1, 2), (0, 2), (0, 1)][b], [(1, 2), (0, 2), (0, 1)][a]);
            let minor = k(r.0, c.0) * k(r.1, c.1) - k(r.0, c.1) * k(r.1, c.0);
            if (a + b).is_multiple_of(2) { minor / det } else { -minor / det }
        };
        let tuples: Vec<[usize; 4]> = (0..81).map(|t| [t % 3, t / 3 % 3, t / 9 % 3, t / 27]).collect();
        let s4 = |o: [usize; 4]| -> f64 {
            -tuples.iter().map(|i| k4(*i) * p(i[0], o[0]) * p(i[1], o[1]) * p(i[2], o[2]) * p(i[3], o[3])).sum::<f64>()
        };
        let spread = |o: [usize; 4]| o.iter().max().unwrap() - o.iter().min().unwrap();
        let total: f64 = tuples.iter().map(|&o| s4(o).powi(2)).sum();
        assert_eq!(rows.len(), 3);
        for (g, row) in rows.iter().enumerate() {
            assert!((row.spread - 0.5 * g as f64).abs() < 1e-12);
            let at: Vec<[usize; 4]> = tuples.iter().copied().filter(|&o| spread(o) == g).collect();
            let share = at.iter().map(|&o| s4(o).powi(2)).sum::<f64>() / total;
            let max = at.iter().map(|&o| s4(o).abs()).fold(0.0, f64::max);
            assert!(
                (row.norm_share - share).abs() < IDENTITY * share.max(1e-3),
                "spread {}: {} vs {share}",
                row.spread,
                row.norm_share
            );
            assert!((row.max_abs - max).abs() < IDENTITY * max, "spread {}: {} vs {max}", row.spread, row.max_abs);
        }
    }

    /// A quartic coupling that is local by construction comes back local with its coupling: with
    /// the Cos-net's kernel (`σ_b = 0`) on 8 points spaced `h = 1` (condition number 39: the
    /// inverse's rounding is amplified by its fourth power on the four legs, so the identity is
    /// checked where that stays small; on the locality grid, condition number 5e6, the same
    /// tensor came back with errors of 6e5 in `λ`'s units) and `κ4 = 24 λ h Σ_j Π_a K(x_j, x_a)`
    /// (a local `−λ h Σ_j f_j⁴` at first order), the tensor is `24 h λ_phys δ`, so every
    /// `−s_4[iiii] / (24 h)` is `λ` and the diagonal holds all of the norm.
    #[test]
    fn a_local_coupling_is_found_on_the_diagonal() {
        let h = 1.0;
        let grid = InputSet::new("coarse", &(0..8).map(|i| vec![(i as f64 - 3.5) * h]).collect::<Vec<_>>()).unwrap();
        let net = network(Activation::Cos).unwrap();
        let theory = FiniteWidthTheory::new(&net, &grid).unwrap();
        let m = grid.len();
        let lambda = 0.03;
        let k = &theory.kernel;
        let kappa4: Vec<f64> = theory.multisets[1]
            .iter()
            .map(|s| {
                24.0 * lambda
                    * h
                    * (0..m).map(|j| s.iter().map(|&a| k[j * m + a as usize]).product::<f64>()).sum::<f64>()
            })
            .collect();
        let action = Action::reconstruct(m, &theory.gp[0], &kappa4, None).unwrap();
        let diagonal = diagonal_couplings(&action, h).unwrap();
        assert_eq!(diagonal.len(), m);
        assert!(diagonal.iter().all(|d| (d - lambda).abs() < IDENTITY * lambda), "{diagonal:?}");
        let rows = locality(&action, &grid).unwrap();
        assert!(rows[0].spread.abs() < 1e-15 && (rows[0].norm_share - 1.0).abs() < IDENTITY, "{:?}", rows[0]);
    }

    /// At order `1/N` the profile's shares do not depend on the width, and the couplings and
    /// `λ0` scale as `1/N` (so their ratio does not move): N = 10 against N = 20, every network.
    #[test]
    fn locality_is_width_independent_at_first_order() {
        for act in [Activation::Erf, Activation::Cos, Activation::Relu] {
            let start = std::time::Instant::now();
            let a = locality_study(act, 10).unwrap();
            let c = &a.coupling;
            eprintln!(
                "locality of {} at N = 10 ({:.2} s): shares at spreads 0, h, 2h {:.3e} {:.3e} {:.3e}; cond {:.2e}; \
                 lambda0 {:.4e} (MAPE {:.1}%), lambda_diag mean {:.4e} in [{:.3e}, {:.3e}]",
                act.name(),
                start.elapsed().as_secs_f64(),
                a.profile[0].norm_share,
                a.profile[1].norm_share,
                a.profile[2].norm_share,
                c.condition_number,
                c.lambda0,
                c.lambda0_mape,
                c.diagonal_mean(),
                c.diagonal_min(),
                c.diagonal_max()
            );
            let b = locality_study(act, 20).unwrap();
            assert_eq!(a.profile.len(), b.profile.len());
            // 16 points spaced 0.5: spreads 0, 0.5, ..., 7.5
            assert_eq!(a.profile.len(), LOCALITY_POINTS);
            assert!((a.profile.last().unwrap().cumulative_share - 1.0).abs() < 1e-12);
            for (ra, rb) in a.profile.iter().zip(&b.profile) {
                assert!((ra.norm_share - rb.norm_share).abs() < 1e-12, "{act:?}: {ra:?} vs {rb:?}");
                assert!((ra.max_abs - 2.0 * rb.max_abs).abs() <= 1e-12 * ra.max_abs, "{act:?}");
            }
            let (ca, cb) = (&a.coupling, &b.coupling);
            assert!((ca.lambda0 - 2.0 * cb.lambda0).abs() <= 1e-9 * ca.lambda0.abs(), "{act:?}");
            assert!((ca.diagonal_mean() - 2.0 * cb.diagonal_mean()).abs() <= 1e-9 * ca.diagonal_mean().abs());
            assert!(ca.diagonal_min() <= ca.diagonal_mean() && ca.diagonal_mean() <= ca.diagonal_max());
            assert!((ca.lambda0_mape - cb.lambda0_mape).abs() < 1e-9);
            // mode by mode: shares fixed, kurtosis and couplings as 1/N
            assert_eq!(a.modes.len(), LOCALITY_POINTS);
            for (ma, mb) in a.modes.iter().zip(&b.modes) {
                assert!((ma.norm_share - mb.norm_share).abs() < 1e-9, "{act:?}: {ma:?} vs {mb:?}");
                assert!((ma.excess_kurtosis - 2.0 * mb.excess_kurtosis).abs() <= 1e-9 * ma.excess_kurtosis.abs());
                assert!(
                    (ma.lambda_projected() - 2.0 * mb.lambda_projected()).abs() <= 1e-9 * ma.lambda_projected().abs()
                );
            }
            // every mode kept: the projected diagonal is the tensor's
            let last = a.modes.last().unwrap();
            assert!((last.local_diagonal - 1.0).abs() < 1e-12 && (last.cumulative_share - 1.0).abs() < 1e-12);
            // within rounding: the diagonal is carried by the smallest modes, whose cumulant
            // κ̃4(kkkk) = γ_k λ_k² is known to ε relative to the largest one, γ_1 λ_1²
            let cumulant = |m: &ModeRow| (m.excess_kurtosis * m.eigenvalue * m.eigenvalue).abs();
            let legs = 16.0 * f64::EPSILON * cumulant(&a.modes[0]) / cumulant(last);
            assert!(
                (last.lambda_diagonal - ca.diagonal_mean()).abs() <= legs * ca.diagonal_mean().abs(),
                "{act:?}: {} vs {}",
                last.lambda_diagonal,
                ca.diagonal_mean()
            );
            let growth = a.ratio_growth().unwrap();
            let kurtosis = a.kurtosis_growth().unwrap();
            for g in a.grids() {
                eprintln!(
                    "  P = {} h = {:.3} cond {:.3e} lambda0 {:.4e} diag mean {:.4e} ratio {:.3e} rough {} share {:.6}",
                    g.diagonal.len(),
                    g.spacing,
                    g.condition_number,
                    g.lambda0,
                    g.diagonal_mean(),
                    g.ratio(),
                    g.rough_modes,
                    g.rough_share
                );
            }
            for m in &a.modes {
                eprintln!(
                    "  m = {} ratio {:.3e} gamma {:.3e} share {:.3e} cum {:.3e} lambda_proj/lambda0 {:.3e}",
                    m.mode,
                    m.eigenvalue_ratio,
                    m.excess_kurtosis,
                    m.norm_share,
                    m.cumulative_share,
                    m.lambda_projected() / ca.lambda0
                );
            }
            eprintln!(
                "  alpha {:.3} [{:.3}, {:.3}] (r2 {:.4}, {} grids); beta {:.3} [{:.3}, {:.3}]; perturbative modes {}",
                growth.slope,
                growth.slope_lo,
                growth.slope_hi,
                growth.r2,
                growth.points,
                -kurtosis.slope,
                -kurtosis.slope_hi,
                -kurtosis.slope_lo,
                a.perturbative_modes()
            );
        }
    }

    /// 10 experiments of 5·10^4 nets (fixed seed), erf and the Cos-net at N = 3 and 10: the
    /// order-`1/N` Edgeworth density is closer to the measured one than the GP by more than
    /// `ORDER_Z` combined standard errors at both widths, and at N = 10 the order-`1/N²`
    /// density is not farther than the order-`1/N` one by more than `ORDER_Z` (the floor may
    /// hide the difference, it may not reverse it; at N = 3 erf's is farther, by 13.7 standard
    /// errors here: the series has not started to converge there); the couplings table has `s_2`, `s_4`, `s_6` on
    /// every multiset of the two points (3 + 5 + 7 rows per network and width).
    #[test]
    fn distances_are_ordered_by_the_order_kept() {
        let plan = small(10, 50_000);
        let report = run(&Direct::new(SEED, 2), &plan).unwrap();
        for r in report.densities.iter().filter(|r| r.row.form == DensityForm::Edgeworth) {
            let z = r.z_below_previous_order;
            match r.row.order {
                DensityOrder::Gaussian => assert!(z.is_none()),
                DensityOrder::First => {
                    assert!(z.is_some_and(|z| z > ORDER_Z), "{} N={}: z {z:?}", r.row.network, r.row.width)
                }
                DensityOrder::Second if r.row.width >= 10 => {
                    assert!(z.is_some_and(|z| z > -ORDER_Z), "{} N={}: z {z:?}", r.row.network, r.row.width)
                }
                DensityOrder::Second => assert!(z.is_some()),
            }
        }
        let tables = report.tables();
        assert_eq!(tables[0].1.height(), 2 * 2 * 15);
        assert_eq!(tables[1].1.height(), 2 * 2 * 5);
        assert_eq!(tables[2].1.height(), 2 * 5);
        // the GP and order 1/N per network at the plan's two widths and the six beyond
        assert_eq!(tables[3].1.height(), 2 * 2 * (2 + PREDICTED_WIDTHS.len()));
        assert_eq!(tables[5].1.height(), 2 * LOCALITY_REFINEMENT.len());
        assert_eq!(tables[6].1.height(), 2 * LOCALITY_POINTS);
    }
}
