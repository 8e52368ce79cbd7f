//! `nnqft`: neural networks as quantum field theories (Halverson, Maiti, Stoner,
//! arXiv:2008.08601) from the command line.
//!
//! - `nnqft sample`: sample an ensemble of one-hidden-layer networks and measure its 2-, 4-
//!   and 6-point correlation functions with standard errors, beside the GP (free theory)
//!   and, where it exists, the exact finite-width theory (`correlators.parquet`); or, with
//!   `--widths n1,n2,...`, a deep network (tanh and linear too, `--d-out` outputs): 2- and
//!   4-point functions beside the GP and the leading order in 1/n.
//! - `nnqft theory`: the GP and exact finite-width correlators alone (`theory.parquet`).
//! - `nnqft ntk`: the neural tangent kernel of a deep network (`ntk.parquet`): per pair of
//!   `(output, point)` pairs the infinite-width NTK `theta_inf`, its `1/n` shift
//!   `theta_shift_leading_order` (each with its quadrature error bound, `theta_inf_error`,
//!   `theta_shift_leading_order_error`) and the kernel `g_gp`, and with
//!   `--nets` the mean per-network NTK and `G2` of sampled nets with standard errors
//!   (`theta_mean`, `theta_stderr`, `g2_mean`, `g2_stderr`); up to 8 points and 16 pairs
//!   the NTK's fluctuations (`ntk_fluctuations.parquet`), and with `--dntk` the dNTK's correlation
//!   with the outputs (`ntk_dntk.parquet`): per row of `ntk.parquet` (`ntk_indices`,
//!   `ntk_outputs`) and ordered pair of the gradient's and the output's `(output, point)` pairs
//!   (`indices`, `outputs`), `dntk_preactivation_leading_order` (`E[dTheta f]` at order `1/n`),
//!   `dntk_preactivation_leading_order_error` and with `--nets` `dntk_preactivation_mean`,
//!   `dntk_preactivation_stderr`; with `--ddntk` (with or without `--dntk`) the means of the
//!   NTK's second-order differentials (`ntk_ddntk.parquet`): per row of `ntk.parquet` and
//!   ordered pair of the two gradient directions' `(output, point)` pairs (`indices`,
//!   `outputs`), `ddi_leading_order`, `ddi_leading_order_error` (`E[ddI Theta]` at order `1/n`,
//!   one hidden layer; null for deeper networks) and with `--nets` `ddi_mean`, `ddi_stderr`,
//!   then the same four for `ddII` (`ddii_...`).
//! - `nnqft analyze`: the analysis of network outputs made elsewhere (NumPy, PyTorch, JAX), from
//!   `.npy` files: correlators with standard errors, the GP of their own two-point function,
//!   connected parts, `m_n`, and with `--widths` the 1/N scaling fits (`analysis.parquet`, ...).
//! - `nnqft action`: the couplings of an ensemble's action S = -log p on a point set
//!   (`action.parquet`), reconstructed from the two-point and connected 4- and 6-point
//!   functions: exact (one hidden layer), leading order (deep), or measured from a file of
//!   outputs with jackknife errors.
//! - `nnqft fit`: the EFT couplings of the paper's Table 5 fitted to a `correlators.parquet`
//!   (`fits.parquet`, and a Markdown table on stdout).
//!
//! Each command writes a new folder of its own (default `nnqft-out/...`) with a
//! `provenance.json`; a folder holding other reports is only replaced with `--force`.

use clap::{Parser, Subcommand};
use nnqft_cli::action::ActionArgs;
use nnqft_cli::analyze::AnalyzeArgs;
use nnqft_cli::fit::FitArgs;
use nnqft_cli::ntk::NtkArgs;
use nnqft_cli::sample::SampleArgs;
use nnqft_cli::theory::TheoryArgs;
use nnqft_cli::{Common, Output, command_line, sample, tables};
use std::process::ExitCode;

