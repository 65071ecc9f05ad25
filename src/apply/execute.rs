//! Running a plan's steps in order, one attempt each.
//!
//! The executor stops at the first failure: every later step depends on the ones before it
//! (a clone on the generate, a switch on the clone), and a switch run after a failed one would
//! leave a group signing with two keys for longer. Retrying is the caller's loop: fetch, plan
//! again, apply again (STYLE practice 2). Never repeats a generate.

use std::collections::BTreeMap;
use std::fmt;

use crate::okta::{Kid, OktaApi};
use crate::plan::{KeyRef, Plan, Step};

use super::error::{ApplyError, StepAt, StepFailure};
use super::steps::{self, StepOutcome};

/// What the executor tells its caller while it runs, for progress displays.
#[derive(Debug, Clone, Copy)]
pub enum ProgressEvent<'a> {
    /// A step is about to run.
    Started {
        index: usize,
        total: usize,
        step: &'a Step,
    },
    /// A step ended without failing.
    Finished {
        index: usize,
        total: usize,
        step: &'a Step,
        outcome: &'a StepOutcome,
    },
}

/// What an apply changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Keys generated, adopted ones included.
    pub keys_generated: usize,
    /// Clones made; duplicates Okta refused are not counted.
    pub keys_cloned: usize,
    /// Apps whose signing key the apply changed.
    pub apps_switched: usize,
    /// The key generated (or adopted) for each group, by group name.
    pub generated: BTreeMap<String, Kid>,
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        write!(
            f,
            "{} generated, {} cloned, {} switched",
            plural(self.keys_generated, "key", "keys"),
            self.keys_cloned,
            plural(self.apps_switched, "app", "apps")
        )
    }
}

/// Runs `plan`'s steps in order, telling `progress` about each. Stops at the first failure;
/// the error names the step, and everything before it took effect.
///
/// `progress` is `Send` so that the whole apply can run as a spawned task (`watch`), and a
/// killed task is only a stop between two calls, which the next plan resumes from.
pub async fn execute(
    api: &impl OktaApi,
    plan: &Plan,
    progress: &mut (dyn FnMut(ProgressEvent<'_>) + Send),
) -> Result<ApplyReport, ApplyError> {
    let total = plan.steps.len();
    let mut report = ApplyReport::default();
    for (i, step) in plan.steps.iter().enumerate() {
        let index = i + 1;
        progress(ProgressEvent::Started { index, total, step });
        let outcome = run(api, step, &mut report)
            .await
            .map_err(|failure| ApplyError {
                at: StepAt {
                    index,
                    total,
                    group: step.group().to_owned(),
                    action: action(step),
                },
                failure,
            })?;
        progress(ProgressEvent::Finished {
            index,
            total,
            step,
            outcome: &outcome,
        });
    }
    Ok(report)
}

/// Runs one step and counts what it changed.
async fn run(
    api: &impl OktaApi,
    step: &Step,
    report: &mut ApplyReport,
) -> Result<StepOutcome, StepFailure> {
    match step {
        Step::Generate {
            group,
            app,
            validity_years,
            known_kids,
        } => {
            let (kid, outcome) = steps::generate(api, app, *validity_years, known_kids).await?;
            report.keys_generated += 1;
            report.generated.insert(group.clone(), kid);
            Ok(outcome)
        }
        Step::Clone { key, from, to, .. } => {
            let kid = resolve(key, report)?;
            let outcome = steps::clone(api, from, &kid, to).await?;
            if outcome == StepOutcome::Done {
                report.keys_cloned += 1;
            }
            Ok(outcome)
        }
        Step::Switch {
            app, to, expect, ..
        } => {
            let kid = resolve(to, report)?;
            let outcome = steps::switch(api, app, &kid, expect).await?;
            if outcome == StepOutcome::Done {
                report.apps_switched += 1;
            }
            Ok(outcome)
        }
    }
}

/// The kid a step works with; a generated key is known once its generate step ran.
#[allow(
    clippy::result_large_err,
    reason = "a StepFailure ends the apply; it is built once, never on a hot path"
)]
fn resolve(key: &KeyRef, report: &ApplyReport) -> Result<Kid, StepFailure> {
    match key {
        KeyRef::Existing(kid) => Ok(kid.clone()),
        KeyRef::Generated { group } => {
            report
                .generated
                .get(group)
                .cloned()
                .ok_or_else(|| StepFailure::KeyNotGenerated {
                    group: group.clone(),
                })
        }
    }
}

/// A step in words, for error messages.
fn action(step: &Step) -> String {
    let key = |key: &KeyRef| match key {
        KeyRef::Existing(kid) => format!("key {kid}"),
        KeyRef::Generated { .. } => "the new key".to_owned(),
    };
    match step {
        Step::Generate {
            app,
            validity_years,
            ..
        } => format!("generate a {validity_years}-year key on {app}"),
        Step::Clone {
            key: k, from, to, ..
        } => format!("clone {} from {from} to {to}", key(k)),
        Step::Switch { app, to, .. } => format!("switch {app} to {}", key(to)),
    }
}
