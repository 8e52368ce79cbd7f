"""`nnqft.analyze` on ensembles nnqft did not make: an independent NumPy Erf-net against exact
theory, a residual network and a circular convolutional network whose connected four-point
function falls like 1/width, the CLI's `nnqft analyze` with the same columns and numbers, and
the ValueError of each bad input."""

import math
import subprocess

import numpy as np
import pyarrow.parquet as pq
import pytest

import nnqft

#: Largest |z| allowed over every multiset of one fixed-seed ensemble (609 correlated values).
Z_BOUND = 4.5

X = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5])
ERF = np.vectorize(math.erf)

CORRELATOR_COLUMNS = [
    "source", "width", "n", "indices", "outputs", "estimator", "g_mean", "g_stderr",
    "g_std_experiments", "g_gp", "g_gp_stderr", "connected", "connected_stderr",
]
SUMMARY_COLUMNS = [
    "source", "width", "nets", "experiments", "n", "m_n", "m_n_stderr", "background",
    "connected_6pt", "connected_6pt_stderr", "multisets_used", "mean_max_abs_z",
]
FITS_COLUMNS = [
    "n", "quantity", "method", "slope", "slope_lo", "slope_hi", "slope_stderr", "widths_used",
    "slope_expected",
]


def erf_net(width, nets, seed, x=X):
    """The paper's Erf-net, f(x) = b1 + sum_j W1_j erf(W0_j x + b0_j), sigma_w = sigma_b = 1,
    written from scratch with NumPy's generator (not nnqft's), on the points `x` (d = 1)."""
    rng = np.random.default_rng(seed)
    out = np.empty((nets, x.size))
    for s in range(0, nets, 50_000):
        k = min(50_000, nets - s)
        w0, b0 = rng.normal(size=(k, width)), rng.normal(size=(k, width))
        w1, b1 = rng.normal(scale=1 / math.sqrt(width), size=(k, width)), rng.normal(size=(k, 1))
        phi = ERF(w0[:, None, :] * x[None, :, None] + b0[:, None, :])
        out[s : s + k] = b1 + np.einsum("nj,naj->na", w1, phi)
    return out


def residual_net(width, nets, seed):
    """Two layers with a skip connection: h1 = W0 x + b0, h2 = h1 + W1 tanh(h1) / sqrt(n),
    f = v . tanh(h2) / sqrt(n) (all weights standard normal; no output bias, whose Gaussian
    noise would only hide the connected part)."""
    rng = np.random.default_rng(seed)
    out = np.empty((nets, X.size))
    for s in range(0, nets, 20_000):
        k = min(20_000, nets - s)
        h1 = rng.normal(size=(k, 1, width)) * X[None, :, None] + rng.normal(size=(k, 1, width))
        w1 = rng.normal(size=(k, width, width))
        h2 = h1 + np.einsum("nij,naj->nai", w1, np.tanh(h1)) / math.sqrt(width)
        v = rng.normal(size=(k, width))
        out[s : s + k] = np.einsum("nj,naj->na", v, np.tanh(h2)) / math.sqrt(width)
    return out


def conv_net(channels, nets, seed, sites=6):
    """A 1-d convolution with circular padding on a periodic lattice of `sites` points: one
    input signal s(p) = cos(2 pi p / sites), h_c(p) = sum_k w_ck s(p + k) + b_c for k in
    {-1, 0, 1}, f(p) = sum_c v_c tanh(h_c(p)) / sqrt(C); the outputs at the sites are the points."""
    rng = np.random.default_rng(seed)
    s = np.cos(2 * np.pi * np.arange(sites) / sites)
    patches = np.stack([np.roll(s, -k) for k in (-1, 0, 1)], axis=1)  # (sites, 3)
    w = rng.normal(size=(nets, channels, 3))
    b = rng.normal(size=(nets, channels, 1))
    h = np.einsum("nck,pk->ncp", w, patches) + b
    v = rng.normal(size=(nets, channels))
    return np.einsum("nc,ncp->np", v, np.tanh(h)) / math.sqrt(channels)


