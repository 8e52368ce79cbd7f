//! The measurement behind the deep ensembles' matrix products (`deep_ensemble` module docs):
//! the two products of one layer step, the Gram matrix `Φᵀ Φ` (`m x n x m`) and `Z = L E`
//! (`m x r x n`), at `m = 6` points and widths 20 and 100, written as the ensemble writes them
//! (dot products and `axpy`s over the neurons, point-major) against `matrixmultiply::dgemm`
//! with the same layout, through ndarray's `general_mat_mul` (matrixmultiply 0.3 also
//! allocates its packing buffer on every call).
//!
//! `cargo run --release -p nnqft-sampling --example deep_gemm`

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};
use std::hint::black_box;
use std::time::Instant;

const M: usize = 6;

fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for k in 0..8 {
            acc[k] += a[k] * b[k];
        }
    }
    for (k, (a, b)) in xr.iter().zip(yr).enumerate() {
        acc[k] += a * b;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

fn loops(phi: &[f64], chol: &[f64], eps: &[f64], n: usize, gram: &mut [f64], z: &mut [f64]) {
    for a in 0..M {
        for b in 0..=a {
            gram[a * M + b] = dot(&phi[a * n..(a + 1) * n], &phi[b * n..(b + 1) * n]);
        }
    }
    for a in 0..M {
        let za = &mut z[a * n..(a + 1) * n];
        za.iter_mut().for_each(|v| *v = 0.0);
        for c in 0..=a {
            let l = chol[a * M + c];
            za.iter_mut().zip(&eps[c * n..(c + 1) * n]).for_each(|(z, e)| *z += l * e);
        }
    }
}

fn gemm(phi: &[f64], chol: &[f64], eps: &[f64], n: usize, gram: &mut [f64], z: &mut [f64]) {
    let phi = ArrayView2::from_shape((M, n), phi).expect("M x n");
    let chol = ArrayView2::from_shape((M, M), chol).expect("M x M");
    let eps = ArrayView2::from_shape((M, n), eps).expect("M x n");
    let mut gram = ArrayViewMut2::from_shape((M, M), gram).expect("M x M");
    let mut z = ArrayViewMut2::from_shape((M, n), z).expect("M x n");
    general_mat_mul(1.0, &phi, &phi.t(), 0.0, &mut gram);
    general_mat_mul(1.0, &chol, &eps, 0.0, &mut z);
}

type Step = fn(&[f64], &[f64], &[f64], usize, &mut [f64], &mut [f64]);

fn main() {
    println!("width  loops_ns_per_layer  gemm_ns_per_layer");
    for n in [20usize, 100] {
        let phi: Vec<f64> = (0..M * n).map(|i| ((i * 7919) % 1000) as f64 / 1000.0).collect();
        let eps: Vec<f64> = (0..M * n).map(|i| ((i * 104_729) % 997) as f64 / 997.0 - 0.5).collect();
        let chol: Vec<f64> = (0..M * M).map(|i| if i % M <= i / M { 0.3 + 0.01 * i as f64 } else { 0.0 }).collect();
        let (mut gram, mut z) = (vec![0.0; M * M], vec![0.0; M * n]);
        let reps = 2_000_000 / n;
        let mut time = |f: Step| {
            let t = Instant::now();
            for _ in 0..reps {
                f(black_box(&phi), black_box(&chol), black_box(&eps), n, &mut gram, &mut z);
                black_box(&z);
            }
            t.elapsed().as_secs_f64() * 1e9 / reps as f64
        };
        let (a, b) = (time(loops), time(gemm));
        println!("{n:5}  {a:18.1}  {b:18.1}");
    }
}
