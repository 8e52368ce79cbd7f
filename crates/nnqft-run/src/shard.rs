//! Sharded runs (`--shard K/N`) and the shard file format.
//!
//! # What a shard runs
//!
//! Every ensemble of a run (named by its block key, e.g. `scaling-erf-d1-N20-raw`) is a grid
//! of `experiments x chunks` work items, item `i = experiment * chunks + chunk`. Shard `K` of
//! `N` runs the items with `(i + r) mod N = K`, where the rotation `r` is the FNV-1a 64 hash
//! of the key ([`nnqft_sampling::Shard`]). So every shard gets an even share of every
//! ensemble (`floor` or `ceil` of `items / N`), and ensembles with fewer items than shards
//! land on different shards. A shard samples its share of the run's planned ensembles
//! (each study lists them before anything is sampled: [`nnqft_study::Planned`]) and runs no
//! analysis; only a whole run or a merge does.
//!
//! # The shard file `shard-K-of-N.nnqs`
//!
//! All integers and floats little-endian:
//!
//! | bytes | content |
//! |-------|---------|
//! | 8 | magic `NNQFTSH1` |
//! | 8 | `u64` length `H` of the header |
//! | `H` | UTF-8 JSON header ([`ShardHeader`]): format, version, command, configuration and its hash, seed, shard `K`, shards `N`, host, git commit, times, threads, and one [`Section`] per ensemble in run order (key, seed, points, experiments, nets, chunks, estimator, width, multisets per order, whether squares are stored, the item indices) |
//! | payload | per section, per item in the listed order: the item's sums for n = 2, 4, 6 (one `f64` per multiset, in `Multisets` order), then its squares likewise if stored |
//! | 4 | CRC-32 (ISO-HDLC, as zlib's `crc32`) of every byte before it |
//!
//! These `f64` are exactly what the ordered merge of an unsharded run consumes
//! ([`nnqft_sampling::Ensemble::merge_items`]), so merging is exact.
//!
//! # Resume: one format for every run
//!
//! While it runs, a shard keeps each finished ensemble as a one-section file of the same
//! format in `<out>/.blocks/shard-K-of-N/<key>.nnqs`; with `--resume` a killed shard reuses
//! the intact ones of its own configuration and shard, and produces the identical partial.
//! The blocks are removed once `shard-K-of-N.nnqs` is written (atomically). An unsharded run
//! is shard `0/1` of itself: its resume cache is the same blocks in
//! `<out>/.blocks/shard-0-of-1/`, each merged as soon as it is written, and removed when the
//! run's reports are in place. A block that cannot be used (unreadable, truncated, a checksum
//! that differs, another format version, configuration, seed, shard or ensemble) is named on
//! one line of stderr and recomputed, never used ([`block_damage`]).

use crate::progress::timed;
use crate::provenance;
use crate::run::Run;
use anyhow::{Context as _, Result, anyhow, bail, ensure};
use nnqft_sampling::{Ensemble, ItemSums, Shard};
use nnqft_study::Planned;
use nnqft_theory::Multisets;
use serde::{Deserialize, Serialize};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// First 8 bytes of a shard file.
pub const MAGIC: &[u8; 8] = b"NNQFTSH1";
/// Value of the header's `format` field.
pub const FORMAT: &str = "nnqft-shard";
/// Version of the format described in this module.
pub const VERSION: u32 = 1;

/// The JSON header of a shard file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardHeader {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// `reproduce` or `sample` (the command's name).
    pub command: String,
    /// The run's configuration (as hashed into `config_hash`).
    pub config: serde_json::Value,
    /// FNV-1a 64 of the configuration, as in `provenance.json`.
    pub config_hash: String,
    /// Master seed of the run.
    pub seed: u64,
    /// Shard index `K` (0-based).
    pub shard: u64,
    /// Number of shards `N`.
    pub shards: u64,
    /// Host that ran the shard.
    pub host: String,
    /// Git commit of the build that ran the shard.
    pub git_commit: String,
    /// Start time (UTC, RFC 3339).
    pub start_time: String,
    /// End time (UTC, RFC 3339).
    pub end_time: String,
    /// Worker threads.
    pub threads: usize,
    /// One per ensemble of the run, in run order.
    pub ensembles: Vec<Section>,
}

/// One ensemble's part of a shard file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Section {
    /// Block key, unique within a run.
    pub key: String,
    /// The ensemble's seed.
    pub seed: u64,
    /// Input points.
    pub points: usize,
    /// Experiments.
    pub experiments: usize,
    /// Nets per experiment.
    pub nets: u64,
    /// Chunks per experiment.
    pub chunks: u64,
    /// Estimator name.
    pub estimator: String,
    /// Hidden width.
    pub width: usize,
    /// Multisets of order 2, 4, 6.
    pub multisets: [usize; 3],
    /// Whether each item's squares follow its sums.
    pub squares: bool,
    /// The work items stored, ascending.
    pub items: Vec<u64>,
}

