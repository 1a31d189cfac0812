//! Reading enquiries: the list (filters, keyset pages), one enquiry with its
//! visitor and 24-hour window, and its message history with files,
//! reactions and edits. Every staff member of the account may read them.

use axum::extract::State;
use axum::Json;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{EnquiryFilter, EnquiryStatus, MessageDetail};
use utoipa::{IntoParams, ToSchema};

use crate::api::schema;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

/// A visitor: one person on one channel.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitorView {
    pub id: String,
    pub channel_id: String,
    /// The channel's id for the person (PSID).
    pub psid: String,
    /// The profile name, or "Unknown".
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub picture_url: Option<String>,
    #[schema(value_type = schema::ProfileStatus)]
    pub profile_status: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_inbound_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<store::Visitor> for VisitorView {
    fn from(v: store::Visitor) -> Self {
        Self {
            name: v.display_name().to_owned(),
            id: v.id,
            channel_id: v.channel_id,
            psid: v.external_id,
            first_name: v.first_name,
            last_name: v.last_name,
            picture_url: v.picture_url,
            profile_status: v.profile_status,
            last_inbound_at: v.last_inbound_at,
            created_at: v.created_at,
        }
    }
}

/// An enquiry: one conversation episode of a visitor.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnquiryView {
    pub id: String,
    pub channel_id: String,
    pub visitor_id: String,
    #[schema(value_type = schema::EnquiryStatus)]
    pub status: String,
    pub assigned_staff_id: Option<String>,
    pub destination_id: Option<String>,
    /// Another app owns the Messenger thread: shown, not routed.
    pub standby: bool,
    #[schema(value_type = String, format = DateTime)]
    pub opened_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_inbound_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub assigned_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub missed_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Timestamp>,
    pub closed_by: Option<String>,
    #[schema(value_type = Option<schema::CloseReason>)]
    pub close_reason: Option<String>,
}

impl From<store::Enquiry> for EnquiryView {
    fn from(e: store::Enquiry) -> Self {
        Self {
            id: e.id,
            channel_id: e.channel_id,
            visitor_id: e.visitor_id,
            status: e.status.as_str().to_owned(),
            assigned_staff_id: e.assigned_staff_id,
            destination_id: e.destination_id,
            standby: e.standby,
            opened_at: e.opened_at,
            last_inbound_at: e.last_inbound_at,
            assigned_at: e.assigned_at,
            missed_at: e.missed_at,
            closed_at: e.closed_at,
            closed_by: e.closed_by,
            close_reason: e.close_reason,
        }
    }
}

/// One enquiry with its visitor and messaging window.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnquiryDetailView {
    #[serde(flatten)]
    pub enquiry: EnquiryView,
    pub visitor: VisitorView,
    /// When the 24-hour window for standard replies closes (from the
    /// visitor's last message); `None` before any.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub window_ends_at: Option<Timestamp>,
    /// Whether the channel allows Messenger's `HUMAN_AGENT` tag: staff may
    /// then still reply until `human_agent_window_ends_at` (7 days).
    pub human_agent_tag: bool,
    /// 7 days after the visitor's last message, when the tag is allowed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub human_agent_window_ends_at: Option<Timestamp>,
}

/// A file or link of a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    /// `image`, `audio`, `video`, `file`, `sticker`, `fallback`, …
    pub kind: String,
    #[schema(value_type = schema::AttachmentStatus)]
    pub status: String,
    pub content_type: Option<String>,
    pub file_name: Option<String>,
    pub size_bytes: Option<i64>,
    /// The original URL of links (`remote`); media is served by `download_url`.
    pub url: Option<String>,
    /// `/api/v1/attachments/{id}` once stored.
    pub download_url: Option<String>,
}

impl From<store::Attachment> for AttachmentView {
    fn from(a: store::Attachment) -> Self {
        Self {
            download_url: (a.status == "stored").then(|| format!("/api/v1/attachments/{}", a.id)),
            url: (a.status == "remote").then_some(a.source_url).flatten(),
            id: a.id,
            kind: a.kind,
            status: a.status,
            content_type: a.content_type,
            file_name: a.file_name,
            size_bytes: a.size_bytes,
        }
    }
}

/// A reaction on a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReactionView {
    /// `visitor` or a staff id.
    pub reactor: String,
    pub reaction: String,
    pub emoji: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// One edit: the text before and after.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EditView {
    pub previous_text: Option<String>,
    pub new_text: Option<String>,
    pub num_edit: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub edited_at: Timestamp,
}

