//! omnidesk's persistence: one [`Store`] over SQLite (the default, one file)
//! or PostgreSQL (many nodes), chosen by the URL scheme.
//!
//! * SQL is written once with `$1` placeholders and bound in numbering order
//!   (SQLite numbers `$n` by first appearance); the few differences go
//!   through [`Dialect`].
//! * Ids are UUIDv7 text made here; times are `jiff::Timestamp` stored as
//!   BIGINT milliseconds; enums are stored in their `domain` text form.
//! * Every method on tenant data takes `account_id` and filters on it: another
//!   account's row is [`StoreError::NotFound`], exactly like a missing one.
//! * Writes go through [`Store::write_tx`], which on SQLite queues writers in
//!   process so they wait instead of failing with `SQLITE_BUSY`.
//!
//! One module per resource, each an `impl Store` block.
#![forbid(unsafe_code)]

mod accounts;
mod api_tokens;
mod channels;
mod console;
mod conversations;
mod db;
mod destinations;
mod enquiries;
mod error;
mod events;
mod facebook_logins;
mod inbound;
mod inbound_jobs;
mod inbox;
mod login_throttle;
mod messages;
mod outbox;
mod retention;
mod routing;
mod rows;
mod serving;
mod sessions;
mod staff;
#[cfg(feature = "testing")]
pub mod testing;
mod visitors;

pub use accounts::{
    Account, AccountUpdate, DEFAULT_AWAY_GRACE_SECS, DEFAULT_MAX_CONCURRENT_VISITORS,
};
pub use api_tokens::{ApiToken, NewApiToken, TOKEN_USE_PRECISION_MS};
pub use channels::{
    routing_from_json, routing_to_json, Channel, ChannelUpdate, DueCheck, NewChannel, Reconnect,
    FACEBOOK_MESSENGER,
};
pub use conversations::{EnquiryFilter, MessageDetail, MessageEdit, MessageReaction};
pub use db::{Dialect, Store, WriteTx};
pub use destinations::{Destination, DestinationUpdate, NewDestination};
pub use enquiries::{enquiry_from_row, Enquiry, EnquiryStatus, ENQUIRY_COLUMNS};
pub use error::StoreError;
pub use events::StoredEvent;
pub use facebook_logins::{
    FacebookLogin, LoginAuthorized, LoginPage, LoginPermission, NewFacebookLogin, StateRefusal,
};
pub use inbound::{
    Changes, InboundEvent, InboundItem, InboundOutcome, NewInboundAttachment, NewInboundMessage,
    Reaction,
};
pub use inbound_jobs::{DueProfile, StoredFile, VisitorProfile};
pub use inbox::{InboxEntry, InboxRow};
pub use login_throttle::AttemptLimit;
pub use messages::{
    attachment_from_row, message_from_row, Attachment, Message, ATTACHMENT_COLUMNS, MESSAGE_COLUMNS,
};
pub use outbox::{NewOutgoing, NewOutgoingAttachment, OutboxJob};
pub use retention::{Pruned, RetentionCutoffs};
pub use routing::{
    stored_routing_settings, trigger, AcceptOutcome, Accepted, Applied, EndedOffer, Offer,
    PendingRound, RoutingChannel, RoutingState, RoutingTraceRecord, Transfer, Unassigned,
    MISSED_RETRY, NOT_MISSED, OFFER_NOT_OPEN, OFFER_TAKEN, OFFER_TIMED_OUT, STAFF_AT_CAPACITY,
};
pub use serving::{ServedEnquiry, TransferTarget, WithdrawnOffer};
pub use sessions::{NewSession, Session};
pub use staff::{LoginRecord, NewStaff, Staff, StaffUpdate};
pub use visitors::{visitor_from_row, Visitor, VISITOR_COLUMNS};
