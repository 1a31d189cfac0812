//! Routing: every enquiry reaches a person who can serve it, the way the
//! channel's admin configured, with a trace saying why.
//!
//! The rules are pure (`domain::routing::decide`); this module is the shell
//! around them:
//!
//! * [`engine`] — reads a snapshot from the store, decides, persists the
//!   decision (offers or missed), publishes events, sends the away message.
//! * [`jobs`] — the routing job (promotes queued enquiries under the account's
//!   concurrent-visitor limit, then routes due ones in
//!   `domain::routing::order_waiting` order) and the timer job (offer
//!   deadlines, the grace period after an agent goes away).
//! * [`presence`] — what happens when an agent's availability changes.
//!
//! All durable state is in the database (offers with deadlines, the enquiry's
//! `routing_state` and `route_at`), so a restart picks up where it stopped.

pub mod engine;
pub mod events;
pub mod jobs;
pub mod presence;

pub use engine::{route_enquiry, simulate, Simulation};
pub use jobs::{RoutingJob, TimerJob};
pub use presence::availability_changed;
