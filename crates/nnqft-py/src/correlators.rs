//! The rows of `correlators.parquet` as Python tables: the library's [`CorrelatorKeys`] (one
//! row per order `n` in 2, 4, 6 and multiset of input indices, keyed by `network`, `d_in`, `n`
//! and `indices`, e.g. `"0,0,1,3"`) as the first columns of `nnqft.gp`'s table. The sampled
//! table itself is the library's (`CorrelatorColumns::into_table`, what `nnqft sample`
//! writes). No row is built here.

use nnqft_study::scaling::CorrelatorKeys;
use nnqft_study::table::Table;

/// A table of the keys `network`, `d_in`, `n` and `indices`.
pub fn keys_table(keys: CorrelatorKeys) -> Table {
    Table::new().str("network", keys.network).int("d_in", keys.d_in).int("n", keys.n).str("indices", keys.indices)
}

/// The three orders' values in row order.
pub fn flatten(values: &[Vec<f64>; 3]) -> Vec<f64> {
    values.iter().flatten().copied().collect()
}
