//! The controller behind `keyshare watch`: a level-triggered reconcile loop in kube-runtime's
//! shape, with Prometheus metrics, health endpoints and webhook notifications.
//! docs/controller.md is the user guide.
//!
//! File events and a periodic timer both mean "reconcile everything"; every reconcile re-reads
//! the whole desired state and observes the live org, so a missed or merged event costs at
//! most one interval. The org is read in full at start and every `--resync`; in between, each
//! check follows Okta's System Log and reads again only the managed apps it names. Read-only unless self-heal is on. Never interrupts a step of an apply: a stop
//! request is honoured between steps. Never applies without the org's apply lock
//! ([`OrgLock`](crate::apply::OrgLock)), and never waits for it: while `keyshare apply` holds
//! it, the heal is put off to the next reconcile.
//!
//! # Layout
//! - `desired`: the desired state re-read per reconcile, the last valid one kept.
//! - `files`: debounced file events as "look again" signals, from a watch that never goes
//!   blind.
//! - `reconcile`: one reconcile (the reconcile layer's observe, plan, execute and verify) and its
//!   error policy.
//! - `informer`: when to read the whole org and when the System Log is enough; the live
//!   snapshot kept between checks.
//! - `heal`: applying a plan through the reconcile layer's execute stage, stoppable between
//!   steps.
//! - `status`: per-group sync status, health and key expiry, derived from a plan.
//! - `alerts`, `webhook`: which notifications a change calls for, and posting them from a
//!   queue of their own, outside the loop.
//! - `hook`: Okta Event Hooks (`--event-hook-path`), a push that starts a check at once.
//! - `metrics`, `process`, `health`, `server`: `/metrics` (the process series from `/proc`),
//!   `/healthz`, `/readyz`.
//! - `metadata`: `/metadata/{appId}`, a managed app's IdP metadata with the staged certificate.
//!
//! # Suspending
//! A group whose YAML says `metadata.annotations: {keyshare.io/suspend: "true"}` is still
//! observed (metrics, `/readyz`) but never healed and never notified about. While the file
//! named by `--suspend-file` exists, no reconcile reads or changes the org at all.

mod alerts;
mod desired;
mod files;
mod heal;
mod health;
mod hook;
mod informer;
mod metadata;
mod metrics;
mod process;
mod reconcile;
mod server;
mod status;
mod webhook;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;

pub use hook::EventHook;
pub use webhook::{Webhook, WebhookError};

use files::FileWatch;
use health::Readiness;
use metadata::Published;
use metrics::{Metrics, ReconcileResult};
use reconcile::{Action, Context};

use crate::okta::http::HttpClient;

/// How the controller runs.
#[derive(Debug)]
pub struct Settings {
    /// The desired-state directory.
    pub dir: PathBuf,
    /// The longest time between two reconciles.
    pub interval: Duration,
    /// Apply plans, rather than only report them.
    pub self_heal: bool,
    /// File events closer together than this become one reload.
    ///
    /// # Warning
    /// Events keep arriving while a tree is being rewritten; a long debounce delays the
    /// reload for as long as they do. The interval still reloads regardless.
    pub debounce: Duration,
    /// Where notifications go, if anywhere.
    pub webhook: Option<Webhook>,
    /// The directory of the org's apply lock, the one `keyshare apply` uses: self-heal takes
    /// the lock around each apply, and puts the heal off while another writer holds it.
    pub lock_dir: PathBuf,
    /// The org's key-metadata cache file, the one `plan` and `drift` use; none when the cache
    /// is off (`--no-key-cache`).
    pub key_cache: Option<PathBuf>,
    /// The longest time between two full reads of the org; between them the System Log
    /// tells what changed.
    pub resync: Duration,
    /// How far before its last event the System Log is asked again: the largest lag of the
    /// log (an event appearing after later ones) that costs no missed change.
    pub log_overlap: Duration,
    /// Where Okta Event Hooks are received, if anywhere: a push starts a check at once.
    pub event_hook: Option<EventHook>,
    /// While this file exists, reconciling is suspended: nothing is read or applied.
    pub suspend_file: Option<PathBuf>,
}

/// Why the controller could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot watch {dir} for changes: {source}")]
    Watch {
        dir: String,
        #[source]
        source: notify::Error,
    },
}

/// Runs the controller until `stop` turns true: serves `/metrics`, `/healthz`, `/readyz` and
/// `/metadata/{appId}` on `listener`, and reconciles `settings.dir` against `client`'s org on every file change
/// and every interval. A running apply finishes its current step first.
pub async fn run(
    settings: Settings,
    client: HttpClient,
    listener: TcpListener,
    stop: watch::Receiver<bool>,
) -> Result<(), StartError> {
    let mut files =
        FileWatch::start(&settings.dir, settings.debounce).map_err(|source| StartError::Watch {
            dir: settings.dir.display().to_string(),
            source,
        })?;
    let metrics = Arc::new(Metrics::new(&client));
    let readiness = Arc::new(Readiness::default());
    let hook = settings.event_hook.clone();
    let published = Arc::new(Published::default());
    let mut router = server::router(metrics.clone(), readiness.clone())
        .merge(metadata::router(published.clone(), client.clone()));
    let ctx = Context::new(
        settings,
        client,
        metrics,
        readiness,
        published,
        stop.clone(),
    );
    if let (Some(hook), Some(inbox)) = (&hook, &ctx.inbox) {
        router = router.merge(hook::router(hook, inbox.clone()));
    }
    let server = tokio::spawn(server::serve(listener, router, stop.clone()));
    let mut ctx = ctx;
    run_loop(&mut ctx, &mut files, stop).await;
    let ((), _) = tokio::join!(ctx.close(), server);
    Ok(())
}

/// Reconciles now, then whenever a file changes or the requeue delay has passed.
async fn run_loop(ctx: &mut Context, files: &mut FileWatch, mut stop: watch::Receiver<bool>) {
    let mut failures = 0_u32;
    loop {
        let started = std::time::Instant::now();
        // Metrics first, readiness last: whoever sees `/readyz` change finds the metrics of
        // the same reconcile.
        let action = match ctx.reconcile().await {
            // Not a reconcile: nothing is counted, and readiness keeps what the last one said.
            Ok(Action::Suspended(delay)) => Action::Requeue(delay),
            Ok(action) => {
                failures = 0;
                ctx.metrics
                    .reconciled(ReconcileResult::Success, started.elapsed());
                ctx.metrics
                    .reconcile_succeeded_at(jiff::Timestamp::now().as_second());
                ctx.readiness.reconciled(Ok(()));
                action
            }
            Err(error) => {
                failures += 1;
                tracing::error!(error = %error, failures, "reconcile failed");
                ctx.metrics
                    .reconciled(ReconcileResult::Error, started.elapsed());
                let action = ctx.error_policy(&error, failures);
                ctx.readiness.reconciled(Err(error.to_string()));
                action
            }
        };
        let Action::Requeue(delay) = action else {
            return;
        };
        tracing::debug!(delay_ms = delay.as_millis(), "next reconcile");
        let inbox = ctx.inbox.clone();
        let pushed = async {
            match &inbox {
                Some(inbox) => inbox.arrived().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => return,
            () = files.changed() => tracing::info!("files changed under the desired-state directory"),
            () = pushed => {}
            () = tokio::time::sleep_until(Instant::now() + delay) => {}
        }
    }
}
