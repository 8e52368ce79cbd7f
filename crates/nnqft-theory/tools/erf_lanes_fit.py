"""Coefficients of `nnqft_theory::erf::erf_lanes` (crates/nnqft-theory/src/erf.rs).

`erf` on `[0, 5.9375)` (above, `erf` rounds to 1) in three pieces, `[0, 0.75)`,
`[0.75, 2.125)` and `[2.125, 5.9375)`, polynomials of degree 21 (odd), 20 and 30 in
`t = x - c` about a centre `c` of the piece (fitted errors 0.097, 0.015 and 0.018 ulp; one
degree less gives 0.62, 0.095 and 0.037; the arguments `BOUNDS DEGREES`, e.g.
`0,0.75,2.125,5.9375 21,19,29`, try other splits and degrees):

- piece 0, `[0, B_1)`, `c = 0`: odd, `x + x (c_1 + c_3 x^2 + ...)`, with `c_1` the double
  nearest `2/sqrt(pi) - 1` (the leading `x` is added last and exactly, so the sum in brackets
  needs only an absolute accuracy well below 1), the other odd coefficients fitted to the
  relative error `(erf(x) - p(x)) / erf(x)`; the table holds `c_1, c_3, ...` (the evaluation
  adds `x`);
- piece `i >= 1`, `[B_i, B_(i+1))`: centre `c`, a multiple of 2^-10 within 1/8 of the
  midpoint chosen so that `erf(c)` lies closest to a double (so the constant term is
  `erf(c)` to within a few thousandths of an ulp: the table-maker's trick of Gal's accurate
  tables); `c_0 = erf(c)` rounded, then `c_1`, then `c_2..c_d`, each fitted with the earlier
  ones fixed at their rounded values (so the later coefficients absorb what rounding the
  earlier ones lost), to the absolute error.

Each fit is a least-squares fit at 120 Chebyshev nodes of the piece, in 50-digit
arithmetic (mpmath), which is within a small factor of the minimax error; the script prints
the worst error of every piece with rounded coefficients on a dense grid (in 50 digits, so
rounding of the evaluation itself is not included) and the Rust tables, as they stand in erf.rs.

    python3 crates/nnqft-theory/tools/erf_lanes_fit.py   # needs mpmath (pip install mpmath)
"""

import sys

import mpmath as mp

mp.mp.dps = 50

#: piece boundaries
BOUNDS = sys.argv[1].split(",") if len(sys.argv) > 1 else ["0", "0.75", "2.125", "5.9375"]
#: degree of each piece (in x, so the odd piece 0 of degree 21 has 11 coefficients)
DEGREES = [int(d) for d in sys.argv[2].split(",")] if len(sys.argv) > 2 else [21, 20, 30]
#: the names of the tables in erf.rs
NAMES = ["LANE_SMALL", "LANE_MIDDLE", "LANE_TAIL"]
NODES = 120


def dbl(x):
    """x rounded to the nearest double, as an mpf."""
    return mp.mpf(float(x))


def chebyshev_nodes(a, b, n):
    return [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]


def least_squares(rows, rhs):
    """Solves the overdetermined system in the least-squares sense (QR, 50 digits)."""
    a = mp.matrix(rows)
    y = mp.matrix(rhs)
    x, _ = mp.qr_solve(a, y)
    return [x[i] for i in range(a.cols)]


def fit_first(b, DEGREE):
    """Odd polynomial on [0, b): coefficients c_0..c_DEGREE (even ones 0)."""
    c1 = dbl(2 / mp.sqrt(mp.pi) - 1)
    odd = list(range(3, DEGREE + 1, 2))
    fixed = {1: c1}
    xs = chebyshev_nodes(mp.mpf(0), b, NODES)
    for k in odd:
        # relative error: divide each row by erf(x)
        rows, rhs = [], []
        free = [j for j in odd if j not in fixed]
        for x in xs:
            w = 1 / mp.erf(x)
            rows.append([x**j * w for j in free])
            rhs.append((mp.erf(x) - x - sum(cj * x**j for j, cj in fixed.items())) * w)
        sol = least_squares(rows, rhs)
        fixed[k] = dbl(sol[0])
    return [fixed.get(n, mp.mpf(0)) for n in range(DEGREE + 1)]


def centre(a, b):
    """A multiple of 2^-10 within 1/8 of the midpoint whose erf lies closest to a double."""
    mid = (a + b) / 2
    best = None
    for k in range(-128, 129):
        c = mp.floor(mid * 1024) / 1024 + mp.mpf(k) / 1024
        v = mp.erf(c)
        ulp = mp.mpf(2) ** (mp.floor(mp.log(v, 2)) - 52)
        miss = abs(v - dbl(v)) / ulp
        if best is None or miss < best[0]:
            best = (miss, c)
    return best[1]


def fit_piece(a, b, DEGREE):
    c = centre(a, b)
    ts = [x - c for x in chebyshev_nodes(a, b, NODES)]
    fixed = [dbl(mp.erf(c))]
    while len(fixed) <= DEGREE:
        k0 = len(fixed)
        rows, rhs = [], []
        for t in ts:
            rows.append([t**j for j in range(k0, DEGREE + 1)])
            rhs.append(mp.erf(c + t) - sum(cj * t**j for j, cj in enumerate(fixed)))
        sol = least_squares(rows, rhs)
        fixed.append(dbl(sol[0]))
    return c, fixed


def worst(c, coeffs, a, b, first):
    err = mp.mpf(0)
    for i in range(2001):
        x = a + (b - a) * i / 2000
        p = sum(ck * (x - c) ** k for k, ck in enumerate(coeffs)) + (x if first else 0)
        e = abs(p - mp.erf(x))
        ulp = mp.mpf(2) ** (mp.floor(mp.log(mp.erf(x), 2)) - 52) if x > 0 else 1
        err = max(err, e / ulp if x > 0 else 0)
    return err


def main():
    bounds = [mp.mpf(s) for s in BOUNDS]
    pieces = [(mp.mpf(0), fit_first(bounds[1], DEGREES[0]))]
    for a, b, d in zip(bounds[1:-1], bounds[2:], DEGREES[1:]):
        pieces.append(fit_piece(a, b, d))
    for (c, coeffs), a, b in zip(pieces, bounds, bounds[1:]):
        print(f"// [{float(a)}, {float(b)}) centre {float(c)}: worst {float(worst(c, coeffs, a, b, a == 0)):.4f} ulp before evaluation rounding")
    print(f"const LANE_CENTRES: [f64; {len(pieces) - 1}] = [{', '.join(repr(float(c)) for c, _ in pieces[1:])}];")
    for i, (_, coeffs) in enumerate(pieces):
        if i == 0:
            coeffs = coeffs[1::2]
        name = NAMES[i] if len(pieces) == len(NAMES) else f"PIECE_{i}"
        print(f"const {name}: [f64; {len(coeffs)}] = [" + ", ".join(repr(float(x)) for x in coeffs) + "];")


if __name__ == "__main__":
    main()
