//! The Send API (`/{page|me}/messages`) and the Attachment Upload API
//! (`/{page|me}/message_attachments`): validation in Facebook's order and with
//! its error codes, the 24-hour window, then the visitor's log and the echo.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::objects::resolve_me;
use super::outgoing::{
    as_object, check_window, parse_message, parse_messaging_type, take_attachment,
};
use super::request::{
    apply_fault, authenticate, check_page_role, check_version, GraphRequest, PageRole,
};
use crate::control::types::{Direction, ThreadItem};
use crate::fb_error::FbError;
use crate::world::{Caller, World};
use crate::AppState;

/// The Send API's needs: `pages_messaging` and the MESSAGING task.
const MESSAGING: PageRole = PageRole {
    permission: "pages_messaging",
    permission_code: 10,
    task: "MESSAGING",
    task_subcode: Some(2018028),
    task_message: "The user must have the MESSAGING task on this Page to send messages",
};

const SENDER_ACTIONS: [&str; 5] = ["typing_on", "typing_off", "mark_seen", "react", "unreact"];

/// The Page a messaging call acts for: a Page token of that Page, from
/// someone with the MESSAGING task, with `pages_messaging` granted.
fn messaging_page(world: &World, caller: &Caller, id: &str) -> Result<String, FbError> {
    let page_id = resolve_me(caller, id);
    if caller.page_id.as_deref() != Some(page_id.as_str()) {
        if caller.page_id.is_none() && world.pages.contains_key(&page_id) {
            return Err(FbError::permission(
                210,
                None,
                "A page access token is required to request this resource.",
            ));
        }
        return Err(FbError::unknown_object(id));
    }
    check_page_role(world, &caller.user_id, &page_id, &MESSAGING)?;
    Ok(page_id)
}

/// The visitor addressed by `recipient`, on this Page.
fn recipient_psid(world: &World, req: &GraphRequest, page_id: &str) -> Result<String, FbError> {
    let recipient = req
        .field("recipient")
        .ok_or_else(|| FbError::param("The parameter recipient is required"))?;
    let recipient = as_object(recipient, "recipient")?;
    let psid = match recipient.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ if recipient.contains_key("user_ref")
            || recipient.contains_key("post_id")
            || recipient.contains_key("comment_id") =>
        {
            return Err(FbError::param_sub(
                2018001,
                "No matching user found (the emulator supports PSID recipients only)",
            ))
        }
        _ => return Err(FbError::param("param recipient must have an id")),
    };
    match world.visitors.get(&psid) {
        Some(v) if v.page_id == page_id => {
            if v.blocked {
                return Err(FbError::other(
                    551,
                    Some(1545041),
                    "(#551) This person isn't available right now.",
                ));
            }
            Ok(psid)
        }
        _ => Err(FbError::param_sub(2018001, "No matching user found")),
    }
}

fn app_id_value(app_id: &str) -> Value {
    app_id
        .parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(app_id))
}

/// The echo Facebook sends for a message the Page sent.
pub fn echo_event(
    page_id: &str,
    psid: &str,
    app_id: &str,
    item: &ThreadItem,
    template: Option<&Value>,
) -> Value {
    let mut message = json!({"mid": item.mid, "is_echo": true, "app_id": app_id_value(app_id)});
    if let Some(m) = &item.metadata {
        message["metadata"] = json!(m);
    }
    if let Some(t) = &item.text {
        message["text"] = json!(t);
    }
    if !item.attachments.is_empty() {
        let list: Vec<Value> = item
            .attachments
            .iter()
            .map(|a| {
                let payload = match (a.kind.as_str(), template, a.sticker_id) {
                    ("template", Some(t), _) => t.clone(),
                    (_, _, Some(sticker)) => json!({"url": a.url, "sticker_id": sticker}),
                    _ => json!({"url": a.url}),
                };
                json!({"type": a.kind, "payload": payload})
            })
            .collect();
        message["attachments"] = json!(list);
    }
    json!({
        "sender": {"id": page_id},
        "recipient": {"id": psid},
        "timestamp": item.timestamp,
        "message": message,
    })
}

