//! Hostile input: property tests (proptest, [`CASES`] cases per target) of the x-set parser
//! and of every numeric option of `sample` (and the shared options), `theory` and `fit`, parsed by clap and
//! validated as the command lines do: each input gives a typed error or a valid result, never
//! a panic; a run too large for memory is refused before it allocates, the estimate and the
//! limit in the message.

use clap::Parser;
use nnqft_cli::Common;
use nnqft_cli::sample::{Job, SampleArgs};
use nnqft_theory::InputSet;
use proptest::prelude::*;

/// Cases per property.
const CASES: u32 = 256;

/// The options of `sample` as the command lines take them.
#[derive(Parser, Debug)]
struct SampleCli {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    args: SampleArgs,
}

/// The options of `theory`.
#[derive(Parser, Debug)]
struct TheoryCli {
    #[command(flatten)]
    args: nnqft_cli::theory::TheoryArgs,
}

/// The options of `fit`.
#[derive(Parser, Debug)]
struct FitCli {
    #[command(flatten)]
    args: nnqft_cli::fit::FitArgs,
}

/// Numbers as a user (or a script gone wrong) might type them.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("-1e308".to_string()),
        Just("1e-320".to_string()),
        Just("-0.0".to_string()),
        Just("-0".to_string()),
        Just("0".to_string()),
        Just("18446744073709551615".to_string()),
        Just("18446744073709551616".to_string()),
        Just("9223372036854775807".to_string()),
        Just(String::new()),
        any::<f64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        (0u64..5000).prop_map(|v| v.to_string()),
        "\\PC{0,12}",
    ]
}

/// One coordinate of an x-set line.
fn coordinate() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| v.to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("1e309".to_string()),
        Just("-0.0".to_string()),
        (-3.0f64..3.0).prop_map(|v| v.to_string()),
        "[0-9eE.+-]{1,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// Any text: a set of finite points or a typed error.
    #[test]
    fn x_set_parser_takes_any_text(text in "\\PC*") {
        if let Ok(xs) = InputSet::parse("prop", &text) {
            prop_assert!(!xs.is_empty());
        }
    }

    /// Any bytes in a file (not UTF-8 included): a typed error naming the file, or a set.
    #[test]
    fn x_set_file_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let path = std::env::temp_dir().join(format!("nnqft-prop-xset-{}.txt", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = InputSet::from_file(&path) {
            prop_assert!(!e.to_string().is_empty());
        }
        let _ = std::fs::remove_file(&path);
    }

    /// Lines of numbers, special values among them: accepted exactly when every coordinate
    /// is finite and the lines agree in dimension.
    #[test]
    fn x_set_lines_with_special_values(lines in proptest::collection::vec(
        proptest::collection::vec(coordinate(), 1..4), 1..12)
    ) {
        let text: String = lines.iter().map(|l| l.join(" ") + "\n").collect();
        let parsed: Option<Vec<Vec<f64>>> =
            lines.iter().map(|l| l.iter().map(|c| c.parse::<f64>().ok()).collect()).collect();
        let expect_ok = parsed.as_ref().is_some_and(|p| {
            p.iter().flatten().all(|v| v.is_finite()) && p.iter().all(|l| l.len() == p[0].len())
        });
        match InputSet::parse("prop", &text) {
            Ok(xs) => {
                prop_assert!(expect_ok, "accepted {text:?}");
                prop_assert_eq!(xs.len(), lines.len());
            }
            Err(e) => prop_assert!(!expect_ok, "rejected {text:?}: {e}"),
        }
    }

    /// Every numeric option of `sample` and the shared options, any text: clap's typed
    /// error, or the validation's, or a valid ensemble that fits in memory.
    #[test]
    fn sample_options_give_a_typed_error_or_a_valid_ensemble(
        option in prop::sample::select(vec![
            "--width", "--nets", "--experiments", "--seed", "--threads", "--d-in", "--sigma-w", "--sigma-b",
            "--widths", "--d-out",
        ]),
        value in number_text(),
    ) {
        let mut argv = vec!["sample", "--network", "erf", "--width", "3", "--nets", "100"];
        argv.retain(|a| *a != option);
        if option == "--width" || option == "--nets" || option == "--widths" {
            // drop the value that followed the option as well (--widths replaces --width)
            argv = vec!["sample", "--network", "erf"];
            if option == "--nets" { argv.extend(["--width", "3"]); }
            if option != "--nets" { argv.extend(["--nets", "100"]); }
        }
        let value_arg = format!("{option}={value}");
        argv.push(&value_arg);
        if let Ok(cli) = SampleCli::try_parse_from(&argv) {
            let threads = cli.common.threads.unwrap_or(1) as usize;
            match cli.args.job(cli.common.seed) {
                Ok(Job::Paper { xs, ens, .. }) => {
                    prop_assert!(xs.len() <= 255 && ens.nets() >= 1 && ens.experiments() >= 2);
                    let _ = ens.check_memory(threads);
                }
                Ok(Job::Deep(deep)) => {
                    let ens = deep.ensemble();
                    prop_assert!(
                        ens.inputs().len() * ens.network().d_out() <= 255 && ens.nets() >= 1 && ens.experiments() >= 2
                    );
                    let _ = ens.check_memory(threads);
                }
                Err(e) => {
                    let text = format!("{e:#}");
                    prop_assert!(!text.is_empty());
                }
            }
        }
    }

    /// The numeric options of `theory` (parsed, and the network resolved) and of `fit` (run
    /// up to reading its correlators file, which does not exist here): a typed error or a
    /// valid network, never a panic.
    #[test]
    fn theory_and_fit_options_give_a_typed_error(
        option in prop::sample::select(vec!["--d-in", "--sigma-w", "--sigma-b", "--widths", "--width-scan", "--cutoff"]),
        value in number_text(),
    ) {
        let value_arg = format!("{option}={value}");
        if option != "--cutoff"
            && let Ok(cli) = TheoryCli::try_parse_from(["theory", "--network", "relu", &value_arg])
            && let Ok((net, xs)) = cli.args.network.resolve()
        {
            prop_assert!(xs.check_dimension(net.d_in()).is_ok());
        }
        if !option.starts_with("--width")
            && let Ok(cli) = FitCli::try_parse_from(["fit", "/nonexistent-nnqft-fit", "--network", "relu", &value_arg])
        {
            prop_assert!(nnqft_cli::fit::fit_file(&cli.args).is_err());
        }
    }

    /// The estimator and network names: any text.
    #[test]
    fn names_take_any_text(name in "\\PC{0,16}") {
        let _ = nnqft_sampling::Estimator::parse(&name);
        let _ = nnqft_theory::Activation::parse(&name);
    }
}

