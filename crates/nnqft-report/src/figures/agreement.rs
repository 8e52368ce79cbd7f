//! Measured against exact: the histogram of `z = (G_measured - G_exact) / standard error`
//! per network and order, with the Student's t density that honest error bars from the
//! run's number of experiments give.

use super::kind::Kind;
use super::plot::{Axis, Figure, Panel, Series, colour};
use anyhow::Result;
use nnqft_stats::histogram;
use nnqft_study::scaling::ScalingReport;
use nnqft_theory::Activation;

/// Range and bins of the histogram; values outside are counted in the panel title.
const Z_RANGE: (f64, f64) = (-6.0, 6.0);
const BINS: usize = 24;

/// The z-score figure: a row per network, a column per order; every width, multiset and
/// estimator pooled in a panel.
pub fn z_scores(report: &ScalingReport) -> Result<Figure> {
    let t = &report.z_expected;
    let mut panels = Vec::new();
    for act in Activation::EVERY {
        for n in [2, 4, 6] {
            let z: Vec<f64> = report.z_scores.iter().filter(|(k, _)| k.0 == act && k.3 == n).map(|(_, z)| *z).collect();
            if z.is_empty() {
                continue;
            }
            let h = histogram(&z, Z_RANGE.0, Z_RANGE.1, BINS)?;
            let total = h.total() as f64;
            let density = (0..=4 * BINS).map(|i| {
                let x = Z_RANGE.0 + (Z_RANGE.1 - Z_RANGE.0) * i as f64 / (4 * BINS) as f64;
                (x, total * h.width * t.density(x))
            });
            panels.push(Panel {
                title: format!("{} G{n}: {} values, {} < -6, {} > 6", act.name(), h.total(), h.below, h.above),
                x: Axis::linear("z"),
                y: Axis::linear("values per bin"),
                series: vec![
                    Series::line(format!("Student's t, {} dof", t.dof), Kind::Exact, colour::INK, density),
                    Series::measured(
                        "z histogram (measured)",
                        colour::BLUE,
                        h.counts.iter().enumerate().map(|(i, c)| (h.centre(i), *c as f64, (*c as f64).sqrt())),
                    ),
                ],
            });
        }
    }
    Ok(Figure {
        name: "z-scores".into(),
        title: "Measured against exact finite-width correlators: z = (measured - exact) / standard error".into(),
        panels,
        columns: 3,
        panel_size: (380, 260),
        caption: format!(
            "One panel per network and order: z of every multiset at every width, all estimators pooled (a value with \
             a zero standard error, as an estimator whose G2 is exact gives, has no z). With honest standard errors from {} experiments z \
             follows Student's t with {} degrees of freedom (curve: that density times the count and the bin width \
             {:.1}). Bars: ±sqrt(count), the Poisson error of a bin; values of one panel share their nets, so they \
             are correlated and the bins scatter more than that. Values outside [-6, 6] are counted in the panel \
             titles. Gauss-net's G6 is heavy-tailed: its sample mean sits below the exact value.",
            t.dof + 1.0,
            t.dof,
            (Z_RANGE.1 - Z_RANGE.0) / BINS as f64
        ),
    })
}
