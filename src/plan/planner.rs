//! The planner. (To be written.)

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::{LiveSnapshot, Plan, PlanError};
use crate::config::DesiredState;
use crate::okta::AppId;

/// Key lists the planner needs before it can plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyNeeds {
    pub key_lists: BTreeSet<AppId>,
}

/// What key lists are missing from `live` to plan `desired` at `now`.
pub fn key_needs(_desired: &DesiredState, _live: &LiveSnapshot, _now: Timestamp) -> KeyNeeds {
    KeyNeeds::default()
}

/// Derives the plan.
pub fn plan(
    _desired: &DesiredState,
    _live: &LiveSnapshot,
    _now: Timestamp,
) -> Result<Plan, Vec<PlanError>> {
    Ok(Plan::default())
}
