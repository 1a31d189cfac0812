//! The caller's own profile and password, for every role (admins manage
//! others through `staff`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use domain::staff as rules;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::views::StaffView;
use crate::auth::access::AccessEnded;
use crate::auth::throttle::{self, LoginKeys};
use crate::auth::{password, Caller, Credential};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The name visitors see when a channel's format is `display_name`.
    pub display_name: Option<String>,
}

/// Change my own names.
#[utoipa::path(patch, path = "/api/v1/me", tag = "session", request_body = UpdateProfileRequest,
    responses((status = 200, body = StaffView), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<UpdateProfileRequest>,
) -> ApiResult<Json<StaffView>> {
    let name = |field: &str, value: Option<String>| {
        value.map(|n| rules::parse_name(field, &n, 60)).transpose()
    };
    let update = store::StaffUpdate {
        first_name: name("first_name", req.first_name)?,
        last_name: name("last_name", req.last_name)?,
        display_name: name("display_name", req.display_name)?,
        ..Default::default()
    };
    let staff = state
        .store
        .update_staff(caller.account_id(), caller.staff_id(), update)
        .await?;
    Ok(Json(staff.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// At least 10 characters.
    pub new_password: String,
}

/// Change my own password. My other sessions end; this one stays. Wrong
/// current passwords count against the login throttle like failed logins.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "session",
    request_body = ChangePasswordRequest,
    responses((status = 204, description = "Changed; other sessions ended"),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "Too many wrong passwords")))]
pub async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    caller: Caller,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    rules::check_password(&req.new_password)
        .map_err(|e| ApiError::validation("new_password", e.rule))?;
    let now = state.now();
    let keys = LoginKeys::new(&caller.staff.email, peer.ip());
    let attempt = throttle::begin(&state, &keys, now).await?;
    let record = state.store.find_login(&caller.staff.email).await?;
    let hash = record.map(|r| r.password_hash);
    let Some(attempt) = throttle::verify(&state, attempt, hash, req.current_password).await? else {
        return Err(ApiError::validation(
            "current_password",
            "is not your current password",
        ));
    };
    throttle::succeeded(&state, &keys, attempt).await?;
    let hash = password::hash_password(req.new_password).await?;
    let account_id = caller.account_id();
    state
        .store
        .set_staff_password(account_id, caller.staff_id(), &hash)
        .await?;
    let keep = match &caller.credential {
        Credential::Session { token_hash, .. } => Some(token_hash.as_str()),
        Credential::ApiToken { .. } => None,
    };
    state
        .store
        .delete_staff_sessions(account_id, caller.staff_id(), keep)
        .await?;
    state.access.end(AccessEnded::Staff {
        account_id: account_id.to_owned(),
        staff_id: caller.staff_id().to_owned(),
        except_session: keep.map(str::to_owned),
    });
    tracing::info!(staff_id = %caller.staff_id(), "password changed");
    Ok(StatusCode::NO_CONTENT)
}
