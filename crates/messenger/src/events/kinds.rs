//! The payload of each webhook event kind, field for field as Facebook sends
//! it. Field order is Facebook's, so serialising gives Facebook-shaped JSON.

use super::attachment::Attachment;
use crate::lenient;
use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

/// `message`: something a person sent to the Page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Message {
    #[serde(deserialize_with = "lenient::id")]
    pub mid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply: Option<QuickReplyAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Ads / shops referral carried by the first message of a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<Referral>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<Command>,
    /// Instagram only: the message was unsent.
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "lenient::flag"
    )]
    pub is_deleted: bool,
}

impl Message {
    /// The attachments with the sticker transition undone: see
    /// [`super::attachment::dedupe_stickers`].
    pub fn attachments_deduped(&self) -> Vec<Attachment> {
        super::attachment::dedupe_stickers(&self.attachments)
    }
}

/// `quick_reply`: the payload of the quick-reply button the person tapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReplyAnswer {
    #[serde(default)]
    pub payload: String,
}

/// `reply_to`: the message being quoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    #[serde(deserialize_with = "lenient::id")]
    pub mid: String,
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "lenient::flag"
    )]
    pub is_self_reply: bool,
}

/// `commands[]` entry (bot commands typed with `/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub name: String,
}

/// `message` with `is_echo: true`: sent *by the Page* (by this app, another
/// app, or a human in the Page inbox, told apart by `app_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Echo {
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        serialize_with = "lenient::ser_opt_numeric_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub app_id: Option<String>,
    /// The `metadata` string given to the Send API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    #[serde(deserialize_with = "lenient::id")]
    pub mid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
}

/// The Meta Page Inbox app (Business Suite): echoes with this `app_id` were
/// typed by a human there. The Conversation Routing doc gives the first id,
/// the echoes doc prints the second; both are recognised.
pub const PAGE_INBOX_APP_IDS: [&str; 2] = ["263902037430900", "26390203743090"];

impl Echo {
    /// Whether the echo was sent by the app `app_id` (i.e. by us).
    pub fn is_from_app(&self, app_id: &str) -> bool {
        self.app_id.as_deref() == Some(app_id)
    }

    /// Whether a human sent it from Meta's Page inbox.
    pub fn is_from_page_inbox(&self) -> bool {
        self.app_id
            .as_deref()
            .is_some_and(|a| PAGE_INBOX_APP_IDS.contains(&a))
    }

    pub fn attachments_deduped(&self) -> Vec<Attachment> {
        super::attachment::dedupe_stickers(&self.attachments)
    }
}

/// `postback`: a button tap (Get Started, persistent menu, templates).
/// Arrives through `standby` without `payload` for other apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Postback {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_id"
    )]
    pub mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<Referral>,
}

/// `delivery`: every message before `watermark` was delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "lenient::ids"
    )]
    pub mids: Vec<String>,
    #[serde(deserialize_with = "lenient::int")]
    pub watermark: i64,
}

/// `read`: every message at or before `watermark` was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    #[serde(deserialize_with = "lenient::int")]
    pub watermark: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReactionAction {
    React,
    Unreact,
}

/// `reaction`: a person reacted to (or un-reacted from) message `mid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// `smile|angry|sad|wow|love|like|dislike|other`; absent on some unreacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    pub action: ReactionAction,
    #[serde(deserialize_with = "lenient::id")]
    pub mid: String,
}

/// `message_edit`: message `mid` now reads `text` (edited `num_edit` times, ≤ 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEdit {
    #[serde(deserialize_with = "lenient::id")]
    pub mid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub num_edit: Option<i64>,
}

/// `referral` (top-level event, or inside a message/postback): how the
/// person got here (m.me link, ad, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Referral {
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub ref_param: Option<String>,
    /// `SHORTLINK`, `ADS`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `OPEN_THREAD`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_id"
    )]
    pub ad_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ads_context_data: Option<AdsContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referer_uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AdsContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_id"
    )]
    pub post_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_id"
    )]
    pub product_id: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_id"
    )]
    pub flow_id: Option<String>,
}

/// `optin`: plugin / checkbox opt-in, or a marketing-messages opt-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Optin {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub ref_param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_messages_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_messages_frequency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_messages_timezone: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub token_expiry_timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_token_status: Option<String>,
}

/// `pass_thread_control` / `take_thread_control` (handover protocol).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ThreadControl {
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        serialize_with = "lenient::ser_opt_numeric_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_owner_app_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        serialize_with = "lenient::ser_opt_numeric_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub new_owner_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

/// `request_thread_control`: another app asks this one for the thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RequestThreadControl {
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        serialize_with = "lenient::ser_opt_numeric_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub requested_owner_app_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}
