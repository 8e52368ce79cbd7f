//! `provenance.json`: what made a set of reports (git commit, configuration hash, seed,
//! crate versions, profile, start and end time, threads). Every Parquet row carries the
//! `run_id` defined here.

use anyhow::Result;
use serde::Serialize;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Provenance of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// `<start unix seconds>-<config hash>`.
    pub run_id: String,
    /// `git rev-parse HEAD` of the workspace (with `-dirty` when the tree has changes).
    pub git_commit: String,
    /// FNV-1a 64 hash of the serialised configuration.
    pub config_hash: String,
    /// The configuration itself.
    pub config: serde_json::Value,
    /// Master seed.
    pub seed: u64,
    /// Profile name.
    pub profile: String,
    /// Versions of the workspace and of key dependencies (from Cargo.lock).
    pub crate_versions: std::collections::BTreeMap<String, String>,
    /// Cargo build profile of this binary.
    pub build_profile: String,
    /// Start time (UTC, RFC 3339).
    pub start_time: String,
    /// End time (UTC, RFC 3339).
    pub end_time: String,
    /// Worker threads.
    pub threads: usize,
    /// The shards merged into these reports (`cargo xtask merge`); absent for a run on one
    /// machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<Vec<crate::merge::ShardProvenance>>,
}

/// FNV-1a 64-bit hash.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// RFC 3339 UTC timestamp of Unix seconds (civil-from-days, Howard Hinnant's algorithm).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The workspace root (this crate lives two levels below it, in `crates/nnqft-report`).
pub fn workspace_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).map_or_else(|| ".".into(), Path::to_path_buf)
}

/// Current git commit of the workspace (`-dirty` if tracked files outside `reports/` have
/// uncommitted changes), `unknown` outside a checkout.
pub fn git_commit() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(workspace_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(head) = run(&["rev-parse", "HEAD"]) else {
        return "unknown".into();
    };
    // the reports themselves (rewritten by this very run) do not make the code dirty
    let dirty = run(&["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)reports"])
        .is_some_and(|s| !s.is_empty());
    if dirty { format!("{head}-dirty") } else { head }
}

/// Versions of the workspace and key dependencies, read from Cargo.lock.
pub fn crate_versions() -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    out.insert("nnqft".into(), env!("CARGO_PKG_VERSION").into());
    let wanted =
        ["polars", "rand", "rand_pcg", "rand_distr", "statrs", "rayon", "gauss-quad", "linfa-linear", "argmin"];
    if let Ok(lock) = std::fs::read_to_string(workspace_root().join("Cargo.lock")) {
        for block in lock.split("[[package]]") {
            let field = |k: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{k} = \"")).map(|v| v.trim_end_matches('"').to_string()))
            };
            if let (Some(name), Some(version)) = (field("name"), field("version"))
                && wanted.contains(&name.as_str())
            {
                out.insert(name, version);
            }
        }
    }
    out
}

/// Build profile of this binary.
pub fn build_profile() -> String {
    if cfg!(debug_assertions) { "dev (numeric crates at opt-level 3)".into() } else { "release".into() }
}

/// Writes `provenance.json` atomically.
pub fn write(out: &Path, p: &Provenance) -> Result<()> {
    crate::report::write_atomic(&out.join("provenance.json"), serde_json::to_string_pretty(p)?.as_bytes())
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
}
