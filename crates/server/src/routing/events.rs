//! Routing's live events (listed in `docs/events.md`). Published after the
//! write committed; a failed publish is logged, never undoes the routing.

use serde_json::{json, Value};
use store::{Enquiry, Offer, Unassigned};

use crate::api::offers::OfferView;
use crate::events::Audience;
use crate::state::AppState;

/// `offer.created`, to each offered agent.
pub async fn offers_created(state: &AppState, enquiry: &Enquiry, offers: &[Offer]) {
    for offer in offers {
        let data = json!({
            "offer": OfferView::from(offer.clone()),
            "channel_id": enquiry.channel_id,
            "visitor_id": enquiry.visitor_id,
        });
        state
            .publish(
                &enquiry.account_id,
                Audience::Staff(&offer.staff_id),
                "offer.created",
                data,
            )
            .await;
    }
}

/// `offer.withdrawn`, to the agent whose open offer ended without them:
/// `reason` is `expired` (timed out) or `unavailable` (they went away).
pub async fn offer_withdrawn(state: &AppState, offer: &Offer, reason: &str) {
    state
        .publish(
            &offer.account_id,
            Audience::Staff(&offer.staff_id),
            "offer.withdrawn",
            json!({"offer_id": offer.id, "enquiry_id": offer.enquiry_id, "reason": reason}),
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
                "offer.taken",
                json!({"offer_id": offer.id, "enquiry_id": offer.enquiry_id, "staff_id": winner}),
            )
            .await;
    }
}

/// `enquiry.assigned`, to the account: `via` is `offer` or `pick_up`.
pub async fn assigned(state: &AppState, enquiry: &Enquiry, via: &str) {
    state
        .publish(
            &enquiry.account_id,
            Audience::Account,
            "enquiry.assigned",
            json!({
                "enquiry_id": enquiry.id,
                "channel_id": enquiry.channel_id,
                "visitor_id": enquiry.visitor_id,
                "staff_id": enquiry.assigned_staff_id,
                "assigned_at": enquiry.assigned_at,
                "via": via,
            }),
        )
        .await;
}

/// `enquiry.missed`, to the account.
pub async fn missed(state: &AppState, enquiry: &Enquiry, reason: Option<Value>) {
    state
        .publish(
            &enquiry.account_id,
            Audience::Account,
            "enquiry.missed",
            json!({
                "enquiry_id": enquiry.id,
                "channel_id": enquiry.channel_id,
                "visitor_id": enquiry.visitor_id,
                "reason": reason,
                "missed_at": enquiry.missed_at,
            }),
        )
        .await;
}

/// `enquiry.unassigned`, to the account: an agent no longer serves the
/// enquiry and it is being routed again (`reason`: `away_grace_ended` or
/// `agent_removed`).
pub async fn unassigned(state: &AppState, unassigned: &Unassigned) {
    let enquiry = &unassigned.enquiry;
    state
        .publish(
            &enquiry.account_id,
            Audience::Account,
            "enquiry.unassigned",
            json!({
                "enquiry_id": enquiry.id,
                "channel_id": enquiry.channel_id,
                "visitor_id": enquiry.visitor_id,
                "staff_id": unassigned.previous_staff_id,
                "reason": unassigned.reason,
            }),
        )
        .await;
}
