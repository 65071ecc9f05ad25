//! The key-metadata cache: what Okta said about each kid that never changes (expiry and certificate,
//! the facts every copy of the kid shares), kept between runs. With it, a group in sync costs
//! no key-list call at all. It also keeps the org's app count from the last full listing,
//! which the cost model weighs listing against per-app reads with. It keeps no copy's dates
//! (`created`, `lastUpdated`): those differ from app to app, and `rotateAfter` judges a key by
//! the source's own copy, read afresh.
//!
//! Safe to delete: a missing, unreadable, foreign or corrupt cache is an empty one, never an
//! error. One file per org, so that keys of two orgs (or two simulators) never mix. This module
//! reads no environment variable; the command line passes the locations in.
//!
//! The cache must never hide a due rotation. So it is trusted only as far as it can be:
//! - a file, or its directory, that group or others can write is ignored with a warning
//!   (anyone who can write it could push an expiry out);
//! - an entry whose certificate does not expire when the entry says (Okta's `expiresAt` is the
//!   certificate's notAfter, docs/okta-api.md §5.1), or whose `x5t#S256` is not its
//!   certificate's digest, is dropped;
//! - an entry is used only for [`CONFIRM_AFTER`] after Okta last listed the key; then the
//!   key's list is read again, which confirms or corrects it. A wrong entry thus misleads for
//!   a bounded time, and never for longer than a day.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::okta::{KeyFacts, Kid};
use crate::plan::LiveSnapshot;

/// The version of the file format; a file of another version is ignored. Version 1 cached
/// whole key copies, dates included.
const FORMAT_VERSION: u32 = 2;

/// The most a cache file may hold: far above the tens of MB of an org with tens of thousands of
/// keys, so that only a file that is no cache costs no more memory than this.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// How long a cached entry stands for Okta's answer before the key is read again.
pub const CONFIRM_AFTER: SignedDuration = SignedDuration::from_hours(24);

/// Key facts of one org, by kid, with when Okta last told them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCache {
    org: String,
    org_apps: Option<usize>,
    keys: BTreeMap<Kid, Entry>,
}

/// One kid's facts and when a key list read from Okta last reported them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    facts: KeyFacts,
    read_at: Timestamp,
}

/// The file as written.
#[derive(Serialize, Deserialize)]
struct CacheFile {
    format_version: u32,
    org: String,
    #[serde(default)]
    org_apps: Option<usize>,
    keys: Vec<Entry>,
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

