//! Routing's persistence contract on both backends: the concurrent-visitor
//! queue, offers (accept exactly once, decline, expire once, withdraw), the
//! grace period, the away-message claim, percentage tallies and the missed
//! list. Decisions come from the real `domain::routing::decide`.

#[macro_use]
mod common;

use common::{agent, channel, destination, ring_all_world, routing, set_availability, t, World};

use std::sync::Arc;

use domain::channel::ChannelStatus;
use domain::routing::{decide, DestinationId};
use domain::staff::{Availability, DistributionStrategy};
use jiff::{SignedDuration, Timestamp};
use store::testing::TestDatabase;
use store::{AccountUpdate, Applied, Enquiry, EnquiryStatus, RoutingState, Store, StoreError};

contract!(
    queued_enquiries_are_promoted_oldest_first_up_to_the_accounts_limit,
    a_suspended_channel_keeps_its_enquiries_queued,
    an_offer_goes_to_every_available_member_of_a_ring_all_destination,
    exactly_one_of_two_simultaneous_accepts_wins,
    a_declined_round_marks_the_destination_tried_and_routes_again,
    an_expired_offer_fires_once,
    an_agent_going_away_loses_open_offers_without_counting_as_tried,
    active_enquiries_return_to_routing_after_the_grace_period,
    the_away_message_is_claimed_once_per_missed_enquiry,
    percentage_offers_are_tallied_per_destination,
    agents_see_only_the_missed_enquiries_of_their_channels,
    a_picked_up_enquiry_cannot_be_picked_up_twice,
    a_stale_decision_writes_nothing,
    missed_enquiries_come_due_for_a_retry_later_or_when_asked,
    a_deleted_agents_active_enquiries_are_routed_again_at_once,
);

/// An account with two available agents (Ann and Bob, capacity 2) in one
/// ring-all destination and a channel routing to it.
async fn world(store: Store) -> World {
    ring_all_world(store, &[("Ann", 2), ("Bob", 2)]).await
}

impl World {
    /// A visitor "p1" writes at 09:00, is offered at 09:00:01 and the first
    /// offered agent accepts at 09:00:02; returns the enquiry and that agent.
    async fn served_by_one_agent(&self) -> (Enquiry, String) {
        let enquiry = self.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
        let offers = offers_of(&self.route_all(t("2026-03-01T09:00:01Z")).await[0]);
        let agent = offers[0].staff_id.clone();
        self.store
            .accept_offer(
                &self.account_id,
                &offers[0].id,
                &agent,
                t("2026-03-01T09:00:02Z"),
            )
            .await
            .unwrap();
        (enquiry, agent)
    }

    /// Promotes and routes everything due, as the routing job does.
    async fn route_all(&self, now: Timestamp) -> Vec<Applied> {
        self.store.promote_queued(now).await.unwrap();
        let mut applied = Vec::new();
        for enquiry in self.store.due_for_routing(now, 100).await.unwrap() {
            applied.push(self.route(&enquiry, now).await);
        }
        applied
    }

    async fn route(&self, enquiry: &Enquiry, now: Timestamp) -> Applied {
        let channel = self
            .store
            .routing_channel(&self.account_id, &enquiry.channel_id)
            .await
            .unwrap();
        let visitor = self
            .store
            .get_visitor(&self.account_id, &enquiry.visitor_id)
            .await
            .unwrap();
        let state = RoutingState::parse(&enquiry.routing_state);
        let mut snapshot = self
            .store
            .routing_snapshot(
                &self.account_id,
                &enquiry.channel_id,
                channel.settings,
                visitor.last_served_by.as_deref(),
                now,
            )
            .await
            .unwrap();
        snapshot.attempted = state.attempted;
        let decision = decide(&snapshot);
        self.store
            .apply_routing_decision(enquiry, "opened", &decision, &snapshot.attempted, true, now)
            .await
            .unwrap()
    }

    async fn enquiry(&self, id: &str) -> Enquiry {
        self.store.get_enquiry(&self.account_id, id).await.unwrap()
    }
}

fn offers_of(applied: &Applied) -> Vec<store::Offer> {
    match applied {
        Applied::Offered { offers, .. } => offers.clone(),
        other => panic!("expected offers, got {other:?}"),
    }
}

