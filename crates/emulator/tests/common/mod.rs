//! Shared test scaffolding: an emulator on port 0, the real `GraphClient`
//! pointed at it, and a tiny webhook receiver that records what it gets.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use emulator::control::types::{AutoConsent, NewPage, NewVisitor, PageInfo};
use emulator::{ControlClient, Emulator, EmulatorConfig, EmulatorHandle};
use messenger::graph::{PageAccount, SendRequest, SendResponse, MESSENGER_FIELDS};
use messenger::{GraphClient, GraphConfig, GraphError};
use url::Url;

pub const APP_ID: &str = "1234567890123";
pub const APP_SECRET: &str = "emulator-test-secret";
pub const VERIFY_TOKEN: &str = "verify-me";
pub const REDIRECT_URI: &str = "https://desk.example/oauth/callback";
pub const ALL_TASKS: [&str; 6] = [
    "MANAGE",
    "CREATE_CONTENT",
    "MODERATE",
    "MESSAGING",
    "ADVERTISE",
    "ANALYZE",
];

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone, Default)]
struct ReceiverState {
    received: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer webhook POSTs with, in order; 200 once exhausted.
    script: Arc<Mutex<VecDeque<u16>>>,
    /// When true, every POST fails with 500.
    failing: Arc<Mutex<bool>>,
}

/// The product's side of the webhook, reduced to recording.
#[derive(Clone)]
pub struct Receiver {
    pub base: Url,
    state: ReceiverState,
}

async fn handshake(Query(q): Query<Vec<(String, String)>>) -> (StatusCode, String) {
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    match messenger::verify_subscription(
        get("hub.mode"),
        get("hub.verify_token"),
        get("hub.challenge"),
        VERIFY_TOKEN,
    ) {
        Ok(challenge) => (StatusCode::OK, challenge),
        Err(_) => (StatusCode::FORBIDDEN, String::new()),
    }
}

async fn wrong_challenge() -> &'static str {
    "not-the-challenge"
}

