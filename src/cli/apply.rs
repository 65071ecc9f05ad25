//! `keyshare apply DIR|FILE`: carry out a plan like a careful operator. With a directory it
//! plans first; with a saved plan (`plan --out FILE`) it re-reads what the plan was made from
//! and refuses a plan for another org or one that went stale. Either way it shows the plan,
//! asks for confirmation on the terminal (on standard error, naming the org it writes to),
//! shows progress on standard error (only on a terminal),
//! runs the steps, then re-reads every app it touched and checks that each group signs, and
//! publishes in its SAML metadata, one certificate. Ctrl-C or SIGTERM during the steps stops
//! after the step in flight (see [`steps`](super::steps)). The stages are the reconcile
//! layer's ([`crate::reconcile`]); this module asks, confirms and renders.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::okta_args::{OktaArgs, duration};
use super::output::{Format, render, render_report};
use super::printer::Printer;
use super::session::{Planned, Reads, Targets, load};
use super::steps::{self, RERUN_DIR, check_converged, run_steps};
use super::{ExitStatus, clock};
use crate::apply::{ApplyReport, OrgLock, known_key, with_known_keys};
use crate::config::DesiredState;
use crate::okta::http::HttpClient;
use crate::plan::{LiveSnapshot, Plan};
use crate::planfile::{self, PlanFile, StaleError};
use crate::render::escape::terminal;
use crate::render::{AppliedView, Command, RenderContext, Report};

/// Re-reads of a saved plan's apps in flight at once.
const REREAD_CONCURRENCY: usize = 8;

/// How to finish a saved plan that stopped part-way.
const RERUN_PLAN_FILE: &str = "Run `keyshare apply` on the desired-state directory to finish (a saved plan is stale once one of its steps ran): it plans afresh from Okta and resumes.";

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A directory of desired-state YAML files, or a plan file saved by `plan --out`.
    #[arg(default_value = ".", value_name = "DIR|FILE")]
    target: PathBuf,
    /// Apply without asking; required when standard input is not a terminal.
    #[arg(long)]
    auto_approve: bool,
    /// Output format: text shows the plan, each step and a summary; json and markdown print
    /// one report of what was applied.
    #[arg(long, value_enum, default_value_t, help_heading = "Output")]
    format: Format,
    /// How long to wait for the apply lock another apply or self-healing watch of this org
    /// holds, e.g. 30s or 10m [default: as long as it takes].
    #[arg(long, env = "KEYSHARE_LOCK_TIMEOUT", value_name = "DURATION", value_parser = duration)]
    lock_timeout: Option<std::time::Duration>,
    #[command(flatten)]
    targets: Targets,
    #[command(flatten)]
    okta: OktaArgs,
}

/// What to apply: a plan, the snapshot it was made from, and the desired state when the plan
/// was made now (a saved plan has none; it is applied exactly as made).
struct Prepared {
    planned: Planned,
    desired: Option<DesiredState>,
}

pub async fn run(args: ApplyArgs, verbose: u8, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let client = HttpClient::new(args.okta.to_settings()?)?;
    let _lock = lock(&args.okta, client.org_url(), args.lock_timeout, printer)?;
    let reads = Reads::cached(&args.okta, &client);
    let Prepared { planned, desired } =
        prepare(&client, &reads, &args.target, &args.targets, printer).await?;
    let text = args.format == Format::Text;
    let plan_text = render(
        Format::Text,
        Command::Plan,
        &planned.plan,
        &planned.live,
        text && printer.color(),
    );
    // An apply's output is dropped when standard output is closed: the apply goes on and
    // ends by its own outcome, never abandoned half-way because its reader left.
    if text {
        let _ = printer.result(format_args!("{plan_text}"));
    }
    let mut report = ApplyReport::default();
    let mut shown = planned.live.clone();
    if !planned.plan.is_empty() {
        if !args.auto_approve {
            // The question is asked on standard error; when standard output goes elsewhere (a
            // file, a pipe, or JSON), the plan is shown there too, so the decision is made on
            // what the operator can see.
            let shown_on_terminal = text && std::io::stdout().is_terminal();
            confirm(
                (!shown_on_terminal).then_some(plan_text.as_str()),
                client.org_url(),
                printer,
            )?;
        }
        let rerun = if desired.is_some() {
            RERUN_DIR
        } else {
            RERUN_PLAN_FILE
        };
        report = run_steps(&client, &planned, text, Some(rerun), printer).await?;
        let verified = steps::verify(&client, &planned, &report).await?;
        // The report shows the keys the groups got, certificates included.
        for group in &verified {
            shown.insert_facts(group.key.clone());
        }
        if let Some(desired) = &desired {
            check_converged(&client, &reads, desired, clock::now()?).await?;
        }
        if text {
            let _ = printer.result(format_args!("{}", steps::describe(&verified)));
            let _ = printer.result_line(format_args!("Apply complete: {report}."));
        }
    }
    if !text {
        let _ = printer.result(format_args!(
            "{}",
            applied_report(args.format, &planned.plan, &report, &shown, &client)
        ));
    }
    if verbose > 0 {
        printer.notice(format_args!("API calls:\n{}", client.stats()));
    }
    Ok(ExitStatus::Success)
}

