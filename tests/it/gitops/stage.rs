//! A staged rotation over real HTTP: the `keyshare` binary against a `keyshare sim` process on
//! 127.0.0.1:0, five apps sharing one key. keyshare runs at chosen instants through
//! `KEYSHARE_NOW` (the simulator's keys are seeded relative to its start), so the weeks
//! between stage and switch pass without waiting.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::support::gitops::kid;
use crate::support::{SimProcess, TOKEN, keys_of, outputs};

const APPS: [&str; 5] = [
    "0oa1stage00000000001",
    "0oa1stage00000000002",
    "0oa1stage00000000003",
    "0oa1stage00000000004",
    "0oa1stage00000000005",
];

/// Five apps signing with one shared key that expires 100 days after the simulator starts.
fn seed() -> String {
    let shared = kid("shared");
    let mut seed = String::from("apps:\n");
    for (i, id) in APPS.iter().enumerate() {
        seed.push_str(&format!(
            "  - id: {id}\n    label: App {}\n    keys: [{{kid: \"{shared}\", created: \"-2y+100d\", expiresAt: \"+100d\"}}]\n",
            i + 1
        ));
    }
    seed
}

/// The group: stage 60 days before expiry, switch 30 days before; `kid` pins a key.
fn group_yaml(kid: Option<&str>) -> String {
    let members: String = APPS[1..].iter().map(|id| format!("    - {id}\n")).collect();
    let pin = kid.map_or(String::new(), |kid| format!("    kid: {kid}\n"));
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: payroll\nspec:\n  source: {}\n  members:\n{members}  key:\n    validityYears: 2\n    stageBefore: 60d\n    rotateBefore: 30d\n{pin}",
        APPS[0]
    )
}

/// A scenario: the simulator, the desired-state directory, and the instant it started at.
struct Scenario {
    sim: SimProcess,
    dir: tempfile::TempDir,
    start: Timestamp,
}

impl Scenario {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let start = Timestamp::now();
        let path = dir.path().join("seed.yaml");
        std::fs::write(&path, seed()).unwrap();
        // The test reads every app's keys and metadata at every step: far more than Okta's
        // default budget per minute, which would only make the test wait for the window.
        let sim = SimProcess::start(&[
            "--seed",
            path.to_str().unwrap(),
            "--rate-limit-apps",
            "10000",
            "--rate-limit-app-by-id",
            "10000",
        ]);
        let scenario = Self { sim, dir, start };
        scenario.desire(None);
        scenario
    }

    fn desire(&self, kid: Option<&str>) {
        let groups = self.dir.path().join("groups");
        std::fs::create_dir_all(&groups).unwrap();
        std::fs::write(groups.join("payroll.yaml"), group_yaml(kid)).unwrap();
    }

    /// `keyshare ARGS… groups/` run `days` after the simulator's start.
    fn keyshare(&self, days: i64, args: &[&str]) -> assert_cmd::Command {
        let at = self.start + SignedDuration::from_hours(24 * days);
        let mut cmd = self.sim.keyshare();
        cmd.env("KEYSHARE_NOW", at.to_string())
            .args(args)
            .arg(self.dir.path().join("groups"));
        cmd
    }

    /// The kid every app signs with, after checking that they agree.
    async fn signing(&self) -> String {
        let mut kids = Vec::new();
        for id in APPS {
            kids.push(keys_of(&self.sim, id).await.1);
        }
        kids.dedup();
        assert_eq!(kids.len(), 1, "the apps sign with different keys: {kids:?}");
        kids.remove(0)
    }

    /// The kids `id` holds that it does not sign with.
    async fn held_only(&self, id: &str) -> Vec<String> {
        let (kids, signing) = keys_of(&self.sim, id).await;
        kids.into_iter().filter(|k| *k != signing).collect()
    }

    /// The certificate (base64 DER) of `kid` as the app's key list gives it.
    async fn certificate(&self, id: &str, kid: &str) -> String {
        let keys = self
            .sim
            .get(&format!("/api/v1/apps/{id}/credentials/keys/{kid}"))
            .await;
        keys["x5c"][0].as_str().expect("x5c").to_owned()
    }

    /// The app's IdP metadata (`?kid=` when given): the status and the certificate it carries.
    async fn metadata(&self, id: &str, kid: Option<&str>) -> (u16, Option<String>) {
        let query = kid.map_or(String::new(), |kid| format!("?kid={kid}"));
        let response = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/apps/{id}/sso/saml/metadata{query}",
                self.sim.base_url
            ))
            .header("Authorization", format!("SSWS {TOKEN}"))
            .send()
            .await
            .expect("request reaches the simulator");
        let status = response.status().as_u16();
        let xml = response.text().await.expect("body");
        let certificate = xml
            .split_once("<ds:X509Certificate>")
            .and_then(|(_, rest)| rest.split_once("</ds:X509Certificate>"))
            // Okta wraps the base64 text; the certificate is the same without the breaks.
            .map(|(cert, _)| cert.chars().filter(|c| !c.is_whitespace()).collect());
        (status, certificate)
    }
}

