//! `keyshare validate DIR`: parse and check the desired state offline.

use std::path::PathBuf;

use anyhow::Context;

use super::ExitStatus;
use super::printer::Printer;
use crate::config;

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The directory of desired-state YAML files.
    #[arg(default_value = ".")]
    dir: PathBuf,
}

pub fn run(args: ValidateArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let desired = config::load_dir(&args.dir)
        .with_context(|| format!("the desired state in {} is not valid", args.dir.display()))?;
    for warning in desired.warnings() {
        printer.notice_line(format_args!("Warning: {warning}"));
    }
    let apps: usize = desired.groups.iter().map(|g| 1 + g.members.len()).sum();
    printer.result_line(format_args!(
        "Valid: {} group(s), {} app reference(s) in {}.",
        desired.groups.len(),
        apps,
        args.dir.display()
    ))?;
    Ok(ExitStatus::Success)
}
