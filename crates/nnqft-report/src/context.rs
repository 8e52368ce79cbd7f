//! What every stage of a run shares: output folder, seed, threads, resume flag, run id, and
//! the resumable block cache (`<out>/.blocks/*.json`, each written atomically and tagged
//! with the configuration hash, removed after a successful run). In a sharded run or a
//! merge, [`Context::ensemble`] hands over to [`crate::shard`] / [`crate::merge`].

use crate::shard::Sharding;
use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};
use nnqft_sampling::{Ensemble, EnsembleResult};
use nnqft_theory::Multisets;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// Shared run settings.
pub struct Context {
    /// Output folder.
    pub out: PathBuf,
    /// Master seed.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
    /// Reuse finished blocks from an interrupted run with the same configuration.
    pub resume: bool,
    /// Run id written into every report row.
    pub run_id: String,
    /// Hash of the configuration (blocks from another configuration are never reused).
    pub config_hash: String,
    /// Show progress bars.
    pub progress: bool,
    /// Ordinary run, one shard of a run, or a merge of shards.
    pub sharding: crate::shard::Sharding,
    /// The lock on `out` held for the run ([`crate::lock`]); `None` in tests that drive a
    /// context directly.
    pub lock: Option<crate::lock::FolderLock>,
}

#[derive(Serialize, Deserialize)]
struct CachedBlock {
    config_hash: String,
    seed: u64,
    points: usize,
    experiments: usize,
    nets: u64,
    means: [Vec<f64>; 3],
}

impl Context {
    fn block_path(&self, key: &str) -> PathBuf {
        self.out.join(".blocks").join(format!("{key}.json"))
    }

    /// Runs an ensemble, or reuses its cached result under `--resume`. `key` names the
    /// block uniquely within a run.
    pub fn ensemble(&self, key: &str, ensemble: &Ensemble, seed: u64) -> Result<EnsembleResult> {
        match &self.sharding {
            Sharding::Off => {}
            Sharding::Shard(run) => return run.ensemble(self, key, ensemble),
            Sharding::Merge(set) => return set.ensemble(key, ensemble),
        }
        let path = self.block_path(key);
        if self.resume
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            let cached: CachedBlock =
                serde_json::from_str(&text).with_context(|| format!("corrupt block {}", path.display()))?;
            if cached.config_hash == self.config_hash && cached.seed == seed {
                eprintln!("{key}: reused from {}", path.display());
                let m = cached.points;
                return Ok(EnsembleResult {
                    multisets: [Multisets::new(m, 2)?, Multisets::new(m, 4)?, Multisets::new(m, 6)?],
                    experiments: cached.experiments,
                    nets: cached.nets,
                    means: cached.means,
                    variances: None,
                });
            }
        }
        let total = ensemble.nets_total();
        let bar = self.progress_bar(key, total);
        let start = Instant::now();
        let result = ensemble.run_with_progress(self.threads, &|n| bar.inc(n))?;
        bar.finish_and_clear();
        let secs = start.elapsed().as_secs_f64();
        eprintln!("{key}: {total} nets in {secs:.1} s ({:.3e} nets/s)", total as f64 / secs.max(1e-9));
        std::fs::create_dir_all(path.parent().unwrap_or(&self.out))?;
        let cached = CachedBlock {
            config_hash: self.config_hash.clone(),
            seed,
            points: ensemble.inputs().len(),
            experiments: result.experiments,
            nets: result.nets,
            means: result.means.clone(),
        };
        crate::report::write_atomic(&path, serde_json::to_string(&cached)?.as_bytes())?;
        Ok(result)
    }

    /// A progress bar for `total` nets of block `key` (hidden without `progress`).
    pub fn progress_bar(&self, key: &str, total: u64) -> ProgressBar {
        let bar = if self.progress { ProgressBar::new(total) } else { ProgressBar::hidden() };
        bar.set_style(
            ProgressStyle::with_template("{prefix:>34} [{bar:28}] {human_pos}/{human_len} nets {per_sec} eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(key.to_string());
        bar
    }

    /// Removes the block cache after a successful run.
    pub fn clear_blocks(&self) {
        let _ = std::fs::remove_dir_all(self.out.join(".blocks"));
    }
}

impl nnqft_study::Runner for Context {
    fn seed(&self) -> u64 {
        self.seed
    }
    fn ensemble(&self, key: &str, ensemble: &Ensemble, seed: u64) -> nnqft_study::error::Result<EnsembleResult> {
        Context::ensemble(self, key, ensemble, seed).map_err(|e| nnqft_study::StudyError::Runner(e.into()))
    }
}
