//! Readers of the files users hand to the one-table commands: a `correlators.parquet` (and the
//! per-experiment `correlators_experiments.parquet` beside it) as the 4-pt blocks the Table 5
//! fit needs ([`correlator_blocks`], for `nnqft fit`), and files of network outputs made anywhere
//! ([`analyze_file`], for `nnqft analyze` and `nnqft action`), folded into
//! [`nnqft_study::analyze`]'s stream as they are read.
//!
//! A `.npy` file holds a C-ordered array of `float64` or `float32` (either byte order):
//! `f[net, point]` or `f[net, point, output]`. It is read in blocks, so its size is bounded by
//! the disk, not by memory, and hashed as it is read: each [`FileAnalysis`] names its file with
//! its SHA-256 (what `sha256sum` prints).
//!
//! A `.parquet` file ([`analyze_parquet`]) is read one row group at a time, so its size too is
//! bounded by the disk (memory holds its largest row group), in one of two layouts:
//! - **wide**: one row per net and one float column (float64 or float32) per point, in column
//!   order, and no other column;
//! - **long** (chosen when the table has a `value` column): one row per value, with integer
//!   columns `net`, `point` and, for several outputs, `output`, and the float column `value`,
//!   sorted by net, then point, then output (as `f[net, point, output]` flattens). The first
//!   net's rows fix the points `0..P` (and outputs `0..O`); every net repeats them in that order,
//!   its rows contiguous and its label (any integer) different from the net's before it. This is
//!   what `pandas.DataFrame.melt` or a `(net, point)` index reset gives, sorted.

use crate::report::read_parquet;
use anyhow::{Context, Result, anyhow, bail};
use nnqft_sampling::OutputStream;
use nnqft_study::analyze::{Analysis, Encoding, analyze_stream, output_stream};
use nnqft_study::correlator_fit::FourPointRows;
use polars::io::parquet::metadata::FileMetadataRef;
use polars::prelude::{DataFrame, ParquetReader, SerReader};
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
pub fn analyze_npy(path: &Path, experiments: usize, max_order: usize, width: Option<usize>) -> Result<FileAnalysis> {
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
    let mut stream: OutputStream = output_stream(points as usize, outputs as usize, nets, experiments, max_order)
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

/// How a Parquet file of network outputs lays them out (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One row per net, one float column per point.
    Wide,
    /// One row per value: columns `net`, `point`, optionally `output`, and `value`, sorted by
    /// net, then point, then output.
    Long {
        /// Whether the file has an `output` column.
        outputs: bool,
    },
}

/// The columns of the long layout, in any order; `output` may be left out.
const LONG_COLUMNS: [&str; 4] = ["net", "point", "output", "value"];

impl Layout {
    /// The layout of a table with these column names: long if it has a `value` column (and then
    /// only the long layout's columns), wide otherwise.
    fn of(path: &Path, names: &[String]) -> Result<Layout> {
        if !names.iter().any(|n| n == "value") {
            return Ok(Layout::Wide);
        }
        if let Some(other) = names.iter().find(|n| !LONG_COLUMNS.contains(&n.as_str())) {
            bail!(
                "{}: column {other} in the long layout, which has the columns net, point, output (optional) and value \
                 only",
                path.display()
            );
        }
        for required in ["net", "point"] {
            if !names.iter().any(|n| n == required) {
                bail!("{}: the long layout (it has a value column) needs a {required} column", path.display());
            }
        }
        Ok(Layout::Long { outputs: names.iter().any(|n| n == "output") })
    }
}

/// One row group of a Parquet file, read as a frame: the unit in which the file is read, so that
/// memory holds one row group at a time.
fn row_group(path: &Path, metadata: &FileMetadataRef, offset: usize, rows: usize) -> Result<DataFrame> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = ParquetReader::new(file).with_slice(Some((offset, rows)));
    reader.set_metadata(metadata.clone());
    reader.finish().map_err(|e| anyhow!("{}: rows {offset}..{}: do not read ({e})", path.display(), offset + rows))
}

