//! What the controller believes about each group after a reconcile: in sync or not, healthy or
//! not, and which key it signs with until when. Derived from a plan, never from I/O.
//!
//! Sync and health follow Argo CD's habit: sync says whether Okta matches the desired state,
//! health says whether what runs is fine (a key inside its rotation window is not).

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::config::DesiredState;
use crate::okta::Kid;
use crate::plan::{KeyRef, Phase, Plan, RotationReason, Warning};

/// How long before expiry a key counts as expiring when the group has no `rotateBefore`:
/// the planner's own warning window.
pub const DEFAULT_EXPIRY_WINDOW: SignedDuration = SignedDuration::from_hours(90 * 24);

/// Whether Okta matches the desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncStatus {
    Synced,
    OutOfSync,
    /// The last reconcile could not read the org.
    Unknown,
}

/// Whether the group's signing key is fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Health {
    Healthy,
    /// The key the group signs with expires within its rotation window (or has expired).
    Degraded,
    /// Never observed.
    Unknown,
}

/// A key and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyExpiry {
    pub kid: Kid,
    pub expires_at: Timestamp,
}

/// One group as last observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStatus {
    pub sync: SyncStatus,
    pub health: Health,
    /// The key the group signs with now, when known.
    pub key: Option<KeyExpiry>,
    /// The plan's steps for this group, in words, when out of sync.
    pub drift: Vec<String>,
    /// Suspended by its `keyshare.io/suspend` annotation: observed, never healed or notified.
    pub suspended: bool,
    /// Where a group with `stageBefore` stands in its staged rotation; none without it.
    pub phase: Option<Phase>,
}

/// Every group of the desired state, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    pub groups: BTreeMap<String, GroupStatus>,
}

impl Observation {
    /// The status of every group of `desired` as `plan` (made at `now`) shows it; `sentences`
    /// gives each step in words, in plan order.
    pub fn of(desired: &DesiredState, plan: &Plan, sentences: &[String], now: Timestamp) -> Self {
        let drift = plan.drift();
        let groups = desired
            .groups
            .iter()
            .map(|group| {
                let out_of_sync = drift.iter().find(|d| d.group == group.name);
                let key = current_key(
                    plan,
                    &group.name,
                    out_of_sync.and_then(|d| d.rotation.as_ref()),
                );
                let window = group.key.rotate_before.unwrap_or(DEFAULT_EXPIRY_WINDOW);
                let expiring = key.as_ref().is_some_and(|k| k.expires_at < now + window)
                    || expiring_by_warning(plan, &group.name);
                let status = GroupStatus {
                    sync: if out_of_sync.is_some() {
                        SyncStatus::OutOfSync
                    } else {
                        SyncStatus::Synced
                    },
                    health: if expiring {
                        Health::Degraded
                    } else {
                        Health::Healthy
                    },
                    key,
                    drift: plan
                        .steps
                        .iter()
                        .zip(sentences)
                        .filter(|(step, _)| step.group() == group.name)
                        .map(|(_, sentence)| sentence.clone())
                        .collect(),
                    suspended: group.suspended,
                    phase: plan
                        .groups
                        .iter()
                        .find(|g| g.name == group.name)
                        .and_then(|g| g.phase.clone()),
                };
                (group.name.clone(), status)
            })
            .collect();
        Self { groups }
    }

    /// After a reconcile that could not read the org: every group of `desired` is Unknown,
    /// keeping what was last known of its health, key and phase.
    pub fn unknown(desired: &DesiredState, last: &Self) -> Self {
        let groups = desired
            .groups
            .iter()
            .map(|group| {
                let known = last.groups.get(&group.name);
                let status = GroupStatus {
                    sync: SyncStatus::Unknown,
                    health: known.map_or(Health::Unknown, |s| s.health),
                    key: known.and_then(|s| s.key.clone()),
                    drift: Vec::new(),
                    suspended: group.suspended,
                    phase: known.and_then(|s| s.phase.clone()),
                };
                (group.name.clone(), status)
            })
            .collect();
        Self { groups }
    }

    /// The names of the suspended groups.
    pub fn suspended(&self) -> Vec<&str> {
        self.groups
            .iter()
            .filter(|(_, s)| s.suspended)
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// True when every group is Synced.
    pub fn all_synced(&self) -> bool {
        self.groups.values().all(|s| s.sync == SyncStatus::Synced)
    }
}

/// The key the group signs with: the expiring key a rotation replaces, else the group key
/// when it exists already (a key to be generated has no expiry yet).
fn current_key(plan: &Plan, group: &str, rotation: Option<&RotationReason>) -> Option<KeyExpiry> {
    if let Some(RotationReason::ExpiresWithin {
        kid, expires_at, ..
    }) = rotation
    {
        return Some(KeyExpiry {
            kid: kid.clone(),
            expires_at: *expires_at,
        });
    }
    let planned = plan.groups.iter().find(|g| g.name == group)?;
    match (&planned.key, planned.key_expires_at) {
        (KeyRef::Existing(kid), Some(expires_at)) => Some(KeyExpiry {
            kid: kid.clone(),
            expires_at,
        }),
        _ => None,
    }
}

/// The planner warns about a key expiring within 90 days that no policy will replace.
fn expiring_by_warning(plan: &Plan, group: &str) -> bool {
    plan.warnings
        .iter()
        .any(|w| matches!(w, Warning::KeyExpiringSoon { group: g, .. } if g == group))
}

impl SyncStatus {
    /// The label value, as Argo CD spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Synced => "Synced",
            Self::OutOfSync => "OutOfSync",
            Self::Unknown => "Unknown",
        }
    }
}

impl Health {
    /// The label value, as Argo CD spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Degraded => "Degraded",
            Self::Unknown => "Unknown",
        }
    }
}
