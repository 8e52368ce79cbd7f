//! Throughput side by side, in one sitting: our estimators, our floor (the same draws and
//! activations with no correlator work) and, when python3 has numpy and scipy (and jax), the
//! NumPy and JAX baselines (`shared/baselines/numpy_sampler.py`, `jax_sampler.py`) on the same
//! nine jobs, each case back to back. Ours: each round times the floor, the raw and the
//! conditional estimator once, so that drifts in machine speed cancel in the per-round ratios;
//! medians over the rounds (the first dropped as warm-up), 2 threads. The baselines: their
//! own timing of the sampling loop (compile and start-up excluded), NumPy single-threaded,
//! JAX as XLA chooses. Rates are neuron evaluations per second (nets x width x inputs / s).
//!
//! `cargo run --release -p nnqft-sampling --example throughput [--json PATH] [rounds [networks
//! [widths]]]` (baselines looked up in `$NNQFT_BASELINES`, else `../shared/baselines` beside the
//! repository; `networks` and `widths` comma-separated, e.g. `5 erf 100,1000`, default all nine
//! jobs; `cos`, the Cos-net, is not among the baselines' networks, so its rows have ours only).
//! With `--json PATH` it also writes each case's rounds and baselines to `PATH`
//! (`common/record.rs`; `cargo xtask bench --side-by-side` reads it).

#[path = "common/baselines.rs"]
mod baselines;
#[path = "common/record.rs"]
mod record;

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
    let mut args: Vec<String> = std::env::args().collect();
    let mut record = record::from_args(&mut args)?;
    let rounds: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(5);
    if rounds == 0 {
        return Err("rounds: 0 is not an integer >= 1 (a first round runs as warm-up and is dropped)".into());
    }
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
    let not_theirs = "the baselines sample erf, relu and gauss only".to_string();
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
            // seconds per round
            let (mut rs, mut cs, mut fs) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..=rounds {
                let t = Instant::now();
                pool.install(|| black_box(draw_only(&net, width, &xs, nets, THREADS)));
                fs.push(t.elapsed().as_secs_f64());
                let t = Instant::now();
                black_box(raw.run(THREADS)?);
                rs.push(t.elapsed().as_secs_f64());
                let t = Instant::now();
                black_box(cond.run(THREADS)?);
                cs.push(t.elapsed().as_secs_f64());
            }
            // the first round warms up and is dropped
            let (rs, cs, fs) = (rs.split_off(1), cs.split_off(1), fs.split_off(1));
            let rates = |s: &[f64]| s.iter().map(|s| evals / s).collect::<Vec<f64>>();
            let (r, c, f) = (rates(&rs), rates(&cs), rates(&fs));
            let rf = median(r.iter().zip(&f).map(|(a, b)| a / b).collect());
            let cf = median(c.iter().zip(&f).map(|(a, b)| a / b).collect());
            let args = vec!["--networks".into(), act.name().to_string(), "--widths".into(), width.to_string()];
            // the baselines sample the paper's three networks only
            let baseline = Activation::ALL.contains(&act);
            let run = |available: &Result<(), String>, script: &str| -> Result<f64, String> {
                if !baseline {
                    return Err(not_theirs.clone());
                }
                available.clone()?;
                baselines::rate(script, &args, 5)
            };
            let (np_run, jx_run) = (run(&numpy, "numpy_sampler.py"), run(&jax, "jax_sampler.py"));
            if let Some(record) = record.as_mut() {
                // nanoseconds per network
                let per_net = |s: &[f64]| s.iter().map(|s| s * 1e9 / nets as f64).collect::<Vec<f64>>();
                let baseline_ns = |rate: &Result<f64, String>| rate.clone().map(|v| 1e9 * evals / nets as f64 / v);
                record.case(&serde_json::json!({
                    "example": "throughput", "network": act.name(), "depth": 1, "width": width,
                    "statistic": "median",
                    "ns_per_net": { "raw": per_net(&rs), "conditional": per_net(&cs), "floor": per_net(&fs) },
                    "baselines": {
                        "numpy": record::baseline(baseline_ns(&np_run)),
                        "jax": record::baseline(baseline_ns(&jx_run)),
                    },
                }))?;
            }
            let (np, jx) = (np_run.ok(), jx_run.ok());
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
