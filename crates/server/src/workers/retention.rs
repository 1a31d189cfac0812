//! The retention job: deletes what would otherwise grow forever — processed
//! webhook deliveries and their dedupe keys (after `inbox_retention_days`),
//! the browsers' event log (after `event_retention_days`), expired sessions,
//! and login failures older than the throttle window.
//!
//! It runs at start-up and then every [`INTERVAL`]; a run deletes at most
//! [`BATCH`] deliveries and keys, and the worker loop runs it again at once
//! while it still finds rows, so a large backlog is worked off in short
//! transactions that never keep webhooks waiting.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use store::RetentionCutoffs;
use tokio::sync::Notify;

use crate::config::Config;
use crate::state::AppState;
use crate::workers::Job;

/// How often the job looks for something to delete.
pub const INTERVAL: Duration = Duration::from_secs(10 * 60);
/// Deliveries (and, separately, dedupe keys) deleted per run.
pub const BATCH: i64 = 1_000;

/// The retention [`Job`].
pub struct RetentionJob {
    inbox_retention: SignedDuration,
    event_retention: SignedDuration,
    /// Nobody has work for this job; it only wakes on its interval.
    notify: Arc<Notify>,
}

impl RetentionJob {
    pub fn new(config: &Config) -> Self {
        Self {
            inbox_retention: days(config.inbox_retention_days),
            event_retention: days(config.event_retention_days),
            notify: Arc::new(Notify::new()),
        }
    }

    /// What is old enough to go at `now`.
    pub fn cutoffs(&self, now: Timestamp) -> RetentionCutoffs {
        RetentionCutoffs {
            inbox_before: now - self.inbox_retention,
            events_before: now - self.event_retention,
            sessions_expired_by: now,
            login_failures_before: now - crate::auth::throttle::WINDOW,
        }
    }
}

fn days(n: u64) -> SignedDuration {
    SignedDuration::from_hours(i64::try_from(n.saturating_mul(24)).unwrap_or(i64::MAX / 3600))
}

#[async_trait::async_trait]
impl Job for RetentionJob {
    fn name(&self) -> &'static str {
        "retention"
    }

    fn waker(&self, _state: &AppState) -> Arc<Notify> {
        self.notify.clone()
    }

    fn poll_interval(&self) -> Duration {
        INTERVAL
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<usize> {
        let pruned = state
            .store
            .apply_retention(&self.cutoffs(state.now()), BATCH)
            .await?;
        if pruned.total() > 0 {
            tracing::info!(?pruned, "retention deleted old rows");
        }
        Ok(usize::try_from(pruned.total()).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoffs_follow_the_configured_retention_and_the_throttle_window() {
        let mut config =
            Config::load(Default::default(), Default::default(), Default::default()).unwrap();
        config.inbox_retention_days = 2;
        config.event_retention_days = 9;
        let job = RetentionJob::new(&config);
        let now: Timestamp = "2026-03-10T12:00:00Z".parse().unwrap();
        assert_eq!(
            job.cutoffs(now),
            RetentionCutoffs {
                inbox_before: "2026-03-08T12:00:00Z".parse().unwrap(),
                events_before: "2026-03-01T12:00:00Z".parse().unwrap(),
                sessions_expired_by: now,
                login_failures_before: "2026-03-10T11:45:00Z".parse().unwrap(),
            }
        );
    }
}
