"""Tests of `nnqft.action`: the table of the CLI's `action.parquet` column for column and bit
for bit; the measured action of an ensemble built here in NumPy (not by nnqft's sampler)
against the exact action within a stated z bound; one point against the Edgeworth series by
hand; and the ValueError of each invalid argument."""

import math
import subprocess

import numpy as np
import pyarrow.parquet as pq
import pytest

import nnqft
from tables import assert_same_table

#: Every |z| = |measured - exact| / stderr of a fixed-seed ensemble must be at most this. With
#: 20 experiments z follows Student's t with 19 degrees of freedom (P(|t| > 4) = 8e-4 per value).
Z_BOUND = 4.0

COLUMNS = ["source", "order", "condition_number", "n", "indices", "outputs", "coupling", "coupling_stderr",
           "coupling_order1", "coupling_gp"]
LOCALITY_COLUMNS = ["spread", "multisets", "mean_abs", "max_abs", "norm_share", "cumulative_share"]


def two_points(tmp_path):
    path = tmp_path / "two.txt"
    path.write_text("-0.5\n0.7\n")
    return path


def test_action_is_the_cli_bit_for_bit(root, nnqft_bin, tmp_path):
    x = two_points(tmp_path)
    t = nnqft.action("erf", width=5, x=str(x))["couplings"]
    out = tmp_path / "cli"
    cmd = nnqft_bin + ["action", "--network", "erf", "--width", "5", "--x-set", str(x), "--out", str(out)]
    subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    cli = pq.read_table(out / "action.parquet").to_pydict()
    assert_same_table(t, cli, COLUMNS)
    assert list(t["n"]).count(6) == 7 and t["order"][0] == 2
    loc = nnqft.action("erf", width=5, x=str(x))["locality"]
    assert_same_table(loc, pq.read_table(out / "action_locality.parquet").to_pydict(), LOCALITY_COLUMNS)


def erf_net_outputs(x, width, nets, seed):
    """f(x) = b1 + sum_j v_j erf(w_j x + b_j): the paper's Erf-net, sigma_w = sigma_b = 1, d = 1."""
    rng = np.random.default_rng(seed)
    erf = np.vectorize(math.erf)
    w, b = rng.normal(size=(nets, width)), rng.normal(size=(nets, width))
    v, b1 = rng.normal(size=(nets, width)) / math.sqrt(width), rng.normal(size=nets)
    return np.stack([b1 + (v * erf(w * xi + b)).sum(axis=1) for xi in x], axis=1)


def test_measured_action_of_a_numpy_ensemble_agrees_with_the_exact_one():
    x = [-0.5, 0.7]
    f = erf_net_outputs(x, 5, 200_000, seed=2026)
    measured = nnqft.action(f=f, experiments=20)["couplings"]
    exact = nnqft.action("erf", width=5, x=[[v] for v in x])["couplings"]
    assert measured["source"][0] == "array" and measured["order"][0] == 2
    assert measured["indices"] == exact["indices"]
    z = (measured["coupling"] - exact["coupling"]) / measured["coupling_stderr"]
    print("largest |z|", np.abs(z).max())
    assert np.all(np.abs(z) <= Z_BOUND), z
    # power: the quartic couplings are resolved, and those of width 6 are rejected
    quartic = measured["n"] == 4
    assert np.all(np.abs(measured["coupling"][quartic]) > 10 * measured["coupling_stderr"][quartic])
    other = nnqft.action("erf", width=6, x=[[v] for v in x])["couplings"]
    z6 = (measured["coupling"] - other["coupling"]) / measured["coupling_stderr"]
    assert np.all(np.abs(z6[quartic]) > Z_BOUND)


def test_one_point_action_is_the_edgeworth_series():
    """One point: s4 = -kappa4 / G^4 and s6 = -kappa6 / G^6 + 10 kappa4^2 / G^7, with G, kappa4,
    kappa6 from nnqft.exact."""
    e = nnqft.exact("relu", 4, x=[[0.8]])
    g, k4, k6 = (e["g_exact"][0], e["connected_exact"][1], e["connected_exact"][2])
    t = nnqft.action("relu", width=4, x=[[0.8]])["couplings"]
    s = dict(zip(t["n"], t["coupling"]))
    assert math.isclose(s[4], -k4 / g**4 + 0.5 * k6 / g**5 - 3.5 * k4**2 / g**6, rel_tol=1e-12)
    assert math.isclose(s[6], -k6 / g**6 + 10 * k4**2 / g**7, rel_tol=1e-12)
    assert math.isclose(t["coupling_order1"][1], -k4 / g**4, rel_tol=1e-12)


