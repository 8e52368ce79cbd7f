//! Shards: which work items of an ensemble shard `K` of `N` runs (`(i + r) mod N = K`).

use crate::ensemble::ItemSums;
use crate::error::{Result, SamplingError};

/// Shard `index` of `count` (0-based), validated: `count >= 1`, `index < count`.
///
/// Shards: splitting an ensemble's work items across machines, merged bit for bit.
///
/// An ensemble is a fixed grid of `experiments x chunks` work items, item
/// `i = experiment * chunks + chunk`, each with its own generator ([`crate::seed`]); its result
/// is the ordered compensated merge of the items' sums. Shard `K` of `N` (0-based) owns
/// the items `{ i : (i + r) mod N = K }`, where the *rotation* `r` is chosen per ensemble
/// by the caller (xtask uses the FNV-1a hash of the ensemble's name), so that ensembles with
/// fewer items than shards still land on different shards. Every shard of every ensemble
/// gets `floor(items / N)` or `ceil(items / N)` items, consecutive items go to consecutive
/// shards, and the `N` shards together own every item exactly once.
///
/// A shard runs its items with [`Ensemble::run_items`](crate::Ensemble::run_items) and
/// keeps their [`ItemSums`]; [`Ensemble::merge_items`](crate::Ensemble::merge_items) turns
/// the sums of all items, gathered from every shard, into the
/// [`EnsembleResult`](crate::EnsembleResult) by the same merge that
/// [`Ensemble::run`](crate::Ensemble::run) uses, so a merged run is bit-identical to an
/// unsharded one for any `N` and any machine
/// (the kernels give the same bits with and without AVX2).
///
/// ```
/// use nnqft_sampling::{Ensemble, Estimator, ItemSums, Shard};
/// use nnqft_theory::{Activation, InputSet, Network};
/// # fn main() -> nnqft_sampling::Result<()> {
/// let net = Network::paper(Activation::Erf, 1)?;
/// let ens = Ensemble::new(net, 5, InputSet::scaling(Activation::Erf, 1)?, 5000, 3, Estimator::Raw, 7)?;
/// let total = ens.work_items();
/// let mut sums: Vec<Option<ItemSums>> = vec![None; total as usize];
/// for k in 0..2 {
///     let shard = Shard::new(k, 2)?;
///     let items = shard.items(total, 11);
///     for (i, s) in items.iter().zip(ens.run_items(&items, 1, &|_| {})?) {
///         sums[*i as usize] = Some(s);
///     }
/// }
/// let sums: Vec<ItemSums> = sums.into_iter().flatten().collect();
/// assert_eq!(ens.merge_items(&sums)?, ens.run(2)?);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// Shard `index` of `count`: `count >= 1` and `0 <= index < count`.
    pub fn new(index: u64, count: u64) -> Result<Self> {
        if count == 0 {
            return Err(SamplingError::OutOfRange {
                field: "shard count N",
                value: "0".into(),
                allowed: "an integer >= 1",
            });
        }
        if index >= count {
            return Err(SamplingError::OutOfRange {
                field: "shard index K",
                value: format!("{index} (of N = {count})"),
                allowed: "0 to N - 1 (0-based)",
            });
        }
        Ok(Self { index, count })
    }

    /// Parses `K/N`, e.g. `2/4` (0-based `K`).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || SamplingError::OutOfRange {
            field: "shard",
            value: text.into(),
            allowed: "K/N with integers 0 <= K < N, e.g. 0/4",
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k = k.trim().parse::<u64>().map_err(|_| bad())?;
        let n = n.trim().parse::<u64>().map_err(|_| bad())?;
        Self::new(k, n)
    }

    /// The shard index `K`.
    pub fn index(self) -> u64 {
        self.index
    }

    /// The number of shards `N`.
    pub fn count(self) -> u64 {
        self.count
    }

    /// Whether this shard owns work item `item` of an ensemble with rotation `rotation`:
    /// `(item + rotation) mod N == K`.
    pub fn owns(self, item: u64, rotation: u64) -> bool {
        (item % self.count + rotation % self.count) % self.count == self.index
    }

    /// The items among `0..work_items` that this shard owns, ascending.
    pub fn items(self, work_items: u64, rotation: u64) -> Vec<u64> {
        let first = (self.index + self.count - rotation % self.count) % self.count;
        (first..work_items).step_by(self.count as usize).collect()
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl ItemSums {
    /// Sums read back from storage: `sums[o]` (and `squares[o]` if tracked) for order
    /// `2 (o + 1)`, one value per multiset. Checked against the ensemble by
    /// [`crate::Ensemble::merge_items`].
    pub fn new(sums: [Vec<f64>; 3], squares: Option<[Vec<f64>; 3]>) -> Self {
        Self { sums, squares }
    }

    /// The item's sums of the estimator over its nets, per order (n = 2, 4, 6) and multiset.
    pub fn sums(&self) -> &[Vec<f64>; 3] {
        &self.sums
    }

    /// The item's sums of squares, if the ensemble tracks variances.
    pub fn squares(&self) -> Option<&[Vec<f64>; 3]> {
        self.squares.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_every_item_once_and_evenly() {
        for count in 1..=9u64 {
            for total in [0u64, 1, 4, 7, 250, 251] {
                for rotation in [0u64, 3, 17, u64::MAX] {
                    let mut owner = vec![None; total as usize];
                    for k in 0..count {
                        let shard = Shard::new(k, count).unwrap();
                        let items = shard.items(total, rotation);
                        assert!(items.len() as u64 >= total / count && items.len() as u64 <= total.div_ceil(count));
                        for i in items {
                            assert!(shard.owns(i, rotation));
                            assert_eq!(owner[i as usize].replace(k), None, "item {i} twice");
                        }
                    }
                    assert!(owner.iter().all(Option::is_some), "N={count} items={total} r={rotation}");
                }
            }
        }
    }

    #[test]
    fn parse_names_the_field_and_range() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard::new(2, 4).unwrap());
        assert_eq!(Shard::parse("0/1").unwrap().to_string(), "0/1");
        for (text, needle) in [("4/4", "shard index K"), ("0/0", "shard count N"), ("a/4", "K/N"), ("3", "K/N")] {
            let e = Shard::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
