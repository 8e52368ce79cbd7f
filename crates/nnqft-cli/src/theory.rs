//! `nnqft theory`: the GP (free theory) and the exact finite-width correlators of a paper
//! network on an input set, per multiset of order 2, 4, 6 (at the one-layer widths of
//! `--width-scan`); or, for a deep network (`--widths n1,..,nL`), its infinite-width values and
//! leading finite-width corrections; written as `theory.parquet`.

use crate::options::NetworkArgs;
use anyhow::Result;
use nnqft_study::table::Table;

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
    /// pairs, the infinite-width g_gp, the 1/n shift of G2 (shift_leading_order) and the shift
    /// through 1/n^2 (shift_next_order: every pair with at most 8 input points, the pairs of one
    /// input point beyond), the leading
    /// connected G4 and G6 (connected_leading_order: the four-point vertex term, order 1/n, and the
    /// six-point vertex term, order 1/n^2), the connected G4 through order 1/n^2
    /// (connected_next_order: every multiset with at most 8 input points, the multisets of one
    /// input point beyond) and g_exact where the exact value is known.
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

/// `theory.parquet`: for a deep network (`--widths`) [`nnqft_study::deep_theory::deep_theory_table`];
/// otherwise [`nnqft_study::theory_table::theory_table`] at the one-layer widths of `--width-scan`
/// (the network checked, overflow and memory included, by [`NetworkArgs::checked`]).
pub fn table(args: &TheoryArgs) -> Result<Table> {
    if let Some(widths) = &args.widths {
        let network = args.network.checked_deep(widths, args.d_out, args.critical)?;
        return Ok(nnqft_study::deep_theory::deep_theory_table(&network, &())?);
    }
    Ok(nnqft_study::theory_table::theory_table(&args.network.checked()?, &args.width_scan)?)
}
