//! A complete, checked set of shard files, from which a merge builds the reports of a
//! sharded run, bit-identical to an unsharded run.
//!
//! The shard files (`shard-K-of-N.nnqs`, [`crate::shard`]) found in the given folders must
//! hold one configuration (same hash, seed and `N`), every shard `0..N-1` exactly once, each
//! intact (checksum). Anything else is an error naming the offending files or the missing
//! shards, raised before anything is written. Then the run is replayed: every stage runs as
//! in `reproduce` (or `sample`), except that each ensemble's result ([`crate::runner::Merged`]) is merged from the
//! shards' item sums by the unsharded run's own merge ([`nnqft_sampling::Ensemble::merge_items`]),
//! so every report value is bit-identical to the unsharded run's. `provenance.json` names
//! the shards, their hosts and times.

use crate::provenance::ShardProvenance;
use crate::shard::{ShardFile, rotation};
use anyhow::{Result, anyhow, bail, ensure};
use nnqft_sampling::{Ensemble, EnsembleResult, ItemSums, Shard};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;

/// The most missing shards an error names one by one (it counts the others).
const MISSING_NAMED: usize = 20;

/// The complete, checked set of shards of one run.
pub struct ShardSet {
    files: Vec<ShardFile>,
    used: Mutex<HashSet<String>>,
}

fn collect(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    let mut empty = Vec::new();
    for d in dirs {
        if d.is_file() {
            paths.push(std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()));
            continue;
        }
        let entries = std::fs::read_dir(d).map_err(|e| anyhow!("cannot read shard folder {}: {e}", d.display()))?;
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                p.is_file() && name.starts_with("shard-") && name.ends_with(".nnqs")
            })
            .collect();
        found.sort();
        if found.is_empty() {
            empty.push(d.display().to_string());
        }
        paths.extend(found);
    }
    ensure!(empty.is_empty(), "no shard file (shard-K-of-N.nnqs) in {}", empty.join(", "));
    Ok(paths)
}

