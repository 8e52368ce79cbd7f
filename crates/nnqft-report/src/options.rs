//! The options that name a network and its inputs, shared by `sample`, `theory` and `fit`.

use anyhow::Result;
use nnqft_theory::{Activation, InputSet, Network};
use std::path::Path;

/// A network of the paper (one hidden layer) and an input set.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct NetworkArgs {
    /// Network: erf, relu or gauss.
    #[arg(long)]
    pub network: String,
    /// Input dimension d (>= 1).
    #[arg(long, default_value_t = 1)]
    pub d_in: usize,
    /// Prior width of the weights, sigma_w (>= 0).
    #[arg(long, default_value_t = 1.0)]
    pub sigma_w: f64,
    /// Prior width of the biases, sigma_b (>= 0); default: the paper's (1 for erf and gauss, 0 for relu).
    #[arg(long)]
    pub sigma_b: Option<f64>,
    /// Input set: a paper set name (e.g. scaling-erf-d1, table5-test-relu) or a file path;
    /// default: the paper's scaling set for the network and d.
    #[arg(long)]
    pub x_set: Option<String>,
}

impl NetworkArgs {
    /// The network of the paper's activation `network` with default options.
    pub fn paper(network: &str) -> Self {
        Self { network: network.into(), d_in: 1, sigma_w: 1.0, sigma_b: None, x_set: None }
    }

    /// The validated network and input set (errors name the option and its allowed range).
    pub fn resolve(&self) -> Result<(Network, InputSet)> {
        let act = Activation::parse(&self.network)?;
        let net = Network::new(act, self.d_in, self.sigma_w, self.sigma_b.unwrap_or(act.paper_sigma_b()))?;
        let xs = match &self.x_set {
            None => InputSet::scaling(act, self.d_in)?,
            Some(name) if Path::new(name).is_file() => InputSet::from_file(Path::new(name))?,
            Some(name) => InputSet::named(name)?,
        };
        xs.check_dimension(self.d_in)?;
        Ok((net, xs))
    }
}
