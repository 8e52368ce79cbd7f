//! Our sampler beside the NumPy and JAX baselines in the benchmark history:
//! `cargo xtask bench --side-by-side` runs nnqft-sampling's examples `throughput` (the paper's
//! one-hidden-layer networks) and `deep_speed` (deep networks) in release mode with `--json`,
//! reads their records (one JSON object per case and line: our time per network in each timed
//! round for the raw and the conditional estimator and for the floor, and each baseline's time
//! per network or why it was skipped; the format is in the examples' `common/record.rs`) and
//! turns each into history rows, one per (job, our estimator, reference).
//!
//! Names: `side_by_side/<estimator>/<network>/<size>/<reference>`, with `<estimator>` `raw` or
//! `conditional`, `<size>` `N<width>` for `throughput`'s jobs (one hidden layer, the paper's
//! priors; e.g. `side_by_side/raw/erf/N100/jax`) or `L<depth>n<width>` for `deep_speed`'s (deep
//! priors; e.g. `side_by_side/conditional/tanh/L2n20/numpy`), and `<reference>` `jax`, `numpy`
//! or `floor` (our floor: the same draws and activations with no correlator work), which is also
//! the row's `reference`.
//!
//! Values: `mean_ns` is our time per network, summed up over the rounds as the example's table
//! does (`throughput`: the median of its rounds, the warm-up dropped; `deep_speed`: the best of
//! three), `ci_low_ns` and `ci_high_ns` the fastest and the slowest round (a range, not a 95%
//! interval). The `ratio` is a throughput ratio ([`RatioKind::ThroughputOverReference`]): the
//! reference's time per network over ours, so above 1 we are faster (the issue's targets are
//! `ratio >= 3` against `jax` and `>= 20` against `numpy`). Against a baseline, which times one
//! run per case, `ratio = baseline / mean_ns` and `ratio_low`, `ratio_high` are the baseline over
//! our slowest and fastest round: the spread of our rounds only. Against the floor, timed in the
//! same rounds, the per-round ratios `floor_i / ours_i` give `ratio_low` and `ratio_high` (their
//! least and greatest) and `ratio` (their median for `throughput`, the best floor over our best
//! for `deep_speed`, as the tables print them).
//!
//! A baseline the example skipped (python lacks jax, or numpy and scipy; a network the baselines
//! do not sample) gives no rows, and a note on stderr; the floor's rows are recorded whatever
//! the baselines did.

use crate::bench_history::{Estimate, RatioKind, Record, Sitting};
use anyhow::{Context, Result, bail, ensure};
use std::path::Path;

/// Our estimators, as the records and the row names call them.
pub const ESTIMATORS: [&str; 2] = ["raw", "conditional"];

/// The baselines, as the records and the row names call them.
pub const BASELINES: [&str; 2] = ["numpy", "jax"];

/// The examples that compare, with the arguments a sitting gives them unless told otherwise:
/// `throughput` 5 rounds of its nine jobs (erf, relu, gauss at N = 5, 100, 1000), `deep_speed`
/// one thread, three activations, `L` in {1, 8}, `n` in {20, 100} (12 of its 24 default cases).
pub const EXAMPLES: [(&str, &str); 2] = [("throughput", "5"), ("deep_speed", "1 tanh,relu,erf 1,8 20,100")];

/// How an example sums its rounds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// The median of the rounds.
    Median,
    /// The fastest round.
    Best,
}

/// One case of an example's record.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `throughput` or `deep_speed`.
    pub example: String,
    /// The network's activation.
    pub network: String,
    /// Hidden layers.
    pub depth: u64,
    /// Hidden width.
    pub width: u64,
    /// How the rounds are summed up.
    pub statistic: Statistic,
    /// Our time per network in each round (ns), for `raw`, `conditional` and `floor`, paired by round.
    pub raw: Vec<f64>,
    /// See `raw`.
    pub conditional: Vec<f64>,
    /// See `raw`.
    pub floor: Vec<f64>,
    /// Per baseline of [`BASELINES`]: its time per network (ns), or why it was skipped.
    pub baselines: Vec<(String, std::result::Result<f64, String>)>,
}

