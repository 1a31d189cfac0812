//! The Graph API client: Facebook Login, Pages, `subscribed_apps`, the Send
//! API, attachments and user profiles.
//!
//! Every URL is `{base_url}/{version}/…`, so pointing `base_url` at the
//! emulator exercises exactly the code that talks to Facebook. Every call
//! with a token sends it as `access_token` plus `appsecret_proof`
//! (HMAC-SHA256 of the token keyed with the app secret). Tokens never appear
//! in `Debug` output, logs or error messages.

mod error;
mod http;
mod send;
mod types;

pub use error::{classify, regain_access_minutes, ErrorClass, GraphError};
pub use send::{
    AttachmentKind, AttachmentSource, FileUpload, MessagingType, OutgoingMessage, QuickReply,
    Recipient, SendRequest, SenderAction, HUMAN_AGENT,
};
pub use types::{
    missing_permissions, AccessToken, GranularScope, PageAccount, Permission, Profile,
    SendResponse, SubscribedApp, TokenInfo, TokenInfoError, User,
};

use hmac::{Hmac, Mac};
use http::{file_part, versioned};
use reqwest::multipart::Form;
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;
use std::fmt;
use std::time::Duration;
use url::Url;

/// The Graph API version this crate was written against.
pub const DEFAULT_VERSION: &str = "v25.0";

/// Each Page permission a Messenger app needs, with the words of the
/// toggle that grants it on Facebook's consent screen (so an error can say
/// exactly what to turn on).
pub const PERMISSION_TOGGLES: [(&str, &str); 4] = [
    (
        "pages_messaging",
        "Manage and access Page conversations in Messenger",
    ),
    ("pages_show_list", "Show a list of the Pages you manage"),
    ("pages_read_engagement", "Read content posted on the Page"),
    (
        "pages_manage_metadata",
        "Manage accounts, settings, and webhooks for a Page",
    ),
];

/// The permissions a Messenger Page app asks for at login.
pub const MESSENGER_SCOPES: [&str; 4] = [
    "pages_show_list",
    "pages_messaging",
    "pages_manage_metadata",
    "pages_read_engagement",
];

/// The webhook fields a contact center subscribes each Page to.
pub const MESSENGER_FIELDS: [&str; 11] = [
    "messages",
    "messaging_postbacks",
    "message_deliveries",
    "message_reads",
    "message_echoes",
    "messaging_referrals",
    "message_reactions",
    "message_edits",
    "messaging_optins",
    "messaging_handovers",
    "standby",
];

