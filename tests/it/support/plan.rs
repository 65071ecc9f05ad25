//! Builders for planner tests: small orgs of made-up apps and keys, desired states built from
//! the config structs, and a one-line-per-step description of a plan that reads like the
//! expected output in a table.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use keyshare::config::{AppRef, AppSelector, DesiredState, KeyPolicy, Location, SigningKeyGroup};
use keyshare::okta::{AppId, Application, JsonWebKey, Kid};
use keyshare::plan::{KeyRef, LiveSnapshot, Phase, Plan, PlanError, Step, Warning, key_needs};
use serde_json::json;

/// The instant every planner test plans at.
pub fn now() -> Timestamp {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

pub fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

/// A key created `age` days before [`now`] that expires `expires_in` days after it.
pub fn key(kid: &str, age: i64, expires_in: i64) -> JsonWebKey {
    JsonWebKey {
        kid: Kid::from(kid),
        kty: Some("RSA".into()),
        use_: Some("sig".into()),
        created: now() - days(age),
        last_updated: Some(now() - days(age)),
        expires_at: now() + days(expires_in),
        x5c: vec![format!("cert-of-{kid}")],
        x5t_s256: None,
        e: Some("AQAB".into()),
        n: None,
    }
}

/// A SAML 2.0 app as Okta returns it, signing with `kid`.
pub fn app_json(id: &str, label: &str, kid: &str) -> serde_json::Value {
    json!({
        "id": id, "name": format!("myorg_{}", label.to_lowercase().replace(' ', "_")),
        "label": label, "status": "ACTIVE", "signOnMode": "SAML_2_0",
        "lastUpdated": "2026-11-01T00:00:00.000Z",
        "credentials": {"userNameTemplate": {"template": "${source.login}"}, "signing": {"kid": kid}},
        "settings": {"app": {}, "signOn": {"ssoAcsUrl": format!("https://{id}.example/sso")}}
    })
}

/// `value` with one top-level field replaced.
pub fn set(mut value: serde_json::Value, field: &str, to: serde_json::Value) -> serde_json::Value {
    value[field] = to;
    value
}

/// A live org under construction: its apps, and the full truth of every app's key list, of
/// which [`Org::fetch`] reads only what the planner asks for.
#[derive(Default)]
pub struct Org {
    apps: LiveSnapshot,
    truth: BTreeMap<AppId, Vec<JsonWebKey>>,
    cache: Vec<JsonWebKey>,
}

impl Org {
    pub fn new() -> Self {
        Self::default()
    }

    /// An ACTIVE SAML 2.0 app signing with `kid` and holding `keys`.
    pub fn app(self, id: &str, label: &str, kid: &str, keys: &[&JsonWebKey]) -> Self {
        self.app_json(app_json(id, label, kid), keys)
    }

    /// An app from its JSON, holding `keys`.
    pub fn app_json(mut self, value: serde_json::Value, keys: &[&JsonWebKey]) -> Self {
        let app = Application::from_json(value).unwrap();
        let keys = keys.iter().map(|&key| key.clone()).collect();
        self.truth.insert(app.id.clone(), keys);
        self.apps.insert_app(app);
        self
    }

    /// Metadata of a key known from the key cache before any list is read.
    pub fn cached(mut self, key: JsonWebKey) -> Self {
        self.cache.push(key);
        self
    }

    /// The snapshot a fetch would build: the apps, then rounds of key lists as
    /// [`key_needs`] asks for them. Returns the snapshot and the apps read in each round.
    pub fn fetch(&self, desired: &DesiredState) -> (LiveSnapshot, Vec<Vec<String>>) {
        let mut live = self.apps.clone();
        for key in &self.cache {
            live.insert_facts(key.facts());
        }
        let mut rounds = Vec::new();
        loop {
            let needs = key_needs(desired, &live, now());
            if needs.is_empty() {
                return (live, rounds);
            }
            assert!(rounds.len() < 5, "key_needs does not settle: {needs:?}");
            rounds.push(needs.key_lists.iter().map(ToString::to_string).collect());
            for app in needs.key_lists {
                let keys = self.truth[&app].clone();
                live.insert_keys(app, keys);
            }
        }
    }
}

pub fn at(line: usize) -> Location {
    Location {
        file: PathBuf::from("groups.yaml"),
        line,
        column: 3,
    }
}

pub fn id(s: &str) -> AppSelector {
    AppSelector::Id(AppId::from(s))
}

pub fn label(s: &str) -> AppSelector {
    AppSelector::Label(s.into())
}

pub fn name(s: &str) -> AppSelector {
    AppSelector::Name(s.into())
}

/// A policy of 2-year keys and nothing else.
pub fn policy() -> KeyPolicy {
    KeyPolicy {
        validity_years: 2,
        rotate_before: None,
        stage: None,
        rotate_after: None,
        kid: None,
    }
}

/// A group whose references sit on consecutive lines from `line`.
pub fn group_at(
    line: usize,
    name: &str,
    source: AppSelector,
    members: Vec<AppSelector>,
    key: KeyPolicy,
) -> SigningKeyGroup {
    SigningKeyGroup {
        name: name.into(),
        source: AppRef {
            selector: source,
            location: at(line + 1),
        },
        members: members
            .into_iter()
            .enumerate()
            .map(|(i, selector)| AppRef {
                selector,
                location: at(line + 2 + i),
            })
            .collect(),
        key,
        suspended: false,
        location: at(line),
    }
}

pub fn group(
    name: &str,
    source: AppSelector,
    members: Vec<AppSelector>,
    key: KeyPolicy,
) -> SigningKeyGroup {
    group_at(1, name, source, members, key)
}

pub fn desired(groups: Vec<SigningKeyGroup>) -> DesiredState {
    DesiredState {
        groups,
        digest: "test".into(),
    }
}

fn key_ref(key: &KeyRef) -> String {
    match key {
        KeyRef::Existing(kid) => kid.to_string(),
        KeyRef::Generated { group } => format!("(new key of {group})"),
    }
}

/// One line per step, then one per warning, in plan order.
pub fn describe(plan: &Plan) -> String {
    let steps = plan.steps.iter().map(|step| match step {
        Step::Generate {
            group,
            app,
            validity_years,
            ..
        } => format!("{group}: generate on {app} ({validity_years}y)"),
        Step::Clone {
            group,
            key,
            from,
            to,
        } => format!("{group}: clone {} {from} -> {to}", key_ref(key)),
        Step::Switch {
            group,
            app,
            from,
            to,
            ..
        } => format!(
            "{group}: switch {app} {} -> {}",
            from.as_ref().map_or("-", |k| k.0.as_str()),
            key_ref(to)
        ),
    });
    let warnings = plan.warnings.iter().map(|warning| match warning {
        Warning::AppNotActive { group, app, status } => {
            format!("{group}: warning: {app} is {status}")
        }
        Warning::KeyExpiringSoon {
            group,
            kid,
            expires_at,
        } => format!("{group}: warning: {kid} expires {expires_at}"),
        Warning::ImmediateSwitch { group } => format!("{group}: warning: switches immediately"),
        Warning::UnusedKeys { group, app, kids } => {
            let kids: Vec<_> = kids.iter().map(|k| k.0.as_str()).collect();
            format!("{group}: warning: {app} holds unused {}", kids.join(", "))
        }
    });
    let lines: Vec<String> = steps.chain(warnings).collect();
    if lines.is_empty() {
        "no changes".into()
    } else {
        lines.join("\n")
    }
}

/// Every error's message, one per line.
pub fn describe_errors(errors: &[PlanError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each staging group's phase, one line per group: `finance: staged kB, switch 2027-01-01`.
pub fn describe_phases(plan: &Plan) -> String {
    let date = |at: &Timestamp| at.strftime("%Y-%m-%d").to_string();
    plan.groups
        .iter()
        .filter_map(|group| {
            let phase = match group.phase.as_ref()? {
                Phase::InSync => "in sync".to_owned(),
                Phase::StagingDue { key, switch_at } => {
                    format!("staging due: {}, switch {}", key_ref(key), date(switch_at))
                }
                Phase::Staged { kid, switch_at, .. } => {
                    format!("staged {kid}, switch {}", date(switch_at))
                }
                Phase::SwitchDue { kid, switch_at, .. } => {
                    format!("switch due to {kid} since {}", date(switch_at))
                }
                Phase::Overdue { key } => format!("overdue: stage {}", key_ref(key)),
            };
            Some(format!("{}: {phase}", group.name))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
