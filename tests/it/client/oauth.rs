//! OAuth service apps against the simulator over real HTTP: a good key works and its token is
//! reused; a wrong key, a wrong client id and a missing scope each fail with what to check;
//! DPoP is negotiated when the app requires it; no secret reaches the trace log.

use std::sync::OnceLock;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use keyshare::okta::http::{Auth, Bucket, ClientSettings, HttpClient, PrivateKeySource, Secret};
use keyshare::okta::{ApiError, AppId, AppQuery, OktaApi};
use okta_sim::env::start;
use okta_sim::{OAuthClientSeed, RunningSim, SimConfig};
use url::Url;

use crate::support::APP1;
use crate::support::trace::capture;

const CLIENT_ID: &str = "0oaservice0000000001";
const READ: &str = "okta.apps.read";
const MANAGE: &str = "okta.apps.manage";

/// An RSA key pair as PEM texts.
struct TestKey {
    private_pem: String,
    public_pem: String,
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn test_key() -> TestKey {
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let private = AsDer::<Pkcs8V1Der>::as_der(&pair).unwrap();
    let public = AsDer::<PublicKeyX509Der>::as_der(pair.public_key()).unwrap();
    TestKey {
        private_pem: pem("PRIVATE KEY", private.as_ref()),
        public_pem: pem("PUBLIC KEY", public.as_ref()),
    }
}

/// The key registered for [`CLIENT_ID`], made once per test binary (RSA generation is slow).
fn registered_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(test_key)
}

async fn sim_with_client(granted: &[&str], dpop: bool) -> RunningSim {
    let config = SimConfig {
        oauth_clients: vec![OAuthClientSeed {
            client_id: CLIENT_ID.to_owned(),
            public_key: registered_key().public_pem.clone(),
            scopes: granted.iter().map(|s| (*s).to_owned()).collect(),
            dpop,
        }],
        ..SimConfig::default()
    };
    start(config).await.unwrap()
}

fn oauth_client(sim: &RunningSim, client_id: &str, key_pem: &str, scopes: &[&str]) -> HttpClient {
    let auth = Auth::PrivateKey {
        client_id: client_id.to_owned(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        private_key: PrivateKeySource::Inline(Secret::new(key_pem)),
        kid: None,
    };
    let url = Url::parse(&sim.base_url()).unwrap();
    HttpClient::new(ClientSettings::new(url, auth)).unwrap()
}

fn token_requests(client: &HttpClient) -> u64 {
    client
        .stats()
        .buckets
        .get(&Bucket::Token)
        .map_or(0, |b| b.requests)
}

#[tokio::test]
async fn a_good_key_works_and_its_token_is_reused() {
    let sim = sim_with_client(&[READ, MANAGE], false).await;
    let client = oauth_client(
        &sim,
        CLIENT_ID,
        &registered_key().private_pem,
        &[READ, MANAGE],
    );
    let apps = client.list_apps(&AppQuery::default()).await.unwrap();
    assert_eq!(apps.len(), 2);
    let key = client.generate_key(&apps[0].id, 2).await.unwrap();
    client
        .clone_key(&apps[0].id, &key.kid, &apps[1].id)
        .await
        .unwrap();
    client.get_app(&apps[1].id).await.unwrap();
    assert_eq!(token_requests(&client), 1, "one token serves every request");
}

#[tokio::test]
async fn a_key_file_works_too() {
    let sim = sim_with_client(&[READ, MANAGE], false).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &registered_key().private_pem).unwrap();
    let auth = Auth::PrivateKey {
        client_id: CLIENT_ID.to_owned(),
        scopes: vec![READ.to_owned()],
        private_key: PrivateKeySource::from_setting(file.path().to_str().unwrap()),
        kid: None,
    };
    let url = Url::parse(&sim.base_url()).unwrap();
    let client = HttpClient::new(ClientSettings::new(url, auth)).unwrap();
    client.get_app(&AppId::from(APP1)).await.unwrap();
}

