"""The statistics of `nnqft analyze` as a careful NumPy user would write them: the per-experiment
means of the products of the outputs over every multiset of order 2, 4 and 6 of the points, in
chunks of nets (bounded memory), each order built from the one below (a 4-point product is a
stored pair product times another, a 6-point product a stored 4-point product times a pair), so
no product is formed twice. The Wick sums and jackknife that follow are negligible beside this
pass, in NumPy as in nnqft, and are left out.

    python3 benchmarks/analyze_numpy.py FILE.npy [EXPERIMENTS]

prints the seconds to read the file alone (one pass over a memory map) and to compute the means.
"""

import itertools
import sys
import time

import numpy as np


def multisets(m, n):
    return list(itertools.combinations_with_replacement(range(m), n))


def means(f, experiments, chunk=65_536):
    nets, m = f.shape
    per = nets // experiments
    pairs = multisets(m, 2)
    quads = multisets(m, 4)
    sixes = multisets(m, 6)
    pair_at = {p: i for i, p in enumerate(pairs)}
    quad_at = {q: i for i, q in enumerate(quads)}
    # each order-4 multiset = pair (first two) x pair (last two); each order-6 = quad x pair
    q_split = np.array([(pair_at[q[:2]], pair_at[q[2:]]) for q in quads])
    s_split = np.array([(quad_at[s[:4]], pair_at[s[4:]]) for s in sixes])
    a, b = np.array(pairs).T
    out = np.zeros((experiments, len(pairs) + len(quads) + len(sixes)))
    for e in range(experiments):
        acc = np.zeros(out.shape[1])
        for start in range(e * per, (e + 1) * per, chunk):
            x = np.asarray(f[start : min(start + chunk, (e + 1) * per)], dtype=np.float64)
            p2 = x[:, a] * x[:, b]
            p4 = p2[:, q_split[:, 0]] * p2[:, q_split[:, 1]]
            acc[: len(pairs)] += p2.sum(axis=0)
            acc[len(pairs) : len(pairs) + len(quads)] += p4.sum(axis=0)
            acc[len(pairs) + len(quads) :] += np.einsum("ni,ni->i", p4[:, s_split[:, 0]], p2[:, s_split[:, 1]])
        out[e] = acc / per
    return out


def main():
    path = sys.argv[1]
    experiments = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    f = np.load(path, mmap_mode="r")
    t = time.perf_counter()
    total = 0.0
    for start in range(0, f.shape[0], 1 << 20):
        total += float(np.asarray(f[start : start + (1 << 20)]).sum())
    read = time.perf_counter() - t
    t = time.perf_counter()
    g = means(f, experiments)
    compute = time.perf_counter() - t
    print(f"read {read:.2f} s, means {compute:.2f} s ({f.shape[0]} nets x {f.shape[1]} points, {g.shape[1]} multisets)")


if __name__ == "__main__":
    main()
