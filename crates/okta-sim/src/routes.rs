//! The axum router: Okta's app and key endpoints (docs/okta-api.md §1), each a thin handler over the
//! rules in `org`, plus headers every response carries. It imports the handler modules (`csr`,
//! `admin`, `oauth`, …); they never import it (what they share with it is in `request`).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::error::OktaError;
use super::keys::{self, KeyCopy, KeyCredential};
use super::list::{self, ListQuery};
use super::request::{base_url, query_pairs};
use super::syslog::EventType;
use super::{Simulator, admin, auth, csr, faults, limits, metadata, oauth, stats, time};

type ApiResult = Result<Response, OktaError>;

/// Everything the simulator serves.
pub fn router(sim: Simulator) -> Router {
    let api = Router::new()
        .route("/api/v1/apps", get(list_apps))
        .route("/api/v1/logs", get(list_logs))
        .route("/api/v1/apps/{appId}", get(get_app).put(put_app))
        .route("/api/v1/apps/{appId}/credentials/keys", get(list_keys))
        .route(
            "/api/v1/apps/{appId}/credentials/keys/generate",
            post(generate_key),
        )
        .route(
            "/api/v1/apps/{appId}/credentials/keys/{keyId}",
            get(get_key),
        )
        .route(
            "/api/v1/apps/{appId}/credentials/keys/{keyId}/clone",
            post(clone_key),
        )
        .route(
            "/api/v1/apps/{appId}/credentials/csrs",
            get(csr::list).post(csr::generate),
        )
        .route(
            "/api/v1/apps/{appId}/credentials/csrs/{csrId}",
            get(csr::get).delete(csr::revoke),
        )
        .route(
            "/api/v1/apps/{appId}/credentials/csrs/{csrId}/lifecycle/publish",
            post(csr::publish),
        )
        .route(
            "/api/v1/apps/{appId}/sso/saml/metadata",
            get(metadata::saml_metadata),
        )
        // A wrong method on an app route is still an app request: it is authenticated and
        // metered like the others, so its 405 carries the rate-limit headers (docs/okta-api.md §10.2).
        .method_not_allowed_fallback(|| async { OktaError::method_not_allowed() })
        // The layer added last runs first: stats see every answer; a missing
        // Content-Length is refused up front, as a front-end proxy would; limits put their
        // headers on every answer (injected faults included); faults act before auth, as an
        // outage would.
        .route_layer(middleware::from_fn_with_state(sim.clone(), auth::require))
        .route_layer(middleware::from_fn_with_state(sim.clone(), faults::inject))
        .route_layer(middleware::from_fn_with_state(sim.clone(), limits::enforce))
        .route_layer(middleware::from_fn(require_length))
        .route_layer(middleware::from_fn_with_state(sim.clone(), stats::observe));
    let token = Router::new()
        .route("/oauth2/v1/token", post(oauth::token))
        .route_layer(middleware::from_fn_with_state(sim.clone(), faults::inject))
        .route_layer(middleware::from_fn_with_state(sim.clone(), stats::observe));
    Router::new()
        .merge(api)
        .merge(token)
        .merge(admin::router())
        .fallback(unknown_path)
        .method_not_allowed_fallback(|| async { OktaError::method_not_allowed() })
        .layer(middleware::from_fn_with_state(sim.clone(), request_id))
        .with_state(sim)
}

/// Headers every recorded Okta API answer carries that say nothing about the API itself but
/// that a client or cache may act on: no caching, no content sniffing.
const RECORDED_HEADERS: [(&str, &str); 5] = [
    ("cache-control", "no-cache, no-store"),
    ("pragma", "no-cache"),
    ("expires", "0"),
    ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "0"),
];

/// `X-Okta-Request-Id` on every response (docs/okta-api.md §7), and the recorded [`RECORDED_HEADERS`].
async fn request_id(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&sim.ids().request_id()) {
        headers.insert("x-okta-request-id", value);
    }
    for (name, value) in RECORDED_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// 411 for an HTTP/1 POST or PUT that says nothing about its body's length (docs/okta-api.md §7:
/// clients must send `Content-Length: 0`). The body imitates a front-end proxy's page; Okta's
/// is unconfirmed.
async fn require_length(request: Request, next: Next) -> Response {
    let writes = matches!(*request.method(), Method::POST | Method::PUT);
    let http1 = request.version() < Version::HTTP_2;
    let headers = request.headers();
    let unsized_body = !headers.contains_key(header::CONTENT_LENGTH)
        && !headers.contains_key(header::TRANSFER_ENCODING);
    if writes && http1 && unsized_body {
        return (
            StatusCode::LENGTH_REQUIRED,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><title>411 Length Required</title></head><body><h1>411 Length Required</h1></body></html>",
        )
            .into_response();
    }
    next.run(request).await
}

