//! The HTTP listener: `/metrics` (Prometheus text format), `/healthz` (the process answers)
//! and `/readyz` (see [`Readiness`]); `metadata` adds `/metadata/{appId}`. It serves only what
//! it reads; it changes nothing.
//!
//! Every connection is bounded, so that peers which connect and never send, or send half a
//! request, cannot take the process's file descriptors (which the reconciles need to read
//! files and reach Okta) nor hold the listener for good: at most [`MAX_CONNECTIONS`] are
//! served at once (the rest wait in the kernel's backlog, costing no descriptor), each must
//! send its headers within [`HEADER_TIMEOUT`], serves one request, and lives at most
//! [`CONNECTION_DEADLINE`]. Scrapers and probes open a connection per request anyway.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::health::Readiness;
use super::metrics::{CONTENT_TYPE, Metrics};

/// Connections served at once. Far above what Prometheus and the kubelet use, and far below
/// common descriptor limits (the process needs a few dozen more of its own).
pub const MAX_CONNECTIONS: usize = 128;

/// How long a peer may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a connection lives, its request and answer included: bounds a peer that never
/// reads the answer.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(30);

/// How long to wait before accepting again after `accept` failed (out of descriptors, most
/// likely): retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(500);

/// Serves `router` on `listener` until `stop` turns true, then drops the open connections:
/// a scrape cut by a stop is retried by Prometheus, and a peer that hangs cannot hold up the
/// exit.
pub async fn serve(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let (stream, slot) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "the metrics listener cannot accept a connection; retrying shortly");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        connections.spawn(async move {
            let _slot = slot;
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service);
            // A peer that is cut off has nothing to be told; its error is not the listener's.
            let _ = tokio::time::timeout(CONNECTION_DEADLINE, connection).await;
        });
    }
    connections.shutdown().await;
}

/// The next connection, once a slot is free.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> std::io::Result<(tokio::net::TcpStream, tokio::sync::OwnedSemaphorePermit)> {
    // Never closed: the semaphore lives as long as the listener.
    let slot = slots
        .clone()
        .acquire_owned()
        .await
        .map_err(std::io::Error::other)?;
    let (stream, _) = listener.accept().await?;
    Ok((stream, slot))
}

/// What the handlers read.
#[derive(Clone)]
struct Shared {
    metrics: Arc<Metrics>,
    readiness: Arc<Readiness>,
}

/// The listener's routes.
pub fn router(metrics: Arc<Metrics>, readiness: Arc<Readiness>) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(Shared { metrics, readiness })
}

async fn metrics_text(State(shared): State<Shared>) -> Response {
    match shared.metrics.encode() {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the metrics could not be encoded\n",
        )
            .into_response(),
    }
}

async fn ready(State(shared): State<Shared>) -> Response {
    match shared.readiness.check() {
        Ok(None) => "ready\n".into_response(),
        Ok(Some(note)) => format!("ready; {note}\n").into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        )
            .into_response(),
    }
}
