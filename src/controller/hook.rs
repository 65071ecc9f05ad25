//! Okta Event Hooks, an optional push beside the System Log poll: `watch --event-hook-path`
//! serves the path on the controller's listener, answers Okta's one-time verification, and
//! turns each delivery that names an app with an event type that can change a plan into
//! "read these apps again, now".
//!
//! A push only shortens the wait: it never replaces the poll (a delivery may be lost, and
//! Okta does not retry forever), and it never carries meaning beyond "look again at these
//! apps". Every request must carry the shared `Authorization` value configured in Okta; the
//! value is never logged and compared without an early exit.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::informer::EVENT_TYPES;
use crate::okta::http::Secret;
use crate::okta::{AppId, LogEvent};

/// The header of Okta's one-time verification request.
const CHALLENGE: &str = "x-okta-verification-challenge";

/// Where Event Hooks are served and the `Authorization` value Okta is configured to send.
#[derive(Debug, Clone)]
pub struct EventHook {
    /// The path, e.g. `/okta/events`.
    pub path: String,
    /// The exact `Authorization` header value.
    pub secret: Secret,
}

/// Apps pushed since the last check, and the signal that some arrived.
#[derive(Debug, Default)]
pub struct Inbox {
    apps: Mutex<BTreeSet<AppId>>,
    arrived: Notify,
}

impl Inbox {
    /// The apps pushed since the last call.
    pub fn take(&self) -> BTreeSet<AppId> {
        std::mem::take(&mut *self.lock())
    }

    /// Waits until a push names an app.
    pub async fn arrived(&self) {
        self.arrived.notified().await;
    }

    fn push(&self, apps: impl IntoIterator<Item = AppId>) {
        let mut pending = self.lock();
        let before = pending.len();
        pending.extend(apps);
        if pending.len() > before {
            // A permit is kept when no one waits yet, so a push during a check is not lost.
            self.arrived.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<AppId>> {
        // Every change is one extend or take; a poisoned set is still a set.
        self.apps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Clone)]
struct Shared {
    secret: Secret,
    inbox: Arc<Inbox>,
}

/// The hook's route on the controller's listener.
pub fn router(hook: &EventHook, inbox: Arc<Inbox>) -> Router {
    Router::new()
        .route(&hook.path, get(verify).post(deliver))
        .with_state(Shared {
            secret: hook.secret.clone(),
            inbox,
        })
}

/// Okta's one-time verification: echo the challenge as `{"verification": …}`.
async fn verify(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&shared.secret, &headers) {
        return unauthorized();
    }
    let Some(challenge) = headers.get(CHALLENGE).and_then(|v| v.to_str().ok()) else {
        return (
            StatusCode::BAD_REQUEST,
            "no X-Okta-Verification-Challenge header\n",
        )
            .into_response();
    };
    tracing::info!("answered Okta's Event Hook verification");
    axum::Json(json!({ "verification": challenge })).into_response()
}

/// A delivery: the apps its relevant events name go to the next check, which starts at once.
async fn deliver(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&shared.secret, &headers) {
        return unauthorized();
    }
    let Ok(delivery) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON\n").into_response();
    };
    let events = delivery["data"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let apps: BTreeSet<AppId> = events
        .into_iter()
        .filter_map(|event| serde_json::from_value::<LogEvent>(event).ok())
        .filter(|event| EVENT_TYPES.contains(&event.event_type.as_str()))
        .flat_map(|event| event.app_ids().collect::<Vec<_>>())
        .collect();
    if !apps.is_empty() {
        tracing::info!(
            apps = apps.len(),
            "an Event Hook named apps; checking them now"
        );
        shared.inbox.push(apps);
    }
    // Okta expects a quick 200 and retries otherwise; the check runs after the answer.
    StatusCode::OK.into_response()
}

/// Whether `headers` carry exactly the configured `Authorization` value.
fn authorized(secret: &Secret, headers: &HeaderMap) -> bool {
    let Some(sent) = headers.get(header::AUTHORIZATION) else {
        return false;
    };
    let (sent, expected) = (sent.as_bytes(), secret.expose().as_bytes());
    // No early exit on the first differing byte: the time taken says nothing of the secret.
    sent.len() == expected.len()
        && sent
            .iter()
            .zip(expected)
            .fold(0_u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, "unauthorized\n").into_response()
}
