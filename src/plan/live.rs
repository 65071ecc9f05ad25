//! What the planner knows of the org: the apps it read and, where it read them, their keys.

use std::collections::BTreeMap;

use crate::okta::{AppId, Application, JsonWebKey, Kid};

/// A snapshot of the live org, as much of it as planning needs.
///
/// `apps` holds every app a reference could resolve to. `keys` holds full key lists for the
/// apps whose list was read; for the others the planner knows only that an app holds the key it
/// signs with. `key_meta` holds metadata (created, expiry, certificate) of keys known from any
/// list or from the key cache; a kid's metadata never changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveSnapshot {
    pub apps: BTreeMap<AppId, Application>,
    pub keys: BTreeMap<AppId, Vec<JsonWebKey>>,
    pub key_meta: BTreeMap<Kid, JsonWebKey>,
}
