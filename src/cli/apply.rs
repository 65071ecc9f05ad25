//! `keyshare apply DIR`: plan, show the plan, confirm, carry it out, then prove the org
//! converged by planning again.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use jiff::Timestamp;

use super::ExitStatus;
use super::okta_args::OktaArgs;
use super::output::{Format, render, stdout_color};
use super::session::{Planned, Session, plan_with};
use crate::apply::{ApplyReport, ProgressEvent, StepOutcome, execute};
use crate::config::DesiredState;
use crate::okta::http::HttpClient;
use crate::render::{Command, RenderContext, Report};

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The directory of desired-state YAML files.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Apply without asking; required when standard input is not a terminal.
    #[arg(long)]
    auto_approve: bool,
    /// Output format of the plan shown before applying.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[command(flatten)]
    okta: OktaArgs,
}

pub async fn run(args: ApplyArgs, verbose: u8) -> anyhow::Result<ExitStatus> {
    let session = Session::open(&args.dir, &args.okta)?;
    let planned = session.plan(Timestamp::now()).await?;
    let color = stdout_color();
    print!(
        "{}",
        render(
            args.format,
            Command::Plan,
            &planned.plan,
            &planned.live,
            color,
        )
    );
    if planned.plan.is_empty() {
        return Ok(ExitStatus::Success);
    }
    if !args.auto_approve {
        confirm()?;
    }
    let report = apply_planned(&session.client, &session.desired, &planned).await?;
    println!("Apply complete: {report}.");
    if verbose > 0 {
        eprint!("API calls:\n{}", session.client.stats());
    }
    Ok(ExitStatus::Success)
}

/// Runs `planned`'s steps, printing each as it ends, then re-reads the org and fails unless
/// planning again finds nothing left to do.
pub async fn apply_planned(
    client: &HttpClient,
    desired: &DesiredState,
    planned: &Planned,
) -> anyhow::Result<ApplyReport> {
    let views = Report::new(
        &planned.plan,
        &RenderContext {
            snapshot: &planned.live,
        },
        Command::Apply,
    );
    let mut progress = |event: ProgressEvent<'_>| {
        if let ProgressEvent::Finished {
            index,
            total,
            outcome,
            ..
        } = event
        {
            let result = match outcome {
                StepOutcome::Done => "done".to_owned(),
                StepOutcome::AlreadyDone => "already done".to_owned(),
                StepOutcome::Adopted(kid) => format!("adopted {kid} after an ambiguous failure"),
            };
            println!(
                "[{index}/{total}] {}: {result}",
                views.steps[index - 1].sentence()
            );
        }
    };
    let report = execute(client, &planned.plan, &mut progress)
        .await
        .context("apply stopped; what ran before the failing step took effect, and running apply again resumes")?;
    let after = plan_with(client, desired, Timestamp::now()).await?;
    if !after.plan.is_empty() {
        bail!(
            "apply finished, but Okta still differs from the desired state ({} step(s) remain): someone may be changing these apps right now; run plan again",
            after.plan.steps.len()
        );
    }
    Ok(report)
}

/// Asks on the terminal; refuses when there is no terminal to ask on.
fn confirm() -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "apply needs confirmation, but standard input is not a terminal; review the plan and pass --auto-approve to apply without asking"
        );
    }
    print!("\nDo you want to perform these actions in Okta? Only 'yes' will be accepted: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("apply cancelled: the answer was not 'yes'; nothing was changed");
    }
    Ok(())
}
