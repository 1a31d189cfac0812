//! The background work that follows an inbound message: downloading its
//! media and fetching the visitor's profile. Both claim due rows under a
//! lease (a crashed worker's claim simply runs out) and never block the
//! message itself.

use jiff::Timestamp;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::messages::{attachment_from_row, Attachment, ATTACHMENT_COLUMNS};
use crate::rows::{ms, truncate};
use crate::visitors::{visitor_from_row, Visitor, VISITOR_COLUMNS};
use crate::Store;

/// A visitor whose profile is due to be fetched, with the tries so far
/// (this one included).
#[derive(Debug, Clone, PartialEq)]
pub struct DueProfile {
    pub visitor: Visitor,
    pub attempts: i64,
}

/// A fetched profile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VisitorProfile {
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub picture_url: Option<String>,
}

/// A downloaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub storage_key: String,
    pub content_type: Option<String>,
    pub file_name: Option<String>,
    pub size_bytes: i64,
}

impl Store {
    /// Claims the next attachment due for download and leases it until
    /// `now + lease_ms` (counting the attempt).
    pub async fn claim_due_download(
        &self,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<Attachment>, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments
             WHERE status = 'pending' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, id LIMIT 1{}",
            self.dialect().skip_locked()
        );
        let Some(row) = sqlx::query(&sql)
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await
            .context("claiming a download")?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let mut attachment = attachment_from_row(&row).context("decoding an attachment")?;
        sqlx::query(
            "UPDATE attachments SET attempts = attempts + 1, next_attempt_at = $1
             WHERE account_id = $2 AND id = $3",
        )
        .bind(ms(now) + lease_ms)
        .bind(&attachment.account_id)
        .bind(&attachment.id)
        .execute(&mut *tx)
        .await
        .context("leasing a download")?;
        tx.commit().await?;
        attachment.attempts += 1;
        Ok(Some(attachment))
    }

    /// The file is in storage.
    pub async fn attachment_stored(
        &self,
        account_id: &str,
        id: &str,
        file: &StoredFile,
    ) -> Result<Attachment, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE attachments SET status = 'stored', storage_key = $1, content_type = $2,
                 file_name = $3, size_bytes = $4, next_attempt_at = NULL, last_error = NULL
             WHERE account_id = $5 AND id = $6",
        )
        .bind(&file.storage_key)
        .bind(&file.content_type)
        .bind(&file.file_name)
        .bind(file.size_bytes)
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("recording a downloaded file")?;
        tx.commit().await?;
        self.get_attachment(account_id, id).await
    }

    /// The download failed. `retry_at`: try again then; `None`: give up with
    /// `final_status` (`failed` or `too_large`). The message stays either way.
    pub async fn attachment_download_failed(
        &self,
        account_id: &str,
        id: &str,
        error: &str,
        retry_at: Option<Timestamp>,
        final_status: &str,
    ) -> Result<Attachment, StoreError> {
        let mut tx = self.write_tx().await?;
        let status = if retry_at.is_some() {
            "pending"
        } else {
            final_status
        };
        sqlx::query(
            "UPDATE attachments SET status = $1, last_error = $2, next_attempt_at = $3
             WHERE account_id = $4 AND id = $5",
        )
        .bind(status)
        .bind(error)
        .bind(retry_at.map(|t| ms(truncate(t))))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("recording a failed download")?;
        tx.commit().await?;
        self.get_attachment(account_id, id).await
    }

    /// Claims the next visitor whose profile is due and leases it.
    pub async fn claim_due_profile(
        &self,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<DueProfile>, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {VISITOR_COLUMNS}, profile_attempts FROM visitors
             WHERE profile_status = 'pending' AND profile_next_at <= $1
             ORDER BY profile_next_at, id LIMIT 1{}",
            self.dialect().skip_locked()
        );
        let Some(row) = sqlx::query(&sql)
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await
            .context("claiming a profile fetch")?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let visitor = visitor_from_row(&row).context("decoding a visitor")?;
        let attempts: i64 = row
            .try_get("profile_attempts")
            .context("decoding a visitor")?;
        sqlx::query(
            "UPDATE visitors SET profile_attempts = profile_attempts + 1, profile_next_at = $1
             WHERE account_id = $2 AND id = $3",
        )
        .bind(ms(now) + lease_ms)
        .bind(&visitor.account_id)
        .bind(&visitor.id)
        .execute(&mut *tx)
        .await
        .context("leasing a profile fetch")?;
        tx.commit().await?;
        Ok(Some(DueProfile {
            visitor,
            attempts: attempts + 1,
        }))
    }

    /// Stores a fetched profile (`fetched`), or `unavailable` when Facebook
    /// gave no name (the visitor is then shown as "Unknown").
    pub async fn set_visitor_profile(
        &self,
        account_id: &str,
        id: &str,
        profile: &VisitorProfile,
        at: Timestamp,
    ) -> Result<Visitor, StoreError> {
        let status = if profile.name.is_some() {
            "fetched"
        } else {
            "unavailable"
        };
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE visitors SET name = $1, first_name = $2, last_name = $3, picture_url = $4,
                 profile_status = $5, profile_next_at = NULL, updated_at = $6
             WHERE account_id = $7 AND id = $8",
        )
        .bind(&profile.name)
        .bind(&profile.first_name)
        .bind(&profile.last_name)
        .bind(&profile.picture_url)
        .bind(status)
        .bind(ms(truncate(at)))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("storing a visitor profile")?;
        tx.commit().await?;
        self.get_visitor(account_id, id).await
    }

    /// The fetch failed: retry at `retry_at`, or (`None`) give up: `unavailable`.
    pub async fn visitor_profile_failed(
        &self,
        account_id: &str,
        id: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<Visitor, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE visitors SET profile_status = $1, profile_next_at = $2
             WHERE account_id = $3 AND id = $4",
        )
        .bind(if retry_at.is_some() {
            "pending"
        } else {
            "unavailable"
        })
        .bind(retry_at.map(|t| ms(truncate(t))))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("recording a failed profile fetch")?;
        tx.commit().await?;
        self.get_visitor(account_id, id).await
    }
}
