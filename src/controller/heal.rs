//! Self-healing: carrying out a plan through the reconcile layer's execute stage (the
//! executor), stopping between steps when a shutdown is requested, and logging each finished
//! step. The check after it is the reconcile's (see `reconcile`).
//!
//! A shutdown request is honoured only before a step begins (see
//! [`execute_until`](crate::apply::execute_until)): what ran took effect; the next run plans
//! again from the live state and resumes (docs/design.md "Applying safely"). Never takes or
//! checks the apply lock: the reconcile holds it around the heal.

use tokio::sync::watch;

use crate::apply::{ApplyError, Executed, ProgressEvent, StepOutcome};
use crate::okta::OktaApi;
use crate::plan::{LiveSnapshot, Plan, Step};
use crate::reconcile;
use crate::render::{RenderContext, StepView};

/// Runs `plan`'s steps in order until they are done or `stop` turns true, logging each step
/// with its sentence, apps named from `live` and a generated key by its kid once known.
pub async fn heal(
    api: &impl OktaApi,
    plan: &Plan,
    live: &LiveSnapshot,
    stop: &watch::Receiver<bool>,
) -> Result<Executed, ApplyError> {
    let ctx = RenderContext { snapshot: live };
    let mut log = |event: ProgressEvent<'_>| {
        let ProgressEvent::Finished {
            index,
            total,
            step,
            outcome,
            generated,
        } = event
        else {
            return;
        };
        let outcome = match outcome {
            StepOutcome::Done => "done".to_owned(),
            StepOutcome::AlreadyDone => "already done".to_owned(),
            StepOutcome::Adopted(kid) => format!("adopted {kid}"),
        };
        let generated = match step {
            Step::Generate { group, .. } => generated.get(group).map(ToString::to_string),
            Step::Clone { .. } | Step::Switch { .. } => None,
        };
        let sentence = StepView::of(step, &ctx).sentence();
        tracing::info!(step = index, total, outcome, generated, "{sentence}");
    };
    reconcile::execute(api, plan, &mut log, &|| *stop.borrow()).await
}
