//! The outbox: outgoing messages are stored first (a `messages` row with
//! status `queued` plus an `outbox` row), then sent by the server's outbox
//! worker, strictly in order per visitor.
//!
//! Claiming leases a row (`in_flight` until `claimed_until`): if the process
//! dies mid-send the lease runs out and the row is claimed again, so only a
//! send that was in flight at the crash may be repeated. Only the head of a
//! visitor's queue (its oldest row not yet done or failed) is ever claimed,
//! and only while its channel is `active` — a disconnected channel's messages
//! simply wait until it is reconnected.

use jiff::{SignedDuration, Timestamp};
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::messages::{attachment_from_row, message_from_row, Attachment, Message};
use crate::rows::{ms, new_id, opt_time, time, truncate};
use crate::{Dialect, Store, ATTACHMENT_COLUMNS, MESSAGE_COLUMNS};

/// A message to send to a visitor.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutgoing {
    pub channel_id: String,
    pub visitor_id: String,
    pub enquiry_id: Option<String>,
    /// `staff` or `system` (welcome/away).
    pub author: &'static str,
    pub staff_id: Option<String>,
    /// `text` or `attachment`.
    pub kind: &'static str,
    /// The final text as sent (display-name prefix already applied).
    pub text: Option<String>,
    /// Written by a person: Messenger's HUMAN_AGENT tag may apply after 24 hours.
    pub is_human: bool,
    pub attachment: Option<NewOutgoingAttachment>,
}

/// A file already stored under `<data dir>/files/<storage_key>`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutgoingAttachment {
    /// `image`, `audio`, `video` or `file`.
    pub kind: String,
    pub content_type: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub storage_key: String,
}

/// A claimed send: the message, its file (if any) and the lease's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxJob {
    pub message: Message,
    pub attachment: Option<Attachment>,
    /// The visitor's channel id (PSID) to send to.
    pub recipient: String,
    /// Written by a person (HUMAN_AGENT tag may apply).
    pub is_human: bool,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// When the message was queued: retries stop a bounded time after it.
    pub queued_at: Timestamp,
}

