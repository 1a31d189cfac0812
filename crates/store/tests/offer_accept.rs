//! Accepting an offer on both backends: never after its deadline (even
//! before the timer job has expired it), never beyond the agent's capacity
//! (also when one agent accepts two offers at the same instant).

#[macro_use]
mod common;

use common::{ring_all_world, t, World, OFFER_TIMEOUT_SECS};

use std::sync::Arc;

use domain::routing::decide;
use jiff::{SignedDuration, Timestamp};
use store::testing::TestDatabase;
use store::{
    AcceptOutcome, Applied, Enquiry, EnquiryStatus, Offer, RoutingState, Store, StoreError,
};

contract!(
    an_offer_past_its_deadline_cannot_be_accepted_before_the_timer_fires,
    an_offer_accepted_just_before_its_deadline_is_won,
    an_agent_at_capacity_is_refused_and_the_offer_stays_open,
    an_agent_who_closed_an_enquiry_can_accept_the_waiting_offer,
    two_simultaneous_accepts_by_one_agent_with_capacity_one_let_exactly_one_through,
);

/// One account, one channel routing (ring all) to one destination whose
/// members are agents with the given capacities.
async fn world(store: Store, capacities: &[i64]) -> World {
    let names: Vec<String> = (0..capacities.len()).map(|i| format!("Agent{i}")).collect();
    let agents: Vec<(&str, i64)> = names
        .iter()
        .map(String::as_str)
        .zip(capacities.iter().copied())
        .collect();
    ring_all_world(store, &agents).await
}

impl World {
    /// A visitor writes and routing offers the new enquiry to the agents
    /// (as the routing job does); returns the enquiry and its offers.
    async fn offered(&self, psid: &str, at: Timestamp) -> (Enquiry, Vec<Offer>) {
        let opened = self.visitor_writes(psid, at).await;
        self.store.promote_queued(at).await.unwrap();
        let enquiry = self
            .store
            .get_enquiry(&self.account_id, &opened.id)
            .await
            .unwrap();
        let channel = self
            .store
            .routing_channel(&self.account_id, &self.channel_id)
            .await
            .unwrap();
        let mut snapshot = self
            .store
            .routing_snapshot(
                &self.account_id,
                &self.channel_id,
                channel.settings,
                None,
                at,
            )
            .await
            .unwrap();
        snapshot.attempted = RoutingState::parse(&enquiry.routing_state).attempted;
        let decision = decide(&snapshot);
        match self
            .store
            .apply_routing_decision(&enquiry, "opened", &decision, &snapshot.attempted, true, at)
            .await
            .unwrap()
        {
            Applied::Offered { enquiry, offers } => (enquiry, offers),
            other => panic!("expected offers, got {other:?}"),
        }
    }

    fn offer_of<'a>(&self, offers: &'a [Offer], agent: &str) -> &'a Offer {
        offers
            .iter()
            .find(|o| o.staff_id == agent)
            .expect("the agent was offered the enquiry")
    }

    async fn offer(&self, id: &str) -> Offer {
        self.store.get_offer(&self.account_id, id).await.unwrap()
    }

    async fn enquiry(&self, id: &str) -> Enquiry {
        self.store.get_enquiry(&self.account_id, id).await.unwrap()
    }
}

fn conflict(result: Result<AcceptOutcome, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict { constraint }) => constraint,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn an_offer_past_its_deadline_cannot_be_accepted_before_the_timer_fires(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store, &[2]).await;
    let offered_at = t("2026-03-01T09:00:00Z");
    let (enquiry, offers) = w.offered("p1", offered_at).await;
    let offer = &offers[0];
    assert_eq!(
        offer.deadline_at,
        offered_at + SignedDuration::from_secs(OFFER_TIMEOUT_SECS)
    );

    // Exactly at the deadline it has timed out; the timer job has not run.
    let refused = w
        .store
        .try_accept_offer(&w.account_id, &offer.id, &w.agents[0], offer.deadline_at)
        .await;
    assert_eq!(conflict(refused), store::OFFER_TIMED_OUT);
    assert_eq!(
        w.offer(&offer.id).await.status,
        "open",
        "the timer expires it"
    );
    assert_eq!(w.enquiry(&enquiry.id).await.status, EnquiryStatus::Offered);

    // The timer then expires it as usual, once, and routing moves on.
    let late = offer.deadline_at + SignedDuration::from_millis(250);
    let expired = w.store.expire_due_offers(late, 10).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert!(expired[0].enquiry_rerouted);
    assert_eq!(w.enquiry(&enquiry.id).await.status, EnquiryStatus::Routing);
    // Accepting the expired offer still names the timeout.
    let refused = w
        .store
        .try_accept_offer(&w.account_id, &offer.id, &w.agents[0], late)
        .await;
    assert_eq!(conflict(refused), store::OFFER_TIMED_OUT);
}

async fn an_offer_accepted_just_before_its_deadline_is_won(_db: &TestDatabase, store: Store) {
    let w = world(store, &[2]).await;
    let (enquiry, offers) = w.offered("p1", t("2026-03-01T09:00:00Z")).await;
    let just_before = offers[0].deadline_at - SignedDuration::from_millis(1);
    let outcome = w
        .store
        .try_accept_offer(&w.account_id, &offers[0].id, &w.agents[0], just_before)
        .await
        .unwrap();
    let AcceptOutcome::Accepted(accepted) = outcome else {
        panic!("expected the offer to be won, got {outcome:?}");
    };
    assert_eq!(accepted.offer.status, "accepted");
    let stored = w.enquiry(&enquiry.id).await;
    assert_eq!(stored.status, EnquiryStatus::Active);
    assert_eq!(
        stored.assigned_staff_id.as_deref(),
        Some(w.agents[0].as_str())
    );
}

