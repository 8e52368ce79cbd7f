//! The resume cache: one block file per finished ensemble in `<out>/.blocks/<key>.json`
//! (each written atomically, removed after a successful run). A block file is a header line
//! (format version, configuration hash, length and CRC-32 of the body) and the body; a block
//! that is truncated, damaged, of another version, configuration or seed, or of the wrong
//! shape is named on stderr and recomputed, never used ([`decode_block`]). The runner that
//! uses it is [`crate::runner::Sampler`].

use anyhow::Result;
use nnqft_sampling::{Ensemble, EnsembleResult};
use nnqft_theory::Multisets;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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

/// The block file of ensemble `key` in output folder `out`.
pub fn block_path(out: &Path, key: &str) -> PathBuf {
    out.join(".blocks").join(format!("{key}.json"))
}
