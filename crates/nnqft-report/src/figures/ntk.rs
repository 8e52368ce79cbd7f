//! The NTK figure (beyond the paper): the sampled neural tangent kernel's mean shift, variance
//! and cross-correlation with `f f` over their order-`1/n` predictions, against `L/n`, one
//! panel per quantity, one colour per activation.

use super::kind::Kind;
use super::plot::{Axis, Figure, Panel, Series, colour};
use nnqft_study::ntk_study::{NtkQuantity, NtkStudyPlan, NtkStudyReport, NtkStudyRow};
use plotters::style::RGBColor;

/// One colour per activation, in the plan's order.
fn network_colour(i: usize) -> RGBColor {
    [colour::BLUE, colour::ORANGE, colour::GREEN, colour::PURPLE, colour::CYAN, colour::BROWN][i % 6]
}

/// `measured / predicted` against `L/n` on each quantity's shown pair
/// ([`NtkQuantity::shown_pair`]), with the theory's ratio 1 dotted.
pub fn figure(report: &NtkStudyReport, plan: &NtkStudyPlan) -> Figure {
    let ratios = plan.depths.iter().flat_map(|&l| plan.widths.iter().map(move |&n| l as f64 / n as f64));
    let (lo, hi) = ratios.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let panels = NtkQuantity::ALL
        .into_iter()
        .map(|q| {
            let mut series = Vec::new();
            for (i, &act) in plan.activations.iter().enumerate() {
                let mut rows: Vec<&NtkStudyRow> = report
                    .rows
                    .iter()
                    .filter(|r| r.network == act && r.quantity == q && r.points == q.shown_pair())
                    .filter(|r| r.ratio().is_some())
                    .collect();
                rows.sort_by(|a, b| a.l_over_n().total_cmp(&b.l_over_n()));
                if rows.is_empty() {
                    continue;
                }
                series.push(Series::measured(
                    act.name(),
                    network_colour(i),
                    rows.iter().filter_map(|r| Some((r.l_over_n(), r.ratio()?, r.stderr / r.predicted.abs()))),
                ));
            }
            if lo.is_finite() && hi > 0.0 {
                series.push(Series::line("order 1/n theory", Kind::LeadingOrder, colour::GREY, [(lo, 1.0), (hi, 1.0)]));
            }
            let [a, b] = q.shown_pair();
            Panel {
                title: format!("{} on (x_{a}, x_{b})", q.name()),
                x: Axis::log("L/n"),
                y: Axis::linear("measured / predicted"),
                series,
            }
        })
        .collect();
    Figure {
        name: "ntk".into(),
        title: "Neural tangent kernel at finite width: measured over the order-1/n theory against depth / width".into(),
        panels,
        columns: 3,
        panel_size: (420, 340),
        caption: format!(
            "Deep networks at criticality, L hidden layers of equal width n (L in {:?}, n in {:?}), on the x-set \
             -1, -0.6, -0.2, 0.2, 0.6, 1 (x_0 .. x_5), {} experiments of {} nets per point; one colour per \
             activation. Markers: the measured mean shift E[Theta] - Theta(infinite width), variance Var Theta and \
             cross-correlation Cov(Theta, f f) over their leading order in 1/n (NtkFluctuations: T, (A + 2B)/n, \
             (D + 2F)/n), bars the standard error over the prediction. The mean shift is shown off the diagonal, \
             (x_0, x_5), as relu's is zero on it; predictions that are zero (every mean shift at L = 1) have no \
             ratio and are not drawn; every value is in ntk_study.parquet.",
            plan.depths, plan.widths, plan.experiments, plan.nets
        ),
    }
}
