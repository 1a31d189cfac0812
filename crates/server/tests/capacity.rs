//! Capacity end to end on both backends: the account's concurrent-visitor
//! limit at its default of 200 (the 201st visitor waits in line, nothing is
//! dropped, a close lets them in), and an agent's own capacity and the
//! offer deadline when accepting.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::flows::{accept, eventually, eventually_within, open_offers, set_availability, Desk};
use common::{Backend, Client};
use futures::stream::{self, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    the_201st_concurrent_visitor_waits_in_line_and_is_let_in_when_an_enquiry_closes,
    an_agent_at_capacity_is_told_so_and_may_accept_after_closing_one,
    two_accepts_at_once_by_an_agent_with_capacity_one_let_exactly_one_through,
    accepting_an_offer_after_its_deadline_says_it_timed_out,
);

/// The account limit a new account starts with.
const DEFAULT_LIMIT: usize = 200;

impl Desk {
    /// A new available agent with `capacity`.
    async fn agent(&self, capacity: u32) -> Client {
        let agent = self.admin.staff_client("agent").await;
        let id = agent.staff_id.clone().unwrap();
        let (status, body) = self
            .admin
            .patch(
                &format!("/api/v1/staff/{id}"),
                json!({ "capacity": capacity }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        set_availability(&agent, "available").await;
        agent
    }

    /// Routes the Page to one ring-all destination of `members`.
    async fn ring_all(&self, timeout_secs: u32, members: &[&Client]) {
        let team = self.destination(timeout_secs, "ring_all", members).await;
        self.route_alternative(&[&team]).await;
    }

    /// A new visitor of the Page writes `text`.
    async fn visitor_writes(&self, name: &str, text: &str) {
        let psid = self.app.visitor(&self.page.page_id, name).await;
        self.app
            .fb()
            .send_text(&psid, text)
            .await
            .expect("the visitor's message is sent");
    }

    /// Every enquiry of the account, through the paginated list.
    async fn all_enquiries(&self) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/enquiries?limit=200&cursor={c}"),
                None => "/api/v1/enquiries?limit=200".to_owned(),
            };
            let (status, body) = self.admin.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            all.extend(body["items"].as_array().unwrap().iter().cloned());
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return all,
            }
        }
    }

    /// Waits until the account has `n` enquiries; returns them.
    async fn wait_for_enquiries(&self, n: usize) -> Vec<Value> {
        eventually_within(
            &format!("{n} enquiries"),
            Duration::from_secs(30),
            || async {
                let all = self.all_enquiries().await;
                (all.len() >= n).then_some(all)
            },
        )
        .await
    }

    /// The texts visitors wrote in `enquiry_id`.
    async fn visitor_texts(&self, enquiry_id: &str) -> Vec<String> {
        let (status, body) = self
            .admin
            .get(&format!(
                "/api/v1/enquiries/{enquiry_id}/messages?limit=200"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["author"] == "visitor")
            .filter_map(|m| m["text"].as_str().map(str::to_owned))
            .collect()
    }
}

fn status_of(enquiry: &Value) -> &str {
    enquiry["status"].as_str().unwrap()
}

fn is_open(enquiry: &Value) -> bool {
    matches!(
        status_of(enquiry),
        "routing" | "offered" | "active" | "missed"
    )
}

/// Waits until `client` has `n` open offers; returns them, oldest first.
async fn offers_for(client: &Client, n: usize) -> Vec<Value> {
    eventually(&format!("{n} offers"), || async {
        let offers = open_offers(client).await;
        (offers.len() >= n).then_some(offers)
    })
    .await
}

