//! Text for a terminal, in Terraform's habits: `+` for what is created (generate, clone), `~`
//! for what changes (switch), warnings, then one summary line. Every line that holds text from
//! Okta or the desired state goes through [`terminal`] before it is coloured.

use std::fmt::Write as _;

use owo_colors::{OwoColorize, Style};

use super::view::{GroupView, Report, StepView};
use super::{Command, RenderContext};
use crate::escape::terminal;
use crate::plan::Plan;

/// Renders `plan` for `command`. `color` adds ANSI colours; the caller decides (a terminal,
/// and `NO_COLOR` unset).
pub fn render(plan: &Plan, ctx: &RenderContext<'_>, command: Command, color: bool) -> String {
    render_report(&Report::new(plan, ctx, command), color)
}

/// Renders an already built report.
pub fn render_report(report: &Report, color: bool) -> String {
    let paint = Paint { color };
    let mut out = String::new();
    if !report.in_sync {
        out.push_str(intro(report.command));
        out.push_str("\n\n");
        for group in report.groups.iter().filter(|g| !g.in_sync) {
            write_group(&mut out, report, group, paint);
        }
    }
    // Staged groups in sync say so here too: their service providers still have work to do.
    for action in &report.sp_actions {
        let label = paint.apply("Service providers:", Style::new().yellow().bold());
        let _ = writeln!(out, "{label} {}", terminal(&action.text()));
    }
    if !report.sp_actions.is_empty() {
        out.push('\n');
    }
    for warning in &report.warnings {
        let label = paint.apply("Warning:", Style::new().yellow().bold());
        let _ = writeln!(out, "{label} {}", terminal(warning.message()));
    }
    if !report.warnings.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{}",
        paint.apply(&report.summary_line(), Style::new().bold())
    );
    out
}

fn intro(command: Command) -> &'static str {
    match command {
        Command::Plan => "keyshare will perform the following actions:",
        Command::Drift => "Okta has drifted from the configuration; apply would perform:",
        Command::Apply => "keyshare performed the following actions:",
    }
}

fn write_group(out: &mut String, report: &Report, group: &GroupView, paint: Paint) {
    let members = group.members.len();
    let header = format!(
        "# group {}: source {}, {members} {}",
        group.name,
        group.source,
        if members == 1 { "member" } else { "members" }
    );
    let _ = writeln!(
        out,
        "  {}",
        paint.apply(&terminal(&header), Style::new().bold())
    );
    if let Some(rotation) = &group.rotation {
        let _ = writeln!(
            out,
            "  # new group key because {}",
            terminal(&rotation.message)
        );
    }
    if let Some(staging) = &group.staging {
        let _ = writeln!(out, "  # {}", terminal(&staging.message));
    }
    for step in report.steps_of(&group.name) {
        let (sign, style) = match step {
            StepView::Generate { .. } | StepView::Clone { .. } => ("+", Style::new().green()),
            StepView::Switch { .. } => ("~", Style::new().yellow()),
        };
        let text = step.sentence();
        let _ = writeln!(out, "  {} {}", paint.apply(sign, style), terminal(&text));
    }
    out.push('\n');
}

/// Colours text, or leaves it alone.
#[derive(Clone, Copy)]
struct Paint {
    color: bool,
}

impl Paint {
    fn apply(self, text: &str, style: Style) -> String {
        if self.color {
            text.style(style).to_string()
        } else {
            text.to_owned()
        }
    }
}
