//! `keyshare demo`: the embedded default. Starts the simulator in-process, seeded like Okta's
//! key-sharing guide, and walks through plan → apply → drift → an out-of-band change → drift
//! caught → apply → in sync, then a rotation without an outage (stage the next key, switch to
//! it weeks later, with the simulator's clock moved instead of waiting), printing what a user
//! would see at each step: the YAML applied, the plans, each step and the "Verified group …"
//! lines of an apply, and at the end how to start against a real org.
//!
//! It never touches an org but its own in-process simulator.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};

use super::ExitStatus;
use super::output::{Format, render};
use super::printer::Printer;
use super::session::{Planned, Reads, load};
use super::steps::apply_and_verify;
use crate::config::{DesiredState, Staging, SwitchWhen};
use crate::okta::http::{Auth, ClientSettings, HttpClient, Secret, parse_org_url};
use crate::okta::{AppId, Kid, OktaApi};
use crate::plan::Plan;
use crate::reconcile::observe;
use crate::render::Command;
use crate::render::escape::terminal;
use okta_sim::admin::AdminClient;
use okta_sim::{self as sim, SimConfig};

/// The guide's scenario, shipped inside the binary so that `demo` works from anywhere.
const EMBEDDED_EXAMPLE: &str = include_str!("../../examples/desired-state/finance.yaml");
const EXAMPLE_DIR: &str = "examples/desired-state";

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Desired-state directory [default: examples/desired-state when present, else the
    /// embedded copy of it].
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub async fn run(args: DemoArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let running = sim::env::start(SimConfig::default())
        .await
        .context("cannot start the in-process simulator")?;
    printer.result_line(format_args!(
        "keyshare demo: an Okta simulator is serving the guide's org at {}",
        running.base_url()
    ))?;
    let (desired, shown_dir, tempdir) = desired_state(args.dir, printer)?;
    printer.result_line(format_args!("Desired state: {}\n", shown_dir.display()))?;
    let read_from = tempdir
        .as_ref()
        .map_or(shown_dir.as_path(), tempfile::TempDir::path);
    show_yaml(read_from, printer)?;
    let settings = ClientSettings::new(
        parse_org_url(&running.base_url())?,
        Auth::Ssws(Secret::new(sim::config::DEFAULT_TOKEN)),
    );
    let demo = Demo {
        client: HttpClient::new(settings)?,
        admin: AdminClient::new(running.base_url()),
        printer,
    };
    let now = Timestamp::now();

    demo.heading("1. plan: what keyshare would change")?;
    let first = demo.plan(&desired, now, Command::Plan).await?;

    demo.heading("2. apply")?;
    demo.apply(&desired, &first, now).await?;

    demo.heading("3. drift: does Okta still match?")?;
    demo.plan(&desired, now, Command::Drift).await?;

    demo.heading("4. someone switches an app back to its old key in the Admin Console")?;
    let (app, old_kid) = first_switched_member(&first)?;
    let current = observe::app(&demo.client, &app).await?;
    demo.client
        .replace_app(&app, &current.with_signing_kid(&old_kid))
        .await?;
    printer.result_line(format_args!(
        "{} ({app}) now signs with {old_kid} again.",
        current.label
    ))?;

    demo.heading("5. drift: caught")?;
    let drifted = demo.plan(&desired, now, Command::Drift).await?;
    if drifted.plan.is_empty() {
        bail!("the out-of-band change was not detected as drift");
    }

    demo.heading("6. apply: heal the drift")?;
    demo.apply(&desired, &drifted, now).await?;

    demo.heading("7. drift: in sync again")?;
    let in_sync = demo.plan(&desired, now, Command::Drift).await?;
    if !in_sync.plan.is_empty() {
        bail!("the org is not in sync after the second apply");
    }

    demo.staged_rotation(desired, &in_sync).await?;
    printer.result_line(NEXT_STEPS)?;
    Ok(ExitStatus::Success)
}

/// The demo's org and how it shows what happens there.
struct Demo<'a> {
    client: HttpClient,
    /// Moves the simulated org's clock for the staged rotation.
    admin: AdminClient,
    printer: &'a Printer,
}

