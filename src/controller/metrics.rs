//! The controller's Prometheus metrics, prefixed `keyshare_` (but for the standard
//! `process_*` series), named in the Argo CD / Flux habit: `sync_status` and `health_status`
//! labels as on `argocd_app_info`, a `_build_info`, a last-success timestamp. docs/controller.md
//! lists them with examples.
//!
//! Group and key series are replaced as a whole after each reconcile, so that a group leaving
//! the desired state, or a sync status changing, leaves no stale series behind. API series are
//! read from the HTTP client's counters at scrape time; they are never copied.

use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::informer::{Absorbed, ResyncReason};
use super::process::ProcessCollector;
use super::status::Observation;
use crate::okta::http::HttpClient;
use crate::plan::Phase;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupLabels {
    group: String,
    sync_status: String,
    health_status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupNameLabels {
    group: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeyLabels {
    group: String,
    kid: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BucketLabels {
    bucket: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BucketStatusLabels {
    bucket: &'static str,
    status: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DropLabels {
    reason: &'static str,
}

/// Why a notification was not delivered, for `keyshare_webhook_dropped_total{reason}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The queue was full: the webhook is slower than the events.
    QueueFull,
    /// The post failed, was refused or timed out.
    Failed,
    /// Still queued when the controller stopped.
    Shutdown,
}

impl DropReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::QueueFull => "queue_full",
            Self::Failed => "failed",
            Self::Shutdown => "shutdown",
        }
    }
}

/// How a reconcile ended, for `keyshare_reconcile_total{result}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileResult {
    Success,
    Error,
}

/// The metrics of one controller.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    group_info: Family<GroupLabels, Gauge>,
    key_expiry: Family<KeyLabels, Gauge>,
    reconciles: Family<ResultLabels, Counter>,
    heals_deferred: Counter,
    webhook_dropped: Family<DropLabels, Counter>,
    duration: Histogram,
    desired_valid: Gauge,
    verify_failures: Family<GroupNameLabels, Counter>,
    verify_failing: Gauge,
    informer: InformerMetrics,
    staging: StagingMetrics,
    conventions: Conventions,
}

/// The series every controller is expected to have, and suspension.
#[derive(Debug)]
struct Conventions {
    last_success: Gauge,
    healed_steps: Counter,
    group_suspended: Family<GroupNameLabels, Gauge>,
    suspended: Gauge,
}

impl Conventions {
    fn register(registry: &mut Registry) -> Self {
        let build_info = Family::<BuildLabels, Gauge>::default();
        registry.register(
            "build_info",
            "1, labelled with the keyshare version",
            build_info.clone(),
        );
        build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        let last_success = Gauge::default();
        registry.register(
            "last_successful_reconcile_timestamp_seconds",
            "When a reconcile last succeeded, as a Unix timestamp; 0 until one has",
            last_success.clone(),
        );
        let healed_steps = Counter::default();
        registry.register(
            "healed_steps",
            "Plan steps (generate, clone, switch) carried out by self-heal",
            healed_steps.clone(),
        );
        let group_suspended = Family::<GroupNameLabels, Gauge>::default();
        registry.register(
            "group_suspended",
            "Per group: 1 when its keyshare.io/suspend annotation suspends it (never healed, never notified), else 0",
            group_suspended.clone(),
        );
        let suspended = Gauge::default();
        registry.register(
            "reconcile_suspended",
            "1 while the --suspend-file exists: no reconcile reads or changes the org",
            suspended.clone(),
        );
        Self {
            last_success,
            healed_steps,
            group_suspended,
            suspended,
        }
    }
}

