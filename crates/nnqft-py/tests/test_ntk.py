"""Tests of `nnqft.ntk`: the table of the CLI's `ntk.parquet` column for column and bit for bit,
closed forms of the infinite-width NTK, relu's diagonal mean NTK against the infinite-width one
within a stated z bound, thread invariance, the released GIL, and the ValueError of each
invalid argument."""

import math
import subprocess
import threading
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

import nnqft
from tables import assert_same_table

#: Every |z| = |mean - exact| / stderr of a fixed-seed run must be at most this. With 20
#: experiments z follows Student's t with 19 degrees of freedom (P(|t| > 4) = 8e-4 per value);
#: the run is bit-exact, so the test is deterministic.
Z_BOUND = 4.0

#: Closed forms against the recursion: a few roundings.
ROUNDING = 1e-14

KEYS = ["network", "d_in", "sigma_w", "sigma_b", "x_set", "depth", "widths", "lambda_w", "lambda_b"]
THEORY_COLUMNS = KEYS + [
    "indices", "outputs", "theta_inf", "theta_shift_leading_order", "theta_inf_error", "theta_shift_leading_order_error",
    "g_gp",
]
SAMPLED_COLUMNS = KEYS + [
    "indices", "outputs", "theta_inf", "theta_shift_leading_order", "theta_inf_error", "theta_shift_leading_order_error",
    "theta_mean", "theta_stderr", "g_gp", "g2_mean", "g2_stderr",
]


def three_points(tmp_path):
    path = tmp_path / "three.txt"
    path.write_text("0.9 -0.4\n0.2 0.7\n-0.6 -0.3\n")
    return path


def cli_table(root, nnqft_bin, out, args, name="ntk.parquet"):
    cmd = nnqft_bin + ["ntk", *args, "--out", str(out)]
    subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    return pq.read_table(out / name).to_pydict()


FLUCTUATION_COLUMNS = KEYS + [
    "ntk_indices", "ntk_outputs", "indices", "outputs", "covariance_leading_order", "covariance_leading_order_error",
    "covariance_mean", "covariance_stderr", "cross_leading_order", "cross_leading_order_error", "cross_mean",
    "cross_stderr",
]


def test_ntk_fluctuations_are_the_cli_bit_for_bit(root, nnqft_bin, tmp_path):
    """The fluctuation table (`fluctuations=True`, `ntk_fluctuations.parquet`): two points, two
    outputs, 300 x 3 sampled tanh nets, every column value for value; more than 8 points is refused."""
    x = write_points(tmp_path, [0.3, -0.8])
    t = nnqft.ntk("tanh", [6, 6], x=str(x), d_out=2, nets=300, experiments=3, seed=5, threads=2, fluctuations=True)
    cli = cli_table(root, nnqft_bin, tmp_path / "f", [
        "--network", "tanh", "--widths", "6,6", "--d-out", "2", "--nets", "300", "--experiments", "3",
        "--seed", "5", "--x-set", str(x),
    ], name="ntk_fluctuations.parquet")
    assert len(t["indices"]) == 10 * 10  # 4 (output, point) pairs: 10 rows of ntk.parquet
    assert_same_table(t, cli, FLUCTUATION_COLUMNS)
    with pytest.raises(ValueError, match="fluctuations"):
        nnqft.ntk("tanh", [6], x=np.linspace(-1, 1, 9), fluctuations=True)


DNTK_COLUMNS = KEYS + [
    "ntk_indices", "ntk_outputs", "indices", "outputs", "dntk_preactivation_leading_order",
    "dntk_preactivation_leading_order_error", "dntk_preactivation_mean", "dntk_preactivation_stderr",
]


