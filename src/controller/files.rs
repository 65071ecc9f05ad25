//! File events under the desired-state directory, debounced, as a stream of "something
//! changed" signals (kube's `reconcile_all_on`).
//!
//! Events carry no meaning beyond "look again": the reconcile re-reads the whole directory,
//! so editors that write through temporary files and renames, and a git checkout replacing
//! many files at once, all end in one reload of a consistent tree. Reads (access events) are
//! ignored, since the reload itself reads every file.
//!
//! The watch never goes blind:
//! - A watch is never removed and added again for the same path: removing one while events
//!   arrive loses them, and after a sustained burst of writes the tree was left unwatched.
//!   The tree is watched recursively where the path leads (through a symlink), and the
//!   directory holding the path non-recursively, so that the path being replaced (git-sync
//!   swaps a symlink to a fresh worktree and deletes the old one) is an event too.
//! - After each signal, before the reload, the tree is armed where the path leads now; when
//!   that is a new place, the new tree is watched first and the old one let go after, so no
//!   change falls between the two: a change before arming is read by the reload, one after
//!   is an event.
//! - Lost events (the kernel's queue overflowed, the watcher reported an error) are a signal
//!   too, with a warning: the reload reads everything, whatever was missed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, DebouncedEvent, Debouncer, RecommendedCache, new_debouncer,
};
use tokio::sync::mpsc;

/// A running watch; dropping it stops watching.
pub struct FileWatch {
    /// The directory as given, absolute; it may be a symlink.
    dir: PathBuf,
    /// Where `dir` led when the tree was last armed; shared with the event filter.
    tree: Arc<Mutex<PathBuf>>,
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    changes: mpsc::UnboundedReceiver<()>,
}

impl FileWatch {
    /// Watches `dir` recursively; a burst of events within `debounce` becomes one signal.
    pub fn start(dir: &Path, debounce: Duration) -> notify::Result<Self> {
        let dir = std::path::absolute(dir)?;
        let tree = Arc::new(Mutex::new(dir.canonicalize()?));
        let (tx, changes) = mpsc::unbounded_channel();
        let relevant = Relevance {
            dir: dir.clone(),
            tree: tree.clone(),
        };
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let look_again = match result {
                Ok(events) => events.iter().any(|e| relevant.matters(e)),
                Err(errors) => {
                    for error in errors {
                        tracing::warn!(%error, "the file watch may have missed changes; reloading the whole desired state");
                    }
                    true
                }
            };
            if look_again {
                // The receiver is gone only when the controller stops.
                let _ = tx.send(());
            }
        })?;
        let armed = tree.lock().unwrap_or_else(PoisonError::into_inner).clone();
        debouncer.watch(&armed, RecursiveMode::Recursive)?;
        if let Some(parent) = dir.parent() {
            debouncer.watch(parent, RecursiveMode::NonRecursive)?;
        }
        Ok(Self {
            dir,
            tree,
            debouncer,
            changes,
        })
    }

    /// Waits for the next change; signals that arrived meanwhile are merged into one. The
    /// tree is armed again before this returns, so the reload that follows sees every change
    /// that no later signal will announce.
    pub async fn changed(&mut self) {
        if self.changes.recv().await.is_none() {
            tracing::warn!(
                "the file watch ended; only the interval reloads the desired state from now on"
            );
            std::future::pending::<()>().await;
        }
        while self.changes.try_recv().is_ok() {}
        self.arm();
    }

    /// Watches the tree where the path leads now (adding watches is idempotent, and covers
    /// subdirectories made since), then lets go of the tree it led to before, if that was
    /// elsewhere.
    fn arm(&mut self) {
        let target = match self.dir.canonicalize() {
            Ok(target) => target,
            Err(error) => {
                // Mid-swap or deleted: the next event or the interval looks again.
                tracing::warn!(%error, dir = %self.dir.display(), "the desired-state directory cannot be resolved; the next change or the interval looks again");
                return;
            }
        };
        if let Err(error) = self.debouncer.watch(&target, RecursiveMode::Recursive) {
            tracing::warn!(%error, dir = %target.display(), "cannot watch the desired-state directory; the interval still reloads it");
            return;
        }
        let previous = std::mem::replace(
            &mut *self.tree.lock().unwrap_or_else(PoisonError::into_inner),
            target.clone(),
        );
        if previous != target {
            // The old tree is usually deleted already, which makes this fail harmlessly.
            let _ = self.debouncer.unwatch(&previous);
        }
    }
}

/// Which events mean "look again".
struct Relevance {
    dir: PathBuf,
    tree: Arc<Mutex<PathBuf>>,
}

impl Relevance {
    fn matters(&self, event: &DebouncedEvent) -> bool {
        if event.need_rescan() {
            tracing::warn!(
                "the file watch lost events (the kernel's event queue overflowed); reloading the whole desired state"
            );
            return true;
        }
        if matches!(event.kind, EventKind::Access(_)) {
            return false;
        }
        let tree = self.tree.lock().unwrap_or_else(PoisonError::into_inner);
        // The parent's watch reports its other entries too; only the path itself counts.
        event
            .paths
            .iter()
            .any(|path| path.starts_with(&self.dir) || path.starts_with(&*tree))
    }
}
