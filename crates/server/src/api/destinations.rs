//! Destinations: named teams of staff that enquiries are routed to. Everyone
//! may read them (agents transfer to them); only admins change them.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::staff::{self as rules, DistributionStrategy, DEFAULT_OFFER_TIMEOUT_SECS};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::views::{DestinationView, ListOf};
use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDestinationRequest {
    /// 1–60 characters, unique in the account.
    pub name: String,
    /// 5–600 seconds (default 30).
    pub offer_timeout_secs: Option<u32>,
    /// `ring_all` (default) or `longest_idle`.
    #[schema(value_type = Option<crate::api::schema::DistributionStrategy>)]
    pub strategy: Option<String>,
    /// Staff ids, in order.
    #[serde(default)]
    pub member_ids: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDestinationRequest {
    pub name: Option<String>,
    pub offer_timeout_secs: Option<u32>,
    pub strategy: Option<String>,
    /// Replaces the member list when present.
    pub member_ids: Option<Vec<String>>,
}

fn parse_strategy(value: &str) -> Result<DistributionStrategy, ApiError> {
    value
        .parse()
        .map_err(|e: domain::ValidationError| ApiError::validation("strategy", e.rule))
}

fn check_members(ids: &[String]) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        if !seen.insert(id) {
            return Err(ApiError::validation(
                format!("member_ids[{i}]"),
                "is listed twice",
            ));
        }
    }
    Ok(())
}

/// List destinations.
#[utoipa::path(get, path = "/api/v1/destinations", tag = "destinations",
    responses((status = 200, body = ListOf<DestinationView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListOf<DestinationView>>> {
    Ok(Json(ListOf::new(
        state.store.list_destinations(caller.account_id()).await?,
    )))
}

/// Create a destination.
#[utoipa::path(post, path = "/api/v1/destinations", tag = "destinations",
    request_body = CreateDestinationRequest,
    responses((status = 201, body = DestinationView), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(req): ApiJson<CreateDestinationRequest>,
) -> ApiResult<(StatusCode, Json<DestinationView>)> {
    let new = store::NewDestination {
        name: rules::parse_name("name", &req.name, 60)?,
        offer_timeout_secs: i64::from(rules::check_offer_timeout(
            req.offer_timeout_secs.unwrap_or(DEFAULT_OFFER_TIMEOUT_SECS),
        )?),
        strategy: req
            .strategy
            .as_deref()
            .map(parse_strategy)
            .transpose()?
            .unwrap_or(DistributionStrategy::RingAll),
        member_ids: req.member_ids,
    };
    check_members(&new.member_ids)?;
    let destination = state
        .store
        .create_destination(caller.account_id(), new)
        .await?;
    Ok((StatusCode::CREATED, Json(destination.into())))
}

/// Read a destination.
#[utoipa::path(get, path = "/api/v1/destinations/{id}", tag = "destinations",
    params(("id" = String, Path, description = "Destination id")),
    responses((status = 200, body = DestinationView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DestinationView>> {
    Ok(Json(
        state
            .store
            .get_destination(caller.account_id(), &id)
            .await?
            .into(),
    ))
}

/// Change a destination; absent fields stay as they are.
#[utoipa::path(patch, path = "/api/v1/destinations/{id}", tag = "destinations",
    request_body = UpdateDestinationRequest,
    params(("id" = String, Path, description = "Destination id")),
    responses((status = 200, body = DestinationView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateDestinationRequest>,
) -> ApiResult<Json<DestinationView>> {
    if let Some(ids) = &req.member_ids {
        check_members(ids)?;
    }
    let update = store::DestinationUpdate {
        name: req
            .name
            .map(|n| rules::parse_name("name", &n, 60))
            .transpose()?,
        offer_timeout_secs: req
            .offer_timeout_secs
            .map(rules::check_offer_timeout)
            .transpose()?
            .map(i64::from),
        strategy: req.strategy.as_deref().map(parse_strategy).transpose()?,
        member_ids: req.member_ids,
    };
    let destination = state
        .store
        .update_destination(caller.account_id(), &id, update)
        .await?;
    Ok(Json(destination.into()))
}

/// Delete a destination.
#[utoipa::path(delete, path = "/api/v1/destinations/{id}", tag = "destinations",
    params(("id" = String, Path, description = "Destination id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    crate::channels::refuse_if_routed_to(&state, caller.account_id(), &id).await?;
    state
        .store
        .delete_destination(caller.account_id(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
