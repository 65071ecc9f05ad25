//! A live line on the terminal while keyshare reads Okta: calls made per bucket, and why it
//! is waiting when its share of a rate-limit window is used up. A cold read of a large org
//! takes as many windows as it needs calls (41 minutes for 10,000 apps in groups of 5 with
//! Workforce limits), and a silent terminal for that long looks like a hang.
//!
//! When the cost model knows how many calls reading the apps takes ([`app_read_calls`]), the
//! line is a bar with that total and the time left at the pace so far; once those calls are
//! made (the key lists that follow depend on what the apps say), it is the counting line.
//!
//! Drawn on stderr only when stderr is a terminal, so that scripts, CI logs and JSON output
//! see nothing of it; it never delays or changes a request.
//!
//! [`app_read_calls`]: crate::apply::app_read_calls

use std::fmt::Write as _;
use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::okta::http::{Bucket, CallStats, HttpClient};
use crate::reconcile::ReadHook;

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(250);

/// The live line as the reconcile layer's [`ReadHook`]: drawn from this client's counts.
pub struct ShowReads<'a>(pub &'a HttpClient);

impl ReadHook for ShowReads<'_> {
    async fn reading<F: Future>(&self, app_calls: Option<usize>, reads: F) -> F::Output {
        showing_reads(self.0, app_calls, reads).await
    }
}

/// Runs `reads` with the live line drawn from `client`'s counts, and clears it afterwards;
/// `app_calls` is the number of calls reading the apps takes, when known.
async fn showing_reads<F: Future>(
    client: &HttpClient,
    app_calls: Option<usize>,
    reads: F,
) -> F::Output {
    if !std::io::stderr().is_terminal() {
        return reads.await;
    }
    let counting =
        ProgressStyle::with_template("{spinner} {wide_msg}").expect("the template is valid");
    let line = match app_calls.and_then(|calls| u64::try_from(calls).ok()) {
        Some(total) if total > 0 => {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} Reading Okta apps [{bar:20}] {pos}/{len} calls, ETA {eta} | {wide_msg}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar
        }
        _ => {
            let line = ProgressBar::new_spinner();
            line.set_style(counting.clone());
            line
        }
    };
    // The client counts every call it made; an apply reads again after its steps.
    let before = client.stats().total_requests();
    let mut reads = std::pin::pin!(reads);
    let mut ticks = tokio::time::interval(TICK);
    let output = loop {
        tokio::select! {
            output = &mut reads => break output,
            _ = ticks.tick() => {
                let stats = client.stats();
                let made = stats.total_requests().saturating_sub(before);
                match line.length() {
                    Some(total) if made < total => {
                        line.set_position(made);
                        line.set_message(waiting(client.holding_for()));
                    }
                    Some(_) => {
                        line.set_style(counting.clone());
                        line.unset_length();
                        line.set_message(describe(&stats, client.holding_for()));
                    }
                    None => line.set_message(describe(&stats, client.holding_for())),
                }
                line.tick();
            }
        }
    };
    line.finish_and_clear();
    output
}

/// What the bar adds while keyshare waits for a rate-limit window.
fn waiting(holding: Option<(Bucket, Duration)>) -> String {
    holding.map_or_else(String::new, |(bucket, wait)| {
        format!("next {bucket} window in {} s", wait.as_secs() + 1)
    })
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
