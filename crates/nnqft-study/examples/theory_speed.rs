//! The speed of the finite-width theory against the Monte Carlo it replaces (issues 26 and 27):
//! tanh and gelu at depth `L = 8`, width `n = 50`, on the six inputs `-1, -0.6, ..., 1` and on
//! twelve inputs `-1.1, -0.9, ..., 1.1`.
//!
//! **Theory**, each object built alone (so each time includes what it is built from): the kernel
//! recursion `K` ([`KernelRecursion`]), the four-point vertex `V` ([`FourPointVertex`]), the
//! kernel shift `S` of `G2 = K + S` ([`KernelShift`]), the six-point vertex `U`
//! ([`SixPointVertex`]), the connected four-point function through order `1/n²`
//! ([`FourPointNextOrder`], built on the six-point vertex and the shift) and the NTK's order-`1/n`
//! theory ([`NtkFluctuations`]). A vertex that
//! runs past the budget (`--budget SECONDS`, default 60) is stopped through its monitor and
//! printed as `>budget`.
//!
//! **Monte Carlo**: the deep ensemble with the conditional estimator ([`DeepEnsemble`],
//! `G2`, `G4`, `G6`) on a short run of 10 experiments of `nets` nets (`--nets`, default 4096)
//! gives each quantity's per-net standard deviation `σ = sd_e √nets` (`sd_e` the standard
//! deviation of the experiments' values): `G2`, the connected 4-point function `κ4` and the
//! connected 6-point function `κ6` ([`nnqft_sampling::DeepEnsembleResult::connected_g4`],
//! `connected_g6`). The nets a 1% relative standard error needs are extrapolated,
//! `N = (σ / (0.01 |v|))²`, with `v` the theory's value (`K + S`, the `V` term, the `U` term;
//! where the theory did not finish, the measured mean), and its time is `N` over the short run's
//! nets per second. Two multisets: the fully diagonal one at the last input (`x = 1` or `1.1`,
//! the largest signal), and the median over every multiset of the order.
//!
//! `cargo run --release -p nnqft-study --example theory_speed [-- --threads T] [--budget S]
//! [--nets N] [--points 6,12]` (run it on a quiet machine).

