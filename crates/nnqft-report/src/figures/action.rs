//! The action figure (arXiv:2307.03223): the distance between the measured density of the
//! outputs on two points and the density the action predicts, against the width, log-log, one
//! panel per order (GP, order `1/N`, order `1/N²`, Edgeworth form), one colour per network,
//! with each resolved fit `D ∝ N^slope` dashed; distances at the sampling floor are not drawn.

use super::kind::Kind;
use super::plot::{Axis, Figure, Panel, Series, colour};
use nnqft_study::action_density::{DensityForm, DensityOrder};
use nnqft_study::action_study::{ActionStudyPlan, ActionStudyReport, POINTS};
use plotters::style::RGBColor;

/// One colour per network, in the plan's order.
fn network_colour(i: usize) -> RGBColor {
    [colour::BLUE, colour::ORANGE, colour::GREEN, colour::PURPLE][i % 4]
}

/// `D` against `N` per order (resolved distances as measured points; each fit dashed).
pub fn distance_figure(report: &ActionStudyReport, plan: &ActionStudyPlan) -> Figure {
    let networks = report.networks();
    let panels = DensityOrder::ALL
        .iter()
        .map(|&order| {
            let mut series = Vec::new();
            for (i, net) in networks.iter().enumerate() {
                let c = network_colour(i);
                let rows = report.edgeworth(net, order);
                let measured = Series::measured(
                    format!("{net} measured"),
                    c,
                    rows.iter()
                        .filter(|r| r.row.distance.resolved)
                        .map(|r| (r.row.width as f64, r.row.distance.distance, r.row.distance.distance_stderr)),
                );
                // a network whose distances are all at the floor has nothing to draw at this order
                if !measured.points.is_empty() {
                    series.push(measured);
                }
                let fit = report
                    .slopes
                    .iter()
                    .find(|s| &s.network == net && s.order == order && s.form == DensityForm::Edgeworth)
                    .and_then(|s| Some((s.fit.clone()?, s.widths.clone())));
                if let Some((fit, widths)) = fit {
                    series.push(Series::line(
                        format!("{net} fit, slope {:.2}", fit.slope),
                        Kind::Model,
                        c,
                        widths.iter().map(|&w| (w as f64, 10f64.powf(fit.intercept + fit.slope * (w as f64).log10()))),
                    ));
                }
            }
            Panel {
                title: format!("order {} (expected slope {})", order.name(), order.expected_slope()),
                x: Axis::log("N"),
                y: Axis::log("D"),
                series,
            }
        })
        .collect();
    Figure {
        name: "action-distance".into(),
        title: "The density the action predicts: distance to the measured density against the width".into(),
        panels,
        columns: 3,
        panel_size: (420, 340),
        caption: format!(
            "Noise-subtracted χ² distance D between the histogram of {} sampled networks per (network, N) on the two \
             points x = {}, {} (window |z| <= 4 in whitened units, 16 bins per axis) and the Edgeworth density of \
             the action at each order, one panel per order, one colour per network. Only distances above the \
             sampling floor (D̂² > 3 standard errors) are drawn; dashed: the power-law fit over the resolved widths N \
             >= {}. Every value is in action_density.parquet and action_density_fits.parquet.",
            plan.nets_per_histogram(),
            POINTS[0],
            POINTS[1],
            report.slope_min_width
        ),
    }
}
