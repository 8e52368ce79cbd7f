//! `nnqft analyze` on `.npy` files: the outputs of our own sampler give its raw estimator's
//! numbers bit for bit, and every bad file is refused, naming it, with nothing written.

use nnqft_cli::analyze::AnalyzeArgs;
use nnqft_cli::{Common, tables};
use nnqft_report::report::read_parquet;
use nnqft_sampling::{Ensemble, Estimator};
use nnqft_stats::summarize;
use nnqft_theory::{Activation, InputSet, Network};
use std::path::{Path, PathBuf};

/// A version-1.0 `.npy` file: `descr`, `fortran_order`, `shape` and the data bytes.
fn npy(path: &Path, descr: &str, fortran: bool, shape: &[usize], data: &[u8]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn args(files: Vec<PathBuf>, widths: Option<Vec<usize>>, experiments: usize) -> AnalyzeArgs {
    AnalyzeArgs {
        files,
        widths,
        experiments,
        max_order: 6,
        x_set: None,
        eft: None,
        d_in: 1,
        sigma_w: None,
        sigma_b: None,
        cutoff: None,
        action: false,
    }
}

fn common(out: &Path) -> Common {
    Common { out: Some(out.to_path_buf()), force: false, seed: 1, threads: Some(1), no_progress: true }
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nnqft-analyze-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Our sampler's outputs written as `.npy` and analysed: `g_mean`, `g_stderr` and
/// `g_std_experiments` equal the raw estimator's summary bit for bit.
#[test]
fn own_outputs_give_the_raw_estimator_bit_for_bit() {
    let dir = temp("own");
    let net = Network::paper(Activation::Relu, 1).unwrap();
    let xs = InputSet::scaling(Activation::Relu, 1).unwrap();
    let ens = Ensemble::new(net, 3, xs.clone(), 5000, 4, Estimator::Raw, 17).unwrap();
    let outputs = ens.outputs(1).unwrap();
    let file = dir.join("relu.npy");
    npy(&file, "<f8", false, &[20_000, xs.len()], &f64_bytes(&outputs));
    let out = dir.join("report");
    tables::analyze(&common(&out), &args(vec![file], None, 4)).unwrap();
    let df = read_parquet(&out.join("analysis.parquet")).unwrap();
    let col = |name: &str| df.column(name).unwrap().f64().unwrap().into_no_null_iter().collect::<Vec<f64>>();
    let result = ens.run(1).unwrap();
    let mut expected = (Vec::new(), Vec::new(), Vec::new());
    for o in 0..3 {
        let s = summarize(&result.means[o], 4).unwrap();
        expected.0.extend(s.mean);
        expected.1.extend(s.stderr);
        expected.2.extend(s.std);
    }
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&col("g_mean")), bits(&expected.0));
    assert_eq!(bits(&col("g_stderr")), bits(&expected.1));
    assert_eq!(bits(&col("g_std_experiments")), bits(&expected.2));
    for f in ["analysis_summary.parquet", "SUMMARY.md", "provenance.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let prov = std::fs::read_to_string(out.join("provenance.json")).unwrap();
    assert!(prov.contains("\"sha256\"") && prov.contains("relu.npy"), "{prov}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every dtype and layout a file may have gives the numbers of the native one: float64 in either
/// byte order bit for bit, float32 in either byte order as its widened values, and a three-axis
/// array as the stream of its rows with that many outputs. A mean far from zero is flagged.
#[test]
fn byte_orders_widths_and_three_axes_read_alike() {
    let dir = temp("dtypes");
    let values: Vec<f64> = (0..64 * 6).map(|i| (((i * 37) % 101) as f64 - 50.0) / 25.0).collect();
    let g_mean = |file: PathBuf, name: &str| -> Vec<u64> {
        let out = dir.join(format!("out-{name}"));
        tables::analyze(&common(&out), &args(vec![file], None, 4)).unwrap();
        let df = read_parquet(&out.join("analysis.parquet")).unwrap();
        df.column("g_mean").unwrap().f64().unwrap().into_no_null_iter().map(f64::to_bits).collect()
    };
    let le = dir.join("le.npy");
    npy(&le, "<f8", false, &[64, 6], &f64_bytes(&values));
    let be = dir.join("be.npy");
    npy(&be, ">f8", false, &[64, 6], &values.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<_>>());
    assert_eq!(g_mean(le.clone(), "le"), g_mean(be, "be"));
    let narrow: Vec<f32> = values.iter().map(|&x| x as f32).collect();
    let widened: Vec<f64> = narrow.iter().map(|&x| x as f64).collect();
    let wide = dir.join("wide.npy");
    npy(&wide, "<f8", false, &[64, 6], &f64_bytes(&widened));
    for (name, bytes) in [
        ("f4le", narrow.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>()),
        ("f4be", narrow.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<_>>()),
    ] {
        let f = dir.join(format!("{name}.npy"));
        npy(&f, if name == "f4le" { "<f4" } else { ">f4" }, false, &[64, 6], &bytes);
        assert_eq!(g_mean(f, name), g_mean(wide.clone(), &format!("wide-{name}")));
    }
    // a wide Parquet table (one float column per point, one of them float32) reads as the .npy
    let parquet = |name: &str, extra: Option<polars::prelude::Column>, null: bool| -> PathBuf {
        use polars::prelude::{Column, DataFrame, ParquetWriter};
        let mut cols: Vec<Column> = (0..6)
            .map(|p| {
                let col: Vec<f64> = (0..64).map(|i| values[i * 6 + p]).collect();
                if p == 0 && null {
                    let mut opt: Vec<Option<f64>> = col.into_iter().map(Some).collect();
                    opt[5] = None;
                    Column::new(format!("f{p}").into(), opt)
                } else {
                    Column::new(format!("f{p}").into(), col)
                }
            })
            .collect();
        cols.extend(extra);
        let mut df = DataFrame::new_infer_height(cols).unwrap();
        let path = dir.join(name);
        ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut df).unwrap();
        path
    };
    assert_eq!(g_mean(parquet("wide.parquet", None, false), "parquet"), g_mean(le.clone(), "le-again"));
    let strings = parquet("strings.parquet", Some(polars::prelude::Column::new("net".into(), vec!["a"; 64])), false);
    let err =
        format!("{:#}", tables::analyze(&common(&dir.join("out-strings")), &args(vec![strings], None, 4)).unwrap_err());
    assert!(err.contains("column net is str"), "{err}");
    let nulls = parquet("nulls.parquet", None, true);
    let err =
        format!("{:#}", tables::analyze(&common(&dir.join("out-nulls")), &args(vec![nulls], None, 4)).unwrap_err());
    assert!(err.contains("column f0 has 1 missing values"), "{err}");
    // (nets, 3 points, 2 outputs) is the stream of the same rows with two outputs
    let three = dir.join("three.npy");
    npy(&three, "<f8", false, &[64, 3, 2], &f64_bytes(&values));
    let mut stream = nnqft_study::analyze::output_stream(6, 2, 64, 4, 6).unwrap();
    stream.push(&values).unwrap();
    let direct = nnqft_study::analyze::analyze_stream(stream).unwrap();
    assert_eq!(g_mean(three, "three"), direct.rows.g_mean.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    // a mean of 3 at every point is resolved (16 experiments: the threshold is t with 15 degrees
    // of freedom, where 4 experiments would need |z| above 157) and flagged
    let shifted: Vec<f64> = values.iter().map(|x| x + 3.0).collect();
    let f = dir.join("shifted.npy");
    npy(&f, "<f8", false, &[64, 6], &f64_bytes(&shifted));
    let out = dir.join("out-shifted");
    tables::analyze(&common(&out), &args(vec![f], None, 16)).unwrap();
    let summary = std::fs::read_to_string(out.join("SUMMARY.md")).unwrap();
    assert!(summary.contains("the mean output is resolved from zero"), "{summary}");
    let summary = std::fs::read_to_string(dir.join("out-le").join("SUMMARY.md")).unwrap();
    assert!(!summary.contains("resolved from zero"), "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bad files and options are refused naming the file or option and what was expected; no report
/// folder is made.
#[test]
fn bad_files_are_refused_and_nothing_is_written() {
    let dir = temp("bad");
    let good: Vec<f64> = (0..40 * 3).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
    let mut cases: Vec<(AnalyzeArgs, &str)> = Vec::new();
    let write = |name: &str, descr: &str, fortran: bool, shape: &[usize], data: &[u8]| -> PathBuf {
        let p = dir.join(name);
        npy(&p, descr, fortran, shape, data);
        p
    };
    let ok = write("good.npy", "<f8", false, &[40, 3], &f64_bytes(&good));
    let truncated = write("truncated.npy", "<f8", false, &[40, 3], &f64_bytes(&good[..100]));
    let longer = write("longer.npy", "<f8", false, &[36, 3], &f64_bytes(&good));
    let fortran = write("fortran.npy", "<f8", true, &[40, 3], &f64_bytes(&good));
    let ints = write("ints.npy", "<i8", false, &[40, 3], &f64_bytes(&good));
    let one_d = write("flat.npy", "<f8", false, &[120], &f64_bytes(&good));
    let mut nan = good.clone();
    nan[7] = f64::NAN;
    let nan = write("nan.npy", "<f8", false, &[40, 3], &f64_bytes(&nan));
    let other_points = write("four.npy", "<f8", false, &[28, 4], &f64_bytes(&good[..112]));
    let junk = dir.join("junk.npy");
    std::fs::write(&junk, b"not numpy at all").unwrap();
    cases.push((args(vec![truncated], None, 4), "truncated.npy: truncated"));
    cases.push((args(vec![longer], None, 4), "bytes after the data"));
    cases.push((args(vec![fortran], None, 4), "Fortran-ordered"));
    cases.push((args(vec![ints], None, 4), "expected float64 or float32"));
    cases.push((args(vec![one_d], None, 4), "expected (nets, points)"));
    cases.push((args(vec![nan], None, 4), "net 2, point 1"));
    cases.push((args(vec![ok.clone()], None, 3), "at least 4"));
    cases.push((args(vec![ok.clone()], None, 6), "multiple of the 6 experiments"));
    cases.push((args(vec![ok.clone(), other_points], Some(vec![2, 4]), 4), "share their points"));
    cases.push((args(vec![ok.clone()], Some(vec![2, 4]), 4), "one width per file"));
    cases.push((args(vec![ok.clone()], Some(vec![0]), 4), "--widths: 0"));
    cases.push((args(vec![junk], None, 4), "junk.npy: not a NumPy .npy file"));
    // a version-2 header claiming a megabyte, and a shape whose size overflows 64 bits
    let huge_header = dir.join("huge_header.npy");
    let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
    bytes.extend(1_000_000u32.to_le_bytes());
    bytes.extend(vec![b' '; 100]);
    std::fs::write(&huge_header, bytes).unwrap();
    cases.push((args(vec![huge_header], None, 4), "a header of 1000000 bytes"));
    let overflow = write("overflow.npy", "<f8", false, &[1 << 40, 1 << 40], &[]);
    cases.push((args(vec![overflow], None, 4), "does not parse or overflows"));
    let big = write("big.npy", "<f8", false, &[1 << 40, 3], &[]);
    cases.push((args(vec![big], None, 4), "truncated: its header promises 1099511627776 nets"));
    cases.push((args(vec![dir.join("missing.npy")], None, 4), "missing.npy: no such file"));
    cases.push((AnalyzeArgs { max_order: 7, ..args(vec![ok.clone()], None, 4) }, "--max-order: 7; allowed are 6"));
    cases.push((
        AnalyzeArgs { max_order: 8, ..args(vec![ok.clone()], None, 4) },
        "at least 5 (the jackknife of the eight",
    ));
    let twelve = write("twelve.npy", "<f8", false, &[10, 12], &f64_bytes(&good));
    cases
        .push((AnalyzeArgs { max_order: 8, ..args(vec![twelve], None, 5) }, "max_order: found 8 over 75582 multisets"));
    cases.push((AnalyzeArgs { x_set: Some("scaling-erf-d1".into()), ..args(vec![ok], None, 4) }, "--x-set has"));
    for (i, (a, expected)) in cases.into_iter().enumerate() {
        let out = dir.join(format!("out-{i}"));
        let err = format!("{:#}", tables::analyze(&common(&out), &a).unwrap_err());
        assert!(err.contains(expected), "case {i}: {err:?} lacks {expected:?}");
        assert!(!out.exists(), "case {i} wrote {}", out.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Parquet table of `columns`, written in row groups of `group` rows.
fn parquet(path: &Path, columns: Vec<polars::prelude::Column>, group: usize) -> PathBuf {
    use polars::prelude::{DataFrame, ParquetWriter};
    let mut df = DataFrame::new_infer_height(columns).unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap()).with_row_group_size(Some(group)).finish(&mut df).unwrap();
    path.to_path_buf()
}

/// The long layout of `values` (`nets x points x outputs`, row-major) as columns `net`
/// (labelled `label(net)`), `point`, `output` (where `outputs > 1`) and `value`.
fn long_columns(
    values: &[f64],
    points: usize,
    outputs: usize,
    label: impl Fn(usize) -> i64,
) -> Vec<polars::prelude::Column> {
    use polars::prelude::Column;
    let per = points * outputs;
    let net: Vec<i64> = (0..values.len()).map(|r| label(r / per)).collect();
    let point: Vec<i32> = (0..values.len()).map(|r| ((r % per) / outputs) as i32).collect();
    let mut columns = vec![Column::new("net".into(), net), Column::new("point".into(), point)];
    if outputs > 1 {
        columns.push(Column::new("output".into(), (0..values.len()).map(|r| (r % outputs) as i64).collect::<Vec<_>>()));
    }
    columns.push(Column::new("value".into(), values.to_vec()));
    columns
}

/// Parquet is read a row group at a time in either layout, and gives the `.npy` file's numbers
/// bit for bit: the wide layout in row groups of 7 nets (groups that do not divide the nets), the
/// long layout in row groups that cut nets in two, with arbitrary net labels, with and without
/// an `output` column. Each way the long layout can break its order is refused naming the row.
#[test]
fn parquet_layouts_read_a_row_group_at_a_time() {
    use polars::prelude::Column;
    let dir = temp("layouts");
    let (nets, points) = (64, 6);
    let values: Vec<f64> = (0..nets * points).map(|i| (((i * 37) % 101) as f64 - 50.0) / 25.0).collect();
    let analysed = |file: PathBuf, name: &str| -> Vec<u64> {
        let out = dir.join(format!("out-{name}"));
        tables::analyze(&common(&out), &args(vec![file], None, 4)).unwrap();
        let df = read_parquet(&out.join("analysis.parquet")).unwrap();
        df.column("g_mean").unwrap().f64().unwrap().into_no_null_iter().map(f64::to_bits).collect()
    };
    let flat = dir.join("flat.npy");
    npy(&flat, "<f8", false, &[nets, points], &f64_bytes(&values));
    let reference = analysed(flat, "npy");
    let wide: Vec<Column> = (0..points)
        .map(|p| Column::new(format!("x{p}").into(), (0..nets).map(|i| values[i * points + p]).collect::<Vec<f64>>()))
        .collect();
    assert_eq!(analysed(parquet(&dir.join("wide7.parquet"), wide, 7), "wide7"), reference);
    let long = long_columns(&values, points, 1, |n| 1000 - 3 * n as i64);
    assert_eq!(analysed(parquet(&dir.join("long.parquet"), long, 25), "long"), reference);
    // three points and two outputs: the three-axis .npy of the same values
    let three = dir.join("three.npy");
    npy(&three, "<f8", false, &[nets, 3, 2], &f64_bytes(&values));
    let long2 = long_columns(&values, 3, 2, |n| n as i64);
    assert_eq!(analysed(parquet(&dir.join("long2.parquet"), long2, 50), "long2"), analysed(three, "three"));

    // each broken order is refused naming its row; nothing is written
    let broken = |name: &str, edit: &dyn Fn(&mut Vec<i64>, &mut Vec<i32>), group: usize| -> PathBuf {
        let (mut net, mut point): (Vec<i64>, Vec<i32>) = (
            (0..values.len()).map(|r| (r / points) as i64).collect(),
            (0..values.len()).map(|r| (r % points) as i32).collect(),
        );
        edit(&mut net, &mut point);
        let columns = vec![
            Column::new("net".into(), net),
            Column::new("point".into(), point),
            Column::new("value".into(), values.clone()),
        ];
        parquet(&dir.join(name), columns, group)
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (broken("swapped.parquet", &|_, p| p.swap(14, 15), 100), "row 14 has point 3; expected point 2"),
        (broken("split.parquet", &|n, _| n[9] = 77, 100), "row 9 has net 77, which breaks off the net before it"),
        (broken("merged.parquet", &|n, _| n[12] = 1, 100), "row 12 has net 1, which continues the net before it"),
        (broken("group.parquet", &|_, _| {}, 4), "it must hold at least one whole net"),
        (
            parquet(&dir.join("odd.parquet"), long_columns(&values[..values.len() - 2], points, 1, |n| n as i64), 100),
            "382 rows are not a whole number of nets of 6 rows",
        ),
        (
            parquet(
                &dir.join("extra.parquet"),
                [
                    long_columns(&values, points, 1, |n| n as i64),
                    vec![Column::new("seed".into(), vec![1i64; values.len()])],
                ]
                .concat(),
                100,
            ),
            "column seed in the long layout",
        ),
        (
            parquet(&dir.join("nonet.parquet"), long_columns(&values, points, 1, |n| n as i64)[1..].to_vec(), 100),
            "needs a net column",
        ),
    ];
    for (i, (file, expected)) in cases.into_iter().enumerate() {
        let out = dir.join(format!("out-bad-{i}"));
        let err = format!("{:#}", tables::analyze(&common(&out), &args(vec![file], None, 4)).unwrap_err());
        assert!(err.contains(expected), "case {i}: {err:?} lacks {expected:?}");
        assert!(!out.exists(), "case {i} wrote {}", out.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--eft erf` fits Table 5's models to an analysed file's connected G4 (Erf-net outputs of our
/// sampler at N = 2 on the Table 5 training set): `analysis_table5.parquet` holds the library's
/// fits bit for bit, one row per model and loss, named by the file; a prior that is not the
/// ensemble's is refused and nothing is written (16 experiments: with 4, the 5-sigma threshold of
/// t with 3 degrees of freedom is 157 standard errors, and little is refused).
#[test]
fn eft_fits_the_table5_models_to_the_connected_g4() {
    use nnqft_fit::{Loss, Model};
    use nnqft_study::correlator_fit::fit_connected;
    use nnqft_study::table5::{FitProblem, setup};
    let dir = temp("eft");
    let net = Network::paper(Activation::Erf, 1).unwrap();
    let xs = InputSet::table5_train(Activation::Erf);
    let ens = Ensemble::new(net, 2, xs.clone(), 20_000, 4, Estimator::Raw, 3).unwrap();
    let outputs = ens.outputs(1).unwrap();
    let file = dir.join("erf2.npy");
    npy(&file, "<f8", false, &[80_000, xs.len()], &f64_bytes(&outputs));
    let eft = |sigma_w: Option<f64>| AnalyzeArgs {
        x_set: Some("table5-train-erf".into()),
        eft: Some("erf".into()),
        sigma_w,
        ..args(vec![file.clone()], None, 16)
    };
    let out = dir.join("out");
    tables::analyze(&common(&out), &eft(None)).unwrap();
    let df = read_parquet(&out.join("analysis_table5.parquet")).unwrap();
    assert_eq!(df.height(), Model::ALL.len() * Loss::ALL.len());
    assert!(df.column("ensemble").unwrap().str().unwrap().iter().all(|e| e == Some("erf2.npy")));
    let a = nnqft_study::analyze::analyze_outputs(&outputs, xs.len(), 1, 16).unwrap();
    let problem = FitProblem::new(&net, xs, setup(Activation::Erf).1).unwrap();
    let fits = fit_connected(&problem, &a, &Model::ALL, &Loss::ALL).unwrap();
    let column = |name: &str| df.column(name).unwrap().f64().unwrap().iter().collect::<Vec<_>>();
    for (name, j) in [("lambda0", 0), ("lambda2", 1), ("lambda_nl", 2)] {
        let expected: Vec<Option<u64>> =
            fits.iter().map(|f| Some(f.fit.couplings[j]).filter(|v| !v.is_nan()).map(f64::to_bits)).collect();
        let found: Vec<Option<u64>> = column(name).into_iter().map(|v| v.map(f64::to_bits)).collect();
        assert_eq!(found, expected, "{name}");
        let se: Vec<Option<u64>> =
            fits.iter().map(|f| Some(f.stderr[j]).filter(|v| !v.is_nan()).map(f64::to_bits)).collect();
        assert_eq!(column(&format!("{name}_stderr")).into_iter().map(|v| v.map(f64::to_bits)).collect::<Vec<_>>(), se);
    }
    let bad = dir.join("out-bad");
    let err = format!("{:#}", tables::analyze(&common(&bad), &eft(Some(1.3))).unwrap_err());
    assert!(err.contains("standard errors off the given kernel"), "{err}");
    assert!(!bad.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--max-order 8` adds the rows n = 8 and m_8 to the tables, equal bit for bit to the library's
/// analysis of the same values, and leaves the rows of orders 2, 4, 6 as without it.
#[test]
fn max_order_eight_adds_the_eight_point_rows() {
    let dir = temp("eight");
    let values: Vec<f64> = (0..100 * 3).map(|i| (((i * 37) % 101) as f64 - 50.0) / 25.0).collect();
    let file = dir.join("f.npy");
    npy(&file, "<f8", false, &[100, 3], &f64_bytes(&values));
    let column = |out: &Path, name: &str| -> Vec<Option<u64>> {
        let df = read_parquet(&out.join("analysis.parquet")).unwrap();
        df.column(name).unwrap().f64().unwrap().iter().map(|v| v.map(f64::to_bits)).collect()
    };
    let (six, eight) = (dir.join("out-6"), dir.join("out-8"));
    tables::analyze(&common(&six), &args(vec![file.clone()], None, 5)).unwrap();
    tables::analyze(&common(&eight), &AnalyzeArgs { max_order: 8, ..args(vec![file], None, 5) }).unwrap();
    let direct = nnqft_study::analyze::analyze_outputs_with_progress(&values, 3, 1, 5, 8, &()).unwrap();
    let bits = |v: &[f64]| v.iter().map(|x| Some(x.to_bits())).collect::<Vec<_>>();
    let n = read_parquet(&eight.join("analysis.parquet")).unwrap().column("n").unwrap().i64().unwrap().clone();
    assert_eq!(n.into_no_null_iter().filter(|&n| n == 8).count(), 45, "C(10, 8) multisets of order 8 of 3 points");
    for name in ["g_mean", "g_stderr", "g_gp", "g_gp_stderr"] {
        let eight = column(&eight, name);
        let want = match name {
            "g_mean" => bits(&direct.rows.g_mean),
            "g_stderr" => bits(&direct.rows.g_stderr),
            "g_gp" => bits(&direct.rows.g_gp),
            _ => bits(&direct.rows.g_gp_stderr),
        };
        assert_eq!(eight, want, "{name}");
        let six = column(&six, name);
        assert_eq!(six[..], eight[..six.len()], "{name}: orders 2-6 with and without order 8");
    }
    let connected: Vec<Option<u64>> = direct.rows.connected.iter().map(|c| c.map(f64::to_bits)).collect();
    assert_eq!(column(&eight, "connected"), connected);
    let summary = read_parquet(&eight.join("analysis_summary.parquet")).unwrap();
    let orders: Vec<i64> = summary.column("n").unwrap().i64().unwrap().into_no_null_iter().collect();
    assert_eq!(orders, [4, 6, 8]);
    let text = std::fs::read_to_string(eight.join("SUMMARY.md")).unwrap();
    assert!(text.contains("| f.npy | 8 |"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--action` writes each file's action (`analysis_action.parquet`): the same couplings and
/// jackknife errors as `nnqft action FILE` bit for bit, one block per file named by it, with a
/// SUMMARY section counting the resolved couplings; a file whose G2 is singular (two identical
/// points) is refused, naming it, and nothing is written.
#[test]
fn action_reconstructs_each_files_action() {
    use nnqft_cli::action::ActionArgs;
    let dir = temp("action");
    let net = Network::paper(Activation::Erf, 1).unwrap();
    let xs = InputSet::new("pair", &[vec![-0.5], vec![0.5]]).unwrap();
    let mut files = Vec::new();
    for (width, seed) in [(3, 5), (10, 6)] {
        let ens = Ensemble::new(net, width, xs.clone(), 20_000, 4, Estimator::Raw, seed).unwrap();
        let file = dir.join(format!("erf{width}.npy"));
        npy(&file, "<f8", false, &[80_000, 2], &f64_bytes(&ens.outputs(1).unwrap()));
        files.push(file);
    }
    let out = dir.join("out");
    tables::analyze(&common(&out), &AnalyzeArgs { action: true, ..args(files.clone(), Some(vec![3, 10]), 8) }).unwrap();
    let df = read_parquet(&out.join("analysis_action.parquet")).unwrap();
    let bits = |df: &polars::prelude::DataFrame, name: &str| -> Vec<Option<u64>> {
        df.column(name).unwrap().f64().unwrap().iter().map(|v| v.map(f64::to_bits)).collect()
    };
    let sources: Vec<Option<&str>> = df.column("source").unwrap().str().unwrap().iter().collect();
    let mut start = 0;
    for file in &files {
        let one = dir.join(format!("one-{}", file.file_stem().unwrap().to_string_lossy()));
        let action = ActionArgs {
            file: Some(file.clone()),
            network: None,
            width: None,
            widths: None,
            d_out: 1,
            critical: false,
            order: None,
            experiments: 8,
            deform_quartic: None,
            measure: 1.0,
            nets: 1,
            seed: 0,
            threads: None,
        };
        tables::action(&common(&one), &action).unwrap();
        let want = read_parquet(&one.join("action.parquet")).unwrap();
        let h = want.height();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(sources[start..start + h].iter().all(|s| *s == Some(name.as_str())), "{name}");
        let block = df.slice(start as i64, h);
        for column in ["coupling", "coupling_stderr", "coupling_order1", "coupling_gp", "condition_number"] {
            assert_eq!(bits(&block, column), bits(&want, column), "{name}: {column}");
        }
        start += h;
    }
    assert_eq!(start, df.height(), "one block per file");
    let text = std::fs::read_to_string(out.join("SUMMARY.md")).unwrap();
    assert!(text.contains("| erf3.npy | 1/N^2 |"), "{text}");
    // the diagonal quartic couplings of Erf-net at N = 3 are resolved on 8e4 nets
    let resolved = |line: &str| line.rsplit('|').nth(1).map(|c| c.trim().parse::<usize>().unwrap());
    let quartic = text.lines().find(|l| l.starts_with("| erf3.npy |") && l.contains("| 4 |")).unwrap();
    assert!(resolved(quartic).unwrap() >= 2, "{quartic}");

    let twin: Vec<f64> = (0..400).flat_map(|i| [((i * 37) % 101) as f64 - 50.0; 2]).collect();
    let singular = dir.join("twin.npy");
    npy(&singular, "<f8", false, &[400, 2], &f64_bytes(&twin));
    let bad = dir.join("out-bad");
    let err = format!(
        "{:#}",
        tables::analyze(&common(&bad), &AnalyzeArgs { action: true, ..args(vec![singular], None, 4) }).unwrap_err()
    );
    assert!(err.contains("twin.npy") && err.contains("--action"), "{err}");
    assert!(!bad.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
