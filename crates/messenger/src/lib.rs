//! The Messenger Platform protocol, with no database: webhook signatures,
//! the subscription handshake, typed webhook events, the Graph API client
//! and `signed_request`.
#![forbid(unsafe_code)]

pub mod events;
pub mod graph;
pub mod handshake;
mod lenient;
pub mod secret;
pub mod signature;
pub mod signed_request;

pub use events::{
    escape_unicode_json, parse_batch, EventKind, MessagingEvent, Party, PayloadError, WebhookBatch,
};
pub use graph::{ErrorClass, GraphClient, GraphConfig, GraphError};
pub use handshake::{constant_time_eq, verify_subscription, HandshakeError};
pub use secret::Secret;
