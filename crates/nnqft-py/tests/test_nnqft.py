"""Tests of the Python package `nnqft`: every function, agreement with exact theory within a
stated z bound, the CLI's numbers bit for bit, thread invariance, the released GIL, the
ValueError of each invalid argument, and the README's example."""

import math
import re
import subprocess
import threading
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

import nnqft
from tables import assert_same_table

#: Every |z| = |g_mean - g_exact| / g_stderr of a fixed-seed sample must be at most this.
#: With 20 experiments z follows Student's t with 19 degrees of freedom (P(|t| > 4) = 8e-4
#: per value); the multisets of one ensemble are strongly correlated, and the fixed seeds
#: below give max |z| = 2.5. The sampler is bit-exact, so the test is deterministic.
Z_BOUND = 4.0

CORRELATOR_COLUMNS = [
    "network", "d_in", "depth", "width", "widths", "n", "indices", "outputs", "estimator",
    "g_mean", "g_stderr", "g_std_experiments", "g_gp", "shift_leading_order", "connected_leading_order", "g_exact",
]


def small(**kw):
    """A quick erf ensemble."""
    args = dict(nets=2000, experiments=3, seed=5)
    args.update(kw)
    return nnqft.sample("erf", 5, **args)


# --- sample ------------------------------------------------------------------------------


def test_sample_returns_the_columns_of_correlators_parquet(root):
    t = small()
    assert list(t) == CORRELATOR_COLUMNS
    report = pq.read_schema(root / "reports" / "correlators.parquet").names
    assert [c for c in report if c != "run_id"] == CORRELATOR_COLUMNS
    rows = len(t["n"])
    assert rows == 21 + 126 + 462  # multisets of order 2, 4, 6 of the 6 paper points
    for name, col in t.items():
        assert len(col) == rows, name
    assert t["g_mean"].dtype == np.float64 and t["n"].dtype == np.int64
    assert set(t["network"]) == {"erf"} and set(t["estimator"]) == {"conditional"}
    assert t["indices"][0] == "0,0" and t["indices"][21] == "0,0,0,0"


def test_tables_are_accepted_by_pandas_and_polars():
    t = small()
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(t)
    assert list(df.columns) == CORRELATOR_COLUMNS and len(df) == 609
    assert df.g_mean.dtype == np.float64
    try:
        import polars as pl
    except ImportError:
        return
    assert pl.DataFrame(t).columns == CORRELATOR_COLUMNS


@pytest.mark.parametrize(
    "network,width,estimator",
    [("erf", 3, "conditional"), ("erf", 20, "raw"), ("relu", 5, "conditional"),
     ("relu", 20, "conditional_cv"), ("gauss", 3, "bias_integrated"), ("cos", 3, "conditional"),
     ("cos", 5, "raw")],
)
def test_sample_agrees_with_exact_theory(network, width, estimator):
    nets = 2000 if estimator == "bias_integrated" else 10000
    t = nnqft.sample(network, width, nets=nets, experiments=20, estimator=estimator, seed=11)
    g, exact, se = t["g_mean"], t["g_exact"], t["g_stderr"]
    assert np.all(np.isfinite(exact))
    # no spread beyond rounding (G2 of conditional_cv and of bias_integrated is K itself): equal
    fixed = se <= 1e-12 * np.abs(exact)
    assert np.allclose(g[fixed], exact[fixed], rtol=1e-12, atol=0)
    z = (g[~fixed] - exact[~fixed]) / se[~fixed]
    assert np.abs(z).max() <= Z_BOUND, f"max |z| = {np.abs(z).max():.2f}"
    # and the GP limit is not what was measured at small width (the 1/N correction is seen)
    if width <= 5 and estimator == "conditional":
        n4 = t["n"] == 4
        z_gp = (g[n4] - t["g_gp"][n4]) / se[n4]
        assert np.abs(z_gp).max() > 2 * Z_BOUND


