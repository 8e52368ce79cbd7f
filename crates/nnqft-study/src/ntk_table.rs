//! The neural tangent kernel table of a deep network (`nnqft ntk`, Python's `nnqft.ntk`): per
//! pair of `(output, point)` pairs of an input set, the infinite-width NTK and kernel and, when
//! nets are sampled, the mean per-network NTK and `G2` with their standard errors. One
//! implementation for every front door, so the columns agree.
//!
//! Rows are the multisets of order 2 of the `P = m d_out` pairs, in the order of the theory
//! table's order-2 rows (`crate::deep_theory`; pair `p` is output `p / m` at input `p % m`), so the
//! two tables join on `indices` and `outputs`. For the pair `(i, x_a)`, `(j, x_b)`:
//!
//! - `theta_inf`: the infinite-width NTK `δ_ij Θ(x_a, x_b)` of the layer recursion
//!   (`nnqft_theory::NeuralTangentKernel`, with learning-rate factors `λ_W`, `λ_b`; by default
//!   the NTK parameterisation `λ_W = C_W`, `λ_b = C_b`);
//! - `theta_shift_leading_order`: the `1/n` shift `δ_ij T(x_a, x_b)` of the mean NTK,
//!   `E[Θ_ij] = δ_ij (Θ + T) + O(1/n²)`, each layer's contribution carrying its own `1/n_l`
//!   (`nnqft_theory::NtkFluctuations`, PDLT's `H^{1}/n` at equal widths); null beyond
//!   [`NTK_SHIFT_MAX_POINTS`] input points;
//! - `theta_inf_error`, `theta_shift_leading_order_error`: the propagated bounds of the
//!   quadrature errors of those two columns (`NeuralTangentKernel::output_error`,
//!   `NtkFluctuations::theta_shift_error`; 0 where every expectation is a closed form);
//! - `g_gp`: the infinite-width two-point function `δ_ij K(x_a, x_b)` of the kernel recursion
//!   the NTK is built on;
//! - with sampled nets (`nnqft_sampling::NtkEnsemble`: explicit weights drawn from the priors,
//!   each net's exact NTK by a forward and a backward pass): `theta_mean` and `theta_stderr`,
//!   the mean over experiments of the per-experiment mean of `Θ_ij(x_a, x_b)` and its standard
//!   error `s / √E` over the `E` experiments; `g2_mean` and `g2_stderr` the same for
//!   `f_i(x_a) f_j(x_b)` of the same nets.
//!
//! Compare `theta_mean` with `theta_inf + theta_shift_leading_order` (relu's diagonal has no `1/n`
//! shift, Guillen, Misof, Gerken, arXiv:2508.11522).
//!
//! The fluctuation table (`ntk_fluctuations.parquet`, [`NtkTable::fluctuation_table`]; up to
//! [`NTK_SHIFT_MAX_POINTS`] points and [`NTK_FLUCTUATION_MAX_PAIRS`] `(output, point)` pairs) has
//! one row per pair of rows of the NTK table: the NTK's pair `(i1, x_a)`, `(i2, x_b)`
//! (`ntk_indices`, `ntk_outputs`) and a second pair `(i3, x_c)`, `(i4, x_d)` (`indices`,
//! `outputs`), with
//!
//! - `covariance_leading_order`: `Cov(Θ_i1i2(x_a, x_b), Θ_i3i4(x_c, x_d))` at order `1/n`,
//!   `(1/n_L) [δ_i1i2 δ_i3i4 A_(ab)(cd) + δ_i1i3 δ_i2i4 B_acbd + δ_i1i4 δ_i2i3 B_adbc]`;
//! - `cross_leading_order`: `Cov(Θ_i1i2(x_a, x_b), f_i3(x_c) f_i4(x_d))` at order `1/n`, the same
//!   with `D` and `F` (`nnqft_theory::NtkFluctuations` derives both);
//! - `covariance_leading_order_error`, `cross_leading_order_error`: their propagated quadrature
//!   error bounds (`NtkFluctuations::ntk_covariance_error`, `ntk_preactivation_error`);
//! - with sampled nets: `covariance_mean`, `covariance_stderr`, `cross_mean`, `cross_stderr`, each
//!   experiment's unbiased covariance over its nets, their mean over experiments and its
//!   standard error (`nnqft_sampling::NtkEnsemble::with_fluctuations`).
//!
//! The dNTK table (`ntk_dntk.parquet`, with [`NtkSettings::dntk`]; [`NtkTable::dntk_table`],
//! its rows and columns in [`crate::dntk_table`]) has one row per row of the NTK table and
//! ordered pair of `(output, point)` pairs: `E[dΘ f]` at order `1/n`, and measured.
//!
//! The ddNTK table (`ntk_ddntk.parquet`, with [`NtkSettings::ddntk`]; [`NtkTable::ddntk_table`],
//! its rows and columns in [`crate::ddntk_table`]) has the dNTK table's rows with the ordered
//! pair the two gradient directions: `E[ddIΘ]` and `E[ddIIΘ]` at order `1/n` (for one hidden
//! layer; missing values for deeper networks, whose theory is not derived), and measured.

