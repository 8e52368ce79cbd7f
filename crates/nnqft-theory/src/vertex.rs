//! The EFT's vertex integrals with an input-space cutoff (`T0`, `T2`, `TNL`, the 6-pt and sextic
//! terms) and their exact flow with the cutoff.

use crate::diagram::VertexCoefficients;
use crate::error::{Result, TheoryError};
use crate::input_set::InputSet;
use crate::kernel::{kernel_g, kernel_matrix};
use crate::multiset::Multisets;
use crate::network::{Activation, Network};
use crate::split::SplitTable;
use gauss_quad::GaussLegendre;
use std::num::NonZeroUsize;

/// The input-space cutoff `Lambda`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cutoff {
    /// Each coordinate over `[-Lambda, Lambda]` (built by [`Cutoff::finite`], which checks
    /// `0 < Lambda < inf`).
    Finite(Lambda),
    /// All of `R^d` (only where the integrals converge).
    Infinite,
}

/// A finite cutoff value `0 < Lambda < inf`; only [`Cutoff::finite`] and [`Lambda::PAPER`]
/// make one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lambda(f64);

impl Lambda {
    /// The paper's finite cutoff of Table 5, `Lambda = 100` (Erf- and ReLU-net).
    pub const PAPER: Lambda = Lambda(100.0);
    /// The value.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl Cutoff {
    /// A finite cutoff, validated: `Lambda > 0` and finite.
    pub fn finite(lambda: f64) -> Result<Self> {
        if lambda.is_finite() && lambda > 0.0 {
            Ok(Cutoff::Finite(Lambda(lambda)))
        } else {
            Err(TheoryError::OutOfRange {
                field: "cutoff Lambda",
                value: format!("{lambda}"),
                allowed: "finite and > 0 (or infinity)",
            })
        }
    }

    /// `Lambda` as f64 (`inf` for [`Cutoff::Infinite`]).
    pub fn value(self) -> f64 {
        match self {
            Cutoff::Finite(l) => l.0,
            Cutoff::Infinite => f64::INFINITY,
        }
    }
}

/// Values of one integral over every multiset of one order, with error estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexTable {
    /// The integral, per multiset.
    pub values: Vec<f64>,
    /// `|coarse - fine|`, per multiset.
    pub errors: Vec<f64>,
}

impl VertexTable {
    /// Largest error relative to the largest value.
    pub fn relative_error(&self) -> f64 {
        let scale = self.values.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(f64::MIN_POSITIVE);
        self.errors.iter().fold(0.0f64, |a, e| a.max(*e)) / scale
    }
    fn scaled(mut self, s: f64) -> Self {
        self.values.iter_mut().for_each(|v| *v *= s);
        self.errors.iter_mut().for_each(|v| *v *= s);
        self
    }
}

