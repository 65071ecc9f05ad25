//! Seed files (`--seed FILE`, YAML or JSON): the org's name, apps with their keys, OAuth
//! clients and tokens. The format is documented in docs/simulator.md with an example in
//! crates/okta-sim/examples/sim-seed.yaml. Unknown fields are errors, so a typo never goes unnoticed.

use std::path::Path;

use serde::Deserialize;

use super::config::{AppSeed, DEFAULT_TOKEN, OAuthClientSeed, SimConfig, SyntheticMix};
use super::error::SimError;

/// The top level of a seed file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SeedFile {
    /// Org subdomain (default `myorg`).
    #[serde(default)]
    org: Option<String>,
    /// Accepted API tokens (default `00sim-token`).
    #[serde(default)]
    tokens: Vec<String>,
    /// The apps, in list order.
    #[serde(default)]
    apps: Vec<AppSeed>,
    /// Synthetic apps appended after `apps`.
    #[serde(default)]
    synthetic_apps: usize,
    /// Their sign-on modes: `saml` (default) or `recorded`.
    #[serde(default)]
    synthetic_mix: SyntheticMix,
    /// OAuth 2.0 service apps.
    #[serde(default)]
    oauth_clients: Vec<OAuthClientSeed>,
}

impl SimConfig {
    /// Reads a seed file (YAML, or JSON when it ends in `.json`). Limits and faults keep their
    /// defaults; set them on the returned config.
    pub fn from_seed_file(path: &Path) -> Result<Self, SimError> {
        let error = |detail: String| SimError::Seed {
            path: path.to_owned(),
            detail,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| error(format!("cannot be read: {e}")))?;
        let is_json = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        let seed: SeedFile = if is_json {
            serde_json::from_str(&text).map_err(|e| error(e.to_string()))?
        } else {
            serde_yaml::from_str(&text).map_err(|e| error(e.to_string()))?
        };
        let defaults = SimConfig::default();
        Ok(SimConfig {
            org_name: seed.org.unwrap_or(defaults.org_name),
            tokens: if seed.tokens.is_empty() {
                vec![DEFAULT_TOKEN.into()]
            } else {
                seed.tokens
            },
            apps: seed.apps,
            synthetic_apps: seed.synthetic_apps,
            synthetic_mix: seed.synthetic_mix,
            oauth_clients: seed.oauth_clients,
            ..defaults
        })
    }
}
