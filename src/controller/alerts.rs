//! Which notifications a change of state calls for, each sent once until its state changes
//! (drift found, drift healed, apply failed, key expiring). Each carries what Flux's and Argo
//! CD's notifications carry: a severity, a timestamp and the object it is about (kind and
//! name). A suspended group is never notified about. Pure: no I/O, no clock (the caller says
//! when).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::status::{Health, Observation, SyncStatus};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    DriftFound,
    DriftHealed,
    ApplyFailed,
    KeyExpiring,
}

/// How bad it is, in Flux's two levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something got better (drift healed).
    Info,
    /// Something needs a person (drift, a failed apply, an expiring key).
    Error,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ObjectKind {
    /// One group of the desired state.
    SigningKeyGroup,
    /// The whole org (an apply failure concerns the whole plan).
    Org,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub event: EventKind,
    pub severity: Severity,
    /// When the controller saw it.
    pub timestamp: Timestamp,
    pub kind: ObjectKind,
    /// The group it concerns; none for an apply failure, which concerns the whole plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// One line for people; Slack shows this field.
    pub text: String,
}

impl Event {
    fn new(event: EventKind, group: Option<String>, text: String, now: Timestamp) -> Self {
        Self {
            event,
            severity: match event {
                EventKind::DriftHealed => Severity::Info,
                EventKind::DriftFound | EventKind::ApplyFailed | EventKind::KeyExpiring => {
                    Severity::Error
                }
            },
            timestamp: now,
            kind: if group.is_some() {
                ObjectKind::SigningKeyGroup
            } else {
                ObjectKind::Org
            },
            group,
            text,
        }
    }
}

/// What was last notified, so that a lasting state is announced once.
#[derive(Debug, Default)]
pub struct Alerts {
    /// Open alerts by kind and group, with the state they announced.
    open: BTreeMap<(EventKind, Option<String>), String>,
}

impl Alerts {
    /// The events `observation` (made at `now`) calls for, given what was announced before.
    /// Groups whose sync is Unknown keep their open alerts: nothing is known to have changed.
    /// Suspended groups keep theirs too, and get none.
    pub fn observe(&mut self, org: &str, observation: &Observation, now: Timestamp) -> Vec<Event> {
        let mut events = Vec::new();
        for (group, status) in &observation.groups {
            if status.suspended {
                continue;
            }
            let drift_key = (EventKind::DriftFound, Some(group.clone()));
            match status.sync {
                SyncStatus::OutOfSync => {
                    let text = format!(
                        "keyshare: group `{group}` in {org} is out of sync: {}",
                        status.drift.join("; ")
                    );
                    events.extend(self.open_alert(drift_key, "OutOfSync", text, now));
                }
                SyncStatus::Synced => {
                    if self.open.remove(&drift_key).is_some() {
                        events.push(Event::new(
                            EventKind::DriftHealed,
                            Some(group.clone()),
                            format!("keyshare: group `{group}` in {org} is in sync again"),
                            now,
                        ));
                    }
                }
                SyncStatus::Unknown => {}
            }
            let expiry_key = (EventKind::KeyExpiring, Some(group.clone()));
            match (status.health, &status.key) {
                (Health::Degraded, Some(key)) => {
                    let text = format!(
                        "keyshare: the signing key {} of group `{group}` in {org} expires at {}",
                        key.kid, key.expires_at
                    );
                    events.extend(self.open_alert(expiry_key, &key.kid.0, text, now));
                }
                (Health::Healthy, _) => {
                    self.open.remove(&expiry_key);
                }
                _ => {}
            }
        }
        self.open.retain(|(_, group), _| {
            group
                .as_ref()
                .is_none_or(|g| observation.groups.contains_key(g))
        });
        events
    }

    /// An apply failed at `now`: announced once until an apply succeeds.
    pub fn apply_failed(&mut self, org: &str, error: &str, now: Timestamp) -> Option<Event> {
        let text = format!("keyshare: applying the plan to {org} failed: {error}");
        self.open_alert((EventKind::ApplyFailed, None), "failing", text, now)
    }

    /// An apply succeeded: the next failure is news again.
    pub fn apply_succeeded(&mut self) {
        self.open.remove(&(EventKind::ApplyFailed, None));
    }

