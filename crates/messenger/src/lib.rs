//! The Messenger Platform protocol, with no database: webhook signatures,
//! the subscription handshake, typed webhook events, the Graph API client
//! and `signed_request`.
#![forbid(unsafe_code)]

pub mod graph;
mod lenient;
pub mod secret;
pub mod signature;

pub use graph::{ErrorClass, GraphClient, GraphConfig, GraphError};
pub use secret::Secret;
