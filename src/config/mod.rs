//! The desired state: `SigningKeyGroup` documents read from a directory of YAML files.
//!
//! Loading is two-staged (raw serde structs shaped like the YAML, then this resolved model);
//! nothing outside this module sees the raw types. Every error names file, line and column.
//! This module never talks to Okta: app references are resolved by the planner against a
//! live snapshot.
//!
//! `emit` writes the other way, a group as YAML text, for `keyshare import`.

pub mod emit;
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
    /// What is valid but unwise, one `file:line:col: message` each: a soak
    /// (`stageBefore − rotateBefore`) too short for service providers to act on.
    pub fn warnings(&self) -> Vec<Problem> {
        self.groups
            .iter()
            .filter_map(|group| {
                let stage = group.key.stage.as_ref()?;
                let soak = stage.before - group.key.rotate_before?;
                (soak < RECOMMENDED_SOAK).then(|| {
                    Problem::at(
                        stage.location.clone(),
                        format!(
                            "spec.key.stageBefore: service providers get {} days between staging and switching, under the {} recommended; many need a change window to load a certificate, so widen stageBefore or narrow rotateBefore",
                            soak.as_hours() / 24,
                            RECOMMENDED_SOAK.as_hours() / 24
                        ),
                    )
                })
            })
            .collect()
    }

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
        let mut key = json!({
            "validityYears": self.key.validity_years,
            "rotateBeforeSeconds": self.key.rotate_before.map(|d| d.as_secs()),
            "rotateAfter": self.key.rotate_after.map(|t| t.to_string()),
            "kid": self.key.kid.as_ref().map(|k| &k.0),
        });
        // Added only when set, so that the digest of a desired state without staging is the
        // one saved plans made before staging existed recorded.
        if let (Some(stage), Value::Object(fields)) = (&self.key.stage, &mut key) {
            fields.insert("stageBeforeSeconds".into(), stage.before.as_secs().into());
            fields.insert(
                "switchImmediately".into(),
                (stage.switch == SwitchWhen::Immediately).into(),
            );
        }
        json!({
            "name": self.name,
            "source": self.source.selector.canonical(),
            "members": members,
            "key": key,
        })
    }
}

/// The shortest soak validation accepts without a warning: two weeks, the Shibboleth
/// community's rule of thumb for how long new metadata takes to reach every consumer.
pub const RECOMMENDED_SOAK: SignedDuration = SignedDuration::from_hours(14 * 24);

/// The shortest soak validation accepts at all: a day, below which no service provider's
/// admin can be expected to act between the stage and the switch.
pub const MINIMUM_SOAK: SignedDuration = SignedDuration::from_hours(24);

/// Staged rotation: the next key is made and cloned `before` the shared key expires, and the
/// apps switch to it later (docs/rotation.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staging {
    pub before: SignedDuration,
    pub switch: SwitchWhen,
    /// Where `stageBefore` was written, for warnings about it.
    pub location: Location,
}

/// When a group switches to the next key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchWhen {
    /// In the `rotateBefore` window (or, for `rotateAfter`, a soak after the stage): service
    /// providers have had the certificate for `stageBefore − rotateBefore`.
    AfterSoak,
    /// `switch: immediately`: generate, clone and switch in one apply, as without staging.
    /// For a compromised key; every service provider that has not loaded the new certificate
    /// fails sign-ins until it does.
    Immediately,
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

/// The group's key policy (docs/design.md "The desired state").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPolicy {
    /// For keys keyshare generates; Okta allows 2..=10.
    pub validity_years: u8,
    /// Rotate when the shared key expires within this window.
    pub rotate_before: Option<SignedDuration>,
    /// Stage the next key this long before the shared key expires, and switch to it in the
    /// `rotate_before` window (docs/rotation.md); none rotates in one go.
    pub stage: Option<Staging>,
    /// A key created before this instant is replaced.
    pub rotate_after: Option<Timestamp>,
    /// A pinned key; excludes `rotate_after`.
    pub kid: Option<Kid>,
}
