//! The `/__sim/` routes (listed in the module above). They need no token and are exempt from
//! rate limits and injected faults; they are never under `/api`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{ClockChange, ClockView, FaultUpdate, FaultsView, HookSpec, Released, Stats};
use crate::error::OktaError;
use crate::request::base_url;
use crate::{Simulator, time};

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
        .route("/__sim/clock", get(clock).post(change_clock))
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

async fn stats(State(sim): State<Simulator>) -> Json<Stats> {
    Json(sim.stats().view())
}

async fn faults(State(sim): State<Simulator>) -> Json<FaultsView> {
    Json(sim.faults().view())
}

async fn add_faults(State(sim): State<Simulator>, body: Bytes) -> Response {
    let update = match serde_json::from_slice::<FaultUpdate>(&body) {
        Ok(update) => update,
        Err(e) => return bad_request(format!("not a fault update: {e}")),
    };
    match sim.faults().update(update) {
        Ok(()) => Json(sim.faults().view()).into_response(),
        Err(detail) => bad_request(detail),
    }
}

async fn clear_faults(State(sim): State<Simulator>) -> Json<FaultsView> {
    sim.faults().clear();
    Json(sim.faults().view())
}

async fn release(State(sim): State<Simulator>) -> Json<Released> {
    Json(Released {
        released: sim.faults().release_all(),
    })
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

async fn clock(State(sim): State<Simulator>) -> Json<ClockView> {
    Json(sim.clock().view())
}

async fn change_clock(State(sim): State<Simulator>, body: Bytes) -> Response {
    let change = match serde_json::from_slice::<ClockChange>(&body) {
        Ok(change) => change,
        Err(e) => return bad_request(format!("not a clock change: {e}")),
    };
    match sim.clock().change(&change) {
        Ok(()) => Json(sim.clock().view()).into_response(),
        Err(detail) => bad_request(detail),
    }
}

fn bad_request(detail: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": detail }))).into_response()
}
