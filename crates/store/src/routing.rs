//! Routing's persistence: the concurrent-visitor queue, the snapshot that
//! `domain::routing::decide` reads, offers with their deadlines, traces, the
//! percentage tallies, the grace period after an agent goes away, and the
//! missed list.
//!
//! Every change that another node could race on is a guarded `UPDATE`
//! (`… WHERE status = 'open'`, `… AND updated_at = $n`) whose affected-row
//! count decides who did it, so each offer ends once and each enquiry is
//! routed by one worker, on both backends, across restarts.

use std::collections::{BTreeMap, HashMap};

use domain::messages::MessageSettings;
use domain::routing::{
    AgentState, AttemptOutcome, Attempted, DestinationId, DestinationState, RoutingDecision,
    RoutingOutcome, RoutingRule, RoutingSettings, RoutingSettingsInput, RoutingSnapshot,
    TimeZoneName,
};
use domain::staff::{Availability, DistributionStrategy, StaffId};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::enquiries::{enquiry_from_row, Enquiry, ENQUIRY_COLUMNS};
use crate::error::{Context, StoreError};
use crate::rows::{ms, new_id, opt_time, text, time, truncate};
use crate::Store;

/// Why an enquiry is (re)routed; the `trigger` of its next trace.
pub mod trigger {
    pub const OPENED: &str = "opened";
    pub const OFFER_TIMED_OUT: &str = "offer_timed_out";
    pub const DECLINED: &str = "declined";
    pub const AGENT_UNAVAILABLE: &str = "agent_unavailable";
    pub const AWAY_GRACE_ENDED: &str = "away_grace_ended";
    pub const TRANSFER: &str = "transfer";
}

/// What routing keeps on an enquiry between decisions (`enquiries.routing_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingState {
    /// Who was already offered this enquiry and how it ended.
    #[serde(default)]
    pub attempted: Attempted,
    /// The offer round in progress, so its end can be recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingRound>,
    /// Set by a transfer: where the agent sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
    /// Why routing runs next (see [`trigger`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
}

/// The offer round in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRound {
    pub destination_id: Option<String>,
    /// Ring all: when every offer of the round ended, the whole destination
    /// counts as tried (longest idle and sticky offers record the agent only).
    pub whole_destination: bool,
}

/// A transfer's target, as SERVING writes it (`by_staff_id`: who transferred
/// it, so they are not offered it straight back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Transfer {
    Destination {
        destination_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by_staff_id: Option<String>,
    },
    Staff {
        staff_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by_staff_id: Option<String>,
    },
}

impl Transfer {
    /// Who transferred the enquiry, if known.
    pub fn by_staff_id(&self) -> Option<&str> {
        match self {
            Self::Destination { by_staff_id, .. } | Self::Staff { by_staff_id, .. } => {
                by_staff_id.as_deref()
            }
        }
    }
}

impl RoutingState {
    /// Reads the JSON column; anything unreadable counts as a fresh start
    /// rather than blocking the enquiry forever.
    pub fn parse(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("routing state serializes")
    }
}

/// An offer of an enquiry to one agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offer {
    pub id: String,
    pub account_id: String,
    pub enquiry_id: String,
    pub staff_id: String,
    pub destination_id: Option<String>,
    /// `open`, `accepted`, `declined`, `expired`, `withdrawn` or `taken`.
    pub status: String,
    pub via_sticky: bool,
    pub created_at: Timestamp,
    pub deadline_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

const OFFER_COLUMNS: &str = "id, account_id, enquiry_id, staff_id, destination_id, status, \
    via_sticky, created_at, deadline_at, resolved_at";

fn offer_from_row(row: &AnyRow) -> Result<Offer, sqlx::Error> {
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

/// One recorded routing decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoutingTraceRecord {
    pub id: String,
    pub enquiry_id: String,
    pub trigger: String,
    /// The domain's [`RoutingDecision`] as JSON (`outcome` and `trace`).
    pub decision: serde_json::Value,
    pub created_at: Timestamp,
}

