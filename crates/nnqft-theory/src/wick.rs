//! Wick contractions: the perfect matchings of `n` points and the Gaussian (free-field)
//! correlator `G_GP(n) = sum over matchings of prod K(x_a, x_b)` (slides, "Experimental
//! Verification of NNGP"): 3 matchings for `n = 4`, 15 for `n = 6`, `(n-1)!!` in general.

use crate::error::{Result, TheoryError};
use crate::multiset::Multisets;

/// All perfect matchings of `0..n` (`n` even), each as `n/2` pairs `(a, b)` with `a < b`.
pub fn perfect_matchings(n: usize) -> Result<Vec<Vec<(usize, usize)>>> {
    if !n.is_multiple_of(2) || n == 0 {
        return Err(TheoryError::OutOfRange {
            field: "order n",
            value: n.to_string(),
            allowed: "an even integer >= 2",
        });
    }
    let mut out = Vec::new();
    let mut cur = Vec::with_capacity(n / 2);
    let free: Vec<usize> = (0..n).collect();
    matchings_rec(&free, &mut cur, &mut out);
    Ok(out)
}

fn matchings_rec(free: &[usize], cur: &mut Vec<(usize, usize)>, out: &mut Vec<Vec<(usize, usize)>>) {
    let Some((&first, rest)) = free.split_first() else {
        out.push(cur.clone());
        return;
    };
    for (i, &partner) in rest.iter().enumerate() {
        cur.push((first, partner));
        let remaining: Vec<usize> = rest.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, &v)| v).collect();
        matchings_rec(&remaining, cur, out);
        cur.pop();
    }
}

/// Precomputed Wick sums over every multiset of one even order: for each multiset and each
/// matching, the flat indices `a * m + b` of the kernel entries to multiply.
#[derive(Debug, Clone)]
pub struct WickTable {
    m: usize,
    pairs_per_term: usize,
    terms_per_multiset: usize,
    entries: Vec<u16>,
}

impl WickTable {
    /// Builds the table for all multisets of `multisets` (order must be even).
    pub fn new(multisets: &Multisets) -> Result<Self> {
        let n = multisets.order();
        let m = multisets.points();
        let matchings = perfect_matchings(n)?;
        let mut entries = Vec::with_capacity(multisets.len() * matchings.len() * n / 2);
        for ms in multisets.iter() {
            for mt in &matchings {
                for &(a, b) in mt {
                    entries.push((ms[a] as usize * m + ms[b] as usize) as u16);
                }
            }
        }
        Ok(Self { m, pairs_per_term: n / 2, terms_per_multiset: matchings.len(), entries })
    }

    /// Number of multisets covered.
    pub fn len(&self) -> usize {
        self.entries.len() / (self.pairs_per_term * self.terms_per_multiset)
    }
    /// Never empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds `weight * Wick(cov)` for every multiset to `sums`; `cov` is the row-major
    /// `m x m` covariance.
    #[inline]
    pub fn accumulate(&self, cov: &[f64], weight: f64, sums: &mut [f64]) {
        debug_assert_eq!(cov.len(), self.m * self.m);
        let block = self.pairs_per_term * self.terms_per_multiset;
        for (s, chunk) in sums.iter_mut().zip(self.entries.chunks_exact(block)) {
            let mut total = 0.0;
            for term in chunk.chunks_exact(self.pairs_per_term) {
                total += term.iter().map(|&e| cov[e as usize]).product::<f64>();
            }
            *s += weight * total;
        }
    }

    /// The Wick sum for every multiset, as a new vector.
    pub fn evaluate(&self, cov: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.len()];
        self.accumulate(cov, 1.0, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_counts_are_double_factorials() {
        assert_eq!(perfect_matchings(2).unwrap().len(), 1);
        assert_eq!(perfect_matchings(4).unwrap().len(), 3);
        assert_eq!(perfect_matchings(6).unwrap().len(), 15);
        assert_eq!(perfect_matchings(8).unwrap().len(), 105);
        assert!(perfect_matchings(5).is_err());
        assert!(perfect_matchings(0).is_err());
    }

    #[test]
    fn gaussian_moments_of_one_point() {
        // E[f^4] = 3 s^2, E[f^6] = 15 s^3 for one point of variance s.
        let cov = [2.0];
        for (n, expect) in [(4, 12.0), (6, 120.0)] {
            let t = WickTable::new(&Multisets::new(1, n).unwrap()).unwrap();
            assert!((t.evaluate(&cov)[0] - expect).abs() < 1e-12);
        }
    }
}