impl Demo<'_> {
    /// Plans `desired` at `now` and prints it as `command` would.
    async fn plan(
        &self,
        desired: &DesiredState,
        now: Timestamp,
        command: Command,
    ) -> anyhow::Result<Planned> {
        let planned = Reads::fresh().plan(&self.client, desired, now).await?;
        self.printer.result(render(
            Format::Text,
            command,
            &planned.plan,
            &planned.live,
            self.printer.color(),
        ))?;
        Ok(planned)
    }

    /// Applies `planned` as `keyshare apply` does: each step, then the check after it.
    async fn apply(
        &self,
        desired: &DesiredState,
        planned: &Planned,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let report = apply_and_verify(
            &self.client,
            &Reads::fresh(),
            desired,
            planned,
            now,
            self.printer,
        )
        .await?;
        self.printer
            .result_line(format_args!("Apply complete: {report}."))?;
        Ok(())
    }

    /// A rotation without an outage, with the weeks between its steps skipped: `stageBefore`
    /// on the groups that rotate, then the org's clock (and keyshare's idea of now) moved to
    /// an instant inside `stageBefore`, where apply stages the next key and switches nothing,
    /// and then inside `rotateBefore`, where apply switches every app to it.
    async fn staged_rotation(
        &self,
        desired: DesiredState,
        in_sync: &Planned,
    ) -> anyhow::Result<()> {
        let (desired, timing) = with_staging(desired, &in_sync.plan)?;
        self.printer.result_line(format_args!(
            "\n── 8. a rotation without an outage\n\n{}",
            timing.explanation()
        ))?;

        self.heading(&format!(
            "9. {} days before the key expires: stage the next key",
            timing.stage_days_left()
        ))?;
        let staging = self.travel_to(timing.stage_at).await?;
        let planned = self.plan(&desired, staging, Command::Plan).await?;
        self.apply(&desired, &planned, staging).await?;
        self.plan(&desired, staging, Command::Drift).await?;

        self.heading(&format!(
            "10. {} days before the key expires: switch to the staged key",
            timing.switch_days_left()
        ))?;
        let switching = self.travel_to(timing.switch_at).await?;
        let planned = self.plan(&desired, switching, Command::Plan).await?;
        self.apply(&desired, &planned, switching).await?;

        self.heading("11. drift: in sync, on the new key")?;
        let last = self.plan(&desired, switching, Command::Drift).await?;
        if !last.plan.is_empty() {
            bail!("the org is not in sync after the staged rotation");
        }
        Ok(())
    }

    /// Stops the org's clock at `at` and says so; keyshare then plans at `at` too.
    async fn travel_to(&self, at: Timestamp) -> anyhow::Result<Timestamp> {
        self.admin
            .set_clock(at)
            .await
            .context("cannot move the simulator's clock")?;
        self.printer.result_line(format_args!(
            "The simulator's clock and keyshare's idea of now jump to {at}.\n"
        ))?;
        Ok(at)
    }

    fn heading(&self, text: &str) -> std::io::Result<()> {
        self.printer.result_line(format_args!("\n── {text}\n"))
    }
}

/// When the staged rotation's two applies happen, for the group whose key expires first.
struct Timing {
    group: String,
    stage_before: SignedDuration,
    rotate_before: SignedDuration,
    expires_at: Timestamp,
    stage_at: Timestamp,
    switch_at: Timestamp,
}

impl Timing {
    fn explanation(&self) -> String {
        format!(
            "Group `{}` gets `stageBefore: {}d` under spec.key (the line commented out in finance.yaml): \
             keyshare stages the next key {} days before the shared key expires, so that each service \
             provider can trust its certificate, and switches {} days before. Its key expires at {}.",
            self.group,
            days(self.stage_before),
            days(self.stage_before),
            days(self.rotate_before),
            self.expires_at,
        )
    }

    fn stage_days_left(&self) -> i64 {
        days(self.expires_at.duration_since(self.stage_at))
    }

    fn switch_days_left(&self) -> i64 {
        days(self.expires_at.duration_since(self.switch_at))
    }
}

