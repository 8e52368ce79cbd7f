//! `provenance.json`: what made a set of reports (git commit, configuration hash, seed,
//! crate versions, profile, start and end time, threads). Every Parquet row carries the
//! `run_id` defined here. The commit and the dependency versions are those of the build
//! (captured by this crate's build script), not read from the file system at run time.

use anyhow::Result;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Provenance of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// `<start unix seconds>-<config hash>`.
    pub run_id: String,
    /// The git commit the binary was built from (`-dirty` when tracked files outside
    /// `reports/` differed from it; `unknown` when built outside a git checkout).
    pub git_commit: String,
    /// FNV-1a 64 hash of the serialised configuration.
    pub config_hash: String,
    /// The configuration itself.
    pub config: serde_json::Value,
    /// Master seed.
    pub seed: u64,
    /// Profile name.
    pub profile: String,
    /// Versions of the workspace and of key dependencies compiled into the binary.
    pub crate_versions: std::collections::BTreeMap<String, String>,
    /// Cargo build profile of this binary.
    pub build_profile: String,
    /// Start time (UTC, RFC 3339).
    pub start_time: String,
    /// End time (UTC, RFC 3339).
    pub end_time: String,
    /// Worker threads.
    pub threads: usize,
    /// The shards merged into these reports (`merge`); absent for a run on one machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<Vec<ShardProvenance>>,
}

/// One shard as named in the merged `provenance.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ShardProvenance {
    /// `K/N`.
    pub shard: String,
    /// The shard file.
    pub file: String,
    /// Host that ran it.
    pub host: String,
    /// Git commit of its build.
    pub git_commit: String,
    /// Start time.
    pub start_time: String,
    /// End time.
    pub end_time: String,
    /// Worker threads.
    pub threads: usize,
}

/// FNV-1a 64-bit hash.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// FNV-1a 64 of a configuration's JSON text, as 16 hex digits.
pub fn config_hash(config: &serde_json::Value) -> String {
    format!("{:016x}", fnv1a(config.to_string().as_bytes()))
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// RFC 3339 UTC timestamp of Unix seconds (`2020-09-13T12:26:40Z`).
pub fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// The git commit this binary was built from (see [`Provenance::git_commit`]).
pub fn git_commit() -> String {
    env!("NNQFT_GIT_COMMIT").to_string()
}

/// Versions of the workspace and key dependencies compiled into this binary.
pub fn crate_versions() -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    out.insert("nnqft".into(), env!("CARGO_PKG_VERSION").into());
    for pair in env!("NNQFT_DEPENDENCY_VERSIONS").split(',').filter(|p| !p.is_empty()) {
        if let Some((name, version)) = pair.split_once('=') {
            out.insert(name.into(), version.into());
        }
    }
    out
}

/// Build profile of this binary.
pub fn build_profile() -> String {
    if cfg!(debug_assertions) { "dev (numeric crates at opt-level 3)".into() } else { "release".into() }
}

/// Writes `provenance.json` into `out` (staged with the run's other reports: see
/// [`crate::atomic`]).
pub fn write(out: &Path, p: &Provenance) -> Result<()> {
    crate::atomic::write_atomic(&out.join("provenance.json"), serde_json::to_string_pretty(p)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_600_000_000), "2020-09-13T12:26:40Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn build_information_is_compiled_in() {
        let versions = crate_versions();
        assert!(versions.contains_key("rayon") && versions.contains_key("polars"), "{versions:?}");
        assert!(!git_commit().is_empty());
    }
}