async fn the_201st_concurrent_visitor_waits_in_line_and_is_let_in_when_an_enquiry_closes(
    backend: Backend,
) {
    let started = Instant::now();
    let desk = Desk::new(backend).await;
    let (_, settings) = desk.admin.get("/api/v1/routing/settings").await;
    assert_eq!(settings["max_concurrent_visitors"], DEFAULT_LIMIT);
    // One agent is rung for every enquiry, so none is missed (and no away
    // message is sent); the limit counts offered enquiries all the same.
    let ann = desk.agent(5).await;
    desk.ring_all(600, &[&ann]).await;

    // 200 visitors write at once, 16 at a time.
    let text = |n: usize| format!("Hello, I am visitor {n}");
    stream::iter(1..=DEFAULT_LIMIT)
        .map(|n| {
            let desk = &desk;
            async move { desk.visitor_writes(&format!("Visitor {n}"), &text(n)).await }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let first_200 = desk.wait_for_enquiries(DEFAULT_LIMIT).await;
    let first_ids: BTreeSet<String> = first_200
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();

    // The 201st.
    desk.visitor_writes("Visitor 201", &text(201)).await;
    let all = desk.wait_for_enquiries(DEFAULT_LIMIT + 1).await;
    assert_eq!(all.len(), DEFAULT_LIMIT + 1, "one enquiry per visitor");
    let last = all
        .iter()
        .find(|e| !first_ids.contains(e["id"].as_str().unwrap()))
        .expect("the 201st visitor's enquiry")
        .clone();
    let last_id = last["id"].as_str().unwrap().to_owned();
    // Everyone who came first is let in; and the limit holds: a promotion
    // run now (as the routing job makes) lets nobody else in.
    eventually_within(
        "the first 200 to be let in",
        Duration::from_secs(30),
        || async {
            let all = desk.all_enquiries().await;
            (all.iter().filter(|e| is_open(e)).count() == DEFAULT_LIMIT).then_some(())
        },
    )
    .await;
    let promoted = desk
        .app
        .state
        .store
        .promote_queued(jiff::Timestamp::now())
        .await
        .unwrap();
    assert!(
        promoted.is_empty(),
        "promoted beyond the limit: {promoted:?}"
    );
    let all = desk.all_enquiries().await;
    let queued: Vec<&str> = all
        .iter()
        .filter(|e| status_of(e) == "queued")
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(queued, [last_id.as_str()], "the last to arrive waits");
    assert_eq!(all.iter().filter(|e| is_open(e)).count(), DEFAULT_LIMIT);

    // Nothing was dropped: every visitor's message is stored, in their
    // own enquiry, the waiting one's included.
    let texts: Vec<Vec<String>> = stream::iter(all.iter())
        .map(|e| desk.visitor_texts(e["id"].as_str().unwrap()))
        .buffer_unordered(16)
        .collect()
        .await;
    let stored: BTreeSet<String> = texts.iter().flatten().cloned().collect();
    let sent: BTreeSet<String> = (1..=DEFAULT_LIMIT + 1).map(text).collect();
    assert_eq!(texts.iter().map(Vec::len).sum::<usize>(), DEFAULT_LIMIT + 1);
    assert_eq!(stored, sent);
    assert_eq!(desk.visitor_texts(&last_id).await, [text(201)]);

    // An admin closes the first visitor's enquiry: the waiting one opens.
    let first = all
        .iter()
        .filter(|e| is_open(e))
        .min_by_key(|e| e["opened_at"].as_str().unwrap().to_owned())
        .unwrap();
    let (status, body) = desk
        .admin
        .post(
            &format!("/api/v1/enquiries/{}/close", first["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let opened = eventually("the waiting visitor to be let in", || async {
        let (_, body) = desk
            .admin
            .get(&format!("/api/v1/enquiries/{last_id}"))
            .await;
        (body["status"] == "offered").then_some(body)
    })
    .await;
    assert_eq!(opened["id"], last_id.as_str());
    let all = desk.all_enquiries().await;
    assert_eq!(all.iter().filter(|e| is_open(e)).count(), DEFAULT_LIMIT);
    assert!(all.iter().all(|e| status_of(e) != "queued"));
    eprintln!(
        "the 201st visitor ({backend:?}) took {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

async fn an_agent_at_capacity_is_told_so_and_may_accept_after_closing_one(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent(1).await;
    desk.ring_all(600, &[&ann]).await;
    // Two visitors write while Ann is free: ring all offers her both.
    desk.visitor_writes("Vera", "Hello").await;
    desk.visitor_writes("Walt", "Hi").await;
    let offers = offers_for(&ann, 2).await;
    let (status, body) = accept(&ann, &offers[0]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let refused = accept(&ann, &offers[1]).await;
    common::assert_error(&refused, StatusCode::CONFLICT, "conflict", None);
    assert_eq!(
        refused.1["error"]["message"],
        "you are serving 1 enquiry, your capacity is 1"
    );
    // The offer is still hers until its deadline.
    let still = open_offers(&ann).await;
    assert_eq!(still.len(), 1);
    assert_eq!(still[0]["id"], offers[1]["id"]);

    let first = offers[0]["enquiry_id"].as_str().unwrap();
    let (status, body) = ann
        .post(&format!("/api/v1/enquiries/{first}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = accept(&ann, &offers[1]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enquiry"]["status"], "active");
    assert_eq!(
        body["enquiry"]["staff_id"],
        ann.staff_id.as_deref().unwrap()
    );
}

async fn two_accepts_at_once_by_an_agent_with_capacity_one_let_exactly_one_through(
    backend: Backend,
) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent(1).await;
    desk.ring_all(600, &[&ann]).await;
    desk.visitor_writes("Vera", "Hello").await;
    desk.visitor_writes("Walt", "Hi").await;
    let offers = offers_for(&ann, 2).await;

    let (a, b) = tokio::join!(accept(&ann, &offers[0]), accept(&ann, &offers[1]));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    let refused = if a.0 == StatusCode::CONFLICT { a } else { b };
    assert_eq!(
        refused.1["error"]["message"],
        "you are serving 1 enquiry, your capacity is 1"
    );
    let (_, mine) = desk
        .admin
        .get(&format!(
            "/api/v1/enquiries?status=active&staff_id={}",
            ann.staff_id.as_deref().unwrap()
        ))
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
}

async fn accepting_an_offer_after_its_deadline_says_it_timed_out(backend: Backend) {
    let desk = Desk::new(backend).await;
    let ann = desk.agent(5).await;
    // The shortest offer timeout there is.
    desk.ring_all(5, &[&ann]).await;
    desk.visitor_writes("Vera", "Hello").await;
    let offer = offers_for(&ann, 1).await.remove(0);
    eventually("the offer to time out", || async {
        open_offers(&ann).await.is_empty().then_some(())
    })
    .await;
    let refused = accept(&ann, &offer).await;
    common::assert_error(&refused, StatusCode::CONFLICT, "conflict", None);
    assert_eq!(refused.1["error"]["message"], "this offer timed out");
}
