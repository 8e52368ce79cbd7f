//! The options that name a network and its inputs, shared by `sample`, `theory`, `ntk`, `fit` and
//! `action`.

use anyhow::Result;
use nnqft_study::network_spec::{CheckedDeepNetwork, CheckedNetwork, NetworkSpec};
use nnqft_theory::{Activation, DeepActivation, DeepNetwork, InputSet, Network};

/// A network and an input set: one of the paper's (one hidden layer), or, for `sample`, a deep
/// network ([`NetworkArgs::resolve_deep`]).
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct NetworkArgs {
    /// Network: erf, relu or gauss (the paper's one-hidden-layer networks) or cos (the Cos-net of
    /// arXiv:2307.03223: cos(w.x + b), b uniform on [-pi, pi], no output bias, sigma_b 0, one
    /// layer only); `sample` also takes the deep activations tanh, linear, gelu (exact z Phi(z)),
    /// silu (swish), softplus, sigmoid and sin, and any of them but gauss and cos at any depth
    /// (see --widths).
    #[arg(long, ignore_case = true, value_parser = clap::builder::PossibleValuesParser::new(network_values()))]
    pub network: String,
    /// Input dimension d (>= 1).
    #[arg(long, default_value_t = 1)]
    pub d_in: usize,
    /// Prior width of the weights, sigma_w = sqrt(C_W) (>= 0); default: 1, and for deep networks
    /// (two or more --widths, or tanh or linear) the deep priors, sqrt(2) for relu (criticality)
    /// and 1 otherwise.
    #[arg(long)]
    pub sigma_w: Option<f64>,
    /// Prior width of the biases, sigma_b = sqrt(C_b) (>= 0); default: the paper's (1 for erf
    /// and gauss, 0 for relu), and 0 for deep networks; cos has none (its phase is uniform):
    /// only 0 is accepted.
    #[arg(long)]
    pub sigma_b: Option<f64>,
    /// Input set: a paper set name or a file path (one point per line, coordinates separated
    /// by white space, `#` comments); default: the paper's scaling set for the network and d (for
    /// the deep activations, Erf's). The names: see `x_set_help`.
    #[arg(long, help = x_set_help())]
    pub x_set: Option<String>,
}

/// The input set an `--x-set` value names: a file (one point per line) or a paper set name.
pub fn input_set(name: &str) -> Result<InputSet> {
    Ok(nnqft_study::network_spec::input_set(name)?)
}

/// `--x-set`'s help, with every paper set name it accepts ([`InputSet::names`]).
pub fn x_set_help() -> String {
    format!(
        "Input set: a file path (one point per line, coordinates separated by white space, # comments) or a \
         paper set name, one of {}; default: the paper's scaling set for the network and d (for the deep \
         activations, Erf's)",
        InputSet::names().join(", ")
    )
}

/// Checks that `--help` of `subcommand` lists every paper x-set name ([`InputSet::names`]) and
/// that each of them loads; `Err` names the first that does not (the command lines' tests).
pub fn check_x_set_help(command: &clap::Command, subcommand: &str) -> std::result::Result<(), String> {
    let mut command = command.clone();
    let sub = command.find_subcommand_mut(subcommand).ok_or_else(|| format!("no subcommand {subcommand}"))?;
    let help = sub.render_long_help().to_string();
    for name in InputSet::names() {
        if !help.contains(&name) {
            return Err(format!("{subcommand} --help does not list the x-set {name}"));
        }
        InputSet::named(&name).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

/// The paper's networks, by name (`--network` of `cargo xtask coverage`).
pub fn paper_network_names() -> [&'static str; 3] {
    Activation::ALL.map(Activation::name)
}

/// `--network`'s values: [`network_names`], with `swish` as a hidden alias of `silu`.
fn network_values() -> Vec<clap::builder::PossibleValue> {
    network_names()
        .into_iter()
        .map(|n| {
            let value = clap::builder::PossibleValue::new(n);
            if n == "silu" { value.alias("swish") } else { value }
        })
        .collect()
}

/// Every name `--network` accepts: the one-layer networks (the paper's, then the Cos-net), then
/// the activations of deep networks.
pub fn network_names() -> Vec<&'static str> {
    let one_layer = Activation::EVERY.map(Activation::name);
    let deep = DeepActivation::ANY_DEPTH.into_iter().map(DeepActivation::name).filter(|n| !one_layer.contains(n));
    one_layer.into_iter().chain(deep).collect()
}

impl NetworkArgs {
    /// The network of the paper's activation `network` with default options.
    pub fn paper(network: &str) -> Self {
        Self { network: network.into(), d_in: 1, sigma_w: None, sigma_b: None, x_set: None }
    }

    /// The network these options name, to be checked ([`NetworkSpec`]: the one validation
    /// the command line and Python share); reads `--x-set`.
    pub fn spec(&self) -> Result<NetworkSpec> {
        let inputs = self.x_set.as_deref().map(input_set).transpose()?;
        Ok(NetworkSpec::new(self.network.as_str())
            .d_in(Some(self.d_in))
            .sigma_w(self.sigma_w)
            .sigma_b(self.sigma_b)
            .inputs(inputs))
    }

    /// The checked one-layer network and input set (errors name the option and its allowed
    /// range; correlators that would overflow `f64` are refused).
    pub fn checked(&self) -> Result<CheckedNetwork> {
        Ok(self.spec()?.check()?)
    }

    /// [`Self::checked`], as the network and the input set.
    pub fn resolve(&self) -> Result<(Network, InputSet)> {
        Ok(self.checked()?.into_parts())
    }

    /// Whether these options name one of the one-layer networks (erf, relu, gauss, cos).
    pub fn is_paper(&self) -> bool {
        Activation::parse(&self.network).is_ok()
    }

    /// The checked deep network with hidden `widths` and `d_out` outputs, and the input set
    /// ([`NetworkSpec::deep`]; errors name the option and its allowed range). Priors: `C_W =
    /// sigma_w²`, `C_b = sigma_b²`, by default the paper's for its networks at one hidden layer and
    /// the deep priors ([`DeepActivation::default_priors`]) otherwise; with `critical` the
    /// activation's critical point (`nnqft_theory::critical_point`; an error names the
    /// activations that have none).
    pub fn checked_deep(&self, widths: &[usize], d_out: usize, critical: bool) -> Result<CheckedDeepNetwork> {
        Ok(self.spec()?.deep(widths, d_out).critical(critical).check()?)
    }

    /// [`Self::checked_deep`] without `critical`, as the network and the input set.
    pub fn resolve_deep(&self, widths: &[usize], d_out: usize) -> Result<(DeepNetwork, InputSet)> {
        Ok(self.checked_deep(widths, d_out, false)?.into_parts())
    }

    /// [`Self::checked_deep`], as the network and the input set.
    pub fn resolve_deep_at(&self, widths: &[usize], d_out: usize, critical: bool) -> Result<(DeepNetwork, InputSet)> {
        Ok(self.checked_deep(widths, d_out, critical)?.into_parts())
    }
}
