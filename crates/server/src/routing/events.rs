//! Routing's live events (listed in `docs/events.md`). Published after the
//! write committed; a failed publish is logged, never undoes the routing.

use store::{Enquiry, Offer, Unassigned};

use crate::api::offers::OfferView;
use crate::events::{
    AssignedVia, Audience, EnquiryAssignedData, EnquiryMissedData, EnquiryUnassignedData,
    LiveEvent, MissedReason, OfferCreatedData, OfferTakenData, OfferWithdrawnData,
    UnassignedReason, WithdrawnReason,
};
use crate::state::AppState;

/// `offer.created`, to each offered agent.
pub async fn offers_created(state: &AppState, enquiry: &Enquiry, offers: &[Offer]) {
    for offer in offers {
        let view = match OfferView::load(state, offer.clone()).await {
            Ok(view) => view,
            Err(e) => {
                tracing::warn!(error = ?e, offer_id = %offer.id, "could not read an offer for its event");
                continue;
            }
        };
        state
            .publish(
                &enquiry.account_id,
                Audience::Staff(&offer.staff_id),
                LiveEvent::OfferCreated(OfferCreatedData {
                    offer: view,
                    channel_id: enquiry.channel_id.clone(),
                    visitor_id: enquiry.visitor_id.clone(),
                }),
            )
            .await;
    }
}

/// `offer.withdrawn`, to the agent whose open offer ended without them.
pub async fn offer_withdrawn(state: &AppState, offer: &Offer, reason: WithdrawnReason) {
    state
        .publish(
            &offer.account_id,
            Audience::Staff(&offer.staff_id),
            LiveEvent::OfferWithdrawn(OfferWithdrawnData {
                offer_id: offer.id.clone(),
                enquiry_id: offer.enquiry_id.clone(),
                reason,
            }),
        )
        .await;
}

/// `offer.taken`, to the other agents offered an enquiry someone accepted.
pub async fn offers_taken(state: &AppState, taken: &[Offer], winner: &str) {
    for offer in taken {
        state
            .publish(
                &offer.account_id,
                Audience::Staff(&offer.staff_id),
                LiveEvent::OfferTaken(OfferTakenData {
                    offer_id: offer.id.clone(),
                    enquiry_id: offer.enquiry_id.clone(),
                    staff_id: winner.to_owned(),
                }),
            )
            .await;
    }
}

/// `enquiry.assigned`, to the account.
pub async fn assigned(state: &AppState, enquiry: &Enquiry, via: AssignedVia) {
    let Some(staff_id) = enquiry.assigned_staff_id.clone() else {
        tracing::warn!(enquiry_id = %enquiry.id, "an assigned enquiry without an agent");
        return;
    };
    state
        .publish(
            &enquiry.account_id,
            Audience::Account,
            LiveEvent::EnquiryAssigned(EnquiryAssignedData {
                enquiry_id: enquiry.id.clone(),
                channel_id: enquiry.channel_id.clone(),
                visitor_id: enquiry.visitor_id.clone(),
                staff_id,
                assigned_at: enquiry.assigned_at.unwrap_or_else(|| state.now()),
                via,
            }),
        )
        .await;
}

/// `enquiry.missed`, to the account.
pub async fn missed(state: &AppState, enquiry: &Enquiry, reason: MissedReason) {
    state
        .publish(
            &enquiry.account_id,
            Audience::Account,
            LiveEvent::EnquiryMissed(EnquiryMissedData {
                enquiry_id: enquiry.id.clone(),
                channel_id: enquiry.channel_id.clone(),
                visitor_id: enquiry.visitor_id.clone(),
                reason,
                missed_at: enquiry.missed_at.unwrap_or_else(|| state.now()),
            }),
        )
        .await;
}

/// `enquiry.unassigned`, to the account: an agent no longer serves the
/// enquiry and it is being routed again.
pub async fn unassigned(state: &AppState, unassigned: &Unassigned) {
    let enquiry = &unassigned.enquiry;
    let reason = if unassigned.reason == store::trigger::AGENT_REMOVED {
        UnassignedReason::AgentRemoved
    } else {
        UnassignedReason::AwayGraceEnded
    };
    state
        .publish(
            &enquiry.account_id,
            Audience::Account,
            LiveEvent::EnquiryUnassigned(EnquiryUnassignedData {
                enquiry_id: enquiry.id.clone(),
                channel_id: enquiry.channel_id.clone(),
                visitor_id: enquiry.visitor_id.clone(),
                staff_id: unassigned.previous_staff_id.clone(),
                reason,
            }),
        )
        .await;
}
