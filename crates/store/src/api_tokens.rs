//! Bearer API tokens for integrations. Each acts as the staff member who
//! owns it; only a hash of the token is stored; revoked tokens stay listed
//! (with `revoked_at`) so an admin can see what existed.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{ms, new_id, now, opt_time, time, truncate};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub account_id: String,
    pub staff_id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApiToken {
    pub staff_id: String,
    pub name: String,
    pub token_hash: String,
}

/// How precisely "last used" is kept: a token used again within this many
/// milliseconds of its recorded use is not written again.
pub const TOKEN_USE_PRECISION_MS: i64 = 60_000;

/// Whether a use at `at` should replace the recorded use at `last` (both ms):
/// only when it is at least [`TOKEN_USE_PRECISION_MS`] later.
fn needs_touch(last: i64, at: i64) -> bool {
    at - last >= TOKEN_USE_PRECISION_MS
}

const COLUMNS: &str = "id, account_id, staff_id, name, created_at, last_used_at, revoked_at";

fn from_row(row: &AnyRow) -> Result<ApiToken, sqlx::Error> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        staff_id: row.try_get("staff_id")?,
        name: row.try_get("name")?,
        created_at: time(row, "created_at")?,
        last_used_at: opt_time(row, "last_used_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
    })
}

impl Store {
    /// Creates a token owned by a staff member of the account (`Invalid {
    /// field: "staff_id" }` otherwise).
    #[tracing::instrument(skip(self, new), fields(staff_id = %new.staff_id))]
    pub async fn create_api_token(
        &self,
        account_id: &str,
        new: NewApiToken,
    ) -> Result<ApiToken, StoreError> {
        let token = ApiToken {
            id: new_id(),
            account_id: account_id.to_owned(),
            staff_id: new.staff_id,
            name: new.name,
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = self.write_tx().await?;
        crate::staff::require_member(&mut tx, account_id, &token.staff_id, "staff_id").await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, account_id, staff_id, name, token_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.id)
        .bind(&token.account_id)
        .bind(&token.staff_id)
        .bind(&token.name)
        .bind(&new.token_hash)
        .bind(ms(token.created_at))
        .execute(&mut *tx)
        .await
        .context("creating an API token")?;
        tx.commit().await?;
        Ok(token)
    }

    /// Every token of the account, revoked ones included, oldest first.
    #[tracing::instrument(skip(self))]
    pub async fn list_api_tokens(&self, account_id: &str) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE account_id = $1 ORDER BY id"
        ))
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .context("listing API tokens")?;
        rows.iter()
            .map(from_row)
            .collect::<Result<_, _>>()
            .context("listing API tokens")
    }

    /// Revokes a token from now on. Revoking again keeps the first time.
    #[tracing::instrument(skip(self))]
    pub async fn revoke_api_token(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<ApiToken, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1
             WHERE account_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(ms(now()))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("revoking an API token")?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .context("reading a revoked API token")?;
        let token = from_row(&row).context("reading a revoked API token")?;
        tx.commit().await?;
        Ok(token)
    }

    /// The unrevoked token with this hash, in any account (the bearer header
    /// is how the account becomes known).
    #[tracing::instrument(skip_all)]
    pub async fn find_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .context("finding an API token")?;
        row.as_ref()
            .map(from_row)
            .transpose()
            .context("finding an API token")
    }

    /// Records that a token was used at `at` (shown to admins as "last used").
    ///
    /// Called on every API request, so it writes at most once per
    /// [`TOKEN_USE_PRECISION_MS`] per token: a recent enough `last_used_at` is
    /// left alone after a read, without queueing behind other writers.
    #[tracing::instrument(skip(self))]
    pub async fn touch_api_token(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        let at = ms(truncate(at));
        let last_used: Option<Option<i64>> =
            sqlx::query_scalar("SELECT last_used_at FROM api_tokens WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .context("reading API token use")?;
        match last_used {
            None => return Err(StoreError::NotFound),
            Some(Some(last)) if !needs_touch(last, at) => return Ok(()),
            Some(_) => {}
        }
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
        )
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("recording API token use")?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_is_recorded_only_a_minute_after_the_last_one() {
        assert!(!needs_touch(1_000, 1_000));
        assert!(!needs_touch(1_000, 60_999));
        assert!(needs_touch(1_000, 61_000));
        assert!(
            !needs_touch(61_000, 1_000),
            "an earlier use never moves it back"
        );
    }
}
