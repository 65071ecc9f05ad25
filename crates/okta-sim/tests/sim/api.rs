//! The simulator's app and key endpoints over real HTTP, against docs/okta-api.md: the guide's
//! org, key material, the guide's flow, error bodies, and pagination.

use super::support::{APP1, APP2, Sim, TOKEN, error_of};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn ts(value: &Value) -> Timestamp {
    let text = value.as_str().expect("timestamp string");
    assert!(
        text.ends_with(".000Z") && text.len() == 24,
        "Okta format: {text}"
    );
    text.parse().unwrap()
}

#[tokio::test]
async fn the_default_org_is_the_guides_two_saml_apps() {
    let sim = Sim::default().await;
    let apps = sim.json("/api/v1/apps").await;
    let summary: Vec<_> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap(),
                a["name"].as_str().unwrap(),
                a["label"].as_str().unwrap(),
                a["signOnMode"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (APP1, "myorg_app1", "App 1", "SAML_2_0", "ACTIVE"),
            (APP2, "myorg_app2", "App 2", "SAML_2_0", "ACTIVE"),
        ]
    );
    let started = sim.running.simulator().started();
    for app in apps.as_array().unwrap() {
        for field in [
            "allowMultipleAcsEndpoints",
            "assertionSigned",
            "honorForceAuthn",
            "requestCompressed",
            "responseSigned",
        ] {
            assert!(
                app["settings"]["signOn"][field].is_boolean(),
                "settings.signOn.{field}"
            );
        }
        for field in ["accessibility", "visibility", "features", "orn", "_links"] {
            assert!(!app[field].is_null(), "{field}");
        }
        assert_eq!(app["credentials"]["userNameTemplate"]["type"], "BUILT_IN");
        ts(&app["created"]);
        ts(&app["lastUpdated"]);
        let id = app["id"].as_str().unwrap();
        let keys = sim
            .json(&format!("/api/v1/apps/{id}/credentials/keys"))
            .await;
        let keys = keys.as_array().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0]["kid"], app["credentials"]["signing"]["kid"]);
        let expires = ts(&keys[0]["expiresAt"]);
        assert_eq!(
            expires.as_second() - started.as_second(),
            20 * 86_400,
            "expires 20 days after start"
        );
        assert!(ts(&keys[0]["created"]) < started - jiff::SignedDuration::from_hours(24 * 365));
    }
    let one = sim.json(&format!("/api/v1/apps/{APP1}")).await;
    assert_eq!(one, apps[0]);
}

