//! Performance over commits: `cargo xtask bench` runs the criterion suites and appends every
//! result of the sitting to `reports/bench/history.parquet`, one row per benchmark, with the
//! commit, the date and the machine (CPU model, cores).
//!
//! Absolute times move with the machine's load and clock; ratios measured in one sitting do
//! not. So each benchmark is also stored as a **ratio to its reference** of the same sitting:
//! a sampler benchmark (`sampler/<net>/<estimator>/<N>`) to the floor of the same net and width
//! (`sampler/<net>/floor/<N>`), every other one to the reference normal generator
//! (`primitives/normal_reference`, a fixed scalar job). A change against the previous record
//! of the same benchmark on the same machine is flagged as a regression when its ratio grew by
//! more than [`NOISE_FLOOR`] and by more than twice the two records' 95% intervals of the
//! ratio (criterion's intervals of both times, added relatively).
//!
//! With `--side-by-side` the sitting also holds the comparisons of our sampler with the NumPy and
//! JAX baselines and with our floor (module `side_by_side`). Their ratio is a **throughput** ratio,
//! ours over the reference's (above 1: we are faster), the opposite sense of a criterion row's
//! time ratio, so every row names its sense in the column `ratio_kind` ([`RatioKind`]) and a
//! regression is a ratio that *fell* there. Histories written before that column existed are read
//! with every row `time_over_reference`, and rewritten with the column at the next append.

use anyhow::{Context, Result};
use nnqft_report::report::{Table, parquet_bytes, read_parquet};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// Columns of `history.parquet`, in order (after `run_id`).
pub const COLUMNS: [&str; 13] = [
    "commit",
    "date",
    "cpu_model",
    "cores",
    "bench",
    "mean_ns",
    "ci_low_ns",
    "ci_high_ns",
    "reference",
    "ratio",
    "ratio_low",
    "ratio_high",
    "ratio_kind",
];

/// The columns of a history written before `ratio_kind` existed: the first twelve of [`COLUMNS`].
const COLUMNS_BEFORE_RATIO_KIND: usize = 12;

/// What a record's `ratio` measures, and so which way a regression goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatioKind {
    /// `time / reference time` (criterion's rows): above 1 is slower than the reference, and a
    /// growth is a regression.
    TimeOverReference,
    /// `throughput / reference throughput`, i.e. `reference time / time` (the side-by-side rows):
    /// above 1 is faster than the reference, and a fall is a regression.
    ThroughputOverReference,
}

impl RatioKind {
    /// The value of the column `ratio_kind`.
    pub fn name(self) -> &'static str {
        match self {
            Self::TimeOverReference => "time_over_reference",
            Self::ThroughputOverReference => "throughput_over_reference",
        }
    }

    /// Parses [`RatioKind::name`].
    pub fn parse(s: &str) -> Result<Self> {
        [Self::TimeOverReference, Self::ThroughputOverReference]
            .into_iter()
            .find(|k| k.name() == s)
            .with_context(|| format!("ratio_kind: {s:?} is neither time_over_reference nor throughput_over_reference"))
    }

    /// How much slower, relatively, a record with ratio `now` is than one with ratio `before`
    /// against the same reference: `now / before − 1` for a time ratio, `before / now − 1` for a
    /// throughput ratio (positive: slower).
    pub fn slowdown(self, before: f64, now: f64) -> f64 {
        match self {
            Self::TimeOverReference => now / before - 1.0,
            Self::ThroughputOverReference => before / now - 1.0,
        }
    }
}

/// The commit, date and machine shared by every record of one sitting.
#[derive(Debug, Clone, PartialEq)]
pub struct Sitting {
    /// Git commit (`-dirty` with uncommitted changes).
    pub commit: String,
    /// RFC 3339 UTC time.
    pub date: String,
    /// The machine.
    pub machine: Machine,
}

