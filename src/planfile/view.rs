//! The serde form of a [`Plan`] inside a plan file, mapped to and from the planner's types.
//!
//! The planner's types carry no serde derives on purpose: their shape may change freely,
//! while this shape is a file format (versioned by [`super::FORMAT_VERSION`]). Its types are
//! named `…Wire` so that they are never taken for the renderers' views (`render::StepView` and
//! its kin), which show a plan and may change with the output. Only ids, kids, timestamps,
//! digests and names appear here; never an app's settings or a secret. A rename of a type here
//! changes nothing on disk; a rename of a field or tag does, and needs a new format version.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::okta::{AppId, Kid};
use crate::plan::{
    AppPrecondition, GroupPlan, KeyChoice, KeyRef, Phase, Plan, RotationReason, Step, Warning,
};

/// A whole plan: steps with their preconditions, groups and warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanWire {
    pub steps: Vec<StepWire>,
    pub groups: Vec<GroupWire>,
    pub warnings: Vec<WarningWire>,
}

/// One step, tagged by `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepWire {
    Generate {
        group: String,
        app: AppId,
        validity_years: u8,
        known_kids: Vec<Kid>,
    },
    Clone {
        group: String,
        key: KeyWire,
        from: AppId,
        to: AppId,
    },
    Switch {
        group: String,
        app: AppId,
        from: Option<Kid>,
        to: KeyWire,
        expect: PreconditionWire,
    },
}

/// An existing kid, or the key the group's generate step makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyWire {
    Existing(Kid),
    GeneratedFor(String),
}

/// What a switch checks before it writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreconditionWire {
    pub last_updated: Option<String>,
    pub signing_kid: Option<Kid>,
    pub digest: String,
}

/// How a group was resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupWire {
    pub name: String,
    pub source: AppId,
    pub members: Vec<AppId>,
    pub key: KeyWire,
    pub key_expires_at: Option<Timestamp>,
    pub choice: ChoiceWire,
    /// Absent for a group that does not stage, and in files written before staging existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<PhaseWire>,
}

/// Where a staging group stands in its rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case", deny_unknown_fields)]
pub enum PhaseWire {
    InSync,
    StagingDue {
        key: KeyWire,
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
        key: KeyWire,
    },
}

/// Why the group key is the one it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "choice", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChoiceWire {
    Pinned,
    Active,
    Resumed {
        because: ReasonWire,
    },
    Generated {
        because: ReasonWire,
    },
    Staged {
        because: ReasonWire,
        staged_at: Timestamp,
    },
}