impl Metrics {
    /// The metrics, with the API series of `client`.
    pub fn new(client: &HttpClient) -> Self {
        // The process series keep their standard, unprefixed names.
        let mut root = Registry::default();
        root.register_collector(Box::new(ProcessCollector));
        let registry = root.sub_registry_with_prefix("keyshare");
        let group_info = Family::<GroupLabels, Gauge>::default();
        registry.register(
            "group_info",
            "Per group: 1, labelled with its sync_status (Synced, OutOfSync, Unknown) and health_status (Healthy, Degraded, Unknown)",
            group_info.clone(),
        );
        let key_expiry = Family::<KeyLabels, Gauge>::default();
        registry.register(
            "key_expiry_timestamp_seconds",
            "When the signing key a group uses expires, as a Unix timestamp",
            key_expiry.clone(),
        );
        let reconciles = Family::<ResultLabels, Counter>::default();
        registry.register(
            "reconcile",
            "Reconciles, by result (success, error)",
            reconciles.clone(),
        );
        let heals_deferred = Counter::default();
        registry.register(
            "self_heal_deferred",
            "Self-heals put off to the next reconcile because another keyshare apply held the org's apply lock",
            heals_deferred.clone(),
        );
        let webhook_dropped = Family::<DropLabels, Counter>::default();
        registry.register(
            "webhook_dropped",
            "Notifications not delivered to the webhook, by reason (queue_full, failed, shutdown)",
            webhook_dropped.clone(),
        );
        // Every reason shows from the start, so that an alert on its rate has a baseline.
        for reason in [
            DropReason::QueueFull,
            DropReason::Failed,
            DropReason::Shutdown,
        ] {
            webhook_dropped
                .get_or_create(&DropLabels {
                    reason: reason.as_str(),
                })
                .inc_by(0);
        }
        let duration = Histogram::new(exponential_buckets(0.05, 2.0, 12));
        registry.register(
            "reconcile_duration_seconds",
            "How long a reconcile took: load, read, plan and, with --self-heal, apply",
            duration.clone(),
        );
        let desired_valid = Gauge::default();
        registry.register(
            "desired_state_valid",
            "1 when the desired state on disk is valid, 0 when the last good one is in use",
            desired_valid.clone(),
        );
        let verify_failures = Family::<GroupNameLabels, Counter>::default();
        registry.register(
            "verify_failures",
            "Checks after a self-heal that found a group not converged (an app not signing with the group key, or a switched app's SAML metadata not publishing its certificate), by group",
            verify_failures.clone(),
        );
        let verify_failing = Gauge::default();
        registry.register(
            "verify_failing",
            "1 from a failed check after a self-heal until a later check passes, else 0",
            verify_failing.clone(),
        );
        let informer = InformerMetrics::register(registry);
        let staging = StagingMetrics::register(registry);
        registry.register_collector(Box::new(ApiCollector {
            client: client.clone(),
        }));
        let conventions = Conventions::register(registry);
        Self {
            registry: root,
            group_info,
            key_expiry,
            reconciles,
            heals_deferred,
            webhook_dropped,
            duration,
            desired_valid,
            verify_failures,
            verify_failing,
            informer,
            staging,
            conventions,
        }
    }

    /// Replaces the group, key and phase series with `observation`'s.
    pub fn observe(&self, observation: &Observation) {
        self.staging.observe(observation);
        self.group_info.clear();
        self.key_expiry.clear();
        self.conventions.group_suspended.clear();
        for (group, status) in &observation.groups {
            let labels = GroupLabels {
                group: group.clone(),
                sync_status: status.sync.as_str().to_owned(),
                health_status: status.health.as_str().to_owned(),
            };
            self.group_info.get_or_create(&labels).set(1);
            self.conventions
                .group_suspended
                .get_or_create(&GroupNameLabels {
                    group: group.clone(),
                })
                .set(i64::from(status.suspended));
            if let Some(key) = &status.key {
                let labels = KeyLabels {
                    group: group.clone(),
                    kid: key.kid.0.clone(),
                };
                self.key_expiry
                    .get_or_create(&labels)
                    .set(key.expires_at.as_second());
            }
        }
    }

    /// Counts a reconcile that took `took`.
    pub fn reconciled(&self, result: ReconcileResult, took: Duration) {
        let result = match result {
            ReconcileResult::Success => "success",
            ReconcileResult::Error => "error",
        };
        self.reconciles
            .get_or_create(&ResultLabels { result })
            .inc();
        self.duration.observe(took.as_secs_f64());
    }

    /// A reconcile succeeded at `at` (Unix seconds).
    pub fn reconcile_succeeded_at(&self, at: i64) {
        self.conventions.last_success.set(at);
    }

    /// Counts `steps` plan steps carried out by self-heal.
    pub fn healed_steps(&self, steps: usize) {
        self.conventions
            .healed_steps
            .inc_by(u64::try_from(steps).unwrap_or(u64::MAX));
    }

    /// Whether the whole controller is suspended (the suspend file exists).
    pub fn suspended(&self, suspended: bool) {
        self.conventions.suspended.set(i64::from(suspended));
    }

    /// The check after a self-heal passed.
    pub fn verified(&self) {
        self.verify_failing.set(0);
    }

    /// The check after a self-heal found `group` not converged.
    pub fn verify_failed(&self, group: &str) {
        self.verify_failures
            .get_or_create(&GroupNameLabels {
                group: group.to_owned(),
            })
            .inc();
        self.verify_failing.set(1);
    }

    /// Counts a self-heal put off because the apply lock was held.
    pub fn heal_deferred(&self) {
        self.heals_deferred.inc();
    }

    /// Counts a notification that was not delivered.
    pub fn webhook_dropped(&self, reason: DropReason) {
        self.webhook_dropped_many(reason, 1);
    }

    /// Counts `count` notifications that were not delivered.
    pub fn webhook_dropped_many(&self, reason: DropReason, count: u64) {
        self.webhook_dropped
            .get_or_create(&DropLabels {
                reason: reason.as_str(),
            })
            .inc_by(count);
    }

