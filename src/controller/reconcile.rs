//! One reconcile, in kube-runtime's shape: `reconcile` looks at the current state of the files
//! and the org (never at what triggered it) and returns when to look again; `error_policy`
//! turns a failure into a retry delay.
//!
//! With self-heal a reconcile takes the org's apply lock before it reads, and holds it until
//! the check after healing, as `keyshare apply` holds it from planning to its last check: a
//! plan read while another writer runs would repeat that writer's work (a second generate).
//! It never waits for the lock; while another apply holds it, the reconcile only reports and
//! puts the heal off to the next reconcile.
//!
//! The stages are the reconcile layer's ([`crate::reconcile`]), as `keyshare apply` runs them:
//! observe (here followed through the System Log between full reads), plan, execute and
//! verify. After every heal the healed groups are verified as `apply` verifies them; a failed
//! check is logged, counted, and keeps `/readyz` not ready until a later reconcile checks the
//! same groups again and finds them converged.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;

use super::Settings;
use super::alerts::{Alerts, Event};
use super::desired::{DesiredSource, Reload};
use super::heal::heal;
use super::health::{DiskState, Readiness};
use super::hook::Inbox;
use super::informer::{Informer, Next, ResyncReason};
use super::metadata::Published;
use super::metrics::Metrics;
use super::status::{Observation, SyncStatus};
use super::webhook::{Notifier, QUEUE_CAPACITY, SHUTDOWN_GRACE};
use crate::apply::{ApplyError, ApplyReport, Executed, FetchError, LockError, OrgLock};
use crate::config::{ConfigError, DesiredState};
use crate::okta::http::HttpClient;
use crate::plan::{LiveSnapshot, Plan, PlanError};
use crate::reconcile::{self, Check, Quiet, Reads, observe};
use crate::render::{Command, RenderContext, Report};

/// The first retry delay after a failure; it doubles per failure up to the interval.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// How long reading the org may take before the log says why the loop is not reacting: a
/// burst of file changes costs one read each, and once keyshare's share of the rate limit is
/// spent, the next read waits for the window to end (a minute at Okta) without a word.
const SLOW_READ: Duration = Duration::from_secs(10);

/// Why a reconcile did not heal, as the log and `/readyz` say it.
const HEAL_DEFERRED: &str = "self-heal deferred: another keyshare apply against this org holds the apply lock; the next reconcile tries again";

/// What to do after a reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Reconcile again after this long, or sooner when a file changes. Requeueing is what
    /// makes the controller eventually consistent even when a file event is missed.
    Requeue(Duration),
    /// Reconciling is suspended (the suspend file exists): look again after this long.
    Suspended(Duration),
    /// A stop was requested; the loop ends.
    Stop,
}

