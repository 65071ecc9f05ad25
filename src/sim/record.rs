//! Traffic recording for conformance checks: with `SimConfig::record` set (by default from
//! the `KEYSHARE_SIM_RECORD` environment variable), every `/api` exchange is appended to that
//! file as one JSON line, for scripts/validate_traffic.py to check against the OpenAPI spec.
//! Credentials are never written: no headers but content types are kept, and the token
//! endpoint is not recorded at all.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use super::Simulator;

/// The largest body recorded; bigger ones are recorded as absent.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// An append-only JSON-lines file shared by every simulator of the process.
pub struct Recorder {
    file: Mutex<File>,
}

impl Recorder {
    /// Opens `path` for appending, creating it.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    fn append(&self, entry: &Value) {
        let mut line = entry.to_string();
        line.push('\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // One write per line, in append mode, so lines of concurrent simulators do not mix.
        // A failed write loses one record and must not fail the request being served.
        let _ = file.write_all(line.as_bytes());
    }
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

fn body_text(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_owned()),
        Err(_) => Value::Null,
    }
}

/// Middleware: records the exchange when a recorder is configured.
pub async fn record(
    State(sim): State<Simulator>,
    path: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let Some(recorder) = sim.recorder() else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let request_body = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let mut entry = json!({
        "method": parts.method.as_str(),
        "route": path.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query().unwrap_or_default(),
        "requestContentType": content_type(&parts.headers),
        "requestBody": body_text(&request_body),
    });
    let response = next
        .run(Request::from_parts(parts, Body::from(request_body)))
        .await;
    let (parts, body) = response.into_parts();
    let response_body = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    entry["status"] = json!(parts.status.as_u16());
    entry["responseContentType"] = json!(content_type(&parts.headers));
    entry["responseBody"] = body_text(&response_body);
    recorder.append(&entry);
    Response::from_parts(parts, Body::from(response_body))
}
