//! What every online command does first: load the desired state, connect to Okta, read the
//! live snapshot and plan. Commands differ only in what they do with the plan.

use std::path::Path;

use anyhow::Context;
use jiff::Timestamp;

use super::okta_args::OktaArgs;
use crate::apply::{FetchOptions, fetch_snapshot};
use crate::config::{self, DesiredState};
use crate::okta::http::HttpClient;
use crate::plan::{self, LiveSnapshot, Plan};

/// A desired state and a client for the org it is reconciled against.
pub struct Session {
    pub desired: DesiredState,
    pub client: HttpClient,
}

/// A plan and the snapshot it was derived from.
pub struct Planned {
    pub live: LiveSnapshot,
    pub plan: Plan,
}

impl Session {
    /// Loads `dir` and connects with `okta`'s settings. Nothing is sent to Okta yet.
    pub fn open(dir: &Path, okta: &OktaArgs) -> anyhow::Result<Self> {
        let desired = load(dir)?;
        let settings = okta.to_settings()?;
        let client = HttpClient::new(settings)?;
        Ok(Self { desired, client })
    }

    /// Reads what planning needs and plans. Every planning error is reported at once.
    pub async fn plan(&self, now: Timestamp) -> anyhow::Result<Planned> {
        plan_with(&self.client, &self.desired, now).await
    }
}

/// Loads and checks the desired state under `dir`.
pub fn load(dir: &Path) -> anyhow::Result<DesiredState> {
    config::load_dir(dir)
        .with_context(|| format!("the desired state in {} is not valid", dir.display()))
}

/// Reads the live snapshot `desired` needs through `client` and plans against it.
pub async fn plan_with(
    client: &HttpClient,
    desired: &DesiredState,
    now: Timestamp,
) -> anyhow::Result<Planned> {
    let live = fetch_snapshot(client, desired, now, &FetchOptions::default())
        .await
        .with_context(|| format!("cannot read the live state of {}", client.org_url()))?;
    let plan = plan::plan(desired, &live, now).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "the desired state cannot be planned against {}:\n{}",
            client.org_url(),
            lines.join("\n")
        )
    })?;
    Ok(Planned { live, plan })
}
