//! The terminal side of carrying out a plan, for the commands that write (`apply`, `demo`):
//! a progress bar on standard error, one line per finished step on standard output, Ctrl-C and
//! SIGTERM between two steps (see [`interrupt`]), and the "Verified group …" lines of the check
//! after. The work itself is the reconcile layer's ([`crate::reconcile`]); this module only
//! renders it and turns its errors into messages.

mod interrupt;

use std::fmt::Write as _;
use std::io::IsTerminal;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use jiff::Timestamp;

use super::printer::Printer;
use super::session::{Planned, Reads};
use crate::apply::{ApplyReport, Executed, ProgressEvent, StepOutcome};
use crate::config::DesiredState;
use crate::okta::http::HttpClient;
use crate::plan::Step;
use crate::reconcile::{self, Check, Verified};
use crate::render::escape::terminal;
use crate::render::{RenderContext, StepView};
use interrupt::Interrupts;

/// How to finish a plan made from a directory that stopped part-way.
pub const RERUN_DIR: &str =
    "Run `keyshare apply` again to finish: it plans afresh from Okta and resumes.";

/// Runs `planned`'s steps, printing each as it ends, then re-reads the org and fails unless
/// every group signs and publishes one certificate and planning `desired` again finds nothing
/// left to do, and prints the "Verified group …" lines as `apply` does.
pub async fn apply_and_verify(
    client: &HttpClient,
    reads: &Reads,
    desired: &DesiredState,
    planned: &Planned,
    now: Timestamp,
    printer: &Printer,
) -> anyhow::Result<ApplyReport> {
    let report = run_steps(client, planned, true, None, printer).await?;
    let verified = verify(client, planned, &report).await?;
    check_converged(client, reads, desired, now).await?;
    printer.result(format_args!("{}", describe(&verified)))?;
    Ok(report)
}

/// The check after the steps: every app of each group `planned` changed, re-read.
pub async fn verify(
    client: &HttpClient,
    planned: &Planned,
    report: &ApplyReport,
) -> anyhow::Result<Vec<Verified>> {
    let check = Check::of(&planned.plan);
    Ok(reconcile::verify::verify(client, &planned.plan, &planned.live, report, &check).await?)
}

/// Plans `desired` again and fails unless nothing is left to do.
pub async fn check_converged(
    client: &HttpClient,
    reads: &Reads,
    desired: &DesiredState,
    now: Timestamp,
) -> anyhow::Result<()> {
    let after = reads.plan(client, desired, now).await?;
    Ok(reconcile::converged(&after.plan)?)
}

/// Runs the steps with a progress bar on a terminal's standard error; `print_steps` also
/// prints each finished step on standard output. With `stop_on_signal` (the sentence saying
/// how to finish), Ctrl-C and SIGTERM stop the apply between two steps; the error then says
/// what ran.
pub async fn run_steps(
    client: &HttpClient,
    planned: &Planned,
    print_steps: bool,
    stop_on_signal: Option<&'static str>,
    printer: &Printer,
) -> anyhow::Result<ApplyReport> {
    let ctx = RenderContext {
        snapshot: &planned.live,
    };
    // The executor names a generated key by its kid once it is known, so these lines do too.
    // They reach the terminal (progress bar, step lines, interrupt messages): escaped once here.
    let sentence = |step: &Step| terminal(&StepView::of(step, &ctx).sentence()).into_owned();
    let bar = progress_bar(planned.plan.steps.len());
    let interrupts = stop_on_signal
        .map(|rerun| Interrupts::listen(bar.clone(), rerun, *printer))
        .transpose()
        .context("cannot listen for Ctrl-C and SIGTERM; nothing was changed")?;
    let mut progress = |event: ProgressEvent<'_>| match event {
        ProgressEvent::Started { index, total, step } => {
            let sentence = sentence(step);
            if let Some(interrupts) = &interrupts {
                interrupts.step_started(index, total, &sentence);
            }
            // The bar's position counts finished steps; the message names the one in flight
            // by its own number, as the interrupt message does.
            bar.set_message(format!("step {index}/{total}: {sentence}"));
        }
        ProgressEvent::Finished {
            index,
            total,
            step,
            outcome,
            generated,
        } => {
            bar.inc(1);
            if print_steps {
                let result = match (outcome, step) {
                    // Like Terraform's `[id=…]`: the computed value, once known.
                    (StepOutcome::Done, Step::Generate { group, .. }) => {
                        generated.get(group).map_or_else(
                            || "done".to_owned(),
                            |kid| format!("done, key {}", terminal(&kid.0)),
                        )
                    }
                    (StepOutcome::Done, _) => "done".to_owned(),
                    (StepOutcome::AlreadyDone, _) => "already done".to_owned(),
                    (StepOutcome::Adopted(kid), _) => {
                        format!("adopted {} after an ambiguous failure", terminal(&kid.0))
                    }
                };
                let line = format!("[{index}/{total}] {}: {result}", sentence(step));
                // A progress line nobody can read is no reason to stop between two steps.
                let _ = bar.suspend(|| printer.result_line(format_args!("{line}")));
            }
            if let Some(interrupts) = &interrupts {
                interrupts.step_finished();
            }
        }
    };
    let stop = || interrupts.as_ref().is_some_and(Interrupts::requested);
    let result = reconcile::execute(client, &planned.plan, &mut progress, &stop).await;
    if let Some(interrupts) = &interrupts {
        interrupts.steps_ended();
    }
    bar.finish_and_clear();
    let executed = result.context(
        "apply stopped; what ran before the failing step took effect, and running apply again resumes",
    )?;
    match executed {
        Executed::Finished(report) => Ok(report),
        Executed::Stopped {
            report,
            done,
            total,
        } => Err(interrupted(
            &report,
            done,
            total,
            stop_on_signal.unwrap_or(RERUN_DIR),
        )),
    }
}

/// The error of an apply stopped between two steps: what ran, and how to finish.
fn interrupted(report: &ApplyReport, done: usize, total: usize, rerun: &str) -> anyhow::Error {
    if done == 0 {
        return anyhow::anyhow!(
            "apply interrupted before its first step; nothing was changed in Okta"
        );
    }
    let keys: String = report
        .generated
        .iter()
        .map(|(group, kid)| format!("; group `{group}`'s new key is {kid}"))
        .collect();
    anyhow::anyhow!(
        "apply interrupted after step {done} of {total}; what ran took effect: {report}{keys}. Okta is part-way through the plan. {rerun}"
    )
}

/// A progress bar on standard error when it is a terminal: finished steps of `total`, the
/// time left at the pace so far, and the step in flight. Hidden otherwise, so that logs and
/// CI output stay clean.
fn progress_bar(total: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{bar:20}] {pos}/{len} done, ETA {eta} | {wide_msg}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// One line per verified group, for text output.
pub fn describe(verified: &[Verified]) -> String {
    let mut out = String::new();
    for group in verified {
        let mut line = format!(
            "Verified group {}: {} sign with {}",
            group.group,
            group.apps.join(", "),
            group.kid
        );
        if group.saml_apps > 0 {
            let _ = write!(
                line,
                "; the SAML metadata of the {} switched app(s) publishes its certificate",
                group.saml_apps
            );
        }
        if let Some(fingerprint) = &group.fingerprint {
            let _ = write!(line, " (SHA-256 {fingerprint})");
        }
        // Labels and kids come from Okta.
        out.push_str(&terminal(&line));
        out.push_str(".\n");
    }
    out
}