/// Why the source's active key is replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReasonWire {
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
pub enum WarningWire {
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

/// `From` both ways between a planner enum and its wire twin, whose variants have the same names
/// and fields; each field converts with `.into()` (the identity where the types agree). Both
/// matches are exhaustive, so a variant added on one side only does not compile.
macro_rules! both_ways {
    ($plan:ident <=> $wire:ident { $($variant:ident $({ $($field:ident),+ $(,)? })?),+ $(,)? }) => {
        impl From<$plan> for $wire {
            #[allow(clippy::useless_conversion, reason = "one rule for every field of the table")]
            fn from(value: $plan) -> Self {
                match value {
                    $($plan::$variant $({ $($field),+ })? => Self::$variant $({ $($field: $field.into()),+ })?,)+
                }
            }
        }

        impl From<$wire> for $plan {
            #[allow(clippy::useless_conversion, reason = "one rule for every field of the table")]
            fn from(value: $wire) -> Self {
                match value {
                    $($wire::$variant $({ $($field),+ })? => Self::$variant $({ $($field: $field.into()),+ })?,)+
                }
            }
        }
    };
}

both_ways!(Step <=> StepWire {
    Generate { group, app, validity_years, known_kids },
    Clone { group, key, from, to },
    Switch { group, app, from, to, expect },
});

both_ways!(Phase <=> PhaseWire {
    InSync,
    StagingDue { key, switch_at },
    Staged { kid, staged_at, switch_at },
    SwitchDue { kid, staged_at, switch_at },
    Overdue { key },
});

both_ways!(KeyChoice <=> ChoiceWire {
    Pinned,
    Active,
    Resumed { because },
    Generated { because },
    Staged { because, staged_at },
});

both_ways!(RotationReason <=> ReasonWire {
    NoActiveKey,
    ActiveKeyUnknown { kid },
    ExpiresWithin { kid, expires_at, window },
    CreatedBefore { kid, created, rotate_after },
});

both_ways!(Warning <=> WarningWire {
    AppNotActive { group, app, status },
    KeyExpiringSoon { group, kid, expires_at },
    ImmediateSwitch { group },
    UnusedKeys { group, app, kids },
});

impl From<&Plan> for PlanWire {
    fn from(plan: &Plan) -> Self {
        let plan = plan.clone();
        Self {
            steps: plan.steps.into_iter().map(StepWire::from).collect(),
            groups: plan.groups.into_iter().map(GroupWire::from).collect(),
            warnings: plan.warnings.into_iter().map(WarningWire::from).collect(),
        }
    }
}

impl From<PlanWire> for Plan {
    fn from(wire: PlanWire) -> Self {
        Self {
            steps: wire.steps.into_iter().map(Step::from).collect(),
            groups: wire.groups.into_iter().map(GroupPlan::from).collect(),
            warnings: wire.warnings.into_iter().map(Warning::from).collect(),
        }
    }
}

impl From<AppPrecondition> for PreconditionWire {
    fn from(expect: AppPrecondition) -> Self {
        Self {
            last_updated: expect.last_updated,
            signing_kid: expect.signing_kid,
            digest: expect.digest,
        }
    }
}

impl From<PreconditionWire> for AppPrecondition {
    fn from(wire: PreconditionWire) -> Self {
        Self {
            last_updated: wire.last_updated,
            signing_kid: wire.signing_kid,
            digest: wire.digest,
        }
    }
}

impl From<KeyRef> for KeyWire {
    fn from(key: KeyRef) -> Self {
        match key {
            KeyRef::Existing(kid) => Self::Existing(kid),
            KeyRef::Generated { group } => Self::GeneratedFor(group),
        }
    }
}

impl From<KeyWire> for KeyRef {
    fn from(wire: KeyWire) -> Self {
        match wire {
            KeyWire::Existing(kid) => Self::Existing(kid),
            KeyWire::GeneratedFor(group) => Self::Generated { group },
        }
    }
}

impl From<GroupPlan> for GroupWire {
    fn from(group: GroupPlan) -> Self {
        Self {
            name: group.name,
            source: group.source,
            members: group.members,
            key: group.key.into(),
            key_expires_at: group.key_expires_at,
            choice: group.choice.into(),
            phase: group.phase.map(PhaseWire::from),
        }
    }
}

impl From<GroupWire> for GroupPlan {
    fn from(wire: GroupWire) -> Self {
        Self {
            name: wire.name,
            source: wire.source,
            members: wire.members,
            key: wire.key.into(),
            key_expires_at: wire.key_expires_at,
            choice: wire.choice.into(),
            phase: wire.phase.map(Phase::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// A plan with every step, key, choice, reason, phase and warning variant.
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
        let phased = |phase| GroupPlan {
            phase: Some(phase),
            ..group("staging", KeyChoice::Active)
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
                group(
                    "staged",
                    KeyChoice::Staged {
                        because: RotationReason::NoActiveKey,
                        staged_at: ts("2026-10-01T00:00:00Z"),
                    },
                ),
                phased(Phase::InSync),
                phased(Phase::StagingDue {
                    key: KeyRef::Generated { group: "g".into() },
                    switch_at: ts("2026-12-01T00:00:00Z"),
                }),
                phased(Phase::Staged {
                    kid: kid("k2"),
                    staged_at: ts("2026-10-01T00:00:00Z"),
                    switch_at: ts("2026-12-01T00:00:00Z"),
                }),
                phased(Phase::SwitchDue {
                    kid: kid("k2"),
                    staged_at: ts("2026-10-01T00:00:00Z"),
                    switch_at: ts("2026-11-01T00:00:00Z"),
                }),
                phased(Phase::Overdue {
                    key: KeyRef::Existing(kid("k3")),
                }),
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
                Warning::ImmediateSwitch { group: "g".into() },
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
        let json = serde_json::to_string(&PlanWire::from(&plan)).unwrap();
        let back: PlanWire = serde_json::from_str(&json).unwrap();
        assert_eq!(Plan::from(back), plan);
    }
}