/// Neural networks as quantum field theories: sample network ensembles, compare their
/// correlation functions with free (GP) and exact finite-width theory, fit EFT couplings.
#[derive(Parser)]
#[command(name = "nnqft", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sample an ensemble of networks and measure its 2-, 4- and 6-point functions.
    ///
    /// Networks f(x) = sum_i W1_i phi(W0_i x + b0_i) + b1 with one hidden layer of width N;
    /// G(2), G(4), G(6) on every multiset of the x-set, averaged over the nets of each
    /// experiment, with standard errors over the experiments. Writes correlators.parquet
    /// (measured, GP and exact columns) and provenance.json; prints the throughput.
    /// With --widths n1,n2,...: L hidden layers (erf, relu, tanh, linear, gelu, silu, softplus,
    /// sigmoid, sin), --d-out outputs,
    /// G(2) and G(4) over every (output, point) pair beside the GP and the leading-order
    /// connected 4-point function.
    Sample {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        args: SampleArgs,
    },
    /// GP and finite-width correlators of a network on an x-set.
    ///
    /// A paper network: the GP (infinite-width, free theory) correlators and, at the one-layer
    /// widths given with --width-scan, the exact finite-width correlators and connected 4- and
    /// 6-point functions (kappa4, kappa6). A deep network (--widths n1,...,nL, any activation,
    /// --d-out outputs, --critical for its critical priors): per multiset of orders 2, 4 and 6 the
    /// infinite-width value, the 1/n shift of G2, the leading connected G4 and G6, and the exact
    /// value where one is known. Writes theory.parquet and provenance.json.
    Theory {
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        args: TheoryArgs,
    },
    /// The neural tangent kernel of a deep network, at infinite width and sampled.
    ///
    /// A deep network (--widths n1,...,nL, any deep activation, --d-out outputs, --critical for
    /// its critical priors) on an x-set; learning-rate factors --lambda-w, --lambda-b (default
    /// C_W, C_b: the NTK parameterisation). Per pair of (output, point) pairs: theta_inf, the
    /// infinite-width NTK delta_ij Theta(x_a, x_b) of the layer recursion, theta_shift_leading_order,
    /// the 1/n shift delta_ij T(x_a, x_b) of the mean NTK (each layer's term over its own width;
    /// null beyond 8 points), theta_inf_error and theta_shift_leading_order_error (the propagated
    /// bounds of their quadrature errors), and g_gp, the kernel delta_ij K(x_a, x_b). With --nets N:
    /// --experiments experiments of N nets drawn with explicit weights, each net's exact NTK and
    /// outputs, and theta_mean, theta_stderr, g2_mean, g2_stderr (means over experiments and their
    /// standard errors). Writes ntk.parquet and provenance.json; up to 8 points and 16 (output,
    /// point) pairs also ntk_fluctuations.parquet (the NTK's covariances at order 1/n), and with
    /// --dntk ntk_dntk.parquet: per row of ntk.parquet (ntk_indices, ntk_outputs) and ordered pair
    /// of (output, point) pairs, the direction's and the output's (indices, outputs: a0,a3 and
    /// i0,i3), dntk_preactivation_leading_order, E[dTheta_(i0 i1 i2; a0 a1 a2) f_i3(x_a3)] at order
    /// 1/n, dntk_preactivation_leading_order_error, and with --nets dntk_preactivation_mean,
    /// dntk_preactivation_stderr. With --ddntk (with or without --dntk) ntk_ddntk.parquet: per row
    /// of ntk.parquet and ordered pair of the two gradient directions' (output, point) pairs
    /// (indices, outputs: a0,a1 and i0,i1), ddi_leading_order, E[ddI Theta_(p0 p1; p2 p3)] at order
    /// 1/n, and ddi_leading_order_error (one hidden layer only; null for deeper networks), with
    /// --nets ddi_mean, ddi_stderr, then the same for ddII (ddii_leading_order,
    /// ddii_leading_order_error, ddii_mean, ddii_stderr).
    Ntk {
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        args: NtkArgs,
    },
    /// Fit the EFT couplings of the paper's Table 5 to a correlators.parquet.
    ///
    /// Models M0..M3 (which of the quartic couplings lambda0, lambda2, lambdaNL are free; vertex
    /// integrals cut off at Lambda) fitted to the measured Delta G4 = G4 - G4_GP of each block
    /// of the file, under MSE and MAPE. Give the network options the sample used. Writes
    /// fits.parquet and provenance.json and prints the table.
    Fit {
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        args: FitArgs,
    },
    /// The couplings of an ensemble's action S = -log p on a point set.
    ///
    /// S(f) = sum_n (1/n!) sum s_n[i1..in] f_i1...f_in, reconstructed order by order in 1/N from
    /// G2 and the connected 4- and 6-point functions (Edgeworth expansion): s_2 = G2^-1 plus
    /// corrections, s_4 = -kappa4 with G2^-1 on each leg (order 1/N), s_6 = -kappa6 amputated
    /// plus the exchange of two quartic vertices (order 1/N^2). Sources: --network with --width
    /// (one hidden layer, exact correlators), --network with --widths (deep: order 1/n, or 1/n^2
    /// with --order 2 on at most 8 input points and 10 (point, output) pairs), or FILE (outputs of networks made anywhere, .npy or .parquet, wide or long:
    /// measured correlators, jackknife errors over --experiments). Writes action.parquet (n,
    /// indices, outputs, coupling, coupling_stderr, coupling_order1, coupling_gp) and
    /// provenance.json. With --deform-quartic LAMBDA,...: phi^4 engineered by deforming the
    /// network's parameter density by exp(-lambda a sum_j f(x_j)^4), sampled by importance
    /// weights, and lambda measured back from the reconstructed quartic coupling
    /// (action_deformation.parquet).
    Action {
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        args: ActionArgs,
    },
    /// Analyse network outputs made elsewhere (NumPy, PyTorch, JAX) from .npy files.
    ///
    /// Each FILE is one ensemble: a C-ordered float64 or float32 array f[net, point] or
    /// f[net, point, output]. Per multiset of orders 2, 4, 6: the measured G(n) with standard
    /// errors over --experiments equal experiments, the GP of the ensemble's own G2 and the
    /// connected parts (unbiased; jackknife errors); m_n per order; with --widths (one per file),
    /// the 1/N scaling fits. Writes analysis.parquet, analysis_summary.parquet,
    /// analysis_fits.parquet, SUMMARY.md and provenance.json (each file's SHA-256); nothing if a
    /// file does not read.
    Analyze {
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        args: AnalyzeArgs,
    },
}

