//! A loopback Okta of its own that serves the org assembled from recorded real Okta traffic
//! (`../shared/real-okta/org.json` beside the repository; see docs/simulator.md "The
//! real-data check"), for running the real `keyshare` binary against real shapes.
//!
//! It is written apart from `okta_sim` on purpose: the simulator's choices are what this
//! check questions, so none of its code may decide an answer here. It serves what the
//! recordings show and only that:
//! - the listing in recorded order, pages of `limit` (default 20, at most 200) with one `Link`
//!   header per relation, `self` then `next` (`after` = the last id of the page, caller's `q`
//!   and `filter` echoed after `limit`); an unknown cursor is the recorded 400 E0000029;
//! - `q` (prefix of name or label) and `filter` `id|name|status|credentials.signing.kid eq
//!   "…"`; any other filter is the recorded 400 E0000031 with its causes emptied;
//! - recorded key lists, and recorded SAML metadata with the certificate of the key asked for;
//! - generate: a fresh RSA-2048 key and a self-signed certificate in Okta's profile
//!   (docs/okta-api.md §5.1), dated now, `expiresAt` = now + `validityYears`;
//! - clone: same kid, expiry and certificate, the target's copy dated now; a duplicate is the
//!   recorded 400 E0000001;
//! - PUT with docs/okta-api.md §4's rules; every PUT body is kept for the test to compare;
//! - live `X-Rate-Limit-*` headers (100 a window for `/api/v1/apps` and its sub-paths, 500
//!   for `/api/v1/apps/{id}`, as recorded) over a window the test chooses, and 429 beyond.
//!
//! Recorded origins are rewritten to the server's own URL, in bodies and metadata alike.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Where the recorded org is: `$KEYSHARE_REAL_OKTA_ORG`, else `../shared/real-okta/org.json`
/// beside the repository (where CI has it). `None` when it is absent, as on a user's clone.
pub fn org_json_path() -> Option<PathBuf> {
    let path = std::env::var_os("KEYSHARE_REAL_OKTA_ORG").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/real-okta/org.json"),
        PathBuf::from,
    );
    path.is_file().then_some(path)
}

/// The org as the recordings give it, origins not yet rewritten.
pub struct Recorded(pub Value);

impl Recorded {
    pub fn load(path: &std::path::Path) -> Self {
        let text = std::fs::read_to_string(path).expect("org.json is readable");
        Self(serde_json::from_str(&text).expect("org.json is JSON"))
    }

    /// Every recorded app body, in listing order.
    pub fn apps(&self) -> Vec<Value> {
        self.0["apps"]
            .as_array()
            .expect("apps")
            .iter()
            .map(|a| a["body"].clone())
            .collect()
    }
}

/// One PUT as keyshare sent it, beside the app as the server held it then.
#[derive(Debug, Clone)]
pub struct RecordedPut {
    pub app_id: String,
    pub sent: Value,
    pub held: Value,
}

/// One key operation that took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyWrite {
    Generate {
        app_id: String,
        kid: String,
    },
    Clone {
        source: String,
        kid: String,
        target: String,
    },
}

struct Org {
    base: String,
    subdomain: String,
    apps: Vec<Value>,
    index: HashMap<String, usize>,
    keys: HashMap<String, Vec<Value>>,
    metadata: HashMap<String, (String, String)>,
    template_metadata: (String, String),
    errors: Value,
    clone_duplicate: Value,
    puts: Vec<RecordedPut>,
    key_writes: Vec<KeyWrite>,
    window: Duration,
    buckets: HashMap<&'static str, Bucket>,
}

struct Bucket {
    limit: u32,
    used: u32,
    resets_at: Timestamp,
}

/// The server, on `127.0.0.1:0`. Dropping it stops it.
pub struct RealOkta {
    pub base_url: String,
    org: Arc<Mutex<Org>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RealOkta {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RealOkta {
    /// Serves `recorded` with rate-limit windows of `window` (Okta's are a minute; a test
    /// shrinks time so that keyshare's own pacing does not make it slow).
    pub async fn start(recorded: &Recorded, window: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let org = Arc::new(Mutex::new(Org::new(recorded, &base, window)));
        let app = router(Arc::clone(&org));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("server runs");
        });
        Self {
            base_url: base,
            org,
            task,
        }
    }

