//! One run per output folder: an advisory lock (`flock`, through `fs4`) on `<out>/.lock`,
//! held for the whole run by every command that writes reports. The lock file names its
//! holder (pid, command, start time), so a second run into the same folder fails at once
//! with a one-line message naming the first. The shards of one job array share a folder but
//! each writes only its own file: a shard run locks `<out>/.lock-shard-K-of-N` instead.
//!
//! The kernel releases an advisory lock when its holder dies, even by `kill -9`; the file
//! then still names the dead holder. A run that gets the lock and finds such a record says
//! on stderr that it takes over the stale lock (and whether that pid is gone). A run that
//! ends, well or with an error, empties the record before it lets go.

use anyhow::{Context as _, Result, bail};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

/// A held lock on an output folder (or on one shard's file in it); released on drop.
#[derive(Debug)]
pub struct FolderLock {
    file: std::fs::File,
    path: PathBuf,
}

/// The name of the lock file: `.lock`, or `.lock-shard-K-of-N` for shard `K/N`.
pub fn lock_name(shard: Option<nnqft_sampling::Shard>) -> String {
    shard.map_or_else(|| ".lock".into(), |s| format!(".lock-shard-{}-of-{}", s.index(), s.count()))
}

/// Is process `pid` running? `None` where this cannot be told (no `/proc`).
pub fn pid_alive(pid: u32) -> Option<bool> {
    Path::new("/proc/self").exists().then(|| Path::new("/proc").join(pid.to_string()).exists())
}

/// The holder's record, one line: `pid P, command C, started T`.
fn record(command: &str, start: u64) -> String {
    format!("pid {}, `{command}`, started {}\n", std::process::id(), crate::provenance::rfc3339(start))
}

fn holder_pid(text: &str) -> Option<u32> {
    text.strip_prefix("pid ")?.split(',').next()?.trim().parse().ok()
}

impl FolderLock {
    /// Takes the lock `name` in folder `out` for `command` started at `start` (Unix seconds),
    /// or fails at once naming the holder. A record left by a holder that died is taken over
    /// with a line on stderr.
    pub fn acquire(out: &Path, name: &str, command: &str, start: u64) -> Result<Self> {
        let path = out.join(name);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        // `fs4`'s call by its full path: since Rust 1.89 `File` has an inherent `try_lock`
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = text.trim();
                let holder = if holder.is_empty() { "another process" } else { holder };
                bail!(
                    "--out {} is in use by another run ({holder}); wait for it to end or choose another --out",
                    out.display()
                );
            }
            Err(fs4::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        let mut previous = String::new();
        let _ = file.read_to_string(&mut previous);
        let previous = previous.trim();
        if !previous.is_empty() {
            let gone = match holder_pid(previous).and_then(pid_alive) {
                Some(false) => "its process is gone",
                Some(true) => "its pid now belongs to another process",
                None => "its lock was released",
            };
            eprintln!("taking over the stale lock {} ({previous}): {gone}", path.display());
        }
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(record(command, start).as_bytes())
            .and_then(|()| file.sync_data())
            .with_context(|| format!("cannot write the lock file {}", path.display()))?;
        Ok(Self { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // an empty record: the folder's last run ended (a record left behind means it died)
        let _ = self.file.set_len(0);
        let _ = fs4::FileExt::unlock(&self.file);
    }
}
