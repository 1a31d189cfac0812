//! The record of a routing decision: the rule, every candidate destination
//! and agent and what became of it, and the result. Stored on the enquiry and
//! shown to admins through the API, so the codes are stable snake_case.

use serde::{Deserialize, Serialize};

use super::settings::RuleKind;
use super::DestinationId;
use crate::staff::StaffId;

/// What became of one candidate (a destination or an agent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Offered the enquiry.
    Offered,
    /// Not available (away/offline), or a destination with nobody available.
    Unavailable,
    /// Available but already serving as many enquiries as their capacity.
    AtCapacity,
    /// Offered this enquiry before and let the offer time out.
    TimedOut,
    /// Offered this enquiry before and declined it.
    Declined,
    /// The destination's schedule does not cover the moment.
    OutsideHours,
    /// Every member who could take it was already offered this enquiry.
    AlreadyTried,
    /// In the settings but no longer in the account (deleted).
    NotFound,
    /// Eligible, but another member has been idle longer (longest idle).
    OtherAgentIdleLonger,
}

/// Why nobody was offered the enquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissedReason {
    /// Time routing: no destination's schedule covers the moment.
    OutsideHours,
    /// Some destination was a candidate but nobody there can take it now.
    NoAgentAvailable,
    /// Every destination was already tried for this enquiry.
    AllDestinationsTried,
}

/// One step of a routing decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum TraceStep {
    /// The rule applied and whether sticky routing is on.
    Rule { rule: RuleKind, sticky: bool },
    /// Sticky routing looked at the visitor's previous agent.
    StickyAgent { staff_id: StaffId, result: Verdict },
    /// Percentage routing: a destination's share and its tally so far.
    Tally {
        destination: DestinationId,
        percent: u8,
        count: u64,
    },
    /// A destination was considered.
    Destination {
        destination: DestinationId,
        result: Verdict,
    },
    /// A member of a destination was considered.
    Agent {
        destination: DestinationId,
        staff_id: StaffId,
        result: Verdict,
    },
    /// The result: who was offered the enquiry.
    Offered {
        destination: Option<DestinationId>,
        agents: Vec<StaffId>,
        via_sticky: bool,
    },
    /// The result: nobody was offered it.
    Missed { reason: MissedReason },
}
