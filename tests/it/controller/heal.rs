//! `keyshare watch` against drift: read-only it reports and changes nothing; with
//! `--self-heal` it converges the org, notices an out-of-band change at the next interval,
//! heals it, and tells the webhook once per change of state. After every heal it verifies as
//! `keyshare apply` does; a heal whose apps' SAML metadata does not publish the new certificate
//! is logged, counted and keeps `/readyz` not ready until a later check passes.

use okta_sim::admin::{Action, FaultUpdate, RuleSpec};

use crate::support::controller::{GUIDE_POLICY, PATIENCE, Receiver, WatchProcess, group_yaml};
use crate::support::{APP1, APP2, SimProcess, TOKEN, key_ids, signing_kid, switch_out_of_band};

fn desired_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn read_only_by_default() {
    let sim = SimProcess::start(&[]);
    let before = [signing_kid(&sim, APP1).await, signing_kid(&sim, APP2).await];
    let dir = desired_dir();
    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", "300ms"]).await;
    let first = watch.wait_log(0, "reconciled", PATIENCE).await;
    assert_eq!(first["fields"]["in_sync"], false);
    let mark = watch.mark();
    watch.wait_log(mark, "reconciled", PATIENCE).await;
    let after = [signing_kid(&sim, APP1).await, signing_kid(&sim, APP2).await];
    assert_eq!(before, after, "a watch without --self-heal changes nothing");
    assert_eq!(key_ids(&sim, APP2).await.len(), 1, "nothing was cloned");
}

#[tokio::test]
async fn out_of_band_drift_is_detected_at_the_next_interval_and_healed() {
    let sim = SimProcess::start(&[]);
    let hook = Receiver::start().await;
    let dir = desired_dir();
    let watch = WatchProcess::start(
        &sim,
        dir.path(),
        &[
            "--interval",
            "1s",
            "--self-heal",
            "--notify-webhook",
            &hook.url,
        ],
    )
    .await;
    watch
        .wait_log(0, "self-heal applied the plan", PATIENCE)
        .await;
    hook.wait_for("drift_healed", PATIENCE).await;
    let group_kid = signing_kid(&sim, APP1).await;
    assert_eq!(signing_kid(&sim, APP2).await, group_kid);

    let old_kid = key_ids(&sim, APP2)
        .await
        .into_iter()
        .find(|kid| *kid != group_kid)
        .expect("App 2 still holds its own old key");
    let mark = watch.mark();
    switch_out_of_band(&sim, APP2, &old_kid).await;
    let found = watch.wait_log(mark, "group out of sync", PATIENCE).await;
    assert!(
        found["fields"]["steps"]
            .as_str()
            .unwrap()
            .contains("switch App 2"),
        "{found}"
    );
    watch
        .wait_log(mark, "self-heal applied the plan", PATIENCE)
        .await;
    assert_eq!(signing_kid(&sim, APP2).await, group_kid, "healed");
    hook.wait_for_count("drift_healed", 2, PATIENCE).await;

    let mark = watch.mark();
    watch.wait_log(mark, "reconciled", PATIENCE).await;
    watch.wait_log(watch.mark(), "reconciled", PATIENCE).await;
    assert_eq!(
        hook.events(),
        [
            "drift_found",
            // The guide's source key expires within its 30-day rotateBefore: that is why
            // the first plan generates a key.
            "key_expiring",
            "drift_healed",
            "drift_found",
            "drift_healed"
        ],
        "one notification per change of state, none for reconciles that change nothing"
    );
    let logs = watch.log_text();
    assert!(
        !logs.contains(&hook.url) && !logs.contains(TOKEN),
        "neither the webhook URL nor the token is logged"
    );
    let found = &hook.bodies()[3];
    assert_eq!(found["group"], "finance");
    // What Flux's and Argo CD's notifications carry: severity, time, the object's kind.
    assert_eq!(found["severity"], "error");
    assert_eq!(found["kind"], "SigningKeyGroup");
    let at: jiff::Timestamp = found["timestamp"].as_str().unwrap().parse().unwrap();
    assert!(
        (jiff::Timestamp::now().as_second() - at.as_second()).abs() < 600,
        "{found}"
    );
    assert_eq!(hook.bodies()[2]["severity"], "info", "drift healed");
    let text = found["text"].as_str().unwrap();
    assert!(
        text.contains("out of sync") && text.contains("switch App 2"),
        "{text}"
    );
}

#[tokio::test]
async fn a_failed_apply_is_announced_once_and_retried_with_backoff() {
    let sim = SimProcess::start(&[]);
    let hook = Receiver::start().await;
    let dir = desired_dir();
    // Okta fails the first generate before it takes effect: the executor finds no new key on
    // the source and the apply stops at step 1.
    let generate = "/api/v1/apps/{appId}/credentials/keys/generate";
    let fail = RuleSpec::new("POST", generate, Action::Fail).status(500);
    sim.admin().add_rules([fail]).await.unwrap();
    let watch = WatchProcess::start(
        &sim,
        dir.path(),
        &[
            "--interval",
            "10m",
            "--self-heal",
            "--notify-webhook",
            &hook.url,
        ],
    )
    .await;
    let failed = watch.wait_log(0, "reconcile failed", PATIENCE).await;
    let error = failed["fields"]["error"].as_str().unwrap();
    assert!(error.contains("apply stopped at step 1 of 4"), "{error}");
    // Retried after the first backoff delay, long before the 10-minute interval.
    watch
        .wait_log(0, "self-heal applied the plan", PATIENCE)
        .await;
    hook.wait_for("drift_healed", PATIENCE).await;
    assert_eq!(
        hook.events(),
        [
            "drift_found",
            "key_expiring",
            "apply_failed",
            "drift_healed"
        ]
    );
    let apply_failed = &hook.bodies()[2];
    assert!(apply_failed.get("group").is_none(), "{apply_failed}");
    assert_eq!(apply_failed["kind"], "Org", "{apply_failed}");
    assert_eq!(apply_failed["severity"], "error", "{apply_failed}");
    assert!(
        apply_failed["text"].as_str().unwrap().contains("500"),
        "{apply_failed}"
    );
}

