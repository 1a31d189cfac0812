//! Who is calling: session cookies (browsers, with CSRF protection) and
//! bearer API tokens (integrations), and the role checks on top.
//!
//! A caller is always a staff member of one account; every handler scopes
//! its reads and writes to `caller.account_id()`.

pub mod access;
pub mod password;
pub mod throttle;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum_extra::extract::CookieJar;
use domain::staff::Role;
use store::Staff;

use crate::crypto::token_hash;
use crate::error::ApiError;
use crate::state::AppState;

/// Name of the HttpOnly session cookie.
pub const SESSION_COOKIE: &str = "omnidesk_session";
/// Header that must echo the session's CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "odk_";
/// Prefix of session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "ods_";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session; its CSRF token is given back by `GET /api/v1/me`
    /// so a reloaded page can keep writing.
    Session {
        token_hash: String,
        csrf_token: String,
    },
    ApiToken {
        id: String,
    },
}

/// An authenticated staff member.
#[derive(Debug, Clone)]
pub struct Caller {
    pub staff: Staff,
    pub credential: Credential,
}

impl Caller {
    pub fn account_id(&self) -> &str {
        &self.staff.account_id
    }
    pub fn staff_id(&self) -> &str {
        &self.staff.id
    }
    pub fn is_admin(&self) -> bool {
        self.staff.role == Role::Admin
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or(ApiError::Unauthenticated)?;
            return from_api_token(state, token).await;
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Err(ApiError::Unauthenticated);
        };
        let hash = token_hash(cookie.value());
        let session = state
            .store
            .find_session(&hash, state.now())
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if !is_safe_method(&parts.method) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(ApiError::CsrfFailed);
            }
        }
        let staff = state
            .store
            .get_staff(&session.account_id, &session.staff_id)
            .await
            .map_err(|_| ApiError::Unauthenticated)?;
        Ok(Self {
            staff,
            credential: Credential::Session {
                token_hash: hash,
                csrf_token: session.csrf_token,
            },
        })
    }
}

/// Resolves an API token (from `Authorization: Bearer` or, for WebSockets,
/// `?token=`) to its staff member, recording its use. Anything that is not a
/// live token of an existing staff member is `Unauthenticated`.
pub(crate) async fn from_api_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    if !token.starts_with(API_TOKEN_PREFIX) {
        return Err(ApiError::Unauthenticated);
    }
    let record = state
        .store
        .find_api_token(&token_hash(token))
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let staff = state
        .store
        .get_staff(&record.account_id, &record.staff_id)
        .await
        .map_err(|_| ApiError::Unauthenticated)?;
    state.store.touch_api_token(&record.id, state.now()).await?;
    Ok(Caller {
        staff,
        credential: Credential::ApiToken { id: record.id },
    })
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares tokens with the protocol crate's constant-time check; an empty
/// token never matches.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    !a.is_empty() && messenger::constant_time_eq(a, b)
}

/// A caller with the `admin` role; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.is_admin() {
            Ok(Self(caller))
        } else {
            Err(ApiError::Forbidden("this needs the admin role"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b""), "an empty token never matches");
    }
}
