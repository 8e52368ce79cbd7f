"""Coefficients of `nnqft_theory`'s `erfc` (crates/nnqft-theory/src/erfc.rs).

`erfc(a) = e^(-a^2) erfcx(a)` for `a >= 1/2`; the scaled function `erfcx` in four pieces:
`[0.5, 1.5)` and `[1.5, 3.5)` as polynomials in `t = a - c` (centre `c` a multiple of 2^-10
near the given point whose `erfcx(c)` lies closest to a double), `[3.5, 7)` and `[7, 27.5)` as
`a erfcx(a)`, polynomials in `v = 16/a^2` and `64/a^2`. Each is a least-squares fit to the
relative error at 90 Chebyshev nodes in 60-digit arithmetic, the coefficients rounded one at a
time and the later ones refitted. Prints each piece's worst relative error on a dense grid (in
60 digits: the evaluation's own rounding is not included) and its coefficients, as they stand
in erfc.rs. The argument `DEGREES` (e.g. `17,20,13,9`, the default) tries other degrees.

    python3 crates/nnqft-theory/tools/erfc_fit.py   # needs mpmath (pip install mpmath)
"""
import sys
import mpmath as mp
mp.mp.dps = 60
NODES = 90

def dbl(x): return mp.mpf(float(x))
def cheb(a, b, n): return [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
def erfcx(x): return mp.erfc(x) * mp.exp(x * x)

def centre(mid):
    best = None
    for k in range(-100, 101):
        c = mp.floor(mid * 1024) / 1024 + mp.mpf(k) / 1024
        v = erfcx(c)
        ulp = mp.mpf(2) ** (mp.floor(mp.log(v, 2)) - 52)
        miss = abs(v - dbl(v)) / ulp
        if best is None or miss < best[0]:
            best = (miss, c)
    return best[1]

def fit(a, b, kind, deg, c=None):
    if kind == 't':
        c = centre(c)
    xs = cheb(mp.mpf(a), mp.mpf(b), NODES)
    if kind == 't':
        var = lambda x: x - c
        target = lambda x: erfcx(x)
    else:  # 'u': u = 1/x^2, target sqrt(pi) x erfcx(x)
        var = lambda x: c / (x * x)
        target = lambda x: x * erfcx(x)
    fixed = []
    pre = [(1 / target(x), var(x)) for x in xs]
    while len(fixed) <= deg:
        k0 = len(fixed)
        rows, rhs = [], []
        for w, v in pre:
            rows.append([v**j * w for j in range(k0, deg + 1)])
            rhs.append(1 - sum(cj * v**j for j, cj in enumerate(fixed)) * w)
        sol, _ = mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))
        fixed.append(dbl(sol[0]))
    co = fixed
    worst = 0
    for i in range(1201):
        x = mp.mpf(a) + (mp.mpf(b) - mp.mpf(a)) * i / 1200
        v = var(x)
        p = sum(cj * v**j for j, cj in enumerate(co))
        worst = max(worst, abs(p / target(x) - 1) * 2**53)
    return co, worst, c

pieces = [(0.5, 1.5, 't', 1.0), (1.5, 3.5, 't', 2.5), (3.5, 7.0, 'u', 16.0), (7.0, 27.5, 'u', 64.0)]
degs = [int(d) for d in sys.argv[1].split(',')] if len(sys.argv) > 1 else [17, 20, 13, 9]
for (a, b, kind, c), d in zip(pieces, degs):
    co, w, c = fit(a, b, kind, d, mp.mpf(c) if c is not None else None)
    print(a, b, kind, d, 'worst ulp', float(w), 'centre', float(c) if kind == 't' else None)
    print('  [' + ', '.join(repr(float(x)) for x in co) + ']')
