//! The connection check: the Messenger guide's "Help and Support" steps,
//! done by the product. (1) the Page token is valid (`debug_token`), (2) each
//! of the four permissions is still granted for the Page, (3) the app is
//! subscribed to each webhook field the product needs (`subscribed_apps`) —
//! a lost subscription (Facebook drops it after an hour of failed webhooks)
//! is repaired on the spot.
//!
//! A failed token or permission step disconnects the channel with the
//! precise reason ("pages_messaging was revoked"). A check that could not
//! reach Facebook says so and changes nothing. [`ChannelCheckJob`] runs the
//! check for every connected channel every `channel_check_interval_secs`.

use std::sync::Arc;
use std::time::Duration;

use messenger::graph::{ErrorClass, GraphError, TokenInfo, MESSENGER_FIELDS};
use serde::Serialize;
use tokio::sync::Notify;
use utoipa::ToSchema;

use crate::channels::{disconnect, permissions};
use crate::state::AppState;
use crate::workers::Job;

/// One step of the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CheckStep {
    /// `token`, `permission:pages_messaging`, `subscription:messages`, …
    pub step: String,
    /// `ok`, `failed`, `repaired` (re-subscribed), or `skipped` (an
    /// earlier step failed or Facebook could not be reached).
    pub status: &'static str,
    /// Why it failed, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The result of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CheckReport {
    /// Every step passed (or was repaired).
    pub ok: bool,
    /// Facebook could not be asked; nothing was concluded.
    pub inconclusive: bool,
    /// The first failed step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
    /// Set when the failure means Page access is gone: the channel is
    /// disconnected with this reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disconnect_reason: Option<String>,
    pub steps: Vec<CheckStep>,
    #[schema(value_type = String)]
    pub checked_at: jiff::Timestamp,
}

fn step(name: impl Into<String>, status: &'static str, reason: Option<String>) -> CheckStep {
    CheckStep {
        step: name.into(),
        status,
        reason,
    }
}

/// What `debug_token` says about the Page token, as steps: the token, then
/// each permission. Pure, so every verdict is unit-tested.
pub fn judge_token(info: &TokenInfo, page_id: &str) -> (Vec<CheckStep>, Option<String>) {
    let mut steps = Vec::new();
    if !info.is_valid {
        let why = info
            .error
            .as_ref()
            .and_then(|e| e.message.clone())
            .unwrap_or_else(|| "Facebook says the token is invalid".into());
        let reason = format!("the Page access token is no longer valid ({why})");
        steps.push(step("token", "failed", Some(reason.clone())));
        for (permission, _) in permissions::REQUIRED {
            steps.push(step(format!("permission:{permission}"), "skipped", None));
        }
        return (steps, Some(reason));
    }
    steps.push(step("token", "ok", None));
    let mut reason = None;
    for (permission, toggle) in permissions::REQUIRED {
        if info.grants_for(permission, page_id) {
            steps.push(step(format!("permission:{permission}"), "ok", None));
        } else {
            let why = format!("{permission} was revoked");
            steps.push(step(
                format!("permission:{permission}"),
                "failed",
                Some(format!(
                    "{why}; log in with Facebook again and turn on “{toggle}”"
                )),
            ));
            reason.get_or_insert(why);
        }
    }
    (steps, reason)
}

/// The fields from `needed` missing from `subscribed`.
pub fn missing_fields<'a>(subscribed: &[String], needed: &[&'a str]) -> Vec<&'a str> {
    needed
        .iter()
        .copied()
        .filter(|f| !subscribed.iter().any(|s| s == f))
        .collect()
}

/// Whether a Graph error means Page access itself is gone.
fn access_lost(e: &GraphError) -> bool {
    matches!(
        e.class(),
        ErrorClass::TokenLost | ErrorClass::PermissionMissing
    )
}

