//! Throughput side by side, in one sitting: our estimators, our floor (the same draws and
//! activations with no correlator work) and, when python3 has numpy and scipy (and jax), the
//! NumPy and JAX baselines (`shared/baselines/numpy_sampler.py`, `jax_sampler.py`) on the same
//! nine jobs, each case back to back. Ours: each round times the floor, the raw and the
//! conditional estimator once, so that drifts in machine speed cancel in the per-round ratios;
//! medians over the rounds (the first dropped as warm-up), 2 threads. The baselines: their
//! own timing of the sampling loop (compile and start-up excluded), NumPy single-threaded,
//! JAX as XLA chooses. Rates are neuron evaluations per second (nets x width x inputs / s).
//!
//! `cargo run --release -p nnqft-sampling --example throughput [rounds [networks [widths]]]`
//! (baselines looked up in `$NNQFT_BASELINES`, else `../shared/baselines` beside the repository;
//! `networks` and `widths` comma-separated, e.g. `5 erf 100,1000`, default all nine jobs; `cos`,
//! the Cos-net, is not among the baselines' networks, so its rows have ours only)

#[path = "common/baselines.rs"]
mod baselines;

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

fn ratio(a: f64, b: Option<f64>) -> String {
    b.map_or("-".into(), |b| format!("{:.1}", a / b))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(5);
    let networks: Vec<Activation> = match args.get(2) {
        Some(list) => list
            .split(',')
            .map(|name| {
                Activation::EVERY.into_iter().find(|a| a.name() == name).ok_or_else(|| {
                    format!(
                        "networks: unknown network {name:?}, allowed: {}",
                        Activation::EVERY.map(|a| a.name()).join(", ")
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        None => Activation::ALL.to_vec(),
    };
    let widths: Vec<usize> = match args.get(3) {
        Some(list) => list
            .split(',')
            .map(|w| w.parse().ok().filter(|&w| w >= 1).ok_or_else(|| format!("widths: {w:?} is not an integer >= 1")))
            .collect::<Result<_, _>>()?,
        None => vec![5, 100, 1000],
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(THREADS).build()?;
    let (numpy, jax) = (baselines::available("numpy, scipy"), baselines::available("jax"));
    println!("| net | N | raw | conditional | floor | NumPy | JAX | raw/floor | cond/floor | raw/NumPy | raw/JAX |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for act in networks {
        let net = Network::paper(act, 1)?;
        let xs = InputSet::scaling(act, 1)?;
        for &width in &widths {
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
            let args = vec!["--networks".into(), act.name().to_string(), "--widths".into(), width.to_string()];
            // the baselines sample the paper's three networks only
            let baseline = Activation::ALL.contains(&act);
            let np = (baseline && numpy).then(|| baselines::rate("numpy_sampler.py", &args, 5)).flatten();
            let jx = (baseline && jax).then(|| baselines::rate("jax_sampler.py", &args, 5)).flatten();
            let raw_rate = median(r);
            let show = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3e}"));
            println!(
                "| {} | {width} | {raw_rate:.3e} | {:.3e} | {:.3e} | {} | {} | {rf:.2} | {cf:.2} | {} | {} |",
                act.name(),
                median(c),
                median(f),
                show(np),
                show(jx),
                ratio(raw_rate, np),
                ratio(raw_rate, jx)
            );
        }
    }
    Ok(())
}
