//! Sampler throughput (neuron evaluations per second = nets x width x inputs / s), both
//! estimators with G2/G4/G6 accumulation, against the floor: the same normal draws and
//! activations with no correlator work. `cargo bench -p nnqft-sampling`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nnqft_sampling::draw::{NetSampler, PreparedInputs};
use nnqft_sampling::{Ensemble, Estimator, seed};
use nnqft_theory::simd::with_simd;
use nnqft_theory::{Activation, InputSet, Network};
use rayon::prelude::*;
use std::hint::black_box;

const THREADS: usize = 2;

/// Enough nets for several work items per thread at every width.
fn nets_for(width: usize) -> u64 {
    (1_000_000 / width as u64).max(4 * nnqft_sampling::CHUNK_NETS)
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("sampler");
    group.sample_size(10);
    for act in Activation::ALL {
        let net = Network::paper(act, 1).unwrap();
        let xs = InputSet::scaling(act, 1).unwrap();
        for width in [5usize, 100, 1000] {
            let nets = nets_for(width);
            group.throughput(Throughput::Elements(nets * width as u64 * xs.len() as u64));
            for est in [Estimator::Raw, Estimator::Conditional] {
                let e = Ensemble::new(net, width, xs.clone(), nets, 1, est, 1).unwrap();
                group.bench_with_input(
                    BenchmarkId::new(format!("{}/{}", act.name(), est.name()), width),
                    &e,
                    |b, e| b.iter(|| black_box(e.run(THREADS).unwrap())),
                );
            }
            // floor: identical draws and activations, no correlator accumulation
            let prepared = PreparedInputs::new(&net, &xs);
            let pool = rayon::ThreadPoolBuilder::new().num_threads(THREADS).build().unwrap();
            group.bench_function(BenchmarkId::new(format!("{}/floor", act.name()), width), |b| {
                b.iter(|| {
                    pool.install(|| {
                        (0..THREADS as u64)
                            .into_par_iter()
                            .map(|t| {
                                // built like the sampler's work items (AVX2 where available)
                                with_simd(|| {
                                    let mut rng = seed::stream(1, 0, t);
                                    let mut sampler = NetSampler::new(&net, width, &prepared);
                                    let mut f = vec![0.0; 6];
                                    let mut acc = 0.0;
                                    for _ in 0..nets / THREADS as u64 {
                                        sampler.outputs(&mut rng, &mut f);
                                        acc += f[0];
                                    }
                                    acc
                                })
                            })
                            .sum::<f64>()
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
