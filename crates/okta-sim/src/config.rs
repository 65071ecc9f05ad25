//! What the simulated org holds and how it behaves: [`SimConfig`] and the seed types it is
//! built from. Defaults give the org of Okta's key-sharing guide. Loading a seed file lives in
//! `seed.rs`; this module only defines the shapes and their defaults.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::clock::Clock;
use super::ids::IdSource;
use super::shapes::SignOnMode;
use super::timespec::TimeSpec;

/// The token the simulator accepts when none is configured.
pub const DEFAULT_TOKEN: &str = "00sim-token";

/// Everything that defines a simulated org. Its `Debug` form leaves the tokens out.
#[derive(Clone)]
pub struct SimConfig {
    /// The org subdomain: certificates' CN and the prefix of generated app names.
    pub org_name: String,
    /// Accepted API tokens (`Authorization: SSWS <token>`). Default: [`DEFAULT_TOKEN`].
    pub tokens: Vec<String>,
    /// Apps, in list order.
    pub apps: Vec<AppSeed>,
    /// Extra apps `synthetic-00001`… appended after `apps`, for load work.
    pub synthetic_apps: usize,
    /// Which sign-on modes the synthetic apps have.
    pub synthetic_mix: SyntheticMix,
    /// Rate and concurrency limits.
    pub limits: RateLimits,
    /// Latency added to every `/api` and `/oauth2` request.
    pub latency: Duration,
    /// Share (0.0..=1.0) of `/api` requests answered with a 500 before they take effect.
    pub error_rate: f64,
    /// How long after a write its System Log event becomes visible to `GET /api/v1/logs`.
    pub log_lag: Duration,
    /// OAuth 2.0 service apps that may use `/oauth2/v1/token`.
    pub oauth_clients: Vec<OAuthClientSeed>,
    /// Where the org's clock starts: the machine's (default) or a stopped instant.
    pub clock: Clock,
    /// Where the org's ids come from: random (default) or a seed, for reproducible runs.
    pub ids: IdSource,
    /// A directory to record every exchange into, one JSON-lines file per server
    /// (docs/conformance.md); none by default.
    pub record_traffic: Option<PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            org_name: "myorg".into(),
            tokens: vec![DEFAULT_TOKEN.into()],
            apps: guide_apps(),
            synthetic_apps: 0,
            synthetic_mix: SyntheticMix::default(),
            limits: RateLimits::default(),
            latency: Duration::ZERO,
            error_rate: 0.0,
            log_lag: Duration::ZERO,
            oauth_clients: Vec::new(),
            clock: Clock::default(),
            ids: IdSource::default(),
            record_traffic: None,
        }
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("org_name", &self.org_name)
            .field("tokens", &format_args!("[{} redacted]", self.tokens.len()))
            .field("apps", &self.apps.len())
            .field("synthetic_apps", &self.synthetic_apps)
            .field("synthetic_mix", &self.synthetic_mix)
            .field("limits", &self.limits)
            .field("latency", &self.latency)
            .field("error_rate", &self.error_rate)
            .field("log_lag", &self.log_lag)
            .field("oauth_clients", &self.oauth_clients.len())
            .field("clock", &self.clock)
            .field("ids", &self.ids)
            .field("record_traffic", &self.record_traffic)
            .finish()
    }
}

impl SimConfig {
    /// Replaces the accepted tokens with this one.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.tokens = vec![token.into()];
        self
    }

    /// Sets the rate and concurrency limits.
    #[must_use]
    pub fn with_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds `count` synthetic SAML apps.
    #[must_use]
    pub fn with_synthetic_apps(mut self, count: usize) -> Self {
        self.synthetic_apps = count;
        self
    }

    /// Sets the sign-on modes of the synthetic apps.
    #[must_use]
    pub fn with_synthetic_mix(mut self, mix: SyntheticMix) -> Self {
        self.synthetic_mix = mix;
        self
    }

    /// Starts the org's clock as `clock` says ([`Clock::Fixed`] for reproducible dates).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Draws the org's ids from `seed`: the same seed and the same requests give the same ids.
    #[must_use]
    pub fn with_id_seed(mut self, seed: u64) -> Self {
        self.ids = IdSource::Seeded(seed);
        self
    }

    /// Records every exchange into a new JSON-lines file in `dir` (docs/conformance.md).
    #[must_use]
    pub fn with_traffic_recording(mut self, dir: impl Into<PathBuf>) -> Self {
        self.record_traffic = Some(dir.into());
        self
    }
}

/// The sign-on modes of synthetic apps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SyntheticMix {
    /// Every synthetic app is a SAML 2.0 app with a key of its own (load work on the apps
    /// keyshare manages).
    #[default]
    Saml,
    /// The modes in about the proportions of a recorded real org (mostly OIDC, then SAML,
    /// SWA, directory integrations with `signOnMode: null`, bookmarks, and one mode the spec
    /// does not list), so that listings look like a real org's.
    Recorded,
}

