//! okta-sim: a faithful offline Okta org for the endpoints keyshare uses: apps, their signing
//! keys, CSRs, OAuth 2.0 tokens, rate limits, the System Log, and `/__sim/` fault injection and
//! introspection. A library (start an org in-process with [`start`], drive it with
//! [`admin::AdminClient`]) and the `okta-sim` binary ([`cli`]).
//!
//! keyshare's tests run against it, so it answers as docs/okta-api.md says Okta answers:
//! status codes, error bodies, headers, pagination. It never depends on keyshare or shares its
//! client code (a bug shared by both would hide). It reads the environment only at its edges,
//! [`cli`] and [`env`]: everything else comes from [`SimConfig`]. docs/simulator.md is the
//! user guide and lists every choice made where docs/okta-api.md says UNCONFIRMED.
//!
//! # Layout
//! - [`config`]/`timespec`/`seed`: what the org holds ([`SimConfig`]) and how seeds are read.
//! - `build`, `org`, `put`, `list`, `shapes`: the org's state and Okta's rules, no HTTP.
//! - `keys`, `der`: RSA keys and Okta-profile certificates.
//! - `routes`, `request`, `auth`, `oauth`, `dpop`: the axum router (which imports its
//!   handlers, never the reverse), what handlers read from requests, and who may use it.
//! - [`admin`]: the `/__sim/` routes and [`admin::AdminClient`], their typed client.
//! - `clock`, `ids`: the org's clock ([`Clock`]) and id source ([`IdSource`]), both
//!   configurable so that a run can be reproduced.
//! - [`env`]: the environment's say over simulators started in-process (traffic recording).
//! - `limits`, `faults`, `stats`, `conn`, `traffic`: rate limits, injected faults, counters,
//!   traffic recording (docs/conformance.md).
//! - `syslog`, `hooks`: the System Log, one event per write served, behind `GET /api/v1/logs`
//!   and delivered to verified Event Hooks.
//! - [`cli`]: the command line of `okta-sim` and `keyshare sim`.

pub mod admin;
pub mod cli;
pub mod config;
pub mod env;

mod auth;
mod build;
mod clock;
mod conn;
mod csr;
mod der;
mod dpop;
mod error;
mod faults;
mod hooks;
mod ids;
mod keys;
mod limits;
mod list;
mod metadata;
mod oauth;
mod org;
mod put;
mod request;
mod routes;
mod seed;
mod shapes;
mod stats;
mod syslog;
mod time;
mod timespec;
mod traffic;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::{Clock, ClockChange};
pub use config::{
    AppSeed, AppStatus, KeySeed, OAuthClientSeed, RateLimits, SimConfig, SyntheticMix,
};
pub use error::SimError;
pub use ids::IdSource;
pub use shapes::SignOnMode;
pub use timespec::TimeSpec;

use clock::OrgClock;
use conn::{KillSwitch, KillableListener};
use faults::Faults;
use hooks::Hooks;
use ids::Ids;
use limits::Limiter;
use oauth::OAuth;
use org::Org;
use stats::Stats;
use syslog::{EventType, SystemLog, Target};

/// The simulated org. Cheap to clone: all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

struct Shared {
    config: SimConfig,
    started: Timestamp,
    clock: OrgClock,
    ids: Ids,
    org: Mutex<Org>,
    limiter: Limiter,
    oauth: OAuth,
    faults: Faults,
    stats: Stats,
    log: SystemLog,
    hooks: Hooks,
}

impl Simulator {
    /// Builds the org `config` describes. Blocks while the shared RSA key pool is generated
    /// (once per process, well under a second); call it off the async runtime when that matters.
    pub fn new(config: SimConfig) -> Result<Self, SimError> {
        let clock = OrgClock::new(config.clock);
        let ids = Ids::new(config.ids);
        let started = clock.now();
        let org = build::build_org(&config, started, &ids)?;
        Ok(Self {
            shared: Arc::new(Shared {
                limiter: Limiter::new(config.limits),
                oauth: OAuth::new(&config.oauth_clients)?,
                faults: Faults::new(config.latency, config.error_rate),
                stats: Stats::default(),
                log: SystemLog::new(config.log_lag),
                hooks: Hooks::default(),
                config,
                started,
                clock,
                ids,
                org: Mutex::new(org),
            }),
        })
    }

