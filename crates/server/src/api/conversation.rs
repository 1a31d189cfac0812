//! Agents serving enquiries: send text and files, mark read, show typing,
//! close, transfer, and list their own open enquiries with unread counts.
//!
//! Only the agent the enquiry is assigned to (or an admin) may act on it.
//! Replies are checked (length as sent, file size, the 24-hour window)
//! before anything is stored, then stored and queued for the outbox worker.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::limits::{
    check_file_size, compose_outgoing_text, LimitError, StaffNames, MAX_FILE_BYTES,
};
use domain::window::WINDOW_LAPSED_MESSAGE;
use jiff::Timestamp;
use messenger::graph::{AttachmentKind, SenderAction};
use serde::{Deserialize, Serialize};
use store::{
    Enquiry, EnquiryStatus, NewOutgoing, NewOutgoingAttachment, StoreError, TransferTarget,
};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

use crate::api::console::{EnquiryCard, MessagePreview};
use crate::api::enquiries::MessageView;
use crate::api::schema;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::events::{
    Audience, EnquiryClosedData, EnquiryTransferredData, LiveEvent, OfferWithdrawnData,
    TransferredTo, WithdrawnReason,
};
use crate::extract::{ApiJson, ApiPath};
use crate::outbox::policy::messaging_type;
use crate::state::AppState;

/// Room for the multipart framing around a file of [`MAX_FILE_BYTES`].
pub const FILE_BODY_LIMIT: usize = MAX_FILE_BYTES as usize + 1024 * 1024;

/// A handler's error: the API's errors, plus the lapsed window, which is
/// shown to agents as exactly [`WINDOW_LAPSED_MESSAGE`] (422 `window_lapsed`).
#[derive(Debug)]
pub enum ServeError {
    Api(ApiError),
    WindowLapsed,
}

impl<E: Into<ApiError>> From<E> for ServeError {
    fn from(e: E) -> Self {
        Self::Api(e.into())
    }
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        match self {
            Self::Api(e) => e.into_response(),
            Self::WindowLapsed => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(ErrorBody {
                    error: ErrorDetail {
                        code: "window_lapsed",
                        message: WINDOW_LAPSED_MESSAGE.to_owned(),
                        field: None,
                    },
                }),
            )
                .into_response(),
        }
    }
}

type ServeResult<T> = Result<T, ServeError>;

/// The enquiry, loaded for an action by `caller`: 404 outside the account,
/// 409 when closed, 403 for anyone but the assigned agent or an admin.
async fn for_action(state: &AppState, caller: &Caller, id: &str) -> ServeResult<Enquiry> {
    let enquiry = state.store.get_enquiry(caller.account_id(), id).await?;
    if enquiry.status == EnquiryStatus::Closed {
        return Err(ApiError::Conflict("this enquiry is closed".into()).into());
    }
    let mine = enquiry.assigned_staff_id.as_deref() == Some(caller.staff_id());
    if !mine && !caller.is_admin() {
        return Err(ApiError::Forbidden(
            "only the agent serving this enquiry, or an admin, may do this",
        )
        .into());
    }
    Ok(enquiry)
}

/// Replies need an enquiry someone serves.
fn require_active(enquiry: &Enquiry) -> ServeResult<()> {
    if enquiry.status == EnquiryStatus::Active {
        Ok(())
    } else {
        Err(ApiError::Conflict(format!(
            "this enquiry is {}; accept or pick it up before replying",
            enquiry.status
        ))
        .into())
    }
}

/// Refuses a reply a person writes now if the window has lapsed for it.
async fn check_window(state: &AppState, enquiry: &Enquiry) -> ServeResult<store::Channel> {
    let channel = state
        .store
        .get_channel(&enquiry.account_id, &enquiry.channel_id)
        .await?;
    let visitor = state
        .store
        .get_visitor(&enquiry.account_id, &enquiry.visitor_id)
        .await?;
    let allowed = channel.message_settings.human_agent_tag;
    match messaging_type(visitor.last_inbound_at, state.now(), true, allowed) {
        Some(_) => Ok(channel),
        None => Err(ServeError::WindowLapsed),
    }
}

