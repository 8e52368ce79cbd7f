//! The `nnqft` command line end to end: `sample`, `theory`, `ntk` and `fit` agree with each
//! other and with the library, each writes a new folder of its own, and bad input gives one
//! line.

use polars::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnqft-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn nnqft(cwd: &Path, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_nnqft")).args(args).current_dir(cwd).output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

fn floats(df: &DataFrame, col: &str) -> Vec<Option<f64>> {
    let ca = df.column(col).unwrap().f64().unwrap();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

/// The one folder under `cwd/nnqft-out` whose name starts with `prefix`.
fn made(cwd: &Path, prefix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(cwd.join("nnqft-out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn sample_theory_and_fit_agree() {
    let cwd = temp_dir("agree");
    let (ok, out, err) = nnqft(
        &cwd,
        &[
            "sample",
            "--network",
            "erf",
            "--width",
            "5",
            "--nets",
            "20000",
            "--experiments",
            "4",
            "--per-experiment",
            "--no-progress",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("nets/s"), "{out}");
    let sample = made(&cwd, "erf-N5-");
    // --per-experiment: the values behind g_mean, one row per multiset and experiment
    let per = read(&sample.join("correlators_experiments.parquet"));
    assert_eq!(per.height(), 4 * (21 + 126 + 462));
    let (g, means) = (floats(&per, "g"), floats(&read(&sample.join("correlators.parquet")), "g_mean"));
    for (row, mean) in means.iter().enumerate() {
        let own: f64 = (0..4).map(|e| g[row * 4 + e].unwrap()).sum::<f64>() / 4.0;
        assert!((own - mean.unwrap()).abs() <= 1e-12 * own.abs(), "row {row}: {own} vs {mean:?}");
    }
    let (ok, out, err) = nnqft(&cwd, &["theory", "--network", "erf", "--width-scan", "5,50"]);
    assert!(ok, "{err}");
    let theory_file = PathBuf::from(out.trim());
    let theory_file = if theory_file.is_absolute() { theory_file } else { cwd.join(theory_file) };
    let (c, t) = (read(&sample.join("correlators.parquet")), read(&theory_file));
    // theory: 21 + 126 + 462 multisets of 6 points, at two widths
    assert_eq!(t.height(), 2 * (21 + 126 + 462));
    assert_eq!(c.height(), 21 + 126 + 462);
    // the sample's GP and exact columns are the theory's at N = 5, bit for bit
    let first = t.head(Some(c.height()));
    assert_eq!(floats(&c, "g_gp"), floats(&first, "g_gp"));
    assert_eq!(floats(&c, "g_exact"), floats(&first, "g_exact"));
    // kappa4 of the theory is g_exact - g_gp at n = 4
    let (n, ex, gp, k) = (
        first.column("n").unwrap().i64().unwrap(),
        floats(&first, "g_exact"),
        floats(&first, "g_gp"),
        floats(&first, "connected_exact"),
    );
    for i in 0..first.height() {
        if n.get(i) == Some(4) {
            let (e, g, k) = (ex[i].unwrap(), gp[i].unwrap(), k[i].unwrap());
            assert!((e - g - k).abs() <= 1e-12 * e.abs(), "row {i}: {e} - {g} != {k}");
        }
    }
    // fit: the models of Table 5 on the sampled Delta G4, as the library fits them
    let (ok, out, err) = nnqft(&cwd, &["fit", sample.to_str().unwrap(), "--network", "erf"]);
    assert!(ok, "{err}");
    assert!(out.contains("| 5 | conditional | M3 | mse |"), "{out}");
    let fits = read(&made(&cwd, "fit-erf-").join("fits.parquet"));
    assert_eq!(fits.height(), 8); // 4 models x 2 losses
    let (net, xs) = nnqft_cli::options::NetworkArgs::paper("erf").resolve().unwrap();
    let problem =
        nnqft_study::table5::FitProblem::new(&net, xs, nnqft_study::table5::setup(net.activation()).1).unwrap();
    let (cn, cm, cg) = (c.column("n").unwrap().i64().unwrap(), floats(&c, "g_mean"), floats(&c, "g_gp"));
    let delta: Vec<f64> =
        (0..c.height()).filter(|&i| cn.get(i) == Some(4)).map(|i| cm[i].unwrap() - cg[i].unwrap()).collect();
    let want = problem.fit_all(&delta).unwrap();
    let (lambda0, stderr) = (floats(&fits, "lambda0"), floats(&fits, "lambda0_stderr"));
    for (row, f) in want.iter().enumerate() {
        assert_eq!(lambda0[row], f.couplings[0].is_finite().then_some(f.couplings[0]), "{f:?}");
        if f.model == nnqft_fit::Model::M1 {
            // the experiments' own fits give the coupling a standard error
            assert!(stderr[row].is_some_and(|s| s.is_finite() && s > 0.0), "{f:?}: {:?}", stderr[row]);
        }
    }
    // fitting with the options of another x-set is refused, naming them
    let (ok, _, err) = nnqft(&cwd, &["fit", sample.to_str().unwrap(), "--network", "erf", "--sigma-w", "1.2"]);
    assert!(!ok && err.contains("--sigma-w"), "{err}");
    let _ = std::fs::remove_dir_all(&cwd);
}

/// The Cos-net through the front door: `sample --network cos` writes the columns of the paper's
/// networks, its GP and exact columns are `theory --network cos`'s bit for bit, and its means
/// agree with them (|z| <= 4 on every multiset at N = 3, where kappa4 is resolved).
#[test]
fn cos_net_sample_and_theory() {
    const Z_BOUND: f64 = 4.0;
    let cwd = temp_dir("cos");
    let sample = |network: &str, nets: &str| {
        let args =
            ["sample", "--network", network, "--width", "3", "--nets", nets, "--experiments", "4", "--no-progress"];
        let (ok, _, err) = nnqft(&cwd, &args);
        assert!(ok, "{err}");
        read(&made(&cwd, &format!("{network}-N3-")).join("correlators.parquet"))
    };
    let (cos, erf) = (sample("cos", "20000"), sample("erf", "1000"));
    assert_eq!(cos.get_column_names(), erf.get_column_names(), "the same columns as the paper's networks");
    assert_eq!(cos.height(), 21 + 126 + 462);
    let network = cos.column("network").unwrap().str().unwrap();
    assert!((0..cos.height()).all(|i| network.get(i) == Some("cos")));
    let (ok, out, err) = nnqft(&cwd, &["theory", "--network", "cos", "--width-scan", "3"]);
    assert!(ok, "{err}");
    let theory_file = PathBuf::from(out.trim());
    let theory = read(&if theory_file.is_absolute() { theory_file } else { cwd.join(theory_file) });
    assert_eq!(floats(&cos, "g_gp"), floats(&theory, "g_gp"));
    assert_eq!(floats(&cos, "g_exact"), floats(&theory, "g_exact"));
    let (mean, se, exact, kappa) =
        (floats(&cos, "g_mean"), floats(&cos, "g_stderr"), floats(&cos, "g_exact"), floats(&theory, "connected_exact"));
    let n = cos.column("n").unwrap().i64().unwrap();
    let mut resolved: f64 = 0.0;
    for i in 0..cos.height() {
        let (m, s, e) = (mean[i].unwrap(), se[i].unwrap(), exact[i].unwrap());
        assert!(((m - e) / s).abs() <= Z_BOUND, "row {i}: {m} vs exact {e}, stderr {s}");
        if n.get(i) == Some(4) {
            resolved = resolved.max(kappa[i].unwrap().abs() / s);
        }
    }
    assert!(resolved > 2.0 * Z_BOUND, "kappa4 resolved at only {resolved:.1} standard errors");
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn bad_input_gives_one_line_naming_the_option() {
    let cwd = temp_dir("bad");
    for (args, needle) in [
        (vec!["sample", "--network", "softsign", "--width", "5"], "network"),
        (vec!["sample", "--network", "erf", "--width", "0"], "width"),
        (vec!["sample", "--network", "erf", "--width", "5", "--experiments", "1"], "experiments"),
        (vec!["sample", "--network", "erf", "--width", "5", "--sigma-w", "nan"], "sigma_w"),
        (vec!["sample", "--network", "cos", "--width", "5", "--sigma-b", "1"], "sigma_b"),
        (vec!["sample", "--network", "cos", "--widths", "5,5"], "cos"),
        (vec!["theory", "--network", "cos", "--widths", "5"], "cos"),
        (vec!["theory", "--network", "erf", "--width-scan", "0"], "width"),
        (vec!["theory", "--network", "erf", "--widths", "5,0"], "width"),
        (vec!["theory", "--network", "sigmoid", "--widths", "5,5", "--critical"], "sigmoid"),
        (vec!["theory", "--network", "erf", "--x-set", "no-such-set"], "no-such-set"),
        (vec!["fit", "/nonexistent/correlators.parquet", "--network", "erf"], "/nonexistent"),
        (vec!["fit", ".", "--network", "erf", "--cutoff=-1"], "cutoff"),
        // theory and fit sample nothing: a seed or thread count would be silently ignored
        (vec!["theory", "--network", "erf", "--seed", "3"], "--seed"),
        (vec!["fit", ".", "--network", "erf", "--threads", "2"], "--threads"),
        (vec!["ntk", "--network", "relu", "--widths", "5", "--lambda-w", "-1"], "lambda_w"),
        (vec!["ntk", "--network", "relu", "--widths", "5", "--lambda-b", "nan"], "lambda_b"),
        (vec!["ntk", "--network", "relu", "--widths", "5,0"], "width"),
        (vec!["ntk", "--network", "relu", "--widths", "5", "--d-out", "300"], "d_out"),
        (vec!["ntk", "--network", "relu", "--widths", "5", "--d-out", "0"], "d_out"),
        (vec!["ntk", "--network", "sigmoid", "--widths", "5", "--critical"], "sigmoid"),
        (vec!["ntk", "--network", "relu", "--widths", "5", "--nets", "0"], "nets"),
        (vec!["ntk", "--network", "relu", "--widths", "5", "--nets", "10", "--experiments", "1"], "experiments"),
        (vec!["ntk", "--network", "relu", "--widths", "5", "--nets", "10", "--threads", "0"], "threads"),
        (vec!["ntk", "--network", "relu"], "--widths"),
        // without --nets nothing is sampled: a seed would be silently ignored
        (vec!["ntk", "--network", "relu", "--widths", "5", "--seed", "3"], "--nets"),
        // the dNTK: at most 16 (output, point) pairs (6 points x 3 outputs), not Gauss-net
        (vec!["ntk", "--network", "tanh", "--widths", "5", "--d-out", "3", "--dntk"], "d_out"),
        (vec!["ntk", "--network", "gauss", "--widths", "5", "--dntk"], "gauss"),
        // the ddNTK: the same reach, named as the ddNTK's, with or without --dntk
        (vec!["ntk", "--network", "tanh", "--widths", "5", "--d-out", "3", "--ddntk"], "d_out"),
        (vec!["ntk", "--network", "tanh", "--widths", "5", "--d-out", "3", "--ddntk", "--dntk"], "d_out"),
        (vec!["ntk", "--network", "gauss", "--widths", "5", "--ddntk"], "gauss"),
    ] {
        let (ok, _, err) = nnqft(&cwd, &args);
        assert!(!ok, "{args:?} should fail");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: not one line: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // nothing was written
    assert!(!cwd.join("nnqft-out").exists() || std::fs::read_dir(cwd.join("nnqft-out")).unwrap().next().is_none());
    let _ = std::fs::remove_dir_all(&cwd);
}

/// `sample --widths --d-out` samples a deep network with several outputs: the report has the
/// depth, widths and output-index columns, the GP of the kernel recursion (exactly zero
/// between different outputs at order 2, which the conditional estimator reproduces exactly),
/// and the leading-order connected 4-pt function, which the measured `G4 − Wick4(G2)` between
/// the two outputs matches within 4 standard errors of `G4` plus the `O(1/n²)` it leaves out
/// (5% of it at n = 30; the largest deviation measured is 0.9%).
#[test]
fn sample_deep_network_with_two_outputs() {
    let cwd = temp_dir("deep");
    let argv = [
        "sample",
        "--network",
        "tanh",
        "--widths",
        "30,30",
        "--d-out",
        "2",
        "--nets",
        "40000",
        "--experiments",
        "4",
        "--no-progress",
    ];
    let (ok, out, err) = nnqft(&cwd, &argv);
    assert!(ok, "{err}");
    assert!(out.contains("nets/s"), "{out}");
    let c = read(&made(&cwd, "tanh-N30x30-").join("correlators.parquet"));
    // 12 (output, point) pairs: C(13, 2) + C(15, 4) + C(17, 6) multisets (order 6 up to
    // DEEP_ORDER_SIX_MAX_PAIRS = 12 pairs)
    assert_eq!(c.height(), 78 + 1365 + 12376);
    let col = |name: &str| -> Vec<String> {
        let s = c.column(name).unwrap().cast(&DataType::String).unwrap();
        let ca = s.str().unwrap();
        (0..ca.len()).map(|i| ca.get(i).unwrap_or_default().to_string()).collect()
    };
    let (depth, widths, outputs, indices, n) = (col("depth"), col("widths"), col("outputs"), col("indices"), col("n"));
    assert!(depth.iter().all(|d| d == "2") && widths.iter().all(|w| w == "30,30"));
    let (mean, se, gp, lo) =
        (floats(&c, "g_mean"), floats(&c, "g_stderr"), floats(&c, "g_gp"), floats(&c, "connected_leading_order"));
    let g2 = |outs: &str, idx: String| -> f64 {
        let i = (0..c.height()).find(|&i| n[i] == "2" && outputs[i] == outs && indices[i] == idx).unwrap();
        mean[i].unwrap()
    };
    let shift = floats(&c, "shift_leading_order");
    let (mut checked, mut shifted) = (0, 0);
    for i in 0..c.height() {
        let outs: Vec<&str> = outputs[i].split(',').collect();
        if n[i] == "2" && outs[0] != outs[1] {
            assert_eq!((mean[i], gp[i], shift[i]), (Some(0.0), Some(0.0), Some(0.0)), "row {i}: cross-output 2-pt");
        }
        if n[i] == "2" && outs[0] == outs[1] {
            // G2 = K + S + O(1/n^2): the measured two-point function against the shifted kernel
            let (g, s, k, sh) = (mean[i].unwrap(), se[i].unwrap(), gp[i].unwrap(), shift[i].unwrap());
            assert!((g - k - sh).abs() <= 4.0 * s + 0.05 * sh.abs(), "row {i}: {g} ± {s} against {k} + {sh}");
            shifted += 1;
        }
        if n[i] == "4" && outputs[i] == "0,0,1,1" {
            let p: Vec<&str> = indices[i].split(',').collect();
            // between two outputs the only Wick pairing is (f0 f0)(f1 f1)
            let wick = g2("0,0", format!("{},{}", p[0], p[1])) * g2("1,1", format!("{},{}", p[2], p[3]));
            let (connected, s, l) = (mean[i].unwrap() - wick, se[i].unwrap(), lo[i].unwrap());
            assert!((connected - l).abs() <= 4.0 * s + 0.05 * l.abs(), "row {i}: {connected} ± {s} against {l}");
            checked += 1;
        }
    }
    assert_eq!(checked, 21 * 21, "multisets with outputs 0,0,1,1");
    assert_eq!(shifted, 2 * 21, "two-point functions of one output");
    // order 6: the GP and the leading connected 6-pt function are the six-point vertex's, bit for
    // bit (6 input points: within the theory table's ORDER_SIX_MAX_POINTS)
    let xs = nnqft_theory::InputSet::scaling(nnqft_theory::Activation::Erf, 1).unwrap();
    let net = nnqft_theory::DeepNetwork::with_deep_priors(nnqft_theory::DeepActivation::Tanh, &[30, 30])
        .unwrap()
        .with_d_out(2)
        .unwrap();
    let (sixes, connected6, gp6) = nnqft_theory::SixPointVertex::new(&net, &xs).unwrap().output_indexed().unwrap();
    assert_eq!(sixes.len(), 12376);
    for pos in 0..sixes.len() {
        let i = 78 + 1365 + pos;
        assert_eq!(n[i], "6");
        assert_eq!((lo[i], gp[i], shift[i]), (Some(connected6[pos]), Some(gp6[pos]), None), "row {i}");
        let (outs, pts): (Vec<String>, Vec<String>) =
            sixes.get(pos).iter().map(|&p| ((p / 6).to_string(), (p % 6).to_string())).unzip();
        assert_eq!((outputs[i].clone(), indices[i].clone()), (outs.join(","), pts.join(",")), "row {i}");
        assert!(mean[i].is_some_and(f64::is_finite) && se[i].is_some_and(f64::is_finite));
    }
    let _ = std::fs::remove_dir_all(&cwd);
}

/// `theory --widths` is the theory of one deep network: its shift and vertex columns are the
/// library's `KernelShift`, `FourPointVertex` and `SixPointVertex` bit for bit, and `--critical`
/// puts it at the activation's critical point.
#[test]
fn theory_of_a_deep_network_is_the_librarys() {
    use nnqft_theory::{
        DeepActivation, DeepNetwork, FourPointNextOrder, InputSet, KernelShift, OneInputLaw, SixPointVertex,
        critical_point,
    };
    let cwd = temp_dir("deep-theory");
    let (ok, out, err) = nnqft(&cwd, &["theory", "--network", "tanh", "--widths", "20,30"]);
    assert!(ok, "{err}");
    let file = PathBuf::from(out.trim());
    let t = read(&if file.is_absolute() { file } else { cwd.join(file) });
    let xs = InputSet::scaling(nnqft_theory::Activation::Erf, 1).unwrap();
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[20, 30]).unwrap();
    let shift = KernelShift::new(&net, &xs).unwrap();
    let (_, connected, gp4) = shift.vertex().output_indexed().unwrap();
    let (_, connected6, gp6) = SixPointVertex::new(&net, &xs).unwrap().output_indexed().unwrap();
    // one output on 6 points: 21 pairs, then 126 quadruples, then 462 sextuples
    assert_eq!(t.height(), 21 + 126 + 462);
    let (s, c, g) = (floats(&t, "shift_leading_order"), floats(&t, "connected_leading_order"), floats(&t, "g_gp"));
    let ms = nnqft_theory::Multisets::new(6, 2).unwrap();
    for (pos, pair) in ms.iter().enumerate() {
        let (a, b) = (pair[0] as usize, pair[1] as usize);
        assert_eq!(s[pos], Some(shift.shift()[a * 6 + b]), "pair {a},{b}");
        assert_eq!(g[pos], Some(shift.kernels().output()[a * 6 + b]));
        assert_eq!(c[pos], None);
    }
    for pos in 0..126 {
        assert_eq!(c[21 + pos], Some(connected[pos]));
        assert_eq!(g[21 + pos], Some(gp4[pos]));
        assert_eq!(s[21 + pos], None);
    }
    // G4 through order 1/n² on every quadruple: the library's FourPointNextOrder bit for bit,
    // and on the six multisets (x, x, x, x) 3 Var(G) of the one-input law within its error estimate
    let next = floats(&t, "connected_next_order");
    let four = FourPointNextOrder::new(&net, &xs).unwrap();
    let quads = nnqft_theory::Multisets::new(6, 4).unwrap();
    for (pos, quad) in quads.iter().enumerate() {
        let q = [0, 1, 2, 3].map(|i| usize::from(quad[i]));
        assert_eq!(next[21 + pos], Some(four.connected_g4([0; 4], q)), "quad {pos}");
        if quad.iter().all(|&p| p == quad[0]) {
            let x = xs.points().nth(q[0]).unwrap();
            let (c1, c2) = OneInputLaw::new(&net, x).unwrap().variance();
            let got = next[21 + pos].unwrap();
            let bound = 3.0 * four.correction_error() + 1e-12 * got.abs();
            assert!(
                (got - 3.0 * (c1 + c2)).abs() <= bound,
                "quad {pos}: {got:e} vs {:e} (c2 {c2:e}, bound {bound:e})",
                3.0 * (c1 + c2)
            );
        }
    }
    assert!(next[..21].iter().chain(&next[147..]).all(Option::is_none));
    for pos in 0..462 {
        assert_eq!(c[147 + pos], Some(connected6[pos]));
        assert_eq!(g[147 + pos], Some(gp6[pos]));
        assert_eq!(s[147 + pos], None);
    }
    // tanh has no exact finite-width values
    assert!(floats(&t, "g_exact").iter().all(Option::is_none));
    // --critical: GELU at its critical point (C_W, C_b) = (sigma_w^2, sigma_b^2)
    let (ok, out, err) = nnqft(&cwd, &["theory", "--network", "gelu", "--widths", "10,10", "--critical", "--force"]);
    assert!(ok, "{err}");
    let file = PathBuf::from(out.trim());
    let t = read(&if file.is_absolute() { file } else { cwd.join(file) });
    let cp = critical_point(DeepActivation::Gelu).unwrap();
    let (sw, sb) = (floats(&t, "sigma_w")[0].unwrap(), floats(&t, "sigma_b")[0].unwrap());
    assert!((sw * sw - cp.c_w()).abs() <= 4.0 * f64::EPSILON * cp.c_w(), "{sw}");
    assert!((sb * sb - cp.c_b()).abs() <= 4.0 * f64::EPSILON * cp.c_b(), "{sb}");
    let _ = std::fs::remove_dir_all(&cwd);
}

/// The key columns every NTK table starts with (after `run_id`), checked against `columns`.
/// The theory columns of `ntk.parquet` after `indices` and `outputs`.
const NTK_THEORY_COLUMNS: [&str; 4] =
    ["theta_inf", "theta_shift_leading_order", "theta_inf_error", "theta_shift_leading_order_error"];

fn want_keys(columns: &[String]) -> Vec<String> {
    let keys = ["run_id", "network", "d_in", "sigma_w", "sigma_b", "x_set", "depth", "widths", "lambda_w", "lambda_b"];
    assert!(columns.len() >= keys.len());
    keys.iter().map(|k| k.to_string()).collect()
}

fn strings(df: &DataFrame, col: &str) -> Vec<String> {
    let ca = df.column(col).unwrap().str().unwrap();
    (0..ca.len()).map(|i| ca.get(i).unwrap().to_string()).collect()
}

/// `ntk` writes the rows of `nnqft_study::ntk_table` bit for bit: the infinite-width columns
/// alone without `--nets`, the sampled ones beside them with `--nets` (the seed handed to the
/// ensemble unchanged); deep linear nets with `C_b = 0` have the closed form
/// `Θ = (L + 1) λ_W C_W^L x·x' / d`, `K = C_W^(L+1) x·x' / d`.
#[test]
fn ntk_table_is_the_librarys() {
    use nnqft_study::Direct;
    use nnqft_study::ntk_table::{NtkSampling, NtkSettings, NtkTable};
    use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};
    let cwd = temp_dir("ntk");
    std::fs::write(cwd.join("three.txt"), "0.9 -0.4\n0.2 0.7\n-0.6 -0.3\n").unwrap();
    let xs = InputSet::new("three", &[vec![0.9, -0.4], vec![0.2, 0.7], vec![-0.6, -0.3]]).unwrap();
    let read_out = |out: &str| {
        let file = PathBuf::from(out.trim());
        read(&if file.is_absolute() { file } else { cwd.join(file) })
    };
    // tanh, two outputs, its own learning rates, sampled
    let (ok, out, err) = nnqft(
        &cwd,
        &[
            "ntk",
            "--network",
            "tanh",
            "--widths",
            "6,5",
            "--d-in",
            "2",
            "--x-set",
            "three.txt",
            "--d-out",
            "2",
            "--sigma-w",
            "1.2",
            "--sigma-b",
            "0.3",
            "--lambda-w",
            "0.8",
            "--lambda-b",
            "1.3",
            "--nets",
            "700",
            "--experiments",
            "3",
            "--seed",
            "11",
            "--threads",
            "2",
        ],
    );
    assert!(ok, "{err}");
    let t = read_out(&out);
    let net = DeepNetwork::new(DeepActivation::Tanh, &[6, 5], 1.44, 0.09).unwrap().with_d_in(2).unwrap().with_d_out(2);
    let net = net.unwrap();
    let sampling = Some(NtkSampling { nets: 700, experiments: 3, seed: 11 });
    let settings = NtkSettings { lambda_w: Some(0.8), lambda_b: Some(1.3), sampling, ..Default::default() };
    let rows = NtkTable::new(&net, &xs, &settings).unwrap().rows(&Direct::new(0, 1)).unwrap();
    let s = rows.sampled.clone().unwrap();
    let columns: Vec<String> = t.get_column_names().iter().map(|c| c.to_string()).collect();
    let want = [
        "run_id", "network", "d_in", "sigma_w", "sigma_b", "x_set", "depth", "widths", "lambda_w", "lambda_b",
        "indices", "outputs",
    ];
    let want: Vec<&str> = want.into_iter().chain(NTK_THEORY_COLUMNS).collect();
    assert_eq!(columns[..want.len()], want);
    assert_eq!(columns[want.len()..], ["theta_mean", "theta_stderr", "g_gp", "g2_mean", "g2_stderr"]);
    // six (output, point) pairs: 21 rows
    assert_eq!(t.height(), 21);
    assert_eq!(strings(&t, "indices"), rows.indices);
    assert_eq!(strings(&t, "outputs"), rows.outputs);
    let some = |v: &[f64]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
    for (name, values) in [
        ("theta_inf", &rows.theta_inf),
        ("g_gp", &rows.g_gp),
        ("theta_mean", &s.theta_mean),
        ("theta_stderr", &s.theta_stderr),
        ("g2_mean", &s.g2_mean),
        ("g2_stderr", &s.g2_stderr),
    ] {
        assert_eq!(floats(&t, name), some(values), "{name}");
    }
    assert_eq!(floats(&t, "theta_shift_leading_order"), rows.theta_shift_leading_order);
    // the fluctuation table beside it: every pair of the 21 rows, predicted and measured
    let file = PathBuf::from(out.trim());
    let file = if file.is_absolute() { file } else { cwd.join(file) };
    let f = read(&file.with_file_name("ntk_fluctuations.parquet"));
    let fr = rows.fluctuations.clone().unwrap();
    let columns: Vec<String> = f.get_column_names().iter().map(|c| c.to_string()).collect();
    let want = [
        "ntk_indices",
        "ntk_outputs",
        "indices",
        "outputs",
        "covariance_leading_order",
        "covariance_leading_order_error",
        "covariance_mean",
        "covariance_stderr",
        "cross_leading_order",
        "cross_leading_order_error",
        "cross_mean",
        "cross_stderr",
    ];
    assert_eq!(columns[..10], want_keys(&columns));
    assert_eq!(columns[10..], want);
    assert_eq!(f.height(), 21 * 21);
    assert_eq!(strings(&f, "ntk_indices"), fr.ntk_indices);
    assert_eq!(strings(&f, "outputs"), fr.outputs);
    let (cov, cross) = (fr.covariance.unwrap(), fr.cross.unwrap());
    for (name, values) in [
        ("covariance_leading_order", &fr.covariance_leading_order),
        ("cross_leading_order", &fr.cross_leading_order),
        ("covariance_leading_order_error", &fr.covariance_leading_order_error),
        ("cross_leading_order_error", &fr.cross_leading_order_error),
        ("covariance_mean", &cov.0),
        ("covariance_stderr", &cov.1),
        ("cross_mean", &cross.0),
        ("cross_stderr", &cross.1),
    ] {
        assert_eq!(floats(&f, name), some(values), "{name}");
    }
    assert!(rows.theta_shift_leading_order.iter().all(Option::is_some));
    assert!(floats(&t, "lambda_w").iter().all(|&v| v == Some(0.8)));
    assert!(strings(&t, "widths").iter().all(|w| w == "6,5") && strings(&t, "x_set").iter().all(|w| w == "three"));
    // cross-output rows of the infinite-width columns are exactly zero
    let outputs = strings(&t, "outputs");
    for (r, o) in outputs.iter().enumerate() {
        if o == "0,1" {
            assert_eq!((rows.theta_inf[r], rows.g_gp[r]), (0.0, 0.0));
        }
    }
    // deep linear, C_b = 0, default learning rates (lambda_W = C_W), no nets: theory columns only
    let (ok, out, err) = nnqft(
        &cwd,
        &["ntk", "--network", "linear", "--widths", "4,4,4", "--d-in", "2", "--x-set", "three.txt", "--sigma-w", "1.1"],
    );
    assert!(ok, "{err}");
    let t = read_out(&out);
    let columns: Vec<String> = t.get_column_names().iter().map(|c| c.to_string()).collect();
    assert_eq!(columns[10..12], ["indices", "outputs"]);
    assert_eq!(columns[12..16], NTK_THEORY_COLUMNS);
    assert_eq!(columns[16..], ["g_gp"]);
    assert_eq!(t.height(), 6);
    let c_w = 1.1f64 * 1.1;
    let (theta, k, indices) = (floats(&t, "theta_inf"), floats(&t, "g_gp"), strings(&t, "indices"));
    for r in 0..6 {
        let ab: Vec<usize> = indices[r].split(',').map(|v| v.parse().unwrap()).collect();
        let (x, y) = (xs.point(ab[0]), xs.point(ab[1]));
        let dot = (x[0] * y[0] + x[1] * y[1]) / 2.0;
        let (want_theta, want_k) = (4.0 * c_w.powi(4) * dot, c_w.powi(4) * dot);
        assert!((theta[r].unwrap() - want_theta).abs() <= ROUNDING * want_theta.abs(), "{r}: {theta:?}");
        assert!((k[r].unwrap() - want_k).abs() <= ROUNDING * want_k.abs(), "{r}: {k:?}");
    }
    let _ = std::fs::remove_dir_all(&cwd);
}

/// Closed forms against the recursion: a few roundings.
const ROUNDING: f64 = 1e-14;

/// `ntk --dntk` writes `ntk_dntk.parquet` beside `ntk.parquet`, the rows of
/// `nnqft_study::dntk_table` bit for bit (theory and, with `--nets`, measured from the same
/// seed); without `--dntk` there is no such file.
#[test]
fn ntk_dntk_table_is_the_librarys() {
    use nnqft_study::Direct;
    use nnqft_study::ntk_table::{NtkSampling, NtkSettings, NtkTable};
    use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};
    let cwd = temp_dir("dntk");
    std::fs::write(cwd.join("two.txt"), "0.3\n-0.8\n").unwrap();
    let xs = InputSet::new("two", &[vec![0.3], vec![-0.8]]).unwrap();
    let argv = [
        "ntk",
        "--network",
        "tanh",
        "--widths",
        "6,5",
        "--x-set",
        "two.txt",
        "--d-out",
        "2",
        "--lambda-w",
        "0.8",
        "--nets",
        "200",
        "--experiments",
        "3",
        "--seed",
        "7",
        "--threads",
        "2",
        "--dntk",
    ];
    let (ok, out, err) = nnqft(&cwd, &argv);
    assert!(ok, "{err}");
    let file = PathBuf::from(out.trim());
    let file = if file.is_absolute() { file } else { cwd.join(file) };
    let d = read(&file.with_file_name("ntk_dntk.parquet"));
    let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, &[6, 5]).unwrap().with_d_out(2).unwrap();
    let sampling = Some(NtkSampling { nets: 200, experiments: 3, seed: 7 });
    let settings = NtkSettings { lambda_w: Some(0.8), sampling, dntk: true, ..Default::default() };
    let rows = NtkTable::new(&net, &xs, &settings).unwrap().rows(&Direct::new(0, 1)).unwrap();
    let want = rows.dntk.unwrap();
    let columns: Vec<String> = d.get_column_names().iter().map(|c| c.to_string()).collect();
    assert_eq!(columns[..10], want_keys(&columns));
    assert_eq!(
        columns[10..],
        [
            "ntk_indices",
            "ntk_outputs",
            "indices",
            "outputs",
            "dntk_preactivation_leading_order",
            "dntk_preactivation_leading_order_error",
            "dntk_preactivation_mean",
            "dntk_preactivation_stderr"
        ]
    );
    // 4 (output, point) pairs: 10 rows of ntk.parquet x 16 ordered pairs
    assert_eq!(d.height(), 160);
    assert_eq!(strings(&d, "ntk_indices"), want.ntk_indices);
    assert_eq!(strings(&d, "ntk_outputs"), want.ntk_outputs);
    assert_eq!(strings(&d, "indices"), want.indices);
    assert_eq!(strings(&d, "outputs"), want.outputs);
    let some = |v: &[f64]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
    let (mean, stderr) = want.measured.unwrap();
    for (name, values) in [
        ("dntk_preactivation_leading_order", &want.leading_order),
        ("dntk_preactivation_leading_order_error", &want.leading_order_error),
        ("dntk_preactivation_mean", &mean),
        ("dntk_preactivation_stderr", &stderr),
    ] {
        assert_eq!(floats(&d, name), some(values), "{name}");
    }
    assert!(floats(&d, "lambda_w").iter().all(|&v| v == Some(0.8)));
    // the NTK table beside it is the one without --dntk
    let plain = NtkTable::new(&net, &xs, &NtkSettings { dntk: false, ..settings }).unwrap();
    let theta = plain.rows(&Direct::new(0, 1)).unwrap().sampled.unwrap().theta_mean;
    assert_eq!(floats(&read(&file), "theta_mean"), some(&theta));
    // theory alone (no --nets), and no dNTK file without --dntk
    let (ok, out, err) = nnqft(&cwd, &argv[..11].iter().chain(&["--dntk"]).copied().collect::<Vec<_>>());
    assert!(ok, "{err}");
    let file = PathBuf::from(out.trim());
    let file = if file.is_absolute() { file } else { cwd.join(file) };
    let d = read(&file.with_file_name("ntk_dntk.parquet"));
    assert_eq!(d.width(), 10 + 6);
    assert_eq!(floats(&d, "dntk_preactivation_leading_order"), some(&want.leading_order));
    let (ok, out, err) = nnqft(&cwd, &argv[..11]);
    assert!(ok, "{err}");
    let file = PathBuf::from(out.trim());
    let file = if file.is_absolute() { file } else { cwd.join(file) };
    assert!(file.exists() && !file.with_file_name("ntk_dntk.parquet").exists());
    let _ = std::fs::remove_dir_all(&cwd);
}

/// The documented columns of `ntk_ddntk.parquet` after the keys, with `--nets`.
const DDNTK_COLUMNS: [&str; 12] = [
    "ntk_indices",
    "ntk_outputs",
    "indices",
    "outputs",
    "ddi_leading_order",
    "ddi_leading_order_error",
    "ddi_mean",
    "ddi_stderr",
    "ddii_leading_order",
    "ddii_leading_order_error",
    "ddii_mean",
    "ddii_stderr",
];

/// `ntk --ddntk` (here with `--dntk`: both files) writes `ntk_ddntk.parquet`, the rows of
/// `nnqft_study::ddntk_table` bit for bit (leading order at `L = 1` and, with `--nets`,
/// measured from the same seed), with exactly the documented columns; at `L = 2` the
/// leading-order columns are null and the measured ones filled; without `--ddntk` there is no
/// such file.
#[test]
fn ntk_ddntk_table_is_the_librarys() {
    use nnqft_study::Direct;
    use nnqft_study::ntk_table::{NtkSampling, NtkSettings, NtkTable};
    use nnqft_theory::{DeepActivation, DeepNetwork, InputSet};
    let cwd = temp_dir("ddntk");
    std::fs::write(cwd.join("two.txt"), "0.3\n-0.8\n").unwrap();
    let xs = InputSet::new("two", &[vec![0.3], vec![-0.8]]).unwrap();
    let run = |widths: &str, nets: bool, extra: &[&str]| {
        let mut argv = vec!["ntk", "--network", "tanh", "--widths", widths, "--x-set", "two.txt", "--d-out", "2"];
        argv.extend(["--lambda-w", "0.8"]);
        if nets {
            argv.extend(["--nets", "200", "--experiments", "3", "--seed", "7", "--threads", "2"]);
        }
        argv.extend(extra);
        let (ok, out, err) = nnqft(&cwd, &argv);
        assert!(ok, "{argv:?}: {err}");
        let file = PathBuf::from(out.trim());
        if file.is_absolute() { file } else { cwd.join(file) }
    };
    let some = |v: &[f64]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
    let library = |widths: &[usize], nets: bool| {
        let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, widths).unwrap().with_d_out(2).unwrap();
        let sampling = nets.then_some(NtkSampling { nets: 200, experiments: 3, seed: 7 });
        let settings = NtkSettings { lambda_w: Some(0.8), sampling, ddntk: true, ..Default::default() };
        NtkTable::new(&net, &xs, &settings).unwrap().rows(&Direct::new(0, 1)).unwrap().ddntk.unwrap()
    };
    let derived = |widths: &[usize]| {
        let net = DeepNetwork::with_deep_priors(DeepActivation::Tanh, widths).unwrap();
        nnqft_theory::DoubleDifferentialNtk::new(&net, &xs).is_ok()
    };
    for (widths, width_list) in [("6", vec![6]), ("6,5", vec![6, 5])] {
        let file = run(widths, true, &["--ddntk", "--dntk"]);
        assert!(file.with_file_name("ntk_dntk.parquet").exists());
        let d = read(&file.with_file_name("ntk_ddntk.parquet"));
        let want = library(&width_list, true);
        let columns: Vec<String> = d.get_column_names().iter().map(|c| c.to_string()).collect();
        assert_eq!(columns[..10], want_keys(&columns));
        assert_eq!(columns[10..], DDNTK_COLUMNS);
        // 4 (output, point) pairs: 10 rows of ntk.parquet x 16 ordered pairs
        assert_eq!(d.height(), 160);
        assert_eq!(strings(&d, "ntk_indices"), want.ntk_indices);
        assert_eq!(strings(&d, "ntk_outputs"), want.ntk_outputs);
        assert_eq!(strings(&d, "indices"), want.indices);
        assert_eq!(strings(&d, "outputs"), want.outputs);
        let (ddi, ddii) = (want.ddi_measured.clone().unwrap(), want.ddii_measured.clone().unwrap());
        for (name, values) in [
            ("ddi_leading_order", &want.ddi_leading_order),
            ("ddi_leading_order_error", &want.ddi_leading_order_error),
            ("ddii_leading_order", &want.ddii_leading_order),
            ("ddii_leading_order_error", &want.ddii_leading_order_error),
        ] {
            assert_eq!(&floats(&d, name), values, "{widths}: {name}");
            // filled where the theory is derived (L = 1 today), null elsewhere (L = 2 today)
            assert!(values.iter().all(|v| v.is_some() == derived(&width_list)), "{widths}: {name}");
            assert!(width_list.len() > 1 || derived(&width_list));
        }
        for (name, values) in
            [("ddi_mean", &ddi.0), ("ddi_stderr", &ddi.1), ("ddii_mean", &ddii.0), ("ddii_stderr", &ddii.1)]
        {
            assert_eq!(floats(&d, name), some(values), "{widths}: {name}");
        }
    }
    // theory alone (no --nets): the leading-order columns only; no ddNTK file without --ddntk
    let file = run("6", false, &["--ddntk"]);
    let d = read(&file.with_file_name("ntk_ddntk.parquet"));
    assert_eq!(d.width(), 10 + 8);
    assert!(!file.with_file_name("ntk_dntk.parquet").exists());
    assert_eq!(floats(&d, "ddii_leading_order"), library(&[6], false).ddii_leading_order);
    let file = run("6", false, &["--dntk"]);
    assert!(file.exists() && !file.with_file_name("ntk_ddntk.parquet").exists());
    let _ = std::fs::remove_dir_all(&cwd);
}

/// `action` writes the rows of `nnqft_study::action` bit for bit: the exact action of a
/// one-layer network (order 1/N² by default), and the measured action of outputs in a `.npy` file
/// (our own sampler's, written as NumPy writes them), with jackknife errors; bad input is one line.
#[test]
fn action_table_is_the_librarys() {
    use nnqft_sampling::{Ensemble, Estimator};
    use nnqft_study::action::{exact_action, measured_action};
    use nnqft_study::analyze::analyze_outputs;
    use nnqft_theory::{ActionOrder, Activation, InputSet, Network};
    let cwd = temp_dir("action");
    std::fs::write(cwd.join("two.txt"), "-0.5\n0.7\n").unwrap();
    let xs = InputSet::new("two", &[vec![-0.5], vec![0.7]]).unwrap();
    let net = Network::new(Activation::Erf, 1, 1.0, 1.0).unwrap();
    let (ok, out, err) = nnqft(&cwd, &["action", "--network", "erf", "--width", "5", "--x-set", "two.txt"]);
    assert!(ok, "{err}");
    assert!(out.contains("order 1/N^2 on 2 points: 15 couplings"), "{out}");
    let t = read(&cwd.join(out.lines().last().unwrap().trim()));
    let want = exact_action(&net, 5, &xs, ActionOrder::Second).unwrap();
    let columns: Vec<String> = t.get_column_names().iter().map(|c| c.to_string()).collect();
    let names = [
        "run_id",
        "source",
        "order",
        "condition_number",
        "n",
        "indices",
        "outputs",
        "coupling",
        "coupling_stderr",
        "coupling_order1",
        "coupling_gp",
    ];
    assert_eq!(columns, names);
    assert_eq!(strings(&t, "indices"), want.rows.indices);
    let bits = |v: Vec<Option<f64>>| v.into_iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
    assert_eq!(bits(floats(&t, "coupling")), bits(want.rows.coupling.iter().copied().map(Some).collect()));
    assert!(floats(&t, "coupling_stderr").iter().all(Option::is_none));
    let folder = cwd.join(out.lines().last().unwrap().trim()).parent().unwrap().to_path_buf();
    let loc = read(&folder.join("action_locality.parquet"));
    let rows = nnqft_study::action::locality(&want.action, &InputSet::new("two", &[vec![-0.5], vec![0.7]]).unwrap());
    let want_share: Vec<Option<f64>> = rows.unwrap().iter().map(|r| Some(r.norm_share)).collect();
    assert_eq!(bits(floats(&loc, "norm_share")), bits(want_share));

    // a file of outputs: 40000 nets on the two points, float64 little-endian, C order
    let ens = Ensemble::new(net, 5, xs.clone(), 4_000, 10, Estimator::Raw, 3).unwrap();
    let values = ens.outputs(2).unwrap();
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (40000, 2), }";
    let mut header = header.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    values.iter().for_each(|v| bytes.extend(v.to_le_bytes()));
    std::fs::write(cwd.join("outputs.npy"), bytes).unwrap();
    let (ok, out, err) = nnqft(&cwd, &["action", "outputs.npy", "--experiments", "10", "--order", "1"]);
    assert!(ok, "{err}");
    let t = read(&cwd.join(out.lines().last().unwrap().trim()));
    let want = measured_action(&analyze_outputs(&values, 2, 1, 10).unwrap(), ActionOrder::First).unwrap();
    assert_eq!(bits(floats(&t, "coupling")), bits(want.rows.coupling.iter().copied().map(Some).collect()));
    assert_eq!(bits(floats(&t, "coupling_stderr")), bits(want.rows.coupling_stderr.clone()));
    assert_eq!(strings(&t, "source")[0], "file");
    let folder = cwd.join(out.lines().last().unwrap().trim()).parent().unwrap().to_path_buf();
    assert!(!folder.join("action_locality.parquet").exists(), "a file's points have no coordinates");

    // a deep network at order 1/n^2: the library's deep action bit for bit
    let (ok, out, err) =
        nnqft(&cwd, &["action", "--network", "tanh", "--widths", "6,6", "--x-set", "two.txt", "--order", "2"]);
    assert!(ok, "{err}");
    let t = read(&cwd.join(out.lines().last().unwrap().trim()));
    let deep = nnqft_theory::DeepNetwork::with_deep_priors(nnqft_theory::DeepActivation::Tanh, &[6, 6]).unwrap();
    let want = nnqft_study::action::deep_action(&deep, &xs, ActionOrder::Second).unwrap();
    assert_eq!(bits(floats(&t, "coupling")), bits(want.rows.coupling.iter().copied().map(Some).collect()));
    assert_eq!(strings(&t, "source")[0], "deep");

    // bad input: one line naming the cause
    std::fs::write(cwd.join("nine.txt"), (0..9).map(|i| format!("{}\n", 0.1 * i as f64)).collect::<String>()).unwrap();
    for (args, says) in [
        (&["action", "--network", "erf", "--width", "5", "--x-set", "two.txt", "--order", "3"][..], "--order"),
        (&["action", "--network", "erf"][..], "--width"),
        (
            &["action", "--network", "relu", "--widths", "4,4", "--x-set", "nine.txt", "--order", "2"][..],
            "8 input points",
        ),
        (&["action", "missing.npy"][..], "no such file"),
    ] {
        let (ok, _, err) = nnqft(&cwd, args);
        assert!(!ok && err.trim().lines().count() == 1 && err.contains(says), "{args:?}: {err}");
    }
    std::fs::write(cwd.join("same.txt"), "0.3\n0.3\n").unwrap();
    let (ok, _, err) = nnqft(&cwd, &["action", "--network", "erf", "--width", "5", "--x-set", "same.txt"]);
    assert!(!ok && err.contains("ill-conditioned"), "{err}");
}

/// `nnqft action --deform-quartic` writes the library's engineered couplings bit for bit, with
/// any number of threads; bad couplings and measures are one line naming the option.
#[test]
fn deformation_table_is_the_librarys() {
    use nnqft_study::quartic_deformation::{QuarticDeformation, deform_quartic};
    use nnqft_theory::{Activation, InputSet, Network};
    let cwd = temp_dir("deformation");
    std::fs::write(cwd.join("lattice.txt"), "-1.5\n0\n1.5\n").unwrap();
    let xs = InputSet::new("lattice", &[vec![-1.5], vec![0.0], vec![1.5]]).unwrap();
    let net = Network::new(Activation::Cos, 1, 1.0, 0.0).unwrap();
    let settings =
        QuarticDeformation { width: 20, measure: 1.5, lambdas: vec![0.01, 0.02], nets: 3_000, experiments: 4, seed: 5 };
    let want = deform_quartic(&net, &xs, &settings, 1).unwrap();
    let args = [
        "action",
        "--network",
        "cos",
        "--width",
        "20",
        "--x-set",
        "lattice.txt",
        "--deform-quartic",
        "0.01,0.02",
        "--measure",
        "1.5",
        "--nets",
        "3000",
        "--experiments",
        "4",
        "--seed",
        "5",
        "--threads",
        "2",
    ];
    let (ok, out, err) = nnqft(&cwd, &args);
    assert!(ok, "{err}");
    let folder = cwd.join(out.lines().last().unwrap().trim()).parent().unwrap().to_path_buf();
    let t = read(&folder.join("action_deformation.parquet"));
    let columns: Vec<String> = t.get_column_names().iter().map(|c| c.to_string()).collect();
    let names = [
        "run_id",
        "lambda",
        "site",
        "x",
        "measure",
        "expansion_parameter",
        "lambda_measured",
        "lambda_stderr",
        "z",
        "effective_sample_size",
        "nets",
        "offdiagonal_max_z",
    ];
    assert_eq!(columns, names);
    let bits = |v: Vec<Option<f64>>| v.into_iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
    let measured: Vec<Option<f64>> = want.iter().map(|r| Some(r.lambda_measured)).collect();
    assert_eq!(bits(floats(&t, "lambda_measured")), bits(measured));
    let stderr: Vec<Option<f64>> = want.iter().map(|r| Some(r.lambda_stderr)).collect();
    assert_eq!(bits(floats(&t, "lambda_stderr")), bits(stderr));
    assert_eq!(strings(&t, "x"), ["-1.5", "0", "1.5", "-1.5", "0", "1.5"]);
    let base = ["action", "--network", "cos", "--width", "20", "--x-set", "lattice.txt", "--nets", "3000"];
    for (bad, says) in [
        (["--deform-quartic=-0.01", "--measure=1.5"], "lambda"),
        (["--deform-quartic=0.01", "--measure=0"], "measure"),
        (["--deform-quartic=0.01", "--experiments=1"], "experiments"),
    ] {
        let a: Vec<&str> = base.iter().chain(&bad).copied().collect();
        let (ok, _, err) = nnqft(&cwd, &a);
        assert!(!ok && err.trim().lines().count() == 1 && err.contains(says), "{a:?}: {err}");
    }
    let (ok, _, err) = nnqft(&cwd, &["action", "--network", "erf", "--widths", "4,4", "--deform-quartic", "0.01"]);
    assert!(!ok && err.trim().lines().count() == 1 && err.contains("--deform-quartic"), "{err}");
}
