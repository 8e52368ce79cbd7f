//! An ensemble's identity: one typed key ([`EnsembleKey`]) from which both its name (the name
//! of its cached block and of its section in a shard file, its progress line) and its seed are
//! derived, so that the two cannot drift apart.
//!
//! # Names
//!
//! `<act>` is the activation's name, `<est>` the estimator's (`raw`, `conditional`,
//! `conditional_cv`, `bias_integrated`), `<d>` the input dimension, `<N>` a hidden width:
//!
//! | variant | name |
//! |---|---|
//! | [`EnsembleKey::Scaling`] | `scaling-<act>-d<d>-N<N>-<est>` |
//! | [`EnsembleKey::Table5`] | `table5-<act>-<set>-<est>`, `<set>` `train` or `test` |
//! | [`EnsembleKey::Rg`] | `rg-<act>-d<d>-N<N>` (conditional estimator), `rg-<act>-d<d>-N<N>-<est>` (any other) |
//! | [`EnsembleKey::Depth`] | `depth-<act>-L<depth>-N<N>-<est>` |
//! | [`EnsembleKey::Coverage`] | `coverage-<act>-N<N>-r<repetition>` |
//! | [`EnsembleKey::Sample`], [`EnsembleKey::DeepSample`] | `sample-<act>-N<n1>x<n2>...-<est>` (`N<N>` at one layer) |
//! | [`EnsembleKey::Ntk`] | `ntk-<act>-N<n1>x<n2>...` |
//! | [`EnsembleKey::Dntk`] | `dntk-<act>-N<n1>x<n2>...` |
//! | [`EnsembleKey::Ddntk`] | `ddntk-<act>-N<n1>x<n2>...` |
//! | [`EnsembleKey::NtkStudy`] | `ntk_study-<act>-L<depth>-N<N>` |
//! | [`EnsembleKey::ActionDensity`] | `action-<act>-N<N>` |
//!
//! # Seeds
//!
//! A study's ensemble is seeded by [`block_seed`] of the run's master seed and a code: the
//! key's numbers and a tag naming the study (`<a>` the activation's
//! [`Activation::seed_code`] or [`DeepActivation::seed_code`], `<e>` the estimator's
//! [`Estimator::seed_code`]: fixed constants, never a variant's position):
//!
//! | variant | code |
//! |---|---|
//! | [`EnsembleKey::Scaling`] | `[<a>, d, N, 1]` (both estimators of a width share the seed) |
//! | [`EnsembleKey::Table5`] | `[<a>, N, <set>, 5]`, `N` the network's Table 5 width ([`crate::table5::setup`]; not in the name), `<set>` 0 (train) or 1 (test) |
//! | [`EnsembleKey::Rg`] | `[<a>, d, N, 6]` (both estimators of a case share the seed) |
//! | [`EnsembleKey::Depth`] | `[0x6465_7074, <a>, L, N, <e>]` (`0x6465_7074` is ASCII `dept`) |
//! | [`EnsembleKey::Coverage`] | `[<a>, N, repetition, 17]` |
//! | [`EnsembleKey::NtkStudy`] | `[0x6e74_6b73, <a>, L, N]` (`0x6e74_6b73` is ASCII `ntks`) |
//! | [`EnsembleKey::ActionDensity`] | `[0x6163_746e, <a>, N]` (`0x6163_746e` is ASCII `actn`) |
//!
//! A one-ensemble run (`sample`, the NTK table) is seeded with its master seed unchanged; so is
//! the NTK table's dNTK and ddNTK ensembles ([`EnsembleKey::Dntk`], [`EnsembleKey::Ddntk`]),
//! whose experiment `e` then draws the first nets of the NTK ensemble's experiment `e` (the
//! dNTK's and the ddNTK's the same nets).

use nnqft_sampling::Estimator;
use nnqft_theory::{Activation, DeepActivation};

/// The inputs of a Table 5 ensemble: the network's training or test x-set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table5Set {
    /// The training x-set ([`nnqft_theory::InputSet::table5_train`]).
    Train,
    /// The test x-set ([`nnqft_theory::InputSet::table5_test`]).
    Test,
}

