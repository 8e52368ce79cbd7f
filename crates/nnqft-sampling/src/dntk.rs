//! The differential of the neural tangent kernel (dNTK) of a sampled deep network, exactly by
//! forward mode through the NTK's forward and backward passes
//! ([`DeepWeights::differential_tangent_kernel`]), and its correlation with the outputs over an
//! ensemble of nets ([`DntkEnsemble`]), seeded and thread-invariant.

use crate::error::{Result, SamplingError};
use crate::monitor::{Monitor, map_items};
use crate::ntk_ensemble::{DeepWeights, Measured};
use crate::seed;
use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};

/// `(φ(z), φ'(z), φ''(z))`: relu's `φ'(0) = 0` and `φ'' = 0` (its kink is never hit by a sampled
/// pre-activation; the per-network dNTK is the derivative almost everywhere).
fn derivatives(act: DeepActivation, z: f64) -> (f64, f64, f64) {
    match act {
        DeepActivation::Relu => (z.max(0.0), f64::from(u8::from(z > 0.0)), 0.0),
        _ => {
            let (d1, d2) = act.derivatives(z).unwrap_or((f64::NAN, f64::NAN));
            (act.phi(z).unwrap_or(f64::NAN), d1, d2)
        }
    }
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

pub(crate) fn check(net: &DeepNetwork, inputs: &InputSet, lambda_w: f64, lambda_b: f64) -> Result<()> {
    inputs.check_dimension(net.d_in())?;
    if net.activation() == DeepActivation::Gauss {
        return Err(SamplingError::OutOfRange {
            field: "network",
            value: "gauss".into(),
            allowed: "a deep activation other than gauss (the dNTK and ddNTK of Gauss-net are not implemented)",
        });
    }
    for (field, v) in [("lambda_w", lambda_w), ("lambda_b", lambda_b)] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(SamplingError::OutOfRange { field, value: v.to_string(), allowed: "finite and >= 0" });
        }
    }
    Ok(())
}

impl DeepWeights {
    /// The dNTK of this net, `dΘ_(p0 p1 p2) = Σ_μ λ_μ ∂Θ_(p1 p2)/∂θ_μ ∂f_(p0)/∂θ_μ` over the
    /// `(output, point)` pairs `p = i m + a`, at index `(p0 P + p1) P + p2` (`P = d_out m`; PDLT
    /// ch. 11's index order, `nnqft_theory::DifferentialNtk` has the definition).
    ///
    /// **Method.** `dΘ_(p0 ·)` is the derivative of the NTK along `v = λ ∇_θ f_p0`, taken exactly
    /// by forward mode through the NTK's passes, never forming `v`: with the backward deltas
    /// `δˡ_p = ∂f_p/∂zˡ` and `Aˡ_ab = λ_b + (λ_W/n_(l−1)) φˡ⁻¹_a·φˡ⁻¹_b` (`φ⁰ = x`), the NTK is
    /// `Θ_pq = Σ_l Aˡ_(a(p) a(q)) δˡ_p·δˡ_q` and `v` has `Ẇˡ_kq = (λ_W/n_(l−1)) δˡ_(p0,k) φˡ⁻¹_(q,a0)`,
    /// `ḃˡ_k = λ_b δˡ_(p0,k)`, so
    ///
    /// ```text
    /// żˡ_a  = δˡ_p0 Aˡ_(a0 a) + Wˡ (φ'(zˡ⁻¹_a) ⊙ żˡ⁻¹_a)                      (ż⁰ = 0),
    /// δ̇ˡ_p  = [(λ_W/n_l) φˡ_a0 (δˡ⁺¹_p0·δˡ⁺¹_p) + (Wˡ⁺¹)ᵀ δ̇ˡ⁺¹_p] ⊙ φ'(zˡ_a) + ((Wˡ⁺¹)ᵀ δˡ⁺¹_p) ⊙ φ''(zˡ_a) ⊙ żˡ_a   (δ̇ᴸ⁺¹ = 0),
    /// dΘ_(p0 p q) = Σ_l [Ȧˡ_ab δˡ_p·δˡ_q + Aˡ_ab (δ̇ˡ_p·δˡ_q + δˡ_p·δ̇ˡ_q)],   Ȧˡ_ab = (λ_W/n_(l−1)) (φ̇ˡ⁻¹_a·φˡ⁻¹_b + φˡ⁻¹_a·φ̇ˡ⁻¹_b),
    /// ```
    ///
    /// `φ̇ = φ' ⊙ ż`, `a = a(p)`, `b = a(q)`: per net `O(P L n²)` for the passes. Relu's `φ'' = 0`.
    /// Errors: the inputs' dimension is not `d`; Gauss-net; `lambda_w`, `lambda_b` negative or
    /// not finite.
    pub fn differential_tangent_kernel(&self, inputs: &InputSet, lambda_w: f64, lambda_b: f64) -> Result<Vec<f64>> {
        let net = self.network();
        check(net, inputs, lambda_w, lambda_b)?;
        Ok(self.dntk_and_outputs(inputs, lambda_w, lambda_b).0)
    }

