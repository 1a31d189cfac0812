//! Enquiries: one conversation episode of a visitor on a channel, from the
//! first message until an agent (or the system) closes it.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Context, StoreError};
use crate::rows::{opt_time, text, time};
use crate::Store;

/// Where an enquiry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnquiryStatus {
    /// Waiting for a free slot under the account's concurrent-visitor limit.
    Queued,
    /// Needs a routing decision (due at `route_at`).
    Routing,
    /// Offered to one or more agents.
    Offered,
    /// Accepted: an agent serves it.
    Active,
    /// Routing found nobody; in the missed list for agents to pick up.
    Missed,
    Closed,
}

impl EnquiryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Routing => "routing",
            Self::Offered => "offered",
            Self::Active => "active",
            Self::Missed => "missed",
            Self::Closed => "closed",
        }
    }

    /// Open enquiries count towards the account's concurrent-visitor limit.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Queued | Self::Closed)
    }
}

impl fmt::Display for EnquiryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown status text.
#[derive(Debug, thiserror::Error)]
#[error("unknown enquiry status {0:?}")]
pub struct UnknownStatus(String);

impl FromStr for EnquiryStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "queued" => Self::Queued,
            "routing" => Self::Routing,
            "offered" => Self::Offered,
            "active" => Self::Active,
            "missed" => Self::Missed,
            "closed" => Self::Closed,
            other => return Err(UnknownStatus(other.to_owned())),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Enquiry {
    pub id: String,
    pub account_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub status: EnquiryStatus,
    pub assigned_staff_id: Option<String>,
    pub destination_id: Option<String>,
    /// JSON: what routing already tried for this enquiry (the routing engine's state).
    pub routing_state: String,
    pub route_at: Option<Timestamp>,
    /// Another app owns the Messenger thread: stored and shown, not routed.
    pub standby: bool,
    pub opened_at: Timestamp,
    pub last_inbound_at: Timestamp,
    pub assigned_at: Option<Timestamp>,
    pub missed_at: Option<Timestamp>,
    pub away_sent_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<String>,
    pub close_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The columns of `enquiries`, in the order [`enquiry_from_row`] reads them.
pub const ENQUIRY_COLUMNS: &str = "id, account_id, channel_id, visitor_id, status, \
    assigned_staff_id, destination_id, routing_state, route_at, standby, opened_at, \
    last_inbound_at, assigned_at, missed_at, away_sent_at, closed_at, closed_by, close_reason, \
    created_at, updated_at";

pub fn enquiry_from_row(row: &AnyRow) -> Result<Enquiry, sqlx::Error> {
    Ok(Enquiry {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        channel_id: row.try_get("channel_id")?,
        visitor_id: row.try_get("visitor_id")?,
        status: text(row, "status")?,
        assigned_staff_id: row.try_get("assigned_staff_id")?,
        destination_id: row.try_get("destination_id")?,
        routing_state: row.try_get("routing_state")?,
        route_at: opt_time(row, "route_at")?,
        standby: row.try_get::<i64, _>("standby")? != 0,
        opened_at: time(row, "opened_at")?,
        last_inbound_at: time(row, "last_inbound_at")?,
        assigned_at: opt_time(row, "assigned_at")?,
        missed_at: opt_time(row, "missed_at")?,
        away_sent_at: opt_time(row, "away_sent_at")?,
        closed_at: opt_time(row, "closed_at")?,
        closed_by: row.try_get("closed_by")?,
        close_reason: row.try_get("close_reason")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// One enquiry of the account, through the pool or inside a transaction;
/// `NotFound` when the account has no such enquiry.
pub(crate) async fn read_enquiry<'c, E>(
    executor: E,
    account_id: &str,
    id: &str,
) -> Result<Enquiry, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let sql = format!("SELECT {ENQUIRY_COLUMNS} FROM enquiries WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(executor)
        .await
        .context("reading an enquiry")?
        .ok_or(StoreError::NotFound)?;
    enquiry_from_row(&row).context("decoding an enquiry")
}

impl Store {
    /// One enquiry of the account.
    pub async fn get_enquiry(&self, account_id: &str, id: &str) -> Result<Enquiry, StoreError> {
        read_enquiry(&self.pool, account_id, id).await
    }
}
