//! Markdown for a pull-request comment, in the Atlantis/tfcmt style: a title with the result,
//! a summary table, the steps by group, a warning for every ACTIVE app that switches keys (its
//! service provider must trust the new certificate), the plan's warnings, and a collapsed
//! unified diff of each app's JSON.
//!
//! Every comment starts with a hidden `<!-- keyshare:<command> -->` marker so that a CI job can
//! find and update its own sticky comment, then a line naming the org, commit, CI run and
//! keyshare version when the caller knows them ([`CommentHeader`]).
//!
//! The layout is chosen by size so that a plan fits one comment whenever it can: the full
//! layout; else each group collapsed to one line per app, with the key's full kid and
//! fingerprint but no certificate or diff (`keyshare plan` and `keyshare keys` show those).
//! Only when even that is too long is the plan split into several comments, between sections,
//! never inside one, each group collapsed in a `<details>` that keeps its certificate and
//! diffs: the parts hold everything, and a reader opens only the groups they care about.

use std::fmt::Write as _;

use serde_json::Value;
use similar::TextDiff;

use super::comments::{CommentHeader, split};
use super::view::{AppView, GroupView, KeyView, Report, SpActionView, StepView};
use super::{Command, RenderContext};
use crate::cert::Certificate;
use crate::escape::terminal;
use crate::okta::{Application, Kid};
use crate::plan::Plan;

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
    render_comments(plan, ctx, command, &CommentHeader::default(), limit)
}

/// Like [`render_with_limit`], with a header line saying where the plan comes from.
pub fn render_comments(
    plan: &Plan,
    ctx: &RenderContext<'_>,
    command: Command,
    header: &CommentHeader,
    limit: usize,
) -> Vec<String> {
    let report = Report::new(plan, ctx, command);
    let page = Page {
        report: &report,
        ctx,
        header,
    };
    let marker = marker(command);
    for layout in [Layout::Full, Layout::Compact] {
        let comments = split(&marker, page.blocks(layout), header, limit);
        if comments.len() == 1 {
            return comments;
        }
    }
    split(&marker, page.blocks(Layout::Collapsed), header, limit)
}

/// How the steps of each group are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Steps as lists, the service providers' blocks, diffs in a section of their own.
    Full,
    /// One `<details>` per group that changes, with its steps, certificate (PEM) and diffs.
    Collapsed,
    /// One `<details>` per group that changes, with one line per app and the key's
    /// fingerprint.
    Compact,
}

/// Everything a layout is rendered from.
struct Page<'a> {
    report: &'a Report,
    ctx: &'a RenderContext<'a>,
    header: &'a CommentHeader,
}