/// What persisting a decision did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Offers were created.
    Offered {
        enquiry: Enquiry,
        offers: Vec<Offer>,
    },
    /// Nobody was offered it: now in the missed list.
    Missed { enquiry: Enquiry },
    /// Someone else changed the enquiry meanwhile; nothing was written.
    Stale,
}

/// The result of an accepted offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub enquiry: Enquiry,
    pub offer: Offer,
    /// Other agents' offers of the same enquiry, now `taken`.
    pub taken: Vec<Offer>,
}

/// An offer that ended without being accepted, and whether its enquiry now
/// needs routing again.
#[derive(Debug, Clone, PartialEq)]
pub struct EndedOffer {
    pub offer: Offer,
    pub enquiry_rerouted: bool,
}

/// The reason an accept was refused, as `Conflict { constraint }`.
pub const OFFER_NOT_OPEN: &str = "offer_not_open";
/// Another agent accepted first.
pub const OFFER_TAKEN: &str = "offer_taken";
/// Pick-up of an enquiry that is no longer missed.
pub const NOT_MISSED: &str = "enquiry_not_missed";

/// Reads routing settings as stored. A channel connected before the account
/// had any destination holds an alternative rule with none: routing then finds
/// nobody and the enquiry is missed.
pub fn stored_routing_settings(json: &str) -> RoutingSettings {
    let input: Option<RoutingSettingsInput> = serde_json::from_str(json).ok();
    if let Some(parsed) = input
        .as_ref()
        .and_then(|i| RoutingSettings::parse_stored(i).ok())
    {
        return parsed;
    }
    RoutingSettings {
        rule: RoutingRule::Alternative {
            destinations: Vec::new(),
        },
        sticky: input.as_ref().is_some_and(|i| i.sticky),
        time_zone: input
            .and_then(|i| TimeZoneName::parse("routing.time_zone", &i.time_zone).ok())
            .unwrap_or_default(),
    }
}

