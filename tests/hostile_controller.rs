//! `keyshare watch` against hostile peers, through the real binary: a webhook that accepts
//! connections and never answers.

mod cli_support;
mod controller_support;

use std::time::{Duration, Instant};

use cli_support::{APP1, APP2, SimProcess};
use controller_support::{
    GUIDE_POLICY, PATIENCE, WatchProcess, group_yaml, message_of, signing_kid,
};
use tokio::net::TcpListener;

/// A webhook that takes every connection and never answers; returns its URL.
async fn silent_webhook() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    url
}

#[tokio::test]
async fn a_webhook_that_never_answers_delays_neither_healing_nor_stopping() {
    let sim = SimProcess::start(&[]);
    let hook = silent_webhook().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    let mut watch = WatchProcess::start(
        &sim,
        dir.path(),
        &[
            "--interval",
            "10m",
            "--self-heal",
            "--notify-webhook",
            &hook,
        ],
    )
    .await;

    // The first reconcile queues drift_found and key_expiring, whose posts hang for 10 s
    // each; the heal does not wait for them: it is logged before any post gives up.
    let healed = watch
        .wait_log(0, "self-heal applied the plan", PATIENCE)
        .await;
    let logs = watch.log_text();
    let healed_at = logs.find(&healed.to_string()).unwrap();
    assert!(
        !logs[..healed_at].contains("a notification could not be sent"),
        "the heal waited for the webhook:\n{logs}"
    );
    assert_eq!(signing_kid(&sim, APP1).await, signing_kid(&sim, APP2).await);
    let (_, metrics) = watch.get("/metrics").await;
    assert!(
        metrics.contains(r#"keyshare_webhook_dropped_total{reason="shutdown"} 0"#),
        "{metrics}"
    );

    let stopping = Instant::now();
    watch.terminate();
    let status = watch.wait_exit(PATIENCE).await;
    let took = stopping.elapsed();
    assert!(status.success(), "{status:?}\n{}", watch.log_text());
    let dropped = watch
        .wait_log_where(0, PATIENCE, |e| {
            message_of(e).starts_with("stopping without the notifications still queued")
        })
        .await;
    assert!(dropped["fields"]["unsent"].as_u64() >= Some(1), "{dropped}");
    // The grace is 2 s; a stop that waited for the hanging post would take its 10 s.
    assert!(took < Duration::from_secs(8), "stopping took {took:?}");
}
