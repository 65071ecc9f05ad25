//! The serde form of a [`Plan`] inside a plan file, mapped to and from the planner's types.
//!
//! The planner's types carry no serde derives on purpose: their shape may change freely,
//! while this shape is a file format (versioned by [`super::FORMAT_VERSION`]). Only ids, kids,
//! timestamps, digests and names appear here; never an app's settings or a secret.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::okta::{AppId, Kid};
use crate::plan::{
    AppPrecondition, GroupPlan, KeyChoice, KeyRef, Phase, Plan, RotationReason, Step, Warning,
};

/// A whole plan: steps with their preconditions, groups and warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanView {
    pub steps: Vec<StepView>,
    pub groups: Vec<GroupView>,
    pub warnings: Vec<WarningView>,
}

/// One step, tagged by `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepView {
    Generate {
        group: String,
        app: AppId,
        validity_years: u8,
        known_kids: Vec<Kid>,
    },
    Clone {
        group: String,
        key: KeyView,
        from: AppId,
        to: AppId,
    },
    Switch {
        group: String,
        app: AppId,
        from: Option<Kid>,
        to: KeyView,
        expect: PreconditionView,
    },
}

/// An existing kid, or the key the group's generate step makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyView {
    Existing(Kid),
    GeneratedFor(String),
}

/// What a switch checks before it writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreconditionView {
    pub last_updated: Option<String>,
    pub signing_kid: Option<Kid>,
    pub digest: String,
}

/// How a group was resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupView {
    pub name: String,
    pub source: AppId,
    pub members: Vec<AppId>,
    pub key: KeyView,
    pub key_expires_at: Option<Timestamp>,
    pub choice: ChoiceView,
    /// Absent for a group that does not stage, and in files written before staging existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<PhaseView>,
}

/// Where a staging group stands in its rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case", deny_unknown_fields)]
pub enum PhaseView {
    InSync,
    StagingDue {
        key: KeyView,
        switch_at: Timestamp,
    },
    Staged {
        kid: Kid,
        staged_at: Timestamp,
        switch_at: Timestamp,
    },
    SwitchDue {
        kid: Kid,
        staged_at: Timestamp,
        switch_at: Timestamp,
    },
    Overdue {
        key: KeyView,
    },
}

impl From<Phase> for PhaseView {
    fn from(phase: Phase) -> Self {
        match phase {
            Phase::InSync => Self::InSync,
            Phase::StagingDue { key, switch_at } => Self::StagingDue {
                key: key.into(),
                switch_at,
            },
            Phase::Staged {
                kid,
                staged_at,
                switch_at,
            } => Self::Staged {
                kid,
                staged_at,
                switch_at,
            },
            Phase::SwitchDue {
                kid,
                staged_at,
                switch_at,
            } => Self::SwitchDue {
                kid,
                staged_at,
                switch_at,
            },
            Phase::Overdue { key } => Self::Overdue { key: key.into() },
        }
    }
}

impl From<PhaseView> for Phase {
    fn from(view: PhaseView) -> Self {
        match view {
            PhaseView::InSync => Self::InSync,
            PhaseView::StagingDue { key, switch_at } => Self::StagingDue {
                key: key.into(),
                switch_at,
            },
            PhaseView::Staged {
                kid,
                staged_at,
                switch_at,
            } => Self::Staged {
                kid,
                staged_at,
                switch_at,
            },
            PhaseView::SwitchDue {
                kid,
                staged_at,
                switch_at,
            } => Self::SwitchDue {
                kid,
                staged_at,
                switch_at,
            },
            PhaseView::Overdue { key } => Self::Overdue { key: key.into() },
        }
    }
}

/// Why the group key is the one it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "choice", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChoiceView {
    Pinned,
    Active,
    Resumed {
        because: ReasonView,
    },
    Generated {
        because: ReasonView,
    },
    Staged {
        because: ReasonView,
        staged_at: Timestamp,
    },
}

/// Why the source's active key is replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReasonView {
    NoActiveKey,
    ActiveKeyUnknown {
        kid: Kid,
    },
    ExpiresWithin {
        kid: Kid,
        expires_at: Timestamp,
        window: SignedDuration,
    },
    CreatedBefore {
        kid: Kid,
        created: Timestamp,
        rotate_after: Timestamp,
    },
}

/// A warning, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum WarningView {
    AppNotActive {
        group: String,
        app: AppId,
        status: String,
    },
    KeyExpiringSoon {
        group: String,
        kid: Kid,
        expires_at: Timestamp,
    },
    ImmediateSwitch {
        group: String,
    },
    UnusedKeys {
        group: String,
        app: AppId,
        kids: Vec<Kid>,
    },
}

impl From<&Plan> for PlanView {
    fn from(plan: &Plan) -> Self {
        Self {
            steps: plan.steps.iter().map(StepView::from).collect(),
            groups: plan.groups.iter().map(GroupView::from).collect(),
            warnings: plan.warnings.iter().map(WarningView::from).collect(),
        }
    }
}

