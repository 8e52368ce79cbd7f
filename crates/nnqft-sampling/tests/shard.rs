//! Sharded ensembles: every shard count gives the unsharded result bit for bit, and the
//! merge refuses an incomplete or malformed set of item sums.

use nnqft_sampling::*;
use nnqft_theory::{Activation, InputSet, Network};

/// Nets per work item of the seeding scheme (internal to the crate): these tests cross item boundaries.
const CHUNK_NETS: u64 = 4096;

fn ensemble(act: Activation, est: Estimator, nets: u64, experiments: usize) -> Ensemble {
    let net = Network::paper(act, 1).unwrap();
    let xs = InputSet::scaling(act, 1).unwrap();
    Ensemble::new(net, 6, xs, nets, experiments, est, 31).unwrap()
}

/// Runs every shard of `count` on its own and gathers the item sums in item order.
fn gathered(ens: &Ensemble, count: u64, rotation: u64) -> Vec<ItemSums> {
    let total = ens.work_items();
    let mut slots: Vec<Option<ItemSums>> = vec![None; total as usize];
    // shards in reverse order and with different thread counts: neither may matter
    for k in (0..count).rev() {
        let shard = Shard::new(k, count).unwrap();
        let items = shard.items(total, rotation);
        let sums = ens.run_items(&items, 1 + (k as usize % 2), &|_| {}).unwrap();
        assert_eq!(sums.len(), items.len());
        for (i, s) in items.into_iter().zip(sums) {
            assert!(slots[i as usize].replace(s).is_none(), "item {i} run twice");
        }
    }
    slots.into_iter().map(|s| s.expect("every item run")).collect()
}

#[test]
fn merged_shards_are_bit_identical_for_any_shard_count() {
    let cases = [
        (Activation::Erf, Estimator::Raw),
        (Activation::Erf, Estimator::Conditional),
        (Activation::Erf, Estimator::ControlVariate),
        (Activation::Gauss, Estimator::BiasIntegrated),
    ];
    for (act, est) in cases {
        // 3 chunks per experiment, the last one partial
        let ens = ensemble(act, est, 2 * CHUNK_NETS + 100, 3).with_variance(true);
        assert_eq!(ens.work_items(), 9);
        let whole = ens.run(2).unwrap();
        for count in [1, 2, 3, 7, 12] {
            let merged = ens.merge_items(&gathered(&ens, count, 5)).unwrap();
            // bit for bit, NaN-free: compare the bits, not just ==
            for o in 0..3 {
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&merged.means[o]), bits(&whole.means[o]), "{est:?} N={count} order {o}");
            }
            assert_eq!(merged, whole, "{est:?} N={count}");
        }
    }
}

#[test]
fn merge_refuses_missing_or_malformed_items() {
    let ens = ensemble(Activation::Relu, Estimator::Conditional, 100, 3);
    let mut sums = gathered(&ens, 2, 0);
    let last = sums.pop().unwrap();
    let e = ens.merge_items(&sums).unwrap_err().to_string();
    assert!(e.contains("work item sums") && e.contains("exactly one per work item"), "{e}");
    let mut short = last.sums().clone();
    short[2].pop();
    sums.push(ItemSums::new(short, None));
    let e = ens.merge_items(&sums).unwrap_err().to_string();
    assert!(e.contains("one value per multiset"), "{e}");
    sums.pop();
    sums.push(ItemSums::new(last.sums().clone(), Some(last.sums().clone())));
    let e = ens.merge_items(&sums).unwrap_err().to_string();
    assert!(e.contains("work item squares"), "{e}");
    sums.pop();
    sums.push(last);
    assert_eq!(ens.merge_items(&sums).unwrap(), ens.run(1).unwrap());
    let e = ens.run_items(&[3], 1, &|_| {}).unwrap_err().to_string();
    assert!(e.contains("work item") && e.contains("experiments x chunks"), "{e}");
}
