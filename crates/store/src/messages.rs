//! Messages of a visitor's conversation, in both directions, and their files.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{opt_time, time};
use crate::Store;

/// One message. Outbound text is stored exactly as sent (display-name
/// prefix included); there is no edit or delete of sent messages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: String,
    pub account_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub enquiry_id: Option<String>,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `visitor`, `staff`, `system` (welcome/away) or `page` (sent from Facebook's own inbox).
    pub author: String,
    pub staff_id: Option<String>,
    /// `text`, `attachment`, `sticker`, `postback`, `quick_reply`, `referral`, `reaction`, `unknown`…
    pub kind: String,
    pub text: Option<String>,
    /// JSON text: postback/quick-reply payload, referral, the raw event of unknown kinds.
    pub payload: Option<String>,
    pub reply_to_external_id: Option<String>,
    /// The channel's message id (Messenger `mid`).
    pub external_id: Option<String>,
    /// What was passed as Send API metadata (matches our own echoes).
    pub metadata: Option<String>,
    pub standby: bool,
    /// Inbound: `received`. Outbound: `queued`, `sending`, `sent`, `delivered`, `read`, `failed`.
    pub status: String,
    pub failure_code: Option<String>,
    pub failure_reason: Option<String>,
    pub edited_at: Option<Timestamp>,
    /// The event time (inbound) or when it was written (outbound).
    pub sent_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub read_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// The columns of `messages`, in the order [`message_from_row`] reads them.
pub const MESSAGE_COLUMNS: &str = "id, account_id, channel_id, visitor_id, enquiry_id, direction, \
    author, staff_id, kind, text, payload, reply_to_external_id, external_id, metadata, standby, \
    status, failure_code, failure_reason, edited_at, sent_at, delivered_at, read_at, created_at";

pub fn message_from_row(row: &AnyRow) -> Result<Message, sqlx::Error> {
    Ok(Message {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        channel_id: row.try_get("channel_id")?,
        visitor_id: row.try_get("visitor_id")?,
        enquiry_id: row.try_get("enquiry_id")?,
        direction: row.try_get("direction")?,
        author: row.try_get("author")?,
        staff_id: row.try_get("staff_id")?,
        kind: row.try_get("kind")?,
        text: row.try_get("text")?,
        payload: row.try_get("payload")?,
        reply_to_external_id: row.try_get("reply_to_external_id")?,
        external_id: row.try_get("external_id")?,
        metadata: row.try_get("metadata")?,
        standby: row.try_get::<i64, _>("standby")? != 0,
        status: row.try_get("status")?,
        failure_code: row.try_get("failure_code")?,
        failure_reason: row.try_get("failure_reason")?,
        edited_at: opt_time(row, "edited_at")?,
        sent_at: time(row, "sent_at")?,
        delivered_at: opt_time(row, "delivered_at")?,
        read_at: opt_time(row, "read_at")?,
        created_at: time(row, "created_at")?,
    })
}

/// A file of a message: downloaded from the channel (inbound) or uploaded
/// by staff (outbound), kept under `<data dir>/files/<storage_key>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attachment {
    pub id: String,
    pub account_id: String,
    pub message_id: String,
    pub position: i64,
    /// `image`, `audio`, `video`, `file`, `sticker`, `fallback`, …
    pub kind: String,
    /// `pending`, `stored`, `failed`, `too_large` or `remote` (nothing to download).
    pub status: String,
    pub source_url: Option<String>,
    pub content_type: Option<String>,
    pub file_name: Option<String>,
    pub size_bytes: Option<i64>,
    pub storage_key: Option<String>,
    /// The channel's attachment id once uploaded (Messenger `attachment_id`).
    pub external_id: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

/// The columns of `attachments`, in the order [`attachment_from_row`] reads them.
pub const ATTACHMENT_COLUMNS: &str = "id, account_id, message_id, position, kind, status, \
    source_url, content_type, file_name, size_bytes, storage_key, external_id, attempts, \
    next_attempt_at, last_error, created_at";

pub fn attachment_from_row(row: &AnyRow) -> Result<Attachment, sqlx::Error> {
    Ok(Attachment {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        message_id: row.try_get("message_id")?,
        position: row.try_get("position")?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        source_url: row.try_get("source_url")?,
        content_type: row.try_get("content_type")?,
        file_name: row.try_get("file_name")?,
        size_bytes: row.try_get("size_bytes")?,
        storage_key: row.try_get("storage_key")?,
        external_id: row.try_get("external_id")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: opt_time(row, "next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        created_at: time(row, "created_at")?,
    })
}

/// One message of the account, through the pool or inside a transaction;
/// `NotFound` when the account has no such message.
pub(crate) async fn read_message<'c, E>(
    executor: E,
    account_id: &str,
    id: &str,
) -> Result<Message, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(executor)
        .await
        .context("reading a message")?
        .ok_or(StoreError::NotFound)?;
    message_from_row(&row).context("decoding a message")
}

impl Store {
    /// One message of the account.
    pub async fn get_message(&self, account_id: &str, id: &str) -> Result<Message, StoreError> {
        read_message(&self.pool, account_id, id).await
    }

    /// The files of a message, in order.
    pub async fn list_attachments(
        &self,
        account_id: &str,
        message_id: &str,
    ) -> Result<Vec<Attachment>, StoreError> {
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments
             WHERE account_id = $1 AND message_id = $2 ORDER BY position"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(message_id)
            .fetch_all(&self.pool)
            .await
            .context("reading attachments")?;
        rows.iter()
            .map(attachment_from_row)
            .collect::<Result<_, _>>()
            .context("decoding attachments")
    }

    /// One attachment of the account.
    pub async fn get_attachment(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<Attachment, StoreError> {
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE account_id = $1 AND id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(account_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("reading an attachment")?
            .ok_or(StoreError::NotFound)?;
        attachment_from_row(&row).context("decoding an attachment")
    }
}
