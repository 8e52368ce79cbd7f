//! The dNTK table of a deep network (`nnqft ntk --dntk`'s `ntk_dntk.parquet`, Python's
//! `nnqft.ntk(..., dntk=True)`): the correlation of the dNTK with the outputs,
//! `E[dΘ_(p0 p1 p2) f_p3]`, at leading order in `1/n` and, when nets are sampled, measured. One
//! implementation for every front door ([`NtkTable::dntk_table`]), so the columns agree.
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
//! slowest and the output fastest. Columns, beside the NTK table's keys:
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

use crate::ntk_table::{NtkRows, NtkTable};
use crate::table::Table;
use nnqft_sampling::DntkPreactivation;
use nnqft_theory::{DifferentialNtk, Multisets};

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
    let m = theory.points();
    let pairs = m * theory.network().d_out();
    let label = |v: &[usize]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let mut out = DntkRows::default();
    let (mut mean, mut stderr) = (Vec::new(), Vec::new());
    let ntk_pairs = Multisets::new(pairs, 2).expect("at most 16 (output, point) pairs, checked by the table");
    for ntk in ntk_pairs.iter() {
        let (p1, p2) = (ntk[0] as usize, ntk[1] as usize);
        for p0 in 0..pairs {
            for p3 in 0..pairs {
                let outputs = [p0 / m, p1 / m, p2 / m, p3 / m];
                let points = [p0 % m, p1 % m, p2 % m, p3 % m];
                out.ntk_indices.push(label(&points[1..3]));
                out.ntk_outputs.push(label(&outputs[1..3]));
                out.indices.push(label(&[points[0], points[3]]));
                out.outputs.push(label(&[outputs[0], outputs[3]]));
                out.leading_order.push(theory.dntk_preactivation(outputs, points));
                out.leading_order_error.push(theory.dntk_preactivation_error(outputs, points));
                if let Some(r) = measured {
                    let v = r.get(outputs, points).expect("pairs in range");
                    mean.push(v.mean);
                    stderr.push(v.stderr);
                }
            }
        }
    }
    if measured.is_some() {
        out.measured = Some((mean, stderr));
    }
    out
}

impl NtkTable {
    /// The dNTK table of `rows` (module docs; `None` unless [`crate::ntk_table::NtkSettings::dntk`]
    /// asked for it): the keys of [`NtkTable::table`], `ntk_indices`, `ntk_outputs`, `indices`,
    /// `outputs`, `dntk_preactivation_leading_order`, `dntk_preactivation_leading_order_error`
    /// and with sampled nets `dntk_preactivation_mean`, `dntk_preactivation_stderr`
    /// (`ntk_dntk.parquet`).
    pub fn dntk_table(&self, rows: &NtkRows) -> Option<Table> {
        let d = rows.dntk.clone()?;
        let mut t = self.keys(rows, d.len());
        t = t.str("ntk_indices", d.ntk_indices).str("ntk_outputs", d.ntk_outputs);
        t = t.str("indices", d.indices).str("outputs", d.outputs);
        t = t.f64("dntk_preactivation_leading_order", d.leading_order);
        t = t.f64("dntk_preactivation_leading_order_error", d.leading_order_error);
        if let Some((mean, stderr)) = d.measured {
            t = t.f64("dntk_preactivation_mean", mean).f64("dntk_preactivation_stderr", stderr);
        }
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Direct;
    use crate::ntk_table::{NtkSampling, NtkSettings};
    use nnqft_sampling::DntkEnsemble;
    use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};

    /// Every `|z| = |mean − leading order| / stderr` of the fixed-seed run must be at most this.
    /// With 20 experiments `z` follows Student's t with 19 degrees of freedom (`P(|t| > 4) = 8e-4`
    /// per value), plus the `O(1/n²)` the leading order leaves out; the run is bit-exact, so the
    /// test is deterministic.
    const Z_BOUND: f64 = 4.0;

    fn label(v: &str) -> Vec<usize> {
        v.split(',').map(|x| x.parse().unwrap()).collect()
    }