impl Sitting {
    /// This commit, now, on this machine.
    pub fn now() -> Self {
        let date = nnqft_run::provenance::rfc3339(nnqft_run::provenance::unix_now());
        Self { commit: nnqft_run::provenance::git_commit(), date, machine: Machine::this() }
    }
}

/// Smallest relative growth of a ratio flagged as a regression (timing noise on a shared
/// machine is a few percent even between ratios).
pub const NOISE_FLOOR: f64 = 0.05;

/// The yardstick of benchmarks without a floor of their own.
pub const YARDSTICK: &str = "primitives/normal_reference";

/// One criterion result: mean time per iteration and its 95% interval, in ns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Mean time per iteration.
    pub mean_ns: f64,
    /// Lower end of its 95% interval.
    pub ci_low_ns: f64,
    /// Upper end of its 95% interval.
    pub ci_high_ns: f64,
}

/// The machine a sitting ran on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// `model name` of `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Cores available to the process.
    pub cores: i64,
}

impl Machine {
    /// This machine: `/proc/cpuinfo`'s model name (`unknown` elsewhere) and the cores the
    /// process may use.
    pub fn this() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as i64);
        Self { cpu_model, cores }
    }
}

/// One row of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Git commit (`-dirty` with uncommitted changes).
    pub commit: String,
    /// RFC 3339 UTC time of the record.
    pub date: String,
    /// The machine.
    pub machine: Machine,
    /// Criterion's full id, e.g. `sampler/erf/raw/100`, or a side-by-side row's name, e.g.
    /// `side_by_side/raw/erf/N100/jax` (module `side_by_side`).
    pub bench: String,
    /// Criterion's estimate of the mean (a side-by-side row: the time per network and the
    /// range of its rounds).
    pub estimate: Estimate,
    /// The benchmark the ratio is taken to (itself for the yardstick), or the baseline.
    pub reference: String,
    /// The ratio to the reference, in the sense of `kind`.
    pub ratio: f64,
    /// Lower end of the ratio's interval.
    pub ratio_low: f64,
    /// Upper end of the ratio's interval.
    pub ratio_high: f64,
    /// What `ratio` measures.
    pub kind: RatioKind,
}

/// The reference of benchmark `bench` (see the module docs).
pub fn reference_of(bench: &str) -> String {
    let parts: Vec<&str> = bench.split('/').collect();
    match parts.as_slice() {
        ["sampler", net, _, width] => format!("sampler/{net}/floor/{width}"),
        _ => YARDSTICK.to_string(),
    }
}

/// The criterion results under `dir` (criterion's output folder) written at or after `since`:
/// `full_id` from each `new/benchmark.json`, the mean from `new/estimates.json`.
pub fn collect(dir: &Path, since: SystemTime) -> Result<BTreeMap<String, Estimate>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "new") {
                    let estimates = path.join("estimates.json");
                    let fresh = std::fs::metadata(&estimates).and_then(|m| m.modified()).is_ok_and(|t| t >= since);
                    if fresh {
                        let (id, estimate) = read_result(&path)?;
                        out.insert(id, estimate);
                    }
                } else {
                    stack.push(path);
                }
            }
        }
    }
    Ok(out)
}

/// `(full_id, mean)` of one criterion `new/` folder.
fn read_result(new: &Path) -> Result<(String, Estimate)> {
    let read = |name: &str| -> Result<serde_json::Value> {
        let path = new.join(name);
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not criterion's JSON", path.display()))
    };
    let (bench, estimates) = (read("benchmark.json")?, read("estimates.json")?);
    let id = bench["full_id"].as_str().with_context(|| format!("no full_id in {}", new.display()))?.to_string();
    let mean = &estimates["mean"];
    let number = |v: &serde_json::Value| v.as_f64().with_context(|| format!("no mean in {}", new.display()));
    let estimate = Estimate {
        mean_ns: number(&mean["point_estimate"])?,
        ci_low_ns: number(&mean["confidence_interval"]["lower_bound"])?,
        ci_high_ns: number(&mean["confidence_interval"]["upper_bound"])?,
    };
    Ok((id, estimate))
}

