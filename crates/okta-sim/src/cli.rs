//! The simulator's command line, shared by the `okta-sim` binary and `keyshare sim`: a
//! standalone server on loopback. The first line on standard output is
//! `listening on http://ADDR`; it then serves until SIGINT or SIGTERM. Tokens and keys given
//! on the command line are never printed. This is the crate's edge: the only place that reads
//! the environment (through clap) or writes to the terminal.

use std::convert::Infallible;
use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use super::config::{OAuthClientSeed, SimConfig, SyntheticMix};
use super::env::TRAFFIC_DIR_VAR;
use super::{Clock, IdSource, Simulator, serve};

/// Flags of `okta-sim` and `keyshare sim` (documented in docs/simulator.md).
#[derive(clap::Args, Debug, Clone)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8008")]
    pub addr: SocketAddr,
    /// The accepted API token (`Authorization: SSWS <token>`); replaces the seed's tokens
    /// [default: the seed's, else 00sim-token].
    #[arg(long, env = "KEYSHARE_SIM_TOKEN", hide_env_values = true)]
    pub token: Option<ApiToken>,
    /// Seed file (YAML or JSON) describing the org; default: the guide's two apps.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Add N synthetic apps (`synthetic-00001`…); SAML apps with a key each unless
    /// `--synthetic-mix recorded` [default: the seed's, else 0].
    #[arg(long, value_name = "N")]
    pub synthetic_apps: Option<usize>,
    /// Sign-on modes of the synthetic apps: `saml`, or `recorded` (a real org's mix, with
    /// directory apps whose `signOnMode` is null) [default: the seed's, else saml].
    #[arg(long, value_enum, value_name = "MIX")]
    pub synthetic_mix: Option<SyntheticMix>,
    /// Requests per window for `/api/v1/apps` and its sub-paths [default: 100].
    #[arg(long, value_name = "N")]
    pub rate_limit_apps: Option<u32>,
    /// Requests per window for exactly `/api/v1/apps/{id}` [default: 500].
    #[arg(long, value_name = "N")]
    pub rate_limit_app_by_id: Option<u32>,
    /// Requests per window for `/api/v1/logs` [default: 120].
    #[arg(long, value_name = "N")]
    pub rate_limit_logs: Option<u32>,
    /// How long after a write its System Log event becomes visible, in milliseconds
    /// [default: 0].
    #[arg(long, value_name = "MS")]
    pub log_lag_ms: Option<u64>,
    /// Requests in flight at once [default: 75].
    #[arg(long, value_name = "N")]
    pub concurrency_limit: Option<u32>,
    /// Rate-limit window length in milliseconds [default: 60000].
    #[arg(long, value_name = "MS")]
    pub rate_window_ms: Option<u64>,
    /// Latency added to every API request, in milliseconds [default: 0].
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// Share of API requests (0.0..=1.0) answered with 500 E0000009 [default: 0].
    #[arg(long, value_name = "F")]
    pub error_rate: Option<f64>,
    /// Register an OAuth 2.0 service app: client id and its public key file (PEM or JWK).
    #[arg(long, value_name = "ID=PUBLIC_KEY_FILE")]
    pub oauth_client: Vec<String>,
    /// Record every exchange into a new JSON-lines file in DIR (docs/conformance.md).
    #[arg(long, value_name = "DIR", env = TRAFFIC_DIR_VAR, hide_env_values = true)]
    pub record_traffic: Option<PathBuf>,
    /// Stop the org's clock at this instant (RFC 3339): seeds, keys and log events are dated
    /// by it until `POST /__sim/clock` moves it [default: the machine's clock].
    #[arg(long, value_name = "INSTANT")]
    pub clock: Option<jiff::Timestamp>,
    /// Draw app ids, kids, CSR ids, event uuids and request ids from this seed, so that the
    /// same requests give the same ids [default: random].
    #[arg(long, value_name = "N")]
    pub id_seed: Option<u64>,
}

/// An API token given on the command line; its `Debug` form never shows it.
#[derive(Clone)]
pub struct ApiToken(String);

