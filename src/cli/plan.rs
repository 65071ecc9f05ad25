//! `keyshare plan DIR [--out FILE]`: show what apply would change, and optionally save the
//! plan for `keyshare apply FILE`.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;

use super::comment_args::CommentArgs;
use super::okta_args::OktaArgs;
use super::output::Format;
use super::printer::Printer;
use super::session::{Reads, Session, Targets};
use super::{ExitStatus, clock};
use crate::planfile::PlanFile;
use crate::render::Command;
use crate::render::escape::terminal;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The directory of desired-state YAML files.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t, help_heading = "Output")]
    format: Format,
    /// Save the plan to FILE (JSON, owner-only) for `keyshare apply FILE`.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    out: Option<PathBuf>,
    #[command(flatten)]
    targets: Targets,
    #[command(flatten)]
    okta: OktaArgs,
    #[command(flatten)]
    comment: CommentArgs,
}

pub async fn run(args: PlanArgs, verbose: u8, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let session = Session::open(&args.dir, &args.targets, &args.okta, printer)?;
    let now = clock::now()?;
    // A saved plan reads the sources' key lists afresh rather than trusting the key cache, so
    // that its fingerprint covers them and a key added out of band makes it stale.
    let planned = match &args.out {
        Some(_) => {
            Reads::fresh()
                .plan(&session.client, &session.desired, now)
                .await?
        }
        None => session.plan(now).await?,
    };
    if let Some(out) = &args.out {
        PlanFile::new(
            &planned.plan,
            &planned.live,
            session.client.org_url(),
            &session.desired.digest,
            now,
        )
        .write(out)
        .context("the plan was made but not saved")?;
    }
    // A person reading the plan on a terminal decides on it: it names the org it was made
    // against. Files and pipes get the plan alone, as scripts expect.
    if args.format == Format::Text && std::io::stdout().is_terminal() {
        printer.result_line(format_args!(
            "Okta org: {}\n",
            terminal(session.client.org_url().as_str())
        ))?;
    }
    session.print(
        &planned,
        Command::Plan,
        args.format,
        &args.comment,
        verbose,
        printer,
    )?;
    if let (Some(out), Format::Text) = (&args.out, args.format) {
        printer.result_line(format_args!(
            "\nSaved the plan to {}. To carry out exactly these steps, run:\n    keyshare apply {}",
            out.display(),
            out.display()
        ))?;
    }
    Ok(ExitStatus::of(&planned.plan))
}