    /// Whether the desired state on disk is the one in use.
    pub fn desired_state_valid(&self, valid: bool) {
        self.desired_valid.set(i64::from(valid));
    }

    /// The Prometheus text format (0.0.4) of every series.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

// The informer's metrics: how the controller follows the System Log between full reads.

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResyncLabels {
    reason: &'static str,
}

/// `keyshare_log_events_total`, `keyshare_resyncs_total{reason}`, `keyshare_log_lag_seconds`
/// and `keyshare_staleness_seconds`.
#[derive(Debug)]
struct InformerMetrics {
    events: Counter,
    resyncs: Family<ResyncLabels, Counter>,
    lag: Gauge<f64, std::sync::atomic::AtomicU64>,
    staleness: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl InformerMetrics {
    fn register(registry: &mut Registry) -> Self {
        let events = Counter::default();
        registry.register(
            "log_events",
            "System Log events seen for the first time (after deduplication by uuid)",
            events.clone(),
        );
        let resyncs = Family::<ResyncLabels, Counter>::default();
        registry.register(
            "resyncs",
            "Full reads of the org, by reason (start, periodic, desired_changed, log_gap, log_error, log_forbidden, clock_jump, after_heal, read_error)",
            resyncs.clone(),
        );
        // Every reason shows from the start, so that an alert on its rate has a baseline.
        for reason in ResyncReason::ALL {
            resyncs
                .get_or_create(&ResyncLabels {
                    reason: reason.as_str(),
                })
                .inc_by(0);
        }
        let lag = Gauge::default();
        registry.register(
            "log_lag_seconds",
            "Of the new events of the latest System Log poll that found any: the longest time from an event's publication to the poll",
            lag.clone(),
        );
        let staleness = Gauge::default();
        registry.register(
            "staleness_seconds",
            "How long the live view went unconfirmed before the latest check: 0 after a full read, the time since the previous check after a System Log poll",
            staleness.clone(),
        );
        Self {
            events,
            resyncs,
            lag,
            staleness,
        }
    }
}

impl Metrics {
    /// Counts a full read of the org, for `reason`.
    pub fn resynced(&self, reason: ResyncReason) {
        self.informer
            .resyncs
            .get_or_create(&ResyncLabels {
                reason: reason.as_str(),
            })
            .inc();
        self.informer.staleness.set(0.0);
    }

    /// Records what a System Log poll learnt.
    pub fn log_polled(&self, absorbed: &Absorbed) {
        self.informer.events.inc_by(absorbed.new_events);
        if let Some(lag) = absorbed.lag {
            self.informer.lag.set(lag.as_secs_f64());
        }
        self.informer
            .staleness
            .set(absorbed.staleness.as_secs_f64());
    }
}

// Staged rotation: where each group with `stageBefore` stands, and when its apps switch.

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    group: String,
    phase: &'static str,
}

/// `keyshare_group_phase{group,phase}` and `keyshare_group_switch_timestamp_seconds{group}`.
#[derive(Debug)]
struct StagingMetrics {
    phase: Family<PhaseLabels, Gauge>,
    switch_at: Family<GroupNameLabels, Gauge>,
}

/// Every phase's label, so that each staging group shows all of them (one at 1): an alert
/// can then compare a phase with 0 rather than with a missing series.
const PHASES: [&str; 5] = ["in_sync", "staging_due", "staged", "switch_due", "overdue"];

impl StagingMetrics {
    fn register(registry: &mut Registry) -> Self {
        let phase = Family::<PhaseLabels, Gauge>::default();
        registry.register(
            "group_phase",
            "Per group with stageBefore: 1 for its staged-rotation phase (in_sync, staging_due, staged, switch_due, overdue), 0 for the others",
            phase.clone(),
        );
        let switch_at = Family::<GroupNameLabels, Gauge>::default();
        registry.register(
            "group_switch_timestamp_seconds",
            "Per group whose next key is staged or being staged: when its apps switch to it, as a Unix timestamp",
            switch_at.clone(),
        );
        Self { phase, switch_at }
    }

