//! The command-line and environment settings for talking to Okta, shared by every command
//! that calls the API. Names follow the Okta SDKs' `OKTA_CLIENT_*` variables; flags override
//! them.
//!
//! These are raw values; [`OktaArgs::to_settings`] resolves them into the client's
//! [`ClientSettings`]. Secret values are parsed straight into [`Secret`], so `Debug` of the
//! arguments never shows them, and clap never prints their environment values in `--help`.

use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

use super::okta_yaml::{self, AuthorizationMode, FileSettings, authorization_mode};
use crate::apply::KeyCache;
use crate::okta::SettingsError;
use crate::okta::http::settings::DEFAULT_SCOPES;
use crate::okta::http::{Auth, ClientSettings, PrivateKeySource, Secret, parse_org_url};

/// The `--help` headings of these settings, so that about twenty flags read as three groups.
const CONNECTION: &str = "Okta connection";
const RATE_LIMITS: &str = "Rate limits";
const KEY_CACHE: &str = "Key cache";

/// Where the Okta org is and how to call it.
#[derive(clap::Args, Debug, Clone)]
pub struct OktaArgs {
    /// The Okta org's URL.
    #[arg(
        long,
        help_heading = CONNECTION,
        env = "OKTA_CLIENT_ORGURL",
        value_name = "URL",
        help = "The Okta org, e.g. https://dev-123456.okta.com (http:// only for loopback hosts)"
    )]
    pub org_url: Option<String>,

    /// API token for SSWS authorization.
    // Secrets take values that start with `-` (a PEM key always does): refused as an unknown
    // flag, clap would print the value, the secret, in its error.
    #[arg(long, help_heading = CONNECTION, env = "OKTA_CLIENT_TOKEN", hide_env_values = true, value_name = "TOKEN", value_parser = secret, allow_hyphen_values = true)]
    pub token: Option<Secret>,

    /// SSWS (API token) or PrivateKey (OAuth service app) [default: SSWS].
    // No clap default: a mode given in an okta.yaml file must be told apart from none.
    #[arg(
        long,
        help_heading = CONNECTION,
        env = "OKTA_CLIENT_AUTHORIZATIONMODE",
        value_name = "SSWS|PrivateKey",
        value_parser = authorization_mode
    )]
    pub authorization_mode: Option<AuthorizationMode>,

    /// The OAuth service app's client id (PrivateKey mode).
    #[arg(long, help_heading = CONNECTION, env = "OKTA_CLIENT_CLIENTID", value_name = "ID")]
    pub client_id: Option<String>,

    /// OAuth scopes, separated by spaces or commas [default: okta.apps.read okta.apps.manage].
    #[arg(long, help_heading = CONNECTION, env = "OKTA_CLIENT_SCOPES", value_name = "SCOPES")]
    pub scopes: Option<String>,

    /// The service app's RSA private key: PEM (PKCS#1 or PKCS#8) or JWK, inline or a file path.
    #[arg(long, help_heading = CONNECTION, env = "OKTA_CLIENT_PRIVATEKEY", hide_env_values = true, value_name = "KEY|FILE", value_parser = secret, allow_hyphen_values = true)]
    pub private_key: Option<Secret>,

    /// The private key's id (`kid`) in the service app's key set; needed when it has several.
    #[arg(long, help_heading = CONNECTION, env = "OKTA_CLIENT_KID", value_name = "KID")]
    pub kid: Option<String>,

    /// Use at most this percentage of each Okta rate-limit bucket per window.
    #[arg(long = "max-api-capacity", help_heading = RATE_LIMITS, env = "KEYSHARE_MAX_API_CAPACITY",
          value_name = "PCT", default_value_t = 50,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub max_api_capacity: u8,

    /// Requests in flight to Okta at once, at most.
    #[arg(long, help_heading = RATE_LIMITS, env = "KEYSHARE_MAX_IN_FLIGHT", value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_in_flight: u16,

    /// Time limit for one HTTP request, e.g. 30s or 2m.
    #[arg(long, help_heading = CONNECTION, env = "KEYSHARE_TIMEOUT", value_name = "DURATION",
          default_value = "30s", value_parser = duration)]
    pub timeout: Duration,

    /// The longest one request may wait on Okta's rate limits before failing, e.g. 5m or 30s.
    #[arg(long, help_heading = RATE_LIMITS, env = "KEYSHARE_MAX_RATE_LIMIT_WAIT", value_name = "DURATION",
          default_value = "5m", value_parser = duration)]
    pub max_rate_limit_wait: Duration,

    /// Extra trusted root certificates (PEM), for a private CA or a TLS-inspecting proxy.
    #[arg(long, help_heading = CONNECTION, env = "KEYSHARE_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Directory of the key-metadata cache [default: $XDG_CACHE_HOME/keyshare]. Safe to delete.
    #[arg(long, help_heading = KEY_CACHE, env = "KEYSHARE_KEY_CACHE", value_name = "DIR")]
    pub key_cache: Option<PathBuf>,

    /// Neither read nor write the key-metadata cache: every run reads key lists afresh.
    /// Wins over --key-cache and KEYSHARE_KEY_CACHE.
    #[arg(long, help_heading = KEY_CACHE)]
    pub no_key_cache: bool,
}

