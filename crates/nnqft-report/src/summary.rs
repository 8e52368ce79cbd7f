//! `SUMMARY.md`: the tables a reader wants, with the paper's expectations beside ours.

use nnqft_sampling::Estimator;
use nnqft_study::scaling::{FitRow, ScalingRow, SlopeMethod};
use nnqft_study::table5::Source;
use nnqft_theory::Activation;
use std::fmt::Write;

/// Formats a number with 3 significant digits (scientific when small or large).
pub fn sig(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        format!("{v:.*}", (2 - a.log10().floor() as i32).max(0) as usize)
    } else {
        format!("{v:.2e}")
    }
}

/// Embeds `figures/NAME.svg` (with a link to its PNG) under the table it illustrates.
pub fn figure(name: &str, alt: &str) -> String {
    format!("![{alt}](figures/{name}.svg)\n\nFigure: `figures/{name}.svg` ([PNG](figures/{name}.png)).\n\n")
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), sig)
}

/// The scaling section.
pub fn scaling_section(
    rows: &[ScalingRow],
    fits: &[FitRow],
    agreement: &[nnqft_study::scaling::AgreementRow],
    expected: &nnqft_stats::ZExpectation,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## 1. Approach to the Gaussian process: N^-1 scaling (paper section 2)\n");
    // the tail of the sampled estimators, shown by this run's smallest Gauss-net width
    let tail = rows
        .iter()
        .filter(|r| r.network == Activation::Gauss && r.estimator == Estimator::Raw && r.n == 4)
        .min_by_key(|r| r.width)
        .and_then(|r| r.m_n_exact.map(|e| (r.width, r.m_n, e)))
        .map_or_else(String::new, |(w, m, e)| {
            format!(" (in this run the raw estimator's m4 at N = {w} is {} against exact {})", sig(m), sig(e))
        });
    let _ = writeln!(
        s,
        "Paper's expectation: `m_2` sits at the background at every width; `m_4` and `m_6` fall as `N^-1` \
         until they meet the background; the connected 6-pt function falls as `N^-2`. `exact` columns are the \
         exact finite-width values from nnqft-theory (no sampling noise). Columns: `m_n` measured, `bg` the \
         background (mean std over experiments / |G_GP|), `c6` = mean |connected 6-pt| / |G6_GP|. Estimators: \
         `raw` is the paper's (mean of sampled products); `conditional` averages it over the readout in closed form \
         (the Wick sum of each net's conditional covariance); for Gauss-net `bias_integrated` averages the \
         conditional one over the hidden biases too (`nnqft-sampling::bias_integrated`): only the hidden weights are \
         drawn, so the log-normal tail of `e^(2b)` that makes Gauss-net's sampled estimators unreliable at small N{tail} \
         never enters. Both are exactly unbiased.\n"
    );
    for (act, d, est) in nnqft_study::scaling::groups(rows) {
        let _ = writeln!(s, "### {} d = {d}, {} estimator\n", act.name(), est.name());
        let _ = writeln!(s, "| N | m2 | bg2 | m4 | bg4 | m4 exact | m6 | bg6 | m6 exact | c6 | bg c6 | c6 exact |");
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|");
        let mut widths: Vec<usize> = rows.iter().filter(|r| r.network == act && r.d == d).map(|r| r.width).collect();
        widths.sort_unstable();
        widths.dedup();
        for w in widths {
            let get = |n: usize| {
                rows.iter().find(|r| r.network == act && r.d == d && r.estimator == est && r.width == w && r.n == n)
            };
            let (Some(r2), Some(r4), Some(r6)) = (get(2), get(4), get(6)) else { continue };
            let _ = writeln!(
                s,
                "| {w} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                sig(r2.m_n),
                sig(r2.background),
                sig(r4.m_n),
                sig(r4.background),
                opt(r4.m_n_exact),
                sig(r6.m_n),
                sig(r6.background),
                opt(r6.m_n_exact),
                opt(r6.connected),
                opt(r6.connected_background),
                opt(r6.connected_exact)
            );
        }
        let _ = writeln!(s);
        s.push_str(&figure(
            &crate::figures::scaling_name(act, d, est),
            &format!("m_n against N, {} d = {d}, {} estimator", act.name(), est.name()),
        ));
    }
    let _ = writeln!(s, "### Measured against exact finite-width theory\n");
    let _ = writeln!(
        s,
        "`z = (G_measured - G_exact) / standard error` over every width and multiset. The standard error comes from \
         {} experiments, so with honest error bars z follows Student's t with {} degrees of freedom, not a normal: \
         {:.1}% of |z| below 3 and a median |z| of {:.2} (a normal gives 99.7% and 0.67). The values of one \
         network and order share their nets, so they are correlated and their fraction scatters more than for \
         independent values. Gauss-net's 6-pt function is heavy-tailed (its single-neuron M6 is about e^12 at \
         x ~ 0): with the raw estimator the sample mean of an affordable ensemble sits far below the exact value and \
         the sample standard error underestimates the spread, so its |z| are large. That is the estimator failing, \
         not the theory; the bias-integrated estimator, whose only randomness is the hidden weights, has no such tail.\n",
        expected.dof + 1.0,
        expected.dof,
        100.0 * expected.within_3,
        expected.median_abs
    );
    let _ = writeln!(s, "| network | d | estimator | n | values | within 3 sigma | median abs z | max abs z |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for a in agreement {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.1}% | {:.2} | {:.1} |",
            a.network.name(),
            a.d,
            a.estimator.name(),
            a.n,
            a.count,
            100.0 * a.within_3,
            a.median_abs_z,
            a.max_abs_z
        );
    }
    let _ = writeln!(s);
    s.push_str(&figure("z-scores", "histograms of z with the Student's t density"));
    let _ = writeln!(s, "### Power-law fits (log10 quantity vs log10 N, widths where signal > 3x background)\n");
    let _ = writeln!(
        s,
        "The background is the paper's: the standard deviation over experiments, not the standard error of their mean, \
         so `signal > 3 x background` is a strict test. A deviation that is resolved by the mean of 10 experiments \
         can still fail it. That is why the raw estimator (the paper's) resolves few widths, and why the \
         conditional-Gaussian estimator (same nets) extends the fits to larger N.\n\n\
         Method `paper_lsq` is the paper's fit: least squares of log10 m_n on log10 N with its textbook interval. \
         It is biased where the signal is within a few standard errors of zero: m_n averages |Delta G|, and noise \
         pulls the mean of an absolute value upward, flattening the slope at the largest widths used; and its \
         interval treats the points as exact. Method `common_exponent` (`nnqft-stats::common_exponent`) fits the \
         signed Delta G of every multiset (`G6 - Wick6(K)` for m6, the connected 6-pt function for c6) at every \
         width to `A_i N^p`, one exponent, pooled inverse-variance weights `1/(a_i b(N))` (`b(N)` the mean squared \
         standard error over multisets at width N, `a_i` the multiset's mean ratio to it; per-point weights from \
         few experiments would correlate with the noise), with a 95% interval from the jackknife over \
         experiments (Student's t). `exact slope` is what each method gives on the exact values over the same \
         widths (and weights); `inside` says whether the interval contains it. How often each method's interval \
         contains it over many seeds is measured by `cargo xtask coverage` (`coverage/COVERAGE.md`).\n"
    );
    let _ = writeln!(
        s,
        "| network | d | estimator | quantity | method | slope [95%] | R^2 | widths | exact slope | inside | paper |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|");
    for f in fits {
        let q = f.label();
        let (slope, r2) = match &f.fit {
            Some(p) if p.slope_lo.is_finite() => (
                format!("{:.3} [{:.3}, {:.3}]", p.slope, p.slope_lo, p.slope_hi),
                if p.r2.is_finite() { format!("{:.4}", p.r2) } else { "-".into() },
            ),
            Some(p) => (format!("{:.3} (2 widths: no interval)", p.slope), "-".into()),
            None if f.method == SlopeMethod::PaperLsq => ("no fit (< 2 widths above 3x background)".into(), "-".into()),
            None => ("no fit (< 2 widths with a resolved signal)".into(), "-".into()),
        };
        let widths = if f.widths.is_empty() {
            "-".into()
        } else {
            f.widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",")
        };
        let paper = if f.n == 2 { "at background".to_string() } else { format!("{}", f.slope_expected) };
        let inside = match f.covers_exact() {
            Some(Ok(())) => "yes".to_string(),
            Some(Err(z)) => format!("no (z {z:.1})"),
            None => "-".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {q} | {} | {slope} | {r2} | {widths} | {} | {inside} | {paper} |",
            f.network.name(),
            f.d,
            f.estimator.name(),
            f.method,
            f.slope_exact.map_or_else(|| "-".into(), |v| format!("{v:.3}")),
        );
    }
    s.push_str(&coverage_note(fits));
    s
}

