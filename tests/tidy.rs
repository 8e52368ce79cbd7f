//! Tidy: the rules of the workspace's layout that a reviewer would otherwise check by hand
//! (after rust-analyzer's `tidy.rs`). Each rule reads the files of the repository, so the test
//! fails as soon as a change breaks one:
//!
//! 1. **Layering** (ARCHITECTURE.md): each crate depends only on the workspace crates below it;
//!    theory, statistics and fitting on none.
//! 2. **Heavy dependencies stay at the top**: polars, plotters and resvg only in nnqft-report
//!    (polars also in xtask's benchmark history); indicatif only in nnqft-run; clap only in the
//!    command lines; pyo3 only in nnqft-py; so the numeric crates build and test in seconds.
//! 3. **Every source file says what it holds**: its first line is a `//!` comment.
//! 4. **Documents cite only what users have**: no README, ARCHITECTURE, docs page, dataset note
//!    or source comment cites the team's internal specification, and every relative link in a
//!    Markdown document points to a file of the repository.
//! 5. **ARCHITECTURE.md names real modules**: every `nnqft-<crate>::<module>` it mentions is a
//!    file of that crate.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files under `dir` (recursively) whose name ends with `ext`, skipping build output.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !["target", ".git", "node_modules", "reports"].contains(&name.as_str()) && !name.starts_with('.') {
                out.extend(files(&path, ext));
            }
        } else if name.ends_with(ext) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The names in the `[dependencies]` table of a Cargo.toml (not dev-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut deps = Vec::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            deps.push(name.to_string());
        }
    }
    deps
}

/// The workspace crates each crate may depend on (ARCHITECTURE.md's picture). The run-time
/// crate and the report writers do not know each other: only the command lines join them.
const LAYERS: &[(&str, &[&str])] = &[
    ("crates/nnqft-theory", &[]),
    ("crates/nnqft-stats", &[]),
    ("crates/nnqft-fit", &[]),
    ("crates/nnqft-sampling", &["nnqft-theory"]),
    ("crates/nnqft-study", &["nnqft-theory", "nnqft-sampling", "nnqft-stats", "nnqft-fit"]),
    (".", &["nnqft-theory", "nnqft-sampling", "nnqft-stats", "nnqft-fit", "nnqft-study"]),
    ("crates/nnqft-py", &["nnqft-theory", "nnqft-sampling", "nnqft-stats", "nnqft-fit", "nnqft-study"]),
    ("crates/nnqft-run", &["nnqft-theory", "nnqft-sampling", "nnqft-study"]),
    ("crates/nnqft-report", &["nnqft-theory", "nnqft-sampling", "nnqft-stats", "nnqft-fit", "nnqft-study"]),
    ("crates/nnqft-cli", &["nnqft-theory", "nnqft-sampling", "nnqft-study", "nnqft-run", "nnqft-report"]),
    ("xtask", &["nnqft-cli", "nnqft-run", "nnqft-report", "nnqft-study", "nnqft-sampling", "nnqft-theory"]),
];

/// Heavy or front-door dependencies and the only crates allowed to have them: polars and the
/// figure crates in the report writers (and xtask's benchmark history, a maintainer's tool that
/// is never installed), progress bars in the run-time, clap in the command lines.
const CONFINED: &[(&str, &[&str])] = &[
    ("polars", &["crates/nnqft-report", "xtask"]),
    ("plotters", &["crates/nnqft-report"]),
    ("resvg", &["crates/nnqft-report"]),
    ("indicatif", &["crates/nnqft-run"]),
    ("clap", &["crates/nnqft-report", "crates/nnqft-cli", "xtask"]),
    ("pyo3", &["crates/nnqft-py"]),
    ("numpy", &["crates/nnqft-py"]),
];

