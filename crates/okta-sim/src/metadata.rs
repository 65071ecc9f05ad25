//! `GET /api/v1/apps/{appId}/sso/saml/metadata`: SAML 2.0 IdP metadata carrying the app's
//! active signing certificate (or the key named by `?kid=`), as an SP would download it, with
//! the recorded content type and line wrapping. With the `staleMetadata` fault, the certificate
//! of another key the app holds instead of the active one.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::Simulator;
use super::error::OktaError;
use super::request::{base_url, query_pairs};
use super::shapes::SignOnMode;

/// The metadata document.
pub async fn saml_metadata(
    State(sim): State<Simulator>,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, OktaError> {
    let params = query_pairs(query.as_deref());
    let requested = params
        .iter()
        .find(|(k, _)| k == "kid")
        .map(|(_, v)| v.clone());
    let (key, name) = {
        let org = sim.org();
        let app = org.app(&app_id)?;
        if !app.mode().is_some_and(SignOnMode::has_saml_metadata) {
            return Err(OktaError::not_found(
                &format!("{app_id}/sso/saml/metadata"),
                "AppInstance",
            ));
        }
        let active = app.signing_kid().unwrap_or_default();
        let stale = sim
            .faults()
            .stale_metadata()
            .then(|| app.keys.iter().map(|k| k.kid()).find(|kid| *kid != active))
            .flatten();
        let kid = requested.as_deref().or(stale).unwrap_or(active);
        let key = app
            .key(kid)
            .ok_or_else(|| OktaError::not_found(kid, "JsonWebKey"))?;
        (
            Arc::clone(&key.key),
            app.str_field("name").unwrap_or_default().to_owned(),
        )
    };
    // Okta wraps the certificate at 76 columns, as recorded metadata shows.
    let encoded = STANDARD.encode(&key.certificate()?.der);
    let certificate = encoded
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect::<Vec<_>>()
        .join("\n");
    let base = base_url(&headers);
    let external_key = format!("exk{}", &app_id[app_id.len().saturating_sub(17)..]);
    let sso = format!("{base}/app/{name}/{external_key}/sso/saml");
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/{external_key}"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{sso}"/><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{sso}"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
    );
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xml;charset=ISO-8859-1")],
        xml,
    )
        .into_response())
}
