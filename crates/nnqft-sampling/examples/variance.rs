//! Variance of the estimators of Delta G4 at N = 1000 (issue 3): per-net variance, seconds
//! per net, and how much sooner than the raw estimator each reaches the same standard error
//! (`time = variance x seconds_per_net / stderr^2`, so the speed-up is
//! `(var_raw t_raw) / (var t)`). Variances come from one run with per-net variance tracking;
//! the time per net is the fastest of three runs without it, as in production.
//!
//! `cargo run -p nnqft-sampling --example variance` (the numeric crates are optimised in dev too)

use nnqft_sampling::{Ensemble, Estimator};
use nnqft_theory::{Activation, InputSet, Network};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let width = 1000;
    let nets = 16_384;
    println!(
        "| network | estimator | mean per-net variance of G4 (over multisets) | s per net (2 threads) | equal stderr, times sooner than raw |"
    );
    println!("|---|---|---|---|---|");
    for act in [Activation::Erf, Activation::Gauss] {
        let net = Network::paper(act, 1)?;
        let xs = InputSet::scaling(act, 1)?;
        let mut cost = Vec::new();
        for est in [Estimator::Raw, Estimator::Conditional, Estimator::ControlVariate] {
            let e = Ensemble::new(net, width, xs.clone(), nets, 1, est, 42)?;
            let r = e.clone().with_variance(true).run(2)?;
            let mut per_net = f64::INFINITY;
            for _ in 0..3 {
                let start = Instant::now();
                e.run(2)?;
                per_net = per_net.min(start.elapsed().as_secs_f64() / nets as f64);
            }
            let var = r.variances.as_ref().map_or(f64::NAN, |v| v[1].iter().sum::<f64>() / v[1].len() as f64);
            cost.push((est, var, per_net));
        }
        let base = cost[0].1 * cost[0].2;
        for (est, var, per_net) in cost {
            println!("| {} | {} | {var:.4e} | {per_net:.3e} | {:.1} |", act.name(), est.name(), base / (var * per_net));
        }
    }
    Ok(())
}
