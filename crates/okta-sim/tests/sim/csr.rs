//! CSRs and SAML metadata over real HTTP (docs/okta-api.md §5.5 and §8).

use super::support::{APP1, APP2, Sim, TOKEN, error_of};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rcgen::{
    CertificateParams, DnType, Issuer, KeyPair, PKCS_RSA_SHA256, PublicKeyData, SignatureAlgorithm,
};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use x509_parser::prelude::FromDer;

const CSRS: &str = "/api/v1/apps/0oa8ae1t5yev2ajDs0h7/credentials/csrs";

async fn generate_csr(sim: &Sim, accept: &str) -> reqwest::Response {
    let metadata = json!({
        "subject": {"countryName": "US", "stateOrProvinceName": "California", "localityName": "San Francisco",
                    "organizationName": "Okta, Inc.", "organizationalUnitName": "Dev", "commonName": "SP Issuer"},
        "subjectAltNames": {"dnsNames": ["dev.okta.com"]},
    });
    sim.http
        .post(sim.url(CSRS))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .header("Accept", accept)
        .json(&metadata)
        .send()
        .await
        .unwrap()
}

/// The CSR's public key, as rcgen needs it to sign a certificate for it.
struct CsrKey(Vec<u8>);

impl PublicKeyData for CsrKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_RSA_SHA256
    }
}

fn csr_key(csr_der: &[u8]) -> CsrKey {
    let (_, csr) =
        x509_parser::certification_request::X509CertificationRequest::from_der(csr_der).unwrap();
    CsrKey(
        csr.certification_request_info
            .subject_pki
            .subject_public_key
            .data
            .to_vec(),
    )
}

/// A certificate for `key` signed by a throw-away CA, valid for `days`.
fn ca_signed(key: &impl PublicKeyData, days: i64) -> Vec<u8> {
    let ca_key = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, "Test CA");
    let issuer = Issuer::new(ca, ca_key);
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "SP Issuer");
    params.not_before = rcgen::date_time_ymd(2026, 1, 1);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    params.not_after = rcgen::date_time_ymd(1970, 1, 1)
        + now
        + std::time::Duration::from_secs(u64::try_from(days).unwrap() * 86_400);
    params.signed_by(key, &issuer).unwrap().der().to_vec()
}

async fn publish(
    sim: &Sim,
    csr_id: &str,
    content_type: &str,
    body: Vec<u8>,
    extra: HeaderMap,
) -> reqwest::Response {
    sim.http
        .post(sim.url(&format!("{CSRS}/{csr_id}/lifecycle/publish")))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .header("Content-Type", content_type)
        .headers(extra)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn pem(der: &[u8]) -> Vec<u8> {
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        STANDARD.encode(der)
    )
    .into_bytes()
}

