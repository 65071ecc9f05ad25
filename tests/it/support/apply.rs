//! Shared set-up of the executor's integration tests: the simulator on 127.0.0.1:0 with the
//! guide's two apps, keyshare's HTTP client pointed at it, and the guide's desired state.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use keyshare::apply::{ApplyError, ApplyReport, FetchOptions, execute, fetch_snapshot};
use keyshare::config::{AppRef, AppSelector, DesiredState, KeyPolicy, Location, SigningKeyGroup};
use keyshare::okta::http::{Auth, ClientSettings, HttpClient, Secret};
use keyshare::okta::{AppId, OktaApi};
use keyshare::plan::{LiveSnapshot, Plan, plan};
use okta_sim::admin::RuleSpec;
use okta_sim::{self as sim, RunningSim, SimConfig};
use serde_json::Value;

use super::{APP1, APP2, TOKEN};

/// A simulator and a client of it.
pub struct Org {
    pub sim: RunningSim,
    pub client: HttpClient,
}

impl Org {
    /// The guide's org: App 1 and App 2, each signing with its own key expiring in 20 days.
    pub async fn guide() -> Self {
        Self::start(SimConfig::default()).await
    }

    pub async fn start(config: SimConfig) -> Self {
        Self::start_with(config, |_| {}).await
    }

    /// The simulator of `config`, and a client whose default settings `adjust` changes.
    pub async fn start_with(config: SimConfig, adjust: impl FnOnce(&mut ClientSettings)) -> Self {
        let sim = sim::env::start(config).await.expect("the simulator starts");
        let mut settings = ClientSettings::new(
            sim.base_url().parse().unwrap(),
            Auth::Ssws(Secret::new(TOKEN)),
        );
        adjust(&mut settings);
        let client = HttpClient::new(settings).expect("the client accepts a loopback org");
        Self { sim, client }
    }

    /// Adds one-off fault rules (`POST /__sim/faults`, docs/simulator.md), given in its JSON.
    pub async fn inject(&self, rules: Value) {
        let rules: Vec<RuleSpec> = serde_json::from_value(rules).expect("fault rules");
        self.sim
            .admin()
            .add_rules(rules)
            .await
            .expect("fault rules accepted");
    }

    /// Waits until a `hold` rule has parked a request.
    pub async fn wait_for_held_request(&self) {
        for _ in 0..500 {
            if self.sim.admin().held().await.unwrap() > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("no request was held within 5 s");
    }

    /// Removes every fault rule and releases held requests.
    pub async fn clear_faults(&self) {
        self.sim.admin().clear_faults().await.unwrap();
    }

    /// The whole org as `GET /__sim/state` shows it: every app with its keys.
    pub async fn state(&self) -> Value {
        let state = self.sim.admin().state().await.unwrap();
        serde_json::to_value(state).unwrap()
    }

    /// One app of [`Org::state`]: `{"app": …, "keys": […]}`.
    pub async fn app_state(&self, id: &str) -> Value {
        let state = self.state().await;
        state["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["app"]["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("app {id} in the simulator's state"))
    }

    pub async fn fetch(&self, desired: &DesiredState) -> LiveSnapshot {
        fetch_with(&self.client, desired, &FetchOptions::default()).await
    }

    /// Fetches and plans against the org, now.
    pub async fn plan(&self, desired: &DesiredState) -> Plan {
        let live = self.fetch(desired).await;
        plan(desired, &live, Timestamp::now()).expect("the desired state plans")
    }

    pub async fn execute(&self, plan: &Plan) -> Result<ApplyReport, ApplyError> {
        execute(&self.client, plan, &mut |_| {}).await
    }
}

pub async fn fetch_with(
    api: &impl OktaApi,
    desired: &DesiredState,
    options: &FetchOptions,
) -> LiveSnapshot {
    fetch_snapshot(api, desired, Timestamp::now(), options)
        .await
        .expect("the snapshot is read")
}

fn at(line: usize) -> Location {
    Location {
        file: PathBuf::from("finance.yaml"),
        line,
        column: 5,
    }
}

/// `examples/desired-state/finance.yaml`: source App 1, member App 2, 2-year keys rotated 30
/// days before expiry.
pub fn finance() -> DesiredState {
    finance_with(
        AppSelector::Id(AppId::from(APP1)),
        AppSelector::Id(AppId::from(APP2)),
    )
}

pub fn finance_with(source: AppSelector, member: AppSelector) -> DesiredState {
    DesiredState {
        groups: vec![SigningKeyGroup {
            name: "finance".into(),
            source: AppRef {
                selector: source,
                location: at(6),
            },
            members: vec![AppRef {
                selector: member,
                location: at(8),
            }],
            key: KeyPolicy {
                validity_years: 2,
                rotate_before: Some(SignedDuration::from_hours(30 * 24)),
                stage: None,
                rotate_after: None,
                kid: None,
            },
            suspended: false,
            location: at(4),
        }],
        digest: "finance".into(),
    }
}

/// A group of apps referred to by id, with `key` as its policy.
pub fn group(name: &str, source: &str, members: &[&str], key: KeyPolicy) -> SigningKeyGroup {
    let by_id = |id: &str, line| AppRef {
        selector: AppSelector::Id(AppId::from(id)),
        location: at(line),
    };
    SigningKeyGroup {
        name: name.into(),
        source: by_id(source, 2),
        members: members
            .iter()
            .enumerate()
            .map(|(i, id)| by_id(id, 3 + i))
            .collect(),
        key,
        suspended: false,
        location: at(1),
    }
}

pub fn signing_kid(app_state: &Value) -> String {
    app_state["app"]["credentials"]["signing"]["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}
