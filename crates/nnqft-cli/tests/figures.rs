//! The figures of the quick profile, checked from the record of what they drew (not by
//! comparing images): every measured series has error bars, no legend covers data, every
//! legend entry is drawn, every SVG has its PNG, and SUMMARY.md embeds every figure.

use nnqft_cli::Common;
use nnqft_study::plan::Profile;
use std::path::PathBuf;

/// The figures the quick profile must draw (scaling figures: one per network and estimator).
const EXPECTED: [&str; 8] =
    ["z-scores", "table5", "rg-flow", "six-point", "naturalness", "scaling-relu-d1-raw", "ntk", "action-distance"];

#[test]
fn quick_profile_figures_are_sound() {
    let out: PathBuf = std::env::temp_dir().join(format!("nnqft-test-figures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let common = Common { out: Some(out.clone()), force: false, seed: 20_200_818, threads: Some(2), no_progress: true };
    let drawings = nnqft_cli::reproduce::run(&common, Profile::Quick, false).expect("quick profile runs");
    let names: Vec<&str> = drawings.iter().map(|d| d.name.as_str()).collect();
    for want in EXPECTED {
        assert!(names.contains(&want), "figure {want} missing: {names:?}");
    }
    let summary = std::fs::read_to_string(out.join("SUMMARY.md")).expect("SUMMARY.md");
    let mut problems = Vec::new();
    for d in &drawings {
        problems.extend(d.problems());
        let measured =
            d.panels.iter().flat_map(|p| &p.series).filter(|s| s.kind == nnqft_report::figures::Kind::Measured);
        // the naturalness study is exact theory only; every other figure shows measurements
        assert!(d.name == "naturalness" || measured.clone().count() > 0, "{}: no measured series", d.name);
        assert!(measured.clone().all(|s| !s.error_bars.is_empty()), "{}: a measured series without bars", d.name);
        for ext in ["svg", "png"] {
            let f = out.join("figures").join(format!("{}.{ext}", d.name));
            let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            assert!(bytes.len() > 1000, "{} is nearly empty", f.display());
        }
        assert!(summary.contains(&format!("(figures/{}.svg)", d.name)), "SUMMARY.md does not embed {}", d.name);
    }
    assert!(problems.is_empty(), "figure problems:\n{}", problems.join("\n"));
    let _ = std::fs::remove_dir_all(&out);
}
