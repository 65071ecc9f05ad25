//! The JSON shapes of apps as Okta returns them, per sign-on mode: docs/okta-api.md §8 and the spec's
//! schemas for what they require, and recorded Okta listings for the rest (which members are
//! present, and which are `null`; docs/simulator.md "Shapes and the recordings").
//!
//! Stored app bodies never contain `_links`: links depend on the address the client used, so
//! they are added when a response is written ([`links`]). Members recorded as `null` in every
//! real app of a mode (`accessibility.errorRedirectUrl`, `settings.notes.admin`, …) are sent
//! as `null`, because a client must cope with what Okta sends, not with what the spec allows.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

/// The sign-on modes the simulator can hold: every mode of the recorded org, plus one the spec
/// does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOnMode {
    /// SAML 2.0: custom SAML apps, the main case.
    Saml2,
    /// SAML 1.1 (OIN apps only).
    Saml11,
    /// WS-Federation (`template_wsfed`).
    WsFederation,
    /// A bookmark.
    Bookmark,
    /// An OIDC client. Recorded OIDC apps all carry a signing kid and a key list.
    OpenIdConnect,
    /// A Secure Web Authentication app (`template_swa` and OIN SWA apps).
    BrowserPlugin,
    /// Okta's own "auto login" SWA flavour.
    AutoLogin,
    /// HTTP basic authentication (`template_basic_auth`).
    BasicAuth,
    /// Password vaulting (`template_sps`).
    SecurePasswordStore,
    /// A mode real orgs return and the spec does not list (okta-sdk-python PR #508).
    MfaAsService,
    /// A directory integration (`active_directory`, `csv_directory_v2`,
    /// `custom_identity_source`): `signOnMode` is `null` on the wire.
    Directory,
}

/// Every mode with its wire name (`None`: `null`).
const WIRE_NAMES: &[(SignOnMode, Option<&str>)] = &[
    (SignOnMode::Saml2, Some("SAML_2_0")),
    (SignOnMode::Saml11, Some("SAML_1_1")),
    (SignOnMode::WsFederation, Some("WS_FEDERATION")),
    (SignOnMode::Bookmark, Some("BOOKMARK")),
    (SignOnMode::OpenIdConnect, Some("OPENID_CONNECT")),
    (SignOnMode::BrowserPlugin, Some("BROWSER_PLUGIN")),
    (SignOnMode::AutoLogin, Some("AUTO_LOGIN")),
    (SignOnMode::BasicAuth, Some("BASIC_AUTH")),
    (
        SignOnMode::SecurePasswordStore,
        Some("SECURE_PASSWORD_STORE"),
    ),
    (SignOnMode::MfaAsService, Some("MFA_AS_SERVICE")),
    (SignOnMode::Directory, None),
];

impl SignOnMode {
    /// The wire name, e.g. `SAML_2_0`; `None` for a directory app, whose mode is `null`.
    pub fn name(self) -> Option<&'static str> {
        WIRE_NAMES
            .iter()
            .find(|(mode, _)| *mode == self)
            .and_then(|(_, name)| *name)
    }

    /// The mode of a stored or sent `signOnMode` value (`null` is a directory app).
    pub fn from_wire(value: &Value) -> Option<Self> {
        let name = match value {
            Value::Null => None,
            Value::String(name) => Some(name.as_str()),
            _ => return None,
        };
        WIRE_NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(mode, _)| *mode)
    }

    /// Whether new apps of this mode start with a signing key (`credentials.signing.kid` and
    /// a one-key list), as every recorded app of the mode does.
    pub fn has_signing_keys(self) -> bool {
        matches!(
            self,
            Self::Saml2 | Self::Saml11 | Self::WsFederation | Self::OpenIdConnect
        )
    }

    /// Whether generate, clone and CSRs work on apps of this mode: the modes that hold keys,
    /// and BOOKMARK, on which a recorded generate and clone answered 201. Modes with no such
    /// recording keep the 400 (docs/simulator.md).
    pub fn accepts_key_operations(self) -> bool {
        self.has_signing_keys() || self == Self::Bookmark
    }

    /// Whether apps of this mode serve SAML metadata.
    pub fn has_saml_metadata(self) -> bool {
        matches!(self, Self::Saml2 | Self::Saml11)
    }

    /// The app `name` Okta gives a new instance of this mode, when it is fixed.
    pub fn fixed_name(self) -> Option<&'static str> {
        match self {
            Self::WsFederation => Some("template_wsfed"),
            Self::Bookmark => Some("bookmark"),
            Self::OpenIdConnect => Some("oidc_client"),
            Self::BrowserPlugin => Some("template_swa"),
            Self::BasicAuth => Some("template_basic_auth"),
            Self::SecurePasswordStore => Some("template_sps"),
            Self::Directory => Some("custom_identity_source"),
            Self::Saml2 | Self::Saml11 | Self::AutoLogin | Self::MfaAsService => None,
        }
    }
}