    fn org(&self) -> MutexGuard<'_, Org> {
        self.org.lock().expect("org lock")
    }

    /// Every PUT so far, in order.
    pub fn puts(&self) -> Vec<RecordedPut> {
        self.org().puts.clone()
    }

    /// Every generate and clone that took effect, in order.
    pub fn key_writes(&self) -> Vec<KeyWrite> {
        self.org().key_writes.clone()
    }

    /// The app as the server holds it now (with `_links`).
    pub fn app(&self, id: &str) -> Value {
        let org = self.org();
        org.app(id).expect("known app").clone()
    }

    /// An app's key list as the server holds it now.
    pub fn keys(&self, id: &str) -> Vec<Value> {
        self.org().keys.get(id).cloned().unwrap_or_default()
    }
}

/// Replaces every recorded origin in every string of `value` by `base`.
fn rewrite(value: &mut Value, origins: &[String], base: &str) {
    match value {
        Value::String(s) => {
            for origin in origins {
                if s.contains(origin.as_str()) {
                    *s = s.replace(origin.as_str(), base);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, origins, base)),
        Value::Object(members) => members.values_mut().for_each(|v| rewrite(v, origins, base)),
        _ => {}
    }
}

impl Org {
    fn new(recorded: &Recorded, base: &str, window: Duration) -> Self {
        let data = &recorded.0;
        let origins: Vec<String> = data["recorded_origins"]
            .as_array()
            .expect("recorded_origins")
            .iter()
            .map(|o| o.as_str().expect("origin").to_owned())
            .collect();
        let mut apps = recorded.apps();
        apps.iter_mut().for_each(|a| rewrite(a, &origins, base));
        let index = apps
            .iter()
            .enumerate()
            .map(|(i, a)| (a["id"].as_str().expect("app id").to_owned(), i))
            .collect();
        let keys = data["keys"]
            .as_object()
            .expect("keys")
            .iter()
            .map(|(id, entry)| {
                let list = entry["list"].as_array().expect("key list").clone();
                (id.clone(), list)
            })
            .collect();
        let metadata_of = |entry: &Value| {
            let mut xml = entry["xml"].as_str().expect("metadata xml").to_owned();
            for origin in &origins {
                xml = xml.replace(origin.as_str(), base);
            }
            let content_type = entry["content_type"].as_str().expect("content type");
            (xml, content_type.to_owned())
        };
        let metadata: HashMap<String, (String, String)> = data["metadata"]
            .as_object()
            .expect("metadata")
            .iter()
            .map(|(id, entry)| (id.clone(), metadata_of(entry)))
            .collect();
        let template_id = data["metadata_template_app"].as_str().expect("template");
        let template_metadata = metadata[template_id].clone();
        let subdomain = origins[0]
            .trim_start_matches("https://")
            .split('.')
            .next()
            .expect("a host")
            .to_owned();
        let rate = &data["rate_limits"];
        let limit = |name: &str| u32::try_from(rate[name].as_u64().expect("limit")).unwrap();
        let now = Timestamp::now();
        let buckets = [("apps", limit("apps")), ("appById", limit("app_by_id"))]
            .into_iter()
            .map(|(name, limit)| {
                let bucket = Bucket {
                    limit,
                    used: 0,
                    resets_at: now,
                };
                (name, bucket)
            })
            .collect();
        Self {
            base: base.to_owned(),
            subdomain,
            apps,
            index,
            keys,
            metadata,
            template_metadata,
            errors: data["errors"].clone(),
            clone_duplicate: data["clone_duplicate"]["body"].clone(),
            puts: Vec::new(),
            key_writes: Vec::new(),
            window,
            buckets,
        }
    }

    /// The app, or the recorded 404 (boxed: a response is large and the app is the common case).
    fn app(&self, id: &str) -> Result<&Value, Box<Response>> {
        self.index
            .get(id)
            .map(|&i| &self.apps[i])
            .ok_or_else(|| Box::new(self.not_found(id, "AppInstance")))
    }

    /// A recorded error body with a fresh `errorId` (ids are per answer).
    fn error(&self, name: &str, summary: Option<String>, causes: Option<Value>) -> Response {
        let recorded = &self.errors[name];
        let mut body = recorded["body"].clone();
        body["errorId"] = json!(format!("oae{}", &random_id()[..22]));
        if let Some(summary) = summary {
            body["errorSummary"] = json!(summary);
        }
        if let Some(causes) = causes {
            body["errorCauses"] = causes;
        }
        let status = u16::try_from(recorded["status"].as_u64().expect("status")).unwrap();
        json_response(StatusCode::from_u16(status).unwrap(), &body)
    }

    fn not_found(&self, what: &str, kind: &str) -> Response {
        let summary = format!("Not found: Resource not found: {what} ({kind})");
        self.error("not_found", Some(summary), None)
    }

    /// Counts the request in its bucket; `Err` is the recorded 429.
    fn meter(
        &mut self,
        bucket: &'static str,
    ) -> Result<[(&'static str, String); 3], Box<Response>> {
        let now = Timestamp::now();
        let window = self.window;
        let state = self.buckets.get_mut(bucket).expect("known bucket");
        if now >= state.resets_at {
            state.used = 0;
            state.resets_at = now + window;
        }
        let over = state.used >= state.limit;
        if !over {
            state.used += 1;
        }
        // The reset is epoch seconds, rounded up so that waiting for it always suffices.
        let reset =
            state.resets_at.as_second() + i64::from(state.resets_at.subsec_nanosecond() > 0);
        let headers = [
            ("x-rate-limit-limit", state.limit.to_string()),
            (
                "x-rate-limit-remaining",
                (state.limit - state.used).to_string(),
            ),
            ("x-rate-limit-reset", reset.to_string()),
        ];
        if over {
            let mut response = self.error("rate_limited", None, None);
            add_headers(&mut response, &headers);
            return Err(Box::new(response));
        }
        Ok(headers)
    }
}

fn add_headers(response: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(*name, HeaderValue::from_str(value).expect("header value"));
    }
}

fn random_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn okta_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

type Shared = Arc<Mutex<Org>>;

fn router(org: Shared) -> Router {
    Router::new()
        .route("/api/v1/apps", get(list_apps))
        .route("/api/v1/apps/{id}", get(get_app).put(put_app))
        .route("/api/v1/apps/{id}/credentials/keys", get(list_keys))
        .route(
            "/api/v1/apps/{id}/credentials/keys/generate",
            post(generate),
        )
        .route("/api/v1/apps/{id}/credentials/keys/{kid}", get(get_key))
        .route(
            "/api/v1/apps/{id}/credentials/keys/{kid}/clone",
            post(clone_key),
        )
        .route("/api/v1/apps/{id}/sso/saml/metadata", get(metadata))
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(org.clone(), meter))
        .with_state(org)
}

