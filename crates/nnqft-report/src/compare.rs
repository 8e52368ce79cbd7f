//! `cargo xtask compare A B`: are two report folders the same bit for bit? Every Parquet
//! frame column by column (`f64` by their bits; the `run_id` column aside), every figure
//! byte for byte, `SUMMARY.md` apart from its run line (run id, commit, threads), and the
//! configuration, its hash, the seed and the profile in `provenance.json` (times, threads and
//! shards aside). Used by the shard tests and the Slurm CI check.

use crate::report::read_parquet;
use anyhow::{Result, bail};
use polars::prelude::*;
use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read report folder {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(ext))
        .collect();
    names.sort();
    Ok(names)
}

fn compare_frames(name: &str, a: &DataFrame, b: &DataFrame, diffs: &mut Vec<String>) -> Result<()> {
    let (ca, cb) = (a.get_column_names(), b.get_column_names());
    if ca != cb || a.height() != b.height() {
        diffs.push(format!("{name}: columns {ca:?} x {} rows against {cb:?} x {} rows", a.height(), b.height()));
        return Ok(());
    }
    for col in ca.iter().filter(|c| c.as_str() != "run_id") {
        let (x, y) = (a.column(col)?.as_materialized_series(), b.column(col)?.as_materialized_series());
        let same = match (x.f64(), y.f64()) {
            (Ok(x), Ok(y)) => x.iter().zip(y.iter()).all(|(p, q)| p.map(f64::to_bits) == q.map(f64::to_bits)),
            _ => x.dtype() == y.dtype() && x.equals_missing(y),
        };
        if !same {
            diffs.push(format!("{name}: column {col} differs"));
        }
    }
    Ok(())
}

fn summary_body(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter(|l| !l.starts_with("Profile `")).collect::<Vec<_>>().join("\n"))
}

/// The differences between report folders `a` and `b` (empty when bit-identical).
pub fn compare_reports(a: &Path, b: &Path) -> Result<Vec<String>> {
    let mut diffs = Vec::new();
    let parquet = files(a, ".parquet")?;
    if parquet.is_empty() {
        bail!("no Parquet report in {}", a.display());
    }
    if parquet != files(b, ".parquet")? {
        diffs.push(format!("Parquet files differ: {parquet:?} against {:?}", files(b, ".parquet")?));
    }
    for name in &parquet {
        let (pa, pb) = (a.join(name), b.join(name));
        if !pb.is_file() {
            continue;
        }
        compare_frames(name, &read_parquet(&pa)?, &read_parquet(&pb)?, &mut diffs)?;
    }
    let (fa, fb): (PathBuf, PathBuf) = (a.join("figures"), b.join("figures"));
    if fa.is_dir() || fb.is_dir() {
        let figs = files(&fa, ".svg")?;
        if figs != files(&fb, ".svg")? {
            diffs.push("figures/ hold different files".into());
        }
        for f in &figs {
            if std::fs::read(fa.join(f)).ok() != std::fs::read(fb.join(f)).ok() {
                diffs.push(format!("figures/{f} differs"));
            }
        }
    }
    let has_summary = a.join("SUMMARY.md").is_file() || b.join("SUMMARY.md").is_file();
    if has_summary && summary_body(&a.join("SUMMARY.md")).ok() != summary_body(&b.join("SUMMARY.md")).ok() {
        diffs.push("SUMMARY.md differs (beyond its run line)".into());
    }
    let prov = |d: &Path| -> Option<serde_json::Value> {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("provenance.json")).ok()?).ok()?;
        Some(serde_json::json!([v["config"], v["config_hash"], v["seed"], v["profile"]]))
    };
    if prov(a) != prov(b) {
        diffs.push("provenance.json: configuration, hash, seed or profile differ".into());
    }
    Ok(diffs)
}

/// `cargo xtask compare A B`: errors listing the differences.
pub fn run(a: &Path, b: &Path) -> Result<()> {
    let diffs = compare_reports(a, b)?;
    if !diffs.is_empty() {
        bail!("{} and {} differ: {}", a.display(), b.display(), diffs.join("; "));
    }
    println!("{} and {}: every report value bit-identical", a.display(), b.display());
    Ok(())
}
