//! Drift: what a plan says is out of sync, per group, for `keyshare drift` and its reports.
//!
//! Derived from a [`Plan`] rather than computed anew, so that drift and plan can never
//! disagree about whether the org matches the desired state.

use std::collections::HashMap;

use super::{GroupPlan, KeyChoice, Plan, RotationReason, Step};
use crate::okta::{AppId, Kid};

/// What is out of sync in one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDrift {
    pub group: String,
    /// Why the group key must change, when the policy replaces the source's active key.
    pub rotation: Option<RotationReason>,
    /// Apps that lack the group key.
    pub missing_key: Vec<AppId>,
    /// Apps that do not sign with the group key, with the key they sign with now.
    pub signing_otherwise: Vec<(AppId, Option<Kid>)>,
}

impl GroupDrift {
    fn of(group: &GroupPlan, steps: &[&Step]) -> Self {
        let rotation = match &group.choice {
            KeyChoice::Pinned | KeyChoice::Active => None,
            KeyChoice::Resumed { because }
            | KeyChoice::Generated { because }
            | KeyChoice::Staged { because, .. } => Some(because.clone()),
        };
        let mut drift = Self {
            group: group.name.clone(),
            rotation,
            missing_key: Vec::new(),
            signing_otherwise: Vec::new(),
        };
        for step in steps {
            match step {
                Step::Generate { .. } => {}
                Step::Clone { to, .. } => drift.missing_key.push(to.clone()),
                Step::Switch { app, from, .. } => {
                    drift.signing_otherwise.push((app.clone(), from.clone()));
                }
            }
        }
        drift
    }

    /// True when the group matches its desired state.
    pub fn is_in_sync(&self) -> bool {
        let Self {
            group: _,
            rotation,
            missing_key,
            signing_otherwise,
        } = self;
        rotation.is_none() && missing_key.is_empty() && signing_otherwise.is_empty()
    }
}

impl Plan {
    /// Every group that is out of sync, in plan order.
    pub fn drift(&self) -> Vec<GroupDrift> {
        let mut steps: HashMap<&str, Vec<&Step>> = HashMap::new();
        for step in &self.steps {
            steps.entry(step.group()).or_default().push(step);
        }
        self.groups
            .iter()
            .map(|group| {
                GroupDrift::of(
                    group,
                    steps.get(group.name.as_str()).map_or(&[], Vec::as_slice),
                )
            })
            .filter(|drift| !drift.is_in_sync())
            .collect()
    }
}
