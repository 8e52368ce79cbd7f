//! The raw estimator over network outputs handed in from outside: any ensemble, however it was
//! made (`OutputStream`), folded exactly as a sampled ensemble's raw estimator folds its own
//! nets, so that the same outputs give the same bits.
//!
//! The outputs arrive as rows, one per net, `f(x_0), …, f(x_{m-1})`; with several outputs
//! ([`OutputStream::with_outputs`]) a row is `f_0(x_0), f_1(x_0), …, f_0(x_1), …` (a C-ordered
//! array `f[net, input, output]`), and the outputs of one network are more points: point `p` of
//! the multisets is output `p / m_in` at input `p % m_in`. Nets are
//! consecutive experiments of `nets` nets each; within an experiment, work items of
//! [`CHUNK_NETS`] nets, each folded `BATCH` nets at a time into running partial sums of the
//! products over every multiset of order 2, 4 and 6, and the items of an experiment merged in
//! order with Neumaier's sum. The memory held is one experiment's item sums, whatever the
//! number of nets.

use crate::ensemble::{CHUNK_NETS, EnsembleResult, ItemSums, merge_experiment};
use crate::error::{Result, SamplingError};
use nnqft_theory::{BATCH, Multisets, PARTS, Parts, ProductScratch, ProductTable, parts_total};

/// Adds `v` to the compensated sum `(sum, compensation)` (Neumaier).
fn neumaier_add((sum, comp): &mut (f64, f64), v: f64) {
    let t = *sum + v;
    *comp += if sum.abs() >= v.abs() { (*sum - t) + v } else { (v - t) + *sum };
    *sum = t;
}

/// Nets gathered in lanes, `BATCH` at a time, and folded into a work item's running sums by a
/// [`ProductTable`]: the raw estimator's inner loop, shared by sampled ensembles and
/// [`OutputStream`].
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
    /// One net's row in the multisets' layout (output-major), when there are several outputs.
    row: Vec<f64>,
    products: ProductTable,
    multisets: [Multisets; 3],
    fold: RawFold,
    item: [Vec<Parts>; 3],
    in_item: u64,
    in_experiment: u64,
    items: Vec<ItemSums>,
    means: [Vec<f64>; 3],
    /// Per point, the compensated sum of the outputs of the current experiment.
    point_sums: Vec<(f64, f64)>,
    /// Per experiment and point (experiment-major), the mean output.
    point_means: Vec<f64>,
    done: usize,
}

impl OutputStream {
    /// A stream over `points >= 1` points (outputs per net) of `experiments >= 1` experiments of
    /// `nets >= 1` nets each.
    pub fn new(points: usize, nets: u64, experiments: usize) -> Result<Self> {
        let positive = |field: &'static str, v: u64| {
            if v == 0 {
                Err(SamplingError::OutOfRange { field, value: "0".into(), allowed: "an integer >= 1" })
            } else {
                Ok(())
            }
        };
        positive("points", points as u64)?;
        positive("nets", nets)?;
        positive("experiments", experiments as u64)?;
        let products = ProductTable::new(points, 6)?;
        let multisets = [Multisets::new(points, 2)?, Multisets::new(points, 4)?, Multisets::new(points, 6)?];
        let zeros = |o: usize| vec![[0.0; PARTS]; multisets[o].len()];
        Ok(Self {
            points,
            outputs: 1,
            row: Vec::new(),
            nets,
            experiments,
            item: [zeros(0), zeros(1), zeros(2)],
            means: [Vec::new(), Vec::new(), Vec::new()],
            fold: RawFold::new(points),
            products,
            multisets,
            in_item: 0,
            in_experiment: 0,
            items: Vec::new(),
            point_sums: vec![(0.0, 0.0); points],
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
        self.row = vec![0.0; self.points];
        Ok(self)
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
        let (inputs, outputs) = (self.points / self.outputs, self.outputs);
        for f in rows.chunks_exact(self.points) {
            let f = if outputs == 1 {
                f
            } else {
                for (a, x) in f.chunks_exact(outputs).enumerate() {
                    for (o, v) in x.iter().enumerate() {
                        self.row[o * inputs + a] = *v;
                    }
                }
                &self.row
            };
            for (s, v) in self.point_sums.iter_mut().zip(f) {
                neumaier_add(s, *v);
            }
            self.fold.push(&self.products, f, &mut self.item, None);
            self.in_item += 1;
            self.in_experiment += 1;
            if self.in_item == CHUNK_NETS || self.in_experiment == self.nets {
                self.end_item();
            }
            if self.in_experiment == self.nets {
                self.end_experiment();
            }
        }
        Ok(())
    }

    fn end_item(&mut self) {
        self.fold.flush(&self.products, &mut self.item, None);
        let sums = self.item.each_mut().map(|o| {
            let total = o.iter().map(parts_total).collect();
            o.iter_mut().for_each(|p| *p = [0.0; PARTS]);
            total
        });
        self.items.push(ItemSums { sums, squares: None });
        self.in_item = 0;
        // a sampled ensemble starts every work item with fresh lanes
        self.fold = RawFold::new(self.points);
    }

    fn end_experiment(&mut self) {
        let lens = self.multisets.each_ref().map(Multisets::len);
        let means = merge_experiment(&self.items, lens, self.nets, &|it| &it.sums);
        for (all, m) in self.means.iter_mut().zip(means) {
            all.extend(m);
        }
        self.items.clear();
        let n = self.nets as f64;
        self.point_means.extend(self.point_sums.iter().map(|(s, c)| (s + c) / n));
        self.point_sums.iter_mut().for_each(|s| *s = (0.0, 0.0));
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
        })
    }
}
