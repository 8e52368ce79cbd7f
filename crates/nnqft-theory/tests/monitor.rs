//! The vertex recursions under a `Monitor`: watched, they give their unwatched bits; asked to stop
//! midway, they end with `TheoryError::Interrupted`.

use nnqft_theory::{DeepActivation, DeepNetwork, InputSet, KernelShift, Monitor, SixPointVertex, TheoryError};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the questions; asks to stop from the `stop_at`-th on.
struct Asked(AtomicU64, u64);

impl Monitor for Asked {
    fn interrupted(&self) -> bool {
        self.0.fetch_add(1, Ordering::Relaxed) + 1 >= self.1
    }
}

/// The vertex recursions under a monitor that never stops them give their bits; one that
/// stops them midway ends them with `Interrupted`.
#[test]
fn vertex_recursions_keep_their_bits_and_stop_when_asked() {
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[5, 7, 6]).unwrap();
    let xs = InputSet::new("three", &[vec![-0.4], vec![0.2], vec![0.9]]).unwrap();
    let watch = Asked(AtomicU64::new(0), u64::MAX);
    let six = SixPointVertex::new(&net, &xs).unwrap().vertex_sums();
    let watched = SixPointVertex::with_monitor(&net, &xs, &watch).unwrap().vertex_sums();
    assert!(six.iter().zip(&watched).all(|(a, b)| a.to_bits() == b.to_bits()));
    let asked = watch.0.load(Ordering::Relaxed);
    assert!(asked > 10, "{asked} questions");
    let halfway = Asked(AtomicU64::new(0), asked / 2);
    let e = SixPointVertex::with_monitor(&net, &xs, &halfway).unwrap_err();
    assert_eq!(e, TheoryError::Interrupted);
    let shift = KernelShift::new(&net, &xs).unwrap();
    let watched = KernelShift::with_monitor(&net, &xs, &Asked(AtomicU64::new(0), u64::MAX)).unwrap();
    assert!(shift.shift().iter().zip(watched.shift()).all(|(a, b)| a.to_bits() == b.to_bits()));
    let e = KernelShift::with_monitor(&net, &xs, &Asked(AtomicU64::new(0), 1)).unwrap_err();
    assert_eq!(e, TheoryError::Interrupted);
}
