//! Accepting an offer: exactly one agent wins an enquiry, only before the
//! offer's deadline, and only while the agent has room for one more.
//!
//! Everything is decided inside one write transaction, so neither a late
//! click (the timer job has not expired the offer yet) nor two clicks of one
//! agent at once can get past the rules:
//!
//! 1. the agent's staff row is locked (`FOR UPDATE` on PostgreSQL; SQLite's
//!    writers are serialised anyway), so two accepts by one agent queue up
//!    here and the second counts the first's enquiry;
//! 2. the agent's active enquiries are counted against their capacity;
//! 3. one guarded `UPDATE` of the enquiry decides the winner: still offered,
//!    and this offer still open *and* before its deadline.

use jiff::Timestamp;

use super::offers::{end_open_offers_of_enquiry, read_offer};
use super::{
    read_enquiry, remember_server, Accepted, OFFER_NOT_OPEN, OFFER_TAKEN, OFFER_TIMED_OUT,
    STAFF_AT_CAPACITY,
};
use crate::error::{Context, StoreError};
use crate::rows::{ms, truncate};
use crate::Store;

/// What an accept did, when the offer exists and is the caller's.
#[derive(Debug, Clone, PartialEq)]
pub enum AcceptOutcome {
    /// The enquiry is now the agent's.
    Accepted(Box<Accepted>),
    /// The agent already serves `serving` active enquiries and may serve
    /// `capacity`: nothing changed, the offer stays open for them until its
    /// deadline (they may close an enquiry and accept, or decline it).
    AtCapacity { serving: i64, capacity: i64 },
}

impl Store {
    /// Accepts an offer (see the module documentation for the rules).
    /// Refusals other than capacity are `Conflict` with [`OFFER_TAKEN`]
    /// (someone else won), [`OFFER_TIMED_OUT`] (deadline passed, whether or
    /// not the timer job has expired it yet) or [`OFFER_NOT_OPEN`] (declined,
    /// withdrawn). Another agent's offer is `NotFound`.
    #[tracing::instrument(skip(self))]
    pub async fn try_accept_offer(
        &self,
        account_id: &str,
        offer_id: &str,
        staff_id: &str,
        now: Timestamp,
    ) -> Result<AcceptOutcome, StoreError> {
        let now = truncate(now);
        let at = ms(now);
        let mut tx = self.write_tx().await?;
        let offer = read_offer(&mut *tx, account_id, offer_id).await?;
        if offer.staff_id != staff_id {
            return Err(StoreError::NotFound);
        }
        let refusal = match offer.status.as_str() {
            "open" if offer.deadline_at <= now => Some(OFFER_TIMED_OUT),
            "open" => None,
            "taken" => Some(OFFER_TAKEN),
            "expired" => Some(OFFER_TIMED_OUT),
            _ => Some(OFFER_NOT_OPEN),
        };
        if let Some(constraint) = refusal {
            return Err(StoreError::Conflict {
                constraint: constraint.into(),
            });
        }

        let sql = format!(
            "SELECT capacity FROM staff WHERE account_id = $1 AND id = $2{}",
            self.dialect().for_update()
        );
        let capacity: i64 = sqlx::query_scalar(&sql)
            .bind(account_id)
            .bind(staff_id)
            .fetch_optional(&mut *tx)
            .await
            .context("locking the accepting agent")?
            .ok_or(StoreError::NotFound)?;
        let serving: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM enquiries
             WHERE account_id = $1 AND assigned_staff_id = $2 AND status = 'active'",
        )
        .bind(account_id)
        .bind(staff_id)
        .fetch_one(&mut *tx)
        .await
        .context("counting the agent's active enquiries")?;
        if serving >= capacity {
            return Ok(AcceptOutcome::AtCapacity { serving, capacity });
        }

        let won = sqlx::query(
            "UPDATE enquiries SET status = 'active', assigned_staff_id = $1, assigned_at = $2,
                 destination_id = COALESCE($3, destination_id), route_at = NULL,
                 routing_state = '{}', updated_at = $4
             WHERE account_id = $5 AND id = $6 AND status = 'offered'
               AND EXISTS (SELECT 1 FROM offers o WHERE o.account_id = $7 AND o.id = $8
                           AND o.status = 'open' AND o.deadline_at > $9)",
        )
        .bind(staff_id)
        .bind(at)
        .bind(&offer.destination_id)
        .bind(at)
        .bind(account_id)
        .bind(&offer.enquiry_id)
        .bind(account_id)
        .bind(offer_id)
        .bind(at)
        .execute(&mut *tx)
        .await
        .context("accepting an offer")?;
        if won.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                constraint: OFFER_TAKEN.into(),
            });
        }
        sqlx::query(
            "UPDATE offers SET status = 'accepted', resolved_at = $1
             WHERE account_id = $2 AND id = $3",
        )
        .bind(at)
        .bind(account_id)
        .bind(offer_id)
        .execute(&mut *tx)
        .await
        .context("accepting an offer")?;
        let taken = end_open_offers_of_enquiry(&mut tx, account_id, &offer.enquiry_id, at).await?;
        let enquiry = read_enquiry(&mut *tx, account_id, &offer.enquiry_id).await?;
        remember_server(&mut tx, account_id, &enquiry.visitor_id, staff_id, at).await?;
        let offer = read_offer(&mut *tx, account_id, offer_id).await?;
        tx.commit().await?;
        Ok(AcceptOutcome::Accepted(Box::new(Accepted {
            enquiry,
            offer,
            taken,
        })))
    }

    /// [`Store::try_accept_offer`] for callers that need no numbers: an agent
    /// at capacity is `Conflict` with [`STAFF_AT_CAPACITY`].
    pub async fn accept_offer(
        &self,
        account_id: &str,
        offer_id: &str,
        staff_id: &str,
        now: Timestamp,
    ) -> Result<Accepted, StoreError> {
        match self
            .try_accept_offer(account_id, offer_id, staff_id, now)
            .await?
        {
            AcceptOutcome::Accepted(accepted) => Ok(*accepted),
            AcceptOutcome::AtCapacity { .. } => Err(StoreError::Conflict {
                constraint: STAFF_AT_CAPACITY.into(),
            }),
        }
    }
}
