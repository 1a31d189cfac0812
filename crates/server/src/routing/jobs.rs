//! The two routing workers. Both only read and write database rows, so a
//! restart (or another node) continues where one stopped.

use std::sync::Arc;
use std::time::Duration;

use domain::routing::{order_waiting, WaitingEnquiry};
use domain::window::STANDARD_WINDOW;
use tokio::sync::Notify;

use crate::routing::{engine, events};
use crate::state::AppState;
use crate::workers::Job;

/// Most enquiries routed per run (the loop runs again at once when busy).
const BATCH: i64 = 50;

/// Promotes queued enquiries under each account's concurrent-visitor limit,
/// routes due ones and retries missed ones (closest to the end of their reply
/// window first, then oldest), and sends away messages a crash left unsent.
pub struct RoutingJob;

#[async_trait::async_trait]
impl Job for RoutingJob {
    fn name(&self) -> &'static str {
        "routing"
    }

    fn waker(&self, state: &AppState) -> Arc<Notify> {
        state.wake.routing.clone()
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<usize> {
        let now = state.now();
        let promoted = state.store.promote_queued(now).await?.len();
        let mut due = state.store.due_for_routing(now, BATCH).await?;
        // Missed enquiries due for a retry wait for an agent like the rest.
        due.extend(state.store.missed_due_for_retry(now, BATCH).await?);
        let mut waiting: Vec<WaitingEnquiry> = due
            .iter()
            .map(|e| WaitingEnquiry {
                id: e.id.clone(),
                window_ends_at: e.last_inbound_at + STANDARD_WINDOW,
                opened_at: e.opened_at,
            })
            .collect();
        order_waiting(&mut waiting);
        let mut routed = 0;
        for id in waiting.iter().map(|w| w.id.as_str()) {
            let Some(i) = due.iter().position(|e| e.id == id) else {
                continue;
            };
            let enquiry = due.swap_remove(i);
            // One enquiry that cannot be routed (e.g. its data is broken)
            // must not hold up the others: log it and go on.
            match engine::route_enquiry(state, &enquiry).await {
                Ok(true) => routed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = ?e, enquiry_id = %enquiry.id, "routing failed");
                }
            }
        }
        let mut away = 0;
        for enquiry in state.store.missed_without_away_message(20).await? {
            let channel = state
                .store
                .routing_channel(&enquiry.account_id, &enquiry.channel_id)
                .await?;
            if engine::send_away_message(state, &enquiry, &channel).await? {
                away += 1;
            }
        }
        Ok(promoted + routed + away)
    }
}

/// Fires offer deadlines (each once) and re-routes the active enquiries of
/// agents who have been away or offline longer than the account's grace
/// period. Overdue rows after a restart fire on the first run.
pub struct TimerJob;

#[async_trait::async_trait]
impl Job for TimerJob {
    fn name(&self) -> &'static str {
        "routing-timers"
    }

    fn waker(&self, state: &AppState) -> Arc<Notify> {
        state.wake.timers.clone()
    }

    /// Deadlines are whole seconds; a quarter second keeps them punctual.
    fn poll_interval(&self) -> Duration {
        Duration::from_millis(250)
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<usize> {
        let now = state.now();
        let expired = state.store.expire_due_offers(now, 100).await?;
        for e in &expired {
            events::offer_withdrawn(state, &e.offer, crate::events::WithdrawnReason::Expired).await;
        }
        let rerouted = state.store.reroute_after_grace(now).await?;
        for unassigned in &rerouted {
            tracing::info!(enquiry_id = %unassigned.enquiry.id, "re-routing after the away grace period");
            events::unassigned(state, unassigned).await;
        }
        if expired.iter().any(|e| e.enquiry_rerouted) || !rerouted.is_empty() {
            state.wake.routing.notify_one();
        }
        Ok(expired.len() + rerouted.len())
    }
}
