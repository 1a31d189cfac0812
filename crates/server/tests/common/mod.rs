//! The test harness: a real server on a random port over a fresh database
//! (SQLite file or PostgreSQL database), and an HTTP client that keeps its
//! session cookie and CSRF token like a browser.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use emulator::{ControlClient, Emulator, EmulatorConfig, EmulatorHandle};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use server::config::{Config, ConfigLayer};
use server::state::AppState;
use server::Application;
use store::testing::TestDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

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
}

/// The Facebook app the tests' server and emulator share.
pub const APP_ID: &str = "1000000000001";
pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let database = match backend {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres(),
        };
        let data_dir = tempfile::tempdir().expect("temp data dir");
        Self::start(database, data_dir, None).await
    }

    /// A server wired to a fresh Facebook emulator: the server's Graph API
    /// and login dialog are the emulator's, and the emulator delivers
    /// webhooks (and the deauthorize callback) to the server.
    pub async fn spawn_with_emulator(backend: Backend) -> Self {
        let emulator = Emulator::start(EmulatorConfig::new(APP_ID, APP_SECRET))
            .await
            .expect("emulator starts");
        let database = match backend {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres(),
        };
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let app = Self::start(database, data_dir, Some(Arc::new(emulator))).await;
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
    ) -> Self {
        let graph_url = emulator.as_ref().map(|e| e.base_url().to_string());
        let config = Self::config(&database.url, data_dir.path(), graph_url);
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
        }
    }

    /// Stops the server gracefully and starts a new one on the same database
    /// and data directory, as an operator's restart would.
    pub async fn restart(mut self) -> Self {
        self.shutdown().await;
        let database = self.database.take().expect("database");
        let data_dir = self.data_dir.take().expect("data dir");
        let emulator = self.emulator.take();
        Self::start(database, data_dir, emulator).await
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

/// An HTTP client like a browser tab: cookie store, and the CSRF token it
/// got at login sent on every write. `bearer` switches to token auth.
pub struct Client {
    addr: SocketAddr,
    http: reqwest::Client,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
    pub staff_id: Option<String>,
    pub account_id: Option<String>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        Self {
            addr,
            http,
            csrf: None,
            bearer: None,
            staff_id: None,
            account_id: None,
        }
    }

    pub fn with_token(addr: SocketAddr, token: &str) -> Self {
        let mut client = Self::new(addr);
        client.bearer = Some(token.to_owned());
        client
    }

    pub async fn login(&mut self, email: &str, password: &str) -> (StatusCode, Value) {
        let (status, body) = self
            .send(
                Method::POST,
                "/api/v1/auth/login",
                Some(json!({"email": email, "password": password})),
            )
            .await;
        if status == StatusCode::OK {
            self.csrf = body["csrf_token"].as_str().map(str::to_owned);
            self.staff_id = body["staff"]["id"].as_str().map(str::to_owned);
            self.account_id = body["account"]["id"].as_str().map(str::to_owned);
        }
        (status, body)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("http://{}{}", self.addr, path));
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let text = response.text().await.expect("response body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates a staff member and returns their id.
    pub async fn create_staff(&self, email: &str, role: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/staff",
                json!({"email": email, "password": "agent password 1", "role": role,
                       "first_name": "Sam", "last_name": "Agent"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("staff id").to_owned()
    }

    /// Creates a staff member and returns a client logged in as them.
    pub async fn staff_client(&self, role: &str) -> Client {
        let email = format!("{role}-{}@example.com", uuid());
        self.create_staff(&email, role).await;
        let mut client = Client::new(self.addr);
        let (status, body) = client.login(&email, "agent password 1").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        client
    }
}

/// Asserts an error response's status, code and (when given) field.
pub fn assert_error(
    response: &(StatusCode, Value),
    status: StatusCode,
    code: &str,
    field: Option<&str>,
) {
    let (actual, body) = response;
    assert_eq!(*actual, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    if let Some(field) = field {
        assert_eq!(body["error"]["field"], field, "{body}");
    }
}
