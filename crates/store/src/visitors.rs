//! Visitors: one person on one channel (a Page-scoped id on Messenger).

use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{opt_time, time};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Visitor {
    pub id: String,
    pub account_id: String,
    pub channel_id: String,
    /// The channel's id for this person (PSID).
    pub external_id: String,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub picture_url: Option<String>,
    /// `pending`, `fetched` or `unavailable`.
    pub profile_status: String,
    /// The visitor's last message: the 24-hour window runs from here.
    pub last_inbound_at: Option<Timestamp>,
    /// When the welcome message went out (it is sent once per visitor and channel).
    pub welcomed_at: Option<Timestamp>,
    /// The agent who served this visitor last (sticky routing).
    pub last_served_by: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Visitor {
    /// The name to show: the profile name, or "Unknown" when Facebook gave none.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("Unknown")
    }
}

/// The columns of `visitors`, in the order [`visitor_from_row`] reads them.
pub const VISITOR_COLUMNS: &str = "id, account_id, channel_id, external_id, name, first_name, \
    last_name, picture_url, profile_status, last_inbound_at, welcomed_at, last_served_by, \
    created_at, updated_at";

pub fn visitor_from_row(row: &AnyRow) -> Result<Visitor, sqlx::Error> {
    Ok(Visitor {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        channel_id: row.try_get("channel_id")?,
        external_id: row.try_get("external_id")?,
        name: row.try_get("name")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        picture_url: row.try_get("picture_url")?,
        profile_status: row.try_get("profile_status")?,
        last_inbound_at: opt_time(row, "last_inbound_at")?,
        welcomed_at: opt_time(row, "welcomed_at")?,
        last_served_by: row.try_get("last_served_by")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// One visitor of the account, through the pool or inside a transaction;
/// `NotFound` when the account has no such visitor.
pub(crate) async fn read_visitor<'c, E>(
    executor: E,
    account_id: &str,
    id: &str,
) -> Result<Visitor, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let sql = format!("SELECT {VISITOR_COLUMNS} FROM visitors WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(executor)
        .await
        .context("reading a visitor")?
        .ok_or(StoreError::NotFound)?;
    visitor_from_row(&row).context("decoding a visitor")
}

impl Store {
    /// One visitor of the account.
    pub async fn get_visitor(&self, account_id: &str, id: &str) -> Result<Visitor, StoreError> {
        read_visitor(&self.pool, account_id, id).await
    }
}
