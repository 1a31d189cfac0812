//! Events → Facebook's JSON, for the emulator and tests.
//!
//! Serialisation writes fields in Facebook's order (`sender`, `recipient`,
//! `timestamp`, then the event) and [`body`] escapes non-ASCII characters as
//! Facebook does, so the result is what Meta would put on the wire and sign.
//! Parsing what these functions build gives back the same events.

use super::kinds::{Echo, Message};
use super::{escape, Entry, EventKind, MessagingEvent, Party, WebhookBatch};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value;

/// An event sent by the person `psid` to Page `page_id`.
pub fn inbound(page_id: &str, psid: &str, timestamp: i64, kind: EventKind) -> MessagingEvent {
    event(
        page_id,
        Party::Id(psid.into()),
        Party::Id(page_id.into()),
        timestamp,
        false,
        kind,
    )
}

/// An echo: sent by the Page to the person `psid`.
pub fn echo(page_id: &str, psid: &str, timestamp: i64, echo: Echo) -> MessagingEvent {
    event(
        page_id,
        Party::Id(page_id.into()),
        Party::Id(psid.into()),
        timestamp,
        false,
        EventKind::Echo(echo),
    )
}

/// Any event; `raw` is filled with its JSON so that parsing the built body
/// gives back an equal event.
pub fn event(
    page_id: &str,
    sender: Party,
    recipient: Party,
    timestamp: i64,
    standby: bool,
    kind: EventKind,
) -> MessagingEvent {
    let mut e = MessagingEvent {
        page_id: page_id.into(),
        sender,
        recipient,
        timestamp,
        standby,
        kind,
        raw: Value::Null,
    };
    e.raw = e.to_json();
    e
}

/// The same event, delivered through `standby[]`.
pub fn in_standby(mut e: MessagingEvent) -> MessagingEvent {
    e.standby = true;
    e
}

/// A text message event kind.
pub fn text(mid: &str, text: &str) -> EventKind {
    EventKind::Message(Message {
        mid: mid.into(),
        text: Some(text.into()),
        ..Message::default()
    })
}

/// One entry for `page_id`; events flagged `standby` go to `standby[]`.
pub fn entry(page_id: &str, time: i64, events: Vec<MessagingEvent>) -> Entry {
    Entry {
        page_id: page_id.into(),
        time,
        events,
        changes: Vec::new(),
    }
}

/// A `{"object":"page","entry":[…]}` batch.
pub fn batch(entries: Vec<Entry>) -> WebhookBatch {
    WebhookBatch {
        object: "page".into(),
        entries,
    }
}

/// The exact body Facebook would POST: compact, ASCII-only, `\uXXXX` escapes.
pub fn body(batch: &WebhookBatch) -> String {
    escape::to_facebook_json(batch, false)
}

impl MessagingEvent {
    /// The item as JSON (an `Unknown` event gives back its raw JSON).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("events serialise to JSON")
    }
}

impl Serialize for Party {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        match self {
            Party::Id(id) => m.serialize_entry("id", id)?,
            Party::UserRef(r) => m.serialize_entry("user_ref", r)?,
            Party::Absent => {}
        }
        m.end()
    }
}

#[derive(Serialize)]
struct EchoOut<'a> {
    is_echo: bool,
    #[serde(flatten)]
    echo: &'a Echo,
}

impl Serialize for MessagingEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let EventKind::Unknown { .. } = self.kind {
            return self.raw.serialize(s);
        }
        let mut m = s.serialize_map(None)?;
        if self.sender != Party::Absent {
            m.serialize_entry("sender", &self.sender)?;
        }
        if self.recipient != Party::Absent {
            m.serialize_entry("recipient", &self.recipient)?;
        }
        m.serialize_entry("timestamp", &self.timestamp)?;
        match &self.kind {
            EventKind::Message(v) => m.serialize_entry("message", v)?,
            EventKind::Echo(v) => m.serialize_entry(
                "message",
                &EchoOut {
                    is_echo: true,
                    echo: v,
                },
            )?,
            EventKind::Postback(v) => m.serialize_entry("postback", v)?,
            EventKind::Delivery(v) => m.serialize_entry("delivery", v)?,
            EventKind::Read(v) => m.serialize_entry("read", v)?,
            EventKind::Reaction(v) => m.serialize_entry("reaction", v)?,
            EventKind::MessageEdit(v) => m.serialize_entry("message_edit", v)?,
            EventKind::Referral(v) => m.serialize_entry("referral", v)?,
            EventKind::Optin(v) => m.serialize_entry("optin", v)?,
            EventKind::PassThreadControl(v) => m.serialize_entry("pass_thread_control", v)?,
            EventKind::TakeThreadControl(v) => m.serialize_entry("take_thread_control", v)?,
            EventKind::RequestThreadControl(v) => m.serialize_entry("request_thread_control", v)?,
            EventKind::AppRoles(v) => m.serialize_entry("app_roles", v)?,
            EventKind::Unknown { .. } => unreachable!("handled above"),
        }
        m.end()
    }
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let messaging: Vec<&MessagingEvent> = self.events.iter().filter(|e| !e.standby).collect();
        let standby: Vec<&MessagingEvent> = self.events.iter().filter(|e| e.standby).collect();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.page_id)?;
        m.serialize_entry("time", &self.time)?;
        if !messaging.is_empty() || (standby.is_empty() && self.changes.is_empty()) {
            m.serialize_entry("messaging", &messaging)?;
        }
        if !standby.is_empty() {
            m.serialize_entry("standby", &standby)?;
        }
        if !self.changes.is_empty() {
            m.serialize_entry("changes", &self.changes)?;
        }
        m.end()
    }
}

impl Serialize for WebhookBatch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("object", &self.object)?;
        m.serialize_entry("entry", &self.entries)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::parse_batch;

    #[test]
    fn a_built_text_message_is_facebook_shaped_and_ascii() {
        let e = inbound("PAGE", "PSID", 1458692752478, text("m_1", "Grüße"));
        let b = batch(vec![entry("PAGE", 1458692752478, vec![e])]);
        assert_eq!(
            body(&b),
            r#"{"object":"page","entry":[{"id":"PAGE","time":1458692752478,"messaging":[{"sender":{"id":"PSID"},"recipient":{"id":"PAGE"},"timestamp":1458692752478,"message":{"mid":"m_1","text":"Gr\u00fc\u00dfe"}}]}]}"#
        );
    }

    #[test]
    fn an_echo_is_sent_by_the_page_with_a_numeric_app_id() {
        let e = echo(
            "PAGE",
            "PSID",
            5,
            Echo {
                app_id: Some("1517776481860111".into()),
                metadata: Some("crm:42".into()),
                mid: "m_2".into(),
                text: Some("hi".into()),
                ..Echo::default()
            },
        );
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"sender":{"id":"PAGE"},"recipient":{"id":"PSID"},"timestamp":5,"message":{"is_echo":true,"app_id":1517776481860111,"metadata":"crm:42","mid":"m_2","text":"hi"}}"#
        );
    }

    #[test]
    fn standby_events_go_to_the_standby_array_and_parse_back_flagged() {
        let e = in_standby(inbound("P", "U", 1, text("m_3", "x")));
        let b = batch(vec![entry("P", 1, vec![e.clone()])]);
        let s = body(&b);
        assert!(s.contains(r#""standby":["#) && !s.contains("messaging"));
        let parsed = parse_batch(s.as_bytes()).unwrap();
        assert_eq!(parsed, b);
    }
}
