//! Markdown for a pull-request comment, in the Atlantis/tfcmt style: a title with the result,
//! a summary table, the steps by group, a warning for every ACTIVE app that switches keys (its
//! service provider must trust the new certificate), the plan's warnings, and a collapsed
//! unified diff of each app's JSON.
//!
//! Every comment starts with a hidden `<!-- keyshare:<command> -->` marker so that a CI job can
//! find and update its own sticky comment. Output longer than GitHub's comment limit is split
//! into several comments between sections, never inside one.

use serde_json::Value;
use similar::TextDiff;

use super::cert::Certificate;
use super::comments::split;
use super::escape::terminal;
use super::stage::SpActionView;
use super::view::{AppView, GroupView, KeyView, Report, StepView};
use super::{Command, RenderContext};
use crate::okta::{Application, Kid};
use crate::plan::{KeyRef, Plan};

/// GitHub refuses comments longer than this many characters.
pub const MAX_COMMENT_CHARS: usize = 65_536;

/// Renders `plan` for `command` as one or more comments, each within [`MAX_COMMENT_CHARS`].
pub fn render(plan: &Plan, ctx: &RenderContext<'_>, command: Command) -> Vec<String> {
    render_with_limit(plan, ctx, command, MAX_COMMENT_CHARS)
}

/// Like [`render`], with another comment size limit (in characters).
pub fn render_with_limit(
    plan: &Plan,
    ctx: &RenderContext<'_>,
    command: Command,
    limit: usize,
) -> Vec<String> {
    let report = Report::new(plan, ctx, command);
    let mut blocks = vec![title(&report)];
    if !report.groups.is_empty() {
        blocks.push(summary_table(&report));
    }
    if !report.in_sync {
        blocks.push("### Steps".to_owned());
        blocks.extend(
            report
                .groups
                .iter()
                .filter(|g| !g.in_sync)
                .map(|g| group_steps(&report, g)),
        );
        blocks.extend(
            report
                .groups
                .iter()
                // The service providers' block says the same, with the certificate.
                .filter(|g| !report.sp_actions.iter().any(|a| a.group == g.name))
                .filter_map(|g| trust_warning(&report, g, plan, ctx)),
        );
    }
    blocks.extend(report.sp_actions.iter().map(SpActionView::markdown));
    if !report.warnings.is_empty() {
        let mut list = String::from("### Warnings\n\n");
        for warning in &report.warnings {
            list.push_str(&format!("- ⚠️ {}\n", escape(warning.message())));
        }
        blocks.push(list);
    }
    let diffs: Vec<String> = report
        .steps
        .iter()
        .filter_map(|step| app_diff(step, ctx))
        .collect();
    if !diffs.is_empty() {
        blocks.push("### Changes to apps".to_owned());
        blocks.extend(diffs);
    }
    split(&marker(command), blocks, limit)
}

/// The hidden marker a CI job looks for: `<!-- keyshare:plan -->`.
fn marker(command: Command) -> String {
    let name = match command {
        Command::Plan => "plan",
        Command::Drift => "drift",
        Command::Apply => "apply",
    };
    format!("<!-- keyshare:{name} -->")
}

fn title(report: &Report) -> String {
    let (icon, command, result) = match (report.command, report.in_sync) {
        (Command::Plan, true) => ("✅", "plan", "no changes"),
        (Command::Plan, false) => ("📝", "plan", "changes to apply"),
        (Command::Drift, true) => ("✅", "drift", "in sync"),
        (Command::Drift, false) => ("⚠️", "drift", "drift found"),
        (Command::Apply, true) => ("✅", "apply", "nothing to do"),
        (Command::Apply, false) => ("✅", "apply", "applied"),
    };
    format!(
        "## {icon} keyshare {command}: {result}\n\n**{}**",
        report.summary_line()
    )
}

fn summary_table(report: &Report) -> String {
    let mut table = String::from(
        "| Group | Source | Key | Generate | Clone | Switch |\n|---|---|---|--:|--:|--:|\n",
    );
    for group in &report.groups {
        let count =
            |kind: fn(&StepView) -> bool| report.steps_of(&group.name).filter(|s| kind(s)).count();
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            escape(&group.name),
            app(&group.source),
            key(&group.key),
            count(|s| matches!(s, StepView::Generate { .. })),
            count(|s| matches!(s, StepView::Clone { .. })),
            count(|s| matches!(s, StepView::Switch { .. })),
        ));
    }
    table
}

