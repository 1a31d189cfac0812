//! The routing decision, as a pure function of a snapshot the store reads in
//! one go (settings, destinations with their members' presence, the
//! percentage tally, the visitor's previous agent, what was already tried for
//! this enquiry, and the clock). Routing runs again whenever an offer times
//! out or is declined, or presence or capacity changes; each run is one call.
//!
//! * **Sticky** (when on): the previous agent, if available with free
//!   capacity and not already tried, is offered first; otherwise the trace
//!   says why and the rule applies.
//! * **Alternative**: destinations in order; one nobody can take now, or
//!   already tried for this enquiry, is skipped at once.
//! * **Percentage**: the destination whose turn it is (see [`super::percentage`]),
//!   then the others by weight; the offer names the tally to increment.
//! * **Time**: destinations in order whose schedule covers `now` in the
//!   channel's time zone; none covering is a miss `outside_hours`.
//! * **Within a destination**: ring all offers every eligible member; longest
//!   idle offers the one idle longest (ties by staff id) not yet tried.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::percentage::percentage_order;
use super::settings::{RoutingRule, RoutingSettings};
use super::trace::{MissedReason, TraceStep, Verdict};
use super::DestinationId;
use crate::staff::{Availability, DistributionStrategy, StaffId, DEFAULT_OFFER_TIMEOUT_SECS};

/// An agent's presence and load at the moment of the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentState {
    pub staff_id: StaffId,
    pub availability: Availability,
    pub active_enquiries: u32,
    pub capacity: u32,
    /// Since when the agent has had no new enquiry (for longest idle).
    pub idle_since: Timestamp,
}

/// A destination (team) and its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationState {
    pub id: DestinationId,
    pub strategy: DistributionStrategy,
    pub offer_timeout_secs: u32,
    pub members: Vec<AgentState>,
}

/// How an earlier offer of this enquiry ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    TimedOut,
    Declined,
}

impl AttemptOutcome {
    fn verdict(self) -> Verdict {
        match self {
            Self::TimedOut => Verdict::TimedOut,
            Self::Declined => Verdict::Declined,
        }
    }
}

/// What was already tried for this enquiry. A destination is listed once
/// its offer ended with nobody accepting (ring all), or may be left out and
/// its members listed one by one (longest idle): it is then skipped once
/// every member who could take it was tried.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Attempted {
    #[serde(default)]
    pub destinations: BTreeMap<DestinationId, AttemptOutcome>,
    #[serde(default)]
    pub agents: BTreeMap<StaffId, AttemptOutcome>,
}

/// Everything routing looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingSnapshot {
    pub now: Timestamp,
    pub settings: RoutingSettings,
    /// The account's destinations named by the rule (others are ignored).
    pub destinations: Vec<DestinationState>,
    /// Enquiries offered per destination so far under percentage routing.
    #[serde(default)]
    pub percentage_counts: BTreeMap<DestinationId, u64>,
    /// The agent who served this visitor before, with their current state —
    /// whether or not they belong to a destination of the rule.
    #[serde(default)]
    pub previous_agent: Option<AgentState>,
    #[serde(default)]
    pub attempted: Attempted,
}

/// Who is offered the enquiry, or why nobody is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RoutingOutcome {
    Offer {
        /// The destination offered through; `None` for a sticky offer to an
        /// agent outside every destination of the rule.
        destination: Option<DestinationId>,
        /// Ring all: every eligible member; longest idle: one.
        agents: Vec<StaffId>,
        via_sticky: bool,
        /// How long the offer stands before routing runs again.
        offer_timeout_secs: u32,
        /// Percentage routing: the destination whose tally the store must
        /// increment (the one actually offered, not necessarily the one
        /// whose turn it was). `None` for other rules and sticky offers.
        count_towards_percentage: Option<DestinationId>,
    },
    Missed {
        reason: MissedReason,
    },
}