#[test]
fn crates_depend_only_on_the_layers_below() {
    let root = root();
    let mut seen = Vec::new();
    for manifest in files(&root.join("crates"), "Cargo.toml").into_iter().chain([root.join("xtask/Cargo.toml")]) {
        let dir = manifest.parent().unwrap().strip_prefix(&root).unwrap().to_string_lossy().to_string();
        assert!(LAYERS.iter().any(|(d, _)| *d == dir), "{dir}: a crate the layering rules do not know");
        seen.push(dir);
    }
    assert_eq!(seen.len() + 1, LAYERS.len(), "a crate of the rules is gone: {seen:?}");
    for (dir, allowed) in LAYERS {
        let deps = dependencies(&root.join(dir).join("Cargo.toml"));
        for dep in deps.iter().filter(|d| d.starts_with("nnqft")) {
            assert!(allowed.contains(&dep.as_str()), "{dir} depends on {dep}, which is not below it (ARCHITECTURE.md)");
        }
        for (heavy, owners) in CONFINED {
            assert!(
                !deps.iter().any(|d| d == heavy) || owners.contains(dir),
                "{dir} depends on {heavy}, which only {owners:?} may use"
            );
        }
    }
}

#[test]
fn every_source_file_starts_with_its_header() {
    let root = root();
    let mut missing = Vec::new();
    for dir in ["crates", "src", "xtask", "tests"] {
        for file in files(&root.join(dir), ".rs") {
            let text = std::fs::read_to_string(&file).unwrap();
            if !text.starts_with("//!") {
                missing.push(file.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    assert!(missing.is_empty(), "files without a `//!` header saying what they hold: {missing:#?}");
}

/// The Markdown documents users read.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md"].iter().map(|f| root.join(f)).collect();
    docs.extend(files(&root.join("docs"), ".md"));
    docs.extend(files(&root.join("datasets"), ".md"));
    docs.extend(files(&root.join("crates"), ".md"));
    docs
}

#[test]
fn documents_cite_only_what_users_have() {
    let root = root();
    let mut bad = Vec::new();
    let mut sources: Vec<PathBuf> = documents(&root);
    for dir in ["crates", "src", "xtask", "tests", "datasets", "scripts"] {
        for ext in [".rs", ".txt", ".toml", ".py", ".sh"] {
            sources.extend(files(&root.join(dir), ext));
        }
    }
    // the team's internal specification, by the name it goes by (assembled so this file passes)
    let internal = ["SPEC", ".md"].concat();
    let internal_section = ["SPEC", " section"].concat();
    for file in &sources {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if line.contains(&internal) || line.contains(&internal_section) {
                bad.push(format!(
                    "{}:{}: cites the internal specification",
                    file.strip_prefix(&root).unwrap().display(),
                    n + 1
                ));
            }
        }
    }
    for doc in documents(&root) {
        let text = std::fs::read_to_string(&doc).unwrap();
        let dir = doc.parent().unwrap();
        for (n, line) in text.lines().enumerate() {
            for part in line.split("](").skip(1) {
                let target = part.split(')').next().unwrap_or_default();
                let target = target.split('#').next().unwrap_or_default();
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                if !dir.join(target).exists() {
                    bad.push(format!(
                        "{}:{}: links to {target}, which is not in the repository",
                        doc.strip_prefix(&root).unwrap().display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn architecture_names_real_modules() {
    let root = root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut bad = Vec::new();
    for (i, _) in text.match_indices("nnqft-") {
        let rest = &text[i..];
        let end =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':')).unwrap_or(rest.len());
        let path = &rest[..end];
        let mut parts = path.split("::");
        let (Some(krate), Some(module)) = (parts.next(), parts.next()) else { continue };
        if module.is_empty() || module.starts_with(|c: char| c.is_ascii_uppercase()) {
            continue; // a type at the crate root, not a module
        }
        let src = root.join("crates").join(krate).join("src");
        let found = src.join(format!("{module}.rs")).exists() || src.join(module).join("mod.rs").exists();
        if !found {
            bad.push(format!("ARCHITECTURE.md names {path}: crates/{krate}/src has no module {module}"));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}
