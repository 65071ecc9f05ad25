//! Ctrl-C and SIGTERM while `apply` writes, handled as Terraform does: the first lets the step
//! in flight finish and stops before the next one; a second ends the process at once. Ending
//! mid-step is safe because a re-run plans from the live state and resumes
//! (tests/it/reliability/crash.rs), but a clean stop leaves less to explain.
//!
//! Listening starts only when the steps start: before, nothing was written, and a signal ends
//! the process as it always did. Once the steps ended only reads are left, so a signal then
//! ends the process at once too. Never interrupts a step itself: the executor asks
//! [`Interrupts::requested`] only between steps
//! ([`execute_until`](crate::apply::execute_until)).

use std::sync::{Arc, Mutex, PoisonError};

use indicatif::ProgressBar;
use tokio::sync::watch;

use crate::cli::printer::Printer;
use crate::cli::signals::StopSignals;

/// The exit code of an apply ended at once by a signal (128 + SIGINT, as shells report
/// Ctrl-C); also used for SIGTERM, so that scripts test one code.
pub const EXIT_AT_ONCE: i32 = 130;

/// Where the apply is, for the line printed when a signal arrives.
#[derive(Debug)]
enum Phase {
    /// Running steps; the one in flight, as `step 3/8 (switch …)`, if any.
    Steps { in_flight: Option<String> },
    /// No further step will run; only reads and the report are left.
    Checks,
}

/// The stop requests of one apply: the first signal sets [`requested`](Self::requested).
pub struct Interrupts {
    stop: watch::Receiver<bool>,
    phase: Arc<Mutex<Phase>>,
}

impl Interrupts {
    /// Starts listening for SIGINT and SIGTERM for the rest of the process's life. Lines go
    /// to standard error around `bar`, so that a progress bar is not torn; `rerun` is the
    /// sentence saying how to finish the plan.
    pub fn listen(
        bar: ProgressBar,
        rerun: &'static str,
        printer: Printer,
    ) -> std::io::Result<Self> {
        let signals = StopSignals::listen()?;
        let (stop_tx, stop) = watch::channel(false);
        let phase = Arc::new(Mutex::new(Phase::Steps { in_flight: None }));
        tokio::spawn(handle(
            signals,
            Arc::clone(&phase),
            stop_tx,
            bar,
            rerun,
            printer,
        ));
        Ok(Self { stop, phase })
    }

    /// Whether a stop was requested: the executor starts no further step.
    pub fn requested(&self) -> bool {
        *self.stop.borrow()
    }

    /// Step `index` of `total`, said as `sentence`, has started.
    pub fn step_started(&self, index: usize, total: usize, sentence: &str) {
        self.set(Phase::Steps {
            in_flight: Some(format!("step {index}/{total} ({sentence})")),
        });
    }

    /// The step in flight ended; none runs until the next starts.
    pub fn step_finished(&self) {
        self.set(Phase::Steps { in_flight: None });
    }

    /// No further step will run (every step ran, or the apply stopped).
    pub fn steps_ended(&self) {
        self.set(Phase::Checks);
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
    }
}

/// Answers the signals: the first during the steps asks for a stop, any other ends the
/// process at once.
async fn handle(
    mut signals: StopSignals,
    phase: Arc<Mutex<Phase>>,
    stop: watch::Sender<bool>,
    bar: ProgressBar,
    rerun: &'static str,
    printer: Printer,
) {
    let current = || match &*phase.lock().unwrap_or_else(PoisonError::into_inner) {
        Phase::Steps { in_flight } => Some(in_flight.clone()),
        Phase::Checks => None,
    };
    if signals.recv().await.is_err() {
        return;
    }
    if let Some(in_flight) = current() {
        let doing = in_flight.map_or_else(
            || "stopping before the next step".to_owned(),
            |step| format!("finishing {step}, then stopping"),
        );
        bar.suspend(|| {
            printer.notice_line(format_args!(
                "Interrupt received: {doing}. Press Ctrl-C again to stop at once (safe: a re-run resumes)."
            ));
        });
        let _ = stop.send(true);
        if signals.recv().await.is_err() {
            return;
        }
    }
    let what_ran = match current() {
        Some(Some(step)) => {
            format!(" during {step}: it may or may not have taken effect; every step before it did")
        }
        Some(None) => " between two steps: every step that ran took effect".to_owned(),
        None => " after the steps: every step that ran took effect".to_owned(),
    };
    bar.finish_and_clear();
    printer.notice_line(format_args!("Stopping at once{what_ran}. {rerun}"));
    std::process::exit(EXIT_AT_ONCE);
}
