//! Times the kernel recursion, four-point vertex, kernel shift and six-point vertex for tanh
//! and gelu at depth 8 (widths 50) on the erf scaling set (6 points) and on a 12-point set
//! (`cargo run --release -p nnqft-theory --example six_point_speed [-- 6|12] [-- dump FILE]`).
//! `dump FILE` writes the tanh six-point vertex at 6 points (one value a line), to compare runs.
use nnqft_theory::*;
use std::time::Instant;

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dump = args.iter().position(|a| a == "dump").and_then(|i| args.get(i + 1)).cloned();
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![6, 12] } else { sizes };
    let six = InputSet::scaling(Activation::Erf, 1)?;
    let twelve_points: Vec<Vec<f64>> = (0..12).map(|i| vec![-1.1 + 0.2 * i as f64]).collect();
    let twelve = InputSet::new("twelve", &twelve_points)?;
    for &size in &sizes {
        let inputs = if size == 12 { &twelve } else { &six };
        for act in [DeepActivation::Tanh, DeepActivation::Gelu] {
            let net = DeepNetwork::with_deep_priors(act, &[50; 8])?;
            let time = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
                let t = Instant::now();
                f()?;
                Ok(t.elapsed().as_secs_f64())
            };
            let kr = time(&mut || KernelRecursion::new(&net, inputs).map(drop))?;
            let fp = time(&mut || FourPointVertex::new(&net, inputs).map(drop))?;
            let ks = time(&mut || KernelShift::new(&net, inputs).map(drop))?;
            let mut vertex = None;
            let sp = time(&mut || {
                vertex = Some(SixPointVertex::new(&net, inputs)?);
                Ok(())
            })?;
            let err = vertex.as_ref().map_or(0.0, SixPointVertex::quadrature_error);
            println!(
                "{act:?} L=8 m={size}: KernelRecursion {kr:.3}s FourPointVertex {fp:.3}s KernelShift {ks:.3}s \
                 SixPointVertex {sp:.3}s (quadrature error {err:.2e})"
            );
            if let (Some(path), Some(v), DeepActivation::Tanh, 6) = (&dump, &vertex, act, size) {
                let n = v.kernels().points();
                let mut out = String::new();
                for a in 0..n {
                    for b in a..n {
                        for c in 0..n {
                            for d in c..n {
                                for e in 0..n {
                                    for f in e..n {
                                        out += &format!("{:e}\n", v.vertex([a, b], [c, d], [e, f]));
                                    }
                                }
                            }
                        }
                    }
                }
                std::fs::write(path, out)?;
            }
        }
    }
    Ok(())
}
