//! The key-metadata cache: what Okta said about each kid (created, expiry, certificate), kept
//! between runs because a kid's metadata never changes (issue 7). With it, a group in sync
//! costs no key-list call at all. It also keeps the org's app count from the last full
//! listing, which the cost model weighs listing against per-app reads with.
//!
//! Safe to delete: a missing, unreadable, foreign or corrupt cache is an empty one, never an
//! error. One file per org, so that keys of two orgs (or two simulators) never mix. This module
//! reads no environment variable; the command line passes the locations in.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::okta::{JsonWebKey, Kid};
use crate::plan::LiveSnapshot;

/// The version of the file format; a file of another version is ignored.
const FORMAT_VERSION: u32 = 1;

/// Key metadata of one org, by kid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCache {
    org: String,
    org_apps: Option<usize>,
    keys: BTreeMap<Kid, JsonWebKey>,
}

/// The file as written.
#[derive(Serialize, Deserialize)]
struct CacheFile {
    format_version: u32,
    org: String,
    #[serde(default)]
    org_apps: Option<usize>,
    keys: Vec<JsonWebKey>,
}

/// The cache could not be written (reading never fails).
#[derive(Debug, thiserror::Error)]
#[error(
    "could not write the key cache {path}: {source}; check the directory's permissions (the cache is optional and safe to delete)"
)]
pub struct KeyCacheError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl KeyCache {
    /// The cache directory by the XDG convention: `$XDG_CACHE_HOME/keyshare` when that is an
    /// absolute path, else `$HOME/.cache/keyshare`; none without either.
    pub fn default_dir(
        xdg_cache_home: Option<OsString>,
        home: Option<OsString>,
    ) -> Option<PathBuf> {
        let xdg = xdg_cache_home
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute());
        let base = xdg.or_else(|| home.map(|home| PathBuf::from(home).join(".cache")))?;
        Some(base.join("keyshare"))
    }

    /// The file for `org` in `dir`: named by a digest of the org URL, which may hold
    /// characters a file name cannot.
    pub fn file_for(dir: &Path, org: &str) -> PathBuf {
        let digest = hex::encode(Sha256::digest(org.as_bytes()));
        dir.join(format!("keys-{}.json", &digest[..16]))
    }

    /// An empty cache for `org`.
    pub fn empty(org: &str) -> Self {
        Self {
            org: org.to_owned(),
            org_apps: None,
            keys: BTreeMap::new(),
        }
    }

    /// Reads the cache of `org` from `path`; anything unusable reads as empty.
    pub fn load(path: &Path, org: &str) -> Self {
        let file = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice::<CacheFile>(&bytes),
            Err(_) => return Self::empty(org),
        };
        match file {
            Ok(file) if file.format_version == FORMAT_VERSION && file.org == org => Self {
                org: file.org,
                org_apps: file.org_apps,
                keys: file.keys.into_iter().map(|k| (k.kid.clone(), k)).collect(),
            },
            Ok(_) => Self::empty(org),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "ignoring an unreadable key cache");
                Self::empty(org)
            }
        }
    }

    /// The cached metadata, for [`super::FetchOptions::known_keys`].
    pub fn keys(&self) -> &BTreeMap<Kid, JsonWebKey> {
        &self.keys
    }

    /// The org's app count as the last full listing found it.
    pub fn org_apps(&self) -> Option<usize> {
        self.org_apps
    }

    /// Records the org's app count; true when it changed.
    pub fn learn_org_apps(&mut self, count: usize) -> bool {
        let changed = self.org_apps != Some(count);
        self.org_apps = Some(count);
        changed
    }

    /// Adds every key the snapshot learnt; true when the cache grew.
    pub fn remember(&mut self, live: &LiveSnapshot) -> bool {
        let before = self.keys.len();
        for (kid, key) in &live.key_meta {
            self.keys.entry(kid.clone()).or_insert_with(|| key.clone());
        }
        self.keys.len() > before
    }

    /// Writes the cache to `path`, creating its directory. The file is replaced in one rename,
    /// so a concurrent reader sees the old cache or the new one, never half of one.
    pub fn save(&self, path: &Path) -> Result<(), KeyCacheError> {
        let fail = |source| KeyCacheError {
            path: path.to_owned(),
            source,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(fail)?;
        let file = CacheFile {
            format_version: FORMAT_VERSION,
            org: self.org.clone(),
            org_apps: self.org_apps,
            keys: self.keys.values().cloned().collect(),
        };
        let body = serde_json::to_vec(&file).map_err(|e| fail(e.into()))?;
        crate::fsio::replace_owner_only(path, &body).map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::AppId;

    const ORG: &str = "https://example.okta.com";

    fn key(kid: &str) -> JsonWebKey {
        serde_json::from_value(serde_json::json!({
            "kid": kid, "kty": "RSA", "use": "sig",
            "created": "2026-01-01T00:00:00.000Z", "expiresAt": "2028-01-01T00:00:00.000Z",
            "x5c": ["MIIB"]
        }))
        .unwrap()
    }

    fn snapshot(kids: &[&str]) -> LiveSnapshot {
        let mut live = LiveSnapshot::default();
        live.insert_keys(AppId::from("0oa1"), kids.iter().map(|k| key(k)).collect());
        live
    }

    #[test]
    fn what_is_saved_is_loaded_for_the_same_org_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = KeyCache::file_for(&dir.path().join("nested"), ORG);
        let mut cache = KeyCache::empty(ORG);
        assert!(cache.remember(&snapshot(&["kA", "kB"])));
        assert!(!cache.remember(&snapshot(&["kA"])), "nothing new");
        assert!(cache.learn_org_apps(10_000));
        assert!(!cache.learn_org_apps(10_000), "the same count");
        cache.save(&path).unwrap();

        assert_eq!(KeyCache::load(&path, ORG), cache);
        assert_eq!(
            KeyCache::load(&path, "https://other.okta.com"),
            KeyCache::empty("https://other.okta.com")
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = KeyCache::file_for(dir.path(), ORG);
        let mut cache = KeyCache::empty(ORG);
        cache.remember(&snapshot(&["kA"]));
        cache.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }

    #[test]
    fn a_missing_or_corrupt_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        assert_eq!(KeyCache::load(&path, ORG), KeyCache::empty(ORG));
        std::fs::write(&path, b"{\"format_version\": 1, \"org\": ").unwrap();
        assert_eq!(KeyCache::load(&path, ORG), KeyCache::empty(ORG));
    }

    #[test]
    fn the_directory_follows_xdg() {
        let dir = |xdg: Option<&str>, home: Option<&str>| {
            KeyCache::default_dir(xdg.map(OsString::from), home.map(OsString::from))
        };
        assert_eq!(
            dir(Some("/xdg"), Some("/home/u")),
            Some(PathBuf::from("/xdg/keyshare"))
        );
        assert_eq!(
            dir(Some("relative"), Some("/home/u")),
            Some(PathBuf::from("/home/u/.cache/keyshare"))
        );
        assert_eq!(
            dir(None, Some("/home/u")),
            Some(PathBuf::from("/home/u/.cache/keyshare"))
        );
        assert_eq!(dir(None, None), None);
    }
}
