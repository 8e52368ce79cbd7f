//! The lane generator's statistics (fixed seeds, stated bounds): moments to order 8, a
//! Kolmogorov-Smirnov test against the normal law, and correlations between lanes, between
//! the two halves of a Box-Muller pair and between neighbouring work items.

use nnqft_sampling::normal::Normals;

/// Generator lanes, and variates per refill (the cosines of the lanes, then their sines).
const STREAMS: usize = 16;
use nnqft_sampling::seed;

/// Bound on |z| of each moment and correlation (each is asymptotically normal).
const Z_BOUND: f64 = 4.0;

/// `E[z^k]` of the standard normal: `(k - 1)!!` for even `k`, 0 for odd.
fn normal_moment(k: u32) -> f64 {
    if k % 2 == 1 { 0.0 } else { (1..k).step_by(2).map(f64::from).product() }
}

fn draws(master: u64, experiment: u64, chunk: u64, n: usize) -> Vec<f64> {
    let mut g = seed::lanes(master, experiment, chunk);
    let mut out = vec![0.0; n];
    g.fill_slice(&mut out);
    out
}

#[test]
fn moments_to_order_eight() {
    let n = 4_000_000;
    let z = draws(1, 0, 0, n);
    for k in 1..=8u32 {
        let mean = z.iter().map(|v| v.powi(k as i32)).sum::<f64>() / n as f64;
        let var = normal_moment(2 * k) - normal_moment(k).powi(2);
        let score = (mean - normal_moment(k)) / (var / n as f64).sqrt();
        eprintln!("E[z^{k}] = {mean:.6} (exact {}), z = {score:+.2}", normal_moment(k));
        assert!(score.abs() <= Z_BOUND, "moment {k}: {mean} against {}, z = {score}", normal_moment(k));
    }
}

#[test]
fn kolmogorov_smirnov_against_the_normal_law() {
    let n = 1_000_000;
    let mut z = draws(2, 3, 4, n);
    z.sort_by(f64::total_cmp);
    let phi = |x: f64| 0.5 * (1.0 + nnqft_theory::erf(x / std::f64::consts::SQRT_2));
    let d = z
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = phi(x);
            (f - i as f64 / n as f64).max((i + 1) as f64 / n as f64 - f)
        })
        .fold(0.0, f64::max);
    // the Kolmogorov distribution: P(sqrt(n) D > 1.949) = 0.001
    eprintln!("KS: sqrt(n) D = {:.3}", d * (n as f64).sqrt());
    assert!(d * (n as f64).sqrt() < 1.949, "sqrt(n) D = {}", d * (n as f64).sqrt());
    // the tails reach where Box-Muller's 52-bit radius allows (|z| <= 8.5)
    assert!(z[0] < -4.5 && z[n - 1] > 4.5 && z[0] >= -8.6 && z[n - 1] <= 8.6);
}

/// `sqrt(n)` times the Pearson correlation of `a` and `b` (about N(0, 1) if independent).
fn correlation_score(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt() * n.sqrt()
}

#[test]
fn lanes_and_box_muller_halves_are_uncorrelated() {
    let blocks = 200_000;
    let z = draws(5, 0, 0, blocks * 2 * STREAMS);
    // lane j of the cosine half and of the sine half of each refill
    let lane = |half: usize, j: usize| -> Vec<f64> { z.chunks(2 * STREAMS).map(|c| c[half * STREAMS + j]).collect() };
    let squared = |v: Vec<f64>| -> Vec<f64> { v.iter().map(|x| x * x).collect() };
    let mut worst: f64 = 0.0;
    for j in 0..STREAMS {
        for k in 0..STREAMS {
            // cosine lane j against sine lane k (the two halves of one pair when k = j),
            // values and squares
            let (a, b) = (lane(0, j), lane(1, k));
            worst = worst.max(correlation_score(&a, &b).abs());
            worst = worst.max(correlation_score(&squared(a), &squared(b)).abs());
            if k > j {
                for h in 0..2 {
                    worst = worst.max(correlation_score(&lane(h, j), &lane(h, k)).abs());
                }
            }
        }
    }
    eprintln!("lanes: largest |sqrt(n) rho| = {worst:.2}");
    // 752 scores: the largest of 752 standard normals exceeds 4.8 with probability 0.001
    assert!(worst <= 4.8, "largest |sqrt(n) rho| = {worst}");
}

#[test]
fn neighbouring_work_items_are_uncorrelated() {
    let n = 1_000_000;
    let base = draws(9, 4, 10, n);
    let mut worst: f64 = 0.0;
    for (e, c) in [(4, 11), (5, 10), (4, 9), (5, 11)] {
        let other = draws(9, e, c, n);
        worst = worst.max(correlation_score(&base, &other).abs());
        // and shifted by one position and by one refill
        worst = worst.max(correlation_score(&base[1..], &other[..n - 1]).abs());
        worst = worst.max(correlation_score(&base[2 * STREAMS..], &other[..n - 2 * STREAMS]).abs());
    }
    eprintln!("work items: largest |sqrt(n) rho| = {worst:.2}");
    assert!(worst <= Z_BOUND, "largest |sqrt(n) rho| = {worst}");
    assert_ne!(base[..8], draws(9, 4, 11, 8)[..]);
}
