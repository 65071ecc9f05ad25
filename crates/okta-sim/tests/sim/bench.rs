//! Measurements for docs/simulator.md, not timed tests: they are `#[ignore]`d and print what
//! they measure. Run them with
//! `cargo test --release -p okta-sim --test sim bench -- --ignored --nocapture --test-threads 1`.

use std::time::{Duration, Instant};

use super::support::{APP1, Sim, TOKEN};
use okta_sim::{RateLimits, SimConfig};

/// Start-up time and resident memory of a 10,000-app synthetic org.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement; run explicitly"]
async fn startup_of_a_10000_app_org() {
    let rss_before = rss_kib();
    let started = Instant::now();
    let sim = Sim::start(SimConfig::default().with_synthetic_apps(10_000)).await;
    let elapsed = started.elapsed();
    let first_page = sim.get("/api/v1/apps?limit=200").await;
    assert_eq!(first_page.status(), 200);
    println!(
        "10,000 synthetic apps: ready in {:.2} s; RSS {} MiB (was {} MiB before)",
        elapsed.as_secs_f64(),
        rss_kib() / 1024,
        rss_before / 1024
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "start-up must stay under 10 s"
    );
}

/// Requests per second for `GET /api/v1/apps/{id}/credentials/keys`, measured by `wrk`
/// (`apt-get install wrk`) in its own process: 2 threads, 32 connections, 10 s.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement; run explicitly"]
async fn get_keys_throughput() {
    let unlimited = RateLimits {
        apps: u32::MAX,
        app_by_id: u32::MAX,
        concurrency: u32::MAX,
        ..RateLimits::default()
    };
    let sim = Sim::start(SimConfig::default().with_limits(unlimited)).await;
    let url = sim.url(&format!("/api/v1/apps/{APP1}/credentials/keys"));
    let output = tokio::process::Command::new("wrk")
        .args([
            "-t2",
            "-c32",
            "-d10s",
            "-H",
            &format!("Authorization: SSWS {TOKEN}"),
            &url,
        ])
        .output()
        .await
        .expect("wrk is installed");
    assert!(output.status.success());
    println!("{}", String::from_utf8_lossy(&output.stdout));
    let stats = sim.admin().stats().await.unwrap();
    assert_eq!(
        stats.by_status.keys().collect::<Vec<_>>(),
        [&200],
        "only 200s: {stats:?}"
    );
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