use crate::ddntk_table::{DdntkRows, ddntk_rows};
use crate::dntk_table::{DntkRows, dntk_rows};
use crate::error::Result;
use crate::key::EnsembleKey;
use crate::pair_rows::{Derivative, check_reach};
use crate::runner::Runner;
use crate::table::{Table, joined};
use nnqft_sampling::{
    DdntkEnsemble, DntkEnsemble, Monitor, NTK_FLUCTUATION_MAX_PAIRS, NtkEnsemble, NtkEnsembleResult, SamplingError,
};
use nnqft_theory::{
    DeepNetwork, DifferentialNtk, DoubleDifferentialNtk, InputSet, Multisets, NeuralTangentKernel, NtkFluctuations,
    TheoryError,
};

/// The most `(output, point)` pairs `m d_out` of an NTK table (the sampled ensemble's limit,
/// about 32 thousand rows).
pub const NTK_MAX_PAIRS: usize = 255;

/// The most input points for which the table computes `theta_shift_leading_order` (its
/// recursion takes `O(m⁴)` four-point Gaussian expectations per layer); beyond, the column is
/// null.
pub const NTK_SHIFT_MAX_POINTS: usize = crate::pair_rows::MAX_POINTS;

/// Sampled nets of an NTK table: `experiments` experiments of `nets` nets each, drawn with the
/// master seed `seed` (handed to `NtkEnsemble::new` unchanged, [`EnsembleKey::Ntk`]'s seed, so
/// the numbers are that ensemble's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtkSampling {
    /// Nets per experiment (>= 1).
    pub nets: u64,
    /// Experiments (>= 2: standard errors need two).
    pub experiments: usize,
    /// The master seed.
    pub seed: u64,
}

/// The named settings of an NTK table; the defaults are the NTK parameterisation and no
/// sampling.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NtkSettings {
    /// `λ_W` (finite, >= 0); `None` is `C_W`.
    pub lambda_w: Option<f64>,
    /// `λ_b` (finite, >= 0); `None` is `C_b`.
    pub lambda_b: Option<f64>,
    /// Sampled nets, or `None` for the infinite-width columns alone.
    pub sampling: Option<NtkSampling>,
    /// Whether to compute the dNTK table too ([`crate::dntk_table`]; at most
    /// [`NTK_SHIFT_MAX_POINTS`] points and `nnqft_sampling::DNTK_MAX_PAIRS` `(output, point)`
    /// pairs, not Gauss-net); with `sampling`, its nets are measured as well (the same master
    /// seed, [`EnsembleKey::Dntk`]).
    pub dntk: bool,
    /// Whether to compute the ddNTK table too ([`crate::ddntk_table`]; the same reach as the
    /// dNTK's, `nnqft_sampling::DDNTK_MAX_PAIRS` pairs); with `sampling`, its nets are measured
    /// as well (the same master seed, [`EnsembleKey::Ddntk`]). Independent of `dntk`: either,
    /// both or neither (each is its own table).
    pub ddntk: bool,
}

/// A validated NTK table, its infinite-width columns computed: [`NtkTable::rows`] samples the
/// nets (if any) and returns the rows. Validating first lets a front door refuse bad input
/// before it creates anything.
#[derive(Debug, Clone)]
pub struct NtkTable {
    net: DeepNetwork,
    inputs: InputSet,
    theory: NeuralTangentKernel,
    finite_width: Option<NtkFluctuations>,
    ensemble: Option<NtkEnsemble>,
    key: EnsembleKey,
    dntk: Option<DifferentialNtk>,
    dntk_ensemble: Option<DntkEnsemble>,
    /// Whether the ddNTK table was asked for.
    ddntk_asked: bool,
    /// Its theory, `None` where not derived (`L >= 2`).
    ddntk: Option<DoubleDifferentialNtk>,
    ddntk_ensemble: Option<DdntkEnsemble>,
}

/// The sampled columns of an NTK table (module docs), one value per row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NtkSampledRows {
    /// Nets per experiment.
    pub nets: u64,
    /// Experiments.
    pub experiments: usize,
    /// Mean over experiments of the mean per-network NTK.
    pub theta_mean: Vec<f64>,
    /// Its standard error over experiments.
    pub theta_stderr: Vec<f64>,
    /// Mean over experiments of the mean `f_i(x_a) f_j(x_b)`.
    pub g2_mean: Vec<f64>,
    /// Its standard error over experiments.
    pub g2_stderr: Vec<f64>,
}