/// All vertex integrals of one network on one input set at one cutoff.
///
/// EFT vertex integrals with an input-space cutoff (the paper's EFT, whose
/// couplings Table 5 fits). Each input coordinate
/// of the vertex position is integrated over `[-Lambda, Lambda]`; `Lambda = infinity` is
/// allowed where the integral converges (Gauss- and Cos-net, whose kernels are Gaussians of
/// `x − x_a`).
///
/// - `T0(x1..x4) = 24 int d^d x prod_a K_g(x, x_a)`
/// - `T2(x1..x4) = 24 int d^d x |x|^2 prod_a K_g(x, x_a)`
/// - `TNL(x1..x4) = 8 sum_{3 pairings (ab)(cd)} P(a,b) P(c,d)`, `P(a,b) = int K_g(x,x_a) K_g(x,x_b)`
///   (the double integral factorises)
/// - 6-pt quartic term: `24 sum_{15 splits} I4(abcd) K(x_e, x_f)`
/// - sextic vertex: `720 I6`; self-loops `360 int K_g(x,x) prod_4 K_g` (4-pt) and
///   `360 sum_15 [int K_g(x,x) prod_4 K_g] K(e,f)` (= 5400 in all, 6-pt).
/// - the flow of the quartic integral, `Lambda dI4/dLambda` (the running of `T0`, for the
///   exact beta function: [`VertexIntegrals::t0_flow`]).
///
/// The coefficients come from [`VertexCoefficients::derive`]. Integration is a tensor
/// product of composite Gauss-Legendre rules per coordinate, cut at 0 (where ReLU kernels
/// have a kink) and graded geometrically (pieces `[0,1], [1,2], [2,4], ...`) so that a
/// cutoff of `10^5` costs a few hundred nodes per coordinate. All multisets share the nodes.
/// Every table is computed at two orders; the difference is its error estimate.
///
/// For ReLU with `sigma_b = 0` the kernel is positively homogeneous (`K_g(s x, y) = s K_g(x, y)`,
/// `K_g(s x, s x) = s^2 K_g(x, x)`), so each table is computed once on `[-1, 1]^d` and scaled
/// by `Lambda^{degree + d}` exactly; hence `T0 ~ Lambda^{4+d}`.
///
/// **The flow of `I4` with the cutoff.** `I4(Lambda) = int_{[-Lambda, Lambda]^d} F(x) d^d x`
/// with `F(x) = prod_a K_g(x, x_a)`. Moving the faces of the cube outward (Leibniz's rule, one
/// coordinate at a time) gives the exact derivative as an integral over its boundary:
///
/// ```text
/// Lambda dI4/dLambda = Lambda sum_{k=1..d} sum_{s=+1,-1} int_{[-Lambda, Lambda]^(d-1)} F(x)|_(x_k = s Lambda) d^(d-1) x
/// ```
///
/// At `d = 1` this is `Lambda (F(Lambda) + F(-Lambda))`, two kernel evaluations and no
/// quadrature; at `d >= 2` a `(d-1)`-dimensional quadrature on the same rule (with its error
/// estimate). Where the kernel is positively homogeneous (ReLU, `sigma_b = 0`), `F` has degree
/// 4, `I4 = Lambda^(4+d) I4(1)`, and Euler's theorem gives `Lambda dI4/dLambda = (4 + d) I4`
/// exactly, which is what is stored then. At `Lambda = infinity` the integral no longer
/// depends on the cutoff: the flow is 0.
#[derive(Debug, Clone)]
pub struct VertexIntegrals {
    /// The cutoff.
    pub cutoff: Cutoff,
    /// Multisets of order 2, 4, 6.
    pub multisets: [Multisets; 3],
    /// `P(a,b) = int K_g(x,x_a) K_g(x,x_b)` over order-2 multisets.
    pub pair: VertexTable,
    /// `I4 = int prod_4 K_g` over order-4 multisets.
    pub quartic: VertexTable,
    /// `int |x|^2 prod_4 K_g`.
    pub quartic_x2: VertexTable,
    /// `int K_g(x,x) prod_4 K_g` (self-loop of the sextic vertex).
    pub quartic_loop: VertexTable,
    /// `I6 = int prod_6 K_g` over order-6 multisets.
    pub sextic: VertexTable,
    /// `Lambda dI4/dLambda = dI4/d log Lambda` over order-4 multisets (the boundary integral
    /// above).
    pub quartic_flow: VertexTable,
    /// The diagram coefficients used.
    pub coefficients: VertexCoefficients,
    kernel: Vec<f64>,
    splits: SplitTable,
}

/// Polynomial degree (in the vertex position) of each table's integrand, for the ReLU scaling.
const DEGREES: [i32; 5] = [2, 4, 6, 6, 6];

impl VertexIntegrals {
    /// Computes all tables. Errors: dimension mismatch; divergent integrals (infinite cutoff
    /// for Erf or ReLU, or `sigma_w = 0`).
    pub fn compute(net: &Network, inputs: &InputSet, cutoff: Cutoff) -> Result<Self> {
        inputs.check_dimension(net.d_in())?;
        let m = inputs.len();
        let multisets = [Multisets::new(m, 2)?, Multisets::new(m, 4)?, Multisets::new(m, 6)?];
        let homogeneous = net.activation() == Activation::Relu && net.sigma_b() == 0.0;
        let half_width = match (cutoff, net.activation()) {
            (_, _) if homogeneous => 1.0,
            (Cutoff::Finite(l), _) => l.0,
            (Cutoff::Infinite, Activation::Gauss | Activation::Cos) if net.sigma_w() > 0.0 => {
                // prod of >= 2 Gaussian factors: below exp(-42) beyond this distance.
                let reach = inputs.points().flat_map(|p| p.iter()).fold(0.0f64, |a, c| a.max(c.abs()));
                reach + (42.0 * net.d_in() as f64).sqrt() / net.sigma_w()
            }
            (Cutoff::Infinite, act) => {
                return Err(TheoryError::Divergent(format!(
                    "{} kernel does not decay (sigma_w = {}): use a finite cutoff",
                    act.name(),
                    net.sigma_w()
                )));
            }
        };
        if homogeneous && cutoff == Cutoff::Infinite {
            return Err(TheoryError::Divergent("relu kernel grows linearly: use a finite cutoff".into()));
        }
        let coarse = accumulate_tables(net, inputs, &multisets, half_width, 0);
        let fine = accumulate_tables(net, inputs, &multisets, half_width, 1);
        let mut tables: Vec<VertexTable> = coarse
            .into_iter()
            .zip(fine)
            .map(|(c, f)| VertexTable { errors: c.iter().zip(&f).map(|(a, b)| (a - b).abs()).collect(), values: f })
            .collect();
        if homogeneous {
            let l = cutoff.value();
            let d = net.d_in() as i32;
            tables = tables.into_iter().zip(DEGREES).map(|(t, deg)| t.scaled(l.powi(deg + d))).collect();
        }
        let quartic_flow = match cutoff {
            Cutoff::Infinite => {
                VertexTable { values: vec![0.0; multisets[1].len()], errors: vec![0.0; multisets[1].len()] }
            }
            Cutoff::Finite(_) if homogeneous => tables[1].clone().scaled(f64::from(4 + net.d_in() as i32)),
            Cutoff::Finite(l) => {
                let coarse = accumulate_flow(net, inputs, &multisets[1], l.0, 0);
                let fine = accumulate_flow(net, inputs, &multisets[1], l.0, 1);
                VertexTable { errors: coarse.iter().zip(&fine).map(|(a, b)| (a - b).abs()).collect(), values: fine }
            }
        };
        let mut it = tables.into_iter();
        let mut next = || it.next().unwrap_or_else(|| unreachable!("five tables"));
        let (pair, quartic, quartic_x2, quartic_loop, sextic) = (next(), next(), next(), next(), next());
        let splits = SplitTable::new(&multisets[2], &multisets[1], &multisets[0])?;
        Ok(Self {
            cutoff,
            pair,
            quartic,
            quartic_x2,
            quartic_loop,
            sextic,
            quartic_flow,
            coefficients: VertexCoefficients::derive()?,
            kernel: kernel_matrix(net, inputs)?,
            splits,
            multisets,
        })
    }

