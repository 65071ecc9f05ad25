//! Which notifications a change of state calls for, each sent once until its state changes
//! (drift found, drift healed, apply failed, key expiring, key staged, key activated). Each carries what Flux's and Argo
//! CD's notifications carry: a severity, a timestamp and the object it is about (kind and
//! name). A suspended group is never notified about. Pure: no I/O, no clock (the caller says
//! when).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::status::{GroupStatus, Health, Observation, SyncStatus};
use crate::plan::Phase;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    DriftFound,
    DriftHealed,
    ApplyFailed,
    KeyExpiring,
    KeyStaged,
    KeyActivated,
}

/// How bad it is, in Flux's two levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something got better (drift healed) or went as planned (a key staged or activated).
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
                EventKind::DriftHealed | EventKind::KeyStaged | EventKind::KeyActivated => {
                    Severity::Info
                }
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
            events.extend(self.staging(org, group, status, now));
        }
        self.open.retain(|(_, group), _| {
            group
                .as_ref()
                .is_none_or(|g| observation.groups.contains_key(g))
        });
        events
    }

    /// A staged rotation's news: the stage of a key, announced once per key, and the switch to
    /// it, seen as the group signing with the key it staged. The staged kid stays recorded
    /// until then; a switch is also recognised when the controller first saw it due.
    fn staging(
        &mut self,
        org: &str,
        group: &str,
        status: &GroupStatus,
        now: Timestamp,
    ) -> Option<Event> {
        let staged_key = (EventKind::KeyStaged, Some(group.to_owned()));
        match &status.phase {
            Some(Phase::Staged { kid, switch_at, .. }) => {
                let text = format!(
                    "keyshare: group `{group}` in {org} staged the signing key {kid} on every app; they switch to it at {switch_at}"
                );
                self.open_alert(staged_key, &kid.0, text, now)
            }
            Some(Phase::SwitchDue { kid, .. }) => {
                self.open.entry(staged_key).or_insert_with(|| kid.0.clone());
                None
            }
            _ => {
                let signing = status.key.as_ref().map(|k| &k.kid.0);
                if signing.is_none() || self.open.get(&staged_key) != signing {
                    return None;
                }
                let (_, kid) = self.open.remove_entry(&staged_key)?;
                Some(Event::new(
                    EventKind::KeyActivated,
                    Some(group.to_owned()),
                    format!(
                        "keyshare: group `{group}` in {org} now signs with its staged key {kid}"
                    ),
                    now,
                ))
            }
        }
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
    use Health::Healthy;
    use SyncStatus::Synced;

    fn observed(sync: SyncStatus, health: Health, kid: &str) -> Observation {
        staging(sync, health, kid, None)
    }

    fn staging(sync: SyncStatus, health: Health, kid: &str, phase: Option<Phase>) -> Observation {
        let status = GroupStatus {
            sync,
            health,
            key: Some(KeyExpiry {
                kid: Kid(kid.to_owned()),
                expires_at: Timestamp::from_second(1_800_000_000).unwrap(),
            }),
            drift: vec!["switch app2".to_owned()],
            suspended: false,
            phase,
        };
        Observation {
            groups: [("finance".to_owned(), status)].into(),
        }
    }

    fn staged(kid: &str) -> Option<Phase> {
        Some(Phase::Staged {
            kid: Kid(kid.to_owned()),
            staged_at: now(),
            switch_at: Timestamp::from_second(1_790_000_000).unwrap(),
        })
    }

    fn switch_due(kid: &str) -> Option<Phase> {
        Some(Phase::SwitchDue {
            kid: Kid(kid.to_owned()),
            staged_at: now(),
            switch_at: now(),
        })
    }

    /// One observation (sync, health, signing kid, phase) and the events it should bring.
    type Round = (
        SyncStatus,
        Health,
        &'static str,
        Option<Phase>,
        &'static [EventKind],
    );

    #[test]
    fn each_state_is_announced_once_until_it_changes() {
        use EventKind::{DriftFound, DriftHealed, KeyActivated, KeyExpiring, KeyStaged};
        use Health::{Degraded, Healthy};
        use SyncStatus::{OutOfSync, Synced};
        let in_sync = Some(Phase::InSync);
        let table: &[Round] = &[
            (Synced, Healthy, "k1", None, &[]),
            (OutOfSync, Healthy, "k1", None, &[DriftFound]),
            (OutOfSync, Healthy, "k1", None, &[]),
            (SyncStatus::Unknown, Health::Unknown, "k1", None, &[]),
            (OutOfSync, Degraded, "k1", None, &[KeyExpiring]),
            (Synced, Degraded, "k1", None, &[DriftHealed]),
            (Synced, Degraded, "k2", None, &[KeyExpiring]),
            (Synced, Healthy, "k2", None, &[]),
            (OutOfSync, Degraded, "k2", None, &[DriftFound, KeyExpiring]),
            (
                Synced,
                Healthy,
                "k2",
                staged("k3"),
                &[DriftHealed, KeyStaged],
            ),
            (Synced, Healthy, "k2", staged("k3"), &[]),
            (SyncStatus::Unknown, Healthy, "k2", staged("k3"), &[]),
            (OutOfSync, Healthy, "k2", switch_due("k3"), &[DriftFound]),
            (
                Synced,
                Healthy,
                "k3",
                in_sync.clone(),
                &[DriftHealed, KeyActivated],
            ),
            (Synced, Healthy, "k3", in_sync.clone(), &[]),
            // First seen due (the controller started after the stage): the switch is news.
            (OutOfSync, Healthy, "k3", switch_due("k4"), &[DriftFound]),
            (
                Synced,
                Healthy,
                "k4",
                in_sync.clone(),
                &[DriftHealed, KeyActivated],
            ),
            // A staged key the group never switched to (the stage was undone) is no news.
            (Synced, Healthy, "k4", staged("k5"), &[KeyStaged]),
            (Synced, Healthy, "k4", in_sync, &[]),
        ];
        let mut alerts = Alerts::default();
        for (round, (sync, health, kid, phase, expected)) in table.iter().enumerate() {
            let observation = staging(*sync, *health, kid, phase.clone());
            let events = alerts.observe("org", &observation, now());
            let kinds: Vec<EventKind> = events.iter().map(|e| e.event).collect();
            assert_eq!(kinds, *expected, "round {round}");
        }
    }

    #[test]
    fn staging_events_name_the_key_and_the_switch_date() {
        let mut alerts = Alerts::default();
        let observation = staging(Synced, Healthy, "k1", staged("k2"));
        let [staged] = alerts
            .observe("org", &observation, now())
            .try_into()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&staged).unwrap(),
            serde_json::json!({
                "event": "key_staged", "severity": "info", "timestamp": "2026-12-07T06:00:00Z",
                "kind": "SigningKeyGroup", "group": "finance",
                "text": "keyshare: group `finance` in org staged the signing key k2 on every app; they switch to it at 2026-09-21T14:13:20Z"
            })
        );
        let observation = staging(Synced, Healthy, "k2", Some(Phase::InSync));
        let [activated] = alerts
            .observe("org", &observation, now())
            .try_into()
            .unwrap();
        assert_eq!(
            (activated.event, activated.severity, activated.text.as_str()),
            (
                EventKind::KeyActivated,
                Severity::Info,
                "keyshare: group `finance` in org now signs with its staged key k2"
            )
        );
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
