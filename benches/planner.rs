//! The pure planner at ten times the largest org benchmarked end to end (docs/performance.md):
//! 100,000 apps in 20,000 groups of five.
//!
//! Run with `cargo bench --bench planner`. The org is built once per benchmark (outside the
//! timed part) from the same JSON shape Okta returns, so the planner walks realistic apps.
//! Target: `plan` under 200 ms on the shared 2-core build machine (docs/performance.md).

use std::path::PathBuf;

use divan::Bencher;
use jiff::{SignedDuration, Timestamp};
use keyshare::config::{AppRef, AppSelector, DesiredState, KeyPolicy, Location, SigningKeyGroup};
use keyshare::okta::{AppId, Application, JsonWebKey, Kid};
use keyshare::plan::{LiveSnapshot, key_needs, plan};
use serde_json::json;

const GROUPS: usize = 20_000;
const GROUP_SIZE: usize = 5;

fn main() {
    divan::main();
}

fn now() -> Timestamp {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

fn app_id(n: usize) -> AppId {
    AppId(format!("0oa{n:017}"))
}

fn kid(name: &str) -> Kid {
    Kid(format!("{name:-<43}"))
}

fn key(kid: Kid) -> JsonWebKey {
    let year = SignedDuration::from_hours(24 * 365);
    JsonWebKey {
        kid,
        kty: Some("RSA".into()),
        use_: Some("sig".into()),
        created: now() - year,
        last_updated: Some(now() - year),
        expires_at: now() + year,
        x5c: vec!["MIIC".into()],
        x5t_s256: None,
        e: Some("AQAB".into()),
        n: None,
    }
}

fn app(id: &AppId, label: &str, signing: &Kid) -> Application {
    Application::from_json(json!({
        "id": id.0, "name": format!("org_{label}"), "label": label, "status": "ACTIVE",
        "signOnMode": "SAML_2_0", "lastUpdated": "2026-11-01T00:00:00.000Z",
        "credentials": {"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"},
                        "signing": {"kid": signing.0}},
        "settings": {"app": {}, "signOn": {"ssoAcsUrl": format!("https://{label}.example/sso"),
                     "audience": format!("https://{label}.example"), "attributeStatements": []}}
    }))
    .unwrap()
}

/// An org of `GROUPS` groups where one member in `drift_every` signs with a key of its own
/// (0: all in sync), with every key list read, and the desired state that declares it.
fn org(drift_every: usize) -> (DesiredState, LiveSnapshot) {
    let mut live = LiveSnapshot::default();
    let mut groups = Vec::with_capacity(GROUPS);
    let at = |line| Location {
        file: PathBuf::from("groups.yaml"),
        line,
        column: 3,
    };
    for g in 0..GROUPS {
        let shared = kid(&format!("group{g}"));
        let mut refs = Vec::with_capacity(GROUP_SIZE);
        for m in 0..GROUP_SIZE {
            let n = g * GROUP_SIZE + m;
            let id = app_id(n);
            // Every `drift_every`-th member (never a source) drifted.
            let drifted = drift_every > 0
                && m > 0
                && (g * (GROUP_SIZE - 1) + m - 1).is_multiple_of(drift_every);
            let signing = if drifted {
                kid(&format!("own{n}"))
            } else {
                shared.clone()
            };
            live.insert_app(app(&id, &format!("app{n}"), &signing));
            let mut keys = vec![key(shared.clone())];
            if drifted {
                keys = vec![key(signing)];
            }
            live.insert_keys(id.clone(), keys);
            refs.push(AppRef {
                selector: AppSelector::Id(id),
                location: at(n + 1),
            });
        }
        let source = refs.remove(0);
        groups.push(SigningKeyGroup {
            name: format!("group-{g:05}"),
            source,
            members: refs,
            key: KeyPolicy {
                validity_years: 2,
                rotate_before: Some(SignedDuration::from_hours(24 * 30)),
                stage: None,
                rotate_after: None,
                kid: None,
            },
            suspended: false,
            location: at(g * GROUP_SIZE),
        });
    }
    (DesiredState::new(groups), live)
}

#[divan::bench(args = [0, 10])]
fn plan_100k_apps(bencher: Bencher, drift_every: usize) {
    let (desired, live) = org(drift_every);
    bencher.bench_local(|| plan(&desired, &live, now()).unwrap());
}

#[divan::bench]
fn key_needs_100k_apps(bencher: Bencher) {
    let (desired, live) = org(0);
    bencher.bench_local(|| key_needs(&desired, &live, now()));
}
