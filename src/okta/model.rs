//! Okta objects as keyshare reads them: applications and their key credentials.
//!
//! An [`Application`] keeps every field it came with, unknown ones included, so that a PUT sends
//! back exactly what was read with only `credentials.signing.kid` changed (docs/design.md
//! "Applying safely"). The typed fields are a read-only view over that JSON.
//!
//! Reading is lenient, acting is strict. Real listings hold apps keyshare never manages whose
//! shape the spec does not allow: directory integrations with `"signOnMode": null` and
//! `credentials.signing: {}`, `profile: null`, modes the spec does not list (docs/okta-api.md
//! §2). Reading such an app never fails; what is odd about it is kept as its
//! [`Application::problem`], which the planner turns into a precise error only for an app the
//! desired state names. Only an element keyshare cannot even name (not an object, or without a
//! string `id`) is refused, and a listing skips it. A [`JsonWebKey`] is read as one copy of a
//! key, on one app: Okta dates each app's copy of a shared kid on its own, and only
//! [`KeyFacts`] are the same on every copy.

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

/// An enum of Okta's wire names that keeps values it does not know in `Other`, so that a name
/// Okta adds later is read, shown and sent back unchanged instead of failing the read: the
/// enum, its wire name (`as_str`), serde through that name, and `Display`.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($variant,)*
            Other(String),
        }

        impl $name {
            /// Okta's wire name.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Other(s) => s,
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::Other(s),
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.as_str().to_owned()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

open_enum! {
    /// The discriminator of Okta's application types. Unknown values are kept, not rejected:
    /// Okta adds modes over time and keyshare must still read such apps.
    SignOnMode {
        Saml2 => "SAML_2_0",
        Saml11 => "SAML_1_1",
        WsFederation => "WS_FEDERATION",
        OpenIdConnect => "OPENID_CONNECT",
        Bookmark => "BOOKMARK",
    }
}

impl SignOnMode {
    /// Whether apps of this mode sign assertions with a key that can be shared by cloning.
    pub fn has_shareable_signing_key(&self) -> bool {
        matches!(self, Self::Saml2 | Self::Saml11 | Self::WsFederation)
    }
}

open_enum! {
    /// An application's lifecycle status. Unknown values are kept.
    AppStatus {
        Active => "ACTIVE",
        Inactive => "INACTIVE",
        Deleted => "DELETED",
    }
}

/// An answer from Okta that does not have the shape keyshare relies on.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
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
    /// `label`; empty when Okta sent none, which [`Application::problem`] then says.
    pub label: String,
    /// `status`; none when Okta sent none, which [`Application::problem`] then says.
    pub status: Option<AppStatus>,
    /// `signOnMode`; none when Okta sent `null` (directory integrations do) or none at all.
    pub sign_on_mode: Option<SignOnMode>,
    /// `credentials.signing.kid`: the key the app signs with, when its mode has one.
    pub signing_kid: Option<Kid>,
    /// `lastUpdated` exactly as Okta sent it (one-second precision).
    pub last_updated: Option<String>,
    problem: Option<ModelError>,
}

