//! The depth section of `SUMMARY.md`: deep networks' normalised 4-pt connected function
//! against the leading order in `L/n`.

use super::relative_error::{relative_error_clause, relative_error_definition};
use crate::markdown::{figure, opt, prior, sig, with_err, z_or_dash};
use std::fmt::Write;

/// The depth study's section (beyond the paper).
pub fn section(r: &nnqft_study::depth::DepthReport, plan: &nnqft_study::depth::DepthPlan) -> String {
    use nnqft_study::depth::{FIT_POINT, Scan};
    let mut s = String::new();
    let _ = writeln!(s, "\n## 6. Deep networks: the four-point vertex against depth (beyond the paper)\n");
    let acts: Vec<String> = plan
        .activations
        .iter()
        .map(|a| {
            let (c_w, c_b) = nnqft_study::depth::priors(*a);
            format!("{} (C_W = {}, C_b = {})", a.name(), prior(c_w), prior(c_b))
        })
        .collect();
    let list = |v: &[usize]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        s,
        "Networks of L hidden layers of equal width n: {}; L in {{{}}}, n in {{{}}}, one output, on the Erf scaling \
         x-set `-1, -0.6, -0.2, 0.2, 0.6, 1` (d = 1). {} experiments of {} nets per (network, L, n), sampled layer by \
         layer from the exact conditional law of each layer given the one below; the conditional estimator (the \
         readout is never drawn) everywhere, the raw one beside it at n = {}. Observable: the normalised connected \
         4-pt function `r = (G4 - Wick4(G2)) / Wick4(G2)` per multiset of order 4, `G2` the same experiment's \
         finite-width 2-pt function. Leading order in 1/n (Yaida 2019; Roberts, Yaida, Hanin 2022, ch. 4): \
         `r = (V_(12)(34) + V_(13)(24) + V_(14)(23)) / (n Wick4(K))` with the four-point vertex `V` of the layer \
         recursion (`nnqft_theory::FourPointVertex`; {}: {}); it grows like L at fixed n. Exact for relu on the diagonal multisets (C_b = 0): `r = (1 + 5/n)^L - 1`, whose expansion is the \
         leading order `5L/n`. All rows: `depth.parquet`; fits: `depth_fits.parquet`.\n",
        acts.join(", "),
        list(&plan.depths),
        list(&plan.widths),
        plan.experiments,
        plan.nets,
        plan.raw_width,
        relative_error_definition(),
        relative_error_clause(r.leading_order_relative_error().as_ref()),
    );
    let pick = |want: &[usize], have: &[usize]| -> Vec<usize> {
        let v: Vec<usize> = want.iter().copied().filter(|x| have.contains(x)).collect();
        if v.is_empty() { have.to_vec() } else { v }
    };
    let (depths, widths) = (pick(&[1, 2, 4, 8], &plan.depths), pick(&[20, 100], &plan.widths));
    let x = nnqft_study::depth::inputs().ok().and_then(|xs| xs.points().nth(FIT_POINT).map(|p| p[0]));
    let _ = writeln!(
        s,
        "On the diagonal multiset (x, x, x, x) at x = {} (conditional estimator; measured mean ± standard error, z \
         against the exact value where one exists):\n",
        x.map_or_else(|| "-".into(), sig)
    );
    let _ = writeln!(
        s,
        "| network | L | n | L/n | r measured | leading order | measured / leading order | exact | z vs exact |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for &act in &plan.activations {
        for &n in &widths {
            for &l in &depths {
                let Some(row) = r.diagonal(act, l, n) else { continue };
                let _ = writeln!(
                    s,
                    "| {} | {l} | {n} | {} | {} | {} | {:.3} | {} | {} |",
                    act.name(),
                    sig(row.l_over_n()),
                    with_err(row.r_mean, Some(row.r_stderr)),
                    sig(row.r_leading_order),
                    row.r_mean / row.r_leading_order,
                    opt(row.r_exact),
                    row.r_exact.map_or_else(|| "-".into(), |e| format!("{:.1}", row.z_against(e)))
                );
            }
        }
    }
    let _ = writeln!(s);
    s.push_str(&figure("depth", "normalised connected 4-pt function against L/n"));
    let _ = writeln!(
        s,
        "Power laws of r on the same multiset: in L at fixed n (leading order: slope +1 at large L) and in n at fixed \
         L (slope -1); 95% intervals from the scatter about the line (Student's t). The leading-order and exact \
         columns are the same fit of those values at the same points, so a difference between them and the \
         nominal ±1 is the shape of the theory, not noise. Last column: the smallest L/n of the scan at which the \
         measured r is off the leading order by more than 10% and 3 standard errors, and the same for r through \
         order 1/n^2.\n"
    );
    let _ = writeln!(
        s,
        "| network | scan | at | slope (95%) | leading order | exact | nominal | leading order fails at L/n | next \
         order fails at L/n |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for f in &r.fits {
        let at = match f.scan {
            Scan::Depth => format!("n = {}", f.fixed),
            Scan::Width => format!("L = {}", f.fixed),
        };
        let slope = f
            .fit
            .as_ref()
            .map_or_else(|| "-".into(), |p| format!("{:.3} [{}, {}]", p.slope, sig(p.slope_lo), sig(p.slope_hi)));
        let _ = writeln!(
            s,
            "| {} | {} | {at} | {slope} | {} | {} | {:+} | {} | {} |",
            f.network.name(),
            f.scan.name(),
            opt(f.slope_leading_order),
            opt(f.slope_exact),
            f.scan.nominal_slope(),
            opt(f.leading_order_fails_at),
            opt(f.next_order_fails_at)
        );
    }
    let _ = writeln!(s);
    // the exact relu values and the raw estimator against the conditional one
    let (exact_z, all_raw_z) = (r.z_against_exact(), r.raw_against_conditional());
    // where r is undefined (Wick4(K) = 0) so is its z: counted apart, not as a miss
    let raw_z: Vec<f64> = all_raw_z.iter().copied().filter(|z| z.is_finite()).collect();
    let within = |z: &[f64], bound: f64| z.iter().filter(|z| z.abs() <= bound).count();
    let max_abs = |z: &[f64]| z.iter().fold(0.0f64, |a, z| a.max(z.abs()));
    let _ = writeln!(
        s,
        "What the data show. Relu against its exact finite-width value, every diagonal multiset at every (L, n): \
         {} of {} within |z| <= 2, largest |z| {:.1}. The raw estimator against the conditional one at n = {} \
         (independent ensembles, every multiset and depth where r is defined): {} of {} within |z| <= 2, largest \
         |z| {:.1} ({} more where Wick4(K) = 0 and r is undefined; the multisets share nets, so these z are \
         correlated). The leading order is the first term of an expansion in \
         L/n: where the table's measured / leading-order ratio departs from 1 the O(L^2/n^2) terms it leaves out are \
         visible; for relu they are exactly those of `(1 + 5/n)^L - 1 - 5L/n`.\n",
        within(&exact_z, 2.0),
        exact_z.len(),
        max_abs(&exact_z),
        plan.raw_width,
        within(&raw_z, 2.0),
        raw_z.len(),
        max_abs(&raw_z),
        all_raw_z.len() - raw_z.len(),
    );
    s.push_str(&next_orders(r, plan, &depths, &widths));
    s
}

