//! Recording of every HTTP exchange the simulator serves, for the conformance checks in
//! `scripts/` (docs/conformance.md): when [`crate::SimConfig::record_traffic`] names a
//! directory, each server appends one JSON line per exchange (method, path, query, the request
//! headers that matter, request body, status, all response headers, response body) to a file
//! of its own in that directory. Without one the router is left untouched. The directory is
//! configuration: this module never reads the environment.
//!
//! It must never record a secret: the `Authorization` and `DPoP` values are reduced to their
//! scheme, and JSON or form members that carry tokens, assertions or private-key material are
//! replaced by a placeholder that keeps only their type and length. It must never change what
//! a client sees: bodies are buffered and passed on byte for byte.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// Request headers worth recording: they decide how the simulator must answer.
const REQUEST_HEADERS: &[&str] = &[
    "accept",
    "content-type",
    "content-length",
    "content-transfer-encoding",
    "transfer-encoding",
    "user-agent",
    "x-okta-retry-for",
    "x-okta-retry-count",
];

/// JSON members and form fields whose values are credentials.
const SECRET_MEMBERS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "tokens",
    "client_assertion",
    "client_secret",
    "privateKey",
    "private_key",
];

/// Private members of a JWK (RFC 7518 §6.3.2); redacted in any object that has `kty`.
const PRIVATE_JWK_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth"];

/// Installs the recording layer on `router`, into a new file in `dir`. A directory that
/// cannot be written is logged and the router served unrecorded: recording must never keep
/// the org from answering.
pub fn record(router: Router, dir: &Path) -> Router {
    match Recorder::create(dir) {
        Ok(recorder) => router.layer(middleware::from_fn_with_state(Arc::new(recorder), observe)),
        Err(error) => {
            tracing::error!(
                dir = %dir.display(),
                %error,
                "cannot record simulator traffic: create the directory or record elsewhere"
            );
            router
        }
    }
}

/// One simulator instance's traffic file.
struct Recorder {
    file: Mutex<File>,
    started: Instant,
    sequence: AtomicU64,
}

impl Recorder {
    /// Creates a new file in `dir` and writes its header line: who started the simulator.
    fn create(dir: &Path) -> io::Result<Self> {
        static INSTANCES: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(dir)?;
        let instance = INSTANCES.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let pid = std::process::id();
        let path: PathBuf = dir.join(format!("sim-{pid}-{nanos}-{instance}.jsonl"));
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)?;
        let recorder = Self {
            file: Mutex::new(file),
            started: Instant::now(),
            sequence: AtomicU64::new(0),
        };
        let origin = std::thread::current().name().map(str::to_owned);
        recorder.write(&json!({
            "kind": "instance",
            "pid": pid,
            "origin": origin,
            "program": std::env::args().next(),
        }))?;
        Ok(recorder)
    }

    /// Appends one line; a whole line per `write` so that concurrent exchanges never interleave.
    fn write(&self, line: &Value) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(line).map_err(io::Error::other)?;
        bytes.push(b'\n');
        self.file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .write_all(&bytes)
    }
}

/// Middleware: buffers both bodies, records the exchange, and passes the response on.
async fn observe(State(recorder): State<Arc<Recorder>>, request: Request, next: Next) -> Response {
    let sequence = recorder.sequence.fetch_add(1, Ordering::Relaxed);
    let at_ms = recorder.started.elapsed().as_millis();
    let (parts, body) = request.into_parts();
    let request_body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let request_line = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": request_headers(&parts.headers),
        "body": body_text(&request_body, &parts.headers),
    });
    let response = next
        .run(Request::from_parts(parts, Body::from(request_body)))
        .await;
    let (parts, body) = response.into_parts();
    let (response_body, body_error) = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => (bytes, None),
        Err(error) => (Bytes::new(), Some(error.to_string())),
    };
    let line = json!({
        "kind": "exchange",
        "seq": sequence,
        "atMs": at_ms,
        "durationMs": recorder.started.elapsed().as_millis() - at_ms,
        "request": request_line,
        "response": {
            "status": parts.status.as_u16(),
            "headers": response_headers(&parts.headers),
            "body": body_text(&response_body, &parts.headers),
            "bodyError": body_error,
        },
    });
    if let Err(error) = recorder.write(&line) {
        tracing::error!(%error, "cannot append to the simulator traffic file");
    }
    Response::from_parts(parts, Body::from(response_body))
}

/// The request headers of [`REQUEST_HEADERS`], plus credentials reduced to their scheme.
fn request_headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut recorded = Map::new();
    for name in REQUEST_HEADERS {
        if let Some(value) = headers.get(*name).and_then(|v| v.to_str().ok()) {
            recorded.insert((*name).to_owned(), Value::from(value));
        }
    }
    for name in [header::AUTHORIZATION.as_str(), "dpop"] {
        if let Some(value) = headers.get(name) {
            let value = String::from_utf8_lossy(value.as_bytes());
            recorded.insert(name.to_owned(), Value::from(credential_shape(&value)));
        }
    }
    recorded
}