impl Section {
    fn describe(key: &str, ens: &Ensemble, items: Vec<u64>) -> Result<Self> {
        let m = ens.inputs().len();
        Ok(Self {
            key: key.into(),
            seed: ens.seed(),
            points: m,
            experiments: ens.experiments(),
            nets: ens.nets(),
            chunks: ens.chunks(),
            estimator: ens.estimator().name().into(),
            width: ens.width(),
            multisets: [Multisets::new(m, 2)?.len(), Multisets::new(m, 4)?.len(), Multisets::new(m, 6)?.len()],
            squares: ens.tracks_variance(),
            items,
        })
    }

    /// Values per item (saturating: a header is read before it is checked).
    fn item_values(&self) -> usize {
        let sum = self.multisets.iter().fold(0usize, |a, b| a.saturating_add(*b));
        sum.saturating_mul(if self.squares { 2 } else { 1 })
    }

    /// Payload bytes (saturating).
    fn bytes(&self) -> u64 {
        (self.items.len() as u64).saturating_mul(self.item_values() as u64).saturating_mul(8)
    }
}

/// The file name of shard `K` of `N`.
pub fn file_name(shard: Shard) -> String {
    format!("shard-{}-of-{}.nnqs", shard.index(), shard.count())
}

/// The rotation of an ensemble's items over the shards: FNV-1a 64 of its key.
pub fn rotation(key: &str) -> u64 {
    provenance::fnv1a(key.as_bytes())
}

/// This machine's host name.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// A writer that keeps the CRC-32 of what it wrote.
struct CrcWriter<W: Write> {
    inner: W,
    crc: crc32fast::Hasher,
}

impl<W: Write> CrcWriter<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.crc.update(bytes);
        self.inner.write_all(bytes)
    }
}

