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
//!   resolved (above the sampling floor, `D̂² > 3 σ`), with a 95% interval from three widths
//!   on. The expansion predicts `−1`, `−2`, `−3` for the GP, order `1/N` and order `1/N²`.
//!
//! The sampling floor: with `n` nets per histogram the noise of `D̂²` is of order
//! `sqrt(2 B) / n` for `B` bins, so `D` is resolved only above about `(B)^{1/4} / sqrt(n)`
//! (about `2e-3` at `10^7` nets on the default window): at large `N` the order-`1/N²` distance
//! falls below it first, and the section states from which width on, per network, from the
//! rows ([`ActionStudyReport::floor_width`]).
//!
//! The outputs of each `(network, N)` are sampled whole through [`Runner::outputs`] (keyed
//! [`EnsembleKey::ActionDensity`], neither cached nor split into shards: a merge samples them
//! again), so the numbers are the same for any thread count.

use crate::action::{ActionTable, couplings_table, exact_action};
use crate::action_density::{
    DensityForm, DensityOrder, DensityRow, DensitySlope, DensityWindow, compare_densities, density_slopes,
};
use crate::error::Result;
use crate::key::EnsembleKey;
use crate::runner::Runner;
use crate::table::{Table, joined};
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_stats::PowerLawFit;
use nnqft_theory::{ActionOrder, Activation, InputSet, Network};
use serde::Serialize;

/// The two points of the study.
pub const POINTS: [f64; 2] = [-0.5, 0.7];

/// The network the figure of densities shows, at [`ActionStudyPlan::figure_width`].
pub const FIGURE_NETWORK: Activation = Activation::Erf;

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
}

fn activation_names<S: serde::Serializer>(acts: &[Activation], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(acts.iter().map(|a| a.name()))
}

impl ActionStudyPlan {
    /// The issue's study: erf, the Cos-net, relu at `N ∈ {2, 3, 5, 10, 20}`, slopes from
    /// `N = 5`, the figure at `N = 3`.
    pub fn standard(experiments: usize, nets: u64) -> Self {
        Self {
            networks: vec![Activation::Erf, Activation::Cos, Activation::Relu],
            widths: vec![2, 3, 5, 10, 20],
            experiments,
            nets,
            slope_min_width: 5,
            figure_width: 3,
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
    /// The figure's densities (`None` if the figure's network or width is not in the plan).
    pub maps: Option<DensityMaps>,
}

/// Runs the study: the couplings, then per network and width the outputs through `runner`,
/// their histogram against each density, then the slopes.
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
            if act == FIGURE_NETWORK && width == plan.figure_width {
                report.maps = Some(maps(&net, width, &xs, &outputs, plan.experiments, window)?);
            }
        }
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
    /// `action_density` ([`density_table`]) and `action_density_fits` ([`slopes_table`]), as
    /// `cargo xtask reproduce` writes them and Python's `nnqft.action_study` returns them.
    pub fn tables(&self) -> Vec<(&'static str, Table)> {
        vec![
            ("action", action_table(&self.couplings)),
            ("action_density", density_table(&self.densities)),
            ("action_density_fits", slopes_table(&self.slopes, self.slope_min_width)),
        ]
    }
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
/// it is resolved, the ordering `z` against the order below, the Edgeworth form's negative
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
        .opt("negative_mass", rows.iter().map(|r| r.row.negative_mass))
        .int("normalisable", rows.iter().map(|r| i64::from(r.row.normalisable)))
        .f64("outside", rows.iter().map(|r| r.row.outside))
        .int("nets", rows.iter().map(|r| r.row.nets as i64))
        .int("experiments", rows.iter().map(|r| r.experiments as i64))
}

/// `action_density_fits.parquet`: per network, order and form, the power law `D ∝ N^slope`
/// over the resolved widths `N >= min_width` (`widths_used`), its 95% interval (three widths
/// or more), `r2` and the expansion's slope `slope_expected` (−1, −2, −3).
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
        .f64("slope_expected", slopes.iter().map(|s| s.order.expected_slope()))
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
        assert!(one.maps.is_some());
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
    }
}
