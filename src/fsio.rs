//! File reads and writes that keep to what a path is meant to hold.
//!
//! Every file keyshare writes (a saved plan, the key cache, imported YAML) goes through here,
//! and so does every file it reads that a flag names (a private key, a CA bundle, a saved
//! plan):
//!
//! - a write replaces a regular file or creates one, never anything else: a device, a FIFO, a
//!   socket or a directory at the path is refused. An atomic write renames a new file over the
//!   path, which would otherwise swap `/dev/null` (as root, common in CI containers) or a named
//!   pipe for a regular file. A symbolic link to a regular file is followed, so the link keeps
//!   naming the file it named.
//! - a read stops at a size cap, so that `/dev/zero` or a huge file costs a bounded amount of
//!   memory and ends with an error naming the cap.
//!
//! The check before an atomic replace is not atomic with the rename: a path swapped between the
//! two by someone with write access to its directory is not caught. That person could replace
//! the file themselves; the check is there for paths given by mistake, not against an attacker.
//!
//! Errors are `std::io::Error`s whose inner error is [`Refused`], so callers keep their own
//! error types and context (`cannot write the plan file FILE`) and the cause reads plainly.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// Why keyshare refused a path before any I/O that could harm it.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(
        "it is {0}, not a regular file, and keyshare writes only regular files; give the path of a regular file (or of one to create)"
    )]
    NotRegular(&'static str),
    #[error(
        "it is a symbolic link to {0}, which does not exist; give the path of a regular file, or remove the link"
    )]
    DanglingLink(PathBuf),
    #[error(
        "it holds more than {cap} bytes, the most keyshare reads from it; check that the path names the right file"
    )]
    TooLarge { cap: u64 },
}

/// Writes `bytes` to `path` owner-only (0600), replacing a regular file there in one rename,
/// so that a reader sees the old file or the new one, never half of one. Anything at `path`
/// other than a regular file (or a link to one) is refused and left as it was.
pub fn replace_owner_only(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = replaceable(path)?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // A temporary file of this run's own, so that two runs writing at once do not interleave;
    // tempfile creates it owner-only (0600) and persisting keeps that mode.
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `bytes` to a new file at `path`; anything already there, of whatever kind, is an
/// `AlreadyExists` error and is left as it was.
pub fn create_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    // O_CREAT | O_EXCL: the kernel refuses any existing entry, a link included, atomically.
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)
}

/// Reads the whole of `path`, refusing more than `cap` bytes. Any kind of file may be read (a
/// key may come through a pipe, `<(…)`); the cap is what keeps an endless one harmless.
pub fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            Refused::TooLarge { cap },
        ));
    }
    Ok(bytes)
}

/// The path an atomic replace of `path` renames onto: `path` itself when nothing is there,
/// the regular file it names (through links) otherwise.
fn replaceable(path: &Path) -> io::Result<PathBuf> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => fs::canonicalize(path),
        Ok(meta) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            Refused::NotRegular(kind(&meta)),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::read_link(path) {
            Ok(to) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                Refused::DanglingLink(to),
            )),
            Err(_) => Ok(path.to_owned()),
        },
        Err(e) => Err(e),
    }
}

/// What a path that is not a regular file is, in words.
fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    #[test]
    fn a_new_or_regular_file_is_replaced_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        replace_owner_only(&path, b"one").unwrap();
        replace_owner_only(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_link_to_a_regular_file_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        fs::write(&file, "old").unwrap();
        symlink(&file, &link).unwrap();
        replace_owner_only(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(fs::read(&file).unwrap(), b"new");
    }

    #[test]
    fn what_is_not_a_regular_file_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let to_null = dir.path().join("null");
        symlink("/dev/null", &to_null).unwrap();
        let dangling = dir.path().join("dangling");
        symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let cases = [
            (to_null.clone(), "a character device"),
            (dir.path().to_owned(), "a directory"),
            (dangling.clone(), "does not exist"),
        ];
        for (path, said) in cases {
            let err = replace_owner_only(&path, b"x").unwrap_err();
            assert!(err.to_string().contains(said), "{}: {err}", path.display());
        }
        assert!(fs::symlink_metadata(&to_null).unwrap().is_symlink());
        assert!(fs::symlink_metadata(&dangling).unwrap().is_symlink());
    }

    #[test]
    fn create_new_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        create_new(&path, b"first").unwrap();
        let err = create_new(&path, b"second").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
    }

    #[test]
    fn reads_stop_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        fs::write(&path, b"12345").unwrap();
        assert_eq!(read_capped(&path, 5).unwrap(), b"12345");
        let err = read_capped(&path, 4).unwrap_err();
        assert!(err.to_string().contains("more than 4 bytes"), "{err}");
        let endless = read_capped(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(
            endless.to_string().contains("more than 1024 bytes"),
            "{endless}"
        );
    }
}
