//! omnidesk's server: HTTP API, webhooks, WebSocket and background workers.
//!
//! [`startup::Application`] is the one way to build and run it.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod channels;
pub mod config;
pub mod crypto;
pub mod drain;
pub mod error;
pub mod events;
pub mod extract;
pub mod files;
pub mod inbound;
pub mod outbox;
pub mod routes;
pub mod routing;
pub mod startup;
pub mod state;
pub mod ui;
pub mod webhooks;
pub mod workers;
pub mod ws;

pub use config::Config;
pub use startup::{shutdown_signal, Application};
