//! The rules of `PUT /api/v1/apps/{id}` (docs/okta-api.md §4 "What to do", §10.7):
//! - system fields in the body are ignored;
//! - `label` and `signOnMode` are required, and `signOnMode` cannot change (400 E0000001);
//! - each writable top-level object that is sent replaces the stored one, as a server with a
//!   typed model would: a member the body lacks takes its default, which keeps empty values
//!   (`null`, `""`, `[]`, and objects of only empty values), turns booleans `false` and drops
//!   everything else. So a
//!   read-modify-write through the official SDK, which drops empty values and the members its
//!   models do not know, changes nothing it did not mean to (docs/okta-api.md §10.7);
//! - writable top-level fields that are not sent are kept (the guide's minimal PUT body);
//! - `credentials` is merged member by member, and `credentials.signing` field by field;
//! - the resulting `credentials.signing.kid` must be one of the app's keys (400 E0000001).

use serde_json::{Map, Value};

use super::error::OktaError;

/// Top-level fields a client may change. Everything else (`id`, `name`, `status`, `created`,
/// `lastUpdated`, `orn`, `features`, `_links`, `_embedded`, unknown fields) is ignored.
const WRITABLE: &[&str] = &[
    "label",
    "accessibility",
    "visibility",
    "licensing",
    "profile",
    "universalLogout",
    "settings",
];

/// Read-only members of `credentials.signing` (the OpenAPI spec, docs/okta-api.md §4.8).
const SIGNING_READ_ONLY: &[&str] = &["lastRotated", "nextRotation"];

/// The app body that results from PUTting `request` over `stored`, or the 400 it earns.
pub fn replace(
    stored: &Map<String, Value>,
    request: &Value,
    app_kids: &[&str],
) -> Result<Map<String, Value>, OktaError> {
    let request = request.as_object().ok_or_else(OktaError::malformed_body)?;
    require_text(request, "label")?;
    let mode = require_text(request, "signOnMode")?;
    if stored.get("signOnMode").and_then(Value::as_str) != Some(mode) {
        return Err(OktaError::validation("signOnMode")
            .with_cause("signOnMode: The sign-on mode of an existing app cannot be changed."));
    }

    let mut body = stored.clone();
    for field in WRITABLE {
        if let Some(sent) = request.get(*field) {
            let merged = replace_with_defaults(stored.get(*field), sent);
            body.insert((*field).to_owned(), merged);
        }
    }
    if let Some(sent) = request.get("credentials") {
        let merged = merge_credentials(stored.get("credentials"), sent)?;
        body.insert("credentials".into(), merged);
    }
    check_signing_kid(&body, app_kids)?;
    Ok(body)
}

fn require_text<'a>(request: &'a Map<String, Value>, field: &str) -> Result<&'a str, OktaError> {
    match request.get(field).and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() => Ok(text),
        _ => Err(OktaError::validation(field)
            .with_cause(format!("{field}: The field cannot be left blank"))),
    }
}

/// `sent`, plus the defaults of the members of `stored` that `sent` lacks (recursively), in
/// `stored`'s member order.
fn replace_with_defaults(stored: Option<&Value>, sent: &Value) -> Value {
    let (Some(Value::Object(stored)), Value::Object(sent)) = (stored, sent) else {
        return sent.clone();
    };
    let mut merged = Map::new();
    for (name, old) in stored {
        match sent.get(name) {
            Some(new) => {
                merged.insert(name.clone(), replace_with_defaults(Some(old), new));
            }
            None => {
                if let Some(default) = default_of(old) {
                    merged.insert(name.clone(), default);
                }
            }
        }
    }
    for (name, new) in sent {
        if !stored.contains_key(name) {
            merged.insert(name.clone(), new.clone());
        }
    }
    Value::Object(merged)
}

/// What an absent member becomes: empty values stay, booleans become `false`, the rest goes.
fn default_of(stored: &Value) -> Option<Value> {
    match stored {
        Value::Bool(_) => Some(Value::Bool(false)),
        _ if is_empty(stored) => Some(stored.clone()),
        _ => None,
    }
}

/// `null`, `""`, `[]`, and objects of nothing else (`settings.notes` is recorded as
/// `{"admin": null, "enduser": null}`, which the SDK, dropping empty values, leaves out whole).
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_empty),
        _ => false,
    }
}

fn merge_credentials(stored: Option<&Value>, sent: &Value) -> Result<Value, OktaError> {
    let sent = sent.as_object().ok_or_else(OktaError::malformed_body)?;
    let mut merged = stored
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (name, value) in sent {
        if name == "signing" {
            let signing = merge_signing(merged.get("signing"), value)?;
            merged.insert(name.clone(), signing);
        } else {
            let value = replace_with_defaults(merged.get(name), value);
            merged.insert(name.clone(), value);
        }
    }
    Ok(Value::Object(merged))
}