/// Why a reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("the desired state in {dir} is not valid and no earlier valid one is known:\n{source}")]
    NoValidDesiredState {
        dir: String,
        #[source]
        source: ConfigError,
    },
    #[error(
        "the desired state in {dir} cannot be read and no earlier valid one is known; retrying:\n{source}"
    )]
    UnreadableDesiredState {
        dir: String,
        #[source]
        source: ConfigError,
    },
    #[error("cannot read the live state: {0}")]
    Fetch(#[source] Box<FetchError>),
    #[error("the desired state cannot be planned:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Plan(Vec<PlanError>),
    #[error("{0}; the next reconcile plans again from the live state")]
    Apply(#[source] Box<ApplyError>),
    #[error("{0}; self-heal applies only while holding it, so nothing was applied")]
    Lock(#[source] LockError),
}

/// Everything a reconcile reads and updates.
pub struct Context {
    client: HttpClient,
    source: DesiredSource,
    interval: Duration,
    self_heal: bool,
    lock_dir: PathBuf,
    reads: Reads,
    suspend_file: Option<PathBuf>,
    notifier: Option<Notifier>,
    stop: watch::Receiver<bool>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) readiness: Arc<Readiness>,
    published: Arc<Published>,
    alerts: Alerts,
    last: Observation,
    informer: Informer,
    pub(super) inbox: Option<Arc<Inbox>>,
    /// What the last check after a self-heal found not converged, checked again by every
    /// reconcile until it passes.
    unverified: Option<Check>,
}

/// A plan, what it was made from, and the status it gives.
struct Planned {
    plan: Plan,
    live: LiveSnapshot,
    observation: Observation,
}

impl Context {
    /// A context with nothing observed yet; a stop is requested through `stop`.
    pub fn new(
        settings: Settings,
        client: HttpClient,
        metrics: Arc<Metrics>,
        readiness: Arc<Readiness>,
        published: Arc<Published>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        // The debounce belongs to the file watch, which the loop owns.
        let Settings {
            dir,
            interval,
            self_heal,
            debounce: _,
            webhook,
            lock_dir,
            key_cache,
            resync,
            log_overlap,
            event_hook,
            suspend_file,
        } = settings;
        let notifier = webhook.map(|webhook| webhook.spawn(QUEUE_CAPACITY, metrics.clone()));
        Self {
            client,
            source: DesiredSource::new(dir),
            interval,
            self_heal,
            lock_dir,
            reads: Reads::cached(key_cache),
            suspend_file,
            notifier,
            stop,
            metrics,
            readiness,
            published,
            alerts: Alerts::default(),
            last: Observation::default(),
            informer: Informer::new(resync, log_overlap),
            inbox: event_hook.map(|_| Arc::new(Inbox::default())),
            unverified: None,
        }
    }

    /// Loads the desired state, reads the org, plans, and with `--self-heal` applies and
    /// verifies, holding the apply lock from the read to the check after healing; without the
    /// lock it only reports.
    pub async fn reconcile(&mut self) -> Result<Action, ReconcileError> {
        if self.suspended() {
            return Ok(Action::Suspended(self.interval));
        }
        let desired = self.load()?;
        let lock = if self.self_heal {
            self.try_lock()?
        } else {
            None
        };
        let Some(planned) = self.observe(&desired).await? else {
            return Ok(Action::Stop);
        };
        self.record(planned.observation);
        let plan = without_suspended(planned.plan, &desired);
        // Cleared only when not deferring again, so `/readyz` never flickers between the two.
        if plan.is_empty() || !self.self_heal {
            self.readiness.heal_deferred(None);
            if plan.is_empty() {
                // Nothing to heal: what an earlier check found failing is checked again.
                let nothing = ApplyReport::default();
                self.verify(&plan, &planned.live, &nothing, Check::default())
                    .await;
            }
            return Ok(Action::Requeue(self.interval));
        }
        let Some(_lock) = lock else {
            self.defer_heal();
            return Ok(Action::Requeue(self.interval));
        };
        self.readiness.heal_deferred(None);
        let healed = heal(&self.client, &plan, &planned.live, &self.stop).await;
        // The log may not show the heal's writes yet (its lag): the kept snapshot is read
        // again in full rather than trusted, whatever the heal did.
        self.informer.force(ResyncReason::AfterHeal);
        match healed {
            Ok(Executed::Finished(report)) => {
                self.metrics.healed_steps(plan.steps.len());
                tracing::info!(%report, "self-heal applied the plan");
                self.alerts.apply_succeeded();
                self.verify(&plan, &planned.live, &report, Check::of(&plan))
                    .await;
            }
            Ok(Executed::Stopped { done, total, .. }) => {
                self.metrics.healed_steps(done);
                tracing::warn!(
                    done,
                    total,
                    "stopping: self-heal ended after a finished step; the next run resumes from the live state"
                );
                return Ok(Action::Stop);
            }
            Err(error) => {
                let org = self.client.org_url().to_string();
                let event = self
                    .alerts
                    .apply_failed(&org, &error.to_string(), Timestamp::now());
                self.notify(event);
                return Err(ReconcileError::Apply(Box::new(error)));
            }
        }
        let Some(after) = self.observe(&desired).await? else {
            return Ok(Action::Stop);
        };
        self.record(after.observation);
        Ok(Action::Requeue(self.interval))
    }

    /// Verifies the groups `check` covers and those an earlier check found failing, as
    /// `keyshare apply` verifies after its steps (`report` names the keys the heal generated);
    /// says what it found in the log, the metrics and `/readyz`.
    async fn verify(
        &mut self,
        plan: &Plan,
        live: &LiveSnapshot,
        report: &ApplyReport,
        check: Check,
    ) {
        let check = match self.unverified.take() {
            Some(failing) => failing.and(check),
            None => check,
        };
        if check.is_empty() {
            return;
        }
        match reconcile::verify::verify(&self.client, plan, live, report, &check).await {
            Ok(verified) => {
                for group in &verified {
                    tracing::info!(
                        group = group.group,
                        kid = %group.kid,
                        apps = group.apps.len(),
                        saml_apps = group.saml_apps,
                        "verified"
                    );
                }
                self.metrics.verified();
                self.readiness.unverified(None);
            }
            Err(error) => {
                let group = error.group().to_owned();
                let (expected, found) = error.mismatch().unzip();
                // Counted before it is said, so that a reader of the log finds it in the metrics.
                self.metrics.verify_failed(&group);
                tracing::error!(
                    group,
                    app = error.app().map(|app| app.0.as_str()),
                    expected,
                    found,
                    error = %error,
                    "self-heal did not verify"
                );
                self.readiness.unverified(Some(format!(
                    "the check after self-heal found group `{group}` not converged: {error}"
                )));
                self.unverified = Some(check);
            }
        }
    }

    /// Whether the suspend file exists; says so in the metrics, `/readyz` and, when it
    /// changes, the log.
    fn suspended(&self) -> bool {
        let file = self.suspend_file.as_ref().filter(|file| file.exists());
        let was = self.readiness.is_suspended();
        match file {
            Some(file) => {
                let why = format!("reconciling is suspended while {} exists", file.display());
                if !was {
                    tracing::warn!(
                        file = %file.display(),
                        "reconciling is suspended while the suspend file exists; nothing is read or applied until it is removed"
                    );
                }
                self.metrics.suspended(true);
                self.readiness.suspended(Some(why));
                true
            }
            None => {
                if was {
                    tracing::info!("the suspend file is gone; reconciling again");
                }
                self.metrics.suspended(false);
                self.readiness.suspended(None);
                false
            }
        }
    }

    /// What to do after `error`, the `failures`th in a row.
    pub fn error_policy(&mut self, error: &ReconcileError, failures: u32) -> Action {
        if let (ReconcileError::Fetch(_), Some(desired)) = (error, self.source.last_good()) {
            let unknown = Observation::unknown(desired, &self.last);
            self.metrics.observe(&unknown);
            self.last = unknown;
        }
        match error {
            // Retrying cannot fix a file; the file watch reloads as soon as it changes.
            ReconcileError::NoValidDesiredState { .. } | ReconcileError::Plan(_) => {
                Action::Requeue(self.interval)
            }
            // An I/O error (out of file descriptors, a volume remounting) may pass by itself.
            ReconcileError::UnreadableDesiredState { .. }
            | ReconcileError::Fetch(_)
            | ReconcileError::Apply(_)
            | ReconcileError::Lock(_) => {
                let doubling = FIRST_RETRY.saturating_mul(1 << failures.saturating_sub(1).min(20));
                Action::Requeue(doubling.min(self.interval))
            }
        }
    }

    /// The org's apply lock, or `None` while another writer holds it.
    fn try_lock(&self) -> Result<Option<OrgLock>, ReconcileError> {
        OrgLock::try_acquire(&self.lock_dir, self.client.org_url()).map_err(ReconcileError::Lock)
    }

    /// Says why this reconcile does not heal: in the log, the metrics and `/readyz`.
    fn defer_heal(&self) {
        let lock = OrgLock::path(&self.lock_dir, self.client.org_url());
        // Counted before it is said, so that a reader of the log finds it in the metrics.
        self.metrics.heal_deferred();
        tracing::warn!(lock = %lock.display(), "{HEAL_DEFERRED}");
        self.readiness
            .heal_deferred(Some(format!("{HEAL_DEFERRED} (lock {})", lock.display())));
    }

    /// Re-reads the files; keeps the last good state when they are invalid.
    fn load(&mut self) -> Result<DesiredState, ReconcileError> {
        let dir = self.source.dir().display().to_string();
        let reload = self.source.reload();
        let disk = match &reload {
            Reload::Valid { .. } => DiskState::Valid,
            Reload::Invalid { error, .. } if error.is_unreadable() => DiskState::Unreadable,
            Reload::Invalid { .. } => DiskState::Invalid,
        };
        self.readiness.desired_state(disk);
        self.metrics.desired_state_valid(disk == DiskState::Valid);
        match reload {
            Reload::Valid { desired, changed } => {
                if changed {
                    tracing::info!(
                        dir,
                        groups = desired.groups.len(),
                        digest = desired.digest,
                        "desired state loaded"
                    );
                }
                Ok(desired.clone())
            }
            Reload::Invalid {
                error,
                kept: Some(kept),
            } => {
                if disk == DiskState::Unreadable {
                    tracing::error!(dir, error = %error, "the desired state cannot be read; keeping the last valid one");
                } else {
                    tracing::error!(dir, error = %error, "the desired state is not valid; keeping the last valid one");
                }
                Ok(kept.clone())
            }
            Reload::Invalid { error, kept: None } if disk == DiskState::Unreadable => {
                Err(ReconcileError::UnreadableDesiredState { dir, source: error })
            }
            Reload::Invalid { error, kept: None } => {
                Err(ReconcileError::NoValidDesiredState { dir, source: error })
            }
        }
    }

    /// Reads the org and plans; `None` when a stop was requested meanwhile (a read can be
    /// abandoned at any point: it changes nothing).
    async fn observe(&mut self, desired: &DesiredState) -> Result<Option<Planned>, ReconcileError> {
        let now = Timestamp::now();
        let mut stop = self.stop.clone();
        // The read borrows the context until the end.
        let published = self.published.clone();
        let read = self.read_live(desired, now);
        tokio::pin!(read);
        let slow = tokio::time::sleep(SLOW_READ);
        tokio::pin!(slow);
        let mut said_slow = false;
        let live = loop {
            tokio::select! {
                live = &mut read => break live?,
                _ = stop.wait_for(|stop| *stop) => return Ok(None),
                () = &mut slow, if !said_slow => {
                    said_slow = true;
                    tracing::warn!(
                        waited_s = SLOW_READ.as_secs(),
                        "reading the org is slow: keyshare is waiting for room in Okta's rate limit (keyshare_api_rate_limit_remaining) or for Okta's answers; changes to the files made meanwhile are read when this reconcile ends"
                    );
                }
            }
        };
        let reconcile::Planned { live, plan } =
            reconcile::plan(desired, live, now).map_err(ReconcileError::Plan)?;
        let sentences = sentences(&plan, &live);
        let observation = Observation::of(desired, &plan, &sentences, now);
        published.set(&plan, &live);
        Ok(Some(Planned {
            plan,
            live,
            observation,
        }))
    }

    /// The live snapshot for planning `desired` at `now`: the kept one, brought up to date from
    /// the System Log, or a full read when one is due or the log cannot be trusted.
    ///
    /// Reads go through the org's key-metadata cache, as `plan` and `drift` do
    /// ([`Reads`]): a kid's metadata never changes, so each check spares the key lists of
    /// sources whose key is known, and the org's app count picks the cheapest way to read
    /// apps. The file is read per check, so what a `keyshare apply` learnt meanwhile is used
    /// too.
    async fn read_live(
        &mut self,
        desired: &DesiredState,
        now: Timestamp,
    ) -> Result<LiveSnapshot, ReconcileError> {
        let mono = tokio::time::Instant::now();
        // Taken on every path: a full read covers whatever was pushed.
        let pushed = self
            .inbox
            .as_ref()
            .map(|inbox| inbox.take())
            .unwrap_or_default();
        let reason = match self.informer.next(&desired.digest, now, mono) {
            Next::Resync(reason) => reason,
            Next::Poll(query) => match observe::system_log(&self.client, &query).await {
                Err(error) => {
                    let reason = ResyncReason::of_log_error(&error);
                    tracing::warn!(%error, %reason, "the System Log cannot be read; reading the whole org instead");
                    reason
                }
                Ok(read) => match self.informer.absorb(&read, pushed, desired, now, mono) {
                    Err(reason) => reason,
                    Ok(absorbed) => {
                        self.metrics.log_polled(&absorbed);
                        if !absorbed.changed.is_empty() {
                            tracing::info!(
                                apps = absorbed.changed.len(),
                                events = absorbed.new_events,
                                "the System Log or an Event Hook names managed apps; reading them again"
                            );
                        }
                        let live = self
                            .informer
                            .live_mut()
                            .expect("a poll is only asked for with a kept snapshot");
                        let refreshed = self
                            .reads
                            .refresh(&self.client, desired, now, live, absorbed.changed)
                            .await;
                        let live = live.clone();
                        if let Err(error) = refreshed {
                            // The cursor moved past the events: only a full read can catch up.
                            self.informer.force(ResyncReason::ReadError);
                            return Err(ReconcileError::Fetch(Box::new(error)));
                        }
                        return Ok(live);
                    }
                },
            },
        };
        tracing::info!(%reason, "reading the whole org");
        self.metrics.resynced(reason);
        let fetched = self
            .reads
            .read(&self.client, desired, now, &Quiet)
            .await
            .map_err(|e| ReconcileError::Fetch(Box::new(e)))?;
        self.informer
            .resynced(fetched.live.clone(), &desired.digest, now, mono);
        Ok(fetched.live)
    }

    /// Publishes an observation: metrics, logs, notifications. Metrics come first, so that a
    /// reader of the log finds them up to date.
    fn record(&mut self, observation: Observation) {
        self.metrics.observe(&observation);
        for (group, status) in &observation.groups {
            if status.sync == SyncStatus::OutOfSync {
                tracing::warn!(group, steps = status.drift.join("; "), "group out of sync");
            }
        }
        tracing::info!(
            groups = observation.groups.len(),
            in_sync = observation.all_synced(),
            "reconciled"
        );
        let org = self.client.org_url().to_string();
        self.readiness.suspended_groups(
            observation
                .suspended()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        );
        for event in self.alerts.observe(&org, &observation, Timestamp::now()) {
            self.notify(Some(event));
        }
        self.last = observation;
    }

    /// Queues `event` for the webhook, if there is one; never waits for it.
    fn notify(&self, event: Option<Event>) {
        if let (Some(notifier), Some(event)) = (&self.notifier, event) {
            notifier.send(event);
        }
    }

    /// Ends the controller's work: notifications still queued get a short grace to go out.
    pub async fn close(self) {
        if let Some(notifier) = self.notifier {
            notifier.close(SHUTDOWN_GRACE).await;
        }
    }
}

/// `plan` without the steps of suspended groups: those are reported, never healed. Steps of
/// one group never depend on another's, so the rest stays a valid plan.
fn without_suspended(mut plan: Plan, desired: &DesiredState) -> Plan {
    let suspended: Vec<&str> = desired
        .groups
        .iter()
        .filter(|g| g.suspended)
        .map(|g| g.name.as_str())
        .collect();
    if !suspended.is_empty() {
        tracing::info!(
            groups = suspended.join(", "),
            "not healing suspended groups"
        );
        plan.steps.retain(|step| !suspended.contains(&step.group()));
    }
    plan
}

/// Each step of `plan` in words, as `plan` prints it.
fn sentences(plan: &Plan, live: &LiveSnapshot) -> Vec<String> {
    Report::new(plan, &RenderContext { snapshot: live }, Command::Drift)
        .steps
        .iter()
        .map(|step| step.sentence())
        .collect()
}