impl FromStr for ApiToken {
    type Err = Infallible;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        Ok(Self(token.to_owned()))
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl SimArgs {
    /// The configuration these flags describe.
    pub fn to_config(&self) -> anyhow::Result<SimConfig> {
        let mut config = match &self.seed {
            Some(path) => SimConfig::from_seed_file(path)?,
            None => SimConfig::default(),
        };
        if let Some(ApiToken(token)) = &self.token {
            config.tokens = vec![token.clone()];
        }
        if let Some(n) = self.synthetic_apps {
            config.synthetic_apps = n;
        }
        if let Some(mix) = self.synthetic_mix {
            config.synthetic_mix = mix;
        }
        let limits = &mut config.limits;
        limits.apps = self.rate_limit_apps.unwrap_or(limits.apps);
        limits.app_by_id = self.rate_limit_app_by_id.unwrap_or(limits.app_by_id);
        limits.logs = self.rate_limit_logs.unwrap_or(limits.logs);
        limits.concurrency = self.concurrency_limit.unwrap_or(limits.concurrency);
        if let Some(ms) = self.log_lag_ms {
            config.log_lag = Duration::from_millis(ms);
        }
        if let Some(ms) = self.rate_window_ms {
            anyhow::ensure!(ms > 0, "--rate-window-ms must be at least 1");
            limits.window = Duration::from_millis(ms);
        }
        if let Some(ms) = self.latency_ms {
            config.latency = Duration::from_millis(ms);
        }
        if let Some(rate) = self.error_rate {
            anyhow::ensure!(
                (0.0..=1.0).contains(&rate),
                "--error-rate must be between 0.0 and 1.0, got {rate}"
            );
            config.error_rate = rate;
        }
        for spec in &self.oauth_client {
            config.oauth_clients.push(oauth_client(spec)?);
        }
        if let Some(dir) = self
            .record_traffic
            .as_ref()
            .filter(|d| !d.as_os_str().is_empty())
        {
            // Made here, where an error can still stop the start: the server only logs one.
            std::fs::create_dir_all(dir)
                .with_context(|| format!("--record-traffic: cannot create {}", dir.display()))?;
            config.record_traffic = Some(dir.clone());
        }
        if let Some(at) = self.clock {
            config.clock = Clock::Fixed(at);
        }
        if let Some(seed) = self.id_seed {
            config.ids = IdSource::Seeded(seed);
        }
        Ok(config)
    }
}

fn oauth_client(spec: &str) -> anyhow::Result<OAuthClientSeed> {
    let (client_id, file) = spec
        .split_once('=')
        .with_context(|| format!("--oauth-client {spec:?}: expected CLIENT_ID=PUBLIC_KEY_FILE"))?;
    let public_key = std::fs::read_to_string(file).with_context(|| {
        format!("--oauth-client {client_id}: cannot read public key file {file}")
    })?;
    Ok(OAuthClientSeed {
        client_id: client_id.to_owned(),
        public_key,
        scopes: vec!["okta.apps.read".into(), "okta.apps.manage".into()],
        dpop: false,
    })
}

/// Runs the simulator these flags describe until SIGINT or SIGTERM.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let config = args.to_config()?;
    let sim = tokio::task::spawn_blocking(move || Simulator::new(config)).await??;
    // The simulator accepts a well-known token and hands out keys: on an address other than
    // loopback, anyone who can reach the machine can use it. Said before binding, so that
    // the warning stands even when the bind then fails.
    if !args.addr.ip().is_loopback() {
        let reach = if args.addr.ip().is_unspecified() {
            "every interface of this machine: any host that can reach it may call the simulator"
        } else {
            "an address other hosts may reach"
        };
        diagnostic(format_args!(
            "warning: --addr {} binds {reach}; use --addr 127.0.0.1:PORT to keep it on this machine",
            args.addr
        ));
    }
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}")?;
    stdout.flush()?;
    drop(stdout);
    serve(listener, sim, shutdown_signal()).await?;
    Ok(())
}

/// Writes one line to standard error. What cannot be written is dropped: with standard error
/// gone (a closed pipe) there is nowhere left to report it, and the server must go on.
pub fn diagnostic(line: fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
