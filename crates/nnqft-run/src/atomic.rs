//! Atomic and staged file writes. Every file is written to `NAME.tmp` and renamed, so an
//! interrupted run never leaves a half-written file. While a [`Staging`] is open on a
//! thread, its writes stop at the `.tmp` file and are put in place together by
//! [`commit_staged`], so the folder holds the old report set or the new one, never a mix:
//!
//! - **Swap** (Linux): the new set is assembled in a sibling folder `.NAME.next` (the staged
//!   files and, as hard links, everything of the folder they do not replace: other commands'
//!   subfolders, the lock file, shard files), which one `renameat2(RENAME_EXCHANGE)` system
//!   call exchanges with the folder; the old set, now in the sibling, is then removed. At
//!   every instant, and after a kill at any point, the folder is the old set or the new one,
//!   for a reader as for the next run (which removes a sibling a killed run left).
//! - **Journal** (where the file system refuses hard links or the exchange): the staged files
//!   are renamed one by one (`provenance.json` last) under a journal that the next run
//!   completes if the process is killed among the renames. A reader during those
//!   microseconds, or after such a kill until the next run, can see a mix.
//!
//! A write that fails (a full disk) leaves the previous reports as they were and no `.tmp`
//! behind.

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

/// Puts every staged report in place and closes the staging (nothing to do without one):
/// by swapping the folder with a sibling that holds the new set ([`swap_sibling`]) where the file
/// system allows it, otherwise by journalled renames in the order written. The renames are
/// journalled in `dir` ([`JOURNAL`], written atomically before the first rename, removed
/// after the last): a process killed among them leaves the journal, and the next run into the
/// folder completes them ([`complete_interrupted_commit`]) before anything else.
pub fn commit_staged(dir: &Path) -> Result<()> {
    let staged = STAGED.with(|s| s.borrow_mut().take()).unwrap_or_default();
    if staged.is_empty() {
        return Ok(());
    }
    // the staged `.tmp` files stay in the old folder a swap replaces, and go with it
    swap_in(dir, &staged, Step::All).or_else(|_| commit(dir, &staged, staged.len()))
}

/// How far [`swap_in`] goes (the tests stop it where a kill could land).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Assemble the sibling and stop, as if killed before the exchange.
    Assemble,
    /// Assemble, exchange and stop, as if killed before the old set is removed.
    #[cfg(test)]
    Exchange,
    /// The whole swap.
    All,
}

/// The sibling in which a swap assembles the new set of `dir`: `.NAME.next` beside it.
pub fn swap_sibling(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dir.with_file_name(format!(".{name}.next"))
}

/// Swaps `dir` with a sibling holding the new set: the staged files (hard links to their
/// `.tmp`, which stay in place until the swap succeeded) and hard links to everything of
/// `dir` they do not replace (its `.tmp` files, the resume blocks and a journal excepted),
/// then one `renameat2(RENAME_EXCHANGE)`, then the old set (now the sibling) removed. Every
/// error comes before the exchange: one (no hard links, no exchange on this file system) removes the
/// sibling and leaves `dir` untouched, for the journalled renames to do the commit.
fn swap_in(dir: &Path, staged: &[(PathBuf, PathBuf)], step: Step) -> Result<()> {
    let next = swap_sibling(dir);
    if let Err(e) = assemble(dir, &next, staged) {
        let _ = std::fs::remove_dir_all(&next);
        return Err(e);
    }
    if step == Step::Assemble {
        return Ok(());
    }
    if let Err(e) = exchange(&next, dir) {
        let _ = std::fs::remove_dir_all(&next);
        return Err(e);
    }
    if step == Step::All {
        // the new set is in place; an old set that cannot be removed now is removed by the
        // next run into the folder
        let _ = std::fs::remove_dir_all(&next);
    }
    Ok(())
}

/// Builds `next`: the folder `dir` as hard links (its `.tmp` files, `.blocks` and the journal
/// left out; the staged reports' old versions left out), then the staged files in place.
fn assemble(dir: &Path, next: &Path, staged: &[(PathBuf, PathBuf)]) -> Result<()> {
    if next.exists() {
        std::fs::remove_dir_all(next)?;
    }
    let replaced: std::collections::HashSet<&Path> = staged.iter().map(|(_, p)| p.as_path()).collect();
    mirror(dir, next, &|p: &Path| {
        let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        !replaced.contains(p) && !name.ends_with(".tmp") && name != ".blocks" && name != JOURNAL
    })?;
    std::fs::set_permissions(next, std::fs::metadata(dir)?.permissions())?;
    for (tmp, path) in staged {
        let rel = path.strip_prefix(dir).with_context(|| format!("{} is outside {}", path.display(), dir.display()))?;
        let to = next.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::hard_link(tmp, &to).with_context(|| format!("cannot link {} to {}", tmp.display(), to.display()))?;
    }
    Ok(())
}