/// The rows of an NTK table (module docs): one per multiset of order 2 of the `(output, point)`
/// pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NtkRows {
    /// The input index of each factor, e.g. `0,3`.
    pub indices: Vec<String>,
    /// The output index of each factor, in the order of `indices`.
    pub outputs: Vec<String>,
    /// Infinite width: `δ_ij Θ(x_a, x_b)`.
    pub theta_inf: Vec<f64>,
    /// The `1/n` shift of the mean NTK, `δ_ij T(x_a, x_b)` (`None` beyond
    /// [`NTK_SHIFT_MAX_POINTS`] points).
    pub theta_shift_leading_order: Vec<Option<f64>>,
    /// The propagated quadrature error bound of `theta_inf`.
    pub theta_inf_error: Vec<f64>,
    /// The propagated quadrature error bound of `theta_shift_leading_order`.
    pub theta_shift_leading_order_error: Vec<Option<f64>>,
    /// Infinite width: `δ_ij K(x_a, x_b)`.
    pub g_gp: Vec<f64>,
    /// The sampled columns, when nets were sampled.
    pub sampled: Option<NtkSampledRows>,
    /// The fluctuation table's rows (module docs), when the table has them.
    pub fluctuations: Option<NtkFluctuationRows>,
    /// The dNTK table's rows ([`crate::dntk_table`]), when [`NtkSettings::dntk`] asked for them.
    pub dntk: Option<DntkRows>,
    /// The ddNTK table's rows ([`crate::ddntk_table`]), when [`NtkSettings::ddntk`] asked for
    /// them.
    pub ddntk: Option<DdntkRows>,
    /// `λ_W` used.
    pub lambda_w: f64,
    /// `λ_b` used.
    pub lambda_b: f64,
    /// The largest quadrature error estimate behind `theta_inf` and `g_gp` (0 for closed forms).
    pub quadrature_error: f64,
}

/// The rows of the fluctuation table (module docs): one per pair of rows of the NTK table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NtkFluctuationRows {
    /// The inputs of the NTK's pair, e.g. `0,1`.
    pub ntk_indices: Vec<String>,
    /// The outputs of the NTK's pair.
    pub ntk_outputs: Vec<String>,
    /// The inputs of the second pair.
    pub indices: Vec<String>,
    /// The outputs of the second pair.
    pub outputs: Vec<String>,
    /// `Cov(Θ_i1i2,ab, Θ_i3i4,cd)` at order `1/n`.
    pub covariance_leading_order: Vec<f64>,
    /// `Cov(Θ_i1i2,ab, f_i3,c f_i4,d)` at order `1/n`.
    pub cross_leading_order: Vec<f64>,
    /// The propagated quadrature error bound of `covariance_leading_order`.
    pub covariance_leading_order_error: Vec<f64>,
    /// The propagated quadrature error bound of `cross_leading_order`.
    pub cross_leading_order_error: Vec<f64>,
    /// With sampled nets: the measured `Cov(Θ, Θ)` and its standard error.
    pub covariance: Option<(Vec<f64>, Vec<f64>)>,
    /// With sampled nets: the measured `Cov(Θ, f f)` and its standard error.
    pub cross: Option<(Vec<f64>, Vec<f64>)>,
}

impl NtkRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.indices.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

impl NtkTable {
    /// Validates the table of `net` on `inputs` and computes its infinite-width columns. Errors
    /// name the field and its allowed range: `lambda_w`, `lambda_b` finite and `>= 0`; at most
    /// [`NTK_MAX_PAIRS`] `(output, point)` pairs; with sampling `nets >= 1`, `experiments >= 2`,
    /// priors and inputs whose correlators stay finite, and a run that fits in memory on one
    /// thread.
    pub fn new(net: &DeepNetwork, inputs: &InputSet, settings: &NtkSettings) -> Result<Self> {
        Self::with_monitor(net, inputs, settings, &())
    }