/// The records of one sitting: every criterion result with its time ratio to its reference
/// (results whose reference did not run in the sitting are left out, and named on stderr).
pub fn records(results: &BTreeMap<String, Estimate>, sitting: &Sitting) -> Vec<Record> {
    let mut out = Vec::new();
    for (bench, e) in results {
        let reference = reference_of(bench);
        let Some(r) = results.get(&reference) else {
            eprintln!("{bench}: its reference {reference} did not run in this sitting; not recorded");
            continue;
        };
        out.push(Record {
            commit: sitting.commit.clone(),
            date: sitting.date.clone(),
            machine: sitting.machine.clone(),
            bench: bench.clone(),
            estimate: *e,
            reference,
            ratio: e.mean_ns / r.mean_ns,
            ratio_low: e.ci_low_ns / r.ci_high_ns,
            ratio_high: e.ci_high_ns / r.ci_low_ns,
            kind: RatioKind::TimeOverReference,
        });
    }
    out
}

fn table(records: &[Record]) -> Table {
    let col = |f: fn(&Record) -> f64| records.iter().map(f).collect::<Vec<_>>();
    Table::new()
        .str("commit", records.iter().map(|r| r.commit.clone()))
        .str("date", records.iter().map(|r| r.date.clone()))
        .str("cpu_model", records.iter().map(|r| r.machine.cpu_model.clone()))
        .int("cores", records.iter().map(|r| r.machine.cores))
        .str("bench", records.iter().map(|r| r.bench.clone()))
        .f64("mean_ns", col(|r| r.estimate.mean_ns))
        .f64("ci_low_ns", col(|r| r.estimate.ci_low_ns))
        .f64("ci_high_ns", col(|r| r.estimate.ci_high_ns))
        .str("reference", records.iter().map(|r| r.reference.clone()))
        .f64("ratio", col(|r| r.ratio))
        .f64("ratio_low", col(|r| r.ratio_low))
        .f64("ratio_high", col(|r| r.ratio_high))
        .str("ratio_kind", records.iter().map(|r| r.kind.name().to_string()))
}

/// Reads a history file back (an absent file is an empty history; one written before the column
/// `ratio_kind` existed has criterion's time ratios only, and is read so).
pub fn read(path: &Path) -> Result<Vec<Record>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let df = read_parquet(path)?;
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let want: Vec<String> = std::iter::once("run_id").chain(COLUMNS).map(String::from).collect();
    let legacy = names.len() == COLUMNS_BEFORE_RATIO_KIND + 1 && want.starts_with(&names);
    anyhow::ensure!(
        names == want || legacy,
        "{} has columns {names:?}, not {want:?} (or their first {})",
        path.display(),
        COLUMNS_BEFORE_RATIO_KIND + 1
    );
    let s = |name: &str| -> Result<Vec<String>> {
        let c = df.column(name)?.str()?;
        Ok((0..df.height()).map(|i| c.get(i).unwrap_or_default().to_string()).collect())
    };
    let f = |name: &str| -> Result<Vec<f64>> {
        let c = df.column(name)?.f64()?;
        Ok((0..df.height()).map(|i| c.get(i).unwrap_or(f64::NAN)).collect())
    };
    let (commit, date, cpu, bench, reference) =
        (s("commit")?, s("date")?, s("cpu_model")?, s("bench")?, s("reference")?);
    let cores_col = df.column("cores")?.i64()?;
    let cores: Vec<i64> = (0..df.height()).map(|i| cores_col.get(i).unwrap_or(0)).collect();
    let (mean, low, high) = (f("mean_ns")?, f("ci_low_ns")?, f("ci_high_ns")?);
    let (ratio, ratio_low, ratio_high) = (f("ratio")?, f("ratio_low")?, f("ratio_high")?);
    let kinds: Vec<RatioKind> = if legacy {
        vec![RatioKind::TimeOverReference; df.height()]
    } else {
        s("ratio_kind")?
            .iter()
            .enumerate()
            .map(|(i, k)| RatioKind::parse(k).with_context(|| format!("row {i} of {}", path.display())))
            .collect::<Result<_>>()?
    };
    Ok((0..df.height())
        .map(|i| Record {
            commit: commit[i].clone(),
            date: date[i].clone(),
            machine: Machine { cpu_model: cpu[i].clone(), cores: cores[i] },
            bench: bench[i].clone(),
            estimate: Estimate { mean_ns: mean[i], ci_low_ns: low[i], ci_high_ns: high[i] },
            reference: reference[i].clone(),
            ratio: ratio[i],
            ratio_low: ratio_low[i],
            ratio_high: ratio_high[i],
            kind: kinds[i],
        })
        .collect())
}

