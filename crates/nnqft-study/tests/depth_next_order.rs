//! The depth study's next orders ([`nnqft_study::depth_next_order`]) on small plans with fixed
//! seeds: relu against its exact one-input law, tanh and GELU against `K1` and the six-point
//! vertex, the rows' independence of the thread count; and (ignored, minutes) the default
//! profile's depth study timed.

use nnqft_study::Direct;
use nnqft_study::depth::{DepthPlan, DepthReport, run};
use nnqft_study::depth_next_order::SixPointRow;
use nnqft_study::plan::{Plan, Profile};
use nnqft_theory::DeepActivation;

/// |z| bound of the Monte Carlo comparisons below: fixed seeds, a few dozen comparisons
/// per test, so a bound of 4 standard errors fails by chance with probability ~1e-3.
const Z_BOUND: f64 = 4.0;
/// Rounding level of the closed forms compared (relu's recursions against the exact law).
const ROUNDING: f64 = 1e-12;

fn small(acts: &[DeepActivation], depths: &[usize], widths: &[usize], threads: usize) -> DepthReport {
    let plan = DepthPlan {
        activations: acts.to_vec(),
        depths: depths.to_vec(),
        widths: widths.to_vec(),
        raw_width: 0,
        experiments: 8,
        nets: 4_000,
    };
    run(&Direct::new(20_261_207, threads), &plan).unwrap()
}

/// Relu at criticality: `K1 = 0` on every diagonal pair (G2 = K exactly) and at `L = 1` on
/// every pair; the six-point leading order on the diagonal is `(44 L + 75 L (L − 1)) / n²`,
/// the `1/n²` term of the exact `r6`; the measured diagonal values meet the exact ones.
#[test]
fn relu_next_orders_meet_the_exact_one_input_law() {
    let report = small(&[DeepActivation::Relu], &[1, 2, 4], &[10, 40], 2);
    let mut z = Vec::new();
    for row in &report.shifts {
        if row.diagonal || row.depth == 1 {
            assert_eq!(row.shift_exact, Some(0.0), "{row:?}");
            assert!(row.shift_leading_order.abs() < ROUNDING, "{row:?}");
            if row.shift_stderr > 0.0 {
                z.push(row.z());
            }
        }
    }
    for row in report.six_points.iter().filter(|r| r.diagonal) {
        let (l, n) = (row.depth as f64, row.width as f64);
        let lead = (44.0 * l + 75.0 * l * (l - 1.0)) / (n * n);
        assert!((row.r6_leading_order - lead).abs() < ROUNDING * lead, "{row:?}");
        let p4 = (1.0 + 5.0 / n).powi(row.depth as i32);
        let p6 = (1.0 + 15.0 / n + 44.0 / (n * n)).powi(row.depth as i32);
        let exact = row.r6_exact.unwrap();
        assert!((exact - (p6 - 3.0 * p4 + 2.0)).abs() < ROUNDING * exact, "{row:?}");
        z.push(row.z_against(exact));
    }
    eprintln!("relu: largest |z| {:.2} of {}", z.iter().fold(0.0f64, |a, z| a.max(z.abs())), z.len());
    assert!(z.len() > 12 && z.iter().all(|z| z.abs() <= Z_BOUND), "{z:?}");
}

