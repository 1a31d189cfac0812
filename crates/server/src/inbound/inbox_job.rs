//! The inbox worker: claims stored deliveries, applies their events in event
//! time order, each in its own transaction keyed by its dedupe key, and marks
//! the delivery done. One event that fails does not stop the others; the
//! delivery stays pending (and is retried) until every event is applied.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use messenger::events::{parse_batch, MessagingEvent};
use store::{Channel, InboundEvent, InboundOutcome, InboxRow, FACEBOOK_MESSENGER};
use tokio::sync::Notify;

use super::{backoff_ms, convert, notify};
use crate::state::AppState;
use crate::workers::Job;

/// A claimed delivery is someone else's again after this long.
const LEASE_MS: i64 = 60_000;
/// Deliveries claimed per run.
const BATCH: i64 = 20;
/// An edit or reaction whose message has not arrived is retried this many
/// times (about two minutes) before it is kept as an unapplied event.
const MAX_DEFERRALS: i64 = 10;

pub struct InboxJob;

#[async_trait::async_trait]
impl Job for InboxJob {
    fn name(&self) -> &'static str {
        "inbox"
    }

    fn waker(&self, state: &AppState) -> Arc<Notify> {
        state.wake.inbox.clone()
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(250)
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<usize> {
        let rows = state
            .store
            .claim_inbox(state.now(), LEASE_MS, BATCH)
            .await?;
        let count = rows.len();
        for row in rows {
            process(state, row).await?;
        }
        Ok(count)
    }
}

/// Applies one delivery.
async fn process(state: &AppState, row: InboxRow) -> anyhow::Result<()> {
    let batch = match parse_batch(&row.body) {
        Ok(batch) => batch,
        Err(e) => {
            tracing::warn!(inbox_id = %row.id, error = %e, "unreadable webhook delivery kept");
            state
                .store
                .inbox_failed(&row.id, &e.to_string(), state.now())
                .await?;
            return Ok(());
        }
    };
    if batch.object != "page" {
        let reason = format!("object {:?} is not a Messenger Page", batch.object);
        state
            .store
            .inbox_failed(&row.id, &reason, state.now())
            .await?;
        return Ok(());
    }
    let mut channels: HashMap<String, Option<Channel>> = HashMap::new();
    let mut problems = Vec::new();
    for event in batch.events_by_time() {
        if !channels.contains_key(&event.page_id) {
            let channel = state
                .store
                .find_channel_by_page(FACEBOOK_MESSENGER, &event.page_id)
                .await?;
            channels.insert(event.page_id.clone(), channel);
        }
        let Some(channel) = channels.get(&event.page_id).and_then(Option::as_ref) else {
            tracing::info!(page_id = %event.page_id, "event for a Page with no channel skipped");
            continue;
        };
        if let Err(problem) = apply_one(state, &row, channel, event).await {
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        state.store.inbox_done(&row.id, state.now()).await?;
    } else {
        let retry_at = Timestamp::now()
            + jiff::SignedDuration::from_millis(backoff_ms(250, row.attempts, 300_000));
        state
            .store
            .inbox_retry(&row.id, &problems.join("; "), retry_at)
            .await?;
    }
    Ok(())
}

/// Applies one event; `Err` says why it must be tried again.
async fn apply_one(
    state: &AppState,
    row: &InboxRow,
    channel: &Channel,
    event: &MessagingEvent,
) -> Result<(), String> {
    let app_id = &state.config.facebook_app_id;
    let Some((psid, item)) = convert::to_inbound(event, app_id) else {
        return Ok(());
    };
    let mut inbound = InboundEvent {
        inbox_id: row.id.clone(),
        dedupe_key: event.dedupe_key(),
        account_id: channel.account_id.clone(),
        channel_id: channel.id.clone(),
        psid,
        at: Timestamp::from_millisecond(event.timestamp).unwrap_or_else(|_| state.now()),
        standby: event.standby,
        item,
    };
    let mut outcome = state.store.apply_inbound(&inbound).await;
    if let Ok(InboundOutcome::Deferred(reason)) = &outcome {
        if row.attempts < MAX_DEFERRALS {
            return Err(reason.clone());
        }
        tracing::warn!(%reason, "keeping an event that could not be applied");
        let Some((_, item)) = convert::as_unapplied(event, reason) else {
            return Ok(());
        };
        inbound.item = item;
        outcome = state.store.apply_inbound(&inbound).await;
    }
    match outcome {
        Ok(InboundOutcome::Done(changes)) => {
            notify::after_commit(state, &channel.account_id, *changes).await;
            Ok(())
        }
        Ok(InboundOutcome::Duplicate) => Ok(()),
        Ok(InboundOutcome::Deferred(reason)) => Err(reason),
        Err(e) => {
            tracing::error!(error = ?e, key = %inbound.dedupe_key, "could not apply an event");
            Err(format!("{}: {e}", inbound.dedupe_key))
        }
    }
}
