//! The action section of `SUMMARY.md` (arXiv:2307.03223): the density of sampled outputs
//! against the densities the action predicts at each order, the distances' slopes in the width,
//! the ordering of the orders per width, where the Edgeworth density goes negative, the
//! densities' contours, and how local the quartic coupling is against Table 5's constant
//! local coupling.

use crate::figures::DENSITY_LEVELS;
use crate::markdown::{figure, opt, sig, with_err};
use nnqft_study::action_density::{DensityForm, DensityOrder, PredictedDistance};
use nnqft_study::action_modes::ROUGH_MODE_RATIO;
use nnqft_study::action_study::{
    ActionStudyPlan, ActionStudyReport, DensityStudyRow, LOCALITY_POINTS, LOCALITY_REFINEMENT, LOCALITY_SPACING,
    NetworkLocality, POINTS,
};
use std::fmt::Write;

/// `|z|` above which an ordering of two orders counts as resolved.
const ORDER_Z: f64 = 2.0;

/// Standard errors within which a measured distance agrees with the predicted one.
const AGREE_Z: f64 = 3.0;

/// How close to its asymptotic value a predicted local slope counts as settled.
const SETTLED: f64 = 0.01;

/// Negative mass above which the Edgeworth density counts as failed.
const NEGATIVE_NOTED: f64 = 1e-3;