impl Table5Set {
    /// Both sets, training first (the study's order).
    pub const BOTH: [Table5Set; 2] = [Table5Set::Train, Table5Set::Test];

    /// `train` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Table5Set::Train => "train",
            Table5Set::Test => "test",
        }
    }

    /// The set's number in a block seed: 0 (train) or 1 (test).
    pub const fn seed_code(self) -> u64 {
        match self {
            Table5Set::Train => 0,
            Table5Set::Test => 1,
        }
    }
}

/// The identity of one ensemble of a run: its name ([`EnsembleKey::name`]) and its seed
/// ([`EnsembleKey::seed`]) both come from it. The grammar of names and seed codes is in the
/// [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EnsembleKey {
    /// An ensemble of the N⁻¹ scaling study ([`crate::scaling`]).
    Scaling {
        /// The paper network's activation.
        activation: Activation,
        /// Input dimension.
        d_in: usize,
        /// Hidden width.
        width: usize,
        /// Estimator (in the name, not in the seed).
        estimator: Estimator,
    },
    /// A Monte Carlo ensemble of Table 5 ([`crate::table5`]).
    Table5 {
        /// The paper network's activation (at `d = 1`).
        activation: Activation,
        /// Hidden width: the network's Table 5 width ([`crate::table5::setup`]), which the
        /// activation names (in the seed, not in the name).
        width: usize,
        /// Training or test inputs.
        set: Table5Set,
        /// Estimator (in the name, not in the seed).
        estimator: Estimator,
    },
    /// An ensemble of a flow case of the RG study ([`crate::rg`]).
    Rg {
        /// The paper network's activation.
        activation: Activation,
        /// Input dimension.
        d_in: usize,
        /// Hidden width.
        width: usize,
        /// Estimator (in the name unless conditional; not in the seed).
        estimator: Estimator,
    },
    /// A deep ensemble of the depth study ([`crate::depth`]), `depth` hidden layers of `width`.
    Depth {
        /// The activation.
        activation: DeepActivation,
        /// Hidden layers `L`.
        depth: usize,
        /// Equal hidden width `n`.
        width: usize,
        /// Estimator.
        estimator: Estimator,
    },
    /// One repetition of the coverage study at one width ([`crate::coverage`]; sampled
    /// directly, never named to a runner).
    Coverage {
        /// The paper network's activation (at `d = 1`).
        activation: Activation,
        /// Hidden width.
        width: usize,
        /// Repetition, from 0.
        repetition: usize,
    },
    /// The ensemble of a `sample` run of a one-layer, one-output paper network (or Cos-net).
    Sample {
        /// The activation.
        activation: Activation,
        /// Hidden width.
        width: usize,
        /// Estimator.
        estimator: Estimator,
    },
    /// The deep ensemble of a `sample` run.
    DeepSample {
        /// The activation.
        activation: DeepActivation,
        /// Hidden widths `n_1, ..., n_L`.
        widths: Vec<usize>,
        /// Estimator.
        estimator: Estimator,
    },
    /// The nets of an NTK table ([`crate::ntk_table`]).
    Ntk {
        /// The activation.
        activation: DeepActivation,
        /// Hidden widths `n_1, ..., n_L`.
        widths: Vec<usize>,
    },
    /// The nets of an NTK table's dNTK columns ([`crate::dntk_table`]).
    Dntk {
        /// The activation.
        activation: DeepActivation,
        /// Hidden widths `n_1, ..., n_L`.
        widths: Vec<usize>,
    },
    /// The nets of an NTK table's ddNTK columns ([`crate::ddntk_table`]).
    Ddntk {
        /// The activation.
        activation: DeepActivation,
        /// Hidden widths `n_1, ..., n_L`.
        widths: Vec<usize>,
    },
    /// The nets of one `(activation, L, n)` of the NTK study ([`crate::ntk_study`]).
    NtkStudy {
        /// The activation.
        activation: DeepActivation,
        /// Depth `L`.
        depth: usize,
        /// Equal hidden width `n`.
        width: usize,
    },
    /// The sampled outputs of the action study at one width ([`crate::action_study`]; raw
    /// outputs, sampled whole, never cached or sharded).
    ActionDensity {
        /// The paper network's (or Cos-net's) activation.
        activation: Activation,
        /// Hidden width.
        width: usize,
    },
}

