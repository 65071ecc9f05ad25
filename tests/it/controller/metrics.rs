//! `/metrics` of `keyshare watch`: Prometheus text that a parser reads, with the group, key,
//! reconcile and API series carrying the values the org and the simulator show.

use std::collections::BTreeMap;

use crate::support::controller::{GUIDE_POLICY, PATIENCE, WatchProcess, group_yaml};
use crate::support::{APP1, SimProcess, signing_kid};

const APPS_LIMIT: f64 = 60.0;

/// One sample line.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses `/metrics` strictly by the Prometheus text format (0.0.4) rules: every line is a
/// `# HELP`, a `# TYPE` or a sample of the family last announced; label values are quoted
/// with `\\`, `\"` and `\n` escapes; histogram buckets are cumulative and end in `+Inf`,
/// which equals `_count`.
async fn scrape(watch: &WatchProcess) -> Vec<Sample> {
    let (status, body) = watch.get("/metrics").await;
    assert_eq!(status, 200);
    let mut samples = Vec::new();
    let mut family: Option<(String, String)> = None;
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(rest.split_once(' ').is_some(), "HELP without text: {line}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            family = Some((name.to_owned(), kind.to_owned()));
        } else {
            let sample = parse_sample(line);
            let (name, kind) = family
                .as_ref()
                .unwrap_or_else(|| panic!("sample before TYPE: {line}"));
            let suffixes: &[&str] = if kind == "histogram" {
                &["_bucket", "_sum", "_count"]
            } else {
                &[""]
            };
            assert!(
                suffixes.iter().any(|s| sample.name == format!("{name}{s}")),
                "{} outside its family {name}",
                sample.name
            );
            samples.push(sample);
        }
    }
    check_histograms(&samples);
    samples
}

fn parse_sample(line: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line}"));
    let name = &line[..name_end];
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "bad metric name in {line}"
    );
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(after) = rest.strip_prefix('{') {
        rest = after;
        while !rest.starts_with('}') {
            let (label, after) = rest
                .split_once("=\"")
                .unwrap_or_else(|| panic!("bad label in {line}"));
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c @ ('\\' | '"'))) => value.push(c),
                        other => panic!("bad escape {other:?} in {line}"),
                    },
                    Some((i, '"')) => break i,
                    Some((_, c)) => value.push(c),
                    None => panic!("unterminated label value in {line}"),
                }
            };
            labels.insert(label.to_owned(), value);
            rest = &after[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
        rest = &rest[1..];
    }
    let value = rest.trim().split(' ').next().unwrap();
    let value = match value {
        "+Inf" => f64::INFINITY,
        other => other
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}")),
    };
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

fn check_histograms(samples: &[Sample]) {
    let mut buckets: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.name.ends_with("_bucket")) {
        let le = s.labels["le"]
            .replace("+Inf", "inf")
            .parse::<f64>()
            .unwrap();
        buckets.entry(&s.name).or_default().push((le, s.value));
    }
    for (name, list) in buckets {
        assert!(
            list.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{name} not cumulative"
        );
        let count = name.replace("_bucket", "_count");
        let total = samples
            .iter()
            .find(|s| s.name == count)
            .expect("histogram count")
            .value;
        assert_eq!(list.last().copied(), Some((f64::INFINITY, total)), "{name}");
    }
}

