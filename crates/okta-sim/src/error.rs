//! Errors: [`SimError`] for starting the simulator, [`OktaError`] for what it answers over HTTP,
//! with Okta's codes and summaries (docs/okta-api.md §7). `errorSummary` texts are copied exactly where
//! docs/okta-api.md gives them; the choices where it does not are listed in docs/simulator.md.

use std::path::PathBuf;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::ids;

/// Why the simulator could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A key pair or certificate could not be made.
    #[error("could not make a signing key: {0}")]
    Crypto(String),
    /// The seed file could not be read or does not describe a valid org.
    #[error("seed file {}: {detail}", path.display())]
    Seed {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        detail: String,
    },
    /// The configuration contradicts itself (duplicate app id, unknown active key, …).
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// The listener could not be bound or served.
    #[error("simulator I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// An Okta error response: status, `errorCode`, `errorSummary` and `errorCauses`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OktaError {
    /// HTTP status.
    pub status: StatusCode,
    /// `errorCode`, e.g. `E0000001`.
    pub code: &'static str,
    /// `errorSummary`.
    pub summary: String,
    /// The `errorSummary` of each `errorCauses` entry.
    pub causes: Vec<String>,
}

impl OktaError {
    fn new(status: StatusCode, code: &'static str, summary: impl Into<String>) -> Self {
        Self {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
        }
    }

    /// Adds one `errorCauses` entry.
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.causes.push(cause.into());
        self
    }

    /// 400 E0000001 `Api validation failed: {field}`.
    pub fn validation(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            format!("Api validation failed: {field}"),
        )
    }

    /// 400 E0000003: the body is not the JSON it should be.
    pub fn malformed_body() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
        )
    }

    /// 400 E0000028: a required query parameter is absent.
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000028",
            "The request is missing a required parameter.",
        )
        .with_cause(format!("{name}: The parameter is required."))
    }

    /// 400 E0000031: a `filter` the endpoint does not support.
    pub fn invalid_search() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000031",
            "Invalid search criteria.",
        )
    }

    /// 400 E0000029: an `after` cursor the server does not know, as a real org answered it.
    pub fn invalid_paging() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000029",
            "Invalid paging request.",
        )
        .with_cause("Invalid cursor.")
    }

    /// 401 E0000011.
    pub fn invalid_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
        )
    }

    /// 403 E0000006.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
    }

    /// 404 E0000007 `Not found: Resource not found: {what} ({kind})`.
    pub fn not_found(what: &str, kind: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {what} ({kind})"),
        )
    }

    /// 405 E0000022.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
    }

    /// 429 E0000047.
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )
    }

    /// An injected failure: 429 E0000047, or any 5xx with Okta's E0000009 body.
    pub fn server_error(status: StatusCode) -> Self {
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Self::rate_limited();
        }
        if status == StatusCode::FORBIDDEN {
            return Self::forbidden();
        }
        Self {
            status,
            ..Self::internal()
        }
    }

    /// 500 E0000009.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E0000009",
            "Internal Server Error",
        )
    }

    /// The JSON body, with a fresh `errorId`.
    pub fn body(&self) -> serde_json::Value {
        let causes: Vec<_> = self
            .causes
            .iter()
            .map(|c| json!({ "errorSummary": c }))
            .collect();
        json!({
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": ids::error_id(),
            "errorCauses": causes,
        })
    }
}

impl IntoResponse for OktaError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body().to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

impl From<SimError> for OktaError {
    fn from(_: SimError) -> Self {
        Self::internal()
    }
}
