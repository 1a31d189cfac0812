//! Facebook Login for connecting Pages (the "Create Channel > Facebook"
//! wizard): start → Facebook's dialog in a popup → callback → select Pages →
//! connect. The flow itself is in [`crate::channels::connect`].

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use axum_extra::extract::CookieJar;
use domain::messages::MessageSettingsInput;
use domain::routing::RoutingSettingsInput;
use serde::{Deserialize, Serialize};
use store::{FacebookLogin, FACEBOOK_MESSENGER};
use utoipa::{IntoParams, ToSchema};

use crate::api::channels::ChannelView;
use crate::auth::{Admin, Credential, SESSION_COOKIE};
use crate::channels::connect::{self, CallbackOutcome, ConnectRequest};
use crate::channels::permissions;
use crate::crypto::token_hash;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginStarted {
    pub login_id: String,
    /// Open this in a popup; Facebook sends the browser back to the callback.
    pub dialog_url: String,
    #[schema(value_type = String)]
    pub expires_at: jiff::Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PermissionView {
    pub permission: String,
    #[schema(value_type = crate::api::schema::PermissionStatus)]
    pub status: String,
    /// The consent-screen toggle that grants it.
    pub toggle: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginPageView {
    pub id: String,
    pub name: String,
    pub picture_url: Option<String>,
    /// The user has the Messaging and Moderate tasks (and a Page token).
    pub can_message: bool,
    /// The channel of this account bound to the Page, if any (connecting
    /// the Page again reconnects it).
    pub channel_id: Option<String>,
    /// Another account holds the Page: it cannot be connected here.
    pub held_by_another_account: bool,
}

/// A login and what it offers for selection.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    pub id: String,
    #[schema(value_type = crate::api::schema::FacebookLoginStatus)]
    pub status: String,
    pub error: Option<String>,
    /// The four permissions the product needs and their status.
    pub permissions: Vec<PermissionView>,
    /// A sentence for each required permission not granted.
    pub problems: Vec<String>,
    pub pages: Vec<LoginPageView>,
}

async fn login_view(
    state: &AppState,
    account_id: &str,
    login: FacebookLogin,
) -> ApiResult<LoginView> {
    let granted = login.permissions.clone().unwrap_or_default();
    let status_of = |p: &str| {
        granted
            .iter()
            .find(|g| g.permission == p)
            .map(|g| g.status.clone())
    };
    let authorized = login.permissions.is_some();
    let permissions = permissions::REQUIRED
        .iter()
        .map(|(p, toggle)| PermissionView {
            permission: (*p).to_owned(),
            status: status_of(p).unwrap_or_else(|| "missing".into()),
            toggle: Some(toggle),
        })
        .collect();
    let problems = if authorized {
        permissions::missing(|p| {
            granted
                .iter()
                .find(|g| g.permission == p)
                .map(|g| g.status.as_str())
        })
        .into_iter()
        .map(|(p, status)| permissions::declined_message(p, &status))
        .collect()
    } else {
        Vec::new()
    };
    let mut pages = Vec::new();
    for page in login.pages.clone().unwrap_or_default() {
        let held = state
            .store
            .find_channel_by_page(FACEBOOK_MESSENGER, &page.id)
            .await?;
        pages.push(LoginPageView {
            can_message: connect::can_message(&page),
            channel_id: held
                .as_ref()
                .filter(|c| c.account_id == account_id)
                .map(|c| c.id.clone()),
            held_by_another_account: held.as_ref().is_some_and(|c| c.account_id != account_id),
            id: page.id,
            name: page.name,
            picture_url: page.picture_url,
        });
    }
    Ok(LoginView {
        id: login.id,
        status: login.status,
        error: login.error,
        permissions,
        problems,
        pages,
    })
}

/// Start a Facebook Login (needs a browser session: the callback must come
/// back to the same session).
#[utoipa::path(post, path = "/api/v1/channels/facebook/login", tag = "channels",
    responses((status = 201, body = LoginStarted), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    Admin(caller): Admin,
) -> ApiResult<(StatusCode, Json<LoginStarted>)> {
    let Credential::Session { token_hash, .. } = &caller.credential else {
        return Err(ApiError::BadRequest(
            "Facebook Login needs a browser session (log in to omnidesk in a browser), not an \
             API token"
                .into(),
        ));
    };
    let (login, dialog_url) =
        connect::start_login(&state, caller.account_id(), caller.staff_id(), token_hash).await?;
    Ok((
        StatusCode::CREATED,
        Json(LoginStarted {
            login_id: login.id,
            dialog_url,
            expires_at: login.expires_at,
        }),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_reason: Option<String>,
    pub error_description: Option<String>,
}

/// Where Facebook sends the admin's browser back to. Answers JSON, or for
/// a browser (`Accept: text/html`) a small page that tells the window that
/// opened the popup and closes it.
#[utoipa::path(get, path = "/api/v1/channels/facebook/callback", tag = "channels",
    params(CallbackQuery),
    responses((status = 200, body = LoginView), (status = 400, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let result = finish_callback(&state, &jar, query).await;
    if wants_html {
        popup_page(&state, result)
    } else {
        match result {
            Ok(view) => Json(view).into_response(),
            Err(e) => e.into_response(),
        }
    }
}

async fn finish_callback(
    state: &AppState,
    jar: &CookieJar,
    query: CallbackQuery,
) -> ApiResult<LoginView> {
    let oauth_state = query
        .state
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::BadRequest("the callback has no state".into()))?;
    let outcome = match (query.code, query.error) {
        (Some(code), None) if !code.is_empty() => CallbackOutcome::Code(code),
        (_, error) => CallbackOutcome::Denied(
            query
                .error_description
                .or(query.error_reason)
                .or(error)
                .unwrap_or_else(|| "no code was returned".into()),
        ),
    };
    let session_hash = jar.get(SESSION_COOKIE).map(|c| token_hash(c.value()));
    let login =
        connect::finish_login(state, &oauth_state, session_hash.as_deref(), outcome).await?;
    let account_id = login.account_id.clone();
    login_view(state, &account_id, login).await
}

/// The popup's last page: posts the outcome to the opener (same origin
/// only) and closes itself; without an opener it says what happened.
fn popup_page(state: &AppState, result: ApiResult<LoginView>) -> Response {
    let (status, message, data) = match &result {
        Ok(view) => (
            StatusCode::OK,
            "Facebook login complete. You can close this window.".to_owned(),
            serde_json::json!({"type": "omnidesk.facebook_login", "ok": true, "login_id": view.id}),
        ),
        Err(e) => {
            let status = match e {
                ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
                ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            let message = match e {
                ApiError::Internal(_) => "Something went wrong; see the server log.".to_owned(),
                other => other.to_string(),
            };
            (
                status,
                message.clone(),
                serde_json::json!({"type": "omnidesk.facebook_login", "ok": false, "error": message}),
            )
        }
    };
    if let Err(ApiError::Internal(e)) = &result {
        tracing::error!(error = ?e, "Facebook login callback failed");
    }
    let origin = state.config.public_url.origin().ascii_serialization();
    // No inline script (the CSP allows none): the outcome travels in data
    // attributes, read by the served `callback.js`.
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>omnidesk</title></head>\
         <body data-result=\"{}\" data-origin=\"{}\"><p>{}</p>\
         <script src=\"{POPUP_SCRIPT_PATH}\"></script></body></html>",
        escape_html(&data.to_string()),
        escape_html(&origin),
        escape_html(&message)
    );
    (status, Html(body)).into_response()
}

/// Where the popup page's script is served.
pub const POPUP_SCRIPT_PATH: &str = "/api/v1/channels/facebook/callback.js";

/// Posts the popup's outcome (the `data-result` JSON of the page's body) to
/// the window that opened it, on the server's own origin only, and closes
/// the popup.
const POPUP_SCRIPT: &str = "(function () {\n\
  var body = document.body;\n\
  if (!window.opener || !body.dataset.result) { return; }\n\
  window.opener.postMessage(JSON.parse(body.dataset.result), body.dataset.origin);\n\
  window.close();\n\
})();\n";

/// The script of the callback's popup page (the page has no inline script,
/// so it works under the Content-Security-Policy).
#[utoipa::path(get, path = "/api/v1/channels/facebook/callback.js", tag = "channels",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript",
        body = String)))]
