//! The emulated Facebook: users, Pages, visitors, tokens, grants, faults and
//! the webhook queue. Plain data behind one `Mutex`; handlers lock it, decide
//! with pure methods, and never hold it across an `.await`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use rand::distributions::Alphanumeric;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::control::types::{
    AutoConsent, DeliveryRecord, Fault, PageInfo, ThreadItem, UserInfo, VisitorInfo,
    WebhookSettings,
};
use crate::fb_error::FbError;

/// Every task a Page role may hold.
pub const ALL_TASKS: [&str; 6] = [
    "MANAGE",
    "CREATE_CONTENT",
    "MODERATE",
    "MESSAGING",
    "ADVERTISE",
    "ANALYZE",
];

/// The Page Inbox (Business Suite) app: echoes with this id were typed by a human.
pub const PAGE_INBOX_APP_ID: &str = "263902037430900";

pub const SHORT_LIVED_SECS: i64 = 3600;
pub const LONG_LIVED_SECS: i64 = 5_184_000;
pub const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;

pub struct User {
    pub id: String,
    pub name: String,
    /// Permission → granted (true) or declined (false).
    pub permissions: BTreeMap<String, bool>,
    /// Pages ticked in the login dialog (granular consent).
    pub granted_pages: BTreeSet<String>,
    pub app_removed: bool,
}

pub struct Page {
    pub id: String,
    pub name: String,
    pub picture: String,
    pub roles: BTreeMap<String, Vec<String>>,
    pub subscribed_fields: Option<Vec<String>>,
}

pub struct Visitor {
    pub psid: String,
    pub page_id: String,
    pub first_name: String,
    pub last_name: String,
    pub profile_pic: String,
    pub blocked: bool,
    pub last_inbound_ms: Option<i64>,
    pub thread: Vec<ThreadItem>,
}

#[derive(Clone)]
pub struct Token {
    pub user_id: String,
    pub page_id: Option<String>,
    pub issued_at_ms: i64,
    /// None = never expires (Page token from a long-lived user token).
    pub expires_at_ms: Option<i64>,
    pub long_lived: bool,
    /// Set when revoked: (subcode, message).
    pub invalidated: Option<(Option<u32>, String)>,
}

pub struct AuthCode {
    pub user_id: String,
    pub redirect_uri: String,
    pub issued_at_ms: i64,
    pub used: bool,
}

pub struct StoredAttachment {
    pub page_id: String,
    pub kind: String,
    pub url: Option<String>,
    pub filename: Option<String>,
    pub size: Option<usize>,
    pub content_type: Option<String>,
    /// Uploaded bytes, served at `/_emulator/files/{id}`.
    pub bytes: Option<bytes::Bytes>,
    /// Only reusable assets may be sent again by `attachment_id`.
    pub reusable: bool,
}

pub struct AppSubscription {
    pub callback_url: String,
    pub fields: Vec<String>,
}

/// One event waiting for the webhook sender.
#[derive(Debug, Clone)]
pub struct QueuedEvent {
    pub page_id: String,
    pub standby: bool,
    pub event: Value,
}

/// A token that passed every check.
#[derive(Clone)]
pub struct Caller {
    pub token: String,
    pub user_id: String,
    pub page_id: Option<String>,
}

pub struct World {
    pub app_id: String,
    pub app_secret: String,
    pub app_name: String,
    pub require_appsecret_proof: bool,
    rng: StdRng,
    pub clock_offset_ms: i64,
    pub users: BTreeMap<String, User>,
    pub pages: BTreeMap<String, Page>,
    pub visitors: BTreeMap<String, Visitor>,
    pub tokens: HashMap<String, Token>,
    /// (user token, page id) → Page token, so `/me/accounts` is stable.
    pub page_tokens: HashMap<(String, String), String>,
    pub codes: HashMap<String, AuthCode>,
    pub attachments: HashMap<String, StoredAttachment>,
    pub faults: BTreeMap<String, Fault>,
    pub auto_consent: Option<AutoConsent>,
    pub webhook: WebhookSettings,
    pub verify_token: String,
    pub app_subscription: Option<AppSubscription>,
    pub outbox: VecDeque<QueuedEvent>,
    pub deliveries: Vec<DeliveryRecord>,
}

