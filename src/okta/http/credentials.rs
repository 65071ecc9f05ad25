//! Puts credentials on a request.
//!
//! Credential values are kept as sensitive header values (their `Debug` prints `Sensitive`)
//! and leave this module only on the wire; nothing here logs.

use reqwest::header::{AUTHORIZATION, HeaderValue};

use super::failure::AuthKind;
use super::secret::Secret;
use crate::okta::error::SettingsError;

/// The credentials of a running client.
#[derive(Debug)]
pub enum Credentials {
    /// An API token, as the ready `SSWS <token>` header value.
    Ssws(HeaderValue),
}

impl Credentials {
    /// API-token credentials; a token that cannot be a header value is a settings error.
    pub fn ssws(token: &Secret) -> Result<Self, SettingsError> {
        sensitive_header(&format!("SSWS {}", token.expose()))
            .map(Self::Ssws)
            .map_err(|()| SettingsError::BadToken)
    }

    /// Which kind of credentials these are, for error advice.
    pub fn kind(&self) -> AuthKind {
        match self {
            Self::Ssws(_) => AuthKind::Ssws,
        }
    }

    /// Adds the `Authorization` header.
    pub fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Self::Ssws(value) => request.header(AUTHORIZATION, value.clone()),
        }
    }
}

/// A header value marked sensitive, so that `Debug` of a request or header map hides it.
pub fn sensitive_header(text: &str) -> Result<HeaderValue, ()> {
    let mut value = HeaderValue::from_str(text).map_err(|_| ())?;
    value.set_sensitive(true);
    Ok(value)
}