impl Page<'_> {
    fn blocks(&self, layout: Layout) -> Vec<String> {
        let report = self.report;
        let mut first = title(report);
        if let Some(line) = self.header.line() {
            first.push_str("\n\n");
            first.push_str(&line);
        }
        match layout {
            Layout::Full => {}
            Layout::Collapsed => first.push_str(
                "\n\n*Each group is collapsed: open one for its steps, certificate and diffs.*",
            ),
            Layout::Compact => first.push_str(
                "\n\n*Each group is collapsed to one line per app, without certificates and JSON diffs, to keep this plan in one comment: `keyshare plan` shows them, and `keyshare keys` each certificate.*",
            ),
        }
        let mut blocks = vec![first];
        if !report.groups.is_empty() {
            blocks.push(summary_table(report));
        }
        if !report.in_sync {
            blocks.push("### Steps".to_owned());
            match layout {
                Layout::Full => {
                    blocks.extend(
                        report
                            .groups
                            .iter()
                            .filter(|g| !g.in_sync)
                            .map(|g| group_steps(report, g, code)),
                    );
                }
                Layout::Collapsed | Layout::Compact => {
                    let switching = report
                        .groups
                        .iter()
                        .filter(|g| active_switches(report, g).next().is_some())
                        .count();
                    if switching > 0 {
                        blocks.push(format!(
                            "> [!WARNING]\n> **ACTIVE apps of {switching} group(s) will sign with a new key.** Each service provider must trust the key's certificate, or sign-ins through the app fail after the switch: each group below names them and the fingerprint of its certificate."
                        ));
                    }
                    blocks.extend(report.groups.iter().filter(|g| !g.in_sync).map(
                        |g| match layout {
                            Layout::Compact => self.compact_group(g),
                            _ => self.collapsed_group(g),
                        },
                    ));
                }
            }
        }
        match layout {
            Layout::Full => blocks.extend(report.sp_actions.iter().map(sp_action)),
            // Inside each group's `<details>`, with its certificate.
            Layout::Collapsed => {}
            // The groups' lines mark every switching ACTIVE app under one warning; only a staged
            // key's trust-by date would be lost, so staging groups keep one line each (the PEMs
            // would not fit: `keyshare keys --pem` prints them).
            Layout::Compact => {
                let staging: Vec<_> = report
                    .sp_actions
                    .iter()
                    .filter(|action| action.trust_by.is_some())
                    .collect();
                if !staging.is_empty() {
                    let mut list = String::from("### 🔑 Service providers\n\n");
                    for action in staging {
                        list.push_str(&format!("- [ ] {}\n", escape(&action.text())));
                    }
                    blocks.push(list);
                }
            }
        }
        if !report.warnings.is_empty() {
            let mut list = String::from("### Warnings\n\n");
            for warning in &report.warnings {
                list.push_str(&format!("- ⚠️ {}\n", escape(warning.message())));
            }
            blocks.push(list);
        }
        if layout == Layout::Full {
            let diffs: Vec<String> = report
                .steps
                .iter()
                .filter_map(|step| app_diff(step, self.ctx))
                .collect();
            if !diffs.is_empty() {
                blocks.push("### Changes to apps".to_owned());
                blocks.extend(diffs);
            }
        }
        blocks
    }

    /// One group in a `<details>`: its full kid, its steps with short kids, its service
    /// providers' block with the certificate, and the diffs.
    fn collapsed_group(&self, group: &GroupView) -> String {
        let report = self.report;
        let mut out = self.group_summary(group);
        out.push_str(&group_steps(report, group, short_kid));
        if let Some(action) = report.sp_actions.iter().find(|a| a.group == group.name) {
            out.push('\n');
            out.push_str(&sp_action(action));
        }
        for diff in report
            .steps_of(&group.name)
            .filter_map(|step| app_diff(step, self.ctx))
        {
            out.push('\n');
            out.push_str(&diff);
            out.push('\n');
        }
        out.push_str("\n</details>");
        out
    }

    /// One group in a `<details>`: its full kid and fingerprint, then one line per app with
    /// what happens to it, an ACTIVE app that switches marked ⚠️.
    fn compact_group(&self, group: &GroupView) -> String {
        let report = self.report;
        let mut out = self.group_summary(group);
        if let Some(fingerprint) = self.fingerprint(group) {
            out.push_str(&format!("SHA-256 fingerprint: `{fingerprint}`\n\n"));
        }
        let mut apps: Vec<(&AppView, Vec<String>)> = Vec::new();
        for step in report.steps_of(&group.name) {
            let (on, what) = match step {
                StepView::Generate {
                    app: on,
                    validity_years,
                    ..
                } => (on, format!("➕ generate ({validity_years} years)")),
                StepView::Clone { to, .. } => (to, "➕ clone".to_owned()),
                StepView::Switch {
                    app: on, from_kid, ..
                } => {
                    let from = from_kid
                        .as_deref()
                        .map_or("*(no key)*".to_owned(), short_kid);
                    let mark = if on.is_active() { " ⚠️" } else { "" };
                    (on, format!("🔁 switch from {from}{mark}"))
                }
            };
            match apps.iter_mut().find(|(seen, _)| seen.id == on.id) {
                Some((_, whats)) => whats.push(what),
                None => apps.push((on, vec![what])),
            }
        }
        for (on, whats) in apps {
            out.push_str(&format!("- {}: {}\n", app(on), whats.join(", ")));
        }
        out.push_str("\n</details>");
        out
    }

    /// The opening of a group's `<details>`: its name, how many steps, its full kid.
    fn group_summary(&self, group: &GroupView) -> String {
        let steps = self.report.steps_of(&group.name).count();
        let mut out = format!(
            "<details><summary><b>{}</b>: {steps} step{}</summary>\n\nKey: {}",
            html(&group.name),
            if steps == 1 { "" } else { "s" },
            key(&group.key),
        );
        if let Some(rotation) = &group.rotation {
            out.push_str(&format!(", new because {}", escape(&rotation.message)));
        }
        out.push_str("\n\n");
        out
    }

    /// The SHA-256 fingerprint of the certificate of `group`'s existing key, when read.
    fn fingerprint(&self, group: &GroupView) -> Option<String> {
        let kid = group.key.kid.as_deref()?;
        let facts = self.ctx.snapshot.key(&Kid(kid.to_owned()))?;
        Some(Certificate::from_base64(facts.certificate_der_base64()?)?.sha256_fingerprint())
    }
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
            short_key(&group.key),
            count(|s| matches!(s, StepView::Generate { .. })),
            count(|s| matches!(s, StepView::Clone { .. })),
            count(|s| matches!(s, StepView::Switch { .. })),
        ));
    }
    table
}

