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

use anyhow::{Context, Result};
use nnqft_report::report::{Table, parquet_bytes, read_parquet};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// Columns of `history.parquet`, in order (after `run_id`).
pub const COLUMNS: [&str; 12] = [
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
];

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
    /// Criterion's full id, e.g. `sampler/erf/raw/100`.
    pub bench: String,
    /// Criterion's estimate of the mean.
    pub estimate: Estimate,
    /// The benchmark the ratio is taken to (itself for the yardstick).
    pub reference: String,
    /// `mean / reference mean`, and its interval.
    pub ratio: f64,
    /// Lower end of the ratio's interval (from both times' intervals).
    pub ratio_low: f64,
    /// Upper end of the ratio's interval.
    pub ratio_high: f64,
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

/// The records of one sitting: every result with its ratio to its reference (results whose
/// reference did not run in the sitting are left out, and named on stderr).
pub fn records(results: &BTreeMap<String, Estimate>, commit: &str, date: &str, machine: &Machine) -> Vec<Record> {
    let mut out = Vec::new();
    for (bench, e) in results {
        let reference = reference_of(bench);
        let Some(r) = results.get(&reference) else {
            eprintln!("{bench}: its reference {reference} did not run in this sitting; not recorded");
            continue;
        };
        out.push(Record {
            commit: commit.to_string(),
            date: date.to_string(),
            machine: machine.clone(),
            bench: bench.clone(),
            estimate: *e,
            reference,
            ratio: e.mean_ns / r.mean_ns,
            ratio_low: e.ci_low_ns / r.ci_high_ns,
            ratio_high: e.ci_high_ns / r.ci_low_ns,
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
}

/// Reads a history file back (an absent file is an empty history).
pub fn read(path: &Path) -> Result<Vec<Record>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let df = read_parquet(path)?;
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let want: Vec<String> = std::iter::once("run_id").chain(COLUMNS).map(String::from).collect();
    anyhow::ensure!(names == want, "{} has columns {names:?}, not {want:?}", path.display());
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
    /// `now.ratio / before.ratio − 1`.
    pub change: Option<f64>,
    /// Beyond [`NOISE_FLOOR`] and twice the intervals (see the module docs).
    pub regression: bool,
}

/// The changes of `now` against the latest earlier record of each benchmark on the same
/// machine in `history`.
pub fn changes(history: &[Record], now: &[Record]) -> Vec<Change> {
    now.iter()
        .map(|r| {
            let before = history.iter().rev().find(|h| h.bench == r.bench && h.machine == r.machine).cloned();
            let change = before.as_ref().map(|b| r.ratio / b.ratio - 1.0);
            let regression = match (&before, change) {
                (Some(b), Some(c)) => {
                    let half = |x: &Record| 0.5 * (x.ratio_high - x.ratio_low) / x.ratio;
                    c > NOISE_FLOOR && c > 2.0 * (half(b) + half(r))
                }
                _ => false,
            };
            Change { bench: r.bench.clone(), before, now: r.clone(), change, regression }
        })
        .collect()
}

/// The changes as a Markdown table (benchmark, ratio before and now, change, flag).
pub fn markdown(changes: &[Change]) -> String {
    let mut s =
        String::from("| bench | reference | ratio before | ratio now | change | |\n|---|---|---|---|---|---|\n");
    for c in changes {
        let before = c.before.as_ref().map_or("-".into(), |b| format!("{:.4} ({})", b.ratio, short(&b.commit)));
        let change = c.change.map_or("first record".into(), |x| format!("{:+.1}%", 100.0 * x));
        let flag = if c.regression { "REGRESSION" } else { "" };
        s += &format!("| {} | {} | {before} | {:.4} | {change} | {flag} |\n", c.bench, c.now.reference, c.now.ratio);
    }
    s
}

/// Records the criterion results written since `since` under `criterion_dir` into the history
/// at `history` with this commit, date and machine, and returns the changes against the
/// previous records (printed by `cargo xtask bench`).
pub fn record_sitting(criterion_dir: &Path, since: SystemTime, history: &Path) -> Result<Vec<Change>> {
    let results = collect(criterion_dir, since)?;
    anyhow::ensure!(!results.is_empty(), "no criterion results in {} from this sitting", criterion_dir.display());
    let date = nnqft_run::provenance::rfc3339(nnqft_run::provenance::unix_now());
    let now = records(&results, &nnqft_run::provenance::git_commit(), &date, &Machine::this());
    let before = read(history)?;
    let out = changes(&before, &now);
    append(history, &now)?;
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
        }
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
}

/// The history read back: criterion's files read, ratios to the floor, the Parquet schema (on a
/// written file and on the committed `reports/bench/history.parquet`).
#[cfg(test)]
mod files {
    use crate::bench_history::{self, COLUMNS, Machine};
    use polars::prelude::DataType;
    use std::path::Path;
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

    fn check_schema(path: &Path) {
        let df = nnqft_report::report::read_parquet(path).unwrap();
        let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        let want: Vec<String> = std::iter::once("run_id").chain(COLUMNS).map(String::from).collect();
        assert_eq!(names, want, "{}", path.display());
        for c in df.columns() {
            let want = match c.name().as_str() {
                "cores" => DataType::Int64,
                "mean_ns" | "ci_low_ns" | "ci_high_ns" | "ratio" | "ratio_low" | "ratio_high" => DataType::Float64,
                _ => DataType::String,
            };
            assert_eq!(c.dtype(), &want, "{} in {}", c.name(), path.display());
            assert_eq!(c.null_count(), 0, "{} in {}", c.name(), path.display());
        }
    }

    #[test]
    fn a_sitting_is_recorded_with_ratios_to_its_floor() {
        let tmp = std::env::temp_dir().join(format!("nnqft-bench-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let criterion = tmp.join("criterion");
        fake_result(&criterion, "sampler/erf/raw/100", 300.0);
        fake_result(&criterion, "sampler/erf/floor/100", 200.0);
        fake_result(&criterion, "primitives/normal_reference", 1000.0);
        fake_result(&criterion, "primitives/erf_lanes", 250.0);
        // a result whose reference did not run is left out
        fake_result(&criterion, "sampler/relu/raw/5", 10.0);
        let results = bench_history::collect(&criterion, UNIX_EPOCH).unwrap();
        assert_eq!(results.len(), 5);
        let machine = Machine { cpu_model: "test cpu".into(), cores: 2 };
        let records = bench_history::records(&results, "c0ffee", "2026-11-29T00:00:00Z", &machine);
        let ratio = |id: &str| records.iter().find(|r| r.bench == id).map(|r| r.ratio);
        assert_eq!(records.len(), 4);
        assert_eq!(ratio("sampler/erf/raw/100"), Some(1.5));
        assert_eq!(ratio("primitives/erf_lanes"), Some(0.25));
        assert_eq!(ratio("sampler/relu/raw/5"), None);
        let raw = records.iter().find(|r| r.bench == "sampler/erf/raw/100").unwrap();
        assert!(raw.ratio_low < 1.5 && raw.ratio_high > 1.5);

        let history = tmp.join("bench").join("history.parquet");
        bench_history::append(&history, &records).unwrap();
        check_schema(&history);
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
        check_schema(&history);
        assert_eq!(bench_history::read(&history).unwrap().len(), 8);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn the_committed_history_has_the_schema() {
        let path = nnqft_cli::command_line::workspace_root().join("reports/bench/history.parquet");
        assert!(path.exists(), "{} is missing (run cargo xtask bench)", path.display());
        check_schema(&path);
        assert!(!bench_history::read(&path).unwrap().is_empty());
    }
}