async fn queue(
    state: &AppState,
    caller: &Caller,
    enquiry: &Enquiry,
    kind: &'static str,
    text: Option<String>,
    attachment: Option<NewOutgoingAttachment>,
) -> ServeResult<MessageView> {
    let message = state
        .store
        .enqueue_outgoing(
            caller.account_id(),
            NewOutgoing {
                channel_id: enquiry.channel_id.clone(),
                visitor_id: enquiry.visitor_id.clone(),
                enquiry_id: Some(enquiry.id.clone()),
                author: "staff",
                staff_id: Some(caller.staff_id().to_owned()),
                kind,
                text,
                is_human: true,
                attachment,
            },
            state.now(),
        )
        .await?;
    state.wake.outbox.notify_one();
    let view = MessageView::from(state.store.message_detail(message).await?);
    state
        .publish(
            caller.account_id(),
            Audience::Account,
            LiveEvent::MessageCreated(view.clone().into()),
        )
        .await;
    Ok(view)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SendTextRequest {
    /// What the agent typed; the channel's display-name prefix is added.
    pub text: String,
}

/// Sends a text reply: at most 2,000 characters as sent (prefix included),
/// inside the messaging window; stored, then delivered by the outbox.
#[utoipa::path(post, path = "/api/v1/enquiries/{id}/messages", tag = "conversations",
    params(("id" = String, Path, description = "Enquiry id")),
    request_body = SendTextRequest,
    responses(
        (status = 201, body = MessageView, description = "Stored and queued for sending"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Closed or not being served"),
        (status = 422, body = ErrorBody, description = "Too long, empty, or the window has lapsed"),
    ))]
pub async fn send_text(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SendTextRequest>,
) -> ServeResult<(StatusCode, Json<MessageView>)> {
    let enquiry = for_action(&state, &caller, &id).await?;
    require_active(&enquiry)?;
    let channel = state
        .store
        .get_channel(&enquiry.account_id, &enquiry.channel_id)
        .await?;
    let names = StaffNames {
        first_name: caller.staff.first_name.clone(),
        display_name: caller.staff.display_name.clone(),
    };
    let text = compose_outgoing_text(
        channel.message_settings.display_name_format,
        &names,
        &req.text,
    )
    .map_err(|e| ApiError::validation("text", e.to_string()))?;
    check_window(&state, &enquiry).await?;
    let message = queue(&state, &caller, &enquiry, "text", Some(text), None).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// Sends a file (multipart field `file`, at most 25 MB): image, audio and
/// video by their content type, anything else as a file.
#[utoipa::path(post, path = "/api/v1/enquiries/{id}/files", tag = "conversations",
    params(("id" = String, Path, description = "Enquiry id")),
    request_body(content_type = "multipart/form-data", description = "One part named `file`"),
    responses(
        (status = 201, body = MessageView, description = "Stored and queued for sending"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "Larger than 25 MB"),
        (status = 422, body = ErrorBody, description = "No file, empty, or the window has lapsed"),
    ))]
pub async fn send_file(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    mut multipart: Multipart,
) -> ServeResult<(StatusCode, Json<MessageView>)> {
    let enquiry = for_action(&state, &caller, &id).await?;
    require_active(&enquiry)?;
    check_window(&state, &enquiry).await?;
    let mut stored = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("file") {
            stored = Some(store_upload(&state, caller.account_id(), field).await?);
            break;
        }
    }
    let file = stored.ok_or_else(|| {
        ApiError::validation("file", "send the file as a multipart part named `file`")
    })?;
    let message = queue(&state, &caller, &enquiry, "attachment", None, Some(file)).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(too_large_message())
    } else {
        ApiError::BadRequest(format!("the upload could not be read: {}", e.body_text()))
    }
}

fn too_large_message() -> String {
    format!("a file may be at most {MAX_FILE_BYTES} bytes (25 MB); this one is larger")
}

