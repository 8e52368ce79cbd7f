//! Every ensemble a profile plans, and every deep ensemble of its depth study, is named and
//! seeded as before the typed key ([`nnqft_study::key::EnsembleKey`]): each name and seed is
//! recomputed here with the derivation the studies used before (their `format!` strings and
//! `block_seed` codes) from the ensemble's own network, width, inputs and estimator, and
//! compared with the key's. The activation and estimator codes are pinned in nnqft-theory and
//! nnqft-sampling (`seed_codes_are_pinned`).

use nnqft_sampling::{
    DeepEnsemble, DeepEnsembleResult, Ensemble, EnsembleResult, Estimator, NtkEnsemble, NtkEnsembleResult,
};
use nnqft_study::key::{EnsembleKey, block_seed};
use nnqft_study::plan::{Plan, Profile};
use nnqft_study::{Direct, Runner};
use nnqft_theory::InputSet;
use std::cell::RefCell;
use std::collections::HashSet;

/// Master seeds checked: the default one, zero and an arbitrary one.
const MASTERS: [u64; 3] = [nnqft_sampling::DEFAULT_SEED, 0, 0x0123_4567_89ab_cdef];

/// The profiles checked (the default profile's plan is the paper-scale one).
const PROFILES: [Profile; 2] = [Profile::Quick, Profile::Default];

/// The name and seed a study gave the one-layer ensemble `ens` before the typed key, from the
/// ensemble itself; `study` is the key's variant, the only thing taken from the key.
fn name_and_seed_before(study: &EnsembleKey, master: u64, ens: &Ensemble) -> (String, u64) {
    let net = ens.network();
    let (act, d, width, est) = (net.activation(), net.d_in(), ens.width(), ens.estimator());
    let (a, w) = (act.seed_code(), width as u64);
    match study {
        EnsembleKey::Scaling { .. } => {
            (format!("scaling-{}-d{d}-N{width}-{}", act.name(), est.name()), block_seed(master, &[a, d as u64, w, 1]))
        }
        EnsembleKey::Table5 { .. } => {
            let set = if *ens.inputs() == InputSet::table5_train(act) {
                0
            } else {
                assert_eq!(*ens.inputs(), InputSet::table5_test(act));
                1
            };
            assert_eq!(d, 1);
            (
                format!("table5-{}-{}-{}", act.name(), if set == 0 { "train" } else { "test" }, est.name()),
                block_seed(master, &[a, w, set, 5]),
            )
        }
        EnsembleKey::Rg { .. } => {
            let name = match est {
                Estimator::Conditional => format!("rg-{}-d{d}-N{width}", act.name()),
                _ => format!("rg-{}-d{d}-N{width}-{}", act.name(), est.name()),
            };
            (name, block_seed(master, &[a, d as u64, w, 6]))
        }
        other => panic!("a profile plans no {other:?}"),
    }
}

#[test]
fn planned_ensembles_keep_their_names_and_seeds() {
    for profile in PROFILES {
        let plan = Plan::of(profile);
        for master in MASTERS {
            let planned = plan.ensembles(master).unwrap();
            assert!(planned.len() > 20, "{profile}: {} ensembles", planned.len());
            let mut names = HashSet::new();
            for p in &planned {
                let (name, seed) = name_and_seed_before(&p.key, master, &p.ensemble);
                assert_eq!(p.key.name(), name, "{profile}, master {master}");
                assert_eq!(p.key.seed(master), seed, "{name}");
                assert_eq!(p.ensemble.seed(), seed, "{name}");
                assert!(names.insert(name.clone()), "{name} is planned twice");
            }
        }
    }
}

/// Runs the depth study's ensembles (a handful of nets each) and records every key and
/// ensemble a study asks for.
struct Recorder {
    direct: Direct<'static>,
    deep: RefCell<Vec<(EnsembleKey, DeepEnsemble)>>,
    ntk: RefCell<Vec<(EnsembleKey, u64)>>,
}

impl Runner for Recorder {
    fn seed(&self) -> u64 {
        self.direct.seed()
    }
    fn ensemble(&self, key: &EnsembleKey, ensemble: &Ensemble, seed: u64) -> nnqft_study::Result<EnsembleResult> {
        self.direct.ensemble(key, ensemble, seed)
    }
    fn deep_ensemble(&self, key: &EnsembleKey, ensemble: &DeepEnsemble) -> nnqft_study::Result<DeepEnsembleResult> {
        self.deep.borrow_mut().push((key.clone(), ensemble.clone()));
        self.direct.deep_ensemble(key, ensemble)
    }
    fn ntk_ensemble(&self, key: &EnsembleKey, ensemble: &NtkEnsemble) -> nnqft_study::Result<NtkEnsembleResult> {
        self.ntk.borrow_mut().push((key.clone(), ensemble.seed()));
        self.direct.ntk_ensemble(key, ensemble)
    }
    fn dntk_ensemble(
        &self,
        key: &EnsembleKey,
        ensemble: &nnqft_sampling::DntkEnsemble,
    ) -> nnqft_study::Result<nnqft_sampling::DntkPreactivation> {
        self.direct.dntk_ensemble(key, ensemble)
    }
    fn ddntk_ensemble(
        &self,
        key: &EnsembleKey,
        ensemble: &nnqft_sampling::DdntkEnsemble,
    ) -> nnqft_study::Result<nnqft_sampling::DdntkMeans> {
        self.ntk.borrow_mut().push((key.clone(), ensemble.seed()));
        self.direct.ddntk_ensemble(key, ensemble)
    }
    fn outputs(&self, key: &EnsembleKey, ensemble: &Ensemble) -> nnqft_study::Result<Vec<f64>> {
        self.direct.outputs(key, ensemble)
    }
}

