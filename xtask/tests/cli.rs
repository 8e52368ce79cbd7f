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
        (vec!["sample", "--network", "softsign", "--width", "5", "--out", &o], "network"),
        (vec!["sample", "--network", "tanh", "--widths", "5,0", "--out", &o], "width"),
        (vec!["sample", "--network", "tanh", "--widths", "5", "--d-out", "0", "--out", &o], "d_out"),
        (vec!["sample", "--network", "gauss", "--widths", "5,5", "--out", &o], "depth"),
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
        (
            vec!["sample", "--network", "relu", "--widths", "5,5", "--shard", "0/2", "--out", &o],
            "not split into shards",
        ),
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

/// The bytes of every file in `dir` (names sorted), the lock file aside.
fn folder_bytes(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file() && !e.file_name().to_string_lossy().starts_with(".lock"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

/// Two runs, one folder: while a run holds `--out`, each of 10 second runs fails at once
/// with one line naming the holder, and the folder's earlier reports stay as they were; the
/// holder killed by SIGKILL leaves its record behind, and the next run takes that stale lock
/// over (the pid is gone) and writes its reports.
#[test]
fn a_second_run_into_a_busy_folder_is_refused_and_a_stale_lock_taken_over() {
    const SECOND_RUNS: usize = 10;
    let out = temp_dir("lock");
    let o = out.to_string_lossy().to_string();
    let small = ["sample", "--network", "erf", "--width", "3", "--nets", "200", "--experiments", "2", "--no-progress"];
    let run = |extra: &[&str]| xtask(&[&small[..], &["--out", &o], extra].concat());
    let (ok, _, err) = run(&[]);
    assert!(ok, "{err}");
    let before = folder_bytes(&out);
    // the holder: a run far too long to end by itself (killed below)
    let long = ["sample", "--network", "erf", "--width", "1000000", "--nets", "10000000", "--experiments", "2"];
    let mut holder = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([&long[..], &["--out", &o, "--force", "--no-progress", "--threads", "1"]].concat())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = format!("pid {},", holder.id());
    // wait until it holds the lock (its record is in the lock file)
    while !std::fs::read_to_string(out.join(".lock")).unwrap_or_default().starts_with(&pid) {
        assert!(holder.try_wait().unwrap().is_none(), "the holder ended early");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut refused = 0;
    for _ in 0..SECOND_RUNS {
        let (ok, _, err) = run(&["--force"]);
        if !ok && err.trim().lines().count() == 1 && err.contains("in use") && err.contains(&pid) {
            refused += 1;
        } else {
            eprintln!("second run not refused cleanly: ok = {ok}, stderr: {err}");
        }
    }
    assert!(holder.try_wait().unwrap().is_none(), "the holder ended during the second runs");
    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();
    eprintln!("concurrent: {refused}/{SECOND_RUNS} refused cleanly");
    assert_eq!(refused, SECOND_RUNS);
    assert!(folder_bytes(&out) == before, "the folder changed under the lock or by the killed run");
    // the killed holder's record is still there; the next run takes the lock over
    assert!(std::fs::read_to_string(out.join(".lock")).unwrap().starts_with(&pid));
    let (ok, _, err) = run(&["--force"]);
    assert!(ok, "{err}");
    assert!(err.contains("taking over the stale lock") && err.contains(&pid) && err.contains("gone"), "{err}");
    assert!(read_parquet(&out.join("correlators.parquet")).is_ok());
    // a run that ended leaves an empty record: the next one takes over nothing
    assert_eq!(std::fs::read_to_string(out.join(".lock")).unwrap(), "");
    let (ok, _, err) = run(&["--force"]);
    assert!(ok && !err.contains("stale"), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}

/// The shards of one job array share a folder: each locks only its own file, so shard 1/2
/// and shard 0/2 run side by side, but a second copy of one shard is refused.
#[test]
fn shards_lock_their_own_file() {
    use nnqft_run::lock::{FolderLock, lock_name};
    let out = temp_dir("shard-lock");
    std::fs::create_dir_all(&out).unwrap();
    let o = out.to_string_lossy().to_string();
    let one = nnqft_sampling::Shard::new(0, 2).unwrap();
    let held = FolderLock::acquire(&out, &lock_name(Some(one)), "sample", 0).unwrap();
    let shard = |k: &str| {
        xtask(&[
            "sample",
            "--network",
            "erf",
            "--width",
            "3",
            "--nets",
            "200",
            "--experiments",
            "2",
            "--no-progress",
            "--out",
            &o,
            "--shard",
            k,
        ])
    };
    let (ok, _, err) = shard("1/2");
    assert!(ok, "{err}");
    let (ok, _, err) = shard("0/2");
    assert!(!ok && err.contains("in use") && err.contains(&format!("pid {}", std::process::id())), "{err}");
    drop(held);
    let (ok, _, err) = shard("0/2");
    assert!(ok, "{err}");
    let _ = std::fs::remove_dir_all(&out);
}

/// Names of the `.tmp` files in `dir` and below.
fn tmp_files(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            found.extend(tmp_files(&e.path()));
        } else if e.file_name().to_string_lossy().ends_with(".tmp") {
            found.push(e.path().display().to_string());
        }
    }
    found
}

/// `xtask args` under `ulimit -f blocks` (512-byte blocks, SIGXFSZ ignored so a write past
/// the limit fails with EFBIG as on a full disk).
fn xtask_fsize(blocks: u32, args: &[&str]) -> (bool, String) {
    let script = format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\"");
    let o = Command::new("sh").arg("-c").arg(script).arg(env!("CARGO_BIN_EXE_xtask")).args(args).output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stderr).into())
}