/// Streams a part to `<files>/outgoing/<account>/<uuid>`, refusing it past
/// [`MAX_FILE_BYTES`] without reading the rest into memory.
async fn store_upload(
    state: &AppState,
    account_id: &str,
    mut field: axum::extract::multipart::Field<'_>,
) -> ServeResult<NewOutgoingAttachment> {
    let file_name = field.file_name().unwrap_or("file").to_owned();
    let content_type = field
        .content_type()
        .unwrap_or("application/octet-stream")
        .to_owned();
    let storage_key = format!("outgoing/{account_id}/{}", uuid::Uuid::now_v7());
    let path = state.files_dir().join(&storage_key);
    let io =
        |e: std::io::Error| ApiError::Internal(anyhow::Error::new(e).context("storing an upload"));
    let mut out = crate::files::create_private_file(&path).await.map_err(io)?;
    let mut size: u64 = 0;
    let result: ServeResult<()> = async {
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            size += chunk.len() as u64;
            if size > MAX_FILE_BYTES {
                return Err(ApiError::PayloadTooLarge(too_large_message()).into());
            }
            out.write_all(&chunk).await.map_err(io)?;
        }
        out.flush().await.map_err(io)?;
        check_file_size(size).map_err(|e| match e {
            LimitError::FileTooLarge { .. } => ApiError::PayloadTooLarge(e.to_string()),
            other => ApiError::validation("file", other.to_string()),
        })?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    Ok(NewOutgoingAttachment {
        kind: AttachmentKind::for_content_type(&content_type)
            .as_str()
            .to_owned(),
        content_type,
        file_name,
        size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
        storage_key,
    })
}