/// `POST /{ver}/{page|me}/messages`.
pub async fn messages(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> Result<Json<Value>, FbError> {
    check_version(&ver)?;
    apply_fault(&state, "messages", Some(&id)).await?;
    let mut world = state.lock();
    let caller = authenticate(&world, &req)?;
    let page_id = messaging_page(&world, &caller, &id)?;
    let message = req.field("message");
    let action = req.param_str("sender_action");
    if message.is_some() && action.is_some() {
        return Err(FbError::param_sub(
            2018014,
            "Cannot send message and sender_action in the same request",
        ));
    }
    let now = world.now_ms();
    if let Some(action) = action {
        if !SENDER_ACTIONS.contains(&action.as_str()) {
            return Err(FbError::param(format!(
                "Param sender_action must be one of {{{}}}",
                SENDER_ACTIONS.join(", ")
            )));
        }
        let psid = recipient_psid(&world, &req, &page_id)?;
        let payload = req.field("payload").map(|p| p.to_string());
        let app_id = caller_app(&world);
        let visitor = world.visitors.get_mut(&psid).expect("recipient checked");
        visitor.thread.push(ThreadItem {
            from: Direction::Page,
            kind: "sender_action".into(),
            mid: None,
            timestamp: now,
            text: None,
            attachments: Vec::new(),
            messaging_type: None,
            tag: None,
            metadata: None,
            app_id: Some(app_id),
            reply_to: None,
            quick_replies: None,
            sender_action: Some(action),
            payload,
        });
        return Ok(Json(json!({"recipient_id": psid})));
    }
    let Some(message) = message else {
        return Err(FbError::param("Must send either message or sender_action"));
    };
    let (messaging_type, tag) = parse_messaging_type(&req)?;
    let out = parse_message(&mut world, &page_id, message, req.file.as_ref())?;
    let psid = recipient_psid(&world, &req, &page_id)?;
    let last_inbound = world.visitors[&psid].last_inbound_ms;
    check_window(now, last_inbound, tag.as_deref())?;
    let reply_to = req
        .field("reply_to")
        .and_then(|r| r.get("mid").and_then(Value::as_str).map(str::to_owned));
    let mid = world.new_mid();
    let app_id = world.app_id.clone();
    let item = ThreadItem {
        from: Direction::Page,
        kind: "message".into(),
        mid: Some(mid.clone()),
        timestamp: now,
        text: out.text,
        attachments: out.attachments,
        messaging_type: Some(messaging_type),
        tag,
        metadata: out.metadata,
        app_id: Some(app_id.clone()),
        reply_to,
        quick_replies: out.quick_replies,
        sender_action: None,
        payload: None,
    };
    let echo = echo_event(&page_id, &psid, &app_id, &item, out.template.as_ref());
    world
        .visitors
        .get_mut(&psid)
        .expect("recipient checked")
        .thread
        .push(item);
    if world.enqueue(&page_id, "message_echoes", false, echo) {
        state.wake.notify_one();
    }
    let mut response = json!({"recipient_id": psid, "message_id": mid});
    if let Some(id) = out.reusable_id {
        response["attachment_id"] = json!(id);
    }
    Ok(Json(response))
}

fn caller_app(world: &World) -> String {
    world.app_id.clone()
}

/// `POST /{ver}/{page|me}/message_attachments` → `{"attachment_id"}`.
pub async fn message_attachments(
    State(state): State<AppState>,
    Path((ver, id)): Path<(String, String)>,
    req: GraphRequest,
) -> Result<Json<Value>, FbError> {
    check_version(&ver)?;
    apply_fault(&state, "message_attachments", Some(&id)).await?;
    let mut world = state.lock();
    let caller = authenticate(&world, &req)?;
    let page_id = messaging_page(&world, &caller, &id)?;
    let message = req
        .field("message")
        .ok_or_else(|| FbError::param("The parameter message is required"))?;
    let message = as_object(message, "message")?;
    let attachment = message
        .get("attachment")
        .cloned()
        .ok_or_else(|| FbError::param("The parameter message[attachment] is required"))?;
    let mut attachment = as_object(attachment, "message[attachment]")?;
    // The upload API always keeps the asset; `is_reusable` is implied.
    let payload = attachment.entry("payload").or_insert_with(|| json!({}));
    if let Value::Object(p) = payload {
        p.insert("is_reusable".into(), json!(true));
    }
    let (_, reusable, _) =
        take_attachment(&mut world, &page_id, &attachment, req.file.as_ref(), false)?;
    Ok(Json(json!({"attachment_id": reusable})))
}
