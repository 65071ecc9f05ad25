//! Errors of the API layer, typed so that callers decide by kind and users read what to do.
//!
//! Only `errorCode` is used for flow control; `errorSummary` is for people (REFERENCE §7).
//! No variant may carry a token, an assertion or a private key.

use serde::{Deserialize, Serialize};

/// Okta's error object (REFERENCE §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OktaErrorBody {
    #[serde(rename = "errorCode")]
    pub error_code: String,
    #[serde(rename = "errorSummary", default)]
    pub error_summary: String,
    #[serde(rename = "errorLink", default)]
    pub error_link: Option<String>,
    #[serde(rename = "errorId", default)]
    pub error_id: Option<String>,
    #[serde(rename = "errorCauses", default)]
    pub error_causes: Vec<ErrorCause>,
}

/// One entry of `errorCauses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ErrorCause {
    #[serde(rename = "errorSummary", default)]
    pub error_summary: String,
}

/// What went wrong talking to Okta.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Okta answered with a documented error object.
    #[error("{method} {path}: Okta answered {status} {}: {}{}", body.error_code, body.error_summary, causes(body))]
    Okta {
        method: &'static str,
        path: String,
        status: u16,
        body: OktaErrorBody,
    },
    /// Okta answered with a status keyshare does not expect and no error object.
    #[error("{method} {path}: unexpected HTTP {status} from Okta: {snippet}")]
    UnexpectedStatus {
        method: &'static str,
        path: String,
        status: u16,
        snippet: String,
    },
    /// The answer could not be read as the object it should be.
    #[error("{method} {path}: Okta's answer is not a valid {expected}: {detail}")]
    InvalidResponse {
        method: &'static str,
        path: String,
        expected: &'static str,
        detail: String,
    },
    /// The request did not reach Okta or no answer came back.
    #[error("{method} {path}: could not reach {host}: {detail}")]
    Transport {
        method: &'static str,
        path: String,
        host: String,
        detail: String,
        /// Whether the request may have reached Okta (a timeout or a dropped connection after
        /// sending), which makes a failed write ambiguous.
        maybe_sent: bool,
    },
    /// The rate-limit budget ran out: Okta kept answering 429 past the retry budget.
    #[error(
        "{method} {path}: rate limit of the `{bucket}` bucket still exhausted after waiting {waited_secs} s"
    )]
    RateLimited {
        method: &'static str,
        path: String,
        bucket: String,
        waited_secs: u64,
    },
    /// Getting an access token failed (OAuth).
    #[error("OAuth token request failed: {0}")]
    Auth(String),
    /// The client was set up wrongly (bad URL, unreadable key, …).
    #[error("{0}")]
    Config(String),
}

fn causes(body: &OktaErrorBody) -> String {
    let parts: Vec<&str> = body
        .error_causes
        .iter()
        .map(|c| c.error_summary.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

impl ApiError {
    /// The HTTP status Okta answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Okta { status, .. } | Self::UnexpectedStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Okta's `errorCode`, if it sent an error object.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Okta { body, .. } => Some(&body.error_code),
            _ => None,
        }
    }

    /// 404 E0000007: the app or key does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The clone was refused because the target already holds the key (REFERENCE §5.3), which
    /// keyshare counts as done.
    pub fn is_clone_duplicate(&self) -> bool {
        match self {
            Self::Okta {
                status: 400, body, ..
            } => body.error_code == "E0000001" && body.error_summary.contains("cloneKey"),
            _ => false,
        }
    }

    /// Whether a write that failed this way may nonetheless have taken effect.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            Self::Transport { maybe_sent, .. } => *maybe_sent,
            Self::Okta { status, .. } | Self::UnexpectedStatus { status, .. } => *status >= 500,
            Self::InvalidResponse { .. } => true,
            _ => false,
        }
    }
}
