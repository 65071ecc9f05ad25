//! Who may call `/api` (docs/okta-api.md §9):
//! - `SSWS <token>` (also `SSWS<token>`, as the Python SDK sends it): any configured API token;
//! - `Bearer <access token>` issued by `/oauth2/v1/token`, within its hour;
//! - `DPoP <access token>` plus a `DPoP` proof, for DPoP-bound tokens.
//!
//! A missing, unknown or expired credential is 401 E0000011. A token without the scope is
//! 403 E0000006: reads need `okta.apps.read` (or `okta.apps.manage`), writes `okta.apps.manage`.
//! Never logs or echoes a credential.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Simulator;
use super::dpop;
use super::error::OktaError;
use super::oauth::{IssuedToken, LOGS_READ, MANAGE, READ};
use super::request::base_url;

/// Why a request may not pass.
enum Denied {
    /// 401: no usable credential.
    Unauthenticated,
    /// 403: a valid token without this scope.
    MissingScope(&'static str),
}

/// Middleware: lets the request through only with a valid credential and scope.
pub async fn require(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    match authorize(&sim, &request) {
        Ok(()) => next.run(request).await,
        Err(Denied::Unauthenticated) => OktaError::invalid_token().into_response(),
        Err(Denied::MissingScope(scope)) => insufficient_scope(scope, request.headers()),
    }
}

fn authorize(sim: &Simulator, request: &Request) -> Result<(), Denied> {
    let headers = request.headers();
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(invalid)?;
    if let Some(token) = value.strip_prefix("SSWS").map(str::trim_start) {
        let known = !token.is_empty() && sim.config().tokens.iter().any(|t| t == token);
        return if known { Ok(()) } else { Err(invalid()) };
    }
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
    let issued = sim.oauth().token(token.trim()).ok_or_else(invalid)?;
    match (scheme, &issued.dpop_jkt) {
        ("Bearer", None) => {}
        ("DPoP", Some(jkt)) => check_resource_proof(request, token.trim(), jkt)?,
        _ => return Err(invalid()),
    }
    check_scope(&issued, request.method(), request.uri().path())
}

fn check_resource_proof(request: &Request, token: &str, jkt: &str) -> Result<(), Denied> {
    let proof = request
        .headers()
        .get("dpop")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(invalid)?;
    let url = format!("{}{}", base_url(request.headers()), request.uri().path());
    let proof =
        dpop::verify(proof, request.method().as_str(), &url, Some(token)).map_err(|_| invalid())?;
    if proof.jkt == jkt {
        Ok(())
    } else {
        Err(invalid())
    }
}

fn check_scope(issued: &IssuedToken, method: &Method, path: &str) -> Result<(), Denied> {
    let has = |scope: &str| issued.scopes.iter().any(|s| s == scope);
    // The System Log has a scope of its own: a client allowed to manage apps may still not
    // read the log (docs/okta-api.md §12).
    if path == "/api/v1/logs" {
        return if has(LOGS_READ) {
            Ok(())
        } else {
            Err(Denied::MissingScope(LOGS_READ))
        };
    }
    let needed = if matches!(*method, Method::GET | Method::HEAD) {
        READ
    } else {
        MANAGE
    };
    if has(needed) || (needed == READ && has(MANAGE)) {
        Ok(())
    } else {
        Err(Denied::MissingScope(needed))
    }
}

/// 403 E0000006 with a Bearer challenge naming the scope (the header is UNCONFIRMED).
fn insufficient_scope(needed: &str, headers: &HeaderMap) -> Response {
    let mut response = OktaError::forbidden().into_response();
    let challenge = format!(
        "Bearer realm=\"{}\", error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\", scope=\"{needed}\"",
        base_url(headers)
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn invalid() -> Denied {
    Denied::Unauthenticated
}
