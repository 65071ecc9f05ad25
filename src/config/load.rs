//! Reading and checking YAML files. (To be written.)

use std::path::Path;

use super::DesiredState;

/// A desired state that cannot be read or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
}

/// Loads every `*.yaml` / `*.yml` under `dir`, recursively.
pub fn load_dir(dir: &Path) -> Result<DesiredState, ConfigError> {
    Err(ConfigError::Invalid(format!(
        "{}: not implemented",
        dir.display()
    )))
}
