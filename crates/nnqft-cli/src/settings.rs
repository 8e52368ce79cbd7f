//! The options every command shares (output folder, seed, threads, progress), as the
//! command lines parse them, and the run settings they give.

use std::path::PathBuf;

/// Options shared by every command that samples.
#[derive(clap::Args, Clone, Debug)]
pub struct Common {
    /// Output folder (created if missing); default: `reports` for `reproduce` (and
    /// `reports/coverage` for `coverage`), a new folder `nnqft-out/<network>-N<width>-<time>`
    /// for `sample`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the reports of another command in --out (for `sample`: any earlier reports).
    #[arg(long)]
    pub force: bool,
    /// Master seed; every ensemble derives its own seed from it, so the same seed gives the
    /// same numbers whatever the thread count.
    #[arg(long, default_value_t = nnqft_sampling::DEFAULT_SEED)]
    pub seed: u64,
    /// Worker threads (>= 1); default: all cores.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Hide the progress bars.
    #[arg(long)]
    pub no_progress: bool,
}

/// The output options alone, for the commands that sample nothing (`theory`, `fit`): they take
/// no seed, threads or progress bars.
#[derive(clap::Args, Clone, Debug)]
pub struct Output {
    /// Output folder (created if missing); default: a new folder
    /// `nnqft-out/<command>-<network>-<time>`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace earlier reports in --out.
    #[arg(long)]
    pub force: bool,
}

impl From<Output> for Common {
    /// The shared options of a command that samples nothing: the default seed (unused), one
    /// thread, no progress bars.
    fn from(o: Output) -> Self {
        Self { out: o.out, force: o.force, seed: nnqft_sampling::DEFAULT_SEED, threads: Some(1), no_progress: true }
    }
}

impl Common {
    /// The run settings of these options, into `--out` or, when it was not given, `default`.
    pub fn settings(&self, default: impl FnOnce() -> PathBuf) -> nnqft_run::run::Settings {
        nnqft_run::run::Settings {
            out: self.out.clone().unwrap_or_else(default),
            force: self.force,
            seed: self.seed,
            threads: self.threads.map(|t| t as usize),
            progress: !self.no_progress,
        }
    }
}