impl Case {
    /// The job's part of the row names: `<network>/N<width>` or `<network>/L<depth>n<width>`.
    pub fn job(&self) -> String {
        if self.example == "throughput" {
            format!("{}/N{}", self.network, self.width)
        } else {
            format!("{}/L{}n{}", self.network, self.depth, self.width)
        }
    }

    fn ours(&self, estimator: &str) -> &[f64] {
        if estimator == "raw" { &self.raw } else { &self.conditional }
    }
}

/// Parses an example's `--json` record (JSON Lines; blank lines ignored). Errors name the line
/// and the field.
pub fn parse(text: &str) -> Result<Vec<Case>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| parse_case(l).with_context(|| format!("line {} of a side-by-side record", i + 1)))
        .collect()
}

fn parse_case(line: &str) -> Result<Case> {
    let v: serde_json::Value = serde_json::from_str(line).context("not JSON")?;
    let text = |field: &str| -> Result<String> {
        v[field].as_str().map(str::to_string).with_context(|| format!("{field}: missing or not a string"))
    };
    let count = |field: &str| -> Result<u64> {
        v[field].as_u64().filter(|&n| n >= 1).with_context(|| format!("{field}: missing or not an integer >= 1"))
    };
    let time = |field: &str, x: &serde_json::Value| -> Result<f64> {
        x.as_f64()
            .filter(|t| t.is_finite() && *t > 0.0)
            .with_context(|| format!("{field}: {x} is not a time per network > 0 (ns)"))
    };
    let example = text("example")?;
    ensure!(EXAMPLES.iter().any(|(e, _)| *e == example), "example: {example:?} is neither throughput nor deep_speed");
    let statistic = match text("statistic")?.as_str() {
        "median" => Statistic::Median,
        "best" => Statistic::Best,
        s => bail!("statistic: {s:?} is neither median nor best"),
    };
    let rounds = |name: &str| -> Result<Vec<f64>> {
        let field = format!("ns_per_net.{name}");
        let list = v["ns_per_net"][name].as_array().with_context(|| format!("{field}: missing or not a list"))?;
        ensure!(!list.is_empty(), "{field}: no rounds");
        list.iter().map(|x| time(&field, x)).collect()
    };
    let (raw, conditional, floor) = (rounds("raw")?, rounds("conditional")?, rounds("floor")?);
    ensure!(
        raw.len() == conditional.len() && raw.len() == floor.len(),
        "ns_per_net: raw, conditional and floor have {}, {} and {} rounds, not one number each",
        raw.len(),
        conditional.len(),
        floor.len()
    );
    let baselines = BASELINES
        .iter()
        .map(|&name| {
            let field = format!("baselines.{name}");
            let b = &v["baselines"][name];
            let entry = if let Some(ns) = b.get("ns_per_net") {
                Ok(time(&format!("{field}.ns_per_net"), ns)?)
            } else if let Some(why) = b.get("skipped").and_then(|w| w.as_str()) {
                Err(why.to_string())
            } else {
                bail!("{field}: neither ns_per_net nor skipped")
            };
            Ok((name.to_string(), entry))
        })
        .collect::<Result<_>>()?;
    Ok(Case {
        example,
        network: text("network")?,
        depth: count("depth")?,
        width: count("width")?,
        statistic,
        raw,
        conditional,
        floor,
        baselines,
    })
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
}

