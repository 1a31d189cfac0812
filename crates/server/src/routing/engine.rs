//! One routing decision for one enquiry: snapshot → `decide` → persist →
//! events (→ away message when missed). Also the simulator, which runs the
//! same decision on a snapshot with presence overrides and writes nothing.

use std::collections::BTreeMap;

use anyhow::Context;
use domain::routing::{
    decide, AttemptOutcome, Attempted, RoutingDecision, RoutingOutcome, RoutingRule,
    RoutingSettings, RoutingSnapshot,
};
use domain::staff::{Availability, DistributionStrategy, StaffId};
use jiff::Timestamp;
use store::{
    trigger, Applied, Enquiry, EnquiryStatus, NewOutgoing, RoutingChannel, RoutingState, Transfer,
};

use crate::routing::events;
use crate::state::AppState;

/// The settings and previous agent to route with: a transfer to a
/// destination routes through that destination alone; a transfer to an
/// agent offers it to that agent first (then the channel's rule); otherwise
/// the channel's settings with the visitor's previous agent for sticky
/// routing.
pub fn plan(
    channel: &RoutingSettings,
    state: &RoutingState,
    last_served_by: Option<String>,
) -> (RoutingSettings, Option<String>) {
    match &state.transfer {
        Some(Transfer::Destination { destination_id, .. }) => (
            RoutingSettings {
                rule: RoutingRule::Alternative {
                    destinations: vec![destination_id.as_str().into()],
                },
                sticky: false,
                time_zone: channel.time_zone.clone(),
            },
            None,
        ),
        Some(Transfer::Staff { staff_id, .. }) => (
            RoutingSettings {
                sticky: true,
                ..channel.clone()
            },
            Some(staff_id.clone()),
        ),
        None => (channel.clone(), last_served_by),
    }
}

/// Whether the offer is a ring-all round of a whole destination (its end
/// then marks the destination tried), rather than one agent.
pub fn offers_whole_destination(snapshot: &RoutingSnapshot, decision: &RoutingDecision) -> bool {
    match &decision.outcome {
        RoutingOutcome::Offer {
            destination: Some(id),
            via_sticky: false,
            ..
        } => snapshot
            .destinations
            .iter()
            .any(|d| d.id == *id && d.strategy == DistributionStrategy::RingAll),
        _ => false,
    }
}

/// Routes one enquiry that is due: status `routing`, or a `missed` one due
/// for a retry (recorded only when someone can now be offered it). Returns
/// whether a decision was recorded (false when another worker got there
/// first, or a retry found nobody again).
pub async fn route_enquiry(state: &AppState, enquiry: &Enquiry) -> anyhow::Result<bool> {
    let now = state.now();
    let account_id = enquiry.account_id.as_str();
    let channel = state
        .store
        .routing_channel(account_id, &enquiry.channel_id)
        .await
        .context("reading the enquiry's channel")?;
    let visitor = state
        .store
        .get_visitor(account_id, &enquiry.visitor_id)
        .await
        .context("reading the enquiry's visitor")?;
    let mut routing_state = RoutingState::parse(&enquiry.routing_state);
    if let Some(transfer) = &routing_state.transfer {
        // A transfer starts afresh, except that whoever transferred it is
        // not offered it straight back.
        routing_state.attempted = Attempted::default();
        if let Some(by) = transfer.by_staff_id() {
            routing_state
                .attempted
                .agents
                .insert(StaffId(by.to_owned()), AttemptOutcome::Declined);
        }
        routing_state.trigger = Some(trigger::TRANSFER.to_owned());
    }
    let (settings, previous) = plan(&channel.settings, &routing_state, visitor.last_served_by);
    let mut snapshot = state
        .store
        .routing_snapshot(
            account_id,
            &enquiry.channel_id,
            settings,
            previous.as_deref(),
            now,
        )
        .await
        .context("reading the routing snapshot")?;
    snapshot.attempted = routing_state.attempted.clone();
    let decision = decide(&snapshot);
    let whole = offers_whole_destination(&snapshot, &decision);
    let retrying = enquiry.status == EnquiryStatus::Missed;
    if retrying && matches!(decision.outcome, RoutingOutcome::Missed { .. }) {
        // Still nobody: it stays in the missed list, nothing to record.
        state.store.postpone_missed_retry(enquiry, now).await?;
        return Ok(false);
    }
    let why = if retrying {
        trigger::MISSED_RETRY.to_owned()
    } else {
        routing_state
            .trigger
            .clone()
            .unwrap_or_else(|| trigger::OPENED.to_owned())
    };
    let applied = state
        .store
        .apply_routing_decision(enquiry, &why, &decision, &snapshot.attempted, whole, now)
        .await
        .context("recording the routing decision")?;
    match applied {
        Applied::Offered { enquiry, offers } => {
            tracing::info!(enquiry_id = %enquiry.id, offers = offers.len(), trigger = %why, "offered");
            events::offers_created(state, &enquiry, &offers).await;
            state.wake.timers.notify_one();
            Ok(true)
        }
        Applied::Missed { enquiry } => {
            let reason = match &decision.outcome {
                RoutingOutcome::Missed { reason } => (*reason).into(),
                RoutingOutcome::Offer { .. } => crate::events::MissedReason::NoAgentAvailable,
            };
            tracing::info!(enquiry_id = %enquiry.id, ?reason, trigger = %why, "missed");
            events::missed(state, &enquiry, reason).await;
            send_away_message(state, &enquiry, &channel).await?;
            Ok(true)
        }
        Applied::Stale => Ok(false),
    }
}