/// Rate limits and a request id on every answer, as Okta sends them.
async fn meter(
    State(org): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let authorized = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("SSWS "));
    let bucket = if path.matches('/').count() == 4 {
        "appById"
    } else {
        "apps"
    };
    let metered = org.lock().expect("org lock").meter(bucket);
    let mut response = match metered {
        Err(too_many) => *too_many,
        Ok(headers) if !authorized => {
            let mut response = json_response(
                StatusCode::UNAUTHORIZED,
                &json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided",
                        "errorLink": "E0000011", "errorId": format!("oae{}", &random_id()[..22]),
                        "errorCauses": []}),
            );
            add_headers(&mut response, &headers);
            response
        }
        Ok(headers) => {
            let mut response = next.run(request).await;
            add_headers(&mut response, &headers);
            response
        }
    };
    let id = hex::encode(rand::random::<[u8; 16]>());
    response
        .headers_mut()
        .insert("x-okta-request-id", HeaderValue::from_str(&id).unwrap());
    response
}

async fn fallback(State(org): State<Shared>, method: Method, uri: Uri) -> Response {
    let org = org.lock().expect("org lock");
    if method == Method::GET {
        org.not_found(uri.path(), "Resource")
    } else {
        org.error("method_not_allowed", None, None)
    }
}

