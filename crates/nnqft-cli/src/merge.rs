//! `merge DIR...` (`cargo xtask merge`): the reports of a sharded run, bit-identical to an
//! unsharded run. The shard files are opened and checked (`nnqft_run::merge::ShardSet`), the
//! command they ran (`reproduce` or `sample`) is replayed with each ensemble merged from them,
//! and `provenance.json` names the shards, their hosts and times.

use crate::Common;
use crate::sample::SampleArgs;
use anyhow::{Result, anyhow, bail, ensure};
use nnqft_run::merge::ShardSet;
use nnqft_run::provenance::{config_hash, unix_now};
use nnqft_run::run::Command;
use nnqft_study::plan::{Plan, Profile};
use std::path::PathBuf;

/// Options of `cargo xtask merge`.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// Folders holding shard files `shard-K-of-N.nnqs` (each a shard's `--out`), or the
    /// files themselves.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Output folder of the merged reports (created if missing).
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Worker threads (>= 1); default: all cores.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Hide the progress bars.
    #[arg(long)]
    pub no_progress: bool,
    /// Replace the reports of another command in --out.
    #[arg(long)]
    pub force: bool,
}

/// Merges the shards of `args.dirs` into `args.out`.
pub fn run(args: &MergeArgs) -> Result<()> {
    let start = unix_now();
    let set = ShardSet::open(&args.dirs)?;
    let h = set.first().clone();
    let common = Common {
        out: Some(args.out.clone()),
        force: args.force,
        seed: h.seed,
        threads: args.threads,
        no_progress: args.no_progress,
    };
    match h.command.as_str() {
        c if c == Command::Reproduce.name() => {
            let name = h.config["plan"]["profile"].as_str().unwrap_or_default().to_string();
            let profile: Profile = name.parse().map_err(|e| anyhow!("shards' {e}"))?;
            let config = crate::reproduce::config_of(&Plan::of(profile), h.seed);
            check_hash(&config, &h.config_hash)?;
            crate::reproduce::merge(&common, profile, config, start, &set)
        }
        c if c == Command::Sample.name() => {
            let args: SampleArgs = serde_json::from_value(h.config["sample"].clone())
                .map_err(|e| anyhow!("shards' sample options do not parse: {e}"))?;
            let config = crate::sample::config_of(&args, h.seed);
            check_hash(&config, &h.config_hash)?;
            crate::sample::merge(&common, &args, config, start, &set)
        }
        other => bail!("shards ran command {other:?}: allowed reproduce or sample"),
    }
}

fn check_hash(config: &serde_json::Value, hash: &str) -> Result<()> {
    let mine = config_hash(config);
    ensure!(
        mine == hash,
        "this build's configuration hash {mine} differs from the shards' {hash}: merge with the build that ran them"
    );
    Ok(())
}
