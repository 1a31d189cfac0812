//! Webhook subscriptions: the Page level (`/{page}/subscribed_apps`) and the
//! app level (`/{app-id}/subscriptions`, which performs the `hub.challenge`
//! handshake against the callback first, as Facebook does).

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::objects::resolve_me;
use super::request::{
    apply_fault, authenticate, authenticate_app, check_page_role, check_version, GraphRequest,
    PageRole,
};
use crate::control::types::DeliveryKind;
use crate::fb_error::FbError;
use crate::webhook::record_delivery;
use crate::world::{AppSubscription, Caller, World};
use crate::AppState;

type GraphResult = Result<Json<Value>, FbError>;

/// Page webhook fields a Messenger app may subscribe to.
pub const PAGE_FIELDS: [&str; 18] = [
    "messages",
    "messaging_postbacks",
    "message_deliveries",
    "message_reads",
    "message_echoes",
    "messaging_referrals",
    "message_reactions",
    "message_edits",
    "messaging_optins",
    "messaging_handovers",
    "standby",
    "messaging_account_linking",
    "messaging_policy_enforcement",
    "messaging_feedback",
    "response_feedback",
    "send_cart",
    "messenger_template_status_update",
    "feed",
];

/// Managing a Page's app subscriptions needs `pages_manage_metadata` and
/// the MODERATE task.
const MODERATE: PageRole = PageRole {
    permission: "pages_manage_metadata",
    permission_code: 200,
    task: "MODERATE",
    task_subcode: None,
    task_message:
        "The user must have the MODERATE task on this Page to manage its app subscriptions",
};

/// A Page token for `id` from someone with the MODERATE task and
/// `pages_manage_metadata` granted.
fn page_admin(world: &World, req: &GraphRequest, id: &str) -> Result<Caller, FbError> {
    let caller = authenticate(world, req)?;
    let page_id = resolve_me(&caller, id);
    if caller.page_id.as_deref() != Some(page_id.as_str()) {
        if world.pages.contains_key(&page_id) {
            return Err(FbError::permission(
                210,
                None,
                "A page access token is required to request this resource.",
            ));
        }
        return Err(FbError::unknown_object(id));
    }
    check_page_role(world, &caller.user_id, &page_id, &MODERATE)?;
    Ok(caller)
}

pub async fn subscribed_apps(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "subscribed_apps", None).await?;
    let world = state.lock();
    let caller = page_admin(&world, &req, &id)?;
    let page = &world.pages[caller.page_id.as_deref().unwrap_or_default()];
    let data: Vec<Value> = page
        .subscribed_fields
        .iter()
        .map(|fields| {
            json!({
                "category": "Business",
                "link": "https://omnidesk.example/",
                "name": world.app_name,
                "id": world.app_id,
                "subscribed_fields": fields,
            })
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

pub async fn subscribe_app(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "subscribed_apps", None).await?;
    let mut world = state.lock();
    let caller = page_admin(&world, &req, &id)?;
    let fields = req
        .list("subscribed_fields")
        .filter(|f| !f.is_empty())
        .ok_or_else(|| FbError::param("The parameter subscribed_fields is required."))?;
    if let Some((i, bad)) = fields
        .iter()
        .enumerate()
        .find(|(_, f)| !PAGE_FIELDS.contains(&f.as_str()))
    {
        return Err(FbError::param(format!(
            "Param subscribed_fields[{i}] must be one of {{{}}} - got \"{bad}\".",
            PAGE_FIELDS.join(", ")
        )));
    }
    let page_id = caller.page_id.expect("page_admin checked");
    world
        .pages
        .get_mut(&page_id)
        .expect("page_admin checked")
        .subscribed_fields = Some(fields);
    Ok(Json(json!({"success": true})))
}

pub async fn unsubscribe_app(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "subscribed_apps", None).await?;
    let mut world = state.lock();
    let caller = page_admin(&world, &req, &id)?;
    let page_id = caller.page_id.expect("page_admin checked");
    world
        .pages
        .get_mut(&page_id)
        .expect("page_admin checked")
        .subscribed_fields = None;
    Ok(Json(json!({"success": true})))
}

