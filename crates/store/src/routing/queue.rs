//! The concurrent-visitor queue, what is due for routing, and the grace
//! period after an agent goes away.

use jiff::Timestamp;
use sqlx::Row;

use super::{prefixed_enquiry_columns, read_enquiry, trigger, RoutingState};
use crate::enquiries::{enquiry_from_row, Enquiry};
use crate::error::{Context, StoreError};
use crate::rows::{ms, truncate};
use crate::Store;

/// An active enquiry taken from an agent who stayed away too long.
#[derive(Debug, Clone, PartialEq)]
pub struct Unassigned {
    /// Now `routing`, due at once.
    pub enquiry: Enquiry,
    pub previous_staff_id: String,
    /// [`trigger::AWAY_GRACE_ENDED`], or [`trigger::AGENT_REMOVED`] when the
    /// agent no longer exists.
    pub reason: &'static str,
}

impl Store {
    /// Promotes `queued` enquiries to `routing`, oldest first, while each
    /// account's open count (routing/offered/active/missed) is below its
    /// `max_concurrent_visitors`; only on `active` channels, never standby.
    /// Returns the promoted enquiries.
    #[tracing::instrument(skip(self))]
    pub async fn promote_queued(&self, now: Timestamp) -> Result<Vec<Enquiry>, StoreError> {
        let accounts: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT e.account_id FROM enquiries e
             JOIN channels c ON c.account_id = e.account_id AND c.id = e.channel_id
             WHERE e.status = 'queued' AND e.standby = 0 AND c.status = 'active'",
        )
        .fetch_all(&self.pool)
        .await
        .context("finding accounts with queued enquiries")?;
        let mut promoted = Vec::new();
        for account_id in accounts {
            promoted.extend(self.promote_queued_of(&account_id, now).await?);
        }
        Ok(promoted)
    }

    async fn promote_queued_of(
        &self,
        account_id: &str,
        now: Timestamp,
    ) -> Result<Vec<Enquiry>, StoreError> {
        let mut tx = self.write_tx().await?;
        // Locking the account row serialises promoters of one account on
        // PostgreSQL, so two nodes cannot both fill the last slot.
        let limit: i64 = sqlx::query_scalar(&format!(
            "SELECT max_concurrent_visitors FROM accounts WHERE id = $1{}",
            self.dialect().for_update()
        ))
        .bind(account_id)
        .fetch_one(&mut *tx)
        .await
        .context("reading the concurrent-visitor limit")?;
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM enquiries WHERE account_id = $1
             AND status IN ('routing', 'offered', 'active', 'missed')",
        )
        .bind(account_id)
        .fetch_one(&mut *tx)
        .await
        .context("counting open enquiries")?;
        let free = limit - open;
        if free <= 0 {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM enquiries e
             JOIN channels c ON c.account_id = e.account_id AND c.id = e.channel_id
             WHERE e.account_id = $1 AND e.status = 'queued' AND e.standby = 0
               AND c.status = 'active'
             ORDER BY e.opened_at, e.id LIMIT $2",
            prefixed_enquiry_columns()
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(free)
            .fetch_all(&mut *tx)
            .await
            .context("reading queued enquiries")?;
        let at = ms(truncate(now));
        let mut promoted = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut enquiry = enquiry_from_row(row).context("decoding a queued enquiry")?;
            let state = RoutingState {
                trigger: Some(trigger::OPENED.into()),
                ..RoutingState::parse(&enquiry.routing_state)
            };
            sqlx::query(
                "UPDATE enquiries SET status = 'routing', route_at = $1, routing_state = $2,
                     updated_at = $3
                 WHERE account_id = $4 AND id = $5 AND status = 'queued'",
            )
            .bind(at)
            .bind(state.to_json())
            .bind(at)
            .bind(account_id)
            .bind(&enquiry.id)
            .execute(&mut *tx)
            .await
            .context("promoting a queued enquiry")?;
            enquiry.status = crate::EnquiryStatus::Routing;
            enquiry.route_at = Some(truncate(now));
            enquiry.routing_state = state.to_json();
            enquiry.updated_at = truncate(now);
            promoted.push(enquiry);
        }
        tx.commit().await?;
        Ok(promoted)
    }

    /// Enquiries that need a routing decision now: `routing`, not standby,
    /// `route_at` unset or due, on an `active` channel. The caller orders them
    /// (`domain::routing::order_waiting`).
    pub async fn due_for_routing(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<Enquiry>, StoreError> {
        self.due_on_active_channels(
            "e.status = 'routing' AND (e.route_at IS NULL OR e.route_at <= $1)",
            "e.last_inbound_at, e.opened_at, e.id",
            now,
            limit,
            "reading enquiries due for routing",
        )
        .await
    }

    /// Active enquiries whose agent has been away or offline for longer than
    /// the account's grace period (or was deleted) go back to routing.
    /// Returns them.
    pub async fn reroute_after_grace(&self, now: Timestamp) -> Result<Vec<Unassigned>, StoreError> {
        let sql = format!(
            "SELECT {}, s.id AS staff_present FROM enquiries e
             LEFT JOIN staff s ON s.account_id = e.account_id AND s.id = e.assigned_staff_id
             JOIN accounts a ON a.id = e.account_id
             WHERE e.status = 'active'
               AND (s.id IS NULL OR (s.availability <> 'available'
                    AND s.availability_changed_at + a.away_grace_secs * 1000 <= $1))
             ORDER BY e.id LIMIT 100",
            prefixed_enquiry_columns()
        );
        let rows = sqlx::query(&sql)
            .bind(ms(now))
            .fetch_all(&self.pool)
            .await
            .context("reading enquiries of agents away past the grace period")?;
        let at = ms(truncate(now));
        let mut rerouted = Vec::new();
        for row in &rows {
            let enquiry = enquiry_from_row(row).context("decoding an enquiry")?;
            let present: Option<String> = row
                .try_get("staff_present")
                .context("decoding an enquiry")?;
            // A deleted agent's enquiries need no grace period.
            let reason = if present.is_some() {
                trigger::AWAY_GRACE_ENDED
            } else {
                trigger::AGENT_REMOVED
            };
            let state = RoutingState {
                trigger: Some(reason.into()),
                ..RoutingState::default()
            };
            let mut tx = self.write_tx().await?;
            let done = sqlx::query(
                "UPDATE enquiries SET status = 'routing', assigned_staff_id = NULL,
                     route_at = $1, routing_state = $2, updated_at = $3
                 WHERE account_id = $4 AND id = $5 AND status = 'active'
                   AND assigned_staff_id = $6",
            )
            .bind(at)
            .bind(state.to_json())
            .bind(at)
            .bind(&enquiry.account_id)
            .bind(&enquiry.id)
            .bind(&enquiry.assigned_staff_id)
            .execute(&mut *tx)
            .await
            .context("re-routing an enquiry after the grace period")?;
            if done.rows_affected() == 1 {
                let fresh = read_enquiry(&mut *tx, &enquiry.account_id, &enquiry.id).await?;
                tx.commit().await?;
                rerouted.push(Unassigned {
                    enquiry: fresh,
                    previous_staff_id: enquiry.assigned_staff_id.clone().unwrap_or_default(),
                    reason,
                });
            } else {
                tx.rollback().await?;
            }
        }
        Ok(rerouted)
    }
}

