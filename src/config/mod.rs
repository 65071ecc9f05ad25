//! The desired state: `SigningKeyGroup` documents read from a directory of YAML files.
//!
//! Loading is two-staged (raw serde structs shaped like the YAML, then this resolved model);
//! nothing outside this module sees the raw types. Every error names file, line and column.
//! This module never talks to Okta: app references are resolved by the planner against a
//! live snapshot.

mod error;
mod load;
mod marks;
mod raw;
mod resolve;

use std::fmt;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::okta::model::canonical_json;
use crate::okta::{AppId, Kid};

pub use error::{ConfigError, Place, Problem};
pub use load::{MAX_FILE_BYTES, load_dir};

/// Where in the config repo a thing was written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Every group of the directory, in a stable order (by name).
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredState {
    pub groups: Vec<SigningKeyGroup>,
    /// SHA-256 (hex) over the groups' canonical form: equal for equal meaning, whatever the
    /// file layout, comments or key order.
    pub digest: String,
}

impl DesiredState {
    /// Sorts the groups by name and computes the digest.
    pub fn new(mut groups: Vec<SigningKeyGroup>) -> Self {
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        let canonical = Value::Array(groups.iter().map(SigningKeyGroup::canonical).collect());
        let digest = hex::encode(Sha256::digest(canonical_json(&canonical).as_bytes()));
        Self { groups, digest }
    }
}

/// A set of apps that must all sign with one key.
#[derive(Debug, Clone, PartialEq)]
pub struct SigningKeyGroup {
    pub name: String,
    /// The app the group's key lives on (generated there, cloned from there).
    pub source: AppRef,
    pub members: Vec<AppRef>,
    pub key: KeyPolicy,
    /// `metadata.annotations: {keyshare.io/suspend: "true"}`: `keyshare watch` observes the
    /// group but never heals it or notifies about it. Not part of the group's meaning (the
    /// desired state's digest): it says what the controller may do, not what Okta should hold.
    pub suspended: bool,
    /// The document's `metadata.name`.
    pub location: Location,
}

impl SigningKeyGroup {
    /// The group's meaning as JSON: no locations, members sorted (their order means nothing).
    fn canonical(&self) -> Value {
        let mut members: Vec<Value> = self
            .members
            .iter()
            .map(|m| m.selector.canonical())
            .collect();
        members.sort_by_key(canonical_json);
        json!({
            "name": self.name,
            "source": self.source.selector.canonical(),
            "members": members,
            "key": {
                "validityYears": self.key.validity_years,
                "rotateBeforeSeconds": self.key.rotate_before.map(|d| d.as_secs()),
                "rotateAfter": self.key.rotate_after.map(|t| t.to_string()),
                "kid": self.key.kid.as_ref().map(|k| &k.0),
            },
        })
    }
}

/// How a group refers to an app: exactly one of id, label, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppSelector {
    Id(AppId),
    Label(String),
    Name(String),
}

impl AppSelector {
    fn canonical(&self) -> Value {
        match self {
            Self::Id(id) => json!({ "id": id.0 }),
            Self::Label(label) => json!({ "label": label }),
            Self::Name(name) => json!({ "name": name }),
        }
    }
}

impl fmt::Display for AppSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // An Okta id is letters and digits; anything else (a trailing space, a zero-width
            // character) would print invisibly, so such an id is quoted and escaped.
            Self::Id(id) if id.0.chars().all(|c| c.is_ascii_alphanumeric()) => write!(f, "{id}"),
            Self::Id(id) => write!(f, "{:?}", id.0),
            Self::Label(l) => write!(f, "{{label: {l:?}}}"),
            Self::Name(n) => write!(f, "{{name: {n:?}}}"),
        }
    }
}

/// An app reference and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRef {
    pub selector: AppSelector,
    pub location: Location,
}

/// The group's key policy (DESIGN "The desired state").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPolicy {
    /// For keys keyshare generates; Okta allows 2..=10.
    pub validity_years: u8,
    /// Rotate when the shared key expires within this window.
    pub rotate_before: Option<SignedDuration>,
    /// A key created before this instant is replaced.
    pub rotate_after: Option<Timestamp>,
    /// A pinned key; excludes `rotate_after`.
    pub kid: Option<Kid>,
}
