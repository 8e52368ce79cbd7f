//! The one place that shows an ensemble's progress (a bar on stderr, hidden when asked) and
//! prints its timing line when it ends: used by the runners and by a shard's run.

use indicatif::{ProgressBar, ProgressStyle};
use nnqft_sampling::Monitor;
use std::time::Instant;

/// A progress bar for `total` nets of ensemble `key` (hidden unless `show`).
pub fn progress_bar(show: bool, key: &str, total: u64) -> ProgressBar {
    let bar = if show { ProgressBar::new(total) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{prefix:>34} [{bar:28}] {human_pos}/{human_len} nets {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(key.to_string());
    bar
}

/// Runs `work` (told each finished item's nets) under a progress bar of `total` nets for
/// `key`, then prints `{key}: {what}{total} nets in {secs} s ({rate} nets/s)` to stderr.
pub fn timed<T, E>(
    show: bool,
    key: &str,
    what: &str,
    total: u64,
    work: impl FnOnce(&dyn Monitor) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let bar = progress_bar(show, key, total);
    let start = Instant::now();
    let result = work(&|n: u64| bar.inc(n));
    bar.finish_and_clear();
    let result = result?;
    let secs = start.elapsed().as_secs_f64();
    eprintln!("{key}: {what}{total} nets in {secs:.1} s ({:.3e} nets/s)", total as f64 / secs.max(1e-9));
    Ok(result)
}