def test_sample_is_the_cli_bit_for_bit(root, cli, nnqft_bin, tmp_path):
    cases = [
        (dict(network="erf", width=5, nets=5000, experiments=3, seed=7, per_experiment=True), ["--per-experiment"]),
        (dict(network="relu", width=4, nets=3000, experiments=2, seed=2**64 - 1, estimator="conditional_cv",
              x="table5-train-relu"), ["--estimator", "conditional_cv", "--x-set", "table5-train-relu"]),
        (dict(network="gauss", width=3, nets=4100, experiments=2, seed=0, estimator="raw", d_in=2,
              sigma_w=1.5, sigma_b=0.5), ["--estimator", "raw", "--d-in", "2", "--sigma-w", "1.5", "--sigma-b", "0.5"]),
    ]
    for k, (args, extra) in enumerate(cases):
        out = tmp_path / f"cli{k}"
        cmd = cli + ["sample", "--network", args["network"], "--width", str(args["width"]), "--nets",
                     str(args["nets"]), "--experiments", str(args["experiments"]), "--seed", str(args["seed"]),
                     "--threads", "2", "--no-progress", "--out", str(out)] + extra
        subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
        report = pq.read_table(out / "correlators.parquet").to_pydict()
        mine = nnqft.sample(**args, threads=1)
        for name in CORRELATOR_COLUMNS:
            theirs = report[name]
            if mine[name].__class__ is list:
                assert mine[name] == theirs, name
            else:
                theirs = np.array([math.nan if v is None else v for v in theirs], dtype=mine[name].dtype)
                # bit for bit (NaN where the CLI writes null)
                assert np.array_equal(mine[name], theirs, equal_nan=mine[name].dtype.kind == "f"), name
        if k == 0:
            # the per-experiment values: the CLI's correlators_experiments.parquet, bit for bit
            per = pq.read_table(out / "correlators_experiments.parquet").to_pydict()
            g = np.array(per["g"]).reshape(len(mine["n"]), args["experiments"])
            assert np.array_equal(np.stack(mine["g_experiments"]), g)
            assert per["experiment"][: args["experiments"]] == list(range(args["experiments"]))
            # fit reads the CLI's file (pathlib.Path or str) as it reads the dict
            from_dict = nnqft.fit(mine)
            for path in (out / "correlators.parquet", str(out / "correlators.parquet")):
                from_file = nnqft.fit(path)
                assert from_file["model"] == from_dict["model"]
                for name in ("lambda0", "lambda2", "lambda_nl", "train_mse"):
                    assert np.array_equal(from_file[name], from_dict[name], equal_nan=True), name
            # `nnqft fit` on the same sample: the same columns and numbers, standard errors included
            fit_out = tmp_path / "fit"
            fit_cmd = nnqft_bin + ["fit", str(out), "--network", "erf", "--out", str(fit_out)]
            subprocess.run(fit_cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
            fits = pq.read_table(fit_out / "fits.parquet").to_pydict()
            assert [c for c in fits if c != "run_id"] == list(from_dict)
            for name in from_dict:
                if isinstance(from_dict[name], list):
                    assert from_dict[name] == fits[name], name
                else:
                    theirs = np.array([math.nan if v is None else v for v in fits[name]], dtype=from_dict[name].dtype)
                    assert np.array_equal(from_dict[name], theirs, equal_nan=from_dict[name].dtype.kind == "f"), name
            assert np.isfinite(from_dict["lambda0_stderr"][2])  # M1: fitted per experiment too


def test_sample_does_not_depend_on_threads():
    runs = [small(nets=9000, threads=t) for t in (1, 2, 3, None)]
    for r in runs[1:]:
        for name in ("g_mean", "g_stderr", "g_std_experiments"):
            assert np.array_equal(r[name], runs[0][name]), name


def test_same_seed_same_numbers_other_seed_other_numbers():
    a, b, c = small(seed=3), small(seed=3), small(seed=4)
    assert np.array_equal(a["g_mean"], b["g_mean"])
    assert not np.array_equal(a["g_mean"], c["g_mean"])


def test_sample_releases_the_gil():
    """While one thread samples, another keeps running Python: the longest pause between
    its loop iterations is a small part of the sampling time (with the GIL held it would be
    all of it)."""
    done = {}

    def work():
        t0 = time.perf_counter()
        nnqft.sample("erf", 20, nets=150_000, experiments=2, threads=1, seed=1)
        done["secs"] = time.perf_counter() - t0

    worker = threading.Thread(target=work)
    stamps = [time.perf_counter()]
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())
    worker.join()
    longest = float(np.max(np.diff(stamps)))
    assert done["secs"] > 0.2, "sample too fast to tell"
    assert longest < 0.5 * done["secs"], f"longest pause {longest:.3f} s of {done['secs']:.3f} s"


