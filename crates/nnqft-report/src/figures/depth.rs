//! The depth figure (beyond the paper): the normalised connected 4-pt function `r` of deep
//! networks against `L/n`, one panel per activation, with the leading order in `1/n`, `r` through
//! order `1/n²` and relu's exact finite-width curve.

use super::kind::Kind;
use super::plot::{Axis, Figure, Panel, Series, colour};
use crate::markdown::prior;
use nnqft_study::depth::{DepthPlan, DepthReport, DepthRow};
use plotters::style::RGBColor;

/// One colour per width, in the plan's order (the next-order figure's too).
pub(super) fn width_colour(i: usize) -> RGBColor {
    [colour::BLUE, colour::ORANGE, colour::GREEN, colour::PURPLE, colour::CYAN, colour::BROWN][i % 6]
}

/// `r` against `L/n` on the diagonal multiset of [`nnqft_study::depth::FIT_POINT`].
pub fn figure(report: &DepthReport, plan: &DepthPlan) -> Figure {
    let panels = plan
        .activations
        .iter()
        .map(|&act| {
            let mut series = Vec::new();
            for (i, &n) in plan.widths.iter().enumerate() {
                let rows: Vec<&DepthRow> = plan.depths.iter().filter_map(|&l| report.diagonal(act, l, n)).collect();
                let c = width_colour(i);
                series.push(Series::measured(
                    format!("n = {n} measured"),
                    c,
                    rows.iter().filter(|r| r.r_mean > 0.0).map(|r| (r.l_over_n(), r.r_mean, r.r_stderr)),
                ));
                series.push(Series::line(
                    format!("n = {n} leading order"),
                    Kind::LeadingOrder,
                    c,
                    rows.iter().map(|r| (r.l_over_n(), r.r_leading_order)),
                ));
                series.push(Series::line(
                    format!("n = {n} through 1/n^2"),
                    Kind::NextOrder,
                    c,
                    rows.iter().filter_map(|r| Some((r.l_over_n(), r.r_next_order?))),
                ));
                let exact: Vec<(f64, f64)> = rows.iter().filter_map(|r| Some((r.l_over_n(), r.r_exact?))).collect();
                if !exact.is_empty() {
                    series.push(Series::line(format!("n = {n} exact"), Kind::Exact, c, exact));
                }
            }
            let (c_w, c_b) = nnqft_study::depth::priors(act);
            Panel {
                title: format!("{} (C_W = {}, C_b = {})", act.name(), prior(c_w), prior(c_b)),
                x: Axis::log("L/n"),
                y: Axis::log("r on (x, x, x, x), x = 1"),
                series,
            }
        })
        .collect();
    Figure {
        name: "depth".into(),
        title: "Deep networks: normalised connected 4-pt function against depth / width".into(),
        panels,
        columns: 3,
        panel_size: (420, 340),
        caption: format!(
            "r = (G4 - Wick4(G2)) / Wick4(G2) on the diagonal multiset at x = 1, conditional estimator, {} experiments \
             of {} nets per point (depths {:?}); one colour per width n. Dotted: the leading order in 1/n, \
             (V_(12)(34) + V_(13)(24) + V_(14)(23)) / (n Wick4(K)) from the four-point-vertex recursion; long dashes: \
             r through order 1/n^2 (the one-input law of the output kernel); solid (relu): \
             the exact finite-width value (1 + 5/n)^L - 1. Points with r <= 0 (none expected) are not drawn on the \
             log axis; every value is in depth.parquet.",
            plan.experiments, plan.nets, plan.depths
        ),
    }
}
