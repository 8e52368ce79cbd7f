//! The NTK section of `SUMMARY.md`: the sampled neural tangent kernel of deep networks at
//! criticality against its order-`1/n` theory (mean shift, variance, cross-correlation).

use super::relative_error::{relative_error_clause, relative_error_definition};
use crate::markdown::{figure, sig, with_err, z_or_dash};
use nnqft_study::ntk_study::{NtkQuantity, NtkStudyPlan, NtkStudyReport, NtkStudyRow};
use nnqft_theory::DeepActivation;
use std::fmt::Write;

/// The NTK study's section (beyond the paper).
pub fn section(r: &NtkStudyReport, plan: &NtkStudyPlan) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n## 7. Neural tangent kernel at finite width (beyond the paper)\n");
    let acts: Vec<String> = plan
        .activations
        .iter()
        .map(|&a| match nnqft_theory::critical_point(a) {
            Ok(c) => format!("{} (C_W = {}, C_b = {})", a.name(), sig(c.c_w()), sig(c.c_b())),
            Err(_) => a.name().to_string(),
        })
        .collect();
    let list = |v: &[usize]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        s,
        "Networks of L hidden layers of equal width n at their critical initialisation \
         (`nnqft_theory::critical_point`): {}; L in {{{}}}, n in {{{}}}, one output, NTK parameterisation \
         (lambda_W = C_W, lambda_b = C_b), on the x-set `-1, -0.6, -0.2, 0.2, 0.6, 1` (x_0 .. x_5, d = 1). {} \
         experiments of {} nets per (network, L, n); each net's exact NTK `Theta(x_a, x_b)` by a forward and a \
         backward pass. On every pair a <= b of the six points, three quantities against their leading order in 1/n \
         (`nnqft_theory::NtkFluctuations`; Roberts, Yaida, Hanin, PDLT ch. 8): the mean shift \
         `E[Theta_ab] - Theta_ab(infinite width)` against `T_ab` (PDLT's `H^{{1}}/n`), the variance `Var Theta_ab` \
         against `(A_(ab)(ab) + B_aabb + B_abba)/n` and the cross-correlation `Cov(Theta_ab, f_a f_b)` against \
         `(D_(ab)(ab) + F_aabb + F_abba)/n`; measured: the mean over experiments of each experiment's mean shift or \
         unbiased covariance over its nets, with its standard error. At equal widths each prediction is 1/n times a \
         width-independent coefficient, computed once per network at the largest L and read off at every L; \
         each prediction carries a bound on its quadrature error propagated through the recursions \
         (`predicted_error`), whose {}: {}. \
         All rows: `ntk_study.parquet`.\n",
        acts.join(", "),
        list(&plan.depths),
        list(&plan.widths),
        plan.experiments,
        plan.nets,
        relative_error_definition(),
        r.relative_errors().iter().map(|e| relative_error_clause(e.as_ref())).collect::<Vec<_>>().join("; "),
    );
    let _ = writeln!(
        s,
        "The mean shift off the diagonal at (x_0, x_5) = (-1, 1), the variance and the cross-correlation on the \
         diagonal at x_5 = 1 (measured ± standard error, the order-1/n prediction, z = (measured - predicted) / \
         standard error):\n"
    );
    let _ = writeln!(
        s,
        "| network | L | n | L/n | mean shift (x_0, x_5) | predicted | z | Var Theta(x_5, x_5) | predicted | z | \
         Cov(Theta, f f)(x_5, x_5) | predicted | z |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &act in &plan.activations {
        for &l in &plan.depths {
            for &n in &plan.widths {
                let cells: Vec<String> = NtkQuantity::ALL
                    .into_iter()
                    .map(|q| match r.row(act, l, n, q, q.shown_pair()) {
                        Some(row) => format!(
                            "{} | {} | {}",
                            with_err(row.measured, Some(row.stderr)),
                            sig(row.predicted),
                            row.z().map_or_else(|| "-".into(), z_or_dash)
                        ),
                        None => "- | - | -".into(),
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    "| {} | {l} | {n} | {} | {} |",
                    act.name(),
                    sig(l as f64 / n as f64),
                    cells.join(" | ")
                );
            }
        }
    }
    let _ = writeln!(s);
    s.push_str(&figure(
        "ntk",
        "NTK mean shift, variance and cross-correlation over their order-1/n theory against L/n",
    ));
    s.push_str(&what_the_data_show(r, plan));
    s
}

