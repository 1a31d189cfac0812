//! The webhook inbox: raw deliveries, written before Facebook is answered 200,
//! then claimed by the inbox worker under a lease.
//!
//! A row is `pending` until every event in it is applied (`done`), or its body
//! cannot be read at all (`failed`, kept with the error for inspection). A
//! worker that dies mid-row leaves the lease to expire; the next claim picks
//! the row up again and the per-event dedupe keys make the repeat harmless.

use jiff::Timestamp;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{ms, new_id, opt_time, time, truncate};
use crate::Store;

/// One claimed delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxRow {
    pub id: String,
    pub received_at: Timestamp,
    /// Exactly the signed bytes.
    pub body: Vec<u8>,
    /// Claims so far, this one included.
    pub attempts: i64,
}

/// A delivery's processing state (for operators and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct InboxEntry {
    pub id: String,
    pub received_at: Timestamp,
    /// `pending`, `done` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub processed_at: Option<Timestamp>,
}

impl Store {
    /// Writes several deliveries in one transaction (group commit) and
    /// returns their ids, in order. Nothing is written if any insert fails.
    pub async fn insert_inbox_batch(
        &self,
        bodies: &[Vec<u8>],
        at: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        let at = truncate(at);
        let mut tx = self.write_tx().await?;
        let mut ids = Vec::with_capacity(bodies.len());
        for body in bodies {
            let id = new_id();
            sqlx::query(
                "INSERT INTO inbox (id, received_at, body, status, attempts)
                 VALUES ($1, $2, $3, 'pending', 0)",
            )
            .bind(&id)
            .bind(ms(at))
            .bind(body.clone())
            .execute(&mut *tx)
            .await
            .context("storing a webhook delivery")?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Claims up to `limit` pending deliveries, oldest first, whose lease
    /// (if any) has run out, and leases them until `now + lease_ms`.
    pub async fn claim_inbox(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let skip_locked = self.dialect().skip_locked();
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT id, received_at, body, attempts FROM inbox
             WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until <= $1)
             ORDER BY id LIMIT $2{skip_locked}"
        );
        let rows = sqlx::query(&sql)
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await
            .context("claiming webhook deliveries")?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id").context("reading a delivery")?;
            sqlx::query(
                "UPDATE inbox SET claimed_until = $1, attempts = attempts + 1 WHERE id = $2",
            )
            .bind(ms(now) + lease_ms)
            .bind(&id)
            .execute(&mut *tx)
            .await
            .context("leasing a webhook delivery")?;
            claimed.push(InboxRow {
                received_at: time(row, "received_at").context("reading a delivery")?,
                body: row.try_get("body").context("reading a delivery")?,
                attempts: row
                    .try_get::<i64, _>("attempts")
                    .context("reading a delivery")?
                    + 1,
                id,
            });
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Every event of the delivery is applied.
    pub async fn inbox_done(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        self.finish_inbox(id, "done", None, at).await
    }

    /// The body cannot be read: kept, with why, and never retried.
    pub async fn inbox_failed(
        &self,
        id: &str,
        error: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.finish_inbox(id, "failed", Some(error), at).await
    }

    async fn finish_inbox(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE inbox SET status = $1, last_error = COALESCE($2, last_error),
                 processed_at = $3, claimed_until = NULL
             WHERE id = $4",
        )
        .bind(status)
        .bind(error)
        .bind(ms(truncate(at)))
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("finishing a webhook delivery")?;
        tx.commit().await
    }

    /// Some events could not be applied yet: keep the row pending and look
    /// again at `retry_at`.
    pub async fn inbox_retry(
        &self,
        id: &str,
        error: &str,
        retry_at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE inbox SET last_error = $1, claimed_until = $2 WHERE id = $3")
            .bind(error)
            .bind(ms(truncate(retry_at)))
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("rescheduling a webhook delivery")?;
        tx.commit().await
    }

    /// Every delivery, oldest first (operators, tests).
    pub async fn list_inbox(&self) -> Result<Vec<InboxEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, received_at, status, attempts, last_error, processed_at
             FROM inbox ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .context("listing webhook deliveries")?;
        rows.iter()
            .map(|row| {
                Ok(InboxEntry {
                    id: row.try_get("id")?,
                    received_at: time(row, "received_at")?,
                    status: row.try_get("status")?,
                    attempts: row.try_get("attempts")?,
                    last_error: row.try_get("last_error")?,
                    processed_at: opt_time(row, "processed_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .context("listing webhook deliveries")
    }

    /// Whether an event with this dedupe key was already applied.
    pub async fn inbox_event_seen(&self, dedupe_key: &str) -> Result<bool, StoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT dedupe_key FROM inbox_events WHERE dedupe_key = $1")
                .bind(dedupe_key)
                .fetch_optional(&self.pool)
                .await
                .context("looking up a processed event")?;
        Ok(found.is_some())
    }
}