/// Marks the enquiry read by the caller (their unread count drops to 0) and
/// shows the visitor "seen" when the window allows it.
#[utoipa::path(post, path = "/api/v1/enquiries/{id}/read", tag = "conversations",
    params(("id" = String, Path, description = "Enquiry id")),
    responses((status = 204, description = "Marked read"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ServeResult<StatusCode> {
    let enquiry = for_action(&state, &caller, &id).await?;
    state
        .store
        .mark_enquiry_read(
            caller.account_id(),
            &enquiry.id,
            caller.staff_id(),
            state.now(),
        )
        .await?;
    if check_window(&state, &enquiry).await.is_ok() {
        if let Err(e) = sender_action(&state, &enquiry, &SenderAction::MarkSeen).await {
            tracing::info!(error = ?e, enquiry_id = %enquiry.id, "mark_seen was not shown to the visitor");
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TypingRequest {
    /// `true` shows the typing bubble, `false` hides it.
    pub typing: bool,
}

/// Shows (or hides) the typing indicator to the visitor.
#[utoipa::path(post, path = "/api/v1/enquiries/{id}/typing", tag = "conversations",
    params(("id" = String, Path, description = "Enquiry id")),
    request_body = TypingRequest,
    responses((status = 204, description = "Shown"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "The window has lapsed"),
        (status = 502, body = ErrorBody, description = "Facebook refused")))]
pub async fn typing(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<TypingRequest>,
) -> ServeResult<StatusCode> {
    let enquiry = for_action(&state, &caller, &id).await?;
    require_active(&enquiry)?;
    check_window(&state, &enquiry).await?;
    let action = if req.typing {
        SenderAction::TypingOn
    } else {
        SenderAction::TypingOff
    };
    sender_action(&state, &enquiry, &action).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A sender action straight to Messenger (ephemeral, so not through the outbox).
async fn sender_action(
    state: &AppState,
    enquiry: &Enquiry,
    action: &SenderAction,
) -> ServeResult<()> {
    let store = &state.store;
    let channel = store
        .get_channel(&enquiry.account_id, &enquiry.channel_id)
        .await?;
    if channel.status != domain::channel::ChannelStatus::Active {
        return Err(ApiError::Conflict(format!("the channel is {}", channel.status)).into());
    }
    let visitor = store
        .get_visitor(&enquiry.account_id, &enquiry.visitor_id)
        .await?;
    let token = store
        .channel_token_enc(&enquiry.account_id, &enquiry.channel_id)
        .await?
        .ok_or(ApiError::Conflict("the channel has no Page token".into()))?;
    let token = state.secrets.decrypt(&token)?;
    state
        .graph
        .sender_action(&channel.page_id, &token, &visitor.external_id, action)
        .await
        .map_err(|e| {
            ApiError::BadGateway(format!("Facebook refused: {}", crate::outbox::reason(&e)))
        })?;
    Ok(())
}

/// An enquiry after close or transfer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnquiryStateView {
    pub id: String,
    /// `routing` after a transfer, `closed` after a close.
    #[schema(value_type = schema::EnquiryStatus)]
    pub status: String,
    pub assigned_staff_id: Option<String>,
    pub destination_id: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<String>,
    #[schema(value_type = Option<schema::CloseReason>)]
    pub close_reason: Option<String>,
}

impl From<&Enquiry> for EnquiryStateView {
    fn from(e: &Enquiry) -> Self {
        Self {
            id: e.id.clone(),
            status: e.status.to_string(),
            assigned_staff_id: e.assigned_staff_id.clone(),
            destination_id: e.destination_id.clone(),
            closed_at: e.closed_at,
            closed_by: e.closed_by.clone(),
            close_reason: e.close_reason.clone(),
        }
    }
}

/// Closes the enquiry. The visitor's next message opens a new one.
#[utoipa::path(post, path = "/api/v1/enquiries/{id}/close", tag = "conversations",
    params(("id" = String, Path, description = "Enquiry id")),
    responses((status = 200, body = EnquiryStateView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Already closed")))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ServeResult<Json<EnquiryStateView>> {
    let enquiry = for_action(&state, &caller, &id).await?;
    let (closed, withdrawn) = state
        .store
        .close_enquiry(
            caller.account_id(),
            &enquiry.id,
            caller.staff_id(),
            "agent",
            state.now(),
        )
        .await?
        .ok_or(ApiError::Conflict("this enquiry is closed".into()))?;
    state.wake.routing.notify_one();
    publish_withdrawn(&state, &closed, &withdrawn, WithdrawnReason::Closed).await;
    state
        .publish(
            caller.account_id(),
            Audience::Account,
            LiveEvent::EnquiryClosed(EnquiryClosedData {
                enquiry_id: closed.id.clone(),
                closed_by: closed.closed_by.clone(),
                reason: closed
                    .close_reason
                    .clone()
                    .unwrap_or_else(|| "agent".into()),
            }),
        )
        .await;
    Ok(Json(EnquiryStateView::from(&closed)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferRequest {
    /// Re-offer to this destination's members…
    pub destination_id: Option<String>,
    /// …or to this agent (exactly one of the two).
    pub staff_id: Option<String>,
}

/// Transfers the enquiry to another destination or agent; routing offers it
/// there, and the current agent no longer serves it.
#[utoipa::path(post, path = "/api/v1/enquiries/{id}/transfer", tag = "conversations",
    params(("id" = String, Path, description = "Enquiry id")),
    request_body = TransferRequest,
    responses((status = 200, body = EnquiryStateView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "No, both, or an unknown target")))]
pub async fn transfer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<TransferRequest>,
) -> ServeResult<Json<EnquiryStateView>> {
    let enquiry = for_action(&state, &caller, &id).await?;
    let account_id = caller.account_id();
    let target = match (req.destination_id, req.staff_id) {
        (Some(d), None) => {
            state
                .store
                .get_destination(account_id, &d)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => {
                        ApiError::validation("destination_id", "no such destination")
                    }
                    other => other.into(),
                })?;
            TransferTarget::Destination(d)
        }
        (None, Some(s)) => {
            state
                .store
                .get_staff(account_id, &s)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => {
                        ApiError::validation("staff_id", "no such staff member")
                    }
                    other => other.into(),
                })?;
            if enquiry.assigned_staff_id.as_deref() == Some(s.as_str()) {
                return Err(ApiError::validation("staff_id", "already serves this enquiry").into());
            }
            TransferTarget::Staff(s)
        }
        _ => {
            return Err(ApiError::validation(
                "destination_id",
                "give exactly one of destination_id and staff_id",
            )
            .into())
        }
    };
    let (moved, withdrawn) = state
        .store
        .transfer_enquiry(
            account_id,
            &enquiry.id,
            &target,
            caller.staff_id(),
            state.now(),
        )
        .await?
        .ok_or(ApiError::Conflict("this enquiry is closed".into()))?;
    state.wake.routing.notify_one();
    publish_withdrawn(&state, &moved, &withdrawn, WithdrawnReason::Transferred).await;
    let to = match &target {
        TransferTarget::Destination(d) => TransferredTo {
            destination_id: Some(d.clone()),
            staff_id: None,
        },
        TransferTarget::Staff(s) => TransferredTo {
            destination_id: None,
            staff_id: Some(s.clone()),
        },
    };
    state
        .publish(
            account_id,
            Audience::Account,
            LiveEvent::EnquiryTransferred(EnquiryTransferredData {
                enquiry_id: moved.id.clone(),
                from_staff_id: enquiry.assigned_staff_id.clone(),
                by_staff_id: caller.staff_id().to_owned(),
                to,
            }),
        )
        .await;
    Ok(Json(EnquiryStateView::from(&moved)))
}

