//! What the planner knows of the org: the apps it read and, where it read them, their keys.
//!
//! A kid cloned to several apps is one key with several copies. Okta lists each app's copy
//! with the same expiry and certificate but with its own `created` and `lastUpdated` (a clone
//! is dated at the clone, not at the generate), so the snapshot keeps each app's copies apart
//! from the facts every copy shares. It never lets one app's dates stand for another's.

use std::collections::BTreeMap;

use crate::okta::{AppId, Application, JsonWebKey, KeyFacts, Kid};

/// A snapshot of the live org, as much of it as planning needs.
///
/// `apps` holds every app a reference could resolve to. `keys` holds full key lists, each
/// app's own copies, for the apps whose list was read; for the others the planner knows only
/// that an app holds the key it signs with. `key_facts` holds what is the same on every copy
/// of a kid (expiry, certificate), known from any list or from the key cache.
///
/// Fill `keys` through [`LiveSnapshot::insert_keys`], which keeps `key_facts` a superset of
/// every list, so that the planner finds a key's expiry with one lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveSnapshot {
    pub apps: BTreeMap<AppId, Application>,
    pub keys: BTreeMap<AppId, Vec<JsonWebKey>>,
    pub key_facts: BTreeMap<Kid, KeyFacts>,
}

impl LiveSnapshot {
    /// Adds an app as read.
    pub fn insert_app(&mut self, app: Application) {
        self.apps.insert(app.id.clone(), app);
    }

    /// Records an app's full key list and the facts of every key in it.
    pub fn insert_keys(&mut self, app: AppId, keys: Vec<JsonWebKey>) {
        for key in &keys {
            self.key_facts.insert(key.kid.clone(), key.facts());
        }
        self.keys.insert(app, keys);
    }

    /// Records what is known of a kid without a list (the key cache, a key just generated).
    pub fn insert_facts(&mut self, facts: KeyFacts) {
        self.key_facts.insert(facts.kid.clone(), facts);
    }

    /// The facts every copy of a key shares, when any list or the cache told them.
    pub fn key(&self, kid: &Kid) -> Option<&KeyFacts> {
        self.key_facts.get(kid)
    }

    /// `app`'s own copy of `kid`, dated by `app`, when its list was read and has it.
    pub fn copy(&self, app: &AppId, kid: &Kid) -> Option<&JsonWebKey> {
        self.keys.get(app)?.iter().find(|key| &key.kid == kid)
    }

    /// Whether `app` is known to hold `kid`: it signs with it, or its list has it. An app whose
    /// list was not read is taken to hold only the key it signs with.
    pub fn holds(&self, app: &Application, kid: &Kid) -> bool {
        app.signing_kid.as_ref() == Some(kid) || self.copy(&app.id, kid).is_some()
    }

    /// Whether the app's full key list was read.
    pub fn has_key_list(&self, app: &AppId) -> bool {
        self.keys.contains_key(app)
    }
}