impl<'de> Deserialize<'de> for SignOnMode {
    /// A wire name, or `null` for a directory app (as in a seed: `signOnMode: null`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Option::<String>::deserialize(deserializer)?;
        let wire = value.clone().map_or(Value::Null, Value::String);
        Self::from_wire(&wire).ok_or_else(|| {
            let names: Vec<&str> = WIRE_NAMES.iter().filter_map(|(_, n)| *n).collect();
            serde::de::Error::custom(format!(
                "unknown signOnMode {:?}; expected null or one of {}",
                value.unwrap_or_default(),
                names.join(", ")
            ))
        })
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

/// Features of a recorded directory integration.
const DIRECTORY_FEATURES: &[&str] = &[
    "IMPORT_PROFILE_UPDATES",
    "PROFILE_MASTERING",
    "IMPORT_NEW_USERS",
];

/// The full stored body of a new app (everything but `_links`), fields in Okta's order.
pub fn app_body(app: &NewApp<'_>) -> Map<String, Value> {
    let directory = app.mode == SignOnMode::Directory;
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
    body.insert(
        "accessibility".into(),
        json!({"selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null}),
    );
    body.insert("visibility".into(), visibility(app));
    let features: &[&str] = if directory { DIRECTORY_FEATURES } else { &[] };
    body.insert("features".into(), json!(features));
    body.insert("signOnMode".into(), json!(app.mode.name()));
    body.insert("credentials".into(), credentials(app));
    // Recorded on every directory and basic-auth app (and on no app of the other modes in
    // every recording).
    if matches!(app.mode, SignOnMode::Directory | SignOnMode::BasicAuth) {
        body.insert("universalLogout".into(), json!({"status": "UNSUPPORTED"}));
    }
    body.insert("settings".into(), settings(app));
    body
}

fn visibility(app: &NewApp<'_>) -> Value {
    // A directory has no end-user link; it is recorded without `autoLaunch`.
    if app.mode == SignOnMode::Directory {
        return json!({"autoSubmitToolbar": false, "hide": {"iOS": false, "web": false}, "appLinks": {}});
    }
    let hidden = app.mode == SignOnMode::OpenIdConnect;
    json!({
        "autoLaunch": false,
        "autoSubmitToolbar": false,
        "hide": {"iOS": hidden, "web": hidden},
        "appLinks": {format!("{}_link", app.name): true},
    })
}

fn credentials(app: &NewApp<'_>) -> Value {
    let mut credentials = Map::new();
    if uses_passwords(app.mode) {
        let scheme = if app.mode == SignOnMode::SecurePasswordStore {
            "ADMIN_SETS_CREDENTIALS"
        } else {
            "EDIT_USERNAME_AND_PASSWORD"
        };
        credentials.insert("scheme".into(), json!(scheme));
    }
    credentials.insert(
        "userNameTemplate".into(),
        json!({"template": "${source.login}", "type": "BUILT_IN"}),
    );
    if uses_passwords(app.mode) {
        credentials.insert("revealPassword".into(), json!(false));
    }
    // Every recorded app has `signing`: `{kid}` when it signs, `{}` otherwise.
    let signing = match app.kid.filter(|_| app.mode.has_signing_keys()) {
        Some(kid) => json!({ "kid": kid }),
        None => json!({}),
    };
    credentials.insert("signing".into(), signing);
    if app.mode == SignOnMode::OpenIdConnect {
        credentials.insert(
            "oauthClient".into(),
            json!({
                "autoKeyRotation": true,
                "client_id": app.id,
                "token_endpoint_auth_method": "client_secret_basic",
                "pkce_required": false,
            }),
        );
    }
    Value::Object(credentials)
}

fn uses_passwords(mode: SignOnMode) -> bool {
    matches!(
        mode,
        SignOnMode::BrowserPlugin
            | SignOnMode::AutoLogin
            | SignOnMode::BasicAuth
            | SignOnMode::SecurePasswordStore
    )
}

fn settings(app: &NewApp<'_>) -> Value {
    let mut settings = json!({
        "app": {},
        "notifications": {"vpn": {"network": {"connection": "DISABLED"}, "message": null, "helpUrl": null}},
        "manualProvisioning": false,
        "implicitAssignment": false,
        "notes": {"admin": null, "enduser": null},
    });
    let acs = format!("https://sp.example.com/{}/sso", app.name);
    let site = format!("https://www.example.com/{}", app.name);
    match app.mode {
        SignOnMode::Saml2 => settings["signOn"] = saml2_sign_on(&acs),
        SignOnMode::Saml11 => {
            // The recorded SAML 1.1 app (`sharepoint_onpremise`) sets no overrides.
            settings["app"] =
                json!({"groupFilter": "app1.*", "siteURL": site, "attributeStatements": null});
            settings["signOn"] = json!({
                "defaultRelayState": null,
                "ssoAcsUrlOverride": null,
                "audienceOverride": null,
                "recipientOverride": null,
            });
        }
        SignOnMode::WsFederation => {
            settings["app"] = ws_federation_app(&acs);
            settings["emOptInStatus"] = json!("DISABLED");
        }
        SignOnMode::Bookmark => {
            settings["app"] = json!({"requestIntegration": false, "url": site});
        }
        SignOnMode::OpenIdConnect => {
            settings["oauthClient"] = json!({
                "client_uri": null,
                "logo_uri": null,
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
        SignOnMode::BrowserPlugin => {
            settings["app"] = json!({
                "buttonField": "btn-login",
                "passwordField": "password",
                "usernameField": "username",
                "url": format!("{site}/login"),
                "loginUrlRegex": null,
            });
        }
        SignOnMode::AutoLogin => {
            settings["signOn"] = json!({"redirectUrl": null, "loginUrl": format!("{site}/login")});
        }
        SignOnMode::BasicAuth => {
            settings["app"] = json!({"loginUrlRegex": null, "authURL": format!("{site}/auth"), "url": format!("{site}/login")});
        }
        SignOnMode::SecurePasswordStore => {
            settings["app"] = json!({
                "usernameField": "user",
                "passwordField": "pass",
                "url": format!("{site}/login"),
                "optionalField1": null,
                "optionalField1Value": null,
                "optionalField2": null,
                "optionalField2Value": null,
                "optionalField3": null,
                "optionalField3Value": null,
            });
        }
        SignOnMode::MfaAsService => {}
        SignOnMode::Directory => {
            // Recorded directory integrations have no `notes`, and an opt-in status instead.
            let settings = settings.as_object_mut().expect("settings is an object");
            settings.remove("notes");
            settings.insert("emOptInStatus".into(), json!("NONE"));
        }
    }
    settings
}

/// `settings.signOn` of a custom SAML 2.0 app, as in docs/okta-api.md §8 and the recordings.
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
        "spIssuer": null,
        "requestCompressed": false,
        "attributeStatements": [],
        "inlineHooks": [],
        "allowMultipleAcsEndpoints": false,
        "acsEndpoints": [],
        "samlSignedRequestEnabled": false,
        "slo": {"enabled": false},
    })
}

/// `settings.app` of a WS-Fed app, with every field the SDK requires (docs/okta-api.md §10.3).
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
        "groupFilter": null,
        "groupName": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        "attributeStatements": null,
    })
}