fn check_app_id(world: &World, id: &str) -> Result<(), FbError> {
    if id == world.app_id {
        Ok(())
    } else {
        Err(FbError::unknown_object(id))
    }
}

pub async fn app_subscriptions(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "subscriptions", None).await?;
    let world = state.lock();
    authenticate_app(&world, &req)?;
    check_app_id(&world, &id)?;
    let data: Vec<Value> = world
        .app_subscription
        .iter()
        .map(|s| {
            json!({
                "object": "page",
                "callback_url": s.callback_url,
                "active": true,
                "fields": s.fields.iter().map(|f| json!({"name": f, "version": ver})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST /{ver}/{app-id}/subscriptions`: verifies the callback with the
/// `hub.challenge` handshake, then activates it for the given fields.
pub async fn set_app_subscription(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "subscriptions", None).await?;
    let (challenge, callback, verify_token, fields) = {
        let mut world = state.lock();
        authenticate_app(&world, &req)?;
        check_app_id(&world, &id)?;
        if req.param_str("object").as_deref() != Some("page") {
            return Err(FbError::param("Param object must be one of {page, user, permissions, ...} - this emulator supports \"page\""));
        }
        let callback = req
            .param_str("callback_url")
            .ok_or_else(|| FbError::param("The parameter callback_url is required"))?;
        let callback = url::Url::parse(&callback)
            .map_err(|_| FbError::param("Param callback_url is not a valid URL"))?;
        let verify_token = req
            .param_str("verify_token")
            .ok_or_else(|| FbError::param("The parameter verify_token is required"))?;
        let fields = req
            .list("fields")
            .filter(|f| !f.is_empty())
            .ok_or_else(|| FbError::param("The parameter fields is required"))?;
        if let Some(bad) = fields.iter().find(|f| !PAGE_FIELDS.contains(&f.as_str())) {
            return Err(FbError::param(format!(
                "Param fields contains an unknown field \"{bad}\""
            )));
        }
        let challenge = world.numeric_id(10);
        (challenge, callback, verify_token, fields)
    };
    let mut url = callback.clone();
    url.query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.verify_token", &verify_token)
        .append_pair("hub.challenge", &challenge);
    let outcome = state
        .http
        .get(url.clone())
        .header(
            "User-Agent",
            "facebookplatform/1.0 (+http://developers.facebook.com)",
        )
        .send()
        .await;
    let (status, body, error) = match outcome {
        Ok(resp) => {
            let status = resp.status().as_u16();
            (Some(status), resp.text().await.unwrap_or_default(), None)
        }
        Err(e) => (None, String::new(), Some(e.to_string())),
    };
    let mut world = state.lock();
    record_delivery(
        &mut world,
        DeliveryKind::Handshake,
        url.as_str(),
        1,
        status,
        error.clone(),
        Vec::new(),
        String::new(),
    );
    if status != Some(200) || body != challenge {
        let why = match (status, error) {
            (_, Some(e)) => format!("The URL couldn't be validated. Callback verification failed with the following errors: {e}"),
            (Some(200), None) => format!("The URL couldn't be validated. Response does not match challenge, expected value=\"{challenge}\", received=\"{}\"", body.chars().take(100).collect::<String>()),
            (Some(s), None) => format!("The URL couldn't be validated. Callback verification failed with the following errors: HTTP Status Code = {s}"),
            (None, None) => "The URL couldn't be validated.".to_owned(),
        };
        return Err(FbError::other(
            2200,
            None,
            format!("(#2200) callback verification failed: {why}"),
        ));
    }
    world.webhook.url = Some(callback.clone());
    world.verify_token = verify_token.clone();
    world.app_subscription = Some(AppSubscription {
        callback_url: callback.to_string(),
        fields,
    });
    Ok(Json(json!({"success": true})))
}

pub async fn delete_app_subscription(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> GraphResult {
    check_version(&ver)?;
    apply_fault(&state, "subscriptions", None).await?;
    let mut world = state.lock();
    authenticate_app(&world, &req)?;
    check_app_id(&world, &id)?;
    world.app_subscription = None;
    world.webhook.url = None;
    Ok(Json(json!({"success": true})))
}
