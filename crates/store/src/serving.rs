//! What agents do to the enquiries they serve: close, transfer, read marks,
//! and their own open enquiries with unread counts.

use jiff::Timestamp;
use serde_json::{Map, Value};
use sqlx::Row;

use crate::enquiries::{enquiry_from_row, Enquiry, ENQUIRY_COLUMNS};
use crate::error::{Context, StoreError};
use crate::rows::{ms, opt_time, truncate};
use crate::Store;

/// Where a transferred enquiry goes; the routing worker reads it from
/// `routing_state.transfer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    Destination(String),
    Staff(String),
}

/// An open offer withdrawn because its enquiry was closed or transferred
/// (the agent it was made to should be told).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawnOffer {
    pub offer_id: String,
    pub staff_id: String,
}

/// One of an agent's open enquiries, with what they have not read yet.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedEnquiry {
    pub enquiry: Enquiry,
    /// The visitor's messages since the agent last read the enquiry.
    pub unread_count: i64,
    pub last_read_at: Option<Timestamp>,
}

impl Store {
    /// Closes an open enquiry and withdraws its open offers. `None` when it
    /// was already closed (nothing changed).
    pub async fn close_enquiry(
        &self,
        account_id: &str,
        id: &str,
        closed_by: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<Option<(Enquiry, Vec<WithdrawnOffer>)>, StoreError> {
        let at = ms(truncate(at));
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "UPDATE enquiries SET status = 'closed', closed_at = $1, closed_by = $2,
                 close_reason = $3, route_at = NULL, updated_at = $4
             WHERE account_id = $5 AND id = $6 AND status <> 'closed'
             RETURNING {ENQUIRY_COLUMNS}"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(at)
            .bind(closed_by)
            .bind(reason)
            .bind(at)
            .bind(account_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .context("closing an enquiry")?
        else {
            return Ok(None);
        };
        let enquiry = enquiry_from_row(&row).context("decoding a closed enquiry")?;
        let withdrawn = withdraw_open_offers(&mut tx, account_id, id, at).await?;
        tx.commit().await?;
        Ok(Some((enquiry, withdrawn)))
    }

    /// Sends an open enquiry back to routing towards `target`: unassigned,
    /// `status = routing`, due now, open offers withdrawn, and the target
    /// written into `routing_state` as `{"transfer": {...}}`. `None` when the
    /// enquiry is closed.
    pub async fn transfer_enquiry(
        &self,
        account_id: &str,
        id: &str,
        target: &TransferTarget,
        by_staff_id: &str,
        at: Timestamp,
    ) -> Result<Option<(Enquiry, Vec<WithdrawnOffer>)>, StoreError> {
        let at = ms(truncate(at));
        let mut tx = self.write_tx().await?;
        let state: Option<String> = sqlx::query_scalar(&format!(
            "SELECT routing_state FROM enquiries
             WHERE account_id = $1 AND id = $2 AND status <> 'closed'{}",
            self.dialect().for_update()
        ))
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .context("reading an enquiry's routing state")?;
        let Some(state) = state else {
            return Ok(None);
        };
        let mut state: Map<String, Value> = serde_json::from_str(&state).unwrap_or_default();
        let (transfer, destination_id) = match target {
            TransferTarget::Destination(d) => (serde_json::json!({"destination_id": d}), Some(d)),
            TransferTarget::Staff(s) => (serde_json::json!({"staff_id": s}), None),
        };
        let mut transfer = transfer;
        transfer["by_staff_id"] = Value::from(by_staff_id);
        state.insert("transfer".into(), transfer);
        let sql = format!(
            "UPDATE enquiries SET status = 'routing', assigned_staff_id = NULL,
                 assigned_at = NULL, route_at = $1, routing_state = $2,
                 destination_id = COALESCE($3, destination_id), updated_at = $4
             WHERE account_id = $5 AND id = $6
             RETURNING {ENQUIRY_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(at)
            .bind(Value::Object(state).to_string())
            .bind(destination_id)
            .bind(at)
            .bind(account_id)
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .context("transferring an enquiry")?;
        let enquiry = enquiry_from_row(&row).context("decoding a transferred enquiry")?;
        let withdrawn = withdraw_open_offers(&mut tx, account_id, id, at).await?;
        tx.commit().await?;
        Ok(Some((enquiry, withdrawn)))
    }

    /// Records that `staff_id` has read the enquiry up to `at`.
    pub async fn mark_enquiry_read(
        &self,
        account_id: &str,
        enquiry_id: &str,
        staff_id: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO enquiry_reads (account_id, enquiry_id, staff_id, read_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, enquiry_id, staff_id)
             DO UPDATE SET read_at = excluded.read_at",
        )
        .bind(account_id)
        .bind(enquiry_id)
        .bind(staff_id)
        .bind(ms(truncate(at)))
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if crate::error::is_foreign_key_violation(&e) {
                StoreError::NotFound
            } else {
                crate::error::classify("marking an enquiry read", e)
            }
        })?;
        tx.commit().await
    }

    /// The enquiries `staff_id` serves now (`active`, assigned to them),
    /// oldest first, each with its unread count.
    pub async fn my_enquiries(
        &self,
        account_id: &str,
        staff_id: &str,
    ) -> Result<Vec<ServedEnquiry>, StoreError> {
        let columns = ENQUIRY_COLUMNS
            .split(',')
            .map(|c| format!("e.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, r.read_at AS last_read_at,
                 (SELECT COUNT(*) FROM messages m
                  WHERE m.account_id = e.account_id AND m.enquiry_id = e.id
                    AND m.direction = 'inbound'
                    AND m.sent_at > COALESCE(r.read_at, 0)) AS unread_count
             FROM enquiries e
             LEFT JOIN enquiry_reads r
               ON r.account_id = e.account_id AND r.enquiry_id = e.id AND r.staff_id = $1
             WHERE e.account_id = $2 AND e.assigned_staff_id = $3 AND e.status = 'active'
             ORDER BY e.opened_at, e.id"
        );
        let rows = sqlx::query(&sql)
            .bind(staff_id)
            .bind(account_id)
            .bind(staff_id)
            .fetch_all(&self.pool)
            .await
            .context("listing an agent's enquiries")?;
        rows.iter()
            .map(|row| {
                Ok(ServedEnquiry {
                    enquiry: enquiry_from_row(row)?,
                    unread_count: row.try_get("unread_count")?,
                    last_read_at: opt_time(row, "last_read_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .context("decoding an agent's enquiries")
    }
}

async fn withdraw_open_offers(
    tx: &mut crate::WriteTx<'_>,
    account_id: &str,
    enquiry_id: &str,
    at: i64,
) -> Result<Vec<WithdrawnOffer>, StoreError> {
    let rows = sqlx::query(
        "UPDATE offers SET status = 'withdrawn', resolved_at = $1
         WHERE account_id = $2 AND enquiry_id = $3 AND status = 'open'
         RETURNING id, staff_id",
    )
    .bind(at)
    .bind(account_id)
    .bind(enquiry_id)
    .fetch_all(&mut **tx)
    .await
    .context("withdrawing open offers")?;
    rows.iter()
        .map(|row| {
            Ok(WithdrawnOffer {
                offer_id: row.try_get("id")?,
                staff_id: row.try_get("staff_id")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .context("reading withdrawn offers")
}
