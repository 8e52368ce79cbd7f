//! One run into one output folder. [`Run::open`] checks that the folder holds no other
//! command's reports (unless forced), creates it, takes its lock ([`crate::lock`]), removes
//! completes the commit of a run killed among its final renames, removes the `.tmp` files a
//! killed run left, checks that it is writable and opens the staging of the run's reports
//! ([`crate::atomic`]); [`Run::finish`] writes `provenance.json` and
//! renames every staged report into place. A shard of a run ([`crate::shard`]) locks its own
//! file and writes only its shard file.

use crate::atomic::{Staging, commit_staged, complete_interrupted_commit, write_atomic_now};
use crate::lock::{FolderLock, lock_name};
use crate::provenance::{self, Provenance, config_hash, unix_now};
use anyhow::{Context as _, Result, bail};
use nnqft_sampling::Shard;
use std::path::{Path, PathBuf};

/// The command that writes a folder of reports (recorded as the `profile` of its
/// `provenance.json`, a `reproduce` run under the name of its profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `reproduce` (and its merge): rewrites its own folder run after run.
    Reproduce,
    /// `coverage`: rewrites its own folder run after run.
    Coverage,
    /// `sample`.
    Sample,
    /// `theory`.
    Theory,
    /// `ntk`.
    Ntk,
    /// `fit`.
    Fit,
    /// `analyze`.
    Analyze,
    /// `action`.
    Action,
}

impl Command {
    /// Every command but `reproduce`, whose folders carry its profile's name instead.
    const NAMED: [Self; 7] =
        [Self::Coverage, Self::Sample, Self::Theory, Self::Ntk, Self::Fit, Self::Analyze, Self::Action];

    /// The command's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Reproduce => "reproduce",
            Self::Coverage => "coverage",
            Self::Sample => "sample",
            Self::Theory => "theory",
            Self::Ntk => "ntk",
            Self::Fit => "fit",
            Self::Analyze => "analyze",
            Self::Action => "action",
        }
    }

    /// The command that wrote a `provenance.json` whose `profile` is `profile` (a profile of
    /// `reproduce` for anything but another command's name).
    pub fn of_profile(profile: &str) -> Self {
        Self::NAMED.into_iter().find(|c| c.name() == profile).unwrap_or(Self::Reproduce)
    }

    /// Whether the command rewrites its own earlier reports in a folder (without `--force`).
    fn rewrites_its_own(self) -> bool {
        matches!(self, Self::Reproduce | Self::Coverage)
    }
}

/// The settings of a run that the command line gives (plain values: the command lines parse
/// them).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The output folder.
    pub out: PathBuf,
    /// Replace the reports of another command in `out`.
    pub force: bool,
    /// Master seed.
    pub seed: u64,
    /// Worker threads; `None`: all cores.
    pub threads: Option<usize>,
    /// Show progress bars.
    pub progress: bool,
}

/// A run into one output folder.
#[derive(Debug)]
pub struct Run {
    /// Output folder.
    pub out: PathBuf,
    /// Master seed.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Run id written into every report row: `<start unix seconds>-<first 8 hex digits of
    /// the configuration hash>`.
    pub run_id: String,
    /// Hash of the configuration (blocks and shards of another configuration are never used).
    pub config_hash: String,
    /// The configuration (recorded in provenance and shard headers).
    pub config: serde_json::Value,
    /// Show progress bars.
    pub progress: bool,
    /// The command.
    pub command: Command,
    /// Start (Unix seconds).
    pub start: u64,
    staging: Option<Staging>,
    lock: Option<FolderLock>,
}

