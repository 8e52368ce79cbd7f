//! Long calls that behave in a notebook: Ctrl-C (or Jupyter's interrupt) stops them with
//! `KeyboardInterrupt` within about one work item, and `progress=` shows how far they are.
//!
//! Python runs signal handlers on its main thread only, and only when that thread checks for
//! them. So [`interruptible`] runs the work on a worker thread, without the interpreter, under a
//! [`Monitor`] over two atomics; the calling thread waits in slices of [`POLL`], and between
//! slices takes the interpreter, calls `check_signals` and updates the progress display. On an
//! exception (the `KeyboardInterrupt` of a SIGINT, or one raised by a progress callback) it asks
//! the work to stop, waits for the worker to end (at most one work item per thread) and raises
//! the exception; the work's partial results are dropped, and nothing is left running. Progress
//! therefore reaches Python from the calling thread only, never from a worker. The monitor only
//! observes the work, so the numbers are those of an unmonitored run, bit for bit.

use crate::error::invalid;
use nnqft_sampling::Monitor;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How long the calling thread waits between two checks for signals: the interrupt latency
/// beyond the work item that is running.
pub const POLL: Duration = Duration::from_millis(50);

/// The allowed values of `progress`, in words.
const PROGRESS_ALLOWED: &str = "False, True (a tqdm bar when tqdm is installed, else nothing) or a callable \
progress(done, total)";

/// The `progress=` argument: nothing, a tqdm bar, or a callable `progress(done, total)`.
pub enum Progress<'py> {
    /// No display (`False`, the default; `True` without tqdm).
    Off,
    /// `tqdm.auto.tqdm`: a text bar in a terminal, a widget in Jupyter.
    Tqdm(Bound<'py, PyAny>),
    /// A callable, called with `(done, total)` from the calling thread as work items end.
    Callback(Bound<'py, PyAny>),
}

impl<'py> Progress<'py> {
    /// Reads the argument: `None` or `False` is off, `True` is a tqdm bar if tqdm imports (else
    /// off), a callable is called; anything else is a `ValueError` naming `progress`.
    pub fn from_arg(py: Python<'py>, value: Option<&Bound<'py, PyAny>>) -> PyResult<Self> {
        let Some(v) = value.filter(|v| !v.is_none()) else { return Ok(Self::Off) };
        if let Ok(on) = v.cast::<pyo3::types::PyBool>() {
            if !on.is_true() {
                return Ok(Self::Off);
            }
            return Ok(match py.import("tqdm.auto") {
                Ok(module) => Self::Tqdm(module.getattr("tqdm")?),
                Err(_) => Self::Off,
            });
        }
        if v.is_callable() {
            return Ok(Self::Callback(v.clone()));
        }
        Err(invalid("progress", v.repr().map_or_else(|_| "?".to_string(), |r| r.to_string()), PROGRESS_ALLOWED))
    }
}

/// A progress display of one call, driven by the calling thread.
struct Display<'py> {
    bar: Option<Bound<'py, PyAny>>,
    callback: Option<Bound<'py, PyAny>>,
    total: u64,
    shown: u64,
}

impl<'py> Display<'py> {
    fn new(progress: &Progress<'py>, total: u64, unit: &str, what: &str) -> PyResult<Self> {
        let (bar, callback) = match progress {
            Progress::Off => (None, None),
            Progress::Tqdm(tqdm) => {
                let kwargs = pyo3::types::PyDict::new(tqdm.py());
                kwargs.set_item("total", total)?;
                kwargs.set_item("unit", unit)?;
                kwargs.set_item("unit_scale", true)?;
                kwargs.set_item("desc", what)?;
                (Some(tqdm.call((), Some(&kwargs))?), None)
            }
            Progress::Callback(f) => (None, Some(f.clone())),
        };
        Ok(Self { bar, callback, total, shown: 0 })
    }

    /// Shows `done` units if that is news.
    fn show(&mut self, done: u64) -> PyResult<()> {
        if done == self.shown {
            return Ok(());
        }
        if let Some(bar) = &self.bar {
            bar.call_method1("update", (done - self.shown,))?;
        }
        if let Some(f) = &self.callback {
            f.call1((done, self.total))?;
        }
        self.shown = done;
        Ok(())
    }

    fn close(&self) -> PyResult<()> {
        self.bar.as_ref().map_or(Ok(()), |bar| bar.call_method0("close").map(drop))
    }
}

/// The worker's side: units done, the request to stop, and the end of the work.
#[derive(Default)]
struct Watch {
    done: AtomicU64,
    stop: AtomicBool,
    finished: Mutex<bool>,
    ended: Condvar,
}

impl Monitor for Watch {
    fn advance(&self, nets: u64) {
        self.done.fetch_add(nets, Ordering::Relaxed);
    }
    fn interrupted(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

impl Watch {
    /// Waits up to [`POLL`] for the work to end; whether it has.
    fn wait(&self) -> bool {
        let finished = self.finished.lock().unwrap_or_else(|e| e.into_inner());
        let (finished, _) =
            self.ended.wait_timeout_while(finished, POLL, |finished| !*finished).unwrap_or_else(|e| e.into_inner());
        *finished
    }
}

/// Marks the work finished when dropped, also when it panics.
struct Finish<'a>(&'a Watch);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        *self.0.finished.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.0.ended.notify_all();
    }
}

/// Runs `work` on a worker thread without the interpreter, under a monitor that stops it when
/// the calling thread sees a signal's exception (module docs), with `progress` shown over
/// `total` units (`unit`, e.g. "nets"; `what` names the bar). Returns the work's result, or the
/// exception (`KeyboardInterrupt`) once the worker has ended. A panic of the work is resumed
/// here, where pyo3 turns it into a `PanicException`.
pub fn interruptible<'py, T: Send>(
    py: Python<'py>,
    progress: &Progress<'py>,
    total: u64,
    unit: &str,
    what: &str,
    work: impl FnOnce(&dyn Monitor) -> PyResult<T> + Send,
) -> PyResult<T> {
    let watch = Watch::default();
    let mut display = Display::new(progress, total, unit, what)?;
    let (outcome, result) = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let _finish = Finish(&watch);
            work(&watch)
        });
        let outcome = loop {
            let finished = py.detach(|| watch.wait());
            let checked = py.check_signals().and_then(|()| display.show(watch.done.load(Ordering::Relaxed)));
            if let Err(e) = checked {
                watch.stop.store(true, Ordering::Relaxed);
                break Err(e);
            }
            if finished {
                break Ok(());
            }
        };
        (outcome, py.detach(|| worker.join()))
    });
    let closed = display.close();
    let value = match (outcome, result) {
        (Err(e), _) => return Err(e),
        (Ok(()), Ok(value)) => value?,
        (Ok(()), Err(panic)) => std::panic::resume_unwind(panic),
    };
    closed.map(|()| value)
}
