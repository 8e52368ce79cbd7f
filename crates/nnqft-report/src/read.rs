//! Readers of the files users hand to the one-table commands: a `correlators.parquet` (and the
//! per-experiment `correlators_experiments.parquet` beside it) as the 4-pt blocks the Table 5
//! fit needs ([`correlator_blocks`], for `nnqft fit`), and files of network outputs made anywhere
//! ([`analyze_file`], for `nnqft analyze` and `nnqft action`), folded into
//! [`nnqft_study::analyze`]'s stream as they are read.
//!
//! A `.npy` file holds a C-ordered array of `float64` or `float32` (either byte order):
//! `f[net, point]` or `f[net, point, output]`. It is read in blocks, so its size is bounded by
//! the disk, not by memory, and hashed as it is read: each [`FileAnalysis`] names its file with
//! its SHA-256 (what `sha256sum` prints). A `.parquet` file is a wide table, one row per net and
//! one float column per point ([`analyze_parquet`]), read whole.

use crate::report::read_parquet;
use anyhow::{Context, Result, anyhow, bail};
use nnqft_sampling::OutputStream;
use nnqft_study::analyze::{Analysis, Encoding, analyze_stream, output_stream};
use nnqft_study::correlator_fit::FourPointRows;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One file, read and analysed.
#[derive(Debug, Clone)]
pub struct FileAnalysis {
    /// The file.
    pub path: PathBuf,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The width of its networks, where given (`nnqft analyze --widths`).
    pub width: Option<usize>,
    /// The analysis.
    pub analysis: Analysis,
}

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Bytes of data read at a time.
const BLOCK_BYTES: usize = 1 << 22;

/// The largest `.npy` header read (NumPy writes a few hundred bytes; its own reader refuses more
/// than 10,000 by default).
const MAX_HEADER_BYTES: usize = 1 << 16;

/// The shape in a `.npy` header's dictionary (`'shape': (a, b, ...)`), each dimension and their
/// product checked to fit in 64 bits; `None` if it does not parse.
fn header_shape(header: &str) -> Option<Vec<u64>> {
    let after = &header[header.find("'shape'")? + "'shape'".len()..];
    let (open, close) = (after.find('(')?, after.find(')')?);
    let dims: Option<Vec<u64>> = after
        .get(open + 1..close)?
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.trim_end_matches('L').parse().ok())
        .collect();
    let dims = dims?;
    dims.iter().try_fold(1u64, |p, &d| p.checked_mul(d))?;
    Some(dims)
}