/// Appends `new` to the history at `path` (created with its folder if absent), atomically.
pub fn append(path: &Path, new: &[Record]) -> Result<()> {
    let mut all = read(path)?;
    all.extend_from_slice(new);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    nnqft_run::atomic::write_atomic(path, &parquet_bytes(table(&all), "bench")?)
}

/// A benchmark's change against its previous record on the same machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The benchmark.
    pub bench: String,
    /// Its previous record on this machine, if any.
    pub before: Option<Record>,
    /// This sitting's record.
    pub now: Record,
    /// `now.ratio / before.ratio − 1` (the ratio's own change, in its own sense).
    pub change: Option<f64>,
    /// Beyond [`NOISE_FLOOR`] and twice the intervals (see the module docs), in the slower
    /// direction of the ratio's kind ([`RatioKind::slowdown`]).
    pub regression: bool,
}

/// The changes of `now` against the latest earlier record of each benchmark on the same
/// machine in `history` (a record of another ratio kind is no earlier record).
pub fn changes(history: &[Record], now: &[Record]) -> Vec<Change> {
    now.iter()
        .map(|r| {
            let before = history
                .iter()
                .rev()
                .find(|h| h.bench == r.bench && h.machine == r.machine && h.kind == r.kind)
                .cloned();
            let change = before.as_ref().map(|b| r.ratio / b.ratio - 1.0);
            let regression = before.as_ref().is_some_and(|b| {
                let half = |x: &Record| 0.5 * (x.ratio_high - x.ratio_low) / x.ratio;
                let slowdown = r.kind.slowdown(b.ratio, r.ratio);
                slowdown > NOISE_FLOOR && slowdown > 2.0 * (half(b) + half(r))
            });
            Change { bench: r.bench.clone(), before, now: r.clone(), change, regression }
        })
        .collect()
}

/// The changes as a Markdown table (benchmark, reference, what the ratio is, ratio before and
/// now, change, flag).
pub fn markdown(changes: &[Change]) -> String {
    let mut s = String::from(
        "| bench | reference | ratio | ratio before | ratio now | change | |\n|---|---|---|---|---|---|---|\n",
    );
    for c in changes {
        let before = c.before.as_ref().map_or("-".into(), |b| format!("{:.4} ({})", b.ratio, short(&b.commit)));
        let change = c.change.map_or("first record".into(), |x| format!("{:+.1}%", 100.0 * x));
        let flag = if c.regression { "REGRESSION" } else { "" };
        let kind = match c.now.kind {
            RatioKind::TimeOverReference => "time / reference's",
            RatioKind::ThroughputOverReference => "throughput / reference's",
        };
        s += &format!(
            "| {} | {} | {kind} | {before} | {:.4} | {change} | {flag} |\n",
            c.bench, c.now.reference, c.now.ratio
        );
    }
    s
}

/// The criterion results written since `since` under `criterion_dir` as records of `sitting`.
pub fn criterion_records(criterion_dir: &Path, since: SystemTime, sitting: &Sitting) -> Result<Vec<Record>> {
    let results = collect(criterion_dir, since)?;
    anyhow::ensure!(!results.is_empty(), "no criterion results in {} from this sitting", criterion_dir.display());
    Ok(records(&results, sitting))
}

