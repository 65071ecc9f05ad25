//! Who may call `/api`: `Authorization: SSWS <token>` (with or without the space, as the
//! Python SDK sends it, REFERENCE §9). A missing or unknown credential is 401 E0000011.
//! Never logs or echoes a credential.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Simulator;
use super::error::OktaError;

/// Middleware: lets the request through only with a valid credential.
pub async fn require(State(sim): State<Simulator>, request: Request, next: Next) -> Response {
    match authorize(&sim, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

fn authorize(sim: &Simulator, headers: &HeaderMap) -> Result<(), OktaError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(OktaError::invalid_token)?;
    let token = value
        .strip_prefix("SSWS")
        .map(str::trim_start)
        .filter(|t| !t.is_empty())
        .ok_or_else(OktaError::invalid_token)?;
    if sim.config().tokens.iter().any(|known| known == token) {
        Ok(())
    } else {
        Err(OktaError::invalid_token())
    }
}
