//! The paper's `m_n` (mean relative deviation from the GP over multisets) and its background.

use crate::error::{Result, StatsError};
use crate::summary::Summary;

fn same_len(what: &'static str, a: usize, b: usize) -> Result<()> {
    if a == b && a > 0 { Ok(()) } else { Err(StatsError::Shape { what, detail: format!("{a} vs {b}") }) }
}

/// `mean_i |values_i - reference_i| / |reference_i|`.
pub fn mean_relative_deviation(values: &[f64], reference: &[f64]) -> Result<f64> {
    same_len("values vs reference", values.len(), reference.len())?;
    Ok(values.iter().zip(reference).map(|(v, r)| (v - r).abs() / r.abs()).sum::<f64>() / values.len() as f64)
}

/// `m_n` of a summary against the GP prediction.
///
/// The paper's normalised deviation and background (Halverson, Maiti, Stoner, arXiv:2008.08601,
/// section 2):
///
/// - `m_n = mean over multisets of |G_exp - G_GP| / |G_GP|`, `G_exp` the mean over experiments;
/// - `background_n = mean over multisets of (std over experiments of G_exp) / |G_GP|`.
pub fn m_n(summary: &Summary, gp: &[f64]) -> Result<f64> {
    mean_relative_deviation(&summary.mean, gp)
}

/// `background_n = mean_i std_i / |G_GP,i|`.
pub fn background(summary: &Summary, gp: &[f64]) -> Result<f64> {
    same_len("summary vs gp", summary.std.len(), gp.len())?;
    Ok(summary.std.iter().zip(gp).map(|(s, g)| s / g.abs()).sum::<f64>() / gp.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        let s = Summary { mean: vec![1.1, 1.8], std: vec![0.1, 0.4], stderr: vec![0.0, 0.0] };
        let gp = [1.0, 2.0];
        assert!((m_n(&s, &gp).unwrap() - 0.1).abs() < 1e-12);
        assert!((background(&s, &gp).unwrap() - 0.15).abs() < 1e-12);
        assert!(m_n(&s, &[1.0]).is_err());
    }
}