    /// The dNTK ([`Self::differential_tangent_kernel`]) and the outputs `f_p`, unchecked.
    fn dntk_and_outputs(&self, inputs: &InputSet, lambda_w: f64, lambda_b: f64) -> (Vec<f64>, Vec<f64>) {
        let net = self.network();
        let act = net.activation();
        let (m, depth, d_out) = (inputs.len(), net.depth(), net.d_out());
        let pairs = m * d_out;
        let mut sizes = vec![net.d_in()];
        sizes.extend_from_slice(net.widths());
        sizes.push(d_out);
        let w = |l: usize| self.weights(l).unwrap_or(&[]);
        let b = |l: usize| self.biases(l).unwrap_or(&[]);
        // forward: φˡ_a, φ'ˡ_a, φ''ˡ_a for l = 0..L (layer 0: the inputs)
        let mut phi: Vec<Vec<Vec<f64>>> = vec![inputs.points().map(|x| x.to_vec()).collect()];
        let mut slope: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); m]];
        let mut curve: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); m]];
        for l in 1..=depth {
            let (n, n_prev) = (sizes[l], sizes[l - 1]);
            let (wl, bl) = (w(l), b(l));
            let (mut p, mut s, mut c) = (Vec::with_capacity(m), Vec::with_capacity(m), Vec::with_capacity(m));
            for a in 0..m {
                let x = &phi[l - 1][a];
                let d: Vec<(f64, f64, f64)> =
                    (0..n).map(|k| derivatives(act, bl[k] + dot(&wl[k * n_prev..(k + 1) * n_prev], x))).collect();
                p.push(d.iter().map(|t| t.0).collect::<Vec<_>>());
                s.push(d.iter().map(|t| t.1).collect::<Vec<_>>());
                c.push(d.iter().map(|t| t.2).collect::<Vec<_>>());
            }
            phi.push(p);
            slope.push(s);
            curve.push(c);
        }
        let (n_last, wo, bo) = (sizes[depth], w(depth + 1), b(depth + 1));
        let f: Vec<f64> = (0..pairs)
            .map(|p| bo[p / m] + dot(&wo[(p / m) * n_last..(p / m + 1) * n_last], &phi[depth][p % m]))
            .collect();
        // Aˡ_ab for l = 1..L+1 (index l - 1)
        let a_of = |l: usize, x: usize, y: usize, ph: &Vec<Vec<Vec<f64>>>| {
            lambda_b + lambda_w / sizes[l - 1] as f64 * dot(&ph[l - 1][x], &ph[l - 1][y])
        };
        // backward: uˡ_p = (Wˡ⁺¹)ᵀ δˡ⁺¹_p and δˡ_p = uˡ_p ⊙ φ'ˡ_a, for l = 1..L+1 (δᴸ⁺¹_p = e_i)
        let mut delta: Vec<Vec<Vec<f64>>> = vec![Vec::new(); depth + 2];
        let mut up: Vec<Vec<Vec<f64>>> = vec![Vec::new(); depth + 2];
        delta[depth + 1] = (0..pairs).map(|p| (0..d_out).map(|i| f64::from(u8::from(i == p / m))).collect()).collect();
        for l in (1..=depth).rev() {
            let (n, n_next) = (sizes[l], sizes[l + 1]);
            let wn = w(l + 1);
            let (mut us, mut ds) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
            for p in 0..pairs {
                let above = &delta[l + 1][p];
                let u: Vec<f64> = (0..n).map(|k| (0..n_next).map(|j| wn[j * n + k] * above[j]).sum()).collect();
                ds.push(u.iter().zip(&slope[l][p % m]).map(|(u, s)| u * s).collect::<Vec<_>>());
                us.push(u);
            }
            up[l] = us;
            delta[l] = ds;
        }
        let mut out = vec![0.0; pairs * pairs * pairs];
        for p0 in 0..pairs {
            let a0 = p0 % m;
            // tangent forward: żˡ_a, φ̇ˡ_a
            let mut zdot: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); m]];
            let mut phidot: Vec<Vec<Vec<f64>>> = vec![vec![vec![0.0; sizes[0]]; m]];
            for l in 1..=depth {
                let (n, n_prev) = (sizes[l], sizes[l - 1]);
                let wl = w(l);
                let (mut zs, mut ps) = (Vec::with_capacity(m), Vec::with_capacity(m));
                for a in 0..m {
                    let al = a_of(l, a0, a, &phi);
                    let z: Vec<f64> = (0..n)
                        .map(|k| delta[l][p0][k] * al + dot(&wl[k * n_prev..(k + 1) * n_prev], &phidot[l - 1][a]))
                        .collect();
                    ps.push(z.iter().zip(&slope[l][a]).map(|(z, s)| z * s).collect::<Vec<_>>());
                    zs.push(z);
                }
                zdot.push(zs);
                phidot.push(ps);
            }
            // tangent backward: δ̇ˡ_p (δ̇ᴸ⁺¹ = 0)
            let mut ddot: Vec<Vec<Vec<f64>>> = vec![Vec::new(); depth + 2];
            ddot[depth + 1] = vec![vec![0.0; d_out]; pairs];
            for l in (1..=depth).rev() {
                let (n, n_next) = (sizes[l], sizes[l + 1]);
                let wn = w(l + 1);
                let scale = lambda_w / n as f64;
                let mut ds = Vec::with_capacity(pairs);
                for p in 0..pairs {
                    let a = p % m;
                    let overlap = dot(&delta[l + 1][p0], &delta[l + 1][p]);
                    let above = &ddot[l + 1][p];
                    let d: Vec<f64> = (0..n)
                        .map(|k| {
                            let udot = scale * phi[l][a0][k] * overlap
                                + (0..n_next).map(|j| wn[j * n + k] * above[j]).sum::<f64>();
                            udot * slope[l][a][k] + up[l][p][k] * curve[l][a][k] * zdot[l][a][k]
                        })
                        .collect();
                    ds.push(d);
                }
                ddot[l] = ds;
            }
            for p1 in 0..pairs {
                for p2 in 0..pairs {
                    let (a1, a2) = (p1 % m, p2 % m);
                    let mut total = 0.0;
                    for l in 1..=depth + 1 {
                        let adot = if l == 1 {
                            0.0
                        } else {
                            lambda_w / sizes[l - 1] as f64
                                * (dot(&phidot[l - 1][a1], &phi[l - 1][a2]) + dot(&phi[l - 1][a1], &phidot[l - 1][a2]))
                        };
                        let bb = dot(&delta[l][p1], &delta[l][p2]);
                        let bdot = dot(&ddot[l][p1], &delta[l][p2]) + dot(&delta[l][p1], &ddot[l][p2]);
                        total += adot * bb + a_of(l, a1, a2, &phi) * bdot;
                    }
                    out[(p0 * pairs + p1) * pairs + p2] = total;
                }
            }
        }
        (out, f)
    }
}