#[tokio::test]
async fn a_csr_lives_outside_the_key_list_until_published() {
    let sim = Sim::default().await;
    let created = generate_csr(&sim, "application/json").await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let csr: Value = created.json().await.unwrap();
    let id = csr["id"].as_str().unwrap();
    assert_eq!(location, sim.url(&format!("{CSRS}/{id}")));
    assert_eq!(csr["kty"], "RSA");
    assert_eq!(csr["_links"]["publish"]["hints"]["allow"], json!(["POST"]));
    let der = STANDARD.decode(csr["csr"].as_str().unwrap()).unwrap();
    let (_, parsed) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&der).unwrap();
    assert_eq!(
        parsed.certification_request_info.subject.to_string(),
        "C=US, ST=California, L=San Francisco, O=Okta, Inc., OU=Dev, CN=SP Issuer"
    );

    assert_eq!(sim.json(CSRS).await, json!([csr]));
    let state = sim.admin().state().await.unwrap();
    assert_eq!(state.apps[0].csrs, [id]);
    assert_eq!(
        sim.json(&format!("/api/v1/apps/{APP1}/credentials/keys"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let pkcs10 = sim
        .http
        .get(sim.url(&format!("{CSRS}/{id}")))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .header("Accept", "application/pkcs10")
        .send()
        .await
        .unwrap();
    assert_eq!(
        pkcs10.headers()["content-type"],
        "application/pkcs10; filename=okta.p10"
    );
    assert_eq!(STANDARD.decode(pkcs10.text().await.unwrap()).unwrap(), der);

    let certificate = ca_signed(&csr_key(&der), 365);
    let published = publish(
        &sim,
        id,
        "application/x-pem-file",
        pem(&certificate),
        HeaderMap::new(),
    )
    .await;
    assert_eq!(published.status(), 201);
    let jwk: Value = published.json().await.unwrap();
    assert_eq!(jwk["x5c"], json!([STANDARD.encode(&certificate)]));
    assert_eq!(jwk["kid"].as_str().unwrap().len(), 43);
    let keys = sim
        .json(&format!("/api/v1/apps/{APP1}/credentials/keys"))
        .await;
    assert_eq!(keys[0], jwk, "the published key joins the list");
    assert_eq!(
        error_of(sim.get(&format!("{CSRS}/{id}")).await).await.1,
        "E0000007",
        "publishing ends the CSR"
    );
}

#[tokio::test]
async fn publish_accepts_base64_der_and_refuses_wrong_certificates() {
    let sim = Sim::default().await;
    let csr: Value = generate_csr(&sim, "application/json")
        .await
        .json()
        .await
        .unwrap();
    let id = csr["id"].as_str().unwrap();
    let der = STANDARD.decode(csr["csr"].as_str().unwrap()).unwrap();
    let stranger = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
    let failures = [
        (
            ca_signed(&stranger, 365),
            "The certificate doesn't match the CSR.",
        ),
        (
            ca_signed(&csr_key(&der), 30),
            "The certificate must be valid for more than 90 days.",
        ),
        (
            b"not a certificate".to_vec(),
            "The certificate is not a valid X.509 certificate.",
        ),
    ];
    for (body, cause) in failures {
        let (status, code, summary, causes) =
            error_of(publish(&sim, id, "application/pkix-cert", body, HeaderMap::new()).await)
                .await;
        assert_eq!(
            (status, code.as_str(), summary.as_str(), causes),
            (
                400,
                "E0000001",
                "Api validation failed: certificate",
                vec![cause.to_owned()]
            )
        );
    }
    let mut base64 = HeaderMap::new();
    base64.insert("content-transfer-encoding", "base64".parse().unwrap());
    let body = STANDARD.encode(ca_signed(&csr_key(&der), 365)).into_bytes();
    assert_eq!(
        publish(&sim, id, "application/x-x509-ca-cert", body, base64)
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn a_revoked_csr_is_gone() {
    let sim = Sim::default().await;
    let pkcs10 = generate_csr(&sim, "application/pkcs10").await;
    assert_eq!(
        (
            pkcs10.status().as_u16(),
            pkcs10.headers()["content-transfer-encoding"]
                .to_str()
                .unwrap()
        ),
        (201, "base64")
    );
    let csrs = sim.json(CSRS).await;
    let id = csrs[0]["id"].as_str().unwrap();
    assert_eq!(
        sim.call(reqwest::Method::DELETE, &format!("{CSRS}/{id}"))
            .await
            .status(),
        204
    );
    assert_eq!(sim.json(CSRS).await, json!([]));
    assert_eq!(
        error_of(
            sim.call(reqwest::Method::DELETE, &format!("{CSRS}/{id}"))
                .await
        )
        .await
        .0,
        404
    );
    let garbage = sim
        .http
        .post(sim.url(CSRS))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .body("{")
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(garbage).await.1, "E0000003");
}

#[tokio::test]
async fn saml_metadata_carries_the_active_signing_certificate() {
    let sim = Sim::default().await;
    let key = &sim
        .json(&format!("/api/v1/apps/{APP2}/credentials/keys"))
        .await[0];
    let response = sim
        .get(&format!("/api/v1/apps/{APP2}/sso/saml/metadata"))
        .await;
    assert_eq!(
        response.headers()["content-type"],
        "application/xml;charset=ISO-8859-1",
        "as recorded"
    );
    let xml = response.text().await.unwrap();
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><md:EntityDescriptor"),
        "{xml}"
    );
    let certificate = |xml: &str| {
        let start = xml.find("<ds:X509Certificate>").unwrap() + "<ds:X509Certificate>".len();
        let end = xml.find("</ds:X509Certificate>").unwrap();
        xml[start..end].to_owned()
    };
    let wrapped = certificate(&xml);
    assert!(
        wrapped.lines().all(|line| line.len() <= 76) && wrapped.lines().count() > 1,
        "wrapped at 76 columns, as recorded: {wrapped}"
    );
    assert_eq!(wrapped.replace('\n', ""), key["x5c"][0].as_str().unwrap());

    let generated: Value = sim
        .post(&format!(
            "/api/v1/apps/{APP2}/credentials/keys/generate?validityYears=2"
        ))
        .await
        .json()
        .await
        .unwrap();
    let kid = generated["kid"].as_str().unwrap();
    let by_kid = sim
        .get(&format!("/api/v1/apps/{APP2}/sso/saml/metadata?kid={kid}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        certificate(&by_kid).replace('\n', ""),
        generated["x5c"][0].as_str().unwrap()
    );
    assert_eq!(
        error_of(
            sim.get(&format!("/api/v1/apps/{APP2}/sso/saml/metadata?kid=nope"))
                .await
        )
        .await
        .0,
        404
    );
}
