//! The density-distance table of issue 28 (item 3): sampled one-hidden-layer networks on two
//! points at N = 2, 3, 5, 10, 20 against the densities their action predicts, as Markdown.
//!
//! `cargo run -p nnqft-study --example action_density [-- NETS [three]]` (NETS per network and
//! width, default 10^7, in 10 experiments; two threads). With `three`, the Erf-net alone on the
//! three points x = -0.5, 0.1, 0.7 (16³ and 12³ bins). Each ensemble is compared on two windows in
//! whitened units, `|z| <= 4` (16 bins per axis) and `|z| <= 3` (12 per axis), from the same outputs.

use nnqft_sampling::{Ensemble, Estimator};
use nnqft_study::action_density::{DensityRow, DensityWindow, compare_densities, density_slopes};
use nnqft_theory::{Activation, InputSet, Network};

const WIDTHS: [usize; 5] = [2, 3, 5, 10, 20];
const EXPERIMENTS: usize = 10;
const SEED: u64 = 20_261_206;
const WINDOWS: [DensityWindow; 2] = [DensityWindow { radius: 4.0, bins: 16 }, DensityWindow { radius: 3.0, bins: 12 }];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nets: u64 = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(10_000_000);
    let three = std::env::args().nth(2).is_some_and(|a| a == "three");
    let (x, networks) = if three {
        (
            InputSet::new("three", &[vec![-0.5], vec![0.1], vec![0.7]])?,
            vec![Network::new(Activation::Erf, 1, 1.0, 1.0)?],
        )
    } else {
        (
            InputSet::new("two", &[vec![-0.5], vec![0.7]])?,
            vec![
                Network::new(Activation::Erf, 1, 1.0, 1.0)?,
                Network::new(Activation::Cos, 1, 1.0, 0.0)?,
                Network::new(Activation::Relu, 1, 1.0, 1.0)?,
            ],
        )
    };
    let points: Vec<String> = x.points().map(|p| p[0].to_string()).collect();
    let mut rows: [Vec<DensityRow>; 2] = [Vec::new(), Vec::new()];
    for &net in &networks {
        for (i, &width) in WIDTHS.iter().enumerate() {
            let per = nets / EXPERIMENTS as u64;
            let outputs =
                Ensemble::new(net, width, x.clone(), per, EXPERIMENTS, Estimator::Raw, SEED + i as u64)?.outputs(2)?;
            for (w, window) in WINDOWS.iter().enumerate() {
                rows[w].extend(compare_densities(&net, width, &x, &outputs, EXPERIMENTS, *window)?);
            }
        }
    }
    let names: Vec<String> = networks
        .iter()
        .map(|n| format!("{} (σ_w = {}, σ_b = {})", n.activation().name(), n.sigma_w(), n.sigma_b()))
        .collect();
    println!(
        "Networks: {}; points x = {}; {nets} nets per network and width in {EXPERIMENTS} experiments \
         (seed {SEED} + width index).",
        names.join(", "),
        points.join(", ")
    );
    for (window, rows) in WINDOWS.iter().zip(&rows) {
        println!("\n### Window |z_a| <= {} (whitened units), {}^{} bins\n", window.radius, window.bins, x.len());
        println!(
            "| network | N | order | form | D² (noise subtracted) | stderr | D | stderr(D) | resolved | negative mass | exp(-S) normalisable | outside window |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for r in rows {
            let d = &r.distance;
            println!(
                "| {} | {} | {} | {} | {:.3e} | {:.1e} | {:.3e} | {:.1e} | {} | {} | {} | {:.1e} |",
                r.network,
                r.width,
                r.order.name(),
                r.form.name(),
                d.squared,
                d.squared_stderr,
                d.distance,
                d.distance_stderr,
                if d.resolved { "yes" } else { "no (floor)" },
                r.negative_mass.map_or("-".into(), |m| format!("{m:.1e}")),
                if r.normalisable { "yes" } else { "no" },
                r.outside,
            );
        }
        for min_width in [2, 5] {
            println!(
                "\nSlopes of log D on log N, window {}, resolved widths N >= {min_width} (95% interval with 3 or more):\n",
                window.radius
            );
            println!("| network | order | form | expected | slope | 95% interval | widths |");
            println!("|---|---|---|---|---|---|---|");
            for s in density_slopes(rows, min_width) {
                let (slope, interval) = match &s.fit {
                    Some(f) if f.points > 2 => {
                        (format!("{:.2}", f.slope), format!("[{:.2}, {:.2}]", f.slope_lo, f.slope_hi))
                    }
                    Some(f) => (format!("{:.2}", f.slope), "- (2 points)".into()),
                    None => ("-".into(), "-".into()),
                };
                let widths: Vec<String> = s.widths.iter().map(ToString::to_string).collect();
                println!(
                    "| {} | {} | {} | {} | {slope} | {interval} | {} |",
                    s.network,
                    s.order.name(),
                    s.form.name(),
                    s.order.expected_slope(),
                    widths.join(", ")
                );
            }
        }
    }
    Ok(())
}
