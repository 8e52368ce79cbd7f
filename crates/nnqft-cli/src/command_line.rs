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

/// The workspace root of the source tree these command lines were built from (this crate
/// lives two levels below it, in `crates/nnqft-cli`): where the tests find the README and the
/// committed reports.
pub fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).map_or_else(|| ".".into(), std::path::Path::to_path_buf)
}

/// `K/N` of `--shard`.
pub fn parse_shard(text: &str) -> Result<nnqft_sampling::Shard, String> {
    nnqft_sampling::Shard::parse(text).map_err(|e| e.to_string())
}

/// A command line shown in a Markdown document (the README), for the tests that hold the
/// documentation to the parser: its words after the program name and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentedCommand {
    /// 1-based line of the document.
    pub line: usize,
    /// The words after the program name (`$k` of a shell loop taken as `0`).
    pub words: Vec<String>,
    /// `true` for a whole command in a shell code block (parsed as it stands); `false` for a
    /// synopsis in running text (`[--seeds 200]`, `DIR...`), whose subcommand and flags alone
    /// are checked.
    pub whole: bool,
}

/// Every command of `program` (`"nnqft"`, `"cargo xtask"`) in `markdown`: the commands of its
/// `sh` code blocks (split at `;` and `&&`, comments dropped) and its inline code spans that
/// start with the program's name.
pub fn documented_commands(markdown: &str, program: &str) -> Vec<DocumentedCommand> {
    let prefix = format!("{program} ");
    let words = |text: &str| -> Vec<String> {
        text.split_whitespace().map(|w| w.trim_matches(['"', '\'']).replace("$k", "0")).collect()
    };
    let mut found = Vec::new();
    let mut fence: Option<String> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(tag) = trimmed.strip_prefix("```") {
            fence = if fence.is_some() { None } else { Some(tag.trim().to_string()) };
            continue;
        }
        match &fence {
            Some(tag) if tag == "sh" || tag == "bash" => {
                let code = trimmed.split(" #").next().unwrap_or_default();
                if code.starts_with('#') {
                    continue;
                }
                for part in code.split(';').flat_map(|p| p.split("&&")) {
                    let part = part.trim();
                    let part = part.strip_prefix("do ").unwrap_or(part).trim();
                    if let Some(rest) = part.strip_prefix(&prefix) {
                        found.push(DocumentedCommand { line: i + 1, words: words(rest), whole: true });
                    }
                }
            }
            Some(_) => {}
            None => {
                for (k, span) in line.split('`').enumerate() {
                    if k % 2 == 1
                        && let Some(rest) = span.strip_prefix(&prefix)
                    {
                        let synopsis = rest.replace(['[', ']'], " ").replace("...", " ");
                        found.push(DocumentedCommand { line: i + 1, words: words(&synopsis), whole: false });
                    }
                }
            }
        }
    }
    found
}

/// Checks a documented command against the command line's own parser: a whole command must
/// parse; a synopsis must name a subcommand, and each of its `--flags` must be one of that
/// subcommand's options. `Err` says what is wrong.
pub fn check_documented(command: &clap::Command, documented: &DocumentedCommand) -> Result<(), String> {
    let at = format!("line {}: `{}`", documented.line, documented.words.join(" "));
    if documented.whole {
        let argv = std::iter::once(command.get_name().to_string()).chain(documented.words.iter().cloned());
        return command.clone().try_get_matches_from(argv).map(drop).map_err(|e| format!("{at}: {}", e.render()));
    }
    let Some(name) = documented.words.first() else { return Err(format!("{at}: no subcommand")) };
    let Some(sub) = command.find_subcommand(name) else { return Err(format!("{at}: no subcommand {name}")) };
    for flag in documented.words.iter().filter_map(|w| w.strip_prefix("--")) {
        let flag = flag.split('=').next().unwrap_or_default();
        if flag != "help" && !sub.get_arguments().any(|a| a.get_long() == Some(flag)) {
            return Err(format!("{at}: `{name}` has no option --{flag}"));
        }
    }
    Ok(())
}

/// Checks every command of `program` in the workspace's README against `command` (its parser):
/// at least `whole` whole commands must be found, and each must pass [`check_documented`]. `Err`
/// lists every command the parser refuses.
pub fn check_readme(command: &clap::Command, program: &str, whole: usize) -> Result<(), String> {
    let path = workspace_root().join("README.md");
    let readme = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let commands = documented_commands(&readme, program);
    let found = commands.iter().filter(|c| c.whole).count();
    if found < whole {
        return Err(format!("the README's code blocks show {found} `{program}` commands, fewer than {whole}"));
    }
    let errors: Vec<String> = commands.iter().filter_map(|c| check_documented(command, c).err()).collect();
    if errors.is_empty() { Ok(()) } else { Err(format!("README commands the parser refuses:\n{}", errors.join("\n"))) }
}

/// Checks that every option of `command` (and its subcommands) that takes one of a list of
/// values shows that list in its `--help`, and that `accepts` (the library's own parser of
/// that option, by its long name) takes each listed value; `Err` names the first gap.
pub fn check_listed_values(command: &clap::Command, accepts: &dyn Fn(&str, &str) -> bool) -> Result<(), String> {
    let mut command = command.clone();
    for sub in command.get_subcommands_mut() {
        let help = sub.render_long_help().to_string();
        for arg in sub.get_arguments() {
            let values = arg.get_possible_values();
            let Some(long) = arg.get_long() else { continue };
            for value in values.iter().filter(|v| !v.is_hide_set()) {
                let name = value.get_name();
                if !help.contains(name) {
                    return Err(format!("{} --help does not list {name} for --{long}", sub.get_name()));
                }
                if !accepts(long, name) {
                    return Err(format!("{} --{long} lists {name}, which its parser refuses", sub.get_name()));
                }
            }
        }
    }
    Ok(())
}