def test_numpy_erf_net_agrees_with_exact_theory():
    width = 2
    t = nnqft.analyze(erf_net(width, 400_000, seed=3), experiments=8, x=X)["correlators"]
    assert list(t) == CORRELATOR_COLUMNS
    exact = nnqft.exact("erf", width, x=X)
    assert list(exact["indices"]) == list(t["indices"])
    z_gp = (t["g_gp"] - exact["g_gp"]) / t["g_gp_stderr"]
    conn = t["n"] > 2
    z_conn = (t["connected"][conn] - exact["connected_exact"][conn]) / t["connected_stderr"][conn]
    assert np.abs(z_gp).max() < Z_BOUND, np.abs(z_gp).max()
    assert np.abs(z_conn).max() < Z_BOUND, np.abs(z_conn).max()
    # the test has teeth: most connected four-point values are resolved from zero
    four = t["n"] == 4
    assert np.mean(np.abs(t["connected"][four]) > 5 * t["connected_stderr"][four]) > 0.8


@pytest.mark.parametrize(
    "make,widths,nets",
    # the convolution's channels are independent, so its cumulants are exactly 1/C; the residual
    # net's mix through W1, and at widths 2, 4, 8 its 1/n^2 term still shows (slope -0.94, the
    # interval [-0.97, -0.91]); from 4 on it is within the interval
    [(conv_net, [2, 4, 8], 200_000), (residual_net, [4, 8, 16], 400_000)],
    ids=["conv", "residual"],
)
def test_connected_four_point_function_falls_like_one_over_width(make, widths, nets):
    arrays = [make(w, nets, seed=w) for w in widths]
    fits = nnqft.analyze(arrays, width=widths, experiments=8)["fits"]
    assert list(fits) == FITS_COLUMNS
    row = [i for i in range(len(fits["n"])) if fits["n"][i] == 4 and fits["quantity"][i] == "connected"][0]
    lo, hi = fits["slope_lo"][row], fits["slope_hi"][row]
    assert lo <= -1.0 <= hi, (fits["slope"][row], lo, hi)
    # narrow enough to exclude no decay (0) and the next order (-2)
    assert hi - lo < 0.5, (lo, hi)


def test_the_cli_writes_the_same_tables(tmp_path, root, nnqft_bin):
    f = erf_net(3, 8_000, seed=1)
    path = tmp_path / "erf.npy"
    np.save(path, f)
    out = tmp_path / "report"
    subprocess.run(
        nnqft_bin + ["analyze", str(path), "--experiments", "4", "--out", str(out)],
        cwd=root, check=True,
    )
    ours = nnqft.analyze(f, experiments=4)
    for name, table, columns in [
        ("analysis.parquet", "correlators", CORRELATOR_COLUMNS),
        ("analysis_summary.parquet", "summary", SUMMARY_COLUMNS),
    ]:
        cli = pq.read_table(out / name).to_pydict()
        assert [c for c in cli if c != "run_id"] == columns == list(ours[table])
    # every value of every column: numbers equal (NaN for the CLI's nulls), text equal; `source`
    # is the file name there and "array 0" here, the width null there and NaN here
    for name, table in [("analysis.parquet", "correlators"), ("analysis_summary.parquet", "summary")]:
        cli = pq.read_table(out / name).to_pydict()
        for column, values in ours[table].items():
            if column == "source":
                assert set(cli[column]) == {"erf.npy"} and set(values) == {"array 0"}
            elif isinstance(values, list):
                assert cli[column] == values, column
            else:
                theirs = np.array([np.nan if v is None else v for v in cli[column]], dtype=float)
                assert np.array_equal(theirs, np.asarray(values, dtype=float), equal_nan=True), column