/// How many common-exponent intervals miss the exact slope, and why where the cause is known:
/// Gauss-net's raw estimator has dishonest standard errors (its log-normal tail).
fn coverage_note(fits: &[FitRow]) -> String {
    let checked: Vec<(&FitRow, Result<(), f64>)> = fits
        .iter()
        .filter(|f| f.method == SlopeMethod::CommonExponent)
        .filter_map(|f| f.covers_exact().map(|c| (f, c)))
        .collect();
    let missed: Vec<&(&FitRow, Result<(), f64>)> = checked.iter().filter(|(_, c)| c.is_err()).collect();
    let tail = |f: &FitRow| f.network == Activation::Gauss && f.estimator == Estimator::Raw;
    let (tail_checked, tail_missed) =
        (checked.iter().filter(|(f, _)| tail(f)).count(), missed.iter().filter(|(f, _)| tail(f)).count());
    let mut s = format!(
        "\nCommon-exponent intervals against the exact slope: {} of {} contain it ({:.1} misses expected at 95%).",
        checked.len() - missed.len(),
        checked.len(),
        0.05 * checked.len() as f64
    );
    if tail_checked > 0 {
        let _ = write!(
            s,
            " {tail_missed} of the {} misses are among Gauss-net's {tail_checked} raw-estimator fits: that estimator's standard \
             errors are not honest (the log-normal tail of e^(2b) that the z-scores above show), so intervals built on them are \
             too narrow. Without them, {} of {} contain the exact slope. The coverage study (`coverage/COVERAGE.md`) \
             calibrates the conditional and bias-integrated estimators over 200 repetitions.",
            missed.len(),
            checked.len() - missed.len() - (tail_checked - tail_missed),
            checked.len() - tail_checked
        );
    }
    s.push('\n');
    s
}

