//! The endpoints keyshare calls, named by their route template, and the rate-limit bucket each
//! one draws from (docs/okta-api.md §6).
//!
//! Logs and statistics use the template (`/api/v1/apps/{appId}/credentials/keys`), never the
//! concrete path, so that they group by endpoint and stay small.

use std::fmt;

use serde::Serialize;

/// An Okta rate-limit bucket that keyshare draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Bucket {
    /// `/api/v1/apps` and every sub-path except exactly `/api/v1/apps/{id}`: the small one
    /// (20 per minute on free orgs).
    #[serde(rename = "/api/v1/apps")]
    Apps,
    /// Exactly `/api/v1/apps/{id}` (get and replace an app).
    #[serde(rename = "/api/v1/apps/{id}")]
    AppById,
    /// `/api/v1/logs`, the System Log: a bucket of its own (docs/okta-api.md §12).
    #[serde(rename = "/api/v1/logs")]
    Logs,
    /// The org authorization server's token endpoint: counted apart from the management
    /// buckets (docs/okta-api.md §6).
    #[serde(rename = "/oauth2/v1/token")]
    Token,
}

impl Bucket {
    /// The bucket's name as Okta's rate-limit tables write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apps => "/api/v1/apps",
            Self::AppById => "/api/v1/apps/{id}",
            Self::Logs => "/api/v1/logs",
            Self::Token => "/oauth2/v1/token",
        }
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One endpoint keyshare calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    ListApps,
    App,
    Keys,
    Key,
    GenerateKey,
    CloneKey,
    SamlMetadata,
    SystemLog,
    /// The org authorization server's token endpoint, for OAuth access tokens.
    Token,
}

impl Route {
    /// The route template, for logs.
    pub fn template(self) -> &'static str {
        match self {
            Self::ListApps => "/api/v1/apps",
            Self::App => "/api/v1/apps/{appId}",
            Self::Keys => "/api/v1/apps/{appId}/credentials/keys",
            Self::Key => "/api/v1/apps/{appId}/credentials/keys/{keyId}",
            Self::GenerateKey => "/api/v1/apps/{appId}/credentials/keys/generate",
            Self::CloneKey => "/api/v1/apps/{appId}/credentials/keys/{keyId}/clone",
            Self::SamlMetadata => "/api/v1/apps/{appId}/sso/saml/metadata",
            Self::SystemLog => "/api/v1/logs",
            Self::Token => "/oauth2/v1/token",
        }
    }

    /// The rate-limit bucket this endpoint draws from.
    pub fn bucket(self) -> Bucket {
        match self {
            Self::App => Bucket::AppById,
            Self::SystemLog => Bucket::Logs,
            Self::Token => Bucket::Token,
            Self::ListApps
            | Self::Keys
            | Self::Key
            | Self::GenerateKey
            | Self::CloneKey
            | Self::SamlMetadata => Bucket::Apps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_app_itself_uses_the_by_id_bucket_and_the_log_and_token_have_their_own() {
        let table = [
            (Route::ListApps, Bucket::Apps),
            (Route::App, Bucket::AppById),
            (Route::Keys, Bucket::Apps),
            (Route::Key, Bucket::Apps),
            (Route::GenerateKey, Bucket::Apps),
            (Route::CloneKey, Bucket::Apps),
            (Route::SamlMetadata, Bucket::Apps),
            (Route::SystemLog, Bucket::Logs),
            (Route::Token, Bucket::Token),
        ];
        for (route, bucket) in table {
            assert_eq!(route.bucket(), bucket, "{}", route.template());
        }
    }
}
