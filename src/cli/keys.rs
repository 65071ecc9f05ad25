//! `keyshare keys [DIR] [--all]`: the key inventory. For every app of the desired state (or,
//! with `--all`, every app in the org that signs with a key): its keys, which one it signs
//! with, when each expires, and which other apps hold the same key. Only reads.
//!
//! With `--all` it only looks, so it never fails for an app the desired state does not name:
//! apps of other modes (directory integrations list with a null mode) are counted as not
//! signing apps, and an unmanaged app whose key list is odd is shown with the reason.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt, stream};
use jiff::Timestamp;

use super::okta_args::OktaArgs;
use super::output::Format;
use super::printer::Printer;
use super::session::{Reads, load};
use super::{ExitStatus, clock};
use crate::okta::http::HttpClient;
use crate::okta::{ApiError, AppId, Application, Kid};
use crate::plan::Phase;
use crate::reconcile::observe;
use crate::render::keys::{InventoryApp, KeysReport, render_json, render_markdown, render_text};

/// Key lists read at once.
const CONCURRENCY: usize = 8;

#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    /// The directory of desired-state YAML files [default: .]; with --all it only names the
    /// groups apps belong to.
    dir: Option<PathBuf>,
    /// Every app in the org that signs with a key (SAML 2.0, SAML 1.1, WS-Federation), not
    /// only the apps of the desired state.
    #[arg(long)]
    all: bool,
    /// Also print each key's certificate as PEM (in JSON, a `pem` field), to hand to a
    /// service provider.
    #[arg(long)]
    pem: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t, help_heading = "Output")]
    format: Format,
    #[command(flatten)]
    okta: OktaArgs,
}

pub async fn run(args: KeysArgs, verbose: u8, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let client = HttpClient::new(args.okta.to_settings()?)?;
    let now = clock::now()?;
    let dir = match (&args.dir, args.all) {
        (Some(dir), _) => Some(dir.clone()),
        (None, false) => Some(PathBuf::from(".")),
        (None, true) => None,
    };
    let groups = match &dir {
        Some(dir) => managed_apps(&client, dir, now, printer).await?,
        None => BTreeMap::new(),
    };
    let mut not_signing_apps = BTreeMap::new();
    let apps: Vec<Application> = if args.all {
        let listed = observe::org_apps(&client)
            .await
            .with_context(|| format!("cannot list the apps of {}", client.org_url()))?;
        let (signing, others): (Vec<_>, Vec<_>) =
            listed.into_iter().partition(Application::is_signing_app);
        for app in others {
            tracing::debug!(app = %app.id, mode = app.sign_on_mode_text(), "not a signing app");
            *not_signing_apps
                .entry(app.sign_on_mode_text().to_owned())
                .or_insert(0) += 1;
        }
        signing
    } else {
        groups.values().map(|managed| managed.app.clone()).collect()
    };
    let inventory = read_keys(&client, apps, &groups).await?;
    let scope = if args.all { "all" } else { "managed" };
    let mut report = KeysReport::new(scope, &inventory, now, args.pem);
    report.not_signing_apps = not_signing_apps;
    report.api_calls = Some(client.stats().into());
    printer.result(format_args!(
        "{}",
        match args.format {
            Format::Text => render_text(&report),
            Format::Json => render_json(&report),
            Format::Markdown => render_markdown(&report),
        }
    ))?;
    if verbose > 0 {
        printer.notice(format_args!("API calls:\n{}", client.stats()));
    }
    Ok(ExitStatus::Success)
}

/// An app of the desired state, with its group and the key the group has staged.
struct Managed {
    app: Application,
    group: String,
    staged: Option<Kid>,
}

/// The apps of the desired state under `dir`, resolved against the org.
async fn managed_apps(
    client: &HttpClient,
    dir: &std::path::Path,
    now: Timestamp,
    printer: &Printer,
) -> anyhow::Result<BTreeMap<AppId, Managed>> {
    let desired = load(dir, printer)?;
    let planned = Reads::fresh().plan(client, &desired, now).await?;
    let mut apps = BTreeMap::new();
    for group in &planned.plan.groups {
        let staged = group.phase.as_ref().and_then(Phase::staged_kid);
        for id in std::iter::once(&group.source).chain(&group.members) {
            if let Some(app) = planned.live.apps.get(id) {
                let managed = Managed {
                    app: app.clone(),
                    group: group.name.clone(),
                    staged: staged.cloned(),
                };
                apps.insert(id.clone(), managed);
            }
        }
    }
    Ok(apps)
}

/// Each app's key list, concurrently within a bound. An unmanaged app whose list Okta answers
/// oddly for is shown with the reason; a managed app's, or a failure of the org as a whole
/// (credentials, rate limit, network), ends the inventory.
async fn read_keys(
    client: &HttpClient,
    apps: Vec<Application>,
    groups: &BTreeMap<AppId, Managed>,
) -> anyhow::Result<Vec<InventoryApp>> {
    stream::iter(apps)
        .map(|app| async move {
            let managed = groups.get(&app.id);
            let group = managed.map(|managed| managed.group.clone());
            let staged = managed.and_then(|managed| managed.staged.clone());
            let (keys, keys_unreadable) = match observe::key_list(client, &app.id).await {
                Ok(keys) => (keys, None),
                Err(error) if group.is_none() && about_this_app(&error) => {
                    tracing::debug!(app = %app.id, %error, "an unmanaged app's key list is not readable");
                    (Vec::new(), Some(error.to_string()))
                }
                Err(error) => {
                    return Err(error).with_context(|| {
                        format!("cannot list the keys of {} ({})", app.label, app.id)
                    });
                }
            };
            Ok::<_, anyhow::Error>(InventoryApp {
                app,
                keys,
                group,
                keys_unreadable,
                staged,
            })
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await
}

/// Whether a failed key-list read says something about this one app (an answer of an odd
/// shape, or a 4xx such as the app being gone since the listing) rather than about the org.
fn about_this_app(error: &ApiError) -> bool {
    match error {
        ApiError::InvalidResponse { .. } => true,
        ApiError::Okta { status, .. } | ApiError::UnexpectedStatus { status, .. } => {
            (400..500).contains(status) && *status != 429
        }
        _ => false,
    }
}
