#!/usr/bin/env python3
"""JAX baseline for deep networks (`DeepEnsemble`, `cargo run --release -p nnqft-sampling
--example deep_speed`): the job of the vectorised NumPy baseline deep_numpy.py, written the way
a careful JAX user would (float64, every weight of a batch of nets drawn at once, the layers as
batched matrix products, one jit-compiled step, the batches inside one lax.fori_loop).

Per net: L hidden layers of equal width n, d = 1 input, one output; the first layer has
W ~ N(0, C_W / d), every later layer (the readout included) W ~ N(0, C_W / n), every bias
b ~ N(0, C_b), with deep_numpy.py's priors (C_W = 1 for tanh and erf, 2 for relu, C_b = 0);
evaluated on the 6 inputs -1, -0.6, ..., 1. Reductions over the nets: the raw estimators of G2
and G4, the sums of f(x_a) f(x_b) over the 21 multisets of order 2 and of
f(x_a) f(x_b) f(x_c) f(x_d) over the 126 of order 4 (each a stored pair product times another).
Biases with C_b = 0 are not drawn (they are the constant 0; deep_numpy.py draws and scales them
by 0). Prints one line per case, in deep_numpy.py's columns:

    activation depth width nets seconds nets_per_s weight_draws_per_s

weight_draws = nets * (2n + (L-1) n (n+1) + n + 1), counted as deep_numpy.py counts them.

Timing: compile time is EXCLUDED. Each case compiles and runs one batch (the trip count is an
argument, so one compilation serves every length), times a second batch to size the run to about
--seconds, then takes the best of --repeats timed runs up to block_until_ready(); nets is a whole
number of batches. Batches hold about --budget weights (at most 8192 nets); --prng picks JAX's
generator (threefry2x32, JAX's default, or rbg / unsafe_rbg, XLA's RngBitGenerator).

XLA may use more than one CPU thread; for a one-thread figure, pin it:

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
        taskset -c 0 python3 benchmarks/deep_jax.py

--check holds the baseline to exact theory (fixed seed, 20 experiments, |z| < 5 on every entry):
(1) at L = 1, for tanh, relu and erf at n = 20, G2 and G4 on all 147 multisets against their
exact values at finite width (below), and the Gaussian value Wick4(K) alone must be rejected
(some |z| >= 5), so the check sees the 1/n term; (2) relu at L = 2 and 4, n = 20, on the
diagonal, against the exact identities G2(x, x) = C_W x^2 and
G4(x, x, x, x) = 3 (C_W x^2)^2 (1 + 5/n)^L at C_W = 2, C_b = 0 (any depth and width); (3) when the
`nnqft` package is importable, tanh at L = 2, n = 20 on all 147 multisets against
`nnqft.sample(..., widths=[20, 20])` (z of independent ensembles).

Exact at L = 1 (one hidden layer, C_b = 0, z = w x with w ~ N(0, C_W)): given the hidden layer,
f is Gaussian with covariance C_ab = (C_W / n) sum_j phi_j(x_a) phi_j(x_b), so with
M_ab = E[phi(z_a) phi(z_b)], M_abcd = E[phi(z_a) phi(z_b) phi(z_c) phi(z_d)] and K = C_W M,

    G2(a, b) = K_ab,
    G4(a, b, c, d) = K_ab K_cd + K_ac K_bd + K_ad K_bc
                     + (C_W^2 / n) (3 M_abcd - M_ab M_cd - M_ac M_bd - M_ad M_bc),

the moments by Gauss-Legendre quadrature in w on each half-line (relu is smooth on each).
Needs `pip install "jax[cpu]"` (and numpy).

usage: deep_jax.py [--activations tanh,relu,erf] [--depths 1,2,4,8] [--widths 20,100]
                   [--seconds S] [--repeats R] [--budget B] [--prng threefry2x32|rbg|unsafe_rbg]
                   [--seed S] [--check]
"""
import argparse
import itertools
import math
import time

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

jax.config.update("jax_enable_x64", True)

XS = np.array([-1.0, -0.6, -0.2, 0.2, 0.6, 1.0])
ACT = {
    "tanh": jnp.tanh,
    "erf": jax.scipy.special.erf,
    "relu": lambda z: jnp.maximum(z, 0.0),
}
PRIORS = {"tanh": (1.0, 0.0), "erf": (1.0, 0.0), "relu": (2.0, 0.0)}  # (C_W, C_b)


def multisets(m, k):
    return [tuple(s) for s in itertools.combinations_with_replacement(range(m), k)]


PAIRS = multisets(len(XS), 2)
QUADS = multisets(len(XS), 4)
_PAIR_AT = {p: i for i, p in enumerate(PAIRS)}
# each multiset (a, b, c, d) of order 4 as the pair product (a, b) times the pair product (c, d)
Q_SPLIT = np.array([(_PAIR_AT[q[:2]], _PAIR_AT[q[2:]]) for q in QUADS])