/// The outcome with the steps that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingDecision {
    pub outcome: RoutingOutcome,
    pub trace: Vec<TraceStep>,
}

/// Decides who is offered the enquiry. Sticky routing first (when on), then
/// the channel's rule, as the module docs describe.
pub fn decide(snapshot: &RoutingSnapshot) -> RoutingDecision {
    let mut router = Router {
        snapshot,
        trace: vec![TraceStep::Rule {
            rule: snapshot.settings.rule.kind(),
            sticky: snapshot.settings.sticky,
        }],
    };
    let outcome = router.sticky().unwrap_or_else(|| router.apply_rule());
    router.trace.push(match &outcome {
        RoutingOutcome::Offer {
            destination,
            agents,
            via_sticky,
            ..
        } => TraceStep::Offered {
            destination: destination.clone(),
            agents: agents.clone(),
            via_sticky: *via_sticky,
        },
        RoutingOutcome::Missed { reason } => TraceStep::Missed { reason: *reason },
    });
    RoutingDecision {
        outcome,
        trace: router.trace,
    }
}

struct Router<'a> {
    snapshot: &'a RoutingSnapshot,
    trace: Vec<TraceStep>,
}

impl<'a> Router<'a> {
    fn settings(&self) -> &RoutingSettings {
        &self.snapshot.settings
    }

    /// Why `agent` cannot be offered this enquiry, if they cannot.
    fn agent_verdict(&self, agent: &AgentState) -> Option<Verdict> {
        if let Some(outcome) = self.snapshot.attempted.agents.get(&agent.staff_id) {
            Some(outcome.verdict())
        } else if agent.availability != Availability::Available {
            Some(Verdict::Unavailable)
        } else if agent.active_enquiries >= agent.capacity {
            Some(Verdict::AtCapacity)
        } else {
            None
        }
    }

    fn sticky(&mut self) -> Option<RoutingOutcome> {
        if !self.settings().sticky {
            return None;
        }
        let agent = self.snapshot.previous_agent.as_ref()?;
        if let Some(verdict) = self.agent_verdict(agent) {
            self.trace.push(TraceStep::StickyAgent {
                staff_id: agent.staff_id.clone(),
                result: verdict,
            });
            return None;
        }
        self.trace.push(TraceStep::StickyAgent {
            staff_id: agent.staff_id.clone(),
            result: Verdict::Offered,
        });
        // Offer through the first destination of the rule the agent is in,
        // so the offer carries that team's timeout.
        let home = self
            .settings()
            .rule
            .destination_ids()
            .into_iter()
            .find_map(|id| {
                self.state_of(id)
                    .filter(|d| d.members.iter().any(|m| m.staff_id == agent.staff_id))
            });
        Some(RoutingOutcome::Offer {
            destination: home.map(|d| d.id.clone()),
            agents: vec![agent.staff_id.clone()],
            via_sticky: true,
            offer_timeout_secs: home.map_or(DEFAULT_OFFER_TIMEOUT_SECS, |d| d.offer_timeout_secs),
            count_towards_percentage: None,
        })
    }

    fn state_of(&self, id: &DestinationId) -> Option<&DestinationState> {
        self.snapshot.destinations.iter().find(|d| d.id == *id)
    }