/// The values of a float column of a row group, refusing another type or a missing value.
fn float_column(path: &Path, df: &DataFrame, name: &str, rows: std::ops::Range<usize>) -> Result<Vec<f64>> {
    use polars::prelude::DataType;
    let c = df.column(name).map_err(|_| anyhow!("{}: no column {name} in rows {rows:?}", path.display()))?;
    if !matches!(c.dtype(), DataType::Float64 | DataType::Float32) {
        bail!("{}: column {name} is {}; expected float64 or float32", path.display(), c.dtype());
    }
    if c.null_count() > 0 {
        bail!("{}: column {name} has {} missing values in rows {rows:?}", path.display(), c.null_count());
    }
    Ok(c.cast(&DataType::Float64)?.f64()?.into_no_null_iter().collect())
}

/// The values of an integer column of a row group (the long layout's `net`, `point`, `output`).
fn integer_column(path: &Path, df: &DataFrame, name: &str, rows: std::ops::Range<usize>) -> Result<Vec<i64>> {
    let c = df.column(name).map_err(|_| anyhow!("{}: no column {name} in rows {rows:?}", path.display()))?;
    if !c.dtype().is_integer() {
        bail!("{}: column {name} is {}; expected integers", path.display(), c.dtype());
    }
    if c.null_count() > 0 {
        bail!("{}: column {name} has {} missing values in rows {rows:?}", path.display(), c.null_count());
    }
    Ok(c.cast(&polars::prelude::DataType::Int64)?.i64()?.into_no_null_iter().collect())
}

/// Reads and analyses one Parquet file of network outputs (module docs: the wide and the long
/// layout), one row group at a time, so that memory holds one row group, not the file; a file
/// whose largest row group would not fit is refused naming its size.
pub fn analyze_parquet(
    path: &Path,
    experiments: usize,
    max_order: usize,
    width: Option<usize>,
) -> Result<FileAnalysis> {
    let bad = |what: String| anyhow!("{}: {what}", path.display());
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = ParquetReader::new(file);
    let not_parquet = |e: polars::prelude::PolarsError| bad(format!("not a Parquet file that reads ({e})"));
    let names: Vec<String> = reader.schema().map_err(not_parquet)?.iter_names().map(|n| n.to_string()).collect();
    let metadata = reader.get_metadata().map_err(not_parquet)?.clone();
    let largest = metadata.row_groups.iter().map(|g| g.total_byte_size() as u64).max().unwrap_or(0);
    if largest.saturating_mul(3) > nnqft_sampling::memory::memory_limit() {
        return Err(bad(format!(
            "a row group of {} (uncompressed) would not fit in memory; the file is read one row group at a time, so \
             write it with smaller row groups (pyarrow's row_group_size), or as .npy",
            nnqft_sampling::memory::human_bytes(largest)
        )));
    }
    let mut groups = Vec::with_capacity(metadata.row_groups.len());
    let mut offset = 0;
    for g in &metadata.row_groups {
        groups.push((offset, g.num_rows()));
        offset += g.num_rows();
    }
    let total = metadata.num_rows;
    let layout = Layout::of(path, &names)?;
    let stream = match layout {
        Layout::Wide => {
            if names.is_empty() || total == 0 {
                return Err(bad(format!(
                    "{total} rows x {} columns; expected one row per net, one column per point",
                    names.len()
                )));
            }
            let points = names.len();
            let mut stream =
                output_stream(points, 1, total as u64, experiments, max_order).map_err(|e| bad(e.to_string()))?;
            let mut rows = Vec::new();
            for &(offset, count) in &groups {
                let span = offset..offset + count;
                let df = row_group(path, &metadata, offset, count)?;
                let mut columns = Vec::with_capacity(points);
                for name in &names {
                    columns.push(float_column(path, &df, name, span.clone()).map_err(|e| {
                        if df.column(name).is_ok_and(|c| !c.dtype().is_float()) {
                            bad(format!(
                                "column {name} is {}; the wide layout has one float column per point and nothing \
                                 else (the long layout has a value column)",
                                df.column(name).map(|c| c.dtype().to_string()).unwrap_or_default()
                            ))
                        } else {
                            e
                        }
                    })?);
                }
                rows.clear();
                rows.reserve(count * points);
                for i in 0..count {
                    rows.extend(columns.iter().map(|c| c[i]));
                }
                stream.push(&rows).map_err(|e| bad(e.to_string()))?;
            }
            stream
        }
        Layout::Long { outputs } => long_stream(path, &metadata, &groups, outputs, experiments, max_order)?,
    };
    let analysis = analyze_stream(stream)?;
    let (sha256, bytes) = file_sha256(path)?;
    Ok(FileAnalysis { path: path.to_path_buf(), sha256, bytes, width, analysis })
}