def test_ntk_dntk_is_the_cli_bit_for_bit(root, nnqft_bin, tmp_path):
    """The dNTK table (`dntk=True`, `nnqft ntk --dntk`'s `ntk_dntk.parquet`): two points, two
    outputs, 200 x 3 sampled tanh nets, every column value for value; theory alone without nets;
    the rows join ntk.parquet's on (ntk_indices, ntk_outputs)."""
    x = write_points(tmp_path, [0.3, -0.8])
    t = nnqft.ntk("tanh", [6, 6], x=str(x), d_out=2, nets=200, experiments=3, seed=5, threads=2, dntk=True)
    cli = cli_table(root, nnqft_bin, tmp_path / "d", [
        "--network", "tanh", "--widths", "6,6", "--d-out", "2", "--nets", "200", "--experiments", "3",
        "--seed", "5", "--x-set", str(x), "--dntk",
    ], name="ntk_dntk.parquet")
    assert len(t["indices"]) == 10 * 16  # 4 (output, point) pairs: 10 rows of ntk.parquet x 16
    assert_same_table(t, cli, DNTK_COLUMNS)
    ntk = nnqft.ntk("tanh", [6, 6], x=str(x), d_out=2)
    assert set(zip(t["ntk_indices"], t["ntk_outputs"])) == set(zip(ntk["indices"], ntk["outputs"]))
    theory = nnqft.ntk("tanh", [6, 6], x=str(x), d_out=2, dntk=True)
    assert list(theory) == DNTK_COLUMNS[:-2]
    assert np.array_equal(theory["dntk_preactivation_leading_order"], t["dntk_preactivation_leading_order"])


DDNTK_COLUMNS = KEYS + [
    "ntk_indices", "ntk_outputs", "indices", "outputs", "ddi_leading_order", "ddi_leading_order_error", "ddi_mean",
    "ddi_stderr", "ddii_leading_order", "ddii_leading_order_error", "ddii_mean", "ddii_stderr",
]


@pytest.mark.parametrize("widths", [[6], [6, 5]])
def test_ntk_ddntk_is_the_cli_bit_for_bit(root, nnqft_bin, tmp_path, widths):
    """The ddNTK table (`ddntk=True`, `nnqft ntk --ddntk`'s `ntk_ddntk.parquet`): two points, two
    outputs, 200 x 3 sampled tanh nets at L = 1 and L = 2, every column value for value (the
    leading orders filled at L = 1 and NaN, null in Parquet, at L = 2 while the theory is not
    derived there); theory alone without nets; one table per call."""
    x = write_points(tmp_path, [0.3, -0.8])
    t = nnqft.ntk("tanh", widths, x=str(x), d_out=2, nets=200, experiments=3, seed=5, threads=2, ddntk=True)
    cli = cli_table(root, nnqft_bin, tmp_path / "dd", [
        "--network", "tanh", "--widths", ",".join(map(str, widths)), "--d-out", "2", "--nets", "200",
        "--experiments", "3", "--seed", "5", "--x-set", str(x), "--ddntk",
    ], name="ntk_ddntk.parquet")
    assert len(t["indices"]) == 10 * 16  # 4 (output, point) pairs: 10 rows of ntk.parquet x 16
    assert_same_table(t, cli, DDNTK_COLUMNS)
    assert np.all(np.isfinite(t["ddi_mean"])) and np.any(t["ddi_mean"] != 0.0)
    if len(widths) == 1:
        assert np.all(np.isfinite(t["ddi_leading_order"])) and np.all(np.isfinite(t["ddii_leading_order"]))
    theory = nnqft.ntk("tanh", widths, x=str(x), d_out=2, ddntk=True)
    assert list(theory) == [c for c in DDNTK_COLUMNS if not c.endswith(("_mean", "_stderr"))]
    assert np.array_equal(theory["ddii_leading_order"], t["ddii_leading_order"], equal_nan=True)
    for other in ["dntk", "fluctuations"]:
        with pytest.raises(ValueError, match="ddntk"):
            nnqft.ntk("tanh", widths, x=str(x), ddntk=True, **{other: True})


def write_points(tmp_path, points):
    path = tmp_path / "points.txt"
    path.write_text("".join(f"{p}\n" for p in points))
    return path


