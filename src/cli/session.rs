//! What every online command does first: load the desired state, connect to Okta, read the
//! live snapshot and plan. Commands differ only in what they do with the plan.
//!
//! The session's reads go through the key cache (docs/performance.md): a kid's expiry and
//! certificate and the org's app count learnt in one run spare calls in the next, for as long
//! as the cache may stand for Okta's answer. The cache is an optimisation only; failing to
//! write it is a warning, never an error.

use std::path::{Path, PathBuf};

use anyhow::Context;
use jiff::Timestamp;

use super::okta_args::OktaArgs;
use super::read_progress;
use crate::apply::{FetchOptions, KeyCache, app_read_calls, fetch};
use crate::config::{self, DesiredState};
use crate::okta::http::HttpClient;
use crate::plan::{self, LiveSnapshot, Plan};

/// A desired state and a client for the org it is reconciled against.
pub struct Session {
    pub desired: DesiredState,
    pub client: HttpClient,
    pub reads: Reads,
}

/// How a command reads the org: through the org's key-metadata cache file, or afresh.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    /// The org's key-cache file; none when the cache is disabled.
    key_cache: Option<PathBuf>,
}

/// A plan and the snapshot it was derived from.
pub struct Planned {
    pub live: LiveSnapshot,
    pub plan: Plan,
}

/// `--target GROUP` of `plan`, `apply` and `drift`, as Terraform's `-target`.
#[derive(Debug, Clone, clap::Args)]
pub struct Targets {
    /// Only this group (repeatable): the others are checked offline but neither read from
    /// Okta nor changed.
    #[arg(long = "target", value_name = "GROUP")]
    groups: Vec<String>,
}

impl Targets {
    /// Whether any group was named.
    pub fn any(&self) -> bool {
        !self.groups.is_empty()
    }

    /// `desired` narrowed to the named groups, or all of it when none was named. A name that
    /// is no group's is an error with the closest name, as a typo usually is.
    pub fn select(&self, desired: DesiredState, dir: &Path) -> anyhow::Result<DesiredState> {
        if self.groups.is_empty() {
            return Ok(desired);
        }
        for name in &self.groups {
            if !desired.groups.iter().any(|group| &group.name == name) {
                let closest = desired
                    .groups
                    .iter()
                    .map(|group| (strsim::damerau_levenshtein(&group.name, name), &group.name))
                    .filter(|(distance, _)| *distance <= (name.chars().count() / 4).max(1))
                    .min();
                let hint = closest.map_or_else(String::new, |(_, close)| {
                    format!("did you mean `{close}`? ")
                });
                let names: Vec<&str> = desired.groups.iter().map(|g| g.name.as_str()).collect();
                anyhow::bail!(
                    "--target {name}: no group of that name in {}; {hint}its groups are {}",
                    dir.display(),
                    names.join(", ")
                );
            }
        }
        let groups = desired
            .groups
            .into_iter()
            .filter(|group| self.groups.contains(&group.name))
            .collect();
        Ok(DesiredState::new(groups))
    }
}

impl Session {
    /// Loads `dir`, narrowed to `targets`, and connects with `okta`'s settings. Nothing is
    /// sent to Okta yet.
    pub fn open(dir: &Path, targets: &Targets, okta: &OktaArgs) -> anyhow::Result<Self> {
        let desired = targets.select(load(dir)?, dir)?;
        let settings = okta.to_settings()?;
        let client = HttpClient::new(settings)?;
        let reads = Reads::cached(okta, &client);
        Ok(Self {
            desired,
            client,
            reads,
        })
    }

    /// Reads what planning needs, through the key cache, and plans.
    pub async fn plan(&self, now: Timestamp) -> anyhow::Result<Planned> {
        self.reads.plan(&self.client, &self.desired, now).await
    }
}

impl Reads {
    /// Reads without the cache (the demo, whose org lives only as long as the process).
    pub fn fresh() -> Self {
        Self::default()
    }

    /// Reads through `client`'s org's cache file, as `okta`'s cache flags say.
    pub fn cached(okta: &OktaArgs, client: &HttpClient) -> Self {
        Self {
            key_cache: okta
                .key_cache_dir()
                .map(|dir| KeyCache::file_for(&dir, client.org_url().as_str())),
        }
    }

    /// Reads what planning `desired` needs, through the key cache when there is one, and
    /// plans. Every planning error is reported at once.
    pub async fn plan(
        &self,
        client: &HttpClient,
        desired: &DesiredState,
        now: Timestamp,
    ) -> anyhow::Result<Planned> {
        let org = client.org_url().as_str();
        let mut cache = match &self.key_cache {
            Some(path) => KeyCache::load(path, org),
            None => KeyCache::empty(org),
        };
        let options = FetchOptions {
            org_apps: cache.org_apps(),
            // A warm cache means an earlier run read this org: steady state, where members
            // mostly sign with their group's key already.
            members_in_sync: !cache.is_empty(),
            known_keys: cache.known_keys(now),
            ..FetchOptions::default()
        };
        let app_calls = app_read_calls(desired, &options);
        let reading = read_and_plan(client, desired, now, &options);
        let (planned, org_apps) = read_progress::showing_reads(client, app_calls, reading).await?;
        let grew = cache.remember(&planned.live, now);
        let counted = org_apps.is_some_and(|count| cache.learn_org_apps(count));
        if let Some(path) = &self.key_cache
            && (grew || counted)
            && let Err(error) = cache.save(path)
        {
            tracing::warn!(%error, "the key cache was not updated");
        }
        Ok(planned)
    }
}

/// Loads and checks the desired state under `dir`.
pub fn load(dir: &Path) -> anyhow::Result<DesiredState> {
    let desired = config::load_dir(dir)
        .with_context(|| format!("the desired state in {} is not valid", dir.display()))?;
    for warning in desired.warnings() {
        crate::cli::console::diagln!("Warning: {warning}");
    }
    Ok(desired)
}

/// Fetches with `options` and plans; also returns the org's app count when the fetch
/// counted it.
async fn read_and_plan(
    client: &HttpClient,
    desired: &DesiredState,
    now: Timestamp,
    options: &FetchOptions,
) -> anyhow::Result<(Planned, Option<usize>)> {
    let fetched = fetch(client, desired, now, options)
        .await
        .with_context(|| format!("cannot read the live state of {}", client.org_url()))?;
    let live = fetched.live;
    let plan = plan::plan(desired, &live, now).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the desired state cannot be planned against {}:\n{}",
            client.org_url(),
            lines.join("\n")
        )
    })?;
    Ok((Planned { live, plan }, fetched.org_apps))
}
