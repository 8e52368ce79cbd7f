//! Theory benchmarks: GP and exact tensors on 6 points (n = 2, 4, 6) and all the Table 5
//! integrals (three networks, train and test x-sets, T0/T2/TNL for every multiset).
//! `cargo bench -p nnqft-theory`.

use criterion::{Criterion, criterion_group, criterion_main};
use nnqft_theory::{
    Activation, Cutoff, FiniteWidthTheory, InputSet, Network, VertexIntegrals, WickSums, kernel_matrix,
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
                (Activation::Erf, Cutoff::Finite(100.0)),
                (Activation::Relu, Cutoff::Finite(100.0)),
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

criterion_group!(benches, tensors, table5_integrals);
criterion_main!(benches);
