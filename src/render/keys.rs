//! The key inventory of `keyshare keys`: every app's keys, which one it signs with, when each
//! expires, and which other apps hold the same key. One [`KeysReport`] renders as text, JSON
//! (its serde form, documented in docs/json-output.md) or a Markdown table.
//!
//! Pure, like the plan renderers: no I/O, and the caller passes `now`. Shows kids and public
//! certificate fingerprints only.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use super::FORMAT_VERSION;
use super::calls::ApiCalls;
use super::markdown::escape;
use crate::cert::Certificate;
use crate::escape::terminal;
use crate::okta::{Application, JsonWebKey, Kid};

/// One app as the inventory reads it: the app, its key list, and its group, if managed.
#[derive(Debug, Clone)]
pub struct InventoryApp {
    pub app: Application,
    pub keys: Vec<JsonWebKey>,
    pub group: Option<String>,
    /// Why the key list could not be read, for an app the desired state does not name (a
    /// managed app's odd list is an error, not a line of the inventory).
    pub keys_unreadable: Option<String>,
    /// The key the app's group has staged for its next switch (`stageBefore`), if any.
    pub staged: Option<Kid>,
}

/// What `keyshare keys` reports.
#[derive(Debug, Clone, Serialize)]
pub struct KeysReport {
    pub format_version: u32,
    /// Always `keys`.
    pub command: &'static str,
    /// `managed` (apps of the desired state) or `all` (every app with a signing key).
    pub scope: &'static str,
    pub apps: Vec<AppKeys>,
    /// With `--all`: the org's other apps, which sign with no shareable key, counted by
    /// sign-on mode (`null` for directory integrations, which have none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub not_signing_apps: BTreeMap<String, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_calls: Option<ApiCalls>,
}

/// One app and its keys.
#[derive(Debug, Clone, Serialize)]
pub struct AppKeys {
    pub id: String,
    pub label: String,
    pub status: String,
    pub sign_on_mode: String,
    /// The desired-state group the app belongs to, if any.
    pub group: Option<String>,
    /// `credentials.signing.kid`.
    pub signing_kid: Option<String>,
    pub keys: Vec<KeyEntry>,
    /// Why the key list could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_unreadable: Option<String>,
}

/// One key of an app.
#[derive(Debug, Clone, Serialize)]
pub struct KeyEntry {
    pub kid: String,
    /// True for the key the app signs with.
    pub active: bool,
    /// This app's copy's date: when the key was generated on the app or cloned to it (each
    /// app holding a shared kid dates its own copy).
    pub created: Timestamp,
    pub expires_at: Timestamp,
    /// Whole days from the report's `now` to expiry; negative once expired.
    pub expires_in_days: i64,
    /// `active` (the app signs with it), `staged` (its group's next key), `previous` (the
    /// latest key to expire before the active one: the one to pin for a rollback) or `other`.
    pub role: &'static str,
    /// SHA-256 fingerprint of the certificate, `AB:CD:…`.
    pub sha256_fingerprint: Option<String>,
    /// SHA-1 fingerprint of the certificate, `AB:CD:…`, which older SP consoles show.
    pub sha1_fingerprint: Option<String>,
    /// The certificate's subject, e.g. `CN=myorg, O=Okta, …`.
    pub subject: Option<String>,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
    /// The certificate as PEM, with `--pem` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pem: Option<String>,
    /// Other apps of the inventory holding the same kid, as `Label (id)`.
    pub shared_with: Vec<String>,
}

impl KeysReport {
    /// The inventory of `apps` at `now`, sorted by label then id; `pem` adds each certificate.
    pub fn new(scope: &'static str, apps: &[InventoryApp], now: Timestamp, pem: bool) -> Self {
        let mut holders: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for entry in apps {
            for key in &entry.keys {
                holders
                    .entry(key.kid.0.as_str())
                    .or_default()
                    .push(named(&entry.app));
            }
        }
        let mut views: Vec<AppKeys> = apps
            .iter()
            .map(|entry| app_keys(entry, &holders, now, pem))
            .collect();
        views.sort_by(|a, b| (&a.label, &a.id).cmp(&(&b.label, &b.id)));
        Self {
            format_version: FORMAT_VERSION,
            command: "keys",
            scope,
            apps: views,
            not_signing_apps: BTreeMap::new(),
            api_calls: None,
        }
    }
}

