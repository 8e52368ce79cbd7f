//! The raw estimator over outputs handed in (`OutputStream`): bit-identical to a sampled
//! ensemble's raw estimator on that ensemble's own outputs, however the rows arrive; and its
//! refusals of bad input.

use nnqft_sampling::{Ensemble, Estimator, OutputStream, SamplingError, normal::Generator};
use nnqft_theory::{Activation, InputSet, Network};

/// Nets per work item of the seeding scheme (internal to the crate): these tests cross item boundaries.
const CHUNK_NETS: u64 = 4096;

fn ensemble(generator: Generator) -> Ensemble {
    let net = Network::paper(Activation::Erf, 1).unwrap();
    let xs = InputSet::scaling(Activation::Erf, 1).unwrap();
    // three experiments of two full work items and a partial one
    Ensemble::new(net, 5, xs, 2 * CHUNK_NETS + 37, 3, Estimator::Raw, 11).unwrap().with_generator(generator)
}

/// The stream of an ensemble's outputs gives its raw estimator's per-experiment means bit for
/// bit, for both generators and for blocks of rows that cross work items and experiments.
#[test]
fn streamed_outputs_reproduce_the_raw_estimator_bit_for_bit() {
    for generator in [Generator::Lanes, Generator::Reference] {
        let ens = ensemble(generator);
        let m = ens.inputs().len();
        let outputs = ens.outputs(2).unwrap();
        assert_eq!(outputs, ens.outputs(1).unwrap(), "outputs depend on the thread count");
        assert_eq!(outputs.len(), ens.nets_total() as usize * m);
        let expected = ens.run(2).unwrap();
        for block in [1usize, 31, 1000, 5000, outputs.len() / m] {
            let mut stream = OutputStream::new(m, ens.nets(), ens.experiments()).unwrap();
            for rows in outputs.chunks(block * m) {
                stream.push(rows).unwrap();
            }
            let got = stream.finish().unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            for o in 0..3 {
                assert_eq!(
                    bits(&got.means[o]),
                    bits(&expected.means[o]),
                    "{generator:?}, blocks of {block}, order {o}"
                );
            }
            assert_eq!(got.multisets, expected.multisets);
        }
    }
}

/// Bad rows are refused with the field and what was expected, and nothing is taken.
#[test]
fn bad_rows_are_refused() {
    let mut s = OutputStream::new(2, 2, 2).unwrap();
    let msg = |e: SamplingError| e.to_string();
    assert!(msg(s.push(&[1.0, 2.0, 3.0]).unwrap_err()).contains("multiple of the points"));
    let e = msg(s.push(&[1.0, 2.0, f64::NAN, 1.0]).unwrap_err());
    assert!(e.contains("net 1, point 0") && e.contains("finite"), "{e}");
    assert_eq!(s.nets_taken(), 0);
    s.push(&[1.0; 6]).unwrap();
    assert!(msg(s.push(&[1.0; 4]).unwrap_err()).contains("at most nets x experiments"));
    let e = msg(s.clone().finish().unwrap_err());
    assert!(e.contains("3 nets") && e.contains("exactly nets x experiments"), "{e}");
    s.push(&[1.0; 2]).unwrap();
    assert!(s.finish().is_ok());
    assert!(OutputStream::new(0, 1, 1).is_err() && OutputStream::new(1, 0, 1).is_err());
    assert!(OutputStream::new(1, 1, 0).is_err());
}

/// With several outputs, input-major rows are laid out output-major in the multisets: the same
/// numbers as the transposed rows streamed as one output.
#[test]
fn several_outputs_are_laid_out_output_major() {
    let (inputs, outputs, nets) = (3usize, 2usize, 50u64);
    let rows: Vec<f64> = (0..nets as usize * inputs * outputs).map(|i| ((i * 37) % 101) as f64 / 50.0 - 1.0).collect();
    let mut a = OutputStream::new(inputs * outputs, nets / 2, 2).unwrap().with_outputs(outputs).unwrap();
    a.push(&rows).unwrap();
    let mut transposed = Vec::new();
    for row in rows.chunks_exact(inputs * outputs) {
        transposed.extend((0..inputs * outputs).map(|p| row[(p % inputs) * outputs + p / inputs]));
    }
    let mut b = OutputStream::new(inputs * outputs, nets / 2, 2).unwrap();
    b.push(&transposed).unwrap();
    assert_eq!(a.finish().unwrap(), b.finish().unwrap());
    assert!(OutputStream::new(3, 1, 1).unwrap().with_outputs(2).is_err());
}

/// With order 8 (`with_max_order(8)`), orders 2, 4 and 6 keep the bits of the default stream,
/// and each experiment's order-8 means equal the direct mean of the products (to rounding:
/// relative 1e-12), for blocks of rows that cross work items and experiments.
#[test]
fn order_eight_keeps_the_lower_orders_bits_and_means_the_products() {
    let ens = ensemble(Generator::Lanes);
    let m = ens.inputs().len();
    let (nets, experiments) = (ens.nets(), ens.experiments());
    let outputs = ens.outputs(2).unwrap();
    let plain = {
        let mut s = OutputStream::new(m, nets, experiments).unwrap();
        s.push(&outputs).unwrap();
        s.finish().unwrap()
    };
    assert!(plain.eighth.is_none());
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for block in [1usize, 1000, outputs.len() / m] {
        let mut s = OutputStream::new(m, nets, experiments).unwrap().with_max_order(8).unwrap();
        assert_eq!(s.max_order(), 8);
        for rows in outputs.chunks(block * m) {
            s.push(rows).unwrap();
        }
        let got = s.finish().unwrap();
        for o in 0..3 {
            assert_eq!(bits(&got.means[o]), bits(&plain.means[o]), "blocks of {block}, order {}", 2 * o + 2);
        }
        let eighth = got.eighth.as_ref().unwrap();
        assert_eq!(eighth.multisets.len(), nnqft_theory::Multisets::new(m, 8).unwrap().len());
        assert_eq!(eighth.means.len(), experiments * eighth.multisets.len());
        for x in 0..experiments {
            let rows = &outputs[x * nets as usize * m..(x + 1) * nets as usize * m];
            for (pos, ms) in eighth.multisets.iter().enumerate() {
                let direct = rows.chunks(m).map(|f| ms.iter().map(|&a| f[a as usize]).product::<f64>()).sum::<f64>()
                    / nets as f64;
                let got = eighth.means[x * eighth.multisets.len() + pos];
                assert!((got - direct).abs() <= 1e-12 * direct.abs().max(1e-300) + 1e-15, "{ms:?}: {got} vs {direct}");
            }
        }
    }
    // order 6 or 8 only, and before any row
    let e = OutputStream::new(m, nets, experiments).unwrap().with_max_order(10).unwrap_err().to_string();
    assert!(e.contains("max_order") && e.contains("6 or 8"), "{e}");
    let mut s = OutputStream::new(m, nets, experiments).unwrap();
    s.push(&outputs[..m]).unwrap();
    assert!(s.with_max_order(8).is_err());
}
