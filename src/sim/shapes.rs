//! The JSON shapes of apps as Okta returns them (REFERENCE §8, SPEC schemas), per sign-on mode.
//!
//! Stored app bodies never contain `_links`: links depend on the address the client used, so
//! they are added when a response is written ([`links`]). Fields the spec does not allow to be
//! `null` are omitted rather than sent as `null` (DESIGN.md: the simulator follows the spec).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The sign-on modes the simulator can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignOnMode {
    /// SAML 2.0: custom SAML apps, the main case.
    #[serde(rename = "SAML_2_0")]
    Saml2,
    /// SAML 1.1 (OIN apps only).
    #[serde(rename = "SAML_1_1")]
    Saml11,
    /// WS-Federation (`template_wsfed`).
    #[serde(rename = "WS_FEDERATION")]
    WsFederation,
    /// A bookmark: no signing key.
    #[serde(rename = "BOOKMARK")]
    Bookmark,
    /// An OIDC client: no shareable SAML signing key in the simulator.
    #[serde(rename = "OPENID_CONNECT")]
    OpenIdConnect,
}

impl SignOnMode {
    /// The wire name, e.g. `SAML_2_0`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Saml2 => "SAML_2_0",
            Self::Saml11 => "SAML_1_1",
            Self::WsFederation => "WS_FEDERATION",
            Self::Bookmark => "BOOKMARK",
            Self::OpenIdConnect => "OPENID_CONNECT",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }

    /// Whether apps of this mode hold signing keys that can be generated, cloned and switched.
    pub fn has_signing_keys(self) -> bool {
        matches!(self, Self::Saml2 | Self::Saml11 | Self::WsFederation)
    }

    /// The app `name` Okta gives a new instance of this mode, when it is fixed.
    pub fn fixed_name(self) -> Option<&'static str> {
        match self {
            Self::WsFederation => Some("template_wsfed"),
            Self::Bookmark => Some("bookmark"),
            Self::OpenIdConnect => Some("oidc_client"),
            Self::Saml2 | Self::Saml11 => None,
        }
    }
}

/// What it takes to render a new app.
pub struct NewApp<'a> {
    /// The 20-character id.
    pub id: &'a str,
    /// The org's id (`00o…`), part of the `orn`.
    pub org_id: &'a str,
    /// The instance name (`myorg_app1`, `template_wsfed`, …).
    pub name: &'a str,
    /// The label.
    pub label: &'a str,
    /// `ACTIVE` or `INACTIVE`.
    pub status: &'a str,
    /// The sign-on mode.
    pub mode: SignOnMode,
    /// `created` = `lastUpdated`, already in Okta's format.
    pub created: &'a str,
    /// The active signing kid, for modes with signing keys.
    pub kid: Option<&'a str>,
}

/// The full stored body of a new app (everything but `_links`), fields in Okta's order.
pub fn app_body(app: &NewApp<'_>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("id".into(), json!(app.id));
    body.insert(
        "orn".into(),
        json!(format!(
            "orn:okta:idp:{}:apps:{}:{}",
            app.org_id, app.name, app.id
        )),
    );
    body.insert("name".into(), json!(app.name));
    body.insert("label".into(), json!(app.label));
    body.insert("status".into(), json!(app.status));
    body.insert("lastUpdated".into(), json!(app.created));
    body.insert("created".into(), json!(app.created));
    body.insert("accessibility".into(), json!({"selfService": false}));
    body.insert(
        "visibility".into(),
        json!({
            "autoLaunch": false,
            "autoSubmitToolbar": false,
            "hide": {"iOS": false, "web": false},
            "appLinks": {format!("{}_link", app.name): true},
        }),
    );
    body.insert("features".into(), json!([]));
    body.insert("signOnMode".into(), json!(app.mode.as_str()));
    body.insert("credentials".into(), credentials(app));
    body.insert("settings".into(), settings(app));
    body
}

fn credentials(app: &NewApp<'_>) -> Value {
    let mut credentials = json!({
        "userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
    });
    if let Some(kid) = app.kid.filter(|_| app.mode.has_signing_keys()) {
        credentials["signing"] = json!({ "kid": kid });
    }
    if app.mode == SignOnMode::OpenIdConnect {
        credentials["oauthClient"] = json!({
            "autoKeyRotation": true,
            "client_id": app.id,
            "token_endpoint_auth_method": "client_secret_basic",
        });
    }
    credentials
}