/// The long layout's rows folded into a stream: the first net's rows fix the points (and outputs)
/// per net, `0..P` (and `0..O`) in order; every later net must repeat them in that order, its
/// rows contiguous, and each net's label must differ from the one before it.
fn long_stream(
    path: &Path,
    metadata: &FileMetadataRef,
    groups: &[(usize, usize)],
    outputs: bool,
    experiments: usize,
    max_order: usize,
) -> Result<OutputStream> {
    let bad = |what: String| anyhow!("{}: {what}", path.display());
    let Some(&(_, first_rows)) = groups.first().filter(|g| g.1 > 0) else {
        return Err(bad("no rows; the long layout has one row per net, point (and output)".into()));
    };
    // the first net, which must end inside the first row group
    let df = row_group(path, metadata, 0, first_rows)?;
    let nets = integer_column(path, &df, "net", 0..first_rows)?;
    let per_net = nets.iter().take_while(|&&n| n == nets[0]).count();
    if per_net == first_rows && groups.len() > 1 {
        return Err(bad(format!(
            "the first net's rows fill the first row group ({first_rows} rows); it must hold at least one whole net"
        )));
    }
    let width_of = |values: Vec<i64>| values[..per_net].iter().max().map_or(1, |m| m + 1);
    let output_count = if outputs { width_of(integer_column(path, &df, "output", 0..first_rows)?) } else { 1 };
    let output_count = usize::try_from(output_count).unwrap_or(0).max(1);
    if !per_net.is_multiple_of(output_count) {
        return Err(bad(format!("the first net has {per_net} rows, not a whole number of its {output_count} outputs")));
    }
    let points = per_net / output_count;
    let total = metadata.num_rows;
    if !total.is_multiple_of(per_net) {
        return Err(bad(format!("{total} rows are not a whole number of nets of {per_net} rows (the first net's)")));
    }
    let mut stream = output_stream(per_net, output_count, (total / per_net) as u64, experiments, max_order)
        .map_err(|e| bad(e.to_string()))?;
    let mut carry: Vec<f64> = Vec::new();
    let mut previous: Option<i64> = None;
    for &(offset, count) in groups {
        let span = offset..offset + count;
        let df = row_group(path, metadata, offset, count)?;
        let net = integer_column(path, &df, "net", span.clone())?;
        let point = integer_column(path, &df, "point", span.clone())?;
        let output = if outputs { Some(integer_column(path, &df, "output", span.clone())?) } else { None };
        let value = float_column(path, &df, "value", span.clone())?;
        for i in 0..count {
            let row = offset + i;
            let slot = row % per_net;
            let (p, o) = ((slot / output_count) as i64, (slot % output_count) as i64);
            let found_o = output.as_ref().map_or(0, |c| c[i]);
            if point[i] != p || found_o != o {
                return Err(bad(format!(
                    "row {row} has point {}{}; expected point {p}{} (rows sorted by net, then point{}, every net \
                     with points 0..{points}{} as the first net)",
                    point[i],
                    output.as_ref().map_or(String::new(), |_| format!(", output {found_o}")),
                    output.as_ref().map_or(String::new(), |_| format!(", output {o}")),
                    if outputs { ", then output" } else { "" },
                    if outputs { format!(" and outputs 0..{output_count}") } else { String::new() },
                )));
            }
            let starts = slot == 0;
            if previous.is_some_and(|prev| (prev == net[i]) == starts) {
                return Err(bad(format!(
                    "row {row} has net {}, which {}; each net's {per_net} rows are contiguous",
                    net[i],
                    if starts { "continues the net before it" } else { "breaks off the net before it" }
                )));
            }
            previous = Some(net[i]);
        }
        carry.extend_from_slice(&value);
        let whole = carry.len() - carry.len() % per_net;
        stream.push(&carry[..whole]).map_err(|e| bad(e.to_string()))?;
        carry.drain(..whole);
    }
    Ok(stream)
}

/// Reads and analyses one file by its extension: `.parquet` ([`analyze_parquet`]), anything else
/// as `.npy` ([`analyze_npy`]).
pub fn analyze_file(path: &Path, experiments: usize, max_order: usize, width: Option<usize>) -> Result<FileAnalysis> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        analyze_parquet(path, experiments, max_order, width)
    } else {
        analyze_npy(path, experiments, max_order, width)
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
