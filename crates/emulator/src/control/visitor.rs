//! Turns what a visitor (or a human in the Page inbox) does into the thread
//! log and the webhook event Facebook would send.

use serde_json::{json, Value};

use super::server::ControlError;
use super::types::{AttachmentRecord, Direction, EventReceipt, ThreadItem, VisitorEvent};
use crate::graph::send::echo_event;
use crate::world::{World, PAGE_INBOX_APP_ID};

/// Stickers carry an extra `image` attachment until this moment (epoch ms,
/// 2026-08-30T00:00:00Z), only the `sticker` one afterwards.
const STICKER_TRANSITION_MS: i64 = 1_788_048_000_000;
const MAX_EDITS: usize = 5;

fn item(kind: &str, from: Direction, timestamp: i64) -> ThreadItem {
    ThreadItem {
        from,
        kind: kind.into(),
        mid: None,
        timestamp,
        text: None,
        attachments: Vec::new(),
        messaging_type: None,
        tag: None,
        metadata: None,
        app_id: None,
        reply_to: None,
        quick_replies: None,
        sender_action: None,
        payload: None,
    }
}

fn attachment(kind: &str, url: &str, sticker_id: Option<u64>) -> AttachmentRecord {
    AttachmentRecord {
        kind: kind.into(),
        url: Some(url.into()),
        attachment_id: None,
        filename: None,
        content_type: None,
        size: None,
        sticker_id,
    }
}

