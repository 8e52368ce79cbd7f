//! The machine-readable record of a side-by-side example, written with `--json PATH` beside its
//! table and read by `cargo xtask bench --side-by-side`: one JSON object per case and line
//! (JSON Lines), the file created anew by each run:
//!
//! ```text
//! {"example":"throughput","network":"erf","depth":1,"width":100,"statistic":"median",
//!  "ns_per_net":{"raw":[r1,r2,...],"conditional":[c1,c2,...],"floor":[f1,f2,...]},
//!  "baselines":{"numpy":{"ns_per_net":b},"jax":{"skipped":"python3 cannot import jax"}}}
//! ```
//!
//! (on one line). `ns_per_net` holds our wall time per network in nanoseconds, one entry per timed
//! round, the rounds paired (round `i` of every list ran back to back); `statistic` says how the
//! example's table sums the rounds up (`median`, or `best`: the fastest). Each baseline is its own
//! timing of one run on the case, in nanoseconds per network, or `skipped` with the reason.

use serde_json::{Value, json};
use std::io::Write;

/// Removes `--json PATH` from `args` (anywhere) and returns the record it asks for, if any.
pub fn from_args(args: &mut Vec<String>) -> Result<Option<Record>, String> {
    let Some(at) = args.iter().position(|a| a == "--json") else {
        return Ok(None);
    };
    let path = args.get(at + 1).cloned().ok_or("--json: needs a file path")?;
    args.drain(at..=at + 1);
    let file = std::fs::File::create(&path).map_err(|e| format!("--json: cannot create {path}: {e}"))?;
    Ok(Some(Record { file }))
}

/// An open record file.
pub struct Record {
    file: std::fs::File,
}

/// One baseline's entry: its time per network, or why it did not run.
pub fn baseline(ns_per_net: Result<f64, String>) -> Value {
    match ns_per_net {
        Ok(ns) => json!({ "ns_per_net": ns }),
        Err(why) => json!({ "skipped": why }),
    }
}

impl Record {
    /// Appends one case (a JSON object in the format of the module docs) as a line.
    pub fn case(&mut self, case: &Value) -> Result<(), String> {
        writeln!(self.file, "{case}").map_err(|e| format!("--json: cannot write: {e}"))
    }
}
