//! Failed login attempts, counted per key (an e-mail, a client address) in a
//! sliding window, so the server can slow down password guessing. The policy
//! (how many, how long) is the server's; this only records and counts.

use jiff::Timestamp;

use crate::error::{Context, StoreError};
use crate::rows::{ms, truncate};
use crate::Store;

impl Store {
    #[tracing::instrument(skip_all)]
    pub async fn record_login_failure(&self, key: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(ms(truncate(at)))
            .execute(&mut *tx)
            .await
            .context("recording a login failure")?;
        tx.commit().await
    }

    /// Failures for `key` at or after `since`.
    #[tracing::instrument(skip_all)]
    pub async fn count_login_failures(
        &self,
        key: &str,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2")
            .bind(key)
            .bind(ms(since))
            .fetch_one(&self.pool)
            .await
            .context("counting login failures")
    }

    /// Forgets the failures for `key` (after a successful login).
    #[tracing::instrument(skip_all)]
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&mut *tx)
            .await
            .context("clearing login failures")?;
        tx.commit().await
    }

    /// Deletes failures older than `before`, for every key; returns how many.
    /// Run periodically so the table stays as small as the window.
    #[tracing::instrument(skip(self))]
    pub async fn prune_login_failures(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(ms(before))
            .execute(&mut *tx)
            .await
            .context("pruning login failures")?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
