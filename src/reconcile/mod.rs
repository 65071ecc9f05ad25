//! The reconcile flow that `apply`, `demo` and `watch` share, as four stages
//! (docs/design.md "Architecture"):
//!
//! - [`observe`]: read the org, through the key-metadata cache, with as few calls as the cost
//!   model allows; the one room through which keyshare reads Okta.
//! - [`plan()`]: the pure planner, given the desired state, the live snapshot and the instant
//!   to judge keys at (an argument, never the clock).
//! - [`execute()`]: a plan's steps through the executor ([`crate::apply`]), reporting progress
//!   and stopping between steps when asked.
//! - [`verify`]: the check after executing: every app of a changed group re-read, and the SAML
//!   metadata of every switched app publishing the group key's certificate.
//!
//! This layer composes; it never re-implements a stage's rules: what to change is the
//! planner's, how to change it safely the executor's. It never prints or draws anything (the
//! command line renders; the controller logs), never reads the clock, and never writes to Okta
//! except through [`execute()`].

pub mod observe;
pub mod verify;

use crate::apply::{ApplyError, Executed, ProgressEvent, execute_until};
use crate::config::DesiredState;
use crate::okta::OktaApi;
use crate::plan::{self as planner, LiveSnapshot, Plan, PlanError};

pub use observe::{ObserveError, Quiet, ReadHook, Reads};
pub use verify::{Check, NotConverged, Verified, VerifyError, converged};

/// A plan and the snapshot it was derived from.
#[derive(Debug, Clone)]
pub struct Planned {
    pub live: LiveSnapshot,
    pub plan: Plan,
}

/// Plans `desired` against `live` at `now`; every planning error at once.
pub fn plan(
    desired: &DesiredState,
    live: LiveSnapshot,
    now: jiff::Timestamp,
) -> Result<Planned, Vec<PlanError>> {
    let plan = planner::plan(desired, &live, now)?;
    Ok(Planned { live, plan })
}

/// Runs `plan`'s steps in order through the executor, telling `progress` as each starts and
/// ends, until they are done or `stop` says to stop (asked only before a step begins: a step
/// once begun is never interrupted).
pub async fn execute(
    api: &impl OktaApi,
    plan: &Plan,
    progress: &mut (dyn FnMut(ProgressEvent<'_>) + Send),
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Executed, ApplyError> {
    execute_until(api, plan, progress, stop).await
}
