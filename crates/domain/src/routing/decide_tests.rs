use serde_json::json;

use super::*;
use crate::routing::settings::RoutingSettingsInput;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn settings(json: serde_json::Value) -> RoutingSettings {
    let input: RoutingSettingsInput = serde_json::from_value(json).unwrap();
    RoutingSettings::parse_stored(&input).unwrap()
}

fn alternative(ids: &[&str], sticky: bool) -> RoutingSettings {
    let destinations: Vec<_> = ids.iter().map(|id| json!({"id": id})).collect();
    settings(json!({"rule": "alternative", "sticky": sticky, "destinations": destinations}))
}

/// An available agent with free capacity, idle since `idle` minutes past 09:00.
fn agent(id: &str, idle: u32) -> AgentState {
    AgentState {
        staff_id: id.into(),
        availability: Availability::Available,
        active_enquiries: 0,
        capacity: 2,
        idle_since: ts(&format!("2026-03-02T09:{idle:02}:00Z")),
    }
}

fn away(id: &str) -> AgentState {
    AgentState {
        availability: Availability::Away,
        ..agent(id, 0)
    }
}

fn busy(id: &str) -> AgentState {
    AgentState {
        active_enquiries: 2,
        ..agent(id, 0)
    }
}

fn team(id: &str, strategy: DistributionStrategy, members: Vec<AgentState>) -> DestinationState {
    DestinationState {
        id: id.into(),
        strategy,
        offer_timeout_secs: 30,
        members,
    }
}

fn ring_all(id: &str, members: Vec<AgentState>) -> DestinationState {
    team(id, DistributionStrategy::RingAll, members)
}

fn snapshot(settings: RoutingSettings, destinations: Vec<DestinationState>) -> RoutingSnapshot {
    RoutingSnapshot {
        now: ts("2026-03-02T10:00:00Z"),
        settings,
        destinations,
        percentage_counts: BTreeMap::new(),
        previous_agent: None,
        attempted: Attempted::default(),
    }
}

fn offered(decision: &RoutingDecision) -> (Option<&str>, Vec<&str>, bool) {
    match &decision.outcome {
        RoutingOutcome::Offer {
            destination,
            agents,
            via_sticky,
            ..
        } => (
            destination.as_ref().map(|d| d.as_str()),
            agents.iter().map(|a| a.as_str()).collect(),
            *via_sticky,
        ),
        other => panic!("expected an offer, got {other:?}"),
    }
}

fn missed(decision: &RoutingDecision) -> MissedReason {
    match decision.outcome {
        RoutingOutcome::Missed { reason } => reason,
        ref other => panic!("expected a miss, got {other:?}"),
    }
}