fn params(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `filter`'s one supported form, `property eq "value"`, as a predicate over an app.
fn app_filter(text: &str) -> Option<impl Fn(&Value) -> bool> {
    let (property, rest) = text.trim().split_once(' ')?;
    let (op, value) = rest.trim().split_once(' ')?;
    let value = value
        .trim()
        .strip_prefix('"')?
        .strip_suffix('"')?
        .to_owned();
    let pointer = match property {
        "id" => "/id",
        "name" => "/name",
        "status" => "/status",
        "credentials.signing.kid" => "/credentials/signing/kid",
        _ => return None,
    };
    let matches =
        move |app: &Value| app.pointer(pointer).and_then(Value::as_str) == Some(value.as_str());
    op.eq_ignore_ascii_case("eq").then_some(matches)
}

async fn list_apps(State(org): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let org = org.lock().expect("org lock");
    let params = params(query.as_deref());
    let limit = match param(&params, "limit").map(str::parse::<usize>) {
        None => 20,
        Some(Ok(n)) if (1..=200).contains(&n) => n,
        Some(_) => {
            return org.error(
                "malformed_body",
                Some("Api validation failed: limit".into()),
                None,
            );
        }
    };
    let filter = match param(&params, "filter") {
        None => None,
        Some(text) => match app_filter(text) {
            Some(filter) => Some(filter),
            None => return org.error("invalid_search", None, Some(json!([]))),
        },
    };
    let q = param(&params, "q").map(str::to_lowercase);
    let start = match param(&params, "after") {
        None => 0,
        Some(after) => match org.index.get(after) {
            Some(&i) => i + 1,
            None => return org.error("invalid_paging", None, None),
        },
    };
    let matches = |app: &&Value| {
        let q_ok = q.as_deref().is_none_or(|q| {
            ["name", "label"].iter().any(|f| {
                app[*f]
                    .as_str()
                    .is_some_and(|v| v.to_lowercase().starts_with(q))
            })
        });
        q_ok && filter.as_ref().is_none_or(|f| f(app))
    };
    let mut matching = org.apps[start..].iter().filter(matches);
    let page: Vec<Value> = matching.by_ref().take(limit).cloned().collect();
    let more = matching.next().is_some();

    let echoed: String = ["q", "filter"]
        .iter()
        .filter_map(|name| param(&params, name).map(|v| (*name, v)))
        .map(|(name, v)| {
            let encoded: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            format!("&{name}={encoded}")
        })
        .collect();
    let self_after = param(&params, "after")
        .map(|a| format!("after={a}&"))
        .unwrap_or_default();
    let mut response = json_response(StatusCode::OK, &Value::Array(page.clone()));
    let links = response.headers_mut();
    let apps_url = format!("{}/api/v1/apps", org.base);
    let self_link = format!("<{apps_url}?{self_after}limit={limit}{echoed}>; rel=\"self\"");
    links.append(header::LINK, HeaderValue::from_str(&self_link).unwrap());
    if let (true, Some(last)) = (more, page.last()) {
        let last = last["id"].as_str().expect("id");
        let next = format!("<{apps_url}?after={last}&limit={limit}{echoed}>; rel=\"next\"");
        links.append(header::LINK, HeaderValue::from_str(&next).unwrap());
    }
    response
}

async fn get_app(State(org): State<Shared>, Path(id): Path<String>) -> Response {
    let org = org.lock().expect("org lock");
    match org.app(&id) {
        Ok(app) => json_response(StatusCode::OK, app),
        Err(response) => *response,
    }
}

/// Top-level fields a PUT replaces (docs/okta-api.md §4); every other member of the body
/// (`id`, `name`, `status`, `created`, `lastUpdated`, `orn`, `features`, `_links`,
/// `universalLogout`, unknown ones) is ignored.
const WRITABLE: &[&str] = &[
    "label",
    "accessibility",
    "visibility",
    "licensing",
    "profile",
    "settings",
];

async fn put_app(State(org): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let mut org = org.lock().expect("org lock");
    let held = match org.app(&id) {
        Ok(app) => app.clone(),
        Err(response) => return *response,
    };
    let Ok(Value::Object(sent)) = serde_json::from_slice::<Value>(&body) else {
        return org.error("malformed_body", None, None);
    };
    org.puts.push(RecordedPut {
        app_id: id.clone(),
        sent: Value::Object(sent.clone()),
        held: held.clone(),
    });
    let validation = |field: &str| {
        org.error(
            "malformed_body",
            Some(format!("Api validation failed: {field}")),
            None,
        )
        .into_response()
    };
    if !sent.get("label").is_some_and(Value::is_string) {
        return validation("label");
    }
    if sent.get("signOnMode") != held.get("signOnMode") {
        return validation("signOnMode");
    }
    let mut app = held.as_object().expect("app object").clone();
    for field in WRITABLE {
        if let Some(value) = sent.get(*field) {
            app.insert((*field).to_owned(), value.clone());
        }
    }
    if let Some(Value::Object(credentials)) = sent.get("credentials") {
        let stored = app
            .entry("credentials")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("credentials object");
        for (name, value) in credentials {
            match (name.as_str(), value, stored.get_mut(name)) {
                ("signing", Value::Object(signing), Some(Value::Object(held_signing))) => {
                    for (member, v) in signing {
                        held_signing.insert(member.clone(), v.clone());
                    }
                }
                _ => {
                    stored.insert(name.clone(), value.clone());
                }
            }
        }
    }
    let kid = app
        .get("credentials")
        .and_then(|c| c.pointer("/signing/kid"))
        .and_then(Value::as_str);
    if let Some(kid) = kid {
        let holds = org
            .keys
            .get(&id)
            .is_some_and(|keys| keys.iter().any(|k| k["kid"] == kid));
        if !holds {
            return validation("credentials.signing.kid");
        }
    }
    app.insert("lastUpdated".into(), json!(okta_time(Timestamp::now())));
    let app = Value::Object(app);
    let i = org.index[&id];
    org.apps[i] = app.clone();
    json_response(StatusCode::OK, &app)
}

async fn list_keys(State(org): State<Shared>, Path(id): Path<String>) -> Response {
    let org = org.lock().expect("org lock");
    if let Err(response) = org.app(&id) {
        return *response;
    }
    // An app without a recorded list (OIDC apps, apps without signing) holds no key here.
    let keys = org.keys.get(&id).cloned().unwrap_or_default();
    json_response(StatusCode::OK, &Value::Array(keys))
}

async fn get_key(State(org): State<Shared>, Path((id, kid)): Path<(String, String)>) -> Response {
    let org = org.lock().expect("org lock");
    if let Err(response) = org.app(&id) {
        return *response;
    }
    match org
        .keys
        .get(&id)
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid.as_str()))
    {
        Some(key) => json_response(StatusCode::OK, key),
        None => org.not_found(&kid, "JsonWebKey"),
    }
}

