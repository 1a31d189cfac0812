//! Routing's persistence: the concurrent-visitor queue, the snapshot that
//! `domain::routing::decide` reads, offers with their deadlines, traces, the
//! percentage tallies, the grace period after an agent goes away, and the
//! missed list.
//!
//! Every change that another node could race on is a guarded `UPDATE`
//! (`… WHERE status = 'open'`, `… AND updated_at = $n`) whose affected-row
//! count decides who did it, so each offer ends once and each enquiry is
//! routed by one worker, on both backends, across restarts.

use domain::routing::{
    Attempted, RoutingRule, RoutingSettings, RoutingSettingsInput, TimeZoneName,
};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

pub(crate) use crate::enquiries::read_enquiry;
use crate::enquiries::{Enquiry, ENQUIRY_COLUMNS};

mod accept;
mod missed;
mod offers;
mod queue;
mod snapshot;

pub use accept::AcceptOutcome;
pub use queue::Unassigned;

/// Why an enquiry is (re)routed; the `trigger` of its next trace.
pub mod trigger {
    pub const OPENED: &str = "opened";
    pub const OFFER_TIMED_OUT: &str = "offer_timed_out";
    pub const DECLINED: &str = "declined";
    pub const AGENT_UNAVAILABLE: &str = "agent_unavailable";
    pub const AWAY_GRACE_ENDED: &str = "away_grace_ended";
    /// The agent serving it was deleted.
    pub const AGENT_REMOVED: &str = "agent_removed";
    pub const TRANSFER: &str = "transfer";
    /// A missed enquiry looked at again (an agent became available, or its
    /// periodic retry); recorded only when it leads to an offer.
    pub const MISSED_RETRY: &str = "missed_retry";
}

/// How long after a decision that found nobody a missed enquiry is looked at
/// again (sooner when an agent becomes available). It stays in the missed
/// list meanwhile; its away message is not repeated.
pub const MISSED_RETRY: SignedDuration = SignedDuration::from_secs(10);

/// What routing keeps on an enquiry between decisions (`enquiries.routing_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingState {
    /// Who was already offered this enquiry and how it ended.
    #[serde(default)]
    pub attempted: Attempted,
    /// The offer round in progress, so its end can be recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingRound>,
    /// Set by a transfer: where the agent sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
    /// Why routing runs next (see [`trigger`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
}

/// The offer round in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRound {
    pub destination_id: Option<String>,
    /// Ring all: when every offer of the round ended, the whole destination
    /// counts as tried (longest idle and sticky offers record the agent only).
    pub whole_destination: bool,
}

/// A transfer's target, as SERVING writes it (`by_staff_id`: who transferred
/// it, so they are not offered it straight back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Transfer {
    Destination {
        destination_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by_staff_id: Option<String>,
    },
    Staff {
        staff_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by_staff_id: Option<String>,
    },
}

impl Transfer {
    /// Who transferred the enquiry, if known.
    pub fn by_staff_id(&self) -> Option<&str> {
        match self {
            Self::Destination { by_staff_id, .. } | Self::Staff { by_staff_id, .. } => {
                by_staff_id.as_deref()
            }
        }
    }
}

impl RoutingState {
    /// Reads the JSON column; anything unreadable counts as a fresh start
    /// rather than blocking the enquiry forever.
    pub fn parse(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("routing state serializes")
    }
}

/// An offer of an enquiry to one agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offer {
    pub id: String,
    pub account_id: String,
    pub enquiry_id: String,
    pub staff_id: String,
    pub destination_id: Option<String>,
    /// `open`, `accepted`, `declined`, `expired`, `withdrawn` or `taken`.
    pub status: String,
    pub via_sticky: bool,
    pub created_at: Timestamp,
    pub deadline_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
}

/// One recorded routing decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoutingTraceRecord {
    pub id: String,
    pub enquiry_id: String,
    pub trigger: String,
    /// The domain's [`RoutingDecision`] as JSON (`outcome` and `trace`).
    pub decision: serde_json::Value,
    pub created_at: Timestamp,
}

/// What persisting a decision did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Offers were created.
    Offered {
        enquiry: Enquiry,
        offers: Vec<Offer>,
    },
    /// Nobody was offered it: now in the missed list.
    Missed { enquiry: Enquiry },
    /// Someone else changed the enquiry meanwhile; nothing was written.
    Stale,
}

/// The result of an accepted offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub enquiry: Enquiry,
    pub offer: Offer,
    /// Other agents' offers of the same enquiry, now `taken`.
    pub taken: Vec<Offer>,
}

/// An offer that ended without being accepted, and whether its enquiry now
/// needs routing again.
#[derive(Debug, Clone, PartialEq)]
pub struct EndedOffer {
    pub offer: Offer,
    pub enquiry_rerouted: bool,
}

/// The reason an accept was refused, as `Conflict { constraint }`.
pub const OFFER_NOT_OPEN: &str = "offer_not_open";
/// Another agent accepted first.
pub const OFFER_TAKEN: &str = "offer_taken";
/// The offer's deadline passed (the timer job may not have expired it yet).
pub const OFFER_TIMED_OUT: &str = "offer_timed_out";
/// The agent already serves as many active enquiries as their capacity.
pub const STAFF_AT_CAPACITY: &str = "staff_at_capacity";
/// Pick-up of an enquiry that is no longer missed.
pub const NOT_MISSED: &str = "enquiry_not_missed";

/// Reads routing settings as stored. A channel connected before the account
/// had any destination holds an alternative rule with none: routing then finds
/// nobody and the enquiry is missed.
pub fn stored_routing_settings(json: &str) -> RoutingSettings {
    let input: Option<RoutingSettingsInput> = serde_json::from_str(json).ok();
    if let Some(parsed) = input
        .as_ref()
        .and_then(|i| RoutingSettings::parse_stored(i).ok())
    {
        return parsed;
    }
    RoutingSettings {
        rule: RoutingRule::Alternative {
            destinations: Vec::new(),
        },
        sticky: input.as_ref().is_some_and(|i| i.sticky),
        time_zone: input
            .and_then(|i| TimeZoneName::parse("routing.time_zone", &i.time_zone).ok())
            .unwrap_or_default(),
    }
}

/// A channel as routing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingChannel {
    pub id: String,
    /// `active`, `suspended`, `disconnected` or `deleted`.
    pub status: String,
    pub settings: RoutingSettings,
    /// The away message text (the channel's message settings).
    pub away_message: String,
}

pub(crate) fn prefixed_enquiry_columns() -> String {
    ENQUIRY_COLUMNS
        .split(',')
        .map(|c| format!("e.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Records that `staff_id` now serves the visitor (accepting an offer or
/// picking up a missed enquiry), so a returning visitor can be routed back
/// to them.
pub(crate) async fn remember_server(
    conn: &mut sqlx::AnyConnection,
    account_id: &str,
    visitor_id: &str,
    staff_id: &str,
    at: i64,
) -> Result<(), crate::StoreError> {
    use crate::error::Context;
    sqlx::query(
        "UPDATE visitors SET last_served_by = $1, updated_at = $2
         WHERE account_id = $3 AND id = $4",
    )
    .bind(staff_id)
    .bind(at)
    .bind(account_id)
    .bind(visitor_id)
    .execute(&mut *conn)
    .await
    .context("remembering who served the visitor")?;
    Ok(())
}
