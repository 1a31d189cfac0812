//! Reads for the consoles: the team directory (memberships), the
//! supervision figures (waiting queue, missed today) and the ends of an
//! enquiry's conversation (first visitor message, last message) that chat
//! lists and offer cards show.

use jiff::Timestamp;
use sqlx::Row;

use crate::enquiries::{enquiry_from_row, Enquiry, ENQUIRY_COLUMNS};
use crate::error::{Context, StoreError};
use crate::messages::{message_from_row, Message, MESSAGE_COLUMNS};
use crate::rows::ms;
use crate::Store;

impl Store {
    /// Every `(staff id, destination id)` membership of the account, in
    /// each destination's member order.
    pub async fn destination_memberships(
        &self,
        account_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT staff_id, destination_id FROM destination_members
             WHERE account_id = $1 ORDER BY destination_id, position",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .context("listing destination memberships")?;
        rows.iter()
            .map(|row| Ok((row.try_get("staff_id")?, row.try_get("destination_id")?)))
            .collect::<Result<_, sqlx::Error>>()
            .context("decoding destination memberships")
    }

    /// Enquiries waiting for an agent (`queued`, `routing`, `offered`),
    /// longest waiting first.
    pub async fn waiting_enquiries(&self, account_id: &str) -> Result<Vec<Enquiry>, StoreError> {
        let sql = format!(
            "SELECT {ENQUIRY_COLUMNS} FROM enquiries
             WHERE account_id = $1 AND status IN ('queued', 'routing', 'offered')
             ORDER BY opened_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .context("listing waiting enquiries")?;
        rows.iter()
            .map(enquiry_from_row)
            .collect::<Result<_, _>>()
            .context("decoding waiting enquiries")
    }

    /// How many enquiries were missed at or after `since`.
    pub async fn count_missed_since(
        &self,
        account_id: &str,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM enquiries WHERE account_id = $1 AND missed_at >= $2",
        )
        .bind(account_id)
        .bind(ms(since))
        .fetch_one(&self.pool)
        .await
        .context("counting missed enquiries")
    }

    /// The visitor's first message of the enquiry and the enquiry's last
    /// message (either direction), where there are any.
    pub async fn enquiry_message_ends(
        &self,
        account_id: &str,
        enquiry_id: &str,
    ) -> Result<(Option<Message>, Option<Message>), StoreError> {
        let first = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE account_id = $1 AND enquiry_id = $2 AND direction = 'inbound'
             ORDER BY sent_at, id LIMIT 1"
        ))
        .bind(account_id)
        .bind(enquiry_id)
        .fetch_optional(&self.pool)
        .await
        .context("reading an enquiry's first message")?;
        let last = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE account_id = $1 AND enquiry_id = $2
             ORDER BY sent_at DESC, id DESC LIMIT 1"
        ))
        .bind(account_id)
        .bind(enquiry_id)
        .fetch_optional(&self.pool)
        .await
        .context("reading an enquiry's last message")?;
        let decode = |row: Option<sqlx::any::AnyRow>| {
            row.as_ref()
                .map(message_from_row)
                .transpose()
                .context("decoding a message")
        };
        Ok((decode(first)?, decode(last)?))
    }
}