/// Full disk (RLIMIT_FSIZE at 8 KiB, below the 24 KiB correlators.parquet and the block
/// cache, above the lock and provenance): the report write of `merge`, and the block write
/// of `sample`, each end with a one-line error naming the file, no `.tmp` left, and the
/// previous reports byte for byte as they were.
#[test]
fn a_full_disk_ends_with_a_clear_error_and_the_previous_reports_intact() {
    let root = temp_dir("full-disk");
    let (shards, reports) = (root.join("shards"), root.join("reports"));
    let (s, r) = (shards.to_string_lossy().to_string(), reports.to_string_lossy().to_string());
    let small = ["sample", "--network", "erf", "--width", "3", "--nets", "200", "--experiments", "2", "--no-progress"];
    let (ok, _, err) = xtask(&[&small[..], &["--shard", "0/1", "--out", &s]].concat());
    assert!(ok, "{err}");
    let (ok, _, err) = xtask(&["merge", &s, "--out", &r, "--no-progress"]);
    assert!(ok, "{err}");
    let before = folder_bytes(&reports);
    assert!(before.iter().any(|(n, b)| n == "correlators.parquet" && b.len() > 8192), "{before:?}");
    // the reports' write fails
    let (ok, err) = xtask_fsize(16, &["merge", &s, "--out", &r, "--force", "--no-progress"]);
    assert!(!ok, "the merge succeeded under an 8 KiB file size limit");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("correlators.parquet") && err.contains("File too large"), "{err}");
    assert!(tmp_files(&reports).is_empty(), "{:?}", tmp_files(&reports));
    assert!(folder_bytes(&reports) == before, "the previous reports changed");
    // the block cache's write fails
    let (ok, err) = xtask_fsize(16, &[&small[..], &["--out", &r, "--force"]].concat());
    assert!(!ok, "the sample succeeded under an 8 KiB file size limit");
    assert!(err.trim().lines().last().is_some_and(|l| l.contains("File too large")), "{err}");
    assert!(tmp_files(&reports).is_empty(), "{:?}", tmp_files(&reports));
    assert!(folder_bytes(&reports) == before, "the previous reports changed");
    // with room again, the next run writes its reports
    let (ok, _, err) = xtask(&[&small[..], &["--out", &r, "--force"]].concat());
    assert!(ok, "{err}");
    assert!(read_parquet(&reports.join("correlators.parquet")).is_ok());
    let _ = std::fs::remove_dir_all(&root);
}
