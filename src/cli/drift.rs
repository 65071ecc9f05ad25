//! `keyshare drift DIR`: the scheduled check that Okta still matches the desired state.
//!
//! Drift is whatever a plan would change: an app switched or a key removed behind keyshare's
//! back, and a group key the policy (`rotateBefore`, `rotateAfter`) would now replace.

use std::path::PathBuf;

use super::comment_args::CommentArgs;
use super::okta_args::OktaArgs;
use super::output::Format;
use super::printer::Printer;
use super::session::{Session, Targets};
use super::{ExitStatus, clock};
use crate::render::Command;

#[derive(Debug, clap::Args)]
pub struct DriftArgs {
    /// The directory of desired-state YAML files.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t, help_heading = "Output")]
    format: Format,
    #[command(flatten)]
    targets: Targets,
    #[command(flatten)]
    okta: OktaArgs,
    #[command(flatten)]
    comment: CommentArgs,
}

pub async fn run(args: DriftArgs, verbose: u8, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let session = Session::open(&args.dir, &args.targets, &args.okta, printer)?;
    let planned = session.plan(clock::now()?).await?;
    session.print(
        &planned,
        Command::Drift,
        args.format,
        &args.comment,
        verbose,
        printer,
    )?;
    Ok(ExitStatus::of(&planned.plan))
}
