//! OAuth 2.0 over real HTTP (docs/okta-api.md §9): client credentials with private_key_jwt, scopes,
//! Bearer tokens, and DPoP-bound tokens with the use_dpop_nonce dance.

use std::time::{SystemTime, UNIX_EPOCH};

use super::support::{APP1, Sim, error_of};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use okta_sim::{OAuthClientSeed, SimConfig};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CLIENT: &str = "0oaservice0000000001";
const READER: &str = "0oareader00000000001";
const DPOP_CLIENT: &str = "0oadpop0000000000001";

struct Keys {
    client: KeyPair,
    stranger: KeyPair,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn client_seed(id: &str, key: &KeyPair, scopes: &[&str], dpop: bool) -> OAuthClientSeed {
    OAuthClientSeed {
        client_id: id.into(),
        public_key: key.public_key_pem(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        dpop,
    }
}

async fn setup() -> (Sim, Keys) {
    let keys = Keys {
        client: KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap(),
        stranger: KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap(),
    };
    let config = SimConfig {
        oauth_clients: vec![
            client_seed(
                CLIENT,
                &keys.client,
                &["okta.apps.read", "okta.apps.manage"],
                false,
            ),
            client_seed(READER, &keys.client, &["okta.apps.read"], false),
            client_seed(
                DPOP_CLIENT,
                &keys.client,
                &["okta.apps.read", "okta.apps.manage"],
                true,
            ),
        ],
        ..SimConfig::default()
    };
    (Sim::start(config).await, keys)
}

fn assertion(key: &KeyPair, claims: &Value) -> String {
    let encoding = EncodingKey::from_rsa_pem(key.serialize_pem().as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &encoding).unwrap()
}

fn claims(sim: &Sim, client: &str) -> Value {
    json!({"iss": client, "sub": client, "aud": sim.url("/oauth2/v1/token"), "exp": now() + 300, "iat": now(), "jti": URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())})
}

async fn token_request(
    sim: &Sim,
    assertion: &str,
    scope: &str,
    dpop: Option<&str>,
) -> reqwest::Response {
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", scope),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ];
    let mut request = sim
        .http
        .post(sim.url("/oauth2/v1/token"))
        .header("Accept", "application/json")
        .form(&form);
    if let Some(proof) = dpop {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

async fn bearer(sim: &Sim, client: &str, key: &KeyPair, scope: &str) -> String {
    let response = token_request(sim, &assertion(key, &claims(sim, client)), scope, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (
            body["token_type"].as_str(),
            body["expires_in"].as_u64(),
            body["scope"].as_str()
        ),
        (Some("Bearer"), Some(3600), Some(scope))
    );
    body["access_token"].as_str().unwrap().to_owned()
}

async fn call(
    sim: &Sim,
    method: reqwest::Method,
    path: &str,
    authorization: &str,
) -> reqwest::Response {
    sim.http
        .request(method, sim.url(path))
        .header("Authorization", authorization)
        .header("Content-Length", "0")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_service_app_gets_a_bearer_token_and_uses_it() {
    let (sim, keys) = setup().await;
    let token = bearer(
        &sim,
        CLIENT,
        &keys.client,
        "okta.apps.read okta.apps.manage",
    )
    .await;
    let auth = format!("Bearer {token}");
    assert_eq!(
        call(&sim, reqwest::Method::GET, "/api/v1/apps", &auth)
            .await
            .status(),
        200
    );
    let generate = format!("/api/v1/apps/{APP1}/credentials/keys/generate?validityYears=2");
    assert_eq!(
        call(&sim, reqwest::Method::POST, &generate, &auth)
            .await
            .status(),
        201
    );
    assert_eq!(
        error_of(
            call(
                &sim,
                reqwest::Method::GET,
                "/api/v1/apps",
                "Bearer not-a-token"
            )
            .await
        )
        .await
        .1,
        "E0000011"
    );
}

#[tokio::test]
async fn scopes_are_enforced() {
    let (sim, keys) = setup().await;
    let auth = format!(
        "Bearer {}",
        bearer(&sim, READER, &keys.client, "okta.apps.read").await
    );
    assert_eq!(
        call(
            &sim,
            reqwest::Method::GET,
            &format!("/api/v1/apps/{APP1}/credentials/keys"),
            &auth
        )
        .await
        .status(),
        200
    );
    let denied = call(
        &sim,
        reqwest::Method::POST,
        &format!("/api/v1/apps/{APP1}/credentials/keys/generate?validityYears=2"),
        &auth,
    )
    .await;
    let challenge = denied.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("error=\"insufficient_scope\"")
            && challenge.contains("scope=\"okta.apps.manage\""),
        "{challenge}"
    );
    assert_eq!(
        error_of(denied).await,
        (
            403,
            "E0000006".into(),
            "You do not have permission to perform the requested action".into(),
            vec![]
        )
    );
    let manage_only = format!(
        "Bearer {}",
        bearer(&sim, CLIENT, &keys.client, "okta.apps.manage").await
    );
    assert_eq!(
        call(&sim, reqwest::Method::GET, "/api/v1/apps", &manage_only)
            .await
            .status(),
        200,
        "manage implies read"
    );
}

#[tokio::test]
async fn bad_token_requests_get_oauth_errors() {
    let (sim, keys) = setup().await;
    let good = claims(&sim, CLIENT);
    let with = |field: &str, value: Value| {
        let mut c = good.clone();
        c[field] = value;
        c
    };
    let replayed = assertion(&keys.client, &good);
    assert_eq!(
        token_request(&sim, &replayed, "okta.apps.read", None)
            .await
            .status(),
        200
    );
    let cases: Vec<(&str, String, &str, (u16, &str))> = vec![
        (
            "replayed jti",
            replayed,
            "okta.apps.read",
            (401, "invalid_client"),
        ),
        (
            "wrong audience",
            assertion(
                &keys.client,
                &with("aud", json!("https://other.okta.com/oauth2/v1/token")),
            ),
            "okta.apps.read",
            (401, "invalid_client"),
        ),
        (
            "sub differs from iss",
            assertion(&keys.client, &with("sub", json!(READER))),
            "okta.apps.read",
            (401, "invalid_client"),
        ),
        (
            "unknown client",
            assertion(
                &keys.client,
                &json!({"iss": "0oanobody", "sub": "0oanobody", "aud": sim.url("/oauth2/v1/token"), "exp": now() + 60}),
            ),
            "okta.apps.read",
            (401, "invalid_client"),
        ),
        (
            "exp two hours ahead",
            assertion(&keys.client, &with("exp", json!(now() + 7200))),
            "okta.apps.read",
            (401, "invalid_client"),
        ),
        (
            "expired",
            assertion(&keys.client, &with("exp", json!(now() - 600))),
            "okta.apps.read",
            (401, "invalid_client"),
        ),
        (
            "signed by another key",
            assertion(&keys.stranger, &claims(&sim, CLIENT)),
            "okta.apps.read",
            (401, "invalid_client"),
        ),
        (
            "not a JWT",
            "garbage".into(),
            "okta.apps.read",
            (401, "invalid_client"),
        ),
        (
            "scope not granted",
            assertion(&keys.client, &claims(&sim, READER)),
            "okta.apps.manage",
            (400, "invalid_scope"),
        ),
        (
            "no scope",
            assertion(&keys.client, &claims(&sim, CLIENT)),
            "",
            (400, "invalid_scope"),
        ),
    ];
    for (case, assertion, scope, want) in cases {
        let response = token_request(&sim, &assertion, scope, None).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            want,
            "{case}: {body}"
        );
        assert!(body["error_description"].is_string());
    }
    let wrong_grant = sim
        .http
        .post(sim.url("/oauth2/v1/token"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_grant.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
}

/// A DPoP proof signed with an EC P-256 key carried in its own header.
struct DpopKey {
    pair: KeyPair,
}

impl DpopKey {
    fn proof(&self, method: &str, url: &str, nonce: Option<&str>, token: Option<&str>) -> String {
        let point = self.pair.public_key_raw();
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])});
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(serde_json::from_value(jwk).unwrap());
        let mut claims = json!({"htm": method, "htu": url, "iat": now(), "jti": URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())});
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        if let Some(token) = token {
            claims["ath"] = json!(URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes())));
        }
        let key = EncodingKey::from_ec_pem(self.pair.serialize_pem().as_bytes()).unwrap();
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    }
}