def test_ntk_is_the_cli_bit_for_bit(root, nnqft_bin, tmp_path):
    """tanh, two outputs, its own priors and learning rates, 3 x 700 sampled nets: every column
    of `nnqft ntk`'s ntk.parquet, value for value; then the infinite-width table alone."""
    x = three_points(tmp_path)
    t = nnqft.ntk("tanh", [6, 5], x=str(x), d_out=2, sigma_w=1.2, sigma_b=0.3, lambda_w=0.8, lambda_b=1.3,
                  nets=700, experiments=3, seed=11, threads=2)
    cli = cli_table(root, nnqft_bin, tmp_path / "sampled", [
        "--network", "tanh", "--widths", "6,5", "--d-in", "2", "--x-set", str(x), "--d-out", "2",
        "--sigma-w", "1.2", "--sigma-b", "0.3", "--lambda-w", "0.8", "--lambda-b", "1.3",
        "--nets", "700", "--experiments", "3", "--seed", "11",
    ])
    assert_same_table(t, cli, SAMPLED_COLUMNS)
    assert len(t["indices"]) == 21  # 6 (output, point) pairs
    assert t["x_set"][0] == "three" and t["widths"][0] == "6,5" and t["depth"][0] == 2
    t = nnqft.ntk("gelu", [10, 10], critical=True, d_out=2)
    cli = cli_table(root, nnqft_bin, tmp_path / "theory", ["--network", "gelu", "--widths", "10,10", "--critical", "--d-out", "2"])
    assert_same_table(t, cli, THEORY_COLUMNS)


def test_deep_linear_ntk_closed_form(tmp_path):
    """Deep linear nets with C_b = lambda_b = 0: K = C_W**(L+1) x.x'/d and
    Theta = (L+1) lambda_W C_W**L x.x'/d, written out here; zero between different outputs."""
    x = np.array([[0.9, -0.4], [0.2, 0.7], [-0.6, -0.3]])
    c_w, lam, widths = 1.1**2, 0.6, [4, 7, 5]
    t = nnqft.ntk("linear", widths, x=x, d_out=2, sigma_w=1.1, sigma_b=0.0, lambda_w=lam)
    assert list(t) == THEORY_COLUMNS
    assert t["lambda_w"][0] == lam and t["lambda_b"][0] == 0.0
    depth = len(widths)
    for r, (idx, out) in enumerate(zip(t["indices"], t["outputs"])):
        a, b = map(int, idx.split(","))
        i, j = map(int, out.split(","))
        dot = float(x[a] @ x[b]) / 2 * (i == j)
        assert t["g_gp"][r] == pytest.approx(c_w ** (depth + 1) * dot, rel=ROUNDING, abs=ROUNDING)
        assert t["theta_inf"][r] == pytest.approx((depth + 1) * lam * c_w**depth * dot, rel=ROUNDING, abs=ROUNDING)


def test_relu_diagonal_mean_ntk_is_the_infinite_width_one():
    """relu at criticality (C_W = 2, C_b = 0), n = 20, L = 2: on the diagonal the mean NTK has
    no 1/n shift (Guillen, Misof, Gerken, arXiv:2508.11522), and E f(x)**2 = K(x, x) exactly
    (E[relu(z)**2 | G] = G/2 is linear in G); there Theta(x, x) = (L+1) K(x, x) with
    K(x, x) = 2 |x|**2 / d at every layer. 20 experiments of 10,000 nets, seed 2027."""
    x = np.array([[1.0, 0.5], [-0.3, 0.8]])
    t = nnqft.ntk("relu", [20, 20], x=x, nets=10_000, experiments=20, seed=2027)
    zs = []
    for r, idx in enumerate(t["indices"]):
        a, b = map(int, idx.split(","))
        if a != b:
            continue
        k = 2 * float(x[a] @ x[a]) / 2
        assert t["g_gp"][r] == pytest.approx(k, rel=ROUNDING)
        assert t["theta_inf"][r] == pytest.approx(3 * k, rel=ROUNDING)
        z_theta = (t["theta_mean"][r] - t["theta_inf"][r]) / t["theta_stderr"][r]
        z_g2 = (t["g2_mean"][r] - t["g_gp"][r]) / t["g2_stderr"][r]
        zs += [z_theta, z_g2]
        print(f"relu ({a},{a}): theta {t['theta_mean'][r]:.5f} +- {t['theta_stderr'][r]:.5f} vs "
              f"{t['theta_inf'][r]:.5f} (z = {z_theta:.2f}); G2 z = {z_g2:.2f}")
    assert len(zs) == 4
    assert max(abs(z) for z in zs) <= Z_BOUND, zs


