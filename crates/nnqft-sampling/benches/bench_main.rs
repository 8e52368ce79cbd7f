//! Sampler throughput (neuron evaluations per second = nets x width x inputs / s), both
//! estimators with G2/G4/G6 accumulation, against the floor: the same normal draws and
//! activations with no correlator work. `cargo bench -p nnqft-sampling`.
//!
//! Criterion measures each case in turn, so on a machine whose speed drifts the ratios to the
//! floor are better read from `cargo run --release -p nnqft-sampling --example throughput`,
//! which alternates floor and estimators round by round.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nnqft_sampling::{Ensemble, Estimator, floor, seed};
use nnqft_theory::{Activation, InputSet, Network};
use rand::RngExt;
use rand_distr::StandardNormal;
use std::hint::black_box;

const THREADS: usize = 2;

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("sampler");
    group.sample_size(10);
    for act in Activation::ALL {
        let net = Network::paper(act, 1).unwrap();
        let xs = InputSet::scaling(act, 1).unwrap();
        for width in [5usize, 100, 1000] {
            let nets = floor::bench_nets(width);
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
            let pool = rayon::ThreadPoolBuilder::new().num_threads(THREADS).build().unwrap();
            group.bench_function(BenchmarkId::new(format!("{}/floor", act.name()), width), |b| {
                b.iter(|| pool.install(|| black_box(floor::draw_only(&net, width, &xs, nets, THREADS))))
            });
        }
    }
    group.finish();
}

/// The primitives a neuron evaluation is made of, one thread: a standard normal draw
/// (`Pcg64Mcg` + rand_distr's ziggurat, 3 per neuron at d = 1) and each activation (one per
/// neuron and input point). They bound the floor: at d = 1 with 6 points a neuron evaluation
/// costs at least `normal / 2 + activation`.
fn primitives(c: &mut Criterion) {
    const COUNT: u64 = 1 << 16;
    let mut group = c.benchmark_group("primitives");
    group.throughput(Throughput::Elements(COUNT));
    group.bench_function("normal", |b| {
        let mut rng = seed::stream(1, 0, 0);
        b.iter(|| (0..COUNT).map(|_| rng.sample::<f64, _>(StandardNormal)).sum::<f64>())
    });
    let zs: Vec<f64> = {
        let mut rng = seed::stream(2, 0, 0);
        (0..COUNT).map(|_| 1.5 * rng.sample::<f64, _>(StandardNormal)).collect()
    };
    group.bench_function("erf", |b| b.iter(|| zs.iter().map(|&z| nnqft_theory::erf::erf(black_box(z))).sum::<f64>()));
    group.bench_function("exp", |b| b.iter(|| zs.iter().map(|&z| black_box(z).exp()).sum::<f64>()));
    group.bench_function("relu", |b| b.iter(|| zs.iter().map(|&z| black_box(z).max(0.0)).sum::<f64>()));
    group.finish();
}

criterion_group!(benches, throughput, primitives);
criterion_main!(benches);
