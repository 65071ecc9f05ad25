//! What the planner knows of the org: the apps it read and, where it read them, their keys.

use std::collections::BTreeMap;

use crate::okta::{AppId, Application, JsonWebKey, Kid};

/// A snapshot of the live org, as much of it as planning needs.
///
/// `apps` holds every app a reference could resolve to. `keys` holds full key lists for the
/// apps whose list was read; for the others the planner knows only that an app holds the key it
/// signs with. `key_meta` holds metadata (created, expiry, certificate) of keys known from any
/// list or from the key cache; a kid's metadata never changes.
///
/// Fill `keys` through [`LiveSnapshot::insert_keys`], which keeps `key_meta` a superset of
/// every list, so that the planner finds a key's metadata with one lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveSnapshot {
    pub apps: BTreeMap<AppId, Application>,
    pub keys: BTreeMap<AppId, Vec<JsonWebKey>>,
    pub key_meta: BTreeMap<Kid, JsonWebKey>,
}

impl LiveSnapshot {
    /// Adds an app as read.
    pub fn insert_app(&mut self, app: Application) {
        self.apps.insert(app.id.clone(), app);
    }

    /// Records an app's full key list and the metadata of every key in it.
    pub fn insert_keys(&mut self, app: AppId, keys: Vec<JsonWebKey>) {
        for key in &keys {
            self.key_meta.insert(key.kid.clone(), key.clone());
        }
        self.keys.insert(app, keys);
    }

    /// Metadata of a key, when any list or the cache told it.
    pub fn key(&self, kid: &Kid) -> Option<&JsonWebKey> {
        self.key_meta.get(kid)
    }

    /// Whether `app` is known to hold `kid`: it signs with it, or its list has it. An app whose
    /// list was not read is taken to hold only the key it signs with.
    pub fn holds(&self, app: &Application, kid: &Kid) -> bool {
        app.signing_kid.as_ref() == Some(kid)
            || self
                .keys
                .get(&app.id)
                .is_some_and(|keys| keys.iter().any(|k| &k.kid == kid))
    }

    /// Whether the app's full key list was read.
    pub fn has_key_list(&self, app: &AppId) -> bool {
        self.keys.contains_key(app)
    }
}