/// Huge counts of points: a file of 100 000 points parses, and a sample on it is refused
/// (at most 255 points); 255 points pass that check but need far more memory than any
/// machine has (C(260, 6) ~ 4e11 order-6 multisets), refused with the estimate and the
/// limit in the message, before anything is allocated.
#[test]
fn huge_x_sets_are_refused_before_allocating() {
    let many: String = (0..100_000).map(|i| format!("{}\n", i as f64 * 1e-5)).collect();
    let xs = InputSet::parse("many", &many).unwrap();
    assert_eq!(xs.len(), 100_000);
    let net = nnqft_theory::Network::paper(nnqft_theory::Activation::Erf, 1).unwrap();
    let est = nnqft_sampling::Estimator::Raw;
    let e = nnqft_sampling::Ensemble::new(net, 5, xs, 100, 2, est, 1).unwrap_err();
    assert!(e.to_string().contains("input points"), "{e}");

    let points: String = (0..255).map(|i| format!("{}\n", i as f64 / 255.0)).collect();
    let xs = InputSet::parse("points255", &points).unwrap();
    let ens = nnqft_sampling::Ensemble::new(net, 5, xs, 100, 2, est, 1).unwrap();
    let e = ens.run(1).unwrap_err().to_string();
    assert!(e.contains("needs about") && e.contains("TiB") && e.contains("the limit is"), "{e}");
    // the command line refuses it too, before making a folder
    let path = std::env::temp_dir().join(format!("nnqft-prop-255-{}.txt", std::process::id()));
    std::fs::write(&path, &points).unwrap();
    let argv = ["sample", "--network", "erf", "--width", "5", "--x-set", path.to_str().unwrap()];
    let cli = SampleCli::try_parse_from(argv).unwrap();
    let e = cli.args.job(1).unwrap_err();
    assert!(format!("{e:#}").contains("the limit is"), "{e:#}");
    // and so does `theory` (its tables grow as the multisets of order 6 too)
    let cli = TheoryCli::try_parse_from(["theory", "--network", "erf", "--x-set", path.to_str().unwrap()]).unwrap();
    let e = nnqft_cli::theory::table(&cli.args).expect_err("refused");
    assert!(format!("{e:#}").contains("the limit is"), "{e:#}");
    // so are deep layers too wide for memory (a billion neurons a layer)
    let argv = ["sample", "--network", "tanh", "--widths", "1000000000,3"];
    let e = SampleCli::try_parse_from(argv).unwrap().args.job(1).unwrap_err();
    assert!(format!("{e:#}").contains("widest layer 1000000000") && format!("{e:#}").contains("the limit is"), "{e:#}");
    let _ = std::fs::remove_file(&path);
    // nets x experiments beyond u64 is a typed error, not an overflow
    let net = nnqft_theory::Network::paper(nnqft_theory::Activation::Erf, 1).unwrap();
    let xs = InputSet::scaling(nnqft_theory::Activation::Erf, 1).unwrap();
    assert!(nnqft_sampling::Ensemble::new(net, 5, xs, u64::MAX, 2, est, 1).is_err());
}
