//! Theory benchmarks: GP and exact tensors on 6 points (n = 2, 4, 6) and all the Table 5
//! integrals (three networks, train and test x-sets, T0/T2/TNL for every multiset); the
//! batched product kernel (orders 2, 4, 6 on 6 points) against the per-sample depth-first
//! products of `Multisets::accumulate_products`, the baseline measured in the same run; our
//! erf against libm's and statrs', and our lane erf.
//! `cargo bench -p nnqft-theory`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nnqft_theory::machinery::{BATCH, PARTS, ProductScratch, ProductTable, erf_lanes, with_simd};
use nnqft_theory::{
    Activation, Cutoff, FiniteWidthTheory, InputSet, Multisets, Network, VertexIntegrals, WickSums, kernel_matrix,
};
use std::hint::black_box;

fn tensors(c: &mut Criterion) {
    let mut group = c.benchmark_group("tensors");
    group.sample_size(10);
    for act in Activation::ALL {
        let net = Network::paper(act, 1).unwrap();
        let xs = InputSet::scaling(act, 1).unwrap();
        group.bench_function(format!("gp/{}", act.name()), |b| {
            b.iter(|| {
                let k = kernel_matrix(&net, &xs).unwrap();
                black_box(WickSums::new(xs.len(), 6).unwrap().evaluate(&k))
            })
        });
        group.bench_function(format!("exact/{}", act.name()), |b| {
            b.iter(|| black_box(FiniteWidthTheory::new(&net, &xs).unwrap().at_width(20).unwrap()))
        });
    }
    group.finish();
}

fn table5_integrals(c: &mut Criterion) {
    let mut group = c.benchmark_group("table5");
    group.sample_size(10);
    group.bench_function("all-integrals", |b| {
        b.iter(|| {
            for (act, cut) in [
                (Activation::Gauss, Cutoff::Infinite),
                (Activation::Erf, Cutoff::finite(100.0).unwrap()),
                (Activation::Relu, Cutoff::finite(100.0).unwrap()),
            ] {
                let net = Network::paper(act, 1).unwrap();
                for xs in [InputSet::table5_train(act), InputSet::table5_test(act)] {
                    let v = VertexIntegrals::compute(&net, &xs, cut).unwrap();
                    black_box((v.t0(), v.t2(), v.tnl()));
                }
            }
        })
    });
    group.finish();
}

/// Samples per iteration of the product benchmarks.
const SAMPLES: usize = 64 * BATCH;

fn products(c: &mut Criterion) {
    let m = 6;
    let values: Vec<Vec<f64>> =
        (0..SAMPLES).map(|j| (0..m).map(|a| 0.9 + 0.01 * ((a * 7 + j) % 29) as f64).collect()).collect();
    let mut group = c.benchmark_group("products");
    group.throughput(Throughput::Elements(SAMPLES as u64));
    group.bench_function("per_sample", |b| {
        let ms = [2, 4, 6].map(|n| Multisets::new(m, n).unwrap());
        let mut sums = ms.clone().map(|s| vec![0.0; s.len()]);
        b.iter(|| {
            for v in &values {
                for (s, sum) in ms.iter().zip(sums.iter_mut()) {
                    s.accumulate_products(v, 1.0, sum);
                }
            }
            black_box(&sums);
        })
    });
    group.bench_function("batched", |b| {
        let table = ProductTable::new(m, 6).unwrap();
        let mut sums: Vec<_> = [2, 4, 6].map(|n| vec![[0.0; PARTS]; table.multisets(n).len()]).to_vec();
        let mut scratch = ProductScratch::default();
        let weights = [1.0; BATCH];
        let mut lanes = vec![[0.0; BATCH]; m];
        b.iter(|| {
            for batch in values.chunks_exact(BATCH) {
                for (j, v) in batch.iter().enumerate() {
                    for (lane, x) in lanes.iter_mut().zip(v) {
                        lane[j] = *x;
                    }
                }
                table.accumulate_batch(&lanes, &weights, &mut scratch, &mut sums, None);
            }
            black_box(&sums);
        })
    });
    group.finish();
}

/// Values per call of the lane erf here: the sampler's lanes of neurons.
const LANES: usize = 8;

/// Our erf against libm's (FreeBSD msun) and statrs', on arguments spread uniformly over
/// (-4.5, 4.5) in scrambled order (as across neurons), one thread; and our lane erf on the same
/// arguments, eight at a time, built for AVX2 + FMA where the CPU has them (as in the sampler).
// the lane function is wrapped in an `#[inline(always)]` closure so that it is inlined into the
// AVX2 + FMA build
#[allow(clippy::redundant_closure)]
fn erf_implementations(c: &mut Criterion) {
    let zs: Vec<f64> = (0..1u64 << 16)
        .map(|i| {
            // a fixed pseudo-random sequence, no generator needed
            let u = ((i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            1.5 * (2.0 * u - 1.0) * 3.0
        })
        .collect();
    let mut group = c.benchmark_group("erf");
    group.throughput(Throughput::Elements(zs.len() as u64));
    group.bench_function("nnqft", |b| b.iter(|| zs.iter().map(|&z| nnqft_theory::erf(black_box(z))).sum::<f64>()));
    group.bench_function("libm", |b| b.iter(|| zs.iter().map(|&z| libm::erf(black_box(z))).sum::<f64>()));
    group.bench_function("statrs", |b| {
        b.iter(|| zs.iter().map(|&z| statrs::function::erf::erf(black_box(z))).sum::<f64>())
    });
    group.bench_function("nnqft_lanes", |b| {
        b.iter(|| {
            with_simd(
                #[inline(always)]
                || {
                    let mut acc = [0.0; LANES];
                    for chunk in zs.chunks_exact(LANES) {
                        let mut l: [f64; LANES] = chunk.try_into().expect("LANES values");
                        erf_lanes(black_box(&mut l));
                        acc.iter_mut().zip(&l).for_each(|(a, v)| *a += v);
                    }
                    acc.iter().sum::<f64>()
                },
            )
        })
    });
    group.finish();
}

/// Our erfc (one exponential) against libm's (musl's, two), on the same kind of scrambled
/// arguments over (-6, 6), one thread: the normal distribution function of GELU's quadratures
/// and samplers.
fn erfc_implementations(c: &mut Criterion) {
    let zs: Vec<f64> = (0..1u64 << 16)
        .map(|i| {
            let u = ((i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
            6.0 * (2.0 * u - 1.0)
        })
        .collect();
    let mut group = c.benchmark_group("erfc");
    group.throughput(Throughput::Elements(zs.len() as u64));
    group.bench_function("nnqft", |b| {
        b.iter(|| zs.iter().map(|&z| nnqft_theory::machinery::erfc(black_box(z))).sum::<f64>())
    });
    group.bench_function("libm", |b| b.iter(|| zs.iter().map(|&z| libm::erfc(black_box(z))).sum::<f64>()));
    group.finish();
}

criterion_group!(benches, tensors, table5_integrals, products, erf_implementations, erfc_implementations);
criterion_main!(benches);
