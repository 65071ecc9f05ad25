//! What the simulator learnt from recorded real-Okta traffic (docs/simulator.md "Shapes and
//! the recordings"): each app's copy of a shared key has its own dates, directory apps have a
//! `null` sign-on mode and the recorded nulls, a real org's mix of modes, and key operations
//! on the modes they were recorded on.

use std::collections::BTreeMap;

use super::support::{Sim, error_of};
use jiff::{SignedDuration, Timestamp};
use okta_sim::{SimConfig, SyntheticMix};
use serde_json::{Value, json};

fn ts(value: &Value) -> Timestamp {
    value.as_str().expect("a timestamp").parse().unwrap()
}

fn seeded(yaml: &str) -> SimConfig {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.yaml");
    std::fs::write(&path, yaml).unwrap();
    SimConfig::from_seed_file(&path).expect("seed loads")
}

const SOURCE: &str = "0oasource00000000001";
const TARGET: &str = "0oatarget00000000001";
const OLD_KID: &str = "old-key-00000000000000000000000000000000000";

const TWO_APPS: &str = "
apps:
  - {id: 0oasource00000000001, label: Source, keys: [{kid: old-key-00000000000000000000000000000000000, created: -400d, expiresAt: +300d}]}
  - {id: 0oatarget00000000001, label: Target}
";

/// Okta dates each app's copy of a key: the clone's `created` and `lastUpdated` are the time
/// of the clone; kid, expiry and certificate are the source's.
#[tokio::test]
async fn a_clone_is_dated_at_the_clone_and_keeps_the_key() {
    let sim = Sim::start(seeded(TWO_APPS)).await;
    let before = Timestamp::now() - SignedDuration::from_secs(1);
    let source = sim
        .json(&format!("/api/v1/apps/{SOURCE}/credentials/keys/{OLD_KID}"))
        .await;
    let clone = sim
        .post(&format!(
            "/api/v1/apps/{SOURCE}/credentials/keys/{OLD_KID}/clone?targetAid={TARGET}"
        ))
        .await;
    assert_eq!(clone.status(), 201);
    let clone: Value = clone.json().await.unwrap();
    let listed = sim
        .json(&format!("/api/v1/apps/{TARGET}/credentials/keys"))
        .await;
    assert_eq!(
        listed[0], clone,
        "the target's list holds the clone's answer"
    );

    for member in ["kid", "expiresAt", "x5c", "x5t#S256", "e", "n"] {
        assert_eq!(clone[member], source[member], "{member} is the key's");
    }
    assert!(ts(&clone["created"]) >= before, "dated at the clone");
    assert_eq!(clone["lastUpdated"], clone["created"]);
    assert!(ts(&source["created"]) < before - SignedDuration::from_hours(24 * 399));
    let source_after = sim
        .json(&format!("/api/v1/apps/{SOURCE}/credentials/keys/{OLD_KID}"))
        .await;
    assert_eq!(
        source_after, source,
        "the source's copy keeps its own dates"
    );
}

/// A seed may give each app's copy of a shared kid its own `created`, as recorded lists show
/// (one kid on three apps at three times); the expiry stays one.
#[tokio::test]
async fn seeded_copies_of_a_shared_key_keep_their_own_dates() {
    let sim = Sim::start(seeded(
        "
apps:
  - {id: 0oasource00000000001, label: Source, keys: [{kid: old-key-00000000000000000000000000000000000, created: -400d, expiresAt: +300d}]}
  - {id: 0oatarget00000000001, label: Target, keys: [{kid: old-key-00000000000000000000000000000000000, created: -10d, expiresAt: +300d}]}
",
    ))
    .await;
    let copy = |app: &'static str| {
        let sim = &sim;
        async move {
            sim.json(&format!("/api/v1/apps/{app}/credentials/keys/{OLD_KID}"))
                .await
        }
    };
    let (source, target) = (copy(SOURCE).await, copy(TARGET).await);
    assert_eq!(
        (ts(&target["created"]) - ts(&source["created"])).as_hours(),
        390 * 24
    );
    assert_eq!(source["x5c"], target["x5c"]);
    assert_eq!(source["expiresAt"], target["expiresAt"]);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.yaml");
    std::fs::write(
        &path,
        "apps:
  - {label: A, keys: [{kid: old-key-00000000000000000000000000000000000, created: -4d, expiresAt: +3d}]}
  - {label: B, keys: [{kid: old-key-00000000000000000000000000000000000, created: -4d, expiresAt: +9d}]}
",
    )
    .unwrap();
    let error = SimConfig::from_seed_file(&path)
        .and_then(okta_sim::Simulator::new)
        .err()
        .expect("two expiries of one kid are refused");
    assert!(error.to_string().contains("different expiresAt"), "{error}");
}

