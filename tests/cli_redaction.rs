//! No secret in any output of the real binary: `plan` and `apply` run at trace level for every
//! crate, once with an API token and once as an OAuth service app, and then every byte they
//! printed and every file they wrote is searched for the secrets.

mod cli_support;

use std::path::Path;

use cli_support::{SimProcess, TOKEN};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/desired-state");
const CLIENT_ID: &str = "0oaredactionclient01";

/// Every file under `dir`, as text (lossy), with its path.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            found.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    found
}

/// Runs `args` at trace level with `envs` and returns what it printed, asserting `code`.
fn run_traced(
    sim: &SimProcess,
    home: &Path,
    envs: &[(&str, &str)],
    args: &[&str],
    code: i32,
) -> String {
    let mut cmd = sim.keyshare();
    cmd.env("RUST_LOG", "trace")
        .env("KEYSHARE_KEY_CACHE", home.join("cache"))
        .env("HOME", home)
        .current_dir(home)
        .args(args);
    for (name, value) in envs {
        cmd.env(name, value);
    }
    let out = cmd.assert().code(code);
    let output = out.get_output();
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn assert_absent(secrets: &[&str], printed: &str, home: &Path) {
    for secret in secrets {
        assert!(
            !printed.contains(secret),
            "a secret was printed: {secret:.12}…"
        );
        for (path, text) in files_under(home) {
            assert!(
                !text.contains(secret),
                "a secret was written to {path}: {secret:.12}…"
            );
        }
    }
}

#[test]
fn an_api_token_never_appears_in_output_or_files() {
    let sim = SimProcess::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let mut printed = run_traced(&sim, home.path(), &[], &["plan", EXAMPLE], 2);
    printed += &run_traced(
        &sim,
        home.path(),
        &[],
        &["apply", EXAMPLE, "--auto-approve"],
        0,
    );
    assert!(
        printed.contains("TRACE") || printed.contains("DEBUG"),
        "trace logging was on"
    );
    assert_absent(&[TOKEN], &printed, home.path());
}

#[test]
fn an_oauth_private_key_and_its_assertions_never_appear() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let public = keys.path().join("client.pub.pem");
    std::fs::write(&public, key.public_key_pem()).unwrap();
    let sim = SimProcess::start(&[
        "--oauth-client",
        &format!("{CLIENT_ID}={}", public.display()),
    ]);
    let private_pem = key.serialize_pem();
    let home = tempfile::tempdir().unwrap();
    let oauth = [
        ("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey"),
        ("OKTA_CLIENT_CLIENTID", CLIENT_ID),
        ("OKTA_CLIENT_PRIVATEKEY", private_pem.as_str()),
        ("OKTA_CLIENT_TOKEN", ""),
    ];
    let mut printed = run_traced(&sim, home.path(), &oauth, &["plan", EXAMPLE], 2);
    printed += &run_traced(
        &sim,
        home.path(),
        &oauth,
        &["apply", EXAMPLE, "--auto-approve"],
        0,
    );
    // The key's body lines, and any JWT (a client assertion or a DPoP proof starts `eyJ`).
    let body_lines: Vec<&str> = private_pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .collect();
    assert!(!body_lines.is_empty());
    let mut secrets = body_lines;
    secrets.push("eyJ");
    assert_absent(&secrets, &printed, home.path());
}
