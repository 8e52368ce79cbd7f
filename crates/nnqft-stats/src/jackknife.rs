//! Delete-one jackknife standard errors of statistics of the means over experiments.

use crate::error::{Result, StatsError};

/// The jackknife standard error of `statistic` over experiments.
///
/// `data` is an experiment-major `experiments x items` matrix (row `e` is experiment `e`), as
/// for [`summarize`](crate::summarize); `statistic` maps a vector of item means to a number
/// and may fail with the caller's error type. At least 2 experiments.
///
/// Delete-one jackknife over experiments: the standard error of any statistic of the
/// per-item means, such as the paper's `m_n`, which is not itself a mean over experiments.
///
/// # Formula
///
/// With `k` experiments and `theta(mean)` a statistic of the item means, let
/// `theta_(e) = theta(mean without experiment e)` and `theta_(.)` their average. Then
///
/// ```text
/// se_jack = sqrt( ((k − 1) / k) Σ_e (θ₍ₑ₎ − θ₍.₎)² ),
/// ```
///
/// which for `theta` = one item's mean is exactly the usual `std / sqrt(k)` (Efron and Stein,
/// Ann. Statist. 9 (1981) 586; Efron, *The Jackknife, the Bootstrap and Other Resampling
/// Plans*, SIAM 1982, ch. 2). Items measured on the same nets are correlated; the jackknife
/// keeps that correlation, where adding the items' standard errors in quadrature would not.
pub fn jackknife_stderr<E, F>(data: &[f64], experiments: usize, mut statistic: F) -> std::result::Result<f64, E>
where
    E: From<StatsError>,
    F: FnMut(&[f64]) -> std::result::Result<f64, E>,
{
    let items = shape(data, experiments)?;
    let k = experiments as f64;
    let mut total = vec![0.0; items];
    for row in data.chunks_exact(items) {
        for (t, v) in total.iter_mut().zip(row) {
            *t += v;
        }
    }
    let mut leave_one_out = Vec::with_capacity(experiments);
    let mut means = vec![0.0; items];
    for row in data.chunks_exact(items) {
        for ((m, t), v) in means.iter_mut().zip(&total).zip(row) {
            *m = (t - v) / (k - 1.0);
        }
        leave_one_out.push(statistic(&means)?);
    }
    Ok(jackknife_from_replicates(&leave_one_out))
}

/// The delete-one jackknife standard error from the leave-one-out replicates `θ₍ₑ₎` of a
/// statistic (one per experiment, at least 2; NaN with fewer):
/// `sqrt(((k − 1) / k) Σ_e (θ₍ₑ₎ − θ₍.₎)²)`, as in [`jackknife_stderr`], for statistics whose
/// replicates the caller computes directly (e.g. U-statistics over experiments).
pub fn jackknife_from_replicates(leave_one_out: &[f64]) -> f64 {
    let k = leave_one_out.len() as f64;
    if leave_one_out.len() < 2 {
        return f64::NAN;
    }
    let centre = leave_one_out.iter().sum::<f64>() / k;
    let ss: f64 = leave_one_out.iter().map(|t| (t - centre) * (t - centre)).sum();
    ((k - 1.0) / k * ss).sqrt()
}

fn shape(data: &[f64], experiments: usize) -> Result<usize> {
    if experiments < 2 {
        return Err(StatsError::TooFew { what: "a jackknife over experiments", need: 2, got: experiments });
    }
    if data.is_empty() || !data.len().is_multiple_of(experiments) {
        return Err(StatsError::Shape {
            what: "experiment matrix",
            detail: format!("{} values for {experiments} experiments", data.len()),
        });
    }
    Ok(data.len() / experiments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mean_relative_deviation, summarize};

    /// Agreement of the jackknife with closed forms: rounding only.
    const EXACT: f64 = 1e-12;

    #[test]
    fn one_mean_gives_the_usual_standard_error() {
        let data = [1.0, 10.0, 2.0, 20.0, 4.0, 30.0, 7.0, 45.0];
        let s = summarize(&data, 4).unwrap();
        for item in 0..2 {
            let se = jackknife_stderr(&data, 4, |m| Ok::<_, StatsError>(m[item])).unwrap();
            assert!((se - s.stderr[item]).abs() < EXACT * s.stderr[item], "{se} vs {}", s.stderr[item]);
        }
    }

    #[test]
    fn linear_statistics_add_with_their_correlation() {
        // theta = m0 + m1: the jackknife gives the standard error of the per-experiment sums,
        // which includes the covariance of the two items
        let data = [1.0, 10.0, 2.0, 20.0, 4.0, 30.0, 7.0, 45.0];
        let sums: Vec<f64> = data.chunks(2).map(|r| r[0] + r[1]).collect();
        let expected = summarize(&sums, 4).unwrap().stderr[0];
        let se = jackknife_stderr(&data, 4, |m| Ok::<_, StatsError>(m[0] + m[1])).unwrap();
        assert!((se - expected).abs() < EXACT * expected);
    }

    #[test]
    fn m_n_standard_error_is_positive_and_shrinks_with_the_spread() {
        let gp = [1.0, 2.0];
        let wide = [1.2, 2.5, 0.9, 1.6, 1.4, 2.9, 1.0, 2.2];
        let narrow: Vec<f64> = wide.iter().zip(gp.iter().cycle()).map(|(v, g)| g + 0.1 * (v - g)).collect();
        let se = |d: &[f64]| jackknife_stderr(d, 4, |m| mean_relative_deviation(m, &gp)).unwrap();
        assert!(se(&wide) > 0.0 && se(&narrow) < se(&wide));
    }

    #[test]
    fn bad_shapes_are_errors() {
        let ok = |_: &[f64]| Ok::<_, StatsError>(0.0);
        assert!(jackknife_stderr(&[1.0, 2.0], 1, ok).is_err());
        assert!(jackknife_stderr(&[1.0, 2.0, 3.0], 2, ok).is_err());
        assert!(jackknife_stderr(&[], 2, ok).is_err());
    }
}
