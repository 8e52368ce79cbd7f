//! `nnqft action`: the couplings of an ensemble's action `S(f) = −log p(f)` on a point set
//! (`action.parquet`), the rows of [`nnqft_study::action`]: from a one-hidden-layer network's
//! exact correlators (`--network --width`), a deep network's leading-order theory
//! (`--network --widths`, order `1/n`), or the measured correlators of network outputs in a
//! file (`FILE`, `.npy` or `.parquet`, wide or long, as `nnqft analyze` reads them), with jackknife errors;
//! and, where the points' coordinates are known (a network's x-set), the locality profile of the
//! quartic coupling (`action_locality.parquet`, [`nnqft_study::action::locality`]).

use crate::options::NetworkArgs;
use anyhow::{Result, anyhow, bail};
use nnqft_study::action::{ActionTable, deep_action, exact_action, measured_action};
use nnqft_study::table::Table;
use nnqft_theory::{ACTION_SECOND_ORDER_MAX_POINTS, ActionOrder, InputSet};
use std::path::PathBuf;

/// Options of `action`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct ActionArgs {
    /// Network outputs made anywhere, as `nnqft analyze` reads them (`.npy`, a C-ordered float64
    /// or float32 array f[net, point] or f[net, point, output]; or a wide or long `.parquet`): the action
    /// of their measured correlators, with jackknife standard errors over --experiments.
    #[arg(value_name = "FILE", conflicts_with_all = ["network", "width", "widths"])]
    pub file: Option<PathBuf>,
    /// The network whose exact (--width) or leading-order (--widths) correlators give the action.
    #[command(flatten)]
    #[serde(flatten)]
    pub network: Option<NetworkArgs>,
    /// Width N (>= 1) of a one-hidden-layer network (erf, relu, gauss): the action of its exact
    /// correlators.
    #[arg(long, conflicts_with = "widths", requires = "network")]
    pub width: Option<usize>,
    /// Hidden widths n_1,...,n_L of a deep network (comma-separated, each >= 1): the action of
    /// its leading-order theory (order 1/n only).
    #[arg(long, value_delimiter = ',', num_args = 1.., requires = "network")]
    pub widths: Option<Vec<usize>>,
    /// Outputs d_out (>= 1) of the deep network.
    #[arg(long, default_value_t = 1, requires = "widths")]
    pub d_out: usize,
    /// Put the deep network at the critical point of its activation.
    #[arg(long, requires = "widths")]
    #[serde(default)]
    pub critical: bool,
    /// The order kept in 1/N: 1 (quartic coupling) or 2 (sextic coupling too); default 2 where
    /// it is available (a one-layer network or a file on at most 10 points), else 1.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub order: Option<u8>,
    /// Experiments (>= 4) the nets of FILE are split into, for the jackknife errors.
    #[arg(long, default_value_t = 10, requires = "file")]
    pub experiments: usize,
}

impl ActionArgs {
    /// The action table of these options, and the points' coordinates where they are known (a
    /// network's x-set); errors name the option and its allowed range.
    pub fn table(&self) -> Result<(ActionTable, Option<InputSet>)> {
        let order = |second_available: bool| ActionOrder::chosen(self.order.map(u64::from), second_available);
        if let Some(path) = &self.file {
            if !path.is_file() {
                bail!("{}: no such file", path.display());
            }
            let file = nnqft_report::read::analyze_file(path, self.experiments, None)?;
            let a = &file.analysis;
            let second = a.inputs * a.outputs <= ACTION_SECOND_ORDER_MAX_POINTS;
            return Ok((measured_action(a, order(second))?, None));
        }
        let network =
            self.network.as_ref().ok_or_else(|| anyhow!("give a FILE, or --network with --width or --widths"))?;
        match (self.width, &self.widths) {
            (Some(width), None) => {
                let (net, xs) = network.resolve()?;
                Ok((exact_action(&net, width, &xs, order(true))?, Some(xs)))
            }
            (None, Some(widths)) => {
                let (net, xs) = network.resolve_deep_at(widths, self.d_out, self.critical)?;
                Ok((deep_action(&net, &xs, order(false))?, Some(xs)))
            }
            _ => bail!("--network needs --width N (one hidden layer, exact) or --widths n1,...,nL (deep, order 1/n)"),
        }
    }

    /// The folder name's stem: the network, or the file's stem.
    pub fn stem(&self) -> String {
        match (&self.file, &self.network) {
            (Some(p), _) => p.file_stem().map_or_else(|| "outputs".into(), |s| s.to_string_lossy().into_owned()),
            (None, Some(n)) => n.network.clone(),
            _ => "action".into(),
        }
    }
}

/// `action.parquet`: [`nnqft_study::action::couplings_table`], with `source` `file`, `deep` or
/// `exact`.
pub fn parquet_table(args: &ActionArgs, table: ActionTable) -> Table {
    let source = if args.file.is_some() {
        "file"
    } else if args.widths.is_some() {
        "deep"
    } else {
        "exact"
    };
    nnqft_study::action::couplings_table(source, table)
}