/// Ann (capacity 1) and Bob are rung for two visitors while Ann is free;
/// Ann accepts the first. The second offer to her is what the capacity
/// check guards: `decide` offers only agents with room, but ring all may
/// offer several enquiries at once.
async fn ann_serving_one_with_another_offer_open(w: &World) -> (Enquiry, Enquiry, Offer, Offer) {
    let ann = &w.agents[0];
    let (first, offers_1) = w.offered("p1", t("2026-03-01T09:00:00Z")).await;
    let (second, offers_2) = w.offered("p2", t("2026-03-01T09:00:01Z")).await;
    w.store
        .accept_offer(
            &w.account_id,
            &w.offer_of(&offers_1, ann).id,
            ann,
            t("2026-03-01T09:00:02Z"),
        )
        .await
        .unwrap();
    let ann_offer = w.offer_of(&offers_2, ann).clone();
    let bob_offer = w.offer_of(&offers_2, &w.agents[1]).clone();
    (first, second, ann_offer, bob_offer)
}

async fn an_agent_at_capacity_is_refused_and_the_offer_stays_open(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store, &[1, 5]).await;
    let (ann, bob) = (w.agents[0].clone(), w.agents[1].clone());
    let (first, second, ann_offer, bob_offer) = ann_serving_one_with_another_offer_open(&w).await;

    let outcome = w
        .store
        .try_accept_offer(
            &w.account_id,
            &ann_offer.id,
            &ann,
            t("2026-03-01T09:00:03Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome,
        AcceptOutcome::AtCapacity {
            serving: 1,
            capacity: 1
        }
    );
    // Nothing changed: the offer stays open for her until its deadline.
    assert_eq!(w.offer(&ann_offer.id).await.status, "open");
    assert_eq!(w.enquiry(&second.id).await.status, EnquiryStatus::Offered);
    let without_numbers = w
        .store
        .accept_offer(
            &w.account_id,
            &ann_offer.id,
            &ann,
            t("2026-03-01T09:00:03Z"),
        )
        .await
        .map(|a| AcceptOutcome::Accepted(Box::new(a)));
    assert_eq!(conflict(without_numbers), store::STAFF_AT_CAPACITY);

    // Bob, with room to spare, takes it; Ann keeps her first visitor.
    w.store
        .accept_offer(
            &w.account_id,
            &bob_offer.id,
            &bob,
            t("2026-03-01T09:00:04Z"),
        )
        .await
        .unwrap();
    assert_eq!(w.offer(&ann_offer.id).await.status, "taken");
    assert_eq!(
        w.enquiry(&second.id).await.assigned_staff_id.as_deref(),
        Some(bob.as_str())
    );
    assert_eq!(
        w.enquiry(&first.id).await.assigned_staff_id.as_deref(),
        Some(ann.as_str())
    );
}

async fn an_agent_who_closed_an_enquiry_can_accept_the_waiting_offer(
    _db: &TestDatabase,
    store: Store,
) {
    let w = world(store, &[1, 5]).await;
    let ann = w.agents[0].clone();
    let (first, second, ann_offer, _) = ann_serving_one_with_another_offer_open(&w).await;
    let at_capacity = w
        .store
        .try_accept_offer(
            &w.account_id,
            &ann_offer.id,
            &ann,
            t("2026-03-01T09:00:03Z"),
        )
        .await
        .unwrap();
    assert!(matches!(at_capacity, AcceptOutcome::AtCapacity { .. }));

    w.store
        .close_enquiry(
            &w.account_id,
            &first.id,
            &ann,
            "agent",
            t("2026-03-01T09:00:04Z"),
        )
        .await
        .unwrap()
        .expect("the first enquiry was open");
    let outcome = w
        .store
        .try_accept_offer(
            &w.account_id,
            &ann_offer.id,
            &ann,
            t("2026-03-01T09:00:05Z"),
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, AcceptOutcome::Accepted(_)),
        "a freed slot lets her accept: {outcome:?}"
    );
    assert_eq!(
        w.enquiry(&second.id).await.assigned_staff_id.as_deref(),
        Some(ann.as_str())
    );
}

async fn two_simultaneous_accepts_by_one_agent_with_capacity_one_let_exactly_one_through(
    _db: &TestDatabase,
    store: Store,
) {
    let w = Arc::new(world(store, &[1]).await);
    let agent = w.agents[0].clone();
    // Both enquiries are offered while the agent is free.
    let (a, offers_a) = w.offered("p1", t("2026-03-01T09:00:00Z")).await;
    let (b, offers_b) = w.offered("p2", t("2026-03-01T09:00:00Z")).await;
    let now = t("2026-03-01T09:00:05Z");
    let tasks: Vec<_> = [offers_a[0].id.clone(), offers_b[0].id.clone()]
        .into_iter()
        .map(|id| {
            let (w, agent) = (w.clone(), agent.clone());
            tokio::spawn(async move {
                w.store
                    .try_accept_offer(&w.account_id, &id, &agent, now)
                    .await
            })
        })
        .collect();
    let mut won = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            AcceptOutcome::Accepted(_) => won += 1,
            AcceptOutcome::AtCapacity { serving, capacity } => {
                assert_eq!((serving, capacity), (1, 1));
                refused += 1;
            }
        }
    }
    assert_eq!((won, refused), (1, 1));
    let statuses = [w.enquiry(&a.id).await.status, w.enquiry(&b.id).await.status];
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == EnquiryStatus::Active)
            .count(),
        1,
        "exactly one enquiry became the agent's: {statuses:?}"
    );
    assert!(statuses.contains(&EnquiryStatus::Offered));
}
