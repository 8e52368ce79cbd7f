//! The RG figures (the paper's Wilsonian RG experiments): the running quartic coupling against the cutoff, the 6-pt
//! function predicted from it, and the naturalness scan.

use super::kind::Kind;
use super::plot::{Axis, Figure, Panel, Series, colour};
use nnqft_study::plan::Plan;
use nnqft_study::rg::{CASES, RgReport};
use nnqft_study::table5::Source;
use nnqft_theory::Activation;
use plotters::style::RGBColor;

/// One colour per network: ReLU blue, Erf orange, Gauss-net green (and the Cos-net, which the
/// paper's figures do not show, brown).
pub fn network_colour(act: Activation) -> RGBColor {
    match act {
        Activation::Relu => colour::BLUE,
        Activation::Erf => colour::ORANGE,
        Activation::Gauss => colour::GREEN,
        Activation::Cos => colour::BROWN,
    }
}

fn colour_name(act: Activation) -> &'static str {
    match act {
        Activation::Relu => "blue",
        Activation::Erf => "orange",
        Activation::Gauss => "green",
        Activation::Cos => "brown",
    }
}

/// ReLU at d = 2 and 3 beside d = 1: cyan and purple.
fn case_colour(act: Activation, d: usize) -> RGBColor {
    match (act, d) {
        (Activation::Relu, 2) => colour::CYAN,
        (Activation::Relu, 3) => colour::PURPLE,
        _ => network_colour(act),
    }
}

/// The RG flow, 6-pt prediction and naturalness figures.
pub fn figures(rg: &RgReport, plan: &Plan) -> Vec<Figure> {
    vec![flow(rg, plan), six_point(rg, plan), naturalness(rg)]
}

fn flow(rg: &RgReport, plan: &Plan) -> Figure {
    let mut series = Vec::new();
    for (act, d, width) in CASES {
        let sel: Vec<&nnqft_study::rg::FlowRow> = rg.flow.iter().filter(|r| r.network == act && r.d == d).collect();
        if sel.is_empty() {
            continue;
        }
        let (label, c) = (format!("{} d={d} N={width}", act.name()), case_colour(act, d));
        series.push(Series::measured(
            format!("{label} measured"),
            c,
            sel.iter().map(|r| (r.cutoff, r.lambda_mean.abs(), r.lambda_stderr)),
        ));
        series.push(Series::line(
            format!("{label} exact"),
            Kind::Exact,
            c,
            sel.iter().map(|r| (r.cutoff, r.lambda_exact.abs())),
        ));
        if let Some(f) = rg.fits.iter().find(|f| f.network == act && f.d == d && f.source == Source::MonteCarlo) {
            let expected = f.slope_expected.map_or_else(String::new, |e| format!(", counting {e}"));
            series.push(Series::line(
                format!("{label} fit: slope {:.3}{expected}", f.slope),
                Kind::Model,
                c,
                sel.iter().map(|r| (r.cutoff, 10f64.powf(f.intercept + f.slope * r.cutoff.log10()))),
            ));
        }
    }
    Figure {
        name: "rg-flow".into(),
        title: "RG flow of the quartic coupling".into(),
        panels: vec![Panel {
            title: "|lambda(Lambda)|, mean over multisets of Delta G4_m / T0_m(Lambda)".into(),
            x: Axis::log("Lambda"),
            y: Axis::log("|lambda|"),
            series,
        }],
        columns: 1,
        panel_size: (720, 520),
        caption: format!(
            "Measured: conditional estimator with its control variate, {} experiments of {} nets; bars: ±1 \
             standard error over the experiments (an interval reaching lambda = 0 is clipped). Exact: \
             lambda_m = kappa4_m / T0_m. Dashed: pooled least-squares fit of log10 |lambda_m| on log10 Lambda over \
             all multisets (slope in the legend; for ReLU, dimension counting gives -(4 + d)). Colours: ReLU d = 1, \
             2, 3 blue, cyan, purple; Erf orange; Gauss-net green.",
            plan.rg_experiments, plan.rg_nets
        ),
    }
}

