//! Offers: an enquiry offered to an agent, who accepts (exactly one agent
//! wins), declines (routing goes on) or lets it time out.

use axum::extract::State;
use axum::Json;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::{AcceptOutcome, StoreError};
use utoipa::ToSchema;

use crate::api::console::EnquiryCard;
use crate::api::views::ListOf;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath;
use crate::routing::events;
use crate::state::AppState;

/// An offer as agents see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferView {
    pub id: String,
    pub enquiry_id: String,
    pub staff_id: String,
    /// The destination offered through (none for a sticky offer outside the rule).
    pub destination_id: Option<String>,
    #[schema(value_type = crate::api::schema::OfferStatus)]
    pub status: String,
    /// Offered because this agent served the visitor before.
    pub via_sticky: bool,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    /// When the offer times out and routing moves on.
    #[schema(value_type = String)]
    pub deadline_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub resolved_at: Option<Timestamp>,
    /// What the offer card shows: the enquiry's channel and visitor…
    pub channel_id: String,
    pub channel_name: String,
    pub visitor_id: String,
    pub visitor_name: String,
    pub visitor_picture_url: Option<String>,
    /// …and the visitor's first message (its text; none for a file).
    pub first_message_text: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_message_at: Option<Timestamp>,
}

impl OfferView {
    /// The offer with its enquiry's card.
    pub async fn load(state: &AppState, offer: store::Offer) -> ApiResult<Self> {
        let enquiry = state
            .store
            .get_enquiry(&offer.account_id, &offer.enquiry_id)
            .await?;
        let card = EnquiryCard::load(state, &enquiry).await?;
        Ok(Self {
            id: offer.id,
            enquiry_id: offer.enquiry_id,
            staff_id: offer.staff_id,
            destination_id: offer.destination_id,
            status: offer.status,
            via_sticky: offer.via_sticky,
            created_at: offer.created_at,
            deadline_at: offer.deadline_at,
            resolved_at: offer.resolved_at,
            channel_id: enquiry.channel_id,
            channel_name: card.channel.name,
            visitor_id: enquiry.visitor_id,
            visitor_name: card.visitor.display_name().to_owned(),
            visitor_picture_url: card.visitor.picture_url,
            first_message_text: card.first_message.as_ref().and_then(|m| m.text.clone()),
            first_message_at: card.first_message.map(|m| m.sent_at),
        })
    }

    /// Each offer with its card.
    pub async fn load_all(state: &AppState, offers: Vec<store::Offer>) -> ApiResult<Vec<Self>> {
        let mut views = Vec::with_capacity(offers.len());
        for offer in offers {
            views.push(Self::load(state, offer).await?);
        }
        Ok(views)
    }
}

/// The enquiry an agent now serves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentView {
    pub enquiry_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub staff_id: Option<String>,
    /// `active`.
    #[schema(value_type = crate::api::schema::EnquiryStatus)]
    pub status: String,
    #[schema(value_type = Option<String>)]
    pub assigned_at: Option<Timestamp>,
}

impl From<store::Enquiry> for AssignmentView {
    fn from(e: store::Enquiry) -> Self {
        Self {
            enquiry_id: e.id,
            channel_id: e.channel_id,
            visitor_id: e.visitor_id,
            staff_id: e.assigned_staff_id,
            status: e.status.to_string(),
            assigned_at: e.assigned_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptResponse {
    pub offer: OfferView,
    pub enquiry: AssignmentView,
}

/// Store conflicts of offers, in words for the agent.
pub(crate) fn offer_conflict(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict { constraint } if constraint == store::OFFER_TAKEN => {
            ApiError::Conflict("another agent accepted this enquiry first".into())
        }
        StoreError::Conflict { constraint } if constraint == store::OFFER_TIMED_OUT => {
            ApiError::Conflict("this offer timed out".into())
        }
        StoreError::Conflict { constraint } if constraint == store::STAFF_AT_CAPACITY => {
            ApiError::Conflict("you are serving as many enquiries as your capacity allows".into())
        }
        StoreError::Conflict { constraint } if constraint == store::OFFER_NOT_OPEN => {
            ApiError::Conflict("this offer is no longer open (declined or withdrawn)".into())
        }
        other => other.into(),
    }
}

/// The caller's open offers, oldest first.
#[utoipa::path(get, path = "/api/v1/offers", tag = "routing",
    responses((status = 200, body = ListOf<OfferView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListOf<OfferView>>> {
    let offers = state
        .store
        .list_open_offers(caller.account_id(), caller.staff_id())
        .await?;
    Ok(Json(ListOf {
        items: OfferView::load_all(&state, offers).await?,
    }))
}

/// The refusal an agent at capacity sees. The offer stays open for them
/// until its deadline: closing an enquiry lets them accept it after all.
pub(crate) fn at_capacity(serving: i64, capacity: i64) -> ApiError {
    let noun = if serving == 1 { "enquiry" } else { "enquiries" };
    ApiError::Conflict(format!(
        "you are serving {serving} {noun}, your capacity is {capacity}"
    ))
}

/// Accept an offer: the enquiry becomes the caller's. When several agents
/// accept at once exactly one wins; the others get 409. Also 409 after the
/// offer's deadline (even before the timer has expired it) and while the
/// caller already serves as many active enquiries as their capacity (the
/// offer then stays open for them until its deadline).
#[utoipa::path(post, path = "/api/v1/offers/{id}/accept", tag = "routing",
    params(("id" = String, Path, description = "Offer id")),
    responses((status = 200, body = AcceptResponse),
        (status = 404, body = ErrorBody, description = "No such offer of the caller's"),
        (status = 409, body = ErrorBody, description = "Taken by another agent, timed out, \
            no longer open, or the caller is at capacity")))]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AcceptResponse>> {
    let outcome = state
        .store
        .try_accept_offer(caller.account_id(), &id, caller.staff_id(), state.now())
        .await
        .map_err(offer_conflict)?;
    let accepted = match outcome {
        AcceptOutcome::Accepted(accepted) => *accepted,
        AcceptOutcome::AtCapacity { serving, capacity } => {
            return Err(at_capacity(serving, capacity))
        }
    };
    events::offers_taken(&state, &accepted.taken, caller.staff_id()).await;
    events::assigned(&state, &accepted.enquiry, crate::events::AssignedVia::Offer).await;
    Ok(Json(AcceptResponse {
        offer: OfferView::load(&state, accepted.offer).await?,
        enquiry: accepted.enquiry.into(),
    }))
}

/// Decline an offer: routing moves on to the next candidates.
#[utoipa::path(post, path = "/api/v1/offers/{id}/decline", tag = "routing",
    params(("id" = String, Path, description = "Offer id")),
    responses((status = 200, body = OfferView),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<OfferView>> {
    let ended = state
        .store
        .decline_offer(caller.account_id(), &id, caller.staff_id(), state.now())
        .await
        .map_err(offer_conflict)?;
    if ended.enquiry_rerouted {
        state.wake.routing.notify_one();
    }
    Ok(Json(OfferView::load(&state, ended.offer).await?))
}