fn named(app: &Application) -> String {
    format!("{} ({})", app.label, app.id)
}

fn app_keys(
    entry: &InventoryApp,
    holders: &BTreeMap<&str, Vec<String>>,
    now: Timestamp,
    pem: bool,
) -> AppKeys {
    let app = &entry.app;
    let me = named(app);
    let previous = previous_kid(entry);
    let mut keys: Vec<KeyEntry> = entry
        .keys
        .iter()
        .map(|key| {
            let certificate = Certificate::of(key);
            let details = certificate.as_ref().and_then(Certificate::details);
            let active = app.signing_kid.as_ref() == Some(&key.kid);
            let role = if active {
                "active"
            } else if entry.staged.as_ref() == Some(&key.kid) {
                "staged"
            } else if previous == Some(&key.kid) {
                "previous"
            } else {
                "other"
            };
            KeyEntry {
                kid: key.kid.0.clone(),
                active,
                role,
                created: key.created,
                expires_at: key.expires_at,
                expires_in_days: key
                    .expires_at
                    .duration_since(now)
                    .as_secs()
                    .div_euclid(86_400),
                sha256_fingerprint: certificate.as_ref().map(Certificate::sha256_fingerprint),
                sha1_fingerprint: certificate.as_ref().map(Certificate::sha1_fingerprint),
                subject: details.as_ref().map(|d| d.subject.clone()),
                not_before: details.as_ref().map(|d| d.not_before),
                not_after: details.as_ref().map(|d| d.not_after),
                pem: certificate.as_ref().filter(|_| pem).map(Certificate::pem),
                shared_with: holders
                    .get(key.kid.0.as_str())
                    .into_iter()
                    .flatten()
                    .filter(|holder| **holder != me)
                    .cloned()
                    .collect(),
            }
        })
        .collect();
    keys.sort_by_key(|k| (!k.active, k.created));
    AppKeys {
        id: app.id.0.clone(),
        label: app.label.clone(),
        status: app.status_text().to_owned(),
        sign_on_mode: app.sign_on_mode_text().to_owned(),
        group: entry.group.clone(),
        signing_kid: app.signing_kid.as_ref().map(|k| k.0.clone()),
        keys,
        keys_unreadable: entry.keys_unreadable.clone(),
    }
}

/// The key an app most likely signed with before its active one: of the keys it holds, not
/// staged, the one expiring last before the active key does. It is the kid to pin to roll a
/// switch back (docs/rotation.md).
fn previous_kid(entry: &InventoryApp) -> Option<&Kid> {
    let active = entry
        .keys
        .iter()
        .find(|key| entry.app.signing_kid.as_ref() == Some(&key.kid))?;
    entry
        .keys
        .iter()
        .filter(|key| key.expires_at < active.expires_at)
        .filter(|key| entry.staged.as_ref() != Some(&key.kid))
        .max_by_key(|key| key.expires_at)
        .map(|key| &key.kid)
}

/// The inventory for a terminal: one block per app, `*` marking the key it signs with.
pub fn render_text(report: &KeysReport) -> String {
    let mut out = String::new();
    for app in &report.apps {
        let group = app
            .group
            .as_deref()
            .map_or_else(|| "not managed".to_owned(), |g| format!("group {g}"));
        let line = format!(
            "{} ({}) {} {}, {group}",
            app.label, app.id, app.sign_on_mode, app.status
        );
        let _ = writeln!(out, "{}", terminal(&line));
        if let Some(why) = &app.keys_unreadable {
            let _ = writeln!(out, "  (key list not readable: {})", terminal(why));
        } else if app.keys.is_empty() {
            out.push_str("  (no keys)\n");
        }
        for key in &app.keys {
            let mark = if key.active { "*" } else { " " };
            let mut line = format!(
                "  {mark} {}  expires {} ({})",
                key.kid,
                key.expires_at,
                days(key.expires_in_days)
            );
            if !key.shared_with.is_empty() {
                let _ = write!(line, "  shared with {}", key.shared_with.join(", "));
            }
            let _ = writeln!(out, "{}", terminal(&line));
            write_certificate(&mut out, key);
        }
    }
    let keys: usize = report.apps.iter().map(|a| a.keys.len()).sum();
    let _ = writeln!(
        out,
        "\n{} app(s), {keys} key(s); * marks the key an app signs with.",
        report.apps.len()
    );
    if !report.not_signing_apps.is_empty() {
        let _ = writeln!(
            out,
            "Not signing apps, not shown: {}.",
            terminal(&not_signing(&report.not_signing_apps))
        );
    }
    out
}