def test_float32_torch_style_and_three_axis_arrays():
    f = erf_net(3, 8_000, seed=2)
    # a nested list of numbers is one array (a list of arrays is a scan only with a list of widths)
    nested = nnqft.analyze(f[:16].tolist(), experiments=4)["correlators"]
    assert np.array_equal(nested["g_mean"], nnqft.analyze(f[:16], experiments=4)["correlators"]["g_mean"])
    a = nnqft.analyze(f, experiments=4)["correlators"]
    # float32 input is widened, not refused
    b = nnqft.analyze(f.astype(np.float32), experiments=4)["correlators"]
    assert np.allclose(a["g_mean"], b["g_mean"], rtol=1e-5)
    # a non-contiguous view is read correctly
    wide = np.concatenate([f, f], axis=1)[:, ::2]
    assert np.array_equal(nnqft.analyze(wide, experiments=4)["correlators"]["g_mean"][:21],
                          nnqft.analyze(f[:, [0, 2, 4, 0, 2, 4]], experiments=4)["correlators"]["g_mean"][:21])
    # (nets, points, outputs): two outputs of 3 points; output 1 on point 0 is column 1
    g = nnqft.analyze(f.reshape(-1, 3, 2), experiments=4)["correlators"]
    row = [i for i in range(len(g["n"])) if g["n"][i] == 2 and g["indices"][i] == "0,0" and g["outputs"][i] == "1,1"][0]
    assert g["g_mean"][row] == pytest.approx(np.mean(f[:, 1] ** 2), rel=1e-12)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(f=np.ones(10)), "shape [10]"),
        (dict(f=np.ones((12, 3)), experiments=3), "experiments"),
        (dict(f=np.ones((10, 3)), experiments=4), "multiple of the 4 experiments"),
        (dict(f=np.where(np.arange(24).reshape(8, 3) == 7, np.nan, 1.0), experiments=4), "net 2, point 1"),
        (dict(f=[np.ones((8, 3)), np.ones((8, 4))], width=[2, 4], experiments=4), "f[1]"),
        (dict(f=[np.ones((8, 3)), np.ones((8, 3))], width=[2], experiments=4), "one width per array"),
        (dict(f=np.ones((8, 3)), experiments=4, x=X), "invalid x = 6 points"),
        (dict(f="not an array"), "invalid f"),
        (dict(f=np.ones((8, 3)), width=[2], experiments=4), "invalid width"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_field(kwargs, message):
    f = kwargs.pop("f")
    with pytest.raises(ValueError) as e:
        nnqft.analyze(f, **kwargs)
    assert message in str(e.value), str(e.value)


def test_eft_fits_table5_models_to_the_connected_four_point_function(tmp_path, root, nnqft_bin):
    """`eft="erf"`: Table 5's models fitted to the NumPy Erf-net's measured connected G4 (N = 2)
    on Table 5's training points, each determined coupling within Z_BOUND jackknife errors of the
    same model fitted to exact kappa4; the CLI's `analysis_table5.parquet` holds the same numbers
    bit for bit; a prior that is not the ensemble's is refused naming `eft`. (On points where exact
    kappa4 vanishes at some multisets, such as X, the MAPE fits are dominated by those and are
    not comparable with the measured ones.)"""
    width = 2
    train = 0.01 * np.arange(1, 7) * 0.2 / math.sqrt(2)
    f = erf_net(width, 160_000, seed=7, x=train)
    t = nnqft.analyze(f, experiments=16, x=train, eft="erf")["table5"]
    exact = nnqft.fit(nnqft.exact("erf", width, x=train), x=train, column="g_exact")
    assert list(t) == ["ensemble"] + list(exact)
    assert list(t["model"]) == list(exact["model"]) and list(t["loss"]) == list(exact["loss"])
    worst = 0.0
    for name in ["lambda0", "lambda2", "lambda_nl"]:
        se = np.asarray(t[name + "_stderr"])
        fitted = np.isfinite(se) & (se > 0)
        z = (np.asarray(t[name])[fitted] - np.asarray(exact[name])[fitted]) / se[fitted]
        worst = max(worst, np.abs(z).max())
    assert worst < Z_BOUND, worst
    path, xfile, out = tmp_path / "erf.npy", tmp_path / "x.txt", tmp_path / "report"
    np.save(path, f)
    xfile.write_text("\n".join(repr(float(v)) for v in train) + "\n")
    subprocess.run(
        nnqft_bin
        + ["analyze", str(path), "--experiments", "16", "--x-set", str(xfile), "--eft", "erf", "--out", str(out)],
        cwd=root, check=True,
    )
    cli = pq.read_table(out / "analysis_table5.parquet").to_pydict()
    assert set(cli["ensemble"]) == {"erf.npy"} and set(t["ensemble"]) == {"array 0"}
    for column, values in t.items():
        if column == "ensemble":
            continue
        if isinstance(values, list):
            assert cli[column] == values, column
        else:
            theirs = np.array([np.nan if v is None else v for v in cli[column]], dtype=float)
            assert np.array_equal(theirs, np.asarray(values, dtype=float), equal_nan=True), column
    with pytest.raises(ValueError, match="eft.*standard errors off the given kernel"):
        nnqft.analyze(f, experiments=16, x=train, eft="erf", sigma_w=1.5)
    with pytest.raises(ValueError, match="x.*required with eft"):
        nnqft.analyze(f, experiments=16, eft="erf")


def test_max_order_eight_adds_the_eight_point_rows():
    """max_order=8: 45 rows n = 8 on 3 points (C(10, 8)), the rows of orders 2-6 the same bits
    as without it, m_8 in the summary, and on Gaussian outputs (NumPy's generator, 3 correlated
    points, 2,000,000 nets in 20 experiments) every connected G8 within |z| < Z_BOUND of 0."""
    rng = np.random.default_rng(8)
    chol = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.3, 0.4, 0.866]])
    f = rng.normal(size=(2_000_000, 3)) @ chol.T
    six = nnqft.analyze(f, experiments=20)
    eight = nnqft.analyze(f, experiments=20, max_order=8)
    c6, c8 = six["correlators"], eight["correlators"]
    assert list(c8) == CORRELATOR_COLUMNS
    k = len(c6["n"])
    assert len(c8["n"]) - k == 45 and set(c8["n"][k:]) == {8}
    for column in ("g_mean", "g_stderr", "g_gp", "g_gp_stderr"):
        assert np.array_equal(np.asarray(c6[column]), np.asarray(c8[column][:k])), column
    assert list(eight["summary"]["n"]) == [4, 6, 8]
    z = np.asarray(c8["connected"][k:], dtype=float) / np.asarray(c8["connected_stderr"][k:], dtype=float)
    assert np.max(np.abs(z)) < Z_BOUND, z


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(max_order=7), "invalid max_order = 7"),
        (dict(max_order=8, experiments=4), "at least 5 (the jackknife of the eight-point Wick sum)"),
    ],
)
def test_bad_max_order_is_a_value_error_naming_it(kwargs, message):
    with pytest.raises(ValueError) as e:
        nnqft.analyze(np.ones((40, 3)), **kwargs)
    assert message in str(e.value), str(e.value)


