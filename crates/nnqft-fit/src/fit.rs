//! Fitting the couplings of a model to `ΔG4` (closed-form weighted least squares for MSE, argmin for
//! MAPE), their condition numbers, and the losses of a fit.

use crate::design::Design;
use crate::error::{FitError, Result};
use crate::model::{Loss, Model};
use argmin::core::{CostFunction, Executor, IterState, Operator, State};
use argmin::solver::conjugategradient::ConjugateGradient;
use argmin::solver::neldermead::NelderMead;

/// Fitted couplings `(lambda0, lambda2, lambdaNL)` (zeros for those the model does not fit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Couplings {
    /// Coupling values, so that `Delta G4 = lambda0 T0 + lambda2 T2 + lambdaNL TNL` (a positive
    /// coupling raises `G4`; the action's coupling has the opposite sign).
    pub values: [f64; 3],
    /// Condition number of the scaled design (None for M0).
    pub condition_number: Option<f64>,
}

/// MSE and MAPE (percent) of a prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Losses {
    /// `sum w r^2 / sum w`.
    pub mse: f64,
    /// `100 sum w |r/y| / sum w`.
    pub mape: f64,
}

/// The losses of `couplings` under `model` on `(design, target)`.
pub fn evaluate(design: &Design, target: &[f64], couplings: &[f64; 3], model: Model) -> Result<Losses> {
    design.check_target(target)?;
    let pred = design.predict(couplings, model);
    let w = design.weights();
    let wsum: f64 = w.iter().sum();
    let mut mse = 0.0;
    let mut mape = 0.0;
    for i in 0..target.len() {
        let r = pred[i] - target[i];
        mse += w[i] * r * r;
        mape += w[i] * (r / target[i]).abs();
    }
    Ok(Losses { mse: mse / wsum, mape: 100.0 * mape / wsum })
}

/// The scaled problem of one model.
struct Scaled {
    a: Vec<Vec<f64>>, // column-major: a[j][i]
    b: Vec<f64>,
    col_scale: Vec<f64>,
    y_scale: f64,
    mape_weight: Vec<f64>, // w_i / sum w
}

impl Scaled {
    fn new(design: &Design, target: &[f64], model: Model) -> Result<Self> {
        let k = model.couplings();
        let sw: Vec<f64> = design.weights().iter().map(|w| w.sqrt()).collect();
        let b_raw: Vec<f64> = target.iter().zip(&sw).map(|(y, s)| y * s).collect();
        let y_scale = norm(&b_raw).max(f64::MIN_POSITIVE);
        let mut a = Vec::with_capacity(k);
        let mut col_scale = Vec::with_capacity(k);
        for j in 0..k {
            let c: Vec<f64> = design.column(j).iter().zip(&sw).map(|(t, s)| t * s).collect();
            let s = norm(&c);
            if s == 0.0 {
                return Err(FitError::Singular(model.name()));
            }
            a.push(c.iter().map(|v| v / s).collect());
            col_scale.push(s);
        }
        let wsum: f64 = design.weights().iter().sum();
        let mape_weight = design.weights().iter().map(|w| w / wsum).collect();
        Ok(Self { b: b_raw.iter().map(|v| v / y_scale).collect(), a, col_scale, y_scale, mape_weight })
    }

    fn residual(&self, theta: &[f64]) -> Vec<f64> {
        let mut r: Vec<f64> = self.b.iter().map(|v| -v).collect();
        for (col, t) in self.a.iter().zip(theta) {
            r.iter_mut().zip(col).for_each(|(ri, c)| *ri += t * c);
        }
        r
    }

    fn couplings(&self, theta: &[f64]) -> [f64; 3] {
        let mut out = [0.0; 3];
        for (j, t) in theta.iter().enumerate() {
            out[j] = t * self.y_scale / self.col_scale[j];
        }
        out
    }

    fn condition_number(&self) -> Option<f64> {
        let k = self.a.len();
        if k == 0 {
            return None;
        }
        let mut g = vec![vec![0.0; k]; k];
        for i in 0..k {
            for j in 0..k {
                g[i][j] = dot(&self.a[i], &self.a[j]);
            }
        }
        let ev = jacobi_eigenvalues(g);
        let (lo, hi) = ev.iter().fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(*v), h.max(*v)));
        Some(if lo > 0.0 { (hi / lo).sqrt() } else { f64::INFINITY })
    }

    /// Closed-form least squares by modified Gram-Schmidt QR (re-orthogonalised).
    fn least_squares(&self, name: &'static str) -> Result<Vec<f64>> {
        let k = self.a.len();
        let mut q: Vec<Vec<f64>> = self.a.clone();
        let mut r = vec![vec![0.0; k]; k];
        for j in 0..k {
            for _pass in 0..2 {
                for i in 0..j {
                    let p = dot(&q[i], &q[j]);
                    r[i][j] += p;
                    let qi = q[i].clone();
                    q[j].iter_mut().zip(&qi).for_each(|(v, u)| *v -= p * u);
                }
            }
            let nrm = norm(&q[j]);
            if nrm <= 1e-14 {
                return Err(FitError::Singular(name));
            }
            r[j][j] = nrm;
            q[j].iter_mut().for_each(|v| *v /= nrm);
        }
        let qtb: Vec<f64> = q.iter().map(|c| dot(c, &self.b)).collect();
        let mut theta = vec![0.0; k];
        for j in (0..k).rev() {
            let s: f64 = (j + 1..k).map(|l| r[j][l] * theta[l]).sum();
            theta[j] = (qtb[j] - s) / r[j][j];
        }
        Ok(theta)
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Eigenvalues of a small symmetric matrix by cyclic Jacobi rotations.
fn jacobi_eigenvalues(mut a: Vec<Vec<f64>>) -> Vec<f64> {
    let n = a.len();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k][p], a[k][q]);
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p][k], a[q][k]);
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
            }
        }
    }
    (0..n).map(|i| a[i][i]).collect()
}

