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
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use ingest::Ingest;

use crate::error::{ApiError, ErrorBody};
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
pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    let ingest = Ingest::spawn(state.store.clone(), state.wake.inbox.clone());
    routes().with_state(WebhookState { app: state, ingest })
}

fn routes() -> OpenApiRouter<WebhookState> {
    OpenApiRouter::new().routes(routes!(handshake, receive))
}

/// The schemas the routes register (for the document's collision check).
pub fn schemas() -> Vec<(
    String,
    utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
)> {
    let route: utoipa_axum::router::UtoipaMethodRouter<WebhookState> = routes!(handshake, receive);
    route.0
}

/// The routes' part of the OpenAPI document (no state needed).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

/// The handshake's query, as Facebook sends it (documentation only: the
/// handler reads the raw map so a missing field is the protocol's refusal).
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct HandshakeQuery {
    /// Always `subscribe`.
    #[param(rename = "hub.mode")]
    mode: String,
    /// Must equal the configured `facebook_verify_token`.
    #[param(rename = "hub.verify_token")]
    verify_token: String,
    /// Echoed back when the token matches.
    #[param(rename = "hub.challenge")]
    challenge: String,
}

/// The verification handshake: echo `hub.challenge` when the verify token matches.
#[utoipa::path(get, path = "/webhooks/facebook", tag = "webhooks", params(HandshakeQuery),
    responses((status = 200, content_type = "text/plain", body = String,
            description = "The `hub.challenge`, verbatim"),
        (status = 403, content_type = "text/plain", body = String,
            description = "Wrong mode or verify token")))]
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
#[utoipa::path(post, path = "/webhooks/facebook", tag = "webhooks",
    params(("X-Hub-Signature-256" = String, Header,
        description = "`sha256=` + hex HMAC-SHA256 of the raw body with the app secret")),
    request_body(content = Object, content_type = "application/json",
        description = "A Messenger webhook batch (`object: page`, `entry[]`), at most 4 MiB"),
    responses((status = 200, content_type = "text/plain", body = String,
            description = "`EVENT_RECEIVED`: stored durably"),
        (status = 403, body = ErrorBody, description = "Bad signature or no app secret configured"),
        (status = 413, body = ErrorBody)))]
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
