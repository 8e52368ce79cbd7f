//! Tidy: the rules of the workspace's layout that a reviewer would otherwise check by hand
//! (after rust-analyzer's `tidy.rs`). Each rule reads the files of the repository, so the test
//! fails as soon as a change breaks one:
//!
//! 1. **Layering** (ARCHITECTURE.md): each crate depends only on the workspace crates below it;
//!    theory, statistics and fitting on none.
//! 2. **Heavy dependencies stay at the top**: polars, plotters and resvg only in nnqft-report
//!    (polars also in xtask's benchmark history); indicatif only in nnqft-run; clap only in the
//!    command lines (nnqft-cli and xtask), which own their options; pyo3 only in nnqft-py; so
//!    the numeric crates build and test in seconds.
//! 3. **Every source file says what it holds**: its first line is a `//!` comment (also in
//!    `fuzz/`, the fuzz targets' own workspace).
//! 4. **Documents cite only what users have**: no README, ARCHITECTURE, docs page, dataset note
//!    or source comment cites the team's internal specification, and every relative link in a
//!    Markdown document points to a file of the repository.
//! 5. **ARCHITECTURE.md names real modules**: every `nnqft-<crate>::<module>` it mentions is a
//!    file of that crate.
//! 6. **No circle of imports between the files of a crate**: following every `crate::…` path
//!    (`use` lines, grouped or not, and paths in code; `super::…` in nested files; a name the
//!    crate root re-exports leads to the file that defines it), no file reaches itself through
//!    another file, in any crate.

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
    ("crates/nnqft-cli", &["nnqft-theory", "nnqft-sampling", "nnqft-fit", "nnqft-study", "nnqft-run", "nnqft-report"]),
    ("xtask", &["nnqft-cli", "nnqft-run", "nnqft-report", "nnqft-study", "nnqft-sampling", "nnqft-theory"]),
];

