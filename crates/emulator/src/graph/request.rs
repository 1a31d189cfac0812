//! One extractor for every Graph call: query string, JSON, form-encoded and
//! multipart bodies are merged into parameters, as Graph accepts them all.
//! Also token authentication (`appsecret_proof` included) and fault injection.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::fb_error::FbError;
use crate::world::{Caller, World};
use crate::AppState;

/// A file sent as multipart `filedata`.
pub struct Upload {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: bytes::Bytes,
}

pub struct GraphRequest {
    pub params: HashMap<String, String>,
    pub json: Option<Map<String, Value>>,
    pub file: Option<Upload>,
    pub bearer: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for GraphRequest {
    type Rejection = FbError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut params: HashMap<String, String> = req
            .uri()
            .query()
            .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .collect();
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("OAuth "))
                    .map(|t| t.trim().to_owned())
            });
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut json = None;
        let mut file = None;
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(req, state)
                .await
                .map_err(|e| FbError::param(format!("Invalid multipart body: {e}")))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| FbError::param(format!("Invalid multipart body: {e}")))?
            {
                let name = field.name().unwrap_or_default().to_owned();
                if name == "filedata" {
                    let filename = field.file_name().map(str::to_owned);
                    let content_type = field.content_type().map(str::to_owned);
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|e| FbError::param(format!("Invalid filedata: {e}")))?;
                    file = Some(Upload {
                        filename,
                        content_type,
                        bytes,
                    });
                } else {
                    let text = field
                        .text()
                        .await
                        .map_err(|e| FbError::param(format!("Invalid field {name}: {e}")))?;
                    params.insert(name, text);
                }
            }
        } else {
            let body = axum::body::Bytes::from_request(req, state)
                .await
                .map_err(|e| FbError::param(format!("Cannot read the request body: {e}")))?;
            if content_type.starts_with("application/json") && !body.is_empty() {
                match serde_json::from_slice::<Value>(&body) {
                    Ok(Value::Object(map)) => json = Some(map),
                    _ => return Err(FbError::param("The request body is not a JSON object")),
                }
            } else if !body.is_empty() {
                let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                    .map_err(|_| FbError::param("Cannot parse the form-encoded body"))?;
                params.extend(pairs);
            }
        }
        Ok(Self {
            params,
            json,
            file,
            bearer,
        })
    }
}

impl GraphRequest {
    pub fn token(&self) -> Option<String> {
        self.param_str("access_token")
            .or_else(|| self.bearer.clone())
    }

    /// A parameter as JSON: objects from a JSON body as they are; form and
    /// query values (which carry JSON strings) parsed, or kept as strings.
    pub fn field(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.json.as_ref().and_then(|j| j.get(name)) {
            return Some(v.clone());
        }
        let raw = self.params.get(name)?;
        Some(serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.clone())))
    }

    /// A parameter as a plain string.
    pub fn param_str(&self, name: &str) -> Option<String> {
        if let Some(v) = self.json.as_ref().and_then(|j| j.get(name)) {
            return match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            };
        }
        self.params.get(name).cloned()
    }

    /// A comma-separated (or JSON array) list parameter.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        match self.field(name)? {
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ),
            Value::String(s) => Some(
                s.split(',')
                    .map(|x| x.trim().to_owned())
                    .filter(|x| !x.is_empty())
                    .collect(),
            ),
            _ => None,
        }
    }
}

