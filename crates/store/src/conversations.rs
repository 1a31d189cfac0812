//! Reading conversations: enquiry lists with filters, and an enquiry's
//! messages with their files, reactions and edit history. Keyset pagination
//! (by id, which is time-ordered) so pages stay stable while messages arrive.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;

use crate::enquiries::{enquiry_from_row, Enquiry, EnquiryStatus, ENQUIRY_COLUMNS};
use crate::error::{Context, StoreError};
use crate::messages::{
    attachment_from_row, message_from_row, Attachment, Message, ATTACHMENT_COLUMNS, MESSAGE_COLUMNS,
};
use crate::rows::time;
use crate::Store;

/// Which enquiries to list; `None` = any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnquiryFilter {
    pub status: Option<EnquiryStatus>,
    pub channel_id: Option<String>,
    /// The assigned agent.
    pub staff_id: Option<String>,
    pub visitor_id: Option<String>,
    pub destination_id: Option<String>,
    /// Opened at or after this.
    pub opened_from: Option<Timestamp>,
    /// Opened before this.
    pub opened_before: Option<Timestamp>,
    /// Part of the visitor's name (any case; ASCII letters are folded on
    /// SQLite, every letter on PostgreSQL).
    pub visitor_name: Option<String>,
}

/// `text` as a `LIKE` pattern matching it anywhere, lower-cased, with `%`,
/// `_` and the escape character `\` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A reaction on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageReaction {
    pub message_id: String,
    /// `visitor` or a staff id.
    pub reactor: String,
    pub reaction: String,
    pub emoji: Option<String>,
    pub created_at: Timestamp,
}

/// One edit of a message (the history behind the text shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageEdit {
    pub message_id: String,
    pub previous_text: Option<String>,
    pub new_text: Option<String>,
    pub num_edit: Option<i64>,
    pub edited_at: Timestamp,
}

/// A message with everything shown beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageDetail {
    pub message: Message,
    pub attachments: Vec<Attachment>,
    pub reactions: Vec<MessageReaction>,
    pub edits: Vec<MessageEdit>,
}

/// Which end of a conversation a page of messages starts from.
#[derive(Debug, Clone, Copy)]
enum Order {
    Oldest,
    Newest,
}

