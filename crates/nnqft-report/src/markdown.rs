//! How the Markdown reports write numbers and embed figures: 3 significant digits, a value
//! with its standard error, a z-score, a missing value as `-`, a figure under its table.

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

/// A prior `C_W` or `C_b`: as it is when whole (`2`, `0`), else to 6 decimals (GELU's critical
/// `1.983058`).
pub fn prior(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v}") } else { format!("{v:.6}") }
}

/// Embeds `figures/NAME.svg` (with a link to its PNG) under the table it illustrates.
pub fn figure(name: &str, alt: &str) -> String {
    format!("![{alt}](figures/{name}.svg)\n\nFigure: `figures/{name}.svg` ([PNG](figures/{name}.png)).\n\n")
}

/// A number to 3 significant digits, or `-` where it is missing.
pub fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), sig)
}

/// A z-score to one decimal, or `-` where it is undefined (a standard error of 0).
pub fn z_or_dash(z: f64) -> String {
    if z.is_finite() { format!("{z:.1}") } else { "-".into() }
}

/// A value with its standard error (`v ± e`), or the value alone where the error is missing or 0.
pub fn with_err(v: f64, e: Option<f64>) -> String {
    match e {
        Some(e) if e.is_finite() && e > 0.0 => format!("{} ± {}", sig(v), sig(e)),
        _ => sig(v),
    }
}
