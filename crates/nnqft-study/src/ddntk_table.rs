//! The ddNTK table of a deep network (`nnqft ntk --ddntk`'s `ntk_ddntk.parquet`, Python's
//! `nnqft.ntk(..., ddntk=True)`): the means of the two second-order differentials of the NTK,
//! `E[ddIΘ]` and `E[ddIIΘ]`, at leading order in `1/n` where the theory is derived and, when
//! nets are sampled, measured. One implementation for every front door
//! ([`crate::ntk_table::NtkTable::ddntk_table`]), so the columns agree.
//!
//! For `(output, point)` pairs `p = (i, x_a)`, learning-rate factors `λ_μ` (`λ_W/n_(l−1)` for a
//! weight of layer `l`, `λ_b` for a bias), the per-network NTK `Θ` and the outputs `f`,
//!
//! ```text
//! ddIΘ_(p0 p1; p2 p3)  = Σ_(μ,ν) λ_μ λ_ν (∂²Θ_(p2 p3)/∂θ_μ∂θ_ν) (∂f_p0/∂θ_μ) (∂f_p1/∂θ_ν),
//! ddIIΘ_(p0 p1; p2 p3) = Σ_(μ,ν) λ_μ λ_ν (∂Θ_(p2 p3)/∂θ_μ) (∂²f_p0/∂θ_μ∂θ_ν) (∂f_p1/∂θ_ν)
//! ```
//!
//! (`nnqft_theory::DoubleDifferentialNtk` has the definitions and what they are for: the
//! change of the NTK over two steps of gradient descent). Both are symmetric in `p2 ↔ p3`, the
//! NTK's pair; `ddI` is symmetric in `p0 ↔ p1` too, `ddII` is not. So a row is
//!
//! - a row of the NTK table, the NTK's pair `(i2, x_a2)`, `(i3, x_a3)` with `p2 <= p3` in the
//!   order of `ntk.parquet` (`ntk_indices` = `a2,a3`, `ntk_outputs` = `i2,i3`: they join with
//!   `ntk.parquet`'s `indices`, `outputs` and with `ntk_dntk.parquet`'s `ntk_indices`,
//!   `ntk_outputs`), and
//! - an ordered pair of the two gradient directions, `(i0, x_a0)` then `(i1, x_a1)`
//!   (`indices` = `a0,a1`, `outputs` = `i0,i1`), every one of the `P²`,
//!
//! `P (P + 1) / 2 · P²` rows for `P = m d_out` pairs (at most 16: 34,816 rows), the NTK's pair
//! slowest and `p1` fastest (the dNTK table's order, `crate::pair_rows`). Columns, beside the
//! NTK table's keys:
//!
//! - `ddi_leading_order`: `E[ddIΘ_(p0 p1; p2 p3)]` at order `1/n`,
//!   `(1/n) [δ_i0i1 δ_i2i3 R∥_(a0 a1 a2 a3) + (δ_i0i2 δ_i1i3 + δ_i0i3 δ_i1i2) R×_(a0 a1 a2 a3)]`
//!   with the width-independent tensors `R∥`, `R×` of one hidden layer of width `n`
//!   (`DoubleDifferentialNtk::ddi_leading_order`; exact at any width);
//! - `ddi_leading_order_error`: its propagated quadrature error bound
//!   (`DoubleDifferentialNtk::ddi_leading_order_error`; 0 where every expectation is a closed
//!   form);
//! - with sampled nets: `ddi_mean`, `ddi_stderr`, the mean over experiments of each
//!   experiment's mean of `ddIΘ_(p0 p1; p2 p3)` over its nets (each net's ddNTKs exact,
//!   `nnqft_sampling::DeepWeights::double_differential_tangent_kernel`) and its standard error
//!   `s / √E` over the `E` experiments (`nnqft_sampling::DdntkEnsemble`, the NTK table's
//!   `nets`, `experiments` and master seed);
//! - `ddii_leading_order`, `ddii_leading_order_error`, and with sampled nets `ddii_mean`,
//!   `ddii_stderr`: the same for `ddIIΘ`, with the tensors `S∥`, `S×` in place of `R∥`, `R×`
//!   (`DoubleDifferentialNtk::ddii_leading_order`, `ddii_leading_order_error`).
//!
//! **Missing leading orders.** The theory is derived for one hidden layer (`L = 1`) only: for
//! deeper networks `DoubleDifferentialNtk` refuses (`nnqft_theory::TheoryError::Unsupported`,
//! the layer recursion of these means is not derived), and the four leading-order columns are
//! missing values (null in Parquet, NaN in Python) at every row, while the measured columns
//! are filled as at `L = 1`: the table is not refused, because the measured ddNTKs are worth
//! having alone. Should the theory cover a network, its columns are filled.
//!
//! Compare the mean with the leading order: at `L = 1` they agree at any width, within the
//! standard error.

use crate::pair_rows::{PairRowKeys, pair_rows};
use crate::table::Table;
use nnqft_sampling::DdntkMeans;
use nnqft_theory::DoubleDifferentialNtk;

