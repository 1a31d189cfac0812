//! Channels: list, read, edit (name, routing and message settings),
//! suspend, resume, delete, and the connection check. Everyone reads them;
//! only admins change them. Facebook Login lives in `facebook_login.rs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::channel::{ChannelName, ChannelStatus};
use domain::messages::{MessageSettings, MessageSettingsInput};
use domain::routing::{RoutingSettings, RoutingSettingsInput};
use domain::ValidationError;
use serde::{Deserialize, Serialize};
use store::Channel;
use utoipa::ToSchema;

use crate::api::schema;
use crate::api::views::ListOf;
use crate::auth::{Admin, Caller};
use crate::channels::check::{self, CheckReport};
use crate::channels::connect::destination_ids;
use crate::error::{ApiResult, ErrorBody};
use crate::events::{Audience, ChannelDeletedData, ChannelUpdatedData, LiveEvent};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// The Page a channel is bound to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PageView {
    pub id: String,
    pub name: String,
    pub picture_url: Option<String>,
}

/// A channel as the API shows it. Its Page token is never part of it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelView {
    pub id: String,
    /// `facebook_messenger`.
    pub kind: String,
    pub name: String,
    #[schema(value_type = schema::ChannelStatus)]
    pub status: String,
    /// Why the status last changed (e.g. "pages_messaging was revoked").
    pub status_reason: Option<String>,
    #[schema(value_type = String)]
    pub status_changed_at: jiff::Timestamp,
    pub page: PageView,
    /// App-scoped Facebook user id of the admin who connected it.
    pub connected_by: Option<String>,
    /// Routing settings in the API's form (see `PATCH`).
    #[schema(value_type = schema::RoutingSettings)]
    pub routing: RoutingSettingsInput,
    /// Message settings: display name format, welcome and away messages.
    #[schema(value_type = schema::MessageSettings)]
    pub messages: MessageSettings,
    #[schema(value_type = Option<String>)]
    pub last_check_at: Option<jiff::Timestamp>,
    /// The last connection check (`POST …/check` or the scheduled one).
    #[schema(value_type = Option<Object>)]
    pub last_check: Option<serde_json::Value>,
    #[schema(value_type = String)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String)]
    pub updated_at: jiff::Timestamp,
}

impl From<Channel> for ChannelView {
    fn from(c: Channel) -> Self {
        Self {
            routing: c.routing_settings.to_input(),
            id: c.id,
            kind: c.kind,
            name: c.name,
            status: c.status.as_str().to_owned(),
            status_reason: c.status_reason,
            status_changed_at: c.status_changed_at,
            page: PageView {
                id: c.page_id,
                name: c.page_name,
                picture_url: c.picture_url,
            },
            connected_by: c.connected_by,
            messages: c.message_settings,
            last_check_at: c.last_check_at,
            last_check: c.last_check,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannelRequest {
    /// 1–40 characters.
    pub name: Option<String>,
    /// Replaces the routing settings; resets the percentage split.
    #[schema(value_type = Option<schema::RoutingSettings>)]
    pub routing: Option<RoutingSettingsInput>,
    /// Replaces the message settings (left-out fields take their defaults).
    #[schema(value_type = Option<schema::MessageSettingsInput>)]
    pub messages: Option<MessageSettingsInput>,
}

/// `channel.updated`.
async fn publish_updated(state: &AppState, channel: &Channel) {
    state
        .publish(
            &channel.account_id,
            Audience::Account,
            LiveEvent::ChannelUpdated(ChannelUpdatedData {
                channel_id: channel.id.clone(),
                status: channel.status.as_str().to_owned(),
                name: channel.name.clone(),
            }),
        )
        .await;
}

/// List channels.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, body = ListOf<ChannelView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<ListOf<ChannelView>>> {
    Ok(Json(ListOf::new(
        state.store.list_channels(caller.account_id()).await?,
    )))
}

/// Read a channel.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ChannelView>> {
    Ok(Json(
        state
            .store
            .get_channel(caller.account_id(), &id)
            .await?
            .into(),
    ))
}

/// Rename a channel or replace its routing or message settings.
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels",
    request_body = UpdateChannelRequest,
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateChannelRequest>,
) -> ApiResult<Json<ChannelView>> {
    let account_id = caller.account_id();
    let update = store::ChannelUpdate {
        name: req.name.as_deref().map(ChannelName::parse).transpose()?,
        routing_settings: match &req.routing {
            Some(input) => Some(RoutingSettings::parse(
                input,
                &destination_ids(&state, account_id).await?,
            )?),
            None => None,
        },
        message_settings: req
            .messages
            .as_ref()
            .map(MessageSettings::parse)
            .transpose()?,
    };
    let channel = state.store.update_channel(account_id, &id, update).await?;
    publish_updated(&state, &channel).await;
    Ok(Json(channel.into()))
}

