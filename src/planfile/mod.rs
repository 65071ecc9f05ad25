//! Saved plans: `keyshare plan --out FILE` writes one, `keyshare apply FILE` carries it out
//! exactly, or refuses (docs/design.md "Applying safely").
//!
//! A plan file is versioned JSON holding the org URL, the desired state's digest, the keyshare
//! version, the plan (steps with their preconditions, groups, warnings) and a fingerprint of
//! everything the plan was made from: per app read, the digest of its whole JSON and its key
//! kids. A SHA-256 checksum over the rest catches a file that was edited or cut short.
//!
//! A plan file must never hold a secret: it records ids, kids, digests and timestamps only,
//! never an app's settings, a token or a key. It is written owner-only all the same.
//!
//! - `view`: the serde shape of the plan (its `…Wire` types), mapped to and from the planner's
//!   types.
//! - `fresh`: the fingerprint, and the check that the org still matches it.

mod fresh;
mod view;

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::fsio;
use crate::okta::model::canonical_json;
use crate::plan::{LiveSnapshot, Plan};

pub use fresh::{AppFingerprint, StaleError, check_fresh};
pub use view::PlanWire;

/// The `kind` every plan file carries.
pub const KIND: &str = "keyshare/plan";

/// The version of the plan file format; raised on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// The largest plan file read. A plan records ids, kids and digests, about 1 KiB per app, so
/// this holds tens of thousands of apps; it bounds the memory a wrong path can cost.
const MAX_PLAN_BYTES: u64 = 64 << 20;

/// The keyshare version that writes and reads plan files.
pub const KEYSHARE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A saved plan, as written to disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// Always [`KIND`].
    pub kind: String,
    /// Always [`FORMAT_VERSION`] for files this version reads.
    pub format_version: u32,
    /// The keyshare version that made the plan.
    pub keyshare_version: String,
    /// When the plan was made.
    pub created_at: Timestamp,
    /// The org the plan was made against, as keyshare normalizes it.
    pub org_url: String,
    /// [`crate::config::DesiredState::digest`] of the desired state planned.
    pub desired_digest: String,
    /// Every app the plan was made from, by id.
    pub fingerprint: Vec<AppFingerprint>,
    /// The plan itself.
    pub plan: PlanWire,
    /// SHA-256 (hex) of the canonical JSON of every other field.
    pub checksum: String,
}

/// Why a plan file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot write the plan file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the plan file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is not a complete keyshare plan file ({detail}); it may be cut short or not a plan at all: run `keyshare plan --out {path}` again"
    )]
    Malformed { path: PathBuf, detail: String },
    #[error(
        "{path} is a plan file of format version {found}, but this keyshare (version {KEYSHARE_VERSION}) reads version {FORMAT_VERSION}; run `keyshare plan --out` again with this version"
    )]
    OtherFormat { path: PathBuf, found: Value },
    #[error(
        "{path} was made by keyshare {found}, but this is keyshare {KEYSHARE_VERSION}; a saved plan is applied by the version that made it, so run `keyshare plan --out {path}` again with this keyshare"
    )]
    OtherKeyshare { path: PathBuf, found: String },
    #[error(
        "{path} was changed after keyshare wrote it (its checksum does not match its contents); a saved plan is applied exactly as made, so run `keyshare plan --out` again"
    )]
    Edited { path: PathBuf },
}

impl PlanFile {
    /// A plan file for `plan`, made from `live` against `org_url` at `now`.
    pub fn new(
        plan: &Plan,
        live: &LiveSnapshot,
        org_url: &url::Url,
        desired_digest: &str,
        now: Timestamp,
    ) -> Self {
        let mut file = Self {
            kind: KIND.to_owned(),
            format_version: FORMAT_VERSION,
            keyshare_version: KEYSHARE_VERSION.to_owned(),
            created_at: now,
            org_url: org_url.to_string(),
            desired_digest: desired_digest.to_owned(),
            fingerprint: fresh::fingerprint(live, plan),
            plan: PlanWire::from(plan),
            checksum: String::new(),
        };
        file.checksum = file.compute_checksum();
        file
    }

    /// The plan, in the planner's types, for the executor.
    pub fn to_plan(&self) -> Plan {
        Plan::from(self.plan.clone())
    }

    /// Writes the file owner-only (0600 on Unix), replacing `path` atomically; a path that
    /// holds anything but a regular file (`/dev/null`, a FIFO) is refused and left alone.
    pub fn write(&self, path: &Path) -> Result<(), PlanFileError> {
        let mut text = serde_json::to_string_pretty(self).expect("a plan file serializes");
        text.push('\n');
        fsio::replace_owner_only(path, text.as_bytes()).map_err(|source| PlanFileError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// Reads and checks a plan file: complete, of this format and keyshare version, unedited.
    pub fn read(path: &Path) -> Result<Self, PlanFileError> {
        let bytes =
            fsio::read_capped(path, MAX_PLAN_BYTES).map_err(|source| PlanFileError::Read {
                path: path.to_owned(),
                source,
            })?;
        Self::parse(path, &bytes)
    }

    /// Checks the contents of the plan file at `path`, as [`PlanFile::read`] does.
    ///
    /// The versions are checked on the loosely parsed JSON, before its shape: another
    /// version's file may differ in shape, and then the version is the useful thing to say.
    /// The shape is then parsed from the bytes themselves, not from the loose JSON, so that a
    /// duplicated key (which keyshare never writes, and which a reader of the file could take
    /// for the one that counts) is refused rather than silently dropped.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, PlanFileError> {
        let malformed = |detail: String| PlanFileError::Malformed {
            path: path.to_owned(),
            detail,
        };
        let value: Value = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        if value.get("kind").and_then(Value::as_str) != Some(KIND) {
            return Err(malformed(format!("it has no `\"kind\": \"{KIND}\"`")));
        }
        let version = value.get("format_version").cloned().unwrap_or(Value::Null);
        if version != FORMAT_VERSION {
            return Err(PlanFileError::OtherFormat {
                path: path.to_owned(),
                found: version,
            });
        }
        if let Some(found) = value.get("keyshare_version").and_then(Value::as_str)
            && found != KEYSHARE_VERSION
        {
            return Err(PlanFileError::OtherKeyshare {
                path: path.to_owned(),
                found: found.to_owned(),
            });
        }
        let file: Self = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        if file.checksum != file.compute_checksum() {
            return Err(PlanFileError::Edited {
                path: path.to_owned(),
            });
        }
        Ok(file)
    }

    fn compute_checksum(&self) -> String {
        let mut value = serde_json::to_value(self).expect("a plan file serializes");
        if let Some(object) = value.as_object_mut() {
            object.remove("checksum");
        }
        hex::encode(Sha256::digest(canonical_json(&value).as_bytes()))
    }
}

/// True when `path` looks like a saved plan rather than a desired-state directory: it is a
/// file (a directory of YAML is never one).
pub fn is_plan_file(path: &Path) -> bool {
    path.is_file()
}
