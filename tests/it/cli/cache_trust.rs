//! The key cache must never hide a due rotation for long. Through the real binary against the
//! simulator: the guide's shared key expires in 20 days and the group rotates 30 days before
//! expiry, so `drift` must report it, whatever the cache says, unless the cache is private,
//! consistent with its own certificate and confirmed by Okta within the day.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::*;

fn finance(rotate_before: &str) -> String {
    format!(
        "apiVersion: keyshare/v1\nkind: SigningKeyGroup\nmetadata:\n  name: finance\nspec:\n  source: {APP1}\n  members:\n    - {APP2}\n  key:\n    validityYears: 2\n{rotate_before}"
    )
}

/// `keyshare drift` with the cache in `cache`: its exit code and standard error.
fn drift(sim: &SimProcess, repo: &Path, cache: &Path) -> (i32, String) {
    let output = sim
        .keyshare()
        .arg("drift")
        .arg(repo)
        .arg("--key-cache")
        .arg(cache)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn cache_file(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 1, "one cache file per org");
    files.pop().unwrap()
}

/// A certificate that expires at `not_after`, as a hostile writer could make one.
fn certificate(not_after: (i32, u8, u8)) -> Vec<u8> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
    let pair = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&pair).unwrap().der().to_vec()
}

/// Rewrites every cache entry to say the key expires on 2031-01-01 and was listed by Okta at
/// `read_at`: with a forged certificate when `forge`, else by editing `expiresAt` alone.
fn edit(file: &Path, read_at: Timestamp, forge: bool) {
    let mut cache: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    for entry in cache["keys"].as_array_mut().unwrap() {
        entry["facts"]["expiresAt"] = "2031-01-01T00:00:00.000Z".into();
        entry["read_at"] = read_at.to_string().into();
        if forge {
            let der = certificate((2031, 1, 1));
            let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
            entry["facts"]["x5c"] = Value::from(vec![b64]);
            entry["facts"]["x5t#S256"] = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(&der))
                .into();
        }
    }
    std::fs::write(file, cache.to_string()).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_wrong_cache_cannot_hide_a_due_rotation_for_long() {
    let sim = SimProcess::start(&[]);
    let repo = tempfile::tempdir().unwrap();
    write_files(repo.path(), &[("finance.yaml", &finance(""))]);
    sim.keyshare()
        .args(["apply", "--auto-approve", "--no-key-cache"])
        .arg(repo.path())
        .assert()
        .code(0);
    write_files(
        repo.path(),
        &[("finance.yaml", &finance("    rotateBefore: 30d\n"))],
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    assert_eq!(
        drift(&sim, repo.path(), &cache).0,
        2,
        "cold: the key is due"
    );
    let file = cache_file(&cache);
    let now = Timestamp::now();

    edit(&file, now, false);
    assert_eq!(
        drift(&sim, repo.path(), &cache).0,
        2,
        "an expiry that is not the certificate's is dropped"
    );

    // A writer who forges a matching certificate is believed, but only while the file is
    // private and only for a day after Okta last listed the key.
    edit(&file, now, true);
    assert_eq!(
        drift(&sim, repo.path(), &cache).0,
        0,
        "a private, consistent, recent entry stands for Okta"
    );
    edit(&file, now, true);
    chmod(&file, 0o666);
    let (code, stderr) = drift(&sim, repo.path(), &cache);
    assert_eq!(code, 2, "a file others can write is ignored: {stderr}");
    assert!(
        stderr.contains("ignoring the key cache") && stderr.contains("chmod go-w"),
        "{stderr}"
    );

    edit(&file, now, true);
    chmod(&file, 0o600);
    chmod(&cache, 0o777);
    assert_eq!(
        drift(&sim, repo.path(), &cache).0,
        2,
        "a directory others can write is not trusted"
    );
    chmod(&cache, 0o700);

    for stale in [
        now - SignedDuration::from_hours(25),
        now + SignedDuration::from_hours(24 * 365),
    ] {
        edit(&file, stale, true);
        assert_eq!(
            drift(&sim, repo.path(), &cache).0,
            2,
            "an entry Okta has not confirmed within the day ({stale}) is re-read"
        );
        let corrected: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let expires = corrected["keys"][0]["facts"]["expiresAt"].as_str().unwrap();
        assert!(
            !expires.starts_with("2031"),
            "corrected from Okta: {expires}"
        );
    }
}
