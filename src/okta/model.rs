//! Okta objects as keyshare reads them: applications and their key credentials.
//!
//! An [`Application`] keeps every field it came with, unknown ones included, so that a PUT sends
//! back exactly what was read with only `credentials.signing.kid` changed (DESIGN "Applying
//! safely"). The typed fields are a read-only view over that JSON.

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// An Okta application id such as `0oa8ae1t5yev2ajDs0h7`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppId(pub String);

/// A key credential's opaque id (`kid`), 43 base64url characters in real orgs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Kid(pub String);

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Kid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for AppId {
    fn from(s: &str) -> Self {
        AppId(s.to_owned())
    }
}

impl From<&str> for Kid {
    fn from(s: &str) -> Self {
        Kid(s.to_owned())
    }
}

/// The discriminator of Okta's application types. Unknown values are kept, not rejected:
/// Okta adds modes over time and keyshare must still read such apps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum SignOnMode {
    Saml2,
    Saml11,
    WsFederation,
    OpenIdConnect,
    Bookmark,
    Other(String),
}

impl SignOnMode {
    /// Whether apps of this mode sign assertions with a key that can be shared by cloning.
    pub fn has_shareable_signing_key(&self) -> bool {
        matches!(self, Self::Saml2 | Self::Saml11 | Self::WsFederation)
    }

    /// Okta's wire name, e.g. `SAML_2_0`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Saml2 => "SAML_2_0",
            Self::Saml11 => "SAML_1_1",
            Self::WsFederation => "WS_FEDERATION",
            Self::OpenIdConnect => "OPENID_CONNECT",
            Self::Bookmark => "BOOKMARK",
            Self::Other(s) => s,
        }
    }
}

impl From<String> for SignOnMode {
    fn from(s: String) -> Self {
        match s.as_str() {
            "SAML_2_0" => Self::Saml2,
            "SAML_1_1" => Self::Saml11,
            "WS_FEDERATION" => Self::WsFederation,
            "OPENID_CONNECT" => Self::OpenIdConnect,
            "BOOKMARK" => Self::Bookmark,
            _ => Self::Other(s),
        }
    }
}

impl From<SignOnMode> for String {
    fn from(m: SignOnMode) -> Self {
        m.as_str().to_owned()
    }
}

impl fmt::Display for SignOnMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An application's lifecycle status. Unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum AppStatus {
    Active,
    Inactive,
    Deleted,
    Other(String),
}

impl AppStatus {
    /// Okta's wire name, e.g. `ACTIVE`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
            Self::Deleted => "DELETED",
            Self::Other(s) => s,
        }
    }
}

impl From<String> for AppStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "ACTIVE" => Self::Active,
            "INACTIVE" => Self::Inactive,
            "DELETED" => Self::Deleted,
            _ => Self::Other(s),
        }
    }
}

impl From<AppStatus> for String {
    fn from(s: AppStatus) -> Self {
        s.as_str().to_owned()
    }
}

impl fmt::Display for AppStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An answer from Okta that does not have the shape keyshare relies on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("an application object is not a JSON object")]
    NotAnObject,
    #[error("application {id}: field `{field}` is missing or not {expected}")]
    BadField {
        id: String,
        field: &'static str,
        expected: &'static str,
    },
}

/// An Okta application, with every field it was read with.
///
/// The object is kept as compact JSON text rather than a parsed tree: a parsed SAML app takes
/// about eight times the memory of its text, and an org-wide drift check holds every app of
/// the org. Its digest is taken once, while the tree is at hand.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    raw: Arc<str>,
    digest: Arc<str>,
    pub id: AppId,
    pub name: Option<String>,
    pub label: String,
    pub status: AppStatus,
    pub sign_on_mode: SignOnMode,
    /// `credentials.signing.kid`: the key the app signs with, when its mode has one.
    pub signing_kid: Option<Kid>,
    /// `lastUpdated` exactly as Okta sent it (one-second precision).
    pub last_updated: Option<String>,
}

