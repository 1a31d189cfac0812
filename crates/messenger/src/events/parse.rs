//! Body → [`WebhookBatch`], one item at a time.

use super::kinds::{Echo, Message};
use super::{Entry, EventKind, MessagingEvent, Party, WebhookBatch};
use crate::lenient;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The body is not a webhook batch at all (answer 400; nothing to keep).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("webhook body is not JSON: {0}")]
    NotJson(String),
    #[error("webhook body is not a JSON object")]
    NotAnObject,
    #[error("webhook body has no \"object\" string")]
    MissingObject,
    #[error("webhook body has no \"entry\" array")]
    MissingEntry,
}

/// Keys that are not the event of an item.
const ENVELOPE_KEYS: [&str; 3] = ["sender", "recipient", "timestamp"];

/// Parses a webhook body (the raw bytes; verify the signature first).
pub fn parse_batch(raw: &[u8]) -> Result<WebhookBatch, PayloadError> {
    // A lone surrogate escape (half an emoji) must not cost every other
    // item of the delivery: it becomes U+FFFD before parsing.
    let raw = super::surrogates::replace_lone_surrogates(raw);
    let body: Value =
        serde_json::from_slice(&raw).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let obj = body.as_object().ok_or(PayloadError::NotAnObject)?;
    let object = obj
        .get("object")
        .and_then(Value::as_str)
        .ok_or(PayloadError::MissingObject)?
        .to_owned();
    let entries = obj
        .get("entry")
        .and_then(Value::as_array)
        .ok_or(PayloadError::MissingEntry)?
        .iter()
        .map(parse_entry)
        .collect();
    Ok(WebhookBatch { object, entries })
}

fn parse_entry(entry: &Value) -> Entry {
    let page_id = entry.get("id").and_then(lenient::id_of).unwrap_or_default();
    let time = entry.get("time").and_then(lenient::int_of).unwrap_or(0);
    let mut events = Vec::new();
    if !entry.is_object() {
        events.push(unknown(
            &page_id,
            time,
            false,
            entry,
            None,
            "entry is not an object".into(),
        ));
    }
    for (field, standby) in [("messaging", false), ("standby", true)] {
        match entry.get(field) {
            Some(Value::Array(items)) => events.extend(
                items
                    .iter()
                    .map(|item| parse_item(&page_id, time, standby, item)),
            ),
            None | Some(Value::Null) => {}
            Some(other) => events.push(unknown(
                &page_id,
                time,
                standby,
                other,
                Some(field),
                format!("entry.{field} is not an array"),
            )),
        }
    }
    let changes = entry
        .get("changes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Entry {
        page_id,
        time,
        events,
        changes,
    }
}

/// Parses one `messaging[]`/`standby[]` item. Never fails.
pub(crate) fn parse_item(
    page_id: &str,
    entry_time: i64,
    standby: bool,
    item: &Value,
) -> MessagingEvent {
    let Some(obj) = item.as_object() else {
        return unknown(
            page_id,
            entry_time,
            standby,
            item,
            None,
            "item is not an object".into(),
        );
    };
    let timestamp = obj
        .get("timestamp")
        .and_then(lenient::int_of)
        .unwrap_or(entry_time);
    let kind = match event_kind(obj) {
        Ok(kind) => kind,
        Err((key, reason)) => EventKind::Unknown { key, reason },
    };
    MessagingEvent {
        page_id: page_id.to_owned(),
        sender: party(obj.get("sender")),
        recipient: party(obj.get("recipient")),
        timestamp,
        standby,
        kind,
        raw: item.clone(),
    }
}

type KindResult = Result<EventKind, (Option<String>, String)>;
type KindParser = fn(&str, &Value) -> KindResult;

fn event_kind(obj: &Map<String, Value>) -> KindResult {
    fn typed<T: DeserializeOwned>(key: &str, v: &Value, wrap: fn(T) -> EventKind) -> KindResult {
        serde_json::from_value::<T>(v.clone())
            .map(wrap)
            .map_err(|e| (Some(key.to_owned()), format!("{key}: {e}")))
    }
    // Dispatch on the first known key in a fixed order; `message` wins.
    if let Some(m) = obj.get("message") {
        return if lenient::flag_of(m.get("is_echo")) {
            typed::<Echo>("message", m, EventKind::Echo)
        } else {
            typed::<Message>("message", m, EventKind::Message)
        };
    }
    let handlers: [(&str, KindParser); 11] = [
        ("postback", |k, v| typed(k, v, EventKind::Postback)),
        ("delivery", |k, v| typed(k, v, EventKind::Delivery)),
        ("read", |k, v| typed(k, v, EventKind::Read)),
        ("reaction", |k, v| typed(k, v, EventKind::Reaction)),
        ("message_edit", |k, v| typed(k, v, EventKind::MessageEdit)),
        ("referral", |k, v| typed(k, v, EventKind::Referral)),
        ("optin", |k, v| typed(k, v, EventKind::Optin)),
        ("pass_thread_control", |k, v| {
            typed(k, v, EventKind::PassThreadControl)
        }),
        ("take_thread_control", |k, v| {
            typed(k, v, EventKind::TakeThreadControl)
        }),
        ("request_thread_control", |k, v| {
            typed(k, v, EventKind::RequestThreadControl)
        }),
        ("app_roles", |k, v| typed(k, v, EventKind::AppRoles)),
    ];
    for (key, handler) in handlers {
        if let Some(v) = obj.get(key) {
            return handler(key, v);
        }
    }
    let key = obj
        .keys()
        .find(|k| !ENVELOPE_KEYS.contains(&k.as_str()))
        .cloned();
    let reason = match &key {
        Some(k) => format!("unknown event kind {k:?}"),
        None => "item carries no event".to_owned(),
    };
    Err((key, reason))
}

fn party(v: Option<&Value>) -> Party {
    let Some(v) = v else { return Party::Absent };
    if let Some(id) = v.get("id").and_then(lenient::id_of) {
        Party::Id(id)
    } else if let Some(r) = v.get("user_ref").and_then(lenient::id_of) {
        Party::UserRef(r)
    } else {
        Party::Absent
    }
}

fn unknown(
    page_id: &str,
    time: i64,
    standby: bool,
    raw: &Value,
    key: Option<&str>,
    reason: String,
) -> MessagingEvent {
    MessagingEvent {
        page_id: page_id.to_owned(),
        sender: Party::Absent,
        recipient: Party::Absent,
        timestamp: time,
        standby,
        kind: EventKind::Unknown {
            key: key.map(str::to_owned),
            reason,
        },
        raw: raw.clone(),
    }
}
