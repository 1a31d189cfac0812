//! The test harness: a real server on a random port over a fresh database
//! (SQLite file or PostgreSQL database), and an HTTP client that keeps its
//! session cookie and CSRF token like a browser.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use emulator::{ControlClient, Emulator, EmulatorConfig, EmulatorHandle};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::config::{Config, ConfigLayer};
use server::state::AppState;
use server::Application;
use store::testing::TestDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub mod client;
pub mod flows;
pub mod live;

#[allow(unused_imports)] // not every test file asserts errors
pub use client::{assert_error, Client};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for each named
/// `async fn name(backend: Backend)` in the calling file.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Backend::Postgres).await })*
        }
    };
}

/// A running server and what it runs on.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    database: Option<TestDatabase>,
    data_dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    emulator: Option<Arc<EmulatorHandle>>,
    /// Applied to the configuration at every (re)start.
    tweak: fn(&mut Config),
}

/// The Facebook app the tests' server and emulator share.
pub const APP_ID: &str = "1000000000001";
pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";

impl Backend {
    /// A fresh, empty database of this kind for one test.
    pub fn database(self) -> TestDatabase {
        match self {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres(),
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let database = backend.database();
        let data_dir = tempfile::tempdir().expect("temp data dir");
        Self::start(database, data_dir, None, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with `tweak` applied to the configuration.
    pub async fn spawn_and(backend: Backend, tweak: fn(&mut Config)) -> Self {
        let database = backend.database();
        let data_dir = tempfile::tempdir().expect("temp data dir");
        Self::start(database, data_dir, None, tweak).await
    }

    /// A server wired to a fresh Facebook emulator: the server's Graph API
    /// and login dialog are the emulator's, and the emulator delivers
    /// webhooks (and the deauthorize callback) to the server.
    pub async fn spawn_with_emulator(backend: Backend) -> Self {
        Self::spawn_with_emulator_and(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn_with_emulator`], with `tweak` applied to the
    /// server's configuration (e.g. a short `channel_check_interval_secs`).
    pub async fn spawn_with_emulator_and(backend: Backend, tweak: fn(&mut Config)) -> Self {
        let emulator = Emulator::start(EmulatorConfig::new(APP_ID, APP_SECRET))
            .await
            .expect("emulator starts");
        let database = backend.database();
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let app = Self::start(database, data_dir, Some(Arc::new(emulator)), tweak).await;
        let webhook = url::Url::parse(&app.url("/webhooks/facebook")).unwrap();
        let deauthorize = url::Url::parse(&app.url("/webhooks/facebook/deauthorize")).unwrap();
        app.fb()
            .update_webhook(|settings| {
                settings.url = Some(webhook);
                settings.deauthorize_url = Some(deauthorize);
            })
            .await
            .expect("emulator webhook settings");
        app
    }

    /// The emulator's control API (panics when the app runs without one).
    pub fn fb(&self) -> ControlClient {
        self.emulator
            .as_ref()
            .expect("this TestApp has no emulator")
            .control()
    }

    pub fn config(
        database_url: &str,
        data_dir: &std::path::Path,
        graph_url: Option<String>,
    ) -> Config {
        let layer = ConfigLayer {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some(data_dir.display().to_string()),
            database_url: Some(database_url.to_owned()),
            facebook_app_id: Some(APP_ID.into()),
            facebook_app_secret: Some(APP_SECRET.into()),
            facebook_verify_token: Some(VERIFY_TOKEN.into()),
            dialog_url: graph_url.clone(),
            graph_url,
            ..Default::default()
        };
        Config::load(Default::default(), Default::default(), layer).expect("test configuration")
    }

    async fn start(
        database: TestDatabase,
        data_dir: tempfile::TempDir,
        emulator: Option<Arc<EmulatorHandle>>,
        tweak: fn(&mut Config),
    ) -> Self {
        let graph_url = emulator.as_ref().map(|e| e.base_url().to_string());
        let mut config = Self::config(&database.url, data_dir.path(), graph_url);
        tweak(&mut config);
        let app = Application::build(config).await.expect("server builds");
        let addr = app.addr();
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            state,
            database: Some(database),
            data_dir: Some(data_dir),
            stop: Some(stop),
            task: Some(task),
            emulator,
            tweak,
        }
    }

    /// Stops the server gracefully and starts a new one on the same database
    /// and data directory, as an operator's restart would.
    pub async fn restart(mut self) -> Self {
        self.shutdown().await;
        let database = self.database.take().expect("database");
        let data_dir = self.data_dir.take().expect("data dir");
        let emulator = self.emulator.take();
        Self::start(database, data_dir, emulator, self.tweak).await
    }

    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.as_ref().expect("data dir").path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A client with no session.
    pub fn anonymous(&self) -> Client {
        Client::new(self.addr)
    }

    /// Creates an account with an admin and returns a client logged in as them.
    pub async fn new_account(&self, name: &str) -> Client {
        let email = format!(
            "admin-{}@{}.example",
            uuid(),
            name.to_lowercase().replace(' ', "-")
        );
        self.create_account_with_admin(name, &email, "correct horse battery")
            .await;
        let mut client = self.anonymous();
        let (status, body) = client.login(&email, "correct horse battery").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        client
    }

    pub async fn create_account_with_admin(&self, account: &str, email: &str, password: &str) {
        let store = &self.state.store;
        let account = store.create_account(account).await.expect("account");
        let staff = server::api::staff::new_staff(server::api::staff::CreateStaffRequest {
            email: email.into(),
            password: password.into(),
            role: "admin".into(),
            first_name: "Ada".into(),
            last_name: "Admin".into(),
            display_name: None,
            capacity: None,
        })
        .await
        .expect("valid admin");
        store.create_staff(&account.id, staff).await.expect("admin");
    }
}

/// A Facebook Page connected as a channel through the real login flow.
#[derive(Debug, Clone)]
pub struct ConnectedPage {
    pub channel_id: String,
    pub page_id: String,
    /// The emulator user (Page admin) whose login connected it.
    pub user_id: String,
}

/// The tasks a Page admin needs to connect a Page for messaging.
pub const PAGE_TASKS: [&str; 3] = ["MANAGE", "MODERATE", "MESSAGING"];

impl TestApp {
    /// Creates an emulator user who administers a new Page `page_name`,
    /// logs in with Facebook as them (auto-consent: all permissions, this
    /// Page) and connects the Page; returns once the channel is active.
    pub async fn connect_page(&self, admin: &Client, page_name: &str) -> ConnectedPage {
        let fb = self.fb();
        let user = fb
            .create_user(&format!("{page_name} admin"))
            .await
            .expect("emulator user");
        let page = fb
            .create_page(&emulator::control::types::NewPage {
                name: page_name.into(),
                ..Default::default()
            })
            .await
            .expect("emulator page");
        fb.set_role(&page.id, &user.id, &PAGE_TASKS)
            .await
            .expect("page role");
        fb.set_auto_consent(&emulator::control::types::AutoConsent {
            user_id: Some(user.id.clone()),
            pages: Some(vec![page.id.clone()]),
            declined: Vec::new(),
        })
        .await
        .expect("auto consent");
        let (status, login) = self.facebook_login(admin).await;
        assert_eq!(status, StatusCode::OK, "{login}");
        let login_id = login["id"].as_str().expect("login id");
        let (status, body) = admin
            .post(
                &format!("/api/v1/channels/facebook/logins/{login_id}/connect"),
                json!({"page_ids": [page.id]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let channel = &body["items"][0]["channel"];
        assert_eq!(channel["status"], "active", "{body}");
        ConnectedPage {
            channel_id: channel["id"].as_str().expect("channel id").to_owned(),
            page_id: page.id,
            user_id: user.id,
        }
    }

    /// Starts a Facebook Login as `admin`, lets the emulator's dialog answer
    /// (set its auto-consent first) and follows the redirect back to the
    /// callback in the admin's session. Returns the callback's answer.
    pub async fn facebook_login(&self, admin: &Client) -> (StatusCode, Value) {
        let (status, started) = admin
            .post("/api/v1/channels/facebook/login", json!({}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{started}");
        let dialog = started["dialog_url"].as_str().expect("dialog url");
        let callback = follow_dialog(dialog).await;
        admin.get(&callback).await
    }

    /// Creates an emulator visitor of the Page; returns their PSID.
    pub async fn visitor(&self, page_id: &str, name: &str) -> String {
        self.fb()
            .create_visitor(
                page_id,
                &emulator::control::types::NewVisitor {
                    first_name: name.into(),
                    ..Default::default()
                },
            )
            .await
            .expect("emulator visitor")
            .psid
    }
}

/// Opens the login dialog like a browser and returns where it redirects
/// to, as a path with its query (the server's callback).
pub async fn follow_dialog(dialog_url: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = http.get(dialog_url).send().await.expect("dialog answers");
    assert!(
        response.status().is_redirection(),
        "the dialog should redirect (is auto-consent set?): {}",
        response.status()
    );
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let url = url::Url::parse(&location).expect("absolute redirect");
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}