def test_sample_accepts_points_as_arrays_and_files(tmp_path):
    pts = [-1.0, -0.6, -0.2, 0.2, 0.6, 1.0]  # the paper's erf set
    by_name = small(x="scaling-erf-d1")
    by_list = small(x=pts)
    by_2d = small(x=np.array(pts)[:, None])
    f = tmp_path / "points.txt"
    f.write_text("# six points\n" + "\n".join(str(p) for p in pts) + "\n")
    by_file, by_path = small(x=str(f)), small(x=f)
    for t in (by_list, by_2d, by_file, by_path):
        assert np.array_equal(t["g_mean"], by_name["g_mean"])
    two_d = nnqft.sample("relu", 3, nets=500, experiments=2, x=[[0.5, 1.0], [1.0, 0.5]])
    assert set(two_d["d_in"]) == {2}
    # erf in d_in = 5: sampled, g_exact left NaN (its quadrature would take hours)
    five_d = nnqft.sample("erf", 3, nets=500, experiments=2, x=np.eye(5)[:2])
    assert np.all(np.isnan(five_d["g_exact"])) and np.all(np.isfinite(five_d["g_mean"]))


# --- gp, kernel, exact -------------------------------------------------------------------


def test_gp_is_the_wick_sum_of_the_kernel():
    K = nnqft.kernel("relu", x=[0.2, 0.7, 1.1])
    assert K.shape == (3, 3) and np.allclose(K, K.T)
    t = nnqft.gp("relu", x=[0.2, 0.7, 1.1])
    assert list(t) == ["network", "d_in", "n", "indices", "g_gp"]
    for label, n, v in zip(t["indices"], t["n"], t["g_gp"]):
        idx = [int(i) for i in label.split(",")]
        assert len(idx) == n
        if n == 2:
            assert v == pytest.approx(K[idx[0], idx[1]], rel=1e-14)
        if n == 4:
            a, b, c, d = idx
            wick = K[a, b] * K[c, d] + K[a, c] * K[b, d] + K[a, d] * K[b, c]
            assert v == pytest.approx(wick, rel=1e-13)
    # ReLU with sigma_b = 0 on one point: K = sigma_w^2 x^2 / 2 (d = 1)
    assert nnqft.kernel("relu", x=[2.0])[0, 0] == pytest.approx(2.0, rel=1e-14)


#: The columns of `nnqft theory`'s theory.parquet (a paper network), which nnqft.exact returns.
THEORY_COLUMNS = [
    "network", "d_in", "sigma_w", "sigma_b", "x_set", "width", "n", "indices", "g_gp", "g_exact", "connected_exact",
]


def test_exact_is_the_cli_theory_table_bit_for_bit(root, nnqft_bin, tmp_path):
    t = nnqft.exact("relu", 7, x="table5-train-relu", sigma_b=0.5)
    out = tmp_path / "theory"
    cmd = nnqft_bin + ["theory", "--network", "relu", "--width-scan", "7", "--x-set", "table5-train-relu",
                       "--sigma-b", "0.5", "--out", str(out)]
    subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    assert_same_table(t, pq.read_table(out / "theory.parquet").to_pydict(), THEORY_COLUMNS)
    assert t["width"].dtype == np.int64