def test_action_is_each_arrays_action_as_nnqft_action_gives_it(tmp_path, root, nnqft_bin):
    """action=True: one block of action couplings per array, bit for bit those of
    nnqft.action(f=...) and of `nnqft analyze --action` (the same columns); a singular G2 (two
    identical points) is a ValueError naming `action`."""
    x = np.array([-0.5, 0.5])
    arrays = [erf_net(w, 40_000, seed=10 + w, x=x) for w in (3, 10)]
    table = nnqft.analyze(arrays, width=[3, 10], experiments=8, action=True)["action"]
    start = 0
    for i, f in enumerate(arrays):
        one = nnqft.action(f=f, experiments=8)["couplings"]
        assert list(table) == list(one)
        h = len(one["n"])
        assert set(table["source"][start : start + h]) == {f"array {i}"}
        for column in ("coupling", "coupling_stderr", "coupling_order1", "coupling_gp", "condition_number"):
            assert np.array_equal(np.asarray(table[column][start : start + h]), np.asarray(one[column])), column
        start += h
    assert start == len(table["n"])
    path = tmp_path / "erf3.npy"
    np.save(path, arrays[0])
    out = tmp_path / "report"
    subprocess.run(
        nnqft_bin + ["analyze", str(path), "--experiments", "8", "--action", "--out", str(out)],
        cwd=root, check=True,
    )
    cli = pq.read_table(out / "analysis_action.parquet").to_pydict()
    assert [c for c in cli if c != "run_id"] == list(table)
    h = len(cli["n"])
    for column in ("coupling", "coupling_stderr"):
        assert np.array_equal(np.asarray(cli[column], dtype=float), np.asarray(table[column][:h])), column
    twin = np.repeat(np.arange(400.0)[:, None] % 7, 2, axis=1)
    with pytest.raises(ValueError, match="action"):
        nnqft.analyze(twin, experiments=4, action=True)
