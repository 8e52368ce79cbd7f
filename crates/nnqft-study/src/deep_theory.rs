//! The theory table of a deep network (`nnqft theory --widths n1,..,nL`, Python's
//! `nnqft.theory`): per multiset of orders 2, 4 and 6 over the `(output, point)` pairs of an
//! input set, the infinite-width value, the leading finite-width corrections, and the exact value
//! where one is known. One implementation for every front door, so the columns agree.
//!
//! - `g_gp`: the Gaussian-process value, `δ_ij K(x_a, x_b)` at order 2 and the Wick sum of it at
//!   orders 4 and 6 (3 and 15 pairings; `K` from the kernel recursion,
//!   `nnqft_theory::KernelRecursion`);
//! - `shift_leading_order` (order 2): the `1/n` shift `S` of the two-point function at the
//!   network's widths, `G2 = K + S + O(1/n²)`, each layer weighted by its own `1/n_l`
//!   (`nnqft_theory::KernelShift`);
//! - `shift_next_order` (order 2): the shift through order `1/n²`, `S + μ2`, with `μ2` the next
//!   order of the output kernel's mean (`nnqft_theory::FourPointNextOrder::shift_correction`)
//!   on every pair up to [`ORDER_SIX_MAX_POINTS`] points; beyond, on the pairs of one input point
//!   `(x, x)` only, from the one-input law, and null elsewhere;
//! - `connected_leading_order` (order 4): the leading-order connected four-point function, the
//!   four-point vertex term `(1/n_L) Σ_3 δδ V` (`nnqft_theory::FourPointVertex`); at order 6
//!   the leading-order connected six-point function (the sixth cumulant, order `1/n²`), the
//!   six-point vertex term `(1/n_L²) Σ_15 δδδ U` (`nnqft_theory::SixPointVertex`), whose
//!   `1/(n_l n_l')` terms carry each layer's own widths;
//! - `connected_next_order` (order 4): the connected four-point function through order `1/n²`,
//!   `Σ_3 δδ Cov(G_p, G_q)` with the covariance of the output kernel to that order: the vertex
//!   term plus its next order, each inverse width its own layer's. With at most
//!   [`ORDER_SIX_MAX_POINTS`] input points on every multiset (`nnqft_theory::FourPointNextOrder`,
//!   which needs the kernel shift and the six-point vertex of every layer); beyond, on the
//!   multisets of one input point `(x, x, x, x)` only, from the one-input law
//!   (`Var(G) = C1 + C2`, `nnqft_theory::OneInputLaw`), and null elsewhere;
//! - `g_exact` where the exact finite-width value is known in closed form: at order 2 for linear
//!   networks (every pair: the mean of each layer's conditional covariance follows the kernel
//!   recursion exactly, so `G2 = K`) and on relu's diagonal (`E[relu(z)² | G] = G/2` is linear in
//!   `G`); at order 4 on the fully diagonal correlator `E[f_i(x)⁴]` of relu and linear networks
//!   with `C_b = 0`, `3 K(x, x)² ∏_l (1 + c/n_l)` with `c = 5` (relu) or `2` (linear), from the
//!   scaled chi-square law of each layer's conditional variance; at order 6 on the fully diagonal
//!   `E[f_i(x)⁶]` of the same networks, `15 K(x, x)³ ∏_l (1 + 3c2/n_l + c3/n_l²)` with
//!   `(c2, c3) = (5, 44)` (relu) or `(2, 8)` (linear), from the same law
//!   (`nnqft_theory::exact_one_input_sixth_ratio`).
//!
//! The order-6 rows need the six-point vertex, whose cost grows as the number of multisets of
//! order 6 of the `m` input points with five or six distinct points (each a 5- or 6-level
//! nested quadrature for a smooth activation once the kernel has full rank: about 80 s for tanh
//! at `L = 8` on 6 points): they are in the table when the input set has at most
//! [`ORDER_SIX_MAX_POINTS`] (8) points, and left out (orders 2 and 4 only) beyond.
//! Order 8 is not computed.

use crate::error::Result;
use crate::network_spec::{CheckedDeepNetwork, check_table_memory};
use crate::table::{Table, joined};
use nnqft_theory::{
    DeepActivation, DeepNetwork, FourPointNextOrder, InputSet, KernelShift, Monitor, Multisets, OneInputLaw,
    SIX_POINT_MAX_POINTS, exact_one_input_ratio, exact_one_input_sixth_ratio,
};

