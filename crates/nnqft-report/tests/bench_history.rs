//! `cargo xtask bench`'s history: criterion's files read, ratios to the floor, the Parquet
//! schema (on a written file and on the committed `reports/bench/history.parquet`).

use nnqft_report::bench_history::{self, COLUMNS, Machine};
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
    let path = nnqft_report::provenance::workspace_root().join("reports/bench/history.parquet");
    assert!(path.exists(), "{} is missing (run cargo xtask bench)", path.display());
    check_schema(&path);
    assert!(!bench_history::read(&path).unwrap().is_empty());
}