    /// `T0 = 24 I4` per order-4 multiset, with errors.
    pub fn t0(&self) -> VertexTable {
        self.quartic.clone().scaled(self.coefficients.quartic_4pt as f64)
    }

    /// `dT0/d log Lambda = 24 Lambda dI4/dLambda` per order-4 multiset, exact (see the type's
    /// docs: a boundary integral, or `(4 + d) T0` for the homogeneous ReLU kernel), with errors.
    pub fn t0_flow(&self) -> VertexTable {
        self.quartic_flow.clone().scaled(self.coefficients.quartic_4pt as f64)
    }

    /// `T2 = 24 int |x|^2 prod_4 K_g`.
    pub fn t2(&self) -> VertexTable {
        self.quartic_x2.clone().scaled(self.coefficients.quartic_4pt as f64)
    }

    /// `TNL = 8 sum_{(ab)(cd)} P(a,b) P(c,d)`, errors propagated to first order.
    pub fn tnl(&self) -> VertexTable {
        let c = self.coefficients.nonlocal_per_pairing as f64;
        let (p, e) = (&self.pair.values, &self.pair.errors);
        let ms2 = &self.multisets[0];
        let mut out = VertexTable { values: Vec::new(), errors: Vec::new() };
        for ms in self.multisets[1].iter() {
            let pos = |a: usize, b: usize| ms2.position(&[ms[a] as usize, ms[b] as usize]).unwrap_or(0);
            let (mut v, mut err) = (0.0, 0.0);
            for [(a, b), (c2, d)] in [[(0, 1), (2, 3)], [(0, 2), (1, 3)], [(0, 3), (1, 2)]] {
                let (i, j) = (pos(a, b), pos(c2, d));
                v += p[i] * p[j];
                err += p[i].abs() * e[j] + e[i] * p[j].abs();
            }
            out.values.push(c * v);
            out.errors.push(c * err);
        }
        out
    }

    /// The quartic-vertex contribution to `G6` per unit coupling:
    /// `24 sum_{15 splits} I4(abcd) K(x_e, x_f)` (free line with the full kernel `K`).
    pub fn quartic_6pt(&self) -> VertexTable {
        self.split_with_kernel(&self.quartic, self.coefficients.quartic_6pt_per_split as f64)
    }

    /// The sextic-vertex contribution to `G6` per unit coupling: `720 I6`.
    pub fn sextic_6pt(&self) -> VertexTable {
        self.sextic.clone().scaled(self.coefficients.sextic_6pt as f64)
    }

    /// The sextic self-loop contribution to `G4`: `360 int K_g(x,x) prod_4 K_g`.
    pub fn sextic_loop_4pt(&self) -> VertexTable {
        self.quartic_loop.clone().scaled(self.coefficients.sextic_loop_4pt as f64)
    }

    /// The sextic self-loop contribution to `G6`: `360 sum_15 [int K_g(x,x) prod_4 K_g] K(e,f)`.
    pub fn sextic_loop_6pt(&self) -> VertexTable {
        self.split_with_kernel(&self.quartic_loop, self.coefficients.sextic_loop_6pt_per_split as f64)
    }

