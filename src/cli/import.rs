//! `keyshare import --out DIR [--app ID…]`: desired-state YAML from the live org, so that a
//! team can adopt keyshare without retyping. Apps that already sign with one shared kid become
//! one group; an app that signs with a key of its own shares nothing and is left out. The
//! files written plan to no changes. Only reads from Okta; never overwrites a file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::Timestamp;

use super::ExitStatus;
use super::okta_args::OktaArgs;
use super::printer::Printer;
use crate::config::emit::{AppEntry, GroupDocument, Origin, group_yaml};
use crate::escape::terminal;
use crate::okta::http::HttpClient;
use crate::okta::{AppId, AppStatus, Application, JsonWebKey, Kid};
use crate::reconcile::observe;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The directory to write one YAML file per group into; created when missing. Existing
    /// files are never overwritten.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Consider only this app (repeat the flag for several); default: every app in the org.
    #[arg(long = "app", value_name = "ID")]
    apps: Vec<String>,
    #[command(flatten)]
    okta: OktaArgs,
}

/// Apps that sign with one kid: the future group.
struct Shared {
    kid: Kid,
    source: Application,
    members: Vec<Application>,
}

pub async fn run(args: ImportArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let client = HttpClient::new(args.okta.to_settings()?)?;
    let apps = read_apps(&client, &args.apps).await?;
    let (groups, alone) = shared_groups(apps);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the directory {}", args.out.display()))?;
    let mut names = BTreeSet::new();
    let mut written = Vec::new();
    for group in &groups {
        let key = observe::key(&client, &group.source.id, &group.kid)
            .await
            .with_context(|| format!("cannot read key {} of {}", group.kid, group.source.id))?;
        let name = unique_name(&slug(&group.source.label), &mut names);
        let path = args.out.join(format!("{name}.yaml"));
        let yaml = group_yaml(&document(&name, group, &key, client.org_url().as_str()));
        write_new(&path, &yaml)?;
        written.push((path, group));
    }
    for (path, group) in &written {
        let line = format!(
            "Wrote {}: {} ({}) and {} member(s) sharing key {}.",
            path.display(),
            group.source.label,
            group.source.id,
            group.members.len(),
            group.kid
        );
        printer.result_line(terminal(&line))?;
    }
    printer.result_line(format_args!(
        "Imported {} group(s) into {}; {alone} app(s) sign with a key no other app holds and were left out.\nCheck with: keyshare plan {} (expect no changes).",
        written.len(),
        args.out.display(),
        args.out.display()
    ))?;
    Ok(ExitStatus::Success)
}

/// The apps named by `--app`, or every app in the org.
async fn read_apps(client: &HttpClient, ids: &[String]) -> anyhow::Result<Vec<Application>> {
    if ids.is_empty() {
        return observe::org_apps(client)
            .await
            .with_context(|| format!("cannot list the apps of {}", client.org_url()));
    }
    let mut apps = Vec::new();
    for id in ids {
        let id = AppId(id.clone());
        match observe::app(client, &id).await {
            Ok(app) => apps.push(app),
            Err(e) if e.is_not_found() => {
                bail!(
                    "--app {id}: no such app in {}; check the id",
                    client.org_url()
                )
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read app {id}")),
        }
    }
    Ok(apps)
}

/// Groups apps by the kid they sign with; only kids shared by two or more apps make a group.
/// Returns the groups and how many signing apps were left out.
fn shared_groups(apps: Vec<Application>) -> (Vec<Shared>, usize) {
    let mut by_kid: BTreeMap<Kid, Vec<Application>> = BTreeMap::new();
    for app in apps {
        // An app keyshare could not plan for would make the imported files fail to plan.
        if !app.is_signing_app() || app.problem().is_some() {
            tracing::debug!(app = %app.id, mode = app.sign_on_mode_text(), problem = ?app.problem(), "not a signing app; not imported");
            continue;
        }
        if let Some(kid) = app.signing_kid.clone() {
            by_kid.entry(kid).or_default().push(app);
        }
    }
    let mut alone = 0;
    let mut groups = Vec::new();
    for (kid, mut apps) in by_kid {
        if apps.len() < 2 {
            alone += apps.len();
            continue;
        }
        // An ACTIVE app is the natural home of the key; ties go by label, then id.
        apps.sort_by(|a, b| {
            (a.status != Some(AppStatus::Active), &a.label, &a.id).cmp(&(
                b.status != Some(AppStatus::Active),
                &b.label,
                &b.id,
            ))
        });
        let source = apps.remove(0);
        groups.push(Shared {
            kid,
            source,
            members: apps,
        });
    }
    (groups, alone)
}

/// A group name from a label: lower case letters, digits and dashes.
fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        "group".to_owned()
    } else {
        out.to_owned()
    }
}

/// `base`, or `base-2`, `base-3`… when taken.
fn unique_name(base: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = base.to_owned();
    let mut n = 1;
    while taken.contains(&name) {
        n += 1;
        name = format!("{base}-{n}");
    }
    taken.insert(name.clone());
    name
}

/// The key's lifetime in whole years, within Okta's 2..=10.
fn validity_years(key: &JsonWebKey) -> u8 {
    let days = key.expires_at.duration_since(key.created).as_hours() / 24;
    let years = (days as f64 / 365.25).round();
    years.clamp(2.0, 10.0) as u8
}

/// The group as `config::emit` writes it, read now from `org`.
fn document(name: &str, group: &Shared, key: &JsonWebKey, org: &str) -> GroupDocument {
    let entry = |app: &Application| AppEntry {
        id: app.id.0.clone(),
        label: app.label.clone(),
    };
    GroupDocument {
        name: name.to_owned(),
        source: entry(&group.source),
        members: group.members.iter().map(entry).collect(),
        validity_years: validity_years(key),
        origin: Origin {
            org: org.to_owned(),
            read_at: Timestamp::now(),
            kid: group.kid.0.clone(),
            key_expires_at: key.expires_at,
        },
    }
}

/// Writes a file that must not exist yet.
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    crate::fsio::create_new(path, text.as_bytes()).with_context(|| {
        format!(
            "cannot create {} (an existing file is never overwritten; remove it or choose another --out)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_labels() {
        let mut taken = BTreeSet::new();
        let table = [
            ("Finance (EU)", "finance-eu"),
            ("Finance EU", "finance-eu-2"),
            ("***", "group"),
        ];
        for (label, expected) in table {
            assert_eq!(unique_name(&slug(label), &mut taken), expected, "{label}");
        }
    }
}