#[tokio::test]
async fn dpop_clients_get_a_nonce_then_a_bound_token() {
    let (sim, keys) = setup().await;
    let dpop = DpopKey {
        pair: KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap(),
    };
    let token_url = sim.url("/oauth2/v1/token");
    let fresh = || assertion(&keys.client, &claims(&sim, DPOP_CLIENT));

    let missing = token_request(&sim, &fresh(), "okta.apps.read", None).await;
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "invalid_dpop_proof"
    );

    let first = token_request(
        &sim,
        &fresh(),
        "okta.apps.read",
        Some(&dpop.proof("POST", &token_url, None, None)),
    )
    .await;
    assert_eq!(first.status(), 400);
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!({"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof."})
    );

    let second = token_request(
        &sim,
        &fresh(),
        "okta.apps.read",
        Some(&dpop.proof("POST", &token_url, Some(&nonce), None)),
    )
    .await;
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    let token = body["access_token"].as_str().unwrap();

    let path = "/api/v1/apps";
    let api = |proof: Option<String>, scheme: &'static str| {
        let mut request = sim
            .http
            .get(sim.url(path))
            .header("Authorization", format!("{scheme} {token}"));
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        request.send()
    };
    let url = sim.url(path);
    assert_eq!(
        api(Some(dpop.proof("GET", &url, None, Some(token))), "DPoP")
            .await
            .unwrap()
            .status(),
        200
    );
    let other_key = DpopKey {
        pair: KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap(),
    };
    let refused = [
        ("as a Bearer token", api(None, "Bearer").await.unwrap()),
        ("without a proof", api(None, "DPoP").await.unwrap()),
        (
            "proof for another token",
            api(Some(dpop.proof("GET", &url, None, Some("other"))), "DPoP")
                .await
                .unwrap(),
        ),
        (
            "proof for another method",
            api(Some(dpop.proof("POST", &url, None, Some(token))), "DPoP")
                .await
                .unwrap(),
        ),
        (
            "proof by another key",
            api(
                Some(other_key.proof("GET", &url, None, Some(token))),
                "DPoP",
            )
            .await
            .unwrap(),
        ),
    ];
    for (case, response) in refused {
        assert_eq!(response.status(), 401, "{case}");
    }
}