#[test]
fn deep_ensembles_of_the_depth_study_keep_their_names_and_seeds() {
    for profile in PROFILES {
        let mut plan = Plan::of(profile).depth;
        let asked = plan.activations.len() * plan.depths.len() * (plan.widths.len() + 1);
        (plan.nets, plan.experiments) = (16, 2); // the names and seeds do not depend on the sizes
        for master in [MASTERS[0], MASTERS[2]] {
            let recorder = Recorder {
                direct: Direct::new(master, 1),
                deep: RefCell::new(Vec::new()),
                ntk: RefCell::new(Vec::new()),
            };
            nnqft_study::depth::run(&recorder, &plan).unwrap();
            let deep = recorder.deep.into_inner();
            assert_eq!(deep.len(), asked, "{profile}: one ensemble per (activation, L, n), raw at one width");
            let mut names = HashSet::new();
            for (key, ens) in &deep {
                let net = ens.network();
                let (act, depth, width, est) = (net.activation(), net.depth(), net.widths()[0], ens.estimator());
                assert!(net.widths().iter().all(|&n| n == width));
                let name = format!("depth-{}-L{depth}-N{width}-{}", act.name(), est.name());
                let code = [0x6465_7074, act.seed_code(), depth as u64, width as u64, est.seed_code()];
                assert_eq!(key.name(), name, "{profile}, master {master}");
                assert_eq!(key.seed(master), block_seed(master, &code), "{name}");
                assert_eq!(ens.seed(), block_seed(master, &code), "{name}");
                assert!(names.insert(name.clone()), "{name} is asked for twice");
            }
        }
    }
}

/// The NTK study (quick profile's networks and sizes, a handful of nets): one ensemble per
/// `(activation, L, n)`, named `ntk_study-<act>-L<L>-N<n>` and seeded by the block seed of
/// `[0x6e74_6b73, <a>, L, n]` (written out here), every seed distinct.
#[test]
fn ntk_study_ensembles_are_named_and_seeded_by_their_keys() {
    let plan = nnqft_study::ntk_study::NtkStudyPlan { experiments: 2, nets: 16, ..Plan::of(Profile::Quick).ntk };
    let master = MASTERS[2];
    let recorder =
        Recorder { direct: Direct::new(master, 1), deep: RefCell::new(Vec::new()), ntk: RefCell::new(Vec::new()) };
    nnqft_study::ntk_study::run(&recorder, &plan).unwrap();
    let asked = recorder.ntk.into_inner();
    assert_eq!(asked.len(), plan.activations.len() * plan.depths.len() * plan.widths.len());
    let mut seeds = HashSet::new();
    for (key, seed) in &asked {
        let EnsembleKey::NtkStudy { activation, depth, width } = *key else { panic!("{key:?}") };
        assert_eq!(key.name(), format!("ntk_study-{}-L{depth}-N{width}", activation.name()));
        let code = [0x6e74_6b73, activation.seed_code(), depth as u64, width as u64];
        assert_eq!(*seed, block_seed(master, &code), "{key}");
        assert!(seeds.insert(*seed), "{key}: seed repeated");
    }
}

/// The NTK table's ddNTK ensemble: asked for under `ddntk-<act>-N<n1>x<n2>...` with the
/// table's master seed unchanged (the settings', not the runner's), after the NTK's own.
#[test]
fn ntk_table_ddntk_ensemble_is_named_and_seeded_by_its_key() {
    use nnqft_study::ntk_table::{NtkSampling, NtkSettings, NtkTable};
    use nnqft_theory::{DeepActivation, DeepNetwork};
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[3, 2]).unwrap();
    let xs = InputSet::new("one", &[vec![0.4]]).unwrap();
    let sampling = Some(NtkSampling { nets: 4, experiments: 2, seed: 31 });
    let table = NtkTable::new(&net, &xs, &NtkSettings { sampling, ddntk: true, ..Default::default() }).unwrap();
    let recorder =
        Recorder { direct: Direct::new(MASTERS[2], 1), deep: RefCell::new(Vec::new()), ntk: RefCell::new(Vec::new()) };
    table.rows(&recorder).unwrap();
    let asked: Vec<(String, u64)> = recorder.ntk.into_inner().iter().map(|(k, s)| (k.name(), *s)).collect();
    assert_eq!(asked, [("ntk-tanh-N3x2".to_string(), 31), ("ddntk-tanh-N3x2".to_string(), 31)]);
}
