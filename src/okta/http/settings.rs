//! What the HTTP client needs to know: the org, how to authenticate, and how politely to call.
//!
//! Settings are plain data checked once, in [`ClientSettings::check`]; the client never reads
//! the environment itself (that is `cli::okta_args`' job). Secrets are held as [`Secret`] so
//! that `Debug` on the settings is safe to log.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::{Host, Url};

use super::secret::Secret;
use crate::okta::error::SettingsError;

/// The scopes keyshare asks for when none are configured: read apps and change their keys.
pub const DEFAULT_SCOPES: [&str; 2] = ["okta.apps.read", "okta.apps.manage"];

/// The largest private key file read: an RSA key of 16384 bits is under 13 KiB as PEM or JWK.
const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

/// Everything [`super::HttpClient::new`] needs.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The org, e.g. `https://dev-123456.okta.com`. `https://` unless the host is loopback.
    pub org_url: Url,
    /// How to authenticate.
    pub auth: Auth,
    /// The largest share (percent, 1..=100) of each rate-limit bucket keyshare may use per
    /// window; the rest is left for the org's other integrations. Default 50.
    pub max_api_capacity_pct: u8,
    /// Requests in flight at once, at most. Default 8.
    pub max_in_flight: usize,
    /// Time limit for one HTTP request, from connecting to the last byte. Default 30 s.
    pub timeout: Duration,
    /// A PEM file of extra root certificates (a private CA or a TLS-inspecting proxy), trusted
    /// in addition to the system's.
    pub ca_cert: Option<PathBuf>,
    /// How often and how long to retry 5xx answers, timeouts and dropped connections.
    pub retry: RetryLimits,
    /// How long, in total, one operation may wait on 429 answers before giving up. Default 5 min.
    pub max_rate_limit_wait: Duration,
    /// The most pages one list may have; a longer list is treated as a pagination loop.
    pub max_pages: usize,
}

/// Bounds on retrying failures that may be transient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryLimits {
    /// Retries after the first attempt. Default 5.
    pub max_retries: usize,
    /// Total backoff time across those retries. Default 60 s.
    pub max_backoff: Duration,
}

