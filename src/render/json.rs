//! JSON for programs: the [`Report`] as documented in docs/json-output.md, versioned by
//! `format_version`. Characters a terminal would act on are written as `\uXXXX` escapes
//! ([`escape::json`]), so the output is safe to look at and decodes to the same values.

use super::view::Report;
use super::{Command, RenderContext};
use crate::escape;
use crate::plan::Plan;

/// Renders `plan` for `command` as pretty-printed JSON, ending in a newline.
pub fn render(plan: &Plan, ctx: &RenderContext<'_>, command: Command) -> String {
    render_report(&Report::new(plan, ctx, command))
}

/// Renders an already built report.
pub fn render_report(report: &Report) -> String {
    let out = serde_json::to_string_pretty(report)
        .expect("a report holds only strings, numbers, booleans and timestamps");
    format!("{}\n", escape::json(&out))
}
