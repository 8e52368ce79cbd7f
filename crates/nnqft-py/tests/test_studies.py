"""The studies of `cargo xtask reproduce` as Python functions (`nnqft.scaling`, `nnqft.table5`,
`nnqft.rg`, `nnqft.depth`, `nnqft.ntk_study`, `nnqft.action_study`): every table equal, column for column and bit for bit, to the Parquet
file the CLI writes at the same profile and seed; the caller's sizes; bad arguments."""

import subprocess

import numpy as np
import pyarrow.parquet as pq
import pytest

import nnqft
from tables import assert_same_table

STUDIES = [nnqft.scaling, nnqft.table5, nnqft.rg, nnqft.depth, nnqft.ntk_study, nnqft.action_study]
SEED = 7


@pytest.fixture(scope="module")
def reproduced(root, cli, tmp_path_factory):
    """`cargo xtask reproduce --profile quick --seed 7` (about a minute on 2 cores): its folder."""
    out = tmp_path_factory.mktemp("reproduce") / "quick"
    cmd = cli + ["reproduce", "--profile", "quick", "--seed", str(SEED), "--threads", "2", "--no-progress",
                 "--out", str(out)]
    subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    return out


def test_every_study_table_is_the_reproduce_parquet_bit_for_bit(reproduced):
    tables = {}
    for study in STUDIES:
        # one thread here, two in the CLI: the numbers do not depend on it
        for stem, table in study("quick", seed=SEED, threads=1).items():
            assert stem not in tables, stem
            tables[stem] = table
    # every Parquet report of reproduce has its Python table, and no other
    assert sorted(tables) == sorted(p.stem for p in reproduced.glob("*.parquet"))
    for stem, table in tables.items():
        theirs = pq.read_table(reproduced / f"{stem}.parquet").to_pydict()
        assert_same_table(table, theirs, [c for c in theirs if c != "run_id"])
        assert len(table["network"]) > 0, stem


def test_the_callers_sizes_are_the_studies_sizes():
    t = nnqft.scaling(widths=[3, 30], experiments=2, nets=500, seed=1)
    assert sorted(set(t["scaling"]["width"].tolist())) == [3, 30]
    assert set(t["scaling"]["d_in"].tolist()) == {1}
    assert set(t["scaling_fits"]["widths_used"]) <= {"", "3", "30", "3,30"}
    d = nnqft.depth(networks=["relu"], depths=[1, 3], widths=[8], raw_width=8, experiments=2, nets=300)
    rows = d["depth"]
    assert set(rows["network"]) == {"relu"} and sorted(set(rows["depth"].tolist())) == [1, 3]
    assert set(rows["estimator"]) == {"conditional", "raw"}
    # relu at criticality: the leading order is 5L/n on the diagonal, and the exact value is (1 + 5/n)^L - 1
    diag = np.array([len(set(s.split(","))) == 1 for s in rows["indices"]])
    lo = rows["r_leading_order"][diag]
    assert np.allclose(lo, 5 * rows["depth"][diag] / 8, rtol=1e-12)
    assert np.allclose(rows["r_exact"][diag], (1 + 5 / 8) ** rows["depth"][diag] - 1, rtol=1e-12)
    # through order 1/n^2 the same expansion to its second term, on the diagonal only
    depth = rows["depth"][diag]
    assert np.allclose(rows["r_next_order"][diag], 5 * depth / 8 + 25 * depth * (depth - 1) / 2 / 64, rtol=1e-9)
    assert np.all(np.isnan(np.asarray(rows["r_next_order"][~diag], dtype=float)))
    # the same sizes and seed, the same numbers, for any thread count
    again = nnqft.depth(networks=["relu"], depths=[1, 3], widths=[8], raw_width=8, experiments=2, nets=300,
                        threads=2)
    assert np.array_equal(again["depth"]["r_mean"], rows["r_mean"], equal_nan=True)
    # the next orders: relu's diagonal G2 is K at any width (K1 = 0, exact 0), and its diagonal
    # r6 has the exact one-input value prod(1 + 15/n + 44/n^2) - 3 prod(1 + 5/n) + 2
    shift, six = d["depth_shift"], d["depth_six_point"]
    assert set(shift["n"].tolist()) == {2} and set(six["n"].tolist()) == {6}
    sdiag = np.array([len(set(s.split(","))) == 1 for s in shift["indices"]])
    assert np.all(np.abs(shift["shift_leading_order"][sdiag]) < 1e-12)
    assert np.all(shift["shift_exact"][sdiag] == 0.0)
    six_diag = np.array([len(set(s.split(","))) == 1 for s in six["indices"]])
    depth = six["depth"][six_diag]
    exact = (1 + 15 / 8 + 44 / 64) ** depth - 3 * (1 + 5 / 8) ** depth + 2
    assert np.allclose(six["r6_exact"][six_diag], exact, rtol=1e-12)
    assert np.array_equal(again["depth_six_point"]["r6_mean"], six["r6_mean"], equal_nan=True)


def test_ntk_study_takes_the_callers_sizes():
    t = nnqft.ntk_study(networks=["relu"], depths=[1], widths=[6], experiments=3, nets=400, seed=1)["ntk_study"]
    assert set(t["network"]) == {"relu"} and set(t["depth"].tolist()) == {1} and set(t["width"].tolist()) == {6}
    # 21 pairs of the six points, three quantities
    assert len(t["network"]) == 63
    assert set(t["quantity"]) == {"mean_shift", "variance", "cross_correlation"}
    # one hidden layer: the mean NTK has no 1/n shift
    shift = np.array(t["quantity"]) == "mean_shift"
    assert np.all(t["predicted"][shift] == 0.0)
    # the bounds on the quadrature errors: never negative, and none where there is no shift to compute
    assert np.all(t["predicted_error"] >= 0.0)
    assert np.all(t["predicted_error"][shift] == 0.0)


