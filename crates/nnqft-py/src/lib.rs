//! # nnqft-py
//!
//! The Python package `nnqft` (pyo3 + rust-numpy, built by maturin:
//! `pip install ./crates/nnqft-py`). Functions return NumPy arrays, and tables as a `dict`
//! of columns with the names of the Parquet reports, which
//! `pandas.DataFrame` and `polars.DataFrame` accept as they are.
//!
//! - [`sample`](mod@sample) -- `nnqft.sample`: a seeded ensemble, bit for bit as `cargo xtask sample`.
//! - [`theory`] -- `nnqft.gp`, `nnqft.kernel`, `nnqft.exact`: GP and exact finite-width correlators.
//! - [`fit`](mod@fit) -- `nnqft.fit`: the Table 5 EFT coupling fits of a correlators table.
//! - [`deep`] -- `nnqft.theory`, `nnqft.critical`: the theory of a deep network and the critical
//!   point of an activation.
//! - [`ntk`](mod@ntk) -- `nnqft.ntk`: the neural tangent kernel table of a deep network (infinite
//!   width, and the mean NTK and `G2` of sampled nets), as `nnqft ntk`.
//! - [`analyze`](mod@analyze) -- `nnqft.analyze`: the analysis of network outputs made anywhere
//!   (NumPy, PyTorch, JAX): correlators, the GP of their own G2, connected parts, width scans.
//! - [`action`](mod@action) -- `nnqft.action`: the couplings of an ensemble's action on a point
//!   set (exact, a deep network's leading order, or measured outputs with jackknife errors).
//! - [`studies`] -- `nnqft.scaling`, `nnqft.table5`, `nnqft.rg`, `nnqft.depth`, `nnqft.ntk_study`: the studies of
//!   `cargo xtask reproduce` at a profile's sizes or the caller's, returning their report tables.
//! - [`configuration`] -- the shared arguments (network family, input set, counts), validated.
//! - [`correlators`] -- the rows of `correlators.parquet`.
//! - [`table`] -- a table as a dict of columns.
//! - [`interrupt`] -- long calls that stop on Ctrl-C with `KeyboardInterrupt` and show progress
//!   (`progress=`): the work on a worker thread, signals checked by the calling thread.
//! - [`error`] -- invalid arguments as `ValueError`s naming the field and its allowed range.
//!
//! Heavy work runs with the interpreter released (`Python::detach`); sampling uses the
//! sampling crate's thread pool and gives the same numbers for any thread count. The long calls
//! (`sample`, `ntk` with nets, `analyze`, `theory`, the studies) run through [`interrupt::interruptible`]: Ctrl-C stops
//! them with `KeyboardInterrupt` after at most one work item, and `progress=True` shows a bar.

pub mod action;
pub mod analyze;
pub mod configuration;
pub mod correlators;
pub mod deep;
pub mod error;
pub mod fit;
pub mod interrupt;
pub mod ntk;
pub mod sample;
pub mod studies;
pub mod table;
pub mod theory;

use pyo3::prelude::*;

/// Neural networks as quantum field theories (arXiv:2008.08601): sample network ensembles,
/// compare their correlators with the GP limit and exact finite-width theory, and fit the
/// EFT couplings of Table 5. Tables are dicts of columns (pass them to pandas.DataFrame or
/// polars.DataFrame); invalid arguments raise ValueError.
#[pymodule(name = "nnqft")]
fn nnqft_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Load NumPy's C API now: rust-numpy imports it on first use and panics if that import fails,
    // which a Ctrl-C landing just as a first long call ends would make it do (KeyboardInterrupt
    // raised inside the import) instead of raising KeyboardInterrupt.
    m.py().import("numpy")?;
    numpy::PyArray1::<f64>::zeros(m.py(), 0, false);
    m.add_function(wrap_pyfunction!(sample::sample, m)?)?;
    m.add_function(wrap_pyfunction!(theory::gp, m)?)?;
    m.add_function(wrap_pyfunction!(theory::kernel, m)?)?;
    m.add_function(wrap_pyfunction!(theory::exact, m)?)?;
    m.add_function(wrap_pyfunction!(fit::fit, m)?)?;
    m.add_function(wrap_pyfunction!(deep::theory, m)?)?;
    m.add_function(wrap_pyfunction!(deep::critical, m)?)?;
    m.add_function(wrap_pyfunction!(ntk::ntk, m)?)?;
    m.add_function(wrap_pyfunction!(analyze::analyze, m)?)?;
    m.add_function(wrap_pyfunction!(action::action, m)?)?;
    m.add_function(wrap_pyfunction!(studies::scaling, m)?)?;
    m.add_function(wrap_pyfunction!(studies::table5, m)?)?;
    m.add_function(wrap_pyfunction!(studies::rg, m)?)?;
    m.add_function(wrap_pyfunction!(studies::depth, m)?)?;
    m.add_function(wrap_pyfunction!(studies::ntk_study, m)?)?;
    m.add_function(wrap_pyfunction!(studies::action_study, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_SEED", nnqft_sampling::DEFAULT_SEED)?;
    m.add("MAX_POINTS", configuration::MAX_POINTS)?;
    Ok(())
}
