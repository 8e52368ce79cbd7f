//! The analysis of outputs handed in, against exact finite-width theory: the outputs of the
//! paper's Erf-net drawn by our sampler, streamed in as a user's array would be.

use nnqft_sampling::{Ensemble, Estimator, OutputStream};
use nnqft_study::analyze::{analyze, width_scan};
use nnqft_theory::{Activation, FiniteWidthTheory, InputSet, Network};

/// Largest |z| allowed over every multiset (609 correlated values per ensemble).
const Z_BOUND: f64 = 4.5;

fn analysed(
    width: usize,
    nets: u64,
    experiments: usize,
    seed: u64,
) -> (nnqft_study::analyze::Analysis, FiniteWidthTheory) {
    let net = Network::paper(Activation::Erf, 1).unwrap();
    let xs = InputSet::scaling(Activation::Erf, 1).unwrap();
    let ens = Ensemble::new(net, width, xs.clone(), nets, experiments, Estimator::Raw, seed).unwrap();
    let outputs = ens.outputs(2).unwrap();
    let mut stream = OutputStream::new(xs.len(), nets, experiments).unwrap();
    for rows in outputs.chunks(10_000 * xs.len()) {
        stream.push(rows).unwrap();
    }
    let a = analyze(&stream.finish().unwrap(), 1).unwrap();
    (a, FiniteWidthTheory::new(&net, &xs).unwrap())
}

/// The GP of the measured G2, the connected 4- and 6-point functions and m_4 of Erf-net at N = 2
/// agree with exact theory within the z bound (seed fixed).
#[test]
fn erf_net_outputs_agree_with_exact_theory() {
    let (a, theory) = analysed(2, 400_000, 8, 5);
    let exact = theory.at_width(2).unwrap();
    let mut worst: f64 = 0.0;
    let mut row = 0;
    for o in 0..3 {
        for pos in 0..theory.multisets[o].len() {
            assert_eq!(a.rows.n[row], 2 * o as i64 + 2);
            let z_gp = (a.rows.g_gp[row] - theory.gp[o][pos]) / a.rows.g_gp_stderr[row];
            worst = worst.max(z_gp.abs());
            if o > 0 {
                let truth = if o == 1 { exact.kappa4[pos] } else { exact.kappa6[pos] };
                let z = (a.rows.connected[row].unwrap() - truth) / a.rows.connected_stderr[row].unwrap();
                assert!(z.abs() < Z_BOUND, "order {} multiset {pos}: z = {z}", 2 * o + 2);
                worst = worst.max(z.abs());
            }
            row += 1;
        }
    }
    assert!(worst < Z_BOUND, "largest |z| {worst}");
    // the signal is resolved: most connected 4-point values are 5 standard errors from 0 or more
    let resolved = (0..a.rows.len())
        .filter(|&r| a.rows.n[r] == 4)
        .filter(|&r| a.rows.connected[r].unwrap().abs() > 5.0 * a.rows.connected_stderr[r].unwrap())
        .count();
    assert!(resolved > 100, "only {resolved} connected G4 values resolved at 5 standard errors");
    let s4 = a.summary.iter().find(|s| s.n == 4).unwrap();
    let m4_exact = (0..theory.multisets[1].len()).map(|p| (exact.kappa4[p] / theory.gp[1][p]).abs()).sum::<f64>()
        / theory.multisets[1].len() as f64;
    assert_eq!(s4.multisets_used, theory.multisets[1].len());
    let z = (s4.m_n.unwrap() - m4_exact) / s4.m_n_stderr.unwrap();
    assert!(z.abs() < Z_BOUND, "m_4 {} vs exact {m4_exact}: z = {z}", s4.m_n.unwrap());
}

/// Over widths 2, 4, 8 the connected 4-point function falls like 1/N: the common exponent's
/// interval holds -1 (seed fixed).
#[test]
fn connected_four_point_function_falls_like_one_over_width() {
    let runs: Vec<_> = [2usize, 4, 8].iter().map(|&w| (w, analysed(w, 250_000, 8, 9 + w as u64).0)).collect();
    let scan: Vec<(usize, &nnqft_study::analyze::Analysis)> = runs.iter().map(|(w, a)| (*w, a)).collect();
    let fits = width_scan(&scan).unwrap();
    let four = fits.iter().find(|f| f.n == 4 && f.quantity.name() == "connected").unwrap();
    let fit = four.fit.as_ref().expect("a resolved signal at every width");
    assert!(fit.slope_lo <= -1.0 && -1.0 <= fit.slope_hi, "slope {} [{}, {}]", fit.slope, fit.slope_lo, fit.slope_hi);
    // narrow enough to exclude both no decay (0) and the next order (-2)
    assert!(fit.slope_hi - fit.slope_lo < 0.6, "interval too wide to test anything: {fit:?}");
}