#: Priors whose correlators would overflow float64, each with the field its refusal names.
OVERFLOWING = [
    ("exact", ("erf", 5), dict(sigma_w=1e60), ["theory", "--network", "erf", "--width-scan", "5", "--sigma-w", "1e60"]),
    ("gp", ("relu",), dict(sigma_w=1e60), ["theory", "--network", "relu", "--sigma-w", "1e60"]),
    ("theory", ("relu", [5, 5, 5]), dict(sigma_w=1e30),
     ["theory", "--network", "relu", "--widths", "5,5,5", "--sigma-w", "1e30"]),
    ("exact", ("gauss", 5), dict(sigma_b=10.0), ["theory", "--network", "gauss", "--width-scan", "5", "--sigma-b", "10"]),
]


@pytest.mark.parametrize("fn,args,kw,argv", OVERFLOWING, ids=[f"{o[0]}-{i}" for i, o in enumerate(OVERFLOWING)])
def test_overflowing_priors_are_refused_in_python_as_on_the_cli(fn, args, kw, argv, root, nnqft_bin, tmp_path):
    """The checked network specification is the library's, so Python refuses what the CLI refuses,
    in the same words (the field and its allowed range), before computing anything."""
    with pytest.raises(ValueError) as err:
        getattr(nnqft, fn)(*args, **kw)
    message = str(err.value)
    assert "sigma_w, sigma_b and the inputs" in message and "allowed range is" in message, message
    run = subprocess.run(nnqft_bin + argv + ["--out", str(tmp_path / "t")], cwd=root, capture_output=True, text=True,
                         timeout=3600)
    assert run.returncode == 1 and message in run.stderr, run.stderr


def test_exact_correlators():
    t5, t10 = nnqft.exact("erf", 5), nnqft.exact("erf", 10)
    assert list(t5) == THEORY_COLUMNS
    gp = nnqft.gp("erf")
    assert np.array_equal(t5["g_gp"], gp["g_gp"]) and t5["indices"] == gp["indices"]
    n = t5["n"]
    c5, c10 = t5["connected_exact"], t10["connected_exact"]
    assert np.array_equal(t5["g_exact"][n == 2], t5["g_gp"][n == 2])
    assert np.isnan(c5[n == 2]).all()  # as theory.parquet: no connected part of order 2
    assert np.allclose(t5["g_exact"][n == 4] - t5["g_gp"][n == 4], c5[n == 4], rtol=1e-10, atol=1e-15)
    assert np.allclose(c10[n == 4], c5[n == 4] / 2, rtol=1e-13)  # kappa4 ~ 1/N
    assert np.allclose(c10[n == 6], c5[n == 6] / 4, rtol=1e-13)  # kappa6 ~ 1/N^2
    assert set(t5["width"]) == {5}


def test_cos_net_kernel_exact_and_refusals():
    """The Cos-net: a translation-invariant kernel (sigma_w^2 / 2) exp(-sigma_w^2 (x - y)^2 / 2),
    G2 = K at every width, kappa4 ~ 1/N, its default x-set, and sigma_b refused."""
    x = np.array([-0.8, 0.1, 0.5, 1.7])
    K = nnqft.kernel("cos", x=x, sigma_w=1.3)
    expect = 1.3**2 / 2 * np.exp(-(1.3**2) * (x[:, None] - x[None, :]) ** 2 / 2)
    assert np.allclose(K, expect, rtol=1e-14, atol=0)
    assert np.allclose(nnqft.kernel("cos", x=x + 4.25, sigma_w=1.3), K, rtol=1e-13, atol=0)
    t3, t6 = nnqft.exact("cos", 3, x=x), nnqft.exact("cos", 6, x=x)
    assert list(t3) == list(nnqft.exact("erf", 3))
    n = t3["n"]
    assert np.array_equal(t3["g_exact"][n == 2], nnqft.gp("cos", x=x)["g_gp"][n == 2])
    assert np.allclose(t6["connected_exact"][n == 4], t3["connected_exact"][n == 4] / 2, rtol=1e-13)
    # on the diagonal: kappa4 = (3/8) sigma_w^4 / N, kappa6 = 0 (E cos^n of a uniform phase)
    assert t3["connected_exact"][t3["indices"].index("0,0,0,0")] == pytest.approx(3 / 8 / 3, rel=1e-13)
    assert abs(t3["connected_exact"][t3["indices"].index("0,0,0,0,0,0")]) < 1e-15
    s = nnqft.sample("cos", 2, nets=100, experiments=2)
    assert set(s["network"]) == {"cos"} and len(s["n"]) == 21 + 126 + 462  # Erf's six points
    assert np.array_equal(s["g_gp"], nnqft.gp("cos", x="scaling-cos-d1")["g_gp"])
    with pytest.raises(ValueError, match="sigma_b"):
        nnqft.kernel("cos", sigma_b=1.0)
    with pytest.raises(ValueError, match="network"):
        nnqft.theory("cos", [5, 5])


