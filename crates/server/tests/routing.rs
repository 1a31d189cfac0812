//! Routing end to end on both backends: real agents' presence over HTTP,
//! visitors writing through the Facebook emulator, offers accepted,
//! declined, timing out and surviving a restart, missed enquiries with the
//! away message, sticky routing, the percentage and time rules, the
//! simulator and the traces admins read.

mod common;

use std::time::{Duration, Instant};

use common::flows::{
    accept, eventually, first_offer as offer_for, open_offers, set_availability, Desk,
};
use common::{Backend, Client, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    alternative_routing_offers_the_first_destination_and_accepting_assigns_it,
    an_unanswered_offer_times_out_and_moves_to_the_next_destination,
    a_declined_offer_moves_on_at_once,
    when_two_agents_accept_at_once_exactly_one_gets_the_enquiry,
    offers_pending_at_a_restart_still_time_out,
    an_agent_going_offline_loses_their_offer_to_the_next_candidate,
    with_nobody_available_the_enquiry_is_missed_the_visitor_gets_the_away_message_and_an_agent_picks_it_up,
    a_returning_visitor_is_offered_to_the_agent_who_served_them_before,
    percentage_routing_splits_enquiries_in_proportion,
    time_routing_skips_a_destination_outside_its_hours,
    the_simulator_answers_what_would_happen_without_changing_anything,
    only_admins_read_routing_traces,
    an_agent_away_past_the_grace_period_has_their_enquiry_routed_to_someone_else,
    a_transfer_to_another_destination_is_offered_there_and_not_back_to_the_sender,
    closing_an_enquiry_lets_the_next_waiting_visitor_in,
    a_missed_enquiry_is_offered_when_an_agent_becomes_available,
);

impl Desk {
    /// A new agent, logged in and available.
    async fn agent(&self) -> Client {
        let agent = self.admin.staff_client("agent").await;
        set_availability(&agent, "available").await;
        agent
    }

    /// A visitor who writes to the Page; returns their PSID.
    async fn visitor_writes(&self, name: &str) -> String {
        let psid = self.app.visitor(&self.page.page_id, name).await;
        self.app
            .fb()
            .send_text(&psid, "Hello, is anyone there?")
            .await
            .expect("visitor sends");
        psid
    }