/// The measured `E[dΘ_(p0 p1 p2) f_p3]` of an ensemble ([`DntkEnsemble::run`]).
#[derive(Debug, Clone)]
pub struct DntkPreactivation {
    pairs: usize,
    m: usize,
    /// Per experiment, the mean over its nets of every product, `P⁴` values each.
    per_experiment: Vec<Vec<f64>>,
}

impl DntkPreactivation {
    /// The mean over experiments of `E[dΘ_(i0 i1 i2; a0 a1 a2) f_i3(x_a3)]` with its standard
    /// error, for `outputs = [i0, i1, i2, i3]`, `points = [a0, a1, a2, a3]` (`None` out of range).
    pub fn get(&self, outputs: [usize; 4], points: [usize; 4]) -> Option<Measured> {
        let p: Vec<usize> = outputs.iter().zip(points).map(|(i, a)| i * self.m + a).collect();
        if p.iter().any(|&x| x >= self.pairs) || points.iter().any(|&a| a >= self.m) {
            return None;
        }
        let at = ((p[0] * self.pairs + p[1]) * self.pairs + p[2]) * self.pairs + p[3];
        let values: Vec<f64> = self.per_experiment.iter().map(|e| e[at]).collect();
        let k = values.len() as f64;
        let mean = values.iter().sum::<f64>() / k;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0).max(1.0);
        Some(Measured { mean, stderr: (var / k).sqrt() })
    }
}

