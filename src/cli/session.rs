//! What every online command does first: load the desired state, connect to Okta, read the
//! live snapshot and plan. Commands differ only in what they do with the plan.
//!
//! The reading and planning are the reconcile layer's ([`crate::reconcile::observe`], through
//! the key cache the flags ask for); the session adds the terminal's read progress and turns
//! errors into messages.

use std::path::Path;

use anyhow::Context;
use jiff::Timestamp;

use super::comment_args::CommentArgs;
use super::okta_args::OktaArgs;
use super::output::{Format, render_with_stats};
use super::printer::Printer;
use super::read_progress::ShowReads;
use crate::apply::KeyCache;
use crate::config::{self, DesiredState};
use crate::okta::http::HttpClient;
pub use crate::reconcile::Planned;
use crate::reconcile::observe;
use crate::render::Command;

/// A desired state and a client for the org it is reconciled against.
pub struct Session {
    pub desired: DesiredState,
    pub client: HttpClient,
    pub reads: Reads,
}

/// How a command reads the org: through the org's key-metadata cache file, or afresh.
#[derive(Debug, Clone, Default)]
pub struct Reads(observe::Reads);

/// `--target GROUP` of `plan`, `apply` and `drift`, as Terraform's `-target`.
#[derive(Debug, Clone, clap::Args)]
pub struct Targets {
    /// Only this group (repeatable): the others are checked offline but neither read from
    /// Okta nor changed.
    #[arg(long = "target", value_name = "GROUP")]
    groups: Vec<String>,
}

impl Targets {
    /// Whether any group was named.
    pub fn any(&self) -> bool {
        !self.groups.is_empty()
    }

    /// `desired` narrowed to the named groups, or all of it when none was named. A name that
    /// is no group's is an error with the closest name, as a typo usually is.
    pub fn select(&self, desired: DesiredState, dir: &Path) -> anyhow::Result<DesiredState> {
        if self.groups.is_empty() {
            return Ok(desired);
        }
        for name in &self.groups {
            if !desired.groups.iter().any(|group| &group.name == name) {
                let closest = desired
                    .groups
                    .iter()
                    .map(|group| (strsim::damerau_levenshtein(&group.name, name), &group.name))
                    .filter(|(distance, _)| *distance <= (name.chars().count() / 4).max(1))
                    .min();
                let hint = closest.map_or_else(String::new, |(_, close)| {
                    format!("did you mean `{close}`? ")
                });
                let names: Vec<&str> = desired.groups.iter().map(|g| g.name.as_str()).collect();
                anyhow::bail!(
                    "--target {name}: no group of that name in {}; {hint}its groups are {}",
                    dir.display(),
                    names.join(", ")
                );
            }
        }
        let groups = desired
            .groups
            .into_iter()
            .filter(|group| self.groups.contains(&group.name))
            .collect();
        Ok(DesiredState::new(groups))
    }
}

impl Session {
    /// Loads `dir`, narrowed to `targets`, and connects with `okta`'s settings. Nothing is
    /// sent to Okta yet.
    pub fn open(
        dir: &Path,
        targets: &Targets,
        okta: &OktaArgs,
        printer: &Printer,
    ) -> anyhow::Result<Self> {
        let desired = targets.select(load(dir, printer)?, dir)?;
        let settings = okta.to_settings()?;
        let client = HttpClient::new(settings)?;
        let reads = Reads::cached(okta, &client);
        Ok(Self {
            desired,
            client,
            reads,
        })
    }

    /// Reads what planning needs, through the key cache, and plans.
    pub async fn plan(&self, now: Timestamp) -> anyhow::Result<Planned> {
        self.reads.plan(&self.client, &self.desired, now).await
    }

    /// Prints `planned` as `command` shows it in `format` (with the API calls this session
    /// made, in JSON and Markdown), and with `-v` their summary on standard error.
    pub fn print(
        &self,
        planned: &Planned,
        command: Command,
        format: Format,
        comment: &CommentArgs,
        verbose: u8,
        printer: &Printer,
    ) -> std::io::Result<()> {
        let org = self.client.org_url().as_str();
        printer.result(render_with_stats(
            format,
            command,
            (&planned.plan, &planned.live),
            self.client.stats(),
            &comment.header(org),
            printer.color(),
        ))?;
        if verbose > 0 {
            printer.notice(format_args!("API calls:\n{}", self.client.stats()));
        }
        Ok(())
    }
}

impl Reads {
    /// Reads without the cache (the demo, whose org lives only as long as the process).
    pub fn fresh() -> Self {
        Self(observe::Reads::fresh())
    }

    /// Reads through `client`'s org's cache file, as `okta`'s cache flags say.
    pub fn cached(okta: &OktaArgs, client: &HttpClient) -> Self {
        let file = okta
            .key_cache_dir()
            .map(|dir| KeyCache::file_for(&dir, client.org_url().as_str()));
        Self(observe::Reads::cached(file))
    }

    /// Reads what planning `desired` needs, showing the reads' progress on a terminal, and
    /// plans. Every planning error is reported at once.
    pub async fn plan(
        &self,
        client: &HttpClient,
        desired: &DesiredState,
        now: Timestamp,
    ) -> anyhow::Result<Planned> {
        Ok(self
            .0
            .plan(client, desired, now, &ShowReads(client))
            .await?)
    }
}

/// Loads and checks the desired state under `dir`.
pub fn load(dir: &Path, printer: &Printer) -> anyhow::Result<DesiredState> {
    let desired = config::load_dir(dir)
        .with_context(|| format!("the desired state in {} is not valid", dir.display()))?;
    for warning in desired.warnings() {
        printer.notice_line(format_args!("Warning: {warning}"));
    }
    Ok(desired)
}
