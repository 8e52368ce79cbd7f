//! What every stage of a run shares: output folder, seed, threads, resume flag, run id, and
//! the resumable block cache (`<out>/.blocks/*.json`, each written atomically, removed after
//! a successful run). A block file is a header line (format version, configuration hash,
//! length and CRC-32 of the body) and the body; a block that is truncated, damaged, of
//! another version, configuration or seed, or of the wrong shape is named on stderr and
//! recomputed, never used ([`decode_block`]). In a sharded run or a
//! merge, [`Context::ensemble`] hands over to [`crate::shard`] / [`crate::merge`].

use crate::shard::Sharding;
use anyhow::Result;
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
    /// The run's report writes, renamed into place together at its end
    /// ([`crate::report::Staging`]); `None` in tests that drive a context directly.
    pub staging: Option<crate::report::Staging>,
    /// The lock on `out` held for the run ([`crate::lock`]); `None` in tests that drive a
    /// context directly.
    pub lock: Option<crate::lock::FolderLock>,
}

/// The version of the block format: a block of another version is never read.
pub const BLOCK_VERSION: u32 = 2;

/// The first line of a block file: format, version, configuration hash, and the length and
/// CRC-32 of the body (the second line, a [`CachedBlock`] as JSON).
#[derive(Serialize, Deserialize)]
pub struct BlockHeader {
    /// `nnqft-block`.
    pub format: String,
    /// [`BLOCK_VERSION`] when written.
    pub version: u32,
    /// The configuration hash of the run that wrote it.
    pub config_hash: String,
    /// Length of the body in bytes.
    pub bytes: usize,
    /// CRC-32 of the body, 8 hex digits.
    pub crc32: String,
}

/// The body of a block file: one ensemble's result.
#[derive(Serialize, Deserialize)]
pub struct CachedBlock {
    /// The configuration hash of the run that wrote it.
    pub config_hash: String,
    /// The ensemble's seed.
    pub seed: u64,
    /// Input points.
    pub points: usize,
    /// Experiments.
    pub experiments: usize,
    /// Nets per experiment.
    pub nets: u64,
    /// Means per order, `experiments x multisets`, experiment-major.
    pub means: [Vec<f64>; 3],
}

/// Why a cached block was not used (each is printed on one line, then the block is
/// recomputed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockDamage {
    /// No readable header line.
    Unreadable(String),
    /// Written by another version of the block format.
    WrongVersion(u32),
    /// Shorter (or longer) than its header says: an interrupted or cut copy.
    Truncated {
        /// Bytes of body found.
        found: usize,
        /// Bytes the header announces.
        expected: usize,
    },
    /// The body's CRC-32 differs from the header's: damaged content.
    Checksum {
        /// CRC-32 of the body found.
        found: String,
        /// CRC-32 in the header.
        expected: String,
    },
    /// Written by a run of another configuration or seed.
    ForeignConfiguration(String),
    /// Its shape (points, experiments, nets, number of means) does not fit the ensemble.
    Shape(String),
}

impl std::fmt::Display for BlockDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable(why) => write!(f, "unreadable ({why})"),
            Self::WrongVersion(v) => write!(f, "wrong version: block format {v}, this build reads {BLOCK_VERSION}"),
            Self::Truncated { found, expected } => write!(f, "truncated: {found} of {expected} bytes"),
            Self::Checksum { found, expected } => {
                write!(f, "checksum mismatch: content CRC-32 {found}, header says {expected}")
            }
            Self::ForeignConfiguration(what) => write!(f, "foreign configuration: {what}"),
            Self::Shape(what) => write!(f, "does not fit the ensemble: {what}"),
        }
    }
}

