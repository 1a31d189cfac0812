//! The Send API (`/{page|me}/messages`) and the Attachment Upload API
//! (`/{page|me}/message_attachments`): validation in Facebook's order and with
//! its error codes, the 24-hour window, then the visitor's log and the echo.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Map, Value};

use super::objects::resolve_me;
use super::request::{apply_fault, authenticate, check_version, GraphRequest, Upload};
use crate::control::types::{AttachmentRecord, Direction, ThreadItem};
use crate::fb_error::FbError;
use crate::world::{Caller, StoredAttachment, World};
use crate::AppState;

pub const MAX_TEXT_CHARS: usize = 2000;
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;
const DAY_MS: i64 = 24 * 3600 * 1000;
const WINDOW_MESSAGE: &str = "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview";
const SENDABLE_TYPES: [&str; 5] = ["image", "audio", "video", "file", "template"];
const SENDER_ACTIONS: [&str; 5] = ["typing_on", "typing_off", "mark_seen", "react", "unreact"];
const RETIRED_TAGS: [&str; 3] = [
    "CONFIRMED_EVENT_UPDATE",
    "ACCOUNT_UPDATE",
    "POST_PURCHASE_UPDATE",
];

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
    if !world.has_permission(&caller.user_id, "pages_messaging") {
        return Err(FbError::permission(
            10,
            None,
            "Requires pages_messaging permission to manage the object",
        ));
    }
    let tasks = world.tasks_of(&caller.user_id, &page_id);
    if !tasks.iter().any(|t| t == "MESSAGING" || t == "MANAGE") {
        return Err(FbError::permission(
            200,
            Some(2018028),
            "The user must have the MESSAGING task on this Page to send messages",
        ));
    }
    Ok(page_id)
}

/// A validated outgoing message.
#[derive(Debug, Default)]
struct Outgoing {
    text: Option<String>,
    attachments: Vec<AttachmentRecord>,
    /// Raw template payload, echoed back as sent.
    template: Option<Value>,
    quick_replies: Option<Value>,
    metadata: Option<String>,
    /// Set when `is_reusable` asked for an id.
    reusable_id: Option<String>,
}

fn as_object(value: Value, name: &str) -> Result<Map<String, Value>, FbError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(FbError::param(format!(
            "param {name} must be a JSON object"
        ))),
    }
}

/// Validates an attachment (by URL, by `attachment_id`, or the uploaded file)
/// and stores uploads. Returns the record and, when reusable, its id.
fn take_attachment(
    world: &mut World,
    page_id: &str,
    attachment: &Map<String, Value>,
    file: Option<&Upload>,
    allow_template: bool,
) -> Result<(AttachmentRecord, Option<String>, Option<Value>), FbError> {
    let kind = attachment
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let allowed: &[&str] = if allow_template {
        &SENDABLE_TYPES
    } else {
        &SENDABLE_TYPES[..4]
    };
    if !allowed.contains(&kind.as_str()) {
        return Err(FbError::param(format!(
            "Param message[attachment][type] must be one of {{{}}}",
            allowed.join(", ")
        )));
    }
    let payload = attachment
        .get("payload")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if kind == "template" {
        let record = AttachmentRecord {
            kind,
            url: None,
            attachment_id: None,
            filename: None,
            content_type: None,
            size: None,
            sticker_id: None,
        };
        return Ok((record, None, Some(payload)));
    }
    let reusable = payload
        .get("is_reusable")
        .is_some_and(|v| v == &json!(true) || v == &json!("true"));
    let mut record = AttachmentRecord {
        kind: kind.clone(),
        url: None,
        attachment_id: None,
        filename: None,
        content_type: None,
        size: None,
        sticker_id: None,
    };
    if let Some(id) = payload.get("attachment_id") {
        let id = id
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| id.to_string());
        let stored = world
            .attachments
            .get(&id)
            .filter(|a| a.page_id == page_id && a.reusable)
            .ok_or_else(|| {
                FbError::param_sub(
                    2018074,
                    "The attachment_id is invalid or does not belong to this Page",
                )
            })?;
        if stored.kind != kind {
            return Err(FbError::param_sub(
                2018047,
                format!(
                    "Upload attachment failure: the attachment is of type {} but type {kind} was given",
                    stored.kind
                ),
            ));
        }
        record.url = stored.url.clone();
        record.filename = stored.filename.clone();
        record.size = stored.size;
        record.content_type = stored.content_type.clone();
        record.attachment_id = Some(id);
        return Ok((record, None, None));
    }
    if let Some(url) = payload.get("url").and_then(Value::as_str) {
        let parsed = url::Url::parse(url)
            .ok()
            .filter(|u| u.scheme().starts_with("http"));
        if parsed.is_none() {
            return Err(FbError::param_sub(
                2018008,
                "Failed to fetch the file from the url",
            ));
        }
        record.url = Some(url.to_owned());
    } else if let Some(file) = file {
        if file.bytes.len() > MAX_FILE_BYTES {
            return Err(FbError::param_sub(
                2018109,
                "Attachment size exceeds allowable limit",
            ));
        }
        let content_type = file.content_type.clone().unwrap_or_default();
        if kind == "audio" && !content_type.starts_with("audio/") {
            return Err(FbError::param_sub(
                2018047,
                "Upload attachment failure: audio files need an audio/* Content-Type",
            ));
        }
        record.filename = file.filename.clone();
        record.size = Some(file.bytes.len());
        record.content_type = Some(content_type.clone());
    } else {
        return Err(FbError::param(
            "Param message[attachment][payload] must contain url or attachment_id, or a filedata file must be uploaded",
        ));
    }
    let id = world.numeric_id(16);
    let served_url = record
        .url
        .clone()
        .unwrap_or_else(|| format!("/_emulator/files/{id}"));
    world.attachments.insert(
        id.clone(),
        StoredAttachment {
            page_id: page_id.to_owned(),
            kind,
            url: Some(served_url.clone()),
            filename: record.filename.clone(),
            size: record.size,
            content_type: record.content_type.clone(),
            bytes: file
                .filter(|_| record.url.is_none())
                .map(|f| f.bytes.clone()),
            reusable,
        },
    );
    record.url = Some(served_url);
    if reusable {
        record.attachment_id = Some(id.clone());
    }
    Ok((record, reusable.then_some(id), None))
}