async fn queued_enquiries_are_promoted_oldest_first_up_to_the_accounts_limit(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store).await;
    w.store
        .update_account(
            &w.account_id,
            AccountUpdate {
                max_concurrent_visitors: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let second = w.visitor_writes("p2", t("2026-03-01T09:02:00Z")).await;
    let first = w.visitor_writes("p1", t("2026-03-01T09:01:00Z")).await;
    let third = w.visitor_writes("p3", t("2026-03-01T09:03:00Z")).await;
    assert_eq!(first.status, EnquiryStatus::Queued);

    let promoted = w
        .store
        .promote_queued(t("2026-03-01T09:04:00Z"))
        .await
        .unwrap();
    let ids: Vec<&str> = promoted.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [first.id.as_str(), second.id.as_str()]);
    assert_eq!(w.enquiry(&third.id).await.status, EnquiryStatus::Queued);
    // Full: nothing more is promoted until a slot frees.
    assert!(w
        .store
        .promote_queued(t("2026-03-01T09:05:00Z"))
        .await
        .unwrap()
        .is_empty());
}

async fn a_suspended_channel_keeps_its_enquiries_queued(_db: &TestDatabase, store: Store) {
    let w = world(store).await;
    let enquiry = w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    w.store
        .set_channel_status(
            &w.account_id,
            &w.channel_id,
            ChannelStatus::Suspended,
            None,
            t("2026-03-01T09:00:01Z"),
        )
        .await
        .unwrap();
    assert!(w
        .store
        .promote_queued(t("2026-03-01T09:01:00Z"))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(w.enquiry(&enquiry.id).await.status, EnquiryStatus::Queued);
}

async fn an_offer_goes_to_every_available_member_of_a_ring_all_destination(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store).await;
    let enquiry = w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    let now = t("2026-03-01T09:00:01Z");
    let applied = w.route_all(now).await;
    let offers = offers_of(&applied[0]);
    let mut offered: Vec<String> = offers.iter().map(|o| o.staff_id.clone()).collect();
    offered.sort();
    let mut agents = w.agents.clone();
    agents.sort();
    assert_eq!(offered, agents);
    assert!(offers
        .iter()
        .all(|o| o.deadline_at == now + SignedDuration::from_secs(30)));
    let stored = w.enquiry(&enquiry.id).await;
    assert_eq!(stored.status, EnquiryStatus::Offered);
    assert_eq!(
        stored.destination_id.as_deref(),
        Some(w.destination_id.as_str())
    );
    let traces = w
        .store
        .list_routing_traces(&w.account_id, &enquiry.id)
        .await
        .unwrap();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0].decision["outcome"]["outcome"], "offer");
    assert_eq!(
        w.store
            .list_open_offers(&w.account_id, &w.agents[0])
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn exactly_one_of_two_simultaneous_accepts_wins(_db: &TestDatabase, store: Store) {
    let w = Arc::new(world(store).await);
    let enquiry = w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    let offers = offers_of(&w.route_all(t("2026-03-01T09:00:01Z")).await[0]);
    let now = t("2026-03-01T09:00:05Z");
    let tasks: Vec<_> = offers
        .iter()
        .map(|o| {
            let w = w.clone();
            let (id, staff) = (o.id.clone(), o.staff_id.clone());
            tokio::spawn(async move { w.store.accept_offer(&w.account_id, &id, &staff, now).await })
        })
        .collect();
    let mut won = Vec::new();
    let mut lost = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(accepted) => won.push(accepted),
            Err(StoreError::Conflict { constraint }) => {
                assert_eq!(constraint, store::OFFER_TAKEN);
                lost += 1;
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((won.len(), lost), (1, 1));
    let stored = w.enquiry(&enquiry.id).await;
    assert_eq!(stored.status, EnquiryStatus::Active);
    assert_eq!(
        stored.assigned_staff_id.as_ref(),
        Some(&won[0].offer.staff_id)
    );
    let visitor = w
        .store
        .get_visitor(&w.account_id, &stored.visitor_id)
        .await
        .unwrap();
    assert_eq!(
        visitor.last_served_by, stored.assigned_staff_id,
        "remembered for sticky routing"
    );
    let statuses: Vec<String> = w
        .store
        .list_enquiry_offers(&w.account_id, &enquiry.id)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.status)
        .collect();
    assert!(statuses.contains(&"accepted".to_owned()) && statuses.contains(&"taken".to_owned()));
}

async fn a_declined_round_marks_the_destination_tried_and_routes_again(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store).await;
    let enquiry = w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    let offers = offers_of(&w.route_all(t("2026-03-01T09:00:01Z")).await[0]);
    let now = t("2026-03-01T09:00:03Z");
    let first = w
        .store
        .decline_offer(&w.account_id, &offers[0].id, &offers[0].staff_id, now)
        .await
        .unwrap();
    assert!(
        !first.enquiry_rerouted,
        "the other agent's offer is still open"
    );
    assert_eq!(w.enquiry(&enquiry.id).await.status, EnquiryStatus::Offered);
    let second = w
        .store
        .decline_offer(&w.account_id, &offers[1].id, &offers[1].staff_id, now)
        .await
        .unwrap();
    assert!(second.enquiry_rerouted);
    let stored = w.enquiry(&enquiry.id).await;
    assert_eq!(stored.status, EnquiryStatus::Routing);
    let state = RoutingState::parse(&stored.routing_state);
    assert_eq!(state.trigger.as_deref(), Some("declined"));
    assert!(state
        .attempted
        .destinations
        .contains_key(&DestinationId(w.destination_id.clone())));
    // Declining again is refused: the offer is no longer open.
    let again = w
        .store
        .decline_offer(&w.account_id, &offers[0].id, &offers[0].staff_id, now)
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    // The next decision finds everyone tried: missed.
    let applied = w.route_all(t("2026-03-01T09:00:04Z")).await;
    assert!(matches!(applied[0], Applied::Missed { .. }), "{applied:?}");
    assert_eq!(w.enquiry(&enquiry.id).await.status, EnquiryStatus::Missed);
}