/// One cycle of the recorded mix: of every 20 apps, 13 OIDC, 3 SAML 2.0 and one each of
/// SWA, directory, bookmark and MFA_AS_SERVICE. The recorded org (324 apps) has 226 OIDC,
/// 39 SAML 2.0, 22 SWA, 14 directory and 10 bookmark apps (docs/simulator.md).
const RECORDED_CYCLE: [SignOnMode; 20] = {
    use SignOnMode::{Bookmark, BrowserPlugin, Directory, MfaAsService, OpenIdConnect, Saml2};
    [
        OpenIdConnect,
        Saml2,
        OpenIdConnect,
        OpenIdConnect,
        Directory,
        OpenIdConnect,
        OpenIdConnect,
        BrowserPlugin,
        OpenIdConnect,
        Saml2,
        OpenIdConnect,
        OpenIdConnect,
        Bookmark,
        OpenIdConnect,
        OpenIdConnect,
        MfaAsService,
        OpenIdConnect,
        Saml2,
        OpenIdConnect,
        OpenIdConnect,
    ]
};

impl SyntheticMix {
    /// The mode of the `n`-th synthetic app (from 1).
    pub fn mode(self, n: usize) -> SignOnMode {
        match self {
            Self::Saml => SignOnMode::Saml2,
            Self::Recorded => RECORDED_CYCLE[(n - 1) % RECORDED_CYCLE.len()],
        }
    }
}

/// Per-window request limits of the two app buckets, and the in-flight limit
/// (docs/okta-api.md §6; defaults are Okta's Workforce numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `/api/v1/apps` and every sub-path except exactly `/api/v1/apps/{id}`.
    pub apps: u32,
    /// Exactly `/api/v1/apps/{id}` (get and PUT).
    pub app_by_id: u32,
    /// `/api/v1/logs`, the System Log (docs/okta-api.md §12).
    pub logs: u32,
    /// Requests in flight at once, across the org.
    pub concurrency: u32,
    /// Window length (Okta: one minute).
    pub window: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            apps: 100,
            app_by_id: 500,
            logs: 120,
            concurrency: 75,
            window: Duration::from_secs(60),
        }
    }
}

/// One app of the org.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AppSeed {
    /// `0oa…` id (20 characters); random when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Instance name; derived from the org and label when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// The label.
    pub label: String,
    /// Sign-on mode (default `SAML_2_0`; `null` is a directory integration).
    #[serde(default = "default_mode")]
    pub sign_on_mode: SignOnMode,
    /// `ACTIVE` (default) or `INACTIVE`.
    #[serde(default)]
    pub status: AppStatus,
    /// Merged over the mode's default `settings` (objects merge, everything else replaces).
    #[serde(default)]
    pub settings: Option<Value>,
    /// Signing keys (modes with signing keys only). None: one key created 30 days before start,
    /// valid ten years. A kid on several apps is one key; each copy has its own `created`.
    #[serde(default)]
    pub keys: Vec<KeySeed>,
    /// The kid the app signs with; default the first key.
    #[serde(default)]
    pub active_key: Option<String>,
}

fn default_mode() -> SignOnMode {
    SignOnMode::Saml2
}

/// An app's lifecycle status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AppStatus {
    /// In use.
    #[default]
    Active,
    /// Deactivated.
    Inactive,
}

impl AppStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
        }
    }
}

/// One signing key of a seeded app.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeySeed {
    /// 43-character kid; random when absent. The same kid on two apps is one shared key.
    #[serde(default)]
    pub kid: Option<String>,
    /// Creation time: absolute (`2026-01-01T00:00:00Z`) or relative to start (`-20d`).
    pub created: TimeSpec,
    /// End of validity, absolute or relative to start (`+20d`).
    pub expires_at: TimeSpec,
}

/// An OAuth 2.0 service app that may ask `/oauth2/v1/token` for access tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OAuthClientSeed {
    /// The client id (`iss` and `sub` of its assertions).
    pub client_id: String,
    /// Its public key: PEM (`openssl rsa -pubout`) or a JWK as JSON text.
    pub public_key: String,
    /// Scopes it was granted (default both `okta.apps.read` and `okta.apps.manage`).
    #[serde(default = "all_scopes")]
    pub scopes: Vec<String>,
    /// Require DPoP-bound tokens (docs/okta-api.md §9).
    #[serde(default)]
    pub dpop: bool,
}

fn all_scopes() -> Vec<String> {
    vec!["okta.apps.read".into(), "okta.apps.manage".into()]
}

/// The guide's two apps, each signing with its own key that expires 20 days after start.
fn guide_apps() -> Vec<AppSeed> {
    let app = |id: &str, name: &str, label: &str| AppSeed {
        id: Some(id.into()),
        name: Some(name.into()),
        label: label.into(),
        sign_on_mode: SignOnMode::Saml2,
        status: AppStatus::Active,
        settings: None,
        keys: vec![KeySeed {
            kid: None,
            created: TimeSpec::parse("-2y+20d").expect("valid time spec"),
            expires_at: TimeSpec::parse("+20d").expect("valid time spec"),
        }],
        active_key: None,
    };
    vec![
        app("0oa8ae1t5yev2ajDs0h7", "myorg_app1", "App 1"),
        app("0oa8ae0dv4RGQvjyZ0h7", "myorg_app2", "App 2"),
    ]
}