fn group_steps(report: &Report, group: &GroupView) -> String {
    let mut out = format!("**{}**", escape(&group.name));
    if let Some(rotation) = &group.rotation {
        out.push_str(&format!(
            ": new group key because {}",
            escape(&rotation.message)
        ));
    }
    out.push_str("\n\n");
    if let Some(staging) = &group.staging {
        out.push_str(&format!("🗓️ {}\n\n", escape(&staging.message)));
    }
    for step in report.steps_of(&group.name) {
        let line = match step {
            StepView::Generate {
                app: on,
                validity_years,
                ..
            } => format!(
                "➕ generate key on {}, valid {validity_years} years",
                app(on)
            ),
            StepView::Clone {
                key: k, from, to, ..
            } => {
                format!("➕ clone key {} from {} to {}", key(k), app(from), app(to))
            }
            StepView::Switch {
                app: on,
                from_kid,
                to,
                ..
            } => format!(
                "🔁 switch {}: {} → {}",
                app(on),
                from_kid.as_deref().map_or("*(no key)*".to_owned(), code),
                key(to)
            ),
        };
        out.push_str(&format!("- {line}\n"));
    }
    out
}

/// A warning naming the ACTIVE apps of a group that will switch keys, with the certificate
/// their service providers must trust.
fn trust_warning(
    report: &Report,
    group: &GroupView,
    plan: &Plan,
    ctx: &RenderContext<'_>,
) -> Option<String> {
    let active: Vec<String> = report
        .steps_of(&group.name)
        .filter_map(|step| match step {
            StepView::Switch { app: on, .. } if on.is_active() => Some(app(on)),
            _ => None,
        })
        .collect();
    if active.is_empty() {
        return None;
    }
    let mut out = format!(
        "> [!WARNING]\n> **Group {}: {} will sign with a new key.** Each service provider must trust the key's certificate, or sign-ins through the app fail after the switch.\n",
        escape(&group.name),
        active.join(", ")
    );
    let key_ref = plan
        .groups
        .iter()
        .find(|g| g.name == group.name)
        .map(|g| &g.key);
    let certificate = match key_ref {
        Some(KeyRef::Existing(kid)) => ctx
            .snapshot
            .key(kid)
            .and_then(|facts| Certificate::from_base64(facts.certificate_der_base64()?)),
        _ => None,
    };
    match (key_ref, certificate) {
        (Some(KeyRef::Generated { .. }), _) => out.push_str(
            "> The key is generated by this apply, so its certificate is known only afterwards: `keyshare keys` shows it.\n",
        ),
        (_, Some(cert)) => {
            out.push_str(&format!(
                "> SHA-256 fingerprint: `{}`\n\n<details><summary>Certificate of <code>{}</code> (PEM)</summary>\n\n```\n{}```\n\n</details>\n",
                cert.sha256_fingerprint(),
                html(&group.key.to_string()),
                cert.pem()
            ));
        }
        (_, None) => out.push_str(
            "> Its certificate was not among the keys read for this plan: `keyshare keys` shows it.\n",
        ),
    }
    Some(out)
}

/// A collapsed unified diff of the app's JSON before and after a switch.
fn app_diff(step: &StepView, ctx: &RenderContext<'_>) -> Option<String> {
    let StepView::Switch { app: on, to, .. } = step else {
        return None;
    };
    let application = ctx.snapshot.apps.get(&crate::okta::AppId(on.id.clone()))?;
    // JSON escapes only C0 controls; the rest of what acts on the display is escaped per line.
    let diff: String = json_diff(application, to)
        .lines()
        .map(|line| format!("{}\n", terminal(line)))
        .collect();
    let fence = fence_for(&diff);
    Some(format!(
        "<details><summary>{}: <code>credentials.signing.kid</code></summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>",
        app_html(on)
    ))
}

fn json_diff(application: &Application, to: &KeyView) -> String {
    let kid = Kid(to.to_string());
    let before = pretty(&Value::Object(application.json()));
    let after = pretty(&Value::Object(application.with_signing_kid(&kid)));
    TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{} (now)", application.id),
            &format!("{} (after apply)", application.id),
        )
        .to_string()
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values always serialize");
    text.push('\n');
    text
}

/// A code fence longer than any run of backticks in `content`.
fn fence_for(content: &str) -> String {
    let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// `App 2 (`0oa…`)`, with the label escaped.
pub(super) fn app(view: &AppView) -> String {
    match &view.label {
        Some(label) => format!("{} ({})", escape(label), code(&view.id)),
        None => code(&view.id),
    }
}

/// The same for HTML (a `<summary>`), where Markdown is not read.
fn app_html(view: &AppView) -> String {
    match &view.label {
        Some(label) => format!("{} (<code>{}</code>)", html(label), html(&view.id)),
        None => format!("<code>{}</code>", html(&view.id)),
    }
}

pub(super) fn html(text: &str) -> String {
    terminal(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn key(view: &KeyView) -> String {
    view.kid
        .as_deref()
        .map_or("*(known after apply)*".to_owned(), code)
}

pub(super) fn code(text: &str) -> String {
    format!("`{}`", terminal(text).replace('`', "'"))
}

/// Escapes what Markdown or HTML would read as markup in text from Okta or the config.
pub(super) fn escape(text: &str) -> String {
    let text = terminal(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_and_fences() {
        assert_eq!(escape("A|B <x> *y*"), "A\\|B &lt;x&gt; \\*y\\*");
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
