//! The API's one error type.
//!
//! Policy: handlers return `Result<_, ApiError>`. Storage errors are mapped
//! here once (`NotFound` → 404, unique violations → 409, invalid references →
//! 422), validation errors carry the field and the rule, and anything
//! unexpected is logged with its context and answered as a bare 500 — its
//! details are never shown to the caller. Start-up code and workers use
//! `anyhow` with context instead.
//!
//! Every error answers `{"error":{"code":"…","message":"…","field":"…"}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use store::StoreError;
use utoipa::ToSchema;

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// The request field at fault, when there is one (`routing.destinations[1]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {rule}")]
    Validation { field: String, rule: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("the e-mail address or password is wrong")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("missing or wrong X-CSRF-Token header")]
    CsrfFailed,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    BadGateway(String),
    /// Too much work of one kind at once (password hashing); try again soon.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            rule: rule.into(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::CsrfFailed => (StatusCode::FORBIDDEN, "csrf_failed"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::BadGateway(_) => (StatusCode::BAD_GATEWAY, "upstream_failed"),
            Self::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<domain::ValidationError> for ApiError {
    fn from(e: domain::ValidationError) -> Self {
        Self::Validation {
            field: e.field,
            rule: e.rule,
        }
    }
}

impl From<crate::auth::password::PasswordError> for ApiError {
    fn from(e: crate::auth::password::PasswordError) -> Self {
        use crate::auth::password::{PasswordError, BUSY_RETRY_AFTER_SECS};
        match e {
            PasswordError::Busy => Self::Busy {
                message: e.to_string(),
                retry_after_secs: BUSY_RETRY_AFTER_SECS,
            },
            PasswordError::Failed(e) => Self::Internal(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { constraint } => Self::Conflict(conflict_message(&constraint)),
            StoreError::Invalid { field, rule } => Self::Validation { field, rule },
            other => Self::Internal(anyhow::Error::new(other).context("storage")),
        }
    }
}

/// What a unique constraint means to the person who broke it.
fn conflict_message(constraint: &str) -> String {
    match constraint {
        "staff_email" => "a staff member with this e-mail address already exists".into(),
        "destination_name" => "a destination with this name already exists".into(),
        "channel_page" => "this Facebook Page is connected to another omnidesk account".into(),
        other => format!("this conflicts with existing data ({other})"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let (message, field) = match &self {
            Self::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                ("internal error; see the server log".to_owned(), None)
            }
            Self::Validation { field, rule } => (format!("{field}: {rule}"), Some(field.clone())),
            other => (other.to_string(), None),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                field,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Self::RateLimited { retry_after_secs }
        | Self::Busy {
            retry_after_secs, ..
        } = self
        {
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// Result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
