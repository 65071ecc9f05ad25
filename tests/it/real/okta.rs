//! The real-data check: the `keyshare` binary against a loopback server of this test's own
//! that serves the org assembled from recorded real Okta traffic (tests/it/support/real_okta.rs,
//! docs/simulator.md "The real-data check"). Skipped, with a notice, when the recordings are
//! not beside the repository (a user's clone); CI has them.
//!
//! One story on one org, because each step starts from what the previous one left, as a user's
//! would: `keys --all`; `plan`/`apply`/`drift` sharing a SAML 2.0 app's key with the SAML 1.1
//! app and the WS-Fed app; `import`; then a forced rotation whose `rotateAfter` falls between
//! the source's copy of the key (recorded) and the members' copies (made by the clones).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::support::real_okta::{KeyWrite, RealOkta, Recorded, RecordedPut, org_json_path};
use crate::support::{TOKEN, keyshare_command};

/// A recorded SAML 2.0 app (Terraform provider cassette), holding two recorded keys.
const SAML2: &str = "0oakwu6fmk2V0XTTb1d7";
/// The recorded org's only SAML 1.1 app.
const SAML11: &str = "0oakwurohdMtwhgC21d7";
/// The org's WS-Federation app.
const WSFED: &str = "0oafxqCAJWWGELFTYASJ";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// Runs the real binary against `okta` in `dir`, off the async runtime that serves it.
async fn keyshare(okta: &RealOkta, dir: &Path, args: &[&str]) -> Run {
    let mut command = keyshare_command();
    command
        .args(args)
        .current_dir(dir)
        .env("OKTA_CLIENT_ORGURL", &okta.base_url)
        .env("OKTA_CLIENT_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .env("KEYSHARE_KEY_CACHE", dir.join(".cache"));
    let output = tokio::task::spawn_blocking(move || command.output().expect("keyshare runs"))
        .await
        .expect("keyshare finished");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn expect_code(run: &Run, code: i32, what: &str) {
    assert_eq!(
        run.code, code,
        "{what}: exit {}\nstdout:\n{}\nstderr:\n{}",
        run.code, run.stdout, run.stderr
    );
}

fn group_yaml(rotate_after: Option<&str>) -> String {
    let rotate = rotate_after
        .map(|at| format!("    rotateAfter: \"{at}\"\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: real\nspec:\n  source: {SAML2}\n  members:\n    - {SAML11}\n    - {WSFED}\n  key:\n    validityYears: 2\n{rotate}"
    )
}

/// Every PUT sent the app back exactly as the server held it, but for the signing kid.
fn assert_only_the_kid_changed(puts: &[RecordedPut]) {
    for put in puts {
        let mut restored = put.sent.clone();
        let sent_kid = put.sent["credentials"]["signing"]["kid"].clone();
        restored["credentials"]["signing"]["kid"] =
            put.held["credentials"]["signing"]["kid"].clone();
        assert_eq!(
            restored, put.held,
            "PUT {} changed more than credentials.signing.kid (to {sent_kid})",
            put.app_id
        );
        assert_ne!(sent_kid, put.held["credentials"]["signing"]["kid"]);
    }
}

fn active_kid(okta: &RealOkta, app: &str) -> String {
    okta.app(app)["credentials"]["signing"]["kid"]
        .as_str()
        .expect("a signing kid")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyshare_shares_and_rotates_a_key_across_recorded_real_apps() {
    let Some(path) = org_json_path() else {
        eprintln!(
            "real-data check skipped: ../shared/real-okta/org.json is not beside the repository"
        );
        return;
    };
    let recorded = Recorded::load(&path);
    // Okta's windows are a minute; one second keeps keyshare's own pacing from slowing the test.
    let okta = RealOkta::start(&recorded, Duration::from_secs(1)).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(config.join("real.yaml"), group_yaml(None)).unwrap();

    // `keys --all` reads the whole org (two pages, 14 apps with a null sign-on mode) and lists
    // every app that signs with a shareable key.
    let keys = keyshare(
        &okta,
        dir.path(),
        &["keys", "config", "--all", "--format", "json"],
    )
    .await;
    expect_code(&keys, 0, "keys --all");
    let listed: BTreeSet<String> = keys.json()["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    let signing: BTreeSet<String> = recorded
        .apps()
        .iter()
        .filter(|a| {
            matches!(
                a["signOnMode"].as_str(),
                Some("SAML_2_0" | "SAML_1_1" | "WS_FEDERATION")
            )
        })
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(signing.len(), 41);
    assert_eq!(listed, signing, "keys --all lists exactly the signing apps");

    // Share the SAML 2.0 app's active key with the SAML 1.1 and the WS-Fed app.
    let group_key = active_kid(&okta, SAML2);
    let plan = keyshare(&okta, dir.path(), &["plan", "config", "--format", "json"]).await;
    expect_code(&plan, 2, "plan");
    assert_eq!(plan.json()["groups"][0]["key"]["kid"], group_key.as_str());
    let apply = keyshare(&okta, dir.path(), &["apply", "config", "--auto-approve"]).await;
    expect_code(&apply, 0, "apply");
    for app in [SAML2, SAML11, WSFED] {
        assert_eq!(
            active_kid(&okta, app),
            group_key,
            "{app} signs with the group key"
        );
    }
    let cloned: BTreeSet<String> = okta
        .key_writes()
        .into_iter()
        .filter_map(|w| match w {
            KeyWrite::Clone {
                source,
                kid,
                target,
            } if source == SAML2 && kid == group_key => Some(target),
            _ => None,
        })
        .collect();
    assert_eq!(
        cloned,
        BTreeSet::from([SAML11.to_owned(), WSFED.to_owned()]),
        "the group key was cloned from the source to both members"
    );
    let puts = okta.puts();
    assert_eq!(
        puts.iter()
            .map(|p| p.app_id.as_str())
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([SAML11, WSFED]),
        "the members were switched, the source already signed with the key"
    );
    assert_only_the_kid_changed(&puts);
    let drift = keyshare(&okta, dir.path(), &["drift", "config"]).await;
    expect_code(&drift, 0, "drift after apply");

    let imported = dir.path().join("imported");
    let import = keyshare(
        &okta,
        dir.path(),
        &[
            "import", "--out", "imported", "--app", SAML2, "--app", SAML11, "--app", WSFED,
        ],
    )
    .await;
    expect_code(&import, 0, "import");
    let files: Vec<String> = std::fs::read_dir(&imported)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files.len(), 1, "one shared key, one group: {files:?}");
    for app in [SAML2, SAML11, WSFED] {
        assert!(files[0].contains(app), "{app} in {}", files[0]);
    }
    let replan = keyshare(&okta, dir.path(), &["plan", "imported"]).await;
    expect_code(&replan, 0, "the imported group plans to no changes");

    // The source's copy of the group key is the recorded one (2025); the members' copies were
    // dated by the clones just now. A rotateAfter between the two makes the key too old: the
    // source's copy is the key's age, so keyshare must generate a new one.
    let source_copy = okta
        .keys(SAML2)
        .into_iter()
        .find(|k| k["kid"] == group_key.as_str())
        .expect("the source holds the group key");
    let member_copy = okta
        .keys(WSFED)
        .into_iter()
        .find(|k| k["kid"] == group_key.as_str())
        .expect("the member holds the group key");
    let created = |k: &Value| k["created"].as_str().unwrap().parse::<Timestamp>().unwrap();
    let rotate_after = Timestamp::now() - SignedDuration::from_hours(24);
    assert!(created(&source_copy) < rotate_after && rotate_after < created(&member_copy));
    std::fs::write(
        config.join("real.yaml"),
        group_yaml(Some(&rotate_after.to_string())),
    )
    .unwrap();
    let plan = keyshare(&okta, dir.path(), &["plan", "config", "--format", "json"]).await;
    expect_code(&plan, 2, "plan of the forced rotation");
    let report = plan.json();
    let rotation = &report["groups"][0]["rotation"];
    assert_eq!(rotation["cause"], "created_before", "{report}");
    assert_eq!(
        rotation["kid"],
        group_key.as_str(),
        "the reason names the key it replaces"
    );
    assert!(
        rotation["message"].as_str().unwrap().contains(&group_key),
        "{rotation}"
    );
    assert_eq!(report["groups"][0]["key_choice"], "generated", "{report}");

    let before = okta.puts().len();
    let apply = keyshare(&okta, dir.path(), &["apply", "config", "--auto-approve"]).await;
    expect_code(&apply, 0, "apply of the forced rotation");
    let generated: Vec<String> = okta
        .key_writes()
        .into_iter()
        .filter_map(|w| match w {
            KeyWrite::Generate { app_id, kid } if app_id == SAML2 => Some(kid),
            _ => None,
        })
        .collect();
    assert_eq!(generated.len(), 1, "one new key on the source");
    for app in [SAML2, SAML11, WSFED] {
        assert_eq!(
            active_kid(&okta, app),
            generated[0],
            "{app} signs with the new key"
        );
    }
    let rotation_puts = &okta.puts()[before..];
    assert_eq!(
        rotation_puts
            .iter()
            .map(|p| p.app_id.as_str())
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([SAML2, SAML11, WSFED]),
        "all three apps were switched to the new key"
    );
    assert_only_the_kid_changed(rotation_puts);
    let drift = keyshare(&okta, dir.path(), &["drift", "config"]).await;
    expect_code(&drift, 0, "drift after the rotation");
}

/// The converse, on recorded dates alone: the SAML 1.1 app's copy of a kid is dated 03:26:27,
/// a SAML 2.0 app's copy of the same kid 03:01:15. With the SAML 1.1 app as the source, a
/// `rotateAfter` of 03:15 does not make the key old: a member's older copy never ages it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_older_copy_does_not_age_the_key() {
    let Some(path) = org_json_path() else {
        eprintln!(
            "real-data check skipped: ../shared/real-okta/org.json is not beside the repository"
        );
        return;
    };
    let recorded = Recorded::load(&path);
    let okta = RealOkta::start(&recorded, Duration::from_secs(1)).await;
    let kid = active_kid(&okta, SAML11);
    let copy_created = |app: &str| {
        okta.keys(app)
            .into_iter()
            .find(|k| k["kid"] == kid.as_str())
            .map(|k| k["created"].as_str().unwrap().to_owned())
            .expect("the app holds the kid")
    };
    assert_eq!(copy_created(SAML11), "2025-03-14T03:26:27.000Z");
    assert_eq!(copy_created(SAML2), "2025-03-14T03:01:15.000Z");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("group.yaml"),
        format!(
            "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: recorded\nspec:\n  source: {SAML11}\n  members:\n    - {SAML2}\n  key:\n    validityYears: 2\n    rotateAfter: \"2025-03-14T03:15:00Z\"\n"
        ),
    )
    .unwrap();
    let plan = keyshare(&okta, dir.path(), &["plan", ".", "--format", "json"]).await;
    expect_code(&plan, 2, "plan");
    let report = plan.json();
    let group = &report["groups"][0];
    assert_eq!(group["rotation"], Value::Null, "{report}");
    assert_eq!(group["key"]["kid"], kid.as_str(), "{report}");
    assert_eq!(report["summary"]["generate"], 0, "{report}");
    assert_eq!(
        report["summary"]["switch"], 1,
        "only the member is switched: {report}"
    );
}
