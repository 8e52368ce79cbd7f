//! `nnqft ntk`: the neural tangent kernel table of a deep network (`ntk.parquet`), the rows of
//! [`nnqft_study::ntk_table`] with the network's keys (`NtkTable::table`): the infinite-width NTK and kernel per
//! pair of `(output, point)` pairs and, with `--nets`, the mean per-network NTK and `G2` of
//! sampled nets with standard errors; with `--dntk`, the dNTK table beside it
//! (`ntk_dntk.parquet`, [`nnqft_study::dntk_table`]); with `--ddntk`, the ddNTK table
//! (`ntk_ddntk.parquet`, [`nnqft_study::ddntk_table`]). `--dntk` and `--ddntk` are independent:
//! either, both or neither.

use crate::options::NetworkArgs;
use anyhow::Result;
use nnqft_study::ntk_table::{NtkSampling, NtkSettings, NtkTable};

/// Options of `ntk`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct NtkArgs {
    /// The network and its inputs.
    #[command(flatten)]
    #[serde(flatten)]
    pub network: NetworkArgs,
    /// The hidden widths n_1,...,n_L of the deep network (comma-separated, each >= 1).
    #[arg(long, value_delimiter = ',', num_args = 1.., required = true)]
    pub widths: Vec<usize>,
    /// Outputs d_out (>= 1; at most 255 (output, point) pairs in all).
    #[arg(long, default_value_t = 1)]
    pub d_out: usize,
    /// Put the network at the critical point of its activation (C_W and C_b where both
    /// susceptibilities of the kernel recursion are one) instead of --sigma-w and --sigma-b; an
    /// error names the activations that have none (sigmoid, softplus).
    #[arg(long, conflicts_with_all = ["sigma_w", "sigma_b"])]
    #[serde(default)]
    pub critical: bool,
    /// Learning-rate factor lambda_W of the weights (finite, >= 0; the weights of layer l scaled
    /// by 1/n_(l-1)); default: C_W (the NTK parameterisation).
    #[arg(long, allow_negative_numbers = true)]
    pub lambda_w: Option<f64>,
    /// Learning-rate factor lambda_b of the biases (finite, >= 0); default: C_b.
    #[arg(long, allow_negative_numbers = true)]
    pub lambda_b: Option<f64>,
    /// Sample this many nets per experiment (>= 1) with explicit weights and add their mean NTK
    /// and G2 with standard errors (theta_mean, theta_stderr, g2_mean, g2_stderr); default: the
    /// infinite-width columns alone.
    #[arg(long)]
    pub nets: Option<u64>,
    /// Also write ntk_dntk.parquet: the dNTK's correlation with the outputs, E[dTheta f], at order
    /// 1/n (dntk_preactivation_leading_order and its error bound) and, with --nets, measured from
    /// the same number of nets and seed (dntk_preactivation_mean, dntk_preactivation_stderr); at
    /// most 8 input points and 16 (output, point) pairs, not gauss.
    #[arg(long)]
    #[serde(default)]
    pub dntk: bool,
    /// Also write ntk_ddntk.parquet: the means of the two second-order differentials of the NTK,
    /// E[ddI Theta] and E[ddII Theta], at order 1/n (ddi_leading_order, ddii_leading_order and
    /// their error bounds; derived for one hidden layer only, missing values for deeper
    /// networks) and, with --nets, measured from the same number of nets and seed (ddi_mean,
    /// ddi_stderr, ddii_mean, ddii_stderr); at most 8 input points and 16 (output, point) pairs,
    /// not gauss. With or without --dntk.
    #[arg(long)]
    #[serde(default)]
    pub ddntk: bool,
    /// Experiments (>= 2, for standard errors) of --nets nets each.
    #[arg(long, default_value_t = 10, requires = "nets")]
    pub experiments: usize,
    /// Master seed of the sampled nets (given to the ensemble unchanged: Python's nnqft.ntk with
    /// the same seed gives the same numbers).
    #[arg(long, default_value_t = nnqft_sampling::DEFAULT_SEED, requires = "nets")]
    pub seed: u64,
    /// Worker threads (>= 1) of the sampled nets; default: all cores. The numbers do not depend
    /// on it.
    #[arg(long, requires = "nets", value_parser = clap::value_parser!(u32).range(1..))]
    #[serde(skip)]
    pub threads: Option<u32>,
}

impl NtkArgs {
    /// The validated table of these options (errors name the option and its allowed range):
    /// the network, its inputs, and the infinite-width columns computed; nothing sampled yet.
    pub fn table(&self) -> Result<NtkTable> {
        let network = self.network.checked_deep(&self.widths, self.d_out, self.critical)?;
        let sampling = self.nets.map(|nets| NtkSampling { nets, experiments: self.experiments, seed: self.seed });
        let (lambda_w, lambda_b) = (self.lambda_w, self.lambda_b);
        let settings = NtkSettings { lambda_w, lambda_b, sampling, dntk: self.dntk, ddntk: self.ddntk };
        Ok(NtkTable::new(network.network(), network.inputs(), &settings)?)
    }
}
