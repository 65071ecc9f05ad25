//! Shared helpers of the simulator's integration tests: a simulator on 127.0.0.1:0 and a
//! reqwest client that speaks to it with the default token.

use okta_sim::admin::AdminClient;
use okta_sim::{RunningSim, SimConfig};
use reqwest::{Method, Response};
use serde_json::Value;

pub const TOKEN: &str = "00sim-token";
pub const APP1: &str = "0oa8ae1t5yev2ajDs0h7";
pub const APP2: &str = "0oa8ae0dv4RGQvjyZ0h7";

pub struct Sim {
    pub running: RunningSim,
    pub http: reqwest::Client,
}

impl Sim {
    pub async fn start(config: SimConfig) -> Self {
        let running = okta_sim::env::start(config)
            .await
            .expect("simulator starts");
        Self {
            running,
            http: reqwest::Client::new(),
        }
    }

    pub async fn default() -> Self {
        Self::start(SimConfig::default()).await
    }

    /// The typed client of its `/__sim/` routes.
    pub fn admin(&self) -> AdminClient {
        self.running.admin()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    /// A request without a body; POSTs say `Content-Length: 0`, as Okta requires (reqwest
    /// leaves the header out otherwise, and the simulator answers 411).
    pub async fn call(&self, method: Method, path: &str) -> Response {
        let mut request = self
            .http
            .request(method.clone(), self.url(path))
            .header("Authorization", format!("SSWS {TOKEN}"));
        if method == Method::POST {
            request = request.header("Content-Length", "0");
        }
        request.send().await.expect("request reaches the simulator")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path).await
    }

    pub async fn post(&self, path: &str) -> Response {
        self.call(Method::POST, path).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.http
            .put(self.url(path))
            .header("Authorization", format!("SSWS {TOKEN}"))
            .json(body)
            .send()
            .await
            .expect("request reaches the simulator")
    }

    pub async fn json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("JSON body")
    }
}

/// Status, errorCode, errorSummary and the cause summaries of an error response, after
/// checking the parts of the error object every Okta error has.
pub async fn error_of(response: Response) -> (u16, String, String, Vec<String>) {
    let status = response.status().as_u16();
    assert!(response.headers().contains_key("x-okta-request-id"));
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: Value = response.json().await.expect("error body is JSON");
    let code = body["errorCode"].as_str().expect("errorCode").to_owned();
    assert_eq!(body["errorLink"], body["errorCode"]);
    let error_id = body["errorId"].as_str().expect("errorId");
    assert!(
        error_id.starts_with("oae") && error_id.len() == 25,
        "{error_id}"
    );
    let causes = body["errorCauses"]
        .as_array()
        .expect("errorCauses array")
        .iter()
        .map(|c| c["errorSummary"].as_str().unwrap().to_owned())
        .collect();
    (
        status,
        code,
        body["errorSummary"].as_str().unwrap().to_owned(),
        causes,
    )
}