    async fn trace(&self, enquiry_id: &str) -> Value {
        let (status, body) = self
            .admin
            .get(&format!("/api/v1/enquiries/{enquiry_id}/routing-trace"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// The events `client` would be sent (account-wide and their own), as
/// `(kind, data)`, oldest first.
async fn events_for(app: &TestApp, client: &Client) -> Vec<(String, Value)> {
    app.state
        .store
        .events_since(
            client.account_id.as_deref().unwrap(),
            client.staff_id.as_deref().unwrap(),
            0,
            1000,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let data = serde_json::from_str(&e.payload).unwrap();
            common::live::assert_logged_documented(&e.kind, &data);
            (e.kind, data)
        })
        .collect()
}

/// Every step of every decision of the trace, flattened.
fn steps(trace: &Value) -> Vec<Value> {
    trace["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["steps"].as_array().unwrap().clone())
        .collect()
}

fn has_step(trace: &Value, expected: Value) -> bool {
    steps(trace).iter().any(|step| {
        expected
            .as_object()
            .unwrap()
            .iter()
            .all(|(k, v)| step.get(k) == Some(v))
    })
}

async fn alternative_routing_offers_the_first_destination_and_accepting_assigns_it(
    backend: Backend,
) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let first = desk.destination(30, "ring_all", &[&ann]).await;
    let second = desk.destination(30, "ring_all", &[&bob]).await;
    desk.route_alternative(&[&first, &second]).await;
    desk.visitor_writes("Vera").await;

    let offer = offer_for(&ann).await;
    assert_eq!(offer["destination_id"], first.as_str());
    assert!(
        open_offers(&bob).await.is_empty(),
        "the second destination waits"
    );
    let (status, body) = accept(&ann, &offer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enquiry"]["status"], "active");
    assert_eq!(
        body["enquiry"]["staff_id"],
        ann.staff_id.as_deref().unwrap()
    );
    assert!(open_offers(&ann).await.is_empty());

    let enquiry_id = offer["enquiry_id"].as_str().unwrap();
    let trace = desk.trace(enquiry_id).await;
    assert_eq!(trace["decisions"][0]["trigger"], "opened");
    assert_eq!(trace["decisions"][0]["outcome"]["outcome"], "offer");
    assert!(has_step(
        &trace,
        json!({"step": "rule", "rule": "alternative", "sticky": false})
    ));
    assert!(has_step(
        &trace,
        json!({"step": "destination", "destination": first, "result": "offered"})
    ));
    assert_eq!(trace["offers"][0]["status"], "accepted");
}

async fn an_unanswered_offer_times_out_and_moves_to_the_next_destination(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    // 5 s is the shortest offer timeout a destination may have.
    let first = desk.destination(5, "ring_all", &[&ann]).await;
    let second = desk.destination(30, "ring_all", &[&bob]).await;
    desk.route_alternative(&[&first, &second]).await;
    desk.visitor_writes("Vera").await;
    let first_offer = offer_for(&ann).await;
    let started = Instant::now();

    let second_offer = offer_for(&bob).await;
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "moved on only after the timeout ({:?})",
        started.elapsed()
    );
    assert_eq!(second_offer["enquiry_id"], first_offer["enquiry_id"]);
    assert!(open_offers(&ann).await.is_empty(), "Ann's offer expired");
    // Too late: the expired offer cannot be accepted.
    let (status, body) = accept(&ann, &first_offer).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let trace = desk
        .trace(first_offer["enquiry_id"].as_str().unwrap())
        .await;
    assert_eq!(trace["decisions"][1]["trigger"], "offer_timed_out");
    assert!(has_step(
        &trace,
        json!({"step": "destination", "destination": first, "result": "timed_out"})
    ));
    assert_eq!(trace["offers"][0]["status"], "expired");
}

async fn a_declined_offer_moves_on_at_once(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let first = desk.destination(300, "ring_all", &[&ann]).await;
    let second = desk.destination(300, "ring_all", &[&bob]).await;
    desk.route_alternative(&[&first, &second]).await;
    desk.visitor_writes("Vera").await;
    let offer = offer_for(&ann).await;
    let (status, body) = ann
        .post(
            &format!("/api/v1/offers/{}/decline", offer["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "declined");
    let bobs = offer_for(&bob).await;
    assert_eq!(bobs["enquiry_id"], offer["enquiry_id"]);
    let trace = desk.trace(offer["enquiry_id"].as_str().unwrap()).await;
    assert_eq!(trace["decisions"][1]["trigger"], "declined");
    assert!(has_step(
        &trace,
        json!({"step": "destination", "destination": first, "result": "declined"})
    ));
}

async fn when_two_agents_accept_at_once_exactly_one_gets_the_enquiry(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let team = desk.destination(60, "ring_all", &[&ann, &bob]).await;
    desk.route_alternative(&[&team]).await;
    desk.visitor_writes("Vera").await;
    let anns = offer_for(&ann).await;
    let bobs = offer_for(&bob).await;
    assert_eq!(
        anns["enquiry_id"], bobs["enquiry_id"],
        "ring all offers both"
    );

    let (a, b) = tokio::join!(accept(&ann, &anns), accept(&bob, &bobs));
    let statuses = [a.0, b.0];
    assert!(
        statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT),
        "{a:?} {b:?}"
    );
    let (winner, loser) = if a.0 == StatusCode::OK {
        (&ann, &b.1)
    } else {
        (&bob, &a.1)
    };
    assert_eq!(loser["error"]["code"], "conflict");
    let (loser_client, winner_id) = if a.0 == StatusCode::OK {
        (&bob, ann.staff_id.as_deref().unwrap())
    } else {
        (&ann, bob.staff_id.as_deref().unwrap())
    };
    let events = events_for(&desk.app, loser_client).await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert!(kinds.contains(&"offer.created"), "{kinds:?}");
    let taken = events
        .iter()
        .find(|(k, _)| k == "offer.taken")
        .expect("offer.taken");
    assert_eq!(taken.1["staff_id"], winner_id);
    let assigned = events
        .iter()
        .find(|(k, _)| k == "enquiry.assigned")
        .expect("enquiry.assigned");
    assert_eq!(assigned.1["staff_id"], winner_id);
    assert_eq!(assigned.1["via"], "offer");
    let (status, enquiry) = desk
        .admin
        .get(&format!(
            "/api/v1/enquiries/{}",
            anns["enquiry_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{enquiry}");
    let assigned = serde_json::to_string(&enquiry).unwrap();
    assert!(
        assigned.contains(winner.staff_id.as_deref().unwrap()),
        "{enquiry}"
    );
}

async fn offers_pending_at_a_restart_still_time_out(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let first = desk.destination(5, "ring_all", &[&ann]).await;
    let second = desk.destination(30, "ring_all", &[&bob]).await;
    desk.route_alternative(&[&first, &second]).await;
    desk.visitor_writes("Vera").await;
    let offer = offer_for(&ann).await;

    let account_id = desk.admin.account_id.clone().unwrap();
    let bob_id = bob.staff_id.clone().unwrap();
    let enquiry_id = offer["enquiry_id"].as_str().unwrap().to_owned();
    // The restarted server listens on a new port: read its store directly.
    let app = desk.app.restart().await;
    let store = app.state.store.clone();
    let bobs = eventually("Bob's offer after the restart", || {
        let (store, account_id, bob_id) = (store.clone(), account_id.clone(), bob_id.clone());
        async move {
            let offers = store.list_open_offers(&account_id, &bob_id).await.ok()?;
            offers.into_iter().next()
        }
    })
    .await;
    assert_eq!(bobs.enquiry_id, enquiry_id);
    let offers = store
        .list_enquiry_offers(&account_id, &enquiry_id)
        .await
        .unwrap();
    assert_eq!(offers[0].status, "expired", "fired once, after the restart");
    assert_eq!(offers.len(), 2);
}

async fn an_agent_going_offline_loses_their_offer_to_the_next_candidate(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let first = desk.destination(300, "ring_all", &[&ann]).await;
    let second = desk.destination(300, "ring_all", &[&bob]).await;
    desk.route_alternative(&[&first, &second]).await;
    desk.visitor_writes("Vera").await;
    let offer = offer_for(&ann).await;
    set_availability(&ann, "offline").await;
    // Long before the five-minute timeout.
    let bobs = offer_for(&bob).await;
    assert_eq!(bobs["enquiry_id"], offer["enquiry_id"]);
    assert!(open_offers(&ann).await.is_empty());
    let trace = desk.trace(offer["enquiry_id"].as_str().unwrap()).await;
    assert_eq!(trace["offers"][0]["status"], "withdrawn");
    assert_eq!(trace["decisions"][1]["trigger"], "agent_unavailable");
    assert!(has_step(
        &trace,
        json!({"step": "agent", "staff_id": ann.staff_id.as_deref().unwrap(),
               "result": "unavailable"})
    ));
}

async fn with_nobody_available_the_enquiry_is_missed_the_visitor_gets_the_away_message_and_an_agent_picks_it_up(
    backend: Backend,
) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let outsider = desk.agent().await;
    set_availability(&ann, "away").await;
    let team = desk.destination(30, "ring_all", &[&ann]).await;
    desk.route_alternative(&[&team]).await;
    let (status, away) = desk
        .admin
        .patch(
            &format!("/api/v1/channels/{}", desk.page.channel_id),
            json!({"messages": {"away_message": "We are away; we will write back soon."}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{away}");
    let psid = desk.visitor_writes("Vera").await;

    let missed = eventually("the missed enquiry", || async {
        let (_, body) = ann.get("/api/v1/enquiries/missed").await;
        body["items"].as_array()?.first().cloned()
    })
    .await;
    let fb = desk.app.fb();
    eventually("the away message", || async {
        let received = fb.received(&psid).await.ok()?;
        received
            .iter()
            .any(|m| m.text.as_deref() == Some("We are away; we will write back soon."))
            .then_some(())
    })
    .await;
    let (_, outsiders) = outsider.get("/api/v1/enquiries/missed").await;
    assert_eq!(outsiders["items"], json!([]), "not their channel's team");
    let enquiry_id = missed["enquiry_id"].as_str().unwrap();
    let path = format!("/api/v1/enquiries/{enquiry_id}/pick-up");
    let (status, _) = outsider.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = ann.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["staff_id"], ann.staff_id.as_deref().unwrap());
    let (status, _) = ann.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "already picked up");

    let trace = desk.trace(enquiry_id).await;
    assert_eq!(
        trace["decisions"][0]["outcome"],
        json!({"outcome": "missed", "reason": "no_agent_available"})
    );
    // Exactly one away message, even after more routing runs.
    let received = fb.received(&psid).await.unwrap();
    let aways = received
        .iter()
        .filter(|m| m.text.as_deref() == Some("We are away; we will write back soon."))
        .count();
    assert_eq!(aways, 1);
}

async fn a_returning_visitor_is_offered_to_the_agent_who_served_them_before(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let team = desk.destination(60, "longest_idle", &[&ann, &bob]).await;
    desk.set_routing(json!({"rule": "alternative", "sticky": true,
        "destinations": [{"id": team}]}))
        .await;
    let psid = desk.visitor_writes("Vera").await;
    // Ann became available first: she has been idle longest.
    let first = offer_for(&ann).await;
    assert!(
        open_offers(&bob).await.is_empty(),
        "longest idle offers one agent"
    );
    let server = &ann;
    let (status, body) = accept(server, &first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let enquiry_id = first["enquiry_id"].as_str().unwrap();
    let (status, body) = server
        .post(&format!("/api/v1/enquiries/{enquiry_id}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    desk.app
        .fb()
        .send_text(&psid, "Me again")
        .await
        .expect("visitor writes again");
    let again = offer_for(server).await;
    assert_ne!(again["enquiry_id"], first["enquiry_id"], "a new enquiry");
    assert_eq!(again["via_sticky"], true);
    let trace = desk.trace(again["enquiry_id"].as_str().unwrap()).await;
    assert!(has_step(
        &trace,
        json!({"step": "sticky_agent", "staff_id": server.staff_id.as_deref().unwrap(),
               "result": "offered"})
    ));
}

async fn percentage_routing_splits_enquiries_in_proportion(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let seventy_five = desk.destination(300, "ring_all", &[&ann]).await;
    let twenty_five = desk.destination(300, "ring_all", &[&bob]).await;
    desk.set_routing(json!({"rule": "percentage", "destinations": [
        {"id": seventy_five, "percentage": 75}, {"id": twenty_five, "percentage": 25}]}))
        .await;
    for i in 0..4 {
        desk.visitor_writes(&format!("Visitor {i}")).await;
    }
    let (anns, bobs) = eventually("four offers", || async {
        let (a, b) = (open_offers(&ann).await.len(), open_offers(&bob).await.len());
        (a + b == 4).then_some((a, b))
    })
    .await;
    assert_eq!((anns, bobs), (3, 1));
}

async fn time_routing_skips_a_destination_outside_its_hours(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let day = desk.destination(300, "ring_all", &[&ann]).await;
    let always = desk.destination(300, "ring_all", &[&bob]).await;
    // An hour that is certainly not now (UTC), every day.
    let hour = (jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .hour()
        + 3)
        % 22;
    let closed_now = format!("{hour:02}:00-{:02}:00", hour + 1);
    let every_day = |range: &str| {
        json!({"weekly": {"monday": [range], "tuesday": [range], "wednesday": [range],
            "thursday": [range], "friday": [range], "saturday": [range], "sunday": [range]}})
    };
    desk.set_routing(json!({"rule": "time", "time_zone": "UTC", "destinations": [
        {"id": day, "schedule": every_day(&closed_now)},
        {"id": always, "schedule": every_day("00:00-24:00")}]}))
        .await;
    desk.visitor_writes("Vera").await;
    let offer = offer_for(&bob).await;
    assert!(open_offers(&ann).await.is_empty());
    let trace = desk.trace(offer["enquiry_id"].as_str().unwrap()).await;
    assert!(has_step(
        &trace,
        json!({"step": "destination", "destination": day, "result": "outside_hours"})
    ));

    let (status, preview) = desk
        .admin
        .get(&format!(
            "/api/v1/channels/{}/routing/preview?start=2026-03-23&time_zone=Europe/Berlin",
            desk.page.channel_id
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["time_zone"], "Europe/Berlin");
    let open = preview["destinations"][0]["open"].as_array().unwrap();
    assert_eq!(open.len(), 7, "one opening a day: {preview}");
    let (status, bad) = desk
        .admin
        .get(&format!(
            "/api/v1/channels/{}/routing/preview?time_zone=Mars/Olympus",
            desk.page.channel_id
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["field"], "time_zone");
}

async fn the_simulator_answers_what_would_happen_without_changing_anything(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let first = desk.destination(30, "ring_all", &[&ann]).await;
    let second = desk.destination(30, "ring_all", &[&bob]).await;
    desk.route_alternative(&[&first, &second]).await;
    let path = format!("/api/v1/channels/{}/routing/simulate", desk.page.channel_id);

    let (status, body) = desk.admin.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"]["destination"], first.as_str());

    let ann_id = ann.staff_id.clone().unwrap();
    let (status, body) = desk
        .admin
        .post(
            &path,
            json!({"at": "2026-03-02T10:00:00Z", "presence": {ann_id.clone(): "offline"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"]["outcome"], "offer");
    assert_eq!(body["outcome"]["destination"], second.as_str());
    assert!(has_step(
        &json!({"decisions": [{"steps": body["steps"]}]}),
        json!({"step": "agent", "staff_id": ann_id, "result": "unavailable"})
    ));
    assert!(open_offers(&bob).await.is_empty(), "nothing was offered");

    let (status, body) = desk
        .admin
        .post(&path, json!({"presence": {ann_id: "dozing"}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = ann.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
}

async fn only_admins_read_routing_traces(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let team = desk.destination(30, "ring_all", &[&ann]).await;
    desk.route_alternative(&[&team]).await;
    desk.visitor_writes("Vera").await;
    let offer = offer_for(&ann).await;
    let path = format!(
        "/api/v1/enquiries/{}/routing-trace",
        offer["enquiry_id"].as_str().unwrap()
    );
    let (status, _) = ann.get(&path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = desk
        .admin
        .get("/api/v1/enquiries/00000000-0000-0000-0000-000000000000/routing-trace")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = desk.app.new_account("Other").await;
    let (status, _) = other.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another account's enquiry");
}

async fn an_agent_away_past_the_grace_period_has_their_enquiry_routed_to_someone_else(
    backend: Backend,
) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let (status, body) = desk
        .admin
        .patch("/api/v1/routing/settings", json!({"away_grace_secs": 2}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["away_grace_secs"], 2);
    let (status, body) = ann
        .patch("/api/v1/routing/settings", json!({"away_grace_secs": 0}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only: {body}");
    let (status, body) = desk
        .admin
        .patch(
            "/api/v1/routing/settings",
            json!({"away_grace_secs": 86_401}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "away_grace_secs");

    let first = desk.destination(300, "ring_all", &[&ann]).await;
    let second = desk.destination(300, "ring_all", &[&bob]).await;
    desk.route_alternative(&[&first, &second]).await;
    desk.visitor_writes("Vera").await;
    let offer = offer_for(&ann).await;
    let (status, body) = accept(&ann, &offer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let enquiry_id = offer["enquiry_id"].as_str().unwrap();
    set_availability(&ann, "away").await;
    let went_away = Instant::now();
    // Still Ann's during the grace period.
    let (_, trace) = desk
        .admin
        .get(&format!("/api/v1/enquiries/{enquiry_id}/routing-trace"))
        .await;
    assert_eq!(trace["decisions"].as_array().unwrap().len(), 1, "{trace}");

    let bobs = offer_for(&bob).await;
    assert!(went_away.elapsed() >= Duration::from_millis(1500));
    assert_eq!(bobs["enquiry_id"], enquiry_id);
    let trace = desk.trace(enquiry_id).await;
    assert_eq!(trace["decisions"][1]["trigger"], "away_grace_ended");
    let events = events_for(&desk.app, &bob).await;
    let unassigned = events
        .iter()
        .find(|(k, _)| k == "enquiry.unassigned")
        .expect("enquiry.unassigned");
    assert_eq!(unassigned.1["staff_id"], ann.staff_id.as_deref().unwrap());
    assert_eq!(unassigned.1["enquiry_id"], enquiry_id);
    assert!(has_step(
        &trace,
        json!({"step": "agent", "staff_id": ann.staff_id.as_deref().unwrap(),
               "result": "unavailable"})
    ));
}

async fn a_transfer_to_another_destination_is_offered_there_and_not_back_to_the_sender(
    backend: Backend,
) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let bob = desk.agent().await;
    let cleo = desk.agent().await;
    let first = desk.destination(300, "ring_all", &[&ann]).await;
    // Ann is also in the team she transfers to: she is not offered it back.
    let experts = desk.destination(300, "ring_all", &[&ann, &bob]).await;
    let _others = desk.destination(300, "ring_all", &[&cleo]).await;
    desk.route_alternative(&[&first]).await;
    desk.visitor_writes("Vera").await;
    let offer = offer_for(&ann).await;
    let (status, body) = accept(&ann, &offer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let enquiry_id = offer["enquiry_id"].as_str().unwrap();
    let (status, body) = ann
        .post(
            &format!("/api/v1/enquiries/{enquiry_id}/transfer"),
            json!({"destination_id": experts}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let bobs = offer_for(&bob).await;
    assert_eq!(bobs["enquiry_id"], enquiry_id);
    assert_eq!(bobs["destination_id"], experts.as_str());
    assert!(
        open_offers(&ann).await.is_empty(),
        "not offered back to Ann"
    );
    assert!(open_offers(&cleo).await.is_empty(), "only the chosen team");
    let trace = desk.trace(enquiry_id).await;
    assert_eq!(trace["decisions"][1]["trigger"], "transfer");
    assert!(has_step(
        &trace,
        json!({"step": "agent", "staff_id": ann.staff_id.as_deref().unwrap(),
               "result": "declined"})
    ));
}

async fn closing_an_enquiry_lets_the_next_waiting_visitor_in(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    let team = desk.destination(300, "ring_all", &[&ann]).await;
    desk.route_alternative(&[&team]).await;
    desk.app
        .state
        .store
        .update_account(
            desk.admin.account_id.as_deref().unwrap(),
            store::AccountUpdate {
                max_concurrent_visitors: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    desk.visitor_writes("Vera").await;
    let first = offer_for(&ann).await;
    let (status, body) = accept(&ann, &first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    desk.visitor_writes("Walt").await;
    // Walt waits in line: the account serves one visitor at a time.
    let waiting = eventually("Walt's queued enquiry", || async {
        let (_, body) = desk.admin.get("/api/v1/enquiries?status=queued").await;
        body["items"].as_array()?.first().cloned()
    })
    .await;
    assert!(open_offers(&ann).await.is_empty());

    let first_id = first["enquiry_id"].as_str().unwrap();
    let (status, body) = ann
        .post(&format!("/api/v1/enquiries/{first_id}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let next = offer_for(&ann).await;
    assert_eq!(next["enquiry_id"], waiting["id"]);
}

async fn a_missed_enquiry_is_offered_when_an_agent_becomes_available(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent().await;
    set_availability(&ann, "offline").await;
    let team = desk.destination(300, "ring_all", &[&ann]).await;
    desk.route_alternative(&[&team]).await;
    let psid = desk.visitor_writes("Vera").await;
    let missed = eventually("the missed enquiry", || async {
        let (_, body) = ann.get("/api/v1/enquiries/missed").await;
        body["items"].as_array()?.first().cloned()
    })
    .await;

    set_availability(&ann, "available").await;
    let offer = offer_for(&ann).await;
    assert_eq!(offer["enquiry_id"], missed["enquiry_id"]);
    let (_, list) = ann.get("/api/v1/enquiries/missed").await;
    assert_eq!(list["items"], json!([]), "no longer missed once offered");
    let trace = desk.trace(offer["enquiry_id"].as_str().unwrap()).await;
    assert_eq!(trace["decisions"][1]["trigger"], "missed_retry");
    let (status, body) = accept(&ann, &offer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The visitor was told once that nobody was there, and not again.
    let fb = desk.app.fb();
    let away = domain::messages::MessageSettings::default().away_message;
    let count = eventually("the away message", || async {
        let received = fb.received(&psid).await.ok()?;
        let count = received
            .iter()
            .filter(|m| m.text.as_deref() == Some(away.as_str()))
            .count();
        (count > 0).then_some(count)
    })
    .await;
    assert_eq!(count, 1);
}
