//! Turns what went wrong on the wire into an [`ApiError`] that keeps the evidence (status,
//! Okta's error object, a short body snippet) and tells a person what to check.
//!
//! Never put a whole body, a header dump or a `Debug` of a reqwest value into an error: bodies
//! can be large and headers carry credentials.

use crate::okta::error::{ApiError, OktaErrorBody};

/// The longest body excerpt kept in an error.
const SNIPPET_CHARS: usize = 200;

/// Which credentials were used, so that 401 and 403 advice names the right settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    Ssws,
    OAuth,
}

/// The request a failure belongs to, as it appears in error messages.
#[derive(Debug, Clone)]
pub struct RequestLabel {
    pub method: &'static str,
    /// Path and query of the request URL (keyshare never puts credentials in URLs).
    pub path: String,
}

/// The error for a non-success answer.
pub fn from_status(label: &RequestLabel, status: u16, body: &[u8], auth: AuthKind) -> ApiError {
    let RequestLabel { method, path } = label.clone();
    let Some(body) = okta_error_body(body).map(Box::new) else {
        return ApiError::UnexpectedStatus {
            method,
            path,
            status,
            snippet: snippet(body),
        };
    };
    match status {
        401 | 403 => ApiError::Denied {
            advice: denied_advice(status, method, auth),
            method,
            path,
            status,
            body,
        },
        _ => ApiError::Okta {
            method,
            path,
            status,
            body,
        },
    }
}

/// The error for a success answer whose body is not what the operation returns.
pub fn invalid_body(
    label: &RequestLabel,
    expected: &'static str,
    detail: impl std::fmt::Display,
    body: &[u8],
) -> ApiError {
    invalid(
        label,
        expected,
        format!("{detail}; the answer began: {}", snippet(body)),
    )
}

/// The error for an answer that breaks a rule other than its body's shape.
pub fn invalid(label: &RequestLabel, expected: &'static str, detail: String) -> ApiError {
    ApiError::InvalidResponse {
        method: label.method,
        path: label.path.clone(),
        expected,
        detail,
    }
}

/// The error for a request that got no answer.
pub fn transport(label: &RequestLabel, host: &str, err: reqwest::Error) -> ApiError {
    let maybe_sent = may_have_been_sent(&err);
    let detail = error_chain(err);
    let advice = transport_advice(&detail);
    ApiError::Transport {
        method: label.method,
        path: label.path.clone(),
        host: host.to_owned(),
        detail: if advice.is_empty() {
            detail
        } else {
            format!("{detail}. {advice}")
        },
        maybe_sent,
    }
}

/// A connection that was never made cannot have carried the request; anything later
/// (a timeout while waiting, a connection dropped mid-answer) may have.
pub fn may_have_been_sent(err: &reqwest::Error) -> bool {
    !err.is_connect() && !err.is_builder()
}

/// Okta's error object, when the body is one.
fn okta_error_body(body: &[u8]) -> Option<OktaErrorBody> {
    serde_json::from_slice::<OktaErrorBody>(body)
        .ok()
        .filter(|b| !b.error_code.is_empty())
}

fn denied_advice(status: u16, method: &str, auth: AuthKind) -> String {
    let scope = if method == "GET" {
        "okta.apps.read"
    } else {
        "okta.apps.manage"
    };
    match (status, auth) {
        (401, AuthKind::Ssws) => "Check the API token (--token / OKTA_CLIENT_TOKEN): it is mistyped, revoked, expired (unused for 30 days), or from another org than --org-url".to_owned(),
        (401, AuthKind::OAuth) => "The access token was refused: check that the service app (--client-id / OKTA_CLIENT_CLIENTID) is active in the org of --org-url".to_owned(),
        (_, AuthKind::Ssws) => "The API token's administrator lacks a role over these apps: give that admin the Application Administrator (or Super Administrator) role, or use a token of an admin who has it".to_owned(),
        (_, AuthKind::OAuth) => format!(
            "The service app lacks the `{scope}` scope or an admin role over these apps: grant `{scope}` on the app's Okta API Scopes tab, request it in --scopes / OKTA_CLIENT_SCOPES, and assign the app an admin role (e.g. Application Administrator)"
        ),
    }
}

fn transport_advice(detail: &str) -> &'static str {
    let lower = detail.to_ascii_lowercase();
    if lower.contains("dns") || lower.contains("lookup") {
        "Check the host name in --org-url / OKTA_CLIENT_ORGURL and the network's DNS"
    } else if lower.contains("certificate") || lower.contains("tls") {
        "The TLS connection failed; if a proxy or private CA signs this host's certificate, pass its CA with --ca-cert FILE"
    } else if lower.contains("timed out") {
        "Okta did not answer in time; raise --timeout if the network is slow"
    } else {
        ""
    }
}

