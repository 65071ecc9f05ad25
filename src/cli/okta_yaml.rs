//! The Okta SDKs' configuration files, read as the SDKs read them: `okta.client.*` from
//! `./.okta.yaml` and `~/.okta/okta.yaml`. Flags and environment variables win over both, and
//! the project's file over the user's (docs/configuration.md).
//!
//! Only the keys keyshare has a setting for are read (`orgUrl`, `token`, `authorizationMode`,
//! `clientId`, `scopes`, `privateKey`, `kid`); the SDKs' other keys (proxy, cache, timeouts)
//! are left alone, so that a file written for an SDK loads unchanged. A file that is absent is
//! skipped; one that cannot be read or parsed is an error naming it, never silently ignored,
//! since it would otherwise send keyshare to another org than the operator meant. Values are
//! never logged: the token and private key become [`Secret`]s at once.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::okta::SettingsError;
use crate::okta::http::Secret;

/// How keyshare authenticates, as `OKTA_CLIENT_AUTHORIZATIONMODE` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationMode {
    /// An API token (`Authorization: SSWS …`).
    Ssws,
    /// OAuth 2.0 client credentials signed with a private key (an Okta service app).
    PrivateKey,
}

/// Parses the mode case-insensitively. The value often comes from the environment, so the
/// error names the variable as well as the flag.
pub(super) fn authorization_mode(value: &str) -> Result<AuthorizationMode, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "ssws" => Ok(AuthorizationMode::Ssws),
        "privatekey" => Ok(AuthorizationMode::PrivateKey),
        _ => Err(
            "expected SSWS or PrivateKey; set --authorization-mode or OKTA_CLIENT_AUTHORIZATIONMODE to one of them"
                .to_owned(),
        ),
    }
}

/// The settings one file gives.
#[derive(Debug, Default)]
pub struct FileSettings {
    pub org_url: Option<String>,
    pub token: Option<Secret>,
    pub authorization_mode: Option<AuthorizationMode>,
    pub client_id: Option<String>,
    pub scopes: Option<String>,
    pub private_key: Option<Secret>,
    pub kid: Option<String>,
}

#[derive(Deserialize)]
struct File {
    okta: Option<Okta>,
}

#[derive(Deserialize)]
struct Okta {
    client: Option<Client>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Client {
    org_url: Option<String>,
    token: Option<String>,
    authorization_mode: Option<String>,
    client_id: Option<String>,
    /// A list, as the SDKs write it, or one string of scopes separated by spaces or commas.
    scopes: Option<Scopes>,
    private_key: Option<String>,
    kid: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Scopes {
    List(Vec<String>),
    Text(String),
}

/// The files to read, the one that wins first: `./.okta.yaml`, then `~/.okta/okta.yaml`.
pub fn default_paths() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from(".okta.yaml")];
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        paths.push(Path::new(&home).join(".okta").join("okta.yaml"));
    }
    paths
}

/// Reads `path`; `None` when there is no such file.
pub fn read(path: &Path) -> Result<Option<FileSettings>, SettingsError> {
    let bad = |detail: String| SettingsError::OktaYaml {
        path: path.to_path_buf(),
        detail,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(bad(err.to_string())),
    };
    if text.trim().is_empty() {
        return Ok(Some(FileSettings::default()));
    }
    let file: File = serde_yaml::from_str(&text).map_err(|err| bad(err.to_string()))?;
    let Some(client) = file.okta.and_then(|okta| okta.client) else {
        return Ok(Some(FileSettings::default()));
    };
    Ok(Some(FileSettings {
        org_url: client.org_url,
        token: client.token.map(Secret::new),
        authorization_mode: client
            .authorization_mode
            .map(|mode| {
                authorization_mode(&mode)
                    .map_err(|detail| bad(format!("okta.client.authorizationMode: {detail}")))
            })
            .transpose()?,
        client_id: client.client_id,
        scopes: client.scopes.map(|scopes| match scopes {
            Scopes::List(list) => list.join(" "),
            Scopes::Text(text) => text,
        }),
        private_key: client.private_key.map(Secret::new),
        kid: client.kid,
    }))
}