fn encode(values: &[f64], out: &mut Vec<u8>) {
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Writes a shard file atomically: the header, then `payload` (which writes the sections'
/// bytes through the given function), then the checksum, into `NAME.tmp`, renamed into place
/// once complete. A write that fails (a full disk) removes the `.tmp` and names the file.
fn write_file(
    path: &Path,
    header: &ShardHeader,
    payload: impl FnOnce(&mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()>,
) -> Result<()> {
    let tmp = path.with_extension("nnqs.tmp");
    let written = write_tmp(&tmp, header, payload);
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

/// [`write_file`]'s writing of the temporary file `tmp`.
fn write_tmp(
    tmp: &Path,
    header: &ShardHeader,
    payload: impl FnOnce(&mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::create(tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut w = CrcWriter { inner: BufWriter::new(file), crc: crc32fast::Hasher::new() };
    let json = serde_json::to_vec(header)?;
    w.put(MAGIC)?;
    w.put(&(json.len() as u64).to_le_bytes())?;
    w.put(&json)?;
    let mut written = 0u64;
    payload(&mut |bytes| {
        written += bytes.len() as u64;
        Ok(w.put(bytes)?)
    })?;
    let expected: u64 = header.ensembles.iter().map(Section::bytes).sum();
    ensure!(written == expected, "shard payload is {written} bytes, its header describes {expected}");
    let crc = w.crc.clone().finalize();
    w.inner.write_all(&crc.to_le_bytes())?;
    let file = w.inner.into_inner().map_err(|e| anyhow!("{}", e.error()))?;
    Ok(file.sync_all()?)
}

/// An opened shard file: its header and where each section's payload starts.
#[derive(Debug, Clone)]
pub struct ShardFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its header.
    pub header: ShardHeader,
    offsets: Vec<u64>,
    length: u64,
}

impl ShardFile {
    /// Reads and checks the header (not yet the checksum: see [`ShardFile::verify`]).
    pub fn open(path: &Path) -> Result<Self> {
        let bad = |what: String| anyhow!("corrupt shard {}: {what}", path.display());
        let mut f = std::fs::File::open(path).with_context(|| format!("cannot open shard {}", path.display()))?;
        let length = f.metadata()?.len();
        let mut head = [0u8; 16];
        f.read_exact(&mut head).map_err(|_| bad("shorter than its 16-byte preamble".into()))?;
        if &head[..8] != MAGIC {
            return Err(bad("not a shard file (magic bytes differ from NNQFTSH1)".into()));
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&head[8..]);
        let header_len = u64::from_le_bytes(len);
        if header_len > length.saturating_sub(20) {
            return Err(bad(format!("header length {header_len} exceeds the file ({length} bytes)")));
        }
        let mut json = vec![0u8; header_len as usize];
        f.read_exact(&mut json).map_err(|e| bad(e.to_string()))?;
        let header: ShardHeader = serde_json::from_slice(&json).map_err(|e| bad(format!("header: {e}")))?;
        if header.format != FORMAT || header.version != VERSION {
            return Err(bad(format!(
                "format {} version {} (this build reads {FORMAT} version {VERSION})",
                header.format, header.version
            )));
        }
        let mut offsets = Vec::with_capacity(header.ensembles.len());
        let mut at = 16 + header_len;
        for s in &header.ensembles {
            offsets.push(at);
            at = at.saturating_add(s.bytes());
        }
        if at.saturating_add(4) != length {
            return Err(bad(format!("{length} bytes, its header describes {}", at.saturating_add(4))));
        }
        Ok(Self { path: path.to_path_buf(), header, offsets, length })
    }

    /// Recomputes the CRC-32 of the whole file and compares it with the stored one.
    pub fn verify(&self) -> Result<()> {
        let f = std::fs::File::open(&self.path)?;
        let mut r = BufReader::with_capacity(1 << 20, f);
        let mut crc = crc32fast::Hasher::new();
        let mut left = self.length - 4;
        let mut buf = vec![0u8; 1 << 20];
        while left > 0 {
            let n = (buf.len() as u64).min(left) as usize;
            r.read_exact(&mut buf[..n])?;
            crc.update(&buf[..n]);
            left -= n as u64;
        }
        let mut stored = [0u8; 4];
        r.read_exact(&mut stored)?;
        let (stored, computed) = (u32::from_le_bytes(stored), crc.finalize());
        ensure!(
            stored == computed,
            "corrupt shard {}: checksum {computed:08x} differs from the stored {stored:08x}",
            self.path.display()
        );
        Ok(())
    }

    /// The shard `K/N` it holds.
    pub fn shard(&self) -> Result<Shard> {
        Ok(Shard::new(self.header.shard, self.header.shards)?)
    }

    /// Index of the section named `key`.
    pub fn section(&self, key: &str) -> Option<usize> {
        self.header.ensembles.iter().position(|s| s.key == key)
    }

    /// The item sums of section `i`, in its item order.
    pub fn read_section(&self, i: usize) -> Result<Vec<ItemSums>> {
        let s = &self.header.ensembles[i];
        let mut f = std::fs::File::open(&self.path)?;
        f.seek(SeekFrom::Start(self.offsets[i]))?;
        let mut bytes = vec![0u8; s.bytes() as usize];
        f.read_exact(&mut bytes).with_context(|| format!("cannot read {}", self.path.display()))?;
        let mut values = bytes.chunks_exact(8).map(|b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            f64::from_le_bytes(a)
        });
        let mut take = |n: usize| -> Vec<f64> { values.by_ref().take(n).collect() };
        Ok(s.items
            .iter()
            .map(|_| {
                let sums = s.multisets.map(&mut take);
                let squares = s.squares.then(|| s.multisets.map(&mut take));
                ItemSums::new(sums, squares)
            })
            .collect())
    }

    /// The raw payload bytes of section `i`.
    fn payload(&self, i: usize) -> Result<Vec<u8>> {
        let mut f = std::fs::File::open(&self.path)?;
        f.seek(SeekFrom::Start(self.offsets[i]))?;
        let mut bytes = vec![0u8; self.header.ensembles[i].bytes() as usize];
        f.read_exact(&mut bytes)?;
        Ok(bytes)
    }
}

/// Samples shard `shard`'s items of every planned ensemble of `run` (in plan order) and
/// writes `shard-K-of-N.nnqs` into the run's folder; returns its path. No analysis runs: a
/// merge of the shards does it.
pub fn record(run: &Run, shard: Shard, planned: &[Planned], resume: bool) -> Result<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    if let Some(p) = planned.iter().find(|p| !seen.insert(p.key.name())) {
        bail!("ensemble {} is planned twice in one run: block keys must be unique", p.key);
    }
    let done = planned
        .iter()
        .map(|p| record_ensemble(run, shard, &p.key.name(), &p.ensemble, resume))
        .collect::<Result<Vec<_>>>()?;
    write_shard_file(run, shard, &done)
}

/// The folder of shard `shard`'s finished ensembles in `run`'s folder.
fn blocks(run: &Run, shard: Shard) -> PathBuf {
    run.out.join(".blocks").join(format!("shard-{}-of-{}", shard.index(), shard.count()))
}

/// Why the block file at `path` cannot stand for `section` of shard `shard` of `run`, in one
/// line: unreadable, damaged (truncated, a wrong length, a checksum that differs), of another
/// format version, configuration, master seed, shard or ensemble. `None` if it can be used.
pub fn block_damage(run: &Run, shard: Shard, section: &Section, path: &Path) -> Option<String> {
    let file = match ShardFile::open(path) {
        Ok(file) => file,
        Err(e) => return Some(format!("{e:#}")),
    };
    let h = &file.header;
    if h.config_hash != run.config_hash || h.seed != run.seed {
        return Some(format!(
            "of another configuration (hash {}, seed {}; this run's {}, {})",
            h.config_hash, h.seed, run.config_hash, run.seed
        ));
    }
    if (h.shard, h.shards) != (shard.index(), shard.count()) {
        return Some(format!("of shard {}/{} (this is {shard})", h.shard, h.shards));
    }
    if h.ensembles != [section.clone()] {
        return Some("of another ensemble (its section differs from this run's)".into());
    }
    file.verify().err().map(|e| format!("{e:#}"))
}

/// Samples shard `shard`'s items of the ensemble `ens` (block key `key`) into a one-section
/// block file (`<out>/.blocks/shard-K-of-N/<key>.nnqs`); with `resume`, an intact block of the
/// same configuration, shard and ensemble is kept instead, and a block that cannot be used
/// is named on stderr ([`block_damage`]) and recomputed. Returns its section and path.
///
/// An unsharded run is shard `0/1` of itself: it records every item this way and merges
/// them ([`crate::runner::Sampler`]), so a resumed run and a merge read one format.
pub fn record_ensemble(run: &Run, shard: Shard, key: &str, ens: &Ensemble, resume: bool) -> Result<(Section, PathBuf)> {
    let items = shard.items(ens.work_items(), rotation(key));
    let section = Section::describe(key, ens, items)?;
    let dir = blocks(run, shard);
    let path = dir.join(format!("{key}.nnqs"));
    let whole = shard.count() == 1;
    if resume && path.exists() {
        match block_damage(run, shard, &section, &path) {
            None => {
                let of = if whole { String::new() } else { format!("shard {shard} ") };
                eprintln!("{key}: {of}reused from {}", path.display());
                return Ok((section, path));
            }
            Some(damage) => eprintln!("{key}: block {} not used, {damage}; recomputing", path.display()),
        }
    }
    let total: u64 = section.items.iter().map(|&i| ens.nets_in_item(i)).sum();
    let what = if whole {
        String::new()
    } else {
        format!("shard {shard}: {} of {} items, ", section.items.len(), ens.work_items())
    };
    let sums = timed(run.progress, key, &what, total, |monitor| ens.run_items(&section.items, run.threads, monitor))?;
    std::fs::create_dir_all(&dir)?;
    write_file(&path, &header(run, shard, vec![section.clone()]), |put| {
        let mut buf = Vec::with_capacity(section.item_values() * 8);
        for s in &sums {
            buf.clear();
            s.sums().iter().for_each(|v| encode(v, &mut buf));
            if let Some(sq) = s.squares() {
                sq.iter().for_each(|v| encode(v, &mut buf));
            }
            put(&buf)?;
        }
        Ok(())
    })?;
    Ok((section, path))
}

/// Writes `shard-K-of-N.nnqs` into `run`'s folder from the finished blocks `done` (in run
/// order) and removes them; returns its path.
pub fn write_shard_file(run: &Run, shard: Shard, done: &[(Section, PathBuf)]) -> Result<PathBuf> {
    let header = header(run, shard, done.iter().map(|(s, _)| s.clone()).collect());
    let path = run.out.join(file_name(shard));
    write_file(&path, &header, |put| {
        for (_, block) in done {
            let f = ShardFile::open(block)?;
            f.verify()?;
            put(&f.payload(0)?)?;
        }
        Ok(())
    })?;
    let _ = std::fs::remove_dir_all(blocks(run, shard));
    let _ = std::fs::remove_dir(run.out.join(".blocks"));
    eprintln!("shard {shard}: {} ensembles written to {}", done.len(), path.display());
    Ok(path)
}

/// The header of shard `shard` of `run` with `ensembles`, ended now.
fn header(run: &Run, shard: Shard, ensembles: Vec<Section>) -> ShardHeader {
    ShardHeader {
        format: FORMAT.into(),
        version: VERSION,
        command: run.command.name().into(),
        config: run.config.clone(),
        config_hash: run.config_hash.clone(),
        seed: run.seed,
        shard: shard.index(),
        shards: shard.count(),
        host: host_name(),
        git_commit: provenance::git_commit(),
        start_time: provenance::rfc3339(run.start),
        end_time: provenance::rfc3339(provenance::unix_now()),
        threads: run.threads,
        ensembles,
    }
}
