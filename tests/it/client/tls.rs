//! TLS: an org whose certificate a private CA signed fails with the host and the `--ca-cert`
//! hint, and works once that CA is passed with `--ca-cert`.
//!
//! The simulator serves plain HTTP on loopback, so this test runs its own tiny HTTPS server
//! that answers one application per connection.

use std::sync::Arc;

use keyshare::okta::http::{Auth, ClientSettings, HttpClient, Secret};
use keyshare::okta::{ApiError, AppId, OktaApi};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use url::Url;

const APP: &str =
    r#"{"id":"0oa8ae1t5yev2ajDs0h7","label":"App 1","status":"ACTIVE","signOnMode":"SAML_2_0"}"#;

/// Serves HTTPS on `localhost` with a fresh self-signed certificate; returns its URL and the
/// certificate as PEM (the "private CA").
async fn https_org() -> (Url, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(certified.cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                certified.signing_key.serialize_der(),
            )),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0_u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{APP}",
                    APP.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (
        Url::parse(&format!("https://localhost:{port}")).unwrap(),
        cert_pem,
    )
}

fn client(url: &Url, ca_cert: Option<std::path::PathBuf>) -> HttpClient {
    let mut settings = ClientSettings::new(url.clone(), Auth::Ssws(Secret::new("00token")));
    settings.ca_cert = ca_cert;
    settings.retry.max_retries = 0;
    HttpClient::new(settings).unwrap()
}

#[tokio::test]
async fn a_private_ca_needs_ca_cert() {
    let (url, ca_pem) = https_org().await;
    let app = AppId::from("0oa8ae1t5yev2ajDs0h7");

    let err = client(&url, None).get_app(&app).await.unwrap_err();
    let ApiError::Transport { host, .. } = &err else {
        panic!("expected a transport error, got {err:?}");
    };
    assert_eq!(host, "localhost");
    let message = err.to_string();
    assert!(message.contains("certificate"), "{message}");
    assert!(
        message.contains("pass its CA with --ca-cert FILE"),
        "{message}"
    );

    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), ca_pem).unwrap();
    let trusted = client(&url, Some(ca_file.path().to_owned()));
    let fetched = trusted.get_app(&app).await.unwrap();
    assert_eq!(fetched.label, "App 1");
}