    /// Replaces both families with `observation`'s groups that stage.
    fn observe(&self, observation: &Observation) {
        self.phase.clear();
        self.switch_at.clear();
        for (group, status) in &observation.groups {
            let Some(phase) = &status.phase else { continue };
            let (current, switch_at) = match phase {
                Phase::InSync => ("in_sync", None),
                Phase::StagingDue { switch_at, .. } => ("staging_due", Some(switch_at)),
                Phase::Staged { switch_at, .. } => ("staged", Some(switch_at)),
                Phase::SwitchDue { switch_at, .. } => ("switch_due", Some(switch_at)),
                Phase::Overdue { .. } => ("overdue", None),
            };
            for label in PHASES {
                let labels = PhaseLabels {
                    group: group.clone(),
                    phase: label,
                };
                self.phase
                    .get_or_create(&labels)
                    .set(i64::from(label == current));
            }
            if let Some(switch_at) = switch_at {
                let labels = GroupNameLabels {
                    group: group.clone(),
                };
                self.switch_at
                    .get_or_create(&labels)
                    .set(switch_at.as_second());
            }
        }
    }
}

/// The content type of [`Metrics::encode`].
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Which rate-limit figure a gauge shows.
#[derive(Debug, Clone, Copy)]
enum Reading {
    Remaining,
    Limit,
}

/// Reads the client's call counts at scrape time.
#[derive(Debug)]
struct ApiCollector {
    client: HttpClient,
}

impl Collector for ApiCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.client.stats();
        let requests = ConstCounter::new(0_u64);
        let mut family = encoder.encode_descriptor(
            "api_requests",
            "Okta API answers, by rate-limit bucket and HTTP status.",
            None,
            requests.metric_type(),
        )?;
        for (bucket, statuses) in &stats.statuses {
            for (status, count) in statuses {
                let labels = BucketStatusLabels {
                    bucket: bucket.as_str(),
                    status: status.to_string(),
                };
                ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
            }
        }
        let gauges = [
            (
                "api_rate_limit_remaining",
                "Requests left in the current rate-limit window, as Okta's latest answer reported.",
                Reading::Remaining,
            ),
            (
                "api_rate_limit_limit",
                "The bucket's requests per window, as Okta's latest answer reported.",
                Reading::Limit,
            ),
        ];
        for (name, help, reading) in gauges {
            let mut family = encoder.encode_descriptor(
                name,
                help,
                None,
                ConstGauge::new(0_i64).metric_type(),
            )?;
            for (bucket, s) in &stats.buckets {
                let value = match reading {
                    Reading::Remaining => s.remaining,
                    Reading::Limit => s.limit,
                };
                if let Some(v) = value {
                    let labels = BucketLabels {
                        bucket: bucket.as_str(),
                    };
                    ConstGauge::new(i64::from(v)).encode(family.encode_family(&labels)?)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::controller::status::{GroupStatus, Health, SyncStatus};
    use crate::okta::Kid;

    fn status(phase: Option<Phase>) -> GroupStatus {
        GroupStatus {
            sync: SyncStatus::Synced,
            health: Health::Healthy,
            key: None,
            drift: Vec::new(),
            suspended: false,
            phase,
        }
    }

    fn encode(registry: &Registry) -> Vec<String> {
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, registry).unwrap();
        let mut samples: Vec<String> = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .map(str::to_owned)
            .collect();
        samples.sort();
        samples
    }

    #[test]
    fn staging_groups_show_every_phase_and_their_switch_date() {
        let mut registry = Registry::default();
        let staging = StagingMetrics::register(&mut registry);
        let switch_at = Timestamp::from_second(1_800_000_000).unwrap();
        let staged = Phase::Staged {
            kid: Kid("k2".to_owned()),
            staged_at: Timestamp::from_second(1_790_000_000).unwrap(),
            switch_at,
        };
        let observation = Observation {
            groups: [
                ("finance".to_owned(), status(Some(staged))),
                ("hr".to_owned(), status(Some(Phase::InSync))),
                ("legacy".to_owned(), status(None)),
            ]
            .into(),
        };
        staging.observe(&observation);
        assert_eq!(
            encode(&registry),
            [
                r#"group_phase{group="finance",phase="in_sync"} 0"#,
                r#"group_phase{group="finance",phase="overdue"} 0"#,
                r#"group_phase{group="finance",phase="staged"} 1"#,
                r#"group_phase{group="finance",phase="staging_due"} 0"#,
                r#"group_phase{group="finance",phase="switch_due"} 0"#,
                r#"group_phase{group="hr",phase="in_sync"} 1"#,
                r#"group_phase{group="hr",phase="overdue"} 0"#,
                r#"group_phase{group="hr",phase="staged"} 0"#,
                r#"group_phase{group="hr",phase="staging_due"} 0"#,
                r#"group_phase{group="hr",phase="switch_due"} 0"#,
                r#"group_switch_timestamp_seconds{group="finance"} 1800000000"#,
            ]
        );
        // The switch done, the date goes, and a group that left takes its series along.
        let observation = Observation {
            groups: [("finance".to_owned(), status(Some(Phase::InSync)))].into(),
        };
        staging.observe(&observation);
        let samples = encode(&registry);
        assert!(samples.contains(&r#"group_phase{group="finance",phase="in_sync"} 1"#.to_owned()));
        assert!(
            !samples
                .iter()
                .any(|s| s.contains("hr") || s.contains("switch_timestamp"))
        );
    }
}
