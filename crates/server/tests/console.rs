//! What the consoles read beside single resources: the team directory, the
//! supervision figures, chat-list items and offer cards with what they show,
//! the enquiry list's filters, and a long chat opened at its end. Every case
//! runs on both backends.

mod common;

use common::flows::{accept, eventually, first_offer, set_availability, Desk};
use common::{assert_error, Backend};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A desk with one available agent in a ring-all destination; returns the
/// agent and the destination id.
async fn staffed(desk: &Desk) -> (common::Client, String) {
    let agent = desk.admin.staff_client("agent").await;
    set_availability(&agent, "available").await;
    let destination = desk.destination(300, "ring_all", &[&agent]).await;
    desk.route_alternative(&[&destination]).await;
    (agent, destination)
}

async fn the_team_shows_everyone_with_availability_load_and_teams(backend: Backend) {
    let desk = Desk::new(backend).await;
    let (agent, destination) = staffed(&desk).await;
    let agent_id = agent.staff_id.clone().unwrap();
    let psid = desk.app.visitor(&desk.page.page_id, "Tess Team").await;
    desk.app.fb().send_text(&psid, "hello").await.unwrap();
    let offer = first_offer(&agent).await;
    assert_eq!(accept(&agent, &offer).await.0, StatusCode::OK);

    // Agents read it too (their transfer picker).
    let (status, team) = agent.get("/api/v1/team").await;
    assert_eq!(status, StatusCode::OK, "{team}");
    let items = team["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{team}");
    let me = items.iter().find(|m| m["id"] == agent_id.as_str()).unwrap();
    assert_eq!(me["availability"], "available");
    assert_eq!(me["role"], "agent");
    assert_eq!(me["active_count"], 1);
    assert_eq!(me["capacity"], 5);
    assert_eq!(me["destination_ids"], json!([destination]));
    assert!(me["display_name"].is_string() && me["first_name"].is_string());
    assert!(me.get("email").is_none(), "colleagues see no e-mail: {me}");
    let admin = items.iter().find(|m| m["id"] != agent_id.as_str()).unwrap();
    assert_eq!(admin["active_count"], 0);
    assert_eq!(admin["destination_ids"], json!([]));
}

