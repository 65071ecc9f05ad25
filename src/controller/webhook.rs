//! Posting notifications to a webhook (`--notify-webhook`): one JSON object per event, with a
//! Slack-compatible `text` field.
//!
//! A webhook URL often carries its own credential (Slack's do), so the URL is never logged:
//! only its host is. A failed post is logged and dropped; it never stops reconciling.

use std::time::Duration;

use url::Url;

use super::alerts::Event;

/// How long one post may take.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

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

    /// Posts `event`; failures are logged, not returned.
    pub async fn post(&self, event: &Event) {
        let host = self.url.host_str().unwrap_or_default();
        let sent = self.http.post(self.url.clone()).json(event).send().await;
        match sent.map(|r| r.status()) {
            Ok(status) if status.is_success() => {
                tracing::debug!(host, event = ?event.event, "notification sent");
            }
            Ok(status) => {
                tracing::warn!(host, event = ?event.event, status = status.as_u16(), "the webhook refused a notification");
            }
            Err(e) => {
                // reqwest's error can contain the URL; strip it before logging.
                let detail = e.without_url().to_string();
                tracing::warn!(host, event = ?event.event, detail, "a notification could not be sent");
            }
        }
    }
}
