//! Routing as people see it: the missed list and picking up, why an enquiry
//! went where it went (admins), the simulator and the schedule preview.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use domain::routing::{OpenInterval, RoutingRule, TimeZoneName};
use domain::staff::Availability;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::StoreError;
use utoipa::ToSchema;

use crate::api::offers::AssignmentView;
use crate::api::views::ListOf;
use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routing::{self, events};
use crate::state::AppState;

/// A missed enquiry in the pick-up list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MissedView {
    pub enquiry_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub destination_id: Option<String>,
    #[schema(value_type = String)]
    pub opened_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub missed_at: Option<Timestamp>,
    /// When the away message was queued for the visitor.
    #[schema(value_type = Option<String>)]
    pub away_sent_at: Option<Timestamp>,
}

impl From<store::Enquiry> for MissedView {
    fn from(e: store::Enquiry) -> Self {
        Self {
            enquiry_id: e.id,
            channel_id: e.channel_id,
            visitor_id: e.visitor_id,
            destination_id: e.destination_id,
            opened_at: e.opened_at,
            missed_at: e.missed_at,
            away_sent_at: e.away_sent_at,
        }
    }
}

/// Missed enquiries the caller may pick up (admins: all of the account;
/// agents: those of channels routed to a destination they belong to).
#[utoipa::path(get, path = "/api/v1/enquiries/missed", tag = "routing",
    responses((status = 200, body = ListOf<MissedView>), (status = 401, body = ErrorBody)))]
pub async fn missed(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListOf<MissedView>>> {
    let member_of = (!caller.is_admin()).then(|| caller.staff_id());
    let missed = state
        .store
        .list_missed(caller.account_id(), member_of)
        .await?;
    Ok(Json(ListOf::new(missed)))
}

/// Pick up a missed enquiry: it becomes the caller's.
#[utoipa::path(post, path = "/api/v1/enquiries/{id}/pick-up", tag = "routing",
    params(("id" = String, Path, description = "Enquiry id")),
    responses((status = 200, body = AssignmentView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "No longer missed (picked up or closed)")))]
pub async fn pick_up(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AssignmentView>> {
    let account_id = caller.account_id();
    let enquiry = state.store.get_enquiry(account_id, &id).await?;
    if !caller.is_admin()
        && !state
            .store
            .serves_channel(account_id, &enquiry.channel_id, caller.staff_id())
            .await?
    {
        return Err(ApiError::Forbidden(
            "only agents of the channel's destinations may pick up its missed enquiries",
        ));
    }
    let enquiry = state
        .store
        .pick_up_missed(account_id, &id, caller.staff_id(), state.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict { constraint } if constraint == store::NOT_MISSED => {
                ApiError::Conflict("this enquiry is no longer in the missed list".into())
            }
            other => other.into(),
        })?;
    events::assigned(&state, &enquiry, crate::events::AssignedVia::PickUp).await;
    Ok(Json(enquiry.into()))
}

/// One routing decision of an enquiry.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraceView {
    pub id: String,
    /// Why routing ran: `opened`, `offer_timed_out`, `declined`,
    /// `agent_unavailable`, `away_grace_ended`, `agent_removed`, `transfer`,
    /// `missed_retry`.
    pub trigger: String,
    #[schema(value_type = String)]
    pub at: Timestamp,
    /// `{"outcome": "offer", …}` or `{"outcome": "missed", "reason": …}`.
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
    /// The steps: rule, sticky agent, tallies, each destination and agent
    /// with its verdict (`unavailable`, `at_capacity`, `timed_out`,
    /// `declined`, `outside_hours`, …), and the result.
    #[schema(value_type = Vec<Object>)]
    pub steps: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingTraceResponse {
    pub enquiry_id: String,
    pub decisions: Vec<TraceView>,
    /// Every offer of the enquiry and how it ended.
    pub offers: Vec<crate::api::offers::OfferView>,
}

