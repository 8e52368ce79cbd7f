//! The Table 5 figure (paper section 4): the measured `Delta G4` on the test set against each
//! model's prediction, with our fitted couplings (left) and the paper's (right).

use super::plot::{Axis, Figure, Kind, Panel, Series, colour};
use crate::summary::sig;
use anyhow::Result;
use nnqft_fit::{Loss, Model, evaluate};
use nnqft_sampling::Estimator;
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

/// The figure: a row per network, our couplings left, the paper's right.
pub fn figure(report: &Table5Report, plan: &Plan) -> Result<Figure> {
    let mut panels = Vec::new();
    for t in &report.test_sets {
        // multisets in order of the exact value (noise-free), so the exact curve is monotone
        // and the measured scatter shows around it
        let mut order: Vec<usize> = (0..t.exact.len()).collect();
        order.sort_by(|&a, &b| t.exact[a].total_cmp(&t.exact[b]));
        for (source, estimator, whose) in
            [(Source::MonteCarlo, Some(Estimator::Conditional), "ours"), (Source::Paper, None, "paper's")]
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
        title: "Table 5: the EFT models against the measured 4-pt deviation on the test set".into(),
        panels,
        columns: 2,
        panel_size: (520, 330),
        caption: format!(
            "Delta G4 = G4 - G4_GP on each of the 126 test-set multisets, in order of the exact value. Measured: \
             conditional estimator, {} experiments of {} nets; bars: ±1 standard error over the experiments. Dashed: \
             each model's prediction lambda0 T0 + lambda2 T2 + lambdaNL TNL with couplings fitted (MSE) on the train \
             set, ours left (conditional estimator) and the paper's right, each model's MAPE against the measured \
             values drawn in the panel title (for the paper's couplings it differs from the paper's own); M0, the GP, predicts 0. Couplings that \
             the data do not determine (rank-deficient design) are not drawn and are named in the panel title. \
             Colours: M1 red, M2 purple, M3 brown.",
            plan.table5_experiments, plan.table5_nets
        ),
    })
}

fn panel(t: &TestSet, order: &[usize], rows: &[&Row], whose: &str) -> Result<Panel> {
    let rank = |k: usize| (k + 1) as f64;
    let mut series = vec![
        Series::measured(
            "Delta G4 measured",
            colour::INK,
            order.iter().enumerate().map(|(k, &i)| (rank(k), t.measured[i], t.measured_stderr[i])),
        ),
        Series::line(
            "Delta G4 exact (kappa4)",
            Kind::Exact,
            colour::INK,
            order.iter().enumerate().map(|(k, &i)| (rank(k), t.exact[i])),
        ),
    ];
    let mut undetermined = Vec::new();
    let mut mape = Vec::new();
    for r in rows {
        if r.singular || r.couplings.iter().take(r.model.couplings()).any(|c| !c.is_finite()) {
            undetermined.push(r.model.name());
            continue;
        }
        // against the measured data drawn here (for the paper's rows, `r.test` is the paper's own)
        let losses = evaluate(&t.design, &t.measured, &r.couplings, r.model)?;
        mape.push(format!("{} {}%", r.model.name(), sig(losses.mape)));
        let prediction = t.design.predict(&r.couplings, r.model);
        series.push(Series::line(
            format!("{} prediction", r.model.name()),
            Kind::Model,
            model_colour(r.model),
            order.iter().enumerate().map(|(k, &i)| (rank(k), prediction[i])),
        ));
    }
    let note =
        if undetermined.is_empty() { String::new() } else { format!("; {} not determined", undetermined.join(", ")) };
    Ok(Panel {
        title: format!("{}, {whose}: MAPE {}{note}", t.network.name(), mape.join(", ")),
        x: Axis::linear("test multiset, by exact Delta G4"),
        y: Axis::linear("Delta G4"),
        series,
    })
}
