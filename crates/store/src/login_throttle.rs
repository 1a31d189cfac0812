//! Failed login attempts, counted per key (an e-mail, a client address) in a
//! sliding window, so the server can slow down password guessing. The policy
//! (how many, how long) is the server's; this only records and counts.
//!
//! An attempt is *reserved* — counted as a failure — before its password is
//! checked, atomically with the check of the limits, so any number of
//! parallel guesses cannot all pass; a successful attempt is then taken back.

use jiff::Timestamp;

use crate::error::{Context, StoreError};
use crate::rows::{ms, truncate};
use crate::Store;

/// The limit of one key in [`Store::reserve_login_attempt`].
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimit<'a> {
    pub key: &'a str,
    /// Attempts allowed within the window.
    pub max: i64,
}

impl Store {
    /// Counts an attempt against every key, unless one of them has already
    /// used up its attempts since `since`: then nothing is recorded and the
    /// answer is `None`. Otherwise the answer names the attempt, for
    /// [`Store::forget_login_attempt`] when it succeeds.
    #[tracing::instrument(skip_all)]
    pub async fn reserve_login_attempt(
        &self,
        limits: &[AttemptLimit<'_>],
        at: Timestamp,
        since: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(lock) = self.dialect().lock_key() {
            let mut keys: Vec<&str> = limits.iter().map(|l| l.key).collect();
            keys.sort_unstable(); // one order for every transaction: no deadlock
            for key in keys {
                sqlx::query(lock)
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .context("locking a login throttle key")?;
            }
        }
        for limit in limits {
            let used: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2",
            )
            .bind(limit.key)
            .bind(ms(since))
            .fetch_one(&mut *tx)
            .await
            .context("counting login attempts")?;
            if used >= limit.max {
                return Ok(None);
            }
        }
        let attempt = uuid::Uuid::new_v4().to_string();
        for limit in limits {
            sqlx::query("INSERT INTO login_failures (key, at, attempt_id) VALUES ($1, $2, $3)")
                .bind(limit.key)
                .bind(ms(truncate(at)))
                .bind(&attempt)
                .execute(&mut *tx)
                .await
                .context("reserving a login attempt")?;
        }
        tx.commit().await?;
        Ok(Some(attempt))
    }

    /// Takes back a reserved attempt that succeeded.
    #[tracing::instrument(skip_all)]
    pub async fn forget_login_attempt(&self, attempt: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM login_failures WHERE attempt_id = $1")
            .bind(attempt)
            .execute(&mut *tx)
            .await
            .context("forgetting a login attempt")?;
        tx.commit().await
    }

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