/// The next orders: the measured `1/n` shift of `G2` against `K1` and the connected 6-pt function
/// against the six-point vertex (`nnqft_study::depth_next_order`), the closing table on the
/// diagonal, and where each order stops holding, all computed from the rows.
fn next_orders(
    r: &nnqft_study::depth::DepthReport,
    plan: &nnqft_study::depth::DepthPlan,
    depths: &[usize],
    widths: &[usize],
) -> String {
    use nnqft_study::depth_next_order::SIX_POINT_SUBSET;
    use nnqft_study::depth_next_order::departs_from;
    let mut s = String::new();
    let [shift_error, six_error, next_error] = r.next_order_relative_errors();
    let _ = writeln!(
        s,
        "### Beyond the leading order: the 1/n shift of G2 and the connected 6-pt function\n\n\
         The same conditional ensembles measure G2 and G6 too. Shift: `G2 = K + K1/n + O(1/n^2)` with `K1` from \
         the layer recursion of `nnqft_theory::KernelShift` (PDLT's NLO metric), so the measured `n (G2 - K)` is \
         compared with `K1` on every pair of points (`depth_shift.parquet`); `K1 = 0` exactly at L = 1 and, for \
         relu, on every diagonal pair (`G2 = K` at any width). Six-point: `r6 = kappa6 / Wick6(G2)`, kappa6 the \
         connected 6-pt function of the same experiment's G2, G4, G6, against its leading order (order 1/n^2) \
         `sum_15 U / (n^2 Wick6(K))` with the six-point vertex `U` (`nnqft_theory::SixPointVertex`), on the 7 \
         multisets of order 6 over the points x = {} (`depth_six_point.parquet`); for relu on the diagonal the \
         exact `prod(1 + 15/n + 44/n^2) - 3 prod(1 + 5/n) + 2`. The 4-pt function one order further, on the \
         diagonal multisets (one input): `r = C1/K^2 + [C2/K^2 - 2 C1 mu1/K^3] + O(1/n^3)` from the mean \
         (`K + mu1 + mu2`), variance (`C1 + C2`) and third cumulant of the output kernel carried to order 1/n^2 \
         through the exact Markov chain of the one-input kernel (`nnqft_theory::OneInputLaw`; `r_next_order` in \
         `depth.parquet`, null off the diagonal: the several-input version, `nnqft_theory::FourPointNextOrder` \
         (`connected_next_order` of `nnqft theory --widths`), costs about as much again as the six-point vertex \
         and is left out of this study). The {}: {}; {}; \
         {}.\n",
        nnqft_study::depth::inputs()
            .ok()
            .map(|xs| {
                let pts: Vec<f64> = xs.points().map(|p| p[0]).collect();
                SIX_POINT_SUBSET.iter().map(|&i| sig(pts[i])).collect::<Vec<_>>().join(" and ")
            })
            .unwrap_or_default(),
        relative_error_definition(),
        relative_error_clause(shift_error.as_ref()),
        relative_error_clause(six_error.as_ref()),
        relative_error_clause(next_error.as_ref()),
    );
    let _ = writeln!(
        s,
        "On the diagonal at x = 1 (mean ± standard error; z of the shift against K1, of r6 against the exact value \
         where one exists, else against the leading order):\n"
    );
    let _ = writeln!(
        s,
        "| network | L | n | n (G2 - K) measured | K1 | z | r measured | r leading order | r through 1/n^2 | z | r6 \
         measured | r6 leading order | r6 exact | z |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &act in &plan.activations {
        for &n in widths {
            for &l in depths {
                let (Some(sh), Some(four), Some(six)) =
                    (r.diagonal_shift(act, l, n), r.diagonal(act, l, n), r.diagonal_six_point(act, l, n))
                else {
                    continue;
                };
                let six_z = six.z_against(six.r6_exact.unwrap_or(six.r6_leading_order));
                let _ = writeln!(
                    s,
                    "| {} | {l} | {n} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    act.name(),
                    with_err(sh.shift_mean, Some(sh.shift_stderr)),
                    sig(sh.shift_leading_order),
                    z_or_dash(sh.z()),
                    with_err(four.r_mean, Some(four.r_stderr)),
                    sig(four.r_leading_order),
                    opt(four.r_next_order),
                    four.r_next_order.map_or_else(|| "-".into(), |p| z_or_dash(four.z_against(p))),
                    with_err(six.r6_mean, Some(six.r6_stderr)),
                    sig(six.r6_leading_order),
                    opt(six.r6_exact),
                    z_or_dash(six_z),
                );
            }
        }
    }
    let _ = writeln!(s);
    s.push_str(&figure("depth-next-order", "the 1/n shift of G2 and the connected 6-pt function against L/n"));
    // where each order stops holding: every row of each quantity, smallest L/n of a departure
    struct Stat {
        z: Vec<f64>,
        undefined: usize,
        fails: Option<f64>,
    }
    let stat = |rows: Vec<(f64, f64, f64, f64)>| {
        // (L/n, measured, stderr, predicted)
        let mut st = Stat { z: Vec::new(), undefined: 0, fails: None };
        for (ratio, m, se, p) in rows {
            let z = (m - p) / se;
            if z.is_finite() {
                st.z.push(z);
            } else {
                st.undefined += 1;
            }
            if departs_from(m, se, p) && st.fails.is_none_or(|f| ratio < f) {
                st.fails = Some(ratio);
            }
        }
        st
    };
    let _ = writeln!(
        s,
        "Where each order stops holding, over every (L, n) of the study: per network and quantity, the comparisons \
         (every pair for the shift, the diagonal multiset for r, the 7 multisets for r6; conditional estimator), how \
         many are within |z| <= 2, the largest |z|, and the smallest L/n at which the measured value is off the \
         prediction by more than 10% of it and 3 standard errors.\n"
    );
    let _ = writeln!(
        s,
        "| network | quantity | prediction | compared | within abs(z) <= 2 | largest abs(z) | fails at L/n |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    let mut prose = Vec::new();
    for &act in &plan.activations {
        let shift = stat(
            r.shifts
                .iter()
                .filter(|x| x.network == act)
                .map(|x| (x.l_over_n(), x.shift_mean, x.shift_stderr, x.shift_leading_order))
                .collect(),
        );
        let diagonal_rows = || {
            r.rows
                .iter()
                .filter(|x| x.network == act && x.diagonal && x.estimator == nnqft_sampling::Estimator::Conditional)
                .filter(|x| x.indices == [nnqft_study::depth::FIT_POINT; 4].map(|i| i.to_string()).join(","))
        };
        let four = stat(diagonal_rows().map(|x| (x.l_over_n(), x.r_mean, x.r_stderr, x.r_leading_order)).collect());
        let four_next =
            stat(diagonal_rows().filter_map(|x| Some((x.l_over_n(), x.r_mean, x.r_stderr, x.r_next_order?))).collect());
        let six = stat(
            r.six_points
                .iter()
                .filter(|x| x.network == act)
                .map(|x| (x.l_over_n(), x.r6_mean, x.r6_stderr, x.r6_leading_order))
                .collect(),
        );
        for (name, pred, st) in [
            ("n (G2 - K)", "K1 (order 1/n)", &shift),
            ("r", "4-pt vertex (order 1/n)", &four),
            ("r", "one-input law (through 1/n^2)", &four_next),
            ("r6", "6-pt vertex (order 1/n^2)", &six),
        ] {
            let within = st.z.iter().filter(|z| z.abs() <= 2.0).count();
            let max = st.z.iter().fold(0.0f64, |a, z| a.max(z.abs()));
            let undefined =
                if st.undefined > 0 { format!(" (+{} with zero standard error)", st.undefined) } else { String::new() };
            let _ = writeln!(
                s,
                "| {} | {name} | {pred} | {}{undefined} | {within} | {:.1} | {} |",
                act.name(),
                st.z.len(),
                max,
                st.fails.map_or_else(|| "never".into(), sig)
            );
        }
        let say = |st: &Stat| {
            st.fails.map_or_else(|| "holds at every L/n".to_string(), |f| format!("fails from L/n = {}", sig(f)))
        };
        prose.push(format!(
            "{}: shift {}, r {} at order 1/n and {} through 1/n^2, r6 {}",
            act.name(),
            say(&shift),
            say(&four),
            say(&four_next),
            say(&six)
        ));
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "What the data show. Each order's prediction, by the criterion above: {}. A departure is either the next \
         order in L/n resolved at these sizes or, for a single comparison among many, a fluctuation (the standard \
         errors come from {} experiments); at L = 1 the shift is exactly 0 and the six-point vertex exact, so a \
         departure there can only be the latter.\n",
        prose.join("; "),
        plan.experiments
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnqft_sampling::Estimator;
    use nnqft_study::depth::{DepthPlan, DepthReport, DepthRow};
    use nnqft_study::depth_next_order::{ShiftRow, SixPointRow};
    use nnqft_theory::DeepActivation::{self, Relu, Tanh};

    fn shift(network: DeepActivation, depth: usize, width: usize, indices: &str, k1: f64, error: f64) -> ShiftRow {
        ShiftRow {
            network,
            depth,
            width,
            indices: indices.into(),
            diagonal: false,
            g2_mean: 1.0,
            g2_stderr: 0.01,
            g2_gp: 1.0,
            shift_mean: 0.0,
            shift_stderr: 0.1,
            shift_leading_order: k1,
            shift_leading_order_error: error,
            shift_exact: None,
        }
    }

    fn four(estimator: Estimator, indices: &str, r: f64, error: f64) -> DepthRow {
        DepthRow {
            network: Tanh,
            depth: 2,
            width: 10,
            d_out: 1,
            indices: indices.into(),
            diagonal: false,
            estimator,
            r_mean: r,
            r_stderr: 0.01,
            r_leading_order: r,
            r_leading_order_error: error,
            r_exact: None,
            r_next_order: None,
            r_next_order_error: None,
        }
    }

    /// The quadrature sentences state the largest error relative to its value and where it
    /// occurs, computed from the rows: negligible values (at most 1e-3 of the largest of their
    /// kind at the same (network, L, n)) and the raw rows (the conditional rows' predictions
    /// again) are left out, and closed forms are said to be exact.
    #[test]
    fn quadrature_sentences_give_the_largest_relative_error_and_where() {
        let shifts = vec![
            shift(Tanh, 2, 10, "0,5", 0.5, 1e-4),
            // the largest relative error: 1e-5 / 0.02
            shift(Tanh, 2, 10, "3,5", -0.02, 1e-5),
            // negligible beside 0.5: its relative error 0.1 is left out
            shift(Tanh, 2, 10, "0,0", 4e-4, 4e-5),
            shift(Relu, 4, 20, "5,5", 0.0, 0.0),
            shift(Relu, 4, 20, "3,5", 0.3, 0.0),
        ];
        let six_points = vec![SixPointRow {
            network: Relu,
            depth: 4,
            width: 20,
            indices: "5,5,5,5,5,5".into(),
            diagonal: true,
            r6_mean: 0.1,
            r6_stderr: 0.01,
            r6_leading_order: 0.1,
            r6_exact: None,
            c6_mean: 1.0,
            c6_stderr: 0.1,
            c6_leading_order: 1.0,
            c6_leading_order_error: 0.0,
        }];
        let mut diagonal = four(Estimator::Conditional, "5,5,5,5", 0.4, 2e-6);
        (diagonal.r_next_order, diagonal.r_next_order_error) = (Some(0.45), Some(9e-7));
        let rows = vec![
            four(Estimator::Conditional, "0,1,2,5", 0.2, 2e-6),
            diagonal,
            four(Estimator::Raw, "0,1,2,5", 0.2, 0.02),
        ];
        let report = DepthReport { rows, shifts, six_points, ..DepthReport::default() };
        let text = section(&report, &DepthPlan::standard(2, 10));
        let definition = "largest relative quadrature error estimate (error / |value|, over the values larger than \
                          1e-3 of the largest of the same kind at the same (network, L, n))";
        assert!(
            text.contains(&format!(
                "{definition}: r leading order 1.00e-5 at tanh L = 2, n = 10, indices 0,1,2,5 (error 2.00e-6 of 0.200))"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "The {definition}: K1 5.00e-4 at tanh L = 2, n = 10, indices 3,5 (error 1.00e-5 of -0.0200); \
                 six-point vertex term 0 (every expectation a closed form); r through order 1/n² 2.00e-6 at tanh L = 2, \
                 n = 10, indices 5,5,5,5 (error 9.00e-7 of 0.450)."
            )),
            "{text}"
        );
    }
}