/// The bytes of a block file for `block`.
pub fn encode_block(block: &CachedBlock) -> Result<Vec<u8>> {
    let body = serde_json::to_vec(block)?;
    let header = BlockHeader {
        format: "nnqft-block".into(),
        version: BLOCK_VERSION,
        config_hash: block.config_hash.clone(),
        bytes: body.len(),
        crc32: format!("{:08x}", crc32fast::hash(&body)),
    };
    let mut bytes = serde_json::to_vec(&header)?;
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

/// Checks a block file's `bytes` against the run's `config_hash`, the ensemble's `seed` and
/// the ensemble itself: the cached result, or why it may not be used.
pub fn decode_block(
    bytes: &[u8],
    config_hash: &str,
    seed: u64,
    ensemble: &Ensemble,
) -> std::result::Result<EnsembleResult, BlockDamage> {
    let newline = bytes.iter().position(|&b| b == b'\n').ok_or(BlockDamage::Unreadable("no header line".into()))?;
    let header: BlockHeader =
        serde_json::from_slice(&bytes[..newline]).map_err(|e| BlockDamage::Unreadable(format!("header: {e}")))?;
    if header.format != "nnqft-block" {
        return Err(BlockDamage::Unreadable(format!("format {:?}", header.format)));
    }
    if header.version != BLOCK_VERSION {
        return Err(BlockDamage::WrongVersion(header.version));
    }
    let body = &bytes[newline + 1..];
    if body.len() != header.bytes {
        return Err(BlockDamage::Truncated { found: body.len(), expected: header.bytes });
    }
    let crc = format!("{:08x}", crc32fast::hash(body));
    if crc != header.crc32 {
        return Err(BlockDamage::Checksum { found: crc, expected: header.crc32 });
    }
    let block: CachedBlock = serde_json::from_slice(body).map_err(|e| BlockDamage::Unreadable(format!("body: {e}")))?;
    if header.config_hash != config_hash || block.config_hash != config_hash {
        return Err(BlockDamage::ForeignConfiguration(format!(
            "configuration hash {}, this run's is {config_hash}",
            block.config_hash
        )));
    }
    if block.seed != seed {
        return Err(BlockDamage::ForeignConfiguration(format!("seed {}, this ensemble's is {seed}", block.seed)));
    }
    let m = ensemble.inputs().len();
    let shape = |what: String| BlockDamage::Shape(what);
    if (block.points, block.experiments, block.nets) != (m, ensemble.experiments(), ensemble.nets()) {
        return Err(shape(format!(
            "{} points, {} experiments, {} nets against {m}, {}, {}",
            block.points,
            block.experiments,
            block.nets,
            ensemble.experiments(),
            ensemble.nets()
        )));
    }
    let multisets = [2, 4, 6].map(|n| Multisets::new(m, n));
    let [Ok(m2), Ok(m4), Ok(m6)] = multisets else {
        return Err(shape(format!("no multisets of {m} points")));
    };
    let multisets = [m2, m4, m6];
    for (o, (ms, means)) in multisets.iter().zip(&block.means).enumerate() {
        if means.len() != block.experiments * ms.len() {
            return Err(shape(format!(
                "{} means of order {}, expected {} experiments x {} multisets",
                means.len(),
                2 * (o + 1),
                block.experiments,
                ms.len()
            )));
        }
    }
    Ok(EnsembleResult {
        multisets,
        experiments: block.experiments,
        nets: block.nets,
        means: block.means,
        variances: None,
    })
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
            && let Ok(bytes) = std::fs::read(&path)
        {
            match decode_block(&bytes, &self.config_hash, seed, ensemble) {
                Ok(result) => {
                    eprintln!("{key}: reused from {}", path.display());
                    return Ok(result);
                }
                Err(damage) => eprintln!("{key}: cached block {} not used, {damage}; recomputing", path.display()),
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
        crate::report::write_atomic_now(&path, &encode_block(&cached)?)?;
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
    fn ensemble(&self, key: &str, ensemble: &Ensemble, seed: u64) -> nnqft_study::Result<EnsembleResult> {
        Context::ensemble(self, key, ensemble, seed).map_err(|e| nnqft_study::StudyError::Runner(e.into()))
    }
    /// Samples the deep ensemble (never cached, never split: the depth study runs whole in an
    /// ordinary run and in a merge, not in the shards).
    fn deep_ensemble(
        &self,
        key: &str,
        ensemble: &nnqft_sampling::DeepEnsemble,
    ) -> nnqft_study::Result<nnqft_sampling::DeepEnsembleResult> {
        Ok(timed(key, ensemble.nets() * ensemble.experiments() as u64, || ensemble.run(self.threads))?)
    }
    /// Samples the nets of an NTK table (never cached, never split), reporting the time as
    /// `deep_ensemble` does.
    fn ntk_ensemble(
        &self,
        key: &str,
        ensemble: &nnqft_sampling::NtkEnsemble,
    ) -> nnqft_study::Result<nnqft_sampling::NtkEnsembleResult> {
        Ok(timed(key, ensemble.nets() * ensemble.experiments() as u64, || ensemble.run(self.threads))?)
    }
}

/// Runs `run`, then prints `{key}: {total} nets in {secs} s ({rate} nets/s)` to stderr: the one
/// timing line of the ensembles a run samples whole (deep and NTK ensembles).
fn timed<T, E>(key: &str, total: u64, run: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let start = Instant::now();
    let result = run()?;
    let secs = start.elapsed().as_secs_f64();
    eprintln!("{key}: {total} nets in {secs:.1} s ({:.3e} nets/s)", total as f64 / secs.max(1e-9));
    Ok(result)
}
