//! `keyshare metadata [DIR] --out OUTDIR`: for each managed SAML app, the IdP metadata that a
//! service provider accepting two certificates can import ahead of a staged switch (see
//! docs/rotation.md): Okta's metadata for the app with a signing `KeyDescriptor` for the
//! active certificate and one for the staged certificate, read through Okta's `?kid=` preview.
//! Beside it, the staged certificate as PEM and an index per app (JSON and Markdown): label,
//! fingerprints and switch date.
//!
//! Only reads Okta, and writes only the files it names under OUTDIR. It never edits Okta's
//! document beyond adding the second `KeyDescriptor`, so that what an SP imports is what Okta
//! publishes, plus the next certificate.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::Timestamp;
use serde::Serialize;

use super::okta_args::OktaArgs;
use super::printer::Printer;
use super::session::{Reads, load};
use super::{ExitStatus, clock};
use crate::cert::Certificate;
use crate::okta::http::HttpClient;
use crate::okta::{AppId, Application, Kid};
use crate::plan::{GroupPlan, LiveSnapshot, Phase};
use crate::reconcile::observe;
use crate::render::escape::terminal;
use crate::render::metadata::with_staged_key;

/// The version of the index files' JSON.
const INDEX_VERSION: u32 = 1;

#[derive(Debug, clap::Args)]
pub struct MetadataArgs {
    /// The directory of desired-state YAML files.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write, created if missing: per app `<id>.xml`, `<id>.staged.pem` (when a key
    /// is staged), `<id>.json` and `<id>.md`; files of those names are replaced.
    #[arg(long, value_name = "OUTDIR")]
    out: PathBuf,
    #[command(flatten)]
    okta: OktaArgs,
}

pub async fn run(args: MetadataArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let client = HttpClient::new(args.okta.to_settings()?)?;
    let desired = load(&args.dir, printer)?;
    let planned = Reads::fresh()
        .plan(&client, &desired, clock::now()?)
        .await?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the directory {}", args.out.display()))?;
    let mut written = 0;
    for group in &planned.plan.groups {
        for id in std::iter::once(&group.source).chain(&group.members) {
            let Some(app) = planned.live.apps.get(id) else {
                continue;
            };
            if !app.sign_on_mode_text().starts_with("SAML") {
                printer.notice_line(format_args!(
                    "{} ({}) is {}: Okta publishes no SAML metadata for it; skipped",
                    terminal(&app.label),
                    app.id,
                    terminal(app.sign_on_mode_text())
                ));
                continue;
            }
            let files = app_files(&client, &planned.live, group, app).await?;
            files.write(&args.out, id)?;
            written += 1;
        }
    }
    printer.result_line(format_args!(
        "Wrote the metadata of {written} app(s) to {}.",
        args.out.display()
    ))?;
    Ok(ExitStatus::Success)
}

/// What is written for one app.
struct AppFiles {
    xml: String,
    staged_pem: Option<String>,
    index: Index,
}

/// The per-app index, as JSON (`<id>.json`) and Markdown (`<id>.md`).
#[derive(Debug, Serialize)]
struct Index {
    format_version: u32,
    id: String,
    label: String,
    group: String,
    /// The metadata file, with every certificate the SP should trust.
    metadata_file: String,
    active: Option<KeyIndex>,
    staged: Option<KeyIndex>,
    /// When the apps switch to the staged key: the date by which the SP must trust it.
    switch_at: Option<Timestamp>,
}

#[derive(Debug, Serialize)]
struct KeyIndex {
    kid: String,
    sha256: String,
    sha1: String,
}

impl KeyIndex {
    fn of(kid: &Kid, cert: &Certificate) -> Self {
        Self {
            kid: kid.0.clone(),
            sha256: cert.sha256_fingerprint(),
            sha1: cert.sha1_fingerprint(),
        }
    }
}

