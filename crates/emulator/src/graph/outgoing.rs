//! Validation of what a Send API call asks to send: the message (text,
//! attachment by URL / id / uploaded file, stickers, quick replies,
//! metadata), `messaging_type` and `tag`, and the messaging window. Pure
//! apart from storing uploads in the world.

use serde_json::{json, Map, Value};

use super::request::{GraphRequest, Upload};
use crate::control::types::AttachmentRecord;
use crate::fb_error::FbError;
use crate::world::{StoredAttachment, World};

pub const MAX_TEXT_CHARS: usize = 2000;
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;
const DAY_MS: i64 = 24 * 3600 * 1000;
const WINDOW_MESSAGE: &str = "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview";
const SENDABLE_TYPES: [&str; 5] = ["image", "audio", "video", "file", "template"];
const RETIRED_TAGS: [&str; 3] = [
    "CONFIRMED_EVENT_UPDATE",
    "ACCOUNT_UPDATE",
    "POST_PURCHASE_UPDATE",
];

/// A validated outgoing message.
#[derive(Debug, Default)]
pub struct Outgoing {
    pub text: Option<String>,
    pub attachments: Vec<AttachmentRecord>,
    /// Raw template payload, echoed back as sent.
    pub template: Option<Value>,
    pub quick_replies: Option<Value>,
    pub metadata: Option<String>,
    /// Set when `is_reusable` asked for an id.
    pub reusable_id: Option<String>,
}

pub fn as_object(value: Value, name: &str) -> Result<Map<String, Value>, FbError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(FbError::param(format!(
            "param {name} must be a JSON object"
        ))),
    }
}

/// Validates an attachment (by URL, by `attachment_id`, or the uploaded file)
/// and stores uploads. Returns the record and, when reusable, its id.
pub fn take_attachment(
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

pub fn parse_message(
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
pub fn parse_messaging_type(req: &GraphRequest) -> Result<(String, Option<String>), FbError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 100 * DAY_MS;

    #[test]
    fn a_reply_within_24_hours_of_the_last_visitor_message_is_allowed() {
        assert!(check_window(NOW, Some(NOW - DAY_MS), None).is_ok());
        let err = check_window(NOW, Some(NOW - DAY_MS - 1), None).unwrap_err();
        assert_eq!((err.code, err.subcode), (10, Some(2018278)));
    }

    #[test]
    fn human_agent_extends_the_window_to_seven_days() {
        assert!(check_window(NOW, Some(NOW - 7 * DAY_MS), Some("HUMAN_AGENT")).is_ok());
        assert!(check_window(NOW, Some(NOW - 7 * DAY_MS - 1), Some("HUMAN_AGENT")).is_err());
    }

    #[test]
    fn a_visitor_who_never_wrote_cannot_be_messaged() {
        assert!(check_window(NOW, None, Some("HUMAN_AGENT")).is_err());
    }
}
