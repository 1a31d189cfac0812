//! The test client: an HTTP client like a browser tab (cookie store, CSRF
//! token on every write, or a bearer token), and the error assertion.

use std::net::SocketAddr;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::uuid;

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

    /// A multipart POST (file uploads) with this client's session or token.
    pub async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("http://{}{}", self.addr, path))
            .multipart(form);
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let text = response.text().await.expect("response body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// A GET with this client's session, as the raw response (for files).
    pub async fn raw(&self, path: &str) -> reqwest::Response {
        let mut request = self.http.get(format!("http://{}{}", self.addr, path));
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request reaches the server")
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
