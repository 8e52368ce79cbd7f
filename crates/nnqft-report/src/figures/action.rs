//! The action figures (arXiv:2307.03223):
//!
//! - `action-distance`: the distance between the measured density of the outputs on two points
//!   and the density the action predicts, against the width, log-log, one panel per order (GP,
//!   order `1/N`, order `1/N²`, Edgeworth form), one colour per network, with each resolved fit
//!   `D ∝ N^slope` dashed; distances at the sampling floor are not drawn;
//! - `action-density`: the densities themselves at one width, one row of panels per network and
//!   one panel per order: the measured density's contours with the order's Edgeworth density's
//!   contours at the same levels ([`DENSITY_LEVELS`] of the measured peak).

use super::contour::contour_lines;
use super::kind::Kind;
use super::plot::{Axis, Figure, Panel, Series, colour};
use nnqft_study::action_density::{DensityForm, DensityOrder};
use nnqft_study::action_study::{ActionStudyPlan, ActionStudyReport, POINTS};
use plotters::style::RGBColor;

/// The contour levels of the density figure, as fractions of the measured density's largest
/// bin probability.
pub const DENSITY_LEVELS: [f64; 4] = [0.01, 0.1, 0.4, 0.8];

/// One colour per order of the density figure.
fn order_colour(order: DensityOrder) -> RGBColor {
    match order {
        DensityOrder::Gaussian => colour::BLUE,
        DensityOrder::First => colour::RED,
        DensityOrder::Second => colour::GREEN,
    }
}

/// The order's legend label.
fn order_label(order: DensityOrder) -> &'static str {
    match order {
        DensityOrder::Gaussian => "GP",
        DensityOrder::First => "order 1/N",
        DensityOrder::Second => "order 1/N²",
    }
}

/// The measured and predicted densities' contours, per network (rows) and order (columns), in
/// whitened coordinates through the bin centres; `None` when the report has no maps (the
/// figure's width is not in the plan).
pub fn density_figure(report: &ActionStudyReport, plan: &ActionStudyPlan) -> Option<Figure> {
    let first = report.maps.first()?;
    let w = first.window;
    let step = 2.0 * w.radius / w.bins as f64;
    let centres: Vec<f64> = (0..w.bins).map(|i| -w.radius + step * (i as f64 + 0.5)).collect();
    let (lo, hi) = (centres[0], centres[centres.len() - 1]);
    let contours = |label: &str, kind: Kind, c: RGBColor, values: &[f64], peak: f64| -> Vec<Series> {
        DENSITY_LEVELS
            .iter()
            .map(|f| contour_lines(values, &centres, &centres, f * peak))
            .filter(|lines| !lines.is_empty())
            .map(|lines| Series::contours(label, kind, c, lines.into_iter().map(|l| l.points)))
            .collect()
    };
    let mut panels = Vec::new();
    for map in &report.maps {
        let peak = map.measured.iter().copied().fold(0.0, f64::max);
        for (order, predicted) in DensityOrder::ALL.iter().zip(&map.predicted) {
            let mut series = contours("measured", Kind::MeasuredContour, colour::INK, &map.measured, peak);
            series.extend(contours(order_label(*order), Kind::PredictedContour, order_colour(*order), predicted, peak));
            panels.push(Panel {
                title: format!("{} N = {}: {}", map.network.name(), map.width, order_label(*order)),
                x: Axis::linear("z1").range(lo, hi),
                y: Axis::linear("z2").range(lo, hi),
                series,
            });
        }
    }
    let levels = DENSITY_LEVELS.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
    Some(Figure {
        name: "action-density".into(),
        title: format!("The density of (f(x1), f(x2)) at N = {}: measured against the action's", first.width),
        panels,
        columns: 3,
        panel_size: (330, 320),
        caption: format!(
            "Contours of the density of the outputs on the two points x = {}, {} in whitened coordinates z = L⁻¹ f              (G2 = L Lᵀ), one row per network at N = {}, one panel per order of the action: the histogram of {}              sampled networks (ink) and the Edgeworth density of the action at that order (GP blue, order 1/N red,              order 1/N² green), both as probabilities of the {}×{} bins of the window |z| <= {} (normalised on it),              contoured through the bin centres (marching squares, linear interpolation) at {} of the largest              measured bin probability. The distances between them are in action_density.parquet.",
            POINTS[0],
            POINTS[1],
            first.width,
            plan.nets_per_histogram(),
            w.bins,
            w.bins,
            w.radius,
            levels,
        ),
    })
}

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
                // the distance the action predicts, at the plan's widths
                let predicted: Vec<(f64, f64)> = report
                    .predicted
                    .iter()
                    .filter(|p| &p.network == net && p.order == order && plan.widths.contains(&p.width))
                    .map(|p| (p.width as f64, p.distance))
                    .collect();
                if !predicted.is_empty() {
                    series.push(Series::line(format!("{net} predicted"), Kind::NextOrder, c, predicted));
                }
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
             >= {}; long-dashed: the distance the action predicts (to its order-1/N² density, no sampling; for the GP \
             and order 1/N). Every value is in action_density.parquet, action_density_fits.parquet and \
             action_density_predicted.parquet.",
            plan.nets_per_histogram(),
            POINTS[0],
            POINTS[1],
            report.slope_min_width
        ),
    }
}
