//! Gaussian expectations over the multisets of an input set, grouped by their distinct points
//! so that those of one group share their innermost tables ([`TableCache`]), the groups spread
//! over the cores: the four-point moments of [`crate::FourPointVertex`] and the six-point and
//! gradient moments of [`crate::SixPointVertex`].

use crate::error::Result;
use crate::gaussian::TableCache;
use crate::monitor::{Monitor, parallel_map};
use crate::multiset::Multisets;

/// The positions of the multisets grouped by their distinct points: the Gaussian expectations
/// of one group are over the same covariance and share their innermost tables.
pub(crate) fn by_distinct_points(sets: &Multisets) -> Vec<Vec<usize>> {
    let mut groups: std::collections::BTreeMap<Vec<u8>, Vec<usize>> = std::collections::BTreeMap::new();
    for (pos, s) in sets.iter().enumerate() {
        let mut key = s.to_vec();
        key.sort_unstable();
        key.dedup();
        groups.entry(key).or_default().push(pos);
    }
    groups.into_values().collect()
}

/// `f(pos, cache)` at every position `0..n`, one group of [`by_distinct_points`] at a time with a
/// fresh [`TableCache`] (groups spread over the cores by [`parallel_map`], which asks `monitor`
/// before each; the cache only reuses tables, bit for bit, so the values do not depend on the
/// grouping or the number of threads).
pub(crate) fn grouped_map<T: Clone + Default + Send>(
    groups: &[Vec<usize>],
    n: usize,
    monitor: &dyn Monitor,
    f: impl Fn(usize, &mut TableCache) -> T + Sync,
) -> Result<Vec<T>> {
    let parts = parallel_map(groups.len(), monitor, |g| {
        let mut cache = TableCache::default();
        groups[g].iter().map(|&pos| f(pos, &mut cache)).collect::<Vec<T>>()
    })?;
    let mut out = vec![T::default(); n];
    for (group, values) in groups.iter().zip(parts) {
        for (&pos, v) in group.iter().zip(values) {
            out[pos] = v;
        }
    }
    Ok(out)
}
