//! Informer-style observation, in kube-runtime's shape: one full read of the org, then the
//! System Log as the watch, with a periodic full resync as the safety net. The live snapshot
//! is kept between checks (the reflector store).
//!
//! Each check either resyncs (reads the org as `keyshare drift` does) or polls: one System
//! Log query for the events since the last one seen, less an overlap window for the log's lag
//! (deduplicated by `uuid`), after which only the managed apps the events name are read again.
//! Whenever the log cannot be trusted (a gap, an error, a 403, a clock jump) the next read is
//! a resync, and its reason is said.
//!
//! This module decides; it never calls Okta itself, so every decision is tested without a
//! network. It must never let a poll stand in for a resync it cannot prove unnecessary.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use tokio::time::Instant;

use crate::config::{AppSelector, DesiredState};
use crate::okta::{ApiError, AppId, LogQuery, LogRead};
use crate::plan::LiveSnapshot;

/// The event types that can change what keyshare plans from: an app's signing kid, its
/// existence or status, and its key list (docs/okta-api.md §12).
pub(super) const EVENT_TYPES: [&str; 11] = [
    "application.lifecycle.update",
    "application.lifecycle.create",
    "application.lifecycle.activate",
    "application.lifecycle.deactivate",
    "application.lifecycle.delete",
    "app.keys.generate",
    "app.keys.clone",
    "app.keys.rotate",
    "app.app_instance.csr.generate",
    "app.app_instance.csr.publish",
    "app.app_instance.csr.revoke",
];

/// Events per page: Okta's maximum, so that a poll is one call.
const PAGE_SIZE: u32 = 1000;

/// Pages one poll may read. More events than this since the last poll is a burst the log
/// cannot be trusted to have delivered whole; a resync is cheaper than following it.
const MAX_PAGES: u32 = 5;

/// How far the wall clock may drift from the monotonic clock between two checks before the
/// cursor, which is wall-clock time, is no longer trusted (an NTP step, a suspend).
const CLOCK_JUMP: Duration = Duration::from_secs(5);

/// Why a check reads the whole org, for the log and `keyshare_resyncs_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResyncReason {
    /// Nothing is known yet.
    Start,
    /// `--resync` has passed since the last full read.
    Periodic,
    /// The desired state changed: it may refer to apps the store never read.
    DesiredChanged,
    /// More events than one poll reads: some may be left unread.
    LogGap,
    /// The log could not be read.
    LogError,
    /// 403: the credential may not read the log (an OAuth app without `okta.logs.read`).
    LogForbidden,
    /// The wall clock jumped; the cursor cannot be trusted.
    ClockJump,
    /// Self-heal wrote: the log may not show its writes yet.
    AfterHeal,
    /// Re-reading the apps events named failed part way.
    ReadError,
}

impl ResyncReason {
    /// Every reason, so that each shows in the metrics from the start.
    pub const ALL: [Self; 9] = [
        Self::Start,
        Self::Periodic,
        Self::DesiredChanged,
        Self::LogGap,
        Self::LogError,
        Self::LogForbidden,
        Self::ClockJump,
        Self::AfterHeal,
        Self::ReadError,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Periodic => "periodic",
            Self::DesiredChanged => "desired_changed",
            Self::LogGap => "log_gap",
            Self::LogError => "log_error",
            Self::LogForbidden => "log_forbidden",
            Self::ClockJump => "clock_jump",
            Self::AfterHeal => "after_heal",
            Self::ReadError => "read_error",
        }
    }

    /// The reason a failed log read gives.
    pub fn of_log_error(error: &ApiError) -> Self {
        if error.status() == Some(403) {
            Self::LogForbidden
        } else {
            Self::LogError
        }
    }
}

impl fmt::Display for ResyncReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a check must do to know the org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Read the whole org.
    Resync(ResyncReason),
    /// Ask the System Log this.
    Poll(LogQuery),
}

