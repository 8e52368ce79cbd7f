"""Options of the command line that Python lacked: `sample --widths/--d-out` (deep networks, their
G6 included) as `nnqft.sample(..., widths=, d_out=)`, bit for bit as the CLI, `ntk --d-in` as
`nnqft.ntk(..., d_in=)`, and `theory --width-scan N1,N2` as `nnqft.exact(network, [N1, N2])`."""

import subprocess

import numpy as np
import pyarrow.parquet as pq
import pytest

import nnqft
from tables import assert_same_table

# |z| bound for a leading-order comparison at a width where the next order is far below the noise
Z_BOUND = 5.0


def test_deep_sample_is_the_cli_bit_for_bit(root, nnqft_bin, tmp_path):
    args = dict(widths=[6, 6], d_out=2, nets=3000, experiments=3, seed=11, x=[-0.5, 0.5])
    out = tmp_path / "deep"
    cmd = nnqft_bin + ["sample", "--network", "tanh", "--widths", "6,6", "--d-out", "2", "--nets", "3000",
                       "--experiments", "3", "--seed", "11", "--x-set", str(tmp_path / "x.csv"), "--threads", "2",
                       "--no-progress", "--per-experiment", "--out", str(out)]
    (tmp_path / "x.csv").write_text("-0.5\n0.5\n")
    subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    mine = nnqft.sample("tanh", **args, threads=1)
    theirs = pq.read_table(out / "correlators.parquet").to_pydict()
    assert_same_table(mine, theirs, [c for c in theirs if c != "run_id"])
    # orders 2, 4 and 6 over the 4 (output, point) pairs: 10 + 35 + 84 multisets
    assert [int((mine["n"] == n).sum()) for n in (2, 4, 6)] == [10, 35, 84]
    # per experiment: the CLI's correlators_experiments.parquet, bit for bit
    per = pq.read_table(out / "correlators_experiments.parquet").to_pydict()
    with_experiments = nnqft.sample("tanh", **args, per_experiment=True)
    g = np.array(per["g"]).reshape(len(mine["n"]), args["experiments"])
    assert np.array_equal(np.stack(with_experiments["g_experiments"]), g)


def test_a_paper_network_with_one_width_is_the_one_layer_ensemble():
    one = nnqft.sample("erf", 5, nets=1000, experiments=2, seed=3)
    listed = nnqft.sample("erf", widths=[5], nets=1000, experiments=2, seed=3)
    assert np.array_equal(one["g_mean"], listed["g_mean"])
    assert np.isfinite(one["g_exact"]).all()


def test_deep_g4_agrees_with_its_leading_order():
    # relu at criticality, L = 2, n = 100, two points in d_in = 2: the connected G4 (measured G4 minus
    # the Wick sum of the measured G2) is order 1/n, its next order 1/n^2 (2.5% of it here, 0.25% of
    # G4), below the standard error of 10 x 20,000 nets (about 0.7% of G4). Measured with seed 5:
    # |z| 1.2 to 1.8 against the leading order, 58 to 75 standard errors against none.
    t = nnqft.sample("relu", widths=[100, 100], nets=20_000, experiments=10, seed=5, x=[[1.0, 0.0], [0.6, 0.8]])
    g2 = {tuple(map(int, i.split(","))): g for i, g, n in zip(t["indices"], t["g_mean"], t["n"]) if n == 2}
    four = t["n"] == 4
    idx = [tuple(map(int, i.split(","))) for i, n in zip(t["indices"], t["n"]) if n == 4]
    wick = np.array([g2[(a, b)] * g2[(c, d)] + g2[(a, c)] * g2[(b, d)] + g2[(a, d)] * g2[(b, c)]
                     for a, b, c, d in idx])
    connected = t["g_mean"][four] - wick
    z = (connected - t["connected_leading_order"][four]) / t["g_stderr"][four]
    assert np.abs(z).max() < Z_BOUND, z
    # and the leading order is seen: the GP alone (no connected part) is far off
    assert np.abs(connected / t["g_stderr"][four]).max() > Z_BOUND


def test_ntk_takes_d_in():
    t = nnqft.ntk("relu", [8], x=[[0.1, 0.2], [0.3, -0.4]], d_in=2)
    assert set(t["d_in"].tolist()) == {2}
    with pytest.raises(ValueError, match="d_in"):
        nnqft.ntk("relu", [8], x=[[0.1, 0.2], [0.3, -0.4]], d_in=3)


def test_exact_takes_a_width_scan_as_theory_does(root, nnqft_bin, tmp_path):
    out = tmp_path / "theory"
    cmd = nnqft_bin + ["theory", "--network", "relu", "--width-scan", "3,10", "--out", str(out)]
    subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    scan = nnqft.exact("relu", [3, 10])
    theirs = pq.read_table(out / "theory.parquet").to_pydict()
    assert_same_table(scan, theirs, [c for c in theirs if c != "run_id"])
    at3 = nnqft.exact("relu", 3)
    rows = scan["width"] == 3
    assert np.array_equal(scan["g_exact"][rows], at3["g_exact"], equal_nan=True)
    # no widths: the GP alone, as theory without --width-scan
    gp_out = tmp_path / "gp"
    subprocess.run(nnqft_bin + ["theory", "--network", "relu", "--out", str(gp_out)], cwd=root, check=True,
                   stdout=subprocess.DEVNULL, timeout=3600)
    theirs = pq.read_table(gp_out / "theory.parquet").to_pydict()
    assert_same_table(nnqft.exact("relu", []), theirs, [c for c in theirs if c != "run_id"])
    for bad in ([3, 0], 2.5, True, "3", -1):
        with pytest.raises(ValueError, match="invalid width"):
            nnqft.exact("relu", bad)


@pytest.mark.parametrize("kwargs, field", [
    (dict(), "width"),
    (dict(width=5, widths=[5]), "width"),
    (dict(widths=[]), "widths"),
    (dict(widths=[5, 0]), "widths"),
    (dict(widths="5"), "widths"),
    (dict(widths=[5, 5], d_out=0), "d_out"),
    (dict(widths=[5, 5], estimator="conditional_cv"), "estimator"),
])
def test_bad_deep_sample_arguments_are_value_errors_naming_them(kwargs, field):
    with pytest.raises(ValueError, match=field):
        nnqft.sample("tanh", nets=100, experiments=2, **kwargs)