/// x5c, x5t#S256, n and e agree, and the certificate has Okta's profile (docs/okta-api.md §5.1).
fn assert_okta_key(jwk: &Value) {
    let members: Vec<&str> = jwk
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        members,
        [
            "kty",
            "created",
            "lastUpdated",
            "expiresAt",
            "kid",
            "use",
            "x5c",
            "x5t#S256",
            "e",
            "n"
        ]
    );
    assert_eq!(
        (jwk["kty"].as_str(), jwk["use"].as_str()),
        (Some("RSA"), Some("sig"))
    );
    let kid = jwk["kid"].as_str().unwrap();
    assert_eq!(kid.len(), 43);
    assert!(URL_SAFE_NO_PAD.decode(kid).is_ok());
    let x5c = jwk["x5c"].as_array().unwrap();
    assert_eq!(x5c.len(), 1);
    let der = STANDARD
        .decode(x5c[0].as_str().unwrap())
        .expect("standard base64");
    assert_eq!(
        jwk["x5t#S256"],
        URL_SAFE_NO_PAD.encode(Sha256::digest(&der))
    );
    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("DER certificate");
    let subject = cert.subject().to_string();
    assert_eq!(
        subject,
        "C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider, CN=myorg, Email=info@okta.com"
    );
    assert_eq!(cert.issuer().to_string(), subject);
    assert!(cert.extensions().is_empty(), "no extensions");
    assert_eq!(
        cert.signature_algorithm.algorithm.to_id_string(),
        "1.2.840.113549.1.1.11",
        "SHA256withRSA"
    );
    let created = ts(&jwk["created"]);
    assert_eq!(jwk["lastUpdated"], jwk["created"]);
    assert_eq!(
        cert.serial.to_string(),
        created.as_millisecond().to_string(),
        "serial = epoch ms"
    );
    assert_eq!(
        cert.validity().not_before.timestamp(),
        created.as_second() - 60
    );
    assert_eq!(
        cert.validity().not_after.timestamp(),
        ts(&jwk["expiresAt"]).as_second()
    );
    let x509_parser::public_key::PublicKey::RSA(rsa) = cert.public_key().parsed().unwrap() else {
        panic!("RSA key");
    };
    assert_eq!(rsa.key_size(), 2048);
    let strip = |b: &[u8]| {
        b.iter()
            .skip_while(|x| **x == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    assert_eq!(jwk["n"], URL_SAFE_NO_PAD.encode(strip(rsa.modulus)));
    assert_eq!(jwk["e"], URL_SAFE_NO_PAD.encode(strip(rsa.exponent)));
    assert_eq!(jwk["e"], "AQAB");
}

#[tokio::test]
async fn the_guides_flow_generate_clone_switch() {
    let sim = Sim::default().await;
    for app in [APP1, APP2] {
        let keys = sim
            .json(&format!("/api/v1/apps/{app}/credentials/keys"))
            .await;
        assert_okta_key(&keys[0]);
    }

    let generated = sim
        .post(&format!(
            "/api/v1/apps/{APP1}/credentials/keys/generate?validityYears=2"
        ))
        .await;
    assert_eq!(generated.status(), 201);
    let generated: Value = generated.json().await.unwrap();
    assert_okta_key(&generated);
    let kid = generated["kid"].as_str().unwrap();
    let created = ts(&generated["created"]);
    assert_eq!(
        ts(&generated["expiresAt"]).to_string(),
        created
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .checked_add(jiff::Span::new().years(2))
            .unwrap()
            .timestamp()
            .to_string()
    );
    let app1_keys = sim
        .json(&format!("/api/v1/apps/{APP1}/credentials/keys"))
        .await;
    assert_eq!(app1_keys.as_array().unwrap().len(), 2);
    assert_eq!(app1_keys[0]["kid"], kid, "newest key first");
    let app1 = sim.json(&format!("/api/v1/apps/{APP1}")).await;
    assert_ne!(
        app1["credentials"]["signing"]["kid"], kid,
        "generate does not activate"
    );

    let cloned = sim
        .post(&format!(
            "/api/v1/apps/{APP1}/credentials/keys/{kid}/clone?targetAid={APP2}"
        ))
        .await;
    assert_eq!(cloned.status(), 201);
    let cloned: Value = cloned.json().await.unwrap();
    for member in [
        "kid",
        "expiresAt",
        "x5c",
        "x5t#S256",
        "e",
        "n",
        "kty",
        "use",
    ] {
        assert_eq!(
            cloned[member], generated[member],
            "the clone is the same key and certificate: {member}"
        );
    }
    assert!(
        ts(&cloned["created"]) >= created,
        "the target's copy is dated at the clone"
    );
    let on_target = sim
        .json(&format!("/api/v1/apps/{APP2}/credentials/keys/{kid}"))
        .await;
    assert_eq!(on_target, cloned);

    let again = sim
        .post(&format!(
            "/api/v1/apps/{APP1}/credentials/keys/{kid}/clone?targetAid={APP2}"
        ))
        .await;
    assert_eq!(
        error_of(again).await,
        (
            400,
            "E0000001".into(),
            "Api validation failed: cloneKey".into(),
            vec!["Key already exists in the list of key credentials for the target app.".into()]
        )
    );

    for app in [APP1, APP2] {
        let mut body = sim.json(&format!("/api/v1/apps/{app}")).await;
        body["credentials"]["signing"]["kid"] = json!(kid);
        let response = sim.put(&format!("/api/v1/apps/{app}"), &body).await;
        assert_eq!(response.status(), 200);
        let updated: Value = response.json().await.unwrap();
        assert_eq!(updated["credentials"]["signing"]["kid"], kid);
        assert!(ts(&updated["lastUpdated"]) >= ts(&body["lastUpdated"]));
        let mut expected = body.clone();
        expected["lastUpdated"] = updated["lastUpdated"].clone();
        assert_eq!(updated, expected, "nothing else changed");
        assert_eq!(sim.json(&format!("/api/v1/apps/{app}")).await, updated);
    }
}

#[tokio::test]
async fn the_guides_minimal_put_body_keeps_the_other_fields() {
    let sim = Sim::default().await;
    let before = sim.json(&format!("/api/v1/apps/{APP2}")).await;
    let kid = before["credentials"]["signing"]["kid"].clone();
    let body = json!({"name": "myorg_app2", "label": "App 2", "signOnMode": "SAML_2_0", "credentials": {"signing": {"kid": kid}}});
    let response = sim.put(&format!("/api/v1/apps/{APP2}"), &body).await;
    assert_eq!(response.status(), 200);
    let after: Value = response.json().await.unwrap();
    assert_eq!(after["settings"], before["settings"]);
    assert_eq!(after["credentials"], before["credentials"]);
}

/// status, errorCode, errorSummary, errorCauses.
type Expected = (u16, &'static str, &'static str, Vec<&'static str>);

#[tokio::test]
async fn errors_carry_okta_codes_and_bodies() {
    let sim = Sim::default().await;
    let kid = sim.json(&format!("/api/v1/apps/{APP1}")).await["credentials"]["signing"]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let out_of_range = (
        400,
        "E0000001",
        "Api validation failed: generateKey",
        vec!["Validity years out of range. It should be 2 - 10 years."],
    );
    let cases: Vec<(Method, String, Expected)> = vec![
        (
            Method::GET,
            "/api/v1/apps/0oaNOPE0000000000000".into(),
            (
                404,
                "E0000007",
                "Not found: Resource not found: 0oaNOPE0000000000000 (AppInstance)",
                vec![],
            ),
        ),
        (
            Method::GET,
            format!("/api/v1/apps/{APP1}/credentials/keys/nokid"),
            (
                404,
                "E0000007",
                "Not found: Resource not found: nokid (JsonWebKey)",
                vec![],
            ),
        ),
        (
            Method::GET,
            "/api/v1/apps/0oaNOPE0000000000000/credentials/keys".into(),
            (
                404,
                "E0000007",
                "Not found: Resource not found: 0oaNOPE0000000000000 (AppInstance)",
                vec![],
            ),
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{APP1}/credentials/keys/generate?validityYears=1"),
            out_of_range.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{APP1}/credentials/keys/generate?validityYears=11"),
            out_of_range.clone(),
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{APP1}/credentials/keys/generate?validityYears=two"),
            out_of_range,
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{APP1}/credentials/keys/generate"),
            (
                400,
                "E0000028",
                "The request is missing a required parameter.",
                vec!["validityYears: The parameter is required."],
            ),
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{APP1}/credentials/keys/{kid}/clone"),
            (
                400,
                "E0000028",
                "The request is missing a required parameter.",
                vec!["targetAid: The parameter is required."],
            ),
        ),
        (
            Method::POST,
            format!(
                "/api/v1/apps/{APP1}/credentials/keys/{kid}/clone?targetAid=0oaNOPE0000000000000"
            ),
            (
                404,
                "E0000007",
                "Not found: Resource not found: 0oaNOPE0000000000000 (AppInstance)",
                vec![],
            ),
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{APP1}/credentials/keys/nokid/clone?targetAid={APP2}"),
            (
                404,
                "E0000007",
                "Not found: Resource not found: nokid (JsonWebKey)",
                vec![],
            ),
        ),
        (
            Method::DELETE,
            format!("/api/v1/apps/{APP1}/credentials/keys"),
            (
                405,
                "E0000022",
                "The endpoint does not support the provided HTTP method",
                vec![],
            ),
        ),
    ];
    for (method, path, want) in cases {
        let got = error_of(sim.call(method.clone(), &path).await).await;
        let got_ref = (
            got.0,
            got.1.as_str(),
            got.2.as_str(),
            got.3.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(got_ref, want, "{method} {path}");
    }
}

#[tokio::test]
async fn put_rejects_what_reference_section_4_rejects() {
    let sim = Sim::default().await;
    let app = sim.json(&format!("/api/v1/apps/{APP1}")).await;
    let app2_kid =
        sim.json(&format!("/api/v1/apps/{APP2}")).await["credentials"]["signing"]["kid"].clone();
    let with = |field: &str, value: Value| {
        let mut body = app.clone();
        body[field] = value;
        body
    };
    let mut foreign_kid = app.clone();
    foreign_kid["credentials"]["signing"]["kid"] = app2_kid;
    let mut no_label = app.clone();
    no_label.as_object_mut().unwrap().remove("label");
    let cases = [
        (no_label, "Api validation failed: label"),
        (
            with("signOnMode", json!("WS_FEDERATION")),
            "Api validation failed: signOnMode",
        ),
        (
            foreign_kid,
            "Api validation failed: credentials.signing.kid",
        ),
    ];
    for (body, summary) in cases {
        let (status, code, got, _) =
            error_of(sim.put(&format!("/api/v1/apps/{APP1}"), &body).await).await;
        assert_eq!(
            (status, code.as_str(), got.as_str()),
            (400, "E0000001", summary)
        );
    }
    let garbage = sim
        .http
        .put(sim.url(&format!("/api/v1/apps/{APP1}")))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(garbage).await.1, "E0000003");
    assert_eq!(
        sim.json(&format!("/api/v1/apps/{APP1}")).await,
        app,
        "nothing changed"
    );
}

#[tokio::test]
async fn tokens_are_checked_with_or_without_the_space() {
    let sim = Sim::default().await;
    let url = sim.url("/api/v1/apps");
    let invalid = (
        401,
        "E0000011".to_owned(),
        "Invalid token provided".to_owned(),
        vec![],
    );
    let no_header = sim.http.get(&url).send().await.unwrap();
    assert_eq!(error_of(no_header).await, invalid);
    for header in ["SSWS wrong", "Bearer 00sim-token", "SSWS", "00sim-token"] {
        let response = sim
            .http
            .get(&url)
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(response).await, invalid, "{header}");
    }
    for header in [format!("SSWS {TOKEN}"), format!("SSWS{TOKEN}")] {
        let response = sim
            .http
            .get(&url)
            .header("Authorization", &header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{header}");
    }
}

#[tokio::test]
async fn empty_post_bodies_are_accepted_with_any_content_type() {
    let sim = Sim::default().await;
    let url = sim.url(&format!(
        "/api/v1/apps/{APP1}/credentials/keys/generate?validityYears=3"
    ));
    for content_type in [
        None,
        Some("application/octet-stream"),
        Some("application/json"),
    ] {
        let mut request = sim
            .http
            .post(&url)
            .header("Authorization", format!("SSWS {TOKEN}"))
            .header("Content-Length", "0");
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        assert_eq!(
            request.send().await.unwrap().status(),
            201,
            "{content_type:?}"
        );
    }
}

fn links(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pagination_uses_one_link_header_per_relation() {
    let sim = Sim::default().await;
    let base = sim.running.base_url();
    let first = sim.get("/api/v1/apps?limit=1").await;
    assert_eq!(
        links(&first),
        [
            format!("<{base}/api/v1/apps?limit=1>; rel=\"self\""),
            format!("<{base}/api/v1/apps?after={APP1}&limit=1>; rel=\"next\""),
        ]
    );
    let page: Value = first.json().await.unwrap();
    assert_eq!(page[0]["id"], APP1);
    let second = sim.get(&format!("/api/v1/apps?limit=1&after={APP1}")).await;
    assert_eq!(links(&second).len(), 1, "the last page has no next link");
    let page: Value = second.json().await.unwrap();
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["id"], APP2);
    let after_with_own_query = sim.json(&format!("/api/v1/apps?q=app&after={APP1}")).await;
    assert_eq!(after_with_own_query.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn every_response_has_a_request_id_and_state_needs_no_token() {
    let sim = Sim::default().await;
    let state = sim.http.get(sim.url("/__sim/state")).send().await.unwrap();
    assert_eq!(state.status(), 200);
    assert!(state.headers().contains_key("x-okta-request-id"));
    assert!(state.headers().contains_key("date"));
    let state: Value = state.json().await.unwrap();
    assert_eq!(state["apps"].as_array().unwrap().len(), 2);
    assert_eq!(state["apps"][0]["app"]["id"], APP1);
    assert_eq!(
        state["apps"][0]["keys"][0]["kid"],
        state["apps"][0]["app"]["credentials"]["signing"]["kid"]
    );
}