/// What a poll learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absorbed {
    /// Events not seen before.
    pub new_events: u64,
    /// Managed apps those events name: to be read again.
    pub changed: BTreeSet<AppId>,
    /// The longest time between an event's publication and this poll, among new events.
    pub lag: Option<Duration>,
    /// How long the store went unconfirmed before this poll: changes made meanwhile were
    /// unknown for up to this long.
    pub staleness: Duration,
}

/// When the store was last known to match the org.
#[derive(Debug, Clone, Copy)]
struct Confirmed {
    wall: Timestamp,
    mono: Instant,
}

#[derive(Debug)]
struct Store {
    live: LiveSnapshot,
    digest: String,
    resynced: Instant,
    /// The newest `published` seen, or the start of the last full read.
    cursor: Timestamp,
    /// Events seen within the overlap window, by `uuid`, with their `published`.
    seen: HashMap<String, Timestamp>,
    confirmed: Confirmed,
}

/// The reflector store and the decisions around it.
#[derive(Debug)]
pub struct Informer {
    resync_every: Duration,
    overlap: Duration,
    store: Option<Store>,
    forced: Option<ResyncReason>,
}

impl Informer {
    /// An informer that resyncs every `resync_every` and re-asks the log for `overlap` before
    /// its cursor (the largest log lag it tolerates).
    pub fn new(resync_every: Duration, overlap: Duration) -> Self {
        Self {
            resync_every,
            overlap,
            store: None,
            forced: None,
        }
    }

    /// What the check at `wall`/`mono` with the desired state `digest` must do.
    pub fn next(&self, digest: &str, wall: Timestamp, mono: Instant) -> Next {
        let Some(store) = &self.store else {
            return Next::Resync(ResyncReason::Start);
        };
        if let Some(reason) = self.forced {
            return Next::Resync(reason);
        }
        if store.digest != digest {
            return Next::Resync(ResyncReason::DesiredChanged);
        }
        if mono.duration_since(store.resynced) >= self.resync_every {
            return Next::Resync(ResyncReason::Periodic);
        }
        let by_wall = wall.duration_since(store.confirmed.wall).as_secs_f64();
        let by_mono = mono.duration_since(store.confirmed.mono).as_secs_f64();
        if (by_wall - by_mono).abs() > CLOCK_JUMP.as_secs_f64() {
            return Next::Resync(ResyncReason::ClockJump);
        }
        let filter = EVENT_TYPES
            .iter()
            .map(|t| format!("eventType eq \"{t}\""))
            .collect::<Vec<_>>()
            .join(" or ");
        Next::Poll(LogQuery {
            since: store.cursor - self.overlap,
            filter: Some(filter),
            limit: PAGE_SIZE,
            max_pages: MAX_PAGES,
        })
    }

    /// Makes the next check resync, for `reason`, until one succeeds.
    pub fn force(&mut self, reason: ResyncReason) {
        self.forced.get_or_insert(reason);
    }

    /// Keeps `live`, read in full by the check that started at `wall`/`mono`.
    pub fn resynced(&mut self, live: LiveSnapshot, digest: &str, wall: Timestamp, mono: Instant) {
        self.forced = None;
        self.store = Some(Store {
            live,
            digest: digest.to_owned(),
            resynced: mono,
            // Events published while the read ran are after `wall`: the next poll has them.
            cursor: wall,
            seen: HashMap::new(),
            confirmed: Confirmed { wall, mono },
        });
    }

