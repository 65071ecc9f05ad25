//! Event Hooks: `POST /__sim/event-hooks` registers a URL after Okta's one-time verification
//! (a GET carrying `X-Okta-Verification-Challenge`, answered with `{"verification": …}`), and
//! every System Log event is then POSTed to it as Okta delivers hooks. Delivery is best effort,
//! once, off the request that caused it, as Okta's is asynchronous. Shapes in docs/simulator.md.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ids;

/// How long the verification and each delivery may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A hook as registered. Its `Debug` form leaves the authorization value out.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HookSpec {
    /// Where events are POSTed.
    pub url: String,
    /// The `Authorization` header value sent with every request.
    pub authorization: String,
}

impl std::fmt::Debug for HookSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookSpec")
            .field("url", &self.url)
            .field("authorization", &"<redacted>")
            .finish()
    }
}

/// The org's verified hooks.
#[derive(Default)]
pub struct Hooks {
    verified: Mutex<Vec<HookSpec>>,
}

impl Hooks {
    /// Verifies `spec` as Okta does and registers it; the reason when verification fails.
    pub async fn register(&self, spec: HookSpec) -> Result<(), String> {
        let challenge = ids::secret();
        let answer = client()
            .get(&spec.url)
            .header("authorization", &spec.authorization)
            .header("x-okta-verification-challenge", &challenge)
            .send()
            .await
            .map_err(|e| format!("verification request failed: {e}"))?;
        let status = answer.status();
        let body: Value = answer
            .json()
            .await
            .map_err(|e| format!("verification answer ({status}) is not JSON: {e}"))?;
        if !status.is_success() || body["verification"] != challenge.as_str() {
            return Err(format!("verification failed: {status} {body}"));
        }
        self.lock().push(spec);
        Ok(())
    }

    /// Delivers `event` to every verified hook, in the background, as the hook event
    /// `event_id`.
    pub fn deliver(&self, event: &Value, event_id: String) {
        let hooks = self.lock().clone();
        if hooks.is_empty() {
            return;
        }
        let body = json!({
            "eventType": "com.okta.event_hook",
            "eventTypeVersion": "1.0",
            "cloudEventsVersion": "0.1",
            "source": "https://simulator/api/v1/eventHooks",
            "eventId": event_id,
            "eventTime": event["published"],
            "contentType": "application/json",
            "data": { "events": [event] },
        });
        for hook in hooks {
            let body = body.clone();
            tokio::spawn(async move {
                // Best effort, like Okta's: a failed delivery is not the writer's failure.
                let _ = client()
                    .post(&hook.url)
                    .header("authorization", &hook.authorization)
                    .json(&body)
                    .send()
                    .await;
            });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<HookSpec>> {
        self.verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .no_proxy()
        .build()
        .expect("a plain HTTP client builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_form_never_shows_the_authorization() {
        let spec = HookSpec {
            url: "http://127.0.0.1:1/hook".into(),
            authorization: "Bearer s3cret".into(),
        };
        let shown = format!("{spec:?}");
        assert!(
            shown.contains("127.0.0.1:1/hook") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
