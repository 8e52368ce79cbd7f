//! Deep ensembles side by side, in one sitting: ours (`DeepEnsemble`, raw and conditional; `G2`
//! and `G4` over all multisets of the 6 inputs `-1, -0.6, ..., 1`; our `G6` is off here), our
//! floor (the same draws and activations, no correlator work), the JAX baseline
//! `benchmarks/deep_jax.py` (jit-compiled, float64, compile time excluded) and the vectorised
//! NumPy baseline `deep_numpy.py` (beside the repository): tanh, relu and erf with the deep
//! priors (`C_W` = 1, 2, 1; `C_b = 0`) at depth `L` in {1, 2, 4, 8} and equal widths `n` in
//! {20, 100}. Each case back to back: ours (the best of three rounds of raw, conditional and
//! floor), the variance ratio below, then each baseline on the same case (JAX about three
//! seconds of runs, the best printed; NumPy 20,000 nets), when the interpreter (`$NNQFT_PYTHON`,
//! else `python3`) has jax, or numpy and scipy (`-` otherwise). Prints one line per case:
//!
//! `activation depth width nets seconds nets_per_s weight_draws_per_s conditional_nets_per_s floor_nets_per_s raw_over_floor numpy_nets_per_s raw_over_numpy jax_nets_per_s raw_over_jax conditional_over_jax var_raw_over_conditional adjusted_conditional_over_jax`
//!
//! in the baselines' units: `nets_per_s` and `weight_draws_per_s`, the weights and biases the
//! baselines draw per net, `nets * (2n + (L-1) n (n+1) + n + 1)` (we draw each layer from its
//! exact conditional law instead, `r <= 6` normals per neuron rather than `n + 1`: the
//! `DeepEnsemble` docs; at `L >= 2` that, not the implementation alone, is most of the ratio).
//!
//! The raw estimator is the baselines' estimator (the same products, the same per-net variance);
//! the conditional one estimates the same `G2` and `G4` with a smaller variance per net, so its
//! ratio to JAX is per net, and `adjusted_conditional_over_jax` multiplies it by
//! `var_raw_over_conditional`, the median over the 147 multisets of the ratio of the two
//! estimators' per-net variances (each estimated across 64 experiments of 1024 nets): the ratio
//! of the nets per second at equal standard error.
//!
//! With one thread (the default) the JAX baseline runs with XLA pinned to one thread
//! (`XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1`); run the
//! whole example under `taskset -c 0` to pin both sides to one core.
//!
//! `cargo run --release -p nnqft-sampling --example deep_speed [--json PATH] [threads
//! [activations [depths [widths]]]]` (comma lists, default `1 tanh,relu,erf 1,2,4,8 20,100`; run
//! it on a quiet machine; `deep_numpy.py` looked up in `$NNQFT_BASELINES`, else
//! `../shared/baselines`). With `--json PATH` it also writes each case's three rounds and the
//! baselines to `PATH` (`common/record.rs`; `cargo xtask bench --side-by-side` reads it).

#[path = "common/baselines.rs"]
mod baselines;
#[path = "common/record.rs"]
mod record;

