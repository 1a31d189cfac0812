//! Logging in and out, and the caller's own record.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::Json;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::views::{AccountView, StaffView};
use crate::auth::access::AccessEnded;
use crate::auth::throttle::{self, LoginKeys};
use crate::auth::{Caller, Credential, SESSION_COOKIE, SESSION_TOKEN_PREFIX};
use crate::crypto::{random_token, token_hash};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;

/// How long a session lasts after logging in.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(12);

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub staff: StaffView,
    pub account: AccountView,
    /// Send this back in the `X-CSRF-Token` header on every write made with the session cookie.
    pub csrf_token: String,
}

/// Log in with e-mail and password; sets the HttpOnly session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "session", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse, description = "Logged in; `omnidesk_session` cookie set"),
        (status = 401, body = ErrorBody, description = "Wrong e-mail address or password"),
        (status = 429, body = ErrorBody, description = "Too many failed attempts"),
        (status = 503, body = ErrorBody,
            description = "Busy checking other passwords; try again after `Retry-After` seconds"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<(CookieJar, Json<LoginResponse>)> {
    let now = state.now();
    let email = req.email.trim().to_lowercase();
    if email.chars().any(char::is_control) {
        // No staff member has such an address (and PostgreSQL could not
        // even look it up); answer as for any unknown address.
        return Err(ApiError::InvalidCredentials);
    }
    let keys = LoginKeys::new(&email, peer.ip());
    let attempt = throttle::begin(&state, &keys, now).await?;
    let record = state.store.find_login(&email).await?;
    let hash = record.as_ref().map(|r| r.password_hash.clone());
    let Some(attempt) = throttle::verify(&state, attempt, hash, req.password).await? else {
        tracing::info!(email = %email, "failed login");
        return Err(ApiError::InvalidCredentials);
    };
    let staff = record
        .expect("a verified password belongs to a staff member")
        .staff;
    throttle::succeeded(&state, &keys, attempt).await?;

    let token = random_token(SESSION_TOKEN_PREFIX);
    let csrf_token = random_token("");
    state
        .store
        .create_session(store::NewSession {
            token_hash: token_hash(&token),
            account_id: staff.account_id.clone(),
            staff_id: staff.id.clone(),
            csrf_token: csrf_token.clone(),
            expires_at: now + SESSION_LIFETIME,
        })
        .await?;
    let account = state.store.get_account(&staff.account_id).await?;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.public_url.scheme() == "https")
        .path("/")
        .build();
    tracing::info!(staff_id = %staff.id, "logged in");
    Ok((
        jar.add(cookie),
        Json(LoginResponse {
            staff: staff.into(),
            account: account.into(),
            csrf_token,
        }),
    ))
}

/// Log out: ends the session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "session",
    responses((status = 204, description = "Logged out"), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    jar: CookieJar,
) -> ApiResult<(CookieJar, StatusCode)> {
    if let Credential::Session { token_hash, .. } = &caller.credential {
        state.store.delete_session(token_hash).await?;
        state.access.end(AccessEnded::Session {
            token_hash: token_hash.clone(),
        });
    }
    let removal = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    Ok((jar.remove(removal), StatusCode::NO_CONTENT))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub staff: StaffView,
    pub account: AccountView,
    /// For a browser session: the token to send as `X-CSRF-Token` on writes
    /// (the same one the login answered). Absent for API tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

/// The caller's own staff record and account.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<MeResponse>> {
    let account = state.store.get_account(caller.account_id()).await?;
    let csrf_token = match caller.credential {
        Credential::Session { csrf_token, .. } => Some(csrf_token),
        Credential::ApiToken { .. } => None,
    };
    Ok(Json(MeResponse {
        staff: caller.staff.into(),
        account: account.into(),
        csrf_token,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AvailabilityRequest {
    #[schema(value_type = crate::api::schema::Availability)]
    pub availability: String,
}

/// Set the caller's own availability.
#[utoipa::path(put, path = "/api/v1/me/availability", tag = "session",
    request_body = AvailabilityRequest,
    responses((status = 200, body = StaffView), (status = 422, body = ErrorBody)))]
pub async fn set_availability(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<AvailabilityRequest>,
) -> ApiResult<Json<StaffView>> {
    let availability = req
        .availability
        .parse::<domain::staff::Availability>()
        .map_err(|e| ApiError::validation("availability", e.rule))?;
    let staff = state
        .store
        .set_availability(
            caller.account_id(),
            caller.staff_id(),
            availability,
            state.now(),
        )
        .await?;
    crate::routing::availability_changed(&state, &staff).await;
    publish_availability(&state, &staff).await;
    Ok(Json(staff.into()))
}

/// `staff.availability`, to the account (boards update live).
async fn publish_availability(state: &AppState, staff: &store::Staff) {
    let active_count = match state.store.agent_states(&staff.account_id).await {
        Ok(agents) => agents
            .get(&staff.id)
            .map_or(0, |agent| i64::from(agent.active_enquiries)),
        Err(e) => {
            tracing::warn!(error = %e, "could not count active enquiries for an event");
            return;
        }
    };
    state
        .publish(
            &staff.account_id,
            crate::events::Audience::Account,
            crate::events::LiveEvent::StaffAvailability(crate::events::StaffAvailabilityData {
                staff_id: staff.id.clone(),
                availability: staff.availability,
                active_count,
                capacity: staff.capacity,
            }),
        )
        .await;
}
