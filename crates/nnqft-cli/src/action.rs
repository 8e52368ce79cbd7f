//! `nnqft action`: the couplings of an ensemble's action `S(f) = −log p(f)` on a point set
//! (`action.parquet`), the rows of [`nnqft_study::action`]: from a one-hidden-layer network's
//! exact correlators (`--network --width`), a deep network's finite-width theory
//! (`--network --widths`, order `1/n`, or `1/n²` with `--order 2` on at most 8 points), or the measured correlators of network outputs in a
//! file (`FILE`, `.npy` or `.parquet`, wide or long, as `nnqft analyze` reads them), with jackknife errors;
//! and, where the points' coordinates are known (a network's x-set), the locality profile of the
//! quartic coupling (`action_locality.parquet`, [`nnqft_study::action::locality`]); with
//! `--deform-quartic`, the engineered `φ⁴` couplings put in and measured back
//! (`action_deformation.parquet`, [`nnqft_study::quartic_deformation`]).

use crate::options::NetworkArgs;
use anyhow::{Result, anyhow, bail};
use nnqft_study::action::{ActionTable, deep_action, exact_action, measured_action, measured_order};
use nnqft_study::quartic_deformation::{DeformationRow, QuarticDeformation, deform_quartic};
use nnqft_study::table::Table;
use nnqft_theory::{ActionOrder, InputSet};
use std::path::PathBuf;

/// Options of `action`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct ActionArgs {
    /// Network outputs made anywhere, as `nnqft analyze` reads them (`.npy`, a C-ordered float64
    /// or float32 array f[net, point] or f[net, point, output]; or a wide or long `.parquet`): the action
    /// of their measured correlators, with jackknife standard errors over --experiments.
    #[arg(value_name = "FILE", conflicts_with_all = ["network", "width", "widths"])]
    pub file: Option<PathBuf>,
    /// The network whose exact (--width) or finite-width theory's (--widths) correlators give the
    /// action.
    #[command(flatten)]
    #[serde(flatten)]
    pub network: Option<NetworkArgs>,
    /// Width N (>= 1) of a one-hidden-layer network (erf, relu, gauss): the action of its exact
    /// correlators.
    #[arg(long, conflicts_with = "widths", requires = "network")]
    pub width: Option<usize>,
    /// Hidden widths n_1,...,n_L of a deep network (comma-separated, each >= 1): the action of
    /// its finite-width theory, at order 1/n (the default) or, with --order 2 on at most 8
    /// input points, 1/n^2 (G2 and G4 through 1/n^2 and the six-point vertex).
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
    /// Experiments the nets are split into, for the jackknife errors: of FILE (>= 4), or of the
    /// nets sampled for --deform-quartic (>= 2).
    #[arg(long, default_value_t = 10)]
    pub experiments: usize,
    /// Engineer phi^4 theory: deform the parameter density of the --network at --width by
    /// exp(-lambda a sum_j f(x_j)^4) for each LAMBDA (comma-separated, each > 0), sample it by
    /// importance weights on --nets x --experiments nets, and measure lambda back from the
    /// reconstructed quartic coupling (order 1/N^2); writes action_deformation.parquet.
    #[arg(long, value_name = "LAMBDA", value_delimiter = ',', num_args = 1.., requires = "width")]
    pub deform_quartic: Option<Vec<f64>>,
    /// The measure a (> 0) of a lattice site in the deformation lambda a sum_j f(x_j)^4 (the
    /// lattice spacing in one dimension).
    #[arg(long, default_value_t = 1.0, requires = "deform_quartic")]
    pub measure: f64,
    /// Nets (>= 1) per experiment sampled for --deform-quartic.
    #[arg(long, default_value_t = 100_000, requires = "deform_quartic")]
    pub nets: u64,
    /// Master seed of the nets sampled for --deform-quartic (Python's nnqft.deform_quartic with
    /// the same seed gives the same numbers).
    #[arg(long, default_value_t = nnqft_sampling::DEFAULT_SEED, requires = "deform_quartic")]
    pub seed: u64,
    /// Worker threads (>= 1) for --deform-quartic; default: all cores. The numbers do not depend
    /// on it.
    #[arg(long, requires = "deform_quartic", value_parser = clap::value_parser!(u32).range(1..))]
    #[serde(skip)]
    pub threads: Option<u32>,
}

impl ActionArgs {
    /// The action table of these options, and the points' coordinates where they are known (a
    /// network's x-set); errors name the option and its allowed range.
    pub fn table(&self) -> Result<(ActionTable, Option<InputSet>)> {
        if self.deform_quartic.is_some() && (self.width.is_none() || self.network.is_none()) {
            bail!("--deform-quartic needs --network with --width (a one-hidden-layer network)");
        }
        let order = |second_available: bool| ActionOrder::chosen(self.order.map(u64::from), second_available);
        if let Some(path) = &self.file {
            if !path.is_file() {
                bail!("{}: no such file", path.display());
            }
            let file = nnqft_report::read::analyze_file(path, self.experiments, 6, None)?;
            let a = &file.analysis;
            return Ok((measured_action(a, measured_order(a, self.order.map(u64::from)))?, None));
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
            _ => bail!(
                "--network needs --width N (one hidden layer, exact) or --widths n1,...,nL (deep, order 1/n or 1/n^2)"
            ),
        }
    }

    /// The engineered-coupling rows of `--deform-quartic` ([`nnqft_study::quartic_deformation`]),
    /// or `None` without it; errors name the option and its allowed range.
    pub fn deformation(&self) -> Result<Option<Vec<DeformationRow>>> {
        let (Some(lambdas), Some(width), Some(network)) = (&self.deform_quartic, self.width, &self.network) else {
            return Ok(None);
        };
        let (net, xs) = network.resolve()?;
        let settings = QuarticDeformation {
            width,
            measure: self.measure,
            lambdas: lambdas.clone(),
            nets: self.nets,
            experiments: self.experiments,
            seed: self.seed,
        };
        let threads =
            self.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, usize::from), |t| t as usize);
        Ok(Some(deform_quartic(&net, &xs, &settings, threads)?))
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
