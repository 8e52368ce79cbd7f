//! The depth section of `SUMMARY.md`: deep networks' normalised 4-pt connected function
//! against the leading order in `L/n`.

use crate::markdown::{figure, opt, sig, with_err};
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
            let (c_w, c_b) = a.deep_priors();
            format!("{} (C_W = {c_w}, C_b = {c_b})", a.name())
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
         recursion (`nnqft_theory::FourPointVertex`; largest quadrature error estimate, tanh: {}); it grows like L at \
         fixed n. Exact for relu on the diagonal multisets (C_b = 0): `r = (1 + 5/n)^L - 1`, whose expansion is the \
         leading order `5L/n`. All rows: `depth.parquet`; fits: `depth_fits.parquet`.\n",
        acts.join(", "),
        list(&plan.depths),
        list(&plan.widths),
        plan.experiments,
        plan.nets,
        plan.raw_width,
        sig(r.quadrature_error),
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
         measured r is off the leading order by more than 10% and 3 standard errors.\n"
    );
    let _ = writeln!(
        s,
        "| network | scan | at | slope (95%) | leading order | exact | nominal | leading order fails at L/n |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
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
            "| {} | {} | {at} | {slope} | {} | {} | {:+} | {} |",
            f.network.name(),
            f.scan.name(),
            opt(f.slope_leading_order),
            opt(f.slope_exact),
            f.scan.nominal_slope(),
            opt(f.leading_order_fails_at)
        );
    }
    let _ = writeln!(s);
    // the exact relu values and the raw estimator against the conditional one
    let (exact_z, all_raw_z) = (r.z_against_exact(), r.raw_against_conditional());
    // where r is undefined (Wick4(G2) = 0) so is its z: counted apart, not as a miss
    let raw_z: Vec<f64> = all_raw_z.iter().copied().filter(|z| z.is_finite()).collect();
    let within = |z: &[f64], bound: f64| z.iter().filter(|z| z.abs() <= bound).count();
    let max_abs = |z: &[f64]| z.iter().fold(0.0f64, |a, z| a.max(z.abs()));
    let _ = writeln!(
        s,
        "What the data show. Relu against its exact finite-width value, every diagonal multiset at every (L, n): \
         {} of {} within |z| <= 2, largest |z| {:.1}. The raw estimator against the conditional one at n = {} \
         (independent ensembles, every multiset and depth where r is defined): {} of {} within |z| <= 2, largest \
         |z| {:.1} ({} more where Wick4(G2) = 0 and r is undefined; the multisets share nets, so these z are \
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
    s
}
