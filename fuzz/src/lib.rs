//! What the fuzz targets share: a scratch file per process for the parsers that read a path,
//! the checksum repair that lets mutated shard files past their CRC-32, and the small
//! ensembles whose shard files seed the corpus (`examples/seeds.rs`) and that the shard target
//! merges.

use nnqft_sampling::{Ensemble, Estimator};
use nnqft_theory::{Activation, InputSet, Network};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// This process's scratch folder (under the system's temporary folder, `TMPDIR`), made once.
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("nnqft-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cannot make the scratch folder");
        dir
    })
}

/// Writes `bytes` to the file `name` of the scratch folder (replacing it) and returns its path.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, bytes).expect("cannot write the scratch file");
    path
}

/// `bytes` with its last 4 bytes replaced by the CRC-32 of the others (a shard file's
/// trailer), if they differ from it: a mutated file then also reaches what runs after the
/// checksum test.
pub fn with_crc(bytes: &[u8]) -> Option<Vec<u8>> {
    let n = bytes.len().checked_sub(4)?;
    let crc = crc32fast::hash(&bytes[..n]).to_le_bytes();
    (bytes[n..] != crc).then(|| [&bytes[..n], &crc[..]].concat())
}

/// An ensemble of `points` one-dimensional inputs with the given settings, if they are small
/// enough to merge within a fuzz run (at most 6 points, width 64, 4096 nets and 16
/// experiments); `None` if not, or if they do not make an ensemble. The network (not recorded
/// in a shard file) is a ReLU-net, a Gauss-net for the `bias_integrated` estimator.
pub fn small_ensemble(
    points: usize,
    width: usize,
    nets: u64,
    experiments: usize,
    estimator: &str,
    squares: bool,
    seed: u64,
) -> Option<Ensemble> {
    if !(1..=6).contains(&points) || !(1..=64).contains(&width) || !(1..=4096).contains(&nets) {
        return None;
    }
    if !(1..=16).contains(&experiments) {
        return None;
    }
    let estimator = Estimator::parse(estimator).ok()?;
    let act = if estimator == Estimator::BiasIntegrated { Activation::Gauss } else { Activation::Relu };
    let net = Network::new(act, 1, 1.0, act.paper_sigma_b()).ok()?;
    let xs: Vec<Vec<f64>> = (0..points).map(|i| vec![0.1 + 0.2 * i as f64]).collect();
    let inputs = InputSet::new("fuzz", &xs).ok()?;
    Some(Ensemble::new(net, width, inputs, nets, experiments, estimator, seed).ok()?.with_variance(squares))
}
