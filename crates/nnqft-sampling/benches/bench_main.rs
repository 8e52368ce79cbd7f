//! Sampler throughput (neuron evaluations per second = nets x width x inputs / s), both
//! estimators with G2/G4/G6 accumulation, against the floor: the same normal draws and
//! activations with no correlator work. `cargo bench -p nnqft-sampling`.
//!
//! Criterion measures each case in turn, so on a machine whose speed drifts the ratios to the
//! floor are better read from `cargo run --release -p nnqft-sampling --example throughput`,
//! which alternates floor and estimators round by round.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nnqft_sampling::normal::Normals;

/// Values per call of a lane kernel here: the width of the sampler's normal generator.
const LANES: usize = 8;
use nnqft_sampling::{Ensemble, Estimator, floor, seed};
use nnqft_theory::machinery::with_simd;
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

/// The primitives a neuron evaluation is made of, one thread, per element: a standard normal
/// draw (3 per neuron at d = 1) from the lane generator and from the reference one
/// (`Pcg64Mcg` + rand_distr's ziggurat), and each activation (one per neuron and input point),
/// scalar and on lanes (the lane versions under [`with_simd`], as in the sampler).
/// `primitives/normal_reference` is also `cargo xtask bench`'s yardstick.
// the lane functions are wrapped in `#[inline(always)]` closures so that they are inlined into
// the AVX2 + FMA build (a function item's call shim may not be)
#[allow(clippy::redundant_closure)]
fn primitives(c: &mut Criterion) {
    const COUNT: u64 = 1 << 16;
    let mut group = c.benchmark_group("primitives");
    group.throughput(Throughput::Elements(COUNT));
    group.bench_function("normal_reference", |b| {
        let mut rng = seed::stream(1, 0, 0);
        b.iter(|| (0..COUNT).map(|_| rng.sample::<f64, _>(StandardNormal)).sum::<f64>())
    });
    group.bench_function("normal_lanes", |b| {
        let mut rng = seed::lanes(1, 0, 0);
        let mut buf = vec![0.0; COUNT as usize];
        b.iter(|| {
            with_simd(
                #[inline(always)]
                || rng.fill_slice(&mut buf),
            );
            black_box(buf[0])
        })
    });
    let zs: Vec<f64> = {
        let mut rng = seed::stream(2, 0, 0);
        (0..COUNT).map(|_| 1.5 * rng.sample::<f64, _>(StandardNormal)).collect()
    };
    group.bench_function("erf", scalar(&zs, nnqft_theory::erf));
    group.bench_function(
        "erf_lanes",
        lanes(
            &zs,
            #[inline(always)]
            |l| nnqft_theory::machinery::erf_lanes(l),
        ),
    );
    group.bench_function("exp_std", scalar(&zs, f64::exp));
    group.bench_function(
        "exp_lanes",
        lanes(
            &zs,
            #[inline(always)]
            |l| nnqft_theory::machinery::exp_lanes(l),
        ),
    );
    group.bench_function("tanh_std", scalar(&zs, f64::tanh));
    group.bench_function(
        "tanh_lanes",
        lanes(
            &zs,
            #[inline(always)]
            |l| nnqft_theory::machinery::tanh_lanes(l),
        ),
    );
    group.bench_function("cos_std", scalar(&zs, f64::cos));
    group.bench_function(
        "cos_lanes",
        lanes(
            &zs,
            #[inline(always)]
            |l| nnqft_theory::machinery::cos_lanes(l),
        ),
    );
    group.bench_function("relu", scalar(&zs, |z| z.max(0.0)));
    group.bench_function(
        "relu_lanes",
        lanes(
            &zs,
            #[inline(always)]
            |l: &mut [f64; LANES]| l.iter_mut().for_each(|v| *v = v.max(0.0)),
        ),
    );
    group.finish();
}

/// Each `f(z)` of `zs`, summed (generic, so that `f` is inlined).
fn scalar(zs: &[f64], f: impl Fn(f64) -> f64 + Copy + 'static) -> impl FnMut(&mut criterion::Bencher) + '_ {
    move |b| b.iter(|| zs.iter().map(|&z| f(black_box(z))).sum::<f64>())
}

/// `f` on each [`LANES`] of `zs`, summed, under [`with_simd`] (generic, so that `f` is inlined
/// into the AVX2 build).
fn lanes(zs: &[f64], f: impl Fn(&mut [f64; LANES]) + Copy + 'static) -> impl FnMut(&mut criterion::Bencher) + '_ {
    move |b| {
        b.iter(|| {
            with_simd(
                #[inline(always)]
                || {
                    let mut acc = [0.0; LANES];
                    for chunk in zs.chunks_exact(LANES) {
                        let mut l: [f64; LANES] = chunk.try_into().expect("LANES values");
                        f(black_box(&mut l));
                        acc.iter_mut().zip(&l).for_each(|(a, v)| *a += v);
                    }
                    acc.iter().sum::<f64>()
                },
            )
        })
    }
}

criterion_group!(benches, throughput, primitives);
criterion_main!(benches);
