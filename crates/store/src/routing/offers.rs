//! Decisions persisted as offers, and offers ending: declined, expired
//! (once), withdrawn. Accepting is in `accept`.

use domain::routing::{AttemptOutcome, Attempted, DestinationId, RoutingDecision, RoutingOutcome};
use domain::staff::StaffId;
use jiff::{SignedDuration, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{
    read_enquiry, trigger, Applied, EndedOffer, Offer, PendingRound, RoutingState, MISSED_RETRY,
    OFFER_NOT_OPEN,
};
use crate::enquiries::{enquiry_from_row, Enquiry, ENQUIRY_COLUMNS};
use crate::error::{Context, StoreError};
use crate::rows::{ms, new_id, opt_time, time, truncate};
use crate::Store;

pub(super) const OFFER_COLUMNS: &str =
    "id, account_id, enquiry_id, staff_id, destination_id, status, \
    via_sticky, created_at, deadline_at, resolved_at";

pub(super) fn offer_from_row(row: &AnyRow) -> Result<Offer, sqlx::Error> {
    Ok(Offer {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        enquiry_id: row.try_get("enquiry_id")?,
        staff_id: row.try_get("staff_id")?,
        destination_id: row.try_get("destination_id")?,
        status: row.try_get("status")?,
        via_sticky: row.try_get::<i64, _>("via_sticky")? != 0,
        created_at: time(row, "created_at")?,
        deadline_at: time(row, "deadline_at")?,
        resolved_at: opt_time(row, "resolved_at")?,
    })
}

impl Store {
    /// Persists a routing decision for `enquiry` as read (its `updated_at`
    /// guards against a concurrent change): the trace, then either the offers
    /// (with deadlines) and the percentage tally, or the missed state.
    /// `attempted` is what the decision was made with; `whole_destination`
    /// says the offer is a ring-all round (see [`PendingRound`]).
    #[tracing::instrument(skip(self, enquiry, decision, attempted), fields(enquiry_id = %enquiry.id))]
    pub async fn apply_routing_decision(
        &self,
        enquiry: &Enquiry,
        trigger: &str,
        decision: &RoutingDecision,
        attempted: &Attempted,
        whole_destination: bool,
        now: Timestamp,
    ) -> Result<Applied, StoreError> {
        let at = truncate(now);
        let account_id = enquiry.account_id.as_str();
        let mut tx = self.write_tx().await?;
        let mut state = RoutingState {
            attempted: attempted.clone(),
            ..RoutingState::default()
        };
        let (status, destination_id) = match &decision.outcome {
            RoutingOutcome::Offer { destination, .. } => {
                state.pending = Some(PendingRound {
                    destination_id: destination.as_ref().map(|d| d.0.clone()),
                    whole_destination,
                });
                ("offered", destination.as_ref().map(|d| d.0.clone()))
            }
            RoutingOutcome::Missed { .. } => ("missed", enquiry.destination_id.clone()),
        };
        let missed_at = (status == "missed").then_some(ms(at));
        // A missed enquiry is looked at again later, in case someone can take
        // it by then (see `missed_due_for_retry`).
        let route_at = missed_at.map(|_| ms(at + MISSED_RETRY));
        let done = sqlx::query(
            "UPDATE enquiries SET status = $1, destination_id = $2, route_at = $3,
                 routing_state = $4, missed_at = COALESCE($5, missed_at), updated_at = $6
             WHERE account_id = $7 AND id = $8 AND status IN ('routing', 'missed')
               AND updated_at = $9",
        )
        .bind(status)
        .bind(&destination_id)
        .bind(route_at)
        .bind(state.to_json())
        .bind(missed_at)
        .bind(ms(at))
        .bind(account_id)
        .bind(&enquiry.id)
        .bind(ms(enquiry.updated_at))
        .execute(&mut *tx)
        .await
        .context("recording a routing decision")?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(Applied::Stale);
        }
        sqlx::query(
            "INSERT INTO routing_traces (id, account_id, enquiry_id, trigger, trace, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(account_id)
        .bind(&enquiry.id)
        .bind(trigger)
        .bind(serde_json::to_string(decision).expect("a decision serializes"))
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .context("recording a routing trace")?;
        let mut offers = Vec::new();
        if let RoutingOutcome::Offer {
            destination,
            agents,
            via_sticky,
            offer_timeout_secs,
            count_towards_percentage,
        } = &decision.outcome
        {
            let deadline = at + SignedDuration::from_secs(i64::from(*offer_timeout_secs));
            for agent in agents {
                let offer = Offer {
                    id: new_id(),
                    account_id: account_id.to_owned(),
                    enquiry_id: enquiry.id.clone(),
                    staff_id: agent.0.clone(),
                    destination_id: destination.as_ref().map(|d| d.0.clone()),
                    status: "open".into(),
                    via_sticky: *via_sticky,
                    created_at: at,
                    deadline_at: deadline,
                    resolved_at: None,
                };
                sqlx::query(
                    "INSERT INTO offers (id, account_id, enquiry_id, staff_id, destination_id,
                         status, via_sticky, created_at, deadline_at)
                     VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8)",
                )
                .bind(&offer.id)
                .bind(account_id)
                .bind(&offer.enquiry_id)
                .bind(&offer.staff_id)
                .bind(&offer.destination_id)
                .bind(i64::from(offer.via_sticky))
                .bind(ms(at))
                .bind(ms(deadline))
                .execute(&mut *tx)
                .await
                .context("creating an offer")?;
                offers.push(offer);
            }
            if let Some(tally) = count_towards_percentage {
                bump_tally(&mut tx, account_id, &enquiry.channel_id, tally.as_str()).await?;
            }
        }
        let enquiry = read_enquiry(&mut *tx, account_id, &enquiry.id).await?;
        tx.commit().await?;
        Ok(if offers.is_empty() {
            Applied::Missed { enquiry }
        } else {
            Applied::Offered { enquiry, offers }
        })
    }

    /// Declines an open offer of the caller's.
    #[tracing::instrument(skip(self))]
    pub async fn decline_offer(
        &self,
        account_id: &str,
        offer_id: &str,
        staff_id: &str,
        now: Timestamp,
    ) -> Result<EndedOffer, StoreError> {
        let mut tx = self.write_tx().await?;
        let offer = read_offer(&mut *tx, account_id, offer_id).await?;
        if offer.staff_id != staff_id {
            return Err(StoreError::NotFound);
        }
        let ended = end_offer(
            &mut tx,
            self.dialect().for_update(),
            offer,
            "declined",
            Some(AttemptOutcome::Declined),
            trigger::DECLINED,
            ms(truncate(now)),
        )
        .await?
        .ok_or_else(|| StoreError::Conflict {
            constraint: OFFER_NOT_OPEN.into(),
        })?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Expires open offers whose deadline has passed (each once, whichever
    /// node gets there first).
    pub async fn expire_due_offers(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<EndedOffer>, StoreError> {
        let sql = format!(
            "SELECT {OFFER_COLUMNS} FROM offers WHERE status = 'open' AND deadline_at <= $1
             ORDER BY deadline_at, id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("reading expired offers")?;
        let due: Vec<Offer> = rows
            .iter()
            .map(offer_from_row)
            .collect::<Result<_, _>>()
            .context("decoding offers")?;
        let mut ended = Vec::new();
        for offer in due {
            let mut tx = self.write_tx().await?;
            if let Some(e) = end_offer(
                &mut tx,
                self.dialect().for_update(),
                offer,
                "expired",
                Some(AttemptOutcome::TimedOut),
                trigger::OFFER_TIMED_OUT,
                ms(truncate(now)),
            )
            .await?
            {
                ended.push(e);
            }
            tx.commit().await?;
        }
        Ok(ended)
    }

    /// An agent went away or offline: their open offers are withdrawn (not
    /// counted as tried: they may be offered again once back).
    pub async fn withdraw_offers_of(
        &self,
        account_id: &str,
        staff_id: &str,
        now: Timestamp,
    ) -> Result<Vec<EndedOffer>, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {OFFER_COLUMNS} FROM offers
             WHERE account_id = $1 AND staff_id = $2 AND status = 'open'"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(staff_id)
            .fetch_all(&mut *tx)
            .await
            .context("reading an agent's open offers")?;
        let mut ended = Vec::new();
        for row in &rows {
            let offer = offer_from_row(row).context("decoding an offer")?;
            if let Some(e) = end_offer(
                &mut tx,
                self.dialect().for_update(),
                offer,
                "withdrawn",
                None,
                trigger::AGENT_UNAVAILABLE,
                ms(truncate(now)),
            )
            .await?
            {
                ended.push(e);
            }
        }
        tx.commit().await?;
        Ok(ended)
    }

    pub async fn get_offer(&self, account_id: &str, id: &str) -> Result<Offer, StoreError> {
        read_offer(&self.pool, account_id, id).await
    }

    /// The agent's open offers, oldest first.
    pub async fn list_open_offers(
        &self,
        account_id: &str,
        staff_id: &str,
    ) -> Result<Vec<Offer>, StoreError> {
        let sql = format!(
            "SELECT {OFFER_COLUMNS} FROM offers
             WHERE account_id = $1 AND staff_id = $2 AND status = 'open'
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(staff_id)
            .fetch_all(&self.pool)
            .await
            .context("listing open offers")?;
        rows.iter()
            .map(offer_from_row)
            .collect::<Result<_, _>>()
            .context("decoding offers")
    }

    /// Every open offer of the account, oldest first (supervision).
    pub async fn list_account_open_offers(
        &self,
        account_id: &str,
    ) -> Result<Vec<Offer>, StoreError> {
        let sql = format!(
            "SELECT {OFFER_COLUMNS} FROM offers
             WHERE account_id = $1 AND status = 'open'
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .context("listing the account's open offers")?;
        rows.iter()
            .map(offer_from_row)
            .collect::<Result<_, _>>()
            .context("decoding offers")
    }

    /// Every offer of an enquiry, oldest first.
    pub async fn list_enquiry_offers(
        &self,
        account_id: &str,
        enquiry_id: &str,
    ) -> Result<Vec<Offer>, StoreError> {
        let sql = format!(
            "SELECT {OFFER_COLUMNS} FROM offers WHERE account_id = $1 AND enquiry_id = $2
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .bind(enquiry_id)
            .fetch_all(&self.pool)
            .await
            .context("listing an enquiry's offers")?;
        rows.iter()
            .map(offer_from_row)
            .collect::<Result<_, _>>()
            .context("decoding offers")
    }
}

/// One offer of the account, through the pool or inside a transaction;
/// `NotFound` when the account has no such offer.
pub(super) async fn read_offer<'c, E>(
    executor: E,
    account_id: &str,
    id: &str,
) -> Result<Offer, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let sql = format!("SELECT {OFFER_COLUMNS} FROM offers WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(executor)
        .await
        .context("reading an offer")?
        .ok_or(StoreError::NotFound)?;
    offer_from_row(&row).context("decoding an offer")
}

async fn bump_tally(
    conn: &mut AnyConnection,
    account_id: &str,
    channel_id: &str,
    destination_id: &str,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE routing_tallies SET assigned = assigned + 1
         WHERE account_id = $1 AND channel_id = $2 AND destination_id = $3",
    )
    .bind(account_id)
    .bind(channel_id)
    .bind(destination_id)
    .execute(&mut *conn)
    .await
    .context("counting a percentage offer")?;
    if done.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO routing_tallies (account_id, channel_id, destination_id, assigned)
             VALUES ($1, $2, $3, 1)",
        )
        .bind(account_id)
        .bind(channel_id)
        .bind(destination_id)
        .execute(&mut *conn)
        .await
        .context("counting a percentage offer")?;
    }
    Ok(())
}

/// Marks every other open offer of the enquiry `taken`; returns them.
pub(super) async fn end_open_offers_of_enquiry(
    conn: &mut AnyConnection,
    account_id: &str,
    enquiry_id: &str,
    at: i64,
) -> Result<Vec<Offer>, StoreError> {
    let sql = format!(
        "SELECT {OFFER_COLUMNS} FROM offers
         WHERE account_id = $1 AND enquiry_id = $2 AND status = 'open'"
    );
    let rows = sqlx::query(&sql)
        .bind(account_id)
        .bind(enquiry_id)
        .fetch_all(&mut *conn)
        .await
        .context("reading the other offers")?;
    sqlx::query(
        "UPDATE offers SET status = 'taken', resolved_at = $1
         WHERE account_id = $2 AND enquiry_id = $3 AND status = 'open'",
    )
    .bind(at)
    .bind(account_id)
    .bind(enquiry_id)
    .execute(&mut *conn)
    .await
    .context("closing the other offers")?;
    rows.iter()
        .map(|r| {
            offer_from_row(r).map(|mut o| {
                o.status = "taken".into();
                o
            })
        })
        .collect::<Result<_, _>>()
        .context("decoding offers")
}

/// Ends one open offer with `status`; records the agent's outcome; when it
/// was the enquiry's last open offer, puts the enquiry back to routing (due
/// now) with the round's outcome recorded. `None` if the offer was no longer
/// open.
async fn end_offer(
    conn: &mut AnyConnection,
    for_update: &str,
    mut offer: Offer,
    status: &str,
    outcome: Option<AttemptOutcome>,
    next_trigger: &str,
    at: i64,
) -> Result<Option<EndedOffer>, StoreError> {
    // Lock the enquiry first (the order accept uses too), so two offers of
    // one enquiry ending at once on PostgreSQL see each other's end.
    let sql = format!(
        "SELECT {ENQUIRY_COLUMNS} FROM enquiries WHERE account_id = $1 AND id = $2{for_update}"
    );
    let row = sqlx::query(&sql)
        .bind(&offer.account_id)
        .bind(&offer.enquiry_id)
        .fetch_optional(&mut *conn)
        .await
        .context("locking an offer's enquiry")?
        .ok_or(StoreError::NotFound)?;
    let enquiry = enquiry_from_row(&row).context("decoding an enquiry")?;
    let done = sqlx::query(
        "UPDATE offers SET status = $1, resolved_at = $2
         WHERE account_id = $3 AND id = $4 AND status = 'open'",
    )
    .bind(status)
    .bind(at)
    .bind(&offer.account_id)
    .bind(&offer.id)
    .execute(&mut *conn)
    .await
    .context("ending an offer")?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    offer.status = status.to_owned();
    let account_id = offer.account_id.clone();
    if enquiry.status != crate::EnquiryStatus::Offered {
        return Ok(Some(EndedOffer {
            offer,
            enquiry_rerouted: false,
        }));
    }
    let mut state = RoutingState::parse(&enquiry.routing_state);
    if let Some(outcome) = outcome {
        state
            .attempted
            .agents
            .insert(StaffId(offer.staff_id.clone()), outcome);
    }
    let still_open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM offers WHERE account_id = $1 AND enquiry_id = $2 AND status = 'open'",
    )
    .bind(&account_id)
    .bind(&offer.enquiry_id)
    .fetch_one(&mut *conn)
    .await
    .context("counting open offers")?;
    let rerouted = still_open == 0;
    if rerouted {
        if let Some(round) = state.pending.take() {
            if let (true, Some(destination), Some(outcome)) =
                (round.whole_destination, round.destination_id, outcome)
            {
                state
                    .attempted
                    .destinations
                    .insert(DestinationId(destination), outcome);
            }
        }
        state.trigger = Some(next_trigger.to_owned());
    }
    let (new_status, route_at) = if rerouted {
        ("routing", Some(at))
    } else {
        ("offered", None)
    };
    sqlx::query(
        "UPDATE enquiries SET status = $1, route_at = $2, routing_state = $3, updated_at = $4
         WHERE account_id = $5 AND id = $6 AND status = 'offered'",
    )
    .bind(new_status)
    .bind(route_at)
    .bind(state.to_json())
    .bind(at)
    .bind(&account_id)
    .bind(&offer.enquiry_id)
    .execute(&mut *conn)
    .await
    .context("recording an ended offer")?;
    Ok(Some(EndedOffer {
        offer,
        enquiry_rerouted: rerouted,
    }))
}