impl World {
    pub fn new(config: &crate::EmulatorConfig) -> Self {
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        let w = &config.webhook;
        let app_subscription = config.webhook_url.as_ref().map(|url| AppSubscription {
            callback_url: url.to_string(),
            fields: crate::graph::subscriptions::PAGE_FIELDS
                .iter()
                .map(|f| f.to_string())
                .collect(),
        });
        Self {
            app_id: config.app_id.clone(),
            app_secret: config.app_secret.clone(),
            app_name: config.app_name.clone(),
            require_appsecret_proof: config.require_appsecret_proof,
            rng,
            clock_offset_ms: 0,
            users: BTreeMap::new(),
            pages: BTreeMap::new(),
            visitors: BTreeMap::new(),
            tokens: HashMap::new(),
            page_tokens: HashMap::new(),
            codes: HashMap::new(),
            attachments: HashMap::new(),
            faults: BTreeMap::new(),
            auto_consent: None,
            webhook: WebhookSettings {
                url: config.webhook_url.clone(),
                deauthorize_url: config.deauthorize_url.clone(),
                duplicate: w.duplicate,
                reorder: w.reorder,
                batch_window_ms: w.batch_window.as_millis() as u64,
                retry_initial_ms: w.retry_initial.as_millis() as u64,
                retry_max_ms: w.retry_max.as_millis() as u64,
                failure_window_ms: w.failure_window.as_millis() as u64,
            },
            verify_token: config.verify_token.clone().unwrap_or_default(),
            app_subscription,
            outbox: VecDeque::new(),
            deliveries: Vec::new(),
        }
    }

    /// Emulator time: wall clock plus the scripted offset, in epoch ms.
    pub fn now_ms(&self) -> i64 {
        jiff::Timestamp::now().as_millisecond() + self.clock_offset_ms
    }

    /// A numeric id of `digits` digits (Facebook ids are numeric strings).
    pub fn numeric_id(&mut self, digits: usize) -> String {
        let first = self.rng.gen_range(1..=9u8);
        let rest: String = (1..digits)
            .map(|_| char::from(b'0' + self.rng.gen_range(0..=9u8)))
            .collect();
        format!("{first}{rest}")
    }

    pub fn random_alnum(&mut self, len: usize) -> String {
        (&mut self.rng)
            .sample_iter(&Alphanumeric)
            .take(len)
            .map(char::from)
            .collect()
    }

    /// A message id shaped like Facebook's (`m_` + opaque string).
    pub fn new_mid(&mut self) -> String {
        format!("m_{}", self.random_alnum(40))
    }

    pub fn issue_token(&mut self, token: Token) -> String {
        let value = format!("EAA{}", self.random_alnum(120));
        self.tokens.insert(value.clone(), token);
        value
    }

    /// Validates a user or Page token as Graph does, with the real 190 subcodes.
    pub fn check_token(&self, token: &str) -> Result<Caller, FbError> {
        let Some(t) = self.tokens.get(token) else {
            return Err(FbError::token(
                None,
                "Invalid OAuth access token - Cannot parse access token",
            ));
        };
        if let Some((subcode, message)) = &t.invalidated {
            return Err(FbError::token(*subcode, message.clone()));
        }
        let user = self.users.get(&t.user_id);
        if user.is_none_or(|u| u.app_removed) {
            return Err(FbError::token(
                Some(458),
                format!(
                    "Error validating access token: The user has not authorized application {}.",
                    self.app_id
                ),
            ));
        }
        let now = self.now_ms();
        if let Some(exp) = t.expires_at_ms {
            if now >= exp {
                return Err(FbError::token(
                    Some(463),
                    format!(
                        "Error validating access token: Session has expired on {}. The current time is {}.",
                        fmt_ts(exp),
                        fmt_ts(now)
                    ),
                ));
            }
        }
        if let Some(page_id) = &t.page_id {
            let has_role = self
                .pages
                .get(page_id)
                .is_some_and(|p| p.roles.contains_key(&t.user_id));
            if !has_role {
                return Err(FbError::token(
                    Some(492),
                    "Error validating access token: The user is no longer an administrator of the Page, so the session has been invalidated.",
                ));
            }
        }
        Ok(Caller {
            token: token.to_owned(),
            user_id: t.user_id.clone(),
            page_id: t.page_id.clone(),
        })
    }

    /// Whether `perm` is granted to the app by `user_id`.
    pub fn has_permission(&self, user_id: &str, perm: &str) -> bool {
        self.users
            .get(user_id)
            .and_then(|u| u.permissions.get(perm))
            .copied()
            .unwrap_or(false)
    }

