//! `nnqft analyze`: the field-theory analysis of network outputs that nnqft did not sample,
//! read from NumPy `.npy` files or wide Parquet tables, one ensemble per file ([`nnqft_study::analyze`]); written as
//! `analysis.parquet` (per multiset), `analysis_summary.parquet` (per file and order),
//! `analysis_fits.parquet` (with `--widths`: the width scan's fits) and `SUMMARY.md`.
//!
//! A file holds a C-ordered array of `float64` or `float32` (either byte order): `f[net, point]`
//! or `f[net, point, output]`. It is read in blocks, so its size is bounded by the disk, not by
//! memory, and hashed as it is read: provenance names each file with its SHA-256 (what
//! `sha256sum` prints). A `.parquet` file is a wide table, one row per net and one float column
//! per point ([`analyze_parquet`]), read whole. Nothing is written unless every file reads and
//! analyses.

use crate::report::Table;
use anyhow::{Context, Result, anyhow, bail};
use nnqft_sampling::OutputStream;
use nnqft_study::analyze::{Analysis, Encoding, NamedAnalysis, ScanFit, analyze_stream, output_stream, width_scan};
use nnqft_theory::InputSet;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Options of `analyze`.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
pub struct AnalyzeArgs {
    /// Files of network outputs, one ensemble each: `.npy`, a C-ordered float64 or float32 array
    /// f[net, point] or f[net, point, output]; or `.parquet`, one row per net and one float
    /// column per point.
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// The width of each file's networks (comma-separated, one per file, each >= 1): the files
    /// are then one architecture at several widths, and `analysis_fits.parquet` holds the 1/N
    /// scaling fits.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub widths: Option<Vec<usize>>,
    /// Experiments (>= 4): the nets of a file are split into this many equal experiments of
    /// consecutive nets, whose spread gives the standard errors; must divide the number of nets.
    #[arg(long, default_value_t = 10)]
    pub experiments: usize,
    /// The points' input set, checked against the files' point count: a file path (one point per
    /// line) or a paper set name.
    #[arg(long)]
    pub x_set: Option<String>,
}

