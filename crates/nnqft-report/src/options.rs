//! The options that name a network and its inputs, shared by `sample`, `theory` and `fit`.

use anyhow::Result;
use nnqft_theory::{Activation, DeepActivation, DeepNetwork, InputSet, Network};
use std::path::Path;

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
    Ok(if Path::new(name).is_file() { InputSet::from_file(Path::new(name))? } else { InputSet::named(name)? })
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

    /// The validated network and input set (errors name the option and its allowed range).
    pub fn resolve(&self) -> Result<(Network, InputSet)> {
        let act = Activation::parse(&self.network)?;
        let net =
            Network::new(act, self.d_in, self.sigma_w.unwrap_or(1.0), self.sigma_b.unwrap_or(act.paper_sigma_b()))?;
        Ok((net, self.inputs(act)?))
    }

    /// Whether these options name one of the one-layer networks (erf, relu, gauss, cos).
    pub fn is_paper(&self) -> bool {
        Activation::parse(&self.network).is_ok()
    }

    /// The validated deep network with hidden `widths` and `d_out` outputs, and the input set
    /// (errors name the option and its allowed range). Priors: `C_W = sigma_w²`, `C_b = sigma_b²`,
    /// by default the paper's for its networks at one hidden layer and the deep priors
    /// ([`DeepActivation::deep_priors`]) otherwise.
    pub fn resolve_deep(&self, widths: &[usize], d_out: usize) -> Result<(DeepNetwork, InputSet)> {
        if Activation::parse(&self.network) == Ok(Activation::Cos) {
            anyhow::bail!(
                "invalid network = cos for a deep network ({} hidden layer(s), {d_out} output(s)): the Cos-net has \
                 one hidden layer and one output and no deep theory (allowed: --width for sample, --width-scan for \
                 theory)",
                widths.len()
            );
        }
        let act = DeepActivation::parse(&self.network)?;
        let (c_w, c_b) = act.default_priors(widths.len());
        let prior = |name: &str, value: Option<f64>, default: f64| -> Result<f64> {
            match value {
                None => Ok(default),
                Some(v) if v.is_finite() && v >= 0.0 => Ok(v * v),
                Some(v) => anyhow::bail!("invalid {name} = {v}: allowed range is a finite number >= 0"),
            }
        };
        let c_w = prior("sigma_w", self.sigma_w, c_w)?;
        let c_b = prior("sigma_b", self.sigma_b, c_b)?;
        let net = DeepNetwork::new(act, widths, c_w, c_b)?.with_d_in(self.d_in)?.with_d_out(d_out)?;
        // tanh and linear have no paper set: Erf's scaling set (the depth study's)
        let paper = Activation::parse(&self.network).unwrap_or(Activation::Erf);
        Ok((net, self.inputs(paper)?))
    }

    /// [`Self::resolve_deep`], or with `critical` the network at its activation's critical
    /// point (`nnqft_theory::critical_point`: `C_W`, `C_b` instead of `--sigma-w`,
    /// `--sigma-b`; an error names the activations that have none).
    pub fn resolve_deep_at(&self, widths: &[usize], d_out: usize, critical: bool) -> Result<(DeepNetwork, InputSet)> {
        let (net, xs) = self.resolve_deep(widths, d_out)?;
        if !critical {
            return Ok((net, xs));
        }
        let cp = nnqft_theory::critical_point(net.activation())?;
        let net = DeepNetwork::new(net.activation(), widths, cp.c_w(), cp.c_b())?
            .with_d_in(net.d_in())?
            .with_d_out(net.d_out())?;
        Ok((net, xs))
    }

    /// `--x-set`, or the paper's scaling set of `act` at `--d-in`, checked against `--d-in`.
    fn inputs(&self, act: Activation) -> Result<InputSet> {
        let xs = match &self.x_set {
            None => InputSet::scaling(act, self.d_in)?,
            Some(name) => input_set(name)?,
        };
        xs.check_dimension(self.d_in)?;
        Ok(xs)
    }
}
