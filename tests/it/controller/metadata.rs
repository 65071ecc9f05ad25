//! `keyshare watch` serves `GET /metadata/{appId}` over real HTTP: once it has staged the next
//! key (with `--self-heal`), a managed app's IdP metadata carries the active certificate and
//! the staged one, so an SP polling the URL trusts both before the switch; an app the desired
//! state does not manage is not found.

use std::time::Instant;

use crate::support::controller::{PATIENCE, WatchProcess, group_yaml};
use crate::support::{APP1, APP2, SimProcess, TOKEN, key_ids, signing_kid};

/// The guide's two apps share a key expiring in 50 days: inside `stageBefore` (60 days), so
/// the controller stages the next key at once, and outside `rotateBefore`, so it does not
/// switch.
fn seed() -> String {
    let shared = format!("{:_<43}", "shared");
    let mut seed = String::from("apps:\n");
    for (id, label) in [(APP1, "App 1"), (APP2, "App 2")] {
        seed.push_str(&format!(
            "  - id: {id}\n    label: {label}\n    keys: [{{kid: \"{shared}\", created: \"-2y+50d\", expiresAt: \"+50d\"}}]\n"
        ));
    }
    seed
}

/// The base64 text of every `<ds:X509Certificate>` of `xml`, whitespace removed.
fn certificates(xml: &str) -> Vec<String> {
    xml.split("<ds:X509Certificate>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</ds:X509Certificate>"))
        .map(|(cert, _)| cert.chars().filter(|c| !c.is_whitespace()).collect())
        .collect()
}

/// Okta's own metadata for `id`, straight from the simulator.
async fn okta_metadata(sim: &SimProcess, id: &str) -> String {
    reqwest::Client::new()
        .get(format!(
            "{}/api/v1/apps/{id}/sso/saml/metadata",
            sim.base_url
        ))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .send()
        .await
        .expect("request reaches the simulator")
        .text()
        .await
        .expect("body")
}

#[tokio::test]
async fn managed_apps_metadata_carries_the_staged_certificate() {
    let seed_dir = tempfile::tempdir().unwrap();
    let seed_path = seed_dir.path().join("seed.yaml");
    std::fs::write(&seed_path, seed()).unwrap();
    let sim = SimProcess::start(&["--seed", seed_path.to_str().unwrap()]);
    let dir = tempfile::tempdir().unwrap();
    let policy = "    validityYears: 2\n    stageBefore: 60d\n    rotateBefore: 30d\n";
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", policy),
    )
    .unwrap();
    let watch =
        WatchProcess::start(&sim, dir.path(), &["--interval", "300ms", "--self-heal"]).await;

    // Staged once the member holds a second key; the next plan sees the group Staged.
    let deadline = Instant::now() + PATIENCE;
    let xml = loop {
        let (status, body) = watch.get(&format!("/metadata/{APP2}")).await;
        if status == 200 && certificates(&body).len() == 2 {
            break body;
        }
        assert!(Instant::now() < deadline, "never staged: {status} {body}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let active = signing_kid(&sim, APP2).await;
    assert_eq!(
        signing_kid(&sim, APP1).await,
        active,
        "staged, not switched"
    );
    let staged: Vec<String> = key_ids(&sim, APP2)
        .await
        .into_iter()
        .filter(|kid| *kid != active)
        .collect();
    let [staged] = staged.try_into().expect("one staged key");
    let key = sim
        .get(&format!("/api/v1/apps/{APP2}/credentials/keys/{staged}"))
        .await;
    let published = certificates(&okta_metadata(&sim, APP2).await);
    assert_eq!(
        certificates(&xml),
        [
            published[0].clone(),
            key["x5c"][0].as_str().unwrap().to_owned()
        ],
        "the active certificate as Okta publishes it, then the staged key's"
    );

    let (status, _) = watch.get("/metadata/0oa1notmanaged000001").await;
    assert_eq!(status, 404);
}
