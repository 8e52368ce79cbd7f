//! The raw estimator over outputs handed in (`OutputStream`): bit-identical to a sampled
//! ensemble's raw estimator on that ensemble's own outputs, however the rows arrive; and its
//! refusals of bad input.

use nnqft_sampling::{CHUNK_NETS, Ensemble, Estimator, OutputStream, SamplingError, normal::Generator};
use nnqft_theory::{Activation, InputSet, Network};

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
