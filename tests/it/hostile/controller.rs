//! `keyshare watch` against hostile peers, through the real binary: a webhook that accepts
//! connections and never answers, and peers that connect to the metrics listener and never
//! finish a request.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::controller::{
    GUIDE_POLICY, PATIENCE, WatchProcess, group_yaml, message_of, write_like_an_editor,
};
use crate::support::{APP1, APP2, SimProcess, signing_kid};

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

#[tokio::test]
async fn idle_and_half_sent_connections_neither_starve_the_listener_nor_the_reconciles() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("groups.yaml");
    std::fs::write(&file, group_yaml("finance", GUIDE_POLICY)).unwrap();
    // The probe's setting: 256 descriptors, more peers than that.
    let watch =
        WatchProcess::start_with_fd_limit(&sim, dir.path(), &["--interval", "10m"], 256).await;
    watch.wait_log(0, "reconciled", PATIENCE).await;

    let addr = watch.base_url.trim_start_matches("http://").to_owned();
    let mut peers = Vec::new();
    for n in 0..300 {
        let mut peer = tokio::net::TcpStream::connect(&addr).await.unwrap();
        if n % 2 == 0 {
            // Half a request: headers that never end.
            peer.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
        }
        peers.push(peer);
    }

    let (status, body) = watch.get("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let mark = watch.mark();
    write_like_an_editor(&file, &group_yaml("payroll", GUIDE_POLICY));
    watch
        .wait_log_where(mark, PATIENCE, |e| e["fields"]["group"] == "payroll")
        .await;
    let mut first = peers.swap_remove(0);
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, first.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "an idle peer was never dropped");
    let logs = watch.log_text();
    assert!(
        !logs.contains("not valid") && !logs.contains("reconcile failed"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_desired_state_that_cannot_be_read_is_not_called_invalid() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", "10m"]).await;
    watch.wait_status("/readyz", 200, PATIENCE).await;

    // A file whose read fails with an I/O error even for root: offset 0 of a process's
    // memory is never mapped (EIO).
    let mark = watch.mark();
    std::os::unix::fs::symlink("/proc/self/mem", dir.path().join("broken.yaml")).unwrap();
    let logged = watch
        .wait_log(
            mark,
            "the desired state cannot be read; keeping the last valid one",
            PATIENCE,
        )
        .await;
    let error = logged["fields"]["error"].as_str().unwrap();
    assert!(
        error.contains("broken.yaml") && error.contains("cannot be read ("),
        "{error}"
    );
    let reason = watch.wait_status("/readyz", 503, PATIENCE).await;
    assert!(reason.contains("cannot be read"), "{reason}");
    assert!(
        !watch.log_text().contains("is not valid"),
        "{}",
        watch.log_text()
    );
}
