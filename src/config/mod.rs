//! The desired state: `SigningKeyGroup` documents read from a directory of YAML files.
//!
//! Loading is two-staged (raw serde structs shaped like the YAML, then this resolved model);
//! nothing outside this module sees the raw types. Every error names file, line and column.
//! This module never talks to Okta: app references are resolved by the planner against a
//! live snapshot.

mod load;

use std::fmt;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};

use crate::okta::{AppId, Kid};

pub use load::{ConfigError, load_dir};

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

/// A set of apps that must all sign with one key.
#[derive(Debug, Clone, PartialEq)]
pub struct SigningKeyGroup {
    pub name: String,
    /// The app the group's key lives on (generated there, cloned from there).
    pub source: AppRef,
    pub members: Vec<AppRef>,
    pub key: KeyPolicy,
    /// The document's `metadata.name`.
    pub location: Location,
}

/// How a group refers to an app: exactly one of id, label, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppSelector {
    Id(AppId),
    Label(String),
    Name(String),
}

impl fmt::Display for AppSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
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
