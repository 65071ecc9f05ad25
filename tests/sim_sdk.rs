//! The official Okta Python SDK (okta==3.4.4) runs scripts/sdk_session.py against the
//! simulator. It needs a Python with that SDK installed, named by `KEYSHARE_SDK_PYTHON`:
//!
//! ```text
//! python3 -m venv .venv-sdk && .venv-sdk/bin/pip install okta==3.4.4
//! KEYSHARE_SDK_PYTHON=.venv-sdk/bin/python cargo test --test sim_sdk -- --ignored
//! ```

use std::time::Duration;

use keyshare::sim::{self, OAuthClientSeed, RateLimits, SimConfig};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Python with okta==3.4.4; see the module docs"]
async fn the_python_sdk_cannot_tell_the_simulator_from_okta() {
    let python = std::env::var("KEYSHARE_SDK_PYTHON")
        .expect("KEYSHARE_SDK_PYTHON must name a Python with okta==3.4.4 installed");
    let limits = RateLimits {
        apps: 40,
        window: Duration::from_millis(2_000),
        ..RateLimits::default()
    };
    // Service apps allowed to read only, for the SDK's PrivateKey (private_key_jwt) mode,
    // one of them requiring DPoP.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let private_key = dir.path().join("client.pem");
    std::fs::write(&private_key, key.serialize_pem()).unwrap();
    let reader = |client_id: &str, dpop: bool| OAuthClientSeed {
        client_id: client_id.into(),
        public_key: key.public_key_pem(),
        scopes: vec!["okta.apps.read".into()],
        dpop,
    };
    let config = SimConfig {
        oauth_clients: vec![
            reader("0oasdkreader00000001", false),
            reader("0oasdkdpop0000000001", true),
        ],
        ..SimConfig::default().with_limits(limits)
    };
    let running = sim::start(config).await.unwrap();
    let output = tokio::process::Command::new(python)
        .arg("scripts/sdk_session.py")
        .arg(running.base_url())
        .arg("00sim-token")
        .arg("0oasdkreader00000001")
        .arg("0oasdkdpop0000000001")
        .arg(&private_key)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "sdk session failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(stdout.contains("sdk session: all steps passed"), "{stdout}");
    println!("{stdout}");
}
