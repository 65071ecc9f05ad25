//! What can be wrong with a desired state, and where.

use std::fmt;
use std::path::PathBuf;

use super::Location;

/// Where a problem is: a position in a file, or a whole file or directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    At(Location),
    Path(PathBuf),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::At(location) => location.fmt(f),
            Self::Path(path) => path.display().fmt(f),
        }
    }
}

/// One thing wrong, with what to do about it in the message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub place: Place,
    pub message: String,
    /// The file or directory could not be read (an I/O error), as opposed to read and found
    /// wrong: a caller that retries (the controller) reports the two differently.
    pub unreadable: bool,
}

impl Problem {
    pub(super) fn at(location: Location, message: impl Into<String>) -> Self {
        Self {
            place: Place::At(location),
            message: message.into(),
            unreadable: false,
        }
    }

    pub(super) fn path(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            place: Place::Path(path.into()),
            message: message.into(),
            unreadable: false,
        }
    }

    /// A file or directory that could not be read.
    pub(super) fn unreadable(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            unreadable: true,
            ..Self::path(path, message)
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// A desired state that cannot be read or is not valid: every problem found in every file,
/// sorted by place. Displays as one `file:line:col: message` per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl ConfigError {
    /// Whether some file or directory could not be read at all (an I/O error: permissions,
    /// too many open files), rather than read and found wrong.
    pub fn is_unreadable(&self) -> bool {
        self.problems.iter().any(|p| p.unreadable)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            problem.fmt(f)?;
        }
        Ok(())
    }
}