/// Recreates `from` in `to`: folders as folders, files as hard links, symbolic links as
/// links, each entry only if `keep` says so.
fn mirror(from: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<()> {
    std::fs::create_dir(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (path, kind) = (entry.path(), entry.file_type()?);
        if !keep(&path) {
            continue;
        }
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            mirror(&path, &target, keep)?;
            std::fs::set_permissions(&target, entry.metadata()?.permissions())?;
        } else if kind.is_symlink() {
            symlink(&std::fs::read_link(&path)?, &target)?;
        } else {
            std::fs::hard_link(&path, &target)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> Result<()> {
    Ok(std::os::unix::fs::symlink(target, link)?)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, link: &Path) -> Result<()> {
    anyhow::bail!("cannot recreate the symbolic link {} here", link.display())
}

/// Exchanges the folders `a` and `b` in one system call.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE)
        .with_context(|| format!("cannot exchange {} and {}", a.display(), b.display()))
}

/// Exchanges the folders `a` and `b`: not available here (the journalled renames commit).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(a: &Path, b: &Path) -> Result<()> {
    anyhow::bail!("no atomic exchange of {} and {} on this system", a.display(), b.display())
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

    /// Every file of `dir` (recursively, relative path and content), sorted.
    fn contents(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                let name = e.file_name().to_string_lossy().into_owned();
                out.extend(contents(&p).into_iter().map(|(n, c)| (format!("{name}/{n}"), c)));
            } else {
                out.push((e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()));
            }
        }
        out.sort();
        out
    }

    /// The swap: killed after assembling, the folder is the whole old set; killed after the
    /// exchange, the whole new set (the sibling holding the old one, for the next run to
    /// remove); a whole swap leaves the new set, the files it did not replace (another
    /// command's subfolder, the lock) the same files, and no sibling, `.tmp` or journal.
    #[test]
    fn a_swap_leaves_the_old_set_or_the_new_one() {
        let dir = std::env::temp_dir().join(format!("nnqft-run-swap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("figures")).unwrap();
        std::fs::create_dir_all(dir.join("coverage")).unwrap();
        let names = ["a.parquet", "figures/f.svg", "provenance.json"];
        for n in names {
            std::fs::write(dir.join(n), "old").unwrap();
        }
        std::fs::write(dir.join("coverage/COVERAGE.md"), "theirs").unwrap();
        std::fs::write(dir.join(".lock"), "pid").unwrap();
        let old = contents(&dir);
        let mut new = old.clone();
        for (n, c) in new.iter_mut() {
            if names.contains(&n.as_str()) {
                *c = "new".into();
            }
        }
        for step in [Step::Assemble, Step::Exchange, Step::All] {
            let staging = Staging::begin();
            for n in names {
                write_atomic(&dir.join(n), b"new").unwrap();
            }
            let staged = STAGED.with(|s| s.borrow_mut().take()).unwrap();
            drop(staging); // the list was taken: nothing left for it to remove
            swap_in(&dir, &staged, step).unwrap();
            // a kill before the exchange leaves the `.tmp` files in the folder, for the next
            // run to remove (as it does here)
            staged.iter().for_each(|(t, _)| drop(std::fs::remove_file(t)));
            let next = swap_sibling(&dir);
            match step {
                Step::Assemble => {
                    assert_eq!(contents(&dir), old, "killed before the exchange");
                    assert_eq!(contents(&next), new, "the assembled set");
                    std::fs::remove_dir_all(&next).unwrap(); // as the next run does
                }
                Step::Exchange => {
                    assert_eq!(contents(&dir), new, "killed after the exchange");
                    // the old set beside it (with the staged `.tmp` files, removed with it)
                    let beside: Vec<_> = contents(&next).into_iter().filter(|(n, _)| !n.ends_with(".tmp")).collect();
                    assert_eq!(beside, old, "the old set, beside it");
                    std::fs::remove_dir_all(&next).unwrap();
                    // back to the old set for the whole swap
                    for n in names {
                        std::fs::write(dir.join(n), "old").unwrap();
                    }
                }
                Step::All => {
                    assert_eq!(contents(&dir), new);
                    assert!(!next.exists(), "the old set was not removed");
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// `commit_staged` swaps on this machine's file system (a swap that fell back to the
    /// journal would pass the other tests unnoticed): the folder is a new directory, and the
    /// file it did not replace is the same file (a hard link).
    #[cfg(target_os = "linux")]
    #[test]
    fn commit_staged_swaps_the_folder() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("nnqft-run-commit-swap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("kept.txt"), "kept").unwrap();
        std::fs::write(dir.join("a.parquet"), "old").unwrap();
        let (folder, kept) =
            (std::fs::metadata(&dir).unwrap().ino(), std::fs::metadata(dir.join("kept.txt")).unwrap().ino());
        let staging = Staging::begin();
        write_atomic(&dir.join("a.parquet"), b"new").unwrap();
        commit_staged(&dir).unwrap();
        drop(staging);
        assert_eq!(std::fs::read_to_string(dir.join("a.parquet")).unwrap(), "new");
        assert_ne!(std::fs::metadata(&dir).unwrap().ino(), folder, "the folder was not swapped");
        assert_eq!(std::fs::metadata(dir.join("kept.txt")).unwrap().ino(), kept);
        assert_eq!(contents(&dir).len(), 2, "{:?}", contents(&dir));
        assert!(!swap_sibling(&dir).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
