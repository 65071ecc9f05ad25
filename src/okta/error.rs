//! Errors of the API layer, typed so that callers decide by kind and users read what to do.
//!
//! Only `errorCode` is used for flow control; `errorSummary` is for people (docs/okta-api.md §7).
//! No variant may carry a token, an assertion or a private key.

use serde::{Deserialize, Serialize};

/// Okta's error object (docs/okta-api.md §7).
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
    #[error("{method} {path}: Okta answered {status} {}: {}{}{}", body.error_code, body.error_summary, causes(body), server_advice(*status))]
    Okta {
        method: &'static str,
        path: String,
        status: u16,
        body: Box<OktaErrorBody>,
    },
    /// Okta answered with a status keyshare does not expect and no error object.
    #[error("{method} {path}: unexpected HTTP {status} from Okta: {snippet}{}", server_advice(*status))]
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
    /// The answer's body was larger than keyshare reads; it stopped reading at the limit.
    #[error(
        "{method} {path}: the answer from {host} is larger than {limit_mib} MiB, the most keyshare reads of one answer, so it stopped reading. Okta's answers are far smaller: check that --org-url / OKTA_CLIENT_ORGURL names the Okta org, and any proxy in HTTPS_PROXY"
    )]
    TooLarge {
        method: &'static str,
        path: String,
        host: String,
        limit_mib: usize,
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
        "{method} {path}: rate limit of the `{bucket}` bucket still exhausted after waiting {waited_secs} s; its window resets in {reset_in_secs} s, beyond the {allowed_secs} s keyshare may wait (--max-rate-limit-wait). Other integrations may be using the bucket: retry later, or check Reports › Rate Limits in the admin console"
    )]
    RateLimited {
        method: &'static str,
        path: String,
        bucket: String,
        waited_secs: u64,
        /// How far away the bucket's next reset was when keyshare gave up.
        reset_in_secs: u64,
        /// The longest one request may wait on rate limits (`max_rate_limit_wait`).
        allowed_secs: u64,
    },
    /// Okta kept answering 429 after each of the bucket's resets.
    #[error(
        "{method} {path}: Okta answered 429 (rate limited) {answers} times in a row in the `{bucket}` bucket, each after waiting for the reset it announced; keyshare stops asking. Another integration may be using the whole bucket, or a proxy answers for Okta: retry later, or check Reports › Rate Limits in the admin console"
    )]
    RateLimitedRepeatedly {
        method: &'static str,
        path: String,
        bucket: String,
        answers: u32,
    },
    /// Okta refused the credentials (401) or their rights (403); `advice` names the setting,
    /// scope or admin role to check.
    #[error("{method} {path}: Okta answered {status} {}: {}{}. {advice}", body.error_code, body.error_summary, causes(body))]
    Denied {
        method: &'static str,
        path: String,
        status: u16,
        body: Box<OktaErrorBody>,
        advice: String,
    },
    /// The OAuth token endpoint refused to issue an access token.
    #[error("OAuth token request to {endpoint} failed: {reason}. {advice}")]
    Auth {
        endpoint: String,
        /// The HTTP status, when the endpoint answered.
        status: Option<u16>,
        /// OAuth's `error` and `error_description`, or what went wrong on the way.
        reason: String,
        advice: String,
    },
    /// The client was set up wrongly (missing org URL, unreadable key, …).
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// A client setting that is missing or unusable. Each message names the flag and the
/// environment variable to fix.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "no Okta org URL: pass --org-url, set OKTA_CLIENT_ORGURL, or write okta.client.orgUrl in ./.okta.yaml or ~/.okta/okta.yaml"
    )]
    MissingOrgUrl,
    #[error(
        "cannot read the Okta SDK configuration file {}: {detail}; fix it or move it away (keyshare reads okta.client.* from ./.okta.yaml and ~/.okta/okta.yaml)",
        path.display()
    )]
    OktaYaml {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("the org URL `{url}` (--org-url / OKTA_CLIENT_ORGURL) is not valid: {detail}")]
    BadOrgUrl { url: String, detail: String },
    #[error(
        "the org URL `{0}` uses http://; keyshare only talks https:// to Okta (plain http is allowed for loopback hosts: 127.0.0.0/8, ::1, localhost)"
    )]
    InsecureOrgUrl(String),
    #[error(
        "no API token: pass --token or set OKTA_CLIENT_TOKEN (or choose OAuth with --authorization-mode PrivateKey / OKTA_CLIENT_AUTHORIZATIONMODE=PrivateKey)"
    )]
    MissingToken,
    #[error(
        "the API token (--token / OKTA_CLIENT_TOKEN) contains characters that cannot be sent in an HTTP header; check that it was copied whole and alone"
    )]
    BadToken,
    #[error("OAuth (authorization mode PrivateKey) needs {what}: pass {flag} or set {env}")]
    MissingOAuthSetting {
        what: &'static str,
        flag: &'static str,
        env: &'static str,
    },
    #[error("cannot read {what} from {path}: {detail}")]
    UnreadableFile {
        what: &'static str,
        path: String,
        detail: String,
    },
    #[error(
        "the private key (--private-key / OKTA_CLIENT_PRIVATEKEY) is not usable: {0}; give an RSA key as PEM (PKCS#1 or PKCS#8) or as a JWK, inline or as a file path"
    )]
    BadPrivateKey(String),
    #[error("the CA certificate {path} (--ca-cert) is not usable: {detail}")]
    BadCaCert { path: String, detail: String },
    #[error("{flag} must be {expected}, not {value}")]
    OutOfRange {
        flag: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error("the HTTP client could not be built: {0}")]
    HttpClient(String),
}

