//! JSON bodies of the control API, shared by the server and `ControlClient`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewUser {
    /// App-scoped user id; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: String,
    pub name: String,
    /// True once the user removed the app.
    pub app_removed: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewPage {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub picture: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    pub id: String,
    pub name: String,
    pub picture: String,
    /// Tasks per user id.
    pub roles: BTreeMap<String, Vec<String>>,
    /// Fields the app is subscribed to on this Page (`subscribed_apps`), if any.
    pub subscribed_fields: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleRequest {
    pub user_id: String,
    pub tasks: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewVisitor {
    #[serde(default)]
    pub psid: Option<String>,
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub profile_pic: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorInfo {
    pub psid: String,
    pub page_id: String,
    pub first_name: String,
    pub last_name: String,
    pub profile_pic: String,
    pub blocked: bool,
    /// Emulator-clock ms of the visitor's last message (opens the 24 h window).
    pub last_inbound_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlockRequest {
    pub blocked: bool,
}

/// Something a visitor does in Messenger; each becomes a webhook event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorEvent {
    Text {
        text: String,
        /// mid of a message being quoted.
        #[serde(default)]
        reply_to: Option<String>,
    },
    /// `kind`: image, audio, video, file, reel, post, fallback, …
    Attachment {
        kind: String,
        url: String,
    },
    Sticker {
        sticker_id: u64,
        url: String,
    },
    Postback {
        title: String,
        payload: String,
    },
    QuickReply {
        text: String,
        payload: String,
    },
    /// `action` is `react` or `unreact`; `reaction` e.g. `love`.
    Reaction {
        mid: String,
        reaction: String,
        emoji: String,
        action: String,
    },
    Edit {
        mid: String,
        text: String,
    },
    /// The visitor opened the thread from an m.me link or an ad
    /// (`source`: SHORTLINK or ADS).
    Referral {
        #[serde(rename = "ref")]
        ref_: String,
        source: String,
    },
    /// Plugin / checkbox opt-in with a `ref`.
    Optin {
        #[serde(rename = "ref")]
        ref_: String,
    },
    /// Delivery receipt up to the Page's latest message.
    Delivery,
    /// Read receipt up to the Page's latest message.
    Read,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitorEventRequest {
    #[serde(flatten)]
    pub event: VisitorEvent,
    /// Deliver as a `standby` entry (another app owns the thread).
    #[serde(default)]
    pub standby: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventReceipt {
    pub mid: Option<String>,
    pub timestamp: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxReply {
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent by the Page (the app or a human in the Page inbox).
    Page,
    /// Sent by the visitor.
    Visitor,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub kind: String,
    pub url: Option<String>,
    pub attachment_id: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<usize>,
    pub sticker_id: Option<u64>,
}

/// One item of a conversation, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadItem {
    pub from: Direction,
    /// `message`, `sender_action`, `postback`, `reaction`, `edit`, `referral`, `optin`, `delivery`, `read`.
    pub kind: String,
    pub mid: Option<String>,
    pub timestamp: i64,
    pub text: Option<String>,
    pub attachments: Vec<AttachmentRecord>,
    pub messaging_type: Option<String>,
    pub tag: Option<String>,
    pub metadata: Option<String>,
    /// Sending app for Page messages (263902037430900 = Page inbox).
    pub app_id: Option<String>,
    pub reply_to: Option<String>,
    pub quick_replies: Option<serde_json::Value>,
    pub sender_action: Option<String>,
    pub payload: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ClockInfo {
    pub offset_ms: i64,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ClockUpdate {
    pub offset_ms: i64,
}

/// A fault injected on one Graph endpoint (`messages`, `message_attachments`,
/// `subscribed_apps`, `accounts`, `me`, `permissions`, `debug_token`,
/// `access_token`, `profile`, `subscriptions`, or `*` for all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(default)]
    pub latency_ms: u64,
    /// Answer with this HTTP 5xx status (code 2, transient).
    #[serde(default)]
    pub status: Option<u16>,
    /// Answer with this rate-limit code (613 or 80006) and usage headers.
    #[serde(default)]
    pub rate_limit: Option<u32>,
    /// The rate limit's `estimated_time_to_regain_access` in minutes (in
    /// `X-Business-Use-Case-Usage`); 5 when absent. 0 lets a test see a
    /// limit clear without waiting minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regain_access_minutes: Option<u64>,
    /// Answer with error 1200 "Temporary send message failure".
    #[serde(default)]
    pub error_1200: bool,
    /// Only for the next N calls; forever when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSettings {
    pub url: Option<Url>,
    pub deauthorize_url: Option<Url>,
    pub duplicate: bool,
    pub reorder: bool,
    pub batch_window_ms: u64,
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
    pub failure_window_ms: u64,
}

/// Grants the login dialog gives without showing its form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoConsent {
    /// The user who "logs in"; the first user when absent.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Pages ticked; all the user's Pages when absent.
    #[serde(default)]
    pub pages: Option<Vec<String>>,
    /// Requested permissions the user unticks.
    #[serde(default)]
    pub declined: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokeToken {
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSubscriptionInfo {
    pub callback_url: String,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionsInfo {
    pub app: Option<AppSubscriptionInfo>,
    /// Subscribed fields per Page id.
    pub pages: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    Events,
    Duplicate,
    Handshake,
    Deauthorize,
    /// The failure window passed: the app was unsubscribed from these Pages.
    Unsubscribed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub id: u64,
    pub kind: DeliveryKind,
    pub url: String,
    /// 1 for the first try of a batch.
    pub attempt: u32,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub at_ms: i64,
    pub page_ids: Vec<String>,
    /// Exact bytes sent.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub users: Vec<UserInfo>,
    pub pages: Vec<PageInfo>,
    pub visitors: Vec<VisitorInfo>,
}