/// The most `(output, point)` pairs `m d_out` of a [`DntkEnsemble`]: each experiment keeps the
/// `P⁴` means of `dΘ_(p0 p1 p2) f_p3` (half a MiB at 16 pairs).
pub const DNTK_MAX_PAIRS: usize = 16;
// the refusal's text names the limit
const _: () = assert!(DNTK_MAX_PAIRS == 16);

/// An ensemble measuring `E[dΘ_(p0 p1 p2) f_p3]` ([`DntkPreactivation`]): `experiments`
/// experiments of `nets` nets each of `net` on `inputs`, drawn with every weight explicit
/// ([`DeepWeights::draw`]); experiment `e` draws from its own generator
/// `seed::lanes(seed, e, 0)` (so its first 4096 nets are those of an [`crate::NtkEnsemble`]'s
/// experiment `e` of the same seed) and is one work item, so the numbers do not depend on the
/// thread count. Learning-rate factors by default the NTK parameterisation
/// (`λ_W = C_W`, `λ_b = C_b`).
#[derive(Debug, Clone)]
pub struct DntkEnsemble {
    spec: ExplicitNets,
}

/// What the dNTK's and the ddNTK's ensembles share: a checked network, its inputs, learning-rate
/// factors (by default the NTK parameterisation), nets per experiment, experiments and the
/// master seed.
#[derive(Debug, Clone)]
pub(crate) struct ExplicitNets {
    pub(crate) net: DeepNetwork,
    pub(crate) inputs: InputSet,
    pub(crate) lambda_w: f64,
    pub(crate) lambda_b: f64,
    pub(crate) nets: u64,
    pub(crate) experiments: usize,
    pub(crate) seed: u64,
}

impl ExplicitNets {
    /// Validates an ensemble of at most `max_pairs` `(output, point)` pairs (`allowed` the
    /// refusal's text for more). Errors name the field and its allowed range: the inputs'
    /// dimension is not `d`; Gauss-net; too many pairs; `nets` >= 1; `experiments` >= 2.
    pub(crate) fn new(
        net: DeepNetwork,
        inputs: InputSet,
        nets: u64,
        experiments: usize,
        seed: u64,
        (max_pairs, allowed): (usize, &'static str),
    ) -> Result<Self> {
        check(&net, &inputs, net.c_w(), net.c_b())?;
        let pairs = inputs.len().saturating_mul(net.d_out());
        if pairs > max_pairs {
            return Err(SamplingError::OutOfRange { field: "input points x d_out", value: pairs.to_string(), allowed });
        }
        if nets == 0 {
            return Err(SamplingError::OutOfRange {
                field: "nets",
                value: "0".into(),
                allowed: "at least 1 net per experiment",
            });
        }
        if experiments < 2 {
            return Err(SamplingError::OutOfRange {
                field: "experiments",
                value: experiments.to_string(),
                allowed: "at least 2 (a standard error needs two)",
            });
        }
        let (lambda_w, lambda_b) = (net.c_w(), net.c_b());
        Ok(Self { net, inputs, lambda_w, lambda_b, nets, experiments, seed })
    }

    /// The same with learning-rate factors `lambda_w`, `lambda_b` (finite, `>= 0`).
    pub(crate) fn with_learning_rates(mut self, lambda_w: f64, lambda_b: f64) -> Result<Self> {
        check(&self.net, &self.inputs, lambda_w, lambda_b)?;
        (self.lambda_w, self.lambda_b) = (lambda_w, lambda_b);
        Ok(self)
    }

    /// Refuses a run on `threads` threads whose `estimate` bytes would not fit in memory.
    pub(crate) fn check_memory(&self, estimate: u64, threads: usize) -> Result<()> {
        crate::deep_ensemble::check_deep_memory(&self.net, &self.inputs, estimate, threads)
    }
}

impl DntkEnsemble {
    /// Validates the ensemble. Errors name the field and its allowed range: the inputs'
    /// dimension is not `d`; Gauss-net; at most [`DNTK_MAX_PAIRS`] `(output, point)` pairs;
    /// `nets` >= 1; `experiments` >= 2.
    pub fn new(net: DeepNetwork, inputs: InputSet, nets: u64, experiments: usize, seed: u64) -> Result<Self> {
        // DNTK_MAX_PAIRS, held to this text by the assertion beside it
        let limit = (DNTK_MAX_PAIRS, "1 to 16 (output, point) pairs for the dNTK");
        Ok(Self { spec: ExplicitNets::new(net, inputs, nets, experiments, seed, limit)? })
    }