/// One file, read and analysed.
#[derive(Debug, Clone)]
pub struct FileAnalysis {
    /// The file.
    pub path: PathBuf,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its width (`--widths`).
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
    let df = crate::report::read_parquet(path).map_err(|e| bad(format!("not a Parquet file that reads ({e})")))?;
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

/// Reads and analyses every file of `args`, checking them against each other, `--widths` and
/// `--x-set`; then the width scan's fits (with `--widths`).
pub fn analyze_files(args: &AnalyzeArgs) -> Result<(Vec<FileAnalysis>, Vec<ScanFit>)> {
    if let Some(w) = &args.widths {
        if w.len() != args.files.len() {
            bail!("--widths has {} values for {} files; give one width per file", w.len(), args.files.len());
        }
        if let Some(bad) = w.iter().find(|&&w| w == 0) {
            bail!("--widths: {bad}; allowed are integers >= 1");
        }
    }
    let expected_points =
        args.x_set.as_deref().map(|x| crate::options::input_set(x).map(|xs: InputSet| xs.len())).transpose()?;
    let mut out: Vec<FileAnalysis> = Vec::with_capacity(args.files.len());
    for (i, path) in args.files.iter().enumerate() {
        let fa = analyze_file(path, args.experiments, args.widths.as_ref().map(|w| w[i]))?;
        if let Some(m) = expected_points
            && fa.analysis.inputs != m
        {
            bail!("{} has {} input points; --x-set has {m}", path.display(), fa.analysis.inputs);
        }
        if let Some(first) = out.first()
            && (first.analysis.inputs, first.analysis.outputs) != (fa.analysis.inputs, fa.analysis.outputs)
        {
            bail!(
                "{} has {} points x {} outputs but {} has {} x {}: the files of one analysis share their points",
                path.display(),
                fa.analysis.inputs,
                fa.analysis.outputs,
                first.path.display(),
                first.analysis.inputs,
                first.analysis.outputs
            );
        }
        out.push(fa);
    }
    let fits = match &args.widths {
        Some(w) if w.len() >= 2 => {
            width_scan(&out.iter().map(|f| (f.width.unwrap_or(0), &f.analysis)).collect::<Vec<_>>())?
        }
        _ => Vec::new(),
    };
    Ok((out, fits))
}

fn source(f: &FileAnalysis) -> String {
    f.path.file_name().map_or_else(|| f.path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// `table` of the files, each named by its file name ([`NamedAnalysis`]).
fn with_named(files: &[FileAnalysis], table: fn(&[NamedAnalysis<'_>]) -> Table) -> Table {
    let sources: Vec<String> = files.iter().map(source).collect();
    let ensembles: Vec<NamedAnalysis<'_>> = files
        .iter()
        .zip(&sources)
        .map(|(f, source)| NamedAnalysis { source, width: f.width, analysis: &f.analysis })
        .collect();
    table(&ensembles)
}

/// `analysis.parquet`: per file and multiset, [`nnqft_study::analyze::correlators_table`].
pub fn analysis_table(files: &[FileAnalysis]) -> Table {
    with_named(files, nnqft_study::analyze::correlators_table)
}

/// `analysis_summary.parquet`: per file and order 4, 6, [`nnqft_study::analyze::summary_table`].
pub fn summary_table(files: &[FileAnalysis]) -> Table {
    with_named(files, nnqft_study::analyze::summary_table)
}

/// `analysis_fits.parquet`: the width scan's fits, [`nnqft_study::analyze::fits_table`].
pub fn fits_table(fits: &[ScanFit]) -> Table {
    nnqft_study::analyze::fits_table(fits)
}

/// `SUMMARY.md` of an analysis: what was read, `m_n` per file and order, and the width scan's
/// fits, every figure from the rows.
pub fn summary_markdown(files: &[FileAnalysis], fits: &[ScanFit]) -> String {
    let mut s = String::from("# Analysis of network outputs\n\n");
    let _ = writeln!(
        s,
        "Each file is one ensemble; its nets are split into equal experiments of consecutive nets. `g_gp` is the \
         Wick sum of the ensemble's own measured G2 and `connected` the joint cumulant, both unbiased \
         (products over distinct experiments); standard errors are delete-one jackknife over experiments.\n"
    );
    let _ = writeln!(
        s,
        "| file | width | nets | experiments | points | outputs | max \\|mean\\| / stderr | SHA-256 |\n\
         |---|---|---|---|---|---|---|---|"
    );
    for f in files {
        let a = &f.analysis;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | `{}` |",
            source(f),
            f.width.map_or("-".into(), |w| w.to_string()),
            a.nets * a.experiments as u64,
            a.experiments,
            a.inputs,
            a.outputs,
            a.mean_max_abs_z.map_or("-".into(), |z| format!("{z:.2}")),
            &f.sha256[..16]
        );
    }
    for f in files.iter().filter(|f| f.analysis.mean_resolved()) {
        let _ = writeln!(
            s,
            "\n**{}: the mean output is resolved from zero** (max |mean| / stderr {:.1}, above the threshold {:.1} \
             of {} experiments): `g_gp` and `connected` assume outputs of mean zero, and here they are not the \
             Gaussian process and the cumulants; analyse the centred outputs.",
            source(f),
            f.analysis.mean_max_abs_z.unwrap_or(f64::NAN),
            nnqft_study::analyze::resolved_threshold(f.analysis.experiments).unwrap_or(f64::NAN),
            f.analysis.experiments
        );
    }
    let _ = writeln!(
        s,
        "\n## m_n against the GP of the measured G2\n\n| file | n | m_n | stderr | background | connected 6-pt / GP | multisets used |\n|---|---|---|---|---|---|---|"
    );
    let num = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4e}"));
    for f in files {
        for o in &f.analysis.summary {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                source(f),
                o.n,
                num(o.m_n),
                num(o.m_n_stderr),
                num(o.background),
                num(o.connected_6pt),
                o.multisets_used
            );
        }
    }
    if !fits.is_empty() {
        let _ = writeln!(
            s,
            "\n## Width scan\n\n| n | quantity | method | slope | 95% interval | expected | widths used |\n|---|---|---|---|---|---|---|"
        );
        for r in fits {
            let (slope, interval) = r.fit.as_ref().map_or(("not resolved".to_string(), "-".to_string()), |p| {
                (format!("{:.3}", p.slope), format!("[{:.3}, {:.3}]", p.slope_lo, p.slope_hi))
            });
            let _ = writeln!(
                s,
                "| {} | {} | {} | {slope} | {interval} | {} | {} |",
                r.n,
                r.quantity.name(),
                r.quantity.method(),
                r.slope_expected,
                r.widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",")
            );
        }
    }
    s
}

/// The inputs as provenance records: path, bytes, SHA-256, nets, points, outputs.
pub fn inputs_json(files: &[FileAnalysis]) -> serde_json::Value {
    serde_json::Value::Array(
        files
            .iter()
            .map(|f| {
                serde_json::json!({
                    "path": f.path.display().to_string(),
                    "bytes": f.bytes,
                    "sha256": f.sha256,
                    "width": f.width,
                    "nets": f.analysis.nets * f.analysis.experiments as u64,
                    "points": f.analysis.inputs,
                    "outputs": f.analysis.outputs,
                })
            })
            .collect(),
    )
}

/// The default output folder name's stem.
pub fn folder_stem(args: &AnalyzeArgs) -> String {
    args.files
        .first()
        .and_then(|p| p.file_stem())
        .map_or_else(|| "outputs".into(), |s| s.to_string_lossy().into_owned())
}

/// Every listed file exists and is a file (before anything is read).
pub fn check_files(args: &AnalyzeArgs) -> Result<()> {
    for p in &args.files {
        if !p.is_file() {
            bail!("{}: no such file", p.display());
        }
    }
    Ok(())
}

/// `PathBuf`s of the tables this command writes (for tests and messages).
pub fn written(out: &Path, fits: bool) -> Vec<PathBuf> {
    let mut v = vec![out.join("analysis.parquet"), out.join("analysis_summary.parquet"), out.join("SUMMARY.md")];
    if fits {
        v.push(out.join("analysis_fits.parquet"));
    }
    v
}
