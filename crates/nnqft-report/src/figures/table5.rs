//! The Table 5 figure (the paper's EFT fits): the measured `Delta G4` on the test set (each network's
//! best estimator) and each model's prediction, with our fitted couplings (left) and the paper's
//! (right), all as deviations from exact theory, so a reader sees at a glance which model fits
//! and by how much.

use super::kind::Kind;
use super::plot::{Axis, Figure, Panel, Series, colour};
use crate::markdown::sig;
use anyhow::Result;
use nnqft_fit::{Loss, Model};
use nnqft_study::plan::Plan;
use nnqft_study::table5::{Row, Source, Table5Report, TestSet};
use plotters::style::RGBColor;

/// One colour per model: M1 red, M2 purple, M3 brown (M0, the GP, predicts 0).
fn model_colour(m: Model) -> RGBColor {
    match m {
        Model::M0 => colour::GREY,
        Model::M1 => colour::RED,
        Model::M2 => colour::PURPLE,
        Model::M3 => colour::BROWN,
    }
}

/// At most this many multisets carry a measured marker and error bar per panel: the 126 bars
/// of a test set are strongly correlated and nearly equal, and drawn all together they hide
/// each other (every k-th multiset in the exact value's order is shown).
const MEASURED_SHOWN: usize = 32;

/// The figure: a row per network, our couplings left, the paper's right; every value as its
/// deviation from exact theory, in percent of `|kappa4|`.
pub fn figure(report: &Table5Report, plan: &Plan) -> Result<Figure> {
    let mut panels = Vec::new();
    for t in &report.test_sets {
        // multisets in order of the exact value, so the x axis is the same in every panel
        let mut order: Vec<usize> = (0..t.exact.len()).collect();
        order.sort_by(|&a, &b| t.exact[a].total_cmp(&t.exact[b]));
        let ours = format!("ours ({})", t.estimator.name());
        for (source, estimator, whose) in
            [(Source::MonteCarlo, Some(t.estimator), ours.as_str()), (Source::Paper, None, "paper's")]
        {
            let rows: Vec<&Row> = report
                .rows
                .iter()
                .filter(|r| r.network == t.network && r.source == source && r.estimator == estimator)
                .filter(|r| r.loss == Loss::Mse && r.model != Model::M0)
                .collect();
            panels.push(panel(t, &order, &rows, whose)?);
        }
    }
    Ok(Figure {
        name: "table5".into(),
        title: "Table 5: the EFT models and the measured 4-pt deviation, against exact theory".into(),
        panels,
        columns: 2,
        panel_size: (520, 330),
        caption: format!(
            "Every value as its deviation from exact theory, 100 (value - kappa4) / |kappa4| %, on the 126 test-set \
             multisets in order of the exact Delta G4 = G4 - G4_GP (kappa4: the solid line at 0). Measured: each \
             network's best estimator ({}), {} experiments of {} nets (Gauss-net's bias-integrated estimator on 100 \
             times fewer), every k-th multiset drawn so that at most {MEASURED_SHOWN} bars show (the bars are \
             strongly correlated across multisets); bars: ±1 standard error over the experiments. Dashed: each \
             model's prediction lambda0 T0 + lambda2 T2 + lambdaNL TNL with couplings fitted (MSE) on the train set, \
             ours left (same estimator) and the paper's right; the percentages in each panel title are each model's \
             mean absolute deviation from exact theory. M0, the GP, predicts 0 (-100%). Couplings that the data do not determine \
             (rank-deficient design) are not drawn and are named in the panel title. Colours: M1 red, M2 purple, \
             M3 brown.",
            report
                .test_sets
                .iter()
                .map(|t| format!("{} {}", t.network.name(), t.estimator.name()))
                .collect::<Vec<_>>()
                .join(", "),
            plan.table5.experiments,
            plan.table5.nets
        ),
    })
}

/// `100 (value - exact) / |exact|`.
fn percent(value: f64, exact: f64) -> f64 {
    100.0 * (value - exact) / exact.abs()
}

fn panel(t: &TestSet, order: &[usize], rows: &[&Row], whose: &str) -> Result<Panel> {
    let rank = |k: usize| (k + 1) as f64;
    let step = order.len().div_ceil(MEASURED_SHOWN).max(1);
    let mut series = vec![
        Series::measured(
            "Delta G4 measured",
            colour::INK,
            order.iter().enumerate().step_by(step).map(|(k, &i)| {
                (rank(k), percent(t.measured[i], t.exact[i]), 100.0 * t.measured_stderr[i] / t.exact[i].abs())
            }),
        ),
        Series::line("exact (kappa4)", Kind::Exact, colour::INK, order.iter().enumerate().map(|(k, _)| (rank(k), 0.0))),
    ];
    let mut undetermined = Vec::new();
    let mut deviation = Vec::new();
    for r in rows {
        if r.singular || r.couplings.iter().take(r.model.couplings()).any(|c| !c.is_finite()) {
            undetermined.push(r.model.name());
            continue;
        }
        let prediction = t.design.predict(&r.couplings, r.model);
        let mean_abs =
            order.iter().map(|&i| percent(prediction[i], t.exact[i]).abs()).sum::<f64>() / order.len() as f64;
        deviation.push(format!("{} {}%", r.model.name(), sig(mean_abs)));
        series.push(Series::line(
            format!("{} prediction", r.model.name()),
            Kind::Model,
            model_colour(r.model),
            order.iter().enumerate().map(|(k, &i)| (rank(k), percent(prediction[i], t.exact[i]))),
        ));
    }
    let note =
        if undetermined.is_empty() { String::new() } else { format!("; {} not determined", undetermined.join(", ")) };
    Ok(Panel {
        title: format!("{}, {whose}: {}{note}", t.network.name(), deviation.join(", ")),
        x: Axis::linear("test multiset, by exact Delta G4"),
        y: Axis::linear("deviation from exact, % of |kappa4|"),
        series,
    })
}
