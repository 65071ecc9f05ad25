//! `/__sim/`: the simulator's own routes for tests. They need no token and are exempt from
//! rate limits and injected faults; they are never under `/api`. Shapes in docs/simulator.md.
//!
//! - `GET /__sim/state`: the whole org, every app with its keys.
//! - `GET /__sim/stats`: request counters.
//! - `GET|POST|DELETE /__sim/faults`: read, add to, or clear the injected faults.
//! - `POST /__sim/release`: let every held request go on.
//! - `POST /__sim/event-hooks`: verify and register an Event Hook URL.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::error::OktaError;
use super::faults::FaultUpdate;
use super::hooks::HookSpec;
use super::routes::base_url;
use super::{Simulator, time};

/// The `/__sim/` routes.
pub fn router() -> Router<Simulator> {
    Router::new()
        .route("/__sim/state", get(state))
        .route("/__sim/stats", get(stats))
        .route(
            "/__sim/faults",
            get(faults).post(add_faults).delete(clear_faults),
        )
        .route("/__sim/release", post(release))
        .route("/__sim/event-hooks", post(add_event_hook))
}

async fn state(State(sim): State<Simulator>, headers: HeaderMap) -> Result<Json<Value>, OktaError> {
    let base = base_url(&headers);
    let org = sim.org();
    let apps = org
        .apps()
        .iter()
        .map(|app| {
            let keys = app
                .keys
                .iter()
                .map(|k| k.to_jwk())
                .collect::<Result<Vec<_>, _>>()?;
            let csrs: Vec<&str> = app.csrs.iter().map(|c| c.id.as_str()).collect();
            Ok(json!({ "app": app.to_json(&base), "keys": keys, "csrs": csrs }))
        })
        .collect::<Result<Vec<_>, OktaError>>()?;
    Ok(Json(json!({
        "orgName": &*org.subdomain,
        "orgId": org.org_id,
        "startedAt": time::okta(sim.started()),
        "apps": apps,
    })))
}

async fn stats(State(sim): State<Simulator>) -> Json<Value> {
    Json(sim.stats().to_json())
}

async fn faults(State(sim): State<Simulator>) -> Json<Value> {
    Json(sim.faults().to_json())
}

async fn add_faults(State(sim): State<Simulator>, body: Bytes) -> Response {
    let update = match serde_json::from_slice::<FaultUpdate>(&body) {
        Ok(update) => update,
        Err(e) => return bad_request(format!("not a fault update: {e}")),
    };
    match sim.faults().update(update) {
        Ok(()) => Json(sim.faults().to_json()).into_response(),
        Err(detail) => bad_request(detail),
    }
}

async fn clear_faults(State(sim): State<Simulator>) -> Json<Value> {
    sim.faults().clear();
    Json(sim.faults().to_json())
}

async fn release(State(sim): State<Simulator>) -> Json<Value> {
    Json(json!({ "released": sim.faults().release_all() }))
}

async fn add_event_hook(State(sim): State<Simulator>, body: Bytes) -> Response {
    let spec = match serde_json::from_slice::<HookSpec>(&body) {
        Ok(spec) => spec,
        Err(e) => return bad_request(format!("not an event hook: {e}")),
    };
    match sim.hooks().register(spec).await {
        Ok(()) => Json(json!({ "verified": true })).into_response(),
        Err(detail) => bad_request(detail),
    }
}

fn bad_request(detail: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": detail }))).into_response()
}
