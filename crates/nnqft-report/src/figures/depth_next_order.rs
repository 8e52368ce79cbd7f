//! The depth study's next-order figure (beyond the paper): the measured `1/n` shift of `G2`
//! against `K1` and the normalised connected 6-pt function against the six-point vertex, both on
//! the diagonal at `x = 1`, against `L/n`, one column per activation.

use super::depth::width_colour;
use super::kind::Kind;
use super::plot::{Axis, Figure, Panel, Series};
use crate::markdown::prior;
use nnqft_study::depth::{DepthPlan, DepthReport, priors};
use nnqft_theory::DeepActivation;

fn title(act: DeepActivation, what: &str) -> String {
    let (c_w, c_b) = priors(act);
    format!("{} (C_W = {}, C_b = {}): {what}", act.name(), prior(c_w), prior(c_b))
}

/// `n (G2 − K)` against `K1` (top row) and `r6` against its leading order (bottom row).
pub fn figure(report: &DepthReport, plan: &DepthPlan) -> Figure {
    let mut shift_panels = Vec::new();
    let mut six_panels = Vec::new();
    for &act in &plan.activations {
        let (mut shift, mut six) = (Vec::new(), Vec::new());
        for (i, &n) in plan.widths.iter().enumerate() {
            let c = width_colour(i);
            let rows: Vec<_> = plan.depths.iter().filter_map(|&l| report.diagonal_shift(act, l, n)).collect();
            shift.push(Series::measured(
                format!("n = {n} measured"),
                c,
                rows.iter().map(|r| (r.l_over_n(), r.shift_mean, r.shift_stderr)),
            ));
            shift.push(Series::line(
                format!("n = {n} leading order"),
                Kind::LeadingOrder,
                c,
                rows.iter().map(|r| (r.l_over_n(), r.shift_leading_order)),
            ));
            let exact: Vec<(f64, f64)> = rows.iter().filter_map(|r| Some((r.l_over_n(), r.shift_exact?))).collect();
            if exact.len() == rows.len() && !exact.is_empty() {
                shift.push(Series::line(format!("n = {n} exact"), Kind::Exact, c, exact));
            }
            let rows: Vec<_> = plan.depths.iter().filter_map(|&l| report.diagonal_six_point(act, l, n)).collect();
            let positive: Vec<_> =
                rows.iter().filter(|r| r.r6_mean > 0.0).map(|r| (r.l_over_n(), r.r6_mean, r.r6_stderr)).collect();
            if !positive.is_empty() {
                six.push(Series::measured(format!("n = {n} measured"), c, positive));
            }
            six.push(Series::line(
                format!("n = {n} leading order"),
                Kind::LeadingOrder,
                c,
                rows.iter().map(|r| (r.l_over_n(), r.r6_leading_order)),
            ));
            let exact: Vec<(f64, f64)> = rows.iter().filter_map(|r| Some((r.l_over_n(), r.r6_exact?))).collect();
            if !exact.is_empty() {
                six.push(Series::line(format!("n = {n} exact"), Kind::Exact, c, exact));
            }
        }
        shift_panels.push(Panel {
            title: title(act, "shift of G2"),
            x: Axis::log("L/n"),
            y: Axis::linear("n (G2 - K) on (x, x), x = 1"),
            series: shift,
        });
        six_panels.push(Panel {
            title: title(act, "connected 6-pt"),
            x: Axis::log("L/n"),
            y: Axis::log("r6 on (x, ..., x), x = 1"),
            series: six,
        });
    }
    let columns = plan.activations.len().max(1);
    Figure {
        name: "depth-next-order".into(),
        title: "Deep networks beyond the four-point vertex: the 1/n shift of G2 and the connected 6-pt function".into(),
        panels: shift_panels.into_iter().chain(six_panels).collect(),
        columns,
        panel_size: (400, 320),
        caption: format!(
            "Conditional estimator, {} experiments of {} nets per point (depths {:?}); one colour per width n. Top: \
             n (G2 - K) on the diagonal pair at x = 1, K the infinite-width kernel; dotted: K1, the coefficient of the \
             1/n shift (G2 = K + K1/n + O(1/n^2)); solid (relu): the exact 0 (G2 = K at any width). Bottom: r6 = \
             kappa6 / Wick6(G2) on the diagonal multiset at x = 1; dotted: the six-point vertex's leading order \
             (order 1/n^2), sum of U over the 15 pairings / (n^2 Wick6(K)); solid (relu): the exact \
             prod(1 + 15/n + 44/n^2) - 3 prod(1 + 5/n) + 2. Points with r6 <= 0 are not drawn on the log axis; every \
             value is in depth_shift.parquet and depth_six_point.parquet.",
            plan.experiments, plan.nets, plan.depths
        ),
    }
}
