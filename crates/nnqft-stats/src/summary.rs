//! Means, standard deviations and standard errors over experiments, per item.

use crate::error::{Result, StatsError};

/// Per-item summary over experiments.
///
/// Means, standard deviations and standard errors over experiments. Data are
/// `experiments x items` matrices stored experiment-major (row `e` is experiment `e`).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Mean over experiments.
    pub mean: Vec<f64>,
    /// Sample standard deviation over experiments (`n - 1` in the denominator).
    pub std: Vec<f64>,
    /// Standard error of the mean: `std / sqrt(experiments)`.
    pub stderr: Vec<f64>,
}

/// Summarises an experiment-major `experiments x items` matrix; at least 2 experiments.
pub fn summarize(data: &[f64], experiments: usize) -> Result<Summary> {
    if experiments < 2 {
        return Err(StatsError::TooFew { what: "a standard deviation over experiments", need: 2, got: experiments });
    }
    if data.is_empty() || !data.len().is_multiple_of(experiments) {
        return Err(StatsError::Shape {
            what: "experiment matrix",
            detail: format!("{} values for {experiments} experiments", data.len()),
        });
    }
    let items = data.len() / experiments;
    let e = experiments as f64;
    let mut out =
        Summary { mean: Vec::with_capacity(items), std: Vec::with_capacity(items), stderr: Vec::with_capacity(items) };
    for i in 0..items {
        let col = (0..experiments).map(|k| data[k * items + i]);
        let mean = col.clone().sum::<f64>() / e;
        let var = col.map(|v| (v - mean) * (v - mean)).sum::<f64>() / (e - 1.0);
        out.mean.push(mean);
        out.std.push(var.sqrt());
        out.stderr.push((var / e).sqrt());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_items_three_experiments() {
        let s = summarize(&[1.0, 10.0, 2.0, 20.0, 3.0, 30.0], 3).unwrap();
        assert_eq!(s.mean, vec![2.0, 20.0]);
        assert!((s.std[0] - 1.0).abs() < 1e-15 && (s.std[1] - 10.0).abs() < 1e-14);
        assert!((s.stderr[0] - 1.0 / 3f64.sqrt()).abs() < 1e-15);
        assert!(summarize(&[1.0, 2.0], 1).is_err());
        assert!(summarize(&[1.0, 2.0, 3.0], 2).is_err());
    }
}
