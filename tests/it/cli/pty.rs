//! `apply` in a pseudo-terminal, as an operator runs it: the confirmation and the progress bar
//! are drawn on the terminal's standard error, the confirmation names the org, and
//! `apply DIR > log.txt` still asks where the operator can see it instead of hiding the
//! question in the file. A pipe cannot show any of this: both are drawn only on a terminal.

use std::process::Stdio;

use rexpect::session::{PtySession, spawn_command};

use crate::support::{EXAMPLE, SimProcess};

/// Long enough for one expectation while the simulator answers slowly; a hung prompt fails
/// the test instead of the suite.
const TIMEOUT_MS: u64 = 30_000;

/// `keyshare ARGS` against `sim`, its standard input, output and error on a new terminal
/// unless `stdout` says otherwise.
fn keyshare(sim: &SimProcess, args: &[&str], stdout: Option<std::fs::File>) -> PtySession {
    let mut cmd = sim.command();
    cmd.args(args).env("TERM", "xterm");
    if let Some(file) = stdout {
        cmd.stdout(Stdio::from(file));
    }
    spawn_command(cmd, Some(TIMEOUT_MS)).expect("keyshare starts in a pseudo-terminal")
}

/// Reads the rest of the session's output and the exit code.
fn finish(mut session: PtySession) -> (String, String) {
    let rest = session.exp_eof().expect("keyshare ends");
    let status = session.process().wait().expect("keyshare's exit status");
    (rest, format!("{status:?}"))
}

#[test]
fn apply_on_a_terminal_names_the_org_asks_then_draws_a_bar_with_eta() {
    // Slow enough that the bar is drawn between steps.
    let sim = SimProcess::start(&["--latency-ms", "300"]);
    let mut apply = keyshare(&sim, &["apply", EXAMPLE], None);
    let before = apply
        .exp_string("Only 'yes' will be accepted: ")
        .expect("the question");
    assert!(
        before.contains(&format!("Okta org: {}", sim.base_url)),
        "the confirmation names the org the apply writes to:\n{before}"
    );
    assert!(before.contains("generate"), "the plan is shown:\n{before}");
    apply.send_line("yes").expect("answer");
    let bar = apply.exp_string("ETA").expect("a progress bar");
    let (rest, status) = finish(apply);
    let screen = format!("{bar}ETA{rest}");
    println!("{before}yes{screen}");
    assert!(status.contains(", 0)"), "exit status {status}:\n{screen}");
    assert!(
        screen.contains("done, ETA") && screen.contains("| step 1/4: "),
        "the bar counts finished steps and names the one in flight by its own number:\n{screen}"
    );
    assert!(screen.contains("[1/4] "), "{screen}");
    assert!(
        screen.contains("Apply complete: 1 key generated, 1 cloned, 2 apps switched"),
        "{screen}"
    );
}

#[test]
fn apply_with_stdout_in_a_file_asks_on_the_terminal_and_the_file_stays_clean() {
    let sim = SimProcess::start(&[]);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let log_path = dir.path().join("log.txt");
    let log = std::fs::File::create(&log_path).expect("log.txt");
    let mut apply = keyshare(&sim, &["apply", EXAMPLE], Some(log));
    let before = apply
        .exp_string("Only 'yes' will be accepted: ")
        .expect("the question reaches the terminal, not the file");
    assert!(
        before.contains("generate") && before.contains(&format!("Okta org: {}", sim.base_url)),
        "the plan, which went to the file, is shown on the terminal too:\n{before}"
    );
    apply.send_line("no").expect("answer");
    let (rest, status) = finish(apply);
    assert!(status.contains(", 1)"), "exit status {status}:\n{rest}");
    assert!(rest.contains("apply cancelled"), "{rest}");
    let logged = std::fs::read_to_string(&log_path).expect("log.txt");
    assert!(
        logged.contains("generate"),
        "the plan is in the file:\n{logged}"
    );
    assert!(
        !logged.contains("Only 'yes'") && !logged.contains("Okta org:"),
        "the question is not in the file:\n{logged}"
    );
}

#[test]
fn a_text_plan_on_a_terminal_starts_with_the_org() {
    let sim = SimProcess::start(&[]);
    let plan = keyshare(&sim, &["plan", EXAMPLE], None);
    let (screen, status) = finish(plan);
    assert!(status.contains(", 2)"), "exit status {status}:\n{screen}");
    let org = screen
        .find(&format!("Okta org: {}", sim.base_url))
        .unwrap_or_else(|| panic!("the org is named:\n{screen}"));
    let actions = screen
        .find("keyshare will perform the following actions")
        .unwrap_or_else(|| panic!("the plan is shown:\n{screen}"));
    assert!(org < actions, "the org comes first:\n{screen}");
}

#[test]
fn reading_okta_draws_a_bar_when_the_cost_model_knows_the_calls() {
    // The guide's two apps by id: two GETs, known before the first is made.
    let sim = SimProcess::start(&["--latency-ms", "400"]);
    let plan = keyshare(&sim, &["plan", EXAMPLE], None);
    let (screen, status) = finish(plan);
    assert!(status.contains(", 2)"), "exit status {status}:\n{screen}");
    assert!(
        screen.contains("Reading Okta apps [") && screen.contains("/2 calls, ETA"),
        "{screen}"
    );
}