# --- fit ---------------------------------------------------------------------------------

TABLE5 = {"gauss": 1000, "erf": 5, "relu": 20}


@pytest.mark.parametrize("network", ["erf", "relu", "gauss"])
def test_fit_of_exact_theory_is_table5_exact(root, network):
    """nnqft.fit on nnqft.exact is the `exact` source of the committed table5.parquet."""
    x = f"table5-train-{network}"
    f = nnqft.fit(nnqft.exact(network, TABLE5[network], x=x), x=x, column="g_exact")
    report = pq.read_table(root / "reports" / "table5.parquet").to_pandas()
    rows = report[(report.source == "exact") & (report.network == network)]
    assert len(rows) == len(f["model"]) == 8
    for i, (model, loss) in enumerate(zip(f["model"], f["loss"])):
        r = rows[(rows.model == model) & (rows.loss == loss)].iloc[0]
        for col in ("lambda0", "lambda2", "lambda_nl", "train_mape", "train_mse", "condition_number", "cutoff"):
            assert np.isclose(f[col][i], r[col], rtol=1e-9, atol=0, equal_nan=True), (model, loss, col)
        assert f["determined"][i] == r["determined"]
    assert set(f["source"]) == {"exact"} and f["estimator"] == [None] * 8


def test_fit_of_a_sampled_table():
    x = "table5-train-erf"
    mc = nnqft.sample("erf", 5, nets=20_000, experiments=5, x=x, seed=3)
    f = nnqft.fit(mc, x=x, models=["M0", "M1"], losses="mse")
    assert f["model"] == ["M0", "M1"] and f["loss"] == ["mse", "mse"]
    assert f["source"] == ["monte_carlo"] * 2 and f["estimator"] == ["conditional"] * 2
    assert f["lambda0"][0] == 0.0 and f["train_mape"][0] == pytest.approx(100.0)
    exact = nnqft.fit(nnqft.exact("erf", 5, x=x), x=x, models="M1", losses="mse", column="g_exact")
    # 100,000 nets: the sampled coupling within 15% of the exact one (fixed seed: 7%)
    assert f["lambda0"][1] == pytest.approx(exact["lambda0"][0], rel=0.15)
    # a DataFrame is read like the dict it came from
    pd = pytest.importorskip("pandas")
    g = nnqft.fit(pd.DataFrame(mc), x=x, models=["M0", "M1"], losses="mse")
    assert np.array_equal(g["lambda0"], f["lambda0"])
    assert np.isnan(f["lambda0_stderr"]).all()  # no experiments in the table: no standard errors


