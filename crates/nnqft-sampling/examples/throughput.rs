//! Throughput of both estimators against the floor (issue 3), measured in alternation: each
//! round times the floor, the raw and the conditional estimator once, back to back, so that
//! drifts in machine speed cancel in the per-round ratios. Prints medians over the rounds of
//! neuron evaluations per second (nets x width x inputs / s, 2 threads) and of the ratios.
//!
//! `cargo run --release -p nnqft-sampling --example throughput [rounds]`

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
    let rounds: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(5);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(THREADS).build()?;
    println!("| net | N | raw | conditional | floor | raw/floor | cond/floor |");
    println!("|---|---|---|---|---|---|---|");
    for act in Activation::ALL {
        let net = Network::paper(act, 1)?;
        let xs = InputSet::scaling(act, 1)?;
        for width in [5usize, 100, 1000] {
            let nets = bench_nets(width);
            let evals = (nets * width as u64 * xs.len() as u64) as f64;
            let raw = Ensemble::new(net, width, xs.clone(), nets, 1, Estimator::Raw, 1)?;
            let cond = Ensemble::new(net, width, xs.clone(), nets, 1, Estimator::Conditional, 1)?;
            let (mut r, mut c, mut f) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..=rounds {
                let t = Instant::now();
                pool.install(|| black_box(draw_only(&net, width, &xs, nets, THREADS)));
                f.push(evals / t.elapsed().as_secs_f64());
                let t = Instant::now();
                black_box(raw.run(THREADS)?);
                r.push(evals / t.elapsed().as_secs_f64());
                let t = Instant::now();
                black_box(cond.run(THREADS)?);
                c.push(evals / t.elapsed().as_secs_f64());
            }
            // the first round warms up and is dropped
            let (r, c, f) = (r.split_off(1), c.split_off(1), f.split_off(1));
            let rf = median(r.iter().zip(&f).map(|(a, b)| a / b).collect());
            let cf = median(c.iter().zip(&f).map(|(a, b)| a / b).collect());
            println!(
                "| {} | {width} | {:.3e} | {:.3e} | {:.3e} | {rf:.2} | {cf:.2} |",
                act.name(),
                median(r),
                median(c),
                median(f)
            );
        }
    }
    Ok(())
}
