//! The raw estimator over network outputs handed in from outside: any ensemble, however it was
//! made (`OutputStream`), folded exactly as a sampled ensemble's raw estimator folds its own
//! nets, so that the same outputs give the same bits.
//!
//! The outputs arrive as rows, one per net, `f(x_0), …, f(x_{m-1})`; with several outputs
//! ([`OutputStream::with_outputs`]) a row is `f_0(x_0), f_1(x_0), …, f_0(x_1), …` (a C-ordered
//! array `f[net, input, output]`), and the outputs of one network are more points: point `p` of
//! the multisets is output `p / m_in` at input `p % m_in`. Nets are
//! consecutive experiments of `nets` nets each; within an experiment, work items of
//! 4096 nets, each folded `BATCH` nets at a time into running partial sums of the
//! products over every multiset of order 2, 4 and 6, and the items of an experiment merged in
//! order with Neumaier's sum. The memory held is one experiment's item sums, whatever the
//! number of nets.
//!
//! [`OutputStream::with_max_order`] adds order 8: the same product table carried two indices
//! further, its order 6 summed by the fused chains of a table's highest order, so that orders 2,
//! 4 and 6 keep their bits and order 8 is folded and merged as they are.

use crate::ensemble::{CHUNK_NETS, EighthOrderMeans, EnsembleResult, ItemSums, merge_experiment, neumaier};
use crate::error::{Result, SamplingError, check_positive};
use crate::raw_fold::RawFold;
use nnqft_theory::Multisets;
use nnqft_theory::machinery::{PARTS, ProductTable, parts_total};
use rayon::prelude::*;

/// Adds `v` to the compensated sum `(sum, compensation)` (Neumaier).
fn neumaier_add((sum, comp): &mut (f64, f64), v: f64) {
    let t = *sum + v;
    *comp += if sum.abs() >= v.abs() { (*sum - t) + v } else { (v - t) + *sum };
    *sum = t;
}

/// The raw estimator of `G2`, `G4`, `G6` over outputs handed in, net by net or in blocks of
/// rows: [`OutputStream::push`] as often as needed, then [`OutputStream::finish`].
///
/// Given the outputs a sampled [`crate::Ensemble`] draws ([`crate::Ensemble::outputs`]), in
/// order, with the same nets per experiment and experiments, the result is bit-identical to
/// that ensemble's raw estimator (without [`crate::Ensemble::with_variance`], which folds the
/// products in another order to keep their squares).
///
/// ```
/// use nnqft_sampling::OutputStream;
/// // 4 nets on 2 points, 2 experiments of 2 nets: rows f(x0), f(x1)
/// let mut s = OutputStream::new(2, 2, 2)?;
/// s.push(&[1.0, 2.0, -1.0, 0.5, 2.0, 2.0, 0.0, 1.0])?;
/// let r = s.finish()?;
/// // experiment 0: G2(x0, x0) = (1 + 1) / 2, G2(x0, x1) = (2 - 0.5) / 2
/// assert_eq!(&r.experiment(0, 0)[..2], &[1.0, 0.75]);
/// # Ok::<(), nnqft_sampling::SamplingError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OutputStream {
    points: usize,
    outputs: usize,
    nets: u64,
    experiments: usize,
    products: ProductTable,
    multisets: [Multisets; 3],
    /// The multisets of order 8 and their means so far, with [`OutputStream::with_max_order`].
    eighth: Option<EighthOrderMeans>,
    /// Rows (in the multisets' layout) of the current work item, not yet complete.
    pending: Vec<f64>,
    /// Nets of the current experiment taken, `pending`'s included.
    in_experiment: u64,
    /// The current experiment's folded work items, in order.
    items: Vec<FoldedItem>,
    means: [Vec<f64>; 3],
    /// Per experiment and point (experiment-major), the mean output.
    point_means: Vec<f64>,
    done: usize,
}

/// One work item folded: its sums over multisets and, per point, the compensated sum of its
/// outputs.
#[derive(Debug, Clone)]
struct FoldedItem {
    sums: ItemSums,
    /// Sums over the multisets of order 8 (empty without them).
    eighth: Vec<f64>,
    point_sums: Vec<(f64, f64)>,
}

impl OutputStream {
    /// The highest orders a stream folds: 6 (the default) or 8.
    pub const MAX_ORDERS: [usize; 2] = [6, 8];

    /// Bytes a stream holds per multiset with `nets` nets per experiment: the running partial sums
    /// of one work item and the item sums of one experiment (saturating), so that a caller can
    /// refuse a stream that would not fit before allocating it.
    pub fn bytes_per_multiset(nets: u64) -> u64 {
        (PARTS as u64).saturating_add(nets.div_ceil(CHUNK_NETS)).saturating_mul(8)
    }

