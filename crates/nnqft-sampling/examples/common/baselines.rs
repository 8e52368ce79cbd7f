//! Runs the Python baselines (`shared/baselines/*.py`, beside the repository) on one case and
//! reads their rate, when python3 has what they need; otherwise says why and gives `None`.

use std::path::PathBuf;
use std::process::Command;

/// The baselines' folder: `$NNQFT_BASELINES`, else `../shared/baselines` beside the workspace.
pub fn folder() -> PathBuf {
    std::env::var_os("NNQFT_BASELINES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/baselines"))
}

/// Whether `python3` imports every module of `modules` (printed once if not).
pub fn available(modules: &str) -> bool {
    let ok =
        Command::new("python3").args(["-c", &format!("import {modules}")]).output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("python3 cannot import {modules}: that baseline is skipped");
    }
    ok
}

/// Runs `script` with `args` and returns column `column` of its last output line, or `None`
/// (with the reason on stderr) if it did not run.
pub fn rate(script: &str, args: &[String], column: usize) -> Option<f64> {
    let path = folder().join(script);
    let out = match Command::new("python3").arg(&path).args(args).output() {
        Ok(out) if out.status.success() => out,
        Ok(out) => {
            eprintln!("{}: {}", path.display(), String::from_utf8_lossy(&out.stderr).trim());
            return None;
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().last()?.split_whitespace().nth(column)?.parse().ok()
}