/// Appends the records of a sitting, `now`, to the history at `history` and returns their changes
/// against the previous records (printed by `cargo xtask bench`).
pub fn record_sitting(now: &[Record], history: &Path) -> Result<Vec<Change>> {
    let before = read(history)?;
    let out = changes(&before, now);
    append(history, now)?;
    Ok(out)
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(9)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(bench: &str, ratio: f64, half: f64, cores: i64) -> Record {
        Record {
            commit: "abc".into(),
            date: "2026-11-29T00:00:00Z".into(),
            machine: Machine { cpu_model: "cpu".into(), cores },
            bench: bench.into(),
            estimate: Estimate { mean_ns: 10.0, ci_low_ns: 9.0, ci_high_ns: 11.0 },
            reference: reference_of(bench),
            ratio,
            ratio_low: ratio * (1.0 - half),
            ratio_high: ratio * (1.0 + half),
            kind: RatioKind::TimeOverReference,
        }
    }

    fn throughput(bench: &str, ratio: f64, half: f64) -> Record {
        let reference = bench.rsplit('/').next().unwrap_or_default().to_string();
        Record { kind: RatioKind::ThroughputOverReference, reference, ..record(bench, ratio, half, 2) }
    }

    #[test]
    fn references_pair_estimators_with_their_floor() {
        assert_eq!(reference_of("sampler/erf/raw/100"), "sampler/erf/floor/100");
        assert_eq!(reference_of("primitives/erf_lanes"), YARDSTICK);
        assert_eq!(reference_of("tensors/exact/relu"), YARDSTICK);
    }

    #[test]
    fn regressions_need_more_than_the_noise() {
        let history = vec![record("a", 1.0, 0.01, 2), record("b", 1.0, 0.2, 2), record("c", 1.0, 0.01, 4)];
        let now = vec![record("a", 1.10, 0.01, 2), record("b", 1.10, 0.2, 2), record("c", 1.5, 0.01, 2)];
        let c = changes(&history, &now);
        assert!(c[0].regression, "10% beyond tight intervals");
        assert!(!c[1].regression, "10% inside wide intervals");
        assert!(c[2].before.is_none() && !c[2].regression, "another machine is no record");
        assert!(markdown(&c).contains("REGRESSION") && markdown(&c).contains("first record"));
    }

    /// A throughput ratio (ours over the baseline's) regresses when it falls, a time ratio when it
    /// grows: the same moves, opposite flags.
    #[test]
    fn throughput_ratios_regress_when_they_fall() {
        let history = vec![
            throughput("side_by_side/raw/erf/N100/jax", 3.0, 0.01),
            throughput("side_by_side/raw/erf/N1000/jax", 3.0, 0.01),
            throughput("side_by_side/raw/relu/N100/jax", 3.0, 0.2),
            record("sampler/erf/raw/100", 1.0, 0.01, 2),
        ];
        let now = vec![
            throughput("side_by_side/raw/erf/N100/jax", 2.7, 0.01),
            throughput("side_by_side/raw/erf/N1000/jax", 3.3, 0.01),
            throughput("side_by_side/raw/relu/N100/jax", 2.7, 0.2),
            record("sampler/erf/raw/100", 0.9, 0.01, 2),
        ];
        let c = changes(&history, &now);
        assert!(c[0].regression, "a speed-up fallen by 10% (11% slower) beyond tight intervals");
        assert!(!c[1].regression, "a speed-up grown by 10% is faster");
        assert!(!c[2].regression, "10% inside wide intervals");
        assert!(!c[3].regression, "a time ratio fallen by 10% is faster");
        assert_eq!(c[0].change, Some(2.7 / 3.0 - 1.0));
        let table = markdown(&c);
        assert_eq!(table.matches("REGRESSION").count(), 1, "{table}");
        assert!(table.contains("| side_by_side/raw/erf/N100/jax | jax | throughput / reference's | 3.0000 (abc) | 2.7000 | -10.0% | REGRESSION |"), "{table}");
        // the same benchmark recorded with the other sense is no earlier record
        let other = vec![record("side_by_side/raw/erf/N100/jax", 3.0, 0.01, 2)];
        assert!(changes(&other, &now[..1])[0].before.is_none());
    }

    #[test]
    fn slowdown_goes_the_ratio_kinds_way() {
        // exact in binary floating point
        let slowdowns = [
            RatioKind::TimeOverReference.slowdown(2.0, 3.0),
            RatioKind::ThroughputOverReference.slowdown(3.0, 2.0),
            RatioKind::ThroughputOverReference.slowdown(2.0, 4.0),
        ];
        assert_eq!(slowdowns.map(f64::to_bits), [0.5, 0.5, -0.5].map(f64::to_bits), "{slowdowns:?}");
        for kind in [RatioKind::TimeOverReference, RatioKind::ThroughputOverReference] {
            assert_eq!(RatioKind::parse(kind.name()).unwrap(), kind);
        }
        let err = RatioKind::parse("speed").unwrap_err().to_string();
        assert!(err.contains("ratio_kind") && err.contains("time_over_reference"), "{err}");
    }
}

