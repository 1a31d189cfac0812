//! Typed webhook events (`POST` bodies of the Messenger webhook).
//!
//! Parsing is per item: one item that cannot be read becomes
//! [`EventKind::Unknown`] with its raw JSON and the reason, and never costs
//! the rest of the batch. Only a body that is not `{"object":…,"entry":[…]}`
//! at all is a [`PayloadError`].

mod attachment;
pub mod build;
mod escape;
mod kinds;
mod parse;
mod surrogates;

pub use attachment::{dedupe_stickers, Attachment, SharedKind, LIKE_STICKER_ID};
pub use escape::{escape_unicode_json, to_facebook_json};
pub use kinds::{
    AdsContext, Command, Delivery, Echo, Message, MessageEdit, Optin, Postback, QuickReplyAnswer,
    Reaction, ReactionAction, Read, Referral, ReplyTo, RequestThreadControl, ThreadControl,
    PAGE_INBOX_APP_IDS,
};
pub use parse::{parse_batch, PayloadError};
pub use surrogates::replace_lone_surrogates;

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One webhook POST body.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookBatch {
    /// `page` for Messenger (`instagram` for Instagram).
    pub object: String,
    pub entries: Vec<Entry>,
}

impl WebhookBatch {
    /// Every event of every entry, in body order.
    pub fn events(&self) -> impl Iterator<Item = &MessagingEvent> {
        self.entries.iter().flat_map(|e| e.events.iter())
    }

    /// Every event sorted by `timestamp` (stable, so equal times keep body
    /// order): Facebook may reorder messages sent during an outage.
    pub fn events_by_time(&self) -> Vec<&MessagingEvent> {
        let mut events: Vec<&MessagingEvent> = self.events().collect();
        events.sort_by_key(|e| e.timestamp);
        events
    }

    /// Every event, moved out.
    pub fn into_events(self) -> impl Iterator<Item = MessagingEvent> {
        self.entries.into_iter().flat_map(|e| e.events)
    }
}

/// One `entry[]`: the updates of one Page.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The Page id: route the tenant by this.
    pub page_id: String,
    /// Epoch milliseconds.
    pub time: i64,
    /// `messaging[]` then `standby[]` items (the latter flagged `standby`).
    pub events: Vec<MessagingEvent>,
    /// `changes[]` (feed fields), kept raw.
    pub changes: Vec<Value>,
}

/// One side of an event: a PSID / Page id, or a chat-plugin `user_ref`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Party {
    Id(String),
    UserRef(String),
    /// The item carried no such side (e.g. a checkbox opt-in has no sender).
    Absent,
}

impl Party {
    pub fn id(&self) -> Option<&str> {
        match self {
            Party::Id(id) => Some(id),
            _ => None,
        }
    }

    fn key(&self) -> String {
        match self {
            Party::Id(id) => id.clone(),
            Party::UserRef(r) => format!("user_ref:{r}"),
            Party::Absent => "-".to_owned(),
        }
    }
}

/// One `messaging[]` or `standby[]` item.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagingEvent {
    /// The id of the entry the item came in.
    pub page_id: String,
    pub sender: Party,
    pub recipient: Party,
    /// Epoch milliseconds (the entry's `time` when the item has none).
    pub timestamp: i64,
    /// Delivered in `standby[]`: another app owns the thread.
    pub standby: bool,
    pub kind: EventKind,
    /// The item exactly as parsed.
    pub raw: Value,
}

/// Which event an item carries.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    Message(Message),
    Echo(Echo),
    Postback(Postback),
    Delivery(Delivery),
    Read(Read),
    Reaction(Reaction),
    MessageEdit(MessageEdit),
    Referral(Referral),
    Optin(Optin),
    PassThreadControl(ThreadControl),
    TakeThreadControl(ThreadControl),
    RequestThreadControl(RequestThreadControl),
    /// `app_roles`: `{"<app_id>":["primary_receiver"]}`.
    AppRoles(BTreeMap<String, Vec<String>>),
    /// An event key this crate does not know, or an item that failed to
    /// parse (`reason` says why). The item is in [`MessagingEvent::raw`].
    Unknown {
        key: Option<String>,
        reason: String,
    },
}

impl EventKind {
    /// The event key as in the payload (`message`, `read`, …); echoes are `message_echo`.
    pub fn name(&self) -> &str {
        match self {
            EventKind::Message(_) => "message",
            EventKind::Echo(_) => "message_echo",
            EventKind::Postback(_) => "postback",
            EventKind::Delivery(_) => "delivery",
            EventKind::Read(_) => "read",
            EventKind::Reaction(_) => "reaction",
            EventKind::MessageEdit(_) => "message_edit",
            EventKind::Referral(_) => "referral",
            EventKind::Optin(_) => "optin",
            EventKind::PassThreadControl(_) => "pass_thread_control",
            EventKind::TakeThreadControl(_) => "take_thread_control",
            EventKind::RequestThreadControl(_) => "request_thread_control",
            EventKind::AppRoles(_) => "app_roles",
            EventKind::Unknown { key, .. } => key.as_deref().unwrap_or("unknown"),
        }
    }
}

impl MessagingEvent {
    /// The person's side of the conversation: the recipient of an echo, the
    /// sender of everything else.
    pub fn person(&self) -> &Party {
        match self.kind {
            EventKind::Echo(_) => &self.recipient,
            _ => &self.sender,
        }
    }

    /// The message id the event is about, if any.
    pub fn mid(&self) -> Option<&str> {
        match &self.kind {
            EventKind::Message(m) => Some(&m.mid),
            EventKind::Echo(e) => Some(&e.mid),
            EventKind::Postback(p) => p.mid.as_deref(),
            EventKind::Reaction(r) => Some(&r.mid),
            EventKind::MessageEdit(e) => Some(&e.mid),
            _ => None,
        }
    }

    /// A key equal for redeliveries of the same event and different for
    /// different events, for dropping duplicates. Messages and echoes use
    /// their `mid`; other events derive it from the type, Page, person and
    /// watermark / target mid / timestamp.
    pub fn dedupe_key(&self) -> String {
        let page = &self.page_id;
        let who = self.person().key();
        let ts = self.timestamp;
        match &self.kind {
            EventKind::Message(m) => format!("message:{}", m.mid),
            EventKind::Echo(e) => format!("echo:{}", e.mid),
            EventKind::Postback(p) => match &p.mid {
                Some(mid) => format!("postback:{mid}"),
                None => format!("postback:{page}:{who}:{ts}"),
            },
            EventKind::Delivery(d) => format!("delivery:{page}:{who}:{}", d.watermark),
            EventKind::Read(r) => format!("read:{page}:{who}:{}", r.watermark),
            EventKind::Reaction(r) => {
                let action = match r.action {
                    ReactionAction::React => "react",
                    ReactionAction::Unreact => "unreact",
                };
                format!("reaction:{}:{who}:{action}:{ts}", r.mid)
            }
            EventKind::MessageEdit(e) => {
                format!("message_edit:{}:{}", e.mid, e.num_edit.unwrap_or(ts))
            }
            EventKind::Unknown { .. } => {
                let digest = Sha256::digest(self.raw.to_string().as_bytes());
                format!("unknown:{page}:{}", hex::encode(&digest[..16]))
            }
            other => format!("{}:{page}:{who}:{ts}", other.name()),
        }
    }
}