/// The value of the sample `series` (name and labels, as written) in `/metrics`.
async fn metric(watch: &WatchProcess, series: &str) -> Option<f64> {
    let (_, body) = watch.get("/metrics").await;
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Polls `/readyz` until it answers `status` with a body containing `text`; the body.
async fn wait_readyz(watch: &WatchProcess, status: u16, text: &str) -> String {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let (got, body) = watch.get("/readyz").await;
        if got == status && body.contains(text) {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "/readyz stayed {got}: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_clean_heal_is_verified_and_the_controller_stays_ready() {
    let sim = SimProcess::start(&[]);
    let dir = desired_dir();
    let watch =
        WatchProcess::start(&sim, dir.path(), &["--interval", "300ms", "--self-heal"]).await;
    watch
        .wait_log(0, "self-heal applied the plan", PATIENCE)
        .await;
    let verified = watch.wait_log(0, "verified", PATIENCE).await;
    assert_eq!(verified["fields"]["group"], "finance", "{verified}");
    assert_eq!(
        verified["fields"]["kid"],
        signing_kid(&sim, APP1).await.as_str()
    );
    // The guide's two SAML apps were both switched, and both publish the new certificate.
    assert_eq!(verified["fields"]["saml_apps"], 2, "{verified}");
    watch.wait_status("/readyz", 200, PATIENCE).await;
    watch.wait_log(watch.mark(), "reconciled", PATIENCE).await;
    assert_eq!(watch.get("/readyz").await.0, 200);
    assert_eq!(metric(&watch, "keyshare_verify_failing").await, Some(0.0));
    assert!(
        !watch.log_text().contains("self-heal did not verify"),
        "{}",
        watch.log_text()
    );
}

#[tokio::test]
async fn a_heal_whose_metadata_keeps_the_old_certificate_fails_verification_until_it_publishes_the_new_one()
 {
    let sim = SimProcess::start(&[]);
    // The apps switch, but their metadata goes on publishing the certificate of the key they
    // signed with before, as a stale cache in front of Okta's metadata would.
    sim.admin()
        .add_faults(&FaultUpdate {
            stale_metadata: Some(true),
            ..FaultUpdate::default()
        })
        .await
        .unwrap();
    let dir = desired_dir();
    let watch =
        WatchProcess::start(&sim, dir.path(), &["--interval", "300ms", "--self-heal"]).await;
    watch
        .wait_log(0, "self-heal applied the plan", PATIENCE)
        .await;
    let group_kid = signing_kid(&sim, APP1).await;
    assert_eq!(
        signing_kid(&sim, APP2).await,
        group_kid,
        "the heal happened"
    );

    let failed = watch
        .wait_log(0, "self-heal did not verify", PATIENCE)
        .await;
    assert_eq!(failed["level"], "ERROR", "{failed}");
    let fields = &failed["fields"];
    assert_eq!(fields["group"], "finance", "{failed}");
    assert!(
        [APP1, APP2].contains(&fields["app"].as_str().unwrap_or_default()),
        "{failed}"
    );
    let expected = fields["expected"].as_str().unwrap();
    let found = fields["found"].as_str().unwrap();
    assert!(expected.starts_with("certificate SHA-256 "), "{failed}");
    assert!(found.starts_with("certificate SHA-256 "), "{failed}");
    assert_ne!(expected, found, "{failed}");
    assert!(
        fields["error"]
            .as_str()
            .unwrap()
            .contains("publishes the certificate"),
        "{failed}"
    );

    let not_ready = wait_readyz(&watch, 503, "not converged").await;
    assert!(not_ready.contains("finance"), "{not_ready}");
    assert!(
        metric(&watch, "keyshare_verify_failures_total{group=\"finance\"}")
            .await
            .is_some_and(|failures| failures >= 1.0)
    );
    assert_eq!(metric(&watch, "keyshare_verify_failing").await, Some(1.0));
    // Nothing is left to heal, but later reconciles check again and stay not ready.
    watch.wait_log(watch.mark(), "reconciled", PATIENCE).await;
    wait_readyz(&watch, 503, "not converged").await;

    // Marked first: while the fault is on no check can pass, so any `verified` after the mark
    // comes from a check that read the fixed metadata.
    let mark = watch.mark();
    sim.admin()
        .add_faults(&FaultUpdate {
            stale_metadata: Some(false),
            ..FaultUpdate::default()
        })
        .await
        .unwrap();
    let verified = watch.wait_log(mark, "verified", PATIENCE).await;
    assert_eq!(verified["fields"]["group"], "finance", "{verified}");
    wait_readyz(&watch, 200, "").await;
    assert_eq!(metric(&watch, "keyshare_verify_failing").await, Some(0.0));
}