/// A message of the conversation, either direction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub enquiry_id: Option<String>,
    #[schema(value_type = schema::MessageDirection)]
    pub direction: String,
    #[schema(value_type = schema::MessageAuthor)]
    pub author: String,
    pub staff_id: Option<String>,
    #[schema(value_type = schema::MessageKind)]
    pub kind: String,
    /// The text as shown (the latest edit; a postback's button title).
    pub text: Option<String>,
    /// Postback / quick-reply payload, referral, or the raw event of unknown kinds.
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Value>,
    /// The mid of the message this one replies to.
    pub reply_to_external_id: Option<String>,
    pub external_id: Option<String>,
    pub standby: bool,
    #[schema(value_type = schema::MessageStatus)]
    pub status: String,
    pub failure_code: Option<String>,
    pub failure_reason: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub sent_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<Timestamp>,
    pub attachments: Vec<AttachmentView>,
    pub reactions: Vec<ReactionView>,
    /// Earlier versions of the text, oldest first.
    pub edits: Vec<EditView>,
}

impl From<MessageDetail> for MessageView {
    fn from(d: MessageDetail) -> Self {
        let m = d.message;
        Self {
            id: m.id,
            channel_id: m.channel_id,
            visitor_id: m.visitor_id,
            enquiry_id: m.enquiry_id,
            direction: m.direction,
            author: m.author,
            staff_id: m.staff_id,
            kind: m.kind,
            text: m.text,
            payload: m
                .payload
                .map(|p| serde_json::from_str(&p).unwrap_or(Value::String(p))),
            reply_to_external_id: m.reply_to_external_id,
            external_id: m.external_id,
            standby: m.standby,
            status: m.status,
            failure_code: m.failure_code,
            failure_reason: m.failure_reason,
            edited_at: m.edited_at,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            read_at: m.read_at,
            attachments: d.attachments.into_iter().map(Into::into).collect(),
            reactions: d
                .reactions
                .into_iter()
                .map(|r| ReactionView {
                    reactor: r.reactor,
                    reaction: r.reaction,
                    emoji: r.emoji,
                    created_at: r.created_at,
                })
                .collect(),
            edits: d
                .edits
                .into_iter()
                .map(|e| EditView {
                    previous_text: e.previous_text,
                    new_text: e.new_text,
                    num_edit: e.num_edit,
                    edited_at: e.edited_at,
                })
                .collect(),
        }
    }
}

/// A page of results; pass `next_cursor` as `cursor` for the next one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// `None` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListEnquiriesQuery {
    #[param(value_type = Option<schema::EnquiryStatus>)]
    pub status: Option<String>,
    pub channel_id: Option<String>,
    /// The assigned agent.
    pub staff_id: Option<String>,
    /// A visitor's enquiries (e.g. their earlier ones, for the agent serving them).
    pub visitor_id: Option<String>,
    /// The destination it was routed to.
    pub destination_id: Option<String>,
    /// Opened at or after this: an RFC 3339 time, or a date (`2026-03-01`,
    /// from its start, UTC).
    pub from: Option<String>,
    /// Opened before this: an RFC 3339 time, or a date (`2026-03-31`, up to
    /// its end, UTC).
    pub to: Option<String>,
    /// Part of the visitor's name, any case.
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200 (default 50).
    pub limit: Option<u32>,
}

/// `from`/`to` of the list: a time, or a date's start (`end_of_day`: the
/// next day's start).
fn parse_bound(field: &str, value: &str, end_of_day: bool) -> Result<Timestamp, ApiError> {
    if let Ok(at) = value.parse::<Timestamp>() {
        return Ok(at);
    }
    let date = value.parse::<jiff::civil::Date>().map_err(|_| {
        ApiError::validation(field, "must be an RFC 3339 time or a date (YYYY-MM-DD)")
    })?;
    let date = if end_of_day {
        date.tomorrow()
            .map_err(|_| ApiError::validation(field, "is out of range"))?
    } else {
        date
    };
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| ApiError::validation(field, "is out of range"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200 (default 50).
    pub limit: Option<u32>,
    /// `asc` (default): oldest first, pages go forward. `desc`: newest
    /// first, pages go back in time — a chat opens at its end and loads
    /// older messages on scroll.
    #[param(inline, value_type = Option<MessageOrder>)]
    pub order: Option<String>,
}

/// The order of an enquiry's messages.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageOrder {
    Asc,
    Desc,
}

fn page_size(limit: Option<u32>) -> Result<i64, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(i64::from(n)),
        _ => Err(ApiError::validation("limit", "must be between 1 and 200")),
    }
}

