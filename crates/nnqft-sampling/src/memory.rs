//! Memory estimated before allocating: an ensemble's sums grow as the number of order-6
//! multisets of its `m` input points, $\binom{m+5}{6}$ (29 million at `m = 50`), once per
//! thread, per work item and per experiment. [`Ensemble::check_memory`](crate::Ensemble::check_memory)
//! compares the estimate with [`memory_limit`] and refuses a run that cannot fit, with both
//! numbers in the error, instead of aborting when an allocation fails.

/// The limit when the machine's available memory cannot be read: 16 GiB.
pub(crate) const FALLBACK_MEMORY_LIMIT: u64 = 16 << 30;

/// The memory a run may use: `MemAvailable` of `/proc/meminfo` where it can be read (Linux),
/// else 16 GiB.
pub fn memory_limit() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib.saturating_mul(1024))
        })
        .unwrap_or(FALLBACK_MEMORY_LIMIT)
}

/// Multisets of size `n` drawn from `m` points, $\binom{m+n-1}{n}$, saturating at `u64::MAX`.
pub fn multiset_count(m: u64, n: u64) -> u64 {
    let mut c: u128 = 1;
    for k in 0..n {
        // exact at every step: the running product of k+1 consecutive integers over (k+1)!
        c = c.saturating_mul(u128::from(m.saturating_add(k))) / u128::from(k + 1);
    }
    u64::try_from(c).unwrap_or(u64::MAX)
}

/// Bytes in a human unit, e.g. `1.5 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", units[u])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiset_counts_are_binomials_and_saturate() {
        assert_eq!(multiset_count(6, 2), 21);
        assert_eq!(multiset_count(6, 6), 462);
        assert_eq!(multiset_count(50, 6), 28_989_675); // C(55, 6)
        assert_eq!(multiset_count(u64::MAX / 2, 6), u64::MAX);
        assert_eq!(multiset_count(u64::MAX, 6), u64::MAX);
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