async fn an_expired_offer_fires_once(_db: &TestDatabase, store: Store) {
    let w = world(store).await;
    w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    w.route_all(t("2026-03-01T09:00:01Z")).await;
    assert!(w
        .store
        .expire_due_offers(t("2026-03-01T09:00:30Z"), 100)
        .await
        .unwrap()
        .is_empty());
    let expired = w
        .store
        .expire_due_offers(t("2026-03-01T09:00:31Z"), 100)
        .await
        .unwrap();
    assert_eq!(expired.len(), 2);
    assert_eq!(expired.iter().filter(|e| e.enquiry_rerouted).count(), 1);
    assert!(w
        .store
        .expire_due_offers(t("2026-03-01T09:01:00Z"), 100)
        .await
        .unwrap()
        .is_empty());
}

async fn an_agent_going_away_loses_open_offers_without_counting_as_tried(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store).await;
    let enquiry = w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    w.route_all(t("2026-03-01T09:00:01Z")).await;
    let now = t("2026-03-01T09:00:02Z");
    let mut rerouted = false;
    for agent in &w.agents {
        let ended = w
            .store
            .withdraw_offers_of(&w.account_id, agent, now)
            .await
            .unwrap();
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].offer.status, "withdrawn");
        rerouted |= ended[0].enquiry_rerouted;
    }
    assert!(rerouted);
    let stored = w.enquiry(&enquiry.id).await;
    assert_eq!(stored.status, EnquiryStatus::Routing);
    let state = RoutingState::parse(&stored.routing_state);
    assert!(state.attempted.agents.is_empty() && state.attempted.destinations.is_empty());
    assert_eq!(state.trigger.as_deref(), Some("agent_unavailable"));
}

async fn active_enquiries_return_to_routing_after_the_grace_period(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store).await;
    let (enquiry, agent) = w.served_by_one_agent().await;
    w.store
        .set_availability(
            &w.account_id,
            &agent,
            Availability::Away,
            t("2026-03-01T09:10:00Z"),
        )
        .await
        .unwrap();
    // The default grace period is five minutes.
    assert!(w
        .store
        .reroute_after_grace(t("2026-03-01T09:14:59Z"))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(w.enquiry(&enquiry.id).await.status, EnquiryStatus::Active);
    let rerouted: Vec<Enquiry> = w
        .store
        .reroute_after_grace(t("2026-03-01T09:15:00Z"))
        .await
        .unwrap()
        .into_iter()
        .map(|u| {
            assert_eq!(u.previous_staff_id, agent, "whose enquiry it was");
            u.enquiry
        })
        .collect();
    assert_eq!(rerouted.len(), 1);
    assert_eq!(rerouted[0].status, EnquiryStatus::Routing);
    assert_eq!(rerouted[0].assigned_staff_id, None);
    let state = RoutingState::parse(&rerouted[0].routing_state);
    assert_eq!(state.trigger.as_deref(), Some("away_grace_ended"));
    assert!(w
        .store
        .reroute_after_grace(t("2026-03-01T09:16:00Z"))
        .await
        .unwrap()
        .is_empty());
}

