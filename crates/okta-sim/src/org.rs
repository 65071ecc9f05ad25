//! The simulated org: apps in list order, each with its key credentials, and the operations
//! the API performs on them. Pure state and rules; no HTTP, no key generation (callers make
//! keys off the lock and hand them in), no clock reads (callers pass `now`).

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::error::OktaError;
use super::keys::{KeyCopy, KeyCredential};
use super::put;
use super::shapes::{self, SignOnMode};
use super::time;

/// The org's whole state.
pub struct Org {
    /// Subdomain: CN of every certificate.
    pub subdomain: Arc<str>,
    /// `00o…` org id, part of every `orn`.
    pub org_id: String,
    apps: Vec<App>,
    index: HashMap<String, usize>,
}

/// One app: its stored JSON (without `_links`), its copies of key credentials (newest first)
/// and its pending certificate signing requests.
pub struct App {
    /// The app object as stored.
    pub body: Map<String, Value>,
    /// Its copies of key credentials, newest copy first (docs/okta-api.md §5.1 list order).
    pub keys: Vec<KeyCopy>,
    /// CSRs not yet published or revoked, oldest first.
    pub csrs: Vec<Arc<PendingCsr>>,
}

/// A certificate signing request: its key pair stays out of the key list until published.
pub struct PendingCsr {
    /// Opaque id.
    pub id: String,
    /// When it was generated.
    pub created: Timestamp,
    /// PKCS#10 DER.
    pub der: Vec<u8>,
    /// SubjectPublicKeyInfo DER of its key pair, to match the published certificate against.
    pub spki: Vec<u8>,
}

impl App {
    /// The app id.
    pub fn id(&self) -> &str {
        self.str_field("id").unwrap_or_default()
    }

    /// A top-level string field.
    pub fn str_field(&self, field: &str) -> Option<&str> {
        self.body.get(field).and_then(Value::as_str)
    }

    /// The sign-on mode (`null` is a directory integration).
    pub fn mode(&self) -> Option<SignOnMode> {
        SignOnMode::from_wire(self.body.get("signOnMode").unwrap_or(&Value::Null))
    }

    /// `credentials.signing.kid`, if any.
    pub fn signing_kid(&self) -> Option<&str> {
        self.body
            .get("credentials")?
            .get("signing")?
            .get("kid")?
            .as_str()
    }

    /// The app's copy of the key with this kid, if it holds one.
    pub fn key(&self, kid: &str) -> Option<&KeyCopy> {
        self.keys.iter().find(|k| k.kid() == kid)
    }

    /// The app as a response body: stored fields plus `_links` for `base_url`.
    pub fn to_json(&self, base_url: &str) -> Value {
        let mut body = self.body.clone();
        body.insert("_links".into(), shapes::links(base_url, &self.body));
        Value::Object(body)
    }

    fn touch(&mut self, now: Timestamp) {
        self.body
            .insert("lastUpdated".into(), Value::String(time::okta(now)));
    }
}

impl Org {
    /// An org with these apps (ids must be unique; the builder checks).
    pub fn new(subdomain: Arc<str>, org_id: String, apps: Vec<App>) -> Self {
        let index = apps
            .iter()
            .enumerate()
            .map(|(i, app)| (app.id().to_owned(), i))
            .collect();
        Self {
            subdomain,
            org_id,
            apps,
            index,
        }
    }

    /// All apps, in list order.
    pub fn apps(&self) -> &[App] {
        &self.apps
    }

    /// Position of an app in list order.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The app, or 404 E0000007.
    pub fn app(&self, id: &str) -> Result<&App, OktaError> {
        self.position(id)
            .map(|i| &self.apps[i])
            .ok_or_else(|| app_not_found(id))
    }

    fn app_mut(&mut self, id: &str) -> Result<&mut App, OktaError> {
        match self.position(id) {
            Some(i) => Ok(&mut self.apps[i]),
            None => Err(app_not_found(id)),
        }
    }

    /// An app's copy of a key, or 404.
    pub fn key(&self, id: &str, kid: &str) -> Result<&KeyCopy, OktaError> {
        self.app(id)?.key(kid).ok_or_else(|| key_not_found(kid))
    }