fn destination_step(decision: &RoutingDecision, id: &str) -> Verdict {
    decision
        .trace
        .iter()
        .find_map(|step| match step {
            TraceStep::Destination {
                destination,
                result,
            } if destination.as_str() == id => Some(*result),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{id} is not in the trace {:#?}", decision.trace))
}

fn agent_step(decision: &RoutingDecision, id: &str) -> Verdict {
    decision
        .trace
        .iter()
        .find_map(|step| match step {
            TraceStep::Agent {
                staff_id, result, ..
            } if staff_id.as_str() == id => Some(*result),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{id} is not in the trace {:#?}", decision.trace))
}

#[test]
fn ring_all_offers_every_eligible_member_of_the_first_destination() {
    let s = snapshot(
        alternative(&["sales", "support"], false),
        vec![
            ring_all(
                "sales",
                vec![agent("ann", 0), away("bob"), busy("cid"), agent("dee", 5)],
            ),
            ring_all("support", vec![agent("eve", 0)]),
        ],
    );
    let decision = decide(&s);
    assert_eq!(
        offered(&decision),
        (Some("sales"), vec!["ann", "dee"], false)
    );
    assert_eq!(agent_step(&decision, "bob"), Verdict::Unavailable);
    assert_eq!(agent_step(&decision, "cid"), Verdict::AtCapacity);
    assert!(matches!(
        decision.outcome,
        RoutingOutcome::Offer {
            offer_timeout_secs: 30,
            count_towards_percentage: None,
            ..
        }
    ));
}

#[test]
fn alternative_routing_skips_a_destination_nobody_can_take_at_once() {
    let s = snapshot(
        alternative(&["sales", "support"], false),
        vec![
            ring_all("sales", vec![away("ann"), busy("bob")]),
            ring_all("support", vec![agent("eve", 0)]),
        ],
    );
    let decision = decide(&s);
    assert_eq!(offered(&decision), (Some("support"), vec!["eve"], false));
    assert_eq!(destination_step(&decision, "sales"), Verdict::Unavailable);
}

#[test]
fn alternative_routing_moves_past_a_timed_out_destination_and_then_misses() {
    let mut s = snapshot(
        alternative(&["sales", "support"], false),
        vec![
            ring_all("sales", vec![agent("ann", 0)]),
            ring_all("support", vec![agent("eve", 0)]),
        ],
    );
    s.attempted
        .destinations
        .insert("sales".into(), AttemptOutcome::TimedOut);
    let decision = decide(&s);
    assert_eq!(offered(&decision).0, Some("support"));
    assert_eq!(destination_step(&decision, "sales"), Verdict::TimedOut);

    s.attempted
        .destinations
        .insert("support".into(), AttemptOutcome::Declined);
    let decision = decide(&s);
    assert_eq!(missed(&decision), MissedReason::AllDestinationsTried);
    assert_eq!(destination_step(&decision, "support"), Verdict::Declined);
}

#[test]
fn an_enquiry_nobody_can_take_is_missed_as_no_agent_available() {
    let s = snapshot(
        alternative(&["sales", "empty"], false),
        vec![
            ring_all("sales", vec![away("ann")]),
            ring_all("empty", vec![]),
        ],
    );
    let decision = decide(&s);
    assert_eq!(missed(&decision), MissedReason::NoAgentAvailable);
    assert_eq!(destination_step(&decision, "empty"), Verdict::Unavailable);
    assert_eq!(
        decision.trace.last(),
        Some(&TraceStep::Missed {
            reason: MissedReason::NoAgentAvailable
        })
    );
}

#[test]
fn a_deleted_destination_is_skipped_as_not_found() {
    let s = snapshot(
        alternative(&["deleted", "support"], false),
        vec![ring_all("support", vec![agent("eve", 0)])],
    );
    let decision = decide(&s);
    assert_eq!(destination_step(&decision, "deleted"), Verdict::NotFound);
    assert_eq!(offered(&decision).0, Some("support"));
}

#[test]
fn longest_idle_offers_the_member_idle_longest_with_ties_by_staff_id() {
    let members = vec![
        agent("dee", 30),
        agent("cid", 10),
        agent("bob", 10),
        away("ann"),
    ];
    let s = snapshot(
        alternative(&["sales"], false),
        vec![team("sales", DistributionStrategy::LongestIdle, members)],
    );
    let decision = decide(&s);
    assert_eq!(offered(&decision).1, vec!["bob"]);
    assert_eq!(agent_step(&decision, "cid"), Verdict::OtherAgentIdleLonger);
}

#[test]
fn longest_idle_moves_to_the_next_member_and_then_the_next_destination() {
    let mut s = snapshot(
        alternative(&["sales", "support"], false),
        vec![
            team(
                "sales",
                DistributionStrategy::LongestIdle,
                vec![agent("ann", 0), agent("bob", 5), away("cid")],
            ),
            ring_all("support", vec![agent("eve", 0)]),
        ],
    );
    s.attempted
        .agents
        .insert("ann".into(), AttemptOutcome::TimedOut);
    let decision = decide(&s);
    assert_eq!(offered(&decision), (Some("sales"), vec!["bob"], false));
    assert_eq!(agent_step(&decision, "ann"), Verdict::TimedOut);

    // Once everyone who could take it was tried, the destination is done.
    s.attempted
        .agents
        .insert("bob".into(), AttemptOutcome::Declined);
    let decision = decide(&s);
    assert_eq!(
        destination_step(&decision, "sales"),
        Verdict::Unavailable,
        "cid is away"
    );
    assert_eq!(offered(&decision).0, Some("support"));

    s.destinations[0].members.pop();
    let decision = decide(&s);
    assert_eq!(destination_step(&decision, "sales"), Verdict::AlreadyTried);
}

fn seventy_thirty() -> RoutingSettings {
    settings(json!({"rule": "percentage", "destinations": [
        {"id": "big", "percentage": 70}, {"id": "small", "percentage": 30}
    ]}))
}

#[test]
fn percentage_routing_offers_the_destination_whose_turn_it_is_and_says_which_to_count() {
    let mut s = snapshot(
        seventy_thirty(),
        vec![
            ring_all("big", vec![agent("ann", 0)]),
            ring_all("small", vec![agent("eve", 0)]),
        ],
    );
    s.percentage_counts = BTreeMap::from([("big".into(), 3), ("small".into(), 0)]);
    let decision = decide(&s);
    assert_eq!(offered(&decision).0, Some("small"));
    assert!(matches!(
        &decision.outcome,
        RoutingOutcome::Offer { count_towards_percentage: Some(d), .. } if d.as_str() == "small"
    ));
    assert!(decision.trace.contains(&TraceStep::Tally {
        destination: "big".into(),
        percent: 70,
        count: 3
    }));
}

#[test]
fn when_the_percentage_choice_cannot_take_it_the_tally_counts_the_one_offered() {
    let mut s = snapshot(
        seventy_thirty(),
        vec![
            ring_all("big", vec![agent("ann", 0)]),
            ring_all("small", vec![away("eve")]),
        ],
    );
    s.percentage_counts = BTreeMap::from([("big".into(), 3)]);
    let decision = decide(&s);
    assert_eq!(destination_step(&decision, "small"), Verdict::Unavailable);
    assert!(matches!(
        &decision.outcome,
        RoutingOutcome::Offer { count_towards_percentage: Some(d), .. } if d.as_str() == "big"
    ));
}

#[test]
fn a_long_percentage_run_through_decide_splits_seventy_thirty() {
    let mut s = snapshot(
        seventy_thirty(),
        vec![
            ring_all("big", vec![agent("ann", 0)]),
            ring_all("small", vec![agent("eve", 0)]),
        ],
    );
    for _ in 0..100 {
        let decision = decide(&s);
        let RoutingOutcome::Offer {
            count_towards_percentage: Some(id),
            ..
        } = decision.outcome
        else {
            panic!("expected a counted offer");
        };
        *s.percentage_counts.entry(id).or_insert(0) += 1;
    }
    assert_eq!(s.percentage_counts[&DestinationId::from("big")], 70);
    assert_eq!(s.percentage_counts[&DestinationId::from("small")], 30);
}

fn day_and_night() -> RoutingSettings {
    settings(
        json!({"rule": "time", "time_zone": "Europe/Berlin", "destinations": [
            {"id": "day", "schedule": {"weekly": {"sunday": ["08:00-20:00"], "monday": ["08:00-20:00"]}}},
            {"id": "night", "schedule": {"weekly": {"sunday": ["00:00-08:00", "20:00-24:00"]}}},
            {"id": "backup", "schedule": {"weekly": {"monday": ["00:00-24:00"]}}}
        ]}),
    )
}

fn time_teams() -> Vec<DestinationState> {
    vec![
        ring_all("day", vec![agent("ann", 0)]),
        ring_all("night", vec![agent("nat", 0)]),
        ring_all("backup", vec![agent("bea", 0)]),
    ]
}

#[test]
fn time_routing_offers_the_first_destination_whose_hours_cover_now() {
    let mut s = snapshot(day_and_night(), time_teams());
    // Sunday 2026-03-29 is the spring-forward day: 07:30 CEST is 05:30 UTC.
    s.now = ts("2026-03-29T05:30:00Z");
    let decision = decide(&s);
    assert_eq!(offered(&decision).0, Some("night"));
    assert_eq!(destination_step(&decision, "day"), Verdict::OutsideHours);
    // 08:00 CEST is 06:00 UTC (it would be 07:00 UTC in winter).
    s.now = ts("2026-03-29T06:00:00Z");
    assert_eq!(offered(&decide(&s)).0, Some("day"));
}

#[test]
fn time_routing_falls_to_the_next_covering_destination_when_the_first_cannot_take_it() {
    let mut s = snapshot(day_and_night(), time_teams());
    s.now = ts("2026-03-30T10:00:00Z"); // Monday noon in Berlin
    s.destinations[0].members = vec![away("ann")];
    let decision = decide(&s);
    assert_eq!(destination_step(&decision, "day"), Verdict::Unavailable);
    assert_eq!(destination_step(&decision, "night"), Verdict::OutsideHours);
    assert_eq!(offered(&decision).0, Some("backup"));
}

#[test]
fn time_routing_outside_every_schedule_is_missed_as_outside_hours() {
    let mut s = snapshot(day_and_night(), time_teams());
    s.now = ts("2026-03-31T10:00:00Z"); // Tuesday
    assert_eq!(missed(&decide(&s)), MissedReason::OutsideHours);
    // Inside hours with nobody there is a different miss.
    s.now = ts("2026-03-29T12:00:00Z");
    s.destinations[0].members = vec![away("ann")];
    assert_eq!(missed(&decide(&s)), MissedReason::NoAgentAvailable);
}

#[test]
fn sticky_routing_offers_the_previous_agent_first_through_their_destination() {
    let mut s = snapshot(
        alternative(&["sales", "support"], true),
        vec![
            ring_all("sales", vec![agent("ann", 0)]),
            ring_all("support", vec![agent("eve", 0)]),
        ],
    );
    s.destinations[1].offer_timeout_secs = 45;
    s.previous_agent = Some(agent("eve", 0));
    let decision = decide(&s);
    assert_eq!(offered(&decision), (Some("support"), vec!["eve"], true));
    assert!(matches!(
        decision.outcome,
        RoutingOutcome::Offer {
            offer_timeout_secs: 45,
            ..
        }
    ));
    assert!(decision.trace.contains(&TraceStep::StickyAgent {
        staff_id: "eve".into(),
        result: Verdict::Offered
    }));
}

#[test]
fn sticky_routing_reaches_an_agent_outside_the_rules_destinations() {
    let mut s = snapshot(
        alternative(&["sales"], true),
        vec![ring_all("sales", vec![agent("ann", 0)])],
    );
    s.previous_agent = Some(agent("zoe", 0));
    let decision = decide(&s);
    assert_eq!(offered(&decision), (None, vec!["zoe"], true));
    assert!(matches!(
        decision.outcome,
        RoutingOutcome::Offer {
            offer_timeout_secs: DEFAULT_OFFER_TIMEOUT_SECS,
            ..
        }
    ));
}

#[test]
fn a_busy_previous_agent_is_traced_and_the_rule_applies() {
    let mut s = snapshot(
        alternative(&["sales"], true),
        vec![ring_all("sales", vec![agent("ann", 0)])],
    );
    s.previous_agent = Some(busy("eve"));
    let decision = decide(&s);
    assert_eq!(offered(&decision), (Some("sales"), vec!["ann"], false));
    assert!(decision.trace.contains(&TraceStep::StickyAgent {
        staff_id: "eve".into(),
        result: Verdict::AtCapacity
    }));

    // A previous agent who already let this enquiry time out is not asked again.
    s.previous_agent = Some(agent("eve", 0));
    s.attempted
        .agents
        .insert("eve".into(), AttemptOutcome::TimedOut);
    assert!(!offered(&decide(&s)).2, "not via sticky");
}

#[test]
fn sticky_routing_switched_off_ignores_the_previous_agent() {
    let mut s = snapshot(
        alternative(&["sales"], false),
        vec![ring_all("sales", vec![agent("ann", 0)])],
    );
    s.previous_agent = Some(agent("eve", 0));
    let decision = decide(&s);
    assert_eq!(offered(&decision), (Some("sales"), vec!["ann"], false));
    assert!(!decision
        .trace
        .iter()
        .any(|s| matches!(s, TraceStep::StickyAgent { .. })));
}

#[test]
fn the_decision_serializes_with_stable_snake_case_codes() {
    let s = snapshot(
        alternative(&["sales", "support"], false),
        vec![
            ring_all("sales", vec![away("ann")]),
            ring_all("support", vec![agent("eve", 0)]),
        ],
    );
    let json = serde_json::to_value(decide(&s)).unwrap();
    assert_eq!(
        json,
        json!({
            "outcome": {
                "outcome": "offer", "destination": "support", "agents": ["eve"],
                "via_sticky": false, "offer_timeout_secs": 30, "count_towards_percentage": null
            },
            "trace": [
                {"step": "rule", "rule": "alternative", "sticky": false},
                {"step": "agent", "destination": "sales", "staff_id": "ann", "result": "unavailable"},
                {"step": "destination", "destination": "sales", "result": "unavailable"},
                {"step": "agent", "destination": "support", "staff_id": "eve", "result": "offered"},
                {"step": "destination", "destination": "support", "result": "offered"},
                {"step": "offered", "destination": "support", "agents": ["eve"], "via_sticky": false}
            ]
        })
    );
}
