//! The Cos-net's sampler throughput, in one sitting: the conditional estimator (the one its
//! scaling and action studies run) and the floor (the same draws and cosines, no correlator
//! work) on its scaling study's six points (Erf's x-set, d = 1), paper priors, widths 20, 100
//! and 1000, 2 threads. Each round times the floor and the estimator once; medians over the
//! rounds (the first dropped as warm-up). Rates are neuron evaluations per second
//! (nets x width x inputs / s); one cosine per evaluation.
//!
//! `cargo run --release -p nnqft-sampling --example cos_speed [rounds [widths]]`
//! (widths a comma list, default `20,100,1000`; 5 rounds).

use nnqft_sampling::floor::{bench_nets, draw_only};
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_theory::{Activation, InputSet, Network};
use std::hint::black_box;
use std::time::Instant;

const THREADS: usize = 2;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().map(|s| s.parse()).transpose()?.unwrap_or(5);
    let widths: Vec<usize> = match args.get(1) {
        Some(s) => s.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => vec![20, 100, 1000],
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(THREADS).build()?;
    let net = Network::paper(Activation::Cos, 1)?;
    let xs = InputSet::scaling(Activation::Cos, 1)?;
    println!("| N | nets | conditional | floor | cond/floor | G2 (second multiset) |");
    println!("|---|---|---|---|---|---|");
    for width in widths {
        let nets = bench_nets(width);
        let evals = (nets * width as u64 * xs.len() as u64) as f64;
        let cond = Ensemble::new(net, width, xs.clone(), nets, 1, Estimator::Conditional, 1)?;
        let (mut c, mut f) = (Vec::new(), Vec::new());
        let mut g2 = f64::NAN;
        for _ in 0..=rounds {
            let t = Instant::now();
            pool.install(|| black_box(draw_only(&net, width, &xs, nets, THREADS)));
            f.push(evals / t.elapsed().as_secs_f64());
            let t = Instant::now();
            let result = black_box(cond.run(THREADS)?);
            c.push(evals / t.elapsed().as_secs_f64());
            g2 = result.g2()[1];
        }
        // the first round warms up and is dropped
        let (c, f) = (c.split_off(1), f.split_off(1));
        let ratio = median(c.iter().zip(&f).map(|(a, b)| a / b).collect());
        println!("| {width} | {nets} | {:.3e} | {:.3e} | {ratio:.2} | {g2:.17e} |", median(c), median(f));
    }
    Ok(())
}