def test_deep_action_is_first_order_by_default_and_second_on_request():
    t = nnqft.action("tanh", widths=[10, 10], x=[[0.3], [1.0]])["couplings"]  # not +-x: degenerate there
    assert t["source"][0] == "deep" and set(t["order"]) == {1}
    assert np.all(t["coupling"][t["n"] == 6] == 0.0)
    # order 1/n**2 (two points: within the 8-point limit): its order-1/n part is built from G2 and
    # kappa4 through 1/n**2, so it differs from the first-order call's couplings
    s = nnqft.action("tanh", widths=[10, 10], x=[[0.3], [1.0]], order=2)["couplings"]
    assert set(s["order"]) == {2} and np.all(np.isfinite(s["coupling"]))
    quartic = t["n"] == 4
    assert np.all(s["coupling_order1"][quartic] != t["coupling"][quartic])
    assert np.allclose(s["coupling_order1"][quartic], t["coupling"][quartic], rtol=0.2)


BAD = [
    (dict(), "network"),
    (dict(network="erf"), "network"),
    (dict(network="erf", width=5, widths=[5]), "network"),
    (dict(network="erf", width=0), "width"),
    (dict(network="erf", width=5, order=3), "order"),
    (dict(network="erf", width=5, order=0), "order"),
    (dict(network="softsign", width=5), "network"),
    (dict(network="relu", widths=[4, 4], x=[[0.1 * i] for i in range(9)], order=2), "order"),
    (dict(f=np.zeros((100, 2)), experiments=3), "experiments"),
    (dict(f=np.zeros(100)), "f"),
    (dict(network="erf", width=5, x=[[0.3], [0.3]]), "ill-conditioned"),
    (dict(network="cos", width=5, x=[[-1.5], [1.5]], deform_quartic=[-0.01]), "lambda"),
    (dict(network="cos", width=5, x=[[-1.5], [1.5]], deform_quartic=["a"]), "deform_quartic"),
    (dict(network="cos", width=5, x=[[-1.5], [1.5]], deform_quartic=[0.01], measure=0.0), "measure"),
    (dict(network="cos", width=5, x=[[-1.5], [1.5]], deform_quartic=[0.01], experiments=1), "experiments"),
    (dict(network="cos", widths=[4, 4], deform_quartic=[0.01]), "deform_quartic"),
    (dict(network="cos", width=5, nets=100), "nets"),
]


@pytest.mark.parametrize("bad,says", BAD, ids=[f"{s}-{i}" for i, (_, s) in enumerate(BAD)])
def test_action_rejects(bad, says):
    with pytest.raises(ValueError) as err:
        nnqft.action(**bad)
    assert says in str(err.value), str(err.value)


def test_locality_profile_of_the_cos_net_on_a_grid():
    """The Cos-net's kernel is translation invariant: on a grid its quartic coupling is largest on
    the diagonal; the shares of the squared norm add to one; f without x has no profile."""
    grid = [[-1.8 + 0.4 * i] for i in range(10)]
    loc = nnqft.action("cos", width=10, x=grid, order=1)["locality"]
    assert np.isclose(loc["cumulative_share"][-1], 1.0) and loc["spread"][0] == 0.0
    assert loc["mean_abs"][0] > loc["mean_abs"][1:].max()
    f = erf_net_outputs([-0.5, 0.7], 3, 4000, seed=1)
    assert len(nnqft.action(f=f)["locality"]["spread"]) == 0
    assert list(nnqft.action(f=f, x=[[-0.5], [0.7]])["locality"]["multisets"]) == [2, 3]  # spreads 0 and 1.2


DEFORMATION_COLUMNS = ["lambda", "site", "x", "measure", "expansion_parameter", "lambda_measured", "lambda_stderr",
                       "z", "effective_sample_size", "nets", "offdiagonal_max_z"]


def test_deformation_is_the_cli_bit_for_bit_and_measures_lambda_back(root, nnqft_bin, tmp_path):
    """phi^4 engineered on a three-site lattice of the Cos-net: the table of
    `nnqft action --deform-quartic` bit for bit (any thread count), and lambda measured back with
    the sign put in at each site. (At 2e5 nets the jackknife error of this estimator is itself
    uncertain by about half, so the 3-standard-error criterion is tested at 2e7 nets, in Rust:
    `cargo test -p nnqft-study --lib quartic_deformation -- --ignored`.)"""
    lattice = tmp_path / "lattice.txt"
    lattice.write_text("-1.5\n0\n1.5\n")
    kw = dict(width=50, x=str(lattice), deform_quartic=[8e-3], measure=1.5, nets=20000, experiments=10, seed=7)
    t = nnqft.action("cos", threads=1, **kw)["deformation"]
    out = tmp_path / "cli"
    cmd = nnqft_bin + ["action", "--network", "cos", "--width", "50", "--x-set", str(lattice), "--deform-quartic",
                       "8e-3", "--measure", "1.5", "--nets", "20000", "--experiments", "10", "--seed", "7",
                       "--threads", "2", "--out", str(out)]
    subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    cli = pq.read_table(out / "action_deformation.parquet").to_pydict()
    assert_same_table(t, cli, DEFORMATION_COLUMNS)
    assert list(t["site"]) == [0, 1, 2] and list(t["x"]) == ["-1.5", "0", "1.5"]
    assert np.all(np.asarray(t["lambda_measured"]) > 0), t["lambda_measured"]
    assert "deformation" not in nnqft.action("cos", width=50, x=str(lattice))

