//! The one-hidden-layer ensemble: seeded work items of nets, the raw, conditional, control-variate and
//! bias-integrated estimators of `G2`, `G4`, `G6`, and the ordered merge of the items' sums.

use crate::bias_integrated::{BiasIntegrated, BiasScratch, PowerGrid};
use crate::control_variate::{ControlVariate, DeviationScratch};
use crate::draw::{NetSampler, PreparedInputs};
use crate::error::{Result, SamplingError, check_positive};
use crate::monitor::{Monitor, map_items};
use crate::normal::{Generator, Normals, ReferenceNormals};
use crate::raw_fold::RawFold;
use crate::seed;
use nnqft_theory::machinery::{BATCH, PARTS, Parts, ProductScratch, ProductTable, parts_total, with_simd};
use nnqft_theory::{InputSet, Multisets, Network, WickSums};
use rayon::prelude::*;

/// Nets per work item. Part of the seeding scheme: changing it changes the numbers.
pub(crate) const CHUNK_NETS: u64 = 4096;

/// The raw and conditional-Gaussian estimators, and the conditional one with its control variate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Estimator {
    /// The paper's estimator: mean of products of sampled outputs.
    Raw,
    /// Conditional-Gaussian (Rao-Blackwellised) estimator.
    Conditional,
    /// Conditional-Gaussian estimator with the control variate `L_K(C-bar - K)` subtracted
    /// ([`crate::control_variate`]); same expectation, per-net variance `O(1/N^2)`.
    ControlVariate,
    /// Gauss-net only: the conditional estimator averaged over the hidden biases
    /// analytically ([`crate::bias_integrated`]); same expectation, no log-normal bias tail.
    BiasIntegrated,
}

impl Estimator {
    /// Every estimator, in report order.
    pub const ALL: [Estimator; 4] =
        [Estimator::Raw, Estimator::Conditional, Estimator::ControlVariate, Estimator::BiasIntegrated];

    /// Report name: `raw`, `conditional`, `conditional_cv` or `bias_integrated`.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Raw => "raw",
            Estimator::Conditional => "conditional",
            Estimator::ControlVariate => "conditional_cv",
            Estimator::BiasIntegrated => "bias_integrated",
        }
    }
    /// The estimator's number in a block seed (nnqft-study's `EnsembleKey::seed`): a fixed
    /// constant per estimator (raw 0, conditional 1, conditional_cv 2, bias_integrated 3), not
    /// the variant's position, so that reordering or adding variants changes no seed.
    pub const fn seed_code(self) -> u64 {
        match self {
            Estimator::Raw => 0,
            Estimator::Conditional => 1,
            Estimator::ControlVariate => 2,
            Estimator::BiasIntegrated => 3,
        }
    }

    /// Parses `raw` / `conditional` / `conditional_cv` / `bias_integrated`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "raw" => Ok(Estimator::Raw),
            "conditional" => Ok(Estimator::Conditional),
            "conditional_cv" => Ok(Estimator::ControlVariate),
            "bias_integrated" => Ok(Estimator::BiasIntegrated),
            _ => Err(SamplingError::OutOfRange {
                field: "estimator",
                value: s.into(),
                allowed: "raw, conditional, conditional_cv or bias_integrated (gauss only)",
            }),
        }
    }
}

impl std::str::FromStr for Estimator {
    type Err = SamplingError;
    fn from_str(s: &str) -> Result<Self> {
        Estimator::parse(s)
    }
}

impl std::fmt::Display for Estimator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A validated ensemble: `experiments` independent experiments of `nets` networks each.
///
/// Ensembles of networks and the streaming estimators of `G(2)`, `G(4)`, `G(6)` over every
/// multiset of the input indices (the paper's section 2 measures the raw one):
///
/// - **raw**: the mean over nets of `f(x_i1) ... f(x_in)`;
/// - **conditional** (Rao-Blackwell): given the hidden layer, `f` is Gaussian with covariance
///   `C`, so `E[f ... f | w, b] = Wick(C)`; the mean over nets of that. `v` and `b1` are never
///   drawn.
/// - **control variate** (`conditional_cv`): the conditional estimator minus its first-order
///   term `L_K(C-bar - K)`, whose expectation is exactly zero ([`crate::control_variate`]).
///   Same nets and draws as the conditional estimator; the correction is applied once per
///   experiment.
/// - **bias-integrated** (`bias_integrated`, Gauss-net only): the conditional estimator
///   averaged over the hidden biases in closed form ([`crate::bias_integrated`]); only the
///   hidden weights are drawn.
///
/// Nets are processed in batches of [`BATCH`] so that the products over multisets (raw) and
/// the Wick recursion (conditional) vectorise across nets.
///
/// Work is split into items of 4096 nets, one per `(experiment, chunk)`, each with
/// its own generator (see [`crate::seed`]). Within an item, each batch is folded pairwise to
/// [`PARTS`] running partial sums per multiset, reduced once when the item ends. Item sums
/// are merged per experiment in chunk order with Neumaier's compensated sum, so results are
/// identical for any thread count. Memory is
/// `O(multisets x work items)`; no `m^n` tensor is ever built.
#[derive(Debug, Clone)]
pub struct Ensemble {
    net: Network,
    width: usize,
    inputs: InputSet,
    nets: u64,
    experiments: usize,
    estimator: Estimator,
    seed: u64,
    track_variance: bool,
    generator: Generator,
}