/// A z-score to one decimal, or `-` where it is undefined (a standard error of 0).
fn z_or_dash(z: f64) -> String {
    if z.is_finite() { format!("{z:.1}") } else { "-".into() }
}

fn with_err(v: f64, e: Option<f64>) -> String {
    match e {
        Some(e) if e.is_finite() && e > 0.0 => format!("{} ± {}", sig(v), sig(e)),
        _ => sig(v),
    }
}

/// The Table 5 section.
pub fn table5_section(rows: &[nnqft_study::table5::Row]) -> String {
    use nnqft_fit::{Loss, Model};
    let mut s = String::new();
    let _ = writeln!(s, "## 2. Table 5: EFT couplings fitted to the 4-pt deviation (paper section 4)\n");
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
        let mc_rows = nnqft_study::table5::monte_carlo_estimators(act, 0)
            .into_iter()
            .filter_map(|(e, _)| find(Source::MonteCarlo, Some(e)).filter(|_| e != nnqft_sampling::Estimator::Raw));
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
         listed (bias-integrated for Gauss-net, on 100 times fewer nets than the others; conditional otherwise). `cond` is \
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

/// The RG, 6-pt prediction, sextic coupling and naturalness sections.
pub fn rg_section(r: &nnqft_study::rg::RgReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## 3. RG flow of the quartic coupling (paper section 5)\n");
    let _ = writeln!(
        s,
        "`lambda_m(Lambda) = Delta G4_m / T0_m(Lambda)` per multiset; pooled fit of `log10 |lambda_m|` on \
         `log10 Lambda` over all multisets and the 21 cutoffs. Dimension counting for ReLU (sigma_b = 0, the kernel \
         is homogeneous of degree 1 in x): `T0 ~ Lambda^(4+d)`, so `lambda ~ Lambda^-(4+d)`. `monte_carlo` uses, for \
         ReLU and Erf, the conditional estimator with its control variate: the first-order term `L_K(C-bar - K)` of \
         the Wick sums, whose expectation is exactly zero, is subtracted per experiment \
         (`nnqft-sampling::control_variate`); for Gauss-net the bias-integrated estimator (section 1). \
         The plain conditional estimator on the same nets is shown beside it with its z. Its standard error is \
         several times larger, and, estimated from few experiments, is itself uncertain (Student's t, section 1): \
         a low draw of the spread can make an ordinary fluctuation look significant; the control variate on the \
         same nets tells the two apart.\n"
    );
    let _ = writeln!(s, "| network | d | source | slope | R^2 | dimension counting |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for f in &r.fits {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.4} | {:.6} | {} |",
            f.network.name(),
            f.d,
            f.source,
            f.slope,
            f.r2,
            f.slope_expected.map_or_else(|| "-".into(), |v| format!("{v}"))
        );
    }
    let _ = writeln!(s);
    s.push_str(&figure("rg-flow", "running quartic coupling against the cutoff"));
    let _ = writeln!(
        s,
        "\nCoupling and beta function at selected cutoffs (exact; measured mean ± standard error). The beta \
         function is exact: `beta_m = d lambda_m / d log Lambda = -Delta G4_m (dT0_m / d log Lambda) / T0_m^2`, with \
         `dT0 / d log Lambda` the boundary integral of the cutoff cube (for the homogeneous ReLU kernel \
         `(4 + d) T0`); the measured one applies it to each experiment's `Delta G4`. `sextic` is the sextic coupling \
         `(Delta G6 - lambda Q6) / (720 I6 + 360 sum_15 I4loop K)` of the exact `G6` ([conventions](../docs/conventions.md#rg-flow)).\n"
    );
    let _ = writeln!(
        s,
        "| network | d | N | Lambda | lambda exact | lambda measured | z | conditional only | z | beta exact | beta / lambda exact | beta measured | z | spread over multisets | sextic exact | sextic spread |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for row in r.flow.iter().filter(|row| [10.0, 100.0, 1e3, 1e4, 1e5].contains(&row.cutoff)) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {:.1} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} |",
            row.network.name(),
            row.d,
            row.width,
            sig(row.cutoff),
            sig(row.lambda_exact),
            with_err(row.lambda_mean, Some(row.lambda_stderr)),
            row.z(),
            with_err(row.lambda_mean_conditional, Some(row.lambda_stderr_conditional)),
            row.z_conditional(),
            sig(row.beta_exact),
            sig(row.beta_exact / row.lambda_exact),
            with_err(row.beta_mean, Some(row.beta_stderr)),
            z_or_dash(row.z_beta()),
            sig(row.lambda_spread),
            sig(row.sextic_exact),
            sig(row.sextic_spread)
        );
    }
    for act in nnqft_theory::Activation::ALL {
        let rows: Vec<&nnqft_study::rg::FlowRow> = r.flow.iter().filter(|row| row.network == act).collect();
        if let Some(stop) = rows.iter().find(|row| row.beta_exact == 0.0 && row.lambda_exact != 0.0) {
            let _ = writeln!(
                s,
                "\n{} (d = {}): the exact beta function is 0 to double precision from Lambda = {} on (its kernel \
                 decays like a Gaussian, so the boundary term of the cutoff underflows): the coupling stops running, \
                 and beta / lambda and z are shown as 0 and -.",
                act.name(),
                stop.d,
                sig(stop.cutoff)
            );
        }
    }
    for d in 1..=3 {
        let relu: Vec<&nnqft_study::rg::FlowRow> =
            r.flow.iter().filter(|row| row.network == nnqft_theory::Activation::Relu && row.d == d).collect();
        if relu.is_empty() {
            continue;
        }
        let expected = -(4.0 + d as f64);
        let worst = relu.iter().map(|row| (row.beta_exact / row.lambda_exact - expected).abs()).fold(0.0, f64::max);
        let _ = writeln!(
            s,
            "\nReLU at d = {d}: exact `beta / lambda` is {expected} at all {} cutoffs (largest deviation {:.1e}, \
             rounding); measured within |z| <= 2 at {} of {}.",
            relu.len(),
            worst,
            relu.iter().filter(|row| row.z_beta().abs() <= 2.0).count(),
            relu.len()
        );
    }
    let _ = writeln!(s, "\n## 4. The 6-pt function predicted from the 4-pt coupling\n");
    let _ = writeln!(
        s,
        "Ratios are means over all 462 multisets of `(G6_GP [+ lambda(Lambda) Q6(Lambda)]) / G6`, \
         `Q6 = 24 sum_15 I4 K`, `lambda(Lambda)` the M1 coupling of the 4-pt function at that cutoff. The RG equation \
         `dG/dlogLambda = 0` says the `+lambda` ratio must not depend on Lambda. Spread = (max - min) over the 21 cutoffs. \
         G6 measured: the estimator of section 3 (control variate for ReLU and Erf, bias-integrated for Gauss-net); \
         `± ` is the standard error of `GP / G6 measured` over the experiments, and z its distance from the exact ratio.\n"
    );
    let _ = writeln!(
        s,
        "| network | N | GP / G6 measured | z | (GP + lambda) / G6 measured: min .. max | GP / G6 exact | (GP + lambda) / G6 exact: min .. max | spread (exact) |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    let mut nets: Vec<(nnqft_theory::Activation, usize)> = Vec::new();
    for row in &r.six {
        if !nets.contains(&(row.network, row.width)) {
            nets.push((row.network, row.width));
        }
    }
    for (act, w) in nets {
        let sel: Vec<&nnqft_study::rg::SixRow> = r.six.iter().filter(|x| x.network == act && x.width == w).collect();
        let mm = |f: fn(&nnqft_study::rg::SixRow) -> f64| {
            sel.iter().map(|x| f(x)).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
        };
        let (a0, a1) = mm(|x| x.ratio_gp_lambda);
        let (b0, b1) = mm(|x| x.ratio_gp_lambda_exact);
        let _ = writeln!(
            s,
            "| {} | {w} | {} | {:.1} | {} .. {} | {} | {} .. {} | {} |",
            act.name(),
            with_err(sel[0].ratio_gp, Some(sel[0].ratio_gp_stderr)),
            sel[0].z(),
            sig(a0),
            sig(a1),
            sig(sel[0].ratio_gp_exact),
            sig(b0),
            sig(b1),
            sig(b1 - b0)
        );
    }
    let _ = writeln!(s);
    s.push_str(&figure("six-point", "6-pt prediction over G6 against the cutoff"));
    if let Some(g) = r.six.iter().find(|x| x.network == nnqft_theory::Activation::Gauss) {
        let verdict = if g.z().abs() <= 3.0 {
            "agree with the exact ones within three standard errors. With the raw or the plain conditional estimator they \
             did not: Gauss-net's heavy tails (single-neuron M6 ~ e^12, \
             from the hidden biases) put much of E[f^6] in rare nets that an affordable ensemble rarely draws, and the \
             bias-integrated estimator takes the biases out of the sample"
        } else {
            "differ from the exact ones beyond the standard error: Gauss-net's heavy tails (single-neuron M6 ~ e^12) \
             put much of E[f^6] in rare nets that this ensemble did not draw"
        };
        let _ = writeln!(
            s,
            "\nGauss-net (N = {}): the measured ratios ({} without, {} with the coupling; z = {:.1}) {verdict} \
             (exact: {}, {}). The Lambda-independence holds for both.",
            g.width,
            with_err(g.ratio_gp, Some(g.ratio_gp_stderr)),
            sig(g.ratio_gp_lambda),
            g.z(),
            sig(g.ratio_gp_exact),
            sig(g.ratio_gp_lambda_exact)
        );
    }
    let _ = writeln!(s, "\n## 5. Naturalness: spread of lambda_m across multisets\n");
    let _ = writeln!(
        s,
        "Exact `lambda_m = kappa4_m / T0_m` on the x-set `{{0.2, ..., 1.2}}` scaled by 0.01, 0.1 and 1, at the Table 5 \
         width and cutoff of each network. Spread = std over the 126 multisets / |mean|. The conjecture: couplings are \
         (nearly) constant when the GP kernel is translation invariant (Gauss-net).\n"
    );
    let _ = writeln!(s, "| network | N | Lambda | x scale | lambda mean | spread |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for n in &r.natural {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            n.network.name(),
            n.width,
            if n.cutoff.is_finite() { sig(n.cutoff) } else { "infinity".into() },
            n.scale,
            sig(n.lambda_mean),
            sig(n.lambda_spread)
        );
    }
    let _ = writeln!(s);
    s.push_str(&figure("naturalness", "relative spread of lambda_m against the x-set scale"));
    let at = |a: nnqft_theory::Activation, scale: f64| {
        r.natural.iter().find(|n| n.network == a && (n.scale - scale).abs() < 1e-12).map(|n| n.lambda_spread)
    };
    use nnqft_theory::Activation::{Erf, Gauss, Relu};
    if let (Some(g1), Some(e1), Some(g0), Some(e0), Some(r1)) =
        (at(Gauss, 1.0), at(Erf, 1.0), at(Gauss, 0.01), at(Erf, 0.01), at(Relu, 1.0))
    {
        let verdict = if g1 < e1 { "smaller than" } else { "not smaller than" };
        let _ = writeln!(
            s,
            "\nWhat the data show: on inputs of order 1 the translation-invariant Gauss-net's spread ({}) is {verdict} \
             Erf's ({}). The exact finite-width couplings `lambda_m = kappa4_m / T0_m` are not constant for Gauss-net, \
             because `kappa4` involves the single-neuron `M4`, which depends on `|sum_a x_a|^2`, not only on \
             differences. At scale 0.01 every spread is small (Gauss {}, Erf {}) because the x-set is nearly a \
             point. ReLU (sigma_b = 0, d = 1) has exactly constant couplings ({}) at every scale, since its outputs are \
             `x F` for one random F; that is a degeneracy, not naturalness. So these data do not support the conjecture \
             for the quartic coupling defined this way.",
            sig(g1),
            sig(e1),
            sig(g0),
            sig(e0),
            sig(r1)
        );
    }
    s
}

/// The depth study's section (beyond the paper).
pub fn depth_section(r: &nnqft_study::depth::DepthReport, plan: &nnqft_study::depth::DepthPlan) -> String {
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