/// The roles `keyshare keys --format json` gives the first app's keys, active first.
async fn roles(s: &Scenario, day: i64) -> Vec<(&'static str, String)> {
    let (json, _) = outputs(
        &s.keyshare(day, &["keys", "--format", "json"])
            .assert()
            .code(0),
    );
    let report: Value = serde_json::from_str(&json).unwrap();
    let app = report["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|app| app["id"] == APPS[0])
        .unwrap();
    let mut roles: Vec<(&'static str, String)> = app["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| {
            let role = match key["role"].as_str().unwrap() {
                "active" => "active",
                "staged" => "staged",
                "previous" => "previous",
                _ => "other",
            };
            (role, key["kid"].as_str().unwrap().to_owned())
        })
        .collect();
    roles.sort_by_key(|(role, _)| *role != "active");
    roles
}

#[tokio::test]
async fn a_five_app_group_stages_then_switches_after_the_soak() {
    let s = Scenario::new();
    let shared = kid("shared");

    // Day 0: the key expires in 100 days, outside stageBefore: in sync.
    let (text, _) = outputs(&s.keyshare(0, &["plan"]).assert().code(0));
    assert!(text.contains("No changes."), "{text}");

    // Day 45: the key expires in 55 days: staging is due, and is drift.
    s.keyshare(45, &["drift"]).assert().code(2);
    let (text, _) = outputs(&s.keyshare(45, &["plan"]).assert().code(2));
    assert!(
        text.contains("# stage key (known after apply) on 5 apps, switch on")
            && text.contains("Plan: 1 key to generate, 4 to clone, 0 apps to switch."),
        "{text}"
    );
    s.keyshare(45, &["apply", "--auto-approve"])
        .assert()
        .code(0);

    // Staged: every app holds the new key, none signs with it.
    assert_eq!(s.signing().await, shared);
    let staged = s.held_only(APPS[0]).await;
    assert_eq!(staged.len(), 1, "one key staged on the source: {staged:?}");
    let staged = staged[0].clone();
    let staged_cert = s.certificate(APPS[0], &staged).await;
    for id in APPS {
        assert_eq!(s.held_only(id).await, vec![staged.clone()], "{id}");
        // Okta's metadata preview shows the staged certificate; the published one is unchanged.
        assert_eq!(
            s.metadata(id, Some(&staged)).await,
            (200, Some(staged_cert.clone()))
        );
        let (status, published) = s.metadata(id, None).await;
        assert_eq!(status, 200);
        assert_ne!(
            published,
            Some(staged_cert.clone()),
            "{id} publishes the staged key early"
        );
    }

    // The inventory names each key's role and shows what an SP admin compares.
    assert_eq!(
        roles(&s, 45).await,
        vec![("active", shared.clone()), ("staged", staged.clone())]
    );
    let (text, _) = outputs(&s.keyshare(45, &["keys", "--pem"]).assert().code(0));
    let pem_body: String = staged_cert.chars().take(64).collect();
    assert!(
        text.contains("staged; SHA-256 ")
            && text.contains("; SHA-1 ")
            && text.contains("subject ")
            && text.contains(&pem_body),
        "{text}"
    );

    // `keyshare metadata`: per app, Okta's metadata with both certificates, the staged one as
    // PEM, and an index saying by when to trust it.
    let out = s.dir.path().join("metadata");
    s.keyshare(45, &["metadata", "--out", out.to_str().unwrap()])
        .assert()
        .code(0);
    let active_cert = s.certificate(APPS[0], &shared).await;
    for id in APPS {
        let xml = std::fs::read_to_string(out.join(format!("{id}.xml"))).unwrap();
        assert_eq!(
            xml.matches("KeyDescriptor use=\"signing\"").count(),
            2,
            "{xml}"
        );
        let compact: String = xml.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            compact.contains(&active_cert) && compact.contains(&staged_cert),
            "{xml}"
        );
        let pem = std::fs::read_to_string(out.join(format!("{id}.staged.pem"))).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n") && pem.contains(&pem_body));
        let index: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(format!("{id}.json"))).unwrap())
                .unwrap();
        assert_eq!(index["staged"]["kid"], staged.as_str());
        assert_eq!(index["active"]["kid"], shared.as_str());
        let switch_at: Timestamp = index["switch_at"].as_str().unwrap().parse().unwrap();
        // 30 days before the old key's expiry, which the simulator dated from its own start.
        let off = switch_at.duration_since(s.start + SignedDuration::from_hours(24 * 70));
        assert!(
            off.abs() < SignedDuration::from_secs(60),
            "switch at {switch_at}"
        );
        let md = std::fs::read_to_string(out.join(format!("{id}.md"))).unwrap();
        assert!(
            md.contains("the service provider must trust its certificate by then"),
            "{md}"
        );
    }

    // Still day 45: staged and not yet due is in sync, with the service providers' notice.
    let (text, _) = outputs(&s.keyshare(45, &["drift"]).assert().code(0));
    assert!(
        text.contains("Service providers: group `payroll`")
            && text.contains(&format!("must trust key {staged}"))
            && text.contains("No drift."),
        "{text}"
    );

    // Day 75: the old key expires in 25 days, inside rotateBefore: the switch is due.
    let (text, _) = outputs(&s.keyshare(75, &["plan"]).assert().code(2));
    assert!(
        text.contains(&format!("# switch 5 apps to key {staged}, staged since"))
            && text.contains("Plan: 0 keys to generate, 0 to clone, 5 apps to switch."),
        "{text}"
    );
    s.keyshare(75, &["apply", "--auto-approve"])
        .assert()
        .code(0);
    assert_eq!(s.signing().await, staged);
    for id in APPS {
        assert_eq!(
            s.metadata(id, None).await,
            (200, Some(staged_cert.clone())),
            "{id}"
        );
    }

    assert_eq!(
        roles(&s, 75).await,
        vec![("active", staged.clone()), ("previous", shared.clone())]
    );

    // And in sync again, with the old key left in place.
    let (text, _) = outputs(&s.keyshare(75, &["plan"]).assert().code(0));
    assert!(text.contains("No changes."), "{text}");
}

