//! The raw estimator's inner loop, shared by sampled ensembles and `OutputStream`: nets gathered
//! in lanes, `BATCH` at a time, and folded into a work item's running sums by the theory
//! crate's product table.

use nnqft_theory::machinery::{BATCH, Parts, ProductScratch, ProductTable};

/// Nets gathered in lanes, `BATCH` at a time, and folded into a work item's running sums by a
/// `ProductTable`: the raw estimator's inner loop, shared by sampled ensembles and
/// [`OutputStream`](crate::OutputStream).
#[derive(Debug, Clone)]
pub(crate) struct RawFold {
    lanes: Vec<[f64; BATCH]>,
    weights: [f64; BATCH],
    filled: usize,
    scratch: ProductScratch,
}

impl RawFold {
    /// A fold over `m` points.
    pub(crate) fn new(m: usize) -> Self {
        Self { lanes: vec![[0.0; BATCH]; m], weights: [0.0; BATCH], filled: 0, scratch: ProductScratch::default() }
    }

    /// Adds one net's outputs `f` (one per point); folds a full batch.
    #[inline(always)]
    pub(crate) fn push(
        &mut self,
        products: &ProductTable,
        f: &[f64],
        sums: &mut [Vec<Parts>],
        squares: Option<&mut [Vec<Parts>]>,
    ) {
        for (lane, v) in self.lanes.iter_mut().zip(f) {
            lane[self.filled] = *v;
        }
        self.weights[self.filled] = 1.0;
        self.filled += 1;
        if self.filled == BATCH {
            self.flush(products, sums, squares);
        }
    }

    /// Folds the nets gathered so far (a work item's last, partial batch). Lanes beyond them
    /// keep earlier values and weigh 0.
    #[inline(always)]
    pub(crate) fn flush(
        &mut self,
        products: &ProductTable,
        sums: &mut [Vec<Parts>],
        squares: Option<&mut [Vec<Parts>]>,
    ) {
        if self.filled > 0 {
            products.accumulate_batch(&self.lanes, &self.weights, &mut self.scratch, sums, squares);
            self.weights = [0.0; BATCH];
            self.filled = 0;
        }
    }
}
