//! Reports of the quick profile: every Parquet file read back with its columns, a snapshot of
//! the numbers at meaningful digits, resume identity, and the command line's bad input.

use polars::prelude::*;
use std::path::{Path, PathBuf};

use nnqft_cli::Common;
use nnqft_report::report::read_parquet;
use nnqft_study::plan::Profile;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnqft-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn quick(out: &Path) {
    let common =
        Common { out: Some(out.to_path_buf()), force: false, seed: 20_200_818, threads: Some(2), no_progress: true };
    nnqft_cli::reproduce::run(&common, Profile::Quick, false).expect("quick profile runs");
}

/// The columns each report must have (docs/conventions.md, "Every Parquet column").
const COLUMNS: [(&str, &[&str]); 20] = [
    (
        "correlators",
        &[
            "run_id",
            "network",
            "d_in",
            "depth",
            "width",
            "widths",
            "n",
            "indices",
            "outputs",
            "estimator",
            "g_mean",
            "g_stderr",
            "g_std_experiments",
            "g_gp",
            "shift_leading_order",
            "connected_leading_order",
            "g_exact",
        ],
    ),
    ("scaling", &["run_id", "network", "d_in", "width", "n", "estimator", "m_n", "background", "m_n_exact"]),
    (
        "scaling_fits",
        &[
            "run_id",
            "network",
            "d_in",
            "n",
            "estimator",
            "quantity",
            "method",
            "slope",
            "slope_lo",
            "slope_hi",
            "r2",
            "widths_used",
        ],
    ),
    (
        "table5",
        &[
            "run_id",
            "network",
            "model",
            "loss",
            "source",
            "lambda0",
            "lambda2",
            "lambda_nl",
            "lambda0_stderr",
            "lambda2_stderr",
            "lambda_nl_stderr",
            "train_mape",
            "train_mse",
            "test_mape",
            "test_mse",
            "condition_number",
            "width",
            "cutoff",
            "nets",
        ],
    ),
    (
        "rg_flow",
        &[
            "run_id",
            "network",
            "d_in",
            "cutoff",
            "lambda_mean",
            "lambda_stderr",
            "lambda_exact",
            "beta_exact",
            "beta_mean",
            "beta_stderr",
            "sextic_exact",
            "sextic_spread_exact",
        ],
    ),
    ("rg_fits", &["run_id", "network", "d_in", "source", "slope", "r2", "slope_expected"]),
    (
        "six_point",
        &[
            "run_id",
            "network",
            "width",
            "cutoff",
            "ratio_gp",
            "ratio_gp_lambda",
            "ratio_gp_exact",
            "ratio_gp_lambda_exact",
        ],
    ),
    ("naturalness", &["run_id", "network", "x_scale", "lambda_mean", "lambda_spread"]),
    (
        "depth",
        &[
            "run_id",
            "network",
            "depth",
            "width",
            "d_out",
            "n",
            "indices",
            "estimator",
            "r_mean",
            "r_stderr",
            "r_leading_order",
            "r_exact",
            "r_next_order",
        ],
    ),
    (
        "depth_fits",
        &[
            "run_id",
            "network",
            "scan",
            "depth",
            "width",
            "indices",
            "slope",
            "slope_lo",
            "slope_hi",
            "slope_leading_order",
            "slope_exact",
            "slope_nominal",
            "leading_order_fails_at_l_over_n",
            "next_order_fails_at_l_over_n",
        ],
    ),
    (
        "depth_shift",
        &[
            "run_id",
            "network",
            "depth",
            "width",
            "d_out",
            "n",
            "indices",
            "estimator",
            "g2_mean",
            "g2_stderr",
            "g2_gp",
            "shift_mean",
            "shift_stderr",
            "shift_leading_order",
            "shift_exact",
        ],
    ),
    (
        "depth_six_point",
        &[
            "run_id",
            "network",
            "depth",
            "width",
            "d_out",
            "n",
            "indices",
            "estimator",
            "r6_mean",
            "r6_stderr",
            "r6_leading_order",
            "r6_exact",
            "c6_mean",
            "c6_stderr",
            "c6_leading_order",
        ],
    ),
    (
        "ntk_study",
        &[
            "run_id",
            "network",
            "depth",
            "width",
            "l_over_n",
            "quantity",
            "indices",
            "measured",
            "stderr",
            "predicted",
            "predicted_error",
            "z",
        ],
    ),
    (
        "action",
        &[
            "run_id",
            "network",
            "width",
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
        ],
    ),
    (
        "action_density",
        &[
            "run_id",
            "network",
            "width",
            "order",
            "form",
            "distance_squared",
            "distance_squared_stderr",
            "distance",
            "distance_stderr",
            "resolved",
            "z_below_previous_order",
            "distance_predicted",
            "negative_mass",
            "normalisable",
            "outside",
            "nets",
            "experiments",
        ],
    ),
    (
        "action_density_fits",
        &[
            "run_id",
            "network",
            "order",
            "form",
            "min_width",
            "widths_used",
            "slope",
            "slope_lo",
            "slope_hi",
            "r2",
            "slope_predicted",
            "slope_expected",
        ],
    ),
    (
        "action_density_predicted",
        &["run_id", "network", "order", "width", "distance_predicted", "local_slope_predicted", "slope_expected"],
    ),
    (
        "action_locality",
        &["run_id", "network", "width", "spread", "multisets", "mean_abs", "max_abs", "norm_share", "cumulative_share"],
    ),
    (
        "action_local_coupling",
        &[
            "run_id",
            "network",
            "width",
            "points",
            "spacing",
            "cutoff",
            "condition_number",
            "lambda0",
            "lambda0_mape",
            "lambda_diagonal_mean",
            "lambda_diagonal_min",
            "lambda_diagonal_max",
            "rough_modes",
            "rough_share",
        ],
    ),
    (
        "action_local_modes",
        &[
            "run_id",
            "network",
            "width",
            "mode",
            "eigenvalue",
            "eigenvalue_ratio",
            "excess_kurtosis",
            "norm_share",
            "cumulative_share",
            "local_diagonal",
            "lambda_diagonal",
            "lambda_projected",
            "model_lambda_projected",
        ],
    ),
];