pub async fn popup_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        POPUP_SCRIPT,
    )
        .into_response()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A login and the Pages it offers.
#[utoipa::path(get, path = "/api/v1/channels/facebook/logins/{id}", tag = "channels",
    params(("id" = String, Path, description = "Login id")),
    responses((status = 200, body = LoginView), (status = 404, body = ErrorBody)))]
pub async fn get_login(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<LoginView>> {
    let login = state
        .store
        .get_facebook_login(caller.account_id(), &id)
        .await?;
    Ok(Json(login_view(&state, caller.account_id(), login).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectPagesRequest {
    /// Pages of the login to connect; each becomes its own channel.
    pub page_ids: Vec<String>,
    /// Channel name (only when connecting one Page); default: the Page name.
    pub name: Option<String>,
    /// Routing settings for the new channels; default: the account's
    /// destinations in an alternative rule.
    #[schema(value_type = Option<Object>)]
    pub routing: Option<RoutingSettingsInput>,
    /// Message settings for the new channels; default texts otherwise.
    #[schema(value_type = Option<Object>)]
    pub messages: Option<MessageSettingsInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectedPage {
    pub page_id: String,
    pub channel_id: String,
    /// An existing channel of this account got the Page back (settings kept).
    pub reconnected: bool,
    pub channel: ChannelView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectedPages {
    pub items: Vec<ConnectedPage>,
}

/// Connect the selected Pages of a login as channels.
#[utoipa::path(post, path = "/api/v1/channels/facebook/logins/{id}/connect", tag = "channels",
    request_body = ConnectPagesRequest,
    params(("id" = String, Path, description = "Login id")),
    responses((status = 201, body = ConnectedPages), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn connect_pages(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ConnectPagesRequest>,
) -> ApiResult<(StatusCode, Json<ConnectedPages>)> {
    let connected = connect::connect_pages(
        &state,
        caller.account_id(),
        &id,
        ConnectRequest {
            page_ids: req.page_ids,
            name: req.name,
            routing: req.routing,
            messages: req.messages,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ConnectedPages {
            items: connected
                .into_iter()
                .map(|c| ConnectedPage {
                    page_id: c.page_id,
                    channel_id: c.channel.id.clone(),
                    reconnected: c.reconnected,
                    channel: c.channel.into(),
                })
                .collect(),
        }),
    ))
}
