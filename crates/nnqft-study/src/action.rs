//! The action table of an ensemble (`nnqft action`, Python's `nnqft.action`): the couplings of
//! `S(f) = −log p(f)` on a point set, reconstructed from the two-point function and the
//! connected four- and six-point functions by [`nnqft_theory::Action`] (whose docs derive them
//! and state the convention: `S = Σ_n (1/n!) s_n · fⁿ`, the `coupling` column holds `s_n` at
//! each multiset).
//!
//! Three sources, one table:
//! - [`exact_action`]: a one-hidden-layer network at width `N` from its exact correlators
//!   (`G2 = K`, `κ4` exactly `1/N`, `κ6` exactly `1/N²`, so the action at order `1/N²` is its
//!   whole expansion up to order `1/N³`);
//! - [`deep_action`]: a deep network from its finite-width theory: at order `1/n` from
//!   `G2 = K + S` (the `1/n` shift) and the four-point vertex; at order `1/n²` from `G2` and the
//!   connected four-point function through order `1/n²` and the six-point vertex
//!   (`nnqft_theory::FourPointNextOrder`: the theory table's `shift_next_order`,
//!   `connected_next_order` and order-6 `connected_leading_order`), on at most
//!   [`crate::deep_theory::ORDER_SIX_MAX_POINTS`] input points;
//! - [`measured_action`]: an ensemble analysed by [`crate::analyze`] (outputs of networks made
//!   anywhere, or our own samples): the measured `G2`, the connected parts as unbiased
//!   U-statistics, and every coupling's standard error by the delete-one jackknife over
//!   experiments (the action recomputed without each experiment). The couplings themselves are
//!   the action of the full estimates, a smooth function of them whose bias is of order
//!   `1/nets`, below the standard error.
//!
//! [`locality`] measures how local the quartic coupling is: its size against the spread of its
//! four points (`max − min` of their coordinates in one dimension, the largest distance between
//! two of them in more), and the share of the tensor's squared norm at each spread, so the
//! conjecture that translation-invariant kernels give local couplings becomes a number per network.
//!
//! Columns: `n` (2, 4, 6), `indices`, `outputs` (the output index of each factor; zeros for
//! one output), `coupling` (`s_n` to the order kept), `coupling_stderr` (measured inputs only),
//! `coupling_order1` (the couplings at order `1/N`: `s_6 = 0` there) and `coupling_gp` (the
//! Gaussian process's action: `G2⁻¹` at `n = 2`, zero at 4 and 6).

use crate::analyze::Analysis;
use crate::deep_theory::deep_theory_with_progress;
use crate::error::{Result, StudyError};
use crate::table::Table;
use nnqft_stats::jackknife_from_replicates;
use nnqft_theory::{
    ACTION_SECOND_ORDER_MAX_POINTS, Action, ActionOrder, DeepNetwork, FiniteWidthTheory, InputSet, Monitor, Multisets,
    Network,
};

/// The rows of an action table (module docs), orders 2, 4, 6 in multiset order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionRows {
    /// Order `n` (2, 4 or 6).
    pub n: Vec<i64>,
    /// The input index of each factor, e.g. `0,0,1,3`.
    pub indices: Vec<String>,
    /// The output index of each factor, in the order of `indices`.
    pub outputs: Vec<String>,
    /// The coupling `s_n` at the multiset, to the order kept.
    pub coupling: Vec<f64>,
    /// Its jackknife standard error over experiments (measured inputs), else `None`.
    pub coupling_stderr: Vec<Option<f64>>,
    /// The coupling at order `1/N` only.
    pub coupling_order1: Vec<f64>,
    /// The Gaussian process's coupling (`G2⁻¹` at `n = 2`, zero otherwise).
    pub coupling_gp: Vec<f64>,
}

impl ActionRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.n.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.n.is_empty()
    }
}

/// An action table and what it was built from.
#[derive(Debug, Clone)]
pub struct ActionTable {
    /// The order kept.
    pub order: ActionOrder,
    /// The condition number of `G2` on the points.
    pub condition_number: f64,
    /// The per-multiset rows.
    pub rows: ActionRows,
    /// The action itself (to evaluate `S(f)`).
    pub action: Action,
}