fn least(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn greatest(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// The history rows of the cases (see the module docs), with a note on stderr for each skipped
/// baseline.
pub fn records(cases: &[Case], sitting: &Sitting) -> Vec<Record> {
    let mut out = Vec::new();
    for case in cases {
        let job = case.job();
        for (name, entry) in &case.baselines {
            if let Err(why) = entry {
                eprintln!("side by side: {job}: the {name} baseline was skipped ({why}); its rows are not recorded");
            }
        }
        for estimator in ESTIMATORS {
            let ours = case.ours(estimator);
            let sum_up = |v: &[f64]| match case.statistic {
                Statistic::Median => median(v),
                Statistic::Best => least(v),
            };
            let estimate = Estimate { mean_ns: sum_up(ours), ci_low_ns: least(ours), ci_high_ns: greatest(ours) };
            let row = |reference: &str, ratio: f64, ratio_low: f64, ratio_high: f64| Record {
                commit: sitting.commit.clone(),
                date: sitting.date.clone(),
                machine: sitting.machine.clone(),
                bench: format!("side_by_side/{estimator}/{job}/{reference}"),
                estimate,
                reference: reference.to_string(),
                ratio,
                ratio_low,
                ratio_high,
                kind: RatioKind::ThroughputOverReference,
            };
            let paired: Vec<f64> = case.floor.iter().zip(ours).map(|(f, o)| f / o).collect();
            let floor_ratio = match case.statistic {
                Statistic::Median => median(&paired),
                Statistic::Best => least(&case.floor) / least(ours),
            };
            out.push(row("floor", floor_ratio, least(&paired), greatest(&paired)));
            for (name, entry) in &case.baselines {
                if let Ok(b) = entry {
                    out.push(row(name, b / estimate.mean_ns, b / estimate.ci_high_ns, b / estimate.ci_low_ns));
                }
            }
        }
    }
    out
}

/// Runs `example` of nnqft-sampling in release mode with `--json` and `args` (its own positional
/// arguments, whitespace-separated; its table goes to stdout) and returns its cases.
pub fn run(root: &Path, target: &Path, example: &str, args: &str) -> Result<Vec<Case>> {
    let args: Vec<&str> = args.split_whitespace().collect();
    let option = format!("--{}-args", example.replace('_', "-"));
    ensure!(!args.contains(&"--json"), "{option}: --json is set by cargo xtask bench, not by the example's arguments");
    let dir = target.join("side-by-side");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let json = dir.join(format!("{example}.jsonl"));
    if json.exists() {
        std::fs::remove_file(&json).with_context(|| format!("cannot remove {}", json.display()))?;
    }
    let mut cmd = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root)
        .args(["run", "--release", "-p", "nnqft-sampling", "--example", example, "--", "--json"])
        .arg(&json)
        .args(&args);
    println!("side by side: cargo run --release -p nnqft-sampling --example {example} -- {}", args.join(" "));
    let status = cmd.status().with_context(|| format!("cannot run the example {example}"))?;
    ensure!(status.success(), "the example {example} failed ({status})");
    let text = std::fs::read_to_string(&json).with_context(|| format!("cannot read {}", json.display()))?;
    let cases = parse(&text).with_context(|| json.display().to_string())?;
    ensure!(!cases.is_empty(), "the example {example} recorded no case in {}", json.display());
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_history::{self, Machine};

    /// Written by `throughput --json PATH 1 erf,cos 100` (the erf baselines from a python with
    /// numpy, scipy and jax; cos is not theirs).
    const THROUGHPUT: &str = r#"{"baselines":{"jax":{"ns_per_net":14873.574615765989},"numpy":{"ns_per_net":79575.59681697613}},"depth":1,"example":"throughput","network":"erf","ns_per_net":{"conditional":[5036.1378173828125],"floor":[4814.690979003906],"raw":[4395.6446533203125]},"statistic":"median","width":100}
{"baselines":{"jax":{"skipped":"the baselines sample erf, relu and gauss only"},"numpy":{"skipped":"the baselines sample erf, relu and gauss only"}},"depth":1,"example":"throughput","network":"cos","ns_per_net":{"conditional":[9695.363525390625],"floor":[4735.494445800781],"raw":[6441.4578857421875]},"statistic":"median","width":100}
"#;

    /// Written by `deep_speed --json PATH 1 relu 2 20` with `NNQFT_PYTHON` naming no interpreter.
    const DEEP: &str = r#"{"baselines":{"jax":{"skipped":"/nonexistent/python3 cannot import jax"},"numpy":{"skipped":"/nonexistent/python3 cannot import numpy, scipy"}},"depth":2,"example":"deep_speed","network":"relu","ns_per_net":{"conditional":[1251.6062145699432,1238.873495797593,1515.1569866511786],"floor":[1222.6814642903428,1467.9933375893402,1409.7521132033812],"raw":[1438.251333202133,1431.482988772782,1646.4582015331225]},"statistic":"best","width":20}"#;

    fn sitting() -> Sitting {
        let machine = Machine { cpu_model: "test cpu".into(), cores: 2 };
        Sitting { commit: "c0ffee".into(), date: "2026-12-07T00:00:00Z".into(), machine }
    }

    /// `a` and `b` are the same number, bit for bit (the rows are the fixtures' numbers divided
    /// once, so exactly these quotients).
    fn same(a: f64, b: f64) {
        assert_eq!(a.to_bits(), b.to_bits(), "{a} != {b}");
    }

    fn find<'a>(rows: &'a [Record], bench: &str) -> &'a Record {
        rows.iter().find(|r| r.bench == bench).unwrap_or_else(|| panic!("no row {bench} in {rows:#?}"))
    }

    #[test]
    fn the_examples_records_become_rows() {
        let cases = parse(THROUGHPUT).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!((cases[0].job(), cases[1].job()), ("erf/N100".to_string(), "cos/N100".to_string()));
        let rows = records(&cases, &sitting());
        // erf: 2 estimators x (floor, numpy, jax); cos: 2 estimators x floor
        assert_eq!(rows.len(), 8);
        let jax = find(&rows, "side_by_side/raw/erf/N100/jax");
        assert_eq!(jax.reference, "jax");
        assert_eq!(jax.kind, RatioKind::ThroughputOverReference);
        same(jax.estimate.mean_ns, 4395.6446533203125);
        // the baseline's time over ours: above 1, we are faster
        same(jax.ratio, 14873.574615765989 / 4395.6446533203125);
        assert!(jax.ratio > 3.0);
        assert_eq!((jax.ratio_low, jax.ratio_high), (jax.ratio, jax.ratio), "one round: no spread");
        let numpy = find(&rows, "side_by_side/conditional/erf/N100/numpy");
        same(numpy.ratio, 79575.59681697613 / 5036.1378173828125);
        let floor = find(&rows, "side_by_side/conditional/cos/N100/floor");
        same(floor.ratio, 4735.494445800781 / 9695.363525390625);
        assert!(floor.ratio < 1.0, "the conditional estimator is slower than its floor");
        assert!(!rows.iter().any(|r| r.bench.starts_with("side_by_side/raw/cos/N100/") && r.reference != "floor"));
        assert!(rows.iter().all(|r| r.commit == "c0ffee" && r.machine.cores == 2));
    }

    /// `deep_speed` sums its three rounds up by the best: `mean_ns` the fastest round, the floor's
    /// ratio the best floor over our best, the interval the spread of the rounds.
    #[test]
    fn deep_rounds_give_the_best_and_the_spread() {
        let cases = parse(DEEP).unwrap();
        assert_eq!(cases[0].job(), "relu/L2n20");
        assert_eq!(cases[0].statistic, Statistic::Best);
        let rows = records(&cases, &sitting());
        assert_eq!(rows.len(), 2, "both baselines skipped: the floor's rows only");
        let raw = find(&rows, "side_by_side/raw/relu/L2n20/floor");
        assert_eq!(
            raw.estimate,
            Estimate { mean_ns: 1431.482988772782, ci_low_ns: 1431.482988772782, ci_high_ns: 1646.4582015331225 }
        );
        same(raw.ratio, 1222.6814642903428 / 1431.482988772782);
        let paired = [1222.6814642903428 / 1438.251333202133, 1467.9933375893402 / 1431.482988772782];
        assert_eq!((raw.ratio_low, raw.ratio_high), (paired[0], paired[1]));
        assert!(raw.ratio_low <= raw.ratio && raw.ratio <= raw.ratio_high);
    }

    /// Several rounds against a baseline: the median's ratio, and the baseline over our slowest
    /// and fastest round; against the floor, the median of the paired ratios.
    #[test]
    fn throughput_rounds_give_the_median_and_the_spread() {
        let line = r#"{"example":"throughput","network":"relu","depth":1,"width":5,"statistic":"median","ns_per_net":{"raw":[10,30,20],"conditional":[40,40,40],"floor":[5,30,10]},"baselines":{"numpy":{"ns_per_net":600},"jax":{"ns_per_net":60}}}"#;
        let rows = records(&parse(line).unwrap(), &sitting());
        assert_eq!(rows.len(), 6);
        let jax = find(&rows, "side_by_side/raw/relu/N5/jax");
        assert_eq!((jax.ratio, jax.ratio_low, jax.ratio_high), (3.0, 2.0, 6.0));
        assert_eq!(jax.estimate, Estimate { mean_ns: 20.0, ci_low_ns: 10.0, ci_high_ns: 30.0 });
        same(find(&rows, "side_by_side/raw/relu/N5/numpy").ratio, 30.0);
        // paired floor / raw: 0.5, 1, 0.5
        let floor = find(&rows, "side_by_side/raw/relu/N5/floor");
        assert_eq!((floor.ratio, floor.ratio_low, floor.ratio_high), (0.5, 0.5, 1.0));
    }

    /// A sitting of side-by-side rows slower than the last one is flagged; one faster is not.
    #[test]
    fn slower_side_by_side_sittings_are_flagged() {
        let before = records(&parse(THROUGHPUT).unwrap(), &sitting());
        // the next sitting: raw erf 20% slower, everything else (its floor too) the same
        let slower = THROUGHPUT.replace("[4395.6446533203125]", "[5274.773583984375]");
        let now = records(&parse(&slower).unwrap(), &sitting());
        let changes = bench_history::changes(&before, &now);
        let flagged: Vec<&str> = changes.iter().filter(|c| c.regression).map(|c| c.bench.as_str()).collect();
        assert_eq!(
            flagged,
            ["side_by_side/raw/erf/N100/floor", "side_by_side/raw/erf/N100/numpy", "side_by_side/raw/erf/N100/jax"]
        );
        let faster = bench_history::changes(&now, &before);
        assert!(faster.iter().all(|c| !c.regression), "{faster:#?}");
        let table = bench_history::markdown(&changes);
        assert!(table.contains("| side_by_side/raw/erf/N100/jax | jax | throughput / reference's |"), "{table}");
        assert_eq!(table.matches("REGRESSION").count(), 3, "{table}");
    }

    /// `--json` is ours to set: refused in the examples' arguments before anything runs.
    #[test]
    fn the_record_path_is_not_an_example_argument() {
        let nowhere = Path::new("/nonexistent");
        let err = run(nowhere, nowhere, "deep_speed", "1 tanh --json x").unwrap_err().to_string();
        assert!(err.starts_with("--deep-speed-args: --json is set by cargo xtask bench"), "{err}");
    }

    #[test]
    fn bad_records_name_the_line_and_the_field() {
        let err = |text: &str| format!("{:#}", parse(text).unwrap_err());
        let line = DEEP.to_string();
        let e = err(&format!("\n{}", line.replace(r#""statistic":"best""#, r#""statistic":"mean""#)));
        assert!(e.contains("line 2") && e.contains("statistic") && e.contains("median nor best"), "{e}");
        let e = err(&line.replace("1251.6062145699432,", ""));
        assert!(e.contains("ns_per_net") && e.contains("3, 2 and 3 rounds"), "{e}");
        let e = err(&line.replace("1438.251333202133", "-1"));
        assert!(e.contains("ns_per_net.raw") && e.contains("> 0"), "{e}");
        let e = err(&line.replace(r#"{"skipped":"/nonexistent/python3 cannot import jax"}"#, "{}"));
        assert!(e.contains("baselines.jax") && e.contains("neither"), "{e}");
        let e = err(&line.replace(r#""width":20"#, r#""width":0"#));
        assert!(e.contains("width") && e.contains(">= 1"), "{e}");
        let e = err(&line.replace("deep_speed", "ntk_speed"));
        assert!(e.contains("example") && e.contains("ntk_speed"), "{e}");
        assert!(err("{").contains("not JSON"));
        assert!(parse("\n\n").unwrap().is_empty());
    }
}