fn settings(app: &NewApp<'_>) -> Value {
    let mut settings = json!({
        "app": {},
        "notifications": {"vpn": {"network": {"connection": "DISABLED"}}},
        "manualProvisioning": false,
        "implicitAssignment": false,
        "notes": {},
    });
    let acs = format!("https://sp.example.com/{}/sso", app.name);
    match app.mode {
        SignOnMode::Saml2 => settings["signOn"] = saml2_sign_on(&acs),
        SignOnMode::Saml11 => {
            settings["signOn"] = json!({
                "defaultRelayState": "",
                "audienceOverride": format!("https://sp.example.com/{}", app.name),
                "recipientOverride": acs,
                "ssoAcsUrlOverride": acs,
            });
        }
        SignOnMode::WsFederation => settings["app"] = ws_federation_app(&acs),
        SignOnMode::Bookmark => {
            settings["app"] = json!({"requestIntegration": false, "url": format!("https://www.example.com/{}", app.name)});
        }
        SignOnMode::OpenIdConnect => {
            settings["oauthClient"] = json!({
                "redirect_uris": [format!("https://app.example.com/{}/callback", app.name)],
                "response_types": ["code"],
                "grant_types": ["authorization_code"],
                "application_type": "web",
                "issuer_mode": "DYNAMIC",
                "idp_initiated_login": {"mode": "DISABLED", "default_scope": []},
                "wildcard_redirect": "DISABLED",
                "dpop_bound_access_tokens": false,
            });
        }
    }
    settings
}

/// `settings.signOn` of a custom SAML 2.0 app, as in REFERENCE §8 (VCR), nulls left out.
fn saml2_sign_on(acs: &str) -> Value {
    json!({
        "defaultRelayState": "/",
        "ssoAcsUrl": acs,
        "idpIssuer": "http://www.okta.com/${org.externalKey}",
        "audience": acs,
        "recipient": acs,
        "destination": acs,
        "subjectNameIdTemplate": "${user.userName}",
        "subjectNameIdFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "responseSigned": true,
        "assertionSigned": true,
        "signatureAlgorithm": "RSA_SHA256",
        "digestAlgorithm": "SHA256",
        "honorForceAuthn": true,
        "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        "requestCompressed": false,
        "attributeStatements": [],
        "inlineHooks": [],
        "allowMultipleAcsEndpoints": false,
        "acsEndpoints": [],
        "samlSignedRequestEnabled": false,
        "slo": {"enabled": false},
    })
}

/// `settings.app` of a WS-Fed app, with every field the SDK requires (REFERENCE §10.3).
fn ws_federation_app(reply: &str) -> Value {
    json!({
        "audienceRestriction": "urn:example:wsfed",
        "groupValueFormat": "windowsDomainQualifiedName",
        "wReplyURL": reply,
        "nameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        "siteURL": reply,
        "usernameAttribute": "username",
        "realm": "urn:example:wsfed",
        "wReplyOverride": false,
        "digestAlgorithm": "SHA256",
        "signatureAlgorithm": "RSA_SHA256",
    })
}

/// `_links` for an app, pointing at `base_url` (the address the client used).
pub fn links(base_url: &str, body: &Map<String, Value>) -> Value {
    let id = body.get("id").and_then(Value::as_str).unwrap_or_default();
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    let mode = body
        .get("signOnMode")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let app = format!("{base_url}/api/v1/apps/{id}");
    let mut links = json!({
        "help": {"href": format!("{base_url}/app/{name}/{id}/setup/help/{mode}/instructions"), "type": "text/html"},
        "appLinks": [{"name": format!("{name}_link"), "href": format!("{base_url}/home/{name}/{id}/aln{}", &id[id.len().saturating_sub(17)..]), "type": "text/html"}],
        "groups": {"href": format!("{app}/groups")},
        "logo": [{"name": "medium", "href": format!("{base_url}/assets/img/logos/default.png"), "type": "image/png"}],
        "users": {"href": format!("{app}/users")},
    });
    // An active app links to its deactivation, an inactive one to its activation.
    if body.get("status").and_then(Value::as_str) == Some("INACTIVE") {
        links["activate"] = json!({"href": format!("{app}/lifecycle/activate")});
    } else {
        links["deactivate"] = json!({"href": format!("{app}/lifecycle/deactivate")});
    }
    if matches!(mode, "SAML_2_0" | "SAML_1_1") {
        links["metadata"] =
            json!({"href": format!("{app}/sso/saml/metadata"), "type": "application/xml"});
    }
    links
}