impl ShardSet {
    /// Opens and checks the shard files found in `dirs`: one configuration, every shard
    /// exactly once, each intact. The error names every offending file or missing shard.
    pub fn open(dirs: &[PathBuf]) -> Result<Self> {
        let paths = collect(dirs)?;
        let mut problems = Vec::new();
        let mut files = Vec::new();
        for p in &paths {
            // a shard `K/N` outside `0 <= K < N` (so also `N = 0`) is as corrupt as a bad checksum
            let checked = ShardFile::open(p).and_then(|f| f.verify().map(|()| f)).and_then(|f| match f.shard() {
                Ok(_) => Ok(f),
                Err(e) => {
                    Err(anyhow!("corrupt shard {}: shard {}/{}: {e}", p.display(), f.header.shard, f.header.shards))
                }
            });
            match checked {
                Ok(f) => files.push(f),
                Err(e) => problems.push(format!("{e:#}")),
            }
        }
        // the configuration held by most files is the run's; the others are foreign
        let mut votes: BTreeMap<(String, u64, u64, String), usize> = BTreeMap::new();
        for f in &files {
            let h = &f.header;
            *votes.entry((h.config_hash.clone(), h.seed, h.shards, h.command.clone())).or_default() += 1;
        }
        if let Some((run, _)) = votes.iter().max_by_key(|(_, n)| **n) {
            let run = run.clone();
            let (hash, seed, count, command) = &run;
            files.retain(|f| {
                let h = &f.header;
                let mine = (h.config_hash.clone(), h.seed, h.shards, h.command.clone()) == run;
                if !mine {
                    problems.push(format!(
                        "foreign shard {}: {} with configuration {}, seed {}, {} shards (the others: {command} with configuration {hash}, seed {seed}, {count} shards)",
                        f.path.display(),
                        h.command,
                        h.config_hash,
                        h.seed,
                        h.shards
                    ));
                }
                mine
            });
            let mut by_index: BTreeMap<u64, Vec<&ShardFile>> = BTreeMap::new();
            for f in &files {
                by_index.entry(f.header.shard).or_default().push(f);
            }
            for (k, fs) in &by_index {
                if *k >= *count {
                    let names: Vec<String> = fs.iter().map(|f| f.path.display().to_string()).collect();
                    problems.push(format!(
                        "shard {k} is out of range 0 to {} in {}",
                        count.saturating_sub(1),
                        names.join(", ")
                    ));
                } else if fs.len() > 1 {
                    let names: Vec<String> = fs.iter().map(|f| f.path.display().to_string()).collect();
                    problems.push(format!("duplicate shard {k}/{count}: {}", names.join(" and ")));
                }
            }
            // named up to MISSING_NAMED of them: a header may claim 10^18 shards
            let present = by_index.keys().filter(|k| *k < count).count() as u64;
            let missing_count = count - present;
            let missing: Vec<String> = (0..*count)
                .filter(|k| !by_index.contains_key(k))
                .take(MISSING_NAMED)
                .map(|k| format!("{k}/{count}"))
                .collect();
            if !missing.is_empty() {
                let more = missing_count - missing.len() as u64;
                let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                problems.push(format!(
                    "missing shards {}{more} (of {count}; expected files {})",
                    missing.join(", "),
                    missing
                        .iter()
                        .filter_map(|s| Shard::parse(s).ok())
                        .map(crate::shard::file_name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        } else if problems.is_empty() {
            problems.push("no shard files given".into());
        }
        if !problems.is_empty() {
            bail!("cannot merge: {}", problems.join("; "));
        }
        files.sort_by_key(|f| f.header.shard);
        Ok(Self { files, used: Mutex::new(HashSet::new()) })
    }

    /// The header of shard 0 (the configuration, seed and command are common to all).
    pub fn first(&self) -> &crate::shard::ShardHeader {
        &self.files[0].header
    }

    /// The shards for `provenance.json`.
    pub fn provenance(&self) -> Vec<ShardProvenance> {
        self.files
            .iter()
            .map(|f| {
                let h = &f.header;
                ShardProvenance {
                    shard: format!("{}/{}", h.shard, h.shards),
                    file: f.path.display().to_string(),
                    host: h.host.clone(),
                    git_commit: h.git_commit.clone(),
                    start_time: h.start_time.clone(),
                    end_time: h.end_time.clone(),
                    threads: h.threads,
                }
            })
            .collect()
    }

    /// The result of ensemble `key`, merged from every shard's item sums.
    pub fn ensemble(&self, key: &str, ens: &Ensemble) -> Result<EnsembleResult> {
        let total = ens.work_items();
        let mut slots: Vec<Option<ItemSums>> = vec![None; total as usize];
        let rot = rotation(key);
        for f in &self.files {
            let shard = f.shard()?;
            let i = f.section(key).ok_or_else(|| {
                anyhow!("shard {shard} ({}) has no ensemble {key}: made by another build or command", f.path.display())
            })?;
            let s = &f.header.ensembles[i];
            ensure!(
                s.seed == ens.seed()
                    && s.points == ens.inputs().len()
                    && s.experiments == ens.experiments()
                    && s.nets == ens.nets()
                    && s.estimator == ens.estimator().name()
                    && s.width == ens.width()
                    && s.squares == ens.tracks_variance(),
                "shard {shard} ({}): ensemble {key} differs from this build's (seed, points, experiments, nets, estimator, width or squares)",
                f.path.display()
            );
            ensure!(
                s.items == shard.items(total, rot),
                "shard {shard} ({}): ensemble {key} holds items other than the shard's",
                f.path.display()
            );
            for (item, sums) in s.items.iter().zip(f.read_section(i)?) {
                slots[*item as usize] = Some(sums);
            }
        }
        self.used.lock().map_err(|_| anyhow!("merge state poisoned"))?.insert(key.to_string());
        let items: Vec<ItemSums> = slots.into_iter().collect::<Option<_>>().ok_or_else(|| {
            anyhow!("ensemble {key}: the shards do not cover every work item (shard count {})", self.files.len())
        })?;
        Ok(ens.merge_items(&items)?)
    }

    /// Errors if some shard holds an ensemble the replayed run never asked for.
    pub fn check_all_used(&self) -> Result<()> {
        let used = self.used.lock().map_err(|_| anyhow!("merge state poisoned"))?;
        for f in &self.files {
            if let Some(s) = f.header.ensembles.iter().find(|s| !used.contains(&s.key)) {
                bail!("shard file {} holds ensemble {} that this build's run does not have", f.path.display(), s.key);
            }
        }
        Ok(())
    }
}