/// The history read back: criterion's files read, ratios to the floor, the Parquet schema (on a
/// written file and on the committed `reports/bench/history.parquet`, written before the column
/// `ratio_kind`).
#[cfg(test)]
mod files {
    use crate::bench_history::{self, COLUMNS, Machine, RatioKind, Sitting};
    use polars::prelude::DataType;
    use std::path::{Path, PathBuf};
    use std::time::UNIX_EPOCH;

    fn fake_result(dir: &Path, full_id: &str, mean: f64) {
        let new = dir.join(full_id.replace('/', "_")).join("new");
        std::fs::create_dir_all(&new).unwrap();
        let bench = serde_json::json!({ "group_id": "g", "full_id": full_id, "directory_name": full_id });
        let estimates = serde_json::json!({ "mean": {
            "confidence_interval": { "confidence_level": 0.95, "lower_bound": 0.98 * mean, "upper_bound": 1.02 * mean },
            "point_estimate": mean, "standard_error": 0.01 * mean } });
        std::fs::write(new.join("benchmark.json"), bench.to_string()).unwrap();
        std::fs::write(new.join("estimates.json"), estimates.to_string()).unwrap();
    }

    /// The column names of `path` (after `run_id`), checked for their types and for no nulls.
    fn check_schema(path: &Path) -> Vec<String> {
        let df = nnqft_report::report::read_parquet(path).unwrap();
        let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        assert_eq!(names[0], "run_id", "{}", path.display());
        for c in df.columns() {
            let want = match c.name().as_str() {
                "cores" => DataType::Int64,
                "mean_ns" | "ci_low_ns" | "ci_high_ns" | "ratio" | "ratio_low" | "ratio_high" => DataType::Float64,
                _ => DataType::String,
            };
            assert_eq!(c.dtype(), &want, "{} in {}", c.name(), path.display());
            assert_eq!(c.null_count(), 0, "{} in {}", c.name(), path.display());
        }
        names[1..].to_vec()
    }