def test_ntk_does_not_depend_on_threads_and_follows_the_seed():
    args = dict(nets=3000, experiments=2, x=[0.3, -0.8])
    one = nnqft.ntk("tanh", [8, 8], seed=4, threads=1, **args)
    three = nnqft.ntk("tanh", [8, 8], seed=4, threads=3, **args)
    other = nnqft.ntk("tanh", [8, 8], seed=5, threads=3, **args)
    assert np.array_equal(one["theta_mean"], three["theta_mean"])
    assert np.array_equal(one["g2_stderr"], three["g2_stderr"])
    assert not np.array_equal(one["theta_mean"], other["theta_mean"])


def test_ntk_releases_the_gil():
    """While one thread samples, another keeps running Python: the longest pause between its
    loop iterations is a small part of the sampling time (with the GIL held it would be all of
    it)."""
    done = {}

    def work():
        t0 = time.perf_counter()
        nnqft.ntk("tanh", [30, 30], nets=40_000, experiments=2, threads=1, seed=1)
        done["secs"] = time.perf_counter() - t0

    worker = threading.Thread(target=work)
    stamps = [time.perf_counter()]
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())
    worker.join()
    longest = float(np.max(np.diff(stamps)))
    assert done["secs"] > 0.2, "ntk too fast to tell"
    assert longest < 0.5 * done["secs"], f"longest pause {longest:.3f} s of {done['secs']:.3f} s"


def test_ntk_has_a_docstring_and_signature():
    assert nnqft.ntk.__doc__ and "theta_inf" in nnqft.ntk.__doc__
    assert nnqft.ntk.__text_signature__.startswith("(network, widths, *")
    assert "seed=20200818" in nnqft.ntk.__text_signature__


BAD = [
    (dict(network="softsign"), "network"),
    (dict(network=3), "network"),
    (dict(widths=[]), "widths"),
    (dict(widths=[5, 0]), "widths"),
    (dict(widths="5"), "widths"),
    (dict(d_out=0), "d_out"),
    (dict(x=np.linspace(0.1, 1, 128), d_out=2), "d_out"),  # 256 (output, point) pairs
    (dict(sigma_w=-1.0), "sigma_w"),
    (dict(sigma_b=math.nan), "sigma_b"),
    (dict(critical="yes"), "critical"),
    (dict(critical=True, sigma_w=1.0), "critical"),
    (dict(x="no-such-set"), "x"),
    (dict(x=[]), "x"),
    (dict(lambda_w=-1.0), "lambda_w"),
    (dict(lambda_b=math.inf), "lambda_b"),
    (dict(lambda_w="fast"), "lambda_w"),
    (dict(nets=0), "nets"),
    (dict(nets=2.5), "nets"),
    (dict(nets=2**63, experiments=4), "nets"),
    (dict(nets=10, experiments=1), "experiments"),
    (dict(nets=10, seed=-1), "seed"),
    (dict(nets=10, threads=0), "threads"),
    (dict(dntk="yes"), "dntk"),
    (dict(dntk=True, fluctuations=True), "dntk"),
    (dict(dntk=True, x=np.linspace(-1, 1, 9)), "input points"),  # the dNTK: at most 8 points
    (dict(dntk=True, x=[0.1, 0.5, 0.9], d_out=6), "d_out"),  # and 16 (output, point) pairs
    (dict(network="gauss", widths=[5], dntk=True), "gauss"),
]


@pytest.mark.parametrize("bad,field", BAD, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD)])
def test_ntk_rejects(bad, field):
    args = dict(network="tanh", widths=[5, 5])
    args.update(bad)
    network, widths = args.pop("network"), args.pop("widths")
    with pytest.raises(ValueError) as err:
        nnqft.ntk(network, widths, **args)
    message = str(err.value)
    assert field in message, message
    assert "allowed" in message, message
