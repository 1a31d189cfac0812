//! Accounts: the tenants. Every other row belongs to exactly one.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{ms, new_id, now, time};
use crate::Store;

/// Most visitors an account may be chatting with at once, unless configured.
pub const DEFAULT_MAX_CONCURRENT_VISITORS: i64 = 200;
/// Seconds an agent may be away before their enquiries are re-routed.
pub const DEFAULT_AWAY_GRACE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub max_concurrent_visitors: i64,
    pub away_grace_secs: i64,
    pub created_at: Timestamp,
}

/// Changes to an account's settings; `None` keeps the current value.
/// Values are validated by the caller (`domain`) beforehand.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountUpdate {
    pub name: Option<String>,
    pub max_concurrent_visitors: Option<i64>,
    pub away_grace_secs: Option<i64>,
}

const COLUMNS: &str = "id, name, max_concurrent_visitors, away_grace_secs, created_at";

fn from_row(row: &AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        max_concurrent_visitors: row.try_get("max_concurrent_visitors")?,
        away_grace_secs: row.try_get("away_grace_secs")?,
        created_at: time(row, "created_at")?,
    })
}

impl Store {
    /// Creates an account with the default limits.
    #[tracing::instrument(skip_all)]
    pub async fn create_account(&self, name: &str) -> Result<Account, StoreError> {
        let account = Account {
            id: new_id(),
            name: name.to_owned(),
            max_concurrent_visitors: DEFAULT_MAX_CONCURRENT_VISITORS,
            away_grace_secs: DEFAULT_AWAY_GRACE_SECS,
            created_at: now(),
        };
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO accounts (id, name, max_concurrent_visitors, away_grace_secs, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&account.id)
        .bind(&account.name)
        .bind(account.max_concurrent_visitors)
        .bind(account.away_grace_secs)
        .bind(ms(account.created_at))
        .execute(&mut *tx)
        .await
        .context("creating an account")?;
        tx.commit().await?;
        Ok(account)
    }

    #[tracing::instrument(skip(self))]
    pub async fn get_account(&self, id: &str) -> Result<Account, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .context("reading an account")?;
        from_row(&row).context("reading an account")
    }

    /// Applies the `Some` fields to the account's settings.
    #[tracing::instrument(skip(self, update))]
    pub async fn update_account(
        &self,
        id: &str,
        update: AccountUpdate,
    ) -> Result<Account, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM accounts WHERE id = $1{}",
            self.dialect().for_update()
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .context("reading an account to update")?;
        let mut account = from_row(&row).context("reading an account to update")?;
        if let Some(name) = update.name {
            account.name = name;
        }
        if let Some(max) = update.max_concurrent_visitors {
            account.max_concurrent_visitors = max;
        }
        if let Some(grace) = update.away_grace_secs {
            account.away_grace_secs = grace;
        }
        sqlx::query(
            "UPDATE accounts SET name = $1, max_concurrent_visitors = $2, away_grace_secs = $3
             WHERE id = $4",
        )
        .bind(&account.name)
        .bind(account.max_concurrent_visitors)
        .bind(account.away_grace_secs)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("updating an account")?;
        tx.commit().await?;
        Ok(account)
    }
}
