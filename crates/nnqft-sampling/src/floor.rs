//! The floor of the sampler's throughput: drawing the same networks (the same normal variates,
//! the same activations, the outputs `f`) with no correlator work. Benchmarks compare the
//! estimators against it.

use crate::draw::{NetSampler, PreparedInputs};
use crate::seed;
use nnqft_theory::machinery::with_simd;
use nnqft_theory::{InputSet, Network};
use rayon::prelude::*;

/// Draws `nets` networks of `width` neurons on `inputs`, split evenly over `threads` threads
/// (one lane generator each, built like the sampler's work items), and returns the sum of their
/// first outputs so that no work can be skipped.
pub fn draw_only(net: &Network, width: usize, inputs: &InputSet, nets: u64, threads: usize) -> f64 {
    let prepared = PreparedInputs::new(net, inputs);
    let per_thread = nets / threads.max(1) as u64;
    (0..threads.max(1) as u64)
        .into_par_iter()
        .map(|t| {
            with_simd(
                #[inline(always)]
                || {
                    let mut rng = seed::lanes(1, 0, t);
                    let mut sampler = NetSampler::new(net, width, &prepared);
                    let mut f = vec![0.0; prepared.len()];
                    let mut acc = 0.0;
                    for _ in 0..per_thread {
                        sampler.outputs(&mut rng, &mut f);
                        acc += f[0];
                    }
                    acc
                },
            )
        })
        .sum()
}

/// The floor of a deep ensemble: [`crate::DeepEnsemble::run`]'s work items and draws (every
/// hidden layer and, for the raw estimator, the outputs) with no correlator work.
pub fn deep_draw_only(ensemble: &crate::DeepEnsemble, threads: usize) -> crate::Result<f64> {
    ensemble.draw_only(threads)
}

/// Nets per measurement in the throughput benchmarks at `width`: about a million neurons, and
/// at least four work items per thread.
pub fn bench_nets(width: usize) -> u64 {
    (1_000_000 / width.max(1) as u64).max(4 * crate::ensemble::CHUNK_NETS)
}