/// What to do after a server error, which the client has already retried: without it the
/// message would only say that Okta failed.
fn server_advice(status: u16) -> &'static str {
    if status >= 500 {
        ". Okta's server kept failing through keyshare's retries: run the command again (apply resumes where it stopped); if it keeps failing, check https://status.okta.com"
    } else {
        ""
    }
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
            Self::Okta { status, .. }
            | Self::Denied { status, .. }
            | Self::UnexpectedStatus { status, .. } => Some(*status),
            Self::Auth { status, .. } => *status,
            _ => None,
        }
    }

    /// Okta's `errorCode`, if it sent an error object.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Okta { body, .. } | Self::Denied { body, .. } => Some(&body.error_code),
            _ => None,
        }
    }

    /// 404 with Okta's error object (E0000007): the app or key does not exist. A 404 without
    /// one (a proxy's page, a wrong org URL path) is not read as "vanished".
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Okta { status: 404, .. })
    }

    /// The clone was refused with the answer Okta gives when the target already holds the key
    /// (400 E0000001 `cloneKey`, docs/okta-api.md §5.3). Okta gives the same code and summary
    /// for other refusals too (a target whose sign-on mode has no signing keys, for one), so
    /// this only says the clone *may* be a duplicate: the target's key list decides.
    pub fn may_be_clone_duplicate(&self) -> bool {
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
            // The request reached the server, and a write may have taken effect.
            Self::InvalidResponse { .. } | Self::TooLarge { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn okta(status: u16, code: &str) -> ApiError {
        ApiError::Okta {
            method: "GET",
            path: "/api/v1/apps/0oa1".into(),
            status,
            body: Box::new(OktaErrorBody {
                error_code: code.into(),
                error_summary: "summary".into(),
                ..OktaErrorBody::default()
            }),
        }
    }

    #[test]
    fn a_server_error_says_what_to_do_and_a_client_error_does_not_guess() {
        let server = okta(500, "E0000009").to_string();
        assert!(server.contains("run the command again"), "{server}");
        assert!(server.contains("https://status.okta.com"), "{server}");
        let missing = okta(404, "E0000007").to_string();
        assert_eq!(
            missing,
            "GET /api/v1/apps/0oa1: Okta answered 404 E0000007: summary"
        );
    }
}