    fn apply_rule(&mut self) -> RoutingOutcome {
        let snapshot = self.snapshot;
        let mut skipped = Vec::new();
        match &snapshot.settings.rule {
            RoutingRule::Alternative { destinations } => {
                for id in destinations {
                    match self.try_destination(id, false) {
                        Ok(offer) => return offer,
                        Err(verdict) => skipped.push(verdict),
                    }
                }
            }
            RoutingRule::Percentage { destinations } => {
                for (id, percent) in destinations {
                    self.trace.push(TraceStep::Tally {
                        destination: id.clone(),
                        percent: *percent,
                        count: snapshot.percentage_counts.get(id).copied().unwrap_or(0),
                    });
                }
                for i in percentage_order(destinations, &snapshot.percentage_counts) {
                    match self.try_destination(&destinations[i].0, true) {
                        Ok(offer) => return offer,
                        Err(verdict) => skipped.push(verdict),
                    }
                }
            }
            RoutingRule::Time { destinations } => {
                let tz = snapshot.settings.time_zone.time_zone();
                for (id, schedule) in destinations {
                    if !schedule.covers(snapshot.now, tz) {
                        self.trace.push(TraceStep::Destination {
                            destination: id.clone(),
                            result: Verdict::OutsideHours,
                        });
                        continue;
                    }
                    match self.try_destination(id, false) {
                        Ok(offer) => return offer,
                        Err(verdict) => skipped.push(verdict),
                    }
                }
                if skipped.is_empty() {
                    return RoutingOutcome::Missed {
                        reason: MissedReason::OutsideHours,
                    };
                }
            }
        }
        let all_tried = skipped.iter().all(|v| {
            matches!(
                v,
                Verdict::TimedOut | Verdict::Declined | Verdict::AlreadyTried
            )
        });
        RoutingOutcome::Missed {
            reason: if all_tried {
                MissedReason::AllDestinationsTried
            } else {
                MissedReason::NoAgentAvailable
            },
        }
    }

    /// Offers through destination `id`, or says why it was skipped; traces
    /// its members and itself either way.
    fn try_destination(
        &mut self,
        id: &DestinationId,
        tally: bool,
    ) -> Result<RoutingOutcome, Verdict> {
        let result = self.pick_agents(id);
        self.trace.push(TraceStep::Destination {
            destination: id.clone(),
            result: *result.as_ref().err().unwrap_or(&Verdict::Offered),
        });
        let (destination, agents) = result?;
        Ok(RoutingOutcome::Offer {
            destination: Some(id.clone()),
            agents,
            via_sticky: false,
            offer_timeout_secs: destination.offer_timeout_secs,
            count_towards_percentage: tally.then(|| id.clone()),
        })
    }

    fn pick_agents(
        &mut self,
        id: &DestinationId,
    ) -> Result<(&'a DestinationState, Vec<StaffId>), Verdict> {
        let snapshot = self.snapshot;
        let destination = snapshot
            .destinations
            .iter()
            .find(|d| d.id == *id)
            .ok_or(Verdict::NotFound)?;
        if let Some(outcome) = snapshot.attempted.destinations.get(id) {
            return Err(outcome.verdict());
        }
        let mut eligible = Vec::new();
        let mut all_tried = !destination.members.is_empty();
        for member in &destination.members {
            match self.agent_verdict(member) {
                Some(verdict) => {
                    all_tried &= matches!(verdict, Verdict::TimedOut | Verdict::Declined);
                    self.trace_agent(id, member, verdict);
                }
                None => eligible.push(member),
            }
        }
        if eligible.is_empty() {
            return Err(if all_tried {
                Verdict::AlreadyTried
            } else {
                Verdict::Unavailable
            });
        }
        if destination.strategy == DistributionStrategy::LongestIdle {
            eligible.sort_by(|a, b| (a.idle_since, &a.staff_id).cmp(&(b.idle_since, &b.staff_id)));
            for other in &eligible[1..] {
                self.trace_agent(id, other, Verdict::OtherAgentIdleLonger);
            }
            eligible.truncate(1);
        }
        for agent in &eligible {
            self.trace_agent(id, agent, Verdict::Offered);
        }
        Ok((
            destination,
            eligible.iter().map(|a| a.staff_id.clone()).collect(),
        ))
    }

    fn trace_agent(&mut self, destination: &DestinationId, agent: &AgentState, result: Verdict) {
        self.trace.push(TraceStep::Agent {
            destination: destination.clone(),
            staff_id: agent.staff_id.clone(),
            result,
        });
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