impl Application {
    /// Reads an application from Okta's JSON, keeping the whole object.
    ///
    /// Fails only when the value is not an object or has no string `id`: nothing could refer
    /// to it. Any other field keyshare reads that is missing or of another type leaves its
    /// typed view empty and is kept as [`Application::problem`].
    pub fn from_json(value: Value) -> Result<Self, ModelError> {
        let Value::Object(raw) = value else {
            return Err(ModelError::NotAnObject);
        };
        let Some(id) = raw.get("id").and_then(Value::as_str).map(AppId::from) else {
            return Err(ModelError::BadField {
                id: "<no id>".to_owned(),
                field: "id",
                expected: "a string",
            });
        };
        let digest = hex::encode(Sha256::digest(canonical_json_of_map(&raw).as_bytes()));
        let mut problem = None;
        let mut text = |field: &'static str| -> Option<String> {
            let value = raw.get(field).and_then(Value::as_str).map(str::to_owned);
            if value.is_none() && problem.is_none() {
                problem = Some(ModelError::BadField {
                    id: id.0.clone(),
                    field,
                    expected: "a string",
                });
            }
            value
        };
        let label = text("label").unwrap_or_default();
        let status = text("status").map(AppStatus::from);
        // `null` is how real orgs list directory integrations: an app without a sign-on mode,
        // not a misread one. A missing field or another type is a problem.
        let sign_on_mode = match raw.get("signOnMode") {
            Some(Value::Null) => None,
            _ => text("signOnMode").map(SignOnMode::from),
        };
        let optional_text = |field: &str| raw.get(field).and_then(Value::as_str).map(str::to_owned);
        let signing_kid = raw
            .get("credentials")
            .and_then(|c| c.get("signing"))
            .and_then(|s| s.get("kid"))
            .and_then(Value::as_str)
            .map(Kid::from);
        Ok(Self {
            name: optional_text("name"),
            last_updated: optional_text("lastUpdated"),
            id,
            label,
            status,
            sign_on_mode,
            signing_kid,
            problem,
            raw: Value::Object(raw).to_string().into(),
            digest: digest.into(),
        })
    }

    /// The first field keyshare reads that Okta sent missing or of another type, if any.
    /// Harmless for an app keyshare only lists; an app the desired state names must have none.
    pub fn problem(&self) -> Option<&ModelError> {
        self.problem.as_ref()
    }

    /// Whether the app signs assertions with a key that can be shared by cloning (SAML 2.0,
    /// SAML 1.1, WS-Federation). Apps without a sign-on mode never do.
    pub fn is_signing_app(&self) -> bool {
        self.sign_on_mode
            .as_ref()
            .is_some_and(SignOnMode::has_shareable_signing_key)
    }

    /// The sign-on mode as Okta spells it, `null` when it sent none.
    pub fn sign_on_mode_text(&self) -> &str {
        self.sign_on_mode
            .as_ref()
            .map_or("null", SignOnMode::as_str)
    }

    /// The status as Okta spells it, `null` when it sent none.
    pub fn status_text(&self) -> &str {
        self.status.as_ref().map_or("null", AppStatus::as_str)
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

/// One app's copy of an application key credential (docs/okta-api.md §5.1).
///
/// A kid cloned to several apps is listed by each of them with the same [`KeyFacts`] but with
/// its own `created` and `lastUpdated`: a clone is dated at the clone, not at the generate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonWebKey {
    pub kid: Kid,
    #[serde(default)]
    pub kty: Option<String>,
    #[serde(rename = "use", default)]
    pub use_: Option<String>,
    /// When this copy came to this app: generated on it, or cloned to it.
    pub created: Timestamp,
    #[serde(rename = "lastUpdated", default)]
    pub last_updated: Option<Timestamp>,
    #[serde(rename = "expiresAt")]
    pub expires_at: Timestamp,
    #[serde(default, deserialize_with = "null_as_empty")]
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

    /// What this copy has in common with every other copy of its kid.
    pub fn facts(&self) -> KeyFacts {
        KeyFacts {
            kid: self.kid.clone(),
            expires_at: self.expires_at,
            x5c: self.x5c.clone(),
            x5t_s256: self.x5t_s256.clone(),
        }
    }
}

/// One System Log event, as much of it as keyshare reads (docs/okta-api.md §12); other members
/// are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent {
    /// Unique per event: the key that deduplicates events read twice.
    pub uuid: String,
    /// When Okta recorded it (milliseconds).
    pub published: Timestamp,
    /// e.g. `application.lifecycle.update`.
    pub event_type: String,
    /// What it acted on; an app is `{"type": "AppInstance", "id": "0oa…"}`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub target: Vec<LogTarget>,
}

/// One target of a [`LogEvent`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogTarget {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl LogEvent {
    /// The ids of the apps the event names.
    pub fn app_ids(&self) -> impl Iterator<Item = AppId> + '_ {
        self.target
            .iter()
            .filter(|t| t.kind == "AppInstance")
            .map(|t| AppId(t.id.clone()))
    }
}

/// What is the same on every copy of a kid, whichever app lists it, and never changes: the
/// expiry and the certificate. A copy's dates are not among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFacts {
    pub kid: Kid,
    #[serde(rename = "expiresAt")]
    pub expires_at: Timestamp,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub x5c: Vec<String>,
    #[serde(rename = "x5t#S256", default)]
    pub x5t_s256: Option<String>,
}

impl KeyFacts {
    /// The certificate, standard base64 DER, when Okta sent one.
    pub fn certificate_der_base64(&self) -> Option<&str> {
        self.x5c.first().map(String::as_str)
    }
}