impl Default for RetryLimits {
    fn default() -> Self {
        Self {
            max_retries: 5,
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// How keyshare authenticates to Okta.
#[derive(Debug, Clone)]
pub enum Auth {
    /// An API token: `Authorization: SSWS <token>`.
    Ssws(Secret),
    /// OAuth 2.0 client credentials with `private_key_jwt` (an Okta service app).
    PrivateKey {
        /// The service app's client id (`iss` and `sub` of the client assertion).
        client_id: String,
        /// Scopes to request, e.g. `okta.apps.read okta.apps.manage`.
        scopes: Vec<String>,
        /// The RSA private key registered with the service app.
        private_key: PrivateKeySource,
        /// The key's id in the service app's JWKS; needed when the app has several keys.
        kid: Option<String>,
    },
}

/// Where the OAuth private key comes from: the key itself, or a file holding it.
#[derive(Debug, Clone)]
pub enum PrivateKeySource {
    /// A PEM (PKCS#1 or PKCS#8) or JWK text.
    Inline(Secret),
    /// A file holding PEM or JWK.
    File(PathBuf),
}

impl PrivateKeySource {
    /// Reads a setting the way the Okta SDKs do: key text when it looks like PEM or JSON,
    /// otherwise a path.
    pub fn from_setting(value: &str) -> Self {
        let trimmed = value.trim_start();
        if trimmed.starts_with("-----BEGIN") || trimmed.starts_with('{') {
            Self::Inline(Secret::new(value))
        } else {
            Self::File(PathBuf::from(value))
        }
    }

    /// The key text.
    pub fn load(&self) -> Result<Secret, SettingsError> {
        match self {
            Self::Inline(text) => Ok(text.clone()),
            Self::File(path) => {
                let unreadable = |detail: String| SettingsError::UnreadableFile {
                    what: "the private key (--private-key / OKTA_CLIENT_PRIVATEKEY)",
                    path: path.display().to_string(),
                    detail,
                };
                let bytes = crate::fsio::read_capped(path, MAX_KEY_FILE_BYTES)
                    .map_err(|e| unreadable(e.to_string()))?;
                String::from_utf8(bytes)
                    .map(Secret::from)
                    .map_err(|_| unreadable("it is not text (PEM or JWK)".to_owned()))
            }
        }
    }
}

impl ClientSettings {
    /// Settings with the defaults for everything but the org and the credentials.
    pub fn new(org_url: Url, auth: Auth) -> Self {
        Self {
            org_url,
            auth,
            max_api_capacity_pct: 50,
            max_in_flight: 8,
            timeout: Duration::from_secs(30),
            ca_cert: None,
            retry: RetryLimits::default(),
            max_rate_limit_wait: Duration::from_secs(300),
            max_pages: 1000,
        }
    }

    /// Rejects settings the client cannot work with, naming the setting to fix.
    pub fn check(&self) -> Result<(), SettingsError> {
        check_org_url(&self.org_url)?;
        if !(1..=100).contains(&self.max_api_capacity_pct) {
            return Err(SettingsError::OutOfRange {
                flag: "--max-api-capacity",
                expected: "a percentage from 1 to 100",
                value: self.max_api_capacity_pct.to_string(),
            });
        }
        if self.max_in_flight == 0 {
            return Err(SettingsError::OutOfRange {
                flag: "--max-in-flight",
                expected: "at least 1",
                value: "0".to_owned(),
            });
        }
        if self.timeout.is_zero() {
            return Err(SettingsError::OutOfRange {
                flag: "--timeout",
                expected: "longer than zero",
                value: "0s".to_owned(),
            });
        }
        Ok(())
    }
}

/// Parses and checks an org URL given as text.
pub fn parse_org_url(text: &str) -> Result<Url, SettingsError> {
    let text = text.trim();
    // `dev-123456.okta.com`, as the Admin Console shows the org, parses as a relative URL
    // (or `host:port` as a scheme); the fix is the scheme. Not suggested with a user name or
    // password in the text: repeating it would show the password.
    if !text.contains("://") && !text.contains('@') && !text.is_empty() {
        return Err(SettingsError::BadOrgUrl {
            url: text.to_owned(),
            detail: format!("it has no https://; use https://{text}"),
        });
    }
    let url = Url::parse(text).map_err(|e| SettingsError::BadOrgUrl {
        url: without_userinfo(text),
        detail: e.to_string(),
    })?;
    check_org_url(&url)?;
    Ok(url)
}

/// `https://` with a host, or `http://` to a loopback host (the local simulator).
fn check_org_url(url: &Url) -> Result<(), SettingsError> {
    let shown = without_userinfo(url.as_str());
    let bad = |detail: &str| SettingsError::BadOrgUrl {
        url: shown.clone(),
        detail: detail.to_owned(),
    };
    let host = url.host().ok_or_else(|| bad("it has no host"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "it carries a user name or password (shown as ***), which keyshare never sends; remove the `user:password@` part and authenticate with --token / OKTA_CLIENT_TOKEN or OAuth",
        ));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&host) => Ok(()),
        "http" => Err(SettingsError::InsecureOrgUrl(shown)),
        _ => Err(bad("it must start with https://")),
    }
}

/// `text` with the user name and password of a URL replaced by `***`, so that an error about
/// the org URL never repeats a password. Works on text that is not a valid URL too.
fn without_userinfo(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|i| i + 3) else {
        return text.to_owned();
    };
    let rest = &text[scheme_end..];
    let authority = rest.find(['/', '?', '#']).map_or(rest, |end| &rest[..end]);
    match authority.rfind('@') {
        Some(at) => format!("{}***{}", &text[..scheme_end], &text[scheme_end + at..]),
        None => text.to_owned(),
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_url_rules() {
        let table = [
            ("https://dev-123.okta.com", true),
            ("https://dev-123.okta.com/", true),
            ("http://127.0.0.1:8080", true),
            ("http://127.8.9.10", true),
            ("http://[::1]:9000", true),
            ("http://localhost:9000", true),
            ("http://LOCALHOST", true),
            ("http://dev-123.okta.com", false),
            ("http://10.0.0.1", false),
            ("http://localhost.evil.com", false),
            ("ftp://dev-123.okta.com", false),
            ("https://user:pw@dev-123.okta.com", false),
            ("dev-123.okta.com", false),
        ];
        for (url, ok) in table {
            assert_eq!(parse_org_url(url).is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn a_password_in_the_org_url_is_never_repeated() {
        let table = [
            "https://admin:secret@x.okta.com",
            "http://admin:secret@x.okta.com",
            "https://admin:secret@x.okta.com:99999",
            "https://admin:secret@@x.okta.com/path@x",
            "https://secret@x.okta.com",
            " https://admin:secret@",
        ];
        for text in table {
            let err = parse_org_url(text).unwrap_err().to_string();
            assert!(!err.contains("secret"), "{text}: {err}");
            assert!(err.contains("***"), "{text}: {err}");
        }
        assert_eq!(
            parse_org_url("https://admin:secret@x.okta.com")
                .unwrap_err()
                .to_string(),
            "the org URL `https://***@x.okta.com/` (--org-url / OKTA_CLIENT_ORGURL) is not valid: it carries a user name or password (shown as ***), which keyshare never sends; remove the `user:password@` part and authenticate with --token / OKTA_CLIENT_TOKEN or OAuth"
        );
    }

    #[test]
    fn insecure_url_error_says_what_is_allowed() {
        let err = parse_org_url("http://dev-123.okta.com").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the org URL `http://dev-123.okta.com/` uses http://; keyshare only talks https:// to Okta (plain http is allowed for loopback hosts: 127.0.0.0/8, ::1, localhost)"
        );
    }

    #[test]
    fn private_key_setting_is_text_or_path() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMII…\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            PrivateKeySource::from_setting(pem),
            PrivateKeySource::Inline(_)
        ));
        assert!(matches!(
            PrivateKeySource::from_setting(r#"{"kty":"RSA"}"#),
            PrivateKeySource::Inline(_)
        ));
        assert!(matches!(
            PrivateKeySource::from_setting("/etc/keyshare/key.pem"),
            PrivateKeySource::File(_)
        ));
        let debug = format!("{:?}", PrivateKeySource::from_setting(pem));
        assert!(!debug.contains("MII"), "{debug}");
    }

    #[test]
    fn capacity_outside_one_to_hundred_is_refused() {
        let mut settings = ClientSettings::new(
            Url::parse("https://dev-1.okta.com").unwrap(),
            Auth::Ssws(Secret::new("t")),
        );
        settings.max_api_capacity_pct = 0;
        assert!(settings.check().is_err());
        settings.max_api_capacity_pct = 100;
        assert!(settings.check().is_ok());
    }
}