/// Runs the check for one channel, records it, and disconnects the channel
/// when Page access is gone.
#[tracing::instrument(skip(state))]
pub async fn run(
    state: &AppState,
    account_id: &str,
    channel_id: &str,
) -> Result<CheckReport, crate::error::ApiError> {
    let channel = state.store.get_channel(account_id, channel_id).await?;
    let checked_at = state.now();
    let token = match state
        .store
        .channel_token_enc(account_id, channel_id)
        .await?
    {
        Some(enc) => Some(
            state
                .secrets
                .decrypt(&enc)
                .map_err(|e| e.context("opening a Page token"))?,
        ),
        None => None,
    };
    let mut report = match token {
        None => CheckReport {
            ok: false,
            inconclusive: false,
            failed_step: Some("token".into()),
            disconnect_reason: Some("the channel holds no Page access token".into()),
            steps: vec![step(
                "token",
                "failed",
                Some("the channel holds no Page access token".into()),
            )],
            checked_at,
        },
        Some(token) => check_with_token(state, &channel.page_id, &token, checked_at).await,
    };
    if report.failed_step.is_none() {
        report.failed_step = report
            .steps
            .iter()
            .find(|s| s.status == "failed")
            .map(|s| s.step.clone());
    }
    report.ok = !report.inconclusive && report.failed_step.is_none();
    let json = serde_json::to_value(&report).unwrap_or_default();
    state
        .store
        .record_channel_check(account_id, channel_id, checked_at, &json)
        .await?;
    if let Some(reason) = &report.disconnect_reason {
        disconnect(state, account_id, channel_id, reason).await?;
    }
    Ok(report)
}

async fn check_with_token(
    state: &AppState,
    page_id: &str,
    token: &str,
    checked_at: jiff::Timestamp,
) -> CheckReport {
    let inconclusive = |steps: Vec<CheckStep>| CheckReport {
        ok: false,
        inconclusive: true,
        failed_step: None,
        disconnect_reason: None,
        steps,
        checked_at,
    };
    let info = match state.graph.debug_token(token).await {
        Ok(info) => info,
        Err(e) => {
            return inconclusive(vec![step(
                "token",
                "skipped",
                Some(format!("Facebook could not be asked: {e}")),
            )])
        }
    };
    let (mut steps, disconnect_reason) = judge_token(&info, page_id);
    if disconnect_reason.is_some() {
        for field in MESSENGER_FIELDS {
            steps.push(step(format!("subscription:{field}"), "skipped", None));
        }
        return CheckReport {
            ok: false,
            inconclusive: false,
            failed_step: None,
            disconnect_reason,
            steps,
            checked_at,
        };
    }
    let app_id = &state.config.facebook_app_id;
    let subscribed = match state.graph.subscribed_apps(page_id, token).await {
        Ok(apps) => apps
            .into_iter()
            .find(|a| &a.id == app_id)
            .map(|a| a.subscribed_fields)
            .unwrap_or_default(),
        Err(e) if access_lost(&e) => {
            let reason = format!("Facebook refused to show the Page's subscriptions: {e}");
            steps.push(step("subscription", "failed", Some(reason.clone())));
            return CheckReport {
                ok: false,
                inconclusive: false,
                failed_step: Some("subscription".into()),
                disconnect_reason: Some(reason),
                steps,
                checked_at,
            };
        }
        Err(e) => {
            steps.push(step(
                "subscription",
                "skipped",
                Some(format!("Facebook could not be asked: {e}")),
            ));
            return inconclusive(steps);
        }
    };
    let missing = missing_fields(&subscribed, &MESSENGER_FIELDS);
    let repaired = if missing.is_empty() {
        Ok(())
    } else {
        state
            .graph
            .subscribe_app(page_id, token, &MESSENGER_FIELDS)
            .await
    };
    for field in MESSENGER_FIELDS {
        let (status, reason) = match (&repaired, missing.contains(&field)) {
            (_, false) => ("ok", None),
            (Ok(()), true) => (
                "repaired",
                Some(format!(
                    "the app was not subscribed to {field}; subscribed it again"
                )),
            ),
            (Err(e), true) => (
                "failed",
                Some(format!(
                    "the app is not subscribed to {field} and re-subscribing failed: {e}"
                )),
            ),
        };
        steps.push(step(format!("subscription:{field}"), status, reason));
    }
    let disconnect_reason = match &repaired {
        Err(e) if access_lost(e) => Some(format!(
            "the app could not be subscribed to the Page again: {e}"
        )),
        _ => None,
    };
    CheckReport {
        ok: false,
        inconclusive: false,
        failed_step: None,
        disconnect_reason,
        steps,
        checked_at,
    }
}