/// The action study's section.
pub fn section(r: &ActionStudyReport, plan: &ActionStudyPlan) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n## The action of an ensemble (arXiv:2307.03223)\n");
    let nets: Vec<String> = plan
        .networks
        .iter()
        .filter_map(|&a| nnqft_study::action_study::network(a).ok())
        .map(|n| format!("{} (σ_w = {}, σ_b = {})", n.activation().name(), n.sigma_w(), n.sigma_b()))
        .collect();
    let list = |v: &[usize]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    // the floor read off the rows: sqrt(3 σ(D̂²)) over the order-1/N² Edgeworth rows (the distances
    // that reach it) at the largest width
    let largest = r.densities.iter().map(|d| d.row.width).max().unwrap_or(0);
    let floor = r
        .densities
        .iter()
        .filter(|d| {
            d.row.width == largest && d.row.form == DensityForm::Edgeworth && d.row.order == DensityOrder::Second
        })
        .map(|d| (nnqft_study::action_density::RESOLVED_Z * d.row.distance.squared_stderr).sqrt())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), f| (lo.min(f), hi.max(f)));
    let _ = writeln!(
        s,
        "One-hidden-layer networks {} on the two points x = {}, {} (d = 1) at widths N in {{{}}}. The action \
         `S = -log p` to order 1/N and 1/N² is reconstructed from the exact G2, κ4 and κ6 (`nnqft_theory::Action`, \
         `S = Σ_n (1/n!) s_n f^n`; its couplings per multiset: `action.parquet`). Its densities (the GP, and the \
         Edgeworth densities at order 1/N and 1/N², normalised on the plane and possibly negative) are compared with \
         the histogram of {} sampled networks per (network, N) ({} experiments of {}) on the window |z| <= 4 of \
         whitened coordinates (16 bins per axis), by the noise-subtracted χ² distance \
         `D² = Σ_b (p_b - q_b)² / g_b` with its jackknife error over experiments (module `action_density`). A \
         distance is resolved above the sampling floor when `D̂² > 3 σ(D̂²)`; unresolved distances show as `floor`. \
         The sampling floor, `sqrt(3 σ(D̂²))` below which a distance is not resolved, is {} to {} at N = {} over its order-1/N² Edgeworth rows (the distances that reach it) at {} nets per histogram (it falls as 1/sqrt(nets)). All rows: `action_density.parquet`; slopes: `action_density_fits.parquet`.\n",
        nets.join(", "),
        POINTS[0],
        POINTS[1],
        list(&plan.widths),
        plan.nets_per_histogram(),
        plan.experiments,
        plan.nets,
        sig(floor.0),
        sig(floor.1),
        largest,
        plan.nets_per_histogram(),
    );
    let _ = writeln!(
        s,
        "Edgeworth form, distance D ± its standard error, and in parentheses the distance the action itself \
         predicts (from each density to the order-1/N² one, which stands in for the measured density: no sampling; \
         by the triangle inequality the two differ by at most the measured order-1/N² distance):\n"
    );
    let _ = writeln!(s, "| network | N | GP | order 1/N | order 1/N² | negative mass (1/N, 1/N²) |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    let networks = r.networks();
    let cell = |row: Option<&&DensityStudyRow>| -> String {
        let predicted = |r: &DensityStudyRow| r.row.predicted.map_or_else(String::new, |p| format!(" ({})", sig(p)));
        match row {
            Some(r) if r.row.distance.resolved => {
                format!("{}{}", with_err(r.row.distance.distance, Some(r.row.distance.distance_stderr)), predicted(r))
            }
            Some(r) => format!("floor{}", predicted(r)),
            None => "-".into(),
        }
    };
    for net in &networks {
        let by_order: Vec<Vec<&DensityStudyRow>> = DensityOrder::ALL.iter().map(|&o| r.edgeworth(net, o)).collect();
        for (i, gp) in by_order[0].iter().enumerate() {
            let first = by_order[1].get(i);
            let second = by_order[2].get(i);
            let negative = format!(
                "{}, {}",
                opt(first.and_then(|r| r.row.negative_mass)),
                opt(second.and_then(|r| r.row.negative_mass))
            );
            let _ = writeln!(
                s,
                "| {net} | {} | {} | {} | {} | {negative} |",
                gp.row.width,
                cell(Some(gp)),
                cell(first),
                cell(second)
            );
        }
    }
    // the ordering per (network, N), counted from the z of each order against the one below
    let edgeworth: Vec<&DensityStudyRow> =
        r.densities.iter().filter(|d| d.row.form == DensityForm::Edgeworth).collect();
    let count = |order: DensityOrder, pred: &dyn Fn(f64) -> bool| -> Vec<String> {
        edgeworth
            .iter()
            .filter(|d| d.row.order == order && d.z_below_previous_order.is_some_and(pred))
            .map(|d| format!("{} N = {}", d.row.network, d.row.width))
            .collect()
    };
    let cases = edgeworth.iter().filter(|d| d.row.order == DensityOrder::First).count();
    let first_better = count(DensityOrder::First, &|z| z > ORDER_Z);
    let first_worse = count(DensityOrder::First, &|z| z < -ORDER_Z);
    let second_better = count(DensityOrder::Second, &|z| z > ORDER_Z);
    let second_worse = count(DensityOrder::Second, &|z| z < -ORDER_Z);
    let both: Vec<String> = first_better.iter().filter(|c| second_better.contains(c)).cloned().collect();
    let or_none = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let _ = writeln!(
        s,
        "\nOrdering (z of each order's D̂² below the order beneath it, |z| > {ORDER_Z} counted): of {cases} \
         (network, N), the order-1/N density is closer than the GP in {} and farther in {} ({}); the order-1/N² \
         density is closer than order 1/N in {} and farther in {} ({}); GP > 1/N > 1/N² holds in {} ({}). The rest \
         are within {ORDER_Z} standard errors of each other (at the floor, or ties above it).\n",
        first_better.len(),
        first_worse.len(),
        or_none(&first_worse),
        second_better.len(),
        second_worse.len(),
        or_none(&second_worse),
        both.len(),
        or_none(&both),
    );
    // the measured GP and order-1/N distances against the predicted ones, per (network, N)
    let mut agree: Vec<String> = Vec::new();
    let mut apart: Vec<String> = Vec::new();
    let mut beyond_bound: Vec<String> = Vec::new();
    for d in edgeworth.iter().filter(|d| d.row.distance.resolved) {
        let Some(predicted) = d.row.predicted else { continue };
        let (measured, err) = (d.row.distance.distance, d.row.distance.distance_stderr);
        let name = format!("{} N = {} {}", d.row.network, d.row.width, d.row.order.name());
        if (measured - predicted).abs() <= AGREE_Z * err {
            agree.push(name);
            continue;
        }
        apart.push(name.clone());
        // the triangle inequality bounds the gap by the measured order-1/N² distance
        let second = edgeworth.iter().find(|s| {
            s.row.network == d.row.network && s.row.width == d.row.width && s.row.order == DensityOrder::Second
        });
        let bound = second.map_or(f64::INFINITY, |s| {
            (s.row.distance.squared.max(0.0) + AGREE_Z * s.row.distance.squared_stderr).sqrt()
        });
        if (measured - predicted).abs() > bound + AGREE_Z * err {
            beyond_bound.push(name);
        }
    }
    let _ = writeln!(
        s,
        "The measured distance agrees with the predicted one within {AGREE_Z} standard errors at: {}; it does not at: \
         {}, where the order-1/N² density is itself still measurably off (its own distance, the order-1/N² column, \
         bounds the gap by the triangle inequality; the gap exceeds that bound by more than {AGREE_Z} standard \
         errors at: {}).\n",
        or_none(&agree),
        or_none(&apart),
        or_none(&beyond_bound),
    );
    // slopes
    let _ = writeln!(
        s,
        "Power law `D ∝ N^slope` over the resolved widths N >= {} (Edgeworth form; least squares of log D on log N weighted by \
         the distances' standard errors, 95% interval from those errors, widened by sqrt(chi^2 / dof) when the widths \
         scatter more than they allow; `nnqft_stats::fit_power_law_weighted`):\n",
        r.slope_min_width
    );
    let _ = writeln!(
        s,
        "| network | order | slope | 95% interval | predicted at these widths | expected (N → ∞) | widths used | floor from N |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for sl in r.slopes.iter().filter(|sl| sl.form == DensityForm::Edgeworth) {
        let (slope, interval) = match &sl.fit {
            Some(f) if f.slope_lo.is_finite() => (sig(f.slope), format!("[{}, {}]", sig(f.slope_lo), sig(f.slope_hi))),
            Some(f) => (sig(f.slope), "- (2 widths)".into()),
            None => ("-".into(), "-".into()),
        };
        let floor = r.floor_width(&sl.network, sl.order).map_or_else(|| "-".into(), |w| w.to_string());
        let predicted = sl.predicted.as_ref().map_or_else(|| "-".into(), |p| sig(p.slope));
        let _ = writeln!(
            s,
            "| {} | {} | {slope} | {interval} | {predicted} | {} | {} | {floor} |",
            sl.network,
            sl.order.name(),
            sl.order.expected_slope(),
            sl.widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let contains: Vec<String> = r
        .slopes
        .iter()
        .filter(|sl| sl.form == DensityForm::Edgeworth)
        .filter(|sl| {
            sl.fit
                .as_ref()
                .is_some_and(|f| f.slope_lo <= sl.order.expected_slope() && sl.order.expected_slope() <= f.slope_hi)
        })
        .map(|sl| format!("{} {}", sl.network, sl.order.name()))
        .collect();
    let contains_predicted: Vec<String> = r
        .slopes
        .iter()
        .filter(|sl| sl.form == DensityForm::Edgeworth)
        .filter_map(|sl| {
            let (fit, p) = (sl.fit.as_ref()?, sl.predicted.as_ref()?);
            (fit.slope_lo <= p.slope && p.slope <= fit.slope_hi).then(|| format!("{} {}", sl.network, sl.order.name()))
        })
        .collect();
    let predicted_at = |network: &str, order: DensityOrder, width: usize| {
        Some(r.predicted.iter().find(|p| p.network == network && p.order == order && p.width == width)?.distance)
    };
    // local slopes between successive resolved widths: whether the widths reach the asymptotic regime
    // the measured slope between two widths with its standard error, and the predicted one
    let step = |network: &str, order: DensityOrder, w0: usize, w1: usize| -> Option<(f64, f64, Option<f64>)> {
        let at = |w: usize| {
            edgeworth
                .iter()
                .find(|d| d.row.network == network && d.row.order == order && d.row.width == w)
                .map(|d| (d.row.distance.distance, d.row.distance.distance_stderr))
        };
        let ((d0, e0), (d1, e1)) = (at(w0)?, at(w1)?);
        let span = (w1 as f64 / w0 as f64).ln();
        let predicted = predicted_at(network, order, w0)
            .zip(predicted_at(network, order, w1))
            .map(|(q0, q1)| (q1 / q0).ln() / span);
        Some(((d1 / d0).ln() / span, ((e0 / d0).powi(2) + (e1 / d1).powi(2)).sqrt() / span, predicted))
    };
    let local: Vec<String> = r
        .slopes
        .iter()
        .filter(|sl| sl.form == DensityForm::Edgeworth && sl.widths.len() >= 2)
        .map(|sl| {
            let steps: Vec<String> = sl
                .widths
                .windows(2)
                .filter_map(|p| {
                    let (slope, err, predicted) = step(&sl.network, sl.order, p[0], p[1])?;
                    let predicted = predicted.map_or_else(String::new, |v| format!(", predicted {}", sig(v)));
                    Some(format!("{} ± {} ({} to {}{predicted})", sig(slope), sig(err), p[0], p[1]))
                })
                .collect();
            format!("{} {}: {}", sl.network, sl.order.name(), steps.join(", "))
        })
        .collect();
    // the GP's slope between its last two resolved widths against the predicted one
    let (mut last_agree, mut last_apart) = (Vec::new(), Vec::new());
    for sl in r.slopes.iter().filter(|sl| sl.form == DensityForm::Edgeworth && sl.order == DensityOrder::Gaussian) {
        let [.., w0, w1] = sl.widths[..] else { continue };
        let Some((slope, err, Some(predicted))) = step(&sl.network, sl.order, w0, w1) else { continue };
        if (slope - predicted).abs() <= AGREE_Z * err {
            last_agree.push(format!(
                "{} ({} ± {}, predicted {}, N = {w0} to {w1})",
                sl.network,
                sig(slope),
                sig(err),
                sig(predicted)
            ));
        } else {
            let second = edgeworth
                .iter()
                .find(|d| d.row.network == sl.network && d.row.order == DensityOrder::Second && d.row.width == w0)
                .map_or_else(|| "-".to_string(), |d| sig(d.row.distance.distance));
            last_apart.push(format!(
                "{} ({} ± {}, predicted {}, N = {w0} to {w1}; its order-1/N² distance at N = {w0} is {second})",
                sl.network,
                sig(slope),
                sig(err),
                sig(predicted)
            ));
        }
    }
    // where the predicted local slope settles within SETTLED of the asymptotic one
    let mut settled: Vec<String> = Vec::new();
    for net in &networks {
        let scan: Vec<&PredictedDistance> =
            r.predicted.iter().filter(|p| &p.network == net && p.order == DensityOrder::Gaussian).collect();
        let off = |p: &&PredictedDistance| p.local_slope.is_none_or(|v| (v + 1.0).abs() > SETTLED);
        let from = scan.iter().rposition(off).map_or(0, |i| i + 1);
        settled.push(match scan.get(from) {
            Some(p) if from > 0 => format!("{net} from N = {} ({} to {})", p.width, scan[from - 1].width, p.width),
            _ => format!("{net} not within N <= {}", scan.last().map_or(0, |p| p.width)),
        });
    }
    let _ = writeln!(
        s,
        "\nThe interval contains the expected slope for: {}; the slope the action predicts at these widths (the \
         same weighted fit of the predicted distances) for: {}. `floor from N` is the width from which on the \
         distance is no longer resolved. The slope between successive resolved widths, with its standard error, \
         beside the one predicted, says how far these widths are from the asymptotic regime: {}.\n",
        or_none(&contains),
        or_none(&contains_predicted),
        local.join("; ")
    );
    let _ = writeln!(
        s,
        "Why the GP's slope need not be -1 at these widths: the density's difference from the GP is a 1/N term (κ4 He4) \
         plus a 1/N² term (κ6 He6, κ4² He8); the χ² distance squares their sum, and their cross term, which \
         vanishes on the whole plane (Hermite polynomials of different degree are orthogonal in the Gaussian \
         weight), survives on the window |z| <= 4: the local slope approaches -1 only at the rate 1/N. From the \
         action alone out to N = {} (`action_density_predicted.parquet`), the GP's predicted local slope comes \
         within {SETTLED} of -1 for good: {}. Between the last two widths the measured GP slope agrees with the predicted one within {AGREE_Z} standard errors for: {}; not for: {}, where orders beyond 1/N² still shape the distance. For order 1/N the prediction is its distance's leading term alone, \
         `D(q_1, q_2)`, which falls as N⁻² (the next term needs the order-1/N³ density, hence κ8): \
         the measured slope's difference from -2 at these widths is that next term.\n",
        r.predicted.iter().map(|p| p.width).max().unwrap_or(0),
        settled.join("; "),
        or_none(&last_agree),
        or_none(&last_apart)
    );
    // negative mass
    let failed: Vec<String> = edgeworth
        .iter()
        .filter(|d| d.row.order != DensityOrder::Gaussian && d.row.negative_mass.is_some_and(|m| m > NEGATIVE_NOTED))
        .map(|d| format!("{} N = {} {} ({})", d.row.network, d.row.width, d.row.order.name(), opt(d.row.negative_mass)))
        .collect();
    let exp_not_normalisable =
        r.densities.iter().filter(|d| d.row.form == DensityForm::Exponential && !d.row.normalisable).count();
    let exp_total = r.densities.iter().filter(|d| d.row.form == DensityForm::Exponential).count();
    let _ = writeln!(
        s,
        "The Edgeworth series is asymptotic: its density is negative on a mass above {} (∫ max(-p, 0) over |z| <= 8) \
         at {}. `exp(-S)` itself is not normalisable on the plane in {exp_not_normalisable} of {exp_total} \
         (network, N, order) (rows with form `exp(-S)`, normalised on the window only).\n",
        sig(NEGATIVE_NOTED),
        or_none(&failed),
    );
    s.push_str(&figure("action-distance", "density distance against the width, per order"));
    if let Some(map) = r.maps.first() {
        let levels = DENSITY_LEVELS.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            s,
            "The densities themselves at N = {}: per network, the measured density's contours (the histogram of the \
             {}×{} bins of the window, through the bin centres) beside each order's Edgeworth density's contours at \
             the same levels, {levels} of the largest measured bin probability.\n",
            map.width, map.window.bins, map.window.bins,
        );
        s.push_str(&figure(
            "action-density",
            "contours of the measured and predicted densities, per network and order",
        ));
    }
    s.push_str(&locality_section(&r.locality));
    s
}

/// The share of `Σ s_4²` in the tuples with every leg on a smooth mode (`λ_p / λ_1 >=`
/// [`ROUGH_MODE_RATIO`]) on the locality grid; 0 if every mode is rough.
fn smooth_share(l: &NetworkLocality) -> f64 {
    let smooth = l.modes.len().saturating_sub(l.coupling.rough_modes);
    l.modes.get(smooth.wrapping_sub(1)).map_or(0.0, |m| m.cumulative_share)
}

/// `(max − min) / mean` of `λ0` over the grids of the refinement.
fn lambda0_spread(l: &NetworkLocality) -> f64 {
    let lambda0: Vec<f64> = l.grids().map(|g| g.lambda0).collect();
    let mean = lambda0.iter().sum::<f64>() / lambda0.len() as f64;
    let (lo, hi) = lambda0.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    (hi - lo) / mean.abs()
}

/// The cumulative share of `rows`' squared norm up to the spread `limit` (within rounding).
fn share_within(l: &NetworkLocality, limit: f64) -> f64 {
    l.profile.iter().take_while(|r| r.spread <= limit + 1e-9).last().map_or(0.0, |r| r.cumulative_share)
}

/// The locality of the quartic coupling per network and its diagonal against Table 5's `λ0`.
fn locality_section(locality: &[NetworkLocality]) -> String {
    let mut s = String::new();
    let Some(first) = locality.first() else { return s };
    let (h, lambda_cut) = (LOCALITY_SPACING, first.coupling.cutoff);
    let _ = writeln!(s, "### Locality of the quartic coupling\n");
    let _ = writeln!(
        s,
        "On {LOCALITY_POINTS} points spaced h = {h} apart, x from {} to {} (half the kernels' length scale; denser \
         grids make the condition number of the Cos-net's Gaussian kernel explode; it is `condition number` \
         below), the quartic coupling `s_4` of the action at order 1/N, from the exact G2 and κ4 (at this order its shares do not depend on N, and its size falls as \
         1/N). The share of its squared norm `Σ s_4²` (over ordered index tuples) whose four points lie within a \
         spread (largest distance between two of them) of 0 (the diagonal), h and 2h; every spread: \
         `action_locality.parquet`.\n",
        sig(-(LOCALITY_POINTS as f64 - 1.0) / 2.0 * h),
        sig((LOCALITY_POINTS as f64 - 1.0) / 2.0 * h),
    );
    let _ = writeln!(s, "| network | N | on the diagonal | spread <= h | spread <= 2h | spread of the largest share |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for l in locality {
        let top = l.profile.iter().max_by(|a, b| a.norm_share.total_cmp(&b.norm_share)).map_or(f64::NAN, |r| r.spread);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            l.coupling.network.name(),
            l.coupling.width,
            sig(share_within(l, 0.0)),
            sig(share_within(l, h)),
            sig(share_within(l, 2.0 * h)),
            sig(top),
        );
    }
    let at_diagonal: Vec<&str> = locality
        .iter()
        .filter(|l| l.profile.first().is_some_and(|d| l.profile.iter().all(|r| r.norm_share <= d.norm_share)))
        .map(|l| l.coupling.network.name())
        .collect();
    let _ = writeln!(
        s,
        "\nThe largest share sits on the diagonal for: {}; for the others at the spread the last column names.",
        if at_diagonal.is_empty() { "none".to_string() } else { at_diagonal.join(", ") }
    );
    let _ = writeln!(
        s,
        "\nThe best constant local coupling against the tensor's diagonal, both in Table 5's convention \
         (`ΔG4 = λ T0`; the action's local term is `−λ ∫ f⁴`, so `s_4[iiii] = −24 h λ` for a local coupling \
         discretised on the grid as `h Σ_i`): `λ0` is Table 5's model M1 fitted under MSE to the exact κ4 on every \
         multiset of the grid, with `T0 = 24 ∫ Π_a K_g(x, x_a)` over [-Λ, Λ], Λ = {} (the interval the grid's \
         cells cover; Table 5's own Λ = 100 would integrate far outside the grid), and `M1 MAPE` its error on the \
         grid; `λ_diag = −s_4[iiii] / (24 h)` per grid point. A local action with a constant coupling (and σ_b = 0, \
         where `K_g = K`) would make them agree up to the grid's quadrature of T0 and put all of the norm on the \
         diagonal. Both fall as 1/N, so the ratio does not depend on N. Rows: `action_local_coupling.parquet`.\n",
        sig(lambda_cut),
    );
    let _ = writeln!(
        s,
        "| network | N | condition number | λ0 (M1, MSE) | M1 MAPE (%) | λ_diag mean | λ_diag range | λ_diag mean / λ0 |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for l in locality {
        let c = &l.coupling;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | [{}, {}] | {} |",
            c.network.name(),
            c.width,
            sig(c.condition_number),
            sig(c.lambda0),
            sig(c.lambda0_mape),
            sig(c.diagonal_mean()),
            sig(c.diagonal_min()),
            sig(c.diagonal_max()),
            sig(c.diagonal_mean() / c.lambda0),
        );
    }
    s.push('\n');
    s.push_str(&modes_section(locality));
    s
}

