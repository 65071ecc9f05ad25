//! Builds the initial [`Org`] from a [`SimConfig`]: seeded apps with their keys, then the
//! synthetic apps. Seeded and synthetic keys take their RSA key pairs from the shared
//! [`KeyPool`] (documented in docs/simulator.md); certificates stay per key, dates per copy.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

use super::config::{AppSeed, AppStatus, KeySeed, SimConfig};
use super::error::SimError;
use super::ids::Ids;
use super::keys::{KeyCopy, KeyCredential, KeyPool};
use super::org::{App, Org};
use super::shapes::{self, NewApp, SignOnMode};
use super::time;
use super::timespec::TimeSpec;

/// The org `config` describes, for a simulator started at `start`, its ids drawn from `ids`.
pub fn build_org(config: &SimConfig, start: Timestamp, ids: &Ids) -> Result<Org, SimError> {
    let mut builder = Builder {
        subdomain: config.org_name.as_str().into(),
        org_id: ids.org_id(),
        ids,
        start,
        pool: None,
        next_pair: 0,
        keys_by_kid: HashMap::new(),
    };
    let mut apps = Vec::with_capacity(config.apps.len() + config.synthetic_apps);
    for (n, seed) in config.apps.iter().enumerate() {
        apps.push(builder.seeded_app(seed, n + 1)?);
    }
    for n in 1..=config.synthetic_apps {
        apps.push(builder.synthetic_app(n, config.synthetic_mix.mode(n))?);
    }
    let mut seen = HashMap::new();
    for app in &apps {
        if let Some(label) = seen.insert(app.id().to_owned(), app.str_field("label")) {
            return Err(SimError::Config(format!(
                "app id {} is used twice (labels {:?} and {:?}); ids must be unique",
                app.id(),
                label.unwrap_or_default(),
                app.str_field("label").unwrap_or_default()
            )));
        }
    }
    Ok(Org::new(builder.subdomain, builder.org_id, apps))
}

struct Builder<'a> {
    subdomain: Arc<str>,
    org_id: String,
    ids: &'a Ids,
    start: Timestamp,
    pool: Option<&'static KeyPool>,
    next_pair: usize,
    keys_by_kid: HashMap<String, Arc<KeyCredential>>,
}

