//! `nnqft theory`: the GP (free theory) and the exact finite-width correlators of a network
//! on an input set, per multiset of order 2, 4, 6, written as `theory.parquet`.

use crate::options::NetworkArgs;
use crate::report::Table;
use anyhow::Result;
use nnqft_theory::FiniteWidthTheory;

/// Options of `theory`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct TheoryArgs {
    /// The network and its inputs.
    #[command(flatten)]
    #[serde(flatten)]
    pub network: NetworkArgs,
    /// Widths N (comma-separated, each >= 1) at which to give the exact finite-width
    /// correlators `g_exact` and cumulants `connected_exact` (kappa4, kappa6); default: none,
    /// the GP only.
    #[arg(long, value_delimiter = ',')]
    pub widths: Vec<usize>,
}

/// Refuses a table that cannot fit in memory, before any is allocated: about 200 bytes per
/// multiset of order 6 of the `m` points for the theory's tables, and as much again per row
/// at each width (values, labels and the Parquet frame).
fn check_memory(m: usize, widths: usize) -> Result<()> {
    use nnqft_sampling::memory::{human_bytes, memory_limit, multiset_count};
    let multisets = [2, 4, 6].iter().fold(0u64, |a, &n| a.saturating_add(multiset_count(m as u64, n)));
    let needed = multisets.saturating_mul(200).saturating_mul(widths.max(1) as u64 + 1);
    let limit = memory_limit();
    if needed > limit {
        anyhow::bail!(
            "the theory of {m} input points needs about {} of memory ({multisets} multisets of order 2, 4, 6 at \
             {} width(s)); the limit is {} (available memory): use fewer input points or widths",
            human_bytes(needed),
            widths.max(1),
            human_bytes(limit)
        );
    }
    Ok(())
}

/// `theory.parquet`: one row per (width, order, multiset); without widths one row per
/// (order, multiset) with `width`, `g_exact` and `connected_exact` null.
pub fn table(args: &TheoryArgs) -> Result<Table> {
    let (net, xs) = args.network.resolve()?;
    check_memory(xs.len(), args.widths.len())?;
    // correlators that overflow f64 are refused, as `sample` refuses them
    nnqft_sampling::scale::check_output_variance(xs.points().map(|x| nnqft_theory::kernel(&net, x, x)))?;
    let theory = FiniteWidthTheory::new(&net, &xs)?;
    let widths: Vec<Option<usize>> =
        if args.widths.is_empty() { vec![None] } else { args.widths.iter().map(|&w| Some(w)).collect() };
    let (mut width, mut n, mut indices, mut gp, mut exact, mut connected) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for w in widths {
        let at = w.map(|w| theory.at_width(w)).transpose()?;
        for o in 0..3 {
            let ms = &theory.multisets[o];
            for pos in 0..ms.len() {
                width.push(w.map(|w| w as i64));
                n.push(2 * o as i64 + 2);
                indices.push(ms.label(pos));
                gp.push(theory.gp[o][pos]);
                exact.push(at.as_ref().map(|e| e.g[o][pos]));
                connected.push(at.as_ref().and_then(|e| match o {
                    1 => Some(e.kappa4[pos]),
                    2 => Some(e.kappa6[pos]),
                    _ => None,
                }));
            }
        }
    }
    let rows = n.len();
    Ok(Table::new()
        .str("network", vec![net.activation().name(); rows])
        .int("d_in", vec![net.d_in() as i64; rows])
        .f64("sigma_w", vec![net.sigma_w(); rows])
        .f64("sigma_b", vec![net.sigma_b(); rows])
        .str("x_set", vec![xs.name().to_string(); rows])
        .opt_int("width", width)
        .int("n", n)
        .str("indices", indices)
        .f64("g_gp", gp)
        .opt("g_exact", exact)
        .opt("connected_exact", connected))
}
