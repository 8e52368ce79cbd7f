//! The rows of `correlators.parquet` as Python tables: the library's
//! [`CorrelatorColumns`] (what `nnqft sample` writes) and [`CorrelatorKeys`] (one row per
//! order `n` in 2, 4, 6 and multiset of input indices, keyed by `network`, `d_in`, `n` and
//! `indices`, e.g. `"0,0,1,3"`) turned into [`Table`]s with the Parquet reports' column
//! names. No row is built here.

use crate::table::Table;
use nnqft_study::scaling::{CorrelatorColumns, CorrelatorKeys};

/// A table starting with `network`, `d_in`, then `width` if given (the same value in every
/// row), `n` and `indices`.
pub fn keys_table(keys: CorrelatorKeys, width: Option<usize>) -> Table {
    let len = keys.len();
    let table = Table::default().text("network", keys.network).int("d_in", keys.d_in);
    let table = match width {
        Some(w) => table.int("width", vec![w as i64; len]),
        None => table,
    };
    table.int("n", keys.n).text("indices", keys.indices)
}

/// The columns of `correlators.parquet`, in its order; a missing `connected_leading_order` or
/// `g_exact` is NaN. With `per_experiment`, a last column `g_experiments`: each row's values
/// of the experiments (what `g_mean` and `g_stderr` summarise; `nnqft sample --per-experiment`
/// writes them as `correlators_experiments.parquet`).
pub fn correlators_table(c: CorrelatorColumns, per_experiment: bool) -> Table {
    let experiments = c.g_experiments;
    let table = Table::default()
        .text("network", c.network)
        .int("d_in", c.d_in)
        .int("depth", c.depth)
        .int("width", c.width)
        .text("widths", c.widths)
        .int("n", c.n)
        .text("indices", c.indices)
        .text("outputs", c.outputs)
        .text("estimator", c.estimator)
        .real("g_mean", c.g_mean)
        .real("g_stderr", c.g_stderr)
        .real("g_std_experiments", c.g_std_experiments)
        .real("g_gp", c.g_gp)
        .optional_real("shift_leading_order", c.shift_leading_order)
        .optional_real("connected_leading_order", c.connected_leading_order)
        .optional_real("g_exact", c.g_exact);
    if per_experiment { table.arrays("g_experiments", experiments) } else { table }
}

/// The three orders' values in row order.
pub fn flatten(values: &[Vec<f64>; 3]) -> Vec<f64> {
    values.iter().flatten().copied().collect()
}
