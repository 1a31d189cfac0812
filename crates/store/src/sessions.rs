//! Browser sessions. Only a hash of the cookie's token is stored, so a
//! leaked database does not log anyone in.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{ms, time, truncate};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    pub token_hash: String,
    pub account_id: String,
    pub staff_id: String,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub token_hash: String,
    pub account_id: String,
    pub staff_id: String,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

fn from_row(row: &AnyRow) -> Result<Session, sqlx::Error> {
    Ok(Session {
        token_hash: row.try_get("token_hash")?,
        account_id: row.try_get("account_id")?,
        staff_id: row.try_get("staff_id")?,
        csrf_token: row.try_get("csrf_token")?,
        expires_at: time(row, "expires_at")?,
    })
}

impl Store {
    /// Stores a session for a staff member of the account; a staff id that is
    /// not in the account is `Invalid { field: "staff_id" }`.
    #[tracing::instrument(skip_all, fields(account_id = %new.account_id, staff_id = %new.staff_id))]
    pub async fn create_session(&self, new: NewSession) -> Result<Session, StoreError> {
        let session = Session {
            token_hash: new.token_hash,
            account_id: new.account_id,
            staff_id: new.staff_id,
            csrf_token: new.csrf_token,
            expires_at: truncate(new.expires_at),
        };
        let mut tx = self.write_tx().await?;
        crate::staff::require_member(&mut tx, &session.account_id, &session.staff_id, "staff_id")
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, staff_id, csrf_token, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(&session.account_id)
        .bind(&session.staff_id)
        .bind(&session.csrf_token)
        .bind(ms(session.expires_at))
        .execute(&mut *tx)
        .await
        .context("creating a session")?;
        tx.commit().await?;
        Ok(session)
    }

    /// The session with this token hash, unless it expired at or before `now`.
    #[tracing::instrument(skip_all)]
    pub async fn find_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash, account_id, staff_id, csrf_token, expires_at
             FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await
        .context("finding a session")?;
        row.as_ref()
            .map(from_row)
            .transpose()
            .context("finding a session")
    }

    /// Ends a session (logging out). Ending an unknown session is not an error.
    #[tracing::instrument(skip_all)]
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await
            .context("deleting a session")?;
        tx.commit().await
    }

    /// Ends every session of a staff member except `keep` (the caller's
    /// own, when they changed their password themselves); returns how many.
    #[tracing::instrument(skip(self, keep))]
    pub async fn delete_staff_sessions(
        &self,
        account_id: &str,
        staff_id: &str,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "DELETE FROM sessions WHERE account_id = $1 AND staff_id = $2 AND token_hash <> $3",
        )
        .bind(account_id)
        .bind(staff_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut *tx)
        .await
        .context("ending a staff member's sessions")?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Removes sessions that expired at or before `now`; returns how many.
    #[tracing::instrument(skip(self))]
    pub async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .context("deleting expired sessions")?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
