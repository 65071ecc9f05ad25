//! `/__sim/`: the simulator's own routes for tests. They need no token and are exempt from
//! rate limits and injected faults; they are never under `/api`.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use serde_json::{Value, json};

use super::error::OktaError;
use super::routes::base_url;
use super::{Simulator, time};

/// The `/__sim/` routes.
pub fn router() -> Router<Simulator> {
    Router::new().route("/__sim/state", get(state))
}

/// `GET /__sim/state`: the whole org, every app with its keys.
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
            Ok(json!({ "app": app.to_json(&base), "keys": keys }))
        })
        .collect::<Result<Vec<_>, OktaError>>()?;
    Ok(Json(json!({
        "orgName": &*org.subdomain,
        "orgId": org.org_id,
        "startedAt": time::okta(sim.started()),
        "apps": apps,
    })))
}