/// The key's role and certificate under its line: what an SP admin compares with their
/// console, and the PEM with `--pem`.
fn write_certificate(out: &mut String, key: &KeyEntry) {
    let unknown = || "?".to_owned();
    let _ = writeln!(
        out,
        "      {}; SHA-256 {}; SHA-1 {}",
        key.role,
        key.sha256_fingerprint.clone().unwrap_or_else(unknown),
        key.sha1_fingerprint.clone().unwrap_or_else(unknown)
    );
    if let (Some(subject), Some(from), Some(to)) = (&key.subject, key.not_before, key.not_after) {
        let subject = terminal(subject);
        let _ = writeln!(out, "      subject {subject}; valid {from} to {to}");
    }
    // Unindented, so that it can be copied into a file as it is.
    if let Some(pem) = &key.pem {
        out.push_str(pem);
    }
}

/// `226 OPENID_CONNECT, 14 null`: the counts by mode, largest first.
fn not_signing(counts: &BTreeMap<String, usize>) -> String {
    let mut counts: Vec<_> = counts.iter().collect();
    counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = counts
        .iter()
        .map(|(mode, n)| format!("{n} {mode}"))
        .collect();
    parts.join(", ")
}

/// The inventory as JSON (docs/json-output.md), ending in a newline.
pub fn render_json(report: &KeysReport) -> String {
    let out = serde_json::to_string_pretty(report)
        .expect("a keys report holds only strings, numbers, booleans and timestamps");
    format!("{}\n", crate::escape::json(&out))
}

/// The inventory as a Markdown table, with the `<!-- keyshare:keys -->` marker.
pub fn render_markdown(report: &KeysReport) -> String {
    let mut out = String::from(
        "<!-- keyshare:keys -->\n## 🔑 keyshare keys\n\n| App | Group | Key | Signs with it | Expires | Shared with |\n|---|---|---|:-:|---|---|\n",
    );
    for app in &report.apps {
        for key in &app.keys {
            let _ = writeln!(
                out,
                "| {} (`{}`) | {} | `{}` | {} | {} ({}) | {} |",
                escape(&app.label),
                code_text(&app.id),
                app.group.as_deref().map_or_else(|| "—".to_owned(), escape),
                code_text(&key.kid),
                if key.active { "✅" } else { "" },
                key.expires_at,
                days(key.expires_in_days),
                if key.shared_with.is_empty() {
                    "—".to_owned()
                } else {
                    escape(&key.shared_with.join(", "))
                }
            );
        }
        if let Some(why) = &app.keys_unreadable {
            let _ = writeln!(
                out,
                "| {} (`{}`) | {} | key list not readable: {} | | | |",
                escape(&app.label),
                app.id,
                app.group.as_deref().map_or_else(|| "—".to_owned(), escape),
                escape(why)
            );
        }
    }
    if !report.not_signing_apps.is_empty() {
        let _ = writeln!(
            out,
            "\nNot signing apps, not shown: {}.",
            escape(&not_signing(&report.not_signing_apps))
        );
    }
    out
}

fn days(n: i64) -> String {
    match n {
        n if n < 0 => format!("expired {} days ago", -n),
        1 => "in 1 day".to_owned(),
        n => format!("in {n} days"),
    }
}

/// Text inside a code span of a table cell, which ends at a backtick and at a pipe.
fn code_text(text: &str) -> String {
    terminal(text).replace('`', "'").replace('|', "\\|")
}
