//! Missed enquiries: the away message (once), the pick-up list, picking
//! up; and the recorded traces.

use std::collections::HashMap;

use jiff::Timestamp;

use super::{
    prefixed_enquiry_columns, read_enquiry, remember_server, RoutingTraceRecord, NOT_MISSED,
};
use sqlx::Row;

use crate::enquiries::{enquiry_from_row, Enquiry, ENQUIRY_COLUMNS};
use crate::error::{Context, StoreError};
use crate::rows::{ms, time, truncate};
use crate::Store;

impl Store {
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
        // Suspended (and deleted) channels send no automatic messages: leave
        // theirs out, so they never crowd out the ones that can be sent.
        let sql = format!(
            "SELECT {} FROM enquiries e
             JOIN channels c ON c.account_id = e.account_id AND c.id = e.channel_id
             WHERE e.status = 'missed' AND e.away_sent_at IS NULL
               AND c.status IN ('active', 'disconnected')
             ORDER BY e.missed_at, e.id LIMIT $1",
            prefixed_enquiry_columns()
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
            read_enquiry(&mut *tx, account_id, enquiry_id).await?;
            return Err(StoreError::Conflict {
                constraint: NOT_MISSED.into(),
            });
        }
        let enquiry = read_enquiry(&mut *tx, account_id, enquiry_id).await?;
        remember_server(&mut tx, account_id, &enquiry.visitor_id, staff_id, at).await?;
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