def test_fit_standard_errors_from_the_experiments():
    """With per_experiment=True every experiment is fitted too: the standard error of lambda0 is
    the spread of the experiments' own couplings over sqrt(E), and the exact coupling lies within
    a stated z bound of the measured one."""
    x = "table5-train-erf"
    mc = nnqft.sample("erf", 5, nets=20_000, experiments=8, x=x, seed=4, per_experiment=True)
    assert len(mc["g_experiments"]) == len(mc["n"]) and all(len(e) == 8 for e in mc["g_experiments"])
    assert np.allclose([e.mean() for e in mc["g_experiments"]], mc["g_mean"], rtol=1e-13, atol=0)
    f = nnqft.fit(mc, x=x, models="M1", losses="mse")
    n4 = [i for i, n in enumerate(mc["n"]) if n == 4]
    own = []
    for e in range(8):
        one = {k: (v[n4] if isinstance(v, np.ndarray) else [v[i] for i in n4]) for k, v in mc.items()}
        one["g_mean"] = np.array([mc["g_experiments"][i][e] for i in n4])
        del one["g_experiments"]
        own.append(nnqft.fit(one, x=x, models="M1", losses="mse")["lambda0"][0])
    assert f["lambda0_stderr"][0] == pytest.approx(np.std(own, ddof=1) / np.sqrt(8), rel=1e-12)
    exact = nnqft.fit(nnqft.exact("erf", 5, x=x), x=x, models="M1", losses="mse", column="g_exact")
    z = (f["lambda0"][0] - exact["lambda0"][0]) / f["lambda0_stderr"][0]
    assert abs(z) <= Z_BOUND, z


def test_fit_checks_the_gp_column():
    """A table fitted with the wrong priors is refused, naming g_gp (it would give wrong couplings)."""
    t = nnqft.exact("erf", 5)
    with pytest.raises(ValueError, match="g_gp.*sigma_w"):
        nnqft.fit(t, column="g_exact", sigma_w=1.1)


# --- deep networks: theory and the critical point ----------------------------------------

DEEP_THEORY_COLUMNS = [
    "network", "d_in", "sigma_w", "sigma_b", "x_set", "depth", "widths", "n", "indices", "outputs",
    "g_gp", "shift_leading_order", "shift_next_order", "connected_leading_order", "connected_next_order", "g_exact",
]


def test_deep_theory_is_the_cli_bit_for_bit(root, nnqft_bin, tmp_path):
    t = nnqft.theory("tanh", [20, 30])
    assert list(t) == DEEP_THEORY_COLUMNS
    out = tmp_path / "theory"
    cmd = nnqft_bin + ["theory", "--network", "tanh", "--widths", "20,30", "--out", str(out)]
    subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, timeout=3600)
    cli = pq.read_table(out / "theory.parquet").to_pydict()
    assert [c for c in cli if c != "run_id"] == DEEP_THEORY_COLUMNS
    for name in DEEP_THEORY_COLUMNS:
        if isinstance(t[name], list):
            assert t[name] == cli[name], name
        else:
            theirs = np.array([math.nan if v is None else v for v in cli[name]], dtype=t[name].dtype)
            assert np.array_equal(t[name], theirs, equal_nan=t[name].dtype.kind == "f"), name


def test_deep_theory_of_linear_nets_is_exact():
    """A deep linear net on one input with C_b = 0: G2 = K and E f**4 = 3 K**2 prod(1 + 2/n_l) exactly,
    and the leading orders are their 1/n terms (S = 0, the connected part 3 K**2 sum 2/n_l)."""
    widths = [10, 20, 40]
    t = nnqft.theory("linear", widths, x=[0.5], sigma_w=1.2)
    k = t["g_gp"][0]
    assert k == pytest.approx(1.2**8 * 0.25, rel=1e-15)
    assert t["shift_leading_order"][0] == 0.0 and t["g_exact"][0] == k
    assert t["g_exact"][1] == pytest.approx(3 * k**2 * np.prod([1 + 2 / n for n in widths]), rel=1e-14)
    assert t["connected_leading_order"][1] == pytest.approx(3 * k**2 * sum(2 / n for n in widths), rel=1e-12)
    # through order 1/n**2: the product's second term too, 3 K**2 (sum 2/n_l + 4 sum_{l<l'} 1/(n_l n_l'))
    pairs = sum(1 / (widths[i] * widths[j]) for i in range(3) for j in range(i + 1, 3))
    next4 = 3 * k**2 * (sum(2 / n for n in widths) + 4 * pairs)
    assert t["connected_next_order"][1] == pytest.approx(next4, rel=1e-10)
    assert math.isnan(t["connected_next_order"][0]) and math.isnan(t["connected_next_order"][2])
    # order 6: E f**6 = 15 K**3 prod(1 + 6/n_l + 8/n_l**2); the sixth cumulant's 1/n**2 terms
    # 15 K**3 (sum 8/n_l**2 + 24 sum_{l<l'} 1/(n_l n_l'))
    assert list(t["n"]) == [2, 4, 6]
    assert t["g_exact"][2] == pytest.approx(15 * k**3 * np.prod([1 + 6 / n + 8 / n**2 for n in widths]), rel=1e-14)
    lead6 = 15 * k**3 * (sum(8 / n**2 for n in widths) + 24 * pairs)
    assert t["connected_leading_order"][2] == pytest.approx(lead6, rel=1e-12)