impl Store {
    /// Stores an outgoing message (`direction = outbound`, `status = queued`,
    /// Send API `metadata` = its own id) and queues it for the outbox worker.
    /// Wake the worker after this returns.
    #[tracing::instrument(skip_all, fields(account_id, channel_id = %new.channel_id))]
    pub async fn enqueue_outgoing(
        &self,
        account_id: &str,
        new: NewOutgoing,
        at: Timestamp,
    ) -> Result<Message, StoreError> {
        let at = truncate(at);
        let id = new_id();
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "INSERT INTO messages (id, account_id, channel_id, visitor_id, enquiry_id, direction,
                 author, staff_id, kind, text, metadata, standby, status, sent_at, created_at)
             VALUES ($1, $2, $3, $4, $5, 'outbound', $6, $7, $8, $9, $10, 0, 'queued', $11, $12)
             RETURNING {MESSAGE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&id)
            .bind(account_id)
            .bind(&new.channel_id)
            .bind(&new.visitor_id)
            .bind(&new.enquiry_id)
            .bind(new.author)
            .bind(&new.staff_id)
            .bind(new.kind)
            .bind(&new.text)
            .bind(&id)
            .bind(ms(at))
            .bind(ms(at))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                if crate::error::is_foreign_key_violation(&e) {
                    StoreError::invalid("visitor_id", "no such visitor")
                } else {
                    crate::error::classify("storing an outgoing message", e)
                }
            })?;
        let message = message_from_row(&row).context("decoding an outgoing message")?;
        if let Some(file) = &new.attachment {
            sqlx::query(
                "INSERT INTO attachments (id, account_id, message_id, position, kind, status,
                     content_type, file_name, size_bytes, storage_key, created_at)
                 VALUES ($1, $2, $3, 0, $4, 'stored', $5, $6, $7, $8, $9)",
            )
            .bind(new_id())
            .bind(account_id)
            .bind(&id)
            .bind(&file.kind)
            .bind(&file.content_type)
            .bind(&file.file_name)
            .bind(file.size_bytes)
            .bind(&file.storage_key)
            .bind(ms(at))
            .execute(&mut *tx)
            .await
            .context("storing an outgoing file")?;
        }
        sqlx::query(
            "INSERT INTO outbox (message_id, account_id, channel_id, visitor_id, status, is_human,
                 attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, 0, $6, $7)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(&new.channel_id)
        .bind(&new.visitor_id)
        .bind(i64::from(new.is_human))
        .bind(ms(at))
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .context("queueing an outgoing message")?;
        tx.commit().await?;
        Ok(message)
    }

    /// Claims the next due send, if any: the head of some visitor's queue on
    /// an active channel that is pending and due, or whose lease ran out (a
    /// crash mid-send). Leases it until `now + lease` and marks the message
    /// `sending`.
    pub async fn claim_outgoing(
        &self,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<Option<OutboxJob>, StoreError> {
        let now = truncate(now);
        let lock = match self.dialect() {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE OF o SKIP LOCKED",
        };
        let sql = format!(
            "SELECT o.message_id, o.account_id, o.is_human, o.attempts, o.created_at,
                    v.external_id AS recipient
             FROM outbox o
             JOIN channels c ON c.account_id = o.account_id AND c.id = o.channel_id
             JOIN visitors v ON v.account_id = o.account_id AND v.id = o.visitor_id
             WHERE c.status = 'active'
               AND ((o.status = 'pending' AND o.next_attempt_at <= $1)
                 OR (o.status = 'in_flight' AND o.claimed_until <= $2))
               AND NOT EXISTS (
                 SELECT 1 FROM outbox p
                 WHERE p.account_id = o.account_id AND p.visitor_id = o.visitor_id
                   AND p.status IN ('pending', 'in_flight', 'held')
                   AND (p.created_at < o.created_at
                        OR (p.created_at = o.created_at AND p.message_id < o.message_id)))
             ORDER BY o.next_attempt_at, o.message_id
             LIMIT 1{lock}"
        );
        let mut tx = self.write_tx().await?;
        let Some(row) = sqlx::query(&sql)
            .bind(ms(now))
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await
            .context("finding a due outgoing message")?
        else {
            return Ok(None);
        };
        let read = |row: &sqlx::any::AnyRow| -> Result<_, sqlx::Error> {
            Ok((
                row.try_get::<String, _>("message_id")?,
                row.try_get::<String, _>("account_id")?,
                row.try_get::<i64, _>("is_human")? != 0,
                row.try_get::<i64, _>("attempts")?,
                time(row, "created_at")?,
                row.try_get::<String, _>("recipient")?,
            ))
        };
        let (message_id, account_id, is_human, attempts, queued_at, recipient) =
            read(&row).context("reading a due outgoing message")?;
        sqlx::query(
            "UPDATE outbox SET status = 'in_flight', attempts = attempts + 1, claimed_until = $1
             WHERE account_id = $2 AND message_id = $3",
        )
        .bind(ms(now + lease))
        .bind(&account_id)
        .bind(&message_id)
        .execute(&mut *tx)
        .await
        .context("claiming an outgoing message")?;
        let sql = format!(
            "UPDATE messages SET status = 'sending'
             WHERE account_id = $1 AND id = $2 RETURNING {MESSAGE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&account_id)
            .bind(&message_id)
            .fetch_one(&mut *tx)
            .await
            .context("marking a message sending")?;
        let message = message_from_row(&row).context("decoding an outgoing message")?;
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments
             WHERE account_id = $1 AND message_id = $2 ORDER BY position LIMIT 1"
        );
        let attachment = sqlx::query(&sql)
            .bind(&account_id)
            .bind(&message_id)
            .fetch_optional(&mut *tx)
            .await
            .context("reading an outgoing file")?
            .map(|row| attachment_from_row(&row))
            .transpose()
            .context("decoding an outgoing file")?;
        tx.commit().await?;
        Ok(Some(OutboxJob {
            message,
            attachment,
            recipient,
            is_human,
            attempts: attempts + 1,
            queued_at,
        }))
    }

    /// The send succeeded: the message is `sent` (unless a delivery or read
    /// receipt already moved it further) with the channel's message id.
    pub async fn outgoing_sent(
        &self,
        account_id: &str,
        message_id: &str,
        external_id: Option<&str>,
    ) -> Result<Message, StoreError> {
        let mut tx = self.write_tx().await?;
        finish_outbox_row(&mut tx, account_id, message_id, "done", None).await?;
        let sql = format!(
            "UPDATE messages SET
                 external_id = COALESCE(external_id, $1),
                 status = CASE WHEN status IN ('queued', 'sending') THEN 'sent' ELSE status END
             WHERE account_id = $2 AND id = $3 RETURNING {MESSAGE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(external_id)
            .bind(account_id)
            .bind(message_id)
            .fetch_optional(&mut *tx)
            .await
            .context("marking a message sent")?
            .ok_or(StoreError::NotFound)?;
        let message = message_from_row(&row).context("decoding a sent message")?;
        tx.commit().await?;
        Ok(message)
    }

    /// The send failed for good: the message is `failed` with the reason
    /// shown to the agent.
    pub async fn outgoing_failed(
        &self,
        account_id: &str,
        message_id: &str,
        code: &str,
        reason: &str,
    ) -> Result<Message, StoreError> {
        let mut tx = self.write_tx().await?;
        finish_outbox_row(&mut tx, account_id, message_id, "failed", Some(reason)).await?;
        let sql = format!(
            "UPDATE messages SET status = 'failed', failure_code = $1, failure_reason = $2
             WHERE account_id = $3 AND id = $4 RETURNING {MESSAGE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(code)
            .bind(reason)
            .bind(account_id)
            .bind(message_id)
            .fetch_optional(&mut *tx)
            .await
            .context("marking a message failed")?
            .ok_or(StoreError::NotFound)?;
        let message = message_from_row(&row).context("decoding a failed message")?;
        tx.commit().await?;
        Ok(message)
    }

    /// The send will be tried again at `next_at` (the message stays `sending`).
    pub async fn outgoing_retry(
        &self,
        account_id: &str,
        message_id: &str,
        next_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE outbox SET status = 'pending', next_attempt_at = $1, claimed_until = NULL,
                 last_error = $2
             WHERE account_id = $3 AND message_id = $4",
        )
        .bind(ms(truncate(next_at)))
        .bind(error)
        .bind(account_id)
        .bind(message_id)
        .execute(&mut *tx)
        .await
        .context("scheduling a retry")?;
        tx.commit().await
    }

    /// The channel lost its access: the message goes back to `queued` and
    /// waits (it is not claimed while the channel is not active). The
    /// attempt is not counted.
    pub async fn outgoing_hold(
        &self,
        account_id: &str,
        message_id: &str,
        error: &str,
    ) -> Result<Message, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE outbox SET status = 'pending', claimed_until = NULL, last_error = $1,
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
             WHERE account_id = $2 AND message_id = $3",
        )
        .bind(error)
        .bind(account_id)
        .bind(message_id)
        .execute(&mut *tx)
        .await
        .context("holding an outgoing message")?;
        let sql = format!(
            "UPDATE messages SET status = 'queued'
             WHERE account_id = $1 AND id = $2 RETURNING {MESSAGE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(account_id)
            .bind(message_id)
            .fetch_optional(&mut *tx)
            .await
            .context("holding an outgoing message")?
            .ok_or(StoreError::NotFound)?;
        let message = message_from_row(&row).context("decoding a held message")?;
        tx.commit().await?;
        Ok(message)
    }

    /// When the outbox worker should look again: the earliest retry or
    /// lease end of a row on an active channel (`None` = nothing waiting).
    pub async fn next_outgoing_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN o.status = 'pending' THEN o.next_attempt_at
                             ELSE o.claimed_until END) AS next_at
             FROM outbox o
             JOIN channels c ON c.account_id = o.account_id AND c.id = o.channel_id
             WHERE c.status = 'active' AND o.status IN ('pending', 'in_flight')",
        )
        .fetch_one(&self.pool)
        .await
        .context("reading the next outgoing time")?;
        opt_time(&row, "next_at").context("reading the next outgoing time")
    }
}

async fn finish_outbox_row(
    tx: &mut crate::WriteTx<'_>,
    account_id: &str,
    message_id: &str,
    status: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE outbox SET status = $1, claimed_until = NULL, last_error = COALESCE($2, last_error)
         WHERE account_id = $3 AND message_id = $4",
    )
    .bind(status)
    .bind(error)
    .bind(account_id)
    .bind(message_id)
    .execute(&mut **tx)
    .await
    .context("finishing an outgoing message")?;
    Ok(())
}