use nnqft_sampling::floor::deep_draw_only;
use nnqft_sampling::{DeepEnsemble, DeepEnsembleResult, Estimator};
use nnqft_theory::{Activation, DeepActivation, DeepNetwork, InputSet};
use std::hint::black_box;
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const ACTIVATIONS: [DeepActivation; 3] = [DeepActivation::Tanh, DeepActivation::Relu, DeepActivation::Erf];
const DEPTHS: [usize; 4] = [1, 2, 4, 8];
const WIDTHS: [usize; 2] = [20, 100];
/// Experiments and nets per experiment of the variance ratio.
const VARIANCE_EXPERIMENTS: usize = 64;
const VARIANCE_NETS: u64 = 1024;

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut record = record::from_args(&mut args)?;
    let threads: usize = args.first().map(|s| s.parse()).transpose()?.unwrap_or(1);
    // a part of the grid: activations, depths, widths as comma lists (e.g. `tanh 1 20,100`)
    let pick = |k: usize, all: &[&str]| -> Vec<String> {
        args.get(k)
            .map_or_else(|| all.iter().map(|s| s.to_string()).collect(), |s| s.split(',').map(str::to_string).collect())
    };
    let activations = pick(1, &ACTIVATIONS.map(|a| a.name()))
        .iter()
        .map(|s| DeepActivation::parse(s))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let numbers = |k: usize, all: &[usize]| -> Result<Vec<usize>> {
        Ok(pick(
            k,
            &all.iter().map(usize::to_string).collect::<Vec<_>>().iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .iter()
        .map(|s| s.parse())
        .collect::<std::result::Result<_, _>>()?)
    };
    let (depths, widths) = (numbers(2, &DEPTHS)?, numbers(3, &WIDTHS)?);
    let xs = InputSet::scaling(Activation::Erf, 1)?;
    let (numpy, jax) = (baselines::available("numpy, scipy"), baselines::available("jax"));
    let xla: Vec<(&str, String)> = if threads == 1 {
        let flags = std::env::var("XLA_FLAGS").unwrap_or_default();
        vec![("XLA_FLAGS", format!("{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"))]
    } else {
        Vec::new()
    };
    println!(
        "activation depth width nets seconds nets_per_s weight_draws_per_s conditional_nets_per_s floor_nets_per_s raw_over_floor numpy_nets_per_s raw_over_numpy jax_nets_per_s raw_over_jax conditional_over_jax var_raw_over_conditional adjusted_conditional_over_jax"
    );
    for &act in &activations {
        for &depth in &depths {
            for &width in &widths {
                let net = DeepNetwork::with_deep_priors(act, &vec![width; depth])?;
                // about 1e8 pre-activations per case (half a second or more), at least two work
                // items; each timing is the best of three, interleaved with the others
                let nets = (100_000_000 / (depth * width * xs.len()) as u64).max(8192);
                let (raw, cond) = (
                    ensemble(&net, &xs, nets, 1, Estimator::Raw)?,
                    ensemble(&net, &xs, nets, 1, Estimator::Conditional)?,
                );
                let time = |f: &dyn Fn() -> Result<f64>| -> Result<f64> {
                    let t = Instant::now();
                    black_box(f()?);
                    Ok(t.elapsed().as_secs_f64())
                };
                let (mut raw_rounds, mut cond_rounds, mut floor_rounds) = (Vec::new(), Vec::new(), Vec::new());
                for _ in 0..3 {
                    raw_rounds.push(time(&|| Ok(raw.run(threads)?.means[1][0]))?);
                    cond_rounds.push(time(&|| Ok(cond.run(threads)?.means[1][0]))?);
                    floor_rounds.push(time(&|| Ok(deep_draw_only(&raw, threads)?))?);
                }
                let best = |s: &[f64]| s.iter().copied().fold(f64::INFINITY, f64::min);
                let (seconds, cond_s, floor_s) = (best(&raw_rounds), best(&cond_rounds), best(&floor_rounds));
                let (cond_rate, floor_rate) = (nets as f64 / cond_s, nets as f64 / floor_s);
                let rate = nets as f64 / seconds;
                let variance = variance_ratio(&net, &xs, threads)?;
                let draws = (2 * width + (depth - 1) * width * (width + 1) + width + 1) as f64;
                let case: Vec<String> = [("--activations", act.name().to_string()), ("--depths", depth.to_string())]
                    .into_iter()
                    .chain([("--widths", width.to_string())])
                    .flat_map(|(k, v)| [k.to_string(), v])
                    .collect();
                let with = |extra: &[&str]| -> Vec<String> {
                    case.iter().cloned().chain(extra.iter().map(|s| s.to_string())).collect()
                };
                let jx_run =
                    jax.clone().and_then(|()| baselines::rate_with("deep_jax.py", &with(&["--seconds", "1"]), 5, &xla));
                let np_run =
                    numpy.clone().and_then(|()| baselines::rate("deep_numpy.py", &with(&["--nets", "20000"]), 5));
                if let Some(record) = record.as_mut() {
                    // nanoseconds per network
                    let per_net = |s: &[f64]| s.iter().map(|s| s * 1e9 / nets as f64).collect::<Vec<f64>>();
                    let baseline_ns = |rate: &std::result::Result<f64, String>| rate.clone().map(|v| 1e9 / v);
                    record.case(&serde_json::json!({
                        "example": "deep_speed", "network": act.name(), "depth": depth, "width": width,
                        "statistic": "best",
                        "ns_per_net": {
                            "raw": per_net(&raw_rounds), "conditional": per_net(&cond_rounds), "floor": per_net(&floor_rounds),
                        },
                        "baselines": {
                            "numpy": record::baseline(baseline_ns(&np_run)),
                            "jax": record::baseline(baseline_ns(&jx_run)),
                        },
                    }))?;
                }
                let (jx, np) = (jx_run.ok(), np_run.ok());
                let show = |v: Option<f64>, digits: usize| v.map_or("-".into(), |v| format!("{v:.digits$}"));
                println!(
                    "{} {depth} {width} {nets} {seconds:.3} {rate:.1} {:.4e} {cond_rate:.1} {floor_rate:.1} {:.2} {} {} {} {} {} {variance:.2} {}",
                    act.name(),
                    rate * draws,
                    rate / floor_rate,
                    show(np, 1),
                    show(np.map(|v| rate / v), 1),
                    show(jx, 1),
                    show(jx.map(|v| rate / v), 2),
                    show(jx.map(|v| cond_rate / v), 2),
                    show(jx.map(|v| cond_rate * variance / v), 2),
                );
            }
        }
    }
    Ok(())
}

