//! Fetches new visitors' names and pictures from the Graph API, in the
//! background: a message never waits for it, and a failing fetch is retried
//! a few times before the visitor is shown as "Unknown".

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use store::VisitorProfile;
use tokio::sync::Notify;

use super::{backoff_ms, notify};
use crate::state::AppState;
use crate::workers::Job;

const LEASE_MS: i64 = 60_000;
/// Tries before the profile is `unavailable`.
pub const MAX_PROFILE_ATTEMPTS: i64 = 5;

pub struct ProfileJob;

#[async_trait::async_trait]
impl Job for ProfileJob {
    fn name(&self) -> &'static str {
        "profiles"
    }

    fn waker(&self, state: &AppState) -> Arc<Notify> {
        state.wake.profiles.clone()
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<usize> {
        let Some(due) = state.store.claim_due_profile(state.now(), LEASE_MS).await? else {
            return Ok(0);
        };
        let visitor = &due.visitor;
        let fetched = fetch(state, visitor).await;
        let updated = match fetched {
            Ok(profile) => {
                state
                    .store
                    .set_visitor_profile(&visitor.account_id, &visitor.id, &profile, state.now())
                    .await?
            }
            Err(e) => {
                let retry_at = (due.attempts < MAX_PROFILE_ATTEMPTS).then(|| {
                    Timestamp::now()
                        + SignedDuration::from_millis(backoff_ms(2_000, due.attempts, 600_000))
                });
                tracing::warn!(visitor_id = %visitor.id, error = %e, attempts = due.attempts,
                    giving_up = retry_at.is_none(), "profile fetch failed");
                state
                    .store
                    .visitor_profile_failed(&visitor.account_id, &visitor.id, retry_at)
                    .await?
            }
        };
        if updated.profile_status != "pending" {
            notify::publish_visitor(state, updated).await;
        }
        Ok(1)
    }
}

async fn fetch(state: &AppState, visitor: &store::Visitor) -> anyhow::Result<VisitorProfile> {
    let token_enc = state
        .store
        .channel_token_enc(&visitor.account_id, &visitor.channel_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the channel has no Page token"))?;
    let token = state.secrets.decrypt(&token_enc)?;
    let profile = state
        .graph
        .user_profile(&visitor.external_id, &token)
        .await?;
    Ok(VisitorProfile {
        name: profile.display_name(),
        first_name: profile.first_name,
        last_name: profile.last_name,
        picture_url: profile.profile_pic,
    })
}