impl Store {
    /// Missed enquiries whose retry is due (`route_at`), not standby, on an
    /// `active` channel, in the order the caller sorts them.
    pub async fn missed_due_for_retry(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<Enquiry>, StoreError> {
        self.due_on_active_channels(
            "e.status = 'missed' AND e.route_at IS NOT NULL AND e.route_at <= $1",
            "e.route_at, e.id",
            now,
            limit,
            "reading missed enquiries due for a retry",
        )
        .await
    }

    /// A retry found nobody again: look again after [`super::MISSED_RETRY`].
    /// Writes nothing else (no trace: nothing changed).
    pub async fn postpone_missed_retry(
        &self,
        enquiry: &Enquiry,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE enquiries SET route_at = $1
             WHERE account_id = $2 AND id = $3 AND status = 'missed' AND updated_at = $4",
        )
        .bind(ms(truncate(now) + super::MISSED_RETRY))
        .bind(&enquiry.account_id)
        .bind(&enquiry.id)
        .bind(ms(enquiry.updated_at))
        .execute(&mut *tx)
        .await
        .context("postponing a missed enquiry's retry")?;
        tx.commit().await
    }

    /// An agent became available: the account's missed enquiries are due for
    /// a retry now. Returns how many.
    pub async fn retry_missed_now(
        &self,
        account_id: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE enquiries SET route_at = $1
             WHERE account_id = $2 AND status = 'missed' AND standby = 0",
        )
        .bind(ms(truncate(now)))
        .bind(account_id)
        .execute(&mut *tx)
        .await
        .context("making missed enquiries due for a retry")?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// Enquiries `e` meeting `condition` (`$1` = now), not standby and on an
    /// `active` channel, the first `limit` of them by `order_by`.
    async fn due_on_active_channels(
        &self,
        condition: &str,
        order_by: &str,
        now: Timestamp,
        limit: i64,
        context: &'static str,
    ) -> Result<Vec<Enquiry>, StoreError> {
        let sql = format!(
            "SELECT {} FROM enquiries e
             JOIN channels c ON c.account_id = e.account_id AND c.id = e.channel_id
             WHERE e.standby = 0 AND c.status = 'active' AND {condition}
             ORDER BY {order_by} LIMIT $2",
            prefixed_enquiry_columns()
        );
        let rows = sqlx::query(&sql)
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context(context)?;
        rows.iter()
            .map(enquiry_from_row)
            .collect::<Result<_, _>>()
            .context(context)
    }
}