async fn generate(
    State(org): State<Shared>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = params(query.as_deref());
    let subdomain = {
        let org = org.lock().expect("org lock");
        if let Err(response) = org.app(&id) {
            return *response;
        }
        let years = param(&params, "validityYears").and_then(|y| y.parse::<i16>().ok());
        if !years.is_some_and(|y| (2..=10).contains(&y)) {
            return org.error(
                "malformed_body",
                Some("Api validation failed: generateKey".into()),
                Some(json!([{"errorSummary": "Validity years out of range. It should be 2 - 10 years."}])),
            );
        }
        org.subdomain.clone()
    };
    let years = param(&params, "validityYears")
        .and_then(|y| y.parse::<i16>().ok())
        .expect("checked above");
    let key = tokio::task::spawn_blocking(move || fresh_key(&subdomain, years))
        .await
        .expect("key generation");
    let mut org = org.lock().expect("org lock");
    org.keys
        .entry(id.clone())
        .or_default()
        .insert(0, key.clone());
    org.key_writes.push(KeyWrite::Generate {
        app_id: id,
        kid: key["kid"].as_str().unwrap().to_owned(),
    });
    json_response(StatusCode::CREATED, &key)
}

async fn clone_key(
    State(org): State<Shared>,
    Path((id, kid)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let mut org = org.lock().expect("org lock");
    let params = params(query.as_deref());
    let Some(target) = param(&params, "targetAid").map(str::to_owned) else {
        return org.error(
            "malformed_body",
            Some("The request is missing a required parameter.".into()),
            None,
        );
    };
    if let Err(response) = org.app(&id).and(org.app(&target)) {
        return *response;
    }
    let Some(key) = org
        .keys
        .get(&id)
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid.as_str()))
        .cloned()
    else {
        return org.not_found(&kid, "JsonWebKey");
    };
    let target_keys = org.keys.entry(target.clone()).or_default();
    if target_keys.iter().any(|k| k["kid"] == kid.as_str()) {
        let mut body = org.clone_duplicate.clone();
        body["errorId"] = json!(format!("oae{}", &random_id()[..22]));
        return json_response(StatusCode::BAD_REQUEST, &body);
    }
    // The target's copy is dated at the clone; everything else is the key's.
    let mut copy = key;
    let now = json!(okta_time(Timestamp::now()));
    copy["created"] = now.clone();
    copy["lastUpdated"] = now;
    target_keys.insert(0, copy.clone());
    org.key_writes.push(KeyWrite::Clone {
        source: id,
        kid,
        target,
    });
    json_response(StatusCode::CREATED, &copy)
}

