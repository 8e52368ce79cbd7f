//! Writes the seed corpus of the `shard_file` target: small real shard files and a resume block
//! of the ensembles of [`nnqft_fuzz::small_ensemble`], as `nnqft sample --shard K/N` writes
//! them. `cargo run --example seeds -- corpus/shard_file` (from `fuzz/`).

use nnqft_run::run::{Command, Run};
use nnqft_run::shard::{record, record_ensemble};
use nnqft_sampling::Shard;
use nnqft_study::Planned;
use nnqft_study::key::EnsembleKey;
use std::path::PathBuf;

/// A planned ensemble of `nnqft sample`'s kind (its key names the network, width and
/// estimator).
fn planned(points: usize, width: usize, nets: u64, experiments: usize, estimator: &str, squares: bool) -> Planned {
    let ensemble = nnqft_fuzz::small_ensemble(points, width, nets, experiments, estimator, squares, 7).unwrap();
    let key =
        EnsembleKey::Sample { activation: ensemble.network().activation(), width, estimator: ensemble.estimator() };
    Planned { key, ensemble }
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: seeds OUT_DIR"));
    std::fs::create_dir_all(&out).unwrap();
    let work = std::env::temp_dir().join(format!("nnqft-fuzz-seeds-{}", std::process::id()));
    let a = planned(2, 2, 8, 2, "raw", false);
    let b = planned(3, 3, 16, 3, "conditional", true);
    let config = serde_json::json!({"command": "sample", "seed": 7, "fuzz": "seed corpus"});
    let run = |name: &str| {
        let dir = work.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        Run::unlocked(dir, Command::Sample, 7, 1, config.clone())
    };
    let keep = |from: PathBuf, name: &str| {
        std::fs::copy(&from, out.join(name)).unwrap();
    };
    let whole = Shard::new(0, 1).unwrap();
    keep(record(&run("one"), whole, std::slice::from_ref(&a), false).unwrap(), "one-ensemble-0-of-1.nnqs");
    keep(record(&run("two"), whole, &[a.clone(), b.clone()], false).unwrap(), "two-ensembles-0-of-1.nnqs");
    let second = Shard::new(1, 2).unwrap();
    keep(record(&run("half"), second, std::slice::from_ref(&b), false).unwrap(), "one-ensemble-1-of-2.nnqs");
    let (_, block) = record_ensemble(&run("block"), second, &a.key.name(), &a.ensemble, false).unwrap();
    keep(block, "resume-block-1-of-2.nnqs");
    std::fs::remove_dir_all(&work).unwrap();
}
