//! The theory table of a deep network (`nnqft theory --widths n1,..,nL`, Python's
//! `nnqft.theory`): per multiset of orders 2 and 4 over the `(output, point)` pairs of an input
//! set, the infinite-width value, the leading finite-width corrections, and the exact value where
//! one is known. One implementation for every front door, so the columns agree.
//!
//! - `g_gp`: the Gaussian-process value, `δ_ij K(x_a, x_b)` at order 2 and the Wick sum of it at
//!   order 4 (`K` from the kernel recursion, `nnqft_theory::KernelRecursion`);
//! - `shift_leading_order` (order 2): the `1/n` shift `S` of the two-point function at the
//!   network's widths, `G2 = K + S + O(1/n²)`, each layer weighted by its own `1/n_l`
//!   (`nnqft_theory::KernelShift`);
//! - `connected_leading_order` (order 4): the leading-order connected four-point function, the
//!   four-point vertex term `(1/n_L) Σ_3 δδ V` (`nnqft_theory::FourPointVertex`);
//! - `g_exact` where the exact finite-width value is known in closed form: at order 2 for linear
//!   networks (every pair: the mean of each layer's conditional covariance follows the kernel
//!   recursion exactly, so `G2 = K`) and on relu's diagonal (`E[relu(z)² | G] = G/2` is linear in
//!   `G`); at order 4 on the fully diagonal correlator `E[f_i(x)⁴]` of relu and linear networks
//!   with `C_b = 0`, `3 K(x, x)² ∏_l (1 + c/n_l)` with `c = 5` (relu) or `2` (linear), from the
//!   scaled chi-square law of each layer's conditional variance.
//!
//! Orders 6 and 8 (the six-point vertex) are not computed yet.

use crate::error::Result;
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, KernelShift, Multisets, exact_one_input_ratio};

/// The rows of a deep network's theory table (one per order and multiset, in the layout of the
/// deep ensembles' correlators: point `p` of the multisets is output `p / m` at input `p % m`).
#[derive(Debug, Clone, Default)]
pub struct DeepTheoryRows {
    /// Order `n` (2 or 4).
    pub n: Vec<i64>,
    /// The input index of each factor, e.g. `0,0,1,3`.
    pub indices: Vec<String>,
    /// The output index of each factor, in the order of `indices`.
    pub outputs: Vec<String>,
    /// Infinite width.
    pub g_gp: Vec<f64>,
    /// The `1/n` shift of the two-point function (order 2; `None` at order 4).
    pub shift_leading_order: Vec<Option<f64>>,
    /// The leading connected four-point function (order 4; `None` at order 2).
    pub connected_leading_order: Vec<Option<f64>>,
    /// The exact finite-width value where it is known (module docs), else `None`.
    pub g_exact: Vec<Option<f64>>,
    /// The largest quadrature error estimate behind the table (0 for closed forms).
    pub quadrature_error: f64,
}

impl DeepTheoryRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.n.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.n.is_empty()
    }
}

/// The theory table of `net` on `inputs` (see the module docs).
pub fn deep_theory(net: &DeepNetwork, inputs: &InputSet) -> Result<DeepTheoryRows> {
    let shift = KernelShift::new(net, inputs)?;
    let vertex = shift.vertex();
    let m = inputs.len();
    let k = vertex.kernels().output();
    let s = shift.shift();
    let (quads, connected, gp4) = vertex.output_indexed()?;
    let pairs = Multisets::new(m * net.d_out(), 2)?;
    let act = net.activation();
    let diagonal_g2_exact = |a: usize, b: usize| match act {
        DeepActivation::Linear => true,
        DeepActivation::Relu => a == b,
        _ => false,
    };
    let ratio = exact_one_input_ratio(net);
    let mut rows = DeepTheoryRows {
        quadrature_error: shift.quadrature_error().max(vertex.quadrature_error()),
        ..Default::default()
    };
    let label = |v: &[usize]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    for pair in pairs.iter() {
        let (outputs, points): (Vec<usize>, Vec<usize>) =
            pair.iter().map(|&p| (p as usize / m, p as usize % m)).unzip();
        let same = outputs[0] == outputs[1];
        let (a, b) = (points[0], points[1]);
        let gp = if same { k[a * m + b] } else { 0.0 };
        rows.n.push(2);
        rows.indices.push(label(&points));
        rows.outputs.push(label(&outputs));
        rows.g_gp.push(gp);
        rows.shift_leading_order.push(Some(if same { s[a * m + b] } else { 0.0 }));
        rows.connected_leading_order.push(None);
        rows.g_exact.push(diagonal_g2_exact(a, b).then_some(gp));
    }
    for (pos, quad) in quads.iter().enumerate() {
        let (outputs, points): (Vec<usize>, Vec<usize>) =
            quad.iter().map(|&p| (p as usize / m, p as usize % m)).unzip();
        let diagonal = quad.iter().all(|&p| p == quad[0]);
        rows.n.push(4);
        rows.indices.push(label(&points));
        rows.outputs.push(label(&outputs));
        rows.g_gp.push(gp4[pos]);
        rows.shift_leading_order.push(None);
        rows.connected_leading_order.push(Some(connected[pos]));
        rows.g_exact.push(ratio.filter(|_| diagonal).map(|r| r * gp4[pos]));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deep linear nets with `C_b = 0` on one input: `E f² = K` and `E f⁴ = 3 K² ∏(1 + 2/n_l)`
    /// exactly; the table's leading orders are the `1/n` terms of those, and its exact column holds
    /// them.
    #[test]
    fn linear_rows_are_exact_and_their_leading_orders_expand_them() {
        let widths = [20, 30, 50];
        let net = DeepNetwork::new(DeepActivation::Linear, &widths, 1.3, 0.0).unwrap();
        let xs = InputSet::new("one", &[vec![0.7]]).unwrap();
        let rows = deep_theory(&net, &xs).unwrap();
        assert_eq!(rows.len(), 2);
        let k = rows.g_gp[0];
        assert!((k - 1.3f64.powi(4) * 0.49).abs() < 1e-15);
        assert_eq!(rows.shift_leading_order[0], Some(0.0));
        assert_eq!(rows.g_exact[0], Some(k));
        let exact4 = 3.0 * k * k * widths.iter().map(|&n| 1.0 + 2.0 / n as f64).product::<f64>();
        assert!((rows.g_exact[1].unwrap() - exact4).abs() <= 1e-14 * exact4);
        // leading order: 3 K² Σ_l 2/n_l (the linear term of the product)
        let leading = 3.0 * k * k * widths.iter().map(|&n| 2.0 / n as f64).sum::<f64>();
        assert!((rows.connected_leading_order[1].unwrap() - leading).abs() <= 1e-12 * leading);
    }
}
