//! `SUMMARY.md`: the tables a reader wants, with the paper's expectations beside ours.

use crate::scaling::{FitRow, ScalingRow};
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

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), sig)
}

/// The scaling section.
pub fn scaling_section(rows: &[ScalingRow], fits: &[FitRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## 1. Approach to the Gaussian process: N^-1 scaling (paper section 2)\n");
    let _ = writeln!(
        s,
        "Paper's expectation: `m_2` sits at the background at every width; `m_4` and `m_6` fall as `N^-1` \
         until they meet the background; the connected 6-pt function falls as `N^-2`. `exact` columns are the \
         exact finite-width values from nnqft-theory (no sampling noise). Columns: `m_n` measured, `bg` the \
         background (mean std over experiments / |G_GP|), `c6` = mean |connected 6-pt| / |G6_GP|.\n"
    );
    for (act, d, est) in crate::scaling::groups(rows) {
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
    }
    let _ = writeln!(s, "### Power-law fits (log10 quantity vs log10 N, widths where signal > 3x background)\n");
    let _ = writeln!(s, "| network | d | estimator | quantity | slope [95%] | R^2 | widths | exact slope | paper |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for f in fits {
        let q = if f.quantity == "m_n" { format!("m{}", f.n) } else { f.quantity.to_string() };
        let (slope, r2) = match &f.fit {
            Some(p) if p.slope_lo.is_finite() => {
                (format!("{:.3} [{:.3}, {:.3}]", p.slope, p.slope_lo, p.slope_hi), format!("{:.4}", p.r2))
            }
            Some(p) => (format!("{:.3} (2 widths: no interval)", p.slope), "-".into()),
            None => ("no fit (< 2 widths above 3x background)".into(), "-".into()),
        };
        let widths = if f.widths.is_empty() {
            "-".into()
        } else {
            f.widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",")
        };
        let paper = if f.n == 2 { "at background".to_string() } else { format!("{}", f.slope_expected) };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {q} | {slope} | {r2} | {widths} | {} | {paper} |",
            f.network.name(),
            f.d,
            f.estimator.name(),
            f.slope_exact.map_or_else(|| "-".into(), |v| format!("{v:.3}")),
        );
    }
    s
}
