//! Serving enquiries end to end: a visitor writes through the emulator, the
//! agent is offered the enquiry live over the WebSocket, accepts, replies
//! (text and files) and the visitor receives exactly that; limits, the
//! window, outages, transfer and closing. Every case runs on both backends.

mod common;

use common::flows::{eventually, set_availability};

use std::time::Duration;

use common::{assert_error, Backend, Client, ConnectedPage, TestApp};
use emulator::control::types::Fault;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::config::Config;
use tokio_tungstenite::tungstenite::Message as WsMessage;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const LAPSED: &str = "Sorry, your message can no longer send; the 24-hour message window has lapsed. Close this enquiry, or wait until the visitor sends a message again.";

/// An admin who serves enquiries themself, with a token for the WebSocket.
struct Desk {
    app: TestApp,
    admin: Client,
    token: String,
    page: ConnectedPage,
}

async fn desk(backend: Backend, display_name_format: &str, human_agent_tag: bool) -> Desk {
    desk_with(backend, display_name_format, human_agent_tag, |_| {}).await
}

/// [`desk`] on a server whose configuration `tweak` adjusted.
async fn desk_with(
    backend: Backend,
    display_name_format: &str,
    human_agent_tag: bool,
    tweak: fn(&mut Config),
) -> Desk {
    let app = TestApp::spawn_with_emulator_and(backend, tweak).await;
    let admin = app.new_account("Shop").await;
    let me = admin.get("/api/v1/me").await.1;
    let my_id = me["staff"]["id"].as_str().unwrap().to_owned();
    set_availability(&admin, "available").await;
    let (status, dest) = admin
        .post(
            "/api/v1/destinations",
            json!({"name": "Support", "member_ids": [my_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dest}");
    let page = app.connect_page(&admin, "Shop Page").await;
    let (status, body) = admin
        .patch(
            &format!("/api/v1/channels/{}", page.channel_id),
            json!({
                "routing": {"rule": "alternative", "sticky": false, "time_zone": "UTC",
                            "destinations": [{"id": dest["id"]}]},
                "messages": {"display_name_format": display_name_format,
                             "human_agent_tag": human_agent_tag},
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, token) = admin
        .post("/api/v1/api-tokens", json!({"name": "socket"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    Desk {
        token: token["secret"].as_str().unwrap().to_owned(),
        app,
        admin,
        page,
    }
}

impl Desk {
    async fn socket(&self, after: Option<i64>) -> Socket {
        let mut url = format!("ws://{}/api/v1/events?token={}", self.app.addr, self.token);
        if let Some(after) = after {
            url.push_str(&format!("&after={after}"));
        }
        let (mut socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("socket opens");
        if after.is_none() {
            // Nothing to replay: once ready, live events are flowing.
            let ready = next_event(&mut socket, |e| e["type"] == "ready").await;
            assert!(ready["seq"].is_i64(), "{ready}");
        }
        socket
    }

    /// A visitor writes; the offer arrives on `socket`; the admin accepts.
    /// Returns (psid, enquiry id).
    async fn visitor_is_served(&self, socket: &mut Socket, name: &str) -> (String, String) {
        let psid = self.app.visitor(&self.page.page_id, name).await;
        self.app
            .fb()
            .send_text(&psid, "Hello, I need help")
            .await
            .unwrap();
        let offer = next_event(socket, |e| e["type"] == "offer.created").await;
        let offer_id = offer["data"]["offer"]["id"].as_str().unwrap();
        let (status, body) = self
            .admin
            .post(&format!("/api/v1/offers/{offer_id}/accept"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let enquiry_id = offer["data"]["offer"]["enquiry_id"]
            .as_str()
            .unwrap()
            .to_owned();
        (psid, enquiry_id)
    }

    async fn reply(&self, enquiry_id: &str, text: &str) -> (StatusCode, Value) {
        self.admin
            .post(
                &format!("/api/v1/enquiries/{enquiry_id}/messages"),
                json!({"text": text}),
            )
            .await
    }

    /// Texts the visitor received from the Page, waiting until there are `n`
    /// besides the automatic welcome message.
    async fn received_texts(&self, psid: &str, n: usize) -> Vec<Value> {
        let fb = self.app.fb();
        eventually("the visitor's messages", || {
            let fb = fb.clone();
            async move {
                let items = fb.received(psid).await.ok()?;
                let mine: Vec<Value> = items
                    .into_iter()
                    .filter(|i| i.kind == "message")
                    .map(|i| serde_json::to_value(i).unwrap())
                    .filter(|i| i["metadata"].is_string())
                    .filter(|i| {
                        !i["text"]
                            .as_str()
                            .is_some_and(|t| t.starts_with("Thanks for your message"))
                    })
                    .collect();
                (mine.len() >= n).then_some(mine)
            }
        })
        .await
    }
}

async fn next_event(socket: &mut Socket, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Duration::from_secs(10);
    tokio::time::timeout(deadline, async {
        loop {
            let frame = socket.next().await.expect("socket open").expect("frame");
            if let WsMessage::Text(text) = frame {
                let event: Value = serde_json::from_str(&text).unwrap();
                common::live::assert_documented(&event);
                if wanted(&event) {
                    return event;
                }
            }
        }
    })
    .await
    .expect("the event arrives within 10 s")
}

async fn an_accepted_reply_reaches_the_visitor_exactly_as_sent(backend: Backend) {
    let desk = desk(backend, "first_name", false).await;
    let mut socket = desk.socket(None).await;
    let (psid, enquiry) = desk.visitor_is_served(&mut socket, "Vera").await;
    let (status, message) = desk.reply(&enquiry, "How can I help?").await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(message["text"], "Ada: How can I help?");
    let received = desk.received_texts(&psid, 1).await;
    assert_eq!(received[0]["text"], "Ada: How can I help?");
    assert_eq!(received[0]["messaging_type"], "RESPONSE");
    let sent = next_event(&mut socket, |e| {
        e["type"] == "message.updated"
            && e["data"]["message"]["id"] == message["id"]
            && e["data"]["message"]["status"] != "queued"
    })
    .await;
    assert_eq!(sent["data"]["message"]["status"], "sent");

    let (status, mine) = desk.admin.get("/api/v1/me/enquiries").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["items"][0]["id"], enquiry.as_str());
    assert_eq!(mine["items"][0]["unread_count"], 1);
    assert!(mine["items"][0]["window_ends_at"].is_string());
    let (status, _) = desk
        .admin
        .post(&format!("/api/v1/enquiries/{enquiry}/read"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mine = desk.admin.get("/api/v1/me/enquiries").await.1;
    assert_eq!(mine["items"][0]["unread_count"], 0);
}

async fn every_display_name_format_is_applied_to_staff_replies(backend: Backend) {
    for (format, expected) in [
        ("none", "Thanks!"),
        ("first_name", "Ada: Thanks!"),
        ("display_name", "Ada Admin: Thanks!"),
    ] {
        let desk = desk(backend, format, false).await;
        let display = desk.admin.get("/api/v1/me").await.1["staff"]["display_name"].clone();
        let expected = if format == "display_name" {
            format!("{}: Thanks!", display.as_str().unwrap())
        } else {
            expected.to_owned()
        };
        let mut socket = desk.socket(None).await;
        let (psid, enquiry) = desk.visitor_is_served(&mut socket, "Vic").await;
        assert_eq!(desk.reply(&enquiry, "Thanks!").await.0, StatusCode::CREATED);
        assert_eq!(
            desk.received_texts(&psid, 1).await[0]["text"],
            expected.as_str()
        );
    }
}

async fn the_2000_character_limit_counts_the_prefix_and_refuses_before_storing(backend: Backend) {
    let desk = desk(backend, "first_name", false).await;
    let mut socket = desk.socket(None).await;
    let (psid, enquiry) = desk.visitor_is_served(&mut socket, "Lou").await;
    // "Ada: " is 5 characters.
    let fits = "x".repeat(1995);
    assert_eq!(desk.reply(&enquiry, &fits).await.0, StatusCode::CREATED);
    let too_long = desk.reply(&enquiry, &"x".repeat(1996)).await;
    assert_error(
        &too_long,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("text"),
    );
    let message = too_long.1["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("2000") && message.contains("2001"),
        "{message}"
    );
    let received = desk.received_texts(&psid, 1).await;
    assert_eq!(received[0]["text"].as_str().unwrap().chars().count(), 2000);
    let history = desk
        .admin
        .get(&format!("/api/v1/enquiries/{enquiry}/messages"))
        .await
        .1;
    let outbound = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["author"] == "staff")
        .count();
    assert_eq!(outbound, 1, "the refused reply was not stored: {history}");
}

async fn files_are_uploaded_to_messenger_and_over_25_mb_is_refused(backend: Backend) {
    let desk = desk(backend, "none", false).await;
    let mut socket = desk.socket(None).await;
    let (psid, enquiry) = desk.visitor_is_served(&mut socket, "Fay").await;
    let upload = |bytes: Vec<u8>, name: &str, content_type: &str| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(content_type)
            .unwrap();
        reqwest::multipart::Form::new().part("file", part)
    };
    let url = desk.app.url(&format!("/api/v1/enquiries/{enquiry}/files"));
    let http = reqwest::Client::new();
    let invoice = [b"%PDF-1.4 invoice ".as_slice(), &[b'x'; 4096]].concat();
    let response = http
        .post(&url)
        .bearer_auth(&desk.token)
        .multipart(upload(invoice.clone(), "invoice.pdf", "application/pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let sent: Value = response.json().await.unwrap();
    // The agent's browser downloads it again, asking for compression as
    // browsers do: the whole file arrives (gzip), and unchanged without.
    let download = desk
        .app
        .url(sent["attachments"][0]["download_url"].as_str().unwrap());
    let gzipped = http
        .get(&download)
        .bearer_auth(&desk.token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.status(), StatusCode::OK);
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let body = gzipped.bytes().await.expect("the whole compressed body");
    assert_eq!(&body[..2], [0x1f, 0x8b], "gzip data");
    let plain = http
        .get(&download)
        .bearer_auth(&desk.token)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.bytes().await.unwrap(), invoice);
    let items = eventually("the file", || {
        let fb = desk.app.fb();
        let psid = psid.clone();
        async move {
            let items = fb.received(&psid).await.ok()?;
            items.into_iter().find(|i| !i.attachments.is_empty())
        }
    })
    .await;
    assert_eq!(items.attachments[0].kind, "file");
    assert_eq!(
        items.attachments[0].filename.as_deref(),
        Some("invoice.pdf")
    );

    let exactly = vec![7u8; 25 * 1024 * 1024];
    let response = http
        .post(&url)
        .bearer_auth(&desk.token)
        .multipart(upload(exactly, "video.mp4", "video/mp4"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "25 MB exactly is accepted"
    );
    let response = http
        .post(&url)
        .bearer_auth(&desk.token)
        .multipart(upload(
            vec![7u8; 25 * 1024 * 1024 + 1],
            "big.mp4",
            "video/mp4",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("26214400"),
        "{body}"
    );
}

async fn a_lapsed_window_refuses_with_the_exact_message_unless_the_tag_is_allowed(
    backend: Backend,
) {
    for tag_allowed in [false, true] {
        let desk = desk(backend, "none", tag_allowed).await;
        let mut socket = desk.socket(None).await;
        let fb = desk.app.fb();
        fb.set_clock_offset(-25 * 3600 * 1000).await.unwrap();
        let (psid, enquiry) = desk.visitor_is_served(&mut socket, "Old").await;
        fb.set_clock_offset(0).await.unwrap();
        let response = desk.reply(&enquiry, "Sorry for the wait").await;
        if tag_allowed {
            assert_eq!(response.0, StatusCode::CREATED, "{}", response.1);
            let received = desk.received_texts(&psid, 1).await;
            assert_eq!(received[0]["messaging_type"], "MESSAGE_TAG");
            assert_eq!(received[0]["tag"], "HUMAN_AGENT");
        } else {
            assert_error(
                &response,
                StatusCode::UNPROCESSABLE_ENTITY,
                "window_lapsed",
                None,
            );
            assert_eq!(response.1["error"]["message"], LAPSED);
        }
    }
}

async fn replies_during_an_outage_are_delivered_in_order_once_it_recovers(backend: Backend) {
    let desk = desk(backend, "none", false).await;
    let mut socket = desk.socket(None).await;
    let (psid, enquiry) = desk.visitor_is_served(&mut socket, "Ola").await;
    let fb = desk.app.fb();
    fb.set_fault(
        "messages",
        &Fault {
            status: Some(503),
            times: Some(2),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for text in ["one", "two", "three"] {
        assert_eq!(desk.reply(&enquiry, text).await.0, StatusCode::CREATED);
    }
    fb.set_fault(
        "messages",
        &Fault {
            error_1200: true,
            times: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let received = desk.received_texts(&psid, 3).await;
    let texts: Vec<&str> = received
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["one", "two", "three"]);
}

/// Retries after milliseconds and a 2-second give-up bound (the
/// `outbox_retry_*` settings), so rate-limit cases take moments.
fn quick_retries(config: &mut Config) {
    config.outbox_retry_initial_ms = 20;
    config.outbox_retry_max_ms = 100;
    config.outbox_give_up_after_secs = 2;
}

impl Desk {
    /// Waits until the automatic welcome reached the visitor, so faults set
    /// afterwards meet only the replies of the test.
    async fn welcomed(&self, psid: &str) {
        let fb = self.app.fb();
        eventually("the welcome message", || {
            let fb = fb.clone();
            async move {
                let items = fb.received(psid).await.ok()?;
                items
                    .iter()
                    .any(|i| {
                        i.text
                            .as_deref()
                            .is_some_and(|t| t.starts_with("Thanks for your message"))
                    })
                    .then_some(())
            }
        })
        .await;
    }

    /// Sets a rate-limit fault on the Send API whose usage header says the
    /// limit lifts at once (`estimated_time_to_regain_access: 0`).
    async fn rate_limit(&self, code: u32, times: Option<u32>) {
        self.app
            .fb()
            .set_fault(
                "messages",
                &Fault {
                    rate_limit: Some(code),
                    regain_access_minutes: Some(0),
                    times,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
}

async fn a_rate_limited_reply_is_delivered_once_the_limit_clears(backend: Backend) {
    let desk = desk_with(backend, "none", false, quick_retries).await;
    let mut socket = desk.socket(None).await;
    let (psid, enquiry) = desk.visitor_is_served(&mut socket, "Rita").await;
    desk.welcomed(&psid).await;
    desk.rate_limit(613, Some(3)).await;

    let (status, message) = desk.reply(&enquiry, "on its way").await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    let settled = next_event(&mut socket, |e| {
        e["type"] == "message.updated"
            && e["data"]["message"]["id"] == message["id"]
            && e["data"]["message"]["status"] != "queued"
    })
    .await;
    assert_eq!(settled["data"]["message"]["status"], "sent", "{settled}");
    let received = desk.received_texts(&psid, 1).await;
    let texts: Vec<&str> = received
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["on its way"], "delivered exactly once");
    let faults = desk.app.fb().faults().await.unwrap();
    assert!(
        !faults.contains_key("messages"),
        "every rate-limited call was made first: {faults:?}"
    );
}

async fn a_rate_limit_that_never_clears_fails_the_reply_with_facebooks_reason(backend: Backend) {
    let desk = desk_with(backend, "none", false, quick_retries).await;
    let mut socket = desk.socket(None).await;
    let (psid, enquiry) = desk.visitor_is_served(&mut socket, "Ravi").await;
    desk.welcomed(&psid).await;
    desk.rate_limit(80006, None).await;

    let (status, message) = desk.reply(&enquiry, "are you there?").await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    let settled = next_event(&mut socket, |e| {
        e["type"] == "message.updated"
            && e["data"]["message"]["id"] == message["id"]
            && e["data"]["message"]["status"] != "queued"
    })
    .await;
    assert_eq!(settled["data"]["message"]["status"], "failed", "{settled}");
    let reason = settled["data"]["message"]["failure_reason"]
        .as_str()
        .unwrap();
    assert!(
        reason.starts_with("gave up after") && reason.contains("too many messages"),
        "{reason}"
    );
    let received = desk.app.fb().received(&psid).await.unwrap();
    assert!(received
        .iter()
        .all(|i| i.text.as_deref() != Some("are you there?")));
}

async fn a_reconnecting_socket_receives_what_it_missed(backend: Backend) {
    let desk = desk(backend, "none", false).await;
    let mut socket = desk.socket(None).await;
    let (_psid, enquiry) = desk.visitor_is_served(&mut socket, "Rex").await;
    let (_, first) = desk.reply(&enquiry, "first").await;
    let created = next_event(&mut socket, |e| {
        e["type"] == "message.created" && e["data"]["message"]["id"] == first["id"]
    })
    .await;
    let seen = created["seq"].as_i64().unwrap();
    socket.close(None).await.unwrap();
    let (_, second) = desk.reply(&enquiry, "second").await;
    let mut again = desk.socket(Some(seen)).await;
    let mut seqs = Vec::new();
    let mut kinds = Vec::new();
    // Replayed and live events, until the second reply's status comes by.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let Some(Ok(WsMessage::Text(text))) = again.next().await else {
                panic!("socket closed");
            };
            let event: Value = serde_json::from_str(&text).unwrap();
            if let Some(seq) = event["seq"].as_i64() {
                if event["type"] == "ready" {
                    continue;
                }
                seqs.push(seq);
                kinds.push((event["type"].clone(), event["data"].clone()));
            }
            if event["type"] == "message.updated"
                && event["data"]["message"]["id"] == second["id"]
                && event["data"]["message"]["status"] == "sent"
            {
                break;
            }
        }
    })
    .await
    .expect("caught up within 10 s");
    assert!(
        seqs[0] > seen,
        "nothing at or before {seen} again: {seqs:?}"
    );
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "in order, no duplicates: {seqs:?}"
    );
    assert!(kinds
        .iter()
        .any(|(k, d)| k == "message.created" && d["message"]["id"] == second["id"]));
}

async fn closing_and_transferring_need_the_serving_agent_and_free_the_enquiry(backend: Backend) {
    let desk = desk(backend, "none", false).await;
    let mut socket = desk.socket(None).await;
    let (_psid, enquiry) = desk.visitor_is_served(&mut socket, "Cy").await;
    let other = desk.admin.staff_client("agent").await;
    let refused = other
        .post(&format!("/api/v1/enquiries/{enquiry}/close"), json!({}))
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "forbidden", None);
    let refused = other
        .post(
            &format!("/api/v1/enquiries/{enquiry}/messages"),
            json!({"text": "hi"}),
        )
        .await;
    assert_error(&refused, StatusCode::FORBIDDEN, "forbidden", None);

    let other_id = other.staff_id.clone().unwrap();
    let (status, moved) = desk
        .admin
        .post(
            &format!("/api/v1/enquiries/{enquiry}/transfer"),
            json!({"staff_id": other_id}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["assigned_staff_id"], Value::Null);
    let transferred = next_event(&mut socket, |e| e["type"] == "enquiry.transferred").await;
    assert_eq!(transferred["data"]["to"]["staff_id"], other_id.as_str());
    let mine = desk.admin.get("/api/v1/me/enquiries").await.1;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0, "{mine}");

    let (status, closed) = desk
        .admin
        .post(&format!("/api/v1/enquiries/{enquiry}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");
    let _ = next_event(&mut socket, |e| e["type"] == "enquiry.closed").await;
    let again = desk
        .admin
        .post(&format!("/api/v1/enquiries/{enquiry}/close"), json!({}))
        .await;
    assert_error(&again, StatusCode::CONFLICT, "conflict", None);
    let late = desk.reply(&enquiry, "anyone there?").await;
    assert_error(&late, StatusCode::CONFLICT, "conflict", None);
}

async fn a_token_revoked_during_sends_disconnects_the_channel_and_holds_the_reply(
    backend: Backend,
) {
    let desk = desk(backend, "none", false).await;
    let mut socket = desk.socket(None).await;
    let (psid, enquiry) = desk.visitor_is_served(&mut socket, "Tia").await;
    let state = &desk.app.state;
    let account_id = desk.admin.account_id.clone().unwrap();
    let sealed = state
        .store
        .channel_token_enc(&account_id, &desk.page.channel_id)
        .await
        .unwrap()
        .unwrap();
    let token = state.secrets.decrypt(&sealed).unwrap();
    desk.app.fb().revoke_token(&token).await.unwrap();
    let (status, message) = desk.reply(&enquiry, "still there?").await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    let disconnected = next_event(&mut socket, |e| e["type"] == "channel.disconnected").await;
    assert_eq!(
        disconnected["data"]["channel_id"],
        desk.page.channel_id.as_str()
    );
    let channel = desk
        .admin
        .get(&format!("/api/v1/channels/{}", desk.page.channel_id))
        .await
        .1;
    assert_eq!(channel["status"], "disconnected", "{channel}");
    // The outbox holds the message right after the disconnect is announced.
    let message_id = message["id"].as_str().unwrap();
    let held = eventually("the reply to be held for the reconnect", || async {
        let held = state
            .store
            .get_message(&account_id, message_id)
            .await
            .unwrap();
        (held.status != "sending").then_some(held)
    })
    .await;
    assert_eq!(held.status, "queued", "held for the reconnect, not failed");
    let received = desk.app.fb().received(&psid).await.unwrap();
    assert!(received
        .iter()
        .all(|i| i.text.as_deref() != Some("still there?")));
}

/// The kinds of an agent's day, over a real WebSocket, each in its one
/// shape (every frame is also checked against the document by `next_event`).
async fn each_event_of_a_served_enquiry_arrives_in_its_one_shape(backend: Backend) {
    let desk = desk(backend, "none", false).await;
    let mut socket = desk.socket(None).await;
    let me = desk.admin.staff_id.clone().unwrap();

    // Availability changes reach the account, with the agent's load.
    set_availability(&desk.admin, "away").await;
    let away = next_event(&mut socket, |e| e["type"] == "staff.availability").await;
    assert_eq!(away["data"]["staff_id"], me.as_str());
    assert_eq!(away["data"]["availability"], "away");
    assert_eq!(away["data"]["active_count"], 0);
    assert_eq!(away["data"]["capacity"], 5);
    set_availability(&desk.admin, "available").await;
    let back = next_event(&mut socket, |e| e["type"] == "staff.availability").await;
    assert_eq!(back["data"]["availability"], "available");

    let psid = desk.app.visitor(&desk.page.page_id, "Shay").await;
    desk.app
        .fb()
        .send_text(&psid, "Is it in stock?")
        .await
        .unwrap();
    let opened = next_event(&mut socket, |e| e["type"] == "enquiry.opened").await;
    assert_eq!(opened["data"]["enquiry"]["status"], "queued");
    let enquiry = opened["data"]["enquiry"]["id"].as_str().unwrap().to_owned();
    let created = next_event(&mut socket, |e| {
        e["type"] == "message.created" && e["data"]["message"]["direction"] == "inbound"
    })
    .await;
    assert_eq!(created["data"]["enquiry_id"], enquiry.as_str());
    assert_eq!(
        created["data"]["visitor_id"],
        created["data"]["message"]["visitor_id"]
    );
    assert_eq!(created["data"]["message"]["text"], "Is it in stock?");
    assert!(created["data"]["message"]["attachments"].is_array());
    let offer = next_event(&mut socket, |e| e["type"] == "offer.created").await;
    assert_eq!(offer["data"]["offer"]["status"], "open");
    assert_eq!(offer["data"]["offer"]["enquiry_id"], enquiry.as_str());
    let offer_id = offer["data"]["offer"]["id"].as_str().unwrap();
    let (status, body) = desk
        .admin
        .post(&format!("/api/v1/offers/{offer_id}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let assigned = next_event(&mut socket, |e| e["type"] == "enquiry.assigned").await;
    assert_eq!(assigned["data"]["via"], "offer");
    assert_eq!(assigned["data"]["staff_id"], me.as_str());

    // A staff reply: created (queued), then updated (sent), both the full view.
    let (_, reply) = desk.reply(&enquiry, "Yes, it is").await;
    let queued = next_event(&mut socket, |e| {
        e["type"] == "message.created" && e["data"]["message"]["id"] == reply["id"]
    })
    .await;
    assert_eq!(queued["data"]["message"]["status"], "queued");
    assert_eq!(queued["data"]["message"]["author"], "staff");
    assert_eq!(
        queued["data"]["message"], reply,
        "the send's answer is the event's view"
    );
    let sent = next_event(&mut socket, |e| {
        e["type"] == "message.updated"
            && e["data"]["message"]["id"] == reply["id"]
            && e["data"]["message"]["status"] == "sent"
    })
    .await;
    assert_eq!(sent["data"]["enquiry_id"], enquiry.as_str());
    assert!(sent["data"]["message"]["reactions"].is_array());

    let (status, _) = desk
        .admin
        .post(&format!("/api/v1/enquiries/{enquiry}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let closed = next_event(&mut socket, |e| e["type"] == "enquiry.closed").await;
    assert_eq!(closed["data"]["enquiry_id"], enquiry.as_str());
    assert_eq!(closed["data"]["closed_by"], me.as_str());
    assert_eq!(closed["data"]["reason"], "agent");
}

on_both_backends!(
    each_event_of_a_served_enquiry_arrives_in_its_one_shape,
    a_token_revoked_during_sends_disconnects_the_channel_and_holds_the_reply,
    an_accepted_reply_reaches_the_visitor_exactly_as_sent,
    every_display_name_format_is_applied_to_staff_replies,
    the_2000_character_limit_counts_the_prefix_and_refuses_before_storing,
    files_are_uploaded_to_messenger_and_over_25_mb_is_refused,
    a_lapsed_window_refuses_with_the_exact_message_unless_the_tag_is_allowed,
    replies_during_an_outage_are_delivered_in_order_once_it_recovers,
    a_rate_limited_reply_is_delivered_once_the_limit_clears,
    a_rate_limit_that_never_clears_fails_the_reply_with_facebooks_reason,
    a_reconnecting_socket_receives_what_it_missed,
    closing_and_transferring_need_the_serving_agent_and_free_the_enquiry,
);