/// The action of the one-hidden-layer network `net` at width `width` on `inputs`, from its
/// exact correlators (module docs).
pub fn exact_action(net: &Network, width: usize, inputs: &InputSet, order: ActionOrder) -> Result<ActionTable> {
    let exact = FiniteWidthTheory::new(net, inputs)?.at_width(width)?;
    let kappa6 = (order == ActionOrder::Second).then_some(&exact.kappa6[..]);
    let action = Action::reconstruct(inputs.len(), &exact.g[0], &exact.kappa4, kappa6)?;
    Ok(table(action, 1, None))
}

/// The action of the deep network `net` on `inputs` from its finite-width theory at order `1/n`
/// or `1/n²` (module docs); order `1/n²` beyond 8 input points or
/// [`ACTION_SECOND_ORDER_MAX_POINTS`] (point, output) pairs is refused, naming the limit.
pub fn deep_action(net: &DeepNetwork, inputs: &InputSet, order: ActionOrder) -> Result<ActionTable> {
    deep_action_with_monitor(net, inputs, order, &())
}

/// [`deep_action`] under `monitor`, asked before each Gaussian expectation of the deep theory
/// whether to stop (as [`crate::deep_theory::deep_theory_with_progress`]); the same numbers.
pub fn deep_action_with_monitor(
    net: &DeepNetwork,
    inputs: &InputSet,
    order: ActionOrder,
    monitor: &dyn Monitor,
) -> Result<ActionTable> {
    let second = order == ActionOrder::Second;
    let pairs = inputs.len() * net.d_out();
    if second && (inputs.len() > crate::deep_theory::ORDER_SIX_MAX_POINTS || pairs > ACTION_SECOND_ORDER_MAX_POINTS) {
        return Err(StudyError::Table {
            field: "order",
            found: format!("2 on {} input points and {} outputs", inputs.len(), net.d_out()),
            expected: format!(
                "1, or 2 on at most {} input points (the next orders of G2 and G4 and the six-point vertex) and \
                 at most {ACTION_SECOND_ORDER_MAX_POINTS} (point, output) pairs (the sextic coupling's tensors)",
                crate::deep_theory::ORDER_SIX_MAX_POINTS
            ),
        });
    }
    let rows = deep_theory_with_progress(net, inputs, monitor)?;
    let pick = |n: i64, value: &dyn Fn(usize) -> f64| -> Vec<f64> {
        (0..rows.len()).filter(|&i| rows.n[i] == n).map(value).collect()
    };
    let action = if second {
        let g2 = pick(2, &|i| rows.g_gp[i] + rows.shift_next_order[i].unwrap_or(f64::NAN));
        let kappa4 = pick(4, &|i| rows.connected_next_order[i].unwrap_or(f64::NAN));
        let kappa6 = pick(6, &|i| rows.connected_leading_order[i].unwrap_or(f64::NAN));
        Action::reconstruct(inputs.len() * net.d_out(), &g2, &kappa4, Some(&kappa6))?
    } else {
        let g2 = pick(2, &|i| rows.g_gp[i] + rows.shift_leading_order[i].unwrap_or(0.0));
        let kappa4 = pick(4, &|i| rows.connected_leading_order[i].unwrap_or(f64::NAN));
        Action::reconstruct(inputs.len() * net.d_out(), &g2, &kappa4, None)?
    };
    Ok(table(action, net.d_out(), None))
}

/// The order of an analysed ensemble's action: the one `requested` (`Some(1)` or `Some(2)`), or
/// without a request the highest available, `1/N²` on at most
/// [`ACTION_SECOND_ORDER_MAX_POINTS`] (point, output) pairs and `1/N` beyond.
pub fn measured_order(analysis: &Analysis, requested: Option<u64>) -> ActionOrder {
    ActionOrder::chosen(requested, analysis.inputs * analysis.outputs <= ACTION_SECOND_ORDER_MAX_POINTS)
}

