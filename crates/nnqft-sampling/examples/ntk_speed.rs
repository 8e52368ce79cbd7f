//! Throughput of the sampled per-network neural tangent kernel ([`NtkEnsemble`]): networks per
//! second for tanh at depth `L = 2`, width `n = 100`, on the six inputs `-1, -0.6, ..., 1`
//! (explicit weights, forward pass, backward deltas, the NTK and `G2` of every pair), one
//! experiment, the best of three runs. Prints
//!
//! `activation depth width inputs nets threads seconds nets_per_s weight_draws_per_s`
//!
//! `cargo run --release -p nnqft-sampling --example ntk_speed [threads]` (on a quiet machine).

use nnqft_sampling::NtkEnsemble;
use nnqft_theory::{Activation, DeepActivation, DeepNetwork, InputSet};
use std::hint::black_box;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let xs = InputSet::scaling(Activation::Erf, 1)?;
    let (act, depth, width) = (DeepActivation::Tanh, 2usize, 100usize);
    let net = DeepNetwork::with_deep_priors(act, &vec![width; depth])?;
    let nets = 40_000u64;
    let ensemble = NtkEnsemble::new(net, xs.clone(), nets, 1, 1)?;
    let mut seconds = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        black_box(ensemble.run(threads)?.ntk[0]);
        seconds = seconds.min(t.elapsed().as_secs_f64());
    }
    // weights and biases per net: n_0 n_1 + n_1 + (L − 1)(n² + n) + n + 1
    let draws = (width + width + (depth - 1) * (width * width + width) + width + 1) as f64;
    let rate = nets as f64 / seconds;
    println!("activation depth width inputs nets threads seconds nets_per_s weight_draws_per_s");
    println!(
        "{} {depth} {width} {} {nets} {threads} {seconds:.3} {rate:.0} {:.3e}",
        act.name(),
        xs.len(),
        rate * draws
    );
    Ok(())
}