/// Takes the org's apply lock, saying on standard error why it waits while another apply (or
/// a self-healing `watch`) holds it.
fn lock(
    okta: &OktaArgs,
    org: &url::Url,
    timeout: Option<std::time::Duration>,
    printer: &Printer,
) -> anyhow::Result<OrgLock> {
    Ok(OrgLock::acquire(&okta.lock_dir(), org, timeout, |path| {
        printer.notice_line(format_args!(
            "Waiting for another keyshare apply or self-healing watch against {org} that holds the apply lock {} to finish.",
            path.display()
        ));
    })?)
}

/// A plan made now from the directory `target`, or the saved plan `target` after checking it.
async fn prepare(
    client: &HttpClient,
    reads: &Reads,
    target: &Path,
    targets: &Targets,
    printer: &Printer,
) -> anyhow::Result<Prepared> {
    if planfile::is_plan_file(target) {
        if targets.any() {
            bail!(
                "--target narrows a plan made now; a saved plan is applied whole, so make it with `keyshare plan --target GROUP --out FILE` instead"
            );
        }
        return from_plan_file(client, target).await;
    }
    let desired = targets.select(load(target, printer)?, target)?;
    let planned = reads.plan(client, &desired, clock::now()?).await?;
    Ok(Prepared {
        planned,
        desired: Some(desired),
    })
}

/// The JSON or Markdown report of an apply: the plan as carried out, what it changed, and the
/// API calls made.
fn applied_report(
    format: Format,
    plan: &Plan,
    report: &ApplyReport,
    shown: &LiveSnapshot,
    client: &HttpClient,
) -> String {
    let carried_out = carried_out(plan, report);
    let mut view = Report::new(
        &carried_out,
        &RenderContext { snapshot: shown },
        Command::Apply,
    );
    view.applied = Some(AppliedView::from(report));
    view.api_calls = Some(client.stats().into());
    render_report(format, &view, &carried_out, shown, false)
}

/// The plan as carried out: every "known after apply" key named by the kid generated (or
/// adopted) for its group.
fn carried_out(plan: &Plan, report: &ApplyReport) -> Plan {
    let mut plan = plan.clone();
    for group in &mut plan.groups {
        group.key = known_key(&group.key, &report.generated);
    }
    for step in &mut plan.steps {
        *step = with_known_keys(step, &report.generated);
    }
    plan
}

/// Reads a saved plan and checks it against the org: the same org, and every app it was made
/// from unchanged.
async fn from_plan_file(client: &HttpClient, path: &Path) -> anyhow::Result<Prepared> {
    let file = PlanFile::read(path)?;
    let current = client.org_url().to_string();
    if file.org_url != current {
        return Err(StaleError::OtherOrg {
            planned: file.org_url,
            current,
        }
        .into());
    }
    let live = planfile::check_fresh(client, &file.fingerprint, REREAD_CONCURRENCY)
        .await
        .with_context(|| format!("the saved plan {} cannot be applied", path.display()))?;
    Ok(Prepared {
        planned: Planned {
            live,
            plan: file.to_plan(),
        },
        desired: None,
    })
}

/// Asks on the terminal; refuses when there is no terminal to ask on. Everything it shows goes
/// to standard error, which `apply > log.txt` and JSON or Markdown output leave on the
/// terminal: `plan_text` first when given, then [`confirmation`], then the question.
fn confirm(plan_text: Option<&str>, org: &url::Url, printer: &Printer) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "apply needs confirmation, but standard input is not a terminal; review the plan and pass --auto-approve to apply without asking"
        );
    }
    if let Some(plan_text) = plan_text {
        printer.notice(format_args!("{plan_text}"));
    }
    printer.notice(format_args!("{}", confirmation(org)));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("apply cancelled: the answer was not 'yes'; nothing was changed");
    }
    Ok(())
}

/// What is said where the decision is made, just before the answer is read: the org the
/// apply writes to (a token in the environment for another org is the mistake this catches),
/// and the question. Warnings the operator must weigh before answering belong here, above
/// the question.
fn confirmation(org: &url::Url) -> String {
    format!(
        "\nOkta org: {}\nDo you want to perform these actions in this org? Only 'yes' will be accepted: ",
        terminal(org.as_str())
    )
}