    /// A stream over `points >= 1` points (outputs per net) of `experiments >= 1` experiments of
    /// `nets >= 1` nets each.
    pub fn new(points: usize, nets: u64, experiments: usize) -> Result<Self> {
        check_positive("points", points as u64, "an integer >= 1")?;
        check_positive("nets", nets, "an integer >= 1")?;
        check_positive("experiments", experiments as u64, "an integer >= 1")?;
        let products = ProductTable::new(points, 6)?;
        let multisets = [Multisets::new(points, 2)?, Multisets::new(points, 4)?, Multisets::new(points, 6)?];
        Ok(Self {
            points,
            outputs: 1,
            nets,
            experiments,
            products,
            multisets,
            eighth: None,
            pending: Vec::new(),
            in_experiment: 0,
            items: Vec::new(),
            means: [Vec::new(), Vec::new(), Vec::new()],
            point_means: Vec::new(),
            done: 0,
        })
    }

    /// The same stream with `outputs` outputs per network (dividing the points): rows are then
    /// input-major, `f_0(x_0), f_1(x_0), …`, as a C-ordered array `f[net, input, output]`.
    pub fn with_outputs(mut self, outputs: usize) -> Result<Self> {
        if outputs == 0 || !self.points.is_multiple_of(outputs) {
            return Err(SamplingError::OutOfRange {
                field: "outputs",
                value: outputs.to_string(),
                allowed: "an integer >= 1 dividing the points per net",
            });
        }
        self.outputs = outputs;
        Ok(self)
    }

    /// The same stream folding every even order up to `max_order`, 6 (as [`OutputStream::new`])
    /// or 8 ([`Self::MAX_ORDERS`]), before any row is pushed. Orders 2, 4 and 6 are the same bits
    /// either way.
    pub fn with_max_order(mut self, max_order: usize) -> Result<Self> {
        if !Self::MAX_ORDERS.contains(&max_order) || self.nets_taken() > 0 {
            return Err(SamplingError::OutOfRange {
                field: "max_order",
                value: max_order.to_string(),
                allowed: "6 or 8, set before any row is pushed",
            });
        }
        if max_order == 8 {
            self.products = ProductTable::new(self.points, 8)?.with_fused_from(6)?;
            let multisets = self.products.multisets(8).clone();
            self.eighth = Some(EighthOrderMeans { multisets, means: Vec::new() });
        } else {
            self.products = ProductTable::new(self.points, 6)?;
            self.eighth = None;
        }
        Ok(self)
    }

    /// The highest order folded (6 or 8).
    pub fn max_order(&self) -> usize {
        if self.eighth.is_some() { 8 } else { 6 }
    }

    /// Outputs per network.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Points per net.
    pub fn points(&self) -> usize {
        self.points
    }

    /// Experiments completed so far.
    pub fn experiments_done(&self) -> usize {
        self.done
    }

    /// Nets taken so far.
    pub fn nets_taken(&self) -> u64 {
        self.done as u64 * self.nets + self.in_experiment
    }

    /// Adds whole nets: `rows` holds `rows.len() / points` nets, one row of `points` outputs
    /// each. Errors, taking nothing, if the length is not a multiple of `points`, if a value is
    /// not finite (naming its net, counted from the first net of the stream, and point), or if
    /// the rows would exceed `nets x experiments` nets.
    pub fn push(&mut self, rows: &[f64]) -> Result<()> {
        if !rows.len().is_multiple_of(self.points) {
            return Err(SamplingError::OutOfRange {
                field: "outputs",
                value: format!("{} values", rows.len()),
                allowed: "whole nets: a multiple of the points per net",
            });
        }
        let first = self.nets_taken();
        if let Some(i) = rows.iter().position(|v| !v.is_finite()) {
            return Err(SamplingError::OutOfRange {
                field: "outputs",
                value: format!("{} at net {}, point {}", rows[i], first + (i / self.points) as u64, i % self.points),
                allowed: "finite numbers",
            });
        }
        let total = self.nets * self.experiments as u64;
        let count = (rows.len() / self.points) as u64;
        if first + count > total {
            return Err(SamplingError::OutOfRange {
                field: "outputs",
                value: format!("{} nets", first + count),
                allowed: "at most nets x experiments",
            });
        }
        // the multisets' layout: output-major
        let reordered;
        let rows = if self.outputs == 1 {
            rows
        } else {
            let (inputs, outputs) = (self.points / self.outputs, self.outputs);
            let mut out = vec![0.0; rows.len()];
            for (to, from) in out.chunks_exact_mut(self.points).zip(rows.chunks_exact(self.points)) {
                for (a, x) in from.chunks_exact(outputs).enumerate() {
                    for (o, v) in x.iter().enumerate() {
                        to[o * inputs + a] = *v;
                    }
                }
            }
            reordered = out;
            &reordered
        };
        let m = self.points;
        let mut rest = rows;
        // complete the pending work item first
        if !self.pending.is_empty() {
            let start = self.in_experiment - (self.pending.len() / m) as u64;
            let size = CHUNK_NETS.min(self.nets - start) as usize;
            let take = (size - self.pending.len() / m).min(rest.len() / m);
            self.pending.extend_from_slice(&rest[..take * m]);
            self.in_experiment += take as u64;
            rest = &rest[take * m..];
            if self.pending.len() / m == size {
                let item = fold_item(&self.products, &self.multisets, m, &self.pending);
                self.pending.clear();
                self.end_item(item);
            }
        }
        // whole work items, folded in parallel (each from fresh lanes, taken in order below)
        let mut segments = Vec::new();
        let mut at = self.in_experiment;
        while !rest.is_empty() {
            let size = CHUNK_NETS.min(self.nets - at) as usize;
            if rest.len() / m < size {
                break;
            }
            segments.push(&rest[..size * m]);
            rest = &rest[size * m..];
            at = if at + size as u64 == self.nets { 0 } else { at + size as u64 };
        }
        let folded: Vec<FoldedItem> =
            segments.par_iter().map(|rows| fold_item(&self.products, &self.multisets, m, rows)).collect();
        for (item, rows) in folded.into_iter().zip(&segments) {
            self.in_experiment += (rows.len() / m) as u64;
            self.end_item(item);
        }
        // the start of the next work item waits for more rows
        self.pending.extend_from_slice(rest);
        self.in_experiment += (rest.len() / m) as u64;
        Ok(())
    }

