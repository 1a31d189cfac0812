//! What the consoles show beside single resources: the team directory
//! (everyone, for the agent's transfer picker and the admin's live board)
//! and the supervision figures (admins): the waiting queue, offers in
//! flight, enquiries missed today.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use domain::routing::time_zone::TimeZoneName;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::schema;
use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// A staff member as colleagues see them (no e-mail address).
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberView {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    #[schema(value_type = schema::Role)]
    pub role: domain::staff::Role,
    #[schema(value_type = schema::Availability)]
    pub availability: domain::staff::Availability,
    #[schema(value_type = String, format = DateTime)]
    pub availability_changed_at: Timestamp,
    /// Enquiries they serve now (`active`).
    pub active_count: i64,
    /// How many they may serve at once.
    pub capacity: i64,
    /// The destinations (teams) they belong to.
    pub destination_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    /// Everyone in the account, by name.
    pub items: Vec<TeamMemberView>,
}

/// The team: every staff member with their availability, load and teams.
/// Agents and admins. Live changes: `staff.availability`, and the load with
/// `enquiry.assigned` / `enquiry.closed` / `enquiry.transferred` /
/// `enquiry.unassigned` (docs/events.md).
#[utoipa::path(get, path = "/api/v1/team", tag = "staff",
    responses((status = 200, body = TeamView), (status = 401, body = ErrorBody)))]
pub async fn team(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<TeamView>> {
    let account_id = caller.account_id();
    let staff = state.store.list_staff(account_id).await?;
    let loads = state.store.agent_states(account_id).await?;
    let mut teams: HashMap<String, Vec<String>> = HashMap::new();
    for (staff_id, destination_id) in state.store.destination_memberships(account_id).await? {
        teams.entry(staff_id).or_default().push(destination_id);
    }
    let items = staff
        .into_iter()
        .map(|s| TeamMemberView {
            active_count: loads
                .get(&s.id)
                .map_or(0, |a| i64::from(a.active_enquiries)),
            destination_ids: teams.remove(&s.id).unwrap_or_default(),
            id: s.id,
            first_name: s.first_name,
            last_name: s.last_name,
            display_name: s.display_name,
            role: s.role,
            availability: s.availability,
            availability_changed_at: s.availability_changed_at,
            capacity: s.capacity,
        })
        .collect();
    Ok(Json(TeamView { items }))
}

/// An enquiry waiting for an agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingView {
    pub enquiry_id: String,
    /// `queued` (over the account's limit), `routing` or `offered`.
    #[schema(value_type = schema::EnquiryStatus)]
    pub status: String,
    pub channel_id: String,
    pub channel_name: String,
    /// The destination it is being routed to, when routing chose one.
    pub destination_id: Option<String>,
    pub visitor_id: String,
    pub visitor_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: Timestamp,
    /// Seconds since it opened (at the time of the answer).
    pub waiting_secs: i64,
    /// Open offers for it now.
    pub open_offers: i64,
}

/// An open offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferInFlightView {
    pub offer_id: String,
    pub enquiry_id: String,
    pub staff_id: String,
    pub destination_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub deadline_at: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisionView {
    /// Longest waiting first.
    pub waiting: Vec<WaitingView>,
    /// Oldest first.
    pub offers: Vec<OfferInFlightView>,
    /// Enquiries missed since midnight in `time_zone`.
    pub missed_today: i64,
    /// The day `missed_today` counts.
    pub time_zone: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SupervisionQuery {
    /// The IANA time zone whose today `missed_today` counts (the admin's
    /// own; the account has none); UTC when absent.
    pub time_zone: Option<String>,
}

/// Supervision figures (admins): the waiting queue, offers in flight, and
/// how many enquiries were missed today.
#[utoipa::path(get, path = "/api/v1/supervision", tag = "routing", params(SupervisionQuery),
    responses((status = 200, body = SupervisionView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supervision(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiQuery(query): ApiQuery<SupervisionQuery>,
) -> ApiResult<Json<SupervisionView>> {
    let account_id = caller.account_id();
    let tz = TimeZoneName::parse("time_zone", query.time_zone.as_deref().unwrap_or("UTC"))?;
    let now = state.now();
    let midnight = now
        .to_zoned(tz.time_zone().clone())
        .start_of_day()
        .map_err(|e| ApiError::validation("time_zone", e.to_string()))?
        .timestamp();
    let offers = state.store.list_account_open_offers(account_id).await?;
    let mut channels = HashMap::new();
    let mut waiting = Vec::new();
    for e in state.store.waiting_enquiries(account_id).await? {
        if !channels.contains_key(&e.channel_id) {
            let channel = state.store.get_channel(account_id, &e.channel_id).await?;
            channels.insert(e.channel_id.clone(), channel.name);
        }
        let visitor = state.store.get_visitor(account_id, &e.visitor_id).await?;
        waiting.push(WaitingView {
            status: e.status.as_str().to_owned(),
            channel_name: channels[&e.channel_id].clone(),
            visitor_name: visitor.display_name().to_owned(),
            waiting_secs: (now.as_second() - e.opened_at.as_second()).max(0),
            open_offers: offers.iter().filter(|o| o.enquiry_id == e.id).count() as i64,
            enquiry_id: e.id,
            channel_id: e.channel_id,
            destination_id: e.destination_id,
            visitor_id: e.visitor_id,
            opened_at: e.opened_at,
        });
    }
    Ok(Json(SupervisionView {
        waiting,
        offers: offers
            .into_iter()
            .map(|o| OfferInFlightView {
                offer_id: o.id,
                enquiry_id: o.enquiry_id,
                staff_id: o.staff_id,
                destination_id: o.destination_id,
                created_at: o.created_at,
                deadline_at: o.deadline_at,
            })
            .collect(),
        missed_today: state.store.count_missed_since(account_id, midnight).await?,
        time_zone: tz.to_string(),
        at: now,
    }))
}

/// The last message of a conversation, for a chat list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessagePreview {
    pub id: String,
    #[schema(value_type = schema::MessageDirection)]
    pub direction: String,
    #[schema(value_type = schema::MessageAuthor)]
    pub author: String,
    #[schema(value_type = schema::MessageKind)]
    pub kind: String,
    /// The text as shown (none for a file or sticker).
    pub text: Option<String>,
    #[schema(value_type = schema::MessageStatus)]
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    pub sent_at: Timestamp,
}

impl From<store::Message> for MessagePreview {
    fn from(m: store::Message) -> Self {
        Self {
            id: m.id,
            direction: m.direction,
            author: m.author,
            kind: m.kind,
            text: m.text,
            status: m.status,
            sent_at: m.sent_at,
        }
    }
}

/// What a chat list item or an offer card shows of an enquiry.
pub struct EnquiryCard {
    pub visitor: store::Visitor,
    pub channel: store::Channel,
    /// The visitor's first message of the enquiry.
    pub first_message: Option<store::Message>,
    pub last_message: Option<store::Message>,
}

impl EnquiryCard {
    pub async fn load(state: &AppState, enquiry: &store::Enquiry) -> ApiResult<Self> {
        let account_id = &enquiry.account_id;
        let visitor = state
            .store
            .get_visitor(account_id, &enquiry.visitor_id)
            .await?;
        let channel = state
            .store
            .get_channel(account_id, &enquiry.channel_id)
            .await?;
        let (first_message, last_message) = state
            .store
            .enquiry_message_ends(account_id, &enquiry.id)
            .await?;
        Ok(Self {
            visitor,
            channel,
            first_message,
            last_message,
        })
    }
}
