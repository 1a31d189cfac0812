//! Inbound: webhook ingest, visitors, enquiries and messages, over real HTTP
//! with the Facebook emulator (or signed deliveries posted directly where a
//! test needs exact control of batching, duplicates and order).

mod common;

use common::flows::eventually;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header;
use axum::response::IntoResponse;
use common::{Backend, Client, ConnectedPage, TestApp, APP_SECRET, VERIFY_TOKEN};
use reqwest::StatusCode;
use serde_json::{json, Value};

// ---- helpers

async fn enquiries(client: &Client, query: &str) -> Vec<Value> {
    let (status, body) = client.get(&format!("/api/v1/enquiries?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

/// The open (or latest) enquiry of the visitor with this PSID, once it exists.
async fn enquiry_of(client: &Client, psid: &str) -> Value {
    eventually(&format!("an enquiry of {psid}"), || async {
        for e in enquiries(client, "limit=200").await {
            let (_, detail) = client
                .get(&format!("/api/v1/enquiries/{}", e["id"].as_str()?))
                .await;
            if detail["visitor"]["psid"] == psid {
                return Some(detail);
            }
        }
        None
    })
    .await
}

/// Every message of an enquiry, following the pages.
async fn messages(client: &Client, enquiry_id: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/enquiries/{enquiry_id}/messages?limit=3");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, body) = client.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        all.extend(body["items"].as_array().cloned().unwrap_or_default());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
}

/// Waits until the enquiry's messages satisfy `ready`, and returns them.
async fn messages_when(
    client: &Client,
    enquiry_id: &str,
    what: &str,
    ready: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let all = messages(client, enquiry_id).await;
        if ready(&all) {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; messages: {:#}",
            Value::Array(all)
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

fn by_author<'a>(all: &'a [Value], author: &str) -> Vec<&'a Value> {
    all.iter().filter(|m| m["author"] == author).collect()
}

/// The welcome messages among `all` (the away message is `system` too).
fn welcomes(all: &[Value]) -> Vec<&Value> {
    all.iter()
        .filter(|m| {
            m["author"] == "system" && m["text"] == domain::messages::DEFAULT_WELCOME_MESSAGE
        })
        .collect()
}

fn texts(all: &[Value], author: &str) -> Vec<String> {
    by_author(all, author)
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn setup(backend: Backend) -> (TestApp, Client, ConnectedPage) {
    let app = TestApp::spawn_with_emulator(backend).await;
    let admin = app.new_account("Inbound").await;
    let page = app.connect_page(&admin, "Acme Support").await;
    (app, admin, page)
}

/// One `messaging[]` item from `psid` to the Page.
fn item(page: &str, psid: &str, ts: i64, event: Value) -> Value {
    let mut item = json!({"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": ts});
    for (k, v) in event.as_object().expect("an event object") {
        item[k] = v.clone();
    }
    item
}

fn body(entries: Vec<(String, Vec<Value>)>) -> Vec<u8> {
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|(page, items)| json!({"id": page, "time": now_ms(), "messaging": items}))
        .collect();
    json!({"object": "page", "entry": entries})
        .to_string()
        .into_bytes()
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// POSTs a delivery signed like Facebook does.
async fn deliver(app: &TestApp, body: &[u8]) -> StatusCode {
    let signature = messenger::signature::sign_sha256(APP_SECRET.as_bytes(), body);
    reqwest::Client::new()
        .post(app.url("/webhooks/facebook"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_vec())
        .send()
        .await
        .expect("webhook reaches the server")
        .status()
}

/// A file server standing in for Meta's CDN: `/photo.png`, `/flaky.jpg`
/// (fails once, then works), `/huge.bin` (over 25 MB, no length given).
async fn cdn() -> String {
    let flaky = Arc::new(AtomicUsize::new(0));
    let router = axum::Router::new()
        .route(
            "/photo.png",
            axum::routing::get(|| async {
                ([(header::CONTENT_TYPE, "image/png")], PNG.to_vec()).into_response()
            }),
        )
        .route(
            "/flaky.jpg",
            axum::routing::get(move || {
                let flaky = flaky.clone();
                async move {
                    if flaky.fetch_add(1, Ordering::SeqCst) == 0 {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
                    } else {
                        (
                            [(header::CONTENT_TYPE, "image/jpeg")],
                            b"jpeg bytes".to_vec(),
                        )
                            .into_response()
                    }
                }
            }),
        )
        .route(
            "/huge.bin",
            axum::routing::get(|| async {
                let chunk = bytes::Bytes::from(vec![0u8; 1024 * 1024]);
                let stream = futures::stream::iter(
                    (0..26).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                (
                    [(header::CONTENT_TYPE, "application/octet-stream")],
                    Body::from_stream(stream),
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\xffnot really an image";

// ---- the handshake and the ingest edge

async fn the_handshake_echoes_the_challenge_only_for_the_verify_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let http = reqwest::Client::new();
    let ok = http
        .get(app.url(&format!(
            "/webhooks/facebook?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=12345"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "12345");
    let wrong = http
        .get(app.url(
            "/webhooks/facebook?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=12345",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
}

async fn an_invalid_signature_is_refused_and_nothing_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let body = body(vec![("1".into(), vec![])]);
    let http = reqwest::Client::new();
    let forged = messenger::signature::sign_sha256(b"not the app secret", &body);
    for signature in [Some(forged.as_str()), None, Some("sha256=zz")] {
        let mut request = http.post(app.url("/webhooks/facebook")).body(body.clone());
        if let Some(s) = signature {
            request = request.header("x-hub-signature-256", s);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{signature:?}");
    }
    assert!(app.state.store.list_inbox().await.unwrap().is_empty());
}

async fn an_oversized_body_is_refused_with_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let huge = vec![b' '; server::webhooks::MAX_WEBHOOK_BYTES + 1];
    assert_eq!(deliver(&app, &huge).await, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.state.store.list_inbox().await.unwrap().is_empty());
}

async fn a_malformed_signed_body_is_kept_for_inspection(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(
        deliver(&app, b"{\"object\": \"page\", \"entr").await,
        StatusCode::OK
    );
    let row = eventually("the delivery to be marked failed", || async {
        let rows = app.state.store.list_inbox().await.unwrap();
        rows.into_iter().find(|r| r.status == "failed")
    })
    .await;
    assert!(row.last_error.unwrap().contains("not JSON"));
}

// ---- visitors, enquiries, the welcome message

async fn a_first_message_opens_an_enquiry_welcomes_once_and_fetches_the_profile(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let psid = app.visitor(&page.page_id, "Vera").await;
    app.fb()
        .send_text(&psid, "Hello, my order is late")
        .await
        .unwrap();
    let enquiry = enquiry_of(&admin, &psid).await;
    assert_eq!(enquiry["channel_id"], page.channel_id.as_str());
    let id = enquiry["id"].as_str().unwrap().to_owned();
    let all = messages_when(&admin, &id, "the message and the welcome", |m| {
        by_author(m, "visitor").len() == 1 && welcomes(m).len() == 1
    })
    .await;
    assert_eq!(texts(&all, "visitor"), ["Hello, my order is late"]);
    // The visitor really gets it, once.
    eventually("the welcome to reach the visitor", || async {
        let got = app.fb().received(&psid).await.unwrap();
        (got.iter()
            .filter(|i| i.text.as_deref() == Some(domain::messages::DEFAULT_WELCOME_MESSAGE))
            .count()
            == 1)
            .then_some(())
    })
    .await;
    app.fb().send_text(&psid, "Anyone there?").await.unwrap();
    let all = messages_when(&admin, &id, "the second message", |m| {
        by_author(m, "visitor").len() == 2
    })
    .await;
    assert_eq!(welcomes(&all).len(), 1, "no second welcome");
    // The profile arrives in the background.
    eventually("the visitor's profile", || async {
        let (_, detail) = admin.get(&format!("/api/v1/enquiries/{id}")).await;
        (detail["visitor"]["profile_status"] == "fetched").then_some(())
    })
    .await;
    let (_, detail) = admin.get(&format!("/api/v1/enquiries/{id}")).await;
    assert!(detail["visitor"]["name"]
        .as_str()
        .unwrap()
        .starts_with("Vera"));
    assert!(detail["window_ends_at"].is_string());
    assert_eq!(
        enquiries(
            &admin,
            &format!("visitor_id={}", detail["visitor_id"].as_str().unwrap())
        )
        .await
        .len(),
        1
    );
}

async fn a_get_started_postback_opens_an_enquiry_shown_as_the_button(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let psid = app.visitor(&page.page_id, "Pat").await;
    app.fb()
        .send_postback(&psid, "Get Started", "GET_STARTED")
        .await
        .unwrap();
    let enquiry = enquiry_of(&admin, &psid).await;
    let all = messages_when(
        &admin,
        enquiry["id"].as_str().unwrap(),
        "the postback",
        |m| !by_author(m, "visitor").is_empty(),
    )
    .await;
    let postback = by_author(&all, "visitor")[0];
    assert_eq!(postback["kind"], "postback");
    assert_eq!(postback["text"], "Get Started");
    assert_eq!(postback["payload"]["payload"], "GET_STARTED");
}

async fn a_visitor_arriving_from_a_link_is_welcomed_on_their_first_message(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let psid = app.visitor(&page.page_id, "Lin").await;
    app.fb()
        .referral(&psid, "spring-sale", "SHORTLINK")
        .await
        .unwrap();
    app.fb()
        .send_text(&psid, "Is the sale still on?")
        .await
        .unwrap();
    let enquiry = enquiry_of(&admin, &psid).await;
    let all = messages_when(
        &admin,
        enquiry["id"].as_str().unwrap(),
        "the referral, the message and the welcome",
        |m| welcomes(m).len() == 1 && m.iter().any(|x| x["kind"] == "referral"),
    )
    .await;
    let referral = all.iter().find(|x| x["kind"] == "referral").unwrap();
    assert_eq!(referral["payload"]["ref"], "spring-sale");
    assert_eq!(
        enquiries(&admin, "").await.len(),
        1,
        "the referral alone opened nothing"
    );
}

// ---- every event kind

async fn every_event_kind_appears_in_the_conversation(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let cdn = cdn().await;
    let fb = app.fb();
    let psid = app.visitor(&page.page_id, "Kim").await;
    let first = fb.send_text(&psid, "I have a question").await.unwrap();
    let first_mid = first.mid.unwrap();
    let enquiry = enquiry_of(&admin, &psid).await;
    let id = enquiry["id"].as_str().unwrap().to_owned();
    fb.send_reply(&psid, "about this", &first_mid)
        .await
        .unwrap();
    fb.send_quick_reply(&psid, "Yes", "ANSWER_YES")
        .await
        .unwrap();
    fb.send_sticker(&psid, 369_239_263_222_822, &format!("{cdn}/photo.png"))
        .await
        .unwrap();
    fb.send_attachment(&psid, "image", &format!("{cdn}/photo.png"))
        .await
        .unwrap();
    fb.send_attachment(&psid, "fallback", "https://example.com/article")
        .await
        .unwrap();
    fb.react(&psid, &first_mid, "love", "\u{2764}", "react")
        .await
        .unwrap();
    fb.edit(&psid, &first_mid, "I have two questions")
        .await
        .unwrap();
    fb.referral(&psid, "summer-ad", "SHORTLINK").await.unwrap();
    fb.optin(&psid, "newsletter").await.unwrap();
    let all = messages_when(&admin, &id, "every kind", |m| {
        m.iter().any(|x| x["kind"] == "referral")
            && m.iter().any(|x| x["kind"] == "optin")
            && m.iter()
                .any(|x| x["kind"] == "attachment" && x["attachments"][0]["status"] == "stored")
            && m.iter()
                .any(|x| x["kind"] == "sticker" && x["attachments"][0]["status"] == "stored")
            && m.iter()
                .any(|x| !x["reactions"].as_array().unwrap().is_empty())
            && m.iter().any(|x| x["text"] == "I have two questions")
    })
    .await;
    let find = |pred: &dyn Fn(&Value) -> bool| all.iter().find(|m| pred(m)).cloned().unwrap();
    let edited = find(&|m| m["external_id"] == first_mid.as_str());
    assert_eq!(edited["text"], "I have two questions");
    assert_eq!(edited["edits"][0]["previous_text"], "I have a question");
    assert_eq!(edited["reactions"][0]["reaction"], "love");
    let reply = find(&|m| m["text"] == "about this");
    assert_eq!(reply["reply_to_external_id"], first_mid.as_str());
    let quick = find(&|m| m["kind"] == "quick_reply");
    assert_eq!(
        (quick["text"].clone(), quick["payload"]["payload"].clone()),
        (json!("Yes"), json!("ANSWER_YES"))
    );
    let sticker = find(&|m| m["kind"] == "sticker");
    assert_eq!(
        sticker["attachments"].as_array().unwrap().len(),
        1,
        "one sticker, not two"
    );
    let link = find(&|m| m["attachments"][0]["kind"] == "fallback");
    assert_eq!(link["attachments"][0]["status"], "remote");
    let image = find(&|m| m["kind"] == "attachment" && m["attachments"][0]["kind"] == "image");
    let file = &image["attachments"][0];
    assert_eq!(file["content_type"], "image/png");
    let url = file["download_url"].as_str().unwrap();
    assert_eq!(
        app.anonymous().get(url).await.0,
        StatusCode::UNAUTHORIZED,
        "needs a login"
    );
    let download = admin_download(&admin, url).await;
    assert_eq!(download.0, "image/png");
    assert_eq!(download.1, PNG);
    // The reaction is removed again.
    fb.react(&psid, &first_mid, "love", "\u{2764}", "unreact")
        .await
        .unwrap();
    messages_when(&admin, &id, "the reaction to go", |m| {
        m.iter()
            .all(|x| x["reactions"].as_array().unwrap().is_empty())
    })
    .await;
}

/// Downloads with the admin's session; returns content type and bytes.
async fn admin_download(admin: &Client, path: &str) -> (String, Vec<u8>) {
    let response = admin.raw(path).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (content_type, response.bytes().await.unwrap().to_vec())
}

async fn attachments_are_downloaded_retried_and_capped(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let cdn = cdn().await;
    let psid = app.visitor(&page.page_id, "Flo").await;
    app.fb()
        .send_attachment(&psid, "image", &format!("{cdn}/flaky.jpg"))
        .await
        .unwrap();
    app.fb()
        .send_attachment(&psid, "file", &format!("{cdn}/huge.bin"))
        .await
        .unwrap();
    let enquiry = enquiry_of(&admin, &psid).await;
    let all = messages_when(
        &admin,
        enquiry["id"].as_str().unwrap(),
        "both downloads to finish",
        |m| {
            let statuses: Vec<&Value> = m
                .iter()
                .filter(|x| x["author"] == "visitor")
                .map(|x| &x["attachments"][0]["status"])
                .collect();
            statuses.len() == 2 && statuses.iter().all(|s| *s != "pending")
        },
    )
    .await;
    let visitor = by_author(&all, "visitor");
    assert_eq!(
        visitor[0]["attachments"][0]["status"], "stored",
        "retried after a failure"
    );
    assert_eq!(visitor[0]["attachments"][0]["content_type"], "image/jpeg");
    assert_eq!(visitor[1]["attachments"][0]["status"], "too_large");
    assert_eq!(visitor.len(), 2, "the messages stay");
}

async fn an_attachment_is_not_served_to_another_account(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let cdn = cdn().await;
    let psid = app.visitor(&page.page_id, "Gus").await;
    app.fb()
        .send_attachment(&psid, "image", &format!("{cdn}/photo.png"))
        .await
        .unwrap();
    let enquiry = enquiry_of(&admin, &psid).await;
    let all = messages_when(
        &admin,
        enquiry["id"].as_str().unwrap(),
        "the download",
        |m| m.iter().any(|x| x["attachments"][0]["status"] == "stored"),
    )
    .await;
    let url = all
        .iter()
        .find_map(|x| x["attachments"][0]["download_url"].as_str())
        .unwrap()
        .to_owned();
    let agent = admin.staff_client("agent").await;
    assert_eq!(
        agent.get(&url).await.0,
        StatusCode::OK,
        "agents of the account may"
    );
    let stranger = app.new_account("Other").await;
    assert_eq!(stranger.get(&url).await.0, StatusCode::NOT_FOUND);
    let (status, _) = stranger
        .get(&format!(
            "/api/v1/enquiries/{}",
            enquiry["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn receipts_and_echoes_update_our_messages_without_duplicates(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let psid = app.visitor(&page.page_id, "Rio").await;
    app.fb().send_text(&psid, "hi").await.unwrap();
    let enquiry = enquiry_of(&admin, &psid).await;
    let id = enquiry["id"].as_str().unwrap().to_owned();
    // The welcome is sent, and its echo matched (it carries the mid).
    let all = messages_when(&admin, &id, "the welcome to be sent and echoed", |m| {
        welcomes(m)
            .first()
            .is_some_and(|w| w["status"] == "sent" && w["external_id"].is_string())
    })
    .await;
    assert_eq!(welcomes(&all).len(), 1);
    app.fb().deliver(&psid).await.unwrap();
    messages_when(&admin, &id, "the welcome to be delivered", |m| {
        welcomes(m)[0]["status"] == "delivered" && welcomes(m)[0]["delivered_at"].is_string()
    })
    .await;
    app.fb().read(&psid).await.unwrap();
    messages_when(&admin, &id, "the welcome to be read", |m| {
        welcomes(m)[0]["status"] == "read"
    })
    .await;
    // Someone answers from Facebook's own Page inbox.
    app.fb()
        .inbox_reply(&psid, "Hi from the Page inbox")
        .await
        .unwrap();
    let all = messages_when(&admin, &id, "the Page inbox reply", |m| {
        !by_author(m, "page").is_empty()
    })
    .await;
    assert_eq!(texts(&all, "page"), ["Hi from the Page inbox"]);
    assert_eq!(
        welcomes(&all).len(),
        1,
        "our own echo is never a second message"
    );
    assert_eq!(
        all.iter().filter(|m| m["direction"] == "outbound").count(),
        by_author(&all, "system").len() + 1
    );
}

async fn standby_messages_are_stored_but_not_routed(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let psid = app.visitor(&page.page_id, "Sam").await;
    app.fb()
        .visitor_event(
            &psid,
            emulator::control::types::VisitorEvent::Text {
                text: "talking to the other app".into(),
                reply_to: None,
            },
            true,
        )
        .await
        .unwrap();
    let enquiry = enquiry_of(&admin, &psid).await;
    assert_eq!(enquiry["standby"], true);
    let all = messages_when(
        &admin,
        enquiry["id"].as_str().unwrap(),
        "the standby message",
        |m| !m.is_empty(),
    )
    .await;
    assert_eq!(all[0]["standby"], true);
    assert!(
        by_author(&all, "system").is_empty(),
        "no welcome into another app's thread"
    );
    // Routing had every chance; it still waits.
    app.state.wake.routing.notify_one();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, detail) = admin
        .get(&format!(
            "/api/v1/enquiries/{}",
            enquiry["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(detail["status"], "queued");
}

async fn a_thread_handed_back_to_us_leaves_standby_and_is_routed(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let p = &page.page_id;
    let psid = app.visitor(p, "Hal").await;
    let t0 = now_ms();
    let standby = json!({"object": "page", "entry": [{"id": p, "time": t0, "standby": [
        item(p, &psid, t0, json!({"message": {"mid": "m_hand_1", "text": "to the bot"}}))]}]});
    assert_eq!(
        deliver(&app, standby.to_string().as_bytes()).await,
        StatusCode::OK
    );
    let enquiry = enquiry_of(&admin, &psid).await;
    assert_eq!(
        (enquiry["standby"].clone(), enquiry["status"].clone()),
        (json!(true), json!("queued"))
    );
    let passed = body(vec![(
        p.clone(),
        vec![item(
            p,
            &psid,
            t0 + 1,
            json!({"pass_thread_control": {
        "previous_owner_app_id": 222_333, "new_owner_app_id": common::APP_ID, "metadata": "human please"}}),
        )],
    )]);
    assert_eq!(deliver(&app, &passed).await, StatusCode::OK);
    let id = enquiry["id"].as_str().unwrap().to_owned();
    eventually("the enquiry to leave standby and be admitted", || async {
        let (_, e) = admin.get(&format!("/api/v1/enquiries/{id}")).await;
        (e["standby"] == false && e["status"] != "queued").then_some(())
    })
    .await;
    let all = messages(&admin, &id).await;
    assert!(
        all.iter().any(|m| m["kind"] == "thread_control"),
        "the handover is shown"
    );
}

// ---- Facebook's delivery habits

async fn the_same_delivery_twice_is_stored_once(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let psid = app.visitor(&page.page_id, "Dee").await;
    let ts = now_ms();
    let body = body(vec![(
        page.page_id.clone(),
        vec![item(
            &page.page_id,
            &psid,
            ts,
            json!({"message": {"mid": "m_dup_1", "text": "once"}}),
        )],
    )]);
    assert_eq!(deliver(&app, &body).await, StatusCode::OK);
    assert_eq!(deliver(&app, &body).await, StatusCode::OK);
    let enquiry = enquiry_of(&admin, &psid).await;
    eventually("both deliveries processed", || async {
        let rows = app.state.store.list_inbox().await.unwrap();
        (rows.iter().filter(|r| r.status == "done").count() >= 2).then_some(())
    })
    .await;
    let all = messages(&admin, enquiry["id"].as_str().unwrap()).await;
    assert_eq!(texts(&all, "visitor"), ["once"]);
}

async fn deliveries_out_of_order_keep_the_conversation_order(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let psid = app.visitor(&page.page_id, "Ola").await;
    let t0 = now_ms();
    let p = &page.page_id;
    let edit = body(vec![(
        p.clone(),
        vec![item(
            p,
            &psid,
            t0 + 300,
            json!({"message_edit": {"mid": "m_ooo_1", "text": "first (edited)", "num_edit": 1}}),
        )],
    )]);
    let later = body(vec![(
        p.clone(),
        vec![
            item(
                p,
                &psid,
                t0 + 200,
                json!({"message": {"mid": "m_ooo_3", "text": "third"}}),
            ),
            item(
                p,
                &psid,
                t0 + 100,
                json!({"message": {"mid": "m_ooo_2", "text": "second"}}),
            ),
        ],
    )]);
    let earlier = body(vec![(
        p.clone(),
        vec![item(
            p,
            &psid,
            t0,
            json!({"message": {"mid": "m_ooo_1", "text": "first"}}),
        )],
    )]);
    // The edit arrives before the message it edits; newest first overall.
    for delivery in [&edit, &later, &earlier] {
        assert_eq!(deliver(&app, delivery).await, StatusCode::OK);
    }
    let enquiry = enquiry_of(&admin, &psid).await;
    let all = messages_when(
        &admin,
        enquiry["id"].as_str().unwrap(),
        "three messages and the edit",
        |m| by_author(m, "visitor").len() == 3 && m.iter().any(|x| x["text"] == "first (edited)"),
    )
    .await;
    assert_eq!(
        texts(&all, "visitor"),
        ["first (edited)", "second", "third"]
    );
    assert_eq!(
        enquiries(&admin, "").await.len(),
        1,
        "one enquiry for the visitor"
    );
}

async fn a_batch_of_many_entries_and_events_is_stored_completely(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let p = &page.page_id;
    let mut visitors = Vec::new();
    for n in 0..4 {
        visitors.push(app.visitor(p, &format!("Batch{n}")).await);
    }
    let t0 = now_ms();
    let mut entries = Vec::new();
    for (v, psid) in visitors.iter().enumerate() {
        let mut items: Vec<Value> = (0..10)
            .map(|n| item(p, psid, t0 + n, json!({"message": {"mid": format!("m_batch_{v}_{n}"), "text": format!("{v}-{n}")}})))
            .collect();
        // One broken item per entry never costs the others.
        items.insert(3, json!({"sender": {"id": psid}, "recipient": {"id": p}, "timestamp": "soon", "message": 7}));
        entries.push((p.clone(), items));
    }
    assert_eq!(deliver(&app, &body(entries)).await, StatusCode::OK);
    for (v, psid) in visitors.iter().enumerate() {
        let enquiry = enquiry_of(&admin, psid).await;
        let all = messages_when(
            &admin,
            enquiry["id"].as_str().unwrap(),
            "ten messages",
            |m| {
                by_author(m, "visitor")
                    .iter()
                    .filter(|x| x["kind"] == "text")
                    .count()
                    == 10
            },
        )
        .await;
        let expected: Vec<String> = (0..10).map(|n| format!("{v}-{n}")).collect();
        let got: Vec<String> = by_author(&all, "visitor")
            .iter()
            .filter(|x| x["kind"] == "text")
            .map(|x| x["text"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, expected);
    }
}

async fn half_an_emoji_or_a_nul_in_one_message_costs_no_other_message_of_the_delivery(
    backend: Backend,
) {
    let (app, admin, page) = setup(backend).await;
    let p = &page.page_id;
    let cut = app.visitor(p, "Cut").await;
    let whole = app.visitor(p, "Whole").await;
    let nul = app.visitor(p, "Nul").await;
    let t0 = now_ms();
    let text = |mid: &str, text: &str| json!({"message": {"mid": mid, "text": text}});
    let raw = body(vec![(
        p.clone(),
        vec![
            item(p, &cut, t0, text("m_cut", "love it HALF")),
            item(p, &whole, t0 + 1, text("m_whole", "hello \u{1f600}")),
            // PostgreSQL cannot store U+0000: it is kept as the symbol for NUL.
            item(p, &nul, t0 + 2, text("m_nul", "a\u{0}b")),
        ],
    )]);
    // A lone high surrogate, as a client that cut an emoji in two sends it.
    let raw = String::from_utf8(raw).unwrap().replace("HALF", "\\ud83d");
    assert!(raw.contains(r"\ud83d") && raw.contains(r"\u0000"), "{raw}");
    assert_eq!(deliver(&app, raw.as_bytes()).await, StatusCode::OK);
    for (psid, expected) in [
        (&cut, "love it \u{fffd}"),
        (&whole, "hello \u{1f600}"),
        (&nul, "a\u{2400}b"),
    ] {
        let enquiry = enquiry_of(&admin, psid).await;
        let all = messages_when(
            &admin,
            enquiry["id"].as_str().unwrap(),
            "the message",
            |m| by_author(m, "visitor").iter().any(|x| x["kind"] == "text"),
        )
        .await;
        assert_eq!(by_author(&all, "visitor")[0]["text"], expected);
    }
}

async fn many_concurrent_deliveries_are_all_acknowledged_and_applied(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let p = &page.page_id;
    let psid = app.visitor(p, "Rush").await;
    let t0 = now_ms();
    let deliveries: Vec<Vec<u8>> = (0..40)
        .map(|n| {
            body(vec![(
                p.clone(),
                vec![item(
                    p,
                    &psid,
                    t0 + n,
                    json!({"message": {"mid": format!("m_rush_{n}"), "text": format!("rush {n}")}}),
                )],
            )])
        })
        .collect();
    let sends = deliveries.iter().map(|d| deliver(&app, d));
    let statuses = futures::future::join_all(sends).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(app.state.store.list_inbox().await.unwrap().len(), 40);
    let enquiry = enquiry_of(&admin, &psid).await;
    let all = messages_when(
        &admin,
        enquiry["id"].as_str().unwrap(),
        "all 40 messages",
        |m| by_author(m, "visitor").len() == 40,
    )
    .await;
    let expected: Vec<String> = (0..40).map(|n| format!("rush {n}")).collect();
    assert_eq!(texts(&all, "visitor"), expected, "in event-time order");
}

async fn a_delivery_left_by_a_crashed_worker_is_finished_after_restart_exactly_once(
    backend: Backend,
) {
    let (mut app, admin, page) = setup(backend).await;
    let psid = app.visitor(&page.page_id, "Cal").await;
    let p = &page.page_id;
    let t0 = now_ms();
    let raw = body(vec![(
        p.clone(),
        vec![
            item(
                p,
                &psid,
                t0,
                json!({"message": {"mid": "m_crash_1", "text": "before the crash"}}),
            ),
            item(
                p,
                &psid,
                t0 + 1,
                json!({"message": {"mid": "m_crash_2", "text": "after the crash"}}),
            ),
        ],
    )]);
    app.shutdown().await;
    // As the dead server left it: the delivery stored, claimed by a worker
    // that applied the first event and died holding the lease.
    let store = store::Store::connect(&app.state.config.database_url)
        .await
        .unwrap();
    let ids = store
        .insert_inbox_batch(std::slice::from_ref(&raw), jiff::Timestamp::now())
        .await
        .unwrap();
    let claimed = store
        .claim_inbox(jiff::Timestamp::now(), 500, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let batch = messenger::events::parse_batch(&raw).unwrap();
    let first = batch.events_by_time()[0].clone();
    let (psid_of, item) = server::inbound::convert::to_inbound(&first, common::APP_ID).unwrap();
    let account = admin.account_id.clone().unwrap();
    let outcome = store
        .apply_inbound(&store::InboundEvent {
            inbox_id: ids[0].clone(),
            dedupe_key: first.dedupe_key(),
            account_id: account.clone(),
            channel_id: page.channel_id.clone(),
            psid: psid_of,
            at: jiff::Timestamp::from_millisecond(first.timestamp).unwrap(),
            standby: false,
            item,
        })
        .await
        .unwrap();
    assert!(matches!(outcome, store::InboundOutcome::Done(_)));
    store.close().await;
    // A restarted server binds a new port; read through its store.
    let app = app.restart().await;
    let store = &app.state.store;
    let all = eventually("the rest of the delivery", || async {
        let rows = store.list_inbox().await.unwrap();
        if rows.iter().any(|r| r.status != "done") {
            return None;
        }
        let open = store
            .list_enquiries(&account, &store::EnquiryFilter::default(), None, 10)
            .await
            .unwrap();
        let enquiry = open.first()?;
        let all = store
            .list_enquiry_messages(&account, &enquiry.id, None, 50)
            .await
            .unwrap();
        Some(all)
    })
    .await;
    let visitor: Vec<String> = all
        .iter()
        .filter(|m| m.message.author == "visitor")
        .map(|m| m.message.text.clone().unwrap_or_default())
        .collect();
    assert_eq!(visitor, ["before the crash", "after the crash"]);
}

// ---- capacity

async fn a_visitor_beyond_the_concurrent_limit_waits_until_one_closes(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    let account_id = admin.account_id.clone().unwrap();
    // 2 instead of 200 keeps the test fast; the rule is the same.
    app.state
        .store
        .update_account(
            &account_id,
            store::AccountUpdate {
                max_concurrent_visitors: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut psids = Vec::new();
    for n in 0..3 {
        let psid = app.visitor(&page.page_id, &format!("Cap{n}")).await;
        app.fb().send_text(&psid, "hello").await.unwrap();
        enquiry_of(&admin, &psid).await;
        psids.push(psid);
    }
    let statuses = || async {
        let mut out = Vec::new();
        for psid in &psids {
            out.push(enquiry_of(&admin, psid).await);
        }
        out
    };
    let all = eventually("two admitted, one waiting", || async {
        let all = statuses().await;
        let waiting = all.iter().filter(|e| e["status"] == "queued").count();
        (waiting == 1).then_some(all)
    })
    .await;
    assert_eq!(all[2]["status"], "queued", "the last to arrive waits");
    let first = all[0]["id"].as_str().unwrap();
    let (status, body) = admin
        .post(&format!("/api/v1/enquiries/{first}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("the waiting visitor to be admitted", || async {
        let e = enquiry_of(&admin, &psids[2]).await;
        (e["status"] != "queued").then_some(())
    })
    .await;
}

async fn the_enquiry_list_filters_and_pages(backend: Backend) {
    let (app, admin, page) = setup(backend).await;
    for n in 0..3 {
        let psid = app.visitor(&page.page_id, &format!("List{n}")).await;
        app.fb().send_text(&psid, "hi").await.unwrap();
        enquiry_of(&admin, &psid).await;
    }
    let (status, first) = admin.get("/api/v1/enquiries?limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = admin
        .get(&format!("/api/v1/enquiries?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null());
    assert_eq!(
        enquiries(&admin, &format!("channel_id={}", page.channel_id))
            .await
            .len(),
        3
    );
    assert!(enquiries(&admin, "channel_id=elsewhere").await.is_empty());
    assert!(enquiries(&admin, "status=closed").await.is_empty());
    let (status, body) = admin.get("/api/v1/enquiries?status=lost").await;
    common::assert_error(
        &(status, body),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("status"),
    );
}

on_both_backends!(
    the_handshake_echoes_the_challenge_only_for_the_verify_token,
    an_invalid_signature_is_refused_and_nothing_is_stored,
    an_oversized_body_is_refused_with_413,
    a_malformed_signed_body_is_kept_for_inspection,
    a_first_message_opens_an_enquiry_welcomes_once_and_fetches_the_profile,
    a_get_started_postback_opens_an_enquiry_shown_as_the_button,
    a_visitor_arriving_from_a_link_is_welcomed_on_their_first_message,
    every_event_kind_appears_in_the_conversation,
    attachments_are_downloaded_retried_and_capped,
    an_attachment_is_not_served_to_another_account,
    receipts_and_echoes_update_our_messages_without_duplicates,
    standby_messages_are_stored_but_not_routed,
    a_thread_handed_back_to_us_leaves_standby_and_is_routed,
    the_same_delivery_twice_is_stored_once,
    deliveries_out_of_order_keep_the_conversation_order,
    a_batch_of_many_entries_and_events_is_stored_completely,
    half_an_emoji_or_a_nul_in_one_message_costs_no_other_message_of_the_delivery,
    many_concurrent_deliveries_are_all_acknowledged_and_applied,
    a_delivery_left_by_a_crashed_worker_is_finished_after_restart_exactly_once,
    a_visitor_beyond_the_concurrent_limit_waits_until_one_closes,
    the_enquiry_list_filters_and_pages,
);
