//! The desired state as the controller uses it: re-read from disk on every reconcile, and the
//! last valid one kept when the files on disk stop being valid (a half-written edit, a bad
//! merge), so that a typo never makes the controller act on nothing.

use std::path::{Path, PathBuf};

use crate::config::{self, ConfigError, DesiredState};

/// The directory and the last desired state that was valid.
#[derive(Debug)]
pub struct DesiredSource {
    dir: PathBuf,
    last_good: Option<DesiredState>,
}

/// What a reload found.
#[derive(Debug)]
pub enum Reload<'a> {
    /// The files are valid; `changed` when their meaning differs from the last good state.
    Valid {
        desired: &'a DesiredState,
        changed: bool,
    },
    /// The files are not valid; the last good state, if any, stays in use.
    Invalid {
        error: ConfigError,
        kept: Option<&'a DesiredState>,
    },
}

impl DesiredSource {
    /// A source for `dir`; nothing is read yet.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            last_good: None,
        }
    }

    /// The watched directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The last valid desired state, if any was read.
    pub fn last_good(&self) -> Option<&DesiredState> {
        self.last_good.as_ref()
    }

    /// Reads the whole directory again.
    pub fn reload(&mut self) -> Reload<'_> {
        match config::load_dir(&self.dir) {
            Ok(desired) => {
                let changed = self
                    .last_good
                    .as_ref()
                    .is_none_or(|last| last.digest != desired.digest);
                let desired = self.last_good.insert(desired);
                Reload::Valid { desired, changed }
            }
            Err(error) => Reload::Invalid {
                error,
                kept: self.last_good.as_ref(),
            },
        }
    }
}
