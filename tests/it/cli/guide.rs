//! The guide's key-sharing flow through the real binary against a real `keyshare sim`
//! process: plan shows generate → clone → switch ×2, apply carries it out, and afterwards
//! both apps sign with one certificate and nothing else about them changed.

use serde_json::Value;

use crate::support::{APP1, APP2, EXAMPLE, SimProcess, keyshare_command};

/// An app's JSON without the fields a switch may change.
fn without_signing(mut app: Value) -> Value {
    let object = app.as_object_mut().expect("app is an object");
    object.remove("lastUpdated");
    object["credentials"]
        .as_object_mut()
        .expect("credentials object")
        .remove("signing");
    app
}

fn kids(keys: &Value) -> Vec<String> {
    keys.as_array()
        .expect("key list")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

#[tokio::test]
async fn guide_flow_plan_apply_then_in_sync() {
    let sim = SimProcess::start(&[]);
    let before = [
        sim.get(&format!("/api/v1/apps/{APP1}")).await,
        sim.get(&format!("/api/v1/apps/{APP2}")).await,
    ];

    let plan = sim.keyshare().args(["plan", EXAMPLE]).assert().code(2);
    let plan_text = String::from_utf8_lossy(&plan.get_output().stdout).into_owned();
    let order: Vec<usize> = ["generate", "clone", "switch"]
        .iter()
        .map(|word| {
            plan_text
                .find(word)
                .unwrap_or_else(|| panic!("plan lacks {word}:\n{plan_text}"))
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "steps out of order:\n{plan_text}"
    );

    sim.keyshare()
        .args(["apply", EXAMPLE])
        .assert()
        .failure()
        .code(1)
        .stderr(predicates::str::contains("--auto-approve"));

    let apply = sim
        .keyshare()
        .args(["apply", EXAMPLE, "--auto-approve"])
        .assert()
        .success();
    let apply_text = String::from_utf8_lossy(&apply.get_output().stdout).into_owned();
    assert!(
        apply_text.contains("Apply complete: 1 key generated, 1 cloned, 2 apps switched"),
        "{apply_text}"
    );

    sim.keyshare().args(["drift", EXAMPLE]).assert().code(0);
    sim.keyshare().args(["plan", EXAMPLE]).assert().code(0);

    let after = [
        sim.get(&format!("/api/v1/apps/{APP1}")).await,
        sim.get(&format!("/api/v1/apps/{APP2}")).await,
    ];
    let kid = after[0]["credentials"]["signing"]["kid"]
        .as_str()
        .expect("app 1 signs");
    assert_eq!(
        after[1]["credentials"]["signing"]["kid"].as_str(),
        Some(kid)
    );
    assert_ne!(
        before[0]["credentials"]["signing"]["kid"].as_str(),
        Some(kid),
        "a new key was generated"
    );

    let keys1 = sim
        .get(&format!("/api/v1/apps/{APP1}/credentials/keys"))
        .await;
    let keys2 = sim
        .get(&format!("/api/v1/apps/{APP2}/credentials/keys"))
        .await;
    assert!(kids(&keys1).contains(&kid.to_owned()) && kids(&keys2).contains(&kid.to_owned()));
    let cert = |keys: &Value| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap()["x5c"]
            .clone()
    };
    assert_eq!(
        cert(&keys1),
        cert(&keys2),
        "both apps publish the same certificate"
    );

    for (b, a) in before.into_iter().zip(after) {
        assert_eq!(
            without_signing(b),
            without_signing(a),
            "only credentials.signing and lastUpdated may change"
        );
    }
}

#[tokio::test]
async fn usage_errors_exit_1_not_2() {
    let sim = SimProcess::start(&[]);
    sim.keyshare()
        .args(["plan", "--no-such-flag"])
        .assert()
        .code(1);
    sim.keyshare().arg("frobnicate").assert().code(1);
}

#[test]
fn missing_org_url_names_the_flag_and_the_variable() {
    let out = assert_cmd::Command::from_std(keyshare_command())
        .args(["plan", EXAMPLE])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("--org-url") && stderr.contains("OKTA_CLIENT_ORGURL"),
        "{stderr}"
    );
}