impl From<PlanView> for Plan {
    fn from(view: PlanView) -> Self {
        Self {
            steps: view.steps.into_iter().map(Step::from).collect(),
            groups: view.groups.into_iter().map(GroupPlan::from).collect(),
            warnings: view.warnings.into_iter().map(Warning::from).collect(),
        }
    }
}

impl From<&Step> for StepView {
    fn from(step: &Step) -> Self {
        match step.clone() {
            Step::Generate {
                group,
                app,
                validity_years,
                known_kids,
            } => Self::Generate {
                group,
                app,
                validity_years,
                known_kids,
            },
            Step::Clone {
                group,
                key,
                from,
                to,
            } => Self::Clone {
                group,
                key: key.into(),
                from,
                to,
            },
            Step::Switch {
                group,
                app,
                from,
                to,
                expect,
            } => Self::Switch {
                group,
                app,
                from,
                to: to.into(),
                expect: PreconditionView {
                    last_updated: expect.last_updated,
                    signing_kid: expect.signing_kid,
                    digest: expect.digest,
                },
            },
        }
    }
}

impl From<StepView> for Step {
    fn from(view: StepView) -> Self {
        match view {
            StepView::Generate {
                group,
                app,
                validity_years,
                known_kids,
            } => Self::Generate {
                group,
                app,
                validity_years,
                known_kids,
            },
            StepView::Clone {
                group,
                key,
                from,
                to,
            } => Self::Clone {
                group,
                key: key.into(),
                from,
                to,
            },
            StepView::Switch {
                group,
                app,
                from,
                to,
                expect,
            } => Self::Switch {
                group,
                app,
                from,
                to: to.into(),
                expect: AppPrecondition {
                    last_updated: expect.last_updated,
                    signing_kid: expect.signing_kid,
                    digest: expect.digest,
                },
            },
        }
    }
}

impl From<KeyRef> for KeyView {
    fn from(key: KeyRef) -> Self {
        match key {
            KeyRef::Existing(kid) => Self::Existing(kid),
            KeyRef::Generated { group } => Self::GeneratedFor(group),
        }
    }
}

impl From<KeyView> for KeyRef {
    fn from(view: KeyView) -> Self {
        match view {
            KeyView::Existing(kid) => Self::Existing(kid),
            KeyView::GeneratedFor(group) => Self::Generated { group },
        }
    }
}

impl From<&GroupPlan> for GroupView {
    fn from(group: &GroupPlan) -> Self {
        let group = group.clone();
        Self {
            name: group.name,
            source: group.source,
            members: group.members,
            key: group.key.into(),
            key_expires_at: group.key_expires_at,
            choice: match group.choice {
                KeyChoice::Pinned => ChoiceView::Pinned,
                KeyChoice::Active => ChoiceView::Active,
                KeyChoice::Resumed { because } => ChoiceView::Resumed {
                    because: because.into(),
                },
                KeyChoice::Generated { because } => ChoiceView::Generated {
                    because: because.into(),
                },
                KeyChoice::Staged { because, staged_at } => ChoiceView::Staged {
                    because: because.into(),
                    staged_at,
                },
            },
            phase: group.phase.map(PhaseView::from),
        }
    }
}

impl From<GroupView> for GroupPlan {
    fn from(view: GroupView) -> Self {
        Self {
            name: view.name,
            source: view.source,
            members: view.members,
            key: view.key.into(),
            key_expires_at: view.key_expires_at,
            choice: match view.choice {
                ChoiceView::Pinned => KeyChoice::Pinned,
                ChoiceView::Active => KeyChoice::Active,
                ChoiceView::Resumed { because } => KeyChoice::Resumed {
                    because: because.into(),
                },
                ChoiceView::Generated { because } => KeyChoice::Generated {
                    because: because.into(),
                },
                ChoiceView::Staged { because, staged_at } => KeyChoice::Staged {
                    because: because.into(),
                    staged_at,
                },
            },
            phase: view.phase.map(Phase::from),
        }
    }
}

impl From<RotationReason> for ReasonView {
    fn from(reason: RotationReason) -> Self {
        match reason {
            RotationReason::NoActiveKey => Self::NoActiveKey,
            RotationReason::ActiveKeyUnknown { kid } => Self::ActiveKeyUnknown { kid },
            RotationReason::ExpiresWithin {
                kid,
                expires_at,
                window,
            } => Self::ExpiresWithin {
                kid,
                expires_at,
                window,
            },
            RotationReason::CreatedBefore {
                kid,
                created,
                rotate_after,
            } => Self::CreatedBefore {
                kid,
                created,
                rotate_after,
            },
        }
    }
}