    /// [`Self::new`] under `monitor`, asked before each Gaussian expectation of the order-`1/n`
    /// theory whether to stop (`nnqft.ntk`'s Ctrl-C). The same numbers, bit for bit.
    pub fn with_monitor(
        net: &DeepNetwork,
        inputs: &InputSet,
        settings: &NtkSettings,
        monitor: &dyn Monitor,
    ) -> Result<Self> {
        let pairs = inputs.len().saturating_mul(net.d_out());
        if pairs > NTK_MAX_PAIRS {
            return Err(SamplingError::OutOfRange {
                field: "input points x d_out",
                value: pairs.to_string(),
                allowed: "1 to 255 (output, point) pairs",
            }
            .into());
        }
        if settings.dntk {
            check_reach(net, inputs, Derivative::Dntk)?;
        }
        if settings.ddntk {
            check_reach(net, inputs, Derivative::Ddntk)?;
        }
        let lambda_w = settings.lambda_w.unwrap_or(net.c_w());
        let lambda_b = settings.lambda_b.unwrap_or(net.c_b());
        let theory = NeuralTangentKernel::with_learning_rates(net, inputs, lambda_w, lambda_b)?;
        // the dNTK is built on the fluctuation tensors: computed once, for both tables
        let dntk = if settings.dntk {
            Some(DifferentialNtk::with_monitor(net, inputs, lambda_w, lambda_b, monitor)?)
        } else {
            None
        };
        let finite_width = if let Some(d) = &dntk {
            Some(d.fluctuations().clone())
        } else if inputs.len() <= NTK_SHIFT_MAX_POINTS {
            Some(NtkFluctuations::with_monitor(net, inputs, lambda_w, lambda_b, monitor)?)
        } else {
            None
        };
        let key = EnsembleKey::Ntk { activation: net.activation(), widths: net.widths().to_vec() };
        let ensemble = match settings.sampling {
            None => None,
            Some(s) => {
                if s.experiments < 2 {
                    return Err(SamplingError::OutOfRange {
                        field: "experiments",
                        value: s.experiments.to_string(),
                        allowed: "an integer >= 2 (standard errors need two)",
                    }
                    .into());
                }
                let mut ens = NtkEnsemble::new(net.clone(), inputs.clone(), s.nets, s.experiments, key.seed(s.seed))?
                    .with_learning_rates(lambda_w, lambda_b)?;
                if finite_width.is_some() && pairs <= NTK_FLUCTUATION_MAX_PAIRS {
                    ens = ens.with_fluctuations()?;
                }
                ens.check_memory(1)?;
                Some(ens)
            }
        };
        let dntk_ensemble = match settings.sampling.filter(|_| settings.dntk) {
            None => None,
            Some(s) => {
                let ens = DntkEnsemble::new(net.clone(), inputs.clone(), s.nets, s.experiments, key.seed(s.seed))?
                    .with_learning_rates(lambda_w, lambda_b)?;
                ens.check_memory(1)?;
                Some(ens)
            }
        };
        // the ddNTK's theory where it is derived; elsewhere its columns are missing values
        let ddntk = if settings.ddntk {
            match DoubleDifferentialNtk::with_learning_rates(net, inputs, lambda_w, lambda_b) {
                Ok(theory) => Some(theory),
                Err(TheoryError::Unsupported(_)) => None,
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
        let ddntk_ensemble = match settings.sampling.filter(|_| settings.ddntk) {
            None => None,
            Some(s) => {
                let dd_key = EnsembleKey::Ddntk { activation: net.activation(), widths: net.widths().to_vec() };
                let ens = DdntkEnsemble::new(net.clone(), inputs.clone(), s.nets, s.experiments, dd_key.seed(s.seed))?
                    .with_learning_rates(lambda_w, lambda_b)?;
                ens.check_memory(1)?;
                Some(ens)
            }
        };
        let (net, inputs) = (net.clone(), inputs.clone());
        let ddntk_asked = settings.ddntk;
        Ok(Self {
            net,
            inputs,
            theory,
            finite_width,
            ensemble,
            key,
            dntk,
            dntk_ensemble,
            ddntk_asked,
            ddntk,
            ddntk_ensemble,
        })
    }

    /// The network.
    pub fn network(&self) -> &DeepNetwork {
        &self.net
    }

    /// The input set.
    pub fn inputs(&self) -> &InputSet {
        &self.inputs
    }

    /// The infinite-width NTK the table's `theta_inf` comes from.
    pub fn theory(&self) -> &NeuralTangentKernel {
        &self.theory
    }

    /// The finite-width theory `theta_shift_leading_order` comes from (`None` beyond
    /// [`NTK_SHIFT_MAX_POINTS`] points).
    pub fn finite_width(&self) -> Option<&NtkFluctuations> {
        self.finite_width.as_ref()
    }

    /// The ensemble of the sampled columns, if any.
    pub fn ensemble(&self) -> Option<&NtkEnsemble> {
        self.ensemble.as_ref()
    }

    /// The dNTK theory of the dNTK table, if asked for ([`NtkSettings::dntk`]).
    pub fn dntk(&self) -> Option<&DifferentialNtk> {
        self.dntk.as_ref()
    }

    /// The ensemble of the dNTK table's measured columns, if any.
    pub fn dntk_ensemble(&self) -> Option<&DntkEnsemble> {
        self.dntk_ensemble.as_ref()
    }

    /// The ddNTK theory of the ddNTK table's leading-order columns: `None` unless
    /// [`NtkSettings::ddntk`] asked for the table and the theory is derived for the network
    /// (`L = 1` today; elsewhere the columns are missing values, [`crate::ddntk_table`]).
    pub fn ddntk(&self) -> Option<&DoubleDifferentialNtk> {
        self.ddntk.as_ref()
    }

    /// The ensemble of the ddNTK table's measured columns, if any.
    pub fn ddntk_ensemble(&self) -> Option<&DdntkEnsemble> {
        self.ddntk_ensemble.as_ref()
    }

    /// The rows; the nets, if any, come from `runner` (`Runner::ntk_ensemble`, named
    /// `ntk-<activation>-N<n1>x<n2>...`, for the dNTK `Runner::dntk_ensemble`, named
    /// `dntk-...`, and for the ddNTK `Runner::ddntk_ensemble`, named `ddntk-...`; the seed is the
    /// settings', not the runner's).
    pub fn rows<R: Runner + ?Sized>(&self, runner: &R) -> Result<NtkRows> {
        let sampled = self.ensemble.as_ref().map(|ens| runner.ntk_ensemble(&self.key, ens)).transpose()?;
        let key = EnsembleKey::Dntk { activation: self.net.activation(), widths: self.net.widths().to_vec() };
        let measured = self.dntk_ensemble.as_ref().map(|ens| runner.dntk_ensemble(&key, ens)).transpose()?;
        let key = EnsembleKey::Ddntk { activation: self.net.activation(), widths: self.net.widths().to_vec() };
        let dd_measured = self.ddntk_ensemble.as_ref().map(|ens| runner.ddntk_ensemble(&key, ens)).transpose()?;
        let mut rows = self.rows_of(sampled.as_ref());
        rows.dntk = self.dntk.as_ref().map(|theory| dntk_rows(theory, measured.as_ref()));
        if self.ddntk_asked {
            let (m, d_out) = (self.inputs.len(), self.net.d_out());
            rows.ddntk = Some(ddntk_rows(m, d_out, self.ddntk.as_ref(), dd_measured.as_ref()));
        }
        Ok(rows)
    }

    /// The table of `rows` (of this table's network): the keys `network`, `d_in`, `sigma_w`,
    /// `sigma_b`, `x_set`, `depth`, `widths`, `lambda_w`, `lambda_b`, then `indices`, `outputs`,
    /// `theta_inf`, `theta_shift_leading_order`, `theta_inf_error`, `theta_shift_leading_order_error`, with sampled nets `theta_mean`, `theta_stderr`, then `g_gp` and with sampled
    /// nets `g2_mean`, `g2_stderr` (`ntk.parquet`, Python's `nnqft.ntk`).
    pub fn table(&self, rows: NtkRows) -> Table {
        let h = rows.len();
        let mut t = self
            .keys(&rows, h)
            .str("indices", rows.indices)
            .str("outputs", rows.outputs)
            .f64("theta_inf", rows.theta_inf)
            .opt("theta_shift_leading_order", rows.theta_shift_leading_order)
            .f64("theta_inf_error", rows.theta_inf_error)
            .opt("theta_shift_leading_order_error", rows.theta_shift_leading_order_error);
        let sampled = rows.sampled;
        if let Some(s) = &sampled {
            t = t.f64("theta_mean", s.theta_mean.clone()).f64("theta_stderr", s.theta_stderr.clone());
        }
        t = t.f64("g_gp", rows.g_gp);
        if let Some(s) = sampled {
            t = t.f64("g2_mean", s.g2_mean).f64("g2_stderr", s.g2_stderr);
        }
        t
    }

    /// The fluctuation table of `rows` (module docs; `None` when the table has none): the keys
    /// of [`Self::table`], `ntk_indices`, `ntk_outputs`, `indices`, `outputs`,
    /// `covariance_leading_order`, `covariance_leading_order_error`, with sampled nets
    /// `covariance_mean`, `covariance_stderr`, then `cross_leading_order`,
    /// `cross_leading_order_error` and with sampled nets `cross_mean`, `cross_stderr`
    /// (`ntk_fluctuations.parquet`).
    pub fn fluctuation_table(&self, rows: &NtkRows) -> Option<Table> {
        let f = rows.fluctuations.clone()?;
        let h = f.indices.len();
        let mut t = self.keys(rows, h).str("ntk_indices", f.ntk_indices).str("ntk_outputs", f.ntk_outputs);
        t = t.str("indices", f.indices).str("outputs", f.outputs);
        t = t.f64("covariance_leading_order", f.covariance_leading_order);
        t = t.f64("covariance_leading_order_error", f.covariance_leading_order_error);
        if let Some((mean, stderr)) = f.covariance {
            t = t.f64("covariance_mean", mean).f64("covariance_stderr", stderr);
        }
        t = t.f64("cross_leading_order", f.cross_leading_order);
        t = t.f64("cross_leading_order_error", f.cross_leading_order_error);
        if let Some((mean, stderr)) = f.cross {
            t = t.f64("cross_mean", mean).f64("cross_stderr", stderr);
        }
        Some(t)
    }

    /// The dNTK table of `rows` ([`crate::dntk_table`]; `None` unless [`NtkSettings::dntk`] asked
    /// for it): the keys of [`Self::table`], `ntk_indices`, `ntk_outputs`, `indices`, `outputs`,
    /// `dntk_preactivation_leading_order`, `dntk_preactivation_leading_order_error` and with
    /// sampled nets `dntk_preactivation_mean`, `dntk_preactivation_stderr` (`ntk_dntk.parquet`).
    pub fn dntk_table(&self, rows: &NtkRows) -> Option<Table> {
        let d = rows.dntk.clone()?;
        let keys = self.keys(rows, d.len());
        Some(d.into_table(keys))
    }

    /// The ddNTK table of `rows` ([`crate::ddntk_table`]; `None` unless [`NtkSettings::ddntk`]
    /// asked for it): the keys of [`Self::table`], `ntk_indices`, `ntk_outputs`, `indices`,
    /// `outputs`, `ddi_leading_order`, `ddi_leading_order_error`, with sampled nets `ddi_mean`,
    /// `ddi_stderr`, then `ddii_leading_order`, `ddii_leading_order_error` and with sampled nets
    /// `ddii_mean`, `ddii_stderr` (`ntk_ddntk.parquet`; the leading orders missing where the
    /// theory is not derived, `L >= 2`).
    pub fn ddntk_table(&self, rows: &NtkRows) -> Option<Table> {
        let d = rows.ddntk.clone()?;
        let keys = self.keys(rows, d.len());
        Some(d.into_table(keys))
    }

    /// The key columns of every table, `h` rows.
    fn keys(&self, rows: &NtkRows, h: usize) -> Table {
        let net = &self.net;
        Table::new()
            .str("network", vec![net.activation().name(); h])
            .int("d_in", vec![net.d_in() as i64; h])
            .f64("sigma_w", vec![net.c_w().sqrt(); h])
            .f64("sigma_b", vec![net.c_b().sqrt(); h])
            .str("x_set", vec![self.inputs.name().to_string(); h])
            .int("depth", vec![net.depth() as i64; h])
            .str("widths", vec![joined(net.widths()); h])
            .f64("lambda_w", vec![rows.lambda_w; h])
            .f64("lambda_b", vec![rows.lambda_b; h])
    }

    /// The fluctuation rows over every pair of `pairs` (the NTK table's rows).
    fn fluctuation_rows(&self, pairs: &Multisets, sampled: Option<&NtkEnsembleResult>) -> Option<NtkFluctuationRows> {
        let theory = self.finite_width.as_ref()?;
        if pairs.len() > NTK_FLUCTUATION_MAX_PAIRS * (NTK_FLUCTUATION_MAX_PAIRS + 1) / 2 {
            return None;
        }
        let m = theory.points();
        let label = |v: &[usize]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let measured = sampled.filter(|r| !r.ntk_ntk.is_empty());
        let mut out = NtkFluctuationRows::default();
        let (mut cov, mut cross) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
        for first in pairs.iter() {
            for second in pairs.iter() {
                let pq: Vec<usize> = first.iter().chain(second).map(|&p| p as usize).collect();
                let outputs = [0, 1, 2, 3].map(|k| pq[k] / m);
                let points = [0, 1, 2, 3].map(|k| pq[k] % m);
                out.ntk_indices.push(label(&points[..2]));
                out.ntk_outputs.push(label(&outputs[..2]));
                out.indices.push(label(&points[2..]));
                out.outputs.push(label(&outputs[2..]));
                out.covariance_leading_order.push(theory.ntk_covariance(outputs, points));
                out.cross_leading_order.push(theory.ntk_preactivation(outputs, points));
                out.covariance_leading_order_error.push(theory.ntk_covariance_error(outputs, points));
                out.cross_leading_order_error.push(theory.ntk_preactivation_error(outputs, points));
                if let Some(r) = measured {
                    let (c, x) = (r.ntk_covariance(outputs, points), r.ntk_preactivation(outputs, points));
                    let (c, x) = (c.expect("pairs in range"), x.expect("pairs in range"));
                    cov.0.push(c.mean);
                    cov.1.push(c.stderr);
                    cross.0.push(x.mean);
                    cross.1.push(x.stderr);
                }
            }
        }
        if measured.is_some() {
            out.covariance = Some(cov);
            out.cross = Some(cross);
        }
        Some(out)
    }

    fn rows_of(&self, sampled: Option<&NtkEnsembleResult>) -> NtkRows {
        let t = &self.theory;
        let m = t.points();
        let (theta, k) = (t.output(), t.kernels().output());
        let shift = self.finite_width.as_ref().map(NtkFluctuations::theta_shift);
        let shift_error = self.finite_width.as_ref().map(NtkFluctuations::theta_shift_error);
        let theta_error = t.output_error();
        let pairs = Multisets::new(m * t.d_out(), 2).expect("at most 255 (output, point) pairs, checked in new");
        let label = |v: &[usize]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let mut rows = NtkRows {
            lambda_w: t.lambda_w(),
            lambda_b: t.lambda_b(),
            quadrature_error: t.quadrature_error(),
            sampled: sampled.map(|r| NtkSampledRows { nets: r.nets, experiments: r.experiments, ..Default::default() }),
            fluctuations: self.fluctuation_rows(&pairs, sampled),
            ..Default::default()
        };
        for pair in pairs.iter() {
            let (outputs, points): (Vec<usize>, Vec<usize>) =
                pair.iter().map(|&p| (p as usize / m, p as usize % m)).unzip();
            let (i, j, a, b) = (outputs[0], outputs[1], points[0], points[1]);
            let delta = if i == j { 1.0 } else { 0.0 };
            rows.indices.push(label(&points));
            rows.outputs.push(label(&outputs));
            rows.theta_inf.push(delta * theta[a * m + b]);
            rows.theta_shift_leading_order.push(shift.as_ref().map(|s| delta * s[a * m + b]));
            rows.theta_inf_error.push(delta * theta_error[a * m + b]);
            rows.theta_shift_leading_order_error.push(shift_error.as_ref().map(|e| delta * e[a * m + b]));
            rows.g_gp.push(delta * k[a * m + b]);
            if let (Some(r), Some(s)) = (sampled, rows.sampled.as_mut()) {
                let (theta, g2) = (r.ntk(a, b, i, j), r.g2(a, b, i, j));
                let (theta, g2) = (theta.expect("pair in range"), g2.expect("pair in range"));
                s.theta_mean.push(theta.mean);
                s.theta_stderr.push(theta.stderr);
                s.g2_mean.push(g2.mean);
                s.g2_stderr.push(g2.stderr);
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Direct;
    use nnqft_sampling::Measured;
    use nnqft_theory::DeepActivation;

    /// Closed forms against the recursion: a few roundings.
    const ROUNDING: f64 = 1e-14;

    /// Deep linear nets with `C_b = λ_b = 0` on inputs `x_a`, `x_b` in `d = 1`:
    /// `K = C_W^(L+1) x_a x_b` and `Θ = (L + 1) λ_W C_W^L x_a x_b` (each of the `L + 1` layers
    /// contributes `λ_W` times the kernel below it, carried up by `C_W` per layer), written out
    /// here rather than taken from the recursion; two outputs give zero cross-output rows.
    #[test]
    fn infinite_width_columns_of_deep_linear_nets() {
        let (c_w, lambda_w) = (1.3f64, 0.7f64);
        let net = DeepNetwork::new(DeepActivation::Linear, &[4, 6], c_w, 0.0).unwrap().with_d_out(2).unwrap();
        let x = [0.5, -1.5];
        let xs = InputSet::new("two", &[vec![x[0]], vec![x[1]]]).unwrap();
        let settings = NtkSettings { lambda_w: Some(lambda_w), lambda_b: Some(0.0), ..Default::default() };
        let rows = NtkTable::new(&net, &xs, &settings).unwrap().rows(&Direct::new(1, 1)).unwrap();
        // P = 4 (output, point) pairs: 10 unordered pairs
        assert_eq!(rows.len(), 10);
        assert!(rows.sampled.is_none());
        assert_eq!((rows.lambda_w, rows.lambda_b), (lambda_w, 0.0));
        // a deep linear network's mean NTK has no 1/n shift (`NtkFluctuations`' docs)
        assert!(rows.theta_shift_leading_order.iter().all(|v| *v == Some(0.0)), "{:?}", rows.theta_shift_leading_order);
        // every expectation of a linear network is a closed form: no quadrature error anywhere
        assert!(rows.theta_inf_error.iter().all(|e| *e == 0.0), "{:?}", rows.theta_inf_error);
        assert!(rows.theta_shift_leading_order_error.iter().all(|e| *e == Some(0.0)));
        let f = rows.fluctuations.as_ref().expect("two points, four pairs: fluctuation rows");
        assert!(f.covariance_leading_order_error.iter().chain(&f.cross_leading_order_error).all(|e| *e == 0.0));
        assert_eq!(rows.indices[..4], ["0,0", "0,1", "0,0", "0,1"]);
        assert_eq!(rows.outputs[..4], ["0,0", "0,0", "0,1", "0,1"]);
        for r in 0..rows.len() {
            let a: Vec<usize> = rows.indices[r].split(',').map(|v| v.parse().unwrap()).collect();
            let i: Vec<usize> = rows.outputs[r].split(',').map(|v| v.parse().unwrap()).collect();
            let delta = if i[0] == i[1] { 1.0 } else { 0.0 };
            let xx = x[a[0]] * x[a[1]];
            let (k, theta) = (delta * c_w.powi(3) * xx, delta * 3.0 * lambda_w * c_w.powi(2) * xx);
            assert!((rows.g_gp[r] - k).abs() <= ROUNDING * k.abs().max(1.0), "row {r}");
            assert!((rows.theta_inf[r] - theta).abs() <= ROUNDING * theta.abs().max(1.0), "row {r}");
        }
    }

    /// The default learning rates are the NTK parameterisation, and the sampled columns are the
    /// ensemble's summaries entry for entry.
    #[test]
    fn sampled_columns_are_the_ensembles() {
        let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[5, 5]).unwrap();
        let xs = InputSet::new("two", &[vec![0.3], vec![-0.8]]).unwrap();
        let sampling = NtkSampling { nets: 300, experiments: 3, seed: 9 };
        let table = NtkTable::new(&net, &xs, &NtkSettings { sampling: Some(sampling), ..Default::default() }).unwrap();
        assert_eq!((table.theory().lambda_w(), table.theory().lambda_b()), (net.c_w(), net.c_b()));
        let rows = table.rows(&Direct::new(123, 2)).unwrap();
        // measuring the fluctuations leaves the means bit for bit as without
        assert!(table.ensemble().unwrap().fluctuations());
        let result = NtkEnsemble::new(net.clone(), xs.clone(), 300, 3, 9).unwrap().run(1).unwrap();
        let s = rows.sampled.unwrap();
        assert_eq!((s.nets, s.experiments), (300, 3));
        for (r, (a, b)) in [(0, 0), (0, 1), (1, 1)].into_iter().enumerate() {
            let theta = Measured { mean: s.theta_mean[r], stderr: s.theta_stderr[r] };
            let g2 = Measured { mean: s.g2_mean[r], stderr: s.g2_stderr[r] };
            assert_eq!(theta, result.ntk(a, b, 0, 0).unwrap());
            assert_eq!(g2, result.g2(a, b, 0, 0).unwrap());
        }
        // the fluctuation rows: 3 x 3 pairs of rows, the theory's and the ensemble's numbers
        let f = rows.fluctuations.as_ref().unwrap();
        let theory = NtkFluctuations::new(&net, &xs).unwrap();
        let measured = NtkEnsemble::new(net, xs, 300, 3, 9).unwrap().with_fluctuations().unwrap().run(2).unwrap();
        let (cov, cross) = (f.covariance.as_ref().unwrap(), f.cross.as_ref().unwrap());
        assert_eq!(f.covariance_leading_order.len(), 9);
        let pairs = [[0, 0], [0, 1], [1, 1]];
        for (r, (x, y)) in pairs.iter().flat_map(|x| pairs.iter().map(move |y| (x, y))).enumerate() {
            let points = [x[0], x[1], y[0], y[1]];
            let predicted = (theory.ntk_covariance([0; 4], points), theory.ntk_preactivation([0; 4], points));
            assert_eq!((f.covariance_leading_order[r], f.cross_leading_order[r]), predicted);
            let (c, p) =
                (measured.ntk_covariance([0; 4], points).unwrap(), measured.ntk_preactivation([0; 4], points).unwrap());
            assert_eq!((cov.0[r], cov.1[r], cross.0[r], cross.1[r]), (c.mean, c.stderr, p.mean, p.stderr));
        }
        let want_rows = ["0,0", "0,0", "0,0", "0,1", "0,1", "0,1", "1,1", "1,1", "1,1"];
        assert_eq!(f.ntk_indices, want_rows);
    }

    /// Bad settings are refused naming the field.
    #[test]
    fn bad_settings_name_the_field() {
        let net = DeepNetwork::with_deep_priors(DeepActivation::Relu, &[5]).unwrap();
        let xs = InputSet::new("one", &[vec![1.0]]).unwrap();
        let field = |settings: NtkSettings| NtkTable::new(&net, &xs, &settings).unwrap_err().to_string();
        assert!(field(NtkSettings { lambda_w: Some(-1.0), ..Default::default() }).contains("lambda_w"));
        assert!(field(NtkSettings { lambda_b: Some(f64::NAN), ..Default::default() }).contains("lambda_b"));
        let sampling = |nets, experiments| Some(NtkSampling { nets, experiments, seed: 1 });
        assert!(field(NtkSettings { sampling: sampling(0, 3), ..Default::default() }).contains("nets"));
        assert!(field(NtkSettings { sampling: sampling(10, 1), ..Default::default() }).contains("experiments"));
        let many: Vec<Vec<f64>> = (0..128).map(|i| vec![i as f64 / 128.0]).collect();
        let wide = net.clone().with_d_out(2).unwrap();
        let err = NtkTable::new(&wide, &InputSet::new("many", &many).unwrap(), &NtkSettings::default()).unwrap_err();
        assert!(err.to_string().contains("d_out"), "{err}");
    }
}
