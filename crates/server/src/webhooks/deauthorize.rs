//! The deauthorize callback: Facebook `POST`s a form field `signed_request`
//! when a user removes the app. Its `user_id` is the app-scoped id of the
//! admin who logged in (kept on each channel as `connected_by`), so every
//! channel that admin's login connected is disconnected.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Form, Json, Router};
use store::FACEBOOK_MESSENGER;

use crate::channels::disconnect;
use crate::error::ApiError;
use crate::state::AppState;

/// Why channels are disconnected by the callback, as admins read it.
pub const REASON: &str =
    "the Facebook user who connected this Page removed the app (deauthorize callback)";

/// `POST /webhooks/facebook/deauthorize`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/webhooks/facebook/deauthorize", post(deauthorize))
        .with_state(state)
}

async fn deauthorize(
    State(state): State<AppState>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Form(form) = form.map_err(|e| {
        ApiError::BadRequest(format!(
            "send signed_request as application/x-www-form-urlencoded: {}",
            e.body_text()
        ))
    })?;
    let signed = form
        .get("signed_request")
        .ok_or_else(|| ApiError::BadRequest("the form has no signed_request".into()))?;
    let secret = state.config.facebook_app_secret.expose();
    if secret.is_empty() {
        return Err(ApiError::Forbidden("no app secret is configured"));
    }
    let request = messenger::signed_request::parse(signed, secret.as_bytes()).map_err(|e| {
        tracing::warn!(error = %e, "deauthorize callback refused");
        ApiError::BadRequest(format!("invalid signed_request: {e}"))
    })?;
    let channels = state
        .store
        .channels_connected_by(FACEBOOK_MESSENGER, &request.user_id)
        .await?;
    let mut disconnected = 0;
    for channel in &channels {
        if disconnect(&state, &channel.account_id, &channel.id, REASON).await? {
            disconnected += 1;
        }
    }
    tracing::info!(
        channels = channels.len(),
        disconnected,
        "deauthorize callback handled"
    );
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({"disconnected": disconnected})),
    ))
}