    fn split_with_kernel(&self, four: &VertexTable, coefficient: f64) -> VertexTable {
        let m = self.multisets[0].points();
        let k2: Vec<f64> = self.multisets[0].iter().map(|p| self.kernel[p[0] as usize * m + p[1] as usize]).collect();
        let k2abs: Vec<f64> = k2.iter().map(|k| k.abs()).collect();
        VertexTable { values: self.splits.sum(&four.values, &k2), errors: self.splits.sum(&four.errors, &k2abs) }
            .scaled(coefficient)
    }
}

/// Gauss-Legendre order per piece for each coordinate dimension and resolution level.
fn order(d: usize, level: usize) -> usize {
    match d {
        1 => 24 + 12 * level,
        2 => 16 + 6 * level,
        _ => 10 + 4 * level,
    }
}

/// Composite Gauss-Legendre nodes on `[-L, L]`, cut at 0 and graded geometrically.
fn line_rule(half_width: f64, n: usize) -> Vec<(f64, f64)> {
    let gl = GaussLegendre::new(NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN));
    let mut edges = vec![0.0];
    let mut e = 1.0f64.min(half_width);
    while e < half_width {
        edges.push(e);
        e *= 2.0;
    }
    edges.push(half_width);
    edges.dedup_by(|a, b| (*a - *b).abs() <= 1e-15 * half_width);
    let mut rule = Vec::new();
    for w in edges.windows(2) {
        let (mid, half) = ((w[0] + w[1]) / 2.0, (w[1] - w[0]) / 2.0);
        for &(t, wt) in gl.iter() {
            rule.push((mid + half * t, half * wt));
            rule.push((-(mid + half * t), half * wt));
        }
    }
    rule
}

/// `Lambda dI4/dLambda` over the order-4 multisets at one resolution: the integrand on the
/// `2d` faces `x_k = ±Lambda` of the cube, integrated over the other `d - 1` coordinates.
fn accumulate_flow(net: &Network, inputs: &InputSet, ms4: &Multisets, lambda: f64, level: usize) -> Vec<f64> {
    let d = net.d_in();
    let line = line_rule(lambda, order(d, level));
    let mut out = vec![0.0; ms4.len()];
    let mut x = vec![0.0; d];
    let mut kg = vec![0.0; inputs.len()];
    let mut idx = vec![0usize; d - 1];
    for k in 0..d {
        for side in [1.0, -1.0] {
            idx.iter_mut().for_each(|i| *i = 0);
            'face: loop {
                let mut w = lambda;
                let mut free = idx.iter();
                for (c, xc) in x.iter_mut().enumerate() {
                    if c == k {
                        *xc = side * lambda;
                    } else if let Some(&i) = free.next() {
                        *xc = line[i].0;
                        w *= line[i].1;
                    }
                }
                for (a, p) in inputs.points().enumerate() {
                    kg[a] = kernel_g(net, &x, p);
                }
                ms4.accumulate_products(&kg, w, &mut out);
                let mut t = 0;
                loop {
                    if t == idx.len() {
                        break 'face;
                    }
                    idx[t] += 1;
                    if idx[t] < line.len() {
                        break;
                    }
                    idx[t] = 0;
                    t += 1;
                }
            }
        }
    }
    out
}

/// The five tables (pair, quartic, quartic_x2, quartic_loop, sextic) at one resolution.
fn accumulate_tables(
    net: &Network,
    inputs: &InputSet,
    ms: &[Multisets; 3],
    half_width: f64,
    level: usize,
) -> [Vec<f64>; 5] {
    let d = net.d_in();
    let line = line_rule(half_width, order(d, level));
    let m = inputs.len();
    let mut t = [
        vec![0.0; ms[0].len()],
        vec![0.0; ms[1].len()],
        vec![0.0; ms[1].len()],
        vec![0.0; ms[1].len()],
        vec![0.0; ms[2].len()],
    ];
    let mut idx = vec![0usize; d];
    let mut x = vec![0.0; d];
    let mut kg = vec![0.0; m];
    loop {
        let mut w = 1.0;
        for (k, &i) in idx.iter().enumerate() {
            x[k] = line[i].0;
            w *= line[i].1;
        }
        for (a, p) in inputs.points().enumerate() {
            kg[a] = kernel_g(net, &x, p);
        }
        let x2: f64 = x.iter().map(|c| c * c).sum();
        let loop_w = kernel_g(net, &x, &x);
        let [pair, quartic, quartic_x2, quartic_loop, sextic] = &mut t;
        ms[0].accumulate_products(&kg, w, pair);
        ms[1].accumulate_products(&kg, w, quartic);
        ms[1].accumulate_products(&kg, w * x2, quartic_x2);
        ms[1].accumulate_products(&kg, w * loop_w, quartic_loop);
        ms[2].accumulate_products(&kg, w, sextic);
        // advance the tensor-product counter
        let mut k = 0;
        loop {
            if k == d {
                return t;
            }
            idx[k] += 1;
            if idx[k] < line.len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}
