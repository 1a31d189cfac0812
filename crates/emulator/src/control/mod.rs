//! The control API under `/_emulator/`: scripting scenarios (users, Pages,
//! visitors and what they do, clock, faults, webhook switches, access loss)
//! and inspecting what happened (threads, subscriptions, deliveries).

mod client;
pub(crate) mod server;
pub mod types;
mod visitor;

pub use client::{ControlClient, ControlClientError};