impl OktaArgs {
    /// Resolves the arguments, completed from the Okta SDKs' configuration files, into client
    /// settings; a missing value is named by flag and environment variable.
    pub fn to_settings(&self) -> Result<ClientSettings, SettingsError> {
        let mut files = Vec::new();
        for path in okta_yaml::default_paths() {
            files.extend(okta_yaml::read(&path)?);
        }
        self.with_files(files).resolve()
    }

    /// These arguments with what flags and environment left unset taken from `files`, the
    /// file that wins first.
    fn with_files(&self, files: Vec<FileSettings>) -> Self {
        let mut merged = self.clone();
        for file in files {
            merged.org_url = merged.org_url.or(file.org_url);
            merged.token = merged.token.or(file.token);
            merged.authorization_mode = merged.authorization_mode.or(file.authorization_mode);
            merged.client_id = merged.client_id.or(file.client_id);
            merged.scopes = merged.scopes.or(file.scopes);
            merged.private_key = merged.private_key.or(file.private_key);
            merged.kid = merged.kid.or(file.kid);
        }
        merged
    }

    fn resolve(&self) -> Result<ClientSettings, SettingsError> {
        let org = self
            .org_url
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .ok_or(SettingsError::MissingOrgUrl)?;
        let mut settings = ClientSettings::new(parse_org_url(org)?, self.auth()?);
        settings.max_api_capacity_pct = self.max_api_capacity;
        settings.max_in_flight = usize::from(self.max_in_flight);
        settings.timeout = self.timeout;
        settings.max_rate_limit_wait = self.max_rate_limit_wait;
        settings.ca_cert.clone_from(&self.ca_cert);
        settings.check()?;
        Ok(settings)
    }

    /// The key-metadata cache directory, or none when disabled or when neither
    /// `$XDG_CACHE_HOME` nor `$HOME` says where caches go.
    pub fn key_cache_dir(&self) -> Option<PathBuf> {
        if self.no_key_cache {
            return None;
        }
        self.configured_cache_dir()
    }

    /// Where the apply lock goes: the key cache's directory even when the cache is off, so
    /// that `--no-key-cache` never hides one writer from another; the temporary directory
    /// when there is no cache directory at all.
    pub fn lock_dir(&self) -> PathBuf {
        self.configured_cache_dir()
            .unwrap_or_else(|| std::env::temp_dir().join("keyshare"))
    }