/// Splits one extra row off to tell whether another page follows.
fn paginate<T, V: ToSchema + From<T>>(
    mut rows: Vec<T>,
    size: i64,
    cursor_of: impl Fn(&T) -> String,
) -> Page<V> {
    let more = rows.len() as i64 > size;
    rows.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    let next_cursor = if more {
        rows.last().map(cursor_of)
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }
}

/// List enquiries, newest first.
#[utoipa::path(get, path = "/api/v1/enquiries", tag = "enquiries", params(ListEnquiriesQuery),
    responses((status = 200, body = Page<EnquiryView>), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListEnquiriesQuery>,
) -> ApiResult<Json<Page<EnquiryView>>> {
    let size = page_size(query.limit)?;
    let status = query
        .status
        .as_deref()
        .map(|s| {
            s.parse::<EnquiryStatus>().map_err(|_| {
                ApiError::validation(
                    "status",
                    "must be queued, routing, offered, active, missed or closed",
                )
            })
        })
        .transpose()?;
    let opened_from = query
        .from
        .as_deref()
        .map(|v| parse_bound("from", v, false))
        .transpose()?;
    let opened_before = query
        .to
        .as_deref()
        .map(|v| parse_bound("to", v, true))
        .transpose()?;
    let visitor_name = query
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if visitor_name
        .as_ref()
        .is_some_and(|q| q.chars().count() > 100)
    {
        return Err(ApiError::validation("q", "must be at most 100 characters"));
    }
    let filter = EnquiryFilter {
        status,
        channel_id: query.channel_id,
        staff_id: query.staff_id,
        visitor_id: query.visitor_id,
        destination_id: query.destination_id,
        opened_from,
        opened_before,
        visitor_name,
    };
    let rows = state
        .store
        .list_enquiries(
            caller.account_id(),
            &filter,
            query.cursor.as_deref(),
            size + 1,
        )
        .await?;
    Ok(Json(paginate(rows, size, |e: &store::Enquiry| {
        e.id.clone()
    })))
}

/// Read an enquiry with its visitor.
#[utoipa::path(get, path = "/api/v1/enquiries/{id}", tag = "enquiries",
    params(("id" = String, Path, description = "Enquiry id")),
    responses((status = 200, body = EnquiryDetailView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<EnquiryDetailView>> {
    let enquiry = state.store.get_enquiry(caller.account_id(), &id).await?;
    let visitor = state
        .store
        .get_visitor(caller.account_id(), &enquiry.visitor_id)
        .await?;
    // A deleted channel's enquiries stay readable (and can get no reply).
    let human_agent_tag = match state
        .store
        .get_channel(caller.account_id(), &enquiry.channel_id)
        .await
    {
        Ok(channel) => channel.message_settings.human_agent_tag,
        Err(store::StoreError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    let window_ends_at = visitor
        .last_inbound_at
        .map(|at| at + domain::window::STANDARD_WINDOW);
    let human_agent_window_ends_at = visitor
        .last_inbound_at
        .filter(|_| human_agent_tag)
        .map(|at| at + domain::window::HUMAN_AGENT_WINDOW);
    Ok(Json(EnquiryDetailView {
        enquiry: enquiry.into(),
        visitor: visitor.into(),
        window_ends_at,
        human_agent_tag,
        human_agent_window_ends_at,
    }))
}

/// An enquiry's messages in conversation order (oldest first), or newest
/// first with `order=desc`.
#[utoipa::path(get, path = "/api/v1/enquiries/{id}/messages", tag = "enquiries",
    params(("id" = String, Path, description = "Enquiry id"), MessagesQuery),
    responses((status = 200, body = Page<MessageView>), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<MessagesQuery>,
) -> ApiResult<Json<Page<MessageView>>> {
    let size = page_size(query.limit)?;
    let newest_first = match query.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::validation("order", "must be asc or desc")),
    };
    let enquiry = state.store.get_enquiry(caller.account_id(), &id).await?;
    let cursor = query.cursor.as_deref();
    let rows = if newest_first {
        state
            .store
            .list_enquiry_messages_newest_first(caller.account_id(), &enquiry.id, cursor, size + 1)
            .await
    } else {
        state
            .store
            .list_enquiry_messages(caller.account_id(), &enquiry.id, cursor, size + 1)
            .await
    };
    let rows = rows.map_err(|e| match e {
        store::StoreError::NotFound => {
            ApiError::validation("cursor", "is not a message of this enquiry")
        }
        other => other.into(),
    })?;
    Ok(Json(paginate(rows, size, |m: &MessageDetail| {
        m.message.id.clone()
    })))
}
