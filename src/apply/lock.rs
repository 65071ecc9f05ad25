//! One writer per org at a time among those sharing a lock directory (the key cache's,
//! `cli::okta_args` chooses it), like Terraform's state lock: two applies
//! started together would otherwise both plan a generate and leave a second new key on the
//! source (Okta offers no conditional write to prevent it). `keyshare apply` holds the lock
//! from planning to the last check, and `keyshare watch --self-heal` from its last plan to the
//! check after healing, so that each plans against the other's result.
//!
//! It is an advisory OS file lock: released by the kernel when the process ends, even by
//! SIGKILL, so a crashed writer never leaves the org locked. Writers with different lock
//! directories (another `XDG_CACHE_HOME` or `--key-cache`, another user, container or machine)
//! do not see each other's lock; the CI system serializes those (docs/ci.md: one concurrency
//! group per org). The directory is never one shared by every user: any local user could then
//! hold an org's lock for ever and stop every apply (docs/configuration.md). This module
//! never decides whether to wait: [`OrgLock::acquire`] waits (as long as its caller allows),
//! [`OrgLock::try_acquire`] does not.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use url::Url;

/// How often a time-limited wait tries the lock again.
const RETRY: Duration = Duration::from_millis(100);

/// Held while an apply runs; dropping it releases the lock.
#[derive(Debug)]
pub struct OrgLock {
    _file: File,
}

/// Why the lock could not be taken (not "another writer holds it": that is not an error).
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot create the lock directory {}: {source}", dir.display())]
    Dir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the apply lock {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another keyshare apply or self-healing watch still holds the apply lock {} after {}s; nothing was changed; run again once it finished, or wait longer with --lock-timeout",
        path.display(),
        waited.as_secs_f64()
    )]
    TimedOut { path: PathBuf, waited: Duration },
    #[error("cannot take the apply lock {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl OrgLock {
    /// Takes the lock for `org` in `dir`, waiting while another writer holds it, for at most
    /// `timeout` when one is given; `waiting` is told the lock file's path once before the wait
    /// begins, so the caller can say why it pauses.
    pub fn acquire(
        dir: &Path,
        org: &Url,
        timeout: Option<Duration>,
        waiting: impl FnOnce(&Path),
    ) -> Result<Self, LockError> {
        let (path, file) = open(dir, org)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                waiting(&path);
                match timeout {
                    None => file
                        .lock()
                        .map_err(|source| LockError::Lock { path, source })?,
                    Some(limit) => wait_for(&file, path, limit)?,
                }
            }
            Err(TryLockError::Error(source)) => return Err(LockError::Lock { path, source }),
        }
        Ok(Self { _file: file })
    }

    /// Takes the lock for `org` in `dir` if no other writer holds it; `None` when one does.
    pub fn try_acquire(dir: &Path, org: &Url) -> Result<Option<Self>, LockError> {
        let (path, file) = open(dir, org)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(source)) => Err(LockError::Lock { path, source }),
        }
    }

    /// The lock file of `org` in `dir`: named by a digest of its URL, which may hold
    /// characters a file name cannot.
    pub fn path(dir: &Path, org: &Url) -> PathBuf {
        let digest = hex::encode(Sha256::digest(org.as_str().as_bytes()));
        dir.join(format!("apply-{}.lock", &digest[..16]))
    }
}

/// Creates `dir` if needed and opens `org`'s lock file in it, unlocked.
/// Tries `file`'s lock until `limit` has passed: the OS offers no blocking lock with a time
/// limit, and a try every [`RETRY`] is as good as one for a lock held for a whole apply.
fn wait_for(file: &File, path: PathBuf, limit: Duration) -> Result<(), LockError> {
    let started = Instant::now();
    loop {
        let left = limit.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(LockError::TimedOut {
                path,
                waited: limit,
            });
        }
        std::thread::sleep(left.min(RETRY));
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(source)) => return Err(LockError::Lock { path, source }),
        }
    }
}

fn open(dir: &Path, org: &Url) -> Result<(PathBuf, File), LockError> {
    std::fs::create_dir_all(dir).map_err(|source| LockError::Dir {
        dir: dir.to_owned(),
        source,
    })?;
    let path = OrgLock::path(dir, org);
    match OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    {
        Ok(file) => Ok((path, file)),
        Err(source) => Err(LockError::Open { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    #[test]
    fn a_held_lock_is_not_taken_again_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let a = org("https://a.okta.com/");
        let held = OrgLock::try_acquire(dir.path(), &a).unwrap();
        assert!(held.is_some());
        assert!(OrgLock::try_acquire(dir.path(), &a).unwrap().is_none());
        drop(held);
        assert!(OrgLock::try_acquire(dir.path(), &a).unwrap().is_some());
    }

    #[test]
    fn orgs_are_locked_independently() {
        let dir = tempfile::tempdir().unwrap();
        let _a = OrgLock::try_acquire(dir.path(), &org("https://a.okta.com/")).unwrap();
        assert!(
            OrgLock::try_acquire(dir.path(), &org("https://b.okta.com/"))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn acquire_waits_for_the_holder_and_says_so_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = org("https://a.okta.com/");
        let held = OrgLock::try_acquire(dir.path(), &a).unwrap().unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            drop(held);
        });
        let mut told = Vec::new();
        let _lock =
            OrgLock::acquire(dir.path(), &a, None, |path| told.push(path.to_owned())).unwrap();
        release.join().unwrap();
        assert_eq!(told, [OrgLock::path(dir.path(), &a)]);
    }

    #[test]
    fn a_free_lock_is_taken_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let mut told = false;
        OrgLock::acquire(dir.path(), &org("https://a.okta.com/"), None, |_| {
            told = true
        })
        .unwrap();
        assert!(!told);
    }

    #[test]
    fn a_directory_that_cannot_be_made_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let error =
            OrgLock::try_acquire(&file.join("sub"), &org("https://a.okta.com/")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot create the lock directory"),
            "{error}"
        );
    }
}