async fn unknown_path(request: Request) -> OktaError {
    OktaError::not_found(request.uri().path(), "Resource")
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn list_apps(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let params = query_pairs(query.as_deref());
    let list = ListQuery::parse(&params)?;
    let base = base_url(&headers);
    let (apps, next) = {
        let org = sim.org();
        let (page, next) = list.page(&org)?;
        let apps: Vec<Value> = page.iter().map(|app| app.to_json(&base)).collect();
        (apps, next)
    };
    let mut response = json(StatusCode::OK, &Value::Array(apps));
    for link in list::link_headers(&base, &params, list.limit(), next.as_deref()) {
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().append(header::LINK, value);
        }
    }
    Ok(response)
}

/// `GET /api/v1/logs`: one page of the System Log, and a `Link: rel="next"` to the page after
/// it (always, for a polling query without `until`).
async fn list_logs(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let params = query_pairs(query.as_deref());
    let page = sim.log().query(&params, sim.clock().now_precise())?;
    let base = base_url(&headers);
    let mut response = json(StatusCode::OK, &Value::Array(page.events));
    let link = |after: Option<&str>, rel: &str| {
        let mut url = url::Url::parse(&format!("{base}/api/v1/logs")).ok()?;
        {
            let mut pairs = url.query_pairs_mut();
            pairs.extend_pairs(params.iter().filter(|(k, _)| k != "after"));
            if let Some(after) = after {
                pairs.append_pair("after", after);
            }
        }
        HeaderValue::from_str(&format!("<{url}>; rel=\"{rel}\"")).ok()
    };
    let current = params
        .iter()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.as_str());
    let links = [
        link(current, "self"),
        page.next_after
            .as_deref()
            .and_then(|a| link(Some(a), "next")),
    ];
    for value in links.into_iter().flatten() {
        response.headers_mut().append(header::LINK, value);
    }
    Ok(response)
}

async fn get_app(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> ApiResult {
    let body = sim.org().app(&app_id)?.to_json(&base_url(&headers));
    Ok(json(StatusCode::OK, &body))
}

async fn put_app(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let request: Value = serde_json::from_slice(&body).map_err(|_| OktaError::malformed_body())?;
    let body = sim
        .org()
        .replace_app(&app_id, &request, sim.clock().now())?
        .to_json(&base_url(&headers));
    sim.wrote(EventType::AppUpdate, &[&app_id]);
    Ok(json(StatusCode::OK, &body))
}

async fn list_keys(State(sim): State<Simulator>, Path(app_id): Path<String>) -> ApiResult {
    let keys: Vec<KeyCopy> = sim.org().app(&app_id)?.keys.clone();
    let jwks = keys
        .iter()
        .map(|k| k.to_jwk())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json(StatusCode::OK, &Value::Array(jwks)))
}

async fn get_key(
    State(sim): State<Simulator>,
    Path((app_id, kid)): Path<(String, String)>,
) -> ApiResult {
    let key = sim.org().key(&app_id, &kid)?.clone();
    Ok(json(StatusCode::OK, &key.to_jwk()?))
}

async fn generate_key(
    State(sim): State<Simulator>,
    Path(app_id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    sim.org().check_can_generate(&app_id)?;
    let params = query_pairs(query.as_deref());
    let years = validity_years(param(&params, "validityYears"))?;
    let subdomain = Arc::clone(&sim.org().subdomain);
    let (kid, created) = (sim.ids().kid(), sim.clock().now());
    // RSA generation takes ~0.1 s: keep it off the async workers and outside the lock.
    let key = tokio::task::spawn_blocking(move || -> Result<KeyCredential, OktaError> {
        let key = KeyCredential::new(
            kid,
            created,
            time::add_years(created, years),
            subdomain,
            keys::fresh_key_pair()?,
        );
        key.certificate()?;
        Ok(key)
    })
    .await
    .map_err(|_| OktaError::internal())??;
    let key = KeyCopy::original(Arc::new(key));
    sim.org().add_generated_key(&app_id, Arc::clone(&key.key))?;
    sim.wrote(EventType::KeyGenerate, &[&app_id]);
    Ok(json(StatusCode::CREATED, &key.to_jwk()?))
}

/// `validityYears`: required, an integer in 2..=10 (docs/okta-api.md §5.2).
fn validity_years(value: Option<&str>) -> Result<i64, OktaError> {
    let value = value.ok_or_else(|| OktaError::missing_parameter("validityYears"))?;
    match value.trim().parse::<i64>() {
        Ok(years) if (2..=10).contains(&years) => Ok(years),
        _ => Err(OktaError::validation("generateKey")
            .with_cause("Validity years out of range. It should be 2 - 10 years.")),
    }
}

async fn clone_key(
    State(sim): State<Simulator>,
    Path((app_id, kid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let params = query_pairs(query.as_deref());
    let target = param(&params, "targetAid")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OktaError::missing_parameter("targetAid"))?;
    let key = sim
        .org()
        .clone_key(&app_id, &kid, target, sim.clock().now())?;
    // Both apps are named: the source whose key was copied and the target that got it.
    sim.wrote(EventType::KeyClone, &[&app_id, target]);
    Ok(json(StatusCode::CREATED, &key.to_jwk()?))
}