/// The value of the one sample named `metric` whose labels include `labels`.
fn value(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> f64 {
    let matching: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == metric
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert_eq!(matching.len(), 1, "{metric} {labels:?}: {matching:?}");
    matching[0].value
}

/// When `app`'s key `kid` expires, as a Unix timestamp.
async fn expires_at(sim: &SimProcess, app: &str, kid: &str) -> f64 {
    let key = sim
        .get(&format!("/api/v1/apps/{app}/credentials/keys/{kid}"))
        .await;
    let at: jiff::Timestamp = key["expiresAt"].as_str().unwrap().parse().unwrap();
    at.as_second() as f64
}

#[tokio::test]
async fn metrics_carry_group_key_reconcile_and_api_series() {
    let sim = SimProcess::start(&["--rate-limit-apps", "60"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();

    let watch = WatchProcess::start(&sim, dir.path(), &["--interval", "10m"]).await;
    watch.wait_log(0, "reconciled", PATIENCE).await;
    watch.wait_status("/readyz", 200, PATIENCE).await;
    let before = scrape(&watch).await;
    let labels = [
        ("group", "finance"),
        ("sync_status", "OutOfSync"),
        ("health_status", "Degraded"),
    ];
    assert_eq!(
        value(&before, "keyshare_group_info", &labels),
        1.0,
        "the guide's key expires within rotateBefore"
    );
    let active = signing_kid(&sim, APP1).await;
    assert_eq!(
        value(
            &before,
            "keyshare_key_expiry_timestamp_seconds",
            &[("group", "finance"), ("kid", &active)]
        ),
        expires_at(&sim, APP1, &active).await
    );
    assert_eq!(
        value(
            &before,
            "keyshare_reconcile_total",
            &[("result", "success")]
        ),
        1.0
    );
    assert_eq!(
        value(&before, "keyshare_reconcile_duration_seconds_count", &[]),
        1.0
    );
    assert_eq!(value(&before, "keyshare_desired_state_valid", &[]), 1.0);
    assert_eq!(
        value(
            &before,
            "keyshare_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    let now = jiff::Timestamp::now().as_second() as f64;
    let last = value(
        &before,
        "keyshare_last_successful_reconcile_timestamp_seconds",
        &[],
    );
    assert!((now - last).abs() < 600.0, "{last} vs {now}");
    assert_eq!(value(&before, "keyshare_healed_steps_total", &[]), 0.0);
    assert_eq!(
        value(&before, "keyshare_group_suspended", &[("group", "finance")]),
        0.0
    );
    assert_eq!(value(&before, "keyshare_reconcile_suspended", &[]), 0.0);
    // The standard process series, unprefixed, read from /proc (Linux only).
    if cfg!(target_os = "linux") {
        assert!(value(&before, "process_resident_memory_bytes", &[]) > 0.0);
        assert!(value(&before, "process_open_fds", &[]) > 0.0);
        assert!(value(&before, "process_max_fds", &[]) > 0.0);
        assert!(value(&before, "process_cpu_seconds_total", &[]) >= 0.0);
        let started = value(&before, "process_start_time_seconds", &[]);
        assert!(started <= now + 1.0 && started > now - 3600.0, "{started}");
    }
    let apps = [("bucket", "/api/v1/apps")];
    let answered = value(
        &before,
        "keyshare_api_requests_total",
        &[("bucket", "/api/v1/apps"), ("status", "200")],
    );
    assert!(answered >= 1.0);
    assert_eq!(
        value(&before, "keyshare_api_rate_limit_limit", &apps),
        APPS_LIMIT
    );
    assert_eq!(
        value(&before, "keyshare_api_rate_limit_remaining", &apps),
        APPS_LIMIT - answered,
        "every request of the window was keyshare's"
    );
    drop(watch);

    let healer = WatchProcess::start(&sim, dir.path(), &["--interval", "10m", "--self-heal"]).await;
    let healed = healer
        .wait_log(0, "self-heal applied the plan", PATIENCE)
        .await;
    // The check after the heal: the second reconciled line (the first came before the heal).
    healer.wait_log_count("reconciled", 2, PATIENCE).await;
    let after = scrape(&healer).await;
    let labels = [
        ("group", "finance"),
        ("sync_status", "Synced"),
        ("health_status", "Healthy"),
    ];
    assert_eq!(
        value(&after, "keyshare_group_info", &labels),
        1.0,
        "{healed}"
    );
    // The guide's rotation: generate, clone, and a switch of each app.
    assert_eq!(value(&after, "keyshare_healed_steps_total", &[]), 4.0);
    let new_kid = signing_kid(&sim, APP1).await;
    assert_eq!(
        value(
            &after,
            "keyshare_key_expiry_timestamp_seconds",
            &[("group", "finance")]
        ),
        expires_at(&sim, APP1, &new_kid).await,
        "only the new key's series is left"
    );
    let by_id = [("bucket", "/api/v1/apps/{id}"), ("status", "200")];
    assert!(
        value(&after, "keyshare_api_requests_total", &by_id) >= 4.0,
        "a GET and a PUT per switch"
    );

    drop(sim);
    // Any file event triggers a reconcile; this one cannot reach the org.
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    let failed = healer.wait_log(0, "reconcile failed", PATIENCE).await;
    assert!(
        failed["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot read the live state")
    );
    // Readiness changes last, after the metrics of the failed reconcile.
    healer.wait_status("/readyz", 503, PATIENCE).await;
    let unknown = scrape(&healer).await;
    let labels = [
        ("group", "finance"),
        ("sync_status", "Unknown"),
        ("health_status", "Healthy"),
    ];
    assert_eq!(value(&unknown, "keyshare_group_info", &labels), 1.0);
    assert_eq!(
        value(&unknown, "keyshare_reconcile_total", &[("result", "error")]),
        1.0
    );
}

/// Suspending one group (its annotation) or everything (the suspend file): shown in `/readyz`
/// and the metrics; a suspended group is observed but never healed, and while the file exists
/// nothing is reconciled.
#[tokio::test]
async fn suspension_is_shown_in_readyz_and_the_metrics_and_stops_healing() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let suspended = group_yaml("finance", GUIDE_POLICY).replace(
        "  name: finance\n",
        "  name: finance\n  annotations:\n    keyshare.io/suspend: \"true\"\n",
    );
    std::fs::write(dir.path().join("finance.yaml"), &suspended).unwrap();
    let pause = tempfile::tempdir().unwrap();
    let pause_file = pause.path().join("suspend");
    let watch = WatchProcess::start(
        &sim,
        dir.path(),
        &[
            "--interval",
            "1s",
            "--self-heal",
            "--suspend-file",
            pause_file.to_str().unwrap(),
        ],
    )
    .await;
    watch
        .wait_log(0, "not healing suspended groups", PATIENCE)
        .await;
    let ready = watch.wait_status("/readyz", 200, PATIENCE).await;
    assert!(
        ready.contains("suspended groups (keyshare.io/suspend): finance"),
        "{ready}"
    );
    let samples = scrape(&watch).await;
    assert_eq!(
        value(
            &samples,
            "keyshare_group_suspended",
            &[("group", "finance")]
        ),
        1.0
    );
    let labels = [
        ("group", "finance"),
        ("sync_status", "OutOfSync"),
        ("health_status", "Degraded"),
    ];
    assert_eq!(
        value(&samples, "keyshare_group_info", &labels),
        1.0,
        "still observed"
    );
    assert_eq!(value(&samples, "keyshare_healed_steps_total", &[]), 0.0);
    assert!(!watch.log_text().contains("self-heal applied the plan"));

    let mark = watch.mark();
    std::fs::write(&pause_file, "").unwrap();
    watch
        .wait_log(
            mark,
            "reconciling is suspended while the suspend file exists; nothing is read or applied until it is removed",
            PATIENCE,
        )
        .await;
    let ready = watch.wait_status("/readyz", 200, PATIENCE).await;
    assert!(ready.contains("reconciling is suspended while"), "{ready}");
    let samples = scrape(&watch).await;
    assert_eq!(value(&samples, "keyshare_reconcile_suspended", &[]), 1.0);

    // Resumed, with the annotation gone: the group is healed.
    std::fs::remove_file(&pause_file).unwrap();
    std::fs::write(
        dir.path().join("finance.yaml"),
        group_yaml("finance", GUIDE_POLICY),
    )
    .unwrap();
    watch
        .wait_log(mark, "self-heal applied the plan", PATIENCE)
        .await;
    let samples = scrape(&watch).await;
    assert_eq!(value(&samples, "keyshare_reconcile_suspended", &[]), 0.0);
    assert_eq!(value(&samples, "keyshare_healed_steps_total", &[]), 4.0);
}
