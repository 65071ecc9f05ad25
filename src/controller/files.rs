//! File events under the desired-state directory, debounced, as a stream of "something
//! changed" signals (kube's `reconcile_all_on`).
//!
//! Events carry no meaning beyond "look again": the reconcile re-reads the whole directory,
//! so editors that write through temporary files and renames, and a git checkout replacing
//! many files at once, all end in one reload of a consistent tree. Reads (access events) are
//! ignored, since the reload itself reads every file.
//!
//! After every signal the watch is set up again from the path: when the directory itself was
//! replaced (git-sync swaps a symlink to a fresh worktree and deletes the old one), the
//! old watch points at a deleted tree, and only a new one sees later changes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc;

/// A running watch; dropping it stops watching.
pub struct FileWatch {
    dir: PathBuf,
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    changes: mpsc::UnboundedReceiver<()>,
}

impl FileWatch {
    /// Watches `dir` recursively; a burst of events within `debounce` becomes one signal.
    pub fn start(dir: &Path, debounce: Duration) -> notify::Result<Self> {
        let (tx, changes) = mpsc::unbounded_channel();
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            match result {
                Ok(events) => {
                    if events
                        .iter()
                        .any(|e| !matches!(e.event.kind, EventKind::Access(_)))
                    {
                        // The receiver is gone only when the controller stops.
                        let _ = tx.send(());
                    }
                }
                Err(errors) => {
                    for error in errors {
                        tracing::warn!(%error, "file watch error; the interval still reloads the desired state");
                    }
                }
            }
        })?;
        debouncer.watch(dir, RecursiveMode::Recursive)?;
        Ok(Self {
            dir: dir.to_owned(),
            debouncer,
            changes,
        })
    }

    /// Waits for the next change; signals that arrived meanwhile are merged into one.
    pub async fn changed(&mut self) {
        if self.changes.recv().await.is_none() {
            // The watcher thread ended; only the interval triggers reconciles from now on.
            std::future::pending::<()>().await;
        }
        while self.changes.try_recv().is_ok() {}
        self.rewatch();
    }

    /// Watches the path again, following a symlink to wherever it points now.
    fn rewatch(&mut self) {
        // Unwatching a deleted tree fails; that is the case this exists for.
        let _ = self.debouncer.unwatch(&self.dir);
        if let Err(error) = self.debouncer.watch(&self.dir, RecursiveMode::Recursive) {
            tracing::warn!(%error, dir = %self.dir.display(), "cannot watch the desired-state directory again; the interval still reloads it");
        }
    }
}
