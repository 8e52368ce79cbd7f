//! Build information, captured when the binary is built (not read at run time): the git
//! commit of the workspace (with `-dirty` when tracked files outside `reports/` differ from
//! it; `unknown` outside a git checkout) and the versions of the workspace's key dependencies
//! from its `Cargo.lock` (the versions compiled in). `provenance` reads them with `env!`.

use std::path::Path;
use std::process::Command;

fn git(root: &Path, args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&manifest).ancestors().nth(2).unwrap_or(Path::new("."));
    let commit = match git(root, &["rev-parse", "HEAD"]) {
        None => "unknown".to_string(),
        Some(head) => {
            // the reports (rewritten by the runs themselves) do not make the code dirty
            let status = git(root, &["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)reports"]);
            if status.is_some_and(|s| !s.is_empty()) { format!("{head}-dirty") } else { head }
        }
    };
    println!("cargo:rustc-env=NNQFT_GIT_COMMIT={commit}");
    let wanted =
        ["polars", "rand", "rand_pcg", "rand_distr", "statrs", "rayon", "gauss-quad", "linfa-linear", "argmin"];
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let mut versions = Vec::new();
    for block in lock.split("[[package]]") {
        let field = |k: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k} = \"")).map(|v| v.trim_end_matches('"').to_string()))
        };
        if let (Some(name), Some(version)) = (field("name"), field("version"))
            && wanted.contains(&name.as_str())
        {
            versions.push(format!("{name}={version}"));
        }
    }
    versions.sort();
    println!("cargo:rustc-env=NNQFT_DEPENDENCY_VERSIONS={}", versions.join(","));
    // rerun when the commit or the tracked sources change (cargo scans these folders' files)
    let mut watched: Vec<std::path::PathBuf> =
        ["Cargo.lock", "Cargo.toml", "crates", "src", "xtask", "tests"].iter().map(|p| root.join(p)).collect();
    // a worktree's HEAD and index live in its own git folder, the refs in the common one
    if let Some(dir) = git(root, &["rev-parse", "--absolute-git-dir"]) {
        watched.extend(["HEAD", "index"].iter().map(|p| Path::new(&dir).join(p)));
    }
    if let Some(dir) = git(root, &["rev-parse", "--path-format=absolute", "--git-common-dir"]) {
        watched.extend(["refs", "packed-refs"].iter().map(|p| Path::new(&dir).join(p)));
    }
    for path in watched.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