/// tanh and GELU (critical) at `L = 1, 2`, `n = 20, 100`: the measured shift against `K1` on
/// every pair; the measured `r6` against the six-point vertex on every multiset of the subset
/// at `L = 1`, where the leading order is exact (one hidden layer: the metric is a sum of `n`
/// i.i.d. terms, so `κ3(G) = C_W³ T / n²` exactly); at `L = 2`, where the next order
/// (`O(L/n)` relative) is resolved (GELU's diagonal `r6` is 28% above the leading order at
/// `n = 20` with this seed, `z ≈ 5`), the relative residual `r6 / leading − 1` shrinks like
/// `1/n`: the one at `n = 100` against `20/100` of the one at `n = 20`, in their combined
/// standard errors.
#[test]
fn smooth_next_orders_meet_the_theory() {
    let report = small(&[DeepActivation::Tanh, DeepActivation::Gelu], &[1, 2], &[20, 100], 2);
    let z_shift: Vec<f64> = report.shifts.iter().map(|r| r.z()).collect();
    let z_six: Vec<f64> =
        report.six_points.iter().filter(|r| r.depth == 1).map(|r| r.z_against(r.r6_leading_order)).collect();
    // the relative residual of r6 and its standard error
    let rel = |r: &SixPointRow| (r.r6_mean / r.r6_leading_order - 1.0, r.r6_stderr / r.r6_leading_order);
    let mut z_rate = Vec::new();
    for small_n in report.six_points.iter().filter(|r| r.depth == 2 && r.width == 20) {
        let large_n = report
            .six_points
            .iter()
            .find(|r| (r.network, r.depth, r.width, &r.indices) == (small_n.network, 2, 100, &small_n.indices))
            .unwrap();
        let ((a, sa), (b, sb)) = (rel(small_n), rel(large_n));
        z_rate.push((b - 0.2 * a) / sb.hypot(0.2 * sa));
    }
    assert_eq!((z_shift.len(), z_six.len(), z_rate.len()), (2 * 2 * 2 * 21, 2 * 2 * 7, 2 * 7));
    assert!(
        z_shift.iter().chain(&z_six).chain(&z_rate).all(|z| z.abs() <= Z_BOUND),
        "{z_shift:?} {z_six:?} {z_rate:?}"
    );
    // at L = 1 the shift is exactly zero: K1 = 0 on every pair
    assert!(report.shifts.iter().filter(|r| r.depth == 1).all(|r| r.shift_leading_order == 0.0));
    let max = |z: &[f64]| z.iter().fold(0.0f64, |a, z| a.max(z.abs()));
    eprintln!(
        "largest |z|: shift {:.2} of {}, r6 at L = 1 {:.2} of {}, rate {:.2} of {}",
        max(&z_shift),
        z_shift.len(),
        max(&z_six),
        z_six.len(),
        max(&z_rate),
        z_rate.len()
    );
}

/// The same rows, bit for bit, on one thread and on two.
#[test]
fn next_orders_do_not_depend_on_the_thread_count() {
    let one = small(&[DeepActivation::Erf], &[2], &[10], 1);
    let two = small(&[DeepActivation::Erf], &[2], &[10], 2);
    assert!(!one.shifts.is_empty() && !one.six_points.is_empty());
    let bits = |r: &DepthReport| -> Vec<u64> {
        r.shifts
            .iter()
            .flat_map(|s| [s.g2_mean, s.g2_stderr, s.shift_mean])
            .chain(r.six_points.iter().flat_map(|s| [s.r6_mean, s.r6_stderr, s.c6_mean, s.c6_stderr]))
            .map(f64::to_bits)
            .collect()
    };
    assert_eq!(bits(&one), bits(&two));
}

/// The default profile's depth study, timed per activation (the budget of `cargo xtask
/// reproduce`); prints the time and the diagonal next-order rows at the closing table's sizes.
/// Minutes: `cargo test -p nnqft-study --test depth_next_order default_profile_depth_study -- --ignored --nocapture`.

#[test]
#[ignore = "minutes: the default profile's depth study"]
fn default_profile_depth_study() {
    let plan = Plan::of(Profile::Default).depth;
    let runner = Direct::new(nnqft_sampling::DEFAULT_SEED, 2);
    let mut total = 0.0;
    for &act in &plan.activations {
        let one = nnqft_study::depth::DepthPlan { activations: vec![act], ..plan.clone() };
        let start = std::time::Instant::now();
        let report = nnqft_study::depth::run(&runner, &one).unwrap();
        let secs = start.elapsed().as_secs_f64();
        total += secs;
        eprintln!("{}: {secs:.1} s", act.name());
        for &(l, n) in &[(1, 20), (2, 20), (4, 20), (8, 20), (1, 100), (2, 100), (4, 100), (8, 100)] {
            let (s, six) = (report.diagonal_shift(act, l, n).unwrap(), report.diagonal_six_point(act, l, n).unwrap());
            eprintln!(
                "  L={l} n={n}: shift {:.4} ± {:.4} vs K1 {:.4}; r6 {:.4e} ± {:.2e} vs {:.4e} exact {:?}",
                s.shift_mean,
                s.shift_stderr,
                s.shift_leading_order,
                six.r6_mean,
                six.r6_stderr,
                six.r6_leading_order,
                six.r6_exact
            );
        }
    }
    eprintln!("depth study, default profile: {total:.1} s");
}