use nnqft_sampling::{DeepEnsemble, DeepEnsembleResult, Estimator};
use nnqft_theory::{
    DeepActivation, DeepNetwork, FourPointNextOrder, FourPointVertex, InputSet, KernelRecursion, KernelShift, Monitor,
    NtkFluctuations, SixPointVertex,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const DEPTH: usize = 8;
const WIDTH: usize = 50;
const EXPERIMENTS: usize = 10;
const RELATIVE_ERROR: f64 = 0.01;

/// Asks a computation to stop once `limit` has passed since `start`.
struct Budget {
    start: Instant,
    limit: Duration,
    stopped: AtomicBool,
}

impl Monitor for Budget {
    fn interrupted(&self) -> bool {
        let over = self.start.elapsed() > self.limit;
        if over {
            self.stopped.store(true, Ordering::Relaxed);
        }
        over
    }
}

/// Runs `f` under a budget of `limit`: its value (`None` if stopped) and the seconds it took.
fn timed<T>(
    limit: Duration,
    f: impl FnOnce(&dyn Monitor) -> nnqft_theory::Result<T>,
) -> Result<(Option<T>, f64), Box<dyn std::error::Error>> {
    let budget = Budget { start: Instant::now(), limit, stopped: AtomicBool::new(false) };
    match f(&budget) {
        Ok(v) => Ok((Some(v), budget.start.elapsed().as_secs_f64())),
        Err(_) if budget.stopped.load(Ordering::Relaxed) => Ok((None, budget.start.elapsed().as_secs_f64())),
        Err(e) => Err(e.into()),
    }
}

fn seconds(t: (bool, f64)) -> String {
    if t.0 { format!("{:.3}", t.1) } else { format!(">{:.0}", t.1) }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let threads: usize = option("--threads").map(|s| s.parse()).transpose()?.unwrap_or(2);
    let budget = Duration::from_secs_f64(option("--budget").map(|s| s.parse()).transpose()?.unwrap_or(60.0));
    let nets: u64 = option("--nets").map(|s| s.parse()).transpose()?.unwrap_or(4096);
    let sizes: Vec<usize> =
        option("--points").unwrap_or_else(|| "6,12".into()).split(',').map(|s| s.parse()).collect::<Result<_, _>>()?;
    println!("# theory (seconds; >T: stopped at the budget)");
    println!(
        "activation points kernel four_point_vertex kernel_shift six_point_vertex four_point_next_order ntk_fluctuations"
    );
    let mut comparisons = Vec::new();
    for &m in &sizes {
        let points: Vec<Vec<f64>> = match m {
            6 => (0..6).map(|i| vec![-1.0 + 0.4 * i as f64]).collect(),
            0 | 1 => return Err("--points: each size at least 2".into()),
            _ => (0..m).map(|i| vec![-1.1 + 2.2 * i as f64 / (m - 1) as f64]).collect(),
        };
        let xs = InputSet::new(format!("{m} points"), &points)?;
        for act in [DeepActivation::Tanh, DeepActivation::Gelu] {
            let net = DeepNetwork::with_deep_priors(act, &[WIDTH; DEPTH])?;
            let (_, t_k) = timed(budget, |_| KernelRecursion::new(&net, &xs))?;
            let (four, t_v) = timed(budget, |mon| FourPointVertex::with_monitor(&net, &xs, mon))?;
            let (shift, t_s) = timed(budget, |mon| KernelShift::with_monitor(&net, &xs, mon))?;
            let (six, t_u) = timed(budget, |mon| SixPointVertex::with_monitor(&net, &xs, mon))?;
            let (next, t_x) = timed(budget, |mon| FourPointNextOrder::with_monitor(&net, &xs, mon))?;
            let (ntk, t_n) = timed(budget, |mon| NtkFluctuations::with_monitor(&net, &xs, net.c_w(), net.c_b(), mon))?;
            println!(
                "{} {m} {:.4} {} {} {} {} {}",
                act.name(),
                t_k,
                seconds((four.is_some(), t_v)),
                seconds((shift.is_some(), t_s)),
                seconds((six.is_some(), t_u)),
                seconds((next.is_some(), t_x)),
                seconds((ntk.is_some(), t_n))
            );
            // the Monte Carlo, short run
            let ensemble = DeepEnsemble::new(net.clone(), xs.clone(), nets, EXPERIMENTS, Estimator::Conditional, 1)?;
            let t = Instant::now();
            let result = ensemble.run(threads)?;
            let rate = (nets * EXPERIMENTS as u64) as f64 / t.elapsed().as_secs_f64();
            let theory = Theory::new(&result, shift.as_ref(), four.as_ref(), six.as_ref())?;
            comparisons.push((act, m, rate, theory, [t_s, t_v, t_u], [shift.is_some(), four.is_some(), six.is_some()]));
        }
    }
    println!();
    println!(
        "# Monte Carlo (conditional estimator, n = {WIDTH}, {EXPERIMENTS} x {nets} nets, {threads} threads) to {}% relative standard error, extrapolated",
        100.0 * RELATIVE_ERROR
    );
    println!(
        "activation points quantity mc_nets_per_s diag_nets_1pct diag_seconds median_nets_1pct median_seconds theory_seconds diag_over_theory median_over_theory"
    );
    for (act, m, rate, theory, times, done) in comparisons {
        for (k, name) in ["G2", "k4", "k6"].into_iter().enumerate() {
            let Some((diag, median)) = theory.nets_needed[k] else { continue };
            let t = times[k];
            let th = seconds((done[k], t));
            println!(
                "{} {m} {name} {rate:.0} {diag:.3e} {:.3e} {median:.3e} {:.3e} {th} {:.3} {:.3}",
                act.name(),
                diag / rate,
                median / rate,
                diag / rate / t,
                median / rate / t
            );
        }
    }
    Ok(())
}

/// Per quantity (`G2`, `κ4`, `κ6`): the nets a 1% relative standard error needs on the diagonal
/// multiset at the last input and the median over the order's multisets.
struct Theory {
    nets_needed: [Option<(f64, f64)>; 3],
}

impl Theory {
    fn new(
        result: &DeepEnsembleResult,
        shift: Option<&KernelShift>,
        four: Option<&FourPointVertex>,
        six: Option<&SixPointVertex>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let m = result.points;
        let nets = result.nets as f64;
        let last = m - 1;
        // per-experiment values, experiment-major, and the theory's value per multiset
        let g2 = result.means[0].clone();
        let g2_theory: Option<Vec<f64>> = shift.map(|s| {
            let (k, sh) = (s.kernels().output(), s.shift());
            result.multisets[0]
                .iter()
                .map(|p| k[p[0] as usize * m + p[1] as usize] + sh[p[0] as usize * m + p[1] as usize])
                .collect()
        });
        let (k4, _) = result.connected_g4()?;
        let k4_theory = four.map(|v| v.output_indexed().map(|(_, c, _)| c)).transpose()?;
        let k6 = result.connected_g6()?;
        let k6_theory = six.map(|u| u.output_indexed().map(|(_, c, _)| c)).transpose()?;
        let need = |values: &[f64], theory: Option<Vec<f64>>, order: usize, o: usize| -> Option<(f64, f64)> {
            let len = result.multisets[o].len();
            let per_multiset: Vec<f64> = (0..len)
                .map(|pos| {
                    let v: Vec<f64> = (0..EXPERIMENTS).map(|e| values[e * len + pos]).collect();
                    let mean = v.iter().sum::<f64>() / v.len() as f64;
                    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
                    let target = theory.as_ref().map_or(mean, |t| t[pos]).abs();
                    (sd * nets.sqrt() / (RELATIVE_ERROR * target)).powi(2)
                })
                .collect();
            let diag = result.position(&vec![0; order], &vec![last; order])?;
            let mut sorted: Vec<f64> = per_multiset.iter().copied().filter(|x| x.is_finite()).collect();
            sorted.sort_by(f64::total_cmp);
            Some((per_multiset[diag], *sorted.get(sorted.len() / 2)?))
        };
        Ok(Self {
            nets_needed: [
                need(&g2, g2_theory, 2, 0),
                need(&k4, k4_theory, 4, 1),
                k6.and_then(|k6| need(&k6, k6_theory, 6, 2)),
            ],
        })
    }
}