/// A channel as routing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingChannel {
    pub id: String,
    /// `active`, `suspended`, `disconnected` or `deleted`.
    pub status: String,
    pub settings: RoutingSettings,
    /// The away message text (the channel's message settings).
    pub away_message: String,
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
        let sql = format!(
            "SELECT {} FROM enquiries e
             JOIN channels c ON c.account_id = e.account_id AND c.id = e.channel_id
             WHERE e.status = 'routing' AND e.standby = 0 AND c.status = 'active'
               AND (e.route_at IS NULL OR e.route_at <= $1)
             ORDER BY e.last_inbound_at, e.opened_at, e.id LIMIT $2",
            prefixed_enquiry_columns()
        );
        let rows = sqlx::query(&sql)
            .bind(ms(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("reading enquiries due for routing")?;
        rows.iter()
            .map(enquiry_from_row)
            .collect::<Result<_, _>>()
            .context("decoding enquiries due for routing")
    }

    /// The channel's status, routing settings and away message.
    pub async fn routing_channel(
        &self,
        account_id: &str,
        channel_id: &str,
    ) -> Result<RoutingChannel, StoreError> {
        let row = sqlx::query(
            "SELECT id, status, routing_settings, message_settings FROM channels
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id)
        .bind(channel_id)
        .fetch_optional(&self.pool)
        .await
        .context("reading a channel's routing settings")?
        .ok_or(StoreError::NotFound)?;
        let settings: String = row
            .try_get("routing_settings")
            .context("decoding a channel")?;
        let messages: String = row
            .try_get("message_settings")
            .context("decoding a channel")?;
        let away_message = String::from(
            serde_json::from_str::<MessageSettings>(&messages)
                .unwrap_or_default()
                .away_message,
        );
        Ok(RoutingChannel {
            id: row.try_get("id").context("decoding a channel")?,
            status: row.try_get("status").context("decoding a channel")?,
            settings: stored_routing_settings(&settings),
            away_message,
        })
    }

    /// The state of every agent of the account: presence, capacity, active
    /// enquiries, and idle-since (the later of becoming available and their
    /// last assignment).
    pub async fn agent_states(
        &self,
        account_id: &str,
    ) -> Result<HashMap<String, AgentState>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.availability, s.availability_changed_at, s.capacity,
                (SELECT COUNT(*) FROM enquiries e WHERE e.account_id = s.account_id
                    AND e.assigned_staff_id = s.id AND e.status = 'active') AS active,
                (SELECT MAX(e.assigned_at) FROM enquiries e WHERE e.account_id = s.account_id
                    AND e.assigned_staff_id = s.id) AS last_assigned_at
             FROM staff s WHERE s.account_id = $1",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .context("reading agents' presence")?;
        let mut agents = HashMap::with_capacity(rows.len());
        for row in &rows {
            let agent = agent_from_row(row).context("decoding an agent's presence")?;
            agents.insert(agent.staff_id.0.clone(), agent);
        }
        Ok(agents)
    }

    /// Everything `decide` needs for an enquiry on `channel` (or, for the
    /// simulator, a hypothetical one): the rule's destinations with their
    /// members, the percentage tally, and the previous agent. `attempted`
    /// is left empty for the caller to fill in.
    pub async fn routing_snapshot(
        &self,
        account_id: &str,
        channel_id: &str,
        settings: RoutingSettings,
        previous_staff_id: Option<&str>,
        now: Timestamp,
    ) -> Result<RoutingSnapshot, StoreError> {
        let agents = self.agent_states(account_id).await?;
        let ids: Vec<String> = settings
            .rule
            .destination_ids()
            .into_iter()
            .map(|d| d.0.clone())
            .collect();
        let destinations = self.destination_states(account_id, &ids, &agents).await?;
        let tallies = sqlx::query(
            "SELECT destination_id, assigned FROM routing_tallies
             WHERE account_id = $1 AND channel_id = $2",
        )
        .bind(account_id)
        .bind(channel_id)
        .fetch_all(&self.pool)
        .await
        .context("reading percentage tallies")?;
        let mut percentage_counts = BTreeMap::new();
        for row in &tallies {
            let id: String = row.try_get("destination_id").context("decoding a tally")?;
            let count: i64 = row.try_get("assigned").context("decoding a tally")?;
            percentage_counts.insert(DestinationId(id), count.max(0) as u64);
        }
        Ok(RoutingSnapshot {
            now,
            settings,
            destinations,
            percentage_counts,
            previous_agent: previous_staff_id.and_then(|id| agents.get(id).cloned()),
            attempted: Attempted::default(),
        })
    }

    /// The named destinations of the account with their members' states, in
    /// member order; deleted ones are left out (routing traces them `not_found`).
    async fn destination_states(
        &self,
        account_id: &str,
        ids: &[String],
        agents: &HashMap<String, AgentState>,
    ) -> Result<Vec<DestinationState>, StoreError> {
        let mut states = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(row) = sqlx::query(
                "SELECT id, strategy, offer_timeout_secs FROM destinations
                 WHERE account_id = $1 AND id = $2",
            )
            .bind(account_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("reading a destination for routing")?
            else {
                continue;
            };
            let members: Vec<String> = sqlx::query_scalar(
                "SELECT staff_id FROM destination_members
                 WHERE account_id = $1 AND destination_id = $2 ORDER BY position",
            )
            .bind(account_id)
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .context("reading a destination's members")?;
            let strategy: DistributionStrategy =
                text(&row, "strategy").context("decoding a destination")?;
            let timeout: i64 = row
                .try_get("offer_timeout_secs")
                .context("decoding a destination")?;
            states.push(DestinationState {
                id: DestinationId(id.clone()),
                strategy,
                offer_timeout_secs: u32::try_from(timeout).unwrap_or(u32::MAX),
                members: members
                    .iter()
                    .filter_map(|m| agents.get(m).cloned())
                    .collect(),
            });
        }
        Ok(states)
    }

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
        let done = sqlx::query(
            "UPDATE enquiries SET status = $1, destination_id = $2, route_at = NULL,
                 routing_state = $3, missed_at = COALESCE($4, missed_at), updated_at = $5
             WHERE account_id = $6 AND id = $7 AND status = 'routing' AND updated_at = $8",
        )
        .bind(status)
        .bind(&destination_id)
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
        let enquiry = read_enquiry(&mut tx, account_id, &enquiry.id).await?;
        tx.commit().await?;
        Ok(if offers.is_empty() {
            Applied::Missed { enquiry }
        } else {
            Applied::Offered { enquiry, offers }
        })
    }

    /// Marks the away message of a missed enquiry as sent, once: `true` for
    /// the caller who should enqueue it.
    pub async fn claim_away_message(
        &self,
        account_id: &str,
        enquiry_id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE enquiries SET away_sent_at = $1
             WHERE account_id = $2 AND id = $3 AND status = 'missed' AND away_sent_at IS NULL",
        )
        .bind(ms(truncate(now)))
        .bind(account_id)
        .bind(enquiry_id)
        .execute(&mut *tx)
        .await
        .context("claiming an away message")?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Undoes [`Store::claim_away_message`] when enqueuing it failed, so the
    /// next run retries.
    pub async fn release_away_message(
        &self,
        account_id: &str,
        enquiry_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE enquiries SET away_sent_at = NULL WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(enquiry_id)
            .execute(&mut *tx)
            .await
            .context("releasing an away message")?;
        tx.commit().await
    }

    /// Missed enquiries whose away message has not gone out (e.g. after a crash).
    pub async fn missed_without_away_message(
        &self,
        limit: i64,
    ) -> Result<Vec<Enquiry>, StoreError> {
        let sql = format!(
            "SELECT {ENQUIRY_COLUMNS} FROM enquiries
             WHERE status = 'missed' AND away_sent_at IS NULL ORDER BY missed_at, id LIMIT $1"
        );
        let rows = sqlx::query(&sql)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("reading missed enquiries without an away message")?;
        rows.iter()
            .map(enquiry_from_row)
            .collect::<Result<_, _>>()
            .context("decoding missed enquiries")
    }

    /// Accepts an offer: exactly one agent wins an enquiry. The single
    /// guarded `UPDATE` of the enquiry decides; the others' open offers
    /// become `taken`. Refusals are `Conflict` with [`OFFER_TAKEN`] (someone
    /// else won) or [`OFFER_NOT_OPEN`] (declined, expired, withdrawn).
    #[tracing::instrument(skip(self))]
    pub async fn accept_offer(
        &self,
        account_id: &str,
        offer_id: &str,
        staff_id: &str,
        now: Timestamp,
    ) -> Result<Accepted, StoreError> {
        let at = ms(truncate(now));
        let mut tx = self.write_tx().await?;
        let offer = read_offer(&mut tx, account_id, offer_id).await?;
        if offer.staff_id != staff_id {
            return Err(StoreError::NotFound);
        }
        if offer.status != "open" {
            let constraint = if offer.status == "taken" {
                OFFER_TAKEN
            } else {
                OFFER_NOT_OPEN
            };
            return Err(StoreError::Conflict {
                constraint: constraint.into(),
            });
        }
        let won = sqlx::query(
            "UPDATE enquiries SET status = 'active', assigned_staff_id = $1, assigned_at = $2,
                 destination_id = COALESCE($3, destination_id), route_at = NULL,
                 routing_state = '{}', updated_at = $4
             WHERE account_id = $5 AND id = $6 AND status = 'offered'
               AND EXISTS (SELECT 1 FROM offers o WHERE o.account_id = $7 AND o.id = $8
                           AND o.status = 'open')",
        )
        .bind(staff_id)
        .bind(at)
        .bind(&offer.destination_id)
        .bind(at)
        .bind(account_id)
        .bind(&offer.enquiry_id)
        .bind(account_id)
        .bind(offer_id)
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
        let enquiry = read_enquiry(&mut tx, account_id, &offer.enquiry_id).await?;
        sqlx::query(
            "UPDATE visitors SET last_served_by = $1, updated_at = $2
             WHERE account_id = $3 AND id = $4",
        )
        .bind(staff_id)
        .bind(at)
        .bind(account_id)
        .bind(&enquiry.visitor_id)
        .execute(&mut *tx)
        .await
        .context("remembering who served the visitor")?;
        let offer = read_offer(&mut tx, account_id, offer_id).await?;
        tx.commit().await?;
        Ok(Accepted {
            enquiry,
            offer,
            taken,
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
        let offer = read_offer(&mut tx, account_id, offer_id).await?;
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

    /// Active enquiries whose agent has been away or offline for longer than
    /// the account's grace period go back to routing. Returns them.
    pub async fn reroute_after_grace(&self, now: Timestamp) -> Result<Vec<Enquiry>, StoreError> {
        let sql = format!(
            "SELECT {} FROM enquiries e
             JOIN staff s ON s.account_id = e.account_id AND s.id = e.assigned_staff_id
             JOIN accounts a ON a.id = e.account_id
             WHERE e.status = 'active' AND s.availability <> 'available'
               AND s.availability_changed_at + a.away_grace_secs * 1000 <= $1
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
            let state = RoutingState {
                trigger: Some(trigger::AWAY_GRACE_ENDED.into()),
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
                let fresh = read_enquiry(&mut tx, &enquiry.account_id, &enquiry.id).await?;
                tx.commit().await?;
                rerouted.push(fresh);
            } else {
                tx.rollback().await?;
            }
        }
        Ok(rerouted)
    }

    pub async fn get_offer(&self, account_id: &str, id: &str) -> Result<Offer, StoreError> {
        let sql = format!("SELECT {OFFER_COLUMNS} FROM offers WHERE account_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(account_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("reading an offer")?
            .ok_or(StoreError::NotFound)?;
        offer_from_row(&row).context("decoding an offer")
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

    /// Missed enquiries of the account, oldest first; for an agent
    /// (`member_of = Some(staff id)`) only those of channels whose routing
    /// names a destination the agent belongs to.
    pub async fn list_missed(
        &self,
        account_id: &str,
        member_of: Option<&str>,
    ) -> Result<Vec<Enquiry>, StoreError> {
        let sql = format!(
            "SELECT {ENQUIRY_COLUMNS} FROM enquiries
             WHERE account_id = $1 AND status = 'missed' ORDER BY missed_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .context("listing missed enquiries")?;
        let missed: Vec<Enquiry> = rows
            .iter()
            .map(enquiry_from_row)
            .collect::<Result<_, _>>()
            .context("decoding missed enquiries")?;
        let Some(staff_id) = member_of else {
            return Ok(missed);
        };
        let mut visible = Vec::new();
        let mut cache: HashMap<String, bool> = HashMap::new();
        for enquiry in missed {
            let allowed = match cache.get(&enquiry.channel_id) {
                Some(allowed) => *allowed,
                None => {
                    let allowed = self
                        .serves_channel(account_id, &enquiry.channel_id, staff_id)
                        .await?;
                    cache.insert(enquiry.channel_id.clone(), allowed);
                    allowed
                }
            };
            if allowed {
                visible.push(enquiry);
            }
        }
        Ok(visible)
    }

    /// Whether the agent is a member of a destination the channel's routing names.
    pub async fn serves_channel(
        &self,
        account_id: &str,
        channel_id: &str,
        staff_id: &str,
    ) -> Result<bool, StoreError> {
        let channel = self.routing_channel(account_id, channel_id).await?;
        let mine: Vec<String> = sqlx::query_scalar(
            "SELECT destination_id FROM destination_members
             WHERE account_id = $1 AND staff_id = $2",
        )
        .bind(account_id)
        .bind(staff_id)
        .fetch_all(&self.pool)
        .await
        .context("reading an agent's destinations")?;
        Ok(channel
            .settings
            .rule
            .destination_ids()
            .iter()
            .any(|d| mine.iter().any(|m| m == d.as_str())))
    }

    /// An agent takes a missed enquiry. `Conflict { NOT_MISSED }` when it was
    /// picked up (or closed) meanwhile.
    #[tracing::instrument(skip(self))]
    pub async fn pick_up_missed(
        &self,
        account_id: &str,
        enquiry_id: &str,
        staff_id: &str,
        now: Timestamp,
    ) -> Result<Enquiry, StoreError> {
        let at = ms(truncate(now));
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE enquiries SET status = 'active', assigned_staff_id = $1, assigned_at = $2,
                 routing_state = '{}', route_at = NULL, updated_at = $3
             WHERE account_id = $4 AND id = $5 AND status = 'missed'",
        )
        .bind(staff_id)
        .bind(at)
        .bind(at)
        .bind(account_id)
        .bind(enquiry_id)
        .execute(&mut *tx)
        .await
        .context("picking up a missed enquiry")?;
        if done.rows_affected() == 0 {
            // Missing and not-missed differ for the caller.
            read_enquiry(&mut tx, account_id, enquiry_id).await?;
            return Err(StoreError::Conflict {
                constraint: NOT_MISSED.into(),
            });
        }
        let enquiry = read_enquiry(&mut tx, account_id, enquiry_id).await?;
        sqlx::query(
            "UPDATE visitors SET last_served_by = $1, updated_at = $2
             WHERE account_id = $3 AND id = $4",
        )
        .bind(staff_id)
        .bind(at)
        .bind(account_id)
        .bind(&enquiry.visitor_id)
        .execute(&mut *tx)
        .await
        .context("remembering who served the visitor")?;
        tx.commit().await?;
        Ok(enquiry)
    }

    /// The enquiry's routing decisions, oldest first.
    pub async fn list_routing_traces(
        &self,
        account_id: &str,
        enquiry_id: &str,
    ) -> Result<Vec<RoutingTraceRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, enquiry_id, trigger, trace, created_at FROM routing_traces
             WHERE account_id = $1 AND enquiry_id = $2 ORDER BY created_at, id",
        )
        .bind(account_id)
        .bind(enquiry_id)
        .fetch_all(&self.pool)
        .await
        .context("listing routing traces")?;
        let mut traces = Vec::with_capacity(rows.len());
        for row in &rows {
            let trace: String = row.try_get("trace").context("decoding a trace")?;
            traces.push(RoutingTraceRecord {
                id: row.try_get("id").context("decoding a trace")?,
                enquiry_id: row.try_get("enquiry_id").context("decoding a trace")?,
                trigger: row.try_get("trigger").context("decoding a trace")?,
                decision: serde_json::from_str(&trace).unwrap_or(serde_json::Value::Null),
                created_at: time(row, "created_at").context("decoding a trace")?,
            });
        }
        Ok(traces)
    }
}

fn prefixed_enquiry_columns() -> String {
    ENQUIRY_COLUMNS
        .split(',')
        .map(|c| format!("e.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn agent_from_row(row: &AnyRow) -> Result<AgentState, sqlx::Error> {
    let availability: Availability = text(row, "availability")?;
    let changed = time(row, "availability_changed_at")?;
    let last_assigned = opt_time(row, "last_assigned_at")?;
    let capacity: i64 = row.try_get("capacity")?;
    let active: i64 = row.try_get("active")?;
    Ok(AgentState {
        staff_id: StaffId(row.try_get("id")?),
        availability,
        active_enquiries: u32::try_from(active).unwrap_or(u32::MAX),
        capacity: u32::try_from(capacity).unwrap_or(0),
        idle_since: last_assigned.map_or(changed, |a| a.max(changed)),
    })
}

async fn read_offer(
    conn: &mut AnyConnection,
    account_id: &str,
    id: &str,
) -> Result<Offer, StoreError> {
    let sql = format!("SELECT {OFFER_COLUMNS} FROM offers WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .context("reading an offer")?
        .ok_or(StoreError::NotFound)?;
    offer_from_row(&row).context("decoding an offer")
}

async fn read_enquiry(
    conn: &mut AnyConnection,
    account_id: &str,
    id: &str,
) -> Result<Enquiry, StoreError> {
    let sql = format!("SELECT {ENQUIRY_COLUMNS} FROM enquiries WHERE account_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(account_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .context("reading an enquiry")?
        .ok_or(StoreError::NotFound)?;
    enquiry_from_row(&row).context("decoding an enquiry")
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
async fn end_open_offers_of_enquiry(
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
