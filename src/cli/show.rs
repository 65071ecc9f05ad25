//! `keyshare show PLANFILE`: a plan saved by `plan --out`, rendered as `plan` shows it
//! (text, JSON or the Markdown of a pull-request comment) without reading Okta: what
//! `apply PLANFILE` would carry out, for review where Okta cannot be reached.
//!
//! A saved plan holds ids, labels, kids and digests, never the apps' JSON, so the apps shown
//! are rebuilt from those: each with its id and label, and a switched app with the kid it
//! signed with when the plan was made. A Markdown diff therefore shows the signing kid's
//! change alone. Never contacts Okta and never checks freshness: `apply` does that.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::json;

use super::ExitStatus;
use super::output::{Format, render};
use super::printer::Printer;
use crate::okta::Application;
use crate::plan::{LiveSnapshot, Plan, Step};
use crate::planfile::PlanFile;
use crate::render::Command;
use crate::render::escape::terminal;

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// A plan file saved by `keyshare plan --out`.
    #[arg(value_name = "PLANFILE")]
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t, help_heading = "Output")]
    format: Format,
}

pub fn run(args: &ShowArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let file = PlanFile::read(&args.file)?;
    let plan = file.to_plan();
    let apps = apps_of(&file, &plan)?;
    if args.format == Format::Text {
        printer.result_line(format_args!(
            "Plan saved at {} for {} by keyshare {}; `keyshare apply {}` checks it is still fresh before carrying it out.\n",
            // Whole seconds: the file keeps nanoseconds, which only clutter the line.
            file.created_at
                .round(jiff::Unit::Second)
                .unwrap_or(file.created_at),
            terminal(&file.org_url),
            terminal(&file.keyshare_version),
            args.file.display()
        ))?;
    }
    printer.result(render(
        args.format,
        Command::Plan,
        &plan,
        &apps,
        printer.color(),
    ))?;
    Ok(ExitStatus::Success)
}

/// The apps of the plan as far as the file knows them: id and label, and for a switched app
/// the kid it signed with when the plan was made.
fn apps_of(file: &PlanFile, plan: &Plan) -> anyhow::Result<LiveSnapshot> {
    let mut live = LiveSnapshot::default();
    for app in &file.fingerprint {
        let signing_kid = plan.steps.iter().find_map(|step| match step {
            Step::Switch {
                app: id, expect, ..
            } if *id == app.id => expect.signing_kid.clone(),
            _ => None,
        });
        let mut value = json!({ "id": app.id.0, "label": app.label });
        if let Some(kid) = signing_kid {
            value["credentials"] = json!({ "signing": { "kid": kid.0 } });
        }
        let app = Application::from_json(value)
            .with_context(|| format!("the saved plan's app {} cannot be shown", app.id))?;
        live.insert_app(app);
    }
    Ok(live)
}
