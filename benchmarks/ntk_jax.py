#!/usr/bin/env python3
"""JAX baseline for the sampled neural tangent kernel (`nnqft ntk --nets`, `NtkEnsemble`): the
same deep networks, the same per-network NTK and the same reductions, written the way a careful
JAX user would (float64, one jit-compiled batch step vmapped over the nets of a batch, the
batches inside one lax.fori_loop).

Per net: L hidden layers of equal width n, d = 1 input, 1 output; layer l = 1..L+1 has
W^l ~ N(0, C_W / n_(l-1)) and b^l ~ N(0, C_b) (C_W = 1, C_b = 0 for tanh and gelu, the deep
defaults), evaluated on the 6 inputs -1, -0.6, ..., 1. Its empirical NTK with learning-rate
factors lambda_W = C_W, lambda_b = C_b (the NTK parameterisation, as `nnqft ntk`) is

    Theta(x_a, x_b) = sum_l [ (lambda_W / n_(l-1)) dF_a/dW^l . dF_b/dW^l + lambda_b dF_a/db^l . dF_b/db^l ],

from the Jacobian of the outputs with respect to every parameter: `jax.jacfwd` (the issue's
choice; one tangent per parameter) or `jax.jacrev` (one cotangent per output, far cheaper when
the parameters outnumber the outputs), `jax.vmap`ped over the nets. Reductions over the nets: the
sums of Theta_pq and f_p f_q and, with --fluctuations, of Theta_pq Theta_rs and Theta_pq f_r f_s
over every quadruple of (output, point) pairs (what `NtkEnsemble::with_fluctuations` sums). Prints
one line per case:

    activation depth width points nets fluctuations jacobian seconds nets_per_s

Compile time is EXCLUDED: each case first runs one batch (which compiles), times a second batch to
size the run (about --seconds long), then the clock runs over the real call up to
block_until_ready(). XLA may use more than one CPU thread.

--check compares jacfwd with jacrev on a few nets, the NTK of a width-1 linear net with a value
computed by hand, and (when the `nnqft` package is importable) the JAX ensemble's mean NTK and
its NTK covariances with `nnqft.ntk(..., nets=...)` entry by entry (z-scores of independent
ensembles). Needs `pip install "jax[cpu]"`.

usage: ntk_jax.py [--activations tanh,gelu] [--depths 1,2,4,8] [--widths 20,100]
                  [--fluctuations off,on] [--jacobian rev|fwd] [--seconds S] [--seed S] [--check]
"""
import argparse
import math
import time

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

jax.config.update("jax_enable_x64", True)

XS = np.array([-1.0, -0.6, -0.2, 0.2, 0.6, 1.0])[:, None]  # m x d
ACT = {
    "tanh": jnp.tanh,
    "gelu": lambda z: jax.nn.gelu(z, approximate=False),  # z Phi(z)
    "linear": lambda z: z,
    "relu": lambda z: jnp.maximum(z, 0.0),
}
PRIORS = {"tanh": (1.0, 0.0), "gelu": (1.0, 0.0), "linear": (1.0, 0.0), "relu": (2.0, 0.0)}  # (C_W, C_b)


def sizes_of(depth, width, d_in=1, d_out=1):
    return [d_in] + [width] * depth + [d_out]


def forward(phi, params, xs):
    """f_i(x_a) at position p = i m + a (nnqft's layout of (output, point) pairs)."""
    h = xs
    for w, b in params[:-1]:
        h = phi(h @ w.T + b)
    w, b = params[-1]
    return (h @ w.T + b).T.reshape(-1)


def draw(key, sizes, c_w, c_b):
    """One net's parameters [(W^l, b^l)], W^l ~ N(0, C_W / n_(l-1)), b^l ~ N(0, C_b)."""
    keys = jax.random.split(key, 2 * (len(sizes) - 1))
    params = []
    for l in range(1, len(sizes)):
        w = jax.random.normal(keys[2 * l - 2], (sizes[l], sizes[l - 1]), jnp.float64) * math.sqrt(c_w / sizes[l - 1])
        b = jax.random.normal(keys[2 * l - 1], (sizes[l],), jnp.float64) * math.sqrt(c_b)
        params.append((w, b))
    return params


def tangent_kernel(phi, params, xs, lambda_w, lambda_b, jacobian="rev"):
    """The empirical NTK Theta_pq (P x P) and the outputs f_p of one net."""
    f = lambda ps: forward(phi, ps, xs)
    jac = (jax.jacrev if jacobian == "rev" else jax.jacfwd)(f)(params)
    theta = 0.0
    for (jw, jb), (w, _) in zip(jac, params):
        jw = jw.reshape(jw.shape[0], -1)
        theta = theta + (lambda_w / w.shape[1]) * (jw @ jw.T) + lambda_b * (jb @ jb.T)
    return theta, f(params)