/// Where and as whom to call the Graph API.
#[derive(Clone)]
pub struct GraphConfig {
    /// `https://graph.facebook.com`, or the emulator.
    pub base_url: Url,
    /// `https://www.facebook.com` (the login dialog host), or the emulator.
    pub dialog_base_url: Url,
    /// e.g. `"v25.0"`.
    pub version: String,
    pub app_id: String,
    pub app_secret: String,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl GraphConfig {
    /// Facebook's real hosts, [`DEFAULT_VERSION`], 30 s timeout.
    pub fn facebook(app_id: impl Into<String>, app_secret: impl Into<String>) -> Self {
        GraphConfig {
            base_url: Url::parse("https://graph.facebook.com").expect("static URL"),
            dialog_base_url: Url::parse("https://www.facebook.com").expect("static URL"),
            version: DEFAULT_VERSION.to_owned(),
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            timeout: Duration::from_secs(30),
        }
    }
}

impl fmt::Debug for GraphConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphConfig")
            .field("base_url", &self.base_url.as_str())
            .field("dialog_base_url", &self.dialog_base_url.as_str())
            .field("version", &self.version)
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The Graph API client. Cheap to clone (shares one connection pool).
#[derive(Clone, Debug)]
pub struct GraphClient {
    config: GraphConfig,
    http: reqwest::Client,
}

/// `appsecret_proof`: lowercase hex HMAC-SHA256(key = app secret, msg = token).
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl GraphClient {
    pub fn new(config: GraphConfig) -> GraphClient {
        let http = reqwest::Client::builder()
            .user_agent(concat!("omnidesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        GraphClient { config, http }
    }

    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// The Facebook Login dialog URL to send an admin's browser to:
    /// `{dialog_base_url}/{version}/dialog/oauth?client_id&redirect_uri&state&response_type=code&scope=…`.
    pub fn oauth_dialog_url(&self, redirect_uri: &str, state: &str, scopes: &[&str]) -> Url {
        let mut url = versioned(
            &self.config.dialog_base_url,
            &self.config.version,
            &["dialog", "oauth"],
        );
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.app_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(","));
        url
    }

    /// Like [`oauth_dialog_url`](Self::oauth_dialog_url) with
    /// `auth_type=rerequest`, to ask again for declined permissions.
    pub fn oauth_rerequest_url(&self, redirect_uri: &str, state: &str, scopes: &[&str]) -> Url {
        let mut url = self.oauth_dialog_url(redirect_uri, state, scopes);
        url.query_pairs_mut().append_pair("auth_type", "rerequest");
        url
    }

    /// Exchanges a login `code` for a (short-lived) user token. `redirect_uri`
    /// must be identical to the one given to the dialog.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<AccessToken, GraphError> {
        let mut url = self.url(&["oauth", "access_token"]);
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.app_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("client_secret", &self.config.app_secret)
            .append_pair("code", code);
        self.call("exchange_code", self.http.get(url)).await
    }

    /// Exchanges a short-lived user token for a long-lived one (~60 days).
    pub async fn exchange_long_lived(&self, short_token: &str) -> Result<AccessToken, GraphError> {
        let mut url = self.url(&["oauth", "access_token"]);
        url.query_pairs_mut()
            .append_pair("grant_type", "fb_exchange_token")
            .append_pair("client_id", &self.config.app_id)
            .append_pair("client_secret", &self.config.app_secret)
            .append_pair("fb_exchange_token", short_token);
        self.call("exchange_long_lived", self.http.get(url)).await
    }

    /// `GET /me?fields=id,name`: the app-scoped id of the logged-in admin.
    pub async fn me(&self, user_token: &str) -> Result<User, GraphError> {
        let mut url = self.url(&["me"]);
        url.query_pairs_mut().append_pair("fields", "id,name");
        self.call("me", self.get(url, user_token)).await
    }

    /// Every Page the user has a task on, following `paging.next`.
    pub async fn page_accounts(&self, user_token: &str) -> Result<Vec<PageAccount>, GraphError> {
        let mut url = self.url(&["me", "accounts"]);
        url.query_pairs_mut()
            .append_pair("fields", "id,name,access_token,tasks,picture")
            .append_pair("limit", "100");
        self.get_all("page_accounts", url, user_token).await
    }

    /// `GET /me/permissions` (all pages of it).
    pub async fn permissions(&self, user_token: &str) -> Result<Vec<Permission>, GraphError> {
        let url = self.url(&["me", "permissions"]);
        self.get_all("permissions", url, user_token).await
    }

    /// Inspects any token with the app token `{app_id}|{app_secret}`.
    pub async fn debug_token(&self, input_token: &str) -> Result<TokenInfo, GraphError> {
        #[derive(Deserialize)]
        struct Wrapper {
            data: TokenInfo,
        }
        let mut url = self.url(&["debug_token"]);
        url.query_pairs_mut()
            .append_pair("input_token", input_token);
        let app_token = format!("{}|{}", self.config.app_id, self.config.app_secret);
        let w: Wrapper = self.call("debug_token", self.get(url, &app_token)).await?;
        Ok(w.data)
    }

    /// Subscribes this app to the Page's webhook `fields`.
    pub async fn subscribe_app(
        &self,
        page_id: &str,
        page_token: &str,
        fields: &[&str],
    ) -> Result<(), GraphError> {
        let mut url = self.url(&[page_id, "subscribed_apps"]);
        url.query_pairs_mut()
            .append_pair("subscribed_fields", &fields.join(","));
        let req = self.with_token(self.http.post(url), page_token);
        self.call_success("subscribe_app", req).await
    }

    /// The apps subscribed to the Page (empty when none).
    pub async fn subscribed_apps(
        &self,
        page_id: &str,
        page_token: &str,
    ) -> Result<Vec<SubscribedApp>, GraphError> {
        let url = self.url(&[page_id, "subscribed_apps"]);
        self.get_all("subscribed_apps", url, page_token).await
    }

    /// Removes this app's subscription from the Page.
    pub async fn unsubscribe_app(&self, page_id: &str, page_token: &str) -> Result<(), GraphError> {
        let url = self.url(&[page_id, "subscribed_apps"]);
        let req = self.with_token(self.http.delete(url), page_token);
        self.call_success("unsubscribe_app", req).await
    }

    /// `POST /{page}/messages` with a JSON body.
    pub async fn send_message(
        &self,
        page_id: &str,
        page_token: &str,
        request: &SendRequest,
    ) -> Result<SendResponse, GraphError> {
        let url = self.url(&[page_id, "messages"]);
        let req = self
            .with_token(self.http.post(url), page_token)
            .json(&request.to_json());
        self.call("send_message", req).await
    }

    /// Sends a file in one multipart call (`recipient`, `message`, `filedata`).
    pub async fn send_attachment_file(
        &self,
        page_id: &str,
        page_token: &str,
        recipient_psid: &str,
        messaging_type: &MessagingType,
        file: FileUpload,
    ) -> Result<SendResponse, GraphError> {
        let message =
            json!({"attachment": {"type": file.kind.as_str(), "payload": {"is_reusable": true}}});
        let mut form = Form::new()
            .text("recipient", json!({ "id": recipient_psid }).to_string())
            .text("messaging_type", messaging_type.as_str())
            .text("message", message.to_string());
        if let Some(tag) = messaging_type.tag() {
            form = form.text("tag", tag.to_owned());
        }
        let form = form.part("filedata", file_part(&file)?);
        let url = self.url(&[page_id, "messages"]);
        let req = self
            .with_token(self.http.post(url), page_token)
            .multipart(form);
        self.call("send_attachment_file", req).await
    }

    /// Typing indicators, mark seen, reactions.
    pub async fn sender_action(
        &self,
        page_id: &str,
        page_token: &str,
        psid: &str,
        action: &SenderAction,
    ) -> Result<(), GraphError> {
        let url = self.url(&[page_id, "messages"]);
        let req = self
            .with_token(self.http.post(url), page_token)
            .json(&action.to_json(psid));
        let _: SendResponse = self.call("sender_action", req).await?;
        Ok(())
    }

    /// Uploads an attachment Facebook fetches from `url`; returns its id.
    pub async fn upload_attachment_url(
        &self,
        page_id: &str,
        page_token: &str,
        kind: AttachmentKind,
        url: &str,
    ) -> Result<String, GraphError> {
        let body = json!({"message": {"attachment": {"type": kind.as_str(), "payload": {"url": url, "is_reusable": true}}}});
        let endpoint = self.url(&[page_id, "message_attachments"]);
        let req = self
            .with_token(self.http.post(endpoint), page_token)
            .json(&body);
        self.call_attachment_id("upload_attachment_url", req).await
    }

    /// Uploads a file (multipart `message` + `filedata`); returns its id.
    pub async fn upload_attachment_file(
        &self,
        page_id: &str,
        page_token: &str,
        file: FileUpload,
    ) -> Result<String, GraphError> {
        let message =
            json!({"attachment": {"type": file.kind.as_str(), "payload": {"is_reusable": true}}});
        let form = Form::new()
            .text("message", message.to_string())
            .part("filedata", file_part(&file)?);
        let endpoint = self.url(&[page_id, "message_attachments"]);
        let req = self
            .with_token(self.http.post(endpoint), page_token)
            .multipart(form);
        self.call_attachment_id("upload_attachment_file", req).await
    }

    /// `GET /{psid}?fields=first_name,last_name,profile_pic,name`. An
    /// inaccessible profile (`{}`) comes back with only `id` set.
    pub async fn user_profile(&self, psid: &str, page_token: &str) -> Result<Profile, GraphError> {
        let mut url = self.url(&[psid]);
        url.query_pairs_mut()
            .append_pair("fields", "first_name,last_name,profile_pic,name");
        let mut p: Profile = self.call("user_profile", self.get(url, page_token)).await?;
        if p.id.is_empty() {
            p.id = psid.to_owned();
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> GraphClient {
        let mut c = GraphConfig::facebook("111", "shh");
        c.base_url = Url::parse(base).unwrap();
        GraphClient::new(c)
    }

    #[test]
    fn urls_are_base_then_version_then_path() {
        let c = client("http://127.0.0.1:4000");
        assert_eq!(
            c.url(&["me", "accounts"]).as_str(),
            "http://127.0.0.1:4000/v25.0/me/accounts"
        );
        let c = client("http://127.0.0.1:4000/graph/");
        assert_eq!(
            c.url(&["42", "messages"]).as_str(),
            "http://127.0.0.1:4000/graph/v25.0/42/messages"
        );
    }

    #[test]
    fn path_segments_cannot_escape_their_place() {
        let c = client("http://h");
        assert_eq!(c.url(&["../x?y"]).as_str(), "http://h/v25.0/..%2Fx%3Fy");
    }

    #[test]
    fn the_dialog_url_asks_for_a_code_with_the_scopes() {
        let c = client("http://h");
        let u = c.oauth_dialog_url("https://desk.example/cb?x=1", "csrf", &MESSENGER_SCOPES);
        assert_eq!(u.host_str(), Some("www.facebook.com"));
        assert_eq!(u.path(), "/v25.0/dialog/oauth");
        let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("client_id"), Some("111"));
        assert_eq!(get("redirect_uri"), Some("https://desk.example/cb?x=1"));
        assert_eq!(get("state"), Some("csrf"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(
            get("scope"),
            Some("pages_show_list,pages_messaging,pages_manage_metadata,pages_read_engagement")
        );
    }

    #[test]
    fn appsecret_proof_is_hmac_sha256_hex_of_the_token() {
        // HMAC-SHA256(key="key", msg="The quick brown fox jumps over the lazy dog")
        assert_eq!(
            appsecret_proof("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn the_config_debug_hides_the_app_secret() {
        let c = GraphConfig::facebook("111", "very-secret");
        assert!(!format!("{c:?}").contains("very-secret"));
        assert!(!format!("{:?}", GraphClient::new(c)).contains("very-secret"));
    }
}
