//! Shapes the Graph API answers with. Ids are read leniently (string or
//! number); tokens arrive as [`Secret`] so they cannot be logged by accident.

use crate::lenient;
use crate::secret::Secret;
use serde::Deserialize;
use serde_json::Value;

/// An OAuth access token (`/oauth/access_token`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AccessToken {
    pub access_token: Secret,
    /// `"bearer"` in practice.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds until expiry; absent for tokens that do not expire.
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub expires_in: Option<i64>,
}

/// `GET /me`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    #[serde(deserialize_with = "lenient::id")]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// One Page of `GET /me/accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PageAccount {
    #[serde(deserialize_with = "lenient::id")]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Page access token; absent when the user lacks a task that grants one.
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// The user's tasks on the Page (`MANAGE`, `MESSAGING`, `MODERATE`, …).
    #[serde(default)]
    pub tasks: Vec<String>,
    /// Picture URL, read from `picture` as a string or `{data:{url}}`.
    #[serde(default, deserialize_with = "picture_url")]
    pub picture: Option<String>,
}

impl PageAccount {
    /// Whether the user holds `task` on this Page.
    pub fn has_task(&self, task: &str) -> bool {
        self.tasks.iter().any(|t| t.eq_ignore_ascii_case(task))
    }

    /// Messaging needs a token from someone with `MESSAGING` and `MODERATE`.
    pub fn can_message(&self) -> bool {
        self.access_token.is_some() && self.has_task("MESSAGING") && self.has_task("MODERATE")
    }
}

fn picture_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) => Some(s),
        Some(v) => v
            .pointer("/data/url")
            .or_else(|| v.get("url"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        None => None,
    })
}

/// One row of `GET /me/permissions`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Permission {
    pub permission: String,
    /// `granted`, `declined` or `expired`.
    pub status: String,
}

impl Permission {
    pub fn is_granted(&self) -> bool {
        self.status == "granted"
    }
}

/// The permissions from `required` that are not granted in `perms`, in the
/// order of `required` (for messages like "pages_messaging was declined").
pub fn missing_permissions<'a>(perms: &[Permission], required: &[&'a str]) -> Vec<&'a str> {
    required
        .iter()
        .copied()
        .filter(|r| !perms.iter().any(|p| p.permission == *r && p.is_granted()))
        .collect()
}

/// `GET /debug_token` → `data`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct TokenInfo {
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub app_id: Option<String>,
    /// `USER`, `PAGE`, `SYSTEM_USER`, `APP`.
    #[serde(default, rename = "type")]
    pub token_type: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub data_access_expires_at: Option<i64>,
    /// Seconds since epoch; `0` means never.
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub expires_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub is_valid: bool,
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub issued_at: Option<i64>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub granular_scopes: Vec<GranularScope>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub profile_id: Option<String>,
    /// Why the token is invalid, when it is.
    #[serde(default)]
    pub error: Option<TokenInfoError>,
}

impl TokenInfo {
    /// Whether `scope` was granted for `target_id` (a Page id). A scope
    /// without `target_ids` in `granular_scopes` applies to every target.
    pub fn grants_for(&self, scope: &str, target_id: &str) -> bool {
        match self.granular_scopes.iter().find(|g| g.scope == scope) {
            Some(g) if !g.target_ids.is_empty() => g.target_ids.iter().any(|t| t == target_id),
            Some(_) => true,
            None => self.scopes.iter().any(|s| s == scope),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GranularScope {
    pub scope: String,
    #[serde(default, deserialize_with = "lenient::ids")]
    pub target_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenInfoError {
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_int")]
    pub subcode: Option<i64>,
}

/// One app of `GET /{page}/subscribed_apps`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscribedApp {
    #[serde(deserialize_with = "lenient::id")]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub subscribed_fields: Vec<String>,
}

/// `GET /{psid}` (User Profile API). Every field but `id` may be missing:
/// an inaccessible profile answers `{}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct Profile {
    #[serde(default, deserialize_with = "lenient::id_or_empty")]
    pub id: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub profile_pic: Option<String>,
}

impl Profile {
    /// The best name to show: `name`, else first + last, else `None`.
    pub fn display_name(&self) -> Option<String> {
        if let Some(n) = self.name.as_deref().filter(|n| !n.trim().is_empty()) {
            return Some(n.to_owned());
        }
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|p| !p.trim().is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// The answer of the Send API. Sender actions answer `recipient_id` only,
/// `user_ref` recipients `message_id` only; `is_reusable` uploads add
/// `attachment_id`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct SendResponse {
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub recipient_id: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    pub attachment_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_picture_is_read_in_both_shapes() {
        let p: PageAccount = serde_json::from_value(json!({
            "id": 1, "name": "P", "access_token": "EAA", "tasks": ["MESSAGING", "MODERATE"],
            "picture": {"data": {"height": 50, "is_silhouette": false, "url": "https://x/p.png", "width": 50}}
        }))
        .unwrap();
        assert_eq!(p.id, "1");
        assert_eq!(p.picture.as_deref(), Some("https://x/p.png"));
        assert!(p.can_message());
        let p: PageAccount =
            serde_json::from_value(json!({"id": "2", "name": "Q", "picture": "https://y"}))
                .unwrap();
        assert_eq!(p.picture.as_deref(), Some("https://y"));
        assert!(!p.can_message());
    }

    #[test]
    fn a_declined_permission_is_named_as_missing() {
        let perms: Vec<Permission> = serde_json::from_value(json!([
            {"permission": "pages_messaging", "status": "granted"},
            {"permission": "pages_read_engagement", "status": "declined"}
        ]))
        .unwrap();
        assert_eq!(
            missing_permissions(
                &perms,
                &[
                    "pages_messaging",
                    "pages_read_engagement",
                    "pages_show_list"
                ]
            ),
            vec!["pages_read_engagement", "pages_show_list"]
        );
    }

    #[test]
    fn granular_scopes_limit_a_permission_to_listed_pages() {
        let t: TokenInfo = serde_json::from_value(json!({
            "app_id": "1", "type": "USER", "is_valid": true, "expires_at": 0,
            "scopes": ["pages_messaging", "pages_show_list"],
            "granular_scopes": [{"scope": "pages_messaging", "target_ids": ["10", 11]}, {"scope": "pages_show_list"}]
        }))
        .unwrap();
        assert!(t.grants_for("pages_messaging", "11"));
        assert!(!t.grants_for("pages_messaging", "12"));
        assert!(t.grants_for("pages_show_list", "12"));
        assert!(!t.grants_for("pages_manage_metadata", "10"));
    }

    #[test]
    fn an_invalid_token_reports_its_error() {
        let t: TokenInfo = serde_json::from_value(json!({
            "app_id": 1, "is_valid": false,
            "error": {"code": 190, "message": "Session has expired", "subcode": 463}
        }))
        .unwrap();
        assert!(!t.is_valid);
        assert_eq!(t.error.unwrap().subcode, Some(463));
    }

    #[test]
    fn an_empty_profile_is_accepted_and_has_no_name() {
        let p: Profile = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p.display_name(), None);
        let p: Profile =
            serde_json::from_value(json!({"first_name": "Peter", "last_name": "Chang", "id": "5"}))
                .unwrap();
        assert_eq!(p.display_name().as_deref(), Some("Peter Chang"));
    }
}
