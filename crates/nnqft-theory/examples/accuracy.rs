//! Prints the accuracy reached by the single-neuron moments and the vertex integrals for the
//! paper's networks and x-sets (`cargo run --release -p nnqft-theory --example accuracy`).
use nnqft_theory::*;
use std::time::Instant;

fn main() -> Result<()> {
    for d in 1..=3 {
        for act in Activation::ALL {
            let net = Network::paper(act, d)?;
            let xs = InputSet::scaling(act, d)?;
            let t = Instant::now();
            let mo = NeuronMoments::compute(&net, &xs)?;
            println!(
                "moments {:5} d={d}: accuracy M2 {:.1e} M4 {:.1e} M6 {:.1e} ({}) {:.3}s",
                act.name(),
                mo.relative_accuracy[0],
                mo.relative_accuracy[1],
                mo.relative_accuracy[2],
                mo.method,
                t.elapsed().as_secs_f64()
            );
        }
    }
    for (act, cut) in [
        (Activation::Gauss, Cutoff::Infinite),
        (Activation::Erf, Cutoff::finite(100.0).unwrap()),
        (Activation::Relu, Cutoff::finite(100.0).unwrap()),
        (Activation::Erf, Cutoff::finite(1e5).unwrap()),
    ] {
        let net = Network::paper(act, 1)?;
        let xs = InputSet::table5_test(act);
        let t = Instant::now();
        let v = VertexIntegrals::compute(&net, &xs, cut)?;
        println!(
            "vertex {:5} d=1 {:?}: rel err pair {:.1e} T0 {:.1e} T2 {:.1e} loop {:.1e} I6 {:.1e} {:.3}s",
            act.name(),
            cut,
            v.pair.relative_error(),
            v.quartic.relative_error(),
            v.quartic_x2.relative_error(),
            v.quartic_loop.relative_error(),
            v.sextic.relative_error(),
            t.elapsed().as_secs_f64()
        );
    }
    for d in 2..=3 {
        let net = Network::paper(Activation::Relu, d)?;
        let xs = InputSet::scaling(Activation::Relu, d)?;
        let t = Instant::now();
        let v = VertexIntegrals::compute(&net, &xs, Cutoff::finite(10.0).unwrap())?;
        println!(
            "vertex relu d={d}: rel err pair {:.1e} T0 {:.1e} T2 {:.1e} I6 {:.1e} {:.3}s",
            v.pair.relative_error(),
            v.quartic.relative_error(),
            v.quartic_x2.relative_error(),
            v.sextic.relative_error(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
