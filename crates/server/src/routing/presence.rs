//! An agent's availability changed: going away or offline hands their open
//! offers to the next candidates at once (their active enquiries stay theirs
//! for the account's grace period, see the timer job); becoming available
//! lets waiting enquiries be routed.

use domain::staff::Availability;
use store::Staff;

use crate::routing::events;
use crate::state::AppState;

/// Call after the new availability is stored. Failures are logged, not
/// returned: the availability change itself succeeded, and offers that could
/// not be withdrawn still end at their deadline.
pub async fn availability_changed(state: &AppState, staff: &Staff) {
    if staff.availability == Availability::Available {
        // Missed enquiries may now find someone.
        if let Err(e) = state
            .store
            .retry_missed_now(&staff.account_id, state.now())
            .await
        {
            tracing::error!(error = ?e, "could not schedule missed enquiries for a retry");
        }
        state.wake.routing.notify_one();
        return;
    }
    match state
        .store
        .withdraw_offers_of(&staff.account_id, &staff.id, state.now())
        .await
    {
        Ok(ended) => {
            for e in &ended {
                events::offer_withdrawn(
                    state,
                    &e.offer,
                    crate::events::WithdrawnReason::Unavailable,
                )
                .await;
            }
            if ended.iter().any(|e| e.enquiry_rerouted) {
                state.wake.routing.notify_one();
            }
        }
        Err(e) => {
            tracing::error!(error = ?e, staff_id = %staff.id, "could not withdraw offers");
        }
    }
    // The grace period for their active enquiries starts now.
    state.wake.timers.notify_one();
}
