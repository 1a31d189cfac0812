//! Request extractors whose rejections speak the API's error format.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::Json` with errors as `ApiError`: a body that does not fit the
/// schema is a 422 naming the field; malformed JSON is a 400.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            // axum reports "Failed to deserialize …: <path>: <serde message>".
            let detail = std::error::Error::source(&e)
                .map(ToString::to_string)
                .unwrap_or_else(|| e.body_text());
            match detail.split_once(": ") {
                Some((path, rule)) if !path.contains(' ') => ApiError::validation(path, rule),
                _ => ApiError::validation("body", detail),
            }
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::BadRequest(format!("the body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::BadRequest("send the body as Content-Type: application/json".into())
        }
        JsonRejection::BytesRejection(e) => {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge("the request body is too large".into())
            } else {
                ApiError::BadRequest(e.body_text())
            }
        }
        other => ApiError::BadRequest(other.body_text()),
    }
}

/// `axum::extract::Path` with a 404 for ids that cannot even be parsed.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|_: PathRejection| ApiError::NotFound)
    }
}

/// `axum::extract::Query` with a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| ApiError::validation("query", e.body_text()))
    }
}