fn six_point(rg: &RgReport, plan: &Plan) -> Figure {
    let mut series = Vec::new();
    let mut seen: Vec<(Activation, usize)> = Vec::new();
    for r in &rg.six {
        if !seen.contains(&(r.network, r.width)) {
            seen.push((r.network, r.width));
        }
    }
    for (act, width) in seen {
        let sel: Vec<&nnqft_study::rg::SixRow> =
            rg.six.iter().filter(|r| r.network == act && r.width == width).collect();
        let (label, c) = (format!("{} N={width}", act.name()), network_colour(act));
        series.push(Series::measured(
            format!("{label} (GP + lambda Q6) / G6 measured"),
            c,
            sel.iter().map(|r| (r.cutoff, r.ratio_gp_lambda, r.ratio_gp_lambda_stderr)),
        ));
        series.push(Series::line(
            format!("{label} (GP + lambda Q6) / G6 exact"),
            Kind::Exact,
            c,
            sel.iter().map(|r| (r.cutoff, r.ratio_gp_lambda_exact)),
        ));
        series.push(Series::line(
            format!("{label} GP / G6 exact"),
            Kind::LeadingOrder,
            c,
            sel.iter().map(|r| (r.cutoff, r.ratio_gp_exact)),
        ));
    }
    Figure {
        name: "six-point".into(),
        title: "The 6-pt function predicted from the 4-pt coupling".into(),
        panels: vec![Panel {
            title: "mean over multisets of prediction / G6 (1 = exact prediction)".into(),
            x: Axis::log("Lambda"),
            y: Axis::linear("prediction / G6"),
            series,
        }],
        columns: 1,
        panel_size: (720, 520),
        caption: format!(
            "Prediction GP + lambda(Lambda) Q6(Lambda), Q6 = 24 sum_15 I4 K, lambda the M1 fit of the 4-pt function \
             at each cutoff; the RG says it must not depend on Lambda. Dotted: the GP alone (leading order). Measured: \
             over the G6 of {} experiments of {} nets (control-variate estimator); bars: ±1 standard error by the \
             delete-one jackknife, the coupling refitted without each experiment. Gauss-net's measured G6 is too \
             small (heavy tails), hence its measured ratios above the exact ones. Colours: ReLU blue, Erf orange, \
             Gauss-net green.",
            plan.rg_experiments, plan.rg_nets
        ),
    }
}

/// A relative spread below this is rounding: the couplings are exactly constant.
const ROUNDING: f64 = 1e-10;

fn naturalness(rg: &RgReport) -> Figure {
    let mut series = Vec::new();
    let mut constant = Vec::new();
    let mut colours = Vec::new();
    for act in Activation::ALL {
        let sel: Vec<&nnqft_study::rg::NaturalRow> = rg.natural.iter().filter(|r| r.network == act).collect();
        if sel.is_empty() {
            continue;
        }
        if sel.iter().all(|r| r.lambda_spread < ROUNDING) {
            constant.push(act.name());
            continue;
        }
        colours.push(format!("{} {}", act.name(), colour_name(act)));
        let (width, cutoff) = (sel[0].width, sel[0].cutoff);
        let cut = if cutoff.is_finite() { format!("{cutoff}") } else { "inf".into() };
        series.push(Series::line(
            format!("{} (N={width}, Lambda={cut})", act.name()),
            Kind::Exact,
            network_colour(act),
            sel.iter().map(|r| (r.scale, r.lambda_spread)),
        ));
    }
    let not_drawn = if constant.is_empty() {
        String::new()
    } else {
        format!(
            " Not drawn: {} (spread below {ROUNDING:.0e} at every scale, i.e. exactly constant couplings; for ReLU \
             with sigma_b = 0 at d = 1 a degeneracy, not naturalness).",
            constant.join(", ")
        )
    };
    Figure {
        name: "naturalness".into(),
        title: "Naturalness: how constant is the quartic coupling across multisets?".into(),
        panels: vec![Panel {
            title: "relative spread of lambda_m over the 126 multisets".into(),
            x: Axis::log("x-set scale"),
            y: Axis::log("std / |mean| of lambda_m"),
            series,
        }],
        columns: 1,
        panel_size: (620, 440),
        caption: format!(
            "Exact lambda_m = kappa4_m / T0_m on the x-set {{0.2, ..., 1.2}} scaled by 0.01, 0.1 and 1, at the Table 5 \
             width and cutoff of each network (no sampling, so no error bars). The conjecture: nearly constant \
             couplings for a translation-invariant kernel (Gauss-net). Colours: {}.{not_drawn}",
            colours.join(", ")
        ),
    }
}