def test_critical_points():
    assert nnqft.critical("relu") == (2.0, 0.0)
    assert nnqft.critical("tanh") == (1.0, 0.0)
    c_w, c_b = nnqft.critical("gelu")
    assert c_w == pytest.approx(1.983058, abs=1e-6) and c_b == pytest.approx(0.172922, abs=1e-6)
    t = nnqft.theory("gelu", [10, 10], critical=True)
    assert t["sigma_w"][0] ** 2 == pytest.approx(c_w, rel=1e-15)
    with pytest.raises(ValueError, match="sigmoid"):
        nnqft.critical("sigmoid")
    check_value_error(lambda: nnqft.critical("softsign"), "network")


@pytest.mark.parametrize(
    "bad,field",
    [
        (dict(network="softsign"), "network"),
        (dict(widths=[]), "widths"),
        (dict(widths=[5, 0]), "widths"),
        (dict(widths="5"), "widths"),
        (dict(d_out=0), "d_out"),
        (dict(sigma_w=-1.0), "sigma_w"),
        (dict(critical="yes"), "critical"),
        (dict(critical=True, sigma_w=1.0), "critical"),
        (dict(x="no-such-set"), "x"),
    ],
)
def test_deep_theory_rejects(bad, field):
    args = dict(network="tanh", widths=[5, 5])
    args.update(bad)
    network, widths = args.pop("network"), args.pop("widths")
    check_value_error(lambda: nnqft.theory(network, widths, **args), field)


# --- invalid arguments -------------------------------------------------------------------

SAMPLE_OK = dict(network="erf", width=5, nets=10, experiments=2)

BAD_SAMPLE = [
    (dict(network="mish"), "network"),  # tanh and the other deep activations are deep samples (test_parity.py)
    (dict(network=3), "network"),
    (dict(width=0), "width"),
    (dict(width=-1), "width"),
    (dict(width=2.5), "width"),
    (dict(nets=0), "nets"),
    (dict(nets=2**64), "nets"),
    (dict(experiments=1), "experiments"),
    (dict(sigma_w=-1.0), "sigma_w"),
    (dict(sigma_w=math.inf), "sigma_w"),
    (dict(sigma_b=math.nan), "sigma_b"),
    (dict(sigma_b="one"), "sigma_b"),
    (dict(x=[[0.1, 0.2], [0.3]]), "x"),
    (dict(x=[]), "x"),
    (dict(x=[0.1, math.nan]), "x"),
    (dict(x=np.zeros((2, 2, 2))), "x"),
    (dict(x=np.linspace(0, 1, 41)), "x"),
    (dict(x="no-such-set"), "x"),
    (dict(x=[[0.1, 0.2]], d_in=1), "d_in"),
    (dict(d_in=4), "d_in"),
    (dict(d_in=0), "d_in"),
    (dict(estimator="best"), "estimator"),
    (dict(estimator="bias_integrated"), "estimator"),  # gauss only
    (dict(seed=-1), "seed"),
    (dict(threads=0), "threads"),
    (dict(threads=10**6), "threads"),
]


def check_value_error(call, field):
    with pytest.raises(ValueError) as err:
        call()
    message = str(err.value)
    assert field in message, message
    assert "allowed" in message or "allowed range" in message, message


