//! Deep ensembles against the vectorised NumPy baseline of issue 12
//! (`shared/baselines/deep_numpy.py`: the same job, equal widths `n`, the 6 inputs
//! `-1, -0.6, ..., 1`, raw `G2` and `G4` over all multisets; our `G6` is off here) and against our own floor (the same
//! draws and activations, no correlator work). Prints one line per case in the baseline's
//! columns, `weight_draws_per_s` counting the weights and biases the baseline draws per net,
//! `nets * (2n + (L-1) n (n+1) + n + 1)` (we draw each layer from its exact conditional law
//! instead, `deep_ensemble` module docs), then the conditional estimator and the floor:
//!
//! `activation depth width nets seconds nets_per_s weight_draws_per_s conditional_nets_per_s floor_nets_per_s raw_over_floor numpy_nets_per_s raw_over_numpy`
//!
//! The last two columns run the baseline itself on the same case right after ours (20,000
//! nets), when python3 has numpy and scipy (`-` otherwise).
//!
//! `cargo run --release -p nnqft-sampling --example deep_speed [threads]` (run it on a quiet
//! machine; baselines looked up in `$NNQFT_BASELINES`, else `../shared/baselines`).

#[path = "common/baselines.rs"]
mod baselines;

use nnqft_sampling::floor::deep_draw_only;
use nnqft_sampling::{DeepEnsemble, Estimator};
use nnqft_theory::{Activation, DeepActivation, DeepNetwork, InputSet};
use std::hint::black_box;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let xs = InputSet::scaling(Activation::Erf, 1)?;
    let numpy = baselines::available("numpy, scipy");
    println!(
        "activation depth width nets seconds nets_per_s weight_draws_per_s conditional_nets_per_s floor_nets_per_s raw_over_floor numpy_nets_per_s raw_over_numpy"
    );
    for act in [DeepActivation::Tanh, DeepActivation::Relu] {
        for depth in [1usize, 2, 4, 8] {
            for width in [20usize, 100] {
                let net = DeepNetwork::with_deep_priors(act, &vec![width; depth])?;
                // about 1e8 pre-activations per case (half a second or more), at least two work
                // items; each timing is the best of three, interleaved with the others
                let nets = (100_000_000 / (depth * width * xs.len()) as u64).max(8192);
                // orders 2 and 4, the baseline's job (G6 off)
                let ensemble = |est| {
                    DeepEnsemble::new(net.clone(), xs.clone(), nets, 1, est, 1).and_then(|e| e.with_order_six(false))
                };
                let (raw, cond) = (ensemble(Estimator::Raw)?, ensemble(Estimator::Conditional)?);
                let time = |f: &dyn Fn() -> Result<f64, Box<dyn std::error::Error>>| -> Result<f64, Box<dyn std::error::Error>> {
                    let t = Instant::now();
                    black_box(f()?);
                    Ok(t.elapsed().as_secs_f64())
                };
                let (mut seconds, mut cond_s, mut floor_s) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
                for _ in 0..3 {
                    seconds = seconds.min(time(&|| Ok(raw.run(threads)?.means[1][0]))?);
                    cond_s = cond_s.min(time(&|| Ok(cond.run(threads)?.means[1][0]))?);
                    floor_s = floor_s.min(time(&|| Ok(deep_draw_only(&raw, threads)?))?);
                }
                let (cond_rate, floor_rate) = (nets as f64 / cond_s, nets as f64 / floor_s);
                let rate = nets as f64 / seconds;
                let draws = (2 * width + (depth - 1) * width * (width + 1) + width + 1) as f64;
                let args: Vec<String> = [("--activations", act.name().to_string()), ("--depths", depth.to_string())]
                    .into_iter()
                    .chain([("--widths", width.to_string()), ("--nets", "20000".to_string())])
                    .flat_map(|(k, v)| [k.to_string(), v])
                    .collect();
                let np = numpy.then(|| baselines::rate("deep_numpy.py", &args, 5)).flatten();
                println!(
                    "{} {depth} {width} {nets} {seconds:.3} {rate:.1} {:.4e} {cond_rate:.1} {floor_rate:.1} {:.2} {} {}",
                    act.name(),
                    rate * draws,
                    rate / floor_rate,
                    np.map_or("-".into(), |v| format!("{v:.1}")),
                    np.map_or("-".into(), |v| format!("{:.1}", rate / v))
                );
            }
        }
    }
    Ok(())
}