struct MapeProblem<'a>(&'a Scaled);

impl CostFunction for MapeProblem<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        // r_i / b_i = (pred_i - y_i) / y_i: the scaling cancels.
        let r = self.0.residual(theta);
        Ok(r.iter().zip(&self.0.b).zip(&self.0.mape_weight).map(|((ri, bi), w)| w * (ri / bi).abs()).sum())
    }
}

fn solver_error(e: impl std::fmt::Display) -> FitError {
    FitError::Solver(e.to_string())
}

/// The normal equations `A^T A theta = A^T b` as an argmin operator.
struct NormalEquations<'a>(&'a Scaled);

impl Operator for NormalEquations<'_> {
    type Param = Vec<f64>;
    type Output = Vec<f64>;
    fn apply(&self, p: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        let mut ap = vec![0.0; self.0.b.len()];
        for (col, pj) in self.0.a.iter().zip(p) {
            ap.iter_mut().zip(col).for_each(|(v, c)| *v += pj * c);
        }
        Ok(self.0.a.iter().map(|c| dot(c, &ap)).collect())
    }
}

/// Least squares through argmin's linear conjugate gradient on the normal equations (the
/// cross-check of the closed form): `k` iterations for `k` couplings, then one refinement
/// pass on the remaining residual. (argmin's L-BFGS is not used here: its More-Thuente line
/// search has no iteration cap and does not return once the gradient reaches rounding level.)
pub fn least_squares_argmin(design: &Design, target: &[f64], model: Model) -> Result<Couplings> {
    design.check_target(target)?;
    let scaled = Scaled::new(design, target, model)?;
    let k = model.couplings();
    if k == 0 {
        return Ok(Couplings { values: [0.0; 3], condition_number: None });
    }
    let atb: Vec<f64> = scaled.a.iter().map(|c| dot(c, &scaled.b)).collect();
    let op = NormalEquations(&scaled);
    let mut theta = vec![0.0; k];
    for _pass in 0..2 {
        let at = op.apply(&theta).map_err(solver_error)?;
        let rhs: Vec<f64> = atb.iter().zip(&at).map(|(b, a)| b - a).collect();
        if norm(&rhs) <= 1e-15 * norm(&atb) {
            break;
        }
        let solver: ConjugateGradient<Vec<f64>, f64> = ConjugateGradient::new(rhs);
        let res = Executor::new(NormalEquations(&scaled), solver)
            .configure(|s: IterState<Vec<f64>, (), (), (), Vec<f64>, f64>| s.param(vec![0.0; k]).max_iters(k as u64))
            .run()
            .map_err(solver_error)?;
        let step = res.state().get_param().cloned().ok_or_else(|| FitError::Solver("no parameter".into()))?;
        if step.iter().any(|v| !v.is_finite()) {
            break;
        }
        theta.iter_mut().zip(&step).for_each(|(t, s)| *t += s);
    }
    Ok(Couplings { values: scaled.couplings(&theta), condition_number: scaled.condition_number() })
}

/// Fits `model` under `loss` (closed form for MSE, Nelder-Mead for MAPE).
///
/// Fitting couplings. Work happens in scaled coordinates: each used column `T_j` is divided
/// by its weighted norm `s_j = ||sqrt(w) T_j||` and the target by `||sqrt(w) y||`, so the
/// scaled problem is `min || A theta - b ||` with unit-norm columns; `lambda_j = theta_j ||b|| / s_j`.
///
/// - MSE is linear least squares: solved in closed form (modified Gram-Schmidt QR, twice for
///   stability) and, as a cross-check, with argmin's conjugate gradient on the normal equations.
/// - MAPE is non-smooth: argmin's Nelder-Mead, started from the least-squares solution.
/// - The condition number reported is that of the scaled design `A` (`sqrt(lambda_max /
///   lambda_min)` of `A^T A`, Jacobi eigenvalues).
pub fn fit(design: &Design, target: &[f64], model: Model, loss: Loss) -> Result<Couplings> {
    design.check_target(target)?;
    if target.contains(&0.0) && loss == Loss::Mape {
        return Err(FitError::Invalid { what: "target (MAPE needs non-zero values)", row: 0, value: 0.0 });
    }
    let scaled = Scaled::new(design, target, model)?;
    let condition_number = scaled.condition_number();
    if model == Model::M0 {
        return Ok(Couplings { values: [0.0; 3], condition_number });
    }
    let theta_ls = scaled.least_squares(model.name())?;
    let theta = match loss {
        Loss::Mse => theta_ls,
        Loss::Mape => {
            let mut theta = theta_ls;
            for _restart in 0..3 {
                let k = theta.len();
                let mut simplex = vec![theta.clone()];
                for j in 0..k {
                    let mut v = theta.clone();
                    v[j] += 0.05 * theta[j].abs().max(1e-3);
                    simplex.push(v);
                }
                let solver = NelderMead::new(simplex).with_sd_tolerance(1e-15).map_err(solver_error)?;
                let res = Executor::new(MapeProblem(&scaled), solver)
                    .configure(|s| s.max_iters(4000))
                    .run()
                    .map_err(solver_error)?;
                theta = res.state().get_best_param().cloned().ok_or_else(|| FitError::Solver("no parameter".into()))?;
            }
            theta
        }
    };
    Ok(Couplings { values: scaled.couplings(&theta), condition_number })
}