#[tokio::test]
async fn pinning_the_staged_kid_switches_now_and_pinning_the_previous_one_rolls_back() {
    let s = Scenario::new();
    let shared = kid("shared");
    s.keyshare(45, &["apply", "--auto-approve"])
        .assert()
        .code(0);
    let staged = s.held_only(APPS[0]).await.remove(0);

    // Manual activation: the pin is the switch, with the certificate shown, not "known after
    // apply".
    s.desire(Some(&staged));
    let (comment, _) = outputs(
        &s.keyshare(45, &["plan", "--format", "markdown"])
            .assert()
            .code(2),
    );
    assert!(
        !comment.contains("known after apply") && comment.contains("BEGIN CERTIFICATE"),
        "{comment}"
    );
    s.keyshare(45, &["apply", "--auto-approve"])
        .assert()
        .code(0);
    assert_eq!(s.signing().await, staged);

    // Rollback: the previous key is still valid, and pinning it switches back.
    s.desire(Some(&shared));
    s.keyshare(46, &["apply", "--auto-approve"])
        .assert()
        .code(0);
    assert_eq!(s.signing().await, shared);
    s.keyshare(46, &["plan"]).assert().code(0);
}

#[tokio::test]
async fn metadata_preview_is_refused_for_a_kid_the_app_does_not_hold() {
    let s = Scenario::new();
    let (status, _) = s.metadata(APPS[0], Some(&kid("nobody"))).await;
    assert_eq!(status, 404);
    let answer: Value = s
        .sim
        .get(&format!("/api/v1/apps/{}/credentials/keys", APPS[0]))
        .await;
    assert_eq!(answer.as_array().map(Vec::len), Some(1));
}