/// Memory bound of the item sums [`Ensemble::run`] holds before merging them (64 MiB).
pub(crate) const MERGE_BATCH_BYTES: usize = 64 << 20;

/// Per-experiment means (and optionally per-net variances) for n = 2, 4, 6.
#[derive(Debug, Clone, PartialEq)]
pub struct EnsembleResult {
    /// Multisets of order 2, 4, 6.
    pub multisets: [Multisets; 3],
    /// Number of experiments.
    pub experiments: usize,
    /// Nets per experiment.
    pub nets: u64,
    /// For each order, `experiments x multisets` means, experiment-major.
    pub means: [Vec<f64>; 3],
    /// For each order, `experiments x multisets` per-net variances of the estimator
    /// (present when requested with [`Ensemble::with_variance`]). For the control variate,
    /// the variance of each net's `W(C) - L_K(C - K)`.
    pub variances: Option<[Vec<f64>; 3]>,
    /// The means of the multisets of order 8, where they were asked for
    /// ([`crate::OutputStream::with_max_order`]; a sampled ensemble stops at order 6).
    pub eighth: Option<EighthOrderMeans>,
}

/// Per-experiment means of the products over the multisets of order 8
/// ([`EnsembleResult::eighth`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EighthOrderMeans {
    /// Multisets of order 8.
    pub multisets: Multisets,
    /// `experiments x multisets` means, experiment-major.
    pub means: Vec<f64>,
}

impl EnsembleResult {
    /// The means of experiment `e` for order index `o` (0, 1, 2 for n = 2, 4, 6).
    pub fn experiment(&self, o: usize, e: usize) -> &[f64] {
        let len = self.multisets[o].len();
        &self.means[o][e * len..(e + 1) * len]
    }
    /// `G2` per experiment and multiset of order 2, experiment-major: entry
    /// `e * multisets[0].len() + pos`.
    pub fn g2(&self) -> &[f64] {
        &self.means[0]
    }
    /// `G4` per experiment and multiset of order 4, experiment-major.
    pub fn g4(&self) -> &[f64] {
        &self.means[1]
    }
    /// `G6` per experiment and multiset of order 6, experiment-major.
    pub fn g6(&self) -> &[f64] {
        &self.means[2]
    }
    /// `G8` per experiment and multiset of order 8, experiment-major, where it was measured.
    pub fn g8(&self) -> Option<&[f64]> {
        self.eighth.as_ref().map(|e| e.means.as_slice())
    }
    /// The control-variate estimate ([`crate::control_variate`]) from this result of the conditional
    /// estimator on `net` and `inputs` (same nets, so both can be reported from one run).
    /// Per-net variances, which describe the conditional estimator, are dropped.
    pub fn control_variate(&self, net: &Network, inputs: &InputSet) -> Result<EnsembleResult> {
        let wick = WickSums::new(inputs.len(), 6)?;
        let cv = ControlVariate::new(net, inputs, &wick)?;
        let mut out = self.clone();
        cv.correct_experiments(&wick, &mut out.means, out.experiments);
        out.variances = None;
        Ok(out)
    }
}

/// Named settings of an [`Ensemble`] ([`Ensemble::builder`]); [`Self::build`] validates them.
#[derive(Debug, Clone)]
pub struct EnsembleBuilder {
    net: Network,
    inputs: InputSet,
    width: Option<usize>,
    nets: u64,
    experiments: usize,
    estimator: Estimator,
    seed: u64,
}

