//! The rows of `correlators.parquet`: one per order `n` in 2, 4, 6 and
//! multiset of input indices, in the multiset order of the library, keyed by `network`,
//! `d_in`, (`width`,) `n` and `indices` (e.g. `"0,0,1,3"`).

use crate::table::Table;
use nnqft_theory::{Multisets, Network};

/// The key columns of every row.
#[derive(Debug, Clone)]
pub struct Rows {
    network: Vec<String>,
    d_in: Vec<i64>,
    n: Vec<i64>,
    indices: Vec<String>,
}

impl Rows {
    /// One row per multiset of orders 2, 4, 6 (`multisets[o]` is of order `2 o + 2`).
    pub fn new(net: &Network, multisets: [&Multisets; 3]) -> Self {
        let mut rows = Self { network: Vec::new(), d_in: Vec::new(), n: Vec::new(), indices: Vec::new() };
        for (o, ms) in multisets.iter().enumerate() {
            for pos in 0..ms.len() {
                rows.network.push(net.activation().name().to_string());
                rows.d_in.push(net.d_in() as i64);
                rows.n.push(2 * o as i64 + 2);
                rows.indices.push(ms.label(pos));
            }
        }
        rows
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.n.len()
    }

    /// Whether there are no rows (never: an input set has a point).
    pub fn is_empty(&self) -> bool {
        self.n.is_empty()
    }

    /// A table starting with `network`, `d_in`, then `width` if given (the same value in
    /// every row), `n` and `indices`.
    pub fn table(self, width: Option<usize>) -> Table {
        let len = self.len();
        let table = Table::default().text("network", self.network).int("d_in", self.d_in);
        let table = match width {
            Some(w) => table.int("width", vec![w as i64; len]),
            None => table,
        };
        table.int("n", self.n).text("indices", self.indices)
    }
}

/// The three orders' values in row order.
pub fn flatten(values: &[Vec<f64>; 3]) -> Vec<f64> {
    values.iter().flatten().copied().collect()
}
