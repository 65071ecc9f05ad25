//! The operations keyshare needs from Okta, as a trait, so that the executor is written once
//! against it and tested over real HTTP against the simulator.

use std::future::Future;

use serde_json::{Map, Value};

use jiff::Timestamp;

use super::{ApiError, AppId, Application, JsonWebKey, Kid, LogEvent};

/// Parameters of `GET /api/v1/apps` (docs/okta-api.md §2). The client follows every `next` link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppQuery {
    /// Prefix match on `name` or `label`.
    pub q: Option<String>,
    /// One `eq` expression, e.g. `credentials.signing.kid eq "…"`.
    pub filter: Option<String>,
    /// Page size, at most 200.
    pub limit: Option<u32>,
}

/// A System Log query (docs/okta-api.md §12): events published at or after `since` that match
/// `filter`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    /// The lower bound on `published`.
    pub since: Timestamp,
    /// A filter expression, e.g. `eventType eq "application.lifecycle.update"`.
    pub filter: Option<String>,
    /// Page size, at most 1,000.
    pub limit: u32,
    /// The most pages to read; the log is a stream, so reading stops somewhere.
    pub max_pages: u32,
}

/// What a System Log query read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogRead {
    /// The events, oldest first.
    pub events: Vec<LogEvent>,
    /// Whether the reader caught up with the log (a page shorter than the limit came back);
    /// `false` when `max_pages` ran out first, so events may have been left unread.
    pub caught_up: bool,
    /// The pages read: the calls spent.
    pub pages: u32,
}

/// The Okta Management API operations that keyshare uses (docs/okta-api.md §1).
///
/// Every method is one logical operation; an implementation may spend several HTTP requests
/// on it (pages, retries, token refresh) but never changes its meaning.
pub trait OktaApi: Send + Sync {
    /// `GET /api/v1/apps`, every page.
    fn list_apps(
        &self,
        query: &AppQuery,
    ) -> impl Future<Output = Result<Vec<Application>, ApiError>> + Send;

    /// `GET /api/v1/apps/{id}`.
    fn get_app(&self, id: &AppId) -> impl Future<Output = Result<Application, ApiError>> + Send;

    /// `PUT /api/v1/apps/{id}` with a whole application object.
    fn replace_app(
        &self,
        id: &AppId,
        body: &Map<String, Value>,
    ) -> impl Future<Output = Result<Application, ApiError>> + Send;

    /// `GET /api/v1/apps/{id}/credentials/keys`.
    fn list_keys(
        &self,
        id: &AppId,
    ) -> impl Future<Output = Result<Vec<JsonWebKey>, ApiError>> + Send;

    /// `GET /api/v1/apps/{id}/credentials/keys/{kid}`.
    fn get_key(
        &self,
        id: &AppId,
        kid: &Kid,
    ) -> impl Future<Output = Result<JsonWebKey, ApiError>> + Send;

    /// `POST /api/v1/apps/{id}/credentials/keys/generate?validityYears=N`.
    ///
    /// Implementations must never retry this blindly: a repeat after an ambiguous failure could
    /// create a second key.
    fn generate_key(
        &self,
        id: &AppId,
        validity_years: u8,
    ) -> impl Future<Output = Result<JsonWebKey, ApiError>> + Send;

    /// `POST /api/v1/apps/{holder}/credentials/keys/{kid}/clone?targetAid={target}`.
    fn clone_key(
        &self,
        holder: &AppId,
        kid: &Kid,
        target: &AppId,
    ) -> impl Future<Output = Result<JsonWebKey, ApiError>> + Send;

    /// `GET /api/v1/logs`, following `next` links until a page is short (the log's `next` link
    /// is always present while polling, so its absence cannot mean the end) or `max_pages`.
    fn system_log(
        &self,
        query: &LogQuery,
    ) -> impl Future<Output = Result<LogRead, ApiError>> + Send;

    /// `GET /api/v1/apps/{id}/sso/saml/metadata`: the IdP metadata XML, with the active key's
    /// certificate, or with `kid`'s (`?kid=`, Okta's preview of a key the app holds).
    fn saml_metadata(
        &self,
        id: &AppId,
        kid: Option<&Kid>,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;
}