def batch_size(sizes, points, jacobian, budget=20_000_000):
    """Nets per batch: the Jacobians (and, for jacfwd, its tangents through the widest layer)
    within about `budget` doubles."""
    params = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes)))
    per_net = points * params * (1 if jacobian == "rev" else max(sizes))
    return max(1, min(256, budget // per_net))


def make_run(act, depth, width, fluctuations, jacobian, xs=XS):
    """run(key, batches) -> the sums over batches x batch nets of Theta, f f and (fluctuations)
    Theta x Theta, Theta x f f."""
    phi, (c_w, c_b) = ACT[act], PRIORS[act]
    sizes = sizes_of(depth, width, xs.shape[1])
    xs = jnp.asarray(xs)
    batch = batch_size(sizes, xs.shape[0], jacobian)

    def one(key):
        return tangent_kernel(phi, draw(key, sizes, c_w, c_b), xs, c_w, c_b, jacobian)

    def sums_of(key):
        theta, f = jax.vmap(one)(jax.random.split(key, batch))
        ff = f[:, :, None] * f[:, None, :]
        out = {"ntk": theta.sum(0), "g2": ff.sum(0)}
        if fluctuations:
            out["ntk_ntk"] = jnp.einsum("kpq,krs->pqrs", theta, theta)
            out["ntk_g2"] = jnp.einsum("kpq,krs->pqrs", theta, ff)
        return out

    @jax.jit
    def run(key, batches):
        zero = jax.eval_shape(sums_of, key)
        zero = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), zero)

        def body(i, carry):
            return jax.tree_util.tree_map(jnp.add, carry, sums_of(jax.random.fold_in(key, i)))

        return lax.fori_loop(0, batches, body, zero)

    return run, batch


def timed(act, depth, width, fluctuations, jacobian, seconds, key):
    """(nets, seconds) of one case, compile excluded, about `seconds` long."""
    run, batch = make_run(act, depth, width, fluctuations, jacobian)
    jax.block_until_ready(run(key, 1))  # compiles (the trip count is traced: one compilation)
    t = time.perf_counter()
    jax.block_until_ready(run(key, 1))
    one = time.perf_counter() - t
    batches = max(1, math.ceil(seconds / max(one, 1e-6)))
    t = time.perf_counter()
    jax.block_until_ready(run(key, batches))
    return batches * batch, time.perf_counter() - t


