//! The scaling figures (paper section 2): per network, d and estimator, four panels `m2`,
//! `m4`, `m6` and the connected 6-pt function against the width, each with its background,
//! exact finite-width curve and power-law fit.

use super::kind::Kind;
use super::plot::{Axis, Figure, Panel, Series, colour};
use nnqft_sampling::Estimator;
use nnqft_study::scaling::ScalingPlan;
use nnqft_study::scaling::{FitQuantity, FitRow, ScalingReport, ScalingRow, SlopeMethod};
use nnqft_theory::Activation;
use plotters::style::RGBColor;

/// File stem of the figure of one `(network, d, estimator)` group.
pub fn name(act: Activation, d: usize, est: Estimator) -> String {
    format!("scaling-{}-d{d}-{}", act.name(), est.name())
}

/// One colour per order: m2 blue, m4 red, m6 green, connected 6-pt purple.
fn order_colour(n: usize) -> RGBColor {
    match n {
        2 => colour::BLUE,
        4 => colour::RED,
        6 => colour::GREEN,
        _ => colour::PURPLE,
    }
}

/// What one panel plots from a row.
struct Picked {
    value: f64,
    stderr: f64,
    background: f64,
    exact: Option<f64>,
}

type Pick = fn(&ScalingRow) -> Option<Picked>;

fn m_n(r: &ScalingRow) -> Option<Picked> {
    Some(Picked { value: r.m_n, stderr: r.m_n_stderr, background: r.background, exact: r.m_n_exact })
}

fn connected(r: &ScalingRow) -> Option<Picked> {
    Some(Picked {
        value: r.connected?,
        stderr: r.connected_stderr?,
        background: r.connected_background?,
        exact: r.connected_exact,
    })
}

/// One figure per `(network, d, estimator)` group of the rows.
pub fn figures(report: &ScalingReport, plan: &ScalingPlan) -> Vec<Figure> {
    let rows = &report.rows;
    nnqft_study::scaling::groups(rows)
        .into_iter()
        .map(|(act, d, est)| {
            let panels: [(usize, &str, FitQuantity, &str, Pick); 4] = [
                (2, "m2", FitQuantity::MN, "paper: at the background", m_n),
                (4, "m4", FitQuantity::MN, "paper: N^-1", m_n),
                (6, "m6", FitQuantity::MN, "paper: N^-1", m_n),
                (6, "connected 6-pt", FitQuantity::Connected6pt, "paper: N^-2", connected),
            ];
            let panels = panels
                .into_iter()
                .map(|(n, what, quantity, expected, pick)| {
                    let sel: Vec<(usize, Picked)> = rows
                        .iter()
                        .filter(|r| r.network == act && r.d == d && r.estimator == est && r.n == n)
                        .filter_map(|r| Some((r.width, pick(r)?)))
                        .collect();
                    let c = if quantity == FitQuantity::MN { order_colour(n) } else { order_colour(0) };
                    let mut series = vec![
                        Series::line(
                            "background: std over experiments / |G_GP|",
                            Kind::Background,
                            colour::GREY,
                            sel.iter().map(|(w, v)| (*w as f64, v.background)),
                        ),
                        Series::measured(
                            format!("{what} measured"),
                            c,
                            sel.iter().map(|(w, v)| (*w as f64, v.value, v.stderr)),
                        ),
                    ];
                    // m2's exact value is 0 (G2 is exactly the GP): nothing to draw on a log axis
                    let exact: Vec<(f64, f64)> =
                        sel.iter().filter_map(|(w, v)| Some((*w as f64, v.exact?))).filter(|p| p.1 > 0.0).collect();
                    if !exact.is_empty() {
                        series.push(Series::line(format!("{what} exact"), Kind::Exact, c, exact));
                    }
                    // both fits: the paper's (series colour) and the calibrated one (ink)
                    for f in report.fits.iter().filter(|f| {
                        f.network == act && f.d == d && f.estimator == est && f.n == n && f.quantity == quantity
                    }) {
                        series.extend(fit_line(f, what, c));
                    }
                    let title = if n == 2 && quantity == FitQuantity::MN {
                        format!("{what} ({expected}; exact m2 = 0)")
                    } else {
                        format!("{what} ({expected})")
                    };
                    Panel { title, x: Axis::log("N"), y: Axis::log(what), series }
                })
                .collect();
            Figure {
                name: name(act, d, est),
                title: format!("{} d = {d}, {} estimator: approach to the GP", act.name(), est.name()),
                panels,
                columns: 2,
                panel_size: (470, 330),
                caption: format!(
                    "m_n = mean over multisets of |G_n - G_n,GP| / |G_n,GP|, G_n the mean over {} experiments of {} \
                     nets each; the connected 6-pt panel is mean |G6 connected| / |G6_GP|. Bars: ±1 standard error \
                     of m_n over the experiments by the delete-one jackknife (nnqft_stats::jackknife_stderr). \
                     Background: the paper's, the mean std over experiments / |G_GP|. Dashed in the series colour: \
                     the paper's fit, only over the widths where the signal exceeds 3x the background; dashed in ink: \
                     the calibrated common-exponent fit of the signed deviations over every width (scaling_fits.parquet, \
                     method common_exponent). Colours: m2 blue, m4 red, m6 green, connected 6-pt purple.",
                    plan.experiments, plan.nets
                ),
            }
        })
        .collect()
}

/// The power-law fit of one quantity over the widths it used: the paper's in the series colour
/// `c`, the calibrated one in ink.
fn fit_line(f: &FitRow, what: &str, c: RGBColor) -> Option<Series> {
    let p = f.fit.as_ref()?;
    if !p.intercept.is_finite() {
        return None;
    }
    let pts = f.widths.iter().map(|w| (*w as f64, 10f64.powf(p.intercept + p.slope * (*w as f64).log10())));
    let (label, colour) = match f.method {
        SlopeMethod::PaperLsq => (format!("{what} paper fit: slope {:.2}", p.slope), c),
        SlopeMethod::CommonExponent => {
            (format!("{what} common-exponent fit: slope {:.3}", p.slope), super::plot::colour::INK)
        }
    };
    Some(Series::line(label, Kind::Model, colour, pts))
}
