//! Which notifications a change of state calls for, each sent once until its state changes
//! (drift found, drift healed, apply failed, key expiring). Pure: no I/O, no clock.

use std::collections::BTreeMap;

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

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub event: EventKind,
    /// The group it concerns; none for an apply failure, which concerns the whole plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// One line for people; Slack shows this field.
    pub text: String,
}

/// What was last notified, so that a lasting state is announced once.
#[derive(Debug, Default)]
pub struct Alerts {
    /// Open alerts by kind and group, with the state they announced.
    open: BTreeMap<(EventKind, Option<String>), String>,
}

impl Alerts {
    /// The events `observation` calls for, given what was announced before. Groups whose
    /// sync is Unknown keep their open alerts: nothing is known to have changed.
    pub fn observe(&mut self, org: &str, observation: &Observation) -> Vec<Event> {
        let mut events = Vec::new();
        for (group, status) in &observation.groups {
            let drift_key = (EventKind::DriftFound, Some(group.clone()));
            match status.sync {
                SyncStatus::OutOfSync => {
                    let text = format!(
                        "keyshare: group `{group}` in {org} is out of sync: {}",
                        status.drift.join("; ")
                    );
                    events.extend(self.open_alert(drift_key, "OutOfSync", text));
                }
                SyncStatus::Synced => {
                    if self.open.remove(&drift_key).is_some() {
                        events.push(Event {
                            event: EventKind::DriftHealed,
                            group: Some(group.clone()),
                            text: format!("keyshare: group `{group}` in {org} is in sync again"),
                        });
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
                    events.extend(self.open_alert(expiry_key, &key.kid.0, text));
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

    /// An apply failed: announced once until an apply succeeds.
    pub fn apply_failed(&mut self, org: &str, error: &str) -> Option<Event> {
        let text = format!("keyshare: applying the plan to {org} failed: {error}");
        self.open_alert((EventKind::ApplyFailed, None), "failing", text)
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
    ) -> Option<Event> {
        if self.open.get(&key).is_some_and(|s| s == state) {
            return None;
        }
        let (event, group) = key.clone();
        self.open.insert(key, state.to_owned());
        Some(Event { event, group, text })
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
            let events = alerts.observe("org", &observed(*sync, *health, kid));
            let kinds: Vec<EventKind> = events.iter().map(|e| e.event).collect();
            assert_eq!(kinds, *expected, "round {round}");
        }
    }

    #[test]
    fn apply_failures_are_announced_once_until_an_apply_succeeds() {
        let mut alerts = Alerts::default();
        assert!(alerts.apply_failed("org", "boom").is_some());
        assert!(alerts.apply_failed("org", "boom again").is_none());
        alerts.apply_succeeded();
        assert!(alerts.apply_failed("org", "boom").is_some());
    }
}
