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

/// The exact one-point cumulants of ReLU-net (`σ_w = 1`, the paper's `σ_b = 0`, `d = 1`) at
/// `x = 1` and width `N`, `κ_n = N^{1 − n/2} κ_n(u)` for `n = 4, 6, 8`, from the single-neuron
/// moments. One neuron's term is `u = v relu(z)` with `v ~ N(0, 1)` (before the `1/√N`) and
/// `z ~ N(0, s²)`, `s² = σ_w² x² / d + σ_b² = 1`, so its moments are
/// `μ_k = E[v^k] E[relu(z)^k] = (k−1)!! · s^k (k−1)!! / 2` (half of a normal's even moment), odd
/// ones vanishing: `μ2 = 1/2`, `μ4 = 9/2`, `μ6 = 225/2`, `μ8 = 11025/2`. The `N` neurons are
/// i.i.d. and `f = Σ_j u_j / √N`, so `κ_n(f) = N κ_n(u / √N) = N^{1 − n/2} κ_n(u)`, with
/// `κ4(u) = μ4 − 3 μ2²`, `κ6(u) = μ6 − 15 μ4 μ2 + 30 μ2³` and
/// `κ8(u) = μ8 − 28 μ6 μ2 − 35 μ4² + 420 μ4 μ2² − 630 μ2⁴` (the eighth cumulant of a symmetric
/// variable: the one-point case of the sum over even splits in the analysis's module docs).
fn relu_one_point_cumulants(width: usize) -> [f64; 3] {
    let double_factorial = |k: u32| (1..k).step_by(2).map(f64::from).product::<f64>();
    let mu = |k: u32| double_factorial(k) * double_factorial(k) / 2.0;
    let (m2, m4, m6, m8) = (mu(2), mu(4), mu(6), mu(8));
    let k4 = m4 - 3.0 * m2 * m2;
    let k6 = m6 - 15.0 * m4 * m2 + 30.0 * m2.powi(3);
    let k8 = m8 - 28.0 * m6 * m2 - 35.0 * m4 * m4 + 420.0 * m4 * m2 * m2 - 630.0 * m2.powi(4);
    let n = width as f64;
    [k4 / n, k6 / (n * n), k8 / (n * n * n)]
}

/// Our sampler's ReLU-net outputs at one point, streamed in to order 8.
fn relu_one_point(width: usize, nets: u64, experiments: usize, seed: u64) -> nnqft_study::analyze::Analysis {
    let net = Network::paper(Activation::Relu, 1).unwrap();
    let xs = InputSet::new("one point", &[vec![1.0]]).unwrap();
    let ens = Ensemble::new(net, width, xs, nets, experiments, Estimator::Raw, seed).unwrap();
    let outputs = ens.outputs(2).unwrap();
    let mut stream = OutputStream::new(1, nets, experiments).unwrap().with_max_order(8).unwrap();
    stream.push(&outputs).unwrap();
    analyze(&stream.finish().unwrap(), 1).unwrap()
}

/// The connected four-, six- and eight-point functions of ReLU-net's outputs at one point
/// (N = 2, seed fixed) agree with the exact cumulants within the z bound, and the exact
/// `κ4`, `κ6` derived here from the closed-form moments equal `FiniteWidthTheory`'s quadrature.
#[test]
fn relu_net_eighth_cumulant_agrees_with_exact_theory() {
    let width = 2;
    let exact = relu_one_point_cumulants(width);
    let net = Network::paper(Activation::Relu, 1).unwrap();
    let xs = InputSet::new("one point", &[vec![1.0]]).unwrap();
    let theory = FiniteWidthTheory::new(&net, &xs).unwrap().at_width(width).unwrap();
    assert!((theory.kappa4[0] - exact[0]).abs() < 1e-9 * exact[0], "{} vs {}", theory.kappa4[0], exact[0]);
    assert!((theory.kappa6[0] - exact[1]).abs() < 1e-9 * exact[1], "{} vs {}", theory.kappa6[0], exact[1]);
    let a = relu_one_point(width, 400_000, 20, 3);
    for (k, n) in [4i64, 6, 8].into_iter().enumerate() {
        let row = a.rows.n.iter().position(|&m| m == n).unwrap();
        let (got, se) = (a.rows.connected[row].unwrap(), a.rows.connected_stderr[row].unwrap());
        let z = (got - exact[k]) / se;
        eprintln!("n = {n}: connected {got:.4} ± {se:.4}, exact {:.4}, z = {z:.2}", exact[k]);
        assert!(z.abs() < Z_BOUND, "n = {n}: {got} ± {se} vs exact {}: z = {z}", exact[k]);
    }
    // resolved: the eighth cumulant is more than 5 standard errors from 0
    let row = a.rows.n.iter().position(|&m| m == 8).unwrap();
    assert!(a.rows.connected[row].unwrap() > 5.0 * a.rows.connected_stderr[row].unwrap());
}