    /// Takes in a poll made at `wall`/`mono`: the managed apps of `desired` that new events
    /// name or an Event Hook `pushed`, or why the log cannot be trusted.
    pub fn absorb(
        &mut self,
        read: &LogRead,
        pushed: BTreeSet<AppId>,
        desired: &DesiredState,
        wall: Timestamp,
        mono: Instant,
    ) -> Result<Absorbed, ResyncReason> {
        let store = self.store.as_mut().ok_or(ResyncReason::Start)?;
        if !read.caught_up {
            return Err(ResyncReason::LogGap);
        }
        let managed = managed(desired, &store.live);
        let mut absorbed = Absorbed {
            new_events: 0,
            changed: pushed
                .into_iter()
                .filter(|id| managed.contains(id))
                .collect(),
            lag: None,
            staleness: mono.duration_since(store.confirmed.mono),
        };
        for event in &read.events {
            if store
                .seen
                .insert(event.uuid.clone(), event.published)
                .is_some()
            {
                continue;
            }
            absorbed.new_events += 1;
            store.cursor = store.cursor.max(event.published);
            let lag = Duration::try_from(wall.duration_since(event.published)).unwrap_or_default();
            absorbed.lag = absorbed.lag.max(Some(lag));
            absorbed
                .changed
                .extend(event.app_ids().filter(|id| managed.contains(id)));
        }
        let horizon = store.cursor - self.overlap;
        store.seen.retain(|_, published| *published >= horizon);
        store.confirmed = Confirmed { wall, mono };
        Ok(absorbed)
    }

    /// The kept snapshot, to bring up to date after [`Self::absorb`].
    pub fn live_mut(&mut self) -> Option<&mut LiveSnapshot> {
        self.store.as_mut().map(|store| &mut store.live)
    }
}

