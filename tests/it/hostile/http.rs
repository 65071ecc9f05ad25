//! A hostile "Okta" on 127.0.0.1:0 against the real binary: rate-limit headers that would make
//! keyshare wait for ever or ask in a tight loop, and bodies that never end. Every case must
//! end with exit 1 and a message naming the request and the limit, within a bounded time and
//! a bounded number of requests.
//!
//! The server answers every request the same way (`keyshare keys --all` starts by listing the
//! apps); a `Link: rel="next"` to a fresh page keeps the client asking after a 200.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::stream;

use crate::support::keyshare_command;

/// The most any one run of the binary may take here; a hang fails the test.
const LIMIT: Duration = Duration::from_secs(90);

/// How the fake org answers every request.
#[derive(Clone, Copy)]
enum Answer {
    /// 200 with an empty page and a next link, `X-Rate-Limit-Remaining: 0`, the reset
    /// `reset_ahead` seconds from now and `Date` `date_behind` seconds in the past.
    Exhausted { reset_ahead: i64, date_behind: i64 },
    /// 429 whose reset is 10 s in the past.
    RateLimitedPastReset,
    /// 200 whose body never ends.
    EndlessBody,
    /// 400 with `len` bytes of spaces, announced by `Content-Length`.
    Whitespace { len: usize },
}

struct FakeOrg {
    url: String,
    requests: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

fn epoch() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(secs).unwrap()
}

fn http_date(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch)
        .unwrap()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn start(answer: Answer) -> FakeOrg {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let base = url.clone();
    let app = Router::new().fallback(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let base = base.clone();
        async move { respond(answer, n, &base) }
    });
    runtime.spawn(async move { axum::serve(listener, app).await });
    FakeOrg {
        url,
        requests,
        _runtime: runtime,
    }
}

fn respond(answer: Answer, n: usize, base: &str) -> Response {
    let now = epoch();
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    };
    set("content-type", "application/json".to_owned());
    let (status, body) = match answer {
        Answer::Exhausted {
            reset_ahead,
            date_behind,
        } => {
            set("x-rate-limit-limit", "20".to_owned());
            set("x-rate-limit-remaining", "0".to_owned());
            set("x-rate-limit-reset", (now + reset_ahead).to_string());
            set("date", http_date(now - date_behind));
            set(
                "link",
                format!("<{base}/api/v1/apps?after={n}&limit=200>; rel=\"next\""),
            );
            (StatusCode::OK, Body::from("[]"))
        }
        Answer::RateLimitedPastReset => {
            set("x-rate-limit-limit", "20".to_owned());
            set("x-rate-limit-remaining", "0".to_owned());
            set("x-rate-limit-reset", (now - 10).to_string());
            set("date", http_date(now));
            let body = r#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.","errorCauses":[]}"#;
            (StatusCode::TOO_MANY_REQUESTS, Body::from(body))
        }
        Answer::EndlessBody => {
            let chunk = axum::body::Bytes::from(vec![b' '; 64 * 1024]);
            let endless = stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            (StatusCode::OK, Body::from_stream(endless))
        }
        Answer::Whitespace { len } => {
            set("content-length", len.to_string());
            (StatusCode::BAD_REQUEST, Body::from(vec![b' '; len]))
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

impl FakeOrg {
    /// `keyshare keys --all EXTRA…` against this org; returns stderr after asserting exit 1.
    fn keys_fails(&self, extra: &[&str]) -> String {
        let output = assert_cmd::Command::from_std(keyshare_command())
            .args(["keys", "--all", "--no-key-cache"])
            .args(extra)
            .env("OKTA_CLIENT_ORGURL", &self.url)
            .env("OKTA_CLIENT_TOKEN", "00hostile-token")
            .env("NO_COLOR", "1")
            .timeout(LIMIT)
            .assert()
            .code(1)
            .get_output()
            .clone();
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// The number before ` s` after `marker` in `text`.
fn seconds_after(text: &str, marker: &str) -> u64 {
    let rest = &text[text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} in {text}"))
        + marker.len()..];
    rest.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn an_exhausted_bucket_with_a_reset_a_day_away_fails_at_once() {
    let org = start(Answer::Exhausted {
        reset_ahead: 86_400,
        date_behind: 0,
    });
    let stderr = org.keys_fails(&["--max-rate-limit-wait", "5s"]);
    assert!(
        stderr.contains("GET /api/v1/apps?after=1&limit=200: rate limit of the `/api/v1/apps` bucket still exhausted")
            && stderr.contains("beyond the 5 s keyshare may wait (--max-rate-limit-wait)"),
        "{stderr}"
    );
    // A reset further than a window away is not believed: one window at most.
    assert!(
        seconds_after(&stderr, "its window resets in ") <= 60,
        "{stderr}"
    );
    assert_eq!(org.requests(), 1, "the request held back is never sent");
}

#[test]
fn a_date_an_hour_stale_is_not_waited_for() {
    let org = start(Answer::Exhausted {
        reset_ahead: 30,
        date_behind: 3600,
    });
    let stderr = org.keys_fails(&["--max-rate-limit-wait", "5s"]);
    let reset_in = seconds_after(&stderr, "its window resets in ");
    assert!(reset_in <= 60, "waits {reset_in} s, not an hour: {stderr}");
}

#[test]
fn a_429_whose_reset_is_past_is_retried_a_bounded_number_of_times_with_pauses() {
    let org = start(Answer::RateLimitedPastReset);
    let started = std::time::Instant::now();
    let stderr = org.keys_fails(&[]);
    assert!(
        stderr.contains("GET /api/v1/apps?limit=200: Okta answered 429 (rate limited) 13 times in a row in the `/api/v1/apps` bucket"),
        "{stderr}"
    );
    assert_eq!(org.requests(), 13, "the first request and 12 retries");
    // Each retry waited for the past reset's minimum of a second, not for nothing.
    assert!(
        started.elapsed() >= Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_endless_body_is_cut_off_at_the_cap() {
    let org = start(Answer::EndlessBody);
    let stderr = org.keys_fails(&[]);
    let host = org.url.trim_start_matches("http://");
    assert!(
        stderr.contains(&format!(
            "GET /api/v1/apps?limit=200: the answer from {}",
            host.split(':').next().unwrap()
        )) && stderr.contains("is larger than 32 MiB, the most keyshare reads of one answer"),
        "{stderr}"
    );
}

#[test]
fn an_endless_token_answer_is_cut_off_at_the_cap() {
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::Engine::encode(&base64::engine::general_purpose::STANDARD, der.as_ref())
    );
    let org = start(Answer::EndlessBody);
    let stderr = org.keys_fails(&[
        "--authorization-mode",
        "PrivateKey",
        "--client-id",
        "0oaservice",
        "--private-key",
        &pem,
    ]);
    assert!(
        stderr.contains(&format!(
            "OAuth token request to {}/oauth2/v1/token failed",
            org.url
        )) && stderr.contains("the answer is larger than 32 MiB"),
        "{stderr}"
    );
    assert!(!stderr.contains("PRIVATE KEY"), "{stderr}");
}

#[test]
fn a_whitespace_body_is_described_as_what_it_is() {
    let big = start(Answer::Whitespace { len: 100 << 20 });
    let stderr = big.keys_fails(&[]);
    assert!(stderr.contains("is larger than 32 MiB"), "{stderr}");

    let small = start(Answer::Whitespace { len: 4096 });
    let stderr = small.keys_fails(&[]);
    assert!(
        stderr.contains(
            "unexpected HTTP 400 from Okta: (4096 bytes of whitespace and control characters only)"
        ),
        "{stderr}"
    );
}