/// Heavy or front-door dependencies and the only crates allowed to have them: polars and the
/// figure crates in the report writers (and xtask's benchmark history, a maintainer's tool that
/// is never installed), progress bars in the run-time, clap in the command lines (nnqft-cli and
/// xtask: the library crates carry no argument parsing).
const CONFINED: &[(&str, &[&str])] = &[
    ("polars", &["crates/nnqft-report", "xtask"]),
    ("plotters", &["crates/nnqft-report"]),
    ("resvg", &["crates/nnqft-report"]),
    ("indicatif", &["crates/nnqft-run"]),
    ("clap", &["crates/nnqft-cli", "xtask"]),
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
    // `fuzz/` is a workspace of its own (cargo-fuzz's targets), its sources held to the same rule
    for dir in ["crates", "src", "xtask", "tests", "fuzz"] {
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
    for dir in ["crates", "src", "xtask", "tests", "fuzz", "datasets", "scripts"] {
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

/// A use tree after `crate::`: every path it names (`a::b::C`, `a::{b, c::D}`, `a::*`), as
/// segments. Stops at the first character that cannot continue a path.
fn use_tree(text: &[u8], mut at: usize) -> Vec<Vec<String>> {
    let skip_ws = |at: &mut usize| {
        while *at < text.len() && text[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    let mut segments = Vec::new();
    loop {
        skip_ws(&mut at);
        if at < text.len() && text[at] == b'{' {
            // a group: each member is a tree of its own below the segments so far
            let mut out = Vec::new();
            at += 1;
            let mut depth = 0;
            let mut start = at;
            while at < text.len() {
                match text[at] {
                    b'{' => depth += 1,
                    b'}' if depth > 0 => depth -= 1,
                    b',' | b'}' if depth == 0 => {
                        for tail in use_tree(&text[start..at], 0) {
                            out.push(segments.iter().cloned().chain(tail).collect());
                        }
                        if text[at] == b'}' {
                            return out;
                        }
                        start = at + 1;
                    }
                    _ => {}
                }
                at += 1;
            }
            return out;
        }
        let start = at;
        while at < text.len() && (text[at].is_ascii_alphanumeric() || text[at] == b'_') {
            at += 1;
        }
        if at == start {
            return if segments.is_empty() { Vec::new() } else { vec![segments] };
        }
        segments.push(String::from_utf8_lossy(&text[start..at]).to_string());
        if text[at..].starts_with(b"::") {
            at += 2;
        } else {
            return vec![segments];
        }
    }
}

/// The module path of a source file under `src` (`a.rs` and `a/mod.rs` are `a`, `a/b.rs` is
/// `a::b`); `None` for the crate root.
fn module_of(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?.with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().to_string()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    (!(parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main"))).then_some(parts)
}

/// Every path a file names through `crate::` (and, in a nested file, `super::`), without comment
/// lines.
fn crate_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    for (keyword, prefix) in [("crate::", Vec::new()), ("super::", module[..module.len() - 1].to_vec())] {
        if keyword == "super::" && module.len() < 2 {
            continue; // in a top-level file, `super` is the file itself (its test module's parent)
        }
        for (i, _) in code.match_indices(keyword) {
            let before = i.checked_sub(1).map(|j| bytes[j]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b':') {
                continue;
            }
            for path in use_tree(bytes, i + keyword.len()) {
                out.push(prefix.iter().cloned().chain(path).collect());
            }
        }
    }
    out
}

/// The files of one crate (by module path) and the files each imports.
fn import_graph(src: &Path) -> Vec<(String, Vec<String>)> {
    let files: Vec<(PathBuf, Option<Vec<String>>)> =
        files(src, ".rs").into_iter().map(|f| (f.clone(), module_of(src, &f))).collect();
    let modules: Vec<Vec<String>> = files.iter().filter_map(|(_, m)| m.clone()).collect();
    // the longest prefix of `path` that is a file of the crate
    let resolve = |path: &[String]| {
        (1..=path.len()).rev().map(|k| &path[..k]).find(|p| modules.iter().any(|m| m == p)).map(|p| p.join("::"))
    };
    // names the crate root re-exports (`pub use a::{B, C}`), to the file that defines them
    let mut reexported: Vec<(String, String)> = Vec::new();
    for (file, module) in &files {
        if module.is_none() {
            let text = std::fs::read_to_string(file).unwrap();
            for (i, _) in text.match_indices("pub use ") {
                for path in use_tree(text.as_bytes(), i + "pub use ".len()) {
                    if let (Some(target), Some(name)) = (resolve(&path), path.last()) {
                        reexported.push((name.clone(), target));
                    }
                }
            }
        }
    }
    let mut graph = Vec::new();
    for (file, module) in &files {
        let Some(module) = module else { continue };
        let me = module.join("::");
        let mut targets = Vec::new();
        for path in crate_paths(&std::fs::read_to_string(file).unwrap(), module) {
            let target = resolve(&path).or_else(|| {
                reexported.iter().find(|(name, _)| path.len() == 1 && *name == path[0]).map(|r| r.1.clone())
            });
            if let Some(t) = target.filter(|t| *t != me && !targets.contains(t)) {
                targets.push(t);
            }
        }
        graph.push((me, targets));
    }
    graph
}

/// The files of each circle of the graph (strongly connected components of more than one file).
fn circles(graph: &[(String, Vec<String>)]) -> Vec<Vec<String>> {
    let index = |name: &str| graph.iter().position(|(m, _)| m == name);
    let reach = |from: usize| {
        let mut seen = vec![false; graph.len()];
        let mut stack = vec![from];
        while let Some(v) = stack.pop() {
            for w in graph[v].1.iter().filter_map(|t| index(t)) {
                if !seen[w] {
                    seen[w] = true;
                    stack.push(w);
                }
            }
        }
        seen
    };
    let reachable: Vec<Vec<bool>> = (0..graph.len()).map(reach).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for v in 0..graph.len() {
        let mut circle: Vec<String> =
            (0..graph.len()).filter(|&w| reachable[v][w] && reachable[w][v]).map(|w| graph[w].0.clone()).collect();
        circle.sort();
        if circle.len() > 1 && !out.contains(&circle) {
            out.push(circle);
        }
    }
    out
}

#[test]
fn no_file_imports_itself_through_others() {
    let root = root();
    let mut sources: Vec<(String, PathBuf)> = files(&root.join("crates"), "Cargo.toml")
        .into_iter()
        .chain([root.join("xtask/Cargo.toml"), root.join("Cargo.toml")])
        .map(|m| m.parent().unwrap().to_path_buf())
        .map(|d| (d.strip_prefix(&root).unwrap().to_string_lossy().to_string(), d.join("src")))
        .collect();
    sources.retain(|(_, src)| src.is_dir());
    assert!(sources.len() >= 9, "crates found: {sources:?}");
    let mut bad = Vec::new();
    for (dir, src) in &sources {
        for circle in circles(&import_graph(src)) {
            bad.push(format!("{dir}: the files {circle:?} import each other in a circle"));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_import_check_sees_circles() {
    // the parser: grouped, nested and inline paths
    let paths = crate_paths("use crate::{a::B, c::{d::E, F}};\nfn f() { crate::g::h(); }\n// crate::x", &["m".into()]);
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(joined, ["a::B", "c::d::E", "c::F", "g::h"]);
    // a circle of three files, and a file outside it
    let graph: Vec<(String, Vec<String>)> = [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
        .into_iter()
        .map(|(m, t)| (m.to_string(), t.into_iter().map(String::from).collect()))
        .collect();
    assert_eq!(circles(&graph), [["a", "b", "c"]]);
}
