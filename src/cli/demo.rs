//! `keyshare demo`: the embedded default. Starts the simulator in-process, seeded like Okta's
//! key-sharing guide, and walks through plan → apply → drift → an out-of-band change → drift
//! caught → apply → in sync, printing what a user would see at each step: the YAML applied,
//! the plans, each step and the "Verified group …" lines of an apply, and at the end how to
//! start against a real org.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::Timestamp;

use super::ExitStatus;
use super::output::{Format, render, stdout_color};
use super::session::{Planned, Reads, load};
use super::steps::apply_and_verify;
use crate::cli::console::{out, outln};
use crate::config::DesiredState;
use crate::okta::http::{Auth, ClientSettings, HttpClient, Secret, parse_org_url};
use crate::okta::{AppId, Kid, OktaApi};
use crate::reconcile::observe;
use crate::render::Command;
use crate::render::escape::terminal;
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

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitStatus> {
    let running = sim::env::start(SimConfig::default())
        .await
        .context("cannot start the in-process simulator")?;
    outln!(
        "keyshare demo: an Okta simulator is serving the guide's org at {}",
        running.base_url()
    )?;
    let (desired, shown_dir, tempdir) = desired_state(args.dir)?;
    outln!("Desired state: {}\n", shown_dir.display())?;
    let read_from = tempdir
        .as_ref()
        .map_or(shown_dir.as_path(), tempfile::TempDir::path);
    show_yaml(read_from)?;
    let settings = ClientSettings::new(
        parse_org_url(&running.base_url())?,
        Auth::Ssws(Secret::new(sim::config::DEFAULT_TOKEN)),
    );
    let client = HttpClient::new(settings)?;
    let color = stdout_color();

    heading("1. plan: what keyshare would change")?;
    let first = Reads::fresh()
        .plan(&client, &desired, Timestamp::now())
        .await?;
    out!(
        "{}",
        render(Format::Text, Command::Plan, &first.plan, &first.live, color,)
    )?;

    heading("2. apply")?;
    let report = apply_and_verify(&client, &Reads::fresh(), &desired, &first).await?;
    outln!("Apply complete: {report}.")?;

    heading("3. drift: does Okta still match?")?;
    show_drift(&client, &desired, color).await?;

    heading("4. someone switches an app back to its old key in the Admin Console")?;
    let (app, old_kid) = first_switched_member(&first)?;
    let current = observe::app(&client, &app).await?;
    client
        .replace_app(&app, &current.with_signing_kid(&old_kid))
        .await?;
    outln!("{} ({app}) now signs with {old_kid} again.", current.label)?;

    heading("5. drift: caught")?;
    let drifted = show_drift(&client, &desired, color).await?;
    if drifted.plan.is_empty() {
        bail!("the out-of-band change was not detected as drift");
    }

    heading("6. apply: heal the drift")?;
    let report = apply_and_verify(&client, &Reads::fresh(), &desired, &drifted).await?;
    outln!("Apply complete: {report}.")?;

    heading("7. drift: in sync again")?;
    let last = show_drift(&client, &desired, color).await?;
    if !last.plan.is_empty() {
        bail!("the org is not in sync after the second apply");
    }
    outln!("{NEXT_STEPS}")?;
    Ok(ExitStatus::Success)
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
fn show_yaml(dir: &Path) -> anyhow::Result<()> {
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
        outln!("# {}", terminal(&name))?;
        for line in text.lines() {
            outln!("{}", terminal(line))?;
        }
        outln!()?;
    }
    Ok(())
}

async fn show_drift(
    client: &HttpClient,
    desired: &DesiredState,
    color: bool,
) -> anyhow::Result<Planned> {
    let planned = Reads::fresh()
        .plan(client, desired, Timestamp::now())
        .await?;
    out!(
        "{}",
        render(
            Format::Text,
            Command::Drift,
            &planned.plan,
            &planned.live,
            color,
        )
    )?;
    Ok(planned)
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
) -> anyhow::Result<(DesiredState, PathBuf, Option<tempfile::TempDir>)> {
    if let Some(dir) = dir {
        return Ok((load(&dir)?, dir, None));
    }
    if Path::new(EXAMPLE_DIR).is_dir() {
        return Ok((
            load(Path::new(EXAMPLE_DIR))?,
            PathBuf::from(EXAMPLE_DIR),
            None,
        ));
    }
    let temp = tempfile::tempdir().context("cannot create a temporary directory")?;
    std::fs::write(temp.path().join("finance.yaml"), EMBEDDED_EXAMPLE)
        .context("cannot write the embedded example")?;
    let desired = load(temp.path())?;
    Ok((
        desired,
        PathBuf::from("(embedded copy of examples/desired-state)"),
        Some(temp),
    ))
}

fn heading(text: &str) -> std::io::Result<()> {
    outln!("\n── {text}\n")
}