/// Applies a visitor event: logs it, updates the window, queues the webhook.
pub fn apply(
    world: &mut World,
    psid: &str,
    event: VisitorEvent,
    standby: bool,
) -> Result<EventReceipt, ControlError> {
    let visitor = world
        .visitors
        .get(psid)
        .ok_or_else(|| ControlError::NotFound(format!("visitor {psid}")))?;
    let page_id = visitor.page_id.clone();
    let thread = visitor.thread.clone();
    let now = world.now_ms();
    let latest_page_ts = thread
        .iter()
        .filter(|i| i.from == Direction::Page && i.mid.is_some())
        .map(|i| i.timestamp)
        .max();
    let edits_of = |mid: &str| {
        thread
            .iter()
            .filter(|i| i.kind == "edit" && i.mid.as_deref() == Some(mid))
            .count()
    };
    let mut log = item("message", Direction::Visitor, now);
    let mut opens_window = true;
    let (field, body): (&str, Value) = match event {
        VisitorEvent::Text { text, reply_to } => {
            let mid = world.new_mid();
            let mut message = json!({"mid": mid, "text": text});
            if let Some(r) = &reply_to {
                message["reply_to"] = json!({"mid": r, "is_self_reply": false});
            }
            log.mid = Some(mid);
            log.text = Some(text);
            log.reply_to = reply_to;
            ("messages", json!({"message": message}))
        }
        VisitorEvent::Attachment { kind, url } => {
            let mid = world.new_mid();
            log.mid = Some(mid.clone());
            log.attachments.push(attachment(&kind, &url, None));
            let message =
                json!({"mid": mid, "attachments": [{"type": kind, "payload": {"url": url}}]});
            ("messages", json!({"message": message}))
        }
        VisitorEvent::Sticker { sticker_id, url } => {
            let mid = world.new_mid();
            log.mid = Some(mid.clone());
            log.attachments
                .push(attachment("sticker", &url, Some(sticker_id)));
            let payload = json!({"url": url, "sticker_id": sticker_id});
            let mut list = Vec::new();
            if now < STICKER_TRANSITION_MS {
                list.push(json!({"type": "image", "payload": payload}));
            }
            list.push(json!({"type": "sticker", "payload": payload}));
            (
                "messages",
                json!({"message": {"mid": mid, "attachments": list}}),
            )
        }
        VisitorEvent::Postback { title, payload } => {
            let mid = world.new_mid();
            log.kind = "postback".into();
            log.mid = Some(mid.clone());
            log.text = Some(title.clone());
            log.payload = Some(payload.clone());
            let mut postback = json!({"title": title, "mid": mid});
            // Apps that do not own the thread get postbacks without payload.
            if !standby {
                postback["payload"] = json!(payload);
            }
            ("messaging_postbacks", json!({"postback": postback}))
        }
        VisitorEvent::QuickReply { text, payload } => {
            let mid = world.new_mid();
            log.mid = Some(mid.clone());
            log.text = Some(text.clone());
            log.payload = Some(payload.clone());
            let message = json!({"mid": mid, "text": text, "quick_reply": {"payload": payload}});
            ("messages", json!({"message": message}))
        }
        VisitorEvent::Reaction {
            mid,
            reaction,
            emoji,
            action,
        } => {
            if action != "react" && action != "unreact" {
                return Err(ControlError::Invalid(
                    "action must be react or unreact".into(),
                ));
            }
            log.kind = "reaction".into();
            log.mid = Some(mid.clone());
            log.text = Some(emoji.clone());
            log.payload = Some(format!("{action}:{reaction}"));
            (
                "message_reactions",
                json!({"reaction": {"reaction": reaction, "emoji": emoji, "action": action, "mid": mid}}),
            )
        }
        VisitorEvent::Edit { mid, text } => {
            let num_edit = edits_of(&mid) + 1;
            if num_edit > MAX_EDITS {
                return Err(ControlError::Invalid(format!(
                    "a message can be edited at most {MAX_EDITS} times"
                )));
            }
            opens_window = false;
            log.kind = "edit".into();
            log.mid = Some(mid.clone());
            log.text = Some(text.clone());
            (
                "message_edits",
                json!({"message_edit": {"mid": mid, "text": text, "num_edit": num_edit}}),
            )
        }
        VisitorEvent::Referral { ref_, source } => {
            log.kind = "referral".into();
            log.payload = Some(ref_.clone());
            (
                "messaging_referrals",
                json!({"referral": {"ref": ref_, "source": source, "type": "OPEN_THREAD"}}),
            )
        }
        VisitorEvent::Optin { ref_ } => {
            log.kind = "optin".into();
            log.payload = Some(ref_.clone());
            ("messaging_optins", json!({"optin": {"ref": ref_}}))
        }
        VisitorEvent::Delivery => {
            opens_window = false;
            let watermark = latest_page_ts.unwrap_or(now);
            let mids: Vec<String> = thread
                .iter()
                .filter(|i| i.from == Direction::Page && i.timestamp <= watermark)
                .filter_map(|i| i.mid.clone())
                .collect();
            log.kind = "delivery".into();
            log.payload = Some(watermark.to_string());
            (
                "message_deliveries",
                json!({"delivery": {"mids": mids, "watermark": watermark}}),
            )
        }
        VisitorEvent::Read => {
            opens_window = false;
            let watermark = latest_page_ts.unwrap_or(now);
            log.kind = "read".into();
            log.payload = Some(watermark.to_string());
            ("message_reads", json!({"read": {"watermark": watermark}}))
        }
    };
    let mut event = json!({
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": now,
    });
    if let (Value::Object(e), Value::Object(b)) = (&mut event, body) {
        e.extend(b);
    }
    let receipt = EventReceipt {
        mid: log.mid.clone(),
        timestamp: now,
    };
    let visitor = world.visitors.get_mut(psid).expect("checked above");
    if opens_window {
        visitor.last_inbound_ms = Some(now);
    }
    visitor.thread.push(log);
    world.enqueue(&page_id, field, standby, event);
    Ok(receipt)
}

/// A human replies from the Page inbox: logged, echoed with the inbox app id.
pub fn inbox_reply(
    world: &mut World,
    psid: &str,
    text: String,
) -> Result<EventReceipt, ControlError> {
    let page_id = world
        .visitors
        .get(psid)
        .map(|v| v.page_id.clone())
        .ok_or_else(|| ControlError::NotFound(format!("visitor {psid}")))?;
    let now = world.now_ms();
    let mid = world.new_mid();
    let mut log = item("message", Direction::Page, now);
    log.mid = Some(mid.clone());
    log.text = Some(text);
    log.app_id = Some(PAGE_INBOX_APP_ID.into());
    let echo = echo_event(&page_id, psid, PAGE_INBOX_APP_ID, &log, None);
    world
        .visitors
        .get_mut(psid)
        .expect("checked above")
        .thread
        .push(log);
    world.enqueue(&page_id, "message_echoes", false, echo);
    Ok(EventReceipt {
        mid: Some(mid),
        timestamp: now,
    })
}
