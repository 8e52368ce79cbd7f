//! Throughput of the sampled per-network neural tangent kernel ([`NtkEnsemble`]) against the JAX
//! baseline `benchmarks/ntk_jax.py` (issue 27): networks per second for tanh and gelu at depth
//! `L` in {1, 2, 4, 8}, width `n` in {20, 100}, on the six inputs `-1, -0.6, ..., 1`, one output,
//! without and with the fluctuations (the sums of `Θ Θ` and `Θ f f` over every quadruple of
//! pairs), one experiment of at least two work items, the best of two runs. Ours first, the whole
//! grid; then the baseline on the same grid in one Python process (`jax.jacrev`, and `jax.jacfwd`
//! at `n = 20` only: forward mode pushes one tangent per parameter, hours at `n = 100`, `L = 8`),
//! when `$NNQFT_PYTHON` (default `python3`) imports jax (`-` otherwise). Prints
//!
//! `activation depth width points fluctuations threads nets seconds nets_per_s jax_rev_nets_per_s ours_over_jax_rev jax_fwd_nets_per_s ours_over_jax_fwd`
//!
//! `cargo run --release -p nnqft-sampling --example ntk_speed [threads]` (default 2; run it on a
//! quiet machine).

use nnqft_sampling::NtkEnsemble;
use nnqft_theory::{Activation, DeepActivation, DeepNetwork, InputSet};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const ACTIVATIONS: [DeepActivation; 2] = [DeepActivation::Tanh, DeepActivation::Gelu];
const DEPTHS: [usize; 4] = [1, 2, 4, 8];
const WIDTHS: [usize; 2] = [20, 100];

/// `(activation, depth, width, fluctuations)`.
type Case = (String, usize, usize, bool);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads: usize = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(2);
    let xs = InputSet::scaling(Activation::Erf, 1)?;
    let mut ours = Vec::new();
    for act in ACTIVATIONS {
        for depth in DEPTHS {
            for width in WIDTHS {
                let net = DeepNetwork::with_deep_priors(act, &vec![width; depth])?;
                // about 1e8 multiply-adds of the passes per case (n² per layer and point), at
                // least two work items of 4096 nets so that both threads work
                let nets = (100_000_000 / (depth * width * width * xs.len()) as u64).clamp(8192, 200_000);
                for fluctuations in [false, true] {
                    let ensemble = NtkEnsemble::new(net.clone(), xs.clone(), nets, 1, 1)?;
                    let ensemble = if fluctuations { ensemble.with_fluctuations()? } else { ensemble };
                    let mut seconds = f64::INFINITY;
                    for _ in 0..2 {
                        let t = Instant::now();
                        black_box(ensemble.run(threads)?.ntk[0]);
                        seconds = seconds.min(t.elapsed().as_secs_f64());
                    }
                    ours.push(((act.name().to_string(), depth, width, fluctuations), nets, seconds));
                }
            }
        }
    }
    let names = ACTIVATIONS.map(|a| a.name()).join(",");
    let list = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
    let rev = jax(&["--activations", &names, "--depths", &list(&DEPTHS), "--widths", &list(&WIDTHS)], "rev");
    let fwd = jax(&["--activations", &names, "--depths", &list(&DEPTHS), "--widths", "20"], "fwd");
    println!(
        "activation depth width points fluctuations threads nets seconds nets_per_s jax_rev_nets_per_s ours_over_jax_rev jax_fwd_nets_per_s ours_over_jax_fwd"
    );
    for ((act, depth, width, fluctuations), nets, seconds) in ours {
        let rate = nets as f64 / seconds;
        let key = (act.clone(), depth, width, fluctuations);
        let cell = |base: Option<f64>| match base {
            Some(b) => (format!("{b:.1}"), format!("{:.2}", rate / b)),
            None => ("-".into(), "-".into()),
        };
        let ((r, rr), (f, fr)) = (cell(rev.get(&key).copied()), cell(fwd.get(&key).copied()));
        let fl = if fluctuations { "on" } else { "off" };
        println!("{act} {depth} {width} {} {fl} {threads} {nets} {seconds:.3} {rate:.1} {r} {rr} {f} {fr}", xs.len());
    }
    Ok(())
}

/// Runs `benchmarks/ntk_jax.py` with `args` and `--jacobian jacobian` and reads its networks per
/// second per case, or an empty map (with the reason on stderr) if it did not run.
fn jax(args: &[&str], jacobian: &str) -> HashMap<Case, f64> {
    let python = std::env::var("NNQFT_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../benchmarks/ntk_jax.py");
    let out = match Command::new(&python).arg(&script).args(args).args(["--jacobian", jacobian]).output() {
        Ok(out) if out.status.success() => out,
        Ok(out) => {
            eprintln!("{}: {}", script.display(), String::from_utf8_lossy(&out.stderr).trim());
            return HashMap::new();
        }
        Err(e) => {
            eprintln!("{python}: {e}: the JAX baseline is skipped");
            return HashMap::new();
        }
    };
    // activation depth width points nets fluctuations jacobian seconds nets_per_s
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|line| {
            let v: Vec<&str> = line.split_whitespace().collect();
            let key = (v.first()?.to_string(), v.get(1)?.parse().ok()?, v.get(2)?.parse().ok()?, *v.get(5)? == "on");
            Some((key, v.get(8)?.parse().ok()?))
        })
        .collect()
}