fn main() -> ExitCode {
    let cli: Cli = match command_line::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    command_line::exit(match cli.command {
        Command::Sample { common, args } => sample::sample(&common, &args, None),
        Command::Theory { output, args } => tables::theory(&output.into(), &args).map(|path| {
            println!("{}", path.display());
        }),
        Command::Ntk { output, args } => tables::ntk(&ntk_common(&args, output), &args).map(|path| {
            println!("{}", path.display());
        }),
        Command::Analyze { output, args } => tables::analyze(&output.into(), &args).map(|path| {
            println!("{}", path.display());
        }),
        Command::Action { output, args } => tables::action(&output.into(), &args).map(|(path, line)| {
            println!("{line}");
            println!("{}", path.display());
        }),
        Command::Fit { output, args } => tables::fit(&output.into(), &args).map(|table| print!("{table}")),
    })
}

/// The shared options of an `ntk` run: `output`'s folder and `--force`, `--seed` and `--threads`
/// (one thread without `--nets`: nothing is sampled), no progress bars.
fn ntk_common(args: &NtkArgs, output: Output) -> Common {
    let threads = if args.nets.is_some() { args.threads } else { Some(1) };
    Common { out: output.out, force: output.force, seed: args.seed, threads, no_progress: true }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;
    use nnqft_cli::command_line::{check_listed_values, check_readme};

    /// Every `nnqft` command the README shows parses with this parser (whole commands in code
    /// blocks) or names only options this parser has (synopses in the text).
    #[test]
    fn readme_commands_parse() {
        check_readme(&Cli::command(), "nnqft", 4).unwrap();
    }

    /// `--help` lists every value an option accepts, and every value it lists is accepted by the
    /// library's own parser of that option.
    #[test]
    fn help_lists_every_accepted_value() {
        let accepts = |long: &str, value: &str| match long {
            "network" => {
                nnqft_theory::DeepActivation::parse(value).is_ok() || nnqft_theory::Activation::parse(value).is_ok()
            }
            "estimator" => nnqft_sampling::Estimator::parse(value).is_ok(),
            "eft" => nnqft_theory::Activation::parse(value).is_ok(),
            _ => false,
        };
        check_listed_values(&Cli::command(), &accepts).unwrap();
        // --x-set takes a file or a paper set name: its help lists every name
        nnqft_cli::options::check_x_set_help(&Cli::command(), "sample").unwrap();
        let cli = Cli::command();
        let sample = cli.find_subcommand("sample").unwrap();
        let estimator = sample.get_arguments().find(|a| a.get_long() == Some("estimator")).unwrap();
        let listed: Vec<String> = estimator.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
        let all: Vec<String> = nnqft_sampling::Estimator::ALL.iter().map(|e| e.name().to_string()).collect();
        assert_eq!(listed, all);
    }
}