/// The action of an analysed ensemble with jackknife standard errors (module docs). Order
/// `1/N²` uses the measured connected six-point function.
pub fn measured_action(analysis: &Analysis, order: ActionOrder) -> Result<ActionTable> {
    let e = analysis.experiments;
    let rows = &analysis.rows;
    let pick = |n: i64| -> Vec<usize> { (0..rows.len()).filter(|&i| rows.n[i] == n).collect() };
    let (at2, at4, at6) = (pick(2), pick(4), pick(6));
    let g2: Vec<f64> = at2.iter().map(|&i| rows.g_mean[i]).collect();
    let connected = |at: &[usize]| -> Vec<f64> { at.iter().map(|&i| rows.connected[i].unwrap_or(f64::NAN)).collect() };
    let (kappa4, kappa6) = (connected(&at4), connected(&at6));
    let second = order == ActionOrder::Second;
    let points = analysis.inputs * analysis.outputs;
    let action = Action::reconstruct(points, &g2, &kappa4, second.then_some(&kappa6[..]))?;
    // delete-one replicates: G2 from the experiments' means, κ from the pseudo-values
    let loo_mean = |values: &[f64], len: usize, x: usize| -> Vec<f64> {
        (0..len)
            .map(|p| ((0..e).map(|y| values[y * len + p]).sum::<f64>() - values[x * len + p]) / (e as f64 - 1.0))
            .collect()
    };
    let loo_pseudo = |full: &[f64], pseudo: &[f64], x: usize| -> Vec<f64> {
        full.iter().enumerate().map(|(p, f)| (e as f64 * f - pseudo[x * full.len() + p]) / (e as f64 - 1.0)).collect()
    };
    let mut replicates: Vec<Vec<f64>> = Vec::with_capacity(e);
    for x in 0..e {
        let g2_x = loo_mean(&analysis.g2_experiments, g2.len(), x);
        let k4_x = loo_pseudo(&kappa4, &analysis.connected_pseudo[0], x);
        let k6_x = second.then(|| loo_pseudo(&kappa6, &analysis.connected_pseudo[1], x));
        let a = Action::reconstruct(points, &g2_x, &k4_x, k6_x.as_deref())?;
        replicates.push(all_couplings(&a)?);
    }
    let count = replicates.first().map_or(0, Vec::len);
    let stderr: Vec<f64> =
        (0..count).map(|q| jackknife_from_replicates(&replicates.iter().map(|r| r[q]).collect::<Vec<_>>())).collect();
    Ok(table(action, analysis.outputs, Some(&stderr)))
}

/// The quartic coupling at one spread of its four points ([`locality`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LocalityRow {
    /// The spread: the largest distance between two of the four points.
    pub spread: f64,
    /// Multisets of order 4 at this spread.
    pub multisets: usize,
    /// The mean `|s_4|` over them.
    pub mean_abs: f64,
    /// The largest `|s_4|` among them.
    pub max_abs: f64,
    /// Their share of the tensor's squared norm `Σ_{i1..i4} s_4²` (over ordered tuples: each
    /// multiset counted with its number of orderings).
    pub norm_share: f64,
    /// The share of every spread up to and including this one.
    pub cumulative_share: f64,
}

/// The locality profile of `action`'s quartic coupling to the order kept, on the coordinates of
/// `inputs` (point `p` of the action at input `p % inputs.len()`): one row per distinct spread
/// (equal within `1e-9` of the largest spread), in increasing order. On a grid the first row
/// (spread 0) is the diagonal, the local part; a coupling `24 λ_phys h δ` of a local `λ_phys f⁴`
/// on a grid of spacing `h` would put all of the norm there.
pub fn locality(action: &Action, inputs: &InputSet) -> Result<Vec<LocalityRow>> {
    let m = inputs.len();
    if m == 0 || !action.points().is_multiple_of(m) {
        return Err(StudyError::Table {
            field: "inputs",
            found: format!("{m} points"),
            expected: format!("a set whose size divides the action's {} points", action.points()),
        });
    }
    let (ms, s4) = (action.multisets(4)?, action.couplings(4)?);
    let distance = |a: usize, b: usize| -> f64 {
        inputs.point(a % m).iter().zip(inputs.point(b % m)).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
    };
    let mut entries: Vec<(f64, f64, f64)> = ms
        .iter()
        .enumerate()
        .map(|(pos, set)| {
            let spread = set
                .iter()
                .flat_map(|&a| set.iter().map(move |&b| (a as usize, b as usize)))
                .map(|(a, b)| distance(a, b))
                .fold(0.0, f64::max);
            (spread, s4[pos], ms.multiplicity(pos) as f64)
        })
        .collect();
    entries.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = entries.iter().map(|(_, s, w)| w * s * s).sum();
    let tolerance = 1e-9 * entries.last().map_or(0.0, |e| e.0).max(1e-300);
    let mut rows: Vec<LocalityRow> = Vec::new();
    let mut cumulative = 0.0;
    let mut i = 0;
    while i < entries.len() {
        let spread = entries[i].0;
        let group: Vec<&(f64, f64, f64)> = entries[i..].iter().take_while(|e| e.0 - spread <= tolerance).collect();
        let share = group.iter().map(|(_, s, w)| w * s * s).sum::<f64>() / total;
        cumulative += share;
        rows.push(LocalityRow {
            spread,
            multisets: group.len(),
            mean_abs: group.iter().map(|e| e.1.abs()).sum::<f64>() / group.len() as f64,
            max_abs: group.iter().map(|e| e.1.abs()).fold(0.0, f64::max),
            norm_share: share,
            cumulative_share: cumulative,
        });
        i += group.len();
    }
    Ok(rows)
}