fn strings(df: &DataFrame, col: &str) -> Vec<String> {
    let ca = df.column(col).unwrap().str().unwrap();
    (0..ca.len()).map(|i| ca.get(i).unwrap_or("").to_string()).collect()
}

fn floats(df: &DataFrame, col: &str) -> Vec<Option<f64>> {
    let ca = df.column(col).unwrap().f64().unwrap();
    (0..ca.len()).map(|i| ca.get(i)).collect()
}

/// Rounds to `digits` significant digits for snapshots.
fn sig(v: Option<f64>, digits: usize) -> String {
    match v {
        None => "null".into(),
        Some(v) if v.abs() < f64::MIN_POSITIVE => "0".into(),
        Some(v) => format!("{v:.*e}", digits - 1),
    }
}

#[test]
fn quick_profile_reports_read_back_with_their_columns() {
    let out = temp_dir("quick");
    quick(&out);
    let prov: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("provenance.json")).unwrap()).unwrap();
    let run_id = prov["run_id"].as_str().unwrap().to_string();
    for key in ["git_commit", "config_hash", "seed", "crate_versions", "profile", "start_time", "end_time", "threads"] {
        assert!(prov.get(key).is_some(), "provenance lacks {key}");
    }
    for (name, cols) in COLUMNS {
        let df = read_parquet(&out.join(format!("{name}.parquet"))).unwrap();
        assert!(df.height() > 0, "{name} is empty");
        let have: Vec<String> = df.get_column_names().iter().map(|c| c.to_string()).collect();
        for c in cols {
            assert!(have.iter().any(|h| h == c), "{name}.parquet lacks column {c}: {have:?}");
        }
        assert!(strings(&df, "run_id").iter().all(|r| *r == run_id), "{name}: run_id differs from provenance");
        if have.iter().any(|h| h == "network") {
            let allowed: &[&str] = if name.starts_with("depth") {
                &["erf", "relu", "tanh", "gelu"]
            } else if name == "ntk_study" {
                &["relu", "tanh", "gelu"]
            } else if name.starts_with("action") {
                &["erf", "cos", "relu"]
            } else if ["correlators", "scaling", "scaling_fits"].contains(&name) {
                &["erf", "relu", "gauss", "cos"]
            } else {
                &["erf", "relu", "gauss"]
            };
            assert!(strings(&df, "network").iter().all(|n| allowed.contains(&n.as_str())), "{name}: networks");
        }
    }
    let t5 = read_parquet(&out.join("table5.parquet")).unwrap();
    assert!(strings(&t5, "source").iter().all(|s| ["exact", "monte_carlo", "paper"].contains(&s.as_str())));
    assert!(strings(&t5, "model").iter().all(|s| ["M0", "M1", "M2", "M3"].contains(&s.as_str())));
    assert!(strings(&t5, "loss").iter().all(|s| ["mse", "mape"].contains(&s.as_str())));
    relu_beta_is_its_dimension(&read_parquet(&out.join("rg_flow.parquet")).unwrap());
    // the locality profile: per network the 16 spreads of the grid (0, 0.5, ..., 7.5), shares that
    // partition the quartic coupling's squared norm, one local-coupling row per network
    let loc = read_parquet(&out.join("action_locality.parquet")).unwrap();
    let (lnet, spread, cum) = (strings(&loc, "network"), floats(&loc, "spread"), floats(&loc, "cumulative_share"));
    for net in ["erf", "cos", "relu"] {
        let rows: Vec<usize> = (0..loc.height()).filter(|&i| lnet[i] == net).collect();
        assert_eq!(rows.len(), 16, "{net}: spreads");
        for (k, &i) in rows.iter().enumerate() {
            assert!((spread[i].unwrap() - 0.5 * k as f64).abs() < 1e-12, "{net}: spread {:?}", spread[i]);
        }
        assert!((cum[*rows.last().unwrap()].unwrap() - 1.0).abs() < 1e-12, "{net}: shares do not add up to 1");
    }
    let lc = read_parquet(&out.join("action_local_coupling.parquet")).unwrap();
    let grids = |net: &str| std::iter::repeat_n(net.to_string(), 5);
    assert_eq!(strings(&lc, "network"), grids("erf").chain(grids("cos")).chain(grids("relu")).collect::<Vec<_>>());
    let points = lc.column("points").unwrap().i64().unwrap().clone();
    assert_eq!((0..5).map(|i| points.get(i).unwrap()).collect::<Vec<_>>(), [8, 10, 12, 14, 16]);
    let lm = read_parquet(&out.join("action_local_modes.parquet")).unwrap();
    assert_eq!(lm.height(), 3 * 16, "one row per mode of the 16-point grid per network");
    let (shares, ratios) = (floats(&lm, "cumulative_share"), floats(&lm, "eigenvalue_ratio"));
    for k in 0..3 {
        assert!((shares[16 * k + 15].unwrap() - 1.0).abs() < 1e-12, "cumulative shares end at 1");
        assert!((ratios[16 * k].unwrap() - 1.0).abs() < 1e-15, "the first mode is the largest");
    }
    let mut snap_depth = String::new();
    // the depth study: leading order and exact values where they are exact identities
    let dp = read_parquet(&out.join("depth.parquet")).unwrap();
    let (dnet, dest, dind) = (strings(&dp, "network"), strings(&dp, "estimator"), strings(&dp, "indices"));
    let (dl, dn) =
        (dp.column("depth").unwrap().i64().unwrap().clone(), dp.column("width").unwrap().i64().unwrap().clone());
    let (r, r_se, r_lo, r_ex) =
        (floats(&dp, "r_mean"), floats(&dp, "r_stderr"), floats(&dp, "r_leading_order"), floats(&dp, "r_exact"));
    // 3 networks x 3 depths x 2 widths conditional, raw at one width: 126 multisets each
    assert_eq!(dp.height(), (18 + 9) * 126);
    for i in 0..dp.height() {
        let (l, n) = (dl.get(i).unwrap() as i32, dn.get(i).unwrap() as f64);
        let set: Vec<&str> = dind[i].split(',').collect();
        let diagonal = set.iter().all(|p| *p == set[0]);
        if r[i].is_none() {
            // r = 0/0 where Wick4 vanishes: relu at C_b = 0 gives inputs of opposite sign
            // exactly zero covariance in every net (the leading order is a limit there)
            let signs: Vec<bool> = set.iter().map(|p| p.parse::<usize>().unwrap() < 3).collect();
            assert!(dnet[i] == "relu" && signs.iter().any(|s| *s != signs[0]), "row {i}: r missing");
            continue;
        }
        assert!(r_se[i].is_some_and(|s| s > 0.0), "row {i}: stderr missing");
        if dnet[i] == "relu" && diagonal {
            // relu at C_b = 0: leading order 5L/n, exact (1 + 5/n)^L - 1 on every diagonal multiset
            assert!((r_lo[i].unwrap() - 5.0 * l as f64 / n).abs() < 1e-12, "row {i}: {:?}", r_lo[i]);
            assert!((r_ex[i].unwrap() - ((1.0 + 5.0 / n).powi(l) - 1.0)).abs() < 1e-12, "row {i}: {:?}", r_ex[i]);
        } else {
            assert!(r_ex[i].is_none(), "row {i}: an exact value where none is known");
        }
    }
    assert!(dest.iter().any(|e| e == "raw") && dest.iter().any(|e| e == "conditional"));
    let fits = read_parquet(&out.join("depth_fits.parquet")).unwrap();
    assert_eq!(fits.height(), 3 * (2 + 3), "a depth scan per width and a width scan per depth, per network");
    for i in 0..dp.height() {
        if dest[i] == "conditional" && dind[i] == "5,5,5,5" {
            snap_depth.push_str(&format!(
                "depth {} L={} n={}: r {} leading order {}\n",
                dnet[i],
                dl.get(i).unwrap(),
                dn.get(i).unwrap(),
                sig(r[i], 4),
                sig(r_lo[i], 6)
            ));
        }
    }
    for f in [
        "SUMMARY.md",
        "figures/scaling-relu-d1-conditional.svg",
        "figures/rg-flow.svg",
        "figures/six-point.svg",
        "figures/depth.svg",
        "figures/depth-next-order.svg",
        "figures/ntk.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let leftovers: Vec<_> = walk(&out).into_iter().filter(|p| p.to_string_lossy().ends_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert!(!out.join(".blocks").exists(), "block cache not cleared after a successful run");

    // Snapshot of the numbers at the digits that are meaningful: exact theory to 6 digits,
    // Monte Carlo of the fixed seed to 4 (deterministic, so any change is a real change).
    let mut snap = String::new();
    let sc = read_parquet(&out.join("scaling.parquet")).unwrap();
    let (net, est, w, n) = (
        strings(&sc, "network"),
        strings(&sc, "estimator"),
        sc.column("width").unwrap().i64().unwrap().clone(),
        sc.column("n").unwrap().i64().unwrap().clone(),
    );
    let (m, bg, ex) = (floats(&sc, "m_n"), floats(&sc, "background"), floats(&sc, "m_n_exact"));
    for i in 0..sc.height() {
        snap.push_str(&format!(
            "scaling {} {} N={} n={}: m_n {} bg {} exact {}\n",
            net[i],
            est[i],
            w.get(i).unwrap(),
            n.get(i).unwrap(),
            sig(m[i], 4),
            sig(bg[i], 4),
            sig(ex[i], 6)
        ));
    }
    let (src, model, loss) = (strings(&t5, "source"), strings(&t5, "model"), strings(&t5, "loss"));
    let (l0, l2, lnl) = (floats(&t5, "lambda0"), floats(&t5, "lambda2"), floats(&t5, "lambda_nl"));
    let tnet = strings(&t5, "network");
    let t5est = strings(&t5, "estimator");
    for i in 0..t5.height() {
        let wanted = src[i] == "exact"
            || (src[i] == "monte_carlo" && ["conditional", "bias_integrated"].contains(&t5est[i].as_str()));
        if wanted && loss[i] == "mse" {
            // exact theory to 6 digits, Monte Carlo of the fixed seed to 4
            let digits = if src[i] == "exact" { 6 } else { 4 };
            let line = format!(
                "table5 {} {} {}: {} {} {}\n",
                src[i],
                tnet[i],
                model[i],
                sig(l0[i], digits),
                sig(l2[i], 4),
                sig(lnl[i], 4)
            );
            snap.push_str(&line);
        }
    }
    let rf = read_parquet(&out.join("rg_fits.parquet")).unwrap();
    let (rn, rs, slope) = (strings(&rf, "network"), strings(&rf, "source"), floats(&rf, "slope"));
    let d = rf.column("d_in").unwrap().i64().unwrap().clone();
    for i in 0..rf.height() {
        if rs[i] == "exact" {
            snap.push_str(&format!("rg exact {} d={}: slope {}\n", rn[i], d.get(i).unwrap(), sig(slope[i], 6)));
        }
    }
    let six = read_parquet(&out.join("six_point.parquet")).unwrap();
    let (sn, sc6, sr) = (strings(&six, "network"), floats(&six, "cutoff"), floats(&six, "ratio_gp_lambda_exact"));
    for i in (0..six.height()).step_by(5) {
        snap.push_str(&format!("six-point exact {} Lambda={}: {}\n", sn[i], sig(sc6[i], 3), sig(sr[i], 6)));
    }
    let nat = read_parquet(&out.join("naturalness.parquet")).unwrap();
    let (nn, ns, nsp) = (strings(&nat, "network"), floats(&nat, "x_scale"), floats(&nat, "lambda_spread"));
    for i in 0..nat.height() {
        // a spread at rounding level (ReLU at d = 1 has exactly constant lambda_m) is not a digit to pin
        let spread = if nsp[i].is_some_and(|v| v < 1e-10) { "< 1e-10".to_string() } else { sig(nsp[i], 3) };
        snap.push_str(&format!("naturalness {} scale {}: spread {spread}\n", nn[i], sig(ns[i], 1)));
    }
    snap.push_str(&snap_depth);
    insta::assert_snapshot!("quick_profile_numbers", snap);
    let _ = std::fs::remove_dir_all(&out);
}

