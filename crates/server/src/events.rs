//! Live events for agents' browsers.
//!
//! Every event is first appended to the account's numbered event log in the
//! database, then fanned out in-process over a broadcast channel to the
//! WebSockets of this node. A client that reconnects sends the last number it
//! saw and is replayed what it missed from the log. (Carrying events across
//! nodes on PostgreSQL, LISTEN/NOTIFY, plugs in here.)
//!
//! Every kind is a variant of [`LiveEvent`] with one payload type, so a kind
//! has exactly one shape; the OpenAPI document describes them all
//! ([`LiveEventFrame`], referenced by `GET /api/v1/events`), and
//! `docs/events.md` lists them for people.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use store::{Store, StoredEvent};
use tokio::sync::broadcast;
use utoipa::openapi::schema::{
    Discriminator, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::api::channels::ChannelView;
use crate::api::enquiries::{EnquiryView, MessageView, VisitorView};
use crate::api::offers::OfferView;

/// Who may see an event.
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// Every staff member of the account.
    Account,
    /// One staff member.
    Staff(&'a str),
}

/// Defines [`LiveEvent`] (one variant per kind, serialised as
/// `{"type": kind, "data": payload}`) and its OpenAPI components from one list.
macro_rules! live_events {
    ($($(#[doc = $doc:literal])+ $kind:literal => $variant:ident($data:ty),)+) => {
        /// A live event: its kind (`type`) and payload (`data`).
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(tag = "type", content = "data")]
        pub enum LiveEvent {
            $($(#[doc = $doc])+ #[serde(rename = $kind)] $variant($data),)+
        }

        impl LiveEvent {
            /// The kind, as in `type`.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $kind,)+
                }
            }
        }

        /// Every kind.
        pub const KINDS: &[&str] = &[$($kind),+];

        /// One `<Variant>Event` envelope component per kind, the payloads,
        /// and `LiveEvent`: their `oneOf` with a discriminator on `type`.
        fn event_components(out: &mut Vec<(String, RefOr<Schema>)>) {
            let mut one_of = OneOfBuilder::new();
            let mut mapping = Vec::new();
            $(
                let name = concat!(stringify!($variant), "Event");
                out.push((
                    name.to_owned(),
                    envelope($kind, concat!($($doc, "\n"),+), &<$data as ToSchema>::name()),
                ));
                out.push((
                    <$data as ToSchema>::name().into_owned(),
                    <$data as PartialSchema>::schema(),
                ));
                <$data as ToSchema>::schemas(out);
                one_of = one_of.item(Ref::from_schema_name(name));
                mapping.push(($kind, format!("#/components/schemas/{name}")));
            )+
            out.push((
                "LiveEvent".to_owned(),
                one_of
                    .description(Some(
                        "A live event of `GET /api/v1/events`, told apart by `type` \
                         (docs/events.md).",
                    ))
                    .discriminator(Some(Discriminator::with_mapping("type", mapping)))
                    .into(),
            ));
        }
    };
}

live_events! {
    /// To the account: a message was stored — a visitor's, a Page-inbox
    /// reply, the welcome or away message, or a staff reply (queued).
    "message.created" => MessageCreated(MessageEventData),
    /// To the account: a message changed — its send status (sent, failed,
    /// held; `failure_reason` says why), an edit, a reaction, a delivery or
    /// read receipt, an echo matched to it, or a file that finished
    /// downloading. The message as it is now.
    "message.updated" => MessageUpdated(MessageEventData),
    /// To the account: a visitor with no open enquiry on the channel wrote.
    "enquiry.opened" => EnquiryOpened(EnquiryOpenedData),
    /// To the account: an agent accepted an offer or picked up a missed enquiry.
    "enquiry.assigned" => EnquiryAssigned(EnquiryAssignedData),
    /// To the account: routing found nobody (the away message is queued once).
    "enquiry.missed" => EnquiryMissed(EnquiryMissedData),
    /// To the account: an agent no longer serves an active enquiry; it is routed again.
    "enquiry.unassigned" => EnquiryUnassigned(EnquiryUnassignedData),
    /// To the account: an enquiry was closed.
    "enquiry.closed" => EnquiryClosed(EnquiryClosedData),
    /// To the account: an enquiry was transferred to a destination or an agent.
    "enquiry.transferred" => EnquiryTransferred(EnquiryTransferredData),
    /// To the offered agent only: an offer for them (ring all sends one per member).
    "offer.created" => OfferCreated(OfferCreatedData),
    /// To the offered agent only: their open offer ended without them.
    "offer.withdrawn" => OfferWithdrawn(OfferWithdrawnData),
    /// To the other offered agents: someone accepted the enquiry.
    "offer.taken" => OfferTaken(OfferTakenData),
    /// To the account: a visitor's profile (name, picture) was fetched.
    "visitor.updated" => VisitorUpdated(VisitorUpdatedData),
    /// To the account: a Page was connected as a new channel (the channel as
    /// `GET /api/v1/channels/{id}` shows it).
    "channel.created" => ChannelCreated(ChannelView),
    /// To the account: a channel was renamed, got new settings, was
    /// suspended or resumed.
    "channel.updated" => ChannelUpdated(ChannelUpdatedData),
    /// To the account: a channel was deleted.
    "channel.deleted" => ChannelDeleted(ChannelDeletedData),
    /// To the account, once per disconnect: the channel lost its Page access.
    "channel.disconnected" => ChannelDisconnected(ChannelDisconnectedData),
    /// To the account: logging in with Facebook again gave a channel its Page
    /// back; held replies go out.
    "channel.reconnected" => ChannelReconnected(ChannelReconnectedData),
    /// To the account: a staff member's availability changed (they set it,
    /// or an admin changed it).
    "staff.availability" => StaffAvailability(StaffAvailabilityData),
}

/// `message.created` and `message.updated`: the message in the shape of
/// `GET /api/v1/enquiries/{id}/messages` items.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageEventData {
    /// `null` for activity outside an enquiry (a referral before the first message).
    pub enquiry_id: Option<String>,
    pub visitor_id: String,
    pub message: MessageView,
}

impl From<MessageView> for MessageEventData {
    fn from(message: MessageView) -> Self {
        Self {
            enquiry_id: message.enquiry_id.clone(),
            visitor_id: message.visitor_id.clone(),
            message,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnquiryOpenedData {
    /// `status` is `queued`; routing admits and routes it next.
    pub enquiry: EnquiryView,
}

/// How an agent came to serve an enquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignedVia {
    /// They accepted an offer.
    Offer,
    /// They picked up a missed enquiry.
    PickUp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnquiryAssignedData {
    pub enquiry_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    /// The agent who now serves it.
    pub staff_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub assigned_at: Timestamp,
    pub via: AssignedVia,
}

/// Why routing found nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissedReason {
    /// Some destination was a candidate, but nobody there can take it now.
    NoAgentAvailable,
    /// Every destination was already tried for this enquiry.
    AllDestinationsTried,
    /// Time routing: no destination's hours cover the moment.
    OutsideHours,
}

impl From<domain::routing::trace::MissedReason> for MissedReason {
    fn from(reason: domain::routing::trace::MissedReason) -> Self {
        use domain::routing::trace::MissedReason as Domain;
        match reason {
            Domain::NoAgentAvailable => Self::NoAgentAvailable,
            Domain::AllDestinationsTried => Self::AllDestinationsTried,
            Domain::OutsideHours => Self::OutsideHours,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnquiryMissedData {
    pub enquiry_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    pub reason: MissedReason,
    #[schema(value_type = String, format = DateTime)]
    pub missed_at: Timestamp,
}

/// Why an agent lost an active enquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnassignedReason {
    /// They stayed away or offline longer than the account's grace period.
    AwayGraceEnded,
    /// They were removed.
    AgentRemoved,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnquiryUnassignedData {
    pub enquiry_id: String,
    pub channel_id: String,
    pub visitor_id: String,
    /// The agent who had it.
    pub staff_id: String,
    pub reason: UnassignedReason,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnquiryClosedData {
    pub enquiry_id: String,
    /// The staff member who closed it.
    pub closed_by: Option<String>,
    #[schema(value_type = crate::api::schema::CloseReason)]
    pub reason: String,
}

/// Where a transferred enquiry goes: a destination's members or one agent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferredTo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnquiryTransferredData {
    pub enquiry_id: String,
    /// The agent who served it before.
    pub from_staff_id: Option<String>,
    /// Who transferred it.
    pub by_staff_id: String,
    pub to: TransferredTo,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferCreatedData {
    /// With what the offer card shows: visitor, channel, first message.
    pub offer: OfferView,
    pub channel_id: String,
    pub visitor_id: String,
}

/// Why an open offer ended without its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawnReason {
    /// Its time ran out.
    Expired,
    /// The agent went away or offline.
    Unavailable,
    /// The enquiry was closed.
    Closed,
    /// The enquiry was transferred.
    Transferred,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferWithdrawnData {
    pub offer_id: String,
    pub enquiry_id: String,
    pub reason: WithdrawnReason,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferTakenData {
    pub offer_id: String,
    pub enquiry_id: String,
    /// The agent who accepted it.
    pub staff_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitorUpdatedData {
    /// `profile_status` is `fetched` or `unavailable`.
    pub visitor: VisitorView,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelUpdatedData {
    pub channel_id: String,
    #[schema(value_type = crate::api::schema::ChannelStatus)]
    pub status: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelDeletedData {
    pub channel_id: String,
    pub page_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelDisconnectedData {
    pub channel_id: String,
    pub page_id: String,
    /// For people, e.g. "pages_messaging was revoked".
    pub reason: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChannelReconnectedData {
    pub channel_id: String,
    pub page_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffAvailabilityData {
    pub staff_id: String,
    #[schema(value_type = crate::api::schema::Availability)]
    pub availability: domain::staff::Availability,
    /// Enquiries they serve now, and how many they may.
    pub active_count: i64,
    pub capacity: i64,
}

/// The envelope of one kind: `{seq, type, at, data}`.
fn envelope(kind: &str, doc: &str, data: &str) -> RefOr<Schema> {
    let doc: Vec<&str> = doc.lines().map(str::trim).collect();
    ObjectBuilder::new()
        .description(Some(doc.join("\n").trim()))
        .property(
            "seq",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .description(Some(
                    "Per account, increasing; a client may see gaps (others' private events).",
                )),
        )
        .required("seq")
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([kind])),
        )
        .required("type")
        .property(
            "at",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .required("at")
        .property("data", Ref::from_schema_name(data))
        .required("data")
        .into()
}

/// A text frame of the event WebSocket: a [`LiveEvent`] envelope, or the
/// `ready` frame sent once after the replay (`{"type":"ready","seq":N}`).
pub struct LiveEventFrame;

impl PartialSchema for LiveEventFrame {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some(
                "A text frame of `GET /api/v1/events`: a live event, or `ready` once the \
                 missed events were replayed.",
            ))
            .item(Ref::from_schema_name("LiveEvent"))
            .item(Ref::from_schema_name("ReadyFrame"))
            .into()
    }
}

impl ToSchema for LiveEventFrame {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("LiveEventFrame")
    }

    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        event_components(out);
        out.push((
            "ReadyFrame".to_owned(),
            ObjectBuilder::new()
                .description(Some(
                    "Sent once, after the events missed since `?after=` were replayed: \
                     `seq` is the last one sent (resume from it after a reconnect).",
                ))
                .property(
                    "type",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(["ready"])),
                )
                .required("type")
                .property(
                    "seq",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
                )
                .required("seq")
                .into(),
        ));
    }
}

/// The `ready` frame.
#[derive(Debug, Serialize)]
pub struct ReadyFrame {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub seq: i64,
}

impl ReadyFrame {
    pub fn new(seq: i64) -> Self {
        Self { kind: "ready", seq }
    }
}

/// An event as sent to browsers: `{"seq":…,"type":"…","at":"…","data":{…}}`.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    #[serde(skip)]
    pub account_id: String,
    #[serde(skip)]
    pub staff_id: Option<String>,
    pub seq: i64,
    pub at: Timestamp,
    #[serde(flatten)]
    pub event: LiveEvent,
}

/// A logged event that no longer reads as any [`LiveEvent`] (a kind or
/// shape of an older version).
#[derive(Debug, thiserror::Error)]
#[error("event {seq} ({kind}) does not parse as a live event: {source}")]
pub struct StaleEvent {
    pub seq: i64,
    pub kind: String,
    pub source: serde_json::Error,
}

impl Event {
    /// Whether `staff_id` of `account_id` may see this event.
    pub fn is_for(&self, account_id: &str, staff_id: &str) -> bool {
        self.account_id == account_id && self.staff_id.as_deref().is_none_or(|s| s == staff_id)
    }

    /// The logged event, parsed back into its kind's type.
    pub fn from_stored(stored: StoredEvent) -> Result<Self, StaleEvent> {
        let parsed = serde_json::from_str::<serde_json::Value>(&stored.payload)
            .and_then(|data| {
                serde_json::from_value::<LiveEvent>(
                    serde_json::json!({"type": stored.kind, "data": data}),
                )
            })
            .map_err(|source| StaleEvent {
                seq: stored.seq,
                kind: stored.kind.clone(),
                source,
            })?;
        Ok(Self {
            account_id: stored.account_id,
            staff_id: stored.staff_id,
            seq: stored.seq,
            at: stored.created_at,
            event: parsed,
        })
    }
}

/// Publishes events: log first, then live fan-out.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        // A slow socket that falls this far behind is told to resync from the log.
        let (sender, _) = broadcast::channel(4096);
        Self { sender }
    }

    /// Appends `event` to the account's log and pushes it to connected
    /// sockets. Returns its sequence number.
    pub async fn publish(
        &self,
        store: &Store,
        account_id: &str,
        audience: Audience<'_>,
        event: LiveEvent,
    ) -> anyhow::Result<i64> {
        let staff_id = match audience {
            Audience::Account => None,
            Audience::Staff(id) => Some(id),
        };
        let mut tagged = serde_json::to_value(&event)?;
        let data = tagged["data"].take();
        let stored = store
            .append_event(
                account_id,
                staff_id,
                event.kind(),
                &data.to_string(),
                Timestamp::now(),
            )
            .await?;
        let seq = stored.seq;
        let event = Event {
            account_id: stored.account_id,
            staff_id: stored.staff_id,
            seq,
            at: stored.created_at,
            event,
        };
        // No receiver is fine: nobody is connected on this node.
        let _ = self.sender.send(Arc::new(event));
        Ok(seq)
    }

    /// Like [`EventBus::publish`], but a failure is logged instead of
    /// returned: for callers whose own work already succeeded.
    pub async fn publish_logged(
        &self,
        store: &Store,
        account_id: &str,
        audience: Audience<'_>,
        event: LiveEvent,
    ) {
        let kind = event.kind();
        if let Err(e) = self.publish(store, account_id, audience, event).await {
            tracing::warn!(error = ?e, kind, "could not publish an event");
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_its_kind_and_payload_and_reads_back_from_the_log() {
        let event = LiveEvent::OfferWithdrawn(OfferWithdrawnData {
            offer_id: "o1".into(),
            enquiry_id: "e1".into(),
            reason: WithdrawnReason::Transferred,
        });
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "offer.withdrawn",
                "data": {"offer_id": "o1", "enquiry_id": "e1", "reason": "transferred"}})
        );
        let stored = StoredEvent {
            account_id: "a".into(),
            seq: 7,
            staff_id: Some("s".into()),
            kind: "offer.withdrawn".into(),
            payload: json["data"].to_string(),
            created_at: Timestamp::UNIX_EPOCH,
        };
        let back = Event::from_stored(stored).unwrap();
        let frame = serde_json::to_value(&back).unwrap();
        assert_eq!(frame["seq"], 7);
        assert_eq!(frame["type"], "offer.withdrawn");
        assert_eq!(frame["data"]["reason"], "transferred");
        assert_eq!(frame["at"], "1970-01-01T00:00:00Z");
    }

    #[test]
    fn an_old_kind_in_the_log_is_a_stale_event() {
        let stored = StoredEvent {
            account_id: "a".into(),
            seq: 3,
            staff_id: None,
            kind: "message.status".into(),
            payload: "{}".into(),
            created_at: Timestamp::UNIX_EPOCH,
        };
        let stale = Event::from_stored(stored).unwrap_err();
        assert_eq!(stale.seq, 3);
        assert_eq!(stale.kind, "message.status");
    }

    #[test]
    fn every_kind_has_an_envelope_in_the_document() {
        let mut components = Vec::new();
        LiveEventFrame::schemas(&mut components);
        let names: Vec<&str> = components.iter().map(|(n, _)| n.as_str()).collect();
        for required in [
            "LiveEvent",
            "ReadyFrame",
            "MessageCreatedEvent",
            "MessageEventData",
        ] {
            assert!(names.contains(&required), "{required} in {names:?}");
        }
        let live = components.iter().find(|(n, _)| n == "LiveEvent").unwrap();
        let live = serde_json::to_value(&live.1).unwrap();
        assert_eq!(live["oneOf"].as_array().unwrap().len(), KINDS.len());
        assert_eq!(live["discriminator"]["propertyName"], "type");
        for kind in KINDS {
            assert!(live["discriminator"]["mapping"][kind].is_string(), "{kind}");
        }
    }
}
