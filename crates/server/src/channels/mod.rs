//! Channels in motion: connecting Facebook Pages ([`connect`]), the
//! connection check and its schedule ([`check`]), and the automatic
//! disconnect every part of the server calls when Page access is gone.
//!
//! A disconnected channel keeps its data, keeps storing webhooks and holds
//! its replies in the outbox; logging in with Facebook again and connecting
//! the same Page reconnects the same channel with its settings.

pub mod check;
pub mod connect;
pub mod permissions;

use domain::channel::ChannelStatus;
use store::{Channel, StoreError};

use crate::events::{Audience, ChannelDisconnectedData, ChannelReconnectedData, LiveEvent};
use crate::state::AppState;

/// Marks a channel `disconnected` with `reason` (said to admins, e.g.
/// "pages_messaging was revoked"). Idempotent: a channel that is already
/// disconnected keeps its first reason and no second event is published.
/// Returns whether the status changed.
///
/// Called by the deauthorize callback, the connection check, and the
/// outbox worker after a `TokenLost`/`PermissionMissing` error that one
/// `debug_token` call confirmed.
#[tracing::instrument(skip(state))]
pub async fn disconnect(
    state: &AppState,
    account_id: &str,
    channel_id: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    let current = state.store.get_channel(account_id, channel_id).await?;
    if current.status == ChannelStatus::Disconnected {
        return Ok(false);
    }
    let at = state.now();
    let before = state
        .store
        .set_channel_status(
            account_id,
            channel_id,
            ChannelStatus::Disconnected,
            Some(reason),
            at,
        )
        .await?;
    if before.status == ChannelStatus::Disconnected {
        // Another node got there first; keep its reason.
        return Ok(false);
    }
    tracing::warn!(channel_id, page_id = %before.page_id, reason, "channel disconnected");
    state
        .publish(
            account_id,
            Audience::Account,
            LiveEvent::ChannelDisconnected(ChannelDisconnectedData {
                channel_id: channel_id.to_owned(),
                page_id: before.page_id.clone(),
                reason: reason.to_owned(),
                at,
            }),
        )
        .await;
    Ok(true)
}

/// After a reconnect: tell admins, and let the outbox send what waited.
pub(crate) async fn announce_reconnected(state: &AppState, channel: &Channel) {
    state
        .publish(
            &channel.account_id,
            Audience::Account,
            LiveEvent::ChannelReconnected(ChannelReconnectedData {
                channel_id: channel.id.clone(),
                page_id: channel.page_id.clone(),
                at: channel.status_changed_at,
            }),
        )
        .await;
    state.wake.outbox.notify_one();
}

/// 409 naming the first channel whose routing sends enquiries to the
/// destination: deleting it would leave that routing pointing at nothing.
pub async fn refuse_if_routed_to(
    state: &AppState,
    account_id: &str,
    destination_id: &str,
) -> Result<(), crate::error::ApiError> {
    let channels = state.store.list_channels(account_id).await?;
    let user = channels.iter().find(|c| {
        c.routing_settings
            .rule
            .destination_ids()
            .iter()
            .any(|d| d.as_str() == destination_id)
    });
    match user {
        Some(channel) => Err(crate::error::ApiError::Conflict(format!(
            "the destination is used by the routing settings of the channel “{}”; change them \
             first",
            channel.name
        ))),
        None => Ok(()),
    }
}

/// For a send (or any Graph call with the Page token) that failed with
/// `TokenLost` or `PermissionMissing`: one confirming round of the
/// connection check. When it finds access gone the channel is disconnected
/// with the check's precise reason; when Facebook cannot be asked, with
/// `send_error` (the failed call is the evidence). When the check passes the
/// failure was not about access and the channel stays as it is.
/// Returns whether the channel is now disconnected.
pub async fn confirm_access_lost(
    state: &AppState,
    account_id: &str,
    channel_id: &str,
    send_error: &str,
) -> Result<bool, crate::error::ApiError> {
    let report = check::run(state, account_id, channel_id).await?;
    if report.disconnect_reason.is_some() {
        return Ok(true);
    }
    if report.inconclusive {
        let reason = format!("Facebook refused a call with the Page token: {send_error}");
        disconnect(state, account_id, channel_id, &reason).await?;
        return Ok(true);
    }
    Ok(false)
}
