//! Retention: deleting what would otherwise grow forever — processed webhook
//! deliveries and their dedupe keys, the browsers' event log, expired
//! sessions and old login failures. The server's retention job calls
//! [`Store::apply_retention`] periodically with cut-offs from its
//! configuration.
//!
//! The two tables that take every webhook (`inbox`, `inbox_events`) are
//! pruned in bounded batches so one run never holds the write lock (SQLite)
//! or a long transaction (PostgreSQL) for long; the caller repeats while a
//! run removed anything. Pending and failed deliveries are never pruned:
//! pending ones still have work to do, failed ones are kept for inspection.

use jiff::Timestamp;

use crate::error::{Context, StoreError};
use crate::rows::ms;
use crate::Store;

/// What to delete: everything older than these instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionCutoffs {
    /// `done` inbox rows processed before this, and dedupe keys recorded
    /// before this. A redelivery of an event older than this would be
    /// applied again, so keep it well beyond Facebook's retry period.
    pub inbox_before: Timestamp,
    /// Browser events created before this (catch-up after a reconnect reaches
    /// back no further).
    pub events_before: Timestamp,
    /// Sessions that expired at or before this (normally now).
    pub sessions_expired_by: Timestamp,
    /// Login failures before this (now minus the throttle window: older
    /// ones no longer count).
    pub login_failures_before: Timestamp,
}

/// How many rows one retention run removed, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub inbox: u64,
    pub inbox_events: u64,
    pub events: u64,
    pub sessions: u64,
    pub login_failures: u64,
}

impl Pruned {
    /// Rows removed in all.
    pub fn total(&self) -> u64 {
        self.inbox + self.inbox_events + self.events + self.sessions + self.login_failures
    }
}

impl Store {
    /// Deletes up to `limit` `done` inbox rows processed before `before`,
    /// oldest first; returns how many.
    #[tracing::instrument(skip(self))]
    pub async fn prune_inbox(&self, before: Timestamp, limit: i64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "DELETE FROM inbox WHERE id IN (
                 SELECT id FROM inbox
                 WHERE status = 'done' AND processed_at < $1
                 ORDER BY id LIMIT $2)",
        )
        .bind(ms(before))
        .bind(limit)
        .execute(&mut *tx)
        .await
        .context("pruning processed webhook deliveries")?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Deletes up to `limit` dedupe keys recorded before `before`; returns
    /// how many.
    #[tracing::instrument(skip(self))]
    pub async fn prune_inbox_events(
        &self,
        before: Timestamp,
        limit: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "DELETE FROM inbox_events WHERE dedupe_key IN (
                 SELECT dedupe_key FROM inbox_events
                 WHERE processed_at < $1
                 ORDER BY processed_at LIMIT $2)",
        )
        .bind(ms(before))
        .bind(limit)
        .execute(&mut *tx)
        .await
        .context("pruning processed event keys")?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// One retention run: at most `batch` rows each of the inbox and its
    /// dedupe keys, and everything due in the smaller tables. Call again
    /// while [`Pruned::total`] is not zero.
    pub async fn apply_retention(
        &self,
        cutoffs: &RetentionCutoffs,
        batch: i64,
    ) -> Result<Pruned, StoreError> {
        Ok(Pruned {
            inbox: self.prune_inbox(cutoffs.inbox_before, batch).await?,
            inbox_events: self.prune_inbox_events(cutoffs.inbox_before, batch).await?,
            events: self.prune_events(cutoffs.events_before).await?,
            sessions: self
                .delete_expired_sessions(cutoffs.sessions_expired_by)
                .await?,
            login_failures: self
                .prune_login_failures(cutoffs.login_failures_before)
                .await?,
        })
    }
}