    /// Whether the user ticked this Page in the login dialog (granular consent).
    pub fn page_granted(&self, user_id: &str, page_id: &str) -> bool {
        self.users
            .get(user_id)
            .is_some_and(|u| u.granted_pages.contains(page_id))
    }

    pub fn tasks_of(&self, user_id: &str, page_id: &str) -> Vec<String> {
        self.pages
            .get(page_id)
            .and_then(|p| p.roles.get(user_id))
            .cloned()
            .unwrap_or_default()
    }

    /// Invalidates every token of a user (password change, logout, …).
    pub fn invalidate_user_tokens(&mut self, user_id: &str, subcode: u32, message: &str) {
        for t in self.tokens.values_mut().filter(|t| t.user_id == user_id) {
            t.invalidated = Some((Some(subcode), message.to_owned()));
        }
    }

    /// Active fault for an endpoint (consuming one use of a counted fault).
    pub fn take_fault(&mut self, endpoint: &str) -> Option<Fault> {
        let key = if self.faults.contains_key(endpoint) {
            endpoint
        } else if self.faults.contains_key("*") {
            "*"
        } else {
            return None;
        };
        let key = key.to_owned();
        let fault = self.faults.get_mut(&key)?;
        let out = fault.clone();
        if let Some(n) = fault.times.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.faults.remove(&key);
            }
        }
        Some(out)
    }

    /// Whether the Page's events for `field` reach the product.
    pub fn page_receives(&self, page_id: &str, field: &str) -> bool {
        let page_ok = self
            .pages
            .get(page_id)
            .and_then(|p| p.subscribed_fields.as_ref())
            .is_some_and(|f| f.iter().any(|x| x == field));
        let app_ok = self
            .app_subscription
            .as_ref()
            .is_some_and(|a| a.fields.iter().any(|x| x == field));
        page_ok && app_ok && self.webhook.url.is_some()
    }

    /// Queues a webhook event when both the app and the Page subscribe to its field.
    pub fn enqueue(&mut self, page_id: &str, field: &str, standby: bool, event: Value) -> bool {
        let field = if standby { "standby" } else { field };
        if !self.page_receives(page_id, field) {
            tracing::debug!(page_id, field, "event not delivered: not subscribed");
            return false;
        }
        self.outbox.push_back(QueuedEvent {
            page_id: page_id.to_owned(),
            standby,
            event,
        });
        true
    }

    pub fn user_info(&self, u: &User) -> UserInfo {
        UserInfo {
            id: u.id.clone(),
            name: u.name.clone(),
            app_removed: u.app_removed,
        }
    }

    pub fn page_info(&self, p: &Page) -> PageInfo {
        PageInfo {
            id: p.id.clone(),
            name: p.name.clone(),
            picture: p.picture.clone(),
            roles: p.roles.clone(),
            subscribed_fields: p.subscribed_fields.clone(),
        }
    }

    pub fn visitor_info(&self, v: &Visitor) -> VisitorInfo {
        VisitorInfo {
            psid: v.psid.clone(),
            page_id: v.page_id.clone(),
            first_name: v.first_name.clone(),
            last_name: v.last_name.clone(),
            profile_pic: v.profile_pic.clone(),
            blocked: v.blocked,
            last_inbound_ms: v.last_inbound_ms,
        }
    }
}

/// `2026-11-29 16:05:48 UTC`-style time for error messages.
pub fn fmt_ts(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%A, %d-%b-%y %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        World::new(&crate::EmulatorConfig::new("1", "s"))
    }

    #[test]
    fn a_fault_limited_to_two_calls_is_gone_after_the_second() {
        let mut w = world();
        w.faults.insert(
            "messages".into(),
            Fault {
                error_1200: true,
                times: Some(2),
                ..Default::default()
            },
        );
        assert!(w.take_fault("messages").is_some());
        assert!(w.take_fault("messages").is_some());
        assert!(w.take_fault("messages").is_none());
    }

    #[test]
    fn a_wildcard_fault_applies_to_endpoints_without_their_own() {
        let mut w = world();
        w.faults.insert("*".into(), Fault::default());
        assert!(w.take_fault("accounts").is_some());
    }

    #[test]
    fn the_same_seed_gives_the_same_ids() {
        let mut config = crate::EmulatorConfig::new("1", "s");
        config.seed = Some(3);
        let (mut a, mut b) = (World::new(&config), World::new(&config));
        assert_eq!(a.numeric_id(16), b.numeric_id(16));
        assert_eq!(a.new_mid(), b.new_mid());
    }
}