/// Queues the channel's away message for a missed enquiry, once per enquiry
/// (`enquiries.away_sent_at`); never on a suspended channel. Returns whether
/// it was queued now.
pub async fn send_away_message(
    state: &AppState,
    enquiry: &Enquiry,
    channel: &RoutingChannel,
) -> anyhow::Result<bool> {
    if channel.status == "suspended" || channel.status == "deleted" {
        return Ok(false);
    }
    let account_id = enquiry.account_id.as_str();
    let now = state.now();
    if !state
        .store
        .claim_away_message(account_id, &enquiry.id, now)
        .await?
    {
        return Ok(false);
    }
    let outgoing = NewOutgoing {
        channel_id: enquiry.channel_id.clone(),
        visitor_id: enquiry.visitor_id.clone(),
        enquiry_id: Some(enquiry.id.clone()),
        author: "system",
        staff_id: None,
        kind: "text",
        text: Some(channel.away_message.clone()),
        is_human: false,
        attachment: None,
    };
    match state
        .store
        .enqueue_outgoing(account_id, outgoing, now)
        .await
    {
        Ok(_) => {
            state.wake.outbox.notify_one();
            Ok(true)
        }
        Err(e) => {
            // Give the claim back so the next run tries again.
            state
                .store
                .release_away_message(account_id, &enquiry.id)
                .await?;
            Err(anyhow::Error::new(e).context("queueing the away message"))
        }
    }
}

/// What the simulator answers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Simulation {
    pub at: Timestamp,
    pub decision: RoutingDecision,
    /// The snapshot the decision was made on (presence after overrides).
    pub snapshot: RoutingSnapshot,
}

/// What would happen to an enquiry arriving on the channel at `at`, with
/// some agents' availability overridden and, for sticky routing, a previous
/// agent — reading the live state, changing nothing.
pub async fn simulate(
    state: &AppState,
    account_id: &str,
    channel_id: &str,
    at: Timestamp,
    presence: &BTreeMap<String, Availability>,
    previous_staff_id: Option<&str>,
) -> Result<Simulation, store::StoreError> {
    let channel = state.store.routing_channel(account_id, channel_id).await?;
    if channel.status == "deleted" {
        return Err(store::StoreError::NotFound);
    }
    let mut snapshot = state
        .store
        .routing_snapshot(
            account_id,
            channel_id,
            channel.settings,
            previous_staff_id,
            at,
        )
        .await?;
    let agents = snapshot
        .destinations
        .iter_mut()
        .flat_map(|d| d.members.iter_mut())
        .chain(snapshot.previous_agent.iter_mut());
    for agent in agents {
        if let Some(availability) = presence.get(agent.staff_id.as_str()) {
            agent.availability = *availability;
        }
    }
    let decision = decide(&snapshot);
    Ok(Simulation {
        at,
        decision,
        snapshot,
    })
}

#[cfg(test)]
mod tests {
    use domain::routing::{RoutingSettingsInput, TimeZoneName};

    use super::*;

    fn channel_settings() -> RoutingSettings {
        let input: RoutingSettingsInput = serde_json::from_value(serde_json::json!({
            "rule": "alternative", "sticky": false, "time_zone": "Europe/Berlin",
            "destinations": [{"id": "d1"}, {"id": "d2"}]
        }))
        .unwrap();
        RoutingSettings::parse_stored(&input).unwrap()
    }

    #[test]
    fn without_a_transfer_the_channels_rule_and_the_previous_agent_apply() {
        let (settings, previous) = plan(
            &channel_settings(),
            &RoutingState::default(),
            Some("ann".into()),
        );
        assert_eq!(settings, channel_settings());
        assert_eq!(previous.as_deref(), Some("ann"));
    }

    #[test]
    fn a_transfer_to_a_destination_routes_through_it_alone_without_sticky() {
        let state = RoutingState {
            transfer: Some(Transfer::Destination {
                destination_id: "d9".into(),
                by_staff_id: Some("ann".into()),
            }),
            ..RoutingState::default()
        };
        let (settings, previous) = plan(&channel_settings(), &state, Some("ann".into()));
        assert_eq!(
            settings.rule,
            RoutingRule::Alternative {
                destinations: vec!["d9".into()]
            }
        );
        assert!(!settings.sticky);
        assert_eq!(
            settings.time_zone,
            TimeZoneName::parse("tz", "Europe/Berlin").unwrap()
        );
        assert_eq!(previous, None);
    }

    #[test]
    fn a_transfer_to_an_agent_offers_them_first_then_the_channels_rule() {
        let state = RoutingState {
            transfer: Some(Transfer::Staff {
                staff_id: "bob".into(),
                by_staff_id: None,
            }),
            ..RoutingState::default()
        };
        let (settings, previous) = plan(&channel_settings(), &state, Some("ann".into()));
        assert!(settings.sticky);
        assert_eq!(settings.rule, channel_settings().rule);
        assert_eq!(previous.as_deref(), Some("bob"));
    }

    #[test]
    fn transfers_as_serving_writes_them_are_understood() {
        let state = RoutingState::parse(
            r#"{"attempted": {}, "transfer": {"staff_id": "bob", "by_staff_id": "ann"}}"#,
        );
        assert_eq!(
            state.transfer,
            Some(Transfer::Staff {
                staff_id: "bob".into(),
                by_staff_id: Some("ann".into())
            })
        );
        let state = RoutingState::parse(r#"{"transfer": {"destination_id": "d2"}}"#);
        assert_eq!(state.transfer.unwrap().by_staff_id(), None);
        assert_eq!(RoutingState::parse("not json"), RoutingState::default());
    }
}