/// Checks every connected channel every `channel_check_interval_secs`, so a
/// revoked permission is found before a visitor's reply fails.
pub struct ChannelCheckJob {
    notify: Arc<Notify>,
}

impl ChannelCheckJob {
    pub fn new() -> Self {
        Self {
            notify: Arc::new(Notify::new()),
        }
    }
}

impl Default for ChannelCheckJob {
    fn default() -> Self {
        Self::new()
    }
}

/// Channels checked per batch.
const BATCH: i64 = 20;

#[async_trait::async_trait]
impl Job for ChannelCheckJob {
    fn name(&self) -> &'static str {
        "channel_check"
    }

    fn waker(&self, _state: &AppState) -> Arc<Notify> {
        self.notify.clone()
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_secs(1)
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<usize> {
        let now = state.now();
        let interval =
            jiff::SignedDuration::from_secs(state.config.channel_check_interval_secs as i64);
        let due_before = now.checked_sub(interval)?;
        let due = state
            .store
            .claim_due_channel_checks(due_before, now, BATCH)
            .await?;
        for check in &due {
            if let Err(e) = run(state, &check.account_id, &check.channel_id).await {
                // One channel's failure must not stop the others' checks.
                tracing::warn!(channel_id = %check.channel_id, error = %e,
                    "scheduled connection check failed");
            }
        }
        Ok(due.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use messenger::graph::{GranularScope, TokenInfoError};

    fn valid(scopes: &[&str]) -> TokenInfo {
        TokenInfo {
            is_valid: true,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_token_with_every_permission_passes() {
        let all: Vec<&str> = permissions::REQUIRED.iter().map(|(p, _)| *p).collect();
        let (steps, reason) = judge_token(&valid(&all), "page-1");
        assert_eq!(reason, None);
        assert!(steps.iter().all(|s| s.status == "ok"), "{steps:?}");
        assert_eq!(steps.len(), 5);
    }

    #[test]
    fn a_revoked_permission_is_the_disconnect_reason() {
        let info = valid(&[
            "pages_show_list",
            "pages_read_engagement",
            "pages_manage_metadata",
        ]);
        let (steps, reason) = judge_token(&info, "page-1");
        assert_eq!(reason.as_deref(), Some("pages_messaging was revoked"));
        let failed = steps.iter().find(|s| s.status == "failed").unwrap();
        assert_eq!(failed.step, "permission:pages_messaging");
        assert!(failed
            .reason
            .as_ref()
            .unwrap()
            .contains("Manage and access Page conversations in Messenger"));
    }

    #[test]
    fn a_permission_granted_for_other_pages_only_counts_as_revoked() {
        let mut info = valid(&["pages_messaging"]);
        info.granular_scopes = vec![GranularScope {
            scope: "pages_messaging".into(),
            target_ids: vec!["other-page".into()],
        }];
        let (_, reason) = judge_token(&info, "page-1");
        assert_eq!(reason.as_deref(), Some("pages_messaging was revoked"));
    }

    #[test]
    fn an_invalid_token_says_why_and_skips_the_permissions() {
        let info = TokenInfo {
            is_valid: false,
            error: Some(TokenInfoError {
                code: Some(190),
                message: Some("The session has been invalidated".into()),
                subcode: Some(460),
            }),
            ..Default::default()
        };
        let (steps, reason) = judge_token(&info, "page-1");
        assert!(reason.unwrap().contains("The session has been invalidated"));
        assert_eq!(steps[0].status, "failed");
        assert!(steps[1..].iter().all(|s| s.status == "skipped"));
    }

    #[test]
    fn missing_fields_keep_the_needed_order() {
        let subscribed = vec!["messages".to_string(), "standby".to_string()];
        assert_eq!(
            missing_fields(
                &subscribed,
                &["messages", "message_reads", "standby", "message_edits"]
            ),
            vec!["message_reads", "message_edits"]
        );
    }
}