/// A directory integration, as recorded in real listings: `signOnMode: null`, an empty
/// `credentials.signing`, the recorded nulls, no key list of its own, and no key operations.
#[tokio::test]
async fn a_directory_app_has_a_null_mode_and_the_recorded_nulls() {
    let sim = Sim::start(seeded(
        "
apps:
  - {id: 0oadirectory00000001, label: corp.example.com, signOnMode: null}
  - {id: 0oamfa00000000000001, label: MFA, signOnMode: MFA_AS_SERVICE}
",
    ))
    .await;
    let app = sim.json("/api/v1/apps/0oadirectory00000001").await;
    assert!(app.as_object().unwrap().contains_key("signOnMode"));
    assert_eq!(app["signOnMode"], Value::Null);
    assert_eq!(app["name"], "custom_identity_source");
    assert_eq!(app["credentials"]["signing"], json!({}));
    assert_eq!(app["accessibility"]["errorRedirectUrl"], Value::Null);
    assert_eq!(
        app["settings"]["notifications"]["vpn"]["helpUrl"],
        Value::Null
    );
    assert_eq!(app["universalLogout"], json!({"status": "UNSUPPORTED"}));
    assert_eq!(app["_links"]["appLinks"], json!([]));
    assert!(app["_links"].get("help").is_none());
    assert_eq!(
        sim.json("/api/v1/apps/0oadirectory00000001/credentials/keys")
            .await,
        json!([])
    );
    let mfa = sim.json("/api/v1/apps/0oamfa00000000000001").await;
    assert_eq!(mfa["signOnMode"], "MFA_AS_SERVICE");

    for app in ["0oadirectory00000001", "0oamfa00000000000001"] {
        let generate = sim
            .post(&format!(
                "/api/v1/apps/{app}/credentials/keys/generate?validityYears=2"
            ))
            .await;
        let (status, code, summary, _) = error_of(generate).await;
        assert_eq!(
            (status, code.as_str(), summary.as_str()),
            (400, "E0000001", "Api validation failed: generateKey"),
            "{app}: no recording shows generate working there"
        );
    }
}

/// `--synthetic-mix recorded`: a real org's proportions of modes, every mode the recorded
/// org has that keyshare must skip, each with its recorded shape.
#[tokio::test]
async fn the_recorded_mix_looks_like_a_real_org() {
    let sim = Sim::start(
        SimConfig::default()
            .with_synthetic_apps(40)
            .with_synthetic_mix(SyntheticMix::Recorded),
    )
    .await;
    let apps = sim.json("/api/v1/apps?limit=200").await;
    let apps = apps.as_array().unwrap();
    assert_eq!(apps.len(), 42);
    let mut modes: BTreeMap<String, usize> = BTreeMap::new();
    for app in &apps[2..] {
        let mode = app["signOnMode"].as_str().unwrap_or("null").to_owned();
        *modes.entry(mode).or_default() += 1;
        let signing = &app["credentials"]["signing"];
        let keys = sim
            .json(&format!(
                "/api/v1/apps/{}/credentials/keys",
                app["id"].as_str().unwrap()
            ))
            .await;
        match signing.get("kid") {
            Some(kid) => assert_eq!(&keys[0]["kid"], kid, "{app}"),
            None => assert_eq!((signing, &keys), (&json!({}), &json!([])), "{app}"),
        }
    }
    let expected: BTreeMap<String, usize> = [
        ("BOOKMARK", 2),
        ("BROWSER_PLUGIN", 2),
        ("MFA_AS_SERVICE", 2),
        ("OPENID_CONNECT", 26),
        ("SAML_2_0", 6),
        ("null", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(modes, expected);
    let swa = apps
        .iter()
        .find(|a| a["signOnMode"] == "BROWSER_PLUGIN")
        .unwrap();
    assert_eq!(swa["credentials"]["scheme"], "EDIT_USERNAME_AND_PASSWORD");
    assert_eq!(swa["credentials"]["revealPassword"], false);
}