async fn record(
    State(s): State<ReceiverState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    s.received.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        headers,
        body,
    });
    if *s.failing.lock().unwrap() {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let status = s.script.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = ReceiverState::default();
        let app = Router::new()
            .route("/webhook", get(handshake).post(record))
            .route("/bad-webhook", get(wrong_challenge).post(record))
            .route("/deauthorize", post(record))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            base: Url::parse(&format!("http://{addr}/")).unwrap(),
            state,
        }
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    /// Answer the next POSTs with these statuses, then 200.
    pub fn script(&self, statuses: &[u16]) {
        self.state.script.lock().unwrap().extend(statuses);
    }

    pub fn set_failing(&self, failing: bool) {
        *self.state.failing.lock().unwrap() = failing;
    }

    pub fn received(&self, path: &str) -> Vec<Received> {
        self.state
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Every messaging/standby item of every webhook POST, in arrival order.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.received("/webhook")
            .iter()
            .flat_map(|r| {
                let body = r.json();
                body["entry"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(|e| {
                        let mut items = e["messaging"].as_array().cloned().unwrap_or_default();
                        items.extend(e["standby"].as_array().cloned().unwrap_or_default());
                        items
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Waits until at least `n` webhook events arrived.
    pub async fn wait_events(&self, n: usize) -> Vec<serde_json::Value> {
        eventually(&format!("{n} webhook events"), || {
            let events = self.events();
            (events.len() >= n).then_some(events)
        })
        .await
    }
}

/// Polls `check` every 10 ms for up to 10 s.
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Like [`eventually`] for an async check.
pub async fn eventually_async<T, F: Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub struct TestEmulator {
    pub handle: EmulatorHandle,
    pub control: ControlClient,
    pub graph: GraphClient,
    pub receiver: Receiver,
    pub http: reqwest::Client,
}

/// A user who connected a Page: ids and tokens as the product would hold them.
pub struct Connected {
    pub user_id: String,
    pub user_token: String,
    pub page_id: String,
    pub page_token: String,
    pub psid: String,
}

impl TestEmulator {
    pub async fn start() -> TestEmulator {
        Self::start_with(|_| {}).await
    }

    /// Webhook and deauthorize callbacks point at the receiver; retries are fast.
    pub async fn start_with(change: impl FnOnce(&mut EmulatorConfig)) -> TestEmulator {
        let receiver = Receiver::start().await;
        let mut config = EmulatorConfig::new(APP_ID, APP_SECRET);
        config.webhook_url = Some(receiver.url("/webhook"));
        config.deauthorize_url = Some(receiver.url("/deauthorize"));
        config.verify_token = Some(VERIFY_TOKEN.into());
        config.seed = Some(7);
        config.webhook.retry_initial = Duration::from_millis(10);
        config.webhook.retry_max = Duration::from_millis(50);
        change(&mut config);
        let handle = Emulator::start(config).await.expect("emulator starts");
        let base = handle.base_url();
        let graph = GraphClient::new(GraphConfig {
            base_url: base.clone(),
            dialog_base_url: base.clone(),
            version: "v25.0".into(),
            app_id: APP_ID.into(),
            app_secret: APP_SECRET.into(),
            timeout: Duration::from_secs(10),
        });
        TestEmulator {
            control: handle.control(),
            handle,
            graph,
            receiver,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> Url {
        self.handle.base_url().join(path).unwrap()
    }

    /// A plain `GET` of `url` (no token, no headers); the raw response.
    pub async fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// The JSON body of a plain `GET` of `url`, whatever its status.
    pub async fn get_json(&self, url: impl reqwest::IntoUrl) -> serde_json::Value {
        self.get(url).await.json().await.unwrap()
    }

    /// The text body of a plain `GET` of `url`, whatever its status.
    pub async fn get_text(&self, url: impl reqwest::IntoUrl) -> String {
        self.get(url).await.text().await.unwrap()
    }

    /// Follows the login dialog (auto-consent must be set) and returns the
    /// `Location` it redirects to.
    pub async fn dialog_redirect(&self, scopes: &[&str]) -> Url {
        let url = self.graph.oauth_dialog_url(REDIRECT_URI, "csrf-1", scopes);
        let resp = self.http.get(url).send().await.unwrap();
        assert_eq!(resp.status(), 302, "dialog redirects back");
        Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap()
    }

    pub async fn login_code(&self) -> String {
        let back = self
            .dialog_redirect(&messenger::graph::MESSENGER_SCOPES)
            .await;
        query(&back, "code").expect("code in the redirect")
    }

    /// A new user `name` (who manages no Page) logs in through the dialog,
    /// consenting to everything; returns the login code.
    pub async fn code_for_new_user(&self, name: &str) -> String {
        self.control.create_user(name).await.unwrap();
        self.control
            .set_auto_consent(&AutoConsent::default())
            .await
            .unwrap();
        self.login_code().await
    }

    /// A new Page called `name` (the emulator picks its id).
    pub async fn page(&self, name: impl Into<String>) -> PageInfo {
        self.control
            .create_page(&NewPage {
                name: name.into(),
                ..Default::default()
            })
            .await
            .unwrap()
    }

    /// A new Page called `name` on which the user `user_id` has `tasks`.
    pub async fn page_for(
        &self,
        user_id: &str,
        name: impl Into<String>,
        tasks: &[&str],
    ) -> PageInfo {
        let page = self.page(name).await;
        self.control
            .set_role(&page.id, user_id, tasks)
            .await
            .unwrap();
        page
    }

    /// Logs in again through the dialog (auto-consent must be set) and
    /// lists the Pages the new user token reaches.
    pub async fn pages_at_new_login(&self) -> Vec<PageAccount> {
        let code = self.login_code().await;
        let token = self.graph.exchange_code(&code, REDIRECT_URI).await.unwrap();
        self.graph
            .page_accounts(token.access_token.expose())
            .await
            .unwrap()
    }

    /// The connected Page sends `request` with its Page token.
    pub async fn page_sends(
        &self,
        c: &Connected,
        request: &SendRequest,
    ) -> Result<SendResponse, GraphError> {
        self.graph
            .send_message(&c.page_id, &c.page_token, request)
            .await
    }

    /// A user with every task on a new Page, a visitor on it, a completed
    /// login (long-lived token), the Page token, and the app subscribed.
    pub async fn connect(&self) -> Connected {
        let user = self.control.create_user("Ada Admin").await.unwrap();
        let page = self.page_for(&user.id, "Acme Support", &ALL_TASKS).await;
        let visitor = self
            .control
            .create_visitor(
                &page.id,
                &NewVisitor {
                    first_name: "Vera".into(),
                    last_name: "Visitor".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        self.control
            .set_auto_consent(&AutoConsent {
                user_id: Some(user.id.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        let code = self.login_code().await;
        let short = self.graph.exchange_code(&code, REDIRECT_URI).await.unwrap();
        let long = self
            .graph
            .exchange_long_lived(short.access_token.expose())
            .await
            .unwrap();
        let user_token = long.access_token.expose().to_owned();
        let accounts = self.graph.page_accounts(&user_token).await.unwrap();
        let page_token = accounts
            .iter()
            .find(|a| a.id == page.id)
            .and_then(|a| a.access_token.clone())
            .expect("the Page and its token are listed")
            .expose()
            .to_owned();
        self.graph
            .subscribe_app(&page.id, &page_token, &MESSENGER_FIELDS)
            .await
            .unwrap();
        Connected {
            user_id: user.id,
            user_token,
            page_id: page.id,
            page_token,
            psid: visitor.psid,
        }
    }
}

pub fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Graph error code and subcode of a failed call.
pub fn codes(err: &messenger::GraphError) -> (i64, Option<i64>) {
    err.code().expect("a Graph API error envelope")
}