/// Reads and analyses one `.npy` file (module docs). The header is read and bounded before
/// npyz interprets it, and the file's length is checked against it before any data is read.
pub fn analyze_npy(path: &Path, experiments: usize, width: Option<usize>) -> Result<FileAnalysis> {
    let bad = |what: String| anyhow!("{}: {what}", path.display());
    let not_npy = || bad("not a NumPy .npy file (its header does not read)".into());
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let length = file.metadata().with_context(|| format!("cannot read {}", path.display()))?.len();
    let mut reader = Hashing { inner: std::io::BufReader::with_capacity(1 << 20, file), hash: Sha256::new(), bytes: 0 };
    // magic, version, header length (2 bytes in version 1, 4 after)
    let mut prefix = vec![0u8; 10];
    reader.read_exact(&mut prefix).map_err(|_| not_npy())?;
    if &prefix[..6] != b"\x93NUMPY" || !(1..=3).contains(&prefix[6]) {
        return Err(not_npy());
    }
    let header_len = if prefix[6] == 1 {
        u16::from_le_bytes([prefix[8], prefix[9]]) as usize
    } else {
        let mut two = [0u8; 2];
        reader.read_exact(&mut two).map_err(|_| not_npy())?;
        prefix.extend(two);
        u32::from_le_bytes([prefix[8], prefix[9], two[0], two[1]]) as usize
    };
    if header_len > MAX_HEADER_BYTES {
        return Err(bad(format!("a header of {header_len} bytes; at most {MAX_HEADER_BYTES} are read")));
    }
    let mut header_bytes = vec![0u8; header_len];
    reader.read_exact(&mut header_bytes).map_err(|_| not_npy())?;
    let text = String::from_utf8_lossy(&header_bytes).into_owned();
    let shape = header_shape(&text)
        .ok_or_else(|| bad(format!("a header whose shape does not parse or overflows: {}", text.trim())))?;
    let whole: Vec<u8> = prefix.iter().chain(&header_bytes).copied().collect();
    let header = npyz::NpyHeader::from_reader(&whole[..]).map_err(|_| not_npy())?;
    if header.order() != npyz::Order::C {
        return Err(bad("the array is Fortran-ordered; save it C-ordered (numpy.ascontiguousarray)".into()));
    }
    let dtype = match header.dtype() {
        npyz::DType::Plain(t) => t.to_string(),
        other => return Err(bad(format!("dtype {other:?}; expected float64 or float32"))),
    };
    let encoding = Encoding::from_numpy(&dtype)
        .ok_or_else(|| bad(format!("dtype {dtype}; expected float64 or float32 (<f8, >f8, <f4, >f4)")))?;
    let size = encoding.size() as u64;
    let (nets, points, outputs) = match shape[..] {
        [n, p] => (n, p, 1),
        [n, p, o] => (n, p * o, o), // the product fits: header_shape checked it
        _ => return Err(bad(format!("shape {shape:?}; expected (nets, points) or (nets, points, outputs)"))),
    };
    if points == 0 {
        return Err(bad(format!("shape {shape:?} has no points")));
    }
    let data = nets.checked_mul(points).and_then(|v| v.checked_mul(size));
    let expected = data.and_then(|d| d.checked_add(whole.len() as u64));
    match expected {
        Some(e) if e == length => {}
        Some(e) if e > length => {
            return Err(bad(format!(
                "truncated: its header promises {nets} nets x {points} values ({e} bytes), the file has {length}"
            )));
        }
        Some(e) => return Err(bad(format!("{} bytes after the data its header describes", length - e))),
        None => return Err(bad(format!("shape {shape:?} overflows 64-bit sizes"))),
    }
    let mut stream: OutputStream = output_stream(points as usize, outputs as usize, nets, experiments)
        .map_err(|e| bad(format!("{e} (shape {shape:?})")))?;
    let row_bytes = points as usize * size as usize;
    let block = (BLOCK_BYTES / row_bytes).max(1);
    // a reader thread reads and hashes the blocks while this one converts and folds them
    let (send, receive) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(2);
    let folded = std::thread::scope(|scope| -> Result<()> {
        let reader = &mut reader;
        scope.spawn(move || {
            let mut left = nets;
            while left > 0 {
                let count = left.min(block as u64) as usize;
                let mut buf = vec![0u8; count * row_bytes];
                let read = reader.read_exact(&mut buf).map(|_| buf);
                let failed = read.is_err();
                if send.send(read).is_err() || failed {
                    return;
                }
                left -= count as u64;
            }
        });
        let mut values = Vec::with_capacity(block * points as usize);
        for buf in receive {
            let buf = buf.with_context(|| format!("cannot read {}", path.display()))?;
            encoding.decode(&buf, &mut values);
            stream.push(&values).map_err(|e| bad(e.to_string()))?;
        }
        Ok(())
    });
    folded?;
    let analysis = analyze_stream(stream)?;
    let sha256 = hex(&reader.hash.finalize());
    Ok(FileAnalysis { path: path.to_path_buf(), sha256, bytes: reader.bytes, width, analysis })
}