/// Tags of the studies in their block seeds.
const SCALING_TAG: u64 = 1;
const TABLE5_TAG: u64 = 5;
const RG_TAG: u64 = 6;
const COVERAGE_TAG: u64 = 17;
/// ASCII `dept`; the depth study's tag comes first in its code.
const DEPTH_TAG: u64 = 0x6465_7074;
/// ASCII `ntks`; the NTK study's tag comes first in its code.
const NTK_STUDY_TAG: u64 = 0x6e74_6b73;
/// ASCII `actn`; the action study's tag comes first in its code.
const ACTION_TAG: u64 = 0x6163_746e;

/// `N<n1>x<n2>...`.
fn widths_label(widths: &[usize]) -> String {
    let w: Vec<String> = widths.iter().map(|w| w.to_string()).collect();
    format!("N{}", w.join("x"))
}

impl EnsembleKey {
    /// The ensemble's name, unique within a run (grammar in the [module documentation](self)).
    pub fn name(&self) -> String {
        match self {
            EnsembleKey::Scaling { activation, d_in, width, estimator } => {
                format!("scaling-{}-d{d_in}-N{width}-{}", activation.name(), estimator.name())
            }
            EnsembleKey::Table5 { activation, width: _, set, estimator } => {
                format!("table5-{}-{}-{}", activation.name(), set.name(), estimator.name())
            }
            EnsembleKey::Rg { activation, d_in, width, estimator: Estimator::Conditional } => {
                format!("rg-{}-d{d_in}-N{width}", activation.name())
            }
            EnsembleKey::Rg { activation, d_in, width, estimator } => {
                format!("rg-{}-d{d_in}-N{width}-{}", activation.name(), estimator.name())
            }
            EnsembleKey::Depth { activation, depth, width, estimator } => {
                format!("depth-{}-L{depth}-N{width}-{}", activation.name(), estimator.name())
            }
            EnsembleKey::Coverage { activation, width, repetition } => {
                format!("coverage-{}-N{width}-r{repetition}", activation.name())
            }
            EnsembleKey::Sample { activation, width, estimator } => {
                format!("sample-{}-{}-{}", activation.name(), widths_label(&[*width]), estimator.name())
            }
            EnsembleKey::DeepSample { activation, widths, estimator } => {
                format!("sample-{}-{}-{}", activation.name(), widths_label(widths), estimator.name())
            }
            EnsembleKey::Ntk { activation, widths } => format!("ntk-{}-{}", activation.name(), widths_label(widths)),
            EnsembleKey::Dntk { activation, widths } => format!("dntk-{}-{}", activation.name(), widths_label(widths)),
            EnsembleKey::Ddntk { activation, widths } => {
                format!("ddntk-{}-{}", activation.name(), widths_label(widths))
            }
            EnsembleKey::NtkStudy { activation, depth, width } => {
                format!("ntk_study-{}-L{depth}-N{width}", activation.name())
            }
            EnsembleKey::ActionDensity { activation, width } => format!("action-{}-N{width}", activation.name()),
        }
    }