impl Store {
    /// Enquiries of the account, newest first, after `before` (an enquiry id
    /// from the previous page) — at most `limit`.
    pub async fn list_enquiries(
        &self,
        account_id: &str,
        filter: &EnquiryFilter,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Enquiry>, StoreError> {
        let sql = format!(
            "SELECT {ENQUIRY_COLUMNS} FROM enquiries
             WHERE account_id = $1
               AND ($2 IS NULL OR status = $2)
               AND ($3 IS NULL OR channel_id = $3)
               AND ($4 IS NULL OR assigned_staff_id = $4)
               AND ($5 IS NULL OR visitor_id = $5)
               AND ($6 IS NULL OR destination_id = $6)
               AND ($7 IS NULL OR opened_at >= $7)
               AND ($8 IS NULL OR opened_at < $8)
               AND ($9 IS NULL OR EXISTS (SELECT 1 FROM visitors v
                     WHERE v.account_id = enquiries.account_id AND v.id = enquiries.visitor_id
                       AND LOWER(COALESCE(v.name, '') || ' ' || COALESCE(v.first_name, '')
                                 || ' ' || COALESCE(v.last_name, '')) LIKE $9 ESCAPE '\\'))
               AND ($10 IS NULL OR id < $10)
             ORDER BY id DESC LIMIT $11"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(filter.status.map(EnquiryStatus::as_str))
            .bind(filter.channel_id.as_deref())
            .bind(filter.staff_id.as_deref())
            .bind(filter.visitor_id.as_deref())
            .bind(filter.destination_id.as_deref())
            .bind(filter.opened_from.map(|t| t.as_millisecond()))
            .bind(filter.opened_before.map(|t| t.as_millisecond()))
            .bind(filter.visitor_name.as_deref().map(contains_pattern))
            .bind(before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("listing enquiries")?;
        rows.iter()
            .map(enquiry_from_row)
            .collect::<Result<_, _>>()
            .context("decoding enquiries")
    }

    /// The messages of an enquiry in conversation order (event time, then
    /// arrival), after the message `after` of the previous page.
    pub async fn list_enquiry_messages(
        &self,
        account_id: &str,
        enquiry_id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<MessageDetail>, StoreError> {
        self.message_page(account_id, enquiry_id, after, limit, Order::Oldest)
            .await
    }

    /// The messages of an enquiry newest first, before the message `before`
    /// of the previous page (a chat opens at its end and loads older ones).
    pub async fn list_enquiry_messages_newest_first(
        &self,
        account_id: &str,
        enquiry_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<MessageDetail>, StoreError> {
        self.message_page(account_id, enquiry_id, before, limit, Order::Newest)
            .await
    }

    /// One page of an enquiry's messages in `order`, continuing from the
    /// message `cursor` (which must be one of this enquiry's).
    async fn message_page(
        &self,
        account_id: &str,
        enquiry_id: &str,
        cursor: Option<&str>,
        limit: i64,
        order: Order,
    ) -> Result<Vec<MessageDetail>, StoreError> {
        let (cursor_at, cursor_id) = match cursor {
            Some(id) => {
                let m = self.get_message(account_id, id).await?;
                if m.enquiry_id.as_deref() != Some(enquiry_id) {
                    return Err(StoreError::NotFound);
                }
                (Some(m.sent_at.as_millisecond()), Some(m.id))
            }
            None => (None, None),
        };
        let (beyond, direction) = match order {
            Order::Oldest => (">", "ASC"),
            Order::Newest => ("<", "DESC"),
        };
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE account_id = $1 AND enquiry_id = $2
               AND ($3 IS NULL OR sent_at {beyond} $3 OR (sent_at = $3 AND id {beyond} $4))
             ORDER BY sent_at {direction}, id {direction} LIMIT $5"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(enquiry_id)
            .bind(cursor_at)
            .bind(cursor_id.as_deref())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("listing messages")?;
        let messages: Vec<Message> = rows
            .iter()
            .map(message_from_row)
            .collect::<Result<_, _>>()
            .context("decoding messages")?;
        self.details(account_id, messages).await
    }

    /// A message with its files, reactions and edits.
    pub async fn message_detail(&self, message: Message) -> Result<MessageDetail, StoreError> {
        let account_id = message.account_id.clone();
        let mut details = self.details(&account_id, vec![message]).await?;
        Ok(details.remove(0))
    }

    /// Files, reactions and edits of a page of messages: three queries, not
    /// three per message.
    async fn details(
        &self,
        account_id: &str,
        messages: Vec<Message>,
    ) -> Result<Vec<MessageDetail>, StoreError> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
        // $1 is the account; the ids follow.
        let list = (2..ids.len() + 2)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let fetch = |sql: String| {
            let ids = &ids;
            async move {
                let mut query = sqlx::query(&sql).bind(account_id);
                for id in ids {
                    query = query.bind(*id);
                }
                query.fetch_all(&self.pool).await
            }
        };
        let attachments: Vec<Attachment> = fetch(format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments
             WHERE account_id = $1 AND message_id IN ({list}) ORDER BY message_id, position"
        ))
        .await
        .context("reading attachments")?
        .iter()
        .map(attachment_from_row)
        .collect::<Result<_, _>>()
        .context("decoding attachments")?;
        let reactions: Vec<MessageReaction> = fetch(format!(
            "SELECT message_id, reactor, reaction, emoji, created_at FROM message_reactions
             WHERE account_id = $1 AND message_id IN ({list}) ORDER BY created_at"
        ))
        .await
        .context("reading reactions")?
        .iter()
        .map(|row| {
            Ok(MessageReaction {
                message_id: row.try_get("message_id")?,
                reactor: row.try_get("reactor")?,
                reaction: row.try_get("reaction")?,
                emoji: row.try_get("emoji")?,
                created_at: time(row, "created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .context("decoding reactions")?;
        let edits: Vec<MessageEdit> = fetch(format!(
            "SELECT message_id, previous_text, new_text, num_edit, edited_at FROM message_edits
             WHERE account_id = $1 AND message_id IN ({list}) ORDER BY edited_at, num_edit"
        ))
        .await
        .context("reading edits")?
        .iter()
        .map(|row| {
            Ok(MessageEdit {
                message_id: row.try_get("message_id")?,
                previous_text: row.try_get("previous_text")?,
                new_text: row.try_get("new_text")?,
                num_edit: row.try_get("num_edit")?,
                edited_at: time(row, "edited_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .context("decoding edits")?;
        Ok(messages
            .into_iter()
            .map(|message| MessageDetail {
                attachments: attachments
                    .iter()
                    .filter(|a| a.message_id == message.id)
                    .cloned()
                    .collect(),
                reactions: reactions
                    .iter()
                    .filter(|r| r.message_id == message.id)
                    .cloned()
                    .collect(),
                edits: edits
                    .iter()
                    .filter(|e| e.message_id == message.id)
                    .cloned()
                    .collect(),
                message,
            })
            .collect())
    }
}