fn merge_signing(stored: Option<&Value>, sent: &Value) -> Result<Value, OktaError> {
    let sent = sent.as_object().ok_or_else(OktaError::malformed_body)?;
    let mut merged = stored
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (name, value) in sent {
        if !SIGNING_READ_ONLY.contains(&name.as_str()) {
            merged.insert(name.clone(), value.clone());
        }
    }
    Ok(Value::Object(merged))
}

fn check_signing_kid(body: &Map<String, Value>, app_kids: &[&str]) -> Result<(), OktaError> {
    let kid = body
        .get("credentials")
        .and_then(|c| c.get("signing"))
        .and_then(|s| s.get("kid"));
    match kid {
        None => Ok(()),
        Some(Value::String(kid)) if app_kids.contains(&kid.as_str()) => Ok(()),
        Some(other) => Err(OktaError::validation("credentials.signing.kid").with_cause(format!(
            "credentials.signing.kid: The key {other} is not in the list of key credentials for this app."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stored() -> Map<String, Value> {
        json!({
            "id": "0oa8ae1t5yev2ajDs0h7", "name": "myorg_app1", "label": "App 1",
            "status": "ACTIVE", "signOnMode": "SAML_2_0",
            "credentials": {"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
                            "signing": {"kid": "old"}},
            "settings": {"app": {}, "signOn": {"ssoAcsUrl": "https://a", "attributeStatements": [], "responseSigned": true}},
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn the_guides_minimal_body_switches_the_kid_and_keeps_the_rest() {
        let request = json!({"name": "myorg_app1", "label": "App 1", "signOnMode": "SAML_2_0",
                             "credentials": {"signing": {"kid": "new"}}});
        let body = replace(&stored(), &request, &["old", "new"]).unwrap();
        assert_eq!(body["credentials"]["signing"]["kid"], "new");
        assert_eq!(body["credentials"]["userNameTemplate"]["type"], "BUILT_IN");
        assert_eq!(body["settings"], stored()["settings"]);
    }

    #[test]
    fn absent_members_take_their_defaults() {
        let request = json!({"label": "App 1", "signOnMode": "SAML_2_0",
                             "settings": {"app": {}, "signOn": {"ssoAcsUrl": "https://a"}}});
        let body = replace(&stored(), &request, &["old"]).unwrap();
        assert_eq!(
            Value::Object(body)["settings"]["signOn"],
            json!({"ssoAcsUrl": "https://a", "attributeStatements": [], "responseSigned": false})
        );
    }

    #[test]
    fn system_fields_are_ignored_and_sdk_dropped_empties_are_kept() {
        let request = json!({"id": "other", "status": "INACTIVE", "label": "Renamed", "signOnMode": "SAML_2_0",
                             "lastUpdated": "2026-01-01T00:00:00+00:00",
                             "settings": {"signOn": {"ssoAcsUrl": "https://b", "responseSigned": false}}});
        let body = replace(&stored(), &request, &["old"]).unwrap();
        assert_eq!(body["id"], "0oa8ae1t5yev2ajDs0h7");
        assert_eq!(body["status"], "ACTIVE");
        assert_eq!(body["label"], "Renamed");
        assert_eq!(
            Value::Object(body)["settings"],
            json!({"app": {}, "signOn": {"ssoAcsUrl": "https://b", "attributeStatements": [], "responseSigned": false}})
        );
    }

    #[test]
    fn an_object_of_nulls_the_sdk_dropped_is_kept() {
        let mut stored = stored();
        stored["settings"]["notes"] = json!({"admin": null, "enduser": null});
        stored["settings"]["app"] = json!({"url": "https://a"});
        let request =
            json!({"label": "App 1", "signOnMode": "SAML_2_0", "settings": {"signOn": {}}});
        let body = Value::Object(replace(&stored, &request, &["old"]).unwrap());
        assert_eq!(
            body["settings"]["notes"],
            json!({"admin": null, "enduser": null})
        );
        assert!(
            body["settings"].get("app").is_none(),
            "an object with a value is not empty: it goes"
        );
    }

    #[test]
    fn violations_are_400_e0000001_naming_the_field() {
        let cases = [
            (
                json!({"signOnMode": "SAML_2_0"}),
                "Api validation failed: label",
            ),
            (
                json!({"label": "", "signOnMode": "SAML_2_0"}),
                "Api validation failed: label",
            ),
            (json!({"label": "x"}), "Api validation failed: signOnMode"),
            (
                json!({"label": "x", "signOnMode": "WS_FEDERATION"}),
                "Api validation failed: signOnMode",
            ),
            (
                json!({"label": "x", "signOnMode": "SAML_2_0", "credentials": {"signing": {"kid": "foreign"}}}),
                "Api validation failed: credentials.signing.kid",
            ),
        ];
        for (request, summary) in cases {
            let err = replace(&stored(), &request, &["old"]).unwrap_err();
            assert_eq!(
                (err.status.as_u16(), err.code, err.summary.as_str()),
                (400, "E0000001", summary),
                "{request}"
            );
        }
    }

    #[test]
    fn a_non_object_body_is_malformed() {
        let err = replace(&stored(), &json!([1]), &["old"]).unwrap_err();
        assert_eq!(err.code, "E0000003");
    }
}