/// The command that wrote the reports in `out`, read from its `provenance.json`, with the
/// run id.
fn previous_reports(out: &Path) -> Option<(Command, String)> {
    let text = std::fs::read_to_string(out.join("provenance.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    Some((Command::of_profile(v["profile"].as_str().unwrap_or("")), v["run_id"].as_str().unwrap_or("unknown").into()))
}

/// No command replaces another command's reports: `out` may hold earlier reports of the same
/// command for `reproduce` and `coverage` (their folders are rewritten run after run), never
/// of another; the other commands never replace any; unless `force`.
fn check_replace(out: &Path, command: Command, force: bool) -> Result<()> {
    match previous_reports(out) {
        Some((previous, run)) if !force && (previous != command || !command.rewrites_its_own()) => bail!(
            "--out {} already holds the reports of `{}` (run {run}); choose another --out, or pass --force to \
             replace them",
            out.display(),
            previous.name()
        ),
        _ => Ok(()),
    }
}

/// `path`, or `path-2`, `path-3`, ... if it exists (two runs started in the same second).
pub fn fresh(path: PathBuf) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    (1..)
        .map(|k| if k == 1 { path.clone() } else { path.with_file_name(format!("{name}-{k}")) })
        .find(|p| !p.exists())
        .unwrap_or(path)
}

/// Removes the `.tmp` files a killed run left in `out`, `out/figures` and `out/.blocks`
/// (called under the folder's lock; the files of shards, `shard-*`, are theirs), and the
/// sibling of a swap it left (`crate::atomic::swap_sibling`: an assembled new set never
/// swapped in, or the old set after the swap).
fn remove_leftovers(out: &Path) {
    let _ = std::fs::remove_dir_all(crate::atomic::swap_sibling(out));
    for dir in [out.to_path_buf(), out.join("figures"), out.join(".blocks")] {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") && !name.starts_with("shard-") && e.path().is_file() {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

impl Run {
    /// Opens a run of `command` with `config` into `settings.out`, started at `start` (Unix
    /// seconds); `shard`: a shard of a run, which shares the folder with the other shards and
    /// writes only its own file.
    pub fn open(
        settings: &Settings,
        command: Command,
        config: serde_json::Value,
        start: u64,
        shard: Option<Shard>,
    ) -> Result<Self> {
        let out = settings.out.clone();
        let threads = settings.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        if shard.is_none() {
            check_replace(&out, command, settings.force)?;
        }
        std::fs::create_dir_all(&out).with_context(|| format!("cannot create --out {}", out.display()))?;
        // one run per folder; the shards of a job array share one, each locking its own file
        let lock = FolderLock::acquire(&out, &lock_name(shard), command.name(), start)?;
        if shard.is_none() {
            // under the lock: first the renames of a run killed while it committed its reports
            let completed = complete_interrupted_commit(&out)?;
            if completed > 0 {
                eprintln!("completed the interrupted commit of {completed} reports in {}", out.display());
            }
            // again under the lock: a run that ended meanwhile may have written reports
            check_replace(&out, command, settings.force)?;
            remove_leftovers(&out);
        }
        // fail before any work if the folder is not writable (one probe per process: the
        // shards of a job array may share the folder)
        let probe = out.join(format!(".write-probe-{}", std::process::id()));
        write_atomic_now(&probe, b"ok").with_context(|| format!("--out {} is not writable", out.display()))?;
        let _ = std::fs::remove_file(&probe);
        let config_hash = config_hash(&config);
        Ok(Self {
            out,
            seed: settings.seed,
            threads: threads.max(1),
            run_id: format!("{start}-{}", &config_hash[..8]),
            config_hash,
            config,
            progress: settings.progress,
            command,
            start,
            staging: Some(Staging::begin()),
            lock: Some(lock),
        })
    }

    /// A run of `command` in `out` without a lock, staging or replace check (tests that drive
    /// the runners and shards directly).
    pub fn unlocked(out: PathBuf, command: Command, seed: u64, threads: usize, config: serde_json::Value) -> Self {
        let config_hash = config_hash(&config);
        Self {
            out,
            seed,
            threads: threads.max(1),
            run_id: format!("0-{}", &config_hash[..8]),
            config_hash,
            config,
            progress: false,
            command,
            start: 0,
            staging: None,
            lock: None,
        }
    }

    /// Ends a run: writes `provenance.json` (profile `profile`; `shards`, the shards a merge
    /// read), renames every staged report into place and removes the resume cache.
    pub fn finish(self, profile: &str, shards: Option<Vec<crate::provenance::ShardProvenance>>) -> Result<()> {
        let p = Provenance {
            run_id: self.run_id.clone(),
            git_commit: provenance::git_commit(),
            config_hash: self.config_hash.clone(),
            config: self.config.clone(),
            seed: self.seed,
            profile: profile.into(),
            crate_versions: provenance::crate_versions(),
            build_profile: provenance::build_profile(),
            start_time: provenance::rfc3339(self.start),
            end_time: provenance::rfc3339(unix_now()),
            threads: self.threads,
            shards,
        };
        provenance::write(&self.out, &p)?;
        commit_staged(&self.out)?;
        let _ = std::fs::remove_dir_all(self.out.join(".blocks"));
        drop(self.staging);
        drop(self.lock);
        Ok(())
    }
}
