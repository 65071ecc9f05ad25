//! Readiness as `/readyz` reports it: the last reconcile completed, the desired state on
//! disk is valid, and the check after the last self-heal found every healed group converged
//! (until a later check does, the controller is not ready). A self-heal put off because another writer held the apply lock is said, and
//! so is a suspension (of the whole controller, or of groups), but they leave the controller
//! ready: they are expected pauses, not faults. Liveness (`/healthz`) needs no state:
//! answering at all is the proof.

use std::sync::Mutex;

/// What readiness depends on, shared by the reconcile loop and the HTTP listener.
#[derive(Debug, Default)]
pub struct Readiness(Mutex<State>);

/// What the last reload found on disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DiskState {
    /// Valid; it is the desired state in use.
    #[default]
    Valid,
    /// Read, and not valid; the last valid one is in use.
    Invalid,
    /// Not readable (an I/O error); the last valid one is in use.
    Unreadable,
}

#[derive(Debug, Default)]
struct State {
    disk: DiskState,
    /// `None` before the first reconcile ends; the error of the last one otherwise.
    last_reconcile: Option<Result<(), String>>,
    /// Why the last reconcile put its self-heal off, if it did.
    heal_deferred: Option<String>,
    /// Why reconciling is suspended as a whole, if it is.
    suspended: Option<String>,
    /// The groups suspended by their annotation, as last observed.
    suspended_groups: Vec<String>,
    /// Why the check after a self-heal failed, until a later check passes.
    unverified: Option<String>,
}

impl Readiness {
    /// What the last reload found on disk (unless valid, the last valid state is in use).
    pub fn desired_state(&self, disk: DiskState) {
        self.lock().disk = disk;
    }

    /// How the last reconcile ended.
    pub fn reconciled(&self, result: Result<(), String>) {
        self.lock().last_reconcile = Some(result);
    }

    /// Why the last reconcile put its self-heal off; `None` when it did not.
    pub fn heal_deferred(&self, why: Option<String>) {
        self.lock().heal_deferred = why;
    }

    /// Why the check after a self-heal failed; `None` once a check passes.
    pub fn unverified(&self, why: Option<String>) {
        self.lock().unverified = why;
    }

    /// Why reconciling is suspended as a whole; `None` when it is not.
    pub fn suspended(&self, why: Option<String>) {
        self.lock().suspended = why;
    }

    /// Whether reconciling is suspended as a whole.
    pub fn is_suspended(&self) -> bool {
        self.lock().suspended.is_some()
    }

    /// The groups suspended by their annotation.
    pub fn suspended_groups(&self, groups: Vec<String>) {
        self.lock().suspended_groups = groups;
    }

    /// `Ok` when ready, with a note when a self-heal was put off or anything is suspended;
    /// else why not, in words.
    pub fn check(&self) -> Result<Option<String>, String> {
        let state = self.lock();
        let mut notes: Vec<String> = state.suspended.iter().cloned().collect();
        if !state.suspended_groups.is_empty() {
            notes.push(format!(
                "suspended groups (keyshare.io/suspend): {}",
                state.suspended_groups.join(", ")
            ));
        }
        notes.extend(state.heal_deferred.iter().cloned());
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        if state.suspended.is_some() {
            // Suspended before or after a failure: nothing is being reconciled to fail.
            return Ok(note);
        }
        match &state.last_reconcile {
            None => Err("no reconcile has completed yet".to_owned()),
            Some(Err(error)) => Err(format!("the last reconcile failed: {error}")),
            Some(Ok(())) if state.disk == DiskState::Invalid => Err(
                "the desired state on disk is not valid; the last valid one is in use".to_owned(),
            ),
            Some(Ok(())) if state.disk == DiskState::Unreadable => Err(
                "the desired state on disk cannot be read; the last valid one is in use".to_owned(),
            ),
            Some(Ok(())) => match &state.unverified {
                Some(why) => Err(why.clone()),
                None => Ok(note),
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every write is a single assignment, so a poisoned lock still holds a consistent state.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
