//! `ControlClient`: one method per control endpoint, so a product test can
//! script a scenario in one line per step.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use super::types::*;

/// Why a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlClientError {
    #[error("control API request to {path} failed: {source}")]
    Http {
        path: String,
        source: reqwest::Error,
    },
    #[error("control API {path} answered {status}: {body}")]
    Status {
        path: String,
        status: u16,
        body: String,
    },
}

type R<T> = Result<T, ControlClientError>;

/// A typed client of the emulator's `/_emulator/` API.
#[derive(Clone, Debug)]
pub struct ControlClient {
    base: Url,
    http: reqwest::Client,
}

impl ControlClient {
    /// `base` is the emulator's base URL (`EmulatorHandle::base_url`).
    pub fn new(base: Url) -> Self {
        Self {
            base,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> Url {
        self.base
            .join(&format!("_emulator/{path}"))
            .expect("control paths are relative")
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> R<Option<T>> {
        let mut req = self.http.request(method, self.url(path));
        if let Some(body) = body {
            req = req.json(body);
        }
        let http = |source| ControlClientError::Http {
            path: path.to_owned(),
            source,
        };
        let resp = req.send().await.map_err(http)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(ControlClientError::Status {
                path: path.to_owned(),
                status: status.as_u16(),
                body: resp.text().await.unwrap_or_default(),
            });
        }
        if status == reqwest::StatusCode::NO_CONTENT || status == reqwest::StatusCode::ACCEPTED {
            return Ok(None);
        }
        resp.json().await.map(Some).map_err(http)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> R<T> {
        self.call(reqwest::Method::GET, path, None::<&()>)
            .await
            .map(|v| v.expect("GET answers with a body"))
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> R<T> {
        self.call(method, path, Some(body))
            .await
            .map(|v| v.expect("this endpoint answers with a body"))
    }

    async fn no_content(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> R<()> {
        self.call::<serde_json::Value>(method, path, body)
            .await
            .map(|_| ())
    }

    // ---- scenario: people and Pages

    pub async fn create_user(&self, name: &str) -> R<UserInfo> {
        self.send(
            reqwest::Method::POST,
            "users",
            &NewUser {
                id: None,
                name: name.into(),
            },
        )
        .await
    }

    pub async fn create_page(&self, page: &NewPage) -> R<PageInfo> {
        self.send(reqwest::Method::POST, "pages", page).await
    }

    /// Gives `user_id` these tasks (e.g. `["MANAGE","MODERATE","MESSAGING"]`) on the Page.
    pub async fn set_role(&self, page_id: &str, user_id: &str, tasks: &[&str]) -> R<PageInfo> {
        let body = RoleRequest {
            user_id: user_id.into(),
            tasks: tasks.iter().map(|t| t.to_string()).collect(),
        };
        self.send(
            reqwest::Method::PUT,
            &format!("pages/{page_id}/roles"),
            &body,
        )
        .await
    }

    /// Removes the user's role: their Page tokens fail with 190/492.
    pub async fn remove_role(&self, page_id: &str, user_id: &str) -> R<PageInfo> {
        self.send(
            reqwest::Method::DELETE,
            &format!("pages/{page_id}/roles/{user_id}"),
            &(),
        )
        .await
    }

    pub async fn create_visitor(&self, page_id: &str, visitor: &NewVisitor) -> R<VisitorInfo> {
        self.send(
            reqwest::Method::POST,
            &format!("pages/{page_id}/visitors"),
            visitor,
        )
        .await
    }

    pub async fn visitor(&self, psid: &str) -> R<VisitorInfo> {
        self.get(&format!("visitors/{psid}")).await
    }

    /// The visitor blocks the Page (sends fail with 551/1545041) or unblocks it.
    pub async fn set_blocked(&self, psid: &str, blocked: bool) -> R<VisitorInfo> {
        self.send(
            reqwest::Method::PUT,
            &format!("visitors/{psid}/blocked"),
            &BlockRequest { blocked },
        )
        .await
    }

    // ---- scenario: what visitors do

    /// Any visitor event; `standby` delivers it in a `standby` entry.
    pub async fn visitor_event(
        &self,
        psid: &str,
        event: VisitorEvent,
        standby: bool,
    ) -> R<EventReceipt> {
        self.send(
            reqwest::Method::POST,
            &format!("visitors/{psid}/events"),
            &VisitorEventRequest { event, standby },
        )
        .await
    }

    pub async fn send_text(&self, psid: &str, text: &str) -> R<EventReceipt> {
        self.visitor_event(
            psid,
            VisitorEvent::Text {
                text: text.into(),
                reply_to: None,
            },
            false,
        )
        .await
    }

    pub async fn send_reply(&self, psid: &str, text: &str, reply_to_mid: &str) -> R<EventReceipt> {
        let event = VisitorEvent::Text {
            text: text.into(),
            reply_to: Some(reply_to_mid.into()),
        };
        self.visitor_event(psid, event, false).await
    }

    pub async fn send_attachment(&self, psid: &str, kind: &str, url: &str) -> R<EventReceipt> {
        let event = VisitorEvent::Attachment {
            kind: kind.into(),
            url: url.into(),
        };
        self.visitor_event(psid, event, false).await
    }

    pub async fn send_sticker(&self, psid: &str, sticker_id: u64, url: &str) -> R<EventReceipt> {
        let event = VisitorEvent::Sticker {
            sticker_id,
            url: url.into(),
        };
        self.visitor_event(psid, event, false).await
    }

    pub async fn send_postback(&self, psid: &str, title: &str, payload: &str) -> R<EventReceipt> {
        let event = VisitorEvent::Postback {
            title: title.into(),
            payload: payload.into(),
        };
        self.visitor_event(psid, event, false).await
    }

    pub async fn send_quick_reply(&self, psid: &str, text: &str, payload: &str) -> R<EventReceipt> {
        let event = VisitorEvent::QuickReply {
            text: text.into(),
            payload: payload.into(),
        };
        self.visitor_event(psid, event, false).await
    }

    /// `action`: `react` or `unreact`.
    pub async fn react(
        &self,
        psid: &str,
        mid: &str,
        reaction: &str,
        emoji: &str,
        action: &str,
    ) -> R<EventReceipt> {
        let event = VisitorEvent::Reaction {
            mid: mid.into(),
            reaction: reaction.into(),
            emoji: emoji.into(),
            action: action.into(),
        };
        self.visitor_event(psid, event, false).await
    }

    pub async fn edit(&self, psid: &str, mid: &str, text: &str) -> R<EventReceipt> {
        let event = VisitorEvent::Edit {
            mid: mid.into(),
            text: text.into(),
        };
        self.visitor_event(psid, event, false).await
    }

    /// The visitor arrives through an m.me link (`SHORTLINK`) or an ad (`ADS`).
    pub async fn referral(&self, psid: &str, ref_: &str, source: &str) -> R<EventReceipt> {
        let event = VisitorEvent::Referral {
            ref_: ref_.into(),
            source: source.into(),
        };
        self.visitor_event(psid, event, false).await
    }

    pub async fn optin(&self, psid: &str, ref_: &str) -> R<EventReceipt> {
        self.visitor_event(psid, VisitorEvent::Optin { ref_: ref_.into() }, false)
            .await
    }

    /// Delivery receipt (watermark = the Page's latest message).
    pub async fn deliver(&self, psid: &str) -> R<EventReceipt> {
        self.visitor_event(psid, VisitorEvent::Delivery, false)
            .await
    }

    /// Read receipt (watermark = the Page's latest message).
    pub async fn read(&self, psid: &str) -> R<EventReceipt> {
        self.visitor_event(psid, VisitorEvent::Read, false).await
    }

    /// A human answers from the Page inbox (echo with app id 263902037430900).
    pub async fn inbox_reply(&self, psid: &str, text: &str) -> R<EventReceipt> {
        self.send(
            reqwest::Method::POST,
            &format!("visitors/{psid}/inbox_reply"),
            &InboxReply { text: text.into() },
        )
        .await
    }

    // ---- environment

    pub async fn clock(&self) -> R<ClockInfo> {
        self.get("clock").await
    }

    /// Moves the emulator clock `offset_ms` away from the wall clock.
    pub async fn set_clock_offset(&self, offset_ms: i64) -> R<ClockInfo> {
        self.send(reqwest::Method::PUT, "clock", &ClockUpdate { offset_ms })
            .await
    }

    /// Adds `ms` to the current clock offset.
    pub async fn advance_clock(&self, ms: i64) -> R<ClockInfo> {
        let now = self.clock().await?;
        self.set_clock_offset(now.offset_ms + ms).await
    }

    pub async fn set_fault(&self, endpoint: &str, fault: &Fault) -> R<()> {
        self.no_content(
            reqwest::Method::PUT,
            &format!("faults/{endpoint}"),
            Some(fault),
        )
        .await
    }

    pub async fn faults(&self) -> R<BTreeMap<String, Fault>> {
        self.get("faults").await
    }

    pub async fn clear_faults(&self) -> R<()> {
        self.no_content(reqwest::Method::DELETE, "faults", None::<&()>)
            .await
    }

    pub async fn webhook_settings(&self) -> R<WebhookSettings> {
        self.get("webhook").await
    }

    pub async fn set_webhook_settings(&self, settings: &WebhookSettings) -> R<WebhookSettings> {
        self.send(reqwest::Method::PUT, "webhook", settings).await
    }

    /// Reads, changes and writes the webhook settings in one step.
    pub async fn update_webhook(
        &self,
        change: impl FnOnce(&mut WebhookSettings),
    ) -> R<WebhookSettings> {
        let mut settings = self.webhook_settings().await?;
        change(&mut settings);
        self.set_webhook_settings(&settings).await
    }

    pub async fn set_auto_consent(&self, consent: &AutoConsent) -> R<Option<AutoConsent>> {
        self.send(reqwest::Method::PUT, "consent", consent).await
    }

    pub async fn clear_auto_consent(&self) -> R<()> {
        self.no_content(reqwest::Method::DELETE, "consent", None::<&()>)
            .await
    }

    // ---- access loss

    /// The token fails with 190/467 from now on.
    pub async fn revoke_token(&self, token: &str) -> R<()> {
        self.no_content(
            reqwest::Method::POST,
            "tokens/revoke",
            Some(&RevokeToken {
                token: token.into(),
            }),
        )
        .await
    }

    /// Every token of the user fails with 190/460.
    pub async fn change_password(&self, user_id: &str) -> R<()> {
        self.no_content(
            reqwest::Method::POST,
            &format!("users/{user_id}/password_change"),
            None::<&()>,
        )
        .await
    }

    /// The user removes the app: 190/458 and a deauthorize callback.
    pub async fn remove_app(&self, user_id: &str) -> R<()> {
        self.no_content(
            reqwest::Method::POST,
            &format!("users/{user_id}/remove_app"),
            None::<&()>,
        )
        .await
    }

    // ---- inspection

    pub async fn overview(&self) -> R<Overview> {
        self.get("overview").await
    }

    /// The whole conversation, both directions, in order.
    pub async fn thread(&self, psid: &str) -> R<Vec<ThreadItem>> {
        self.get(&format!("visitors/{psid}/thread")).await
    }

    /// Only the messages the visitor received from the Page, in order.
    pub async fn received(&self, psid: &str) -> R<Vec<ThreadItem>> {
        Ok(self
            .thread(psid)
            .await?
            .into_iter()
            .filter(|i| i.from == Direction::Page && i.kind == "message")
            .collect())
    }

    pub async fn subscriptions(&self) -> R<SubscriptionsInfo> {
        self.get("subscriptions").await
    }

    pub async fn deliveries(&self) -> R<Vec<DeliveryRecord>> {
        self.get("deliveries").await
    }
}
