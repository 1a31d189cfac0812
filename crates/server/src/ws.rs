//! `GET /api/v1/events`: the WebSocket that pushes agents their events.
//!
//! Authentication: the session cookie (browsers; the `Origin` must be our
//! own public URL, against cross-site WebSocket hijacking), or an API token
//! as `Authorization: Bearer` or `?token=` (browsers cannot set headers on a
//! WebSocket). `?after=<seq>` replays what the client missed from the event
//! log first; then live events follow without a gap or a duplicate: the
//! socket subscribes before replaying and never sends a number it already
//! sent. After the replay the server sends `{"type":"ready","seq":N}`.

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

use crate::auth::{self, access, Caller, Credential};
use crate::error::{ApiError, ErrorBody};
use crate::events::{Event, LiveEventFrame, ReadyFrame};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Events replayed per database read.
const REPLAY_BATCH: i64 = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The last sequence number the client saw; missed events are replayed.
    pub after: Option<i64>,
    /// An API token, for clients that cannot send an Authorization header.
    pub token: Option<String>,
}

/// Upgrades to a WebSocket of the caller's events: text frames
/// `{"seq":…,"type":"…","at":"…","data":{…}}`, one `LiveEvent` each (the
/// schema of the 101 response), and once the missed ones are replayed
/// `{"type":"ready","seq":N}`.
#[utoipa::path(get, path = "/api/v1/events", tag = "conversations", params(EventsQuery),
    responses((status = 101, description = "Switching to the WebSocket; each text frame is a \
            `LiveEventFrame` (a `LiveEvent` or the `ReadyFrame`)", body = LiveEventFrame),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "Foreign Origin")))]
pub async fn events(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EventsQuery>,
    mut parts: Parts,
) -> Result<Response, ApiError> {
    let caller = match &query.token {
        Some(token) => auth::from_api_token(&state, token).await?,
        None => Caller::from_request_parts(&mut parts, &state).await?,
    };
    if matches!(caller.credential, Credential::Session { .. }) {
        check_origin(&state, &parts)?;
    }
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &state)
        .await
        .map_err(|e| ApiError::BadRequest(format!("not a WebSocket request: {}", e.body_text())))?;
    let after = query.after;
    Ok(upgrade.on_upgrade(move |socket| async move {
        if let Err(e) = serve(state, caller, after, socket).await {
            tracing::debug!(error = ?e, "event socket ended");
        }
    }))
}

/// A cookie-authenticated socket must come from our own pages: a browser
/// sends the cookie to any site's WebSocket, but the `Origin` tells.
fn check_origin(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return Ok(()); // not a browser
    };
    let ours = state.config.public_url.origin().ascii_serialization();
    if origin.to_str().ok() == Some(ours.as_str()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this WebSocket origin is not allowed"))
    }
}

/// Replays, then streams, until the client leaves.
async fn serve(
    state: AppState,
    caller: Caller,
    after: Option<i64>,
    mut socket: WebSocket,
) -> anyhow::Result<()> {
    let account_id = caller.account_id().to_owned();
    let staff_id = caller.staff_id().to_owned();
    // Subscribe before replaying so nothing published meanwhile is lost.
    let mut live = state.events.subscribe();
    let mut ended = state.access.subscribe();
    let mut recheck = tokio::time::interval(access::RECHECK);
    recheck.tick().await; // the first tick is now: the caller was just checked
    let mut last = match after {
        Some(seq) => seq,
        None => state.store.latest_event_seq(&account_id).await?,
    };
    last = replay(&state, &mut socket, &account_id, &staff_id, last).await?;
    let ready = serde_json::to_string(&ReadyFrame::new(last))?;
    socket.send(WsMessage::Text(ready.into())).await?;
    loop {
        tokio::select! {
            received = live.recv() => match received {
                Ok(event) => {
                    if !event.is_for(&account_id, &staff_id) || event.seq <= last {
                        continue;
                    }
                    if event.seq == last + 1 {
                        send(&mut socket, &event).await?;
                        last = event.seq;
                    } else {
                        // Something before it (maybe another's private
                        // event, maybe a publish still racing) has not come
                        // by: the log has everything committed, in order.
                        last = replay(&state, &mut socket, &account_id, &staff_id, last).await?;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    last = replay(&state, &mut socket, &account_id, &staff_id, last).await?;
                }
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(WsMessage::Close(_))) => break,
                Some(Ok(_)) => {}
            },
            end = ended.recv() => {
                let over = match end {
                    Ok(end) => end.ends(&caller),
                    // Missed some: ask the database instead.
                    Err(RecvError::Lagged(_)) => !access::still_holds(&state, &caller).await,
                    Err(RecvError::Closed) => true,
                };
                if over {
                    return close_for_access(socket).await;
                }
            }
            _ = recheck.tick() => {
                if !access::still_holds(&state, &caller).await {
                    return close_for_access(socket).await;
                }
            }
        }
    }
    Ok(())
}

/// Sends every logged event after `last` that the caller may see; returns
/// the new last sequence number.
async fn replay(
    state: &AppState,
    socket: &mut WebSocket,
    account_id: &str,
    staff_id: &str,
    mut last: i64,
) -> anyhow::Result<i64> {
    loop {
        let batch = state
            .store
            .events_since(account_id, staff_id, last, REPLAY_BATCH)
            .await?;
        let full = batch.len() as i64 == REPLAY_BATCH;
        for stored in batch {
            let seq = stored.seq;
            match Event::from_stored(stored) {
                Ok(event) => send(socket, &event).await?,
                // Logged by an older version in a shape no kind has now
                // (e.g. `message.status`): skipped, the client sees a gap.
                Err(stale) => tracing::warn!(error = %stale, "skipping a logged event on replay"),
            }
            last = seq;
        }
        if !full {
            return Ok(last);
        }
    }
}

/// Closes a socket whose access ended (code 4401: log in again).
async fn close_for_access(mut socket: WebSocket) -> anyhow::Result<()> {
    let frame = axum::extract::ws::CloseFrame {
        code: ACCESS_ENDED,
        reason: "access ended; log in again".into(),
    };
    let _ = socket.send(WsMessage::Close(Some(frame))).await;
    Ok(())
}

/// The close code of a socket whose session, token or staff member ended.
pub const ACCESS_ENDED: u16 = 4401;

async fn send(socket: &mut WebSocket, event: &Event) -> anyhow::Result<()> {
    let text = serde_json::to_string(event)?;
    socket.send(WsMessage::Text(text.into())).await?;
    Ok(())
}