/// `_links` for an app, pointing at `base_url` (the address the client used).
pub fn links(base_url: &str, body: &Map<String, Value>) -> Value {
    let id = body.get("id").and_then(Value::as_str).unwrap_or_default();
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    let mode = body
        .get("signOnMode")
        .and_then(SignOnMode::from_wire)
        .unwrap_or(SignOnMode::Directory);
    let app = format!("{base_url}/api/v1/apps/{id}");
    let tail = &id[id.len().saturating_sub(17)..];
    let mut links = json!({
        "uploadLogo": {"href": format!("{app}/logo"), "hints": {"allow": ["POST"]}},
        "appLinks": [],
        "groups": {"href": format!("{app}/groups")},
        "logo": [{"name": "medium", "href": format!("{base_url}/assets/img/logos/default.png"), "type": "image/png"}],
        "users": {"href": format!("{app}/users")},
    });
    // Recorded SAML and OIDC apps link to their set-up instructions; the other modes do not.
    if let Some(wire) = mode.name().filter(|_| {
        matches!(
            mode,
            SignOnMode::Saml2 | SignOnMode::Saml11 | SignOnMode::OpenIdConnect
        )
    }) {
        links["help"] = json!({"href": format!("{base_url}/app/{name}/{id}/setup/help/{wire}/instructions"), "type": "text/html"});
    }
    // A directory integration has no end-user link.
    if mode != SignOnMode::Directory {
        links["appLinks"] = json!([{"name": format!("{name}_link"), "href": format!("{base_url}/home/{name}/{id}/aln{tail}"), "type": "text/html"}]);
    }
    // Recorded apps of these modes in orgs with policies link to them.
    if !matches!(
        mode,
        SignOnMode::Saml11 | SignOnMode::WsFederation | SignOnMode::SecurePasswordStore
    ) {
        links["policies"] = json!({"href": format!("{app}/policies"), "hints": {"allow": ["PUT"]}});
        links["accessPolicy"] = json!({"href": format!("{base_url}/api/v1/policies/rst{tail}")});
        links["profileEnrollment"] =
            json!({"href": format!("{base_url}/api/v1/policies/rsp{tail}")});
    }
    // An active app links to its deactivation, an inactive one to its activation.
    if body.get("status").and_then(Value::as_str) == Some("INACTIVE") {
        links["activate"] = json!({"href": format!("{app}/lifecycle/activate")});
    } else {
        links["deactivate"] = json!({"href": format!("{app}/lifecycle/deactivate")});
    }
    // Only SAML 2.0 apps are recorded with a metadata link (SAML 1.1's metadata is served).
    if mode == SignOnMode::Saml2 {
        links["metadata"] =
            json!({"href": format!("{app}/sso/saml/metadata"), "type": "application/xml"});
    }
    links
}