    /// The whole HTTP surface: `/api/v1/...`, `/oauth2/v1/token` and `/__sim/...`; each call
    /// records into a file of its own when the configuration names a traffic directory.
    pub fn router(&self) -> axum::Router {
        let router = routes::router(self.clone());
        match &self.config().record_traffic {
            Some(dir) => traffic::record(router, dir),
            None => router,
        }
    }

    /// When the simulator started, by its clock (second precision).
    pub fn started(&self) -> Timestamp {
        self.shared.started
    }

    /// Now, by the org's clock (second precision).
    pub fn now(&self) -> Timestamp {
        self.clock().now()
    }

    fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    fn clock(&self) -> &OrgClock {
        &self.shared.clock
    }

    fn ids(&self) -> &Ids {
        &self.shared.ids
    }

    fn limiter(&self) -> &Limiter {
        &self.shared.limiter
    }

    fn oauth(&self) -> &OAuth {
        &self.shared.oauth
    }

    fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    fn log(&self) -> &SystemLog {
        &self.shared.log
    }

    fn hooks(&self) -> &Hooks {
        &self.shared.hooks
    }

    /// Counts one write that took effect and writes its System Log event, whose targets are
    /// these apps (an app that no longer exists is left out).
    fn wrote(&self, event: EventType, app_ids: &[&str]) {
        self.stats().record_write();
        let targets: Vec<Target> = {
            let org = self.org();
            app_ids
                .iter()
                .filter_map(|id| org.app(id).ok())
                .map(|app| Target {
                    id: app.id().to_owned(),
                    label: app.str_field("label").unwrap_or_default().to_owned(),
                })
                .collect()
        };
        let event = self
            .log()
            .record(event, &targets, self.clock().now_precise(), self.ids());
        self.hooks().deliver(&event, self.ids().uuid());
    }

    /// The org, locked. Never held across an `.await`.
    fn org(&self) -> MutexGuard<'_, Org> {
        // A panic while holding the lock leaves a consistent org (every write is a single
        // assignment at the end), so a poisoned lock is safe to reuse.
        self.shared
            .org
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Serves `sim` on `listener` until `shutdown` completes. Requests held by a fault are
/// released at shutdown so that it does not wait for them forever.
pub async fn serve(
    listener: TcpListener,
    sim: Simulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = sim
        .router()
        .into_make_service_with_connect_info::<KillSwitch>();
    let shutdown = async move {
        shutdown.await;
        sim.faults().release_all();
    };
    axum::serve(KillableListener(listener), app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A simulator serving on loopback. Dropping it stops the server.
pub struct RunningSim {
    /// The bound address.
    pub addr: SocketAddr,
    sim: Simulator,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The org being served.
    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }

    /// A client of its `/__sim/` routes: faults, holds, state, stats, clock.
    pub fn admin(&self) -> admin::AdminClient {
        admin::AdminClient::new(self.base_url())
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Graceful shutdown waits for open connections; a dropped handle must not linger.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Builds the org and serves it on `127.0.0.1:0` in a background task.
pub async fn start(config: SimConfig) -> Result<RunningSim, SimError> {
    let sim = tokio::task::spawn_blocking(move || Simulator::new(config))
        .await
        .map_err(|e| SimError::Crypto(format!("simulator set-up panicked: {e}")))??;
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, sim.clone(), async {
        let _ = stopped.await;
    }));
    Ok(RunningSim {
        addr,
        sim,
        stop: Some(stop),
        task: Some(task),
    })
}
