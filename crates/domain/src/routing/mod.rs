//! Routing: which destination (team) and which agents are offered an enquiry.
//!
//! * [`settings`] — a channel's routing settings, parsed from the API's JSON.
//! * [`hours`] and [`schedule`] — opening hours for time routing.
//! * [`mod@decide`] — the routing decision as a pure function of a snapshot.
//! * [`percentage`] — the exact percentage split.
//! * [`trace`] — why a decision went where it went, for admins.
//! * [`waiting`] — the order in which waiting enquiries are served.

pub mod decide;
pub mod hours;
pub mod percentage;
pub mod schedule;
pub mod settings;
pub mod time_zone;
pub mod trace;
pub mod waiting;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use decide::{
    decide, AgentState, AttemptOutcome, Attempted, DestinationState, RoutingDecision,
    RoutingOutcome, RoutingSnapshot,
};
pub use hours::{TimeRange, WeeklyHours};
pub use schedule::{DateException, ExceptionHours, OpenInterval, Schedule};

pub use settings::{RoutingRule, RoutingSettings, RoutingSettingsInput, RuleKind};
pub use time_zone::TimeZoneName;
pub use trace::{MissedReason, TraceStep, Verdict};
pub use waiting::{order_waiting, WaitingEnquiry};

/// A destination's id (a UUID string created by the store).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DestinationId(pub String);

impl DestinationId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DestinationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for DestinationId {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for DestinationId {
    fn from(value: String) -> Self {
        Self(value)
    }
}
