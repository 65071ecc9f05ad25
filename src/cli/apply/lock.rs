//! One `apply` per org at a time on this machine, like Terraform's state lock: two applies
//! started together would otherwise both plan a generate and leave a second new key on the
//! source (Okta offers no conditional write to prevent it). The lock is held from planning to
//! the last check, so the second apply plans against the first one's result.
//!
//! It is an advisory OS file lock: released by the kernel when the process ends, even by
//! SIGKILL, so a crashed apply never leaves the org locked. Applies from different machines are
//! serialized by the CI system instead (docs/ci.md: one concurrency group per org).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use url::Url;

/// Held while an apply runs; dropping it releases the lock.
#[derive(Debug)]
pub struct OrgLock {
    _file: File,
}

impl OrgLock {
    /// Takes the lock for `org` in `dir` (the key cache's directory, or the temporary directory
    /// when the cache is off), waiting and saying so while another apply holds it.
    pub fn acquire(dir: Option<PathBuf>, org: &Url) -> anyhow::Result<Self> {
        let dir = dir.unwrap_or_else(|| std::env::temp_dir().join("keyshare"));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the lock directory {}", dir.display()))?;
        let path = lock_file(&dir, org);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the apply lock {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                eprintln!(
                    "Waiting for another keyshare apply against {org} on this machine to finish (lock {}).",
                    path.display()
                );
                file.lock()
                    .with_context(|| format!("cannot take the apply lock {}", path.display()))?;
            }
            Err(TryLockError::Error(error)) => {
                return Err(error)
                    .with_context(|| format!("cannot take the apply lock {}", path.display()));
            }
        }
        Ok(Self { _file: file })
    }
}

/// The lock file of `org`: named by a digest of its URL, which may hold characters a file name
/// cannot.
fn lock_file(dir: &Path, org: &Url) -> PathBuf {
    let digest = hex::encode(Sha256::digest(org.as_str().as_bytes()));
    dir.join(format!("apply-{}.lock", &digest[..16]))
}
