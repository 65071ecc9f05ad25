//! No secret reaches a log line, an error or a `Debug` output, even at trace level: the
//! client is driven through successes and failures while every tracing event of every crate
//! is captured, and then the capture is searched for each secret.

use keyshare::okta::http::{Auth, ClientSettings, HttpClient, Secret};
use keyshare::okta::{AppId, AppQuery, OktaApi};
use okta_sim::SimConfig;
use okta_sim::env::start;
use url::Url;

use crate::support::trace::capture;

const TOKEN: &str = "00redaction-test-token-7f3a9c";
const WRONG_TOKEN: &str = "00redaction-wrong-token-e1d2";

fn assert_free_of_secrets(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} contains a secret");
    }
}

#[tokio::test]
async fn api_tokens_never_appear_at_trace_level() {
    let captured = capture();
    let sim = start(SimConfig::default().with_token(TOKEN)).await.unwrap();
    let url = Url::parse(&sim.base_url()).unwrap();
    let settings = ClientSettings::new(url.clone(), Auth::Ssws(Secret::new(TOKEN)));
    let settings_debug = format!("{settings:?}");
    let client = HttpClient::new(settings).unwrap();
    let apps = client.list_apps(&AppQuery::default()).await.unwrap();
    let key = client.generate_key(&apps[0].id, 2).await.unwrap();
    let clone = client.clone_key(&apps[0].id, &key.kid, &apps[1].id).await;
    let again = client
        .clone_key(&apps[0].id, &key.kid, &apps[1].id)
        .await
        .unwrap_err();

    let wrong = HttpClient::new(ClientSettings::new(
        url,
        Auth::Ssws(Secret::new(WRONG_TOKEN)),
    ))
    .unwrap();
    let refused = wrong
        .get_app(&AppId::from("0oa8ae1t5yev2ajDs0h7"))
        .await
        .unwrap_err();

    let log = captured.text();
    assert!(
        log.contains("okta_request"),
        "the capture holds the client's spans"
    );
    assert!(
        log.contains("hyper_util"),
        "and the HTTP stack's own trace events"
    );
    let secrets = [TOKEN, WRONG_TOKEN];
    assert_free_of_secrets("the trace log", &log, &secrets);
    assert_free_of_secrets("settings Debug", &settings_debug, &secrets);
    assert_free_of_secrets("client Debug", &format!("{client:?} {wrong:?}"), &secrets);
    for err in [&again, &refused] {
        assert_free_of_secrets("an error", &format!("{err} {err:?}"), &secrets);
    }
    assert_free_of_secrets("a clone result", &format!("{clone:?}"), &secrets);
    assert_free_of_secrets(
        "stats",
        &serde_json::to_string(&client.stats()).unwrap(),
        &secrets,
    );
}