impl EnsembleBuilder {
    /// Hidden width `N` (required, >= 1).
    pub fn width(mut self, width: usize) -> Self {
        self.width = Some(width);
        self
    }
    /// Nets per experiment (>= 1; default 100,000).
    pub fn nets(mut self, nets: u64) -> Self {
        self.nets = nets;
        self
    }
    /// Independent experiments (>= 1; default 10; standard errors need >= 2).
    pub fn experiments(mut self, experiments: usize) -> Self {
        self.experiments = experiments;
        self
    }
    /// The estimator (default [`Estimator::Conditional`]).
    pub fn estimator(mut self, estimator: Estimator) -> Self {
        self.estimator = estimator;
        self
    }
    /// Master seed (default 20,200,818, the command line's).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// The validated ensemble ([`Ensemble::new`]).
    pub fn build(self) -> Result<Ensemble> {
        let width = self.width.ok_or(SamplingError::OutOfRange {
            field: "width",
            value: "unset".into(),
            allowed: "an integer >= 1 (set it with .width(N))",
        })?;
        Ensemble::new(self.net, width, self.inputs, self.nets, self.experiments, self.estimator, self.seed)
    }
}

/// The tables every work item of a run shares.
#[derive(Clone)]
struct RunTables {
    multisets: [Multisets; 3],
    wick: WickSums,
    products: ProductTable,
    prepared: PreparedInputs,
    control: Option<ControlVariate>,
    bias: Option<BiasIntegrated>,
    /// The points' grid, where the bias-integrated estimator's power sums can use one.
    grid: Option<PowerGrid>,
}

/// Sums of one work item: of the estimator and, if tracked, of its squares. For the control
/// variate the squares are of each net's remainder `W(C) - L_K(C - K) - W(K)`, that is about
/// `W(K)`, since its spread is far below its mean. Built by [`Ensemble::run_items`] or read
/// back with [`ItemSums::new`]; consumed by [`Ensemble::merge_items`].
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSums {
    pub(crate) sums: [Vec<f64>; 3],
    pub(crate) squares: Option<[Vec<f64>; 3]>,
}

impl Ensemble {
    /// An ensemble of `net` on `inputs` with named settings:
    /// `Ensemble::builder(net, xs).width(20).nets(10_000).experiments(10).seed(1).build()?`.
    pub fn builder(net: Network, inputs: InputSet) -> EnsembleBuilder {
        EnsembleBuilder {
            net,
            inputs,
            width: None,
            nets: 100_000,
            experiments: 10,
            estimator: Estimator::Conditional,
            seed: crate::DEFAULT_SEED,
        }
    }

    /// Validates an ensemble: `width >= 1`, `nets >= 1`, `experiments >= 1`, inputs in the
    /// network's dimension, `bias_integrated` only for Gauss-net, priors and inputs whose
    /// correlators stay finite ([`crate::scale`]).
    pub fn new(
        net: Network,
        width: usize,
        inputs: InputSet,
        nets: u64,
        experiments: usize,
        estimator: Estimator,
        seed: u64,
    ) -> Result<Self> {
        check_positive("width", width as u64, "an integer >= 1")?;
        check_positive("nets", nets, "an integer >= 1 (nets per experiment)")?;
        check_positive("experiments", experiments as u64, "an integer >= 1")?;
        if nets.checked_mul(experiments as u64).is_none() {
            return Err(SamplingError::OutOfRange {
                field: "nets",
                value: nets.to_string(),
                allowed: "an integer >= 1 with nets x experiments below 2^64",
            });
        }
        if inputs.len() > 255 {
            return Err(SamplingError::OutOfRange {
                field: "input points",
                value: inputs.len().to_string(),
                allowed: "1 to 255",
            });
        }
        crate::scale::check_network(&net, &inputs)?;
        if estimator == Estimator::BiasIntegrated {
            BiasIntegrated::new(&net, width, &inputs)?;
        }
        Ok(Self {
            net,
            width,
            inputs,
            nets,
            experiments,
            estimator,
            seed,
            track_variance: false,
            generator: Generator::Lanes,
        })
    }

    /// Also accumulate the per-net variance of the estimator in each experiment.
    pub fn with_variance(mut self, on: bool) -> Self {
        self.track_variance = on;
        self
    }

    /// Draw the normals from `generator` (default [`Generator::Lanes`]; the reference
    /// generator gives other numbers with the same law).
    pub fn with_generator(mut self, generator: Generator) -> Self {
        self.generator = generator;
        self
    }