#[test]
fn cli_flags_register_oauth_clients_from_pem_files() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: okta_sim::cli::SimArgs,
    }
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("client.pub.pem");
    std::fs::write(
        &pem,
        KeyPair::generate_for(&PKCS_RSA_SHA256)
            .unwrap()
            .public_key_pem(),
    )
    .unwrap();
    let cli = Cli::try_parse_from([
        "sim",
        "--oauth-client",
        &format!("{CLIENT}={}", pem.display()),
        "--rate-window-ms",
        "500",
        "--token",
        "t0k",
    ])
    .unwrap();
    let config = cli.sim.to_config().unwrap();
    assert_eq!(config.oauth_clients[0].client_id, CLIENT);
    assert_eq!(config.tokens, ["t0k"]);
    assert!(
        !format!("{:?} {config:?}", cli.sim).contains("t0k"),
        "Debug forms never show the token"
    );
    assert_eq!(config.limits.window.as_millis(), 500);
    assert!(okta_sim::Simulator::new(config).is_ok());
    let missing = Cli::try_parse_from(["sim", "--oauth-client", "no-equals-sign"]).unwrap();
    assert!(
        missing
            .sim
            .to_config()
            .unwrap_err()
            .to_string()
            .contains("expected CLIENT_ID=PUBLIC_KEY_FILE")
    );
}
