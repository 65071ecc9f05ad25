//! Resumption: an apply that stopped after generating a key (a crash, or an answer lost on the
//! way back) is finished by the next run without a second key on the source.

mod apply_support;

use std::future::Future;

use apply_support::*;
use keyshare::okta::{
    ApiError, AppId, AppQuery, Application, JsonWebKey, Kid, OktaApi, http::HttpClient,
};
use keyshare::plan::{KeyChoice, KeyRef, Step};
use serde_json::{Map, Value};

#[tokio::test]
async fn a_rerun_after_a_stop_right_after_generate_adopts_the_key() {
    let org = Org::guide().await;
    let desired = finance();
    let first = org.plan(&desired).await;
    let Step::Generate {
        app,
        validity_years,
        ..
    } = &first.steps[0]
    else {
        panic!("the first step generates: {first:?}");
    };
    // The apply stops right after its first step.
    let generated = org.client.generate_key(app, *validity_years).await.unwrap();

    let rerun = org.plan(&desired).await;
    assert!(
        !rerun
            .steps
            .iter()
            .any(|s| matches!(s, Step::Generate { .. })),
        "no second generate: {rerun:?}"
    );
    assert_eq!(rerun.groups[0].key, KeyRef::Existing(generated.kid.clone()));
    assert!(matches!(rerun.groups[0].choice, KeyChoice::Resumed { .. }));

    let report = org.execute(&rerun).await.unwrap();
    assert_eq!(
        report.to_string(),
        "0 keys generated, 1 cloned, 2 apps switched"
    );
    assert!(org.plan(&desired).await.is_empty());
    let source = org.app_state(APP1).await;
    assert_eq!(
        kids(&source).len(),
        2,
        "the seeded key and exactly one new key"
    );
    assert_eq!(signing_kid(&source), generated.kid.0);
}

#[tokio::test]
async fn an_apply_stopped_after_any_step_converges_on_rerun_with_one_new_key() {
    for stop_after in 0..=4 {
        let org = Org::guide().await;
        let desired = finance();
        let mut first = org.plan(&desired).await;
        first.steps.truncate(stop_after);
        org.execute(&first).await.unwrap();

        let rerun = org.plan(&desired).await;
        let generates = rerun
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Generate { .. }))
            .count();
        assert_eq!(
            generates,
            usize::from(stop_after == 0),
            "stopped after {stop_after}"
        );
        org.execute(&rerun).await.unwrap();

        assert!(
            org.plan(&desired).await.is_empty(),
            "stopped after {stop_after}"
        );
        let (app1, app2) = (org.app_state(APP1).await, org.app_state(APP2).await);
        assert_eq!(kids(&app1).len(), 2, "stopped after {stop_after}: {app1}");
        assert_eq!(kids(&app2).len(), 2, "stopped after {stop_after}: {app2}");
        assert_eq!(signing_kid(&app1), signing_kid(&app2));
    }
}

/// keyshare's client, except that the answer to a generate is lost after Okta acted on it: the
/// fault a timeout after sending makes, which the simulator cannot inject yet.
struct LostGenerateAnswer<'a>(&'a HttpClient);

impl OktaApi for LostGenerateAnswer<'_> {
    fn list_apps(
        &self,
        query: &AppQuery,
    ) -> impl Future<Output = Result<Vec<Application>, ApiError>> + Send {
        self.0.list_apps(query)
    }

    fn get_app(&self, id: &AppId) -> impl Future<Output = Result<Application, ApiError>> + Send {
        self.0.get_app(id)
    }

    fn replace_app(
        &self,
        id: &AppId,
        body: &Map<String, Value>,
    ) -> impl Future<Output = Result<Application, ApiError>> + Send {
        self.0.replace_app(id, body)
    }

    fn list_keys(
        &self,
        id: &AppId,
    ) -> impl Future<Output = Result<Vec<JsonWebKey>, ApiError>> + Send {
        self.0.list_keys(id)
    }

    fn get_key(
        &self,
        id: &AppId,
        kid: &Kid,
    ) -> impl Future<Output = Result<JsonWebKey, ApiError>> + Send {
        self.0.get_key(id, kid)
    }

    async fn generate_key(&self, id: &AppId, validity_years: u8) -> Result<JsonWebKey, ApiError> {
        self.0.generate_key(id, validity_years).await?;
        Err(ApiError::Transport {
            method: "POST",
            path: format!("/api/v1/apps/{id}/credentials/keys/generate"),
            host: "127.0.0.1".into(),
            detail: "operation timed out".into(),
            maybe_sent: true,
        })
    }

    fn clone_key(
        &self,
        holder: &AppId,
        kid: &Kid,
        target: &AppId,
    ) -> impl Future<Output = Result<JsonWebKey, ApiError>> + Send {
        self.0.clone_key(holder, kid, target)
    }

    fn saml_metadata(&self, id: &AppId) -> impl Future<Output = Result<String, ApiError>> + Send {
        self.0.saml_metadata(id)
    }
}

#[tokio::test]
async fn a_generate_whose_answer_is_lost_adopts_the_key_that_appeared() {
    let org = Org::guide().await;
    let desired = finance();
    let plan = org.plan(&desired).await;
    let lossy = LostGenerateAnswer(&org.client);

    let report = keyshare::apply::execute(&lossy, &plan, &mut |_| {})
        .await
        .expect("the apply goes on with the adopted key");

    assert_eq!(
        report.to_string(),
        "1 key generated, 1 cloned, 2 apps switched"
    );
    let source = org.app_state(APP1).await;
    assert_eq!(kids(&source).len(), 2, "one key generated, not two");
    assert_eq!(signing_kid(&source), report.generated["finance"].0);
    assert!(org.plan(&desired).await.is_empty());
}