impl Builder<'_> {
    fn seeded_app(&mut self, seed: &AppSeed, n: usize) -> Result<App, SimError> {
        let id = seed.id.clone().unwrap_or_else(|| self.ids.app_id());
        let alphanumeric = id.bytes().all(|b| b.is_ascii_alphanumeric());
        if id.len() != 20 || !id.starts_with("0oa") || !alphanumeric {
            return Err(SimError::Config(format!(
                "app id {id:?} (label {:?}) is not a 20-character alphanumeric id starting with 0oa",
                seed.label
            )));
        }
        let name = seed
            .name
            .clone()
            .unwrap_or_else(|| self.default_name(seed, n));
        let keys = if !seed.sign_on_mode.has_signing_keys() {
            Vec::new()
        } else if seed.keys.is_empty() {
            let created = TimeSpec::parse("-30d").expect("valid time spec");
            let expires = TimeSpec::parse("-30d+10y").expect("valid time spec");
            vec![KeyCopy::original(self.key(None, &created, &expires)?)]
        } else {
            seed.keys
                .iter()
                .map(|k| self.seeded_key(k, &seed.label))
                .collect::<Result<_, _>>()?
        };
        let active = match &seed.active_key {
            Some(kid) if keys.iter().any(|k| k.kid() == kid) => Some(kid.clone()),
            Some(kid) => {
                return Err(SimError::Config(format!(
                    "app {id} (label {:?}): activeKey {kid} is not one of its keys",
                    seed.label
                )));
            }
            None => keys.first().map(|k| k.kid().to_owned()),
        };
        let mut app = self.app(&NewSpec {
            id: &id,
            name: &name,
            label: &seed.label,
            status: seed.status,
            mode: seed.sign_on_mode,
            kid: active.as_deref(),
        });
        if let Some(overrides) = &seed.settings {
            let settings = app.body.entry("settings").or_insert(Value::Null);
            merge_objects(settings, overrides);
        }
        Ok(App {
            keys: newest_first(keys),
            ..app
        })
    }

    fn synthetic_app(&mut self, n: usize, mode: SignOnMode) -> Result<App, SimError> {
        let key = if mode.has_signing_keys() {
            let created = TimeSpec::parse("-1y").expect("valid time spec");
            let expires = TimeSpec::parse("-1y+10y").expect("valid time spec");
            Some(KeyCopy::original(self.key(None, &created, &expires)?))
        } else {
            None
        };
        let name = mode.fixed_name().map_or_else(
            || format!("{}_synthetic_{n:05}", self.subdomain),
            str::to_owned,
        );
        let mut app = self.app(&NewSpec {
            id: &self.ids.app_id(),
            name: &name,
            label: &format!("synthetic-{n:05}"),
            status: AppStatus::Active,
            mode,
            kid: key.as_ref().map(KeyCopy::kid),
        });
        app.keys.extend(key);
        Ok(app)
    }

    fn app(&self, spec: &NewSpec<'_>) -> App {
        let created = time::okta(self.start);
        let body = shapes::app_body(&NewApp {
            id: spec.id,
            org_id: &self.org_id,
            name: spec.name,
            label: spec.label,
            status: spec.status.as_str(),
            mode: spec.mode,
            created: &created,
            kid: spec.kid,
        });
        App {
            body,
            keys: Vec::new(),
            csrs: Vec::new(),
        }
    }

    fn default_name(&self, seed: &AppSeed, n: usize) -> String {
        if let Some(fixed) = seed.sign_on_mode.fixed_name() {
            return fixed.to_owned();
        }
        let words: Vec<String> = seed
            .label
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        format!("{}_{}_{n}", self.subdomain, words.join("_"))
    }

    /// The app's copy of a seeded key. A kid declared on several apps is one key (one
    /// certificate, one expiry, from its first declaration); each app's copy keeps its own
    /// `created`, as Okta dates each copy.
    fn seeded_key(&mut self, seed: &KeySeed, label: &str) -> Result<KeyCopy, SimError> {
        if let Some(kid) = seed.kid.as_deref().filter(|kid| !is_okta_kid(kid)) {
            return Err(SimError::Config(format!(
                "app {label:?}: kid {kid:?} is not 43 base64url characters (A-Z a-z 0-9 - _), as Okta's are"
            )));
        }
        let key = self.key(seed.kid.clone(), &seed.created, &seed.expires_at)?;
        if key.expires_at.as_second() != seed.expires_at.resolve(self.start).as_second() {
            return Err(SimError::Config(format!(
                "app {label:?}: key {} is declared twice with different expiresAt; a shared key has one expiry (each copy may have its own created)",
                key.kid
            )));
        }
        Ok(KeyCopy::cloned(key, seed.created.resolve(self.start)))
    }

    /// A key from the pool, or the already-built key with the same kid (a seeded shared key).
    fn key(
        &mut self,
        kid: Option<String>,
        created: &TimeSpec,
        expires: &TimeSpec,
    ) -> Result<Arc<KeyCredential>, SimError> {
        let kid = kid.unwrap_or_else(|| self.ids.kid());
        let pool = match self.pool {
            Some(pool) => pool,
            None => *self.pool.insert(KeyPool::shared()?),
        };
        match self.keys_by_kid.entry(kid) {
            Entry::Occupied(existing) => Ok(Arc::clone(existing.get())),
            Entry::Vacant(slot) => {
                let key = Arc::new(KeyCredential::new(
                    slot.key().clone(),
                    created.resolve(self.start),
                    expires.resolve(self.start),
                    Arc::clone(&self.subdomain),
                    pool.pair(self.next_pair),
                ));
                self.next_pair += 1;
                Ok(Arc::clone(slot.insert(key)))
            }
        }
    }
}

struct NewSpec<'a> {
    id: &'a str,
    name: &'a str,
    label: &'a str,
    status: AppStatus,
    mode: SignOnMode,
    kid: Option<&'a str>,
}

fn is_okta_kid(kid: &str) -> bool {
    kid.len() == 43
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn newest_first(mut keys: Vec<KeyCopy>) -> Vec<KeyCopy> {
    keys.sort_by_key(|k| std::cmp::Reverse(k.created));
    keys
}

/// Objects merge member by member; anything else replaces.
fn merge_objects(base: &mut Value, overrides: &Value) {
    match (base, overrides) {
        (Value::Object(base), Value::Object(overrides)) => {
            for (name, value) in overrides {
                merge_objects(base.entry(name.clone()).or_insert(Value::Null), value);
            }
        }
        (base, overrides) => *base = overrides.clone(),
    }
}
