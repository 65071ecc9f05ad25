//! Certificate signing requests (docs/okta-api.md §5.5): generate (a fresh key pair that stays out of
//! the key list), list, get (JSON or PKCS#10), revoke, and publish a CA-signed certificate,
//! which ends the CSR and adds a key credential carrying that certificate.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use jiff::{SignedDuration, Timestamp};
use rcgen::{CertificateParams, DistinguishedName, DnType, SanType};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::OktaError;
use super::keys::{self, KeyCopy, KeyCredential};
use super::org::PendingCsr;
use super::request::base_url;
use super::syslog::EventType;
use super::{Simulator, time};

type ApiResult = Result<Response, OktaError>;

/// The body of a CSR request (the OpenAPI spec's `CsrMetadata`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CsrMetadata {
    #[serde(default)]
    subject: Subject,
    #[serde(default)]
    subject_alt_names: AltNames,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Subject {
    country_name: Option<String>,
    state_or_province_name: Option<String>,
    locality_name: Option<String>,
    organization_name: Option<String>,
    organizational_unit_name: Option<String>,
    common_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AltNames {
    #[serde(default)]
    dns_names: Vec<String>,
}

fn csr_json(base: &str, app_id: &str, csr: &PendingCsr) -> Value {
    let href = format!("{base}/api/v1/apps/{app_id}/credentials/csrs/{}", csr.id);
    json!({
        "id": csr.id,
        "created": time::okta(csr.created),
        "csr": STANDARD.encode(&csr.der),
        "kty": "RSA",
        "_links": {
            "self": {"href": href, "hints": {"allow": ["GET", "DELETE"]}},
            "publish": {"href": format!("{href}/lifecycle/publish"), "hints": {"allow": ["POST"]}},
        },
    })
}

/// JSON, or base64 PKCS#10 when the client asks for `application/pkcs10`.
fn csr_response(
    status: StatusCode,
    headers: &HeaderMap,
    app_id: &str,
    csr: &PendingCsr,
) -> Response {
    let wants_pkcs10 = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/pkcs10"));
    if wants_pkcs10 {
        return (
            status,
            [
                (
                    header::CONTENT_TYPE,
                    "application/pkcs10; filename=okta.p10",
                ),
                (
                    header::HeaderName::from_static("content-transfer-encoding"),
                    "base64",
                ),
            ],
            STANDARD.encode(&csr.der),
        )
            .into_response();
    }
    let body = csr_json(&base_url(headers), app_id, csr);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /api/v1/apps/{appId}/credentials/csrs`.
pub async fn list(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> ApiResult {
    let base = base_url(&headers);
    let csrs: Vec<Value> = sim
        .org()
        .app(&app_id)?
        .csrs
        .iter()
        .map(|c| csr_json(&base, &app_id, c))
        .collect();
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Value::Array(csrs).to_string(),
    )
        .into_response())
}

/// `GET /api/v1/apps/{appId}/credentials/csrs/{csrId}`.
pub async fn get(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Path((app_id, csr_id)): Path<(String, String)>,
) -> ApiResult {
    let csr = Arc::clone(sim.org().csr(&app_id, &csr_id)?);
    Ok(csr_response(StatusCode::OK, &headers, &app_id, &csr))
}

/// `POST /api/v1/apps/{appId}/credentials/csrs`.
pub async fn generate(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    sim.org().check_can_generate_csr(&app_id)?;
    let metadata: CsrMetadata =
        serde_json::from_slice(&body).map_err(|_| OktaError::malformed_body())?;
    // RSA generation takes ~0.1 s: keep it off the async workers and outside the lock.
    let (id, created) = (sim.ids().kid(), sim.clock().now());
    let csr = tokio::task::spawn_blocking(move || make_csr(&metadata, id, created))
        .await
        .map_err(|_| OktaError::internal())??;
    let csr = Arc::new(csr);
    sim.org().add_csr(&app_id, Arc::clone(&csr))?;
    sim.wrote(EventType::CsrGenerate, &[&app_id]);
    let mut response = csr_response(StatusCode::CREATED, &headers, &app_id, &csr);
    let location = format!(
        "{}/api/v1/apps/{app_id}/credentials/csrs/{}",
        base_url(&headers),
        csr.id
    );
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// A CSR with this id, made at `created`, over a fresh key pair.
fn make_csr(
    metadata: &CsrMetadata,
    id: String,
    created: Timestamp,
) -> Result<PendingCsr, OktaError> {
    let pair = keys::fresh_key_pair()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(&metadata.subject);
    params.subject_alt_names = metadata
        .subject_alt_names
        .dns_names
        .iter()
        .map(|name| {
            name.clone().try_into().map(SanType::DnsName).map_err(|_| {
                OktaError::validation("subjectAltNames")
                    .with_cause(format!("{name:?} is not a DNS name"))
            })
        })
        .collect::<Result<_, _>>()?;
    let request = params
        .serialize_request(pair.as_ref())
        .map_err(|_| OktaError::internal())?;
    Ok(PendingCsr {
        id,
        created,
        der: request.der().to_vec(),
        spki: rcgen::PublicKeyData::subject_public_key_info(pair.as_ref()),
    })
}

fn distinguished_name(subject: &Subject) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    let parts = [
        (DnType::CountryName, &subject.country_name),
        (DnType::StateOrProvinceName, &subject.state_or_province_name),
        (DnType::LocalityName, &subject.locality_name),
        (DnType::OrganizationName, &subject.organization_name),
        (
            DnType::OrganizationalUnitName,
            &subject.organizational_unit_name,
        ),
        (DnType::CommonName, &subject.common_name),
    ];
    for (kind, value) in parts {
        if let Some(value) = value {
            dn.push(kind, value.as_str());
        }
    }
    dn
}

/// `DELETE /api/v1/apps/{appId}/credentials/csrs/{csrId}`.
pub async fn revoke(
    State(sim): State<Simulator>,
    Path((app_id, csr_id)): Path<(String, String)>,
) -> ApiResult {
    sim.org().revoke_csr(&app_id, &csr_id)?;
    sim.wrote(EventType::CsrRevoke, &[&app_id]);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /api/v1/apps/{appId}/credentials/csrs/{csrId}/lifecycle/publish`.
pub async fn publish(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Path((app_id, csr_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let spki = sim.org().csr(&app_id, &csr_id)?.spki.clone();
    let der = certificate_der(&headers, &body)?;
    let now = sim.clock().now();
    let key = KeyCredential::published(sim.ids().kid(), now, der)
        .map_err(|_| certificate_error("The certificate is not a valid X.509 certificate."))?;
    check_certificate(&key, &spki, now)?;
    let key = KeyCopy::original(Arc::new(key));
    sim.org()
        .publish_csr(&app_id, &csr_id, Arc::clone(&key.key))?;
    sim.wrote(EventType::CsrPublish, &[&app_id]);
    let body = key.to_jwk()?;
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}

fn certificate_error(cause: &str) -> OktaError {
    OktaError::validation("certificate").with_cause(cause)
}

/// The DER of the posted certificate: PEM, binary DER/CER, or base64 of it.
fn certificate_der(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, OktaError> {
    let text = std::str::from_utf8(body).ok();
    if let Some(pem) = text.filter(|t| t.contains("-----BEGIN CERTIFICATE-----")) {
        let inner: String = pem
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        return decode_base64(&inner);
    }
    let base64_body = headers
        .get("content-transfer-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("base64"));
    match (base64_body, text) {
        (true, Some(text)) => decode_base64(text),
        (true, None) => Err(certificate_error("The certificate is not valid base64.")),
        (false, _) => Ok(body.to_vec()),
    }
}

fn decode_base64(text: &str) -> Result<Vec<u8>, OktaError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD
        .decode(&compact)
        .or_else(|_| URL_SAFE.decode(&compact))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&compact))
        .map_err(|_| certificate_error("The certificate is not valid base64."))
}

/// The certificate must carry the CSR's public key and be valid for more than 90 days after
/// `now`.
fn check_certificate(
    key: &KeyCredential,
    csr_spki: &[u8],
    now: Timestamp,
) -> Result<(), OktaError> {
    let der = &key.certificate()?.der;
    let (_, parsed) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| certificate_error("The certificate is not a valid X.509 certificate."))?;
    if parsed.public_key().raw != csr_spki {
        return Err(certificate_error("The certificate doesn't match the CSR."));
    }
    let ninety_days = now
        .checked_add(SignedDuration::from_hours(90 * 24))
        .unwrap_or(Timestamp::MAX);
    if key.expires_at <= ninety_days {
        return Err(certificate_error(
            "The certificate must be valid for more than 90 days.",
        ));
    }
    Ok(())
}