    /// Checks that `generate` may run on this app (before the caller spends time on a key).
    pub fn check_can_generate(&self, id: &str) -> Result<(), OktaError> {
        require_key_credentials(self.app(id)?, "generateKey")
    }

    /// Adds a freshly generated key to the app's list (not activated: docs/okta-api.md §5.2).
    pub fn add_generated_key(
        &mut self,
        id: &str,
        key: Arc<KeyCredential>,
    ) -> Result<(), OktaError> {
        self.app_mut(id)?.keys.insert(0, KeyCopy::original(key));
        Ok(())
    }

    /// Copies key `kid` of app `id` to app `target` at `now`: same kid, certificate and
    /// expiry; the target's copy is dated `now`. Returns the target's copy.
    pub fn clone_key(
        &mut self,
        id: &str,
        kid: &str,
        target: &str,
        now: Timestamp,
    ) -> Result<KeyCopy, OktaError> {
        let key = Arc::clone(&self.key(id, kid)?.key);
        let target_app = self.app_mut(target)?;
        require_key_credentials(target_app, "cloneKey")?;
        if target_app.key(kid).is_some() {
            return Err(OktaError::validation("cloneKey").with_cause(
                "Key already exists in the list of key credentials for the target app.",
            ));
        }
        let copy = KeyCopy::cloned(key, now);
        target_app.keys.insert(0, copy.clone());
        Ok(copy)
    }

    /// The CSR, or 404.
    pub fn csr(&self, id: &str, csr_id: &str) -> Result<&Arc<PendingCsr>, OktaError> {
        self.app(id)?
            .csrs
            .iter()
            .find(|c| c.id == csr_id)
            .ok_or_else(|| OktaError::not_found(csr_id, "Csr"))
    }

    /// Checks that a CSR may be generated for this app.
    pub fn check_can_generate_csr(&self, id: &str) -> Result<(), OktaError> {
        require_key_credentials(self.app(id)?, "generateCsr")
    }

    /// Records a new CSR.
    pub fn add_csr(&mut self, id: &str, csr: Arc<PendingCsr>) -> Result<(), OktaError> {
        self.app_mut(id)?.csrs.push(csr);
        Ok(())
    }

    /// Revokes (removes) a CSR.
    pub fn revoke_csr(&mut self, id: &str, csr_id: &str) -> Result<(), OktaError> {
        self.csr(id, csr_id)?;
        self.app_mut(id)?.csrs.retain(|c| c.id != csr_id);
        Ok(())
    }

    /// Ends a CSR's life by adding the key its certificate was published with.
    pub fn publish_csr(
        &mut self,
        id: &str,
        csr_id: &str,
        key: Arc<KeyCredential>,
    ) -> Result<(), OktaError> {
        self.revoke_csr(id, csr_id)?;
        self.app_mut(id)?.keys.insert(0, KeyCopy::original(key));
        Ok(())
    }

    /// `PUT /api/v1/apps/{id}` with the rules of docs/okta-api.md §4 "What to do".
    pub fn replace_app(
        &mut self,
        id: &str,
        request: &Value,
        now: Timestamp,
    ) -> Result<&App, OktaError> {
        let app = self.app_mut(id)?;
        let kids: Vec<&str> = app.keys.iter().map(KeyCopy::kid).collect();
        let body = put::replace(&app.body, request, &kids)?;
        app.body = body;
        app.touch(now);
        Ok(app)
    }
}

/// Which apps take key operations (generate, clone, CSRs): every mode Okta was recorded or
/// documented doing them on (SAML, WS-Fed, and BOOKMARK, whose generate and clone answered
/// 201 in a recording), not the modes without such a recording (docs/simulator.md).
fn require_key_credentials(app: &App, operation: &str) -> Result<(), OktaError> {
    if app.mode().is_some_and(SignOnMode::accepts_key_operations) {
        return Ok(());
    }
    Err(OktaError::validation(operation).with_cause(format!(
        "The sign-on mode {} of app {} does not support signing keys.",
        app.mode().and_then(SignOnMode::name).unwrap_or("null"),
        app.id()
    )))
}

/// 404 for an unknown app id.
pub fn app_not_found(id: &str) -> OktaError {
    OktaError::not_found(id, "AppInstance")
}

fn key_not_found(kid: &str) -> OktaError {
    OktaError::not_found(kid, "JsonWebKey")
}
