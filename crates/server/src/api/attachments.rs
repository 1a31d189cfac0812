//! Downloading a message's file from the product's storage. Only staff of
//! the account that owns it get it; everyone else sees a 404.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use tokio_util::io::ReaderStream;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath;
use crate::state::AppState;

/// Download an attachment.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "enquiries",
    params(("id" = String, Path, description = "Attachment id")),
    responses((status = 200, description = "The file, with its content type"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Not downloaded (yet): pending, failed, too large or a link")))]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let attachment = state.store.get_attachment(caller.account_id(), &id).await?;
    let Some(key) = attachment
        .storage_key
        .as_deref()
        .filter(|_| attachment.status == "stored")
    else {
        return Err(ApiError::Conflict(format!(
            "the file is not available (status {})",
            attachment.status
        )));
    };
    // Keys are written by the product (`<account>/<uuid>`); refuse anything else.
    if key.split('/').any(|part| part.is_empty() || part == "..") {
        return Err(ApiError::NotFound);
    }
    let file = tokio::fs::File::open(state.files_dir().join(key))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("opening stored file {key}: {e}")))?;
    // ReaderStream keeps answering `None` once the file is read (a
    // compressing layer polls past the end; a hand-rolled unfold panicked).
    let stream = ReaderStream::with_capacity(file, 64 * 1024);
    let content_type = attachment
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Some(size) = attachment.size_bytes {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    let name = attachment
        .file_name
        .as_deref()
        .unwrap_or("attachment")
        .replace(['"', '\\', '\r', '\n'], "_");
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