async fn the_away_message_is_claimed_once_per_missed_enquiry(_db: &TestDatabase, store: Store) {
    let w = world(store).await;
    set_availability(
        &w.store,
        &w.account_id,
        &w.agents,
        Availability::Offline,
        t("2026-03-01T08:30:00Z"),
    )
    .await;
    let enquiry = w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    let applied = w.route_all(t("2026-03-01T09:00:01Z")).await;
    assert!(matches!(applied[0], Applied::Missed { .. }), "{applied:?}");
    let missed = w.store.missed_without_away_message(10).await.unwrap();
    assert_eq!(missed.len(), 1);
    let now = t("2026-03-01T09:00:02Z");
    assert!(w
        .store
        .claim_away_message(&w.account_id, &enquiry.id, now)
        .await
        .unwrap());
    assert!(!w
        .store
        .claim_away_message(&w.account_id, &enquiry.id, now)
        .await
        .unwrap());
    assert!(w
        .store
        .missed_without_away_message(10)
        .await
        .unwrap()
        .is_empty());
    w.store
        .release_away_message(&w.account_id, &enquiry.id)
        .await
        .unwrap();
    assert!(w
        .store
        .claim_away_message(&w.account_id, &enquiry.id, now)
        .await
        .unwrap());
}

async fn percentage_offers_are_tallied_per_destination(_db: &TestDatabase, store: Store) {
    let account_id = store.create_account("Acme").await.unwrap().id;
    let a = agent(&store, &account_id, "Ann", 2).await;
    let b = agent(&store, &account_id, "Bob", 2).await;
    for agent in [&a, &b] {
        store
            .set_availability(
                &account_id,
                agent,
                Availability::Available,
                t("2026-03-01T08:00:00Z"),
            )
            .await
            .unwrap();
    }
    let seventy = destination(
        &store,
        &account_id,
        "Seventy",
        DistributionStrategy::RingAll,
        &[a],
    )
    .await;
    let thirty = destination(
        &store,
        &account_id,
        "Thirty",
        DistributionStrategy::RingAll,
        &[b],
    )
    .await;
    let channel_id = channel(
        &store,
        &account_id,
        routing(serde_json::json!({"rule": "percentage", "destinations": [
            {"id": seventy, "percentage": 70}, {"id": thirty, "percentage": 30}]})),
    )
    .await;
    let w = World {
        store,
        account_id,
        channel_id,
        agents: Vec::new(),
        destination_id: seventy.clone(),
    };
    let mut counts = std::collections::HashMap::new();
    for i in 0..10 {
        let enquiry = w
            .visitor_writes(&format!("p{i}"), t("2026-03-01T09:00:00Z"))
            .await;
        let applied = w.route_all(t("2026-03-01T09:00:01Z")).await;
        let offers = offers_of(&applied[0]);
        *counts
            .entry(offers[0].destination_id.clone().unwrap())
            .or_insert(0) += 1;
        // Free the agent again so capacity never decides.
        w.store
            .withdraw_offers_of(
                &w.account_id,
                &offers[0].staff_id,
                t("2026-03-01T09:00:02Z"),
            )
            .await
            .unwrap();
        let _ = enquiry;
    }
    assert_eq!(counts[&seventy], 7);
    assert_eq!(counts[&thirty], 3);
    let snapshot = w
        .store
        .routing_snapshot(
            &w.account_id,
            &w.channel_id,
            w.store
                .routing_channel(&w.account_id, &w.channel_id)
                .await
                .unwrap()
                .settings,
            None,
            t("2026-03-01T09:01:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(snapshot.percentage_counts[&DestinationId(seventy)], 7);
    assert_eq!(snapshot.percentage_counts[&DestinationId(thirty)], 3);
}

async fn agents_see_only_the_missed_enquiries_of_their_channels(_db: &TestDatabase, store: Store) {
    let w = world(store).await;
    let outsider = agent(&w.store, &w.account_id, "Olga", 2).await;
    set_availability(
        &w.store,
        &w.account_id,
        &w.agents,
        Availability::Offline,
        t("2026-03-01T08:30:00Z"),
    )
    .await;
    let enquiry = w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    w.route_all(t("2026-03-01T09:00:01Z")).await;
    let mine = w
        .store
        .list_missed(&w.account_id, Some(&w.agents[0]))
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].id, enquiry.id);
    assert!(w
        .store
        .list_missed(&w.account_id, Some(&outsider))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        w.store
            .list_missed(&w.account_id, None)
            .await
            .unwrap()
            .len(),
        1
    );
    let other_account = w.store.create_account("Other").await.unwrap().id;
    assert!(w
        .store
        .list_missed(&other_account, None)
        .await
        .unwrap()
        .is_empty());
}