async fn metadata(
    State(org): State<Shared>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let org = org.lock().expect("org lock");
    let app = match org.app(&id) {
        Ok(app) => app,
        Err(response) => return *response,
    };
    if !matches!(app["signOnMode"].as_str(), Some("SAML_2_0" | "SAML_1_1")) {
        return org.not_found(&format!("{id}/sso/saml/metadata"), "AppInstance");
    }
    let params = params(query.as_deref());
    let kid = param(&params, "kid")
        .or_else(|| {
            app.pointer("/credentials/signing/kid")
                .and_then(Value::as_str)
        })
        .unwrap_or_default();
    let Some(key) = org
        .keys
        .get(&id)
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
    else {
        return org.not_found(kid, "JsonWebKey");
    };
    let certificate = key["x5c"][0].as_str().expect("x5c");
    // Okta wraps the certificate at 76 columns, as recorded.
    let wrapped = certificate
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let (xml, content_type) = org.metadata.get(&id).unwrap_or(&org.template_metadata);
    let open = "<ds:X509Certificate>";
    let close = "</ds:X509Certificate>";
    let start = xml.find(open).expect("recorded metadata has a certificate") + open.len();
    let end = start + xml[start..].find(close).expect("certificate closes");
    let xml = format!("{}{wrapped}{}", &xml[..start], &xml[end..]);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type.clone())],
        xml,
    )
        .into_response()
}

/// A JsonWebKey for a fresh RSA-2048 key pair whose self-signed certificate follows Okta's
/// profile (docs/okta-api.md §5.1): subject = issuer = Okta's DN with `CN=<org>`, serial =
/// creation epoch milliseconds, notBefore = created − 60 s, notAfter = expiresAt.
fn fresh_key(subdomain: &str, validity_years: i16) -> Value {
    use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair, PKCS_RSA_SHA256};
    let created = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
    let expires = created
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .checked_add(jiff::Span::new().years(validity_years))
        .expect("in range")
        .timestamp();
    let pair = KeyPair::generate_for(&PKCS_RSA_SHA256).expect("RSA key generation");
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("US".try_into().unwrap()),
    );
    dn.push(DnType::StateOrProvinceName, "California");
    dn.push(DnType::LocalityName, "San Francisco");
    dn.push(DnType::OrganizationName, "Okta");
    dn.push(DnType::OrganizationalUnitName, "SSOProvider");
    dn.push(DnType::CommonName, subdomain);
    dn.push(
        DnType::CustomDnType(vec![1, 2, 840, 113_549, 1, 9, 1]),
        DnValue::Ia5String("info@okta.com".try_into().unwrap()),
    );
    params.distinguished_name = dn;
    params.serial_number = Some(u64::try_from(created.as_millisecond()).unwrap().into());
    // rcgen takes `time` dates; reach them from its own epoch helper.
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let at = |t: Timestamp| epoch + Duration::from_secs(u64::try_from(t.as_second()).unwrap());
    params.not_before = at(created - jiff::SignedDuration::from_secs(60));
    params.not_after = at(expires);
    let der = params
        .self_signed(&pair)
        .expect("certificate")
        .der()
        .to_vec();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("our own certificate");
    let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = cert.public_key().parsed() else {
        panic!("an RSA key");
    };
    let unsigned = |bytes: &[u8]| {
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        URL_SAFE_NO_PAD.encode(&bytes[first..])
    };
    // Members in the order of the recorded generate answer.
    json!({
        "kty": "RSA",
        "created": okta_time(created),
        "lastUpdated": okta_time(created),
        "expiresAt": okta_time(expires),
        "kid": random_id(),
        "use": "sig",
        "x5c": [STANDARD.encode(&der)],
        "x5t#S256": URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
        "e": unsigned(rsa.exponent),
        "n": unsigned(rsa.modulus),
    })
}