    /// The generator of the normals.
    pub fn generator(&self) -> Generator {
        self.generator
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// The width `N`.
    pub fn width(&self) -> usize {
        self.width
    }
    /// The input set.
    pub fn inputs(&self) -> &InputSet {
        &self.inputs
    }
    /// The estimator.
    pub fn estimator(&self) -> Estimator {
        self.estimator
    }
    /// Nets over all experiments.
    pub fn nets_total(&self) -> u64 {
        self.nets * self.experiments as u64
    }
    /// Nets per experiment.
    pub fn nets(&self) -> u64 {
        self.nets
    }
    /// Experiments.
    pub fn experiments(&self) -> usize {
        self.experiments
    }
    /// The master seed of the ensemble.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Whether per-net variances are tracked ([`Ensemble::with_variance`]).
    pub fn tracks_variance(&self) -> bool {
        self.track_variance
    }
    /// Nets of work item `item`: 4096, fewer in an experiment's last chunk.
    pub fn nets_in_item(&self, item: u64) -> u64 {
        let c = item % self.chunks();
        CHUNK_NETS.min(self.nets.saturating_sub(c * CHUNK_NETS))
    }

    /// Bytes a run on `threads` threads is estimated to allocate, saturating: the sums (and
    /// squares, if tracked) of every multiset of order 2, 4 and 6, in each thread's
    /// accumulators (four partial sums each), in each work item's result and in
    /// each experiment's means, plus the run's tables (about 32 bytes per multiset).
    pub fn memory_estimate(&self, threads: usize) -> u64 {
        let m = self.inputs.len() as u64;
        let s = [2, 4, 6].iter().fold(0u64, |acc, &n| acc.saturating_add(crate::memory::multiset_count(m, n)));
        let copies = if self.track_variance { 2u64 } else { 1 };
        let per_value = (threads as u64)
            .saturating_mul(PARTS as u64)
            .saturating_add(self.work_items())
            .saturating_add(self.experiments as u64)
            .saturating_mul(copies)
            .saturating_mul(8)
            .saturating_add(32);
        s.saturating_mul(per_value)
    }

    /// Refuses a run on `threads` threads whose [`Ensemble::memory_estimate`] exceeds
    /// [`crate::memory::memory_limit`], with the estimate and the limit in the error.
    pub fn check_memory(&self, threads: usize) -> Result<()> {
        let (needed, limit) = (self.memory_estimate(threads), crate::memory::memory_limit());
        if needed > limit {
            return Err(SamplingError::Memory {
                points: self.inputs.len(),
                threads,
                multisets: crate::memory::multiset_count(self.inputs.len() as u64, 6),
                needed: crate::memory::human_bytes(needed),
                limit: crate::memory::human_bytes(limit),
            });
        }
        Ok(())
    }

    /// Runs the ensemble on `threads >= 1` threads.
    pub fn run(&self, threads: usize) -> Result<EnsembleResult> {
        self.run_with_progress(threads, &())
    }

    /// Runs the ensemble under `monitor` ([`Monitor`]: told the nets of each work item as it
    /// finishes, asked before each whether to stop; [`SamplingError::Interrupted`] if it
    /// does). The numbers are [`Self::run`]'s, bit for bit.
    ///
    /// The experiments run in batches of whole experiments, each merged as soon as it ends, so
    /// that memory holds one batch's item sums (at most 64 MiB, and at least
    /// `4 x threads` items for parallelism) instead of every item's: memory does not grow with
    /// `nets x experiments`. The numbers are the same for any batching, since each
    /// experiment's items are merged on their own, in item order.
    pub fn run_with_progress(&self, threads: usize, monitor: &dyn Monitor) -> Result<EnsembleResult> {
        self.check_memory(threads)?;
        let tables = self.tables()?;
        let item_bytes =
            8 * tables.multisets.iter().map(Multisets::len).sum::<usize>() * (1 + self.track_variance as usize);
        let items_per_batch = (MERGE_BATCH_BYTES / item_bytes.max(1)).max(4 * threads.max(1)) as u64;
        let experiments_per_batch = (items_per_batch / self.chunks()).max(1) as usize;
        self.run_in_batches(&tables, threads, monitor, experiments_per_batch)
    }

    /// [`Self::run_with_progress`] with `experiments_per_batch >= 1` experiments a batch.
    fn run_in_batches(
        &self,
        tables: &RunTables,
        threads: usize,
        monitor: &dyn Monitor,
        experiments_per_batch: usize,
    ) -> Result<EnsembleResult> {
        let chunks = self.chunks();
        let mut merged: Option<EnsembleResult> = None;
        for first in (0..self.experiments).step_by(experiments_per_batch) {
            let last = (first + experiments_per_batch).min(self.experiments);
            let items: Vec<u64> = (first as u64 * chunks..last as u64 * chunks).collect();
            let results = self.run_items_with(tables, &items, threads, monitor)?;
            let part = self.merge_with(tables, &results)?;
            merged = Some(match merged {
                None => part,
                Some(mut all) => {
                    all.experiments += part.experiments;
                    for o in 0..3 {
                        all.means[o].extend_from_slice(&part.means[o]);
                    }
                    if let (Some(v), Some(p)) = (all.variances.as_mut(), part.variances.as_ref()) {
                        for o in 0..3 {
                            v[o].extend_from_slice(&p[o]);
                        }
                    }
                    all
                }
            });
        }
        merged.ok_or(SamplingError::OutOfRange { field: "experiments", value: "0".into(), allowed: "an integer >= 1" })
    }

    /// Chunks per experiment: `ceil(nets / CHUNK_NETS)`.
    pub fn chunks(&self) -> u64 {
        self.nets.div_ceil(CHUNK_NETS)
    }

    /// Work items of the ensemble, `experiments x chunks`. Item `i` is experiment
    /// `i / chunks`, chunk `i % chunks` (the order of the merge).
    pub fn work_items(&self) -> u64 {
        self.experiments as u64 * self.chunks()
    }

    /// Runs the work items `items` (flat indices below [`Ensemble::work_items`], any order)
    /// and returns their sums in the same order: the values [`Ensemble::merge_items`]
    /// consumes. The pieces of a sharded run ([`crate::Shard`]), under `monitor` as
    /// [`Self::run_with_progress`].
    pub fn run_items(&self, items: &[u64], threads: usize, monitor: &dyn Monitor) -> Result<Vec<ItemSums>> {
        self.check_memory(threads)?;
        let tables = self.tables()?;
        self.run_items_with(&tables, items, threads, monitor)
    }

    /// The result from the sums of every work item, `items[i]` of item `i`: the very merge
    /// of [`Ensemble::run`], so bit-identical to it. Errors if an item is missing or has the
    /// wrong number of multisets or of tracked squares.
    pub fn merge_items(&self, items: &[ItemSums]) -> Result<EnsembleResult> {
        let tables = self.tables()?;
        if items.len() as u64 != self.work_items() {
            return Err(SamplingError::OutOfRange {
                field: "work item sums",
                value: items.len().to_string(),
                allowed: "exactly one per work item (experiments x chunks)",
            });
        }
        let lens = tables.multisets.each_ref().map(Multisets::len);
        for it in items {
            let fits = |v: &[Vec<f64>; 3]| (0..3).all(|o| v[o].len() == lens[o]);
            if !fits(&it.sums) || it.squares.as_ref().is_some_and(|s| !fits(s)) {
                return Err(SamplingError::OutOfRange {
                    field: "work item sums",
                    value: format!("{:?} values", it.sums.each_ref().map(Vec::len)),
                    allowed: "one value per multiset of order 2, 4 and 6",
                });
            }
            if it.squares.is_some() != self.track_variance {
                return Err(SamplingError::OutOfRange {
                    field: "work item squares",
                    value: if it.squares.is_some() { "present" } else { "absent" }.into(),
                    allowed: "present exactly when the ensemble tracks variances",
                });
            }
        }
        self.merge_with(&tables, items)
    }

    /// The outputs `f(x_a)` of every net of the ensemble, net-major (`nets_total x m`, row `i`
    /// the `i`-th net), experiment after experiment and work item after work item: the nets that
    /// this ensemble's raw estimator averages with the same seed, whatever estimator is set.
    /// Drawn on `threads >= 1` threads, the same numbers for any count. Errors if they would not
    /// fit in memory ([`crate::memory::memory_limit`]).
    pub fn outputs(&self, threads: usize) -> Result<Vec<f64>> {
        check_positive("threads", threads as u64, "an integer >= 1")?;
        let m = self.inputs.len();
        let bytes = self.nets_total().saturating_mul(m as u64).saturating_mul(8);
        if bytes > crate::memory::memory_limit() {
            return Err(SamplingError::OutOfRange {
                field: "nets",
                value: format!("{} nets x {m} points ({})", self.nets_total(), crate::memory::human_bytes(bytes)),
                allowed: "outputs that fit in the available memory (8 bytes per net and point)",
            });
        }
        let xs = PreparedInputs::new(&self.net, &self.inputs);
        let mut out = vec![0.0; self.nets_total() as usize * m];
        let mut rest = out.as_mut_slice();
        let mut items = Vec::with_capacity(self.work_items() as usize);
        for i in 0..self.work_items() {
            let (head, tail) = rest.split_at_mut(self.nets_in_item(i) as usize * m);
            items.push((i, head));
            rest = tail;
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| SamplingError::ThreadPool(e.to_string()))?;
        let chunks = self.chunks();
        pool.install(|| {
            items.into_par_iter().for_each(|(i, rows)| {
                let (e, c) = (i / chunks, i % chunks);
                with_simd(
                    #[inline(always)]
                    || match self.generator {
                        Generator::Lanes => self.fill_outputs(&mut seed::lanes(self.seed, e, c), &xs, rows),
                        Generator::Reference => {
                            self.fill_outputs(&mut ReferenceNormals(seed::stream(self.seed, e, c)), &xs, rows)
                        }
                    },
                )
            })
        });
        Ok(out)
    }

    /// Draws one net per row of `rows` (the points' outputs).
    #[inline(always)]
    fn fill_outputs<G: Normals>(&self, rng: &mut G, xs: &PreparedInputs, rows: &mut [f64]) {
        let mut sampler = NetSampler::new(&self.net, self.width, xs);
        // a loop, not a closure: a closure is a function of its own, which the compiler need not
        // inline into `with_simd`'s build, and the activations' lanes then lose their FMA
        for f in rows.chunks_exact_mut(xs.len()) {
            sampler.outputs(rng, f);
        }
    }

    fn tables(&self) -> Result<RunTables> {
        let m = self.inputs.len();
        let wick = WickSums::new(m, 6)?;
        let control = match self.estimator {
            Estimator::ControlVariate => Some(ControlVariate::new(&self.net, &self.inputs, &wick)?),
            _ => None,
        };
        let multisets = [Multisets::new(m, 2)?, Multisets::new(m, 4)?, Multisets::new(m, 6)?];
        Ok(RunTables {
            wick,
            products: ProductTable::new(m, 6)?,
            prepared: PreparedInputs::new(&self.net, &self.inputs),
            control,
            bias: match self.estimator {
                Estimator::BiasIntegrated => Some(BiasIntegrated::new(&self.net, self.width, &self.inputs)?),
                _ => None,
            },
            grid: match self.estimator {
                Estimator::BiasIntegrated => {
                    let coords: Vec<f64> = self.inputs.points().flatten().copied().collect();
                    let self_cov: Vec<f64> = self.inputs.points().map(|x| self.net.preactivation_cov(x, x)).collect();
                    PowerGrid::of(self.inputs.d_in(), &coords, &self_cov, &multisets)
                }
                _ => None,
            },
            multisets,
        })
    }

    fn run_items_with(
        &self,
        tables: &RunTables,
        items: &[u64],
        threads: usize,
        monitor: &dyn Monitor,
    ) -> Result<Vec<ItemSums>> {
        let (chunks, total) = (self.chunks(), self.work_items());
        if let Some(bad) = items.iter().find(|&&i| i >= total) {
            return Err(SamplingError::OutOfRange {
                field: "work item",
                value: bad.to_string(),
                allowed: "0 to experiments x chunks - 1",
            });
        }
        map_items(threads, items.par_iter().copied(), monitor, |i| {
            let count = self.nets_in_item(i);
            (self.run_item(i / chunks, i % chunks, count, tables), count)
        })
    }

    /// Ordered, compensated merge per experiment of every item's sums (in item order); the
    /// items are those of whole experiments, in order.
    fn merge_with(&self, tables: &RunTables, results: &[ItemSums]) -> Result<EnsembleResult> {
        let chunks = self.chunks();
        let experiments = results.len() / chunks as usize;
        let n = self.nets as f64;
        let lens = tables.multisets.each_ref().map(Multisets::len);
        let merge = |pick: &dyn Fn(&ItemSums) -> &[Vec<f64>; 3]| -> [Vec<f64>; 3] {
            let mut out = lens.map(|len| Vec::with_capacity(experiments * len));
            for exp_items in results.chunks_exact(chunks as usize) {
                for (all, m) in out.iter_mut().zip(merge_experiment(exp_items, lens, self.nets, pick)) {
                    all.extend(m);
                }
            }
            out
        };
        let mut means = merge(&|it| &it.sums);
        if let Some(cv) = &tables.control {
            cv.correct_experiments(&tables.wick, &mut means, experiments);
        }
        let variances = if self.track_variance {
            let second = merge(&|it| it.squares.as_ref().unwrap_or(&it.sums));
            Some([0, 1, 2].map(|o| {
                let len = tables.multisets[o].len();
                let centre = |i: usize| tables.control.as_ref().map_or(0.0, |cv| cv.at_kernel()[o][i % len]);
                (second[o].iter().zip(&means[o]).enumerate())
                    .map(|(i, (s, mu))| (s - (mu - centre(i)).powi(2)).max(0.0) * n / (n - 1.0).max(1.0))
                    .collect()
            }))
        } else {
            None
        };
        Ok(EnsembleResult {
            multisets: tables.multisets.clone(),
            experiments,
            nets: self.nets,
            means,
            variances,
            eighth: None,
        })
    }

    /// One work item, built for AVX2 + FMA where the CPU has them (same bits either way).
    fn run_item(&self, experiment: u64, chunk: u64, count: u64, tables: &RunTables) -> ItemSums {
        with_simd(
            #[inline(always)]
            || match self.generator {
                Generator::Lanes => self.run_item_kernel(&mut seed::lanes(self.seed, experiment, chunk), count, tables),
                Generator::Reference => {
                    let mut rng = ReferenceNormals(seed::stream(self.seed, experiment, chunk));
                    self.run_item_kernel(&mut rng, count, tables)
                }
            },
        )
    }

    #[inline(always)]
    fn run_item_kernel<G: Normals>(&self, rng: &mut G, count: u64, tables: &RunTables) -> ItemSums {
        let RunTables { multisets, wick, products, prepared: xs, control, bias, grid } = tables;
        let m = xs.len();
        let zeros = || [0, 1, 2].map(|o| vec![[0.0; PARTS]; multisets[o].len()]);
        let mut sums = zeros();
        let mut squares = self.track_variance.then(zeros);
        let mut sampler = NetSampler::new(&self.net, self.width, xs);
        let mut done = 0u64;
        // `run` builds the bias-integrated tables exactly when that is the estimator
        match (self.estimator, bias) {
            (Estimator::Raw, None) => {
                let mut f = vec![0.0; m];
                let mut fold = RawFold::new(m);
                for _ in 0..count {
                    sampler.outputs(rng, &mut f);
                    fold.push(products, &f, &mut sums, squares.as_mut().map(|s| s.as_mut_slice()));
                }
                fold.flush(products, &mut sums, squares.as_mut().map(|s| s.as_mut_slice()));
            }
            (_, None) => {
                let mut cov = vec![0.0; m * m];
                let mut lanes = vec![[0.0; BATCH]; m * m];
                let mut scratch = Vec::new();
                // Per-net squares of the control variate's `O(delta^2)` remainder, one net
                // at a time, into the first partial sum (a diagnostic: only when variances
                // are tracked).
                let mut remainder =
                    control.as_ref().filter(|_| self.track_variance).map(|cv| (cv, DeviationScratch::default()));
                while done < count {
                    let batch = BATCH.min((count - done) as usize);
                    lanes.iter_mut().for_each(|l| *l = [0.0; BATCH]);
                    for j in 0..batch {
                        sampler.conditional_cov(rng, &mut cov);
                        for (lane, v) in lanes.iter_mut().zip(&cov) {
                            lane[j] = *v;
                        }
                        if let (Some((cv, scratch)), Some(sq)) = (remainder.as_mut(), squares.as_mut()) {
                            for (s, r) in sq.iter_mut().zip(cv.deviation_into(wick, &cov, scratch)) {
                                s.iter_mut().zip(r).for_each(|(s, r)| s[0] = r.mul_add(*r, s[0]));
                            }
                        }
                    }
                    let squares = squares.as_mut().filter(|_| remainder.is_none());
                    wick.accumulate_batch(&lanes, &mut scratch, &mut sums, squares.map(|s| s.as_mut_slice()));
                    done += batch as u64;
                }
            }
            (_, Some(bias)) => {
                // one net at a time: its neuron power sums (neurons in lanes), on the points'
                // grid where they have one, then the estimate
                let mut psi = vec![[0.0; BATCH]; m];
                let mut scratch = ProductScratch::default();
                let mut power = zeros();
                let mut totals: [Vec<f64>; 3] = [0, 1, 2].map(|o| vec![0.0; multisets[o].len()]);
                let (mut values, mut bias_scratch) = ([Vec::new(), Vec::new(), Vec::new()], BiasScratch::default());
                let mut on_grid = grid.as_ref().map(|g| (g, g.accumulators(), Vec::new()));
                // without squares, the nets' sums without each net's estimate
                let mut running = squares.is_none().then(|| bias.running_sums(wick));
                for net in 0..count {
                    if let Some((grid, q, lane_totals)) = on_grid.as_mut() {
                        q.iter_mut().flatten().for_each(|l| *l = [0.0; BATCH]);
                        sampler.gauss_weight_batches(rng, |w, count| grid.accumulate(w, count, q));
                        grid.power_sums_into(q, lane_totals, &mut totals);
                    } else {
                        power.iter_mut().flatten().for_each(|p| *p = [0.0; PARTS]);
                        sampler.gauss_power_sums(rng, products, &mut psi, &mut scratch, &mut power);
                        for (t, p) in totals.iter_mut().zip(&power) {
                            t.iter_mut().zip(p).for_each(|(t, p)| *t = parts_total(p));
                        }
                    }
                    if let Some(acc) = running.as_mut() {
                        bias.add_net(wick, &totals, acc, &mut sums);
                        continue;
                    }
                    bias.values_into(wick, &totals, &mut bias_scratch, &mut values);
                    let part = net as usize % PARTS;
                    for (o, v) in values.iter().enumerate() {
                        for (pos, v) in v.iter().enumerate() {
                            sums[o][pos][part] += v;
                            if let Some(sq) = squares.as_mut() {
                                sq[o][pos][part] = v.mul_add(*v, sq[o][pos][part]);
                            }
                        }
                    }
                }
                if let Some(acc) = running.as_mut() {
                    bias.finish(wick, acc, &mut sums);
                }
            }
        }
        let totals = |parts: [Vec<Parts>; 3]| parts.map(|o| o.iter().map(parts_total).collect());
        ItemSums { sums: totals(sums), squares: squares.map(totals) }
    }
}

/// The means of one experiment from its items' sums (`pick` chooses the sums or the squares),
/// in item order, for each order: `neumaier(item sums) / nets` per multiset.
pub(crate) fn merge_experiment(
    items: &[ItemSums],
    lens: [usize; 3],
    nets: u64,
    pick: &dyn Fn(&ItemSums) -> &[Vec<f64>; 3],
) -> [Vec<f64>; 3] {
    let n = nets as f64;
    [0, 1, 2].map(|o| (0..lens[o]).map(|pos| neumaier(items.iter().map(|it| pick(it)[o][pos])) / n).collect())
}

/// Neumaier's compensated sum (Kahan-Babuska): error independent of the number of terms to
/// first order.
pub(crate) fn neumaier(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            comp += (sum - t) + v;
        } else {
            comp += (v - t) + sum;
        }
        sum = t;
    }
    sum + comp
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnqft_theory::Activation;

    /// Every estimator's seed code, pinned: changing one changes the seeds of every study.
    #[test]
    fn seed_codes_are_pinned() {
        let pinned = [
            (Estimator::Raw, 0),
            (Estimator::Conditional, 1),
            (Estimator::ControlVariate, 2),
            (Estimator::BiasIntegrated, 3),
        ];
        assert_eq!(pinned.len(), Estimator::ALL.len());
        for (est, code) in pinned {
            assert_eq!(est.seed_code(), code, "{}", est.name());
        }
    }

    /// Gauss-net's bias-integrated estimator gives the same means with its power sums on the
    /// points' grid as with one product per multiset, and summed over nets as with each net's
    /// estimate formed, to rounding (relative 1e-12 on every multiset), at widths below and
    /// above one lane batch.
    #[test]
    fn grid_and_products_give_the_same_bias_integrated_means() {
        let net = Network::paper(Activation::Gauss, 1).unwrap();
        let xs = InputSet::scaling(Activation::Gauss, 1).unwrap();
        for width in [3, 70] {
            // per-net estimates (squares tracked), without the grid, as the reference
            let reference = Ensemble::new(net, width, xs.clone(), 3000, 2, Estimator::BiasIntegrated, 9)
                .unwrap()
                .with_variance(true);
            let per_net = RunTables { grid: None, ..reference.tables().unwrap() };
            let per_net = reference.run_in_batches(&per_net, 1, &|_| {}, 1).unwrap();
            // against the nets' running sums (module docs of `bias_integrated`) and the per-net
            // estimates, each with and without the grid
            for variance in [true, false] {
                let ens = Ensemble::new(net, width, xs.clone(), 3000, 2, Estimator::BiasIntegrated, 9)
                    .unwrap()
                    .with_variance(variance);
                let tables = ens.tables().unwrap();
                assert!(tables.grid.is_some(), "the scaling x-set is a grid");
                let products = RunTables { grid: None, ..tables.clone() };
                let (grid, direct) = (
                    ens.run_in_batches(&tables, 1, &|_| {}, 1).unwrap(),
                    ens.run_in_batches(&products, 1, &|_| {}, 1).unwrap(),
                );
                for (r, p) in [&grid, &direct]
                    .into_iter()
                    .flat_map(|r| r.means.iter().flatten().zip(per_net.means.iter().flatten()))
                {
                    assert!((r - p).abs() <= 1e-12 * p.abs(), "width {width}, variance {variance}: {r} vs {p}");
                }
            }
        }
    }

    /// Merging batch by batch gives the numbers of one merge at the end, bit for bit, for every
    /// batch size and estimator (with per-net variances and the control variate's correction).
    #[test]
    fn batched_merges_give_the_same_numbers() {
        let net = Network::paper(Activation::Erf, 1).unwrap();
        let xs = InputSet::scaling(Activation::Erf, 1).unwrap();
        for estimator in [Estimator::Raw, Estimator::Conditional, Estimator::ControlVariate] {
            let ens =
                Ensemble::new(net, 3, xs.clone(), 2 * CHUNK_NETS + 10, 5, estimator, 3).unwrap().with_variance(true);
            let tables = ens.tables().unwrap();
            let whole = ens.run_in_batches(&tables, 2, &|_| {}, 5).unwrap();
            assert_eq!(whole, ens.run(2).unwrap());
            for batch in [1, 2, 3] {
                assert_eq!(ens.run_in_batches(&tables, 2, &|_| {}, batch).unwrap(), whole, "{estimator} batch {batch}");
            }
        }
    }
}
