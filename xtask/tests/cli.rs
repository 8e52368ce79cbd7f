//! The `cargo xtask` command line: bad input gives one line and a failure; `sample` writes its
//! report and prints its throughput.

use nnqft_report::report::read_parquet;
use polars::prelude::*;
use std::path::PathBuf;
use std::process::Command;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnqft-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn floats(df: &DataFrame, col: &str) -> Vec<Option<f64>> {
    let ca = df.column(col).unwrap().f64().unwrap();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

fn xtask(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

#[test]
fn bad_input_gives_one_line_and_a_failure() {
    let out = temp_dir("bad");
    let o = out.to_string_lossy().to_string();
    for (args, needle) in [
        (vec!["reproduce", "--profile", "huge", "--out", &o], "huge"),
        (vec!["reproduce", "--threads", "0", "--out", &o], "threads"),
        (vec!["reproduce", "--profile", "quick", "--out", "/proc/nnqft-cannot-write"], "--out"),
        (vec!["sample", "--network", "tanh", "--width", "5", "--out", &o], "network"),
        (vec!["sample", "--network", "erf", "--width", "0", "--out", &o], "width"),
        (vec!["sample", "--network", "erf", "--width", "5", "--estimator", "fast", "--out", &o], "estimator"),
        (
            vec!["sample", "--network", "erf", "--width", "5", "--estimator", "bias_integrated", "--out", &o],
            "gauss only",
        ),
    ] {
        let (ok, _, err) = xtask(&args);
        assert!(!ok, "{args:?} should fail");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: not one line: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn sample_writes_correlators_and_prints_throughput() {
    let out = temp_dir("sample");
    let o = out.to_string_lossy().to_string();
    let (ok, stdout, err) = xtask(&[
        "sample",
        "--network",
        "relu",
        "--width",
        "10",
        "--nets",
        "2000",
        "--experiments",
        "3",
        "--out",
        &o,
        "--no-progress",
    ]);
    assert!(ok, "{err}");
    assert!(stdout.contains("nets/s"), "{stdout}");
    let df = read_parquet(&out.join("correlators.parquet")).unwrap();
    assert_eq!(df.height(), 21 + 126 + 462);
    assert!(floats(&df, "g_exact").iter().all(Option::is_some));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn shard_option_errors_name_the_field_and_range() {
    let out = temp_dir("cli");
    let o = out.to_string_lossy().to_string();
    for (args, needle) in [
        (vec!["reproduce", "--profile", "quick", "--shard", "4/4", "--out", &o], "shard index K"),
        (vec!["reproduce", "--profile", "quick", "--shard", "0/0", "--out", &o], "shard count N"),
        (vec!["sample", "--network", "erf", "--width", "3", "--shard", "x", "--out", &o], "K/N"),
        (vec!["merge", "--out", &o], "DIR"),
        (vec!["merge", "/nonexistent-nnqft-shards", "--out", &o], "/nonexistent-nnqft-shards"),
    ] {
        let (ok, _, err) = xtask(&args);
        assert!(!ok, "{args:?} should fail");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: not one line: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(!out.exists());
}

/// No command replaces another command's reports: `sample` refuses a folder holding reports
/// (of `reproduce`, or an earlier `sample`) unless `--force`, and without `--out` writes a new
/// folder of its own under `nnqft-out/`.
#[test]
fn sample_never_replaces_reports_without_force() {
    let out = temp_dir("replace");
    std::fs::create_dir_all(&out).unwrap();
    let provenance = r#"{"run_id": "1700000000-abcd1234", "profile": "default"}"#;
    std::fs::write(out.join("provenance.json"), provenance).unwrap();
    std::fs::write(out.join("correlators.parquet"), b"the paper run").unwrap();
    let o = out.to_string_lossy().to_string();
    let small = ["--network", "erf", "--width", "3", "--nets", "200", "--experiments", "2", "--no-progress"];
    let with = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = ["sample"].iter().chain(&small).map(|s| s.to_string()).collect();
        v.extend(["--out".to_string(), o.clone()]);
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let xtask = |args: Vec<String>| xtask(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (ok, _, err) = xtask(with(&[]));
    assert!(!ok, "sample replaced the reports of reproduce");
    assert!(err.contains("`reproduce`") && err.contains("--force") && err.contains("1700000000-abcd1234"), "{err}");
    assert_eq!(std::fs::read(out.join("correlators.parquet")).unwrap(), b"the paper run");
    let (ok, _, err) = xtask(with(&["--force"]));
    assert!(ok, "{err}");
    assert!(read_parquet(&out.join("correlators.parquet")).is_ok());
    // an earlier sample is not replaced either
    let (ok, _, err) = xtask(with(&[]));
    assert!(!ok && err.contains("`sample`"), "{err}");
    // no --out: a new folder of its own, in the working directory
    let cwd = temp_dir("replace-cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([&["sample"], &small[..]].concat())
        .current_dir(&cwd)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let made: Vec<_> = std::fs::read_dir(cwd.join("nnqft-out")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].file_name().unwrap().to_string_lossy().starts_with("erf-N3-"), "{made:?}");
    assert!(made[0].join("correlators.parquet").is_file());
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&cwd);
}