/// `SSWS 00abc` → `SSWS <redacted>`; `SSWS00abc` → `SSWS<redacted>`: the scheme and whether a
/// space follows it are what the checks need, never the credential.
fn credential_shape(value: &str) -> String {
    let scheme_len = value
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(value.len());
    let (scheme, rest) = value.split_at(scheme_len);
    let known = ["SSWS", "Bearer", "DPoP", "Basic"];
    let Some(scheme) = known.into_iter().find(|k| k.eq_ignore_ascii_case(scheme)) else {
        return "<redacted>".to_owned();
    };
    let space = if rest.starts_with(' ') { " " } else { "" };
    format!("{}{space}<redacted>", &value[..scheme.len()])
}

/// Every response header in order, repeated names kept (one `link` per relation matters).
fn response_headers(headers: &HeaderMap) -> Vec<Value> {
    headers
        .iter()
        .map(|(name, value)| {
            json!([
                name.as_str(),
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            ])
        })
        .collect()
}

/// A body as recorded: `{"text": …}` for UTF-8 (secrets redacted), `{"base64": …}` otherwise.
fn body_text(bytes: &Bytes, headers: &HeaderMap) -> Value {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return json!({ "base64": STANDARD.encode(bytes) });
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let text = if content_type.starts_with("application/x-www-form-urlencoded") {
        redact_form(text)
    } else {
        redact_json(text).unwrap_or_else(|| text.to_owned())
    };
    json!({ "text": text })
}

/// The JSON text with secret members redacted, or `None` when it is not JSON or holds none
/// (the original bytes are then kept, so that key order and spacing stay as served).
fn redact_json(text: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(text).ok()?;
    redact_value(&mut value).then(|| value.to_string())
}

/// Redacts in place; whether anything was redacted.
fn redact_value(value: &mut Value) -> bool {
    match value {
        Value::Array(items) => items.iter_mut().fold(false, |any, v| redact_value(v) | any),
        Value::Object(members) => {
            let is_jwk = members.contains_key("kty");
            let mut any = false;
            for (name, member) in members.iter_mut() {
                let secret = SECRET_MEMBERS.contains(&name.as_str())
                    || (is_jwk && PRIVATE_JWK_MEMBERS.contains(&name.as_str()));
                if secret {
                    *member = placeholder(member);
                    any = true;
                } else {
                    any |= redact_value(member);
                }
            }
            any
        }
        _ => false,
    }
}

/// Keeps what a shape check needs: the JSON type, and a string's length.
fn placeholder(secret: &Value) -> Value {
    match secret {
        Value::String(s) => Value::from(format!("<redacted:{}>", s.len())),
        Value::Array(items) => Value::from(vec![Value::from("<redacted>"); items.len()]),
        Value::Null => Value::Null,
        _ => Value::from("<redacted>"),
    }
}

/// A form body with the values of secret fields replaced.
fn redact_form(text: &str) -> String {
    url::form_urlencoded::parse(text.as_bytes())
        .fold(
            url::form_urlencoded::Serializer::new(String::new()),
            |mut form, (name, value)| {
                if SECRET_MEMBERS.contains(&name.as_ref()) {
                    form.append_pair(&name, &format!("<redacted:{}>", value.len()));
                } else {
                    form.append_pair(&name, &value);
                }
                form
            },
        )
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_keep_only_their_scheme_and_spacing() {
        let cases = [
            ("SSWS 00sim-token", "SSWS <redacted>"),
            ("SSWS00sim-token", "SSWS<redacted>"),
            ("Bearer eyJhbGciOi", "Bearer <redacted>"),
            ("bearer eyJhbGciOi", "bearer <redacted>"),
            ("00sim-token", "<redacted>"),
            ("", "<redacted>"),
        ];
        for (value, recorded) in cases {
            assert_eq!(credential_shape(value), recorded, "for {value:?}");
        }
    }

    #[test]
    fn json_secrets_are_redacted_and_other_members_kept() {
        let cases = [
            (
                r#"{"token_type":"Bearer","expires_in":3600,"access_token":"abcd"}"#,
                Some(r#"{"token_type":"Bearer","expires_in":3600,"access_token":"<redacted:4>"}"#),
            ),
            (
                r#"{"keys":[{"kty":"RSA","n":"xyz","d":"secret"}]}"#,
                Some(r#"{"keys":[{"kty":"RSA","n":"xyz","d":"<redacted:6>"}]}"#),
            ),
            (r#"{"id":"0oa1","d":"kept outside a JWK"}"#, None),
            ("not json", None),
        ];
        for (text, redacted) in cases {
            assert_eq!(redact_json(text).as_deref(), redacted, "for {text}");
        }
    }

    #[test]
    fn form_assertions_are_redacted() {
        let form =
            "grant_type=client_credentials&client_assertion=eyJ.abc.def&scope=okta.apps.read";
        assert_eq!(
            redact_form(form),
            "grant_type=client_credentials&client_assertion=%3Credacted%3A11%3E&scope=okta.apps.read"
        );
    }
}