fn days(span: SignedDuration) -> i64 {
    span.as_secs() / 86_400
}

/// `desired` with `stageBefore` (twice `rotateBefore`) on every group that rotates and does not
/// stage yet, and the instants half-way into each window for the group whose key expires first.
fn with_staging(mut desired: DesiredState, plan: &Plan) -> anyhow::Result<(DesiredState, Timing)> {
    let mut timing: Option<Timing> = None;
    for group in &mut desired.groups {
        let (Some(rotate_before), None) = (group.key.rotate_before, &group.key.kid) else {
            continue;
        };
        let stage = group.key.stage.get_or_insert_with(|| Staging {
            before: rotate_before * 2,
            switch: SwitchWhen::AfterSoak,
            location: group.location.clone(),
        });
        let Some(expires_at) = plan
            .groups
            .iter()
            .find(|planned| planned.name == group.name)
            .and_then(|planned| planned.key_expires_at)
        else {
            continue;
        };
        if timing.as_ref().is_some_and(|t| t.expires_at <= expires_at) {
            continue;
        }
        timing = Some(Timing {
            group: group.name.clone(),
            stage_before: stage.before,
            rotate_before,
            expires_at,
            stage_at: expires_at - (stage.before + rotate_before) / 2,
            switch_at: expires_at - rotate_before / 2,
        });
    }
    let timing = timing.context(
        "no group of the desired state rotates (spec.key.rotateBefore without a pinned kid); the demo's staged rotation needs one",
    )?;
    Ok((desired, timing))
}

/// Where to go from the demo: the same flow against the operator's org, starting read-only.
const NEXT_STEPS: &str = "
── Next: your own org

Nothing so far touched a real org. To start there, read-only until you apply:

    export OKTA_CLIENT_ORGURL=https://dev-123456.okta.com   # your org
    export OKTA_CLIENT_TOKEN=…                              # an API token, or see docs/configuration.md for OAuth
    keyshare import --out config/     # YAML for the apps that already share a key
    keyshare plan config/             # what keyshare would change (nothing, after an import)

Then edit config/ (add a member, or a group from examples/desired-state) and run
`keyshare plan config/` and `keyshare apply config/`.";

/// Prints the desired state's YAML files directly under `dir`, as the demo applies them.
fn show_yaml(dir: &Path, printer: &Printer) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        printer.result_line(format_args!("# {}", terminal(&name)))?;
        for line in text.lines() {
            printer.result_line(format_args!("{}", terminal(line)))?;
        }
        printer.result_line("")?;
    }
    Ok(())
}

/// A member the first plan switched, and the kid it signed with before.
fn first_switched_member(first: &Planned) -> anyhow::Result<(AppId, Kid)> {
    first
        .plan
        .groups
        .iter()
        .flat_map(|g| &g.members)
        .find_map(|id| {
            let kid = first.live.apps.get(id)?.signing_kid.clone()?;
            Some((id.clone(), kid))
        })
        .context("the first plan switched no member app; the demo needs one to change back")
}

/// The desired state to use, where it came from, and the temporary directory holding the
/// embedded copy (kept alive by the caller).
fn desired_state(
    dir: Option<PathBuf>,
    printer: &Printer,
) -> anyhow::Result<(DesiredState, PathBuf, Option<tempfile::TempDir>)> {
    if let Some(dir) = dir {
        return Ok((load(&dir, printer)?, dir, None));
    }
    if Path::new(EXAMPLE_DIR).is_dir() {
        return Ok((
            load(Path::new(EXAMPLE_DIR), printer)?,
            PathBuf::from(EXAMPLE_DIR),
            None,
        ));
    }
    let temp = tempfile::tempdir().context("cannot create a temporary directory")?;
    std::fs::write(temp.path().join("finance.yaml"), EMBEDDED_EXAMPLE)
        .context("cannot write the embedded example")?;
    let desired = load(temp.path(), printer)?;
    Ok((
        desired,
        PathBuf::from("(embedded copy of examples/desired-state)"),
        Some(temp),
    ))
}
