//! `keyshare watch DIR`: the controller. Runs until SIGTERM or SIGINT; see docs/controller.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::ExitStatus;
use super::okta_args::{OktaArgs, duration};
use super::signals::StopSignals;
use crate::apply::KeyCache;
use crate::controller::{self, EventHook, Settings, Webhook};
use crate::okta::http::{HttpClient, Secret};

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The directory of desired-state YAML files; watched recursively.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The longest time between two reconciles, e.g. 30s, 5m.
    #[arg(long, env = "KEYSHARE_INTERVAL", default_value = "5m", value_parser = duration)]
    interval: Duration,
    /// Apply plans automatically (default: only report drift).
    #[arg(long)]
    self_heal: bool,
    /// Address of the /metrics, /healthz and /readyz listener (port 0 picks a free port).
    #[arg(long, env = "KEYSHARE_LISTEN", default_value = "127.0.0.1:9464")]
    listen: SocketAddr,
    /// Log format; levels come from RUST_LOG (default keyshare=info).
    #[arg(long, value_enum, default_value_t)]
    pub(super) log_format: LogFormat,
    /// POST a JSON event (with a Slack-compatible `text`) on drift found, drift healed, apply
    /// failed and key expiring. Treated as a secret: never logged.
    #[arg(
        long,
        env = "KEYSHARE_NOTIFY_WEBHOOK",
        hide_env_values = true,
        value_name = "URL"
    )]
    notify_webhook: Option<String>,
    /// Suspend reconciling while FILE exists (`touch` it to pause, remove it to resume): nothing
    /// is read or applied meanwhile; /readyz and keyshare_reconcile_suspended say so. One group
    /// is suspended by the annotation keyshare.io/suspend: "true" in its YAML.
    #[arg(long, value_name = "FILE")]
    suspend_file: Option<PathBuf>,
    /// File events closer together than this cause one reload, e.g. 500ms.
    #[arg(long, default_value = "500ms", value_parser = duration)]
    debounce: Duration,
    /// The longest time between two full reads of the org, e.g. 1h; between them each check
    /// reads only Okta's System Log and the managed apps it names.
    #[arg(long, env = "KEYSHARE_RESYNC", default_value = "1h", value_parser = duration)]
    resync: Duration,
    /// How far back each System Log query reaches before the last event seen, to catch events
    /// the log shows late; e.g. 2m.
    #[arg(long, default_value = "2m", value_parser = duration)]
    log_overlap: Duration,
    /// Receive Okta Event Hooks on this path of the --listen address, e.g. /okta/events: a
    /// delivery naming a managed app starts a check at once. Needs --event-hook-secret.
    #[arg(
        long,
        env = "KEYSHARE_EVENT_HOOK_PATH",
        value_name = "PATH",
        requires = "event_hook_secret"
    )]
    event_hook_path: Option<String>,
    /// The Authorization header value the Event Hook is configured to send. Treated as a
    /// secret: never logged.
    #[arg(
        long,
        env = "KEYSHARE_EVENT_HOOK_SECRET",
        hide_env_values = true,
        value_name = "VALUE"
    )]
    event_hook_secret: Option<String>,
    #[command(flatten)]
    okta: OktaArgs,
}

pub async fn run(args: WatchArgs) -> anyhow::Result<ExitStatus> {
    let client = HttpClient::new(args.okta.to_settings()?)?;
    let webhook = args
        .notify_webhook
        .as_deref()
        .map(webhook)
        .transpose()
        .context("--notify-webhook cannot be used")?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {} (--listen)", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, org = %client.org_url(), self_heal = args.self_heal, interval_s = args.interval.as_secs_f64(), "keyshare watch started");
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        let received = match StopSignals::listen() {
            Ok(mut signals) => signals.recv().await,
            Err(error) => Err(error),
        };
        if let Err(error) = received {
            tracing::error!(%error, "cannot listen for signals; stopping");
        }
        tracing::info!("stop requested; finishing the current step");
        let _ = stop_tx.send(true);
    });
    let settings = Settings {
        dir: args.dir,
        interval: args.interval,
        self_heal: args.self_heal,
        debounce: args.debounce,
        webhook,
        lock_dir: args.okta.lock_dir(),
        key_cache: args
            .okta
            .key_cache_dir()
            .map(|dir| KeyCache::file_for(&dir, client.org_url().as_str())),
        resync: args.resync,
        log_overlap: args.log_overlap,
        event_hook: event_hook(args.event_hook_path, args.event_hook_secret)?,
        suspend_file: args.suspend_file,
    };
    controller::run(settings, client, listener, stop).await?;
    tracing::info!("keyshare watch stopped");
    Ok(ExitStatus::Success)
}

/// The Event Hook receiver, when a path is given.
fn event_hook(path: Option<String>, secret: Option<String>) -> anyhow::Result<Option<EventHook>> {
    let (Some(path), Some(secret)) = (path, secret) else {
        return Ok(None);
    };
    anyhow::ensure!(
        path.starts_with('/') && !["/metrics", "/healthz", "/readyz"].contains(&path.as_str()),
        "--event-hook-path must start with / and be none of /metrics, /healthz, /readyz"
    );
    anyhow::ensure!(!secret.is_empty(), "--event-hook-secret must not be empty");
    Ok(Some(EventHook {
        path,
        secret: Secret::new(secret),
    }))
}

/// The webhook at `url`. Parsed here rather than by clap, whose errors quote the value: a
/// webhook URL often embeds a credential.
fn webhook(url: &str) -> anyhow::Result<Webhook> {
    let url = url::Url::parse(url).map_err(|e| anyhow::anyhow!("the URL is not valid: {e}"))?;
    Ok(Webhook::new(url)?)
}