impl From<ReasonView> for RotationReason {
    fn from(view: ReasonView) -> Self {
        match view {
            ReasonView::NoActiveKey => Self::NoActiveKey,
            ReasonView::ActiveKeyUnknown { kid } => Self::ActiveKeyUnknown { kid },
            ReasonView::ExpiresWithin {
                kid,
                expires_at,
                window,
            } => Self::ExpiresWithin {
                kid,
                expires_at,
                window,
            },
            ReasonView::CreatedBefore {
                kid,
                created,
                rotate_after,
            } => Self::CreatedBefore {
                kid,
                created,
                rotate_after,
            },
        }
    }
}

impl From<&Warning> for WarningView {
    fn from(warning: &Warning) -> Self {
        match warning.clone() {
            Warning::AppNotActive { group, app, status } => {
                Self::AppNotActive { group, app, status }
            }
            Warning::KeyExpiringSoon {
                group,
                kid,
                expires_at,
            } => Self::KeyExpiringSoon {
                group,
                kid,
                expires_at,
            },
            Warning::ImmediateSwitch { group } => Self::ImmediateSwitch { group },
            Warning::UnusedKeys { group, app, kids } => Self::UnusedKeys { group, app, kids },
        }
    }
}

impl From<WarningView> for Warning {
    fn from(view: WarningView) -> Self {
        match view {
            WarningView::AppNotActive { group, app, status } => {
                Self::AppNotActive { group, app, status }
            }
            WarningView::KeyExpiringSoon {
                group,
                kid,
                expires_at,
            } => Self::KeyExpiringSoon {
                group,
                kid,
                expires_at,
            },
            WarningView::ImmediateSwitch { group } => Self::ImmediateSwitch { group },
            WarningView::UnusedKeys { group, app, kids } => Self::UnusedKeys { group, app, kids },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// A plan with every step, key, choice, reason and warning variant.
    fn every_variant() -> Plan {
        let kid = |s: &str| Kid::from(s);
        let app = |s: &str| AppId::from(s);
        let group = |name: &str, choice| GroupPlan {
            name: name.into(),
            source: app("0oa1"),
            members: vec![app("0oa2")],
            key: KeyRef::Existing(kid("k1")),
            key_expires_at: Some(ts("2027-01-01T00:00:00Z")),
            choice,
            phase: None,
        };
        Plan {
            steps: vec![
                Step::Generate {
                    group: "g".into(),
                    app: app("0oa1"),
                    validity_years: 2,
                    known_kids: vec![kid("k0")],
                },
                Step::Clone {
                    group: "g".into(),
                    key: KeyRef::Generated { group: "g".into() },
                    from: app("0oa1"),
                    to: app("0oa2"),
                },
                Step::Switch {
                    group: "g".into(),
                    app: app("0oa2"),
                    from: None,
                    to: KeyRef::Existing(kid("k1")),
                    expect: AppPrecondition {
                        last_updated: Some("2026-01-01T00:00:00.000Z".into()),
                        signing_kid: None,
                        digest: "abc".into(),
                    },
                },
            ],
            groups: vec![
                group("pinned", KeyChoice::Pinned),
                group("active", KeyChoice::Active),
                group(
                    "none",
                    KeyChoice::Generated {
                        because: RotationReason::NoActiveKey,
                    },
                ),
                group(
                    "unknown",
                    KeyChoice::Generated {
                        because: RotationReason::ActiveKeyUnknown { kid: kid("kx") },
                    },
                ),
                group(
                    "expiring",
                    KeyChoice::Resumed {
                        because: RotationReason::ExpiresWithin {
                            kid: kid("k0"),
                            expires_at: ts("2026-12-01T00:00:00Z"),
                            window: SignedDuration::from_hours(720),
                        },
                    },
                ),
                group(
                    "old",
                    KeyChoice::Generated {
                        because: RotationReason::CreatedBefore {
                            kid: kid("k0"),
                            created: ts("2024-01-01T00:00:00Z"),
                            rotate_after: ts("2026-11-01T00:00:00Z"),
                        },
                    },
                ),
            ],
            warnings: vec![
                Warning::AppNotActive {
                    group: "g".into(),
                    app: app("0oa2"),
                    status: "INACTIVE".into(),
                },
                Warning::KeyExpiringSoon {
                    group: "g".into(),
                    kid: kid("k1"),
                    expires_at: ts("2027-01-01T00:00:00Z"),
                },
                Warning::UnusedKeys {
                    group: "g".into(),
                    app: app("0oa2"),
                    kids: vec![kid("k7"), kid("k8")],
                },
            ],
        }
    }

    #[test]
    fn every_variant_survives_the_round_trip_through_json() {
        let plan = every_variant();
        let json = serde_json::to_string(&PlanView::from(&plan)).unwrap();
        let back: PlanView = serde_json::from_str(&json).unwrap();
        assert_eq!(Plan::from(back), plan);
    }
}