/// Gaussian outputs (three correlated points, 4,000,000 nets in 20 experiments; SplitMix64 and
/// Box-Muller, seed fixed): every connected eight-point value is consistent with 0 within the z
/// bound (the jackknife z of 20 experiments is about Student's t with 19 degrees of freedom,
/// `P(|t| > 4.5) ≈ 2.5e-4` per value, 45 values), and their mean z² stays below 2 (a bias or
/// an underestimated error would show). With this seed it is 0.42, below the 19/17 = 1.12 of
/// independent t values: the 45 values share three points and move together, and the delete-one
/// jackknife variance is conservative for a symmetric statistic (Efron–Stein), the more so for
/// the products of four experiments' means.
#[test]
fn gaussian_outputs_have_no_connected_eight_point_function() {
    let (nets, experiments) = (200_000usize, 20usize);
    let mut state = 0x5eed_u64;
    let mut uniform = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    // f = L g with L lower triangular: correlations 0.6, 0.3, 0.5
    let l = [[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.3, 0.4, 0.866]];
    let mut values = Vec::with_capacity(nets * experiments * 3);
    for _ in 0..nets * experiments {
        let (u1, u2, u3, u4) = (uniform(), uniform(), uniform(), uniform());
        let r1 = (-2.0 * u1.ln()).sqrt();
        let r2 = (-2.0 * u3.ln()).sqrt();
        let g = [
            r1 * (std::f64::consts::TAU * u2).cos(),
            r1 * (std::f64::consts::TAU * u2).sin(),
            r2 * (std::f64::consts::TAU * u4).cos(),
        ];
        for row in &l {
            values.push(row.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>());
        }
    }
    let a = nnqft_study::analyze::analyze_outputs_with_progress(&values, 3, 1, experiments, 8, &()).unwrap();
    let zs = |n: i64| -> Vec<f64> {
        (0..a.rows.len())
            .filter(|&r| a.rows.n[r] == n)
            .map(|r| a.rows.connected[r].unwrap() / a.rows.connected_stderr[r].unwrap())
            .collect()
    };
    for n in [4, 6] {
        let z = zs(n);
        eprintln!(
            "Gaussian connected G{n}: mean z² {:.2} over {} values",
            z.iter().map(|v| v * v).sum::<f64>() / z.len() as f64,
            z.len()
        );
    }
    let z = zs(8);
    assert_eq!(z.len(), 45);
    let worst = z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mean_z2 = z.iter().map(|v| v * v).sum::<f64>() / z.len() as f64;
    eprintln!("Gaussian connected G8: max |z| {worst:.2}, mean z² {mean_z2:.2} over {} values", z.len());
    assert!(worst < Z_BOUND, "max |z| {worst}");
    assert!(mean_z2 < 2.0, "mean z² {mean_z2}");
}

/// The connected eight-point function of ReLU-net at one point falls like `1/N³` over widths 2, 4,
/// 8 (2,000,000 nets in 20 experiments each, seeds fixed): the common exponent's interval holds
/// −3, and each width's value agrees with the exact cumulant. (At `N = 1` the products of eight
/// outputs are so heavy-tailed, their variance the sixteenth moment, that a million nets still
/// underestimate `κ8`: −3.4 standard errors.) About two minutes:
/// `cargo test -p nnqft-study --test analyze -- --ignored connected_eight_point`.
#[test]
#[ignore]
fn connected_eight_point_function_falls_like_one_over_width_cubed() {
    let runs: Vec<_> = [2usize, 4, 8].iter().map(|&w| (w, relu_one_point(w, 2_000_000, 20, 40 + w as u64))).collect();
    for (w, a) in &runs {
        let row = a.rows.n.iter().position(|&m| m == 8).unwrap();
        let (got, se) = (a.rows.connected[row].unwrap(), a.rows.connected_stderr[row].unwrap());
        let exact = relu_one_point_cumulants(*w)[2];
        eprintln!("N = {w}: connected G8 {got:.3} ± {se:.3}, exact {exact:.3}, z = {:.2}", (got - exact) / se);
        assert!(((got - exact) / se).abs() < Z_BOUND);
    }
    let scan: Vec<(usize, &nnqft_study::analyze::Analysis)> = runs.iter().map(|(w, a)| (*w, a)).collect();
    let fits = width_scan(&scan).unwrap();
    let eight = fits.iter().find(|f| f.n == 8 && f.quantity.name() == "connected").unwrap();
    assert!((eight.slope_expected + 3.0).abs() < 1e-12);
    let fit = eight.fit.as_ref().expect("a resolved signal at two widths or more");
    eprintln!("connected G8 slope {:.3} [{:.3}, {:.3}]", fit.slope, fit.slope_lo, fit.slope_hi);
    assert!(fit.slope_lo <= -3.0 && -3.0 <= fit.slope_hi, "slope {} [{}, {}]", fit.slope, fit.slope_lo, fit.slope_hi);
}
