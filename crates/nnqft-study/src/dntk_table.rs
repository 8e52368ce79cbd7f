//! The dNTK table of a deep network (`nnqft ntk --dntk`'s `ntk_dntk.parquet`, Python's
//! `nnqft.ntk(..., dntk=True)`): the correlation of the dNTK with the outputs,
//! `E[dΘ_(p0 p1 p2) f_p3]`, at leading order in `1/n` and, when nets are sampled, measured. One
//! implementation for every front door ([`crate::ntk_table::NtkTable::dntk_table`]), so the
//! columns agree.
//!
//! The dNTK `dΘ_(p0 p1 p2) = Σ_μ λ_μ ∂Θ_(p1 p2)/∂θ_μ ∂f_p0/∂θ_μ` of `(output, point)` pairs
//! `p = (i, x_a)` is the change of the NTK `Θ_(p1 p2)` along the gradient of the output `f_p0`
//! (one step of gradient descent; `nnqft_theory::DifferentialNtk` has the definition, PDLT
//! ch. 11). It is symmetric in `p1 ↔ p2` only: the direction `p0` and the output `p3` it is
//! correlated with are distinct roles. So a row is
//!
//! - a row of the NTK table, the NTK's pair `(i1, x_a1)`, `(i2, x_a2)` with `p1 <= p2` in the
//!   order of `ntk.parquet` (`ntk_indices` = `a1,a2`, `ntk_outputs` = `i1,i2`: they join with
//!   `ntk.parquet`'s `indices`, `outputs`, and with `ntk_fluctuations.parquet`'s `ntk_indices`,
//!   `ntk_outputs`), and
//! - an ordered pair, the direction `(i0, x_a0)` then the output `(i3, x_a3)`
//!   (`indices` = `a0,a3`, `outputs` = `i0,i3`), every one of the `P²`,
//!
//! `P (P + 1) / 2 · P²` rows for `P = m d_out` pairs (at most 16: 34,816 rows), the NTK's pair
//! slowest and the output fastest (the order the ddNTK table shares, `crate::pair_rows`).
//! Columns, beside the NTK table's keys:
//!
//! - `dntk_preactivation_leading_order`: `E[dΘ_(i0 i1 i2; a0 a1 a2) f_i3(x_a3)]` at order `1/n`,
//!   `(1/n_L) [δ_i0i3 δ_i1i2 P_(a0 a1 a2 a3) + δ_i0i1 δ_i2i3 Q_(a0 a1 a2 a3) + δ_i0i2 δ_i1i3 Q_(a0 a2 a1 a3)]`
//!   with PDLT's tensors `P`, `Q` (`DifferentialNtk::dntk_preactivation`; `E[dΘ] = 0` exactly);
//! - `dntk_preactivation_leading_order_error`: its propagated quadrature error bound
//!   (`DifferentialNtk::dntk_preactivation_error`; 0 where every expectation is a closed form);
//! - with sampled nets: `dntk_preactivation_mean`, `dntk_preactivation_stderr`, the mean over
//!   experiments of each experiment's mean of `dΘ_(p0 p1 p2) f_p3` over its nets (each net's
//!   dNTK exact, `nnqft_sampling::DeepWeights::differential_tangent_kernel`) and its standard
//!   error `s / √E` over the `E` experiments (`nnqft_sampling::DntkEnsemble`, the NTK table's
//!   `nets`, `experiments` and master seed).
//!
//! Compare the mean with the leading order: their difference is `O(1/n²)` (at `L = 1` the
//! leading order is exact at any width).

use crate::pair_rows::{PairRowKeys, pair_rows};
use crate::table::Table;
use nnqft_sampling::DntkPreactivation;
use nnqft_theory::DifferentialNtk;

/// The rows of the dNTK table (module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DntkRows {
    /// The inputs of the NTK's pair, `a1,a2`.
    pub ntk_indices: Vec<String>,
    /// The outputs of the NTK's pair, `i1,i2`.
    pub ntk_outputs: Vec<String>,
    /// The inputs of the direction and of the output, `a0,a3`.
    pub indices: Vec<String>,
    /// The outputs of the direction and of the output, `i0,i3`.
    pub outputs: Vec<String>,
    /// `E[dΘ_(i0 i1 i2; a0 a1 a2) f_i3(x_a3)]` at order `1/n`.
    pub leading_order: Vec<f64>,
    /// The propagated quadrature error bound of `leading_order`.
    pub leading_order_error: Vec<f64>,
    /// With sampled nets: the measured mean and its standard error.
    pub measured: Option<(Vec<f64>, Vec<f64>)>,
}

impl DntkRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.indices.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// The rows of `theory` (module docs), with the measured columns of `measured` if any (of the
/// same network and inputs).
pub(crate) fn dntk_rows(theory: &DifferentialNtk, measured: Option<&DntkPreactivation>) -> DntkRows {
    let (mut leading_order, mut leading_order_error) = (Vec::new(), Vec::new());
    let (mut mean, mut stderr) = (Vec::new(), Vec::new());
    // the NTK's pair is (p1, p2), the ordered pair the direction p0 then the output p3
    let keys = pair_rows(theory.points(), theory.network().d_out(), |[p1, p2], [p0, p3]| {
        let outputs = [p0.0, p1.0, p2.0, p3.0];
        let points = [p0.1, p1.1, p2.1, p3.1];
        leading_order.push(theory.dntk_preactivation(outputs, points));
        leading_order_error.push(theory.dntk_preactivation_error(outputs, points));
        if let Some(r) = measured {
            let v = r.get(outputs, points).expect("pairs in range");
            mean.push(v.mean);
            stderr.push(v.stderr);
        }
    });
    let PairRowKeys { ntk_indices, ntk_outputs, indices, outputs } = keys;
    let measured = measured.map(|_| (mean, stderr));
    DntkRows { ntk_indices, ntk_outputs, indices, outputs, leading_order, leading_order_error, measured }
}

impl DntkRows {
    /// The table of these rows after the key columns `keys` (as many rows): `ntk_indices`,
    /// `ntk_outputs`, `indices`, `outputs`, `dntk_preactivation_leading_order`,
    /// `dntk_preactivation_leading_order_error` and with sampled nets `dntk_preactivation_mean`,
    /// `dntk_preactivation_stderr` (`ntk_dntk.parquet`).
    pub(crate) fn into_table(self, keys: Table) -> Table {
        let (ntk_indices, ntk_outputs) = (self.ntk_indices, self.ntk_outputs);
        let mut t =
            PairRowKeys { ntk_indices, ntk_outputs, indices: self.indices, outputs: self.outputs }.into_table(keys);
        t = t.f64("dntk_preactivation_leading_order", self.leading_order);
        t = t.f64("dntk_preactivation_leading_order_error", self.leading_order_error);
        if let Some((mean, stderr)) = self.measured {
            t = t.f64("dntk_preactivation_mean", mean).f64("dntk_preactivation_stderr", stderr);
        }
        t
    }
}
