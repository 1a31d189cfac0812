//! The Messenger Platform protocol, with no database: webhook signatures,
//! typed webhook events, the Graph API client and `signed_request`.
#![forbid(unsafe_code)]

pub mod signature;