/// The SHA-256 of a file, hex, and its size.
fn file_sha256(path: &Path) -> Result<(String, u64)> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = Hashing { inner: std::io::BufReader::with_capacity(1 << 20, file), hash: Sha256::new(), bytes: 0 };
    std::io::copy(&mut reader, &mut std::io::sink()).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((hex(&reader.hash.finalize()), reader.bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Reads and analyses one Parquet file in the wide layout: one row per net, one float column
/// (Float64 or Float32) per point, in column order; any other column, or a missing value, is
/// refused naming it. The table is read whole (Parquet is columnar), so its size is bounded by
/// memory, unlike a `.npy` file's.
pub fn analyze_parquet(path: &Path, experiments: usize, width: Option<usize>) -> Result<FileAnalysis> {
    use polars::prelude::DataType;
    let bad = |what: String| anyhow!("{}: {what}", path.display());
    let length = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.len();
    if length.saturating_mul(3) > nnqft_sampling::memory::memory_limit() {
        return Err(bad(format!(
            "{} of Parquet is read whole, and that would not fit in memory; save the outputs as .npy, which is \
             read in blocks",
            nnqft_sampling::memory::human_bytes(length)
        )));
    }
    let df = read_parquet(path).map_err(|e| bad(format!("not a Parquet file that reads ({e})")))?;
    let mut columns = Vec::with_capacity(df.width());
    for c in df.columns() {
        if !matches!(c.dtype(), DataType::Float64 | DataType::Float32) {
            return Err(bad(format!(
                "column {} is {}; the wide layout has one float column per point and nothing else",
                c.name(),
                c.dtype()
            )));
        }
        if c.null_count() > 0 {
            return Err(bad(format!("column {} has {} missing values", c.name(), c.null_count())));
        }
        let c = c.cast(&DataType::Float64)?;
        columns.push(c.f64()?.into_no_null_iter().collect::<Vec<f64>>());
    }
    let (nets, points) = (df.height(), columns.len());
    if points == 0 || nets == 0 {
        return Err(bad(format!("{nets} rows x {points} columns; expected one row per net, one column per point")));
    }
    let mut stream = output_stream(points, 1, nets as u64, experiments).map_err(|e| bad(e.to_string()))?;
    let block = (BLOCK_BYTES / (8 * points)).max(1);
    let mut rows = Vec::with_capacity(block * points);
    for start in (0..nets).step_by(block) {
        rows.clear();
        for i in start..(start + block).min(nets) {
            rows.extend(columns.iter().map(|c| c[i]));
        }
        stream.push(&rows).map_err(|e| bad(e.to_string()))?;
    }
    let analysis = analyze_stream(stream)?;
    let (sha256, bytes) = file_sha256(path)?;
    Ok(FileAnalysis { path: path.to_path_buf(), sha256, bytes, width, analysis })
}

/// Reads and analyses one file by its extension: `.parquet` ([`analyze_parquet`]), anything else
/// as `.npy` ([`analyze_npy`]).
pub fn analyze_file(path: &Path, experiments: usize, width: Option<usize>) -> Result<FileAnalysis> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        analyze_parquet(path, experiments, width)
    } else {
        analyze_npy(path, experiments, width)
    }
}

/// The 4-pt rows of one (width, estimator) block of a correlators file.
#[derive(Debug, Clone)]
pub struct CorrelatorBlock {
    /// The width `N` of the block's networks.
    pub width: i64,
    /// The estimator that measured the block.
    pub estimator: String,
    /// Its `ΔG4 = g_mean − g_gp` per 4-pt multiset, and each experiment's where known.
    pub rows: FourPointRows,
}