/// The most input points for which the theory table has its order-6 rows (module docs; within
/// the six-point vertex's own limit, `nnqft_theory::SIX_POINT_MAX_POINTS`).
pub const ORDER_SIX_MAX_POINTS: usize = 8;
const _: () = assert!(ORDER_SIX_MAX_POINTS <= SIX_POINT_MAX_POINTS);

/// The rows of a deep network's theory table (one per order and multiset, in the layout of the
/// deep ensembles' correlators: point `p` of the multisets is output `p / m` at input `p % m`).
#[derive(Debug, Clone, Default)]
pub struct DeepTheoryRows {
    /// Order `n` (2, 4 or 6).
    pub n: Vec<i64>,
    /// The input index of each factor, e.g. `0,0,1,3`.
    pub indices: Vec<String>,
    /// The output index of each factor, in the order of `indices`.
    pub outputs: Vec<String>,
    /// Infinite width.
    pub g_gp: Vec<f64>,
    /// The `1/n` shift of the two-point function (order 2; `None` at order 4).
    pub shift_leading_order: Vec<Option<f64>>,
    /// The shift through order `1/n²` (order 2: every pair up to [`ORDER_SIX_MAX_POINTS`]
    /// points, the pairs of one input point beyond; module docs); `None` elsewhere.
    pub shift_next_order: Vec<Option<f64>>,
    /// The leading connected four-point function (order 4) or six-point function (order 6,
    /// the sixth cumulant); `None` at order 2.
    pub connected_leading_order: Vec<Option<f64>>,
    /// The connected four-point function through order `1/n²` at order 4 (every multiset up to
    /// [`ORDER_SIX_MAX_POINTS`] points, the one-point multisets beyond; module docs); `None`
    /// elsewhere.
    pub connected_next_order: Vec<Option<f64>>,
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

/// The theory table of a checked deep network under `monitor` (as
/// [`deep_theory_with_progress`]), after checking that it fits in memory: the network's keys
/// `network`, `d_in`, `sigma_w`, `sigma_b`, `x_set`, `depth`, `widths`, then per row `n`,
/// `indices`, `outputs`, `g_gp`, `shift_leading_order`, `shift_next_order`, `connected_leading_order`,
/// `connected_next_order`, `g_exact` (the columns of `nnqft theory --widths` and of Python's
/// `nnqft.theory`).
pub fn deep_theory_table(network: &CheckedDeepNetwork, monitor: &dyn Monitor) -> Result<Table> {
    let (net, xs) = (network.network(), network.inputs());
    check_table_memory(xs.len() * net.d_out(), 1)?;
    let rows = deep_theory_with_progress(net, xs, monitor)?;
    let h = rows.len();
    Ok(Table::new()
        .str("network", vec![net.activation().name(); h])
        .int("d_in", vec![net.d_in() as i64; h])
        .f64("sigma_w", vec![net.c_w().sqrt(); h])
        .f64("sigma_b", vec![net.c_b().sqrt(); h])
        .str("x_set", vec![xs.name().to_string(); h])
        .int("depth", vec![net.depth() as i64; h])
        .str("widths", vec![joined(net.widths()); h])
        .int("n", rows.n)
        .str("indices", rows.indices)
        .str("outputs", rows.outputs)
        .f64("g_gp", rows.g_gp)
        .opt("shift_leading_order", rows.shift_leading_order)
        .opt("shift_next_order", rows.shift_next_order)
        .opt("connected_leading_order", rows.connected_leading_order)
        .opt("connected_next_order", rows.connected_next_order)
        .opt("g_exact", rows.g_exact))
}

/// Whether a deep network's two-point function on the points `(a, b)` is exactly the kernel `K`
/// at every width (module docs): every pair of a linear network, the diagonal pairs of relu.
pub fn g2_is_exact(act: DeepActivation, a: usize, b: usize) -> bool {
    match act {
        DeepActivation::Linear => true,
        DeepActivation::Relu => a == b,
        _ => false,
    }
}

/// The theory table of `net` on `inputs` (see the module docs).
pub fn deep_theory(net: &DeepNetwork, inputs: &InputSet) -> Result<DeepTheoryRows> {
    deep_theory_with_progress(net, inputs, &())
}

/// [`deep_theory`] under `monitor`, asked before each Gaussian expectation of the vertex
/// recursions whether to stop (`TheoryError::Interrupted`; seconds at most for the six-point
/// vertex of a smooth activation, where one group of expectations is a nested quadrature). The
/// same numbers, bit for bit.
pub fn deep_theory_with_progress(
    net: &DeepNetwork,
    inputs: &InputSet,
    monitor: &dyn Monitor,
) -> Result<DeepTheoryRows> {
    let m = inputs.len();
    // up to ORDER_SIX_MAX_POINTS points the next order is built on every multiset, and with it
    // the shift and the six-point vertex; beyond, the shift alone
    let next =
        if m <= ORDER_SIX_MAX_POINTS { Some(FourPointNextOrder::with_monitor(net, inputs, monitor)?) } else { None };
    let owned;
    let shift = match &next {
        Some(next) => next.kernel_shift(),
        None => {
            owned = KernelShift::with_monitor(net, inputs, monitor)?;
            &owned
        }
    };
    let vertex = shift.vertex();
    let k = vertex.kernels().output();
    let s = shift.shift();
    let (quads, connected, gp4) = vertex.output_indexed()?;
    let pairs = Multisets::new(m * net.d_out(), 2)?;
    let act = net.activation();
    let ratio = exact_one_input_ratio(net);
    let mut rows = DeepTheoryRows {
        quadrature_error: shift.quadrature_error().max(vertex.quadrature_error()),
        ..Default::default()
    };
    let label = |v: &[usize]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    // beyond ORDER_SIX_MAX_POINTS: per input point, Var(G) and E[G] − K through order 1/n² from
    // the one-input law (one-dimensional)
    let laws: Vec<(f64, f64)> = match next {
        Some(_) => Vec::new(),
        None => inputs
            .points()
            .map(|x| {
                let law = OneInputLaw::new(net, x)?;
                let ((c1, c2), (mu1, mu2)) = (law.variance(), law.mean_shift());
                Ok((c1 + c2, mu1 + mu2))
            })
            .collect::<Result<_>>()?,
    };
    let shift_next = next.as_ref().map(FourPointNextOrder::shift_correction);
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
        rows.shift_next_order.push(match &shift_next {
            Some(mu2) => Some(if same { s[a * m + b] + mu2[a * m + b] } else { 0.0 }),
            None => (a == b).then(|| if same { laws[a].1 } else { 0.0 }),
        });
        rows.connected_leading_order.push(None);
        rows.connected_next_order.push(None);
        rows.g_exact.push(g2_is_exact(act, a, b).then_some(gp));
    }
    if let Some(next) = &next {
        rows.quadrature_error = rows.quadrature_error.max(next.correction_error()).max(next.shift_correction_error());
    }
    for (pos, quad) in quads.iter().enumerate() {
        let (outputs, points): (Vec<usize>, Vec<usize>) =
            quad.iter().map(|&p| (p as usize / m, p as usize % m)).unzip();
        let diagonal = quad.iter().all(|&p| p == quad[0]);
        let one_point = points.iter().all(|&p| p == points[0]);
        // the pairings of the outputs: δ_o1o2 δ_o3o4 + δ_o1o3 δ_o2o4 + δ_o1o4 δ_o2o3
        let o = &outputs;
        let pairings = [(0, 1, 2, 3), (0, 2, 1, 3), (0, 3, 1, 2)]
            .iter()
            .filter(|&&(a, b, c, d)| o[a] == o[b] && o[c] == o[d])
            .count();
        rows.connected_next_order.push(match &next {
            Some(next) => Some(next.connected_g4(
                [outputs[0], outputs[1], outputs[2], outputs[3]],
                [points[0], points[1], points[2], points[3]],
            )),
            None => one_point.then(|| pairings as f64 * laws[points[0]].0),
        });
        rows.n.push(4);
        rows.indices.push(label(&points));
        rows.outputs.push(label(&outputs));
        rows.g_gp.push(gp4[pos]);
        rows.shift_leading_order.push(None);
        rows.shift_next_order.push(None);
        rows.connected_leading_order.push(Some(connected[pos]));
        rows.g_exact.push(ratio.filter(|_| diagonal).map(|r| r * gp4[pos]));
    }
    if let Some(next) = &next {
        let six = next.six_point();
        rows.quadrature_error = rows.quadrature_error.max(six.quadrature_error());
        let (sixes, connected, gp6) = six.output_indexed()?;
        let ratio6 = exact_one_input_sixth_ratio(net);
        for (pos, s6) in sixes.iter().enumerate() {
            let (outputs, points): (Vec<usize>, Vec<usize>) =
                s6.iter().map(|&p| (p as usize / m, p as usize % m)).unzip();
            let diagonal = s6.iter().all(|&p| p == s6[0]);
            rows.n.push(6);
            rows.indices.push(label(&points));
            rows.outputs.push(label(&outputs));
            rows.g_gp.push(gp6[pos]);
            rows.shift_leading_order.push(None);
            rows.shift_next_order.push(None);
            rows.connected_leading_order.push(Some(connected[pos]));
            rows.connected_next_order.push(None);
            rows.g_exact.push(ratio6.filter(|_| diagonal).map(|r| r * gp6[pos]));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deep linear nets with `C_b = 0` on one input: `E f² = K`, `E f⁴ = 3 K² ∏(1 + 2/n_l)` and
    /// `E f⁶ = 15 K³ ∏(1 + 6/n_l + 8/n_l²)` exactly; the table's leading orders are the `1/n`
    /// terms of the first two and the `1/n²` terms of the sixth cumulant, and its exact column
    /// holds them.
    #[test]
    fn linear_rows_are_exact_and_their_leading_orders_expand_them() {
        let widths = [20, 30, 50];
        let net = DeepNetwork::new(DeepActivation::Linear, &widths, 1.3, 0.0).unwrap();
        let xs = InputSet::new("one", &[vec![0.7]]).unwrap();
        let rows = deep_theory(&net, &xs).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows.n, vec![2, 4, 6]);
        let k = rows.g_gp[0];
        assert!((k - 1.3f64.powi(4) * 0.49).abs() < 1e-15);
        assert_eq!(rows.shift_leading_order[0], Some(0.0));
        assert_eq!(rows.g_exact[0], Some(k));
        let exact4 = 3.0 * k * k * widths.iter().map(|&n| 1.0 + 2.0 / n as f64).product::<f64>();
        assert!((rows.g_exact[1].unwrap() - exact4).abs() <= 1e-14 * exact4);
        // leading order: 3 K² Σ_l 2/n_l (the linear term of the product)
        let leading = 3.0 * k * k * widths.iter().map(|&n| 2.0 / n as f64).sum::<f64>();
        assert!((rows.connected_leading_order[1].unwrap() - leading).abs() <= 1e-12 * leading);
        // through order 1/n²: 3 K² (Σ_l 2/n_l + 4 Σ_(l<l') 1/(n_l n_l')), the product's second term
        let inv: Vec<f64> = widths.iter().map(|&n| 1.0 / n as f64).collect();
        let pairs: f64 = (0..3).flat_map(|i| (i + 1..3).map(move |j| (i, j))).map(|(i, j)| inv[i] * inv[j]).sum();
        let next = leading + 3.0 * k * k * 4.0 * pairs;
        assert!((rows.connected_next_order[1].unwrap() - next).abs() <= 1e-10 * next);
        assert_eq!((rows.connected_next_order[0], rows.connected_next_order[2]), (None, None));
        // order 6: E f⁶ = 15 K³ ∏(1 + 3·2/n_l + 8/n_l²); the sixth cumulant 15 κ3(G) starts at
        // 15 K³ (Σ_l 8/n_l² + 6·2² Σ_(l<l') 1/(n_l n_l'))
        let k3 = k * k * k;
        assert!((rows.g_gp[2] - 15.0 * k3).abs() <= 1e-14 * 15.0 * k3);
        let exact6 = 15.0 * k3 * widths.iter().map(|&n| 1.0 + 6.0 / n as f64 + 8.0 / (n * n) as f64).product::<f64>();
        assert!((rows.g_exact[2].unwrap() - exact6).abs() <= 1e-14 * exact6);
        let leading6 = 15.0 * k3 * (inv.iter().map(|e| 8.0 * e * e).sum::<f64>() + 24.0 * pairs);
        assert!((rows.connected_leading_order[2].unwrap() - leading6).abs() <= 1e-12 * leading6);
    }

    /// Two outputs, two inputs, tanh: the next order on every order-4 multiset is the
    /// several-input recursion's, and on the one-point multisets it is the one-input law's
    /// `count (C1 + C2)` (within the recursion's finite differences, 2e-6), with the output
    /// pairings' count, its leading part the vertex term.
    #[test]
    fn next_order_rows_cover_every_quadruple_and_agree_with_the_one_input_law() {
        let net = DeepNetwork::at_criticality(DeepActivation::Tanh, &[30, 30]).unwrap().with_d_out(2).unwrap();
        let xs = InputSet::new("two", &[vec![0.3], vec![1.0]]).unwrap();
        let rows = deep_theory(&net, &xs).unwrap();
        let direct = FourPointNextOrder::new(&net, &xs).unwrap();
        // order 2: the shift through 1/n², S + μ2, on every pair (0 across outputs); on (x, x)
        // the one-input law's μ1 + μ2
        let (s, mu2) = (direct.kernel_shift().shift(), direct.shift_correction());
        for i in (0..rows.len()).filter(|&i| rows.n[i] == 2) {
            let p: Vec<usize> = rows.indices[i].split(',').map(|p| p.parse().unwrap()).collect();
            let o: Vec<&str> = rows.outputs[i].split(',').collect();
            let want = if o[0] == o[1] { s[p[0] * 2 + p[1]] + mu2[p[0] * 2 + p[1]] } else { 0.0 };
            assert_eq!(rows.shift_next_order[i].map(f64::to_bits), Some(want.to_bits()), "row {i}");
            if p[0] == p[1] && o[0] == o[1] {
                let (mu1, law2) = OneInputLaw::new(&net, &[[0.3, 1.0][p[0]]]).unwrap().mean_shift();
                assert!((want - mu1 - law2).abs() <= 1e-9 * mu1.abs() + 2e-6 * law2.abs(), "row {i}");
            }
        }
        let mut seen = 0;
        for i in 0..rows.len() {
            assert_eq!(rows.connected_next_order[i].is_some(), rows.n[i] == 4, "row {i}");
            let Some(next) = rows.connected_next_order[i] else { continue };
            let points: Vec<usize> = rows.indices[i].split(',').map(|p| p.parse().unwrap()).collect();
            let o: Vec<usize> = rows.outputs[i].split(',').map(|p| p.parse().unwrap()).collect();
            let want = direct.connected_g4([o[0], o[1], o[2], o[3]], [points[0], points[1], points[2], points[3]]);
            assert_eq!(next.to_bits(), want.to_bits(), "row {i}");
            if points.iter().any(|&p| p != points[0]) {
                continue;
            }
            seen += 1;
            let x = if points[0] == 0 { 0.3 } else { 1.0 };
            let (c1, c2) = OneInputLaw::new(&net, &[x]).unwrap().variance();
            let lo = rows.connected_leading_order[i].unwrap();
            // the same pairing count multiplies both orders: lo = count C1, next = count (C1 + C2)
            let count = (lo / c1).round();
            assert!((lo - count * c1).abs() <= 1e-9 * lo.abs().max(1e-300), "{}: {lo} vs {count} C1", rows.outputs[i]);
            assert!(
                (next - count * (c1 + c2)).abs() <= 2e-6 * count * c2.abs() + 1e-14 * next.abs(),
                "{}",
                rows.outputs[i]
            );
            let want = [(0, 1, 2, 3), (0, 2, 1, 3), (0, 3, 1, 2)]
                .iter()
                .filter(|&&(a, b, c, d)| o[a] == o[b] && o[c] == o[d])
                .count();
            assert_eq!(count as usize, want, "{}", rows.outputs[i]);
        }
        // per point, the output patterns (i,i,i,i), (i,i,j,j) and (i,j,..) of two outputs: 5 each
        assert_eq!(seen, 2 * 5);
    }

    /// Beyond 8 input points the table has orders 2 and 4 only, and the next order on the
    /// one-point multisets only (the one-input law's).
    #[test]
    fn order_six_rows_need_at_most_eight_points() {
        let net = DeepNetwork::new(DeepActivation::Linear, &[5, 5], 1.0, 0.0).unwrap();
        let small = InputSet::new("two", &[vec![0.2], vec![0.9]]).unwrap();
        let rows = deep_theory(&net, &small).unwrap();
        // 3 pairs, 5 quadruples, 7 sextuples of two points
        assert_eq!(rows.len(), 3 + 5 + 7);
        let eight: Vec<Vec<f64>> = (0..8).map(|i| vec![0.1 * i as f64]).collect();
        let rows = deep_theory(&net, &InputSet::new("eight", &eight).unwrap()).unwrap();
        // 36 pairs, 330 quadruples, 1716 sextuples of eight points
        assert_eq!(rows.len(), 36 + 330 + 1716);
        let nine: Vec<Vec<f64>> = (0..9).map(|i| vec![0.1 * i as f64]).collect();
        let rows = deep_theory(&net, &InputSet::new("nine", &nine).unwrap()).unwrap();
        assert_eq!(rows.len(), 45 + 495);
        assert!(rows.n.iter().all(|&n| n < 6));
        for i in 0..rows.len() {
            let points: Vec<&str> = rows.indices[i].split(',').collect();
            let one_point = rows.n[i] == 4 && points.iter().all(|p| *p == points[0]);
            assert_eq!(rows.connected_next_order[i].is_some(), one_point, "row {i}: {}", rows.indices[i]);
            let one_pair = rows.n[i] == 2 && points.iter().all(|p| *p == points[0]);
            assert_eq!(rows.shift_next_order[i].is_some(), one_pair, "row {i}: {}", rows.indices[i]);
        }
    }
}
