//! Output choices shared by the commands: the format, whether to colour, and the one place
//! where a plan becomes what the user reads. The HTTP client's call counts become the
//! renderers' plain [`ApiCalls`] here, at the edge, so that `render` never depends on the API
//! layer.

use std::io::IsTerminal;

use crate::okta::http::{Bucket, BucketStats, CallStats};
use crate::plan::{LiveSnapshot, Plan};
use crate::render::{self, ApiCalls, BucketCalls, Command, CommentHeader, RenderContext, Report};

/// How `plan`, `drift`, `apply` and `keys` print their result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: Terraform's habits, colour on a terminal.
    #[default]
    Text,
    /// For programs: the versioned schema of docs/json-output.md.
    Json,
    /// A pull-request comment; comments past GitHub's size limit are separated by a line
    /// holding only `<!-- keyshare:split -->`.
    Markdown,
}

/// The line between two Markdown comments when the output is too long for one.
pub const MARKDOWN_SPLIT: &str = "<!-- keyshare:split -->";

/// When to colour the output (`--color`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always, even into a file or pipe and with `NO_COLOR` set.
    Always,
    /// Never.
    Never,
}

/// Whether `--color choice` colours standard output: with `auto`, only on a terminal and
/// never when `NO_COLOR` is set (https://no-color.org, where a command-line flag wins over
/// the variable).
pub fn color_for(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// `plan` (made from `live`) as `command` shows it in `format`.
pub fn render(
    format: Format,
    command: Command,
    plan: &Plan,
    live: &LiveSnapshot,
    color: bool,
) -> String {
    let report = Report::new(plan, &RenderContext { snapshot: live }, command);
    render_report(format, &report, plan, live, color)
}

/// Like [`render`], with the API calls made so far in the JSON output and `header` under the
/// Markdown comment's title.
pub fn render_with_stats(
    format: Format,
    command: Command,
    planned: (&Plan, &LiveSnapshot),
    stats: CallStats,
    header: &CommentHeader,
    color: bool,
) -> String {
    let (plan, live) = planned;
    if format == Format::Markdown {
        return join_comments(&render::markdown::render_comments(
            plan,
            &RenderContext { snapshot: live },
            command,
            header,
            render::markdown::MAX_COMMENT_CHARS,
        ));
    }
    let mut report = Report::new(plan, &RenderContext { snapshot: live }, command);
    report.api_calls = Some(stats.into());
    render_report(format, &report, plan, live, color)
}

/// An already built report in `format`. Markdown is rendered from the plan (it shows each
/// app's JSON diff), the other formats from the report alone.
pub fn render_report(
    format: Format,
    report: &Report,
    plan: &Plan,
    live: &LiveSnapshot,
    color: bool,
) -> String {
    match format {
        Format::Text => render::text::render_report(report, color),
        Format::Json => render::json::render_report(report),
        Format::Markdown => join_comments(&render::markdown::render(
            plan,
            &RenderContext { snapshot: live },
            report.command,
        )),
    }
}

/// The HTTP client's counts as the renderers show them.
impl From<CallStats> for ApiCalls {
    fn from(stats: CallStats) -> Self {
        let bucket = |(bucket, s): (Bucket, BucketStats)| {
            let calls = BucketCalls {
                requests: s.requests,
                rate_limited: s.rate_limited,
                retries: s.retries,
                waited_ms: s.waited_ms,
                limit: s.limit,
                lowest_remaining: s.lowest_remaining,
                remaining: s.remaining,
            };
            (bucket.as_str().to_owned(), calls)
        };
        Self {
            buckets: stats.buckets.into_iter().map(bucket).collect(),
            statuses: stats
                .statuses
                .into_iter()
                .map(|(bucket, counts)| (bucket.as_str().to_owned(), counts))
                .collect(),
        }
    }
}

/// Several Markdown comments as one text, separated by [`MARKDOWN_SPLIT`] lines.
pub fn join_comments(comments: &[String]) -> String {
    comments.join(&format!("{MARKDOWN_SPLIT}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_calls_in_the_json_output_read_exactly_as_the_client_counted_them() {
        let mut stats = CallStats::default();
        for (n, bucket) in [Bucket::Token, Bucket::Logs, Bucket::AppById, Bucket::Apps]
            .into_iter()
            .enumerate()
        {
            let n = n as u64 + 1;
            let counted = BucketStats {
                requests: 10 * n,
                rate_limited: n,
                retries: 2 * n,
                waited_ms: 1500 * n,
                limit: Some(20),
                lowest_remaining: n.is_multiple_of(2).then_some(3),
                remaining: Some(7),
            };
            stats.buckets.insert(bucket, counted);
            stats
                .statuses
                .insert(bucket, [(200, 9 * n), (429, n)].into_iter().collect());
        }
        let shown = serde_json::to_string(&ApiCalls::from(stats.clone())).unwrap();
        assert_eq!(shown, serde_json::to_string(&stats).unwrap());
    }
}