/// The n = 4 rows of the one-layer network `network` at input dimension `d_in` in the
/// correlators file `path`, by (width, estimator) in the order they first appear, with each
/// experiment's `ΔG4` where `experiments` (a `correlators_experiments.parquet`) has them. Rows of
/// deep samples (depth >= 2) and of outputs other than the first are skipped.
pub fn correlator_blocks(
    path: &Path,
    experiments: Option<&Path>,
    network: &str,
    d_in: i64,
) -> Result<Vec<CorrelatorBlock>> {
    let df = read_parquet(path)?;
    let col = |name: &str| df.column(name).map_err(|_| anyhow!("{} has no column {name}", path.display()));
    let (net, d, width, n) = (col("network")?.str()?, col("d_in")?.i64()?, col("width")?.i64()?, col("n")?.i64()?);
    let (estimator, indices) = (col("estimator")?.str()?, col("indices")?.str()?);
    let (g_mean, g_gp) = (col("g_mean")?.f64()?, col("g_gp")?.f64()?);
    // deep samples (depth >= 2) share the file's layout but not the one-layer fit's design
    let depths = df.column("depth").ok().and_then(|c| c.i64().ok().cloned());
    let depth = |i: usize| depths.as_ref().and_then(|c| c.get(i)).unwrap_or(1);
    // several outputs: the first output's own correlators are the one-output network's
    let outputs = df.column("outputs").ok().and_then(|c| c.str().ok().cloned());
    let first_output =
        |i: usize| outputs.as_ref().and_then(|c| c.get(i)).is_none_or(|o| o.split(',').all(|x| x == "0"));
    let mut blocks: Vec<CorrelatorBlock> = Vec::new();
    for i in 0..df.height() {
        if n.get(i) != Some(4)
            || net.get(i) != Some(network)
            || d.get(i) != Some(d_in)
            || depth(i) != 1
            || !first_output(i)
        {
            continue;
        }
        let (w, e) = (width.get(i).unwrap_or(0), estimator.get(i).unwrap_or("").to_string());
        let at = match blocks.iter().position(|b| b.width == w && b.estimator == e) {
            Some(at) => at,
            None => {
                blocks.push(CorrelatorBlock { width: w, estimator: e, rows: FourPointRows::default() });
                blocks.len() - 1
            }
        };
        let rows = &mut blocks[at].rows;
        let (m, g) = (g_mean.get(i).unwrap_or(f64::NAN), g_gp.get(i).unwrap_or(f64::NAN));
        rows.indices.push(indices.get(i).unwrap_or("").to_string());
        rows.g_gp.push(g);
        rows.delta_g4.push(m - g);
    }
    if let Some(path) = experiments {
        let df = read_parquet(path)?;
        let col = |name: &str| df.column(name).map_err(|_| anyhow!("{} has no column {name}", path.display()));
        let (net, d, width, n) = (col("network")?.str()?, col("d_in")?.i64()?, col("width")?.i64()?, col("n")?.i64()?);
        let (estimator, indices) = (col("estimator")?.str()?, col("indices")?.str()?);
        let (experiment, g) = (col("experiment")?.i64()?, col("g")?.f64()?);
        for b in &mut blocks {
            let row: std::collections::HashMap<&str, usize> =
                b.rows.indices.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
            let mut values: Vec<Vec<f64>> = Vec::new();
            for i in 0..df.height() {
                let same = n.get(i) == Some(4)
                    && net.get(i) == Some(network)
                    && d.get(i) == Some(d_in)
                    && width.get(i) == Some(b.width)
                    && estimator.get(i) == Some(b.estimator.as_str());
                let (Some(e), Some(k)) = (experiment.get(i), indices.get(i).and_then(|l| row.get(l))) else { continue };
                if !same {
                    continue;
                }
                let e = usize::try_from(e)
                    .ok()
                    .filter(|&e| e < df.height())
                    .ok_or_else(|| anyhow!("{}: experiment {e} is out of range 0..{}", path.display(), df.height()))?;
                if values.len() <= e {
                    values.resize(e + 1, vec![f64::NAN; b.rows.indices.len()]);
                }
                values[e][*k] = g.get(i).unwrap_or(f64::NAN) - b.rows.g_gp[*k];
            }
            if values.iter().flatten().any(|v| v.is_nan()) {
                bail!(
                    "{}: the experiments of N = {} ({}) do not cover every 4-pt multiset",
                    path.display(),
                    b.width,
                    b.estimator
                );
            }
            b.rows.experiments = (!values.is_empty()).then_some(values);
        }
    }
    Ok(blocks)
}
