//! The theory table of a paper network (`nnqft theory`, Python's `nnqft.exact`): per multiset of
//! orders 2, 4 and 6 of the input set, the GP (free theory) value and, at each one-layer width
//! asked for, the exact finite-width correlator and its connected part (the cumulant: `κ4 ∝ 1/N`,
//! `κ6 ∝ 1/N²`; none at order 2, whose cumulant is the GP value itself at every width). One
//! implementation for every front door, so the columns agree; the deep network's table is
//! [`crate::deep_theory::deep_theory_table`].

use crate::error::Result;
use crate::network_spec::{CheckedNetwork, check_table_memory};
use crate::table::Table;
use nnqft_theory::FiniteWidthTheory;

/// The theory table of a checked paper network at the one-layer `widths` (module docs), after
/// checking that it fits in memory: the columns `network`, `d_in`, `sigma_w`, `sigma_b`, `x_set`,
/// `width`, `n`, `indices`, `g_gp`, `g_exact`, `connected_exact`, one row per (width, order,
/// multiset). Without widths, one row per (order, multiset) with `width`, `g_exact` and
/// `connected_exact` missing. Exact theory out of reach (`TheoryError::Unsupported`) is an error.
pub fn theory_table(network: &CheckedNetwork, widths: &[usize]) -> Result<Table> {
    let (net, xs) = (network.network(), network.inputs());
    check_table_memory(xs.len(), widths.len())?;
    let theory = FiniteWidthTheory::new(net, xs)?;
    let at: Vec<Option<usize>> = if widths.is_empty() { vec![None] } else { widths.iter().map(|&w| Some(w)).collect() };
    let (mut width, mut n, mut indices, mut gp, mut exact, mut connected) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for w in at {
        let values = w.map(|w| theory.at_width(w)).transpose()?;
        for o in 0..3 {
            let ms = &theory.multisets[o];
            for pos in 0..ms.len() {
                width.push(w.map(|w| w as i64));
                n.push(2 * o as i64 + 2);
                indices.push(ms.label(pos));
                gp.push(theory.gp[o][pos]);
                exact.push(values.as_ref().map(|e| e.g[o][pos]));
                connected.push(values.as_ref().and_then(|e| match o {
                    1 => Some(e.kappa4[pos]),
                    2 => Some(e.kappa6[pos]),
                    _ => None,
                }));
            }
        }
    }
    let rows = n.len();
    let table = Table::new()
        .str("network", vec![net.activation().name(); rows])
        .int("d_in", vec![net.d_in() as i64; rows])
        .f64("sigma_w", vec![net.sigma_w(); rows])
        .f64("sigma_b", vec![net.sigma_b(); rows])
        .str("x_set", vec![xs.name().to_string(); rows]);
    // every row has a width when widths are given: an integer column then (the same Parquet
    // type either way, and integers rather than NaN-able reals in Python)
    let table =
        if widths.is_empty() { table.opt_int("width", width) } else { table.int("width", width.into_iter().flatten()) };
    Ok(table
        .int("n", n)
        .str("indices", indices)
        .f64("g_gp", gp)
        .opt("g_exact", exact)
        .opt("connected_exact", connected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network_spec::NetworkSpec;
    use crate::table::Column;

    #[test]
    fn one_row_per_width_order_and_multiset() {
        let net = NetworkSpec::new("relu").check().unwrap();
        let t = theory_table(&net, &[5, 10]).unwrap();
        assert_eq!(t.height(), 2 * (21 + 126 + 462));
        assert!(matches!(t.column("width"), Some(Column::Int(w)) if w[0] == 5 && w[609] == 10));
        let gp = theory_table(&net, &[]).unwrap();
        assert_eq!(gp.height(), 609);
        assert!(matches!(gp.column("width"), Some(Column::OptionalInt(w)) if w.iter().all(Option::is_none)));
    }
}
