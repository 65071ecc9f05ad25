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
use super::session::{Reads, load};
use super::{ExitStatus, clock};
use crate::cli::console::{diagln, outln};
use crate::okta::http::HttpClient;
use crate::okta::{AppId, Application, Kid, OktaApi};
use crate::plan::{GroupPlan, LiveSnapshot, Phase};
use crate::render::cert::Certificate;
use crate::render::escape::terminal;

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

pub async fn run(args: MetadataArgs) -> anyhow::Result<ExitStatus> {
    let client = HttpClient::new(args.okta.to_settings()?)?;
    let desired = load(&args.dir)?;
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
                diagln!(
                    "{} ({}) is {}: Okta publishes no SAML metadata for it; skipped",
                    terminal(&app.label),
                    app.id,
                    terminal(app.sign_on_mode_text())
                );
                continue;
            }
            let files = app_files(&client, &planned.live, group, app).await?;
            files.write(&args.out, id)?;
            written += 1;
        }
    }
    outln!(
        "Wrote the metadata of {written} app(s) to {}.",
        args.out.display()
    )?;
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
    let published = client
        .saml_metadata(&app.id, None)
        .await
        .with_context(|| format!("cannot read the SAML metadata of {name}"))?;
    let active = app
        .signing_kid
        .as_ref()
        .and_then(|kid| Some(KeyIndex::of(kid, &certificate(kid)?)));
    let staged = group.phase.as_ref().and_then(Phase::staged_kid);
    let (xml, staged_pem, staged_index) = match staged {
        Some(kid) => {
            let preview = client
                .saml_metadata(&app.id, Some(kid))
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

/// What is wrong with Okta's metadata for adding a second signing key to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error(
        "Okta's {which} has no <KeyDescriptor use=\"signing\"> with a certificate; check the app's SAML settings in the Admin Console"
    )]
    NoSigningKey { which: &'static str },
    #[error(
        "Okta's preview carries the certificate {got}, not the staged key's {expected}; Okta may not preview inactive keys for this app: hand the service provider the PEM from keyshare keys --pem instead"
    )]
    WrongCertificate { got: String, expected: String },
}

/// `published` with the signing `KeyDescriptor` of `preview` added after its own: the metadata
/// of both the active and the staged certificate. The preview must carry `staged`.
fn with_staged_key(
    published: &str,
    preview: &str,
    staged: &Certificate,
) -> Result<String, MergeError> {
    let own =
        signing_descriptor(published).ok_or(MergeError::NoSigningKey { which: "metadata" })?;
    let next = signing_descriptor(preview).ok_or(MergeError::NoSigningKey {
        which: "metadata preview",
    })?;
    let descriptor = &preview[next];
    let carried = certificate_in(descriptor).and_then(Certificate::from_base64);
    match carried {
        Some(cert) if cert.der() == staged.der() => {}
        Some(cert) => {
            return Err(MergeError::WrongCertificate {
                got: cert.sha256_fingerprint(),
                expected: staged.sha256_fingerprint(),
            });
        }
        None => {
            return Err(MergeError::NoSigningKey {
                which: "metadata preview",
            });
        }
    }
    let mut xml = String::with_capacity(published.len() + descriptor.len());
    xml.push_str(&published[..own.end]);
    xml.push_str(descriptor);
    xml.push_str(&published[own.end..]);
    Ok(xml)
}

/// Where the first `<…KeyDescriptor use="signing">…</…KeyDescriptor>` element is, whatever its
/// namespace prefix.
fn signing_descriptor(xml: &str) -> Option<std::ops::Range<usize>> {
    let marker = xml.find("KeyDescriptor use=\"signing\"")?;
    let start = xml[..marker].rfind('<')?;
    let close = marker + xml[marker..].find("KeyDescriptor>")?;
    // The closing tag is `</prefix:KeyDescriptor>`; make sure this is one.
    let tag_start = xml[..close].rfind("</")?;
    (tag_start > marker).then_some(start..close + "KeyDescriptor>".len())
}

/// The text of the first `<…X509Certificate>` element.
fn certificate_in(xml: &str) -> Option<&str> {
    let start = xml.find("X509Certificate>")? + "X509Certificate>".len();
    let end = start + xml[start..].find('<')?;
    Some(xml[start..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Okta's shape, with `cert` in the one signing `KeyDescriptor`.
    fn metadata(cert: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://x/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
        )
    }

    #[test]
    fn adds_the_staged_descriptor_after_the_active_one() {
        let staged = Certificate::from_base64("c3RhZ2Vk").unwrap();
        let xml = with_staged_key(&metadata("YWN0aXZl"), &metadata("c3RhZ2Vk"), &staged).unwrap();
        let descriptors: Vec<&str> = xml
            .match_indices("<md:KeyDescriptor use=\"signing\">")
            .map(|(_, m)| m)
            .collect();
        assert_eq!(descriptors.len(), 2);
        let active = xml.find("YWN0aXZl").unwrap();
        let next = xml.find("c3RhZ2Vk").unwrap();
        assert!(
            active < next && next < xml.find("SingleSignOnService").unwrap(),
            "{xml}"
        );
        assert!(xml.ends_with("</md:EntityDescriptor>"));
    }

    #[test]
    fn refuses_a_preview_of_another_certificate() {
        let staged = Certificate::from_base64("c3RhZ2Vk").unwrap();
        let error =
            with_staged_key(&metadata("YWN0aXZl"), &metadata("YWN0aXZl"), &staged).unwrap_err();
        assert!(
            matches!(error, MergeError::WrongCertificate { .. }),
            "{error}"
        );
    }

    #[test]
    fn refuses_metadata_without_a_signing_key() {
        let staged = Certificate::from_base64("c3RhZ2Vk").unwrap();
        let bare = metadata("c3RhZ2Vk").replace(" use=\"signing\"", "");
        assert_eq!(
            with_staged_key(&bare, &metadata("c3RhZ2Vk"), &staged),
            Err(MergeError::NoSigningKey { which: "metadata" })
        );
    }
}
