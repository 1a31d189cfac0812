//! The per-account event log that agents' browsers catch up from. Each
//! account numbers its events 1, 2, 3, … (`accounts.event_seq`), so a client
//! that reconnects asks for everything after the last number it saw.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{ms, time, truncate};
use crate::Store;

/// One stored event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub account_id: String,
    pub seq: i64,
    /// `None` = for everyone in the account; otherwise only this staff member.
    pub staff_id: Option<String>,
    pub kind: String,
    /// JSON text.
    pub payload: String,
    pub created_at: Timestamp,
}

fn from_row(row: &AnyRow) -> Result<StoredEvent, sqlx::Error> {
    Ok(StoredEvent {
        account_id: row.try_get("account_id")?,
        seq: row.try_get("seq")?,
        staff_id: row.try_get("staff_id")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        created_at: time(row, "created_at")?,
    })
}

impl Store {
    /// Appends an event with the account's next sequence number.
    #[tracing::instrument(skip_all, fields(account_id = %account_id, kind = %kind))]
    pub async fn append_event(
        &self,
        account_id: &str,
        staff_id: Option<&str>,
        kind: &str,
        payload: &str,
        at: Timestamp,
    ) -> Result<StoredEvent, StoreError> {
        let at = truncate(at);
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "UPDATE accounts SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq",
        )
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await
        .context("numbering an event")?
        .ok_or(StoreError::NotFound)?;
        let seq: i64 = row
            .try_get("event_seq")
            .context("reading the event number")?;
        sqlx::query(
            "INSERT INTO events (account_id, seq, staff_id, kind, payload, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(account_id)
        .bind(seq)
        .bind(staff_id)
        .bind(kind)
        .bind(payload)
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .context("storing an event")?;
        tx.commit().await?;
        Ok(StoredEvent {
            account_id: account_id.to_owned(),
            seq,
            staff_id: staff_id.map(str::to_owned),
            kind: kind.to_owned(),
            payload: payload.to_owned(),
            created_at: at,
        })
    }

    /// Events after `after_seq` that `staff_id` may see, oldest first.
    #[tracing::instrument(skip_all, fields(account_id = %account_id, after_seq = after_seq))]
    pub async fn events_since(
        &self,
        account_id: &str,
        staff_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT account_id, seq, staff_id, kind, payload, created_at FROM events
             WHERE account_id = $1 AND seq > $2 AND (staff_id IS NULL OR staff_id = $3)
             ORDER BY seq LIMIT $4",
        )
        .bind(account_id)
        .bind(after_seq)
        .bind(staff_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("reading events")?;
        rows.iter()
            .map(from_row)
            .collect::<Result<_, _>>()
            .context("decoding events")
    }

    /// The account's latest event number (0 when it has none).
    pub async fn latest_event_seq(&self, account_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT event_seq FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await
            .context("reading the event number")?
            .ok_or(StoreError::NotFound)?;
        row.try_get("event_seq").context("reading the event number")
    }

    /// Forgets events older than `before` (catch-up covers recent gaps only).
    pub async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM events WHERE created_at < $1")
            .bind(ms(before))
            .execute(&mut *tx)
            .await
            .context("pruning events")?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
