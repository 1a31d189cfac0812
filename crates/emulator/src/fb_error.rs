//! Graph API errors in Facebook's envelope:
//! `{"error":{"message","type","code","error_subcode"?,"is_transient"?,"fbtrace_id"}}`.
//! Code 190 also carries `WWW-Authenticate: OAuth "Facebook Platform" "invalid_token" "<message>"`.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde_json::{json, Map, Value};

/// One Graph API error response.
#[derive(Debug, Clone)]
pub struct FbError {
    pub status: StatusCode,
    pub code: u32,
    pub subcode: Option<u32>,
    pub message: String,
    pub error_type: &'static str,
    pub is_transient: Option<bool>,
    pub headers: Vec<(&'static str, String)>,
}

impl FbError {
    fn new(code: u32, subcode: Option<u32>, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            subcode,
            message: message.into(),
            error_type: "OAuthException",
            is_transient: None,
            headers: Vec::new(),
        }
    }

    /// Code 100: invalid parameter.
    pub fn param(message: impl Into<String>) -> Self {
        Self::new(100, None, format!("(#100) {}", message.into()))
    }

    /// Code 100 with a subcode.
    pub fn param_sub(subcode: u32, message: impl Into<String>) -> Self {
        Self::new(100, Some(subcode), format!("(#100) {}", message.into()))
    }

    /// Code 190: the token cannot be used.
    pub fn token(subcode: Option<u32>, message: impl Into<String>) -> Self {
        Self::new(190, subcode, message)
    }

    /// Permission errors (codes 10 and 200).
    pub fn permission(code: u32, subcode: Option<u32>, message: impl Into<String>) -> Self {
        Self::new(code, subcode, format!("(#{code}) {}", message.into()))
    }

    /// Any other code, e.g. 551 or 2200.
    pub fn other(code: u32, subcode: Option<u32>, message: impl Into<String>) -> Self {
        Self::new(code, subcode, message)
    }

    pub fn unknown_object(id: &str) -> Self {
        let mut e = Self::param_sub(
            33,
            format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
        );
        e.error_type = "GraphMethodException";
        e.message = e.message.trim_start_matches("(#100) ").to_owned();
        e
    }

    pub fn with_type(mut self, error_type: &'static str) -> Self {
        self.error_type = error_type;
        self
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn transient(mut self) -> Self {
        self.is_transient = Some(true);
        self
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The JSON body, with a fresh `fbtrace_id`.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("message".into(), json!(self.message));
        error.insert("type".into(), json!(self.error_type));
        error.insert("code".into(), json!(self.code));
        if let Some(sub) = self.subcode {
            error.insert("error_subcode".into(), json!(sub));
        }
        if let Some(t) = self.is_transient {
            error.insert("is_transient".into(), json!(t));
        }
        error.insert("fbtrace_id".into(), json!(trace_id()));
        json!({ "error": error })
    }
}

/// A random id like Facebook's `fbtrace_id` / `x-fb-trace-id`.
pub fn trace_id() -> String {
    let s: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(11)
        .map(char::from)
        .collect();
    format!("A{s}")
}

impl IntoResponse for FbError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if self.code == 190 {
            let message = self.message.replace('"', "'");
            if let Ok(v) = HeaderValue::from_str(&format!(
                "OAuth \"Facebook Platform\" \"invalid_token\" \"{message}\""
            )) {
                headers.insert(axum::http::header::WWW_AUTHENTICATE, v);
            }
        }
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_error_names_the_subcode_and_sets_www_authenticate() {
        let response = FbError::token(Some(460), "Error validating access token").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let auth = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(auth.starts_with("OAuth \"Facebook Platform\" \"invalid_token\""));
        let body = FbError::token(Some(460), "x").body();
        assert_eq!(body["error"]["error_subcode"], 460);
        assert_eq!(body["error"]["type"], "OAuthException");
    }
}
