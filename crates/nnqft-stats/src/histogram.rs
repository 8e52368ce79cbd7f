//! Histograms of values in equal bins, with the counts outside the range.

use crate::error::{Result, StatsError};

/// Counts of values in `bins` equal bins over `[lo, hi)`, with the values outside.
///
/// Equal-width histograms that keep what falls outside their range: counts below and above
/// are returned, never dropped, so a figure can say how many values it could not place.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Lower edge of the first bin.
    pub lo: f64,
    /// Bin width.
    pub width: f64,
    /// Count per bin.
    pub counts: Vec<usize>,
    /// Values below `lo`.
    pub below: usize,
    /// Values at or above `hi`.
    pub above: usize,
}

impl Histogram {
    /// Centre of bin `i`.
    pub fn centre(&self, i: usize) -> f64 {
        self.lo + (i as f64 + 0.5) * self.width
    }

    /// Number of values counted, inside and outside the range.
    pub fn total(&self) -> usize {
        self.counts.iter().sum::<usize>() + self.below + self.above
    }
}

/// Bins `values` into `bins >= 1` equal bins over `[lo, hi)`, `lo < hi` finite; non-finite
/// values are an error (they have no place on either side).
pub fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> Result<Histogram> {
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(StatsError::Invalid { what: "histogram range (lo < hi, finite)", value: hi - lo });
    }
    if bins == 0 {
        return Err(StatsError::TooFew { what: "histogram bins", need: 1, got: 0 });
    }
    let width = (hi - lo) / bins as f64;
    let mut h = Histogram { lo, width, counts: vec![0; bins], below: 0, above: 0 };
    for &v in values {
        if !v.is_finite() {
            return Err(StatsError::Invalid { what: "histogram value", value: v });
        }
        if v < lo {
            h.below += 1;
        } else if v >= hi {
            h.above += 1;
        } else {
            // rounding can put a value just below hi into bin `bins`
            h.counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_inside_and_outside() {
        let h = histogram(&[-5.0, -1.0, -0.5, 0.0, 0.99, 1.0, 7.0], -1.0, 1.0, 2).unwrap();
        assert_eq!(h.counts, vec![2, 2]);
        assert_eq!((h.below, h.above, h.total()), (1, 2, 7));
        assert!((h.centre(0) + 0.5).abs() < 1e-15 && (h.centre(1) - 0.5).abs() < 1e-15);
        assert!(histogram(&[f64::NAN], -1.0, 1.0, 2).is_err());
        assert!(histogram(&[0.0], 1.0, 1.0, 2).is_err());
        assert!(histogram(&[0.0], -1.0, 1.0, 0).is_err());
    }
}
