//! What `domain::routing::decide` reads: the channel's settings, the
//! destinations with their members' presence and load, the tally.

use std::collections::{BTreeMap, HashMap};

use domain::messages::MessageSettings;
use domain::routing::{
    AgentState, Attempted, DestinationId, DestinationState, RoutingSettings, RoutingSnapshot,
};
use domain::staff::{Availability, DistributionStrategy, StaffId};
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{stored_routing_settings, RoutingChannel};
use crate::error::{Context, StoreError};
use crate::rows::{opt_time, text, time};
use crate::Store;

impl Store {
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
