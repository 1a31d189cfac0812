//! Facebook's webhook: the subscription handshake and event deliveries.
//!
//! A delivery is checked (`X-Hub-Signature-256` over the raw bytes, size),
//! written raw to the inbox through the group-commit writer, and only then
//! answered 200; the inbox worker (`crate::inbound`) does the rest. Parsing
//! happens there, so a signed body that cannot be read is still kept.

pub mod deauthorize;
mod ingest;

use std::collections::HashMap;

use axum::body::{to_bytes, Body};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub use ingest::Ingest;

use crate::error::ApiError;
use crate::state::AppState;

/// Largest delivery accepted (Facebook batches up to 1000 events).
pub const MAX_WEBHOOK_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
struct WebhookState {
    app: AppState,
    ingest: Ingest,
}

/// `GET/POST /webhooks/facebook`, with its own group-commit writer (started
/// here, stopped when the router is dropped).
pub fn router(state: AppState) -> Router {
    let ingest = Ingest::spawn(state.store.clone(), state.wake.inbox.clone());
    Router::new()
        .route("/webhooks/facebook", get(handshake).post(receive))
        .with_state(WebhookState { app: state, ingest })
}

/// The verification handshake: echo `hub.challenge` when the verify token matches.
async fn handshake(
    State(state): State<WebhookState>,
    Query(query): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let q = |k: &str| query.get(k).map(String::as_str);
    match messenger::handshake::verify_subscription(
        q("hub.mode"),
        q("hub.verify_token"),
        q("hub.challenge"),
        state.app.config.facebook_verify_token.expose(),
    ) {
        Ok(challenge) => (StatusCode::OK, challenge).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "webhook handshake refused");
            (StatusCode::FORBIDDEN, e.to_string()).into_response()
        }
    }
}

/// A delivery: verified, stored durably, then acknowledged.
async fn receive(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let body = to_bytes(body, MAX_WEBHOOK_BYTES).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!(
            "a webhook delivery may be at most {MAX_WEBHOOK_BYTES} bytes"
        ))
    })?;
    let secret = state.app.config.facebook_app_secret.expose();
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if secret.is_empty() {
        return Err(ApiError::Forbidden("no app secret is configured"));
    }
    if let Err(e) = messenger::signature::verify(secret.as_bytes(), &body, signature, None) {
        tracing::warn!(error = %e, "webhook delivery refused");
        return Err(ApiError::Forbidden("invalid X-Hub-Signature-256"));
    }
    state
        .ingest
        .store(body.to_vec())
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("storing a webhook delivery: {e}")))?;
    Ok((StatusCode::OK, "EVENT_RECEIVED"))
}