def test_action_study_sizes_and_threads():
    a = nnqft.action_study(networks=["cos"], widths=[3, 10], experiments=2, nets=2000, seed=1)
    assert set(a["action_density"]["network"]) == {"cos"}
    assert sorted(set(a["action_density"]["width"].tolist())) == [3, 10]
    # s_2, s_4, s_6 on every multiset of the two points: 3 + 5 + 7 rows per width
    assert len(a["action"]["coupling"]) == 2 * 15
    again = nnqft.action_study(networks=["cos"], widths=[3, 10], experiments=2, nets=2000, seed=1, threads=2)
    assert np.array_equal(again["action_density"]["distance_squared"], a["action_density"]["distance_squared"])
    # the distances the action predicts without sampling, out to N = 1280: the GP's local slope near -1 there
    pred = a["action_density_predicted"]
    assert sorted(set(pred["width"].tolist())) == [3, 10, 40, 80, 160, 320, 640, 1280]
    gp = np.array(pred["order"]) == "GP"
    assert abs(np.asarray(pred["local_slope_predicted"])[gp][-1] + 1.0) < 0.01
    # the locality of the quartic coupling: the 16 spreads of the grid, shares adding up to 1, and
    # the local coupling's row, at the locality width 10
    loc, local = a["action_locality"], a["action_local_coupling"]
    assert set(loc["network"]) == {"cos"} and len(loc["spread"]) == 16
    assert np.allclose(loc["spread"], 0.5 * np.arange(16), rtol=0, atol=1e-12)
    assert abs(np.sum(loc["norm_share"]) - 1.0) < 1e-12 and abs(loc["cumulative_share"][-1] - 1.0) < 1e-12
    # one row per grid of the refinement, the locality grid last
    assert local["network"] == ["cos"] * 5 and local["width"].tolist() == [10] * 5
    assert local["points"].tolist() == [8, 10, 12, 14, 16]
    assert local["lambda_diagonal_min"][-1] <= local["lambda_diagonal_mean"][-1] <= local["lambda_diagonal_max"][-1]
    # the coupling in G2's eigenbasis: one row per mode, shares adding up to 1, every mode kept
    # giving the tensor's own diagonal back
    modes = a["action_local_modes"]
    assert modes["mode"].tolist() == list(range(1, 17))
    assert abs(np.sum(modes["norm_share"]) - 1.0) < 1e-12 and abs(modes["cumulative_share"][-1] - 1.0) < 1e-12
    assert abs(modes["lambda_diagonal"][-1] / local["lambda_diagonal_mean"][-1] - 1.0) < 1e-6


def test_progress_counts_every_net():
    seen = []
    nnqft.table5(experiments=2, nets=100, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] and all(t == seen[0][1] for _, t in seen)


@pytest.mark.parametrize("study, kwargs, field", [
    (nnqft.scaling, dict(profile="fast"), "profile"),
    (nnqft.scaling, dict(profile=1), "profile"),
    (nnqft.scaling, dict(dims=[4]), "dims"),
    (nnqft.scaling, dict(dims=[0]), "dims"),
    (nnqft.scaling, dict(widths=[]), "widths"),
    (nnqft.scaling, dict(widths=[5, 5]), "widths"),
    (nnqft.scaling, dict(widths="5"), "widths"),
    (nnqft.scaling, dict(experiments=1), "experiments"),
    (nnqft.scaling, dict(progress="yes"), "progress"),
    (nnqft.table5, dict(nets=0), "nets"),
    (nnqft.table5, dict(nets=2**63, experiments=4), "nets"),
    (nnqft.rg, dict(seed=-1), "seed"),
    (nnqft.rg, dict(threads=0), "threads"),
    (nnqft.depth, dict(networks=["gauss"]), "networks"),
    (nnqft.depth, dict(networks="relu"), "networks"),
    (nnqft.depth, dict(networks=["relu", "relu"]), "networks"),
    (nnqft.depth, dict(depths=[0]), "depths"),
    (nnqft.depth, dict(widths=[2.5]), "widths"),
    (nnqft.depth, dict(raw_width=0), "raw_width"),
    (nnqft.depth, dict(experiments=True), "experiments"),
    (nnqft.ntk_study, dict(networks=["softplus"]), "networks"),
    (nnqft.ntk_study, dict(networks="relu"), "networks"),
    (nnqft.ntk_study, dict(depths=[0]), "depths"),
    (nnqft.ntk_study, dict(widths=[]), "widths"),
    (nnqft.ntk_study, dict(nets=1), "nets"),
    (nnqft.action_study, dict(networks=["tanh"]), "networks"),
    (nnqft.action_study, dict(networks="erf"), "networks"),
    (nnqft.action_study, dict(widths=[0]), "widths"),
    (nnqft.action_study, dict(experiments=1), "experiments"),
])
def test_bad_arguments_are_value_errors_naming_them(study, kwargs, field):
    with pytest.raises(ValueError, match=rf"invalid {field} = .*allowed range is"):
        study(**kwargs)
