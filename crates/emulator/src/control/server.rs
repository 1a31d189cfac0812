//! Routes of the control API (JSON) and the HTML pages under `/_emulator/`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::types::*;
use super::visitor;
use crate::world::{Page, User, Visitor, ALL_TASKS};
use crate::{html, webhook, AppState};

/// Errors of the control API: `{"error": "..."}`.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("conflict: {0}")]
    Conflict(String),
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match self {
            ControlError::NotFound(_) => StatusCode::NOT_FOUND,
            ControlError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ControlError::Conflict(_) => StatusCode::CONFLICT,
        };
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

type Ctl<T> = Result<Json<T>, ControlError>;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/_emulator/", get(index))
        .route("/_emulator/chat/{page_id}/{psid}", get(chat))
        .route("/_emulator/files/{id}", get(file))
        .route("/_emulator/pictures/{name}", get(picture))
        .route("/_emulator/overview", get(overview))
        .route("/_emulator/users", post(create_user))
        .route(
            "/_emulator/users/{id}/password_change",
            post(password_change),
        )
        .route("/_emulator/users/{id}/remove_app", post(remove_app))
        .route("/_emulator/pages", post(create_page))
        .route("/_emulator/pages/{page_id}/roles", put(set_role))
        .route(
            "/_emulator/pages/{page_id}/roles/{user_id}",
            axum::routing::delete(remove_role),
        )
        .route("/_emulator/pages/{page_id}/visitors", post(create_visitor))
        .route("/_emulator/visitors/{psid}", get(get_visitor))
        .route("/_emulator/visitors/{psid}/blocked", put(set_blocked))
        .route("/_emulator/visitors/{psid}/events", post(visitor_event))
        .route("/_emulator/visitors/{psid}/inbox_reply", post(inbox_reply))
        .route("/_emulator/visitors/{psid}/thread", get(thread))
        .route("/_emulator/clock", get(clock).put(set_clock))
        .route("/_emulator/faults", get(faults).delete(clear_faults))
        .route("/_emulator/faults/{endpoint}", put(set_fault))
        .route("/_emulator/webhook", get(webhook_settings).put(set_webhook))
        .route(
            "/_emulator/consent",
            get(consent).put(set_consent).delete(clear_consent),
        )
        .route("/_emulator/tokens/revoke", post(revoke_token))
        .route("/_emulator/subscriptions", get(subscriptions))
        .route("/_emulator/deliveries", get(deliveries))
        .with_state(state)
}

async fn index(State(state): State<AppState>) -> Response {
    let world = state.lock();
    html::index(&world).into_response()
}

async fn chat(
    State(state): State<AppState>,
    Path((page_id, psid)): Path<(String, String)>,
) -> Response {
    let world = state.lock();
    match (world.pages.get(&page_id), world.visitors.get(&psid)) {
        (Some(page), Some(visitor)) if visitor.page_id == page_id => {
            html::chat(page, visitor).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            html::error_page("No such Page or visitor."),
        )
            .into_response(),
    }
}