pub fn appsecret_proof(app_secret: &str, token: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The call's access token; Facebook's error 104 when there is none.
fn required_token(req: &GraphRequest) -> Result<String, FbError> {
    req.token().ok_or_else(|| {
        FbError::other(
            104,
            None,
            "An access token is required to request this resource.",
        )
    })
}

/// Checks the access token of a user or Page call, with `appsecret_proof`.
pub fn authenticate(world: &World, req: &GraphRequest) -> Result<Caller, FbError> {
    let token = required_token(req)?;
    match req.param_str("appsecret_proof") {
        Some(proof) if !proof.eq_ignore_ascii_case(&appsecret_proof(&world.app_secret, &token)) => {
            return Err(FbError::other(
                100,
                None,
                "Invalid appsecret_proof provided in the API argument",
            )
            .with_type("GraphMethodException"));
        }
        Some(_) => {}
        None if world.require_appsecret_proof => {
            return Err(FbError::other(
                100,
                None,
                "API calls from the server require an appsecret_proof argument",
            )
            .with_type("GraphMethodException"));
        }
        None => {}
    }
    world.check_token(&token)
}

/// Checks an app access token `{app-id}|{app-secret}`.
pub fn authenticate_app(world: &World, req: &GraphRequest) -> Result<(), FbError> {
    let token = required_token(req)?;
    if token == format!("{}|{}", world.app_id, world.app_secret) {
        Ok(())
    } else if token.contains('|') {
        Err(FbError::token(
            None,
            "Invalid OAuth access token signature.",
        ))
    } else {
        Err(FbError::token(
            None,
            "Invalid OAuth access token - Cannot parse access token",
        ))
    }
}

/// What a Page-level call needs of a Page token's user beyond the token: a
/// granted permission, the Page granted to the app, and a task on the Page
/// (`MANAGE` always counts). The error codes are Facebook's, which differ
/// per API.
pub struct PageRole {
    pub permission: &'static str,
    pub permission_code: u32,
    pub task: &'static str,
    pub task_subcode: Option<u32>,
    pub task_message: &'static str,
}

/// Checks, in Facebook's order, that `user_id` may act on `page_id` in `role`.
pub fn check_page_role(
    world: &World,
    user_id: &str,
    page_id: &str,
    role: &PageRole,
) -> Result<(), FbError> {
    if !world.has_permission(user_id, role.permission) {
        return Err(FbError::permission(
            role.permission_code,
            None,
            format!(
                "Requires {} permission to manage the object",
                role.permission
            ),
        ));
    }
    if !world.page_granted(user_id, page_id) {
        return Err(FbError::permission(
            200,
            None,
            "The user has not granted this app access to the Page",
        ));
    }
    let tasks = world.tasks_of(user_id, page_id);
    if !tasks.iter().any(|t| t == role.task || t == "MANAGE") {
        return Err(FbError::permission(
            200,
            role.task_subcode,
            role.task_message,
        ));
    }
    Ok(())
}

/// Rejects anything but a `vNN.N` version segment.
pub fn check_version(ver: &str) -> Result<(), FbError> {
    let ok = ver
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        });
    if ok {
        Ok(())
    } else {
        Err(FbError::other(
            2500,
            None,
            "Unknown path components: /".to_owned() + ver,
        ))
    }
}

/// Applies the fault injected on `endpoint`, if any: latency first, then the
/// scripted error. `usage_id` names the Page in `X-Business-Use-Case-Usage`.
pub async fn apply_fault(
    state: &AppState,
    endpoint: &str,
    usage_id: Option<&str>,
) -> Result<(), FbError> {
    let fault = state.lock().take_fault(endpoint);
    let Some(fault) = fault else { return Ok(()) };
    if fault.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.latency_ms)).await;
    }
    if let Some(status) = fault.status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(FbError::other(
            2,
            None,
            "An unexpected error has occurred. Please retry your request later.",
        )
        .transient()
        .with_status(status));
    }
    if let Some(code) = fault.rate_limit {
        let id = usage_id.unwrap_or("0").to_owned();
        let usage = json!({ id: [{
            "type": "messenger",
            "call_count": 100,
            "total_cputime": 30,
            "total_time": 40,
            "estimated_time_to_regain_access": fault.regain_access_minutes.unwrap_or(5)
        }]});
        let message = if code == 613 {
            "(#613) Calls to this api have exceeded the rate limit."
        } else {
            "(#80006) There have been too many messages sent to this Messenger thread. Please wait before sending more messages."
        };
        return Err(FbError::other(code, None, message)
            .transient()
            .with_header("x-business-use-case-usage", usage.to_string()));
    }
    if fault.error_1200 {
        return Err(FbError::other(
            1200,
            None,
            "(#1200) Temporary send message failure. Please try again later",
        )
        .transient());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_numbered_version_is_accepted_and_other_prefixes_are_not() {
        for ok in ["v25.0", "v2.12", "v100.0"] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        for bad in ["25.0", "v25", "vX.0", "latest", "v.0"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn appsecret_proof_is_lowercase_hex_hmac_sha256_of_the_token() {
        let proof = appsecret_proof("secret", "token");
        assert_eq!(proof.len(), 64);
        assert_eq!(proof, proof.to_lowercase());
        assert_eq!(proof, messenger::graph::appsecret_proof("secret", "token"));
    }
}