/// Reads the app's metadata (and the staged key's preview) and builds its files.
async fn app_files(
    client: &HttpClient,
    live: &LiveSnapshot,
    group: &GroupPlan,
    app: &Application,
) -> anyhow::Result<AppFiles> {
    let name = format!("{} ({})", app.label, app.id);
    let certificate = |kid: &Kid| {
        live.key(kid)
            .and_then(|facts| Certificate::from_base64(facts.certificate_der_base64()?))
    };
    let published = observe::saml_metadata(client, &app.id, None)
        .await
        .with_context(|| format!("cannot read the SAML metadata of {name}"))?;
    let active = app
        .signing_kid
        .as_ref()
        .and_then(|kid| Some(KeyIndex::of(kid, &certificate(kid)?)));
    let staged = group.phase.as_ref().and_then(Phase::staged_kid);
    let (xml, staged_pem, staged_index) = match staged {
        Some(kid) => {
            let preview = observe::saml_metadata(client, &app.id, Some(kid))
                .await
                .with_context(|| {
                    format!("cannot read Okta's metadata preview of key {kid} for {name}")
                })?;
            let Some(cert) = certificate(kid) else {
                bail!(
                    "the certificate of staged key {kid} is unknown; run keyshare keys to check that {name} holds it"
                );
            };
            let xml = with_staged_key(&published, &preview, &cert)
                .with_context(|| format!("cannot add key {kid} to the metadata of {name}"))?;
            (xml, Some(cert.pem()), Some(KeyIndex::of(kid, &cert)))
        }
        None => (published, None, None),
    };
    Ok(AppFiles {
        xml,
        staged_pem,
        index: Index {
            format_version: INDEX_VERSION,
            id: app.id.0.clone(),
            label: app.label.clone(),
            group: group.name.clone(),
            metadata_file: format!("{}.xml", app.id),
            active,
            staged: staged_index,
            switch_at: switch_at(group.phase.as_ref()),
        },
    })
}

/// The staged key's switch date, when the group has one.
fn switch_at(phase: Option<&Phase>) -> Option<Timestamp> {
    match phase? {
        Phase::StagingDue { switch_at, .. }
        | Phase::Staged { switch_at, .. }
        | Phase::SwitchDue { switch_at, .. } => Some(*switch_at),
        Phase::InSync | Phase::Overdue { .. } => None,
    }
}

impl AppFiles {
    fn write(&self, dir: &Path, id: &AppId) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(&self.index)
            .expect("an index holds only strings and timestamps")
            + "\n";
        write(&dir.join(format!("{id}.xml")), &self.xml)?;
        write(&dir.join(format!("{id}.json")), &json)?;
        write(&dir.join(format!("{id}.md")), &self.index.markdown())?;
        if let Some(pem) = &self.staged_pem {
            write(&dir.join(format!("{id}.staged.pem")), pem)?;
        }
        Ok(())
    }
}

impl Index {
    /// The index for the SP's owner: what to trust, by when, and which file to import.
    fn markdown(&self) -> String {
        let mut out = format!(
            "# {} (`{}`), group {}\n\n| key | kid | SHA-256 | SHA-1 |\n|---|---|---|---|\n",
            self.label.replace(['|', '<', '>', '\n'], " "),
            self.id,
            self.group
        );
        for (role, key) in [("active", &self.active), ("staged", &self.staged)] {
            if let Some(key) = key {
                out.push_str(&format!(
                    "| {role} | `{}` | `{}` | `{}` |\n",
                    key.kid, key.sha256, key.sha1
                ));
            }
        }
        out.push('\n');
        match (&self.staged, self.switch_at) {
            (Some(_), Some(at)) => out.push_str(&format!(
                "The app switches to the staged key on **{}**: the service provider must trust its certificate by then. Import `{}` (both certificates) or `{}.staged.pem`.\n",
                at.strftime("%Y-%m-%d"),
                self.metadata_file,
                self.id
            )),
            (Some(_), None) => out.push_str(&format!(
                "The switch to the staged key is overdue: the service provider must trust its certificate now. Import `{}` (both certificates) or `{}.staged.pem`.\n",
                self.metadata_file, self.id
            )),
            (None, _) => out.push_str(&format!(
                "No key is staged: `{}` is the app's metadata as Okta publishes it.\n",
                self.metadata_file
            )),
        }
        out
    }
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    crate::fsio::replace_owner_only(path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