@pytest.mark.parametrize("bad,field", BAD_SAMPLE, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_SAMPLE)])
def test_sample_rejects(bad, field):
    args = dict(SAMPLE_OK)
    args.update(bad)
    if field == "estimator" and bad["estimator"] == "bias_integrated":
        # the sampling crate names the estimator's constraint without the word "allowed"
        with pytest.raises(ValueError, match="bias"):
            nnqft.sample(**args)
        return
    check_value_error(lambda: nnqft.sample(**args), field)


@pytest.mark.parametrize("fn", ["gp", "kernel"])
@pytest.mark.parametrize(
    "bad,field",
    [(dict(network="x"), "network"), (dict(sigma_w=-2.0), "sigma_w"), (dict(x="nope"), "x"), (dict(d_in=-1), "d_in")],
)
def test_theory_functions_reject(fn, bad, field):
    args = dict(network="relu")
    args.update(bad)
    check_value_error(lambda: getattr(nnqft, fn)(**args), field)


def test_exact_rejects():
    # exact erf theory beyond d_in = 3 would be a quadrature of hours: refused at once
    check_value_error(lambda: nnqft.exact("erf", 5, x=np.ones((2, 4))), "d_in")
    check_value_error(lambda: nnqft.exact("erf", 0), "width")
    check_value_error(lambda: nnqft.exact("erf", "5"), "width")
    check_value_error(lambda: nnqft.exact("gelu", 5), "network")


def test_fit_rejects():
    t = nnqft.exact("erf", 5)
    check_value_error(lambda: nnqft.sample("erf", 5, nets=10, experiments=2, per_experiment=1), "per_experiment")
    check_value_error(lambda: nnqft.fit(t, column="g_mean"), "table")  # exact tables have no g_mean
    check_value_error(lambda: nnqft.fit(t, column="g_std"), "column")
    check_value_error(lambda: nnqft.fit(t, column="g_exact", models=["M4"]), "model")
    check_value_error(lambda: nnqft.fit(t, column="g_exact", losses=[]), "losses")
    check_value_error(lambda: nnqft.fit(t, column="g_exact", cutoff=-1.0), "cutoff")
    relu = nnqft.exact("relu", 5)
    with pytest.raises(ValueError, match="cutoff.*divergent"):  # relu's vertex integrals need a finite cutoff
        nnqft.fit(relu, column="g_exact", cutoff=math.inf)
    check_value_error(lambda: nnqft.fit(t, column="g_exact", x=[0.1, 0.2, 0.3]), "x")  # not the table's x-set
    check_value_error(lambda: nnqft.fit({"network": ["erf"]}), "table")
    check_value_error(lambda: nnqft.fit(42), "table")
    check_value_error(lambda: nnqft.fit("/no/such/correlators.parquet"), "table")
    mixed = {k: (list(v) + list(v)) for k, v in t.items()}
    mixed["width"] = [5] * len(t["n"]) + [6] * len(t["n"])
    check_value_error(lambda: nnqft.fit(mixed, column="g_exact"), "table")


def test_functions_have_docstrings_and_signatures():
    for name in ("sample", "gp", "kernel", "exact", "fit", "theory", "critical"):
        fn = getattr(nnqft, name)
        assert fn.__doc__ and len(fn.__doc__) > 100, name
        assert fn.__text_signature__.startswith("("), name
    assert "seed=20200818" in nnqft.sample.__text_signature__
    assert nnqft.DEFAULT_SEED == 20200818


# --- the README ----------------------------------------------------------------------------


def test_readme_example_runs(root, capsys):
    """The ```python block under the README's `## Python` heading, executed as it stands."""
    readme = (root / "README.md").read_text()
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    ns = {}
    exec(compile(blocks[0], "README.md (## Python)", "exec"), ns)
    z = ns["df"]["z"].to_numpy()
    assert np.abs(z).max() <= Z_BOUND
    assert ns["K"].shape == (6, 6)
    assert ns["mc_fit"]["lambda0"][2] == pytest.approx(ns["exact_fit"]["lambda0"][2], rel=0.15)
    assert "lambda0 (M1, mse)" in capsys.readouterr().out
