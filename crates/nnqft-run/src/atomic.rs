//! Atomic and staged file writes. Every file is written to `NAME.tmp` and renamed, so an
//! interrupted run never leaves a half-written file. While a [`Staging`] is open on a
//! thread, its writes stop at the `.tmp` file and are renamed together (in order,
//! `provenance.json` last) by [`commit_staged`], under a journal that the next run completes
//! if the process is killed among the renames: a write that fails (a full disk) leaves the
//! previous reports as they were and no `.tmp` behind, and a kill leaves the old set or (once
//! the next run has completed the journal) the new one.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

thread_local! {
    /// The open staging of this thread: `(tmp, path)` of every report written so far.
    static STAGED: std::cell::RefCell<Option<Vec<(PathBuf, PathBuf)>>> = const { std::cell::RefCell::new(None) };
}

/// Report writes of this thread held at their `.tmp` files until [`commit_staged`]; dropped
/// without a commit (a run that failed), it removes them.
#[derive(Debug)]
pub struct Staging(());

impl Staging {
    /// Opens the staging of this thread's report writes.
    pub fn begin() -> Self {
        STAGED.with(|s| *s.borrow_mut() = Some(Vec::new()));
        Self(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        for (tmp, _) in STAGED.with(|s| s.borrow_mut().take()).unwrap_or_default() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// The commit journal of a folder: while it exists, the renames it lists are under way.
pub const JOURNAL: &str = ".commit.json";

/// Renames every staged report into place, in the order written, and closes the staging
/// (nothing to do without one). The renames are journalled in `dir` ([`JOURNAL`], written
/// atomically before the first rename, removed after the last): a process killed among them
/// leaves the journal, and the next run into the folder completes them
/// ([`complete_interrupted_commit`]) before anything else, so the folder holds the old set
/// or, once completed, the new one, never a mix of the two.
pub fn commit_staged(dir: &Path) -> Result<()> {
    let staged = STAGED.with(|s| s.borrow_mut().take()).unwrap_or_default();
    commit(dir, &staged, staged.len())
}

/// Journals `staged` in `dir`, makes its first `renames` renames and, when that is all of
/// them, removes the journal (fewer: a process killed among them, for the tests).
fn commit(dir: &Path, staged: &[(PathBuf, PathBuf)], renames: usize) -> Result<()> {
    if staged.is_empty() {
        return Ok(());
    }
    let journal = dir.join(JOURNAL);
    let pairs: Vec<[String; 2]> =
        staged.iter().map(|(t, p)| [t.display().to_string(), p.display().to_string()]).collect();
    let write = serde_json::to_vec(&pairs).map_err(anyhow::Error::from).and_then(|b| write_atomic_now(&journal, &b));
    if let Err(e) = write {
        staged.iter().for_each(|(t, _)| drop(std::fs::remove_file(t)));
        return Err(e.context("cannot write the commit journal"));
    }
    for (k, (tmp, path)) in staged.iter().enumerate().take(renames) {
        if let Err(e) = std::fs::rename(tmp, path) {
            staged[k..].iter().for_each(|(t, _)| drop(std::fs::remove_file(t)));
            let _ = std::fs::remove_file(&journal);
            return Err(e).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()));
        }
    }
    if renames < staged.len() {
        return Ok(());
    }
    std::fs::remove_file(&journal).with_context(|| format!("cannot remove {}", journal.display()))
}

/// Completes the renames of a commit interrupted in `dir` (a journal left behind: see
/// [`commit_staged`]); returns how many it made. Called under the folder's lock.
pub fn complete_interrupted_commit(dir: &Path) -> Result<usize> {
    let journal = dir.join(JOURNAL);
    let Ok(bytes) = std::fs::read(&journal) else { return Ok(0) };
    let pairs: Vec<[String; 2]> = serde_json::from_slice(&bytes)
        .with_context(|| format!("the commit journal {} does not parse", journal.display()))?;
    let mut done = 0;
    for [tmp, path] in &pairs {
        if Path::new(tmp).exists() {
            std::fs::rename(tmp, path).with_context(|| format!("cannot rename {tmp} to {path}"))?;
            done += 1;
        }
    }
    std::fs::remove_file(&journal)?;
    Ok(done)
}

/// Renames `tmp` to `path`, or stages it while a [`Staging`] is open.
fn put_in_place(tmp: PathBuf, path: &Path) -> Result<()> {
    let staged = STAGED.with(|s| match s.borrow_mut().as_mut() {
        Some(list) => {
            list.push((tmp.clone(), path.to_path_buf()));
            true
        }
        None => false,
    });
    if !staged {
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename;
/// staged while a [`Staging`] is open). A failed write removes its temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
    }
    put_in_place(tmp, path)
}

/// [`write_atomic`] renamed at once, never staged (the resume cache: a block must be in
/// place as soon as it is computed).
pub fn write_atomic_now(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit killed after its first rename leaves the journal; completing it gives the whole
    /// new set, with no journal and no `.tmp` left.
    #[test]
    fn an_interrupted_commit_is_completed() {
        let dir = std::env::temp_dir().join(format!("nnqft-run-commit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let names = ["a.parquet", "b.parquet", "provenance.json"];
        for n in names {
            std::fs::write(dir.join(n), "old").unwrap();
        }
        let staging = Staging::begin();
        for n in names {
            write_atomic(&dir.join(n), b"new").unwrap();
        }
        let staged = STAGED.with(|s| s.borrow_mut().take()).unwrap();
        drop(staging);
        commit(&dir, &staged, 1).unwrap(); // killed after the first rename
        let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
        assert_eq!(names.map(read), ["new", "old", "old"], "the kill left a mixed set");
        assert!(dir.join(JOURNAL).exists());
        assert_eq!(complete_interrupted_commit(&dir).unwrap(), 2);
        assert_eq!(names.map(read), ["new", "new", "new"]);
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 3, "{left:?}");
        assert_eq!(complete_interrupted_commit(&dir).unwrap(), 0, "nothing left to complete");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
