//! The Table 5 section of `SUMMARY.md`: the EFT couplings fitted to exact and Monte Carlo
//! correlators beside the paper's.

use crate::markdown::{figure, opt, sig, with_err};
use nnqft_study::table5::Source;
use std::fmt::Write;

/// The Table 5 section.
pub fn section(rows: &[nnqft_study::table5::Row]) -> String {
    use nnqft_fit::{Loss, Model};
    let mut s = String::new();
    let _ = writeln!(s, "## 2. Table 5: EFT couplings fitted to the 4-pt deviation (the paper's Table 5)\n");
    let _ = writeln!(s, "M1's lambda0, Monte Carlo (MSE fit) against exact:\n");
    let _ = writeln!(
        s,
        "| network | estimator | nets | Monte Carlo | exact | (MC - exact) / stderr | relative stderr | paper |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for act in [nnqft_theory::Activation::Gauss, nnqft_theory::Activation::Relu, nnqft_theory::Activation::Erf] {
        let find = |src: Source, est: Option<nnqft_sampling::Estimator>| {
            rows.iter().find(|r| {
                r.network == act && r.model == Model::M1 && r.loss == Loss::Mse && r.source == src && r.estimator == est
            })
        };
        let mc_rows =
            nnqft_study::table5::monte_carlo_estimators(act).iter().filter_map(|&e| find(Source::MonteCarlo, Some(e)));
        for mc in mc_rows {
            let (Some(ex), Some(pa)) = (find(Source::Exact, None), find(Source::Paper, None)) else { continue };
            let se = mc.stderr.map_or(f64::NAN, |s| s[0]);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {:.2} | {:.2}% | {} |",
                act.name(),
                mc.estimator.map_or("-", |e| e.name()),
                mc.nets.map_or_else(|| "-".into(), |n| format!("{n:.1e}")),
                with_err(mc.couplings[0], Some(se)),
                sig(ex.couplings[0]),
                (mc.couplings[0] - ex.couplings[0]) / se,
                100.0 * se / mc.couplings[0].abs(),
                sig(pa.couplings[0])
            );
        }
    }
    let _ = writeln!(s);
    // the paper's estimators on Gauss-net, sized by the criterion of `Table5Plan`
    let paper_estimators: Vec<String> = rows
        .iter()
        .filter(|r| {
            r.network == nnqft_theory::Activation::Gauss
                && r.model == Model::M1
                && r.loss == Loss::Mse
                && r.source == Source::MonteCarlo
                && r.estimator != Some(nnqft_study::table5::reference_estimator(r.network))
        })
        .map(|r| {
            let se = r.stderr.map_or(f64::NAN, |s| s[0]);
            format!("{} {:.0}%", r.estimator.map_or("-", |e| e.name()), 100.0 * se / r.couplings[0].abs())
        })
        .collect();
    if !paper_estimators.is_empty() {
        let _ = writeln!(
            s,
            "The first estimator of each network is its reference; the others are the paper's, shown beside it. \
             Gauss-net's, at N = 1000, are the table's costliest ensembles, so they run on the \
             nets that determine lambda0 to a relative standard error of at most 50% (here: {}), enough to show \
             that they agree with exact theory and how far their errors sit above the reference's.\n",
            paper_estimators.join(", ")
        );
    }
    s.push_str(&figure(
        "table5",
        "each model's prediction and the measured Delta G4 on the test set, as deviations from exact theory",
    ));
    let _ = writeln!(
        s,
        "Convention (every column here): `Delta G4 = lambda0 T0 + lambda2 T2 + lambdaNL TNL`; the coupling of the action \
         `S = S_GP + int lambda f^4` has the opposite sign. Fits over all ordered 4-tuples of the train set \
         (126 multisets weighted by multiplicity); losses on the test set (MAPE in percent). `exact`: \
         `Delta G4 = kappa4` from nnqft-theory; `monte_carlo`: each experiment fitted separately, mean ± standard \
         error over experiments; `paper`: as published (the published script trained with MSE over unique \
         tensor entries, unweighted, and paired the train data with the test-set integrals; the authors' code, github.com/keeganstoner/nn-qft). \
         `z(paper)` is (paper - ours) / our standard error, against the MSE fit of the first Monte Carlo estimator \
         listed (bias-integrated for Gauss-net, conditional otherwise; each estimator's nets are in the table above). `cond` is \
         the condition number of the column-scaled train design: T0, T2 and TNL are nearly collinear, so M2 and M3 \
         couplings are poorly determined and their spread over experiments says how poorly. `not determined`: the \
         design is rank deficient. For ReLU with sigma_b = 0 at d = 1, `K_g(x, x_a) = sigma_w^4 relu(x) x_a / 2`, so \
         T0, T2 and TNL are all exactly proportional to `prod_a x_a`: only one combination of the couplings is \
         determined, and the paper's separate ReLU M2/M3 values reflect where its SGD stopped, not the data.\n"
    );
    for act in [nnqft_theory::Activation::Gauss, nnqft_theory::Activation::Relu, nnqft_theory::Activation::Erf] {
        let sel: Vec<&nnqft_study::table5::Row> = rows.iter().filter(|r| r.network == act).collect();
        let Some(first) = sel.first() else { continue };
        let _ = writeln!(
            s,
            "### {} (N = {}, Lambda = {}, sigma_b = {})\n",
            act.name(),
            first.width,
            if first.cutoff.is_finite() { sig(first.cutoff) } else { "infinity".into() },
            act.paper_sigma_b()
        );
        let _ = writeln!(
            s,
            "| model | source | estimator | loss | lambda0 | lambda2 | lambdaNL | test MAPE % | test MSE | cond | z(paper) |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|");
        for model in Model::ALL {
            let reference = sel.iter().find(|r| {
                r.model == model
                    && r.source == Source::MonteCarlo
                    && r.loss == Loss::Mse
                    && r.estimator == Some(nnqft_study::table5::reference_estimator(act))
            });
            for r in sel.iter().filter(|r| r.model == model) {
                let z = if r.source == Source::Paper {
                    reference.filter(|m| m.stderr.is_some()).map_or_else(
                        || "-".to_string(),
                        |m| {
                            r.z_against(m)
                                .iter()
                                .map(|z| z.map_or_else(|| "-".into(), |z| format!("{z:.1}")))
                                .collect::<Vec<_>>()
                                .join(", ")
                        },
                    )
                } else {
                    String::new()
                };
                let e = |j: usize| r.stderr.map(|s| s[j]);
                if r.singular {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} | not determined | not determined | not determined | - | - | inf | {z} |",
                        model.name(),
                        r.source,
                        r.estimator.map_or("-", |e| e.name()),
                        r.loss.name()
                    );
                    continue;
                }
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {z} |",
                    model.name(),
                    r.source,
                    r.estimator.map_or("-", |e| e.name()),
                    r.loss.name(),
                    with_err(r.couplings[0], e(0)),
                    with_err(r.couplings[1], e(1)),
                    with_err(r.couplings[2], e(2)),
                    sig(r.test.0),
                    sig(r.test.1),
                    opt(r.condition_number),
                );
            }
        }
        let _ = writeln!(s);
    }
    s
}