def means(act, depth, width, nets, experiments, fluctuations, key, xs=XS):
    """Per experiment: the means of Theta, f f and (fluctuations) the covariances
    Cov(Theta_pq, Theta_rs), Cov(Theta_pq, f_r f_s) with nnqft's n / (n - 1) correction."""
    run, batch = make_run(act, depth, width, fluctuations, "rev", xs)
    batches = -(-nets // batch)
    n = batches * batch
    out = []
    for e in range(experiments):
        s = {k: np.asarray(v) / n for k, v in run(jax.random.fold_in(key, e), batches).items()}
        if fluctuations:
            s["cov_ntk"] = n / (n - 1) * (s["ntk_ntk"] - np.einsum("pq,rs->pqrs", s["ntk"], s["ntk"]))
            s["cov_g2"] = n / (n - 1) * (s["ntk_g2"] - np.einsum("pq,rs->pqrs", s["ntk"], s["g2"]))
        out.append(s)
    return {k: np.stack([s[k] for s in out]) for k in out[0]}


def check(seed):
    key = jax.random.key(seed)
    # jacfwd and jacrev: the same per-net NTK
    for act in ("tanh", "gelu"):
        sizes, (c_w, c_b) = sizes_of(2, 7), PRIORS[act]
        for k in jax.random.split(key, 3):
            params = draw(k, sizes, c_w, 0.3)
            t_rev, _ = tangent_kernel(ACT[act], params, jnp.asarray(XS), c_w, 0.5, "rev")
            t_fwd, _ = tangent_kernel(ACT[act], params, jnp.asarray(XS), c_w, 0.5, "fwd")
            err = float(jnp.max(jnp.abs(t_rev - t_fwd)) / jnp.max(jnp.abs(t_rev)))
            assert err < 1e-13, f"{act}: jacfwd and jacrev differ by {err:.1e}"
    print("jacfwd == jacrev to 1e-13 (relative) on 6 nets: ok")
    # f = b2 + W2 (b1 + W1 x), x = 1, linear: Theta = lb W2^2 + lw x^2 W2^2 + lb + lw z1^2 = 25.25
    params = [(jnp.array([[2.0]]), jnp.array([0.5])), (jnp.array([[3.0]]), jnp.array([-1.0]))]
    theta, f = tangent_kernel(ACT["linear"], params, jnp.array([[1.0]]), 1.0, 1.0)
    assert abs(float(theta[0, 0]) - 25.25) < 1e-12 and abs(float(f[0]) - 6.5) < 1e-12
    print("width-1 linear net: Theta = 25.25 by hand: ok")
    try:
        import nnqft
    except ImportError:
        print("nnqft not importable: the comparison with nnqft.ntk is skipped")
        return
    # the same ensembles from both: every entry of the mean NTK, G2 and the covariances
    # fixed seeds; 10 experiments a side, so each z is about Student-t with ~18 degrees of
    # freedom: |z| < 4 over the 42 means, |z| < 5 over the 882 (correlated) covariance entries
    z_bound, z_bound_covariances = 4.0, 5.0
    for act in ("tanh", "gelu"):
        depth, width, nets, experiments = 2, 20, 2000, 10
        common = dict(x=XS[:, 0].tolist(), nets=nets, experiments=experiments, seed=seed)
        table = nnqft.ntk(act, [width] * depth, **common)
        jx = means(act, depth, width, nets, experiments, True, jax.random.key(seed + 1))
        zs = compare_means(table, jx)
        print(f"{act} L={depth} n={width}: max |z| over {len(zs)} entries of theta_mean, g2_mean: {max(map(abs, zs)):.2f}")
        assert max(map(abs, zs)) < z_bound, f"{act}: mean |z| {max(map(abs, zs)):.2f} >= {z_bound}"
        zs = compare_covariances(nnqft.ntk(act, [width] * depth, fluctuations=True, **common), jx)
        print(f"{act} L={depth} n={width}: max |z| over {len(zs)} covariance, cross entries: {max(map(abs, zs)):.2f}")
        assert max(map(abs, zs)) < z_bound_covariances, f"{act}: covariance |z| {max(map(abs, zs)):.2f}"


def pair_index(indices, outputs, m):
    return [int(o) * m + int(a) for a, o in zip(str(indices).split(","), str(outputs).split(","))]


def z_of(a, sa, b, sb):
    s = math.hypot(sa, sb)
    return (a - b) / s if s > 0 else 0.0


def se(values):
    return float(np.std(values, ddof=1) / math.sqrt(len(values)))


def compare_means(table, jx):
    m = XS.shape[0]
    zs = []
    for k in range(len(table["indices"])):
        p, q = pair_index(table["indices"][k], table["outputs"][k], m)
        for ours, col in (("theta", "ntk"), ("g2", "g2")):
            vals = jx[col][:, p, q]
            zs.append(z_of(table[f"{ours}_mean"][k], table[f"{ours}_stderr"][k], vals.mean(), se(vals)))
    return zs


def compare_covariances(table, jx):
    m = XS.shape[0]
    zs = []
    for k in range(len(table["indices"])):
        p, q = pair_index(table["ntk_indices"][k], table["ntk_outputs"][k], m)
        r, s = pair_index(table["indices"][k], table["outputs"][k], m)
        for ours, col in (("covariance", "cov_ntk"), ("cross", "cov_g2")):
            vals = jx[col][:, p, q, r, s]
            zs.append(z_of(table[f"{ours}_mean"][k], table[f"{ours}_stderr"][k], vals.mean(), se(vals)))
    return zs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--activations", default="tanh,gelu")
    ap.add_argument("--depths", default="1,2,4,8")
    ap.add_argument("--widths", default="20,100")
    ap.add_argument("--fluctuations", default="off,on", help="off, on or off,on")
    ap.add_argument("--jacobian", default="rev", choices=["rev", "fwd"])
    ap.add_argument("--seconds", type=float, default=1.0, help="about how long each timed run is")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true", help="the checks of the module docs")
    a = ap.parse_args()
    if a.check:
        check(a.seed)
        return
    key = jax.random.key(a.seed)
    print("activation depth width points nets fluctuations jacobian seconds nets_per_s")
    for act in a.activations.split(","):
        for depth in map(int, a.depths.split(",")):
            for width in map(int, a.widths.split(",")):
                for fl in a.fluctuations.split(","):
                    key, sub = jax.random.split(key)
                    nets, dt = timed(act, depth, width, fl == "on", a.jacobian, a.seconds, sub)
                    print(f"{act} {depth} {width} {XS.shape[0]} {nets} {fl} {a.jacobian} {dt:.3f} {nets / dt:.1f}",
                          flush=True)


if __name__ == "__main__":
    main()