    /// Tanh, two outputs, two points (P = 4 pairs: 10 NTK rows x 16 ordered pairs): every row's
    /// theory columns are `DifferentialNtk`'s own values, the measured columns the ensemble's,
    /// bit for bit, and the NTK pairs are the NTK table's rows in order.
    #[test]
    fn columns_are_the_librarys_at_every_row() {
        let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[5, 4]).unwrap().with_d_out(2).unwrap();
        let xs = InputSet::new("two", &[vec![0.3], vec![-0.8]]).unwrap();
        let sampling = Some(NtkSampling { nets: 30, experiments: 3, seed: 17 });
        let settings = NtkSettings { lambda_w: Some(0.7), lambda_b: Some(0.2), sampling, dntk: true };
        let table = NtkTable::new(&net, &xs, &settings).unwrap();
        let rows = table.rows(&Direct::new(5, 2)).unwrap();
        let d = rows.dntk.as_ref().unwrap();
        assert_eq!(d.len(), 10 * 16);
        let theory = DifferentialNtk::with_learning_rates(&net, &xs, 0.7, 0.2).unwrap();
        let measured =
            DntkEnsemble::new(net, xs, 30, 3, 17).unwrap().with_learning_rates(0.7, 0.2).unwrap().run(1).unwrap();
        let (mean, stderr) = d.measured.as_ref().unwrap();
        let mut nonzero = 0;
        for r in 0..d.len() {
            let (a12, i12, a03, i03) =
                (label(&d.ntk_indices[r]), label(&d.ntk_outputs[r]), label(&d.indices[r]), label(&d.outputs[r]));
            let outputs = [i03[0], i12[0], i12[1], i03[1]];
            let points = [a03[0], a12[0], a12[1], a03[1]];
            let want = (theory.dntk_preactivation(outputs, points), theory.dntk_preactivation_error(outputs, points));
            assert_eq!(
                (d.leading_order[r].to_bits(), d.leading_order_error[r].to_bits()),
                (want.0.to_bits(), want.1.to_bits()),
                "row {r}"
            );
            let want = measured.get(outputs, points).unwrap();
            assert_eq!((mean[r], stderr[r]), (want.mean, want.stderr), "row {r}");
            nonzero += usize::from(d.leading_order[r] != 0.0);
            // each NTK pair is a row of ntk.parquet, 16 dNTK rows per NTK row
            assert_eq!((&d.ntk_indices[r], &d.ntk_outputs[r]), (&rows.indices[r / 16], &rows.outputs[r / 16]));
        }
        // the Kronecker deltas leave some rows zero, not all
        assert!(nonzero > 0 && nonzero < d.len(), "{nonzero}");
        assert_eq!(
            (d.indices[..3].to_vec(), d.outputs[..3].to_vec()),
            (["0,0", "0,1", "0,0"].map(String::from).to_vec(), ["0,0", "0,0", "0,1"].map(String::from).to_vec())
        );
        let t = table.dntk_table(&rows).unwrap();
        let names = t.names();
        assert_eq!(
            names[9..],
            [
                "ntk_indices",
                "ntk_outputs",
                "indices",
                "outputs",
                "dntk_preactivation_leading_order",
                "dntk_preactivation_leading_order_error",
                "dntk_preactivation_mean",
                "dntk_preactivation_stderr"
            ]
        );
        // without nets: the theory columns alone; without `dntk`: no table
        let theory_only = NtkSettings { sampling: None, ..settings };
        let table = NtkTable::new(table.network(), table.inputs(), &theory_only).unwrap();
        let rows = table.rows(&Direct::new(5, 1)).unwrap();
        assert!(rows.dntk.as_ref().unwrap().measured.is_none());
        assert_eq!(table.dntk_table(&rows).unwrap().names().len(), 9 + 6);
        let plain = NtkTable::new(table.network(), table.inputs(), &NtkSettings::default()).unwrap();
        assert!(plain.dntk().is_none() && plain.dntk_table(&plain.rows(&Direct::new(5, 1)).unwrap()).is_none());
    }

    /// Tanh at criticality's priors (`C_W = 1`, `C_b = 0`), `L = 2`, `n = 10`, two points: the
    /// measured `E[dΘ f]` of 20 experiments of 250 nets (seed 2027) against the leading order,
    /// within [`Z_BOUND`] at every row.
    #[test]
    fn measured_tanh_dntk_matches_the_leading_order() {
        let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[10, 10]).unwrap();
        let xs = InputSet::new("two", &[vec![0.9], vec![-0.5]]).unwrap();
        let sampling = Some(NtkSampling { nets: 250, experiments: 20, seed: 2027 });
        let settings = NtkSettings { sampling, dntk: true, ..Default::default() };
        let rows = NtkTable::new(&net, &xs, &settings).unwrap().rows(&Direct::new(1, 2)).unwrap();
        let d = rows.dntk.unwrap();
        let (mean, stderr) = d.measured.clone().unwrap();
        assert_eq!(d.len(), 3 * 4);
        let mut worst: f64 = 0.0;
        for r in 0..d.len() {
            let z = (mean[r] - d.leading_order[r]) / stderr[r];
            eprintln!(
                "({} | {}): {:.5} ± {:.5} vs {:.5}, z = {z:.2}",
                d.ntk_indices[r], d.indices[r], mean[r], stderr[r], d.leading_order[r]
            );
            // the signal is resolved: the leading order is many standard errors from 0
            assert!(d.leading_order[r].abs() > 3.0 * stderr[r], "row {r}");
            worst = worst.max(z.abs());
        }
        assert!(worst <= Z_BOUND, "largest |z| {worst}");
    }

    /// A dNTK out of reach is refused naming the field: too many points or pairs, Gauss-net.
    #[test]
    fn bad_input_names_the_field() {
        let settings = NtkSettings { dntk: true, ..Default::default() };
        let err = |net: &DeepNetwork, xs: &InputSet| NtkTable::new(net, xs, &settings).unwrap_err().to_string();
        let tanh = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[5]).unwrap();
        let points = |k: usize| InputSet::new("k", &(0..k).map(|i| vec![i as f64 / 8.0]).collect::<Vec<_>>()).unwrap();
        let e = err(&tanh, &points(9));
        assert!(e.contains("input points") && e.contains("1 to 8"), "{e}");
        // 5 points x 4 outputs: 20 > 16 pairs
        let e = err(&tanh.clone().with_d_out(4).unwrap(), &points(5));
        assert!(e.contains("d_out") && e.contains("16"), "{e}");
        let gauss = DeepNetwork::new(DeepActivation::Gauss, &[3], 1.0, 0.0).unwrap();
        let e = err(&gauss, &points(2));
        assert!(e.contains("gauss"), "{e}");
        // the NTK table alone takes all three
        assert!(NtkTable::new(&tanh, &points(9), &NtkSettings::default()).is_ok());
    }
}