async fn publish_withdrawn(
    state: &AppState,
    enquiry: &Enquiry,
    withdrawn: &[store::WithdrawnOffer],
    reason: WithdrawnReason,
) {
    for offer in withdrawn {
        state
            .publish(
                &enquiry.account_id,
                Audience::Staff(&offer.staff_id),
                LiveEvent::OfferWithdrawn(OfferWithdrawnData {
                    offer_id: offer.offer_id.clone(),
                    enquiry_id: enquiry.id.clone(),
                    reason,
                }),
            )
            .await;
    }
}

/// One of my open enquiries.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyEnquiryView {
    pub id: String,
    pub channel_id: String,
    pub channel_name: String,
    pub visitor_id: String,
    pub visitor_name: String,
    pub visitor_picture_url: Option<String>,
    /// The conversation's last message (either direction), for the preview.
    pub last_message: Option<MessagePreview>,
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_inbound_at: Timestamp,
    /// The visitor's messages since I last marked it read.
    pub unread_count: i64,
    /// Until when a reply can still be sent (24 hours after the visitor's last
    /// message, or 7 days where the channel allows the human-agent tag).
    #[schema(value_type = String, format = DateTime)]
    pub window_ends_at: Timestamp,
    /// Whether the channel allows Messenger's `HUMAN_AGENT` tag, i.e.
    /// `window_ends_at` is 7 days after the visitor's last message, not 24 hours.
    pub human_agent_tag: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyEnquiries {
    pub items: Vec<MyEnquiryView>,
}

/// When replies stop being possible for a visitor who last wrote at `last_inbound`.
pub fn window_ends_at(last_inbound: Timestamp, human_agent_tag: bool) -> Timestamp {
    let window = if human_agent_tag {
        domain::window::HUMAN_AGENT_WINDOW
    } else {
        domain::window::STANDARD_WINDOW
    };
    last_inbound.saturating_add(window).unwrap_or(last_inbound)
}

/// The enquiries I serve now, oldest first, with unread counts.
#[utoipa::path(get, path = "/api/v1/me/enquiries", tag = "conversations",
    responses((status = 200, body = MyEnquiries), (status = 401, body = ErrorBody)))]
pub async fn my_enquiries(
    State(state): State<AppState>,
    caller: Caller,
) -> ServeResult<Json<MyEnquiries>> {
    let served = state
        .store
        .my_enquiries(caller.account_id(), caller.staff_id())
        .await?;
    let mut items = Vec::with_capacity(served.len());
    for s in served {
        let e = s.enquiry;
        let card = EnquiryCard::load(&state, &e).await?;
        let (visitor, channel) = (card.visitor, card.channel);
        let last = visitor.last_inbound_at.unwrap_or(e.last_inbound_at);
        let human_agent_tag = channel.message_settings.human_agent_tag;
        items.push(MyEnquiryView {
            visitor_name: visitor.display_name().to_owned(),
            visitor_picture_url: visitor.picture_url,
            channel_name: channel.name,
            last_message: card.last_message.map(Into::into),
            window_ends_at: window_ends_at(last, human_agent_tag),
            human_agent_tag,
            id: e.id,
            channel_id: e.channel_id,
            visitor_id: e.visitor_id,
            opened_at: e.opened_at,
            last_inbound_at: last,
            unread_count: s.unread_count,
        });
    }
    Ok(Json(MyEnquiries { items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_ends_a_day_after_the_visitor_wrote_or_a_week_with_the_tag() {
        let last: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        assert_eq!(
            window_ends_at(last, false).to_string(),
            "2026-03-02T10:00:00Z"
        );
        assert_eq!(
            window_ends_at(last, true).to_string(),
            "2026-03-08T10:00:00Z"
        );
    }
}