    /// Records `state` under `key`; an event only when the state is new.
    fn open_alert(
        &mut self,
        key: (EventKind, Option<String>),
        state: &str,
        text: String,
        now: Timestamp,
    ) -> Option<Event> {
        if self.open.get(&key).is_some_and(|s| s == state) {
            return None;
        }
        let (event, group) = key.clone();
        self.open.insert(key, state.to_owned());
        Some(Event::new(event, group, text, now))
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::controller::status::{GroupStatus, KeyExpiry};
    use crate::okta::Kid;

    fn observed(sync: SyncStatus, health: Health, kid: &str) -> Observation {
        let status = GroupStatus {
            sync,
            health,
            key: Some(KeyExpiry {
                kid: Kid(kid.to_owned()),
                expires_at: Timestamp::from_second(1_800_000_000).unwrap(),
            }),
            drift: vec!["switch app2".to_owned()],
            suspended: false,
        };
        Observation {
            groups: [("finance".to_owned(), status)].into(),
        }
    }

    #[test]
    fn each_state_is_announced_once_until_it_changes() {
        use EventKind::{DriftFound, DriftHealed, KeyExpiring};
        use Health::{Degraded, Healthy};
        use SyncStatus::{OutOfSync, Synced};
        let table: &[(SyncStatus, Health, &str, &[EventKind])] = &[
            (Synced, Healthy, "k1", &[]),
            (OutOfSync, Healthy, "k1", &[DriftFound]),
            (OutOfSync, Healthy, "k1", &[]),
            (SyncStatus::Unknown, Health::Unknown, "k1", &[]),
            (OutOfSync, Degraded, "k1", &[KeyExpiring]),
            (Synced, Degraded, "k1", &[DriftHealed]),
            (Synced, Degraded, "k2", &[KeyExpiring]),
            (Synced, Healthy, "k2", &[]),
            (OutOfSync, Degraded, "k2", &[DriftFound, KeyExpiring]),
        ];
        let mut alerts = Alerts::default();
        for (round, (sync, health, kid, expected)) in table.iter().enumerate() {
            let events = alerts.observe("org", &observed(*sync, *health, kid), now());
            let kinds: Vec<EventKind> = events.iter().map(|e| e.event).collect();
            assert_eq!(kinds, *expected, "round {round}");
        }
    }

    #[test]
    fn apply_failures_are_announced_once_until_an_apply_succeeds() {
        let mut alerts = Alerts::default();
        let failed = alerts.apply_failed("org", "boom", now()).unwrap();
        assert_eq!(
            serde_json::to_value(&failed).unwrap(),
            serde_json::json!({
                "event": "apply_failed", "severity": "error", "timestamp": "2026-12-07T06:00:00Z",
                "kind": "Org", "text": "keyshare: applying the plan to org failed: boom"
            })
        );
        assert!(alerts.apply_failed("org", "boom again", now()).is_none());
        alerts.apply_succeeded();
        assert!(alerts.apply_failed("org", "boom", now()).is_some());
    }

    #[test]
    fn events_carry_severity_timestamp_and_object() {
        let mut alerts = Alerts::default();
        let out_of_sync = observed(SyncStatus::OutOfSync, Health::Healthy, "k1");
        let [found] = alerts
            .observe("org", &out_of_sync, now())
            .try_into()
            .unwrap();
        assert_eq!(
            (
                found.severity,
                found.kind,
                found.group.as_deref(),
                found.timestamp
            ),
            (
                Severity::Error,
                ObjectKind::SigningKeyGroup,
                Some("finance"),
                now()
            )
        );
        let synced = observed(SyncStatus::Synced, Health::Healthy, "k1");
        let [healed] = alerts.observe("org", &synced, now()).try_into().unwrap();
        assert_eq!(
            (healed.event, healed.severity),
            (EventKind::DriftHealed, Severity::Info)
        );
    }

    #[test]
    fn a_suspended_group_is_never_notified_and_keeps_its_alerts() {
        let mut alerts = Alerts::default();
        let mut drifted = observed(SyncStatus::OutOfSync, Health::Degraded, "k1");
        assert_eq!(alerts.observe("org", &drifted, now()).len(), 2);
        drifted.groups.get_mut("finance").unwrap().suspended = true;
        let mut synced = observed(SyncStatus::Synced, Health::Healthy, "k1");
        synced.groups.get_mut("finance").unwrap().suspended = true;
        assert!(alerts.observe("org", &synced, now()).is_empty());
        // Resumed while still out of sync: nothing new to announce.
        drifted.groups.get_mut("finance").unwrap().suspended = false;
        assert!(alerts.observe("org", &drifted, now()).is_empty());
    }

    fn now() -> Timestamp {
        "2026-12-07T06:00:00Z".parse().unwrap()
    }
}
