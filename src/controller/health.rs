//! Readiness as `/readyz` reports it: the last reconcile completed and the desired state on
//! disk is valid. A self-heal put off because another writer held the apply lock is said, but
//! leaves the controller ready: it is an expected pause, not a fault. Liveness (`/healthz`)
//! needs no state: answering at all is the proof.

use std::sync::Mutex;

/// What readiness depends on, shared by the reconcile loop and the HTTP listener.
#[derive(Debug, Default)]
pub struct Readiness(Mutex<State>);

#[derive(Debug, Default)]
struct State {
    desired_valid: bool,
    /// `None` before the first reconcile ends; the error of the last one otherwise.
    last_reconcile: Option<Result<(), String>>,
    /// Why the last reconcile put its self-heal off, if it did.
    heal_deferred: Option<String>,
}

impl Readiness {
    /// Whether the files on disk are valid (otherwise the last valid state is in use).
    pub fn desired_state_valid(&self, valid: bool) {
        self.lock().desired_valid = valid;
    }

    /// How the last reconcile ended.
    pub fn reconciled(&self, result: Result<(), String>) {
        self.lock().last_reconcile = Some(result);
    }

    /// Why the last reconcile put its self-heal off; `None` when it did not.
    pub fn heal_deferred(&self, why: Option<String>) {
        self.lock().heal_deferred = why;
    }

    /// `Ok` when ready, with a note when a self-heal was put off; else why not, in words.
    pub fn check(&self) -> Result<Option<String>, String> {
        let state = self.lock();
        match &state.last_reconcile {
            None => Err("no reconcile has completed yet".to_owned()),
            Some(Err(error)) => Err(format!("the last reconcile failed: {error}")),
            Some(Ok(())) if !state.desired_valid => Err(
                "the desired state on disk is not valid; the last valid one is in use".to_owned(),
            ),
            Some(Ok(())) => Ok(state.heal_deferred.clone()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every write is a single assignment, so a poisoned lock still holds a consistent state.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