    fn scratch(name: &str) -> PathBuf {
        let tmp = std::env::temp_dir().join(format!("nnqft-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        tmp
    }

    fn sitting() -> Sitting {
        let machine = Machine { cpu_model: "test cpu".into(), cores: 2 };
        Sitting { commit: "c0ffee".into(), date: "2026-11-29T00:00:00Z".into(), machine }
    }

    #[test]
    fn a_sitting_is_recorded_with_ratios_to_its_floor() {
        let tmp = scratch("history");
        let criterion = tmp.join("criterion");
        fake_result(&criterion, "sampler/erf/raw/100", 300.0);
        fake_result(&criterion, "sampler/erf/floor/100", 200.0);
        fake_result(&criterion, "primitives/normal_reference", 1000.0);
        fake_result(&criterion, "primitives/erf_lanes", 250.0);
        // a result whose reference did not run is left out
        fake_result(&criterion, "sampler/relu/raw/5", 10.0);
        let results = bench_history::collect(&criterion, UNIX_EPOCH).unwrap();
        assert_eq!(results.len(), 5);
        let records = bench_history::records(&results, &sitting());
        let ratio = |id: &str| records.iter().find(|r| r.bench == id).map(|r| r.ratio);
        assert_eq!(records.len(), 4);
        assert_eq!(ratio("sampler/erf/raw/100"), Some(1.5));
        assert_eq!(ratio("primitives/erf_lanes"), Some(0.25));
        assert_eq!(ratio("sampler/relu/raw/5"), None);
        let raw = records.iter().find(|r| r.bench == "sampler/erf/raw/100").unwrap();
        assert!(raw.ratio_low < 1.5 && raw.ratio_high > 1.5);
        assert!(records.iter().all(|r| r.kind == RatioKind::TimeOverReference));

        let history = tmp.join("bench").join("history.parquet");
        bench_history::append(&history, &records).unwrap();
        assert_eq!(check_schema(&history), COLUMNS);
        // a second sitting, slower by 20% against the floor: appended, and flagged
        let mut slower = records.clone();
        slower.iter_mut().filter(|r| r.bench == "sampler/erf/raw/100").for_each(|r| {
            r.ratio *= 1.2;
            r.ratio_low *= 1.2;
            r.ratio_high *= 1.2;
        });
        let before = bench_history::read(&history).unwrap();
        assert_eq!(before, records);
        let changes = bench_history::changes(&before, &slower);
        assert!(changes.iter().all(|c| c.regression == (c.bench == "sampler/erf/raw/100")), "{changes:?}");
        bench_history::append(&history, &slower).unwrap();
        assert_eq!(check_schema(&history), COLUMNS);
        assert_eq!(bench_history::read(&history).unwrap().len(), 8);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    /// The committed history predates `ratio_kind`: it is read (every row a time ratio), and a
    /// sitting with side-by-side rows appended to a copy of it keeps its rows as they were and
    /// writes the column.
    #[test]
    fn the_committed_history_is_read_and_extended() {
        let path = nnqft_cli::command_line::workspace_root().join("reports/bench/history.parquet");
        assert!(path.exists(), "{} is missing (run cargo xtask bench)", path.display());
        let columns = check_schema(&path);
        assert!(columns == COLUMNS || columns == COLUMNS[..12], "{columns:?}");
        let old = bench_history::read(&path).unwrap();
        assert!(!old.is_empty());
        if columns.len() == 12 {
            assert!(old.iter().all(|r| r.kind == RatioKind::TimeOverReference));
        }

        let tmp = scratch("committed");
        std::fs::create_dir_all(&tmp).unwrap();
        let copy = tmp.join("history.parquet");
        std::fs::copy(&path, &copy).unwrap();
        let mut side = old[0].clone();
        side.bench = "side_by_side/raw/erf/N100/jax".into();
        side.reference = "jax".into();
        side.kind = RatioKind::ThroughputOverReference;
        bench_history::append(&copy, std::slice::from_ref(&side)).unwrap();
        assert_eq!(check_schema(&copy), COLUMNS);
        let back = bench_history::read(&copy).unwrap();
        assert_eq!(back[..old.len()], old[..]);
        assert_eq!(back[old.len()..], [side]);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn a_history_of_other_columns_is_refused() {
        let tmp = scratch("foreign");
        std::fs::create_dir_all(&tmp).unwrap();
        let path = tmp.join("history.parquet");
        let table = nnqft_report::report::Table::new().str("commit", ["abc".to_string()]);
        std::fs::write(&path, nnqft_report::report::parquet_bytes(table, "bench").unwrap()).unwrap();
        let err = bench_history::read(&path).unwrap_err().to_string();
        assert!(err.contains("has columns") && err.contains("ratio_kind"), "{err}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