/// `null` read as an empty list: Okta sends nulls where the spec promises arrays.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
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
        assert_eq!(
            app.sign_on_mode,
            Some(SignOnMode::Other("FUTURE_MODE".into()))
        );
        assert_eq!(app.status, Some(AppStatus::Other("SUSPENDED".into())));
        assert!(!app.is_signing_app());
        assert_eq!(app.problem(), None, "an unknown value is not a wrong type");
    }

    #[test]
    fn a_missing_label_is_kept_as_the_apps_problem() {
        let mut v = saml_app();
        v.as_object_mut().unwrap().remove("label");
        let app = Application::from_json(v.clone()).unwrap();
        assert_eq!(
            app.problem().unwrap().to_string(),
            "application 0oa1: field `label` is missing or not a string"
        );
        assert_eq!(Value::Object(app.json()), v);
    }

    /// A directory integration as real listings show it (the shape of an Okta
    /// `custom_identity_source` app, with made-up ids): read, kept verbatim, not a signing app.
    #[test]
    fn a_directory_app_with_null_mode_reads_as_not_a_signing_app() {
        let v = json!({"id":"0oadir1","orn":"orn:okta:idp:00o1:apps:custom_identity_source:0oadir1",
            "name":"custom_identity_source","label":"Custom Identity Source","status":"ACTIVE",
            "lastUpdated":"2025-10-24T07:35:40.000Z","created":"2025-10-24T07:33:19.000Z",
            "accessibility":{"selfService":false,"errorRedirectUrl":null,"loginRedirectUrl":null},
            "features":["IMPORT_PROFILE_UPDATES"],"signOnMode":null,
            "credentials":{"userNameTemplate":{"template":"${source.login}","type":"BUILT_IN"},"signing":{}},
            "universalLogout":{"status":"UNSUPPORTED"},"profile":null,
            "settings":{"app":{},"notifications":{"vpn":{"network":{"connection":"DISABLED"},"message":null,"helpUrl":null}},
                        "notes":{"admin":null,"enduser":null}},
            "_links":{"appLinks":[]}});
        let app = Application::from_json(v.clone()).unwrap();
        assert_eq!(app.sign_on_mode, None);
        assert_eq!(app.sign_on_mode_text(), "null");
        assert_eq!(app.signing_kid, None);
        assert!(!app.is_signing_app());
        assert_eq!(app.problem(), None, "null is how Okta lists directory apps");
        assert_eq!(Value::Object(app.json()), v, "nulls included");
        let body = app.with_signing_kid(&Kid::from("k"));
        let mut expected = v;
        expected["credentials"]["signing"]["kid"] = json!("k");
        assert_eq!(Value::Object(body), expected);
    }

    #[test]
    fn a_missing_or_mistyped_mode_is_a_problem() {
        for mode in [None, Some(json!(2))] {
            let mut v = saml_app();
            match &mode {
                Some(m) => v["signOnMode"] = m.clone(),
                None => drop(v.as_object_mut().unwrap().remove("signOnMode")),
            }
            let app = Application::from_json(v).unwrap();
            assert_eq!(app.sign_on_mode, None, "{mode:?}");
            assert_eq!(
                app.problem().unwrap().to_string(),
                "application 0oa1: field `signOnMode` is missing or not a string"
            );
        }
    }

    #[test]
    fn only_an_element_nothing_can_refer_to_is_refused() {
        assert_eq!(
            Application::from_json(json!([])).unwrap_err(),
            ModelError::NotAnObject
        );
        for id in [json!(null), json!(7)] {
            let mut v = saml_app();
            v["id"] = id;
            let err = Application::from_json(v).unwrap_err().to_string();
            assert_eq!(
                err,
                "application <no id>: field `id` is missing or not a string"
            );
        }
    }

    #[test]
    fn key_copies_read_nulls_as_absent() {
        let key: JsonWebKey = serde_json::from_value(json!({"kid":"k","kty":null,"use":"sig",
            "created":"2025-03-14T03:26:19.000Z","lastUpdated":null,
            "expiresAt":"2035-03-14T03:01:15.000Z","x5c":null,"x5t#S256":null,"zz":1}))
        .unwrap();
        assert!(key.x5c.is_empty() && key.kty.is_none() && key.last_updated.is_none());
        assert_eq!(key.facts().expires_at, key.expires_at);
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