/// The apps of `live` that `desired` refers to: by id, or by exact label or name.
fn managed(desired: &DesiredState, live: &LiveSnapshot) -> BTreeSet<AppId> {
    let mut ids = BTreeSet::new();
    for group in &desired.groups {
        for reference in std::iter::once(&group.source).chain(&group.members) {
            match &reference.selector {
                AppSelector::Id(id) => {
                    ids.insert(id.clone());
                }
                AppSelector::Label(text) => ids.extend(
                    live.apps
                        .values()
                        .filter(|app| &app.label == text)
                        .map(|app| app.id.clone()),
                ),
                AppSelector::Name(text) => ids.extend(
                    live.apps
                        .values()
                        .filter(|app| app.name.as_ref() == Some(text))
                        .map(|app| app.id.clone()),
                ),
            }
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use crate::okta::{LogEvent, LogTarget};

    use super::*;

    const APP1: &str = "0oa8ae1t5yev2ajDs0h7";
    const APP2: &str = "0oa8ae0dv4RGQvjyZ0h7";
    const OVERLAP: Duration = Duration::from_secs(120);
    const RESYNC: Duration = Duration::from_secs(3600);

    fn desired() -> DesiredState {
        let dir = tempfile::tempdir().unwrap();
        let yaml = format!(
            "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: finance\nspec:\n  source: {APP1}\n  members:\n    - {APP2}\n  key:\n    validityYears: 2\n"
        );
        std::fs::write(dir.path().join("finance.yaml"), yaml).unwrap();
        crate::config::load_dir(dir.path()).unwrap()
    }

    fn event(uuid: &str, published: Timestamp, app: &str) -> LogEvent {
        LogEvent {
            uuid: uuid.into(),
            published,
            event_type: "application.lifecycle.update".into(),
            target: vec![LogTarget {
                id: app.into(),
                kind: "AppInstance".into(),
            }],
        }
    }

    fn pushed(ids: &[&str]) -> BTreeSet<AppId> {
        ids.iter().map(|id| AppId::from(*id)).collect()
    }

    fn read(events: Vec<LogEvent>) -> LogRead {
        LogRead {
            events,
            caught_up: true,
            pages: 1,
        }
    }

    /// An informer that resynced at `t0`.
    fn synced(desired: &DesiredState, t0: Timestamp, m0: Instant) -> Informer {
        let mut informer = Informer::new(RESYNC, OVERLAP);
        assert_eq!(
            informer.next(&desired.digest, t0, m0),
            Next::Resync(ResyncReason::Start)
        );
        informer.resynced(LiveSnapshot::default(), &desired.digest, t0, m0);
        informer
    }

    fn since(next: Next) -> Timestamp {
        match next {
            Next::Poll(query) => query.since,
            Next::Resync(reason) => panic!("a resync ({reason}) where a poll was due"),
        }
    }

    #[test]
    fn polls_between_resyncs_and_resyncs_when_due_or_the_desired_state_changed() {
        let desired = desired();
        let (t0, m0) = (Timestamp::now(), Instant::now());
        let informer = synced(&desired, t0, m0);
        let later = Duration::from_secs(30);
        assert_eq!(
            since(informer.next(&desired.digest, t0 + later, m0 + later)),
            t0 - OVERLAP,
            "the first poll asks from the start of the full read, less the overlap"
        );
        assert_eq!(
            informer.next("another digest", t0 + later, m0 + later),
            Next::Resync(ResyncReason::DesiredChanged)
        );
        assert_eq!(
            informer.next(&desired.digest, t0 + RESYNC, m0 + RESYNC),
            Next::Resync(ResyncReason::Periodic)
        );
        let jumped = t0 + Duration::from_secs(600);
        assert_eq!(
            informer.next(&desired.digest, jumped, m0 + later),
            Next::Resync(ResyncReason::ClockJump)
        );
    }

    #[test]
    fn a_forced_resync_holds_until_one_succeeds() {
        let desired = desired();
        let (t0, m0) = (Timestamp::now(), Instant::now());
        let mut informer = synced(&desired, t0, m0);
        informer.force(ResyncReason::AfterHeal);
        informer.force(ResyncReason::LogError);
        let later = Duration::from_secs(1);
        for _ in 0..2 {
            assert_eq!(
                informer.next(&desired.digest, t0 + later, m0 + later),
                Next::Resync(ResyncReason::AfterHeal),
                "the first reason stands until a resync"
            );
        }
        informer.resynced(LiveSnapshot::default(), &desired.digest, t0, m0);
        assert!(matches!(
            informer.next(&desired.digest, t0 + later, m0 + later),
            Next::Poll(_)
        ));
    }

    #[test]
    fn new_events_name_managed_apps_once_and_move_the_cursor() {
        let desired = desired();
        let (t0, m0) = (Timestamp::now(), Instant::now());
        let mut informer = synced(&desired, t0, m0);
        let at = |s: u64| (t0 + Duration::from_secs(s), m0 + Duration::from_secs(s));
        let (t1, m1) = at(10);
        let published = t0 + Duration::from_secs(4);
        let first = read(vec![
            event("u1", published, APP1),
            event("u2", published, "0oaNotManaged0000000"),
        ]);
        let absorbed = informer
            .absorb(&first, pushed(&[]), &desired, t1, m1)
            .unwrap();
        assert_eq!(absorbed.new_events, 2);
        assert_eq!(absorbed.changed, BTreeSet::from([AppId::from(APP1)]));
        assert_eq!(absorbed.lag, Some(Duration::from_secs(6)));
        assert_eq!(absorbed.staleness, Duration::from_secs(10));
        assert_eq!(
            since(informer.next(&desired.digest, t1, m1)),
            published - OVERLAP
        );

        // The overlap reads them again: seen, so nothing to do.
        let (t2, m2) = at(20);
        let again = informer
            .absorb(&first, pushed(&[APP2]), &desired, t2, m2)
            .unwrap();
        assert_eq!(
            (again.new_events, again.changed),
            (0, pushed(&[APP2])),
            "only what an Event Hook pushed"
        );

        let gap = LogRead {
            caught_up: false,
            ..read(vec![event("u3", published, APP2)])
        };
        assert_eq!(
            informer.absorb(&gap, pushed(&[]), &desired, t2, m2),
            Err(ResyncReason::LogGap)
        );
    }

    #[test]
    fn a_403_is_a_missing_permission_and_other_failures_are_errors() {
        let answered = |status| ApiError::UnexpectedStatus {
            method: "GET",
            path: "/api/v1/logs".into(),
            status,
            snippet: String::new(),
        };
        assert_eq!(
            ResyncReason::of_log_error(&answered(403)),
            ResyncReason::LogForbidden
        );
        assert_eq!(
            ResyncReason::of_log_error(&answered(500)),
            ResyncReason::LogError
        );
    }
}