async fn file(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let world = state.lock();
    match world
        .attachments
        .get(&id)
        .and_then(|a| a.bytes.clone().map(|b| (a.content_type.clone(), b)))
    {
        Some((content_type, bytes)) => (
            [(
                header::CONTENT_TYPE,
                content_type.unwrap_or_else(|| "application/octet-stream".into()),
            )],
            bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Where the emulator serves the default picture of a Page or visitor:
/// Facebook's own CDN cannot be reached offline, so the emulator draws one.
fn picture_url(state: &AppState, id: &str, name: &str) -> String {
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    let mut url = state
        .base_url
        .join(&format!("_emulator/pictures/{id}.svg"))
        .expect("a picture path joins the base URL");
    url.query_pairs_mut().append_pair("initials", &initials);
    url.to_string()
}

#[derive(Deserialize)]
struct PictureQuery {
    initials: Option<String>,
}

/// A round picture with initials on a colour picked from the id, as SVG.
async fn picture(Path(name): Path<String>, Query(query): Query<PictureQuery>) -> Response {
    const COLOURS: [&str; 6] = [
        "#3b6fd8", "#2f9e6e", "#c2571a", "#8a4fd1", "#c23a6b", "#1f8a99",
    ];
    let id = name.trim_end_matches(".svg");
    let hue = id
        .bytes()
        .fold(0usize, |acc, b| acc.wrapping_mul(31).wrapping_add(b.into()));
    let colour = COLOURS[hue % COLOURS.len()];
    let initials: String = query
        .initials
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\" width=\"100\" height=\"100\">\
         <rect width=\"100\" height=\"100\" fill=\"{colour}\"/>\
         <text x=\"50\" y=\"50\" dy=\".35em\" text-anchor=\"middle\" font-family=\"sans-serif\" \
         font-size=\"40\" fill=\"#fff\">{initials}</text></svg>"
    );
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}

async fn overview(State(state): State<AppState>) -> Json<Overview> {
    let world = state.lock();
    Json(Overview {
        users: world.users.values().map(|u| world.user_info(u)).collect(),
        pages: world.pages.values().map(|p| world.page_info(p)).collect(),
        visitors: world
            .visitors
            .values()
            .map(|v| world.visitor_info(v))
            .collect(),
    })
}

async fn create_user(State(state): State<AppState>, Json(req): Json<NewUser>) -> Ctl<UserInfo> {
    let mut world = state.lock();
    let id = match req.id {
        Some(id) if world.users.contains_key(&id) => {
            return Err(ControlError::Conflict(format!("user {id} exists")))
        }
        Some(id) => id,
        None => world.numeric_id(16),
    };
    let user = User {
        id: id.clone(),
        name: req.name,
        permissions: BTreeMap::new(),
        granted_pages: Default::default(),
        app_removed: false,
    };
    let info = world.user_info(&user);
    world.users.insert(id, user);
    Ok(Json(info))
}

fn user_exists(world: &crate::World, id: &str) -> Result<(), ControlError> {
    if world.users.contains_key(id) {
        Ok(())
    } else {
        Err(ControlError::NotFound(format!("user {id}")))
    }
}

/// Every token of the user stops working with 190/460.
async fn password_change(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ControlError> {
    let mut world = state.lock();
    user_exists(&world, &id)?;
    world.invalidate_user_tokens(
        &id,
        460,
        "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
    );
    Ok(StatusCode::NO_CONTENT)
}

/// The user removes the app: tokens fail with 190/458, grants are gone, and
/// the deauthorize callback receives a `signed_request`.
async fn remove_app(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ControlError> {
    {
        let mut world = state.lock();
        user_exists(&world, &id)?;
        let user = world.users.get_mut(&id).expect("checked");
        user.app_removed = true;
        user.permissions.clear();
        user.granted_pages.clear();
    }
    tokio::spawn(webhook::send_deauthorize(state.clone(), id));
    Ok(StatusCode::ACCEPTED)
}

async fn create_page(State(state): State<AppState>, Json(req): Json<NewPage>) -> Ctl<PageInfo> {
    let mut world = state.lock();
    let id = match req.id {
        Some(id) if world.pages.contains_key(&id) => {
            return Err(ControlError::Conflict(format!("page {id} exists")))
        }
        Some(id) => id,
        None => world.numeric_id(15),
    };
    let page = Page {
        picture: req
            .picture
            .unwrap_or_else(|| picture_url(&state, &id, &req.name)),
        id: id.clone(),
        name: req.name,
        roles: BTreeMap::new(),
        subscribed_fields: None,
    };
    let info = world.page_info(&page);
    world.pages.insert(id, page);
    Ok(Json(info))
}

async fn set_role(
    State(state): State<AppState>,
    Path(page_id): Path<String>,
    Json(req): Json<RoleRequest>,
) -> Ctl<PageInfo> {
    let mut world = state.lock();
    user_exists(&world, &req.user_id)?;
    if let Some(bad) = req.tasks.iter().find(|t| !ALL_TASKS.contains(&t.as_str())) {
        return Err(ControlError::Invalid(format!(
            "unknown task {bad}; tasks are {}",
            ALL_TASKS.join(", ")
        )));
    }
    let page = world
        .pages
        .get_mut(&page_id)
        .ok_or_else(|| ControlError::NotFound(format!("page {page_id}")))?;
    page.roles.insert(req.user_id, req.tasks);
    let page = &world.pages[&page_id];
    Ok(Json(world.page_info(page)))
}

/// The user loses their role: their Page tokens fail with 190/492.
async fn remove_role(
    State(state): State<AppState>,
    Path((page_id, user_id)): Path<(String, String)>,
) -> Ctl<PageInfo> {
    let mut world = state.lock();
    let page = world
        .pages
        .get_mut(&page_id)
        .ok_or_else(|| ControlError::NotFound(format!("page {page_id}")))?;
    if page.roles.remove(&user_id).is_none() {
        return Err(ControlError::NotFound(format!(
            "role of {user_id} on {page_id}"
        )));
    }
    let page = &world.pages[&page_id];
    Ok(Json(world.page_info(page)))
}

async fn create_visitor(
    State(state): State<AppState>,
    Path(page_id): Path<String>,
    Json(req): Json<NewVisitor>,
) -> Ctl<VisitorInfo> {
    let mut world = state.lock();
    if !world.pages.contains_key(&page_id) {
        return Err(ControlError::NotFound(format!("page {page_id}")));
    }
    let psid = match req.psid {
        Some(p) if world.visitors.contains_key(&p) => {
            return Err(ControlError::Conflict(format!("visitor {p} exists")))
        }
        Some(p) => p,
        None => world.numeric_id(16),
    };
    let visitor = Visitor {
        profile_pic: req.profile_pic.unwrap_or_else(|| {
            picture_url(
                &state,
                &psid,
                &format!("{} {}", req.first_name, req.last_name),
            )
        }),
        psid: psid.clone(),
        page_id,
        first_name: req.first_name,
        last_name: req.last_name,
        blocked: false,
        last_inbound_ms: None,
        thread: Vec::new(),
    };
    let info = world.visitor_info(&visitor);
    world.visitors.insert(psid, visitor);
    Ok(Json(info))
}

fn visitor_info(world: &crate::World, psid: &str) -> Ctl<VisitorInfo> {
    world
        .visitors
        .get(psid)
        .map(|v| Json(world.visitor_info(v)))
        .ok_or_else(|| ControlError::NotFound(format!("visitor {psid}")))
}

async fn get_visitor(State(state): State<AppState>, Path(psid): Path<String>) -> Ctl<VisitorInfo> {
    visitor_info(&state.lock(), &psid)
}

async fn set_blocked(
    State(state): State<AppState>,
    Path(psid): Path<String>,
    Json(req): Json<BlockRequest>,
) -> Ctl<VisitorInfo> {
    let mut world = state.lock();
    if let Some(v) = world.visitors.get_mut(&psid) {
        v.blocked = req.blocked;
    }
    visitor_info(&world, &psid)
}

async fn visitor_event(
    State(state): State<AppState>,
    Path(psid): Path<String>,
    Json(req): Json<VisitorEventRequest>,
) -> Ctl<EventReceipt> {
    let receipt = visitor::apply(&mut state.lock(), &psid, req.event, req.standby)?;
    state.wake.notify_one();
    Ok(Json(receipt))
}

async fn inbox_reply(
    State(state): State<AppState>,
    Path(psid): Path<String>,
    Json(req): Json<InboxReply>,
) -> Ctl<EventReceipt> {
    let receipt = visitor::inbox_reply(&mut state.lock(), &psid, req.text)?;
    state.wake.notify_one();
    Ok(Json(receipt))
}

async fn thread(State(state): State<AppState>, Path(psid): Path<String>) -> Ctl<Vec<ThreadItem>> {
    let world = state.lock();
    world
        .visitors
        .get(&psid)
        .map(|v| Json(v.thread.clone()))
        .ok_or_else(|| ControlError::NotFound(format!("visitor {psid}")))
}

async fn clock(State(state): State<AppState>) -> Json<ClockInfo> {
    let world = state.lock();
    Json(ClockInfo {
        offset_ms: world.clock_offset_ms,
        now_ms: world.now_ms(),
    })
}

async fn set_clock(State(state): State<AppState>, Json(req): Json<ClockUpdate>) -> Json<ClockInfo> {
    let mut world = state.lock();
    world.clock_offset_ms = req.offset_ms;
    Json(ClockInfo {
        offset_ms: world.clock_offset_ms,
        now_ms: world.now_ms(),
    })
}

async fn faults(State(state): State<AppState>) -> Json<BTreeMap<String, Fault>> {
    Json(state.lock().faults.clone())
}

async fn set_fault(
    State(state): State<AppState>,
    Path(endpoint): Path<String>,
    Json(fault): Json<Fault>,
) -> Result<StatusCode, ControlError> {
    if let Some(status) = fault.status {
        if !(500..=599).contains(&status) {
            return Err(ControlError::Invalid("status must be a 5xx code".into()));
        }
    }
    state.lock().faults.insert(endpoint, fault);
    Ok(StatusCode::NO_CONTENT)
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.lock().faults.clear();
    StatusCode::NO_CONTENT
}

async fn webhook_settings(State(state): State<AppState>) -> Json<WebhookSettings> {
    Json(state.lock().webhook.clone())
}

/// Replaces the webhook settings. A new URL is active at once for every
/// field (no handshake; use `POST /{app-id}/subscriptions` for that).
async fn set_webhook(
    State(state): State<AppState>,
    Json(settings): Json<WebhookSettings>,
) -> Json<WebhookSettings> {
    let mut world = state.lock();
    match &settings.url {
        Some(url) => {
            let fields = match &world.app_subscription {
                Some(sub) if sub.callback_url == url.as_str() => sub.fields.clone(),
                _ => crate::graph::subscriptions::PAGE_FIELDS
                    .iter()
                    .map(|f| f.to_string())
                    .collect(),
            };
            world.app_subscription = Some(crate::world::AppSubscription {
                callback_url: url.to_string(),
                fields,
            });
        }
        None => world.app_subscription = None,
    }
    world.webhook = settings.clone();
    drop(world);
    state.wake.notify_one();
    Json(settings)
}

async fn consent(State(state): State<AppState>) -> Json<Option<AutoConsent>> {
    Json(state.lock().auto_consent.clone())
}

async fn set_consent(
    State(state): State<AppState>,
    Json(req): Json<AutoConsent>,
) -> Json<Option<AutoConsent>> {
    let mut world = state.lock();
    world.auto_consent = Some(req);
    Json(world.auto_consent.clone())
}

async fn clear_consent(State(state): State<AppState>) -> StatusCode {
    state.lock().auto_consent = None;
    StatusCode::NO_CONTENT
}

/// The token stops working with 190/467 (logged out / invalidated).
async fn revoke_token(
    State(state): State<AppState>,
    Json(req): Json<RevokeToken>,
) -> Result<StatusCode, ControlError> {
    let mut world = state.lock();
    let token = world
        .tokens
        .get_mut(&req.token)
        .ok_or_else(|| ControlError::NotFound("token".into()))?;
    token.invalidated = Some((
        Some(467),
        "Error validating access token: The session is invalid because the user logged out.".into(),
    ));
    Ok(StatusCode::NO_CONTENT)
}

async fn subscriptions(State(state): State<AppState>) -> Json<SubscriptionsInfo> {
    let world = state.lock();
    Json(SubscriptionsInfo {
        app: world
            .app_subscription
            .as_ref()
            .map(|s| AppSubscriptionInfo {
                callback_url: s.callback_url.clone(),
                fields: s.fields.clone(),
            }),
        pages: world
            .pages
            .values()
            .filter_map(|p| p.subscribed_fields.clone().map(|f| (p.id.clone(), f)))
            .collect(),
    })
}

async fn deliveries(State(state): State<AppState>) -> Json<Vec<DeliveryRecord>> {
    Json(state.lock().deliveries.clone())
}