def batch_size(depth, width, budget):
    """Nets per batch: about `budget` drawn weights (at most 8192 nets)."""
    per_net = 2 * width + (depth - 1) * width * width + 1
    return max(1, min(8192, budget // per_net))


def make_run(act, depth, width, batch):
    """run(key, batches) -> (sums of the 21 pair products, sums of the 126 products of order 4)
    over batches x batch nets; batch k draws from fold_in(key, k)."""
    phi, (c_w, c_b) = ACT[act], PRIORS[act]
    xs = jnp.asarray(XS)
    a, b = (jnp.asarray(v) for v in np.array(PAIRS).T)
    left, right = (jnp.asarray(v) for v in Q_SPLIT.T)

    def outputs(key):
        keys = jax.random.split(key, 2 * depth + 2)
        w = jax.random.normal(keys[0], (batch, 1, width), jnp.float64) * math.sqrt(c_w)  # d = 1
        z = w * xs[None, :, None]  # (batch, m, n)
        if c_b:
            z = z + jax.random.normal(keys[1], (batch, 1, width), jnp.float64) * math.sqrt(c_b)
        h = phi(z)
        for l in range(1, depth):
            w = jax.random.normal(keys[2 * l], (batch, width, width), jnp.float64) * math.sqrt(c_w / width)
            z = jnp.matmul(h, w)
            if c_b:
                z = z + jax.random.normal(keys[2 * l + 1], (batch, 1, width), jnp.float64) * math.sqrt(c_b)
            h = phi(z)
        v = jax.random.normal(keys[2 * depth], (batch, 1, width), jnp.float64) * math.sqrt(c_w / width)
        # the readout as a multiply-sum, which XLA:CPU fuses with the last activation
        f = (h * v).sum(axis=2)  # (batch, m)
        if c_b:
            f = f + jax.random.normal(keys[2 * depth + 1], (batch, 1), jnp.float64) * math.sqrt(c_b)
        return f

    def sums_of(key):
        f = outputs(key)
        p2 = f[:, a] * f[:, b]
        return p2.sum(axis=0), (p2[:, left] * p2[:, right]).sum(axis=0)

    @jax.jit
    def run(key, batches):
        def body(i, carry):
            s2, s4 = sums_of(jax.random.fold_in(key, i))
            return carry[0] + s2, carry[1] + s4

        return lax.fori_loop(0, batches, body, (jnp.zeros(len(PAIRS)), jnp.zeros(len(QUADS))))

    return run


def timed(act, depth, width, seconds, repeats, budget, key):
    """(nets, seconds) of one case, compile excluded, the best of `repeats` runs about `seconds`
    long each."""
    batch = batch_size(depth, width, budget)
    run = make_run(act, depth, width, batch)
    jax.block_until_ready(run(key, 1))  # compiles
    t = time.perf_counter()
    jax.block_until_ready(run(key, 1))
    one = time.perf_counter() - t
    batches = max(1, math.ceil(seconds / max(one, 1e-6)))
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(run(key, batches))
        best = min(best, time.perf_counter() - t)
    return batches * batch, best


def experiments(act, depth, width, nets, count, key, budget):
    """(count x 21 means of G2, count x 126 means of G4) over `count` experiments of about
    `nets` nets each (a whole number of batches)."""
    batch = batch_size(depth, width, budget)
    run = make_run(act, depth, width, batch)
    batches = max(1, -(-nets // batch))
    g2, g4 = [], []
    for e in range(count):
        s2, s4 = run(jax.random.fold_in(key, e), batches)
        g2.append(np.asarray(s2) / (batches * batch))
        g4.append(np.asarray(s4) / (batches * batch))
    return np.array(g2), np.array(g4)


def moments(act, orders=(2, 4), nodes=400, reach=14.0):
    """M over every multiset of the given orders, E[prod_k phi(w x_k)] with w ~ N(0, C_W), by
    Gauss-Legendre quadrature on [-reach sd, 0] and [0, reach sd]."""
    c_w, c_b = PRIORS[act]
    assert c_b == 0.0, "the exact check assumes C_b = 0 (z = w x)"
    phi = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "erf": np.vectorize(math.erf)}[act]
    t, wt = np.polynomial.legendre.leggauss(nodes)
    sd = math.sqrt(c_w)
    half = 0.5 * reach * sd
    w = np.concatenate([half * (t - 1.0), half * (t + 1.0)])  # [-reach sd, 0] and [0, reach sd]
    weight = np.concatenate([wt, wt]) * half * np.exp(-0.5 * (w / sd) ** 2) / (sd * math.sqrt(2.0 * math.pi))
    h = phi(w[:, None] * XS[None, :])  # nodes x m
    return {k: np.array([(weight * np.prod(h[:, list(s)], axis=1)).sum() for s in multisets(len(XS), k)])
            for k in orders}


def exact_one_layer(act, width):
    """(G2 over the 21 pairs, G4 over the 126 multisets, Wick4(K) over them) at L = 1."""
    c_w, _ = PRIORS[act]
    mom = moments(act)
    m2 = {s: v for s, v in zip(PAIRS, mom[2])}
    k = {s: c_w * v for s, v in m2.items()}
    g4, wick = [], []
    for (p, q, r, s), m4 in zip(QUADS, mom[4]):
        pairings = [((p, q), (r, s)), ((p, r), (q, s)), ((p, s), (q, r))]
        w = sum(k[u] * k[v] for u, v in pairings)
        wick.append(w)
        g4.append(w + c_w ** 2 / width * (3.0 * m4 - sum(m2[u] * m2[v] for u, v in pairings)))
    return np.array([k[s] for s in PAIRS]), np.array(g4), np.array(wick)


def z_scores(values, exact):
    """z of the mean over experiments (rows) against `exact`, per column."""
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / math.sqrt(values.shape[0])
    return (mean - exact) / se


def check(seed, budget):
    # fixed seed; 20 experiments, so each z is about Student-t with 19 degrees of freedom:
    # P(|t| >= 5) = 8e-5, about 0.05 over the ~600 entries checked
    z_bound, count, nets, width = 5.0, 20, 50_000, 20
    key = jax.random.key(seed)
    for i, act in enumerate(("tanh", "relu", "erf")):
        g2, g4 = experiments(act, 1, width, nets, count, jax.random.fold_in(key, i), budget)
        e2, e4, wick = exact_one_layer(act, width)
        z2, z4, zg = z_scores(g2, e2), z_scores(g4, e4), z_scores(g4, wick)
        zmax = max(np.abs(z2).max(), np.abs(z4).max())
        print(f"{act} L=1 n={width}: max |z| of G2, G4 on 147 multisets against exact theory {zmax:.2f}; "
              f"of G4 against Wick4(K) alone {np.abs(zg).max():.1f}")
        assert zmax < z_bound, f"{act}: |z| {zmax:.2f} >= {z_bound}"
        assert np.abs(zg).max() >= z_bound, f"{act}: the 1/n term of G4 is not resolved"
    c_w, _ = PRIORS["relu"]
    diag2 = [_PAIR_AT[(a, a)] for a in range(len(XS))]
    diag4 = [QUADS.index((a, a, a, a)) for a in range(len(XS))]
    for depth in (2, 4):
        g2, g4 = experiments("relu", depth, width, nets, count, jax.random.fold_in(key, 7 + depth), budget)
        k = c_w * XS ** 2
        z2 = z_scores(g2[:, diag2], k)
        z4 = z_scores(g4[:, diag4], 3.0 * k ** 2 * (1.0 + 5.0 / width) ** depth)
        zmax = max(np.abs(z2).max(), np.abs(z4).max())
        print(f"relu L={depth} n={width}: max |z| of the diagonal G2, G4 against the exact identities {zmax:.2f}")
        assert zmax < z_bound, f"relu L={depth}: |z| {zmax:.2f} >= {z_bound}"
    try:
        import nnqft
    except ImportError:
        print("nnqft not importable: the comparison with nnqft.sample is skipped")
        return
    depth = 2
    g2, g4 = experiments("tanh", depth, width, nets, count, jax.random.fold_in(key, 99), budget)
    t = nnqft.sample("tanh", widths=[width] * depth, nets=nets, experiments=count, seed=seed, x=XS.tolist())
    ours = {(int(n), tuple(map(int, str(i).split(",")))): (g, s)
            for n, i, g, s in zip(t["n"], t["indices"], t["g_mean"], t["g_stderr"])}
    zs = []
    for order, values, sets in ((2, g2, PAIRS), (4, g4, QUADS)):
        mean, se = values.mean(axis=0), values.std(axis=0, ddof=1) / math.sqrt(count)
        for j, s in enumerate(sets):
            g, sg = ours[(order, s)]
            zs.append((mean[j] - g) / math.hypot(se[j], sg))
    zmax = max(map(abs, zs))
    print(f"tanh L={depth} n={width}: max |z| of G2, G4 on 147 multisets against nnqft.sample {zmax:.2f}")
    assert zmax < z_bound, f"tanh L={depth}: |z| {zmax:.2f} >= {z_bound} against nnqft.sample"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--activations", default="tanh,relu,erf")
    ap.add_argument("--depths", default="1,2,4,8")
    ap.add_argument("--widths", default="20,100")
    ap.add_argument("--seconds", type=float, default=1.0, help="about how long each timed run is")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per case (the best is printed)")
    ap.add_argument("--budget", type=int, default=1 << 20, help="about how many weights a batch draws")
    ap.add_argument("--prng", default="rbg", choices=["threefry2x32", "rbg", "unsafe_rbg"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true", help="the checks of the module docs")
    a = ap.parse_args()
    jax.config.update("jax_default_prng_impl", a.prng)
    if a.check:
        check(a.seed, a.budget)
        return
    key = jax.random.key(a.seed)
    print("activation depth width nets seconds nets_per_s weight_draws_per_s")
    for act in a.activations.split(","):
        for depth in map(int, a.depths.split(",")):
            for width in map(int, a.widths.split(",")):
                key, sub = jax.random.split(key)
                nets, dt = timed(act, depth, width, a.seconds, a.repeats, a.budget, sub)
                draws = nets * (2 * width + (depth - 1) * width * (width + 1) + width + 1)
                print(f"{act} {depth} {width} {nets} {dt:.3f} {nets / dt:.1f} {draws / dt:.4g}", flush=True)


if __name__ == "__main__":
    main()
