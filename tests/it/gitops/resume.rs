//! Crash resumption through the binary: an apply stopped right after its generate step (the
//! simulator fails the next request, the clone) is finished by the next apply, which adopts
//! the generated key instead of making a second one.

use serde_json::json;

use crate::support::gitops::add_faults;
use crate::support::{APP1, APP2, EXAMPLE, SimProcess, keys_of, outputs};

#[tokio::test]
async fn an_apply_stopped_after_generate_resumes_with_exactly_one_new_key() {
    let sim = SimProcess::start(&[]);
    let (seeded, _) = keys_of(&sim, APP1).await;
    // 501 is not worth a retry, so the apply stops right there.
    add_faults(
        &sim,
        json!([{
            "method": "POST",
            "route": "/api/v1/apps/{appId}/credentials/keys/{keyId}/clone",
            "action": "fail",
            "status": 501
        }]),
    )
    .await;

    let stopped = sim
        .keyshare()
        .args(["apply", EXAMPLE, "--auto-approve"])
        .assert()
        .code(1);
    let (stdout, stderr) = outputs(&stopped);
    assert!(stdout.contains("[1/4] generate key on App 1"), "{stdout}");
    assert!(stderr.contains("apply stopped at step 2 of 4"), "{stderr}");
    let (after_crash, _) = keys_of(&sim, APP1).await;
    assert_eq!(
        after_crash.len(),
        seeded.len() + 1,
        "the generate took effect"
    );
    let generated: Vec<&String> = after_crash.iter().filter(|k| !seeded.contains(k)).collect();

    let plan = sim.keyshare().args(["plan", EXAMPLE]).assert().code(2);
    let (plan_text, _) = outputs(&plan);
    assert!(!plan_text.contains("generate key"), "{plan_text}");

    let resumed = sim
        .keyshare()
        .args(["apply", EXAMPLE, "--auto-approve"])
        .assert()
        .success();
    let (stdout, _) = outputs(&resumed);
    assert!(
        stdout.contains("Apply complete: 0 keys generated, 1 cloned, 2 apps switched."),
        "{stdout}"
    );

    let (kids1, signing1) = keys_of(&sim, APP1).await;
    let (_, signing2) = keys_of(&sim, APP2).await;
    assert_eq!(
        kids1.len(),
        seeded.len() + 1,
        "exactly one new key on the source"
    );
    assert_eq!(&signing1, generated[0]);
    assert_eq!(signing2, signing1);
    sim.keyshare().args(["drift", EXAMPLE]).assert().code(0);
}