/// Every coupling of orders 2, 4, 6 in row order.
fn all_couplings(a: &Action) -> Result<Vec<f64>> {
    Ok([2, 4, 6].into_iter().map(|n| a.couplings(n).map(<[f64]>::to_vec)).collect::<Result<Vec<_>, _>>()?.concat())
}

/// The rows of `action` (`outputs` outputs: point `p` is output `p / m` at input `p % m`).
fn table(action: Action, outputs: usize, stderr: Option<&[f64]>) -> ActionTable {
    let mut rows = ActionRows::default();
    let m = action.points() / outputs.max(1);
    let mut q = 0;
    for n in [2usize, 4, 6] {
        let (Ok(ms), Ok(full), Ok(first)) = (action.multisets(n), action.couplings(n), action.first_order_couplings(n))
        else {
            continue;
        };
        let ms: &Multisets = ms;
        for (pos, set) in ms.iter().enumerate() {
            let label = |f: &dyn Fn(usize) -> usize| {
                set.iter().map(|&p| f(p as usize).to_string()).collect::<Vec<_>>().join(",")
            };
            rows.n.push(n as i64);
            rows.indices.push(label(&|p| p % m));
            rows.outputs.push(label(&|p| p / m));
            rows.coupling.push(full[pos]);
            rows.coupling_stderr.push(stderr.map(|s| s[q]));
            rows.coupling_order1.push(first[pos]);
            rows.coupling_gp.push(if n == 2 { action.gaussian_couplings()[pos] } else { 0.0 });
            q += 1;
        }
    }
    ActionTable { order: action.order(), condition_number: action.condition_number(), rows, action }
}

/// The couplings table of `table` (`action.parquet`, Python's `nnqft.action()["couplings"]`):
/// `source` (what the correlators came from: `exact`, `deep`, or measured outputs, `file` on the
/// command line and `array` in Python), `order` (1 or 2), `condition_number` (of `G2` on the
/// points), then per multiset `n`, `indices`, `outputs`, `coupling`, `coupling_stderr` (missing
/// without measured inputs), `coupling_order1`, `coupling_gp`.
pub fn couplings_table(source: &str, table: ActionTable) -> Table {
    let h = table.rows.len();
    let rows = table.rows;
    Table::new()
        .str("source", vec![source; h])
        .int("order", vec![table.order.power() as i64; h])
        .f64("condition_number", vec![table.condition_number; h])
        .int("n", rows.n)
        .str("indices", rows.indices)
        .str("outputs", rows.outputs)
        .f64("coupling", rows.coupling)
        .opt("coupling_stderr", rows.coupling_stderr)
        .f64("coupling_order1", rows.coupling_order1)
        .f64("coupling_gp", rows.coupling_gp)
}

/// The couplings tables of several ensembles, one block of rows after another, with the columns
/// of [`couplings_table`] (`analysis_action.parquet` of `nnqft analyze --action`, Python's
/// `nnqft.analyze(..., action=True)["action"]`: one block per file or array, `source` its name).
pub fn couplings_blocks_table(blocks: Vec<(String, ActionTable)>) -> Table {
    Table::stacked(blocks.into_iter().map(|(source, table)| couplings_table(&source, table)))
}