    /// Takes a complete work item; ends the experiment if it is its last.
    fn end_item(&mut self, item: FoldedItem) {
        self.items.push(item);
        if self.in_experiment == self.nets {
            self.end_experiment();
        }
    }

    fn end_experiment(&mut self) {
        let lens = self.multisets.each_ref().map(Multisets::len);
        let n = self.nets as f64;
        for p in 0..self.points {
            let mut acc = (0.0, 0.0);
            for it in &self.items {
                let (sum, comp) = it.point_sums[p];
                neumaier_add(&mut acc, sum + comp);
            }
            self.point_means.push((acc.0 + acc.1) / n);
        }
        if let Some(eighth) = self.eighth.as_mut() {
            for pos in 0..eighth.multisets.len() {
                eighth.means.push(neumaier(self.items.iter().map(|it| it.eighth[pos])) / n);
            }
        }
        let sums: Vec<ItemSums> = self.items.drain(..).map(|it| it.sums).collect();
        let means = merge_experiment(&sums, lens, self.nets, &|it| &it.sums);
        for (all, m) in self.means.iter_mut().zip(means) {
            all.extend(m);
        }
        self.in_experiment = 0;
        self.done += 1;
    }

    /// The mean output of each point in each experiment so far, experiment-major
    /// (`experiments x points`, in the multisets' point order): the one-point function, which the
    /// correlators' Wick sums and cumulants assume to vanish.
    pub fn point_means(&self) -> &[f64] {
        &self.point_means
    }

    /// The per-experiment means of every multiset. Errors if fewer than
    /// `nets x experiments` nets were pushed.
    pub fn finish(self) -> Result<EnsembleResult> {
        if self.done < self.experiments {
            return Err(SamplingError::OutOfRange {
                field: "outputs",
                value: format!("{} nets", self.nets_taken()),
                allowed: "exactly nets x experiments",
            });
        }
        Ok(EnsembleResult {
            multisets: self.multisets,
            experiments: self.experiments,
            nets: self.nets,
            means: self.means,
            variances: None,
            eighth: self.eighth,
        })
    }
}

/// Folds one work item's rows (in the multisets' layout) from fresh lanes, as a sampled
/// ensemble folds its own, with the per-point compensated sums of its outputs.
fn fold_item(products: &ProductTable, multisets: &[Multisets; 3], points: usize, rows: &[f64]) -> FoldedItem {
    let mut fold = RawFold::new(points);
    let eighth = products.orders() == 4;
    let mut parts: Vec<Vec<[f64; PARTS]>> = multisets.iter().map(|ms| vec![[0.0; PARTS]; ms.len()]).collect();
    if eighth {
        parts.push(vec![[0.0; PARTS]; products.multisets(8).len()]);
    }
    let mut point_sums = vec![(0.0, 0.0); points];
    for f in rows.chunks_exact(points) {
        for (s, v) in point_sums.iter_mut().zip(f) {
            neumaier_add(s, *v);
        }
        fold.push(products, f, &mut parts, None);
    }
    fold.flush(products, &mut parts, None);
    let mut totals = parts.iter().map(|o| o.iter().map(parts_total).collect::<Vec<f64>>());
    let sums = [(); 3].map(|_| totals.next().unwrap_or_default());
    FoldedItem { sums: ItemSums { sums, squares: None }, eighth: totals.next().unwrap_or_default(), point_sums }
}
