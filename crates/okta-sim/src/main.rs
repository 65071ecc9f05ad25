//! The `okta-sim` binary: the simulator on its own, with the same flags as `keyshare sim`.
//! Everything lives in the library; see [`okta_sim::cli`].

use std::process::ExitCode;

use clap::Parser;

/// An offline Okta org: apps, signing keys, CSRs, OAuth 2.0 tokens, rate limits and `/__sim/`
/// fault injection, on loopback (docs/simulator.md).
#[derive(Parser)]
#[command(name = "okta-sim", version)]
struct Cli {
    #[command(flatten)]
    args: okta_sim::cli::SimArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            okta_sim::cli::diagnostic(format_args!(
                "error: cannot start the async runtime: {error}"
            ));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(okta_sim::cli::run(cli.args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            okta_sim::cli::diagnostic(format_args!("error: {error:#}"));
            ExitCode::FAILURE
        }
    }
}
