//! A run's [`Monitor`]: told every net of every work item, it leaves the numbers bit for bit
//! those of a run without one; asking to stop ends the run with `Interrupted` before the
//! remaining items start. For the one-layer, deep and NTK ensembles alike.

use nnqft_sampling::{DeepEnsemble, Ensemble, Estimator, Monitor, NtkEnsemble, SamplingError};
use nnqft_theory::{Activation, DeepActivation, DeepNetwork, InputSet, Network};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts nets; asks to stop once `stop_at` nets are done.
struct Counter {
    nets: AtomicU64,
    stop_at: u64,
}

impl Counter {
    fn new(stop_at: u64) -> Self {
        Self { nets: AtomicU64::new(0), stop_at }
    }
    fn nets(&self) -> u64 {
        self.nets.load(Ordering::Relaxed)
    }
}

impl Monitor for Counter {
    fn advance(&self, nets: u64) {
        self.nets.fetch_add(nets, Ordering::Relaxed);
    }
    fn interrupted(&self) -> bool {
        self.nets() >= self.stop_at
    }
}

/// Nets per experiment: two whole work items and a partial one.
const NETS: u64 = 2 * 4096 + 33;
const EXPERIMENTS: usize = 3;

fn xs() -> InputSet {
    InputSet::new("three", &[vec![-0.4], vec![0.2], vec![0.9]]).unwrap()
}

/// Runs `run` watched by a counter that never stops it, then by one that stops it after the
/// first item, on one thread (so that no second item is already running).
fn check<T: std::fmt::Debug>(plain: T, run: impl Fn(&dyn Monitor) -> Result<T, SamplingError>) {
    let all = Counter::new(u64::MAX);
    let watched = run(&all).unwrap();
    assert_eq!(format!("{plain:?}"), format!("{watched:?}"), "a monitor changed the numbers");
    assert_eq!(all.nets(), NETS * EXPERIMENTS as u64);
    let first = Counter::new(1);
    assert!(matches!(run(&first), Err(SamplingError::Interrupted)));
    assert_eq!(first.nets(), 4096, "items ran after the monitor asked to stop");
}

#[test]
fn one_layer_ensembles_keep_their_bits_and_stop_when_asked() {
    for est in [Estimator::Raw, Estimator::Conditional] {
        let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
        let e = Ensemble::new(net, 5, xs(), NETS, EXPERIMENTS, est, 7).unwrap();
        check(e.run(2).unwrap(), |m| e.run_with_progress(1, m));
        let items: Vec<u64> = (0..e.work_items()).collect();
        check(e.run_items(&items, 2, &()).unwrap(), |m| e.run_items(&items, 1, m));
    }
}

#[test]
fn deep_and_ntk_ensembles_keep_their_bits_and_stop_when_asked() {
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[6, 4]).unwrap();
    let deep = DeepEnsemble::new(net.clone(), xs(), NETS, EXPERIMENTS, Estimator::Conditional, 7).unwrap();
    check(deep.run(2).unwrap(), |m| deep.run_with_progress(1, m));
    let ntk = NtkEnsemble::new(net, xs(), NETS, EXPERIMENTS, 7).unwrap();
    check(ntk.run(2).unwrap(), |m| ntk.run_with_progress(1, m));
}
