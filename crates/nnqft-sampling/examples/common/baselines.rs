//! Runs the Python baselines on one case and reads their rate, when the interpreter has what they
//! need; otherwise says why. A baseline is the repository's `benchmarks/NAME` when that exists
//! (`deep_jax.py`), else `NAME` in the folder of baselines beside the repository
//! (`deep_numpy.py`, `numpy_sampler.py`, `jax_sampler.py`). The interpreter is `$NNQFT_PYTHON`,
//! else `python3`.

use std::path::PathBuf;
use std::process::Command;

/// The baselines' folder: `$NNQFT_BASELINES`, else `../shared/baselines` beside the workspace.
pub fn folder() -> PathBuf {
    std::env::var_os("NNQFT_BASELINES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/baselines"))
}

/// The script `name`: the repository's `benchmarks/name` if it exists, else `folder()/name`.
fn script(name: &str) -> PathBuf {
    let ours = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../benchmarks").join(name);
    if ours.exists() { ours } else { folder().join(name) }
}

/// The Python interpreter: `$NNQFT_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("NNQFT_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// `Ok` if the interpreter imports every module of `modules`, else why not (printed once).
pub fn available(modules: &str) -> Result<(), String> {
    let ok =
        Command::new(python()).args(["-c", &format!("import {modules}")]).output().is_ok_and(|o| o.status.success());
    if ok {
        return Ok(());
    }
    let why = format!("{} cannot import {modules}", python());
    eprintln!("{why}: that baseline is skipped");
    Err(why)
}

/// Runs the script `name` with `args` and returns column `column` of its last output line, or
/// why it did not run (also on stderr).
pub fn rate(name: &str, args: &[String], column: usize) -> Result<f64, String> {
    rate_with(name, args, column, &[])
}

/// [`rate`] with the environment variables `env` set for the script.
pub fn rate_with(name: &str, args: &[String], column: usize, env: &[(&str, String)]) -> Result<f64, String> {
    let path = script(name);
    let fail = |why: String| {
        let why = format!("{}: {why}", path.display());
        eprintln!("{why}");
        why
    };
    let out = match Command::new(python()).arg(&path).args(args).envs(env.iter().map(|(k, v)| (k, v))).output() {
        Ok(out) if out.status.success() => out,
        Ok(out) => return Err(fail(String::from_utf8_lossy(&out.stderr).trim().to_string())),
        Err(e) => return Err(fail(e.to_string())),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .last()
        .and_then(|line| line.split_whitespace().nth(column))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| fail(format!("no number in column {column} of its last line")))
}