/// reqwest's error and its sources on one line, without the URL (the host is reported apart).
pub fn error_chain(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(&err);
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// At most [`SNIPPET_CHARS`] characters of a body, on one line.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut one_line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(SNIPPET_CHARS + 1)
        .collect();
    if body.is_empty() {
        return "(empty body)".to_owned();
    }
    if one_line.is_empty() {
        return format!(
            "({} bytes of whitespace and control characters only)",
            body.len()
        );
    }
    if one_line.chars().count() > SNIPPET_CHARS {
        one_line = one_line.chars().take(SNIPPET_CHARS).collect();
        one_line.push('…');
    }
    one_line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(method: &'static str) -> RequestLabel {
        RequestLabel {
            method,
            path: "/api/v1/apps/0oa1/credentials/keys/k1/clone?targetAid=0oa2".to_owned(),
        }
    }

    #[test]
    fn error_messages() {
        let clone_dup = br#"{"errorCode":"E0000001","errorSummary":"Api validation failed: cloneKey","errorLink":"E0000001","errorId":"oae1","errorCauses":[{"errorSummary":"Key already exists in the list of key credentials for the target app."}]}"#;
        let invalid_token = br#"{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorLink":"E0000011","errorId":"oae2","errorCauses":[]}"#;
        let forbidden = br#"{"errorCode":"E0000006","errorSummary":"You do not have permission to perform the requested action","errorCauses":[]}"#;
        let cases: &[(&str, u16, &[u8], AuthKind, &str)] = &[
            (
                "POST",
                400,
                clone_dup,
                AuthKind::Ssws,
                "POST /api/v1/apps/0oa1/credentials/keys/k1/clone?targetAid=0oa2: Okta answered 400 E0000001: Api validation failed: cloneKey (Key already exists in the list of key credentials for the target app.)",
            ),
            (
                "GET",
                401,
                invalid_token,
                AuthKind::Ssws,
                "GET /api/v1/apps/0oa1/credentials/keys/k1/clone?targetAid=0oa2: Okta answered 401 E0000011: Invalid token provided. Check the API token (--token / OKTA_CLIENT_TOKEN): it is mistyped, revoked, expired (unused for 30 days), or from another org than --org-url",
            ),
            (
                "POST",
                403,
                forbidden,
                AuthKind::OAuth,
                "POST /api/v1/apps/0oa1/credentials/keys/k1/clone?targetAid=0oa2: Okta answered 403 E0000006: You do not have permission to perform the requested action. The service app lacks the `okta.apps.manage` scope or an admin role over these apps: grant `okta.apps.manage` on the app's Okta API Scopes tab, request it in --scopes / OKTA_CLIENT_SCOPES, and assign the app an admin role (e.g. Application Administrator)",
            ),
            (
                "GET",
                502,
                b"<html>\n  <body>Bad   gateway</body>\n</html>",
                AuthKind::Ssws,
                "GET /api/v1/apps/0oa1/credentials/keys/k1/clone?targetAid=0oa2: unexpected HTTP 502 from Okta: <html> <body>Bad gateway</body> </html>. Okta's server kept failing through keyshare's retries: run the command again (apply resumes where it stopped); if it keeps failing, check https://status.okta.com",
            ),
            (
                "GET",
                500,
                b"",
                AuthKind::Ssws,
                "GET /api/v1/apps/0oa1/credentials/keys/k1/clone?targetAid=0oa2: unexpected HTTP 500 from Okta: (empty body). Okta's server kept failing through keyshare's retries: run the command again (apply resumes where it stopped); if it keeps failing, check https://status.okta.com",
            ),
        ];
        for (method, status, body, auth, expected) in cases {
            let err = from_status(&label(method), *status, body, *auth);
            assert_eq!(err.to_string(), *expected);
        }
    }

    #[test]
    fn error_kinds_drive_the_callers_decisions() {
        let dup = from_status(
            &label("POST"),
            400,
            br#"{"errorCode":"E0000001","errorSummary":"Api validation failed: cloneKey","errorCauses":[]}"#,
            AuthKind::Ssws,
        );
        assert!(dup.may_be_clone_duplicate());
        assert!(!dup.is_ambiguous());
        let gone = from_status(
            &label("GET"),
            404,
            br#"{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: 0oa1 (AppInstance)","errorCauses":[]}"#,
            AuthKind::Ssws,
        );
        assert!(gone.is_not_found());
        let proxy_404 = from_status(&label("GET"), 404, b"<html>nope</html>", AuthKind::Ssws);
        assert!(!proxy_404.is_not_found());
        let server = from_status(&label("POST"), 500, b"", AuthKind::Ssws);
        assert!(server.is_ambiguous());
        let denied = from_status(
            &label("GET"),
            403,
            br#"{"errorCode":"E0000006","errorSummary":"x"}"#,
            AuthKind::OAuth,
        );
        assert_eq!(denied.status(), Some(403));
        assert_eq!(denied.error_code(), Some("E0000006"));
        assert!(denied.to_string().contains("`okta.apps.read`"));
    }

    #[test]
    fn snippets_are_short_and_on_one_line() {
        let long = "x".repeat(1000);
        let s = snippet(long.as_bytes());
        assert_eq!(s.chars().count(), SNIPPET_CHARS + 1);
        assert!(s.ends_with('…'));
        assert_eq!(snippet(b"a\r\n\tb\x07"), "a b");
        assert_eq!(
            snippet(b" \r\n\t\x07 "),
            "(6 bytes of whitespace and control characters only)"
        );
    }
}