/// Suspend a channel: messages are still stored, but nothing is routed and
/// no automatic message is sent until it is resumed.
#[utoipa::path(post, path = "/api/v1/channels/{id}/suspend", tag = "channels",
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn suspend(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ChannelView>> {
    let channel = change_status(
        &state,
        caller.account_id(),
        &id,
        ChannelStatus::suspend,
        Some("suspended by an admin"),
    )
    .await?;
    publish_updated(&state, &channel).await;
    Ok(Json(channel.into()))
}

/// Resume a suspended channel; enquiries that arrived meanwhile are routed
/// in arrival order.
#[utoipa::path(post, path = "/api/v1/channels/{id}/resume", tag = "channels",
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 200, body = ChannelView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ChannelView>> {
    let account_id = caller.account_id();
    let channel = change_status(&state, account_id, &id, ChannelStatus::resume, None).await?;
    state
        .store
        .release_suspended_enquiries(account_id, &id)
        .await?;
    state.wake.routing.notify_one();
    state.wake.inbox.notify_one();
    publish_updated(&state, &channel).await;
    Ok(Json(channel.into()))
}

/// Moves a channel one `step` (suspend or resume), writing only when the
/// status really changes, and returns the channel as it now is.
async fn change_status(
    state: &AppState,
    account_id: &str,
    id: &str,
    step: fn(ChannelStatus) -> Result<ChannelStatus, ValidationError>,
    reason: Option<&str>,
) -> ApiResult<Channel> {
    let channel = state.store.get_channel(account_id, id).await?;
    let next = step(channel.status)?;
    if next == channel.status {
        return Ok(channel);
    }
    state
        .store
        .set_channel_status(account_id, id, next, reason, state.now())
        .await?;
    Ok(state.store.get_channel(account_id, id).await?)
}

/// Delete a channel: the app is unsubscribed from the Page, open enquiries
/// are closed, past conversations stay readable.
#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "channels",
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let account_id = caller.account_id();
    let channel = state.store.get_channel(account_id, &id).await?;
    // Unsubscribe first, while the token is still stored. A Page whose
    // access is already gone cannot be unsubscribed; deleting goes on.
    if let Some(enc) = state.store.channel_token_enc(account_id, &id).await? {
        match state.secrets.decrypt(&enc) {
            Ok(token) => {
                if let Err(e) = state.graph.unsubscribe_app(&channel.page_id, &token).await {
                    tracing::warn!(channel_id = %id, error = %e,
                        "could not unsubscribe the app from the Page; deleting anyway");
                }
            }
            Err(e) => tracing::warn!(channel_id = %id, error = %e, "unreadable Page token"),
        }
    }
    let deleted = state.store.delete_channel(account_id, &id).await?;
    state
        .publish(
            account_id,
            Audience::Account,
            LiveEvent::ChannelDeleted(ChannelDeletedData {
                channel_id: deleted.id,
                page_id: deleted.page_id,
            }),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Check the channel's Facebook connection now: token valid, each permission
/// granted, app subscribed to each needed webhook field. Access found gone
/// disconnects the channel.
#[utoipa::path(post, path = "/api/v1/channels/{id}/check", tag = "channels",
    params(("id" = String, Path, description = "Channel id")),
    responses((status = 200, body = CheckReport), (status = 404, body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CheckReport>> {
    Ok(Json(check::run(&state, caller.account_id(), &id).await?))
}