/// Table 5's models fitted to the measured connected G4 of Erf-net outputs at N = 2 on the
/// Table 5 training set: every determined coupling within the z bound of the same model fitted to
/// exact κ4; each least-squares standard error equal to the jackknife recomputed from the analyses
/// without each experiment (to 1e-9: the delete-one targets are those analyses' connected G4; the
/// MAPE fits are iterative, and agree only to their optimiser's tolerance); and a kernel that is
/// not the ensemble's (σ_w = 1.2 for 1) refused.
#[test]
fn table5_fits_of_analysed_outputs_agree_with_exact_theory() {
    use nnqft_fit::{Loss, Model};
    use nnqft_study::analyze::analyze_outputs;
    use nnqft_study::correlator_fit::fit_connected;
    use nnqft_study::table5::{FitProblem, setup};
    let (width, nets, experiments) = (2, 100_000u64, 8);
    let net = Network::paper(Activation::Erf, 1).unwrap();
    let xs = InputSet::table5_train(Activation::Erf);
    let ens = Ensemble::new(net, width, xs.clone(), nets, experiments, Estimator::Raw, 11).unwrap();
    let outputs = ens.outputs(2).unwrap();
    let m = xs.len();
    let a = analyze_outputs(&outputs, m, 1, experiments).unwrap();
    let problem = FitProblem::new(&net, xs.clone(), setup(Activation::Erf).1).unwrap();
    let fits = fit_connected(&problem, &a, &Model::ALL, &Loss::ALL).unwrap();
    let kappa4 = FiniteWidthTheory::new(&net, &xs).unwrap().at_width(width).unwrap().kappa4;
    let mut worst: f64 = 0.0;
    for f in &fits {
        let exact = problem.fit_one(&kappa4, f.fit.model, f.fit.loss).unwrap();
        for j in 0..3 {
            if f.fit.singular || f.stderr[j] == 0.0 {
                continue;
            }
            let z = (f.fit.couplings[j] - exact.couplings[j]) / f.stderr[j];
            assert!(z.abs() < Z_BOUND, "{:?} {:?} coupling {j}: z = {z}", f.fit.model, f.fit.loss);
            worst = worst.max(z.abs());
        }
    }
    println!("largest |z| of the analysed Table 5 couplings against exact: {worst:.2}");
    // the jackknife: the analyses without each experiment, fitted
    let per = nets as usize * m;
    let without: Vec<Vec<nnqft_study::correlator_fit::TableFit>> = (0..experiments)
        .map(|x| {
            let kept: Vec<f64> = outputs[..x * per].iter().chain(&outputs[(x + 1) * per..]).copied().collect();
            let ax = analyze_outputs(&kept, m, 1, experiments - 1).unwrap();
            fit_connected(&problem, &ax, &Model::ALL, &Loss::ALL).unwrap()
        })
        .collect();
    for (k, f) in fits.iter().enumerate().filter(|(_, f)| f.fit.loss == Loss::Mse) {
        for j in 0..3 {
            let replicates: Vec<f64> = without.iter().map(|w| w[k].fit.couplings[j]).collect();
            let se = nnqft_stats::jackknife_from_replicates(&replicates);
            let same = (f.stderr[j] - se).abs() <= 1e-9 * se.abs() || (f.stderr[j].is_nan() && se.is_nan());
            assert!(same, "{:?} {:?} coupling {j}: {} against {se}", f.fit.model, f.fit.loss, f.stderr[j]);
        }
    }
    let wrong = Network::new(Activation::Erf, 1, 1.2, Activation::Erf.paper_sigma_b()).unwrap();
    let wrong = FitProblem::new(&wrong, xs, setup(Activation::Erf).1).unwrap();
    let e = fit_connected(&wrong, &a, &Model::ALL, &Loss::ALL).unwrap_err().to_string();
    assert!(e.contains("network") && e.contains("standard errors off the given kernel"), "{e}");
}
