//! A live line on the terminal while keyshare reads Okta: calls made per bucket, and why it
//! is waiting when its share of a rate-limit window is used up. A cold read of a large org
//! takes as many windows as it needs calls (41 minutes for 10,000 apps in groups of 5 with
//! Workforce limits), and a silent terminal for that long looks like a hang.
//!
//! Drawn on stderr only when stderr is a terminal, so that scripts, CI logs and JSON output
//! see nothing of it; it never delays or changes a request.

use std::fmt::Write as _;
use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::okta::http::{Bucket, CallStats, HttpClient};

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(250);

/// Runs `reads` with the live line drawn from `client`'s counts, and clears it afterwards.
pub async fn showing_reads<F: Future>(client: &HttpClient, reads: F) -> F::Output {
    if !std::io::stderr().is_terminal() {
        return reads.await;
    }
    let line = ProgressBar::new_spinner();
    line.set_style(
        ProgressStyle::with_template("{spinner} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut reads = std::pin::pin!(reads);
    let mut ticks = tokio::time::interval(TICK);
    let output = loop {
        tokio::select! {
            output = &mut reads => break output,
            _ = ticks.tick() => {
                line.set_message(describe(&client.stats(), client.holding_for()));
                line.tick();
            }
        }
    };
    line.finish_and_clear();
    output
}

/// `Reading Okta: 412 calls (/api/v1/apps 410, /api/v1/apps/{id} 2); next /api/v1/apps
/// window in 7 s` (keyshare's share of the current one is used up). Short enough for 80
/// columns in the common case.
fn describe(stats: &CallStats, holding: Option<(Bucket, Duration)>) -> String {
    let mut line = format!("Reading Okta: {} calls", stats.total_requests());
    let per_bucket: Vec<String> = stats
        .buckets
        .iter()
        .map(|(bucket, b)| format!("{bucket} {}", b.requests))
        .collect();
    if !per_bucket.is_empty() {
        let _ = write!(line, " ({})", per_bucket.join(", "));
    }
    if let Some((bucket, wait)) = holding {
        let _ = write!(line, "; next {bucket} window in {} s", wait.as_secs() + 1);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::okta::http::BucketStats;

    fn stats(apps: u64, by_id: u64) -> CallStats {
        let mut stats = CallStats::default();
        for (bucket, requests) in [(Bucket::Apps, apps), (Bucket::AppById, by_id)] {
            if requests > 0 {
                let counts = BucketStats {
                    requests,
                    ..BucketStats::default()
                };
                stats.buckets.insert(bucket, counts);
            }
        }
        stats
    }

    #[test]
    fn the_line_names_calls_per_bucket_and_the_wait() {
        let table = [
            (stats(0, 0), None, "Reading Okta: 0 calls"),
            (
                stats(410, 2),
                None,
                "Reading Okta: 412 calls (/api/v1/apps 410, /api/v1/apps/{id} 2)",
            ),
            (
                stats(50, 0),
                Some((Bucket::Apps, Duration::from_millis(6_400))),
                "Reading Okta: 50 calls (/api/v1/apps 50); next /api/v1/apps window in 7 s",
            ),
        ];
        for (stats, holding, expected) in table {
            assert_eq!(describe(&stats, holding), expected);
        }
    }
}