/// The prose under the table, every number computed from the rows.
fn what_the_data_show(r: &NtkStudyReport, plan: &NtkStudyPlan) -> String {
    let mut s = String::from("What the data show. ");
    let z = |rows: &mut dyn Iterator<Item = &NtkStudyRow>| rows.filter_map(NtkStudyRow::z).collect::<Vec<f64>>();
    let within = |z: &[f64]| z.iter().filter(|v| v.abs() <= 2.0).count();
    let all = z(&mut r.rows.iter());
    let undefined = r.rows.len() - all.len();
    let worst = r
        .rows
        .iter()
        .filter(|row| row.z().is_some())
        .max_by(|a, b| a.z().unwrap_or(0.0).abs().total_cmp(&b.z().unwrap_or(0.0).abs()));
    let pairs: std::collections::BTreeSet<[usize; 2]> = r.rows.iter().map(|row| row.points).collect();
    let _ = write!(
        s,
        "Over every row ({} pairs of points, three quantities, every network, L and n): {} of {} within |z| <= 2",
        pairs.len(),
        within(&all),
        all.len()
    );
    if undefined > 0 {
        let _ = write!(
            s,
            " ({undefined} more with a standard error of 0, relu's NTK on opposite-sign points at L = 1, zero for every net)"
        );
    }
    if let Some(w) = worst {
        let _ = write!(
            s,
            "; the largest |z| is {} ({} at L = {}, n = {}, {} on ({})).",
            z_or_dash(w.z().unwrap_or(f64::NAN).abs()),
            w.network.name(),
            w.depth,
            w.width,
            w.quantity.name(),
            w.indices()
        );
    }
    let _ = writeln!(s, " Per quantity:");
    let _ = writeln!(s);
    let _ = writeln!(s, "| network | quantity | within \\|z\\| <= 2 | largest \\|z\\| | theory left at smallest L/n |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for &act in &plan.activations {
        for q in NtkQuantity::ALL {
            let rows: Vec<&NtkStudyRow> = r.rows.iter().filter(|row| row.network == act && row.quantity == q).collect();
            let zs = z(&mut rows.iter().copied());
            let max = zs.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            let left =
                rows.iter().filter(|row| row.leaves_theory()).min_by(|a, b| a.l_over_n().total_cmp(&b.l_over_n()));
            let left = left.map_or_else(
                || "never".into(),
                |row| format!("{} (L = {}, n = {}, on ({}))", sig(row.l_over_n()), row.depth, row.width, row.indices()),
            );
            let _ = writeln!(
                s,
                "| {} | {} | {} of {} | {} | {left} |",
                act.name(),
                q.name(),
                within(&zs),
                zs.len(),
                z_or_dash(max)
            );
        }
    }
    let _ = writeln!(s);
    let _ = write!(
        s,
        "\"Theory left\" is the smallest L/n at which a measurement is off its prediction by more than 10% of it and \
         by more than 3 standard errors (`NtkStudyRow::leaves_theory`): the O(1/n^2) terms the order-1/n theory \
         leaves out are resolved there. At L = 1 the order-1/n theory is exact (one hidden layer's NTK is a mean of n \
         independent neurons' terms), so departures there are noise."
    );
    if plan.activations.contains(&DeepActivation::Relu) {
        let diag: Vec<&NtkStudyRow> = r
            .rows
            .iter()
            .filter(|row| {
                row.network == DeepActivation::Relu && row.quantity == NtkQuantity::MeanShift && row.diagonal()
            })
            .collect();
        let largest_prediction = diag.iter().fold(0.0f64, |a, row| a.max(row.predicted.abs()));
        let zs = z(&mut diag.iter().copied());
        let _ = write!(
            s,
            " Relu's mean shift on the diagonal (Guillen, Misof, Gerken, arXiv:2508.11522: zero at every depth): \
             largest |predicted| {} over its {} rows, and measured consistent with zero in {} of {} within |z| <= 2 \
             (largest |z| {}).",
            sig(largest_prediction),
            diag.len(),
            within(&zs),
            zs.len(),
            z_or_dash(zs.iter().fold(0.0f64, |a, v| a.max(v.abs())))
        );
    }
    let _ = writeln!(s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeepActivation::{Gelu, Relu, Tanh};

    fn row(
        network: DeepActivation,
        quantity: NtkQuantity,
        points: [usize; 2],
        predicted: f64,
        error: f64,
    ) -> NtkStudyRow {
        NtkStudyRow {
            network,
            depth: 4,
            width: 20,
            quantity,
            points,
            measured: predicted,
            stderr: 0.01,
            predicted,
            predicted_error: error,
        }
    }

    /// The quadrature sentence states, per quantity, the largest error bound relative to its
    /// prediction and where it occurs, computed from the rows: predictions at most 1e-3 of the
    /// largest of their quantity at the same (network, L, n) are left out, and closed forms are
    /// said to be exact.
    #[test]
    fn quadrature_sentence_gives_the_largest_relative_error_per_quantity_and_where() {
        let rows = vec![
            row(Tanh, NtkQuantity::MeanShift, [0, 5], 0.5, 1e-4),
            // the largest relative error of the mean shift: 1e-5 / 0.02
            row(Tanh, NtkQuantity::MeanShift, [3, 5], -0.02, 1e-5),
            // negligible beside 0.5: its relative error 0.1 is left out
            row(Tanh, NtkQuantity::MeanShift, [0, 0], 4e-4, 4e-5),
            row(Gelu, NtkQuantity::Variance, [5, 5], 2.0, 1e-3),
            row(Tanh, NtkQuantity::Variance, [5, 5], 3.0, 3e-3),
            row(Relu, NtkQuantity::CrossCorrelation, [5, 5], 1.0, 0.0),
        ];
        let report = NtkStudyReport { rows };
        let text = section(&report, &NtkStudyPlan::standard(2, 10));
        let expected = "whose largest relative quadrature error estimate (error / |value|, over the values larger \
                        than 1e-3 of the largest of the same kind at the same (network, L, n)): mean_shift 5.00e-4 at \
                        tanh L = 4, n = 20, indices 3,5 (error 1.00e-5 of -0.0200); variance 0.00100 at tanh L = 4, \
                        n = 20, indices 5,5 (error 0.00300 of 3.00); cross_correlation 0 (every expectation a closed \
                        form).";
        assert!(text.contains(expected), "{text}");
    }
}
