//! Graph API endpoints under any `/vNN.0` prefix, plus the login dialog.

pub mod oauth;
pub mod objects;
pub mod outgoing;
pub mod request;
pub mod send;
pub mod subscriptions;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// Multipart uploads may carry 25 MB files; larger ones get Facebook's
/// 2018109 error instead of a bare 413.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/{ver}/dialog/oauth",
            get(oauth::dialog).post(oauth::dialog_submit),
        )
        .route(
            "/{ver}/oauth/access_token",
            get(oauth::access_token).post(oauth::access_token),
        )
        .route("/{ver}/debug_token", get(objects::debug_token))
        .route("/{ver}/{id}", get(objects::get_object))
        .route("/{ver}/{id}/accounts", get(objects::accounts))
        .route(
            "/{ver}/{id}/permissions",
            get(objects::permissions).delete(objects::delete_permissions),
        )
        .route(
            "/{ver}/{id}/permissions/{perm}",
            axum::routing::delete(objects::delete_permission),
        )
        .route(
            "/{ver}/{id}/subscribed_apps",
            get(subscriptions::subscribed_apps)
                .post(subscriptions::subscribe_app)
                .delete(subscriptions::unsubscribe_app),
        )
        .route(
            "/{ver}/{id}/subscriptions",
            get(subscriptions::app_subscriptions)
                .post(subscriptions::set_app_subscription)
                .delete(subscriptions::delete_app_subscription),
        )
        .route("/{ver}/{id}/messages", post(send::messages))
        .route(
            "/{ver}/{id}/message_attachments",
            post(send::message_attachments),
        )
        .fallback(unknown_path)
        .method_not_allowed_fallback(unsupported_method)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(graph_headers))
        .with_state(state)
}

/// Graph answers unknown paths with an error envelope, not a bare 404.
async fn unknown_path(uri: axum::http::Uri) -> crate::fb_error::FbError {
    crate::fb_error::FbError::other(
        2500,
        None,
        format!("Unknown path components: {}", uri.path()),
    )
}

/// A known path with a method it does not serve, e.g. `GET /{page}/messages`.
async fn unsupported_method(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> crate::fb_error::FbError {
    crate::fb_error::FbError::other(
        100,
        None,
        format!(
            "Unsupported {} request on {}",
            method.as_str().to_ascii_lowercase(),
            uri.path()
        ),
    )
    .with_type("GraphMethodException")
}

/// Headers every Graph response carries (`X-App-Usage`, trace id, revision).
async fn graph_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let headers = response.headers_mut();
    headers.insert(
        "x-app-usage",
        HeaderValue::from_static(r#"{"call_count":1,"total_cputime":1,"total_time":1}"#),
    );
    if let Ok(v) = HeaderValue::from_str(&crate::fb_error::trace_id()) {
        headers.insert("x-fb-trace-id", v);
    }
    headers.insert("x-fb-rev", HeaderValue::from_static("1000000"));
    response
}