/// The exact beta function of ReLU (sigma_b = 0) at every cutoff: `T0 ~ Lambda^(4+d)`, so
/// `beta / lambda = -(4 + d)` to rounding, in every row of `rg_flow.parquet`.
fn relu_beta_is_its_dimension(flow: &DataFrame) {
    const ROUNDING: f64 = 64.0 * f64::EPSILON;
    let (net, beta, lambda) = (strings(flow, "network"), floats(flow, "beta_exact"), floats(flow, "lambda_exact"));
    let d = flow.column("d_in").unwrap().i64().unwrap().clone();
    let mut checked = [0usize; 3];
    for i in 0..flow.height() {
        if net[i] == "relu" {
            let d = d.get(i).unwrap();
            let ratio = beta[i].unwrap() / lambda[i].unwrap();
            assert!(
                (ratio + 4.0 + d as f64).abs() <= ROUNDING * (4.0 + d as f64),
                "relu d={d} row {i}: beta/lambda = {ratio}"
            );
            checked[d as usize - 1] += 1;
        }
    }
    assert_eq!(checked, [21; 3], "relu rows per d (21 cutoffs each)");
}

#[test]
fn committed_reports_have_the_exact_relu_beta() {
    let root = nnqft_cli::command_line::workspace_root().join("reports/rg_flow.parquet");
    relu_beta_is_its_dimension(&read_parquet(&root).unwrap());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// The run of the block-cache tests in `out` with configuration `config` (master seed 1).
fn block_run(out: &Path, config: &str) -> nnqft_run::run::Run {
    nnqft_run::run::Run::unlocked(
        out.to_path_buf(),
        nnqft_run::run::Command::Reproduce,
        1,
        2,
        serde_json::json!(config),
    )
}

/// `ens` through the resume cache of a run in `out` with configuration `config` (`resume`:
/// reuse an intact block).
fn cached(
    out: &Path,
    resume: bool,
    config: &str,
    ens: &nnqft_sampling::Ensemble,
) -> nnqft_study::Result<nnqft_sampling::EnsembleResult> {
    use nnqft_study::Runner;
    nnqft_run::runner::Sampler::new(&block_run(out, config), resume).ensemble(&block_key(), ens, 9)
}

/// The key of [`block_ensemble`] (seed 9: a one-ensemble run's master seed).
fn block_key() -> nnqft_study::key::EnsembleKey {
    use nnqft_sampling::Estimator;
    use nnqft_theory::Activation;
    nnqft_study::key::EnsembleKey::Sample { activation: Activation::Erf, width: 5, estimator: Estimator::Raw }
}

/// A small ensemble for the block-cache tests (seed 9).
fn block_ensemble() -> nnqft_sampling::Ensemble {
    use nnqft_sampling::{Ensemble, Estimator};
    use nnqft_theory::{Activation, InputSet, Network};
    let net = Network::paper(Activation::Erf, 1).unwrap();
    Ensemble::new(net, 5, InputSet::scaling(Activation::Erf, 1).unwrap(), 3000, 3, Estimator::Raw, 9).unwrap()
}

/// Where an unsharded run keeps the block of [`block_key`].
fn block_file(out: &Path) -> PathBuf {
    out.join(".blocks/shard-0-of-1").join(format!("{}.nnqs", block_key()))
}

/// `(header, payload)` of a block file (the shard format: magic, header length, JSON header,
/// payload, CRC-32).
fn split_block(bytes: &[u8]) -> (serde_json::Value, Vec<u8>) {
    let len = u64::from_le_bytes(bytes[8..16].try_into().unwrap()) as usize;
    (serde_json::from_slice(&bytes[16..16 + len]).unwrap(), bytes[16 + len..bytes.len() - 4].to_vec())
}

/// A well-formed block file (as a run of that header would write it): `header` and `payload`
/// with the preamble and the CRC-32 recomputed.
fn join_block(header: &serde_json::Value, payload: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(header).unwrap();
    let mut bytes = b"NNQFTSH1".to_vec();
    bytes.extend_from_slice(&(json.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(payload);
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

#[test]
fn resumed_blocks_give_identical_numbers() {
    let out = temp_dir("resume");
    std::fs::create_dir_all(&out).unwrap();
    let ens = block_ensemble();
    let first = cached(&out, false, "h1", &ens).unwrap();
    // the unsharded run's numbers are the ensemble's own run, bit for bit
    assert_eq!(first, ens.run(2).unwrap());
    // a resumed run reads the block back bit for bit
    let resumed = cached(&out, true, "h1", &ens).unwrap();
    assert_eq!(first.means, resumed.means);
    // ... and it did read it rather than sample again: a valid block (checksum recomputed)
    // whose first item sum is changed comes back as the merge of the changed sums
    let path = block_file(&out);
    let (header, mut payload) = split_block(&std::fs::read(&path).unwrap());
    payload[..8].copy_from_slice(&1234.5f64.to_le_bytes());
    std::fs::write(&path, join_block(&header, &payload)).unwrap();
    let sums = nnqft_run::shard::ShardFile::open(&path).unwrap().read_section(0).unwrap();
    assert_eq!(sums[0].sums()[0][0].to_bits(), 1234.5f64.to_bits());
    let read = cached(&out, true, "h1", &ens).unwrap();
    assert_ne!(read.means, first.means, "the resumed run did not read the cache");
    assert_eq!(read, ens.merge_items(&sums).unwrap());
    let _ = std::fs::remove_dir_all(&out);
}

/// Damaged resume cache: a truncated, bit-flipped, headerless, wrong-version block, or one of
/// another configuration, seed, shard or ensemble is each detected (the reason on one line,
/// printed on stderr) and recomputed to the uninterrupted numbers, never used.
#[test]
fn damaged_blocks_are_named_and_recomputed() {
    use nnqft_run::shard::{ShardFile, block_damage};
    let out = temp_dir("damaged-blocks");
    std::fs::create_dir_all(&out).unwrap();
    let ens = block_ensemble();
    let first = cached(&out, false, "h1", &ens).unwrap();
    let path = block_file(&out);
    let honest = std::fs::read(&path).unwrap();
    let good = ShardFile::open(&path).unwrap();
    let section = good.header.ensembles[0].clone();
    let honest_sums = good.read_section(0).unwrap();
    let whole = nnqft_sampling::Shard::new(0, 1).unwrap();
    let damage = |run: &nnqft_run::run::Run| block_damage(run, whole, &section, &path);
    assert_eq!(damage(&block_run(&out, "h1")), None);
    let (header, payload) = split_block(&honest);
    let mut flipped = honest.clone();
    let middle = honest.len() - 4 - payload.len() / 2;
    flipped[middle] ^= 0x01;
    let edit = |field: &str, value: serde_json::Value| {
        let mut h = header.clone();
        h[field] = value;
        join_block(&h, &payload)
    };
    let mut other_ensemble = header.clone();
    other_ensemble["ensembles"][0]["estimator"] = "conditional".into();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", honest[..honest.len() / 2].to_vec(), "corrupt shard"),
        ("bit-flipped", flipped, "checksum"),
        ("no header", honest[8..].to_vec(), "magic"),
        ("wrong version", edit("version", 7.into()), "version 7"),
        ("foreign configuration", edit("config_hash", "h0".into()), "another configuration"),
        ("foreign seed", edit("seed", 2.into()), "another configuration"),
        ("another shard", edit("shards", 2.into()), "of shard 0/2"),
        ("another ensemble", join_block(&other_ensemble, &payload), "another ensemble"),
    ];
    let mut detected = 0;
    for (name, bytes, expected) in &cases {
        std::fs::write(&path, bytes).unwrap();
        let line = damage(&block_run(&out, "h1")).unwrap_or_else(|| panic!("{name}: not detected"));
        assert!(line.contains(expected), "{name}: {line}");
        assert_eq!(line.lines().count(), 1, "{name}: {line}");
        let again = cached(&out, true, "h1", &ens).unwrap();
        assert_eq!(first, again, "{name}: not recomputed to the same numbers");
        // recomputing rewrote a good block with the same sums
        assert_eq!(damage(&block_run(&out, "h1")), None, "{name}");
        assert_eq!(ShardFile::open(&path).unwrap().read_section(0).unwrap(), honest_sums, "{name}");
        detected += 1;
    }
    eprintln!("cache damage: {detected}/{} detected and recomputed", cases.len());
    // the same good block under another configuration is foreign too
    std::fs::write(&path, &honest).unwrap();
    assert!(damage(&block_run(&out, "h2")).is_some_and(|d| d.contains("another configuration")));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn coverage_study_counts_intervals_of_both_methods() {
    use nnqft_study::coverage::{CoveragePlan, run};
    use nnqft_study::scaling::SlopeMethod;
    let plan = CoveragePlan { seeds: 3, widths: vec![2, 3, 5, 10, 20], experiments: 6, nets: 1000 };
    let rows = run(20_200_818, 2, &plan, &[nnqft_theory::Activation::Relu], &|_, _, _| {}).unwrap();
    for method in [SlopeMethod::PaperLsq, SlopeMethod::CommonExponent] {
        assert!(rows.iter().any(|r| r.method == method && r.quantity == "m4"), "{method}: {rows:?}");
    }
    for r in &rows {
        assert!(r.repetitions <= plan.seeds && r.covered <= r.repetitions && r.repetitions > 0, "{r:?}");
    }
}

/// The coverage study of the closing criteria (200 seeds, about 10 minutes on 2 cores): the
/// common-exponent intervals contain the exact slope 95% of the time, within 3 points for
/// every network and quantity (binomial standard error 1.5 points at 200 repetitions). Run by
/// `.ci/run` with `--ignored`.
#[test]
#[ignore]
fn common_exponent_intervals_cover_the_exact_slope() {
    use nnqft_report::coverage::markdown;
    use nnqft_study::coverage::{CoveragePlan, run};
    let plan = CoveragePlan::standard(200);
    let rows = run(20_200_818, 2, &plan, &nnqft_theory::Activation::ALL, &|_, _, _| {}).unwrap();
    eprintln!("{}", markdown(&rows, &plan, 20_200_818));
    let ours: Vec<_> = rows.iter().filter(|r| r.method == nnqft_study::scaling::SlopeMethod::CommonExponent).collect();
    assert!(ours.len() >= 8, "{ours:?}");
    for r in ours {
        assert!(r.repetitions >= 150, "{r:?}");
        // 95% +- 3 points, in whole counts (0.98 - 0.95 is not <= 0.03 in floating point)
        let (covered, reps) = (100 * r.covered, r.repetitions);
        assert!((92 * reps..=98 * reps).contains(&covered), "{r:?}: coverage {}", r.coverage());
    }
}
