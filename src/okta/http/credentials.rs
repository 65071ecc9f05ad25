//! Puts credentials on a request: an API token, or an OAuth access token from
//! [`TokenSource`].
//!
//! An SSWS token is checked once, when the client is built.
//!
//! Credential values are kept as sensitive header values (their `Debug` prints `Sensitive`)
//! or [`Secret`]s, and leave this module only on the wire; nothing here logs.

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use url::Url;

use super::Inner;
use super::failure::AuthKind;
use super::oauth::TokenSource;
use super::oauth::key::SigningKey;
use super::secret::sensitive_header;
use super::settings::Auth;
use crate::okta::error::{ApiError, SettingsError};

/// The credentials of a running client.
#[derive(Debug)]
pub enum Credentials {
    /// An API token, as the ready `SSWS <token>` header value.
    Ssws(HeaderValue),
    /// An OAuth service app.
    OAuth(Box<TokenSource>),
}

impl Credentials {
    /// Credentials for `auth` at `org`; a token or key that cannot be used is a settings error.
    pub fn new(auth: &Auth, org: &Url) -> Result<Self, SettingsError> {
        match auth {
            Auth::Ssws(token) => sensitive_header(&format!("SSWS {}", token.expose()))
                .map(Self::Ssws)
                .map_err(|()| SettingsError::BadToken),
            Auth::PrivateKey {
                client_id,
                scopes,
                private_key,
                kid,
            } => {
                let key = SigningKey::load(&private_key.load()?, kid.clone())?;
                TokenSource::new(org, client_id, scopes, key).map(|s| Self::OAuth(Box::new(s)))
            }
        }
    }

    /// Which kind of credentials these are, for error advice.
    pub fn kind(&self) -> AuthKind {
        match self {
            Self::Ssws(_) => AuthKind::Ssws,
            Self::OAuth(_) => AuthKind::OAuth,
        }
    }

    /// Whether a refused request may be helped by getting new credentials.
    pub fn renewable(&self) -> bool {
        matches!(self, Self::OAuth(_))
    }

    /// Forgets a cached access token.
    pub async fn forget_token(&self) {
        if let Self::OAuth(source) = self {
            source.forget().await;
        }
    }

    /// Adds the `Authorization` header (and a DPoP proof when needed).
    pub async fn authorize(
        &self,
        inner: &Inner,
        request: reqwest::RequestBuilder,
        method: &Method,
        url: &Url,
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        match self {
            Self::Ssws(value) => Ok(request.header(AUTHORIZATION, value.clone())),
            Self::OAuth(source) => source.authorize(inner, request, method.as_str(), url).await,
        }
    }
}