/// The locality table of the quartic coupling (`action_locality.parquet`, Python's
/// `nnqft.action()["locality"]`): per distinct spread of four points, `spread`, `multisets`,
/// `mean_abs`, `max_abs` (of `s_4`), `norm_share` and `cumulative_share` (of its squared norm).
pub fn locality_table(rows: &[LocalityRow]) -> Table {
    Table::new()
        .f64("spread", rows.iter().map(|r| r.spread))
        .int("multisets", rows.iter().map(|r| r.multisets as i64))
        .f64("mean_abs", rows.iter().map(|r| r.mean_abs))
        .f64("max_abs", rows.iter().map(|r| r.max_abs))
        .f64("norm_share", rows.iter().map(|r| r.norm_share))
        .f64("cumulative_share", rows.iter().map(|r| r.cumulative_share))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use nnqft_sampling::{Ensemble, Estimator};
    use nnqft_theory::{Activation, DeepActivation};

    fn inputs(xs: &[f64]) -> InputSet {
        InputSet::new("test", &xs.iter().map(|&x| vec![x]).collect::<Vec<_>>()).unwrap()
    }

    /// The couplings of a sampled ensemble, analysed as outputs made elsewhere, agree with those
    /// of the exact correlators within their jackknife errors: erf at N = 5 on two points,
    /// 20 experiments of 10^5 nets. Bound: |z| < 4.5 over the 3 + 5 + 7 couplings (t with 19
    /// degrees of freedom; two-sided 4.5 has probability below 3e-4 each).
    #[test]
    fn measured_couplings_agree_with_exact_ones() {
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let x = inputs(&[-0.5, 0.7]);
        let ens = Ensemble::new(net, 5, x.clone(), 100_000, 20, Estimator::Raw, 20_261_206).unwrap();
        let analysis = analyze(&ens.run(2).unwrap(), 1).unwrap();
        let exact = exact_action(&net, 5, &x, ActionOrder::Second).unwrap();
        let measured = measured_action(&analysis, ActionOrder::Second).unwrap();
        assert_eq!(measured.rows.len(), 3 + 5 + 7);
        assert_eq!(measured.rows.indices, exact.rows.indices);
        let mut worst: f64 = 0.0;
        for i in 0..measured.rows.len() {
            let se = measured.rows.coupling_stderr[i].unwrap();
            let z = (measured.rows.coupling[i] - exact.rows.coupling[i]) / se;
            assert!(
                z.abs() < 4.5,
                "n = {} {}: {} vs exact {} (se {se})",
                measured.rows.n[i],
                measured.rows.indices[i],
                measured.rows.coupling[i],
                exact.rows.coupling[i]
            );
            worst = worst.max(z.abs());
        }
        // the test has power: the quartic coupling is resolved from zero, and the exact couplings of
        // the next width (N = 6) are rejected
        let quartic: Vec<usize> = (0..exact.rows.len()).filter(|&i| exact.rows.n[i] == 4).collect();
        assert!(
            quartic.iter().all(|&i| measured.rows.coupling[i].abs() > 20.0 * measured.rows.coupling_stderr[i].unwrap())
        );
        let next = exact_action(&net, 6, &x, ActionOrder::Second).unwrap();
        let z_next =
            |i: usize| (measured.rows.coupling[i] - next.rows.coupling[i]) / measured.rows.coupling_stderr[i].unwrap();
        assert!(quartic.iter().all(|&i| z_next(i).abs() > 4.5), "N = 6 not rejected");
        eprintln!("erf N = 5, two points: largest |z| = {worst:.2} over {} couplings", measured.rows.len());
    }

    /// The jackknife standard errors equal the spread of the action recomputed from analyses
    /// without each experiment.
    #[test]
    fn jackknife_errors_equal_recomputation_without_each_experiment() {
        let net = Network::new(Activation::Relu, 1, 1.0, 0.0).unwrap();
        let x = inputs(&[-0.5, 1.0]); // same-sign points of a bias-free relu net are degenerate
        let ens = Ensemble::new(net, 4, x, 2_000, 6, Estimator::Raw, 7).unwrap();
        let r = ens.run(2).unwrap();
        let e = r.experiments;
        let full = measured_action(&analyze(&r, 1).unwrap(), ActionOrder::Second).unwrap();
        let without = |skip: usize| {
            let mut s = r.clone();
            s.experiments = e - 1;
            for o in 0..3 {
                let len = r.multisets[o].len();
                s.means[o] =
                    (0..e).filter(|&y| y != skip).flat_map(|y| r.means[o][y * len..(y + 1) * len].to_vec()).collect();
            }
            measured_action(&analyze(&s, 1).unwrap(), ActionOrder::Second).unwrap().rows.coupling
        };
        let loo: Vec<Vec<f64>> = (0..e).map(without).collect();
        for q in 0..full.rows.len() {
            let se = jackknife_from_replicates(&loo.iter().map(|c| c[q]).collect::<Vec<_>>());
            let got = full.rows.coupling_stderr[q].unwrap();
            assert!((got - se).abs() <= 1e-9 * se.abs().max(1e-300), "row {q}: {got} vs {se}");
        }
    }

    #[test]
    fn exact_rows_hold_the_gaussian_and_first_order_couplings() {
        let net = Network::new(Activation::Gauss, 1, 1.0, 1.0).unwrap();
        let x = inputs(&[-1.0, 0.0, 1.0]);
        let t = exact_action(&net, 10, &x, ActionOrder::First).unwrap();
        assert_eq!(t.order, ActionOrder::First);
        assert_eq!(t.rows.len(), 6 + 15 + 28);
        for i in 0..t.rows.len() {
            assert_eq!(t.rows.coupling[i].to_bits(), t.rows.coupling_order1[i].to_bits());
            assert!(t.rows.coupling_stderr[i].is_none());
            if t.rows.n[i] == 6 {
                assert_eq!(t.rows.coupling[i].to_bits(), 0.0f64.to_bits());
            }
        }
        // the GP's action is G2^-1: G2 · s_2 = 1 on the diagonal of their product
        let ms = t.action.multisets(2).unwrap();
        let g2 = FiniteWidthTheory::new(&net, &x).unwrap().at_width(10).unwrap().g[0].clone();
        let at = |v: &[f64], a: usize, b: usize| v[ms.position(&[a, b]).unwrap()];
        let gp: Vec<f64> = (0..ms.len()).map(|p| t.rows.coupling_gp[p]).collect();
        for a in 0..3 {
            let d: f64 = (0..3).map(|c| at(&g2, a, c) * at(&gp, c, a)).sum();
            assert!((d - 1.0).abs() < 1e-6, "{d}");
        }
    }

    /// Deep actions at both orders; at one hidden layer the order-`1/n²` action is the exact
    /// one of the same network (the deep theory's `G2 = K`, `κ4`, `κ6` are the exact one-layer
    /// correlators there), within the deep theory's quadrature; beyond 8 points order 2 is
    /// refused naming the limit.
    #[test]
    fn deep_actions_of_both_orders_and_the_one_layer_limit() {
        let net = DeepNetwork::new(DeepActivation::Relu, &[20, 20], 2.0, 0.0).unwrap();
        let x = inputs(&[-0.5, 1.0]);
        let t = deep_action(&net, &x, ActionOrder::First).unwrap();
        assert_eq!(t.rows.len(), 3 + 5 + 7);
        assert!(t.rows.coupling.iter().all(|c| c.is_finite()));
        let second = deep_action(&net, &x, ActionOrder::Second).unwrap();
        assert_eq!(second.order, ActionOrder::Second);
        assert!(second.rows.coupling.iter().all(|c| c.is_finite()));
        // the order-1/n² inputs are the theory's next orders, fed as they are
        let four = nnqft_theory::FourPointNextOrder::new(&net, &x).unwrap();
        let (k, s, mu2) = (four.six_point().kernels().output(), four.kernel_shift().shift(), four.shift_correction());
        let g2: Vec<f64> =
            [(0, 0), (0, 1), (1, 1)].iter().map(|&(a, b)| k[a * 2 + b] + s[a * 2 + b] + mu2[a * 2 + b]).collect();
        let quads = [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 1], [0, 1, 1, 1], [1, 1, 1, 1]];
        let kappa4: Vec<f64> = quads.iter().map(|&q| four.connected_g4([0; 4], q)).collect();
        let (_, kappa6, _) = four.six_point().output_indexed().unwrap();
        let direct = Action::reconstruct(2, &g2, &kappa4, Some(&kappa6)).unwrap();
        let bits = |v: &[f64]| v.iter().map(|c| c.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&second.rows.coupling), bits(&table(direct, 1, None).rows.coupling));
        assert!(mu2.iter().any(|v| *v != 0.0) && four.correction_g4([0; 4], [0, 0, 1, 1]) != 0.0);
        let erf = Network::new(Activation::Erf, 1, 1.3f64.sqrt(), 0.4f64.sqrt()).unwrap();
        let deep_erf = DeepNetwork::new(DeepActivation::Erf, &[7], 1.3, 0.4).unwrap();
        let exact = exact_action(&erf, 7, &x, ActionOrder::Second).unwrap();
        let deep = deep_action(&deep_erf, &x, ActionOrder::Second).unwrap();
        for (i, (a, b)) in exact.rows.coupling.iter().zip(&deep.rows.coupling).enumerate() {
            assert!((a - b).abs() <= 1e-7 * a.abs().max(1e-3), "row {i}: exact {a}, deep {b}");
        }
        let nine: Vec<f64> = (0..9).map(|i| 0.2 * i as f64 - 0.8).collect();
        let err = deep_action(&net, &inputs(&nine), ActionOrder::Second).unwrap_err().to_string();
        assert!(err.contains("order") && err.contains("8 input points"), "{err}");
        let outputs = net.with_d_out(2).unwrap();
        let six = inputs(&[-0.9, -0.5, -0.1, 0.3, 0.7, 1.1]);
        let err = deep_action(&outputs, &six, ActionOrder::Second).unwrap_err().to_string();
        assert!(err.contains("order") && err.contains("(point, output) pairs"), "{err}");
    }

    /// The locality profile partitions the tensor's norm; a tensor with only diagonal entries
    /// is all at spread 0; the Cos-net on a grid (translation-invariant kernel) has its largest
    /// couplings on the diagonal and a share that falls with the spread.
    #[test]
    fn locality_profile_partitions_the_norm() {
        let grid: Vec<f64> = (0..10).map(|i| -1.8 + 0.4 * i as f64).collect();
        let x = inputs(&grid);
        let cos = Network::new(Activation::Cos, 1, 1.0, 0.0).unwrap();
        let t = exact_action(&cos, 10, &x, ActionOrder::First).unwrap();
        let rows = locality(&t.action, &x).unwrap();
        assert_eq!(rows.len(), 10); // spreads 0, 0.4, ..., 3.6
        assert_eq!(rows.iter().map(|r| r.multisets).sum::<usize>(), t.action.multisets(4).unwrap().len());
        assert!((rows.last().unwrap().cumulative_share - 1.0).abs() < 1e-12);
        assert!((rows[1].spread - 0.4).abs() < 1e-12);
        assert!(rows[0].mean_abs > rows.iter().skip(1).map(|r| r.mean_abs).fold(0.0, f64::max));
        // with G2 the identity, amputation changes nothing: a diagonal kappa4 gives a diagonal s4
        let k = 3;
        let g2 = [1.0, 0.0, 0.0, 1.0, 0.0, 1.0]; // identity: amputation changes nothing
        let ms4 = Multisets::new(k, 4).unwrap();
        let k4: Vec<f64> = ms4.iter().map(|s| if s.iter().all(|&a| a == s[0]) { 0.1 } else { 0.0 }).collect();
        let a = Action::reconstruct(k, &g2, &k4, None).unwrap();
        let rows = locality(&a, &inputs(&[0.0, 1.0, 2.0])).unwrap();
        assert!((rows[0].norm_share - 1.0).abs() < 1e-15 && rows[0].spread.abs() < 1e-15);
        assert!(locality(&a, &inputs(&[0.0, 1.0])).is_err());
    }

    #[test]
    fn coincident_points_are_refused() {
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let err = exact_action(&net, 5, &inputs(&[0.3, 0.3]), ActionOrder::First).unwrap_err().to_string();
        assert!(err.contains("ill-conditioned"), "{err}");
    }
}
