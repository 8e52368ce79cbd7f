//! The README's table of run times is generated from the committed runs' `provenance.json`, so
//! that no hand-written time can disagree with the reports it describes. This test fails when the
//! table is stale; `UPDATE_README=1 cargo test -p nnqft-report --test readme` rewrites it.

/// The workspace root (this crate lives two levels below it).
fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}
use std::path::Path;

const BEGIN: &str =
    "<!-- run-times: generated from reports/provenance.json and reports/coverage/provenance.json; do not edit -->";
const END: &str = "<!-- end run-times -->";

/// Seconds since the epoch of an RFC 3339 UTC time `YYYY-MM-DDTHH:MM:SSZ` (days from the civil
/// calendar: Howard Hinnant's algorithm).
fn epoch_seconds(t: &str) -> i64 {
    let num = |a: usize, b: usize| t[a..b].parse::<i64>().unwrap_or_else(|_| panic!("not a time: {t}"));
    let (y, m, d) = (num(0, 4), num(5, 7), num(8, 10));
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400 + num(11, 13) * 3600 + num(14, 16) * 60 + num(17, 19)
}

/// One row of the table: the run in `folder` (relative to the workspace root).
fn row(root: &Path, folder: &str) -> String {
    let text = std::fs::read_to_string(root.join(folder).join("provenance.json")).unwrap();
    let p: serde_json::Value = serde_json::from_str(&text).unwrap();
    let field = |k: &str| p[k].as_str().unwrap_or_else(|| panic!("{folder}/provenance.json lacks {k}")).to_string();
    let secs = epoch_seconds(&field("end_time")) - epoch_seconds(&field("start_time"));
    let commit = field("git_commit");
    let short = &commit[..commit.len().min(7)];
    let dirty = if commit.ends_with("-dirty") { " (dirty)" } else { "" };
    format!(
        "| `{folder}/` | {} | {short}{dirty} | {} | {} | {} min {:02} s |",
        field("profile"),
        field("build_profile"),
        p["threads"].as_u64().unwrap_or(0),
        secs / 60,
        secs % 60
    )
}

fn table(root: &Path) -> String {
    let mut s =
        String::from("| reports | profile | commit | build | threads | wall time |\n|---|---|---|---|---|---|\n");
    for folder in ["reports", "reports/coverage"] {
        s.push_str(&row(root, folder));
        s.push('\n');
    }
    s
}

#[test]
fn readme_run_times_are_the_committed_runs() {
    let root = workspace_root();
    let path = root.join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(BEGIN).expect("README lacks the run-times marker") + BEGIN.len();
    let end = start + readme[start..].find(END).expect("README lacks the end of the run-times table");
    let want = format!("\n{}", table(&root));
    if readme[start..end] == want {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, format!("{}{want}{}", &readme[..start], &readme[end..])).unwrap();
        return;
    }
    panic!("README's run times are stale: run UPDATE_README=1 cargo test -p nnqft-report --test readme\n{want}");
}

#[test]
fn epoch_seconds_of_known_times() {
    assert_eq!(epoch_seconds("1970-01-01T00:00:00Z"), 0);
    assert_eq!(epoch_seconds("2000-03-01T00:00:00Z"), 951_868_800);
    assert_eq!(epoch_seconds("2026-11-29T20:39:48Z") - epoch_seconds("2026-11-29T20:24:16Z"), 932);
}