async fn a_picked_up_enquiry_cannot_be_picked_up_twice(_db: &TestDatabase, store: Store) {
    let w = world(store).await;
    set_availability(
        &w.store,
        &w.account_id,
        &w.agents,
        Availability::Offline,
        t("2026-03-01T08:30:00Z"),
    )
    .await;
    let enquiry = w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    w.route_all(t("2026-03-01T09:00:01Z")).await;
    let now = t("2026-03-01T09:05:00Z");
    let picked = w
        .store
        .pick_up_missed(&w.account_id, &enquiry.id, &w.agents[1], now)
        .await
        .unwrap();
    assert_eq!(picked.status, EnquiryStatus::Active);
    assert_eq!(
        picked.assigned_staff_id.as_deref(),
        Some(w.agents[1].as_str())
    );
    let again = w
        .store
        .pick_up_missed(&w.account_id, &enquiry.id, &w.agents[0], now)
        .await;
    assert!(
        matches!(&again, Err(StoreError::Conflict { constraint }) if constraint == store::NOT_MISSED),
        "{again:?}"
    );
    let missing = w
        .store
        .pick_up_missed(&w.account_id, "nope", &w.agents[0], now)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

async fn a_stale_decision_writes_nothing(_db: &TestDatabase, store: Store) {
    let w = world(store).await;
    w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    let now = t("2026-03-01T09:00:01Z");
    w.store.promote_queued(now).await.unwrap();
    let due = w.store.due_for_routing(now, 10).await.unwrap();
    assert!(matches!(
        w.route(&due[0], now).await,
        Applied::Offered { .. }
    ));
    // A second worker holding the same (now outdated) row changes nothing.
    assert!(matches!(w.route(&due[0], now).await, Applied::Stale));
    let offers = w
        .store
        .list_enquiry_offers(&w.account_id, &due[0].id)
        .await
        .unwrap();
    assert_eq!(offers.len(), 2);
}

async fn missed_enquiries_come_due_for_a_retry_later_or_when_asked(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store).await;
    set_availability(
        &w.store,
        &w.account_id,
        &w.agents,
        Availability::Offline,
        t("2026-03-01T08:30:00Z"),
    )
    .await;
    let enquiry = w.visitor_writes("p1", t("2026-03-01T09:00:00Z")).await;
    w.route_all(t("2026-03-01T09:00:01Z")).await;
    assert!(w
        .store
        .missed_due_for_retry(t("2026-03-01T09:00:10Z"), 10)
        .await
        .unwrap()
        .is_empty());
    let due = w
        .store
        .missed_due_for_retry(t("2026-03-01T09:00:11Z"), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    // Still nobody: postponed by another ten seconds.
    w.store
        .postpone_missed_retry(&due[0], t("2026-03-01T09:00:11Z"))
        .await
        .unwrap();
    assert!(w
        .store
        .missed_due_for_retry(t("2026-03-01T09:00:20Z"), 10)
        .await
        .unwrap()
        .is_empty());
    // An agent coming back makes it due at once.
    assert_eq!(
        w.store
            .retry_missed_now(&w.account_id, t("2026-03-01T09:00:12Z"))
            .await
            .unwrap(),
        1
    );
    let due = w
        .store
        .missed_due_for_retry(t("2026-03-01T09:00:12Z"), 10)
        .await
        .unwrap();
    assert_eq!(due[0].id, enquiry.id);
    assert_eq!(due[0].status, EnquiryStatus::Missed);
}

async fn a_deleted_agents_active_enquiries_are_routed_again_at_once(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store).await;
    let (enquiry, agent) = w.served_by_one_agent().await;
    w.store.delete_staff(&w.account_id, &agent).await.unwrap();
    let rerouted = w
        .store
        .reroute_after_grace(t("2026-03-01T09:00:03Z"))
        .await
        .unwrap();
    assert_eq!(rerouted.len(), 1);
    assert_eq!(rerouted[0].enquiry.id, enquiry.id);
    assert_eq!(rerouted[0].reason, "agent_removed");
    assert_eq!(rerouted[0].previous_staff_id, agent);
    assert_eq!(w.enquiry(&enquiry.id).await.status, EnquiryStatus::Routing);
}