/// The rows of the ddNTK table (module docs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DdntkRows {
    /// The inputs of the NTK's pair, `a2,a3`.
    pub ntk_indices: Vec<String>,
    /// The outputs of the NTK's pair, `i2,i3`.
    pub ntk_outputs: Vec<String>,
    /// The inputs of the two directions, `a0,a1`.
    pub indices: Vec<String>,
    /// The outputs of the two directions, `i0,i1`.
    pub outputs: Vec<String>,
    /// `E[ddIΘ_(p0 p1; p2 p3)]` at order `1/n` (`None` where the theory is not derived).
    pub ddi_leading_order: Vec<Option<f64>>,
    /// The propagated quadrature error bound of `ddi_leading_order`.
    pub ddi_leading_order_error: Vec<Option<f64>>,
    /// `E[ddIIΘ_(p0 p1; p2 p3)]` at order `1/n` (`None` where the theory is not derived).
    pub ddii_leading_order: Vec<Option<f64>>,
    /// The propagated quadrature error bound of `ddii_leading_order`.
    pub ddii_leading_order_error: Vec<Option<f64>>,
    /// With sampled nets: the measured mean of `ddIΘ` and its standard error.
    pub ddi_measured: Option<(Vec<f64>, Vec<f64>)>,
    /// With sampled nets: the measured mean of `ddIIΘ` and its standard error.
    pub ddii_measured: Option<(Vec<f64>, Vec<f64>)>,
}

impl DdntkRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.indices.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// The rows over `m` points and `d_out` outputs (module docs), the leading orders from
/// `theory` (`None`: missing) and the measured columns from `measured` if any (of the same
/// network and inputs).
pub(crate) fn ddntk_rows(
    m: usize,
    d_out: usize,
    theory: Option<&DoubleDifferentialNtk>,
    measured: Option<&DdntkMeans>,
) -> DdntkRows {
    let mut out = DdntkRows::default();
    let (mut ddi, mut ddii) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    // the NTK's pair is (p2, p3), the ordered pair the directions p0 then p1
    let keys = pair_rows(m, d_out, |[p2, p3], [p0, p1]| {
        let outputs = [p0.0, p1.0, p2.0, p3.0];
        let points = [p0.1, p1.1, p2.1, p3.1];
        out.ddi_leading_order.push(theory.and_then(|t| t.ddi_leading_order(outputs, points)));
        out.ddi_leading_order_error.push(theory.and_then(|t| t.ddi_leading_order_error(outputs, points)));
        out.ddii_leading_order.push(theory.and_then(|t| t.ddii_leading_order(outputs, points)));
        out.ddii_leading_order_error.push(theory.and_then(|t| t.ddii_leading_order_error(outputs, points)));
        if let Some(r) = measured {
            let (i, ii) = (r.ddi(outputs, points), r.ddii(outputs, points));
            let (i, ii) = (i.expect("pairs in range"), ii.expect("pairs in range"));
            ddi.0.push(i.mean);
            ddi.1.push(i.stderr);
            ddii.0.push(ii.mean);
            ddii.1.push(ii.stderr);
        }
    });
    let PairRowKeys { ntk_indices, ntk_outputs, indices, outputs } = keys;
    (out.ntk_indices, out.ntk_outputs, out.indices, out.outputs) = (ntk_indices, ntk_outputs, indices, outputs);
    if measured.is_some() {
        out.ddi_measured = Some(ddi);
        out.ddii_measured = Some(ddii);
    }
    out
}

impl DdntkRows {
    /// The table of these rows after the key columns `keys` (as many rows): `ntk_indices`,
    /// `ntk_outputs`, `indices`, `outputs`, `ddi_leading_order`, `ddi_leading_order_error`, with
    /// sampled nets `ddi_mean`, `ddi_stderr`, then `ddii_leading_order`,
    /// `ddii_leading_order_error` and with sampled nets `ddii_mean`, `ddii_stderr`
    /// (`ntk_ddntk.parquet`).
    pub(crate) fn into_table(self, keys: Table) -> Table {
        let (ntk_indices, ntk_outputs) = (self.ntk_indices, self.ntk_outputs);
        let mut t =
            PairRowKeys { ntk_indices, ntk_outputs, indices: self.indices, outputs: self.outputs }.into_table(keys);
        t = t.opt("ddi_leading_order", self.ddi_leading_order);
        t = t.opt("ddi_leading_order_error", self.ddi_leading_order_error);
        if let Some((mean, stderr)) = self.ddi_measured {
            t = t.f64("ddi_mean", mean).f64("ddi_stderr", stderr);
        }
        t = t.opt("ddii_leading_order", self.ddii_leading_order);
        t = t.opt("ddii_leading_order_error", self.ddii_leading_order_error);
        if let Some((mean, stderr)) = self.ddii_measured {
            t = t.f64("ddii_mean", mean).f64("ddii_stderr", stderr);
        }
        t
    }
}
