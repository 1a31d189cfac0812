//! The deauthorize callback: Facebook `POST`s a form field `signed_request`
//! when a user removes the app. Its `user_id` is the app-scoped id of the
//! admin who logged in (kept on each channel as `connected_by`), so every
//! channel that admin's login connected is disconnected.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Form, Json};
use store::FACEBOOK_MESSENGER;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::channels::disconnect;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Why channels are disconnected by the callback, as admins read it.
pub const REASON: &str =
    "the Facebook user who connected this Page removed the app (deauthorize callback)";

/// `POST /webhooks/facebook/deauthorize`.
pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    routes().with_state(state)
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(deauthorize))
}

/// The schemas the route registers (for the document's collision check).
pub fn schemas() -> Vec<(
    String,
    utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
)> {
    let route: utoipa_axum::router::UtoipaMethodRouter<AppState> = routes!(deauthorize);
    route.0
}

/// The route's part of the OpenAPI document (no state needed).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

/// Facebook's deauthorize callback: disconnects every channel the user who
/// removed the app had connected.
#[utoipa::path(post, path = "/webhooks/facebook/deauthorize", tag = "webhooks",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
        description = "`signed_request`: Facebook's signed request naming the user"),
    responses((status = 200, body = Object,
            description = "`{\"disconnected\": n}`: channels newly disconnected"),
        (status = 400, body = ErrorBody, description = "Not a form, or a bad signed_request"),
        (status = 403, body = ErrorBody, description = "No app secret is configured")))]
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
