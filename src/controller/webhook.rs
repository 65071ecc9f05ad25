//! Posting notifications to a webhook (`--notify-webhook`): one JSON object per event, with a
//! Slack-compatible `text` field.
//!
//! Posts never run inside the reconcile loop: a webhook that hangs would otherwise hold every
//! reconcile, and so every heal and the shutdown, for as long as its posts take. Events go
//! into a bounded queue served by a task of their own ([`Notifier`]); when the queue is full
//! the event is dropped, and every event that is not delivered (queue full, post failed, still
//! queued at shutdown) is counted in `keyshare_webhook_dropped_total`. Shutdown waits for the
//! queue only briefly ([`SHUTDOWN_GRACE`]).
//!
//! A webhook URL often carries its own credential (Slack's do), so the URL is never logged:
//! only its host is.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use super::alerts::Event;
use super::metrics::{DropReason, Metrics};

/// How long one post may take, connecting included.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// How many events may wait for delivery. Far more than one reconcile produces (a few per
/// group that changed state), so only a webhook that stays down for many reconciles loses any.
pub const QUEUE_CAPACITY: usize = 256;

/// How long a stopping controller waits for queued notifications before dropping them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Where events go.
#[derive(Clone)]
pub struct Webhook {
    url: Url,
    http: reqwest::Client,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("host", &self.url.host_str())
            .finish_non_exhaustive()
    }
}

/// Why a webhook cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook URL (--notify-webhook) must use http:// or https://")]
    Scheme,
    #[error("the webhook client could not be built: {0}")]
    Client(#[source] reqwest::Error),
}

impl Webhook {
    /// A webhook posting to `url`.
    pub fn new(url: Url) -> Result<Self, WebhookError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(WebhookError::Scheme);
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("keyshare/", env!("CARGO_PKG_VERSION")))
            .timeout(POST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(WebhookError::Client)?;
        Ok(Self { url, http })
    }

    /// Starts delivering to this webhook from a queue of `capacity` events; drops are counted
    /// in `metrics`.
    pub(super) fn spawn(self, capacity: usize, metrics: Arc<Metrics>) -> Notifier {
        let (queue, mut events) = mpsc::channel::<Event>(capacity);
        let pending = Arc::new(AtomicU64::new(0));
        let delivered = pending.clone();
        let counter = metrics.clone();
        let task = tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if !self.post(&event).await {
                    counter.webhook_dropped(DropReason::Failed);
                }
                delivered.fetch_sub(1, Ordering::Relaxed);
            }
        });
        Notifier {
            queue,
            task,
            pending,
            metrics,
        }
    }

    /// Posts `event`; whether the webhook accepted it. Failures are logged here.
    async fn post(&self, event: &Event) -> bool {
        let host = self.url.host_str().unwrap_or_default();
        let sent = self.http.post(self.url.clone()).json(event).send().await;
        match sent.map(|r| r.status()) {
            Ok(status) if status.is_success() => {
                tracing::debug!(host, event = ?event.event, "notification sent");
                true
            }
            Ok(status) => {
                tracing::warn!(host, event = ?event.event, status = status.as_u16(), "the webhook refused a notification");
                false
            }
            Err(e) => {
                // reqwest's error can contain the URL; strip it before logging.
                let detail = e.without_url().to_string();
                tracing::warn!(host, event = ?event.event, detail, "a notification could not be sent");
                false
            }
        }
    }
}

/// The queue in front of a webhook and the task that serves it.
pub struct Notifier {
    queue: mpsc::Sender<Event>,
    task: JoinHandle<()>,
    /// Events queued or being posted.
    pending: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
}

impl Notifier {
    /// Queues `event` without waiting; drops it, counted and logged, when the queue is full.
    pub fn send(&self, event: Event) {
        self.pending.fetch_add(1, Ordering::Relaxed);
        if let Err(refused) = self.queue.try_send(event) {
            self.pending.fetch_sub(1, Ordering::Relaxed);
            self.metrics.webhook_dropped(DropReason::QueueFull);
            let event = match &refused {
                mpsc::error::TrySendError::Full(e) | mpsc::error::TrySendError::Closed(e) => e,
            };
            tracing::warn!(event = ?event.event, capacity = self.queue.max_capacity(), "notification dropped: the webhook is not keeping up and its queue is full");
        }
    }

    /// Lets queued notifications go out for at most `grace`, then drops the rest, counted and
    /// logged.
    pub async fn close(self, grace: Duration) {
        let Self {
            queue,
            mut task,
            pending,
            metrics,
        } = self;
        drop(queue);
        if tokio::time::timeout(grace, &mut task).await.is_ok() {
            return;
        }
        task.abort();
        let unsent = pending.load(Ordering::Relaxed);
        metrics.webhook_dropped_many(DropReason::Shutdown, unsent);
        tracing::warn!(
            unsent,
            grace_s = grace.as_secs_f64(),
            "stopping without the notifications still queued: the webhook did not take them in time"
        );
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::*;
    use crate::controller::alerts::Alerts;
    use crate::okta::http::{Auth, ClientSettings, HttpClient, Secret};

    fn event(n: usize) -> Event {
        Alerts::default()
            .apply_failed(&format!("org{n}"), "boom", jiff::Timestamp::UNIX_EPOCH)
            .unwrap()
    }

    /// A webhook that accepts connections and never answers.
    async fn silent_webhook() -> (TcpListener, Webhook) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        (listener, Webhook::new(Url::parse(&url).unwrap()).unwrap())
    }

    fn metrics() -> Arc<Metrics> {
        let org = Url::parse("http://127.0.0.1:9/").unwrap();
        let settings = ClientSettings::new(org, Auth::Ssws(Secret::new("unused")));
        Arc::new(Metrics::new(&HttpClient::new(settings).unwrap()))
    }

    #[tokio::test]
    async fn a_silent_webhook_never_blocks_a_sender_and_drops_are_counted() {
        let (_listener, webhook) = silent_webhook().await;
        let metrics = metrics();
        let notifier = webhook.spawn(2, metrics.clone());
        let started = std::time::Instant::now();
        // One is taken by the task and hangs in its post, two wait, the rest find it full.
        for n in 0..6 {
            notifier.send(event(n));
            tokio::task::yield_now().await;
        }
        assert!(
            started.elapsed() < POST_TIMEOUT,
            "sending never waits for the webhook"
        );
        let text = metrics.encode().unwrap();
        assert!(
            text.contains(r#"keyshare_webhook_dropped_total{reason="queue_full"} 3"#),
            "{text}"
        );

        let started = std::time::Instant::now();
        notifier.close(Duration::from_millis(200)).await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "closing is bounded"
        );
        let text = metrics.encode().unwrap();
        assert!(
            text.contains(r#"keyshare_webhook_dropped_total{reason="shutdown"} 3"#),
            "{text}"
        );
    }
}