    fn configured_cache_dir(&self) -> Option<PathBuf> {
        self.key_cache.clone().or_else(|| {
            KeyCache::default_dir(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
        })
    }

    fn auth(&self) -> Result<Auth, SettingsError> {
        match self.authorization_mode.unwrap_or(AuthorizationMode::Ssws) {
            AuthorizationMode::Ssws => self
                .token
                .clone()
                .filter(|t| !t.expose().trim().is_empty())
                .map(Auth::Ssws)
                .ok_or(SettingsError::MissingToken),
            AuthorizationMode::PrivateKey => {
                let client_id =
                    self.client_id
                        .clone()
                        .ok_or(SettingsError::MissingOAuthSetting {
                            what: "the service app's client id",
                            flag: "--client-id",
                            env: "OKTA_CLIENT_CLIENTID",
                        })?;
                let key = self
                    .private_key
                    .as_ref()
                    .ok_or(SettingsError::MissingOAuthSetting {
                        what: "the service app's private key",
                        flag: "--private-key",
                        env: "OKTA_CLIENT_PRIVATEKEY",
                    })?;
                Ok(Auth::PrivateKey {
                    client_id,
                    scopes: self.scope_list(),
                    private_key: PrivateKeySource::from_setting(key.expose()),
                    kid: self.kid.clone(),
                })
            }
        }
    }

    fn scope_list(&self) -> Vec<String> {
        let given: Vec<String> = self
            .scopes
            .iter()
            .flat_map(|s| s.split(|c: char| c == ',' || c.is_whitespace()))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if given.is_empty() {
            DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
        } else {
            given
        }
    }
}

fn secret(value: &str) -> Result<Secret, Infallible> {
    Ok(Secret::new(value))
}

/// `30s`, `2m`, `1m 30s` (jiff's friendly format) or plain seconds.
pub(super) fn duration(value: &str) -> Result<Duration, String> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let parsed: jiff::SignedDuration = value
        .parse()
        .map_err(|e| format!("`{value}` is not a duration like 30s or 2m: {e}"))?;
    Duration::try_from(parsed).map_err(|_| format!("`{value}` is negative"))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        okta: OktaArgs,
    }

    /// Parses flags as the command line would (the tests set no `OKTA_CLIENT_*` variable).
    fn parse(args: &[&str]) -> Result<ClientSettings, String> {
        let cli = Cli::try_parse_from(std::iter::once("keyshare").chain(args.iter().copied()))
            .map_err(|e| e.kind().to_string())?;
        cli.okta.resolve().map_err(|e| e.to_string())
    }

    #[test]
    fn missing_values_name_flag_and_variable() {
        let table: &[(&[&str], &str)] = &[
            (
                &["--token", "t"],
                "no Okta org URL: pass --org-url, set OKTA_CLIENT_ORGURL, or write okta.client.orgUrl in ./.okta.yaml or ~/.okta/okta.yaml",
            ),
            (
                &["--org-url", "https://dev-1.okta.com"],
                "no API token: pass --token or set OKTA_CLIENT_TOKEN (or choose OAuth with --authorization-mode PrivateKey / OKTA_CLIENT_AUTHORIZATIONMODE=PrivateKey)",
            ),
            (
                &[
                    "--org-url",
                    "https://dev-1.okta.com",
                    "--authorization-mode",
                    "PrivateKey",
                    "--private-key",
                    "k.pem",
                ],
                "OAuth (authorization mode PrivateKey) needs the service app's client id: pass --client-id or set OKTA_CLIENT_CLIENTID",
            ),
            (
                &[
                    "--org-url",
                    "https://dev-1.okta.com",
                    "--authorization-mode",
                    "privatekey",
                    "--client-id",
                    "0oa1",
                ],
                "OAuth (authorization mode PrivateKey) needs the service app's private key: pass --private-key or set OKTA_CLIENT_PRIVATEKEY",
            ),
        ];
        for (args, expected) in table {
            assert_eq!(parse(args).unwrap_err(), *expected, "{args:?}");
        }
    }

    #[test]
    fn flags_become_settings() {
        let settings = parse(&[
            "--org-url",
            "https://dev-1.okta.com",
            "--authorization-mode",
            "PrivateKey",
            "--client-id",
            "0oa1",
            "--private-key",
            "/keys/k.pem",
            "--scopes",
            "okta.apps.read, okta.apps.manage",
            "--kid",
            "k1",
            "--max-api-capacity",
            "30",
            "--max-in-flight",
            "2",
            "--timeout",
            "1m 5s",
            "--max-rate-limit-wait",
            "45s",
        ])
        .unwrap();
        assert_eq!(settings.max_api_capacity_pct, 30);
        assert_eq!(settings.max_in_flight, 2);
        assert_eq!(settings.timeout, Duration::from_secs(65));
        assert_eq!(settings.max_rate_limit_wait, Duration::from_secs(45));
        let Auth::PrivateKey {
            client_id,
            scopes,
            private_key,
            kid,
        } = settings.auth
        else {
            panic!("expected OAuth settings");
        };
        assert_eq!(client_id, "0oa1");
        assert_eq!(scopes, ["okta.apps.read", "okta.apps.manage"]);
        assert!(
            matches!(private_key, PrivateKeySource::File(p) if p.as_path() == std::path::Path::new("/keys/k.pem"))
        );
        assert_eq!(kid.as_deref(), Some("k1"));
    }

    #[test]
    fn the_key_cache_moves_or_turns_off() {
        let dir = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("keyshare").chain(args.iter().copied()))
                .unwrap()
                .okta
                .key_cache_dir()
        };
        assert_eq!(
            dir(&["--key-cache", "/tmp/ks"]),
            Some(PathBuf::from("/tmp/ks"))
        );
        assert_eq!(dir(&["--no-key-cache"]), None);
        assert_eq!(dir(&["--key-cache", "/tmp/ks", "--no-key-cache"]), None);
    }

    #[test]
    fn the_lock_stays_next_to_the_cache_when_the_cache_is_off() {
        let lock_dir = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("keyshare").chain(args.iter().copied()))
                .unwrap()
                .okta
                .lock_dir()
        };
        assert_eq!(
            lock_dir(&["--key-cache", "/tmp/ks"]),
            PathBuf::from("/tmp/ks")
        );
        assert_eq!(
            lock_dir(&["--key-cache", "/tmp/ks", "--no-key-cache"]),
            PathBuf::from("/tmp/ks")
        );
    }

    #[test]
    fn a_pem_key_is_taken_as_the_flags_value() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n";
        let cli = Cli::try_parse_from([
            "keyshare",
            "--private-key",
            pem,
            "--token",
            "-starts-with-a-dash",
        ])
        .unwrap();
        assert_eq!(cli.okta.private_key.unwrap().expose(), pem);
        assert_eq!(cli.okta.token.unwrap().expose(), "-starts-with-a-dash");
    }

    #[test]
    fn defaults_and_debug_hide_the_token() {
        let cli = Cli::try_parse_from([
            "keyshare",
            "--org-url",
            "http://127.0.0.1:9",
            "--token",
            "00secret-token",
        ])
        .unwrap();
        assert!(!format!("{cli:?}").contains("00secret-token"));
        let settings = cli.okta.to_settings().unwrap();
        assert_eq!(settings.max_api_capacity_pct, 50);
        assert_eq!(settings.max_in_flight, 8);
        assert_eq!(settings.timeout, Duration::from_secs(30));
        assert_eq!(settings.max_rate_limit_wait, Duration::from_secs(300));
        assert!(!format!("{settings:?}").contains("00secret-token"));
    }

    #[test]
    fn capacity_outside_range_is_a_usage_error() {
        assert!(
            parse(&[
                "--org-url",
                "https://x.okta.com",
                "--token",
                "t",
                "--max-api-capacity",
                "0"
            ])
            .is_err()
        );
        assert!(
            parse(&[
                "--org-url",
                "https://x.okta.com",
                "--token",
                "t",
                "--max-api-capacity",
                "101"
            ])
            .is_err()
        );
    }
}