/// Why the diagonal is so large: the coupling in the eigenmodes of `G2`, its growth as the grid
/// is refined, and the coupling a resolution of `m` modes can compare with `λ0`.
fn modes_section(locality: &[NetworkLocality]) -> String {
    let mut s = String::new();
    let Some(first) = locality.first() else { return s };
    let grids = LOCALITY_REFINEMENT.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        s,
        "Why `λ_diag` is so large. In the eigenbasis of G2 (`G2 = Σ_p λ_p φ_p φ_pᵀ`, λ_1 largest) the coupling is \
         `s̃_4(pqrs) = −κ̃4(pqrs) / (λ_p λ_q λ_r λ_s)`, and `γ_p = κ̃4(pppp) / λ_p²` is the excess kurtosis of the \
         mode's amplitude `φ_p · f`: the expansion parameter of the order-1/N action along that mode. The smooth \
         kernels' smallest modes alternate from point to point (rough, on the grid's scale); `rough` below counts \
         those with `λ_p / λ_1 < {:e}`; `smooth modes alone` is the share of `Σ s_4²` in the index tuples with every leg \
         on the other, smooth modes (the rest has a leg on a rough one). \
         `β` is the fitted growth `γ_p ∝ (λ_p / λ_1)^(−β)` over the rough modes (`β = 0` would leave the factor \
         `1/λ²` alone, `β = 1` is a mode carried by rare neurons). `α` is the growth of `λ_diag mean / λ0` with the \
         condition number when the same interval [-{}, {}] is covered by P = {grids} points (h = 2Λ/P), a least-squares \
         power law with its 95% interval; `λ0 spread` is the relative range of λ0 over those grids. Rows: \
         `action_local_modes.parquet` (per mode), `action_local_coupling.parquet` (per grid).\n",
        ROUGH_MODE_RATIO,
        sig(first.coupling.cutoff),
        sig(first.coupling.cutoff),
    );
    let _ = writeln!(
        s,
        "| network | N | rough modes | smooth modes alone | λ_min / λ_1 | γ of the smallest mode | β (95%) | α (95%) | λ0 spread |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    let interval = |f: &nnqft_stats::PowerLawFit, sign: f64| {
        let (a, b) = (sign * f.slope_lo, sign * f.slope_hi);
        format!("{} [{}, {}]", sig(sign * f.slope), sig(a.min(b)), sig(a.max(b)))
    };
    for l in locality {
        let c = &l.coupling;
        let last = l.modes.last();
        let _ = writeln!(
            s,
            "| {} | {} | {} of {} | {} | {} | {} | {} | {} | {} |",
            c.network.name(),
            c.width,
            c.rough_modes,
            l.modes.len(),
            sig(smooth_share(l)),
            sig(last.map_or(f64::NAN, |m| m.eigenvalue_ratio)),
            sig(last.map_or(f64::NAN, |m| m.excess_kurtosis)),
            l.kurtosis_growth().map_or_else(|_| "-".into(), |f| interval(&f, -1.0)),
            l.ratio_growth().map_or_else(|_| "-".into(), |f| interval(&f, 1.0)),
            sig(lambda0_spread(l)),
        );
    }
    let most_smooth = locality.iter().map(smooth_share).fold(0.0, f64::max);
    let lambda0_spread = locality.iter().map(lambda0_spread).fold(0.0, f64::max);
    let unresolved: Vec<String> = locality
        .iter()
        .filter_map(|l| l.modes.last().filter(|m| m.excess_kurtosis > 1.0).map(|m| (l, m)))
        .map(|(l, m)| {
            format!(
                "{} (γ_k = {}, N γ_k = {})",
                l.coupling.network.name(),
                sig(m.excess_kurtosis),
                sig(l.coupling.width as f64 * m.excess_kurtosis)
            )
        })
        .collect();
    let alphas: Vec<f64> = locality.iter().filter_map(|l| l.ratio_growth().ok().map(|f| f.slope)).collect();
    let (alpha_lo, alpha_hi) =
        alphas.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let _ = writeln!(
        s,
        "\nSo all but {} of the tensor's squared norm, in every network, has a leg on a rough mode, and the diagonal \
         is carried by the smallest mode, `s̃_4(kkkk) = −γ_k / λ_k²`: the factor `1/λ_k²` is the condition number \
         squared (in units of λ_1), and γ_k grows as λ_k falls. Refining the grid over the same interval moves λ0 by \
         at most {} (relative) and multiplies `λ_diag / λ0` by cond^α, α from {} to {}: the diagonal has no continuum \
         limit (the inverse of a smooth kernel, as an operator, is not a function). It is the exact order-1/N \
         coefficient of the grid's action, not a wrong normalisation (a local coupling put in comes back exactly, in \
         this convention, through every number of modes; erf's rough-mode cumulants agree with an independent \
         quadrature: the tests of `nnqft_study::action_modes`), but it measures how κ4's rough components are \
         amplified by four inverse kernels, not a local coupling. Along the smallest mode the order-1/N action is not \
         a small correction to the GP at N = {} where γ_k > 1: {} (it would be from a width of about N γ_k on).\n",
        sig(most_smooth),
        sig(lambda0_spread),
        sig(alpha_lo),
        sig(alpha_hi),
        first.coupling.width,
        if unresolved.is_empty() { "none".to_string() } else { unresolved.join(", ") },
    );
    let _ = writeln!(
        s,
        "The coupling a finite resolution can set beside λ0: kept on the m largest modes (`K_m⁺ = Σ_(p<=m) φ_p φ_pᵀ / \
         λ_p` on every leg), the diagonal's mean divided by that of a local coupling seen through the same m modes \
         (`d_m = mean_i Σ_j P_m[ij]⁴`, `P_m` the projector on them), `λ_proj(m) = λ_diag^(m) / d_m`, which gives back \
         a local coupling exactly at every m. `m_γ` is the number of leading modes with γ_p < 1 (where the \
         order-1/N action is a small correction at N = {}). `λ0 T0` is the calibration: the same projection of \
         the best constant local coupling's own κ4 = λ0 T0 (M1's prediction, a continuum integral over [-Λ, Λ], \
         not the grid's quadrature) in place of the network's. Every m: `lambda_projected` and \
         `model_lambda_projected` in `action_local_modes.parquet`.\n",
        first.coupling.width,
    );
    let _ = writeln!(
        s,
        "| network | λ_proj / λ0 at m = 1 | m = 2 | m = 3 | m_γ | at m = m_γ | at m = {LOCALITY_POINTS} | λ0 T0's at m = m_γ | \
         λ0 T0's at m = {LOCALITY_POINTS} |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for l in locality {
        let ratio = |m: usize| {
            l.modes
                .get(m.wrapping_sub(1))
                .map_or_else(|| "-".into(), |r| sig(r.lambda_projected() / l.coupling.lambda0))
        };
        let model = |m: usize| {
            l.modes
                .get(m.wrapping_sub(1))
                .map_or_else(|| "-".into(), |r| sig(r.model_lambda_projected() / l.coupling.lambda0))
        };
        let m_gamma = l.perturbative_modes();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {m_gamma} | {} | {} | {} | {} |",
            l.coupling.network.name(),
            ratio(1),
            ratio(2),
            ratio(3),
            ratio(m_gamma),
            ratio(l.modes.len()),
            model(m_gamma),
            model(l.modes.len()),
        );
    }
    let (near, far): (Vec<&NetworkLocality>, Vec<&NetworkLocality>) = locality.iter().partition(|l| {
        let m = l.perturbative_modes();
        l.modes
            .get(m.wrapping_sub(1))
            .is_some_and(|r| (0.5..=2.0).contains(&(r.lambda_projected() / r.model_lambda_projected())))
    });
    let names = |v: &[&NetworkLocality]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().map(|l| l.coupling.network.name()).collect::<Vec<_>>().join(", ")
        }
    };
    let model_full: Vec<String> = locality
        .iter()
        .filter_map(|l| {
            l.modes.last().map(|r| {
                format!("{} {}", l.coupling.network.name(), sig(r.model_lambda_projected() / l.coupling.lambda0))
            })
        })
        .collect();
    let _ = writeln!(
        s,
        "\nThe network's λ_proj within a factor 2 of the calibration's on its m_γ modes: {}; farther: {} (there κ4 is \
         not of the local form `λ T0` on the smooth modes either: M1's MAPE above). The calibration itself departs \
         from 1 where σ_b ≠ 0: T0 carries `K_g = K − σ_b²` on its legs while the action amputates with K. Even κ4 = λ0 T0, local in \
         the continuum, has with every mode kept a grid diagonal `λ_proj(16) / λ0` of {}: its components on the rough \
         modes, small for a tensor smooth in its points but not zero (and holding whatever error the T0 integrals \
         carry, quadrature and rounding), are amplified the same way, so the full grid's `λ_diag` could not tell a \
         local coupling from a non-local one.\n",
        names(&near),
        names(&far),
        if model_full.is_empty() { "-".to_string() } else { model_full.join(", ") },
    );
    s
}