async fn supervision_shows_the_queue_offers_in_flight_and_missed_today(backend: Backend) {
    let desk = Desk::new(backend).await;
    let (agent, destination) = staffed(&desk).await;
    let psid = desk.app.visitor(&desk.page.page_id, "Quinn Queue").await;
    desk.app.fb().send_text(&psid, "anyone?").await.unwrap();
    let offer = first_offer(&agent).await;

    // (The visitor's name comes with their profile, fetched meanwhile.)
    let board = eventually("the visitor's name on the board", || async {
        let (status, board) = desk.admin.get("/api/v1/supervision").await;
        assert_eq!(status, StatusCode::OK, "{board}");
        board["waiting"][0]["visitor_name"]
            .as_str()?
            .starts_with("Quinn Queue")
            .then_some(board)
    })
    .await;
    let waiting = &board["waiting"][0];
    assert_eq!(waiting["enquiry_id"], offer["enquiry_id"]);
    assert_eq!(waiting["status"], "offered");
    assert_eq!(waiting["channel_name"], "Acme Support");
    assert_eq!(waiting["destination_id"], destination.as_str());
    assert_eq!(waiting["open_offers"], 1);
    assert!(waiting["waiting_secs"].as_i64().unwrap() >= 0);
    assert_eq!(board["offers"][0]["offer_id"], offer["id"]);
    assert_eq!(
        board["offers"][0]["staff_id"],
        agent.staff_id.clone().unwrap().as_str()
    );
    assert_eq!(board["missed_today"], 0);
    assert_eq!(board["time_zone"], "UTC");

    // Nobody there: the next one is missed today, in any time zone's today.
    set_availability(&agent, "offline").await;
    let other = desk.app.visitor(&desk.page.page_id, "Mia Missed").await;
    desk.app.fb().send_text(&other, "hello?").await.unwrap();
    eventually("a missed enquiry", || async {
        let board = desk.admin.get("/api/v1/supervision").await.1;
        (board["missed_today"].as_i64() >= Some(1)).then_some(())
    })
    .await;
    let (status, board) = desk
        .admin
        .get("/api/v1/supervision?time_zone=Pacific/Kiritimati")
        .await;
    assert_eq!(status, StatusCode::OK, "{board}");
    assert_eq!(board["time_zone"], "Pacific/Kiritimati");
    let bad = desk
        .admin
        .get("/api/v1/supervision?time_zone=Mars/Base")
        .await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("time_zone"),
    );
    // Admins only.
    let (status, _) = agent.get("/api/v1/supervision").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn chat_list_items_and_offer_cards_carry_what_they_show(backend: Backend) {
    let desk = Desk::new(backend).await;
    let (agent, _) = staffed(&desk).await;
    let psid = desk.app.visitor(&desk.page.page_id, "Olga Offer").await;
    desk.app
        .fb()
        .send_text(&psid, "Do you ship to Oslo?")
        .await
        .unwrap();
    first_offer(&agent).await;
    let offer = eventually("the offer card with the visitor's name", || async {
        let (_, offers) = agent.get("/api/v1/offers").await;
        let offer = offers["items"][0].clone();
        offer["visitor_name"]
            .as_str()?
            .starts_with("Olga Offer")
            .then_some(offer)
    })
    .await;
    assert_eq!(offer["channel_name"], "Acme Support");
    assert_eq!(offer["first_message_text"], "Do you ship to Oslo?");
    assert!(offer["visitor_picture_url"].is_string() || offer["visitor_picture_url"].is_null());
    assert!(offer["visitor_id"].is_string() && offer["channel_id"].is_string());
    let (status, accepted) = accept(&agent, &offer).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["offer"]["visitor_name"], offer["visitor_name"]);

    let enquiry = offer["enquiry_id"].as_str().unwrap();
    let (status, reply) = agent
        .post(
            &format!("/api/v1/enquiries/{enquiry}/messages"),
            json!({"text": "We do"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let (status, mine) = agent.get("/api/v1/me/enquiries").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let item = &mine["items"][0];
    assert_eq!(item["visitor_name"], offer["visitor_name"]);
    assert_eq!(item["channel_name"], "Acme Support");
    assert_eq!(item["last_message"]["id"], reply["id"]);
    assert_eq!(item["last_message"]["direction"], "outbound");
    assert!(item["last_message"]["text"]
        .as_str()
        .unwrap()
        .ends_with("We do"));
    assert_eq!(item["human_agent_tag"], false);
    assert!(item["window_ends_at"].is_string());
    let (_, detail) = agent.get(&format!("/api/v1/enquiries/{enquiry}")).await;
    assert_eq!(detail["human_agent_tag"], false);
    assert_eq!(detail["human_agent_window_ends_at"], Value::Null);
}

async fn enquiries_filter_by_destination_dates_and_visitor_name(backend: Backend) {
    let desk = Desk::new(backend).await;
    let (agent, destination) = staffed(&desk).await;
    for name in ["Ann Apple", "Bob Berry", "Cat 100%_Real"] {
        let psid = desk.app.visitor(&desk.page.page_id, name).await;
        desk.app.fb().send_text(&psid, "hi").await.unwrap();
    }
    let all = eventually("three routed enquiries", || async {
        let body = desk
            .admin
            .get(&format!("/api/v1/enquiries?destination_id={destination}"))
            .await
            .1;
        (body["items"].as_array()?.len() == 3).then_some(body)
    })
    .await;
    let count = |body: &Value| body["items"].as_array().unwrap().len();
    let get = |query: String| {
        let admin = &desk.admin;
        async move {
            let (status, body) = admin.get(&format!("/api/v1/enquiries?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            body
        }
    };
    eventually("the visitors' names", || async {
        let body = desk.admin.get("/api/v1/enquiries?q=APPLE").await.1;
        (body["items"].as_array()?.len() == 1).then_some(())
    })
    .await;
    eventually("every visitor's name", || async {
        let cat = desk.admin.get("/api/v1/enquiries?q=%25").await.1;
        let bob = desk.admin.get("/api/v1/enquiries?q=berr").await.1;
        (cat["items"].as_array()?.len() == 1 && bob["items"].as_array()?.len() == 1).then_some(())
    })
    .await;
    assert_eq!(count(&get("q=APPLE".into()).await), 1, "case-insensitive");
    assert_eq!(count(&get("q=berr".into()).await), 1);
    assert_eq!(
        count(&get("q=100%25_".into()).await),
        1,
        "% and _ are literal"
    );
    assert_eq!(count(&get("q=%25".into()).await), 1);
    assert_eq!(count(&get("q=zed".into()).await), 0);
    assert_eq!(
        count(&get("destination_id=nothing-like-it".into()).await),
        0
    );
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    assert_eq!(count(&get(format!("from={today}&to={today}")).await), 3);
    assert_eq!(
        count(&get(format!("to={}", today.yesterday().unwrap())).await),
        0
    );
    let opened = all["items"][0]["opened_at"].as_str().unwrap().to_owned();
    assert!(count(&get(format!("from={}", opened.replace('+', "%2B"))).await) >= 1);
    let bad = desk.admin.get("/api/v1/enquiries?from=yesterday").await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("from"),
    );
    // An agent lists a visitor's earlier enquiries.
    let visitor = all["items"][0]["visitor_id"].as_str().unwrap();
    let (status, theirs) = agent
        .get(&format!("/api/v1/enquiries?visitor_id={visitor}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(count(&theirs), 1);
}

async fn a_long_chat_opens_at_its_newest_messages_and_pages_back(backend: Backend) {
    let desk = Desk::new(backend).await;
    let (agent, _) = staffed(&desk).await;
    let psid = desk.app.visitor(&desk.page.page_id, "Lena Long").await;
    desk.app.fb().send_text(&psid, "message 0").await.unwrap();
    let offer = first_offer(&agent).await;
    assert_eq!(accept(&agent, &offer).await.0, StatusCode::OK);
    let enquiry = offer["enquiry_id"].as_str().unwrap().to_owned();
    for i in 1..=24 {
        let (status, _) = agent
            .post(
                &format!("/api/v1/enquiries/{enquiry}/messages"),
                json!({"text": format!("message {i}")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let path = format!("/api/v1/enquiries/{enquiry}/messages");
    let (status, oldest_first) = agent.get(&format!("{path}?limit=200")).await;
    assert_eq!(status, StatusCode::OK, "{oldest_first}");
    let forward: Vec<String> = oldest_first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(forward.len() >= 25, "{}", forward.len());

    let mut backward = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("{path}?order=desc&limit=10&cursor={c}"),
            None => format!("{path}?order=desc&limit=10"),
        };
        let (status, page) = agent.get(&query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        backward.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    backward.reverse();
    assert_eq!(backward, forward, "newest first, every message once");
    let bad = agent.get(&format!("{path}?order=sideways")).await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("order"),
    );
}

on_both_backends!(
    the_team_shows_everyone_with_availability_load_and_teams,
    supervision_shows_the_queue_offers_in_flight_and_missed_today,
    chat_list_items_and_offer_cards_carry_what_they_show,
    enquiries_filter_by_destination_dates_and_visitor_name,
    a_long_chat_opens_at_its_newest_messages_and_pages_back,
);