    /// The same ensemble with learning-rate factors `lambda_w`, `lambda_b` (finite, `>= 0`).
    pub fn with_learning_rates(self, lambda_w: f64, lambda_b: f64) -> Result<Self> {
        Ok(Self { spec: self.spec.with_learning_rates(lambda_w, lambda_b)? })
    }

    /// Nets per experiment.
    pub fn nets(&self) -> u64 {
        self.spec.nets
    }
    /// Experiments.
    pub fn experiments(&self) -> usize {
        self.spec.experiments
    }
    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.spec.seed
    }

    /// Bytes a run on `threads` threads needs: every experiment's `P⁴` means, and per thread
    /// its running sums, one net's weights and dNTK, and the passes' activations.
    pub fn memory_estimate(&self, threads: usize) -> u64 {
        let pairs = (self.spec.inputs.len() * self.spec.net.d_out()) as u64;
        let p4 = pairs.saturating_mul(pairs).saturating_mul(pairs).saturating_mul(pairs);
        let widest = self.spec.net.widths().iter().copied().max().unwrap_or(1).max(self.spec.net.d_in()) as u64;
        let layers = self.spec.net.depth() as u64 + 1;
        let weights = layers.saturating_mul(widest.saturating_mul(widest + 1));
        // φ, φ', φ'', ż, φ̇ per layer and point; δ, u, δ̇ per layer and pair
        let passes = layers.saturating_mul(widest).saturating_mul(5 * self.spec.inputs.len() as u64 + 3 * pairs);
        let per_thread = p4.saturating_add(pairs.saturating_mul(pairs).saturating_mul(pairs)).saturating_add(weights);
        let per_thread = per_thread.saturating_add(passes);
        p4.saturating_mul(self.spec.experiments as u64)
            .saturating_add(per_thread.saturating_mul(threads as u64))
            .saturating_mul(8)
    }

    /// Refuses a run on `threads` threads that would not fit in memory.
    pub fn check_memory(&self, threads: usize) -> Result<()> {
        self.spec.check_memory(self.memory_estimate(threads), threads)
    }

    /// Runs the ensemble on `threads >= 1` threads (after [`Self::check_memory`]).
    pub fn run(&self, threads: usize) -> Result<DntkPreactivation> {
        self.run_with_progress(threads, &())
    }

    /// [`Self::run`] under `monitor` ([`Monitor`]: asked before each experiment whether to
    /// stop, told its nets after it). The same numbers, bit for bit.
    pub fn run_with_progress(&self, threads: usize, monitor: &dyn Monitor) -> Result<DntkPreactivation> {
        crate::error::check_positive("threads", threads as u64, "an integer >= 1")?;
        self.check_memory(threads)?;
        let pairs = self.spec.inputs.len() * self.spec.net.d_out();
        let p4 = pairs * pairs * pairs * pairs;
        let (lambda_w, lambda_b) = (self.spec.lambda_w, self.spec.lambda_b);
        let per_experiment =
            map_items(threads.min(self.spec.experiments), 0..self.spec.experiments as u64, monitor, |e| {
                let mut rng = seed::lanes(self.spec.seed, e, 0);
                let mut sums = vec![0.0; p4];
                for _ in 0..self.spec.nets {
                    let weights = DeepWeights::draw(&self.spec.net, &mut rng);
                    let (d, f) = weights.dntk_and_outputs(&self.spec.inputs, lambda_w, lambda_b);
                    for (x, &dv) in d.iter().enumerate() {
                        for (y, &fv) in f.iter().enumerate() {
                            sums[x * pairs + y] += dv * fv;
                        }
                    }
                }
                (sums.iter().map(|s| s / self.spec.nets as f64).collect::<Vec<f64>>(), self.spec.nets)
            })?;
        Ok(DntkPreactivation { pairs, m: self.spec.inputs.len(), per_experiment })
    }
}
