//! The command line: clap definitions, one module per command, and the edge where errors become
//! messages and exit codes.
//!
//! Exit codes follow Terraform's `-detailed-exitcode` (0 nothing to do, 2 changes or drift, 1 any
//! error); `exit` holds them and their reasons.

mod apply;
mod clock;
mod comment_args;
pub(crate) mod console;
mod demo;
mod drift;
mod exit;
mod import;
mod keys;
mod metadata;
pub mod okta_args;
mod okta_yaml;
mod output;
mod plan;
mod printer;
mod read_progress;
mod session;
mod show;
mod signals;
mod steps;
mod validate;
mod watch;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use exit::ExitStatus;
pub use output::Format;

/// keyshare: several Okta SSO apps, one signing key, declared in YAML.
#[derive(Debug, Parser)]
#[command(name = "keyshare", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More detail on standard error: -v a summary, -vv debug logs, -vvv trace logs.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = "Output")]
    verbose: u8,
    /// When to colour the output; `always` and `never` win over NO_COLOR.
    #[arg(
        long,
        value_name = "WHEN",
        value_enum,
        default_value_t,
        global = true,
        help_heading = "Output"
    )]
    color: output::ColorChoice,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and check the desired state offline.
    Validate(validate::ValidateArgs),
    /// Show what apply would change (exit 0 no changes, 2 changes, 1 error).
    Plan(plan::PlanArgs),
    /// Carry out a plan: plan DIR now, or a plan FILE saved by `plan --out`.
    Apply(apply::ApplyArgs),
    /// Render a plan saved by `plan --out` without reading Okta.
    Show(show::ShowArgs),
    /// Check that Okta still matches the desired state (exit 0 in sync, 2 drift, 1 error).
    Drift(drift::DriftArgs),
    /// Inventory: each app's keys, which one it signs with, expiry, and who shares each key.
    Keys(keys::KeysArgs),
    /// Write each managed app's IdP metadata with the active and the staged certificate.
    Metadata(metadata::MetadataArgs),
    /// Write desired-state YAML from the live org: apps sharing a key become a group.
    Import(import::ImportArgs),
    /// Run the local Okta simulator.
    Sim(okta_sim::cli::SimArgs),
    /// The guided tour: an in-process simulator, then plan → apply → drift → heal → a staged
    /// rotation.
    Demo(demo::DemoArgs),
    /// Controller: re-plan on file change and every interval; optionally heal; serve /metrics.
    Watch(watch::WatchArgs),
    /// Print a shell completion script for bash, zsh or fish.
    Completions(CompletionsArgs),
}

#[derive(Debug, clap::Args)]
struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Parses the command line, runs the command, and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            if err.kind() == clap::error::ErrorKind::UnknownArgument
                && let Some((given, meant)) = single_dash_flag(std::env::args_os().skip(1))
            {
                console::diagln!(
                    "error: unexpected argument '{given}': keyshare's long flags take two dashes (Terraform's take one); use '{meant}'"
                );
                return ExitCode::from(1);
            }
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let watch_log = match &cli.command {
        Command::Watch(args) => Some(args.log_format),
        _ => None,
    };
    let printer = printer::Printer::new(cli.color);
    init_tracing(cli.verbose, watch_log);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            return report(&anyhow::Error::new(err).context("cannot start the async runtime"));
        }
    };
    match runtime.block_on(run(cli, &printer)) {
        Ok(status) => status.into(),
        Err(err) if printer::reader_gone(&err) => ExitCode::SUCCESS,
        Err(err) => report(&err),
    }
}

/// The first argument written with Terraform's single dash (`-auto-approve`, `-out=plan`)
/// that names a long flag of keyshare's command line, and the same with two dashes. Only
/// flags that exist count, so that a value such as a PEM key (`-----BEGIN …`) or `-vv` is
/// never taken for one.
fn single_dash_flag(args: impl Iterator<Item = std::ffi::OsString>) -> Option<(String, String)> {
    let cli = <Cli as clap::CommandFactory>::command();
    let longs = |cmd: &clap::Command| {
        cmd.get_arguments()
            .filter_map(clap::Arg::get_long)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut known = longs(&cli);
    for arg in args {
        let arg = arg.to_string_lossy().into_owned();
        if let Some(sub) = cli.find_subcommand(&arg) {
            known.extend(longs(sub));
            continue;
        }
        let Some(flag) = arg.strip_prefix('-').filter(|rest| !rest.starts_with('-')) else {
            continue;
        };
        let name = flag.split_once('=').map_or(flag, |(name, _)| name);
        if known.iter().any(|long| long == name) {
            return Some((arg.clone(), format!("-{arg}")));
        }
    }
    None
}

async fn run(cli: Cli, printer: &printer::Printer) -> anyhow::Result<ExitStatus> {
    let verbose = cli.verbose;
    match cli.command {
        Command::Validate(args) => validate::run(args, printer),
        Command::Plan(args) => plan::run(args, verbose, printer).await,
        Command::Apply(args) => apply::run(args, verbose, printer).await,
        Command::Drift(args) => drift::run(args, verbose, printer).await,
        Command::Keys(args) => keys::run(args, verbose, printer).await,
        Command::Metadata(args) => metadata::run(args, printer).await,
        Command::Import(args) => import::run(args, printer).await,
        Command::Sim(args) => okta_sim::cli::run(args).await.map(|()| ExitStatus::Success),
        Command::Demo(args) => demo::run(args, printer).await,
        Command::Watch(args) => watch::run(args).await,
        Command::Show(args) => show::run(&args, printer),
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "keyshare",
                &mut script,
            );
            printer.result(String::from_utf8_lossy(&script))?;
            Ok(ExitStatus::Success)
        }
    }
}

/// Prints `error: …` and one `Caused by:` line per source, as uv and cargo do. Messages can
/// quote Okta (labels, answers), so each of their lines is escaped for the terminal.
fn report(err: &anyhow::Error) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {}", terminal_lines(&err.to_string()));
    for cause in err.chain().skip(1) {
        let _ = writeln!(
            stderr,
            "  Caused by: {}",
            terminal_lines(&cause.to_string())
        );
    }
    ExitCode::from(1)
}

/// A message of several lines (a configuration error lists one problem per line) with each
/// line escaped for the terminal.
fn terminal_lines(message: &str) -> String {
    message
        .split('\n')
        .map(crate::render::escape::terminal)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Logs go to standard error; `RUST_LOG` wins over `-v`. `watch` logs at info by default,
/// in its `--log-format`.
fn init_tracing(verbose: u8, watch_log: Option<watch::LogFormat>) {
    let default = match verbose {
        0 | 1 if watch_log.is_some() => "keyshare=info",
        0 | 1 => "warn",
        2 => "keyshare=debug",
        _ => "keyshare=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(console::Logs)
        // A log line that cannot be written has nowhere to be reported either.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match watch_log {
        Some(watch::LogFormat::Json) => logs.json().try_init(),
        _ => logs.try_init(),
    };
}
