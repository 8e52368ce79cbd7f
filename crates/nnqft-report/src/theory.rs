//! `nnqft theory`: the GP (free theory) and the exact finite-width correlators of a paper
//! network on an input set, per multiset of order 2, 4, 6 (at the one-layer widths of
//! `--width-scan`); or, for a deep network (`--widths n1,..,nL`), its infinite-width values and
//! leading finite-width corrections; written as `theory.parquet`.

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
    /// One-layer widths N (comma-separated, each >= 1) at which to give the exact finite-width
    /// correlators `g_exact` and cumulants `connected_exact` (kappa4, kappa6) of the paper's
    /// network; default: none, the GP only.
    #[arg(long, value_delimiter = ',', conflicts_with = "widths")]
    pub width_scan: Vec<usize>,
    /// The hidden widths n_1,...,n_L of one deep network (as for `sample`): then the table has,
    /// per multiset of orders 2, 4 and 6 (6 with at most 8 input points) over the (output, point)
    /// pairs, the infinite-width g_gp, the 1/n shift of G2 (shift_leading_order), the leading
    /// connected G4 and G6 (connected_leading_order: the four-point vertex term, order 1/n, and the
    /// six-point vertex term, order 1/n^2) and g_exact where the exact value is known.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub widths: Option<Vec<usize>>,
    /// Outputs d_out (>= 1) of the deep network.
    #[arg(long, default_value_t = 1, requires = "widths")]
    #[serde(default = "one")]
    pub d_out: usize,
    /// Put the deep network at the critical point of its activation (C_W and C_b where both
    /// susceptibilities of the kernel recursion are one) instead of --sigma-w and --sigma-b; an
    /// error names the activations that have none (sigmoid, softplus).
    #[arg(long, requires = "widths", conflicts_with_all = ["sigma_w", "sigma_b"])]
    #[serde(default)]
    pub critical: bool,
}

fn one() -> usize {
    1
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

/// `theory.parquet` of a deep network (`--widths`): the rows of
/// [`nnqft_study::deep_theory::deep_theory`] with the network's keys.
fn deep_table(args: &TheoryArgs, widths: &[usize]) -> Result<Table> {
    let (net, xs) = args.network.resolve_deep_at(widths, args.d_out, args.critical)?;
    check_memory(xs.len() * net.d_out(), 1)?;
    let rows = nnqft_study::deep_theory::deep_theory(&net, &xs)?;
    let h = rows.len();
    let layers = widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",");
    Ok(Table::new()
        .str("network", vec![net.activation().name(); h])
        .int("d_in", vec![net.d_in() as i64; h])
        .f64("sigma_w", vec![net.c_w().sqrt(); h])
        .f64("sigma_b", vec![net.c_b().sqrt(); h])
        .str("x_set", vec![xs.name().to_string(); h])
        .int("depth", vec![net.depth() as i64; h])
        .str("widths", vec![layers; h])
        .int("n", rows.n)
        .str("indices", rows.indices)
        .str("outputs", rows.outputs)
        .f64("g_gp", rows.g_gp)
        .opt("shift_leading_order", rows.shift_leading_order)
        .opt("connected_leading_order", rows.connected_leading_order)
        .opt("g_exact", rows.g_exact))
}

/// `theory.parquet`: for a deep network (`--widths`) the rows of `nnqft_study::deep_theory`; otherwise one row per
/// (one-layer width of `--width-scan`, order, multiset), or without widths one row per (order,
/// multiset) with `width`, `g_exact` and `connected_exact` null.
pub fn table(args: &TheoryArgs) -> Result<Table> {
    if let Some(widths) = &args.widths {
        return deep_table(args, widths);
    }
    let (net, xs) = args.network.resolve()?;
    check_memory(xs.len(), args.width_scan.len())?;
    // correlators that overflow f64 are refused, as `sample` refuses them
    nnqft_sampling::scale::check_output_variance(xs.points().map(|x| nnqft_theory::kernel(&net, x, x)))?;
    let theory = FiniteWidthTheory::new(&net, &xs)?;
    let widths: Vec<Option<usize>> =
        if args.width_scan.is_empty() { vec![None] } else { args.width_scan.iter().map(|&w| Some(w)).collect() };
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