/// The steps of `group` as a list, with kids written by `kid`.
fn group_steps(report: &Report, group: &GroupView, kid: fn(&str) -> String) -> String {
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
                format!(
                    "➕ clone key {} from {} to {}",
                    key_as(k, kid),
                    app(from),
                    app(to)
                )
            }
            StepView::Switch {
                app: on,
                from_kid,
                to,
                ..
            } => format!(
                "🔁 switch {}: {} → {}",
                app(on),
                from_kid.as_deref().map_or("*(no key)*".to_owned(), kid),
                key_as(to, kid)
            ),
        };
        out.push_str(&format!("- {line}\n"));
    }
    out
}

/// The ACTIVE apps of `group` that switch keys.
fn active_switches<'a>(
    report: &'a Report,
    group: &'a GroupView,
) -> impl Iterator<Item = &'a AppView> {
    report.steps_of(&group.name).filter_map(|step| match step {
        StepView::Switch { app: on, .. } if on.is_active() => Some(on),
        _ => None,
    })
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
    key_as(view, code)
}

/// [`short_kid`] for a table that must fit GitHub's comment width.
fn short_key(view: &KeyView) -> String {
    key_as(view, short_kid)
}

fn key_as(view: &KeyView, kid: fn(&str) -> String) -> String {
    view.kid
        .as_deref()
        .map_or("*(known after apply)*".to_owned(), kid)
}

/// The first 8 characters of a kid: enough to tell a plan's keys apart, short enough that a
/// table and a step line fit GitHub's comment width. The full kid is always shown once per
/// group.
fn short_kid(kid: &str) -> String {
    const SHORT_KID_CHARS: usize = 8;
    if kid.chars().count() <= SHORT_KID_CHARS {
        return code(kid);
    }
    let short: String = kid.chars().take(SHORT_KID_CHARS).collect();
    format!("{}…", code(&short))
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

/// The service providers' block of a pull-request comment: a checkbox per app, then the
/// certificate.
fn sp_action(action: &SpActionView) -> String {
    let deadline = action.deadline();
    let mut out = format!(
        "### 🔑 Service providers: trust key {} of group {} {deadline}\n\n",
        key(&action.key),
        escape(&action.group)
    );
    if action.trust_by.is_none() {
        out.push_str("> [!WARNING]\n> These apps sign with this key once the plan is applied: sign-ins through an app whose service provider does not trust its certificate fail from then on.\n\n");
    }
    match &action.certificate {
        Some(cert) => {
            let _ = writeln!(
                out,
                "Certificate: SHA-256 {} · SHA-1 {}\n",
                code(&cert.sha256),
                code(&cert.sha1)
            );
        }
        None => out.push_str("Certificate: known after apply\n\n"),
    }
    out.push_str("Send each service provider's admin the certificate below (or the app's IdP metadata from `keyshare metadata`); tick the app once it trusts it.\n\n");
    // The fingerprints are the same for every app: said once above, so that a large
    // plan's comment keeps one short line per app.
    for view in &action.apps {
        let _ = writeln!(out, "- [ ] {} — trust **{deadline}**", app(view));
    }
    match &action.certificate {
        Some(cert) => {
            let _ = write!(
                out,
                "\n<details><summary>Certificate of key <code>{}</code> (PEM)</summary>\n\n```\n{}```\n\n</details>\n",
                html(action.key.kid.as_deref().unwrap_or_default()),
                cert.pem
            );
        }
        None => out.push_str(
            "\nThe key is generated by this apply: once it ran, `keyshare keys --pem` prints its certificate and the next plan lists it here.\n",
        ),
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