impl Application {
    /// Reads an application from Okta's JSON, keeping the whole object.
    pub fn from_json(value: Value) -> Result<Self, ModelError> {
        let Value::Object(raw) = value else {
            return Err(ModelError::NotAnObject);
        };
        let digest = hex::encode(Sha256::digest(canonical_json_of_map(&raw).as_bytes()));
        let id = raw
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("<no id>")
            .to_owned();
        let text = |field: &'static str| -> Result<String, ModelError> {
            raw.get(field)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ModelError::BadField {
                    id: id.clone(),
                    field,
                    expected: "a string",
                })
        };
        let optional_text = |field: &str| raw.get(field).and_then(Value::as_str).map(str::to_owned);
        let signing_kid = raw
            .get("credentials")
            .and_then(|c| c.get("signing"))
            .and_then(|s| s.get("kid"))
            .and_then(Value::as_str)
            .map(Kid::from);
        Ok(Self {
            id: AppId(text("id")?),
            label: text("label")?,
            status: AppStatus::from(text("status")?),
            sign_on_mode: SignOnMode::from(text("signOnMode")?),
            name: optional_text("name"),
            last_updated: optional_text("lastUpdated"),
            signing_kid,
            raw: Value::Object(raw).to_string().into(),
            digest: digest.into(),
        })
    }

    /// The whole object as read.
    pub fn json(&self) -> Map<String, Value> {
        serde_json::from_str(&self.raw).expect("the text was written from a JSON object")
    }

    /// The body of a PUT that changes only `credentials.signing.kid`: every other field exactly
    /// as read, so that Okta's replace semantics cannot reset a setting.
    pub fn with_signing_kid(&self, kid: &Kid) -> Map<String, Value> {
        let mut body = self.json();
        let credentials = body
            .entry("credentials")
            .or_insert_with(|| Value::Object(Map::new()));
        if !credentials.is_object() {
            *credentials = Value::Object(Map::new());
        }
        let signing = credentials
            .as_object_mut()
            .expect("credentials was made an object above")
            .entry("signing")
            .or_insert_with(|| Value::Object(Map::new()));
        if !signing.is_object() {
            *signing = Value::Object(Map::new());
        }
        signing
            .as_object_mut()
            .expect("signing was made an object above")
            .insert("kid".to_owned(), Value::String(kid.0.clone()));
        body
    }

    /// SHA-256 (hex) of the object as read, in a canonical form (keys sorted), so that any
    /// change to any field changes the digest even within `lastUpdated`'s one-second precision.
    pub fn digest(&self) -> String {
        self.digest.to_string()
    }
}

/// Serializes JSON compactly with object keys sorted at every level.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

/// [`canonical_json`] of an object, without wrapping it in a [`Value`].
fn canonical_json_of_map(map: &Map<String, Value>) -> String {
    let mut out = String::new();
    write_object(map, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => write_object(map, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn write_object(map: &Map<String, Value>, out: &mut String) {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key).expect("a string always serializes"));
        out.push(':');
        write_canonical(value, out);
    }
    out.push('}');
}

/// An application key credential (REFERENCE §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonWebKey {
    pub kid: Kid,
    #[serde(default)]
    pub kty: Option<String>,
    #[serde(rename = "use", default)]
    pub use_: Option<String>,
    pub created: Timestamp,
    #[serde(rename = "lastUpdated", default)]
    pub last_updated: Option<Timestamp>,
    #[serde(rename = "expiresAt")]
    pub expires_at: Timestamp,
    #[serde(default)]
    pub x5c: Vec<String>,
    #[serde(rename = "x5t#S256", default)]
    pub x5t_s256: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
}

impl JsonWebKey {
    /// The certificate, standard base64 DER, when Okta sent one.
    pub fn certificate_der_base64(&self) -> Option<&str> {
        self.x5c.first().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn saml_app() -> Value {
        json!({"id":"0oa1","name":"myorg_app1","label":"App 1","status":"ACTIVE",
               "lastUpdated":"2026-01-01T00:00:00.000Z","signOnMode":"SAML_2_0",
               "credentials":{"userNameTemplate":{"template":"${source.login}"},"signing":{"kid":"old"}},
               "settings":{"app":{},"custom":{"kept":[1,2]}},"zzUnknown":true})
    }

    #[test]
    fn with_signing_kid_changes_only_the_kid() {
        let app = Application::from_json(saml_app()).unwrap();
        let body = app.with_signing_kid(&Kid::from("new"));
        let mut expected = saml_app();
        expected["credentials"]["signing"]["kid"] = json!("new");
        assert_eq!(Value::Object(body), expected);
    }

    #[test]
    fn unknown_modes_and_statuses_are_kept() {
        let mut v = saml_app();
        v["signOnMode"] = json!("FUTURE_MODE");
        v["status"] = json!("SUSPENDED");
        let app = Application::from_json(v).unwrap();
        assert_eq!(app.sign_on_mode, SignOnMode::Other("FUTURE_MODE".into()));
        assert_eq!(app.status, AppStatus::Other("SUSPENDED".into()));
        assert!(!app.sign_on_mode.has_shareable_signing_key());
    }

    #[test]
    fn missing_label_is_named() {
        let mut v = saml_app();
        v.as_object_mut().unwrap().remove("label");
        let err = Application::from_json(v).unwrap_err();
        assert_eq!(
            err.to_string(),
            "application 0oa1: field `label` is missing or not a string"
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_escapes() {
        let value = json!({"b": [{"z": 1, "a": "q\"uote"}, null], "a": {"y": true, "x": 1.5}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"x":1.5,"y":true},"b":[{"a":"q\"uote","z":1},null]}"#
        );
    }

    #[test]
    fn the_app_reads_back_exactly_as_it_came() {
        let app = Application::from_json(saml_app()).unwrap();
        assert_eq!(Value::Object(app.json()), saml_app());
    }

    #[test]
    fn digest_ignores_key_order_but_not_values() {
        let a = Application::from_json(saml_app()).unwrap();
        let mut reordered = Map::new();
        for (k, v) in saml_app().as_object().unwrap().iter().rev() {
            reordered.insert(k.clone(), v.clone());
        }
        let b = Application::from_json(Value::Object(reordered)).unwrap();
        assert_eq!(a.digest(), b.digest());
        let mut changed = saml_app();
        changed["settings"]["custom"]["kept"] = json!([1]);
        assert_ne!(
            a.digest(),
            Application::from_json(changed).unwrap().digest()
        );
    }
}