    /// The ensemble's seed in a run of master seed `master` (codes in the
    /// [module documentation](self)).
    pub fn seed(&self, master: u64) -> u64 {
        match *self {
            EnsembleKey::Scaling { activation, d_in, width, estimator: _ } => {
                block_seed(master, &[activation.seed_code(), d_in as u64, width as u64, SCALING_TAG])
            }
            EnsembleKey::Table5 { activation, width, set, estimator: _ } => {
                block_seed(master, &[activation.seed_code(), width as u64, set.seed_code(), TABLE5_TAG])
            }
            EnsembleKey::Rg { activation, d_in, width, estimator: _ } => {
                block_seed(master, &[activation.seed_code(), d_in as u64, width as u64, RG_TAG])
            }
            EnsembleKey::Depth { activation, depth, width, estimator } => block_seed(
                master,
                &[DEPTH_TAG, activation.seed_code(), depth as u64, width as u64, estimator.seed_code()],
            ),
            EnsembleKey::Coverage { activation, width, repetition } => {
                block_seed(master, &[activation.seed_code(), width as u64, repetition as u64, COVERAGE_TAG])
            }
            EnsembleKey::NtkStudy { activation, depth, width } => {
                block_seed(master, &[NTK_STUDY_TAG, activation.seed_code(), depth as u64, width as u64])
            }
            EnsembleKey::ActionDensity { activation, width } => {
                block_seed(master, &[ACTION_TAG, activation.seed_code(), width as u64])
            }
            EnsembleKey::Sample { .. }
            | EnsembleKey::DeepSample { .. }
            | EnsembleKey::Ntk { .. }
            | EnsembleKey::Dntk { .. }
            | EnsembleKey::Ddntk { .. } => master,
        }
    }
}

/// Seed of one block: SplitMix64 of the master seed and a code naming the block (the codes of
/// a run's ensembles are [`EnsembleKey::seed`]'s).
pub fn block_seed(master: u64, code: &[u64]) -> u64 {
    code.iter().fold(nnqft_sampling::seed::splitmix64(master), |h, c| nnqft_sampling::seed::splitmix64(h ^ c))
}

impl std::fmt::Display for EnsembleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Table 5 sets' seed codes, pinned (the activations' and estimators' are pinned in
    /// their own crates).
    #[test]
    fn table5_set_codes_are_pinned() {
        assert_eq!(Table5Set::Train.seed_code(), 0);
        assert_eq!(Table5Set::Test.seed_code(), 1);
    }

    /// The rg study keys its conditional ensemble without the estimator's name, every other
    /// with it, on one seed.
    #[test]
    fn rg_names_its_conditional_ensemble_by_the_case_alone() {
        let key = |estimator| EnsembleKey::Rg { activation: Activation::Gauss, d_in: 1, width: 100, estimator };
        assert_eq!(key(Estimator::Conditional).name(), "rg-gauss-d1-N100");
        assert_eq!(key(Estimator::BiasIntegrated).name(), "rg-gauss-d1-N100-bias_integrated");
        assert_eq!(key(Estimator::Conditional).seed(7), key(Estimator::BiasIntegrated).seed(7));
    }

    /// A one-ensemble run's ensemble takes the master seed unchanged; names of widths.
    #[test]
    fn one_ensemble_runs_keep_the_master_seed() {
        let deep = EnsembleKey::DeepSample {
            activation: DeepActivation::Tanh,
            widths: vec![20, 30],
            estimator: Estimator::Conditional,
        };
        assert_eq!(deep.name(), "sample-tanh-N20x30-conditional");
        assert_eq!(deep.seed(42), 42);
        let one = EnsembleKey::Sample { activation: Activation::Erf, width: 4, estimator: Estimator::Raw };
        assert_eq!((one.name().as_str(), one.seed(5)), ("sample-erf-N4-raw", 5));
        let ntk = EnsembleKey::Ntk { activation: DeepActivation::Relu, widths: vec![8] };
        assert_eq!((ntk.name().as_str(), ntk.seed(9)), ("ntk-relu-N8", 9));
        assert_eq!(ntk.to_string(), ntk.name());
        let dntk = EnsembleKey::Dntk { activation: DeepActivation::Tanh, widths: vec![8, 6] };
        assert_eq!((dntk.name().as_str(), dntk.seed(9)), ("dntk-tanh-N8x6", 9));
        let ddntk = EnsembleKey::Ddntk { activation: DeepActivation::Gelu, widths: vec![3] };
        assert_eq!((ddntk.name().as_str(), ddntk.seed(11)), ("ddntk-gelu-N3", 11));
    }
}