/// Why the enquiry went where it went: every routing decision, oldest first (admins).
#[utoipa::path(get, path = "/api/v1/enquiries/{id}/routing-trace", tag = "routing",
    params(("id" = String, Path, description = "Enquiry id")),
    responses((status = 200, body = RoutingTraceResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn routing_trace(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RoutingTraceResponse>> {
    let account_id = caller.account_id();
    let enquiry = state.store.get_enquiry(account_id, &id).await?;
    let traces = state.store.list_routing_traces(account_id, &id).await?;
    let offers = state.store.list_enquiry_offers(account_id, &id).await?;
    Ok(Json(RoutingTraceResponse {
        enquiry_id: enquiry.id,
        decisions: traces
            .into_iter()
            .map(|t| TraceView {
                id: t.id,
                trigger: t.trigger,
                at: t.created_at,
                outcome: t.decision["outcome"].clone(),
                steps: t.decision["trace"].clone(),
            })
            .collect(),
        offers: crate::api::offers::OfferView::load_all(&state, offers).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateRequest {
    /// The moment of arrival (RFC 3339); now when absent.
    #[schema(value_type = Option<String>)]
    pub at: Option<String>,
    /// Staff id → `available`, `away` or `offline`, instead of their real presence.
    #[serde(default)]
    pub presence: BTreeMap<String, String>,
    /// For sticky routing: the agent who served the visitor before.
    pub previous_staff_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimulateResponse {
    #[schema(value_type = String)]
    pub at: Timestamp,
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub steps: serde_json::Value,
    /// The destinations and agents as the decision saw them.
    #[schema(value_type = Vec<Object>)]
    pub destinations: serde_json::Value,
}

/// What would happen to an enquiry arriving on the channel, and why —
/// changing nothing (admins).
#[utoipa::path(post, path = "/api/v1/channels/{id}/routing/simulate", tag = "routing",
    request_body = SimulateRequest,
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 200, body = SimulateResponse), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn simulate(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SimulateRequest>,
) -> ApiResult<Json<SimulateResponse>> {
    let at = match req.at.as_deref() {
        Some(text) => text
            .parse::<Timestamp>()
            .map_err(|_| ApiError::validation("at", "must be an RFC 3339 time with an offset"))?,
        None => state.now(),
    };
    let mut presence = BTreeMap::new();
    for (staff_id, text) in &req.presence {
        let availability: Availability = text.parse().map_err(|e: domain::ValidationError| {
            ApiError::validation(format!("presence.{staff_id}"), e.rule)
        })?;
        presence.insert(staff_id.clone(), availability);
    }
    let simulation = routing::simulate(
        &state,
        caller.account_id(),
        &id,
        at,
        &presence,
        req.previous_staff_id.as_deref(),
    )
    .await?;
    let decision = serde_json::to_value(&simulation.decision).map_err(anyhow::Error::new)?;
    Ok(Json(SimulateResponse {
        at: simulation.at,
        outcome: decision["outcome"].clone(),
        steps: decision["trace"].clone(),
        destinations: serde_json::to_value(&simulation.snapshot.destinations)
            .map_err(anyhow::Error::new)?,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The first day of the week to show (`YYYY-MM-DD`); today when absent.
    pub start: Option<String>,
    /// The IANA time zone to show it in; the channel's when absent.
    pub time_zone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewDestination {
    pub destination_id: String,
    /// Open intervals `[start, end)` within the week.
    #[schema(value_type = Vec<Object>)]
    pub open: Vec<OpenInterval>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResponse {
    /// `YYYY-MM-DD`.
    pub start: String,
    pub time_zone: String,
    /// The channel's time zone, in which the hours are defined.
    pub channel_time_zone: String,
    /// Time routing's destinations in order (empty for other rules).
    pub destinations: Vec<PreviewDestination>,
}

/// A week of the channel's time-routing schedule, in any time zone.
#[utoipa::path(get, path = "/api/v1/channels/{id}/routing/preview", tag = "routing",
    params(("id" = String, Path, description = "Channel id"), PreviewQuery),
    responses((status = 200, body = PreviewResponse), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<PreviewResponse>> {
    let channel = state
        .store
        .routing_channel(caller.account_id(), &id)
        .await?;
    if channel.status == "deleted" {
        return Err(ApiError::NotFound);
    }
    let channel_tz = channel.settings.time_zone.clone();
    let view_tz = match query.time_zone.as_deref() {
        Some(name) => TimeZoneName::parse("time_zone", name)?,
        None => channel_tz.clone(),
    };
    let start = match query.start.as_deref() {
        Some(text) => text
            .parse::<Date>()
            .map_err(|_| ApiError::validation("start", "must be a date like 2026-03-30"))?,
        None => state.now().to_zoned(view_tz.time_zone().clone()).date(),
    };
    let destinations = match &channel.settings.rule {
        RoutingRule::Time { destinations } => destinations
            .iter()
            .map(|(id, schedule)| PreviewDestination {
                destination_id: id.0.clone(),
                open: schedule.preview_week(start, channel_tz.time_zone(), view_tz.time_zone()),
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(Json(PreviewResponse {
        start: start.to_string(),
        time_zone: view_tz.to_string(),
        channel_time_zone: channel_tz.to_string(),
        destinations,
    }))
}

/// Longest grace period an admin may set: a day.
pub const MAX_AWAY_GRACE_SECS: u32 = 86_400;

/// The account's routing settings (the channel's own live on the channel).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountRoutingView {
    /// How long an agent may be away or offline before their active
    /// enquiries are routed to someone else (default 300).
    pub away_grace_secs: i64,
    /// Visitors who may have an open enquiry at once; more wait in line.
    pub max_concurrent_visitors: i64,
}

impl From<store::Account> for AccountRoutingView {
    fn from(a: store::Account) -> Self {
        Self {
            away_grace_secs: a.away_grace_secs,
            max_concurrent_visitors: a.max_concurrent_visitors,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRoutingRequest {
    /// 0 (re-route at once) to 86400 seconds.
    pub away_grace_secs: Option<u32>,
}

/// The account's routing settings.
#[utoipa::path(get, path = "/api/v1/routing/settings", tag = "routing",
    responses((status = 200, body = AccountRoutingView), (status = 401, body = ErrorBody)))]
pub async fn account_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<AccountRoutingView>> {
    let account = state.store.get_account(caller.account_id()).await?;
    Ok(Json(account.into()))
}

/// Change the account's routing settings (admins); absent fields stay.
#[utoipa::path(patch, path = "/api/v1/routing/settings", tag = "routing",
    request_body = UpdateAccountRoutingRequest,
    responses((status = 200, body = AccountRoutingView), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_account_settings(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(req): ApiJson<UpdateAccountRoutingRequest>,
) -> ApiResult<Json<AccountRoutingView>> {
    if let Some(secs) = req.away_grace_secs {
        if secs > MAX_AWAY_GRACE_SECS {
            return Err(ApiError::validation(
                "away_grace_secs",
                format!("must be from 0 to {MAX_AWAY_GRACE_SECS} seconds"),
            ));
        }
    }
    let account = state
        .store
        .update_account(
            caller.account_id(),
            store::AccountUpdate {
                away_grace_secs: req.away_grace_secs.map(i64::from),
                ..Default::default()
            },
        )
        .await?;
    // A shorter grace period may already have run out for someone.
    state.wake.timers.notify_one();
    Ok(Json(account.into()))
}