fn parse_message(
    world: &mut World,
    page_id: &str,
    message: Value,
    file: Option<&Upload>,
) -> Result<Outgoing, FbError> {
    let message = as_object(message, "message")?;
    let mut out = Outgoing::default();
    let kinds = ["text", "attachment", "attachments", "sticker_id"]
        .iter()
        .filter(|k| message.contains_key(**k))
        .count();
    if kinds == 0 {
        return Err(FbError::param(
            "Message cannot be empty, must provide valid attachment or text",
        ));
    }
    if kinds > 1 {
        return Err(FbError::param(
            "Only one of message[text], message[attachment], message[attachments] or message[sticker_id] may be set",
        ));
    }
    if let Some(metadata) = message.get("metadata") {
        let metadata = metadata.as_str().unwrap_or_default().to_owned();
        if metadata.chars().count() >= 1000 {
            return Err(FbError::param(
                "Param message[metadata] must be less than 1000 characters",
            ));
        }
        out.metadata = Some(metadata);
    }
    if let Some(qr) = message.get("quick_replies") {
        if qr.as_array().is_none_or(|a| a.is_empty() || a.len() > 13) {
            return Err(FbError::param(
                "Param message[quick_replies] must be an array of 1 to 13 items",
            ));
        }
        out.quick_replies = Some(qr.clone());
    }
    if let Some(text) = message.get("text") {
        let text = text.as_str().unwrap_or_default();
        if text.is_empty() {
            return Err(FbError::param(
                "Param message[text] must be a non-empty UTF-8 encoded string",
            ));
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(FbError::param(format!(
                "Length of param message[text] must be less than or equal to {MAX_TEXT_CHARS}"
            )));
        }
        out.text = Some(text.to_owned());
    } else if let Some(attachment) = message.get("attachment") {
        let attachment = as_object(attachment.clone(), "message[attachment]")?;
        let (record, reusable, template) =
            take_attachment(world, page_id, &attachment, file, true)?;
        out.attachments.push(record);
        out.reusable_id = reusable;
        out.template = template;
    } else if let Some(list) = message.get("attachments") {
        let list = list.as_array().cloned().unwrap_or_default();
        if list.is_empty() || list.len() > 30 {
            return Err(FbError::param(
                "Param message[attachments] must hold 1 to 30 images",
            ));
        }
        for item in list {
            let item = as_object(item, "message[attachments][]")?;
            if item.get("type").and_then(Value::as_str) != Some("image") {
                return Err(FbError::param(
                    "Param message[attachments] may only contain images",
                ));
            }
            let (record, _, _) = take_attachment(world, page_id, &item, None, false)?;
            out.attachments.push(record);
        }
    } else if let Some(sticker) = message.get("sticker_id") {
        let id = sticker
            .as_u64()
            .or_else(|| sticker.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| FbError::param("Param message[sticker_id] must be a number"))?;
        out.attachments.push(AttachmentRecord {
            kind: "image".into(),
            url: Some(format!("https://scontent.xx.fbcdn.net/sticker/{id}.png")),
            attachment_id: None,
            filename: None,
            content_type: None,
            size: None,
            sticker_id: Some(id),
        });
    }
    Ok(out)
}

/// `messaging_type` and `tag`, normalised; retired tags are refused.
fn parse_messaging_type(req: &GraphRequest) -> Result<(String, Option<String>), FbError> {
    let messaging_type = req
        .param_str("messaging_type")
        .unwrap_or_else(|| "RESPONSE".to_owned());
    if !["RESPONSE", "UPDATE", "MESSAGE_TAG"].contains(&messaging_type.as_str()) {
        return Err(FbError::param(
            "Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}",
        ));
    }
    if messaging_type != "MESSAGE_TAG" {
        return Ok((messaging_type, None));
    }
    let tag = req.param_str("tag").ok_or_else(|| {
        FbError::param("Param tag is required when messaging_type is MESSAGE_TAG")
    })?;
    if RETIRED_TAGS.contains(&tag.as_str()) {
        return Err(FbError::param_sub(
            1893061,
            format!("Param tag {tag} is no longer supported. Use an approved message tag or Marketing Messages."),
        ));
    }
    if tag != "HUMAN_AGENT" && tag != "CUSTOMER_FEEDBACK" {
        return Err(FbError::param(
            "Param tag must be one of {HUMAN_AGENT, CUSTOMER_FEEDBACK}",
        ));
    }
    Ok((messaging_type, Some(tag)))
}

/// The 24-hour standard window, or 7 days for `HUMAN_AGENT`.
pub fn check_window(
    now_ms: i64,
    last_inbound_ms: Option<i64>,
    tag: Option<&str>,
) -> Result<(), FbError> {
    let allowed = if tag == Some("HUMAN_AGENT") {
        7 * DAY_MS
    } else {
        DAY_MS
    };
    match last_inbound_ms {
        Some(last) if now_ms - last <= allowed => Ok(()),
        _ => Err(FbError::other(10, Some(2018278), WINDOW_MESSAGE)),
    }
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