/// `experiments` experiments of `nets` nets of `net` on `xs` with the estimator `est`, orders 2
/// and 4 (the baselines' job; `G6` off).
fn ensemble(net: &DeepNetwork, xs: &InputSet, nets: u64, experiments: usize, est: Estimator) -> Result<DeepEnsemble> {
    Ok(DeepEnsemble::new(net.clone(), xs.clone(), nets, experiments, est, 1)?.with_order_six(false)?)
}

/// The median over the multisets of orders 2 and 4 of `Var_raw / Var_conditional`, the per-net
/// variances of the two estimators, each estimated as the variance of the experiments' means
/// across [`VARIANCE_EXPERIMENTS`] experiments of [`VARIANCE_NETS`] nets (the factor
/// `VARIANCE_NETS` cancels in the ratio).
fn variance_ratio(net: &DeepNetwork, xs: &InputSet, threads: usize) -> Result<f64> {
    let variances = |est| -> Result<Vec<f64>> {
        let r: DeepEnsembleResult = ensemble(net, xs, VARIANCE_NETS, VARIANCE_EXPERIMENTS, est)?.run(threads)?;
        let e = r.experiments as f64;
        Ok((0..2)
            .flat_map(|o| (0..r.multisets[o].len()).map(move |pos| (o, pos)))
            .map(|(o, pos)| {
                let values: Vec<f64> = (0..r.experiments).map(|k| r.experiment(o, k)[pos]).collect();
                let mean = values.iter().sum::<f64>() / e;
                values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (e - 1.0)
            })
            .collect())
    };
    let (raw, cond) = (variances(Estimator::Raw)?, variances(Estimator::Conditional)?);
    let mut ratios: Vec<f64> = raw.iter().zip(&cond).map(|(r, c)| r / c).collect();
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    Ok(if n % 2 == 1 { ratios[n / 2] } else { 0.5 * (ratios[n / 2 - 1] + ratios[n / 2]) })
}