#[tokio::test]
async fn a_wrong_key_or_client_id_fails_naming_what_to_check() {
    let sim = sim_with_client(&[READ, MANAGE], false).await;
    let other_key = test_key();
    let cases = [
        ("wrong key", CLIENT_ID, other_key.private_pem.as_str()),
        (
            "wrong client id",
            "0oanosuchclient00001",
            registered_key().private_pem.as_str(),
        ),
    ];
    for (name, client_id, key) in cases {
        let client = oauth_client(&sim, client_id, key, &[READ]);
        let err = client.get_app(&AppId::from(APP1)).await.unwrap_err();
        let ApiError::Auth { status, reason, .. } = &err else {
            panic!("{name}: expected a token error, got {err:?}");
        };
        assert!(matches!(status, Some(400 | 401)), "{name}: {status:?}");
        assert!(reason.starts_with("invalid_client"), "{name}: {err}");
        let message = err.to_string();
        assert!(
            message.contains("--client-id / OKTA_CLIENT_CLIENTID")
                && message.contains("--private-key / OKTA_CLIENT_PRIVATEKEY"),
            "{name}: {message}"
        );
    }
}

#[tokio::test]
async fn a_missing_manage_scope_fails_naming_the_scope() {
    let sim = sim_with_client(&[READ], false).await;
    // Asking for a scope the app was not granted fails at the token endpoint …
    let greedy = oauth_client(
        &sim,
        CLIENT_ID,
        &registered_key().private_pem,
        &[READ, MANAGE],
    );
    let err = greedy.get_app(&AppId::from(APP1)).await.unwrap_err();
    assert!(
        matches!(&err, ApiError::Auth { reason, .. } if reason.starts_with("invalid_scope")),
        "{err:?}"
    );
    assert!(err.to_string().contains("okta.apps.manage"), "{err}");

    // … and a token without it reads but cannot write.
    let reader = oauth_client(&sim, CLIENT_ID, &registered_key().private_pem, &[READ]);
    reader.get_app(&AppId::from(APP1)).await.unwrap();
    let err = reader
        .generate_key(&AppId::from(APP1), 2)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Denied { status: 403, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("lacks the `okta.apps.manage` scope"),
        "{err}"
    );
}

#[tokio::test]
async fn dpop_is_negotiated_when_the_app_requires_it() {
    let sim = sim_with_client(&[READ, MANAGE], true).await;
    let client = oauth_client(
        &sim,
        CLIENT_ID,
        &registered_key().private_pem,
        &[READ, MANAGE],
    );
    let apps = client.list_apps(&AppQuery::default()).await.unwrap();
    client.generate_key(&apps[0].id, 2).await.unwrap();
    client.get_app(&apps[0].id).await.unwrap();
    let handshake = token_requests(&client);
    assert!(
        (2..=3).contains(&handshake),
        "plain, then with a proof, then with the nonce: {handshake}"
    );
    client.get_app(&apps[1].id).await.unwrap();
    assert_eq!(
        token_requests(&client),
        handshake,
        "the DPoP token is reused"
    );
}

#[tokio::test]
async fn no_key_assertion_token_or_proof_reaches_the_trace_log() {
    let capture = capture();

    let sim = sim_with_client(&[READ, MANAGE], true).await;
    let client = oauth_client(
        &sim,
        CLIENT_ID,
        &registered_key().private_pem,
        &[READ, MANAGE],
    );
    client.list_apps(&AppQuery::default()).await.unwrap();
    let wrong = oauth_client(&sim, CLIENT_ID, &test_key().private_pem, &[READ]);
    let err = wrong.get_app(&AppId::from(APP1)).await.unwrap_err();

    let log = capture.text();
    assert!(
        log.contains("okta_token_request") && log.contains("hyper_util"),
        "trace captured"
    );
    let outputs = [
        ("the trace log", log),
        ("the error", format!("{err} {err:?}")),
        ("the clients' Debug", format!("{client:?} {wrong:?}")),
    ];
    // Every JWT (assertion, DPoP proof, and Okta's JWT access tokens) starts with `eyJ`.
    let key_line = registered_key().private_pem.lines().nth(1).unwrap();
    for (what, text) in outputs {
        assert!(!text.contains("eyJ"), "{what} contains a JWT");
        assert!(!text.contains(key_line), "{what} contains the private key");
    }
}
