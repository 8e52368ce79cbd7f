//! What the command lines (`cargo xtask`, `nnqft`) share: parsing with every error on one
//! line (the message and the allowed values, without the usage block), and errors of a run
//! on one line with exit code 1.

use std::process::ExitCode;

/// Parses the arguments; `Err` holds the exit code after printing help, the version (0) or a
/// one-line parse error (2).
pub fn parse<C: clap::Parser>() -> Result<C, ExitCode> {
    match C::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            Err(ExitCode::SUCCESS)
        }
        Err(e) => {
            let text = e.render().to_string();
            let line: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:"))
                .collect();
            eprintln!("{}", line.join(" "));
            Err(ExitCode::from(2))
        }
    }
}

/// The exit code of a run's result; an error is printed on one line.
pub fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// `K/N` of `--shard`.
pub fn parse_shard(text: &str) -> Result<nnqft_sampling::Shard, String> {
    nnqft_sampling::Shard::parse(text).map_err(|e| e.to_string())
}