    /// Reads the cache of `org` from `path`; anything unusable or untrustworthy reads as
    /// empty, and entries that contradict their own certificate are dropped.
    pub fn load(path: &Path, org: &str) -> Self {
        if let Err(why) = trusted(path) {
            tracing::warn!(path = %path.display(), "ignoring the key cache: {why}");
            return Self::empty(org);
        }
        let file = match crate::fsio::read_capped(path, MAX_FILE_BYTES) {
            Ok(bytes) => serde_json::from_slice::<CacheFile>(&bytes),
            Err(_) => return Self::empty(org),
        };
        match file {
            Ok(file) if file.format_version == FORMAT_VERSION && file.org == org => {
                let (keys, odd): (Vec<Entry>, Vec<Entry>) =
                    file.keys.into_iter().partition(consistent);
                if let Some(entry) = odd.first() {
                    tracing::warn!(path = %path.display(), kid = %entry.facts.kid, dropped = odd.len(), "ignoring key cache entries whose expiry or fingerprint is not their certificate's");
                }
                Self {
                    org: file.org,
                    org_apps: file.org_apps,
                    keys: keys.into_iter().map(|e| (e.facts.kid.clone(), e)).collect(),
                }
            }
            Ok(_) => Self::empty(org),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "ignoring an unreadable key cache");
                Self::empty(org)
            }
        }
    }

    /// The facts that may stand for Okta's answer at `now`, for
    /// [`super::FetchOptions::known_keys`]: those Okta listed within [`CONFIRM_AFTER`]. An entry
    /// dated after `now` (an edited file, or a clock set back) is not taken as recent.
    pub fn known_keys(&self, now: Timestamp) -> BTreeMap<Kid, KeyFacts> {
        self.keys
            .iter()
            .filter(|(_, entry)| {
                entry.read_at <= now && now.duration_since(entry.read_at) < CONFIRM_AFTER
            })
            .map(|(kid, entry)| (kid.clone(), entry.facts.clone()))
            .collect()
    }

    /// Whether the cache holds any key, however old: an earlier run read this org.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
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

    /// Records the facts of every key in the lists the snapshot read from Okta at `now`;
    /// true when the cache changed. Facts the snapshot took from the cache itself are not
    /// re-dated: only a list read confirms them.
    pub fn remember(&mut self, live: &LiveSnapshot, now: Timestamp) -> bool {
        let mut changed = false;
        for key in live.keys.values().flatten() {
            let entry = Entry {
                facts: key.facts(),
                read_at: now,
            };
            let old = self.keys.insert(key.kid.clone(), entry);
            // A run within the hour of the last confirmation need not rewrite the file.
            changed |= old.is_none_or(|old| {
                old.facts != key.facts()
                    || now.duration_since(old.read_at) >= SignedDuration::from_hours(1)
                    || old.read_at > now
            });
        }
        changed
    }

    /// Writes the cache to `path`, creating its directory owner-only. The file is replaced in
    /// one rename, so a concurrent reader sees the old cache or the new one, never half of one.
    pub fn save(&self, path: &Path) -> Result<(), KeyCacheError> {
        let fail = |source| KeyCacheError {
            path: path.to_owned(),
            source,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(fail)?;
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

/// Creates `dir` and its missing parents, the new ones readable and writable by the owner
/// only, so that a cache the next run would refuse is never made by keyshare itself.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Why the cache at `path` must not be believed: it is not a regular file, or it or its
/// directory can be written by group or others. A missing file is trusted (it reads as empty).
fn trusted(path: &Path) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    for (what, place) in [("directory", dir), ("file", path)] {
        let meta = match std::fs::metadata(place) {
            Ok(meta) => meta,
            Err(_) => return Ok(()),
        };
        if what == "file" && !meta.is_file() {
            return Err(format!("{} is not a regular file", place.display()));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode();
            if mode & 0o022 != 0 {
                return Err(format!(
                    "its {what} {} can be written by group or others (mode {:o}); run `chmod go-w {}`, or delete the cache",
                    place.display(),
                    mode & 0o777,
                    place.display()
                ));
            }
        }
    }
    Ok(())
}

/// Whether an entry agrees with its own certificate: the certificate parses, expires at the
/// entry's `expiresAt` (to the second), and has the entry's `x5t#S256` when it gives one.
fn consistent(entry: &Entry) -> bool {
    let facts = &entry.facts;
    let Some(der) = facts
        .certificate_der_base64()
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
    else {
        return false;
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(&der) else {
        return false;
    };
    let not_after = cert.validity().not_after.timestamp();
    let thumbprint_agrees = facts.x5t_s256.as_ref().is_none_or(|x5t| {
        *x5t == base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&der))
    });
    not_after == facts.expires_at.as_second() && thumbprint_agrees
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::{AppId, JsonWebKey};

    const ORG: &str = "https://example.okta.com";

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// A copy of `kid` with a real certificate that expires with it, as Okta's do.
    fn key(kid: &str) -> JsonWebKey {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.not_after = rcgen::date_time_ymd(2028, 1, 1);
        let pair = rcgen::KeyPair::generate().unwrap();
        let der = params.self_signed(&pair).unwrap().der().to_vec();
        serde_json::from_value(serde_json::json!({
            "kid": kid, "kty": "RSA", "use": "sig",
            "created": "2026-01-01T00:00:00.000Z", "expiresAt": "2028-01-01T00:00:00.000Z",
            "x5c": [base64::engine::general_purpose::STANDARD.encode(&der)],
            "x5t#S256": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
        }))
        .unwrap()
    }

    fn snapshot(keys: &[JsonWebKey]) -> LiveSnapshot {
        let mut live = LiveSnapshot::default();
        live.insert_keys(AppId::from("0oa1"), keys.to_vec());
        live
    }

    #[test]
    fn what_is_saved_is_loaded_for_the_same_org_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = KeyCache::file_for(&dir.path().join("nested"), ORG);
        let (a, b) = (key("kA"), key("kB"));
        let now = ts("2026-06-01T00:00:00Z");
        let mut cache = KeyCache::empty(ORG);
        assert!(cache.remember(&snapshot(&[a.clone(), b]), now));
        assert!(!cache.remember(&snapshot(&[a]), now), "nothing new");
        assert!(cache.learn_org_apps(10_000));
        assert!(!cache.learn_org_apps(10_000), "the same count");
        cache.save(&path).unwrap();

        assert_eq!(KeyCache::load(&path, ORG), cache);
        assert_eq!(KeyCache::load(&path, ORG).known_keys(now).len(), 2);
        assert_eq!(
            KeyCache::load(&path, "https://other.okta.com"),
            KeyCache::empty("https://other.okta.com")
        );
    }

    #[test]
    fn no_copy_dates_are_kept() {
        let mut cache = KeyCache::empty(ORG);
        let now = ts("2026-06-01T00:00:00Z");
        cache.remember(&snapshot(&[key("kA")]), now);
        let body = serde_json::to_string(&cache.keys.values().collect::<Vec<_>>()).unwrap();
        assert!(
            !body.contains("created") && !body.contains("lastUpdated"),
            "{body}"
        );
    }

    #[test]
    fn an_entry_stands_for_okta_for_a_day_after_okta_listed_it() {
        let mut cache = KeyCache::empty(ORG);
        let read = ts("2026-06-01T00:00:00Z");
        cache.remember(&snapshot(&[key("kA")]), read);
        let within = read + SignedDuration::from_hours(23);
        assert_eq!(cache.known_keys(within).len(), 1);
        assert!(
            cache.known_keys(read + CONFIRM_AFTER).is_empty(),
            "due for a re-read"
        );
        assert!(
            cache
                .known_keys(read - SignedDuration::from_hours(1))
                .is_empty(),
            "an entry from the future is not recent"
        );
        assert!(
            cache.remember(&snapshot(&[key("kA")]), read + CONFIRM_AFTER),
            "a re-read renews the entry"
        );
        assert_eq!(cache.known_keys(read + CONFIRM_AFTER).len(), 1);
    }

    #[test]
    fn an_entry_that_contradicts_its_certificate_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = KeyCache::file_for(dir.path(), ORG);
        let now = ts("2026-06-01T00:00:00Z");
        let mut cache = KeyCache::empty(ORG);
        cache.remember(&snapshot(&[key("kA"), key("kB"), key("kC")]), now);
        cache.save(&path).unwrap();
        let mut file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        file["keys"][0]["facts"]["expiresAt"] = "2031-01-01T00:00:00Z".into();
        file["keys"][1]["facts"]["x5t#S256"] = "AAAA".into();
        std::fs::write(&path, file.to_string()).unwrap();
        let kids: Vec<Kid> = KeyCache::load(&path, ORG)
            .known_keys(now)
            .into_keys()
            .collect();
        assert_eq!(kids, [Kid::from("kC")]);
    }

    #[cfg(unix)]
    #[test]
    fn the_cache_is_owner_only_and_ignored_when_others_can_write_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache_dir = dir.path().join("made");
        let path = KeyCache::file_for(&cache_dir, ORG);
        let now = ts("2026-06-01T00:00:00Z");
        let mut cache = KeyCache::empty(ORG);
        cache.remember(&snapshot(&[key("kA")]), now);
        cache.save(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&cache_dir), 0o700);
        assert_eq!(KeyCache::load(&path, ORG), cache);

        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        for (place, writable) in [(&path, 0o620), (&path, 0o602), (&cache_dir, 0o770)] {
            let before = mode(place);
            set(place, writable);
            assert_eq!(
                KeyCache::load(&path, ORG),
                KeyCache::empty(ORG),
                "{} at {writable:o}",
                place.display()
            );
            set(place, before);
        }
    }

    #[test]
    fn a_missing_or_corrupt_cache_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        assert_eq!(KeyCache::load(&path, ORG), KeyCache::empty(ORG));
        std::fs::write(&path, b"{\"format_version\": 2, \"org\": ").unwrap();
        assert_eq!(KeyCache::load(&path, ORG), KeyCache::empty(ORG));
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
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
