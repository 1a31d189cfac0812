//! The event WebSocket's guards: who may open it (session cookie only from
//! our own origin, never anonymously), what each socket sees (its own
//! account's events and its own private ones, never a colleague's or
//! another account's, live or replayed), and that a socket which missed
//! live events (as a lagging one does) is caught up from the log in order,
//! without a gap or a duplicate. Every case runs on both backends.

mod common;

use std::time::Duration;

use common::{Backend, Client, TestApp};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::events::{
    Audience, ChannelDeletedData, ChannelUpdatedData, LiveEvent, OfferTakenData,
    OfferWithdrawnData, WithdrawnReason,
};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const PASSWORD: &str = "agent password 1";

/// Logs `email` in without a cookie jar and returns the session cookie
/// (`omnidesk_session=…`), as a browser would hold it.
async fn session_cookie(app: &TestApp, email: &str, password: &str) -> String {
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login reaches the server");
    assert_eq!(response.status(), StatusCode::OK);
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("omnidesk_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

/// Opens the socket with these headers; the refusal's status when refused.
async fn open(
    app: &TestApp,
    query: &str,
    headers: &[(&'static str, &str)],
) -> Result<Socket, StatusCode> {
    let mut request = format!("ws://{}/api/v1/events{query}", app.addr)
        .into_client_request()
        .unwrap();
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, HeaderValue::from_str(value).unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(WsError::Http(response)) => {
            Err(StatusCode::from_u16(response.status().as_u16()).unwrap())
        }
        Err(other) => panic!("the socket neither opened nor was refused: {other}"),
    }
}

/// The next text frame as JSON, within 10 s.
async fn next_frame(socket: &mut Socket) -> Value {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let frame = socket.next().await.expect("socket open").expect("frame");
            if let WsMessage::Text(text) = frame {
                let frame = serde_json::from_str::<Value>(&text).unwrap();
                common::live::assert_documented(&frame);
                return frame;
            }
        }
    })
    .await
    .expect("a frame arrives within 10 s")
}

/// Frames up to and including the first of type `until`.
async fn frames_until(socket: &mut Socket, until: &str) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = next_frame(socket).await;
        let done = frame["type"] == until;
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

/// The kind the tests publish last, to know everything before it arrived.
const DONE: &str = "channel.deleted";

/// A made-up event of `kind` (only the kinds these tests use).
fn event(kind: &str) -> LiveEvent {
    match kind {
        "offer.taken" => LiveEvent::OfferTaken(OfferTakenData {
            offer_id: "o".into(),
            enquiry_id: "e".into(),
            staff_id: "s".into(),
        }),
        "offer.withdrawn" => LiveEvent::OfferWithdrawn(OfferWithdrawnData {
            offer_id: "o".into(),
            enquiry_id: "e".into(),
            reason: WithdrawnReason::Expired,
        }),
        "channel.updated" => LiveEvent::ChannelUpdated(ChannelUpdatedData {
            channel_id: "c".into(),
            status: "active".into(),
            name: "Shop".into(),
        }),
        DONE => LiveEvent::ChannelDeleted(ChannelDeletedData {
            channel_id: "c".into(),
            page_id: "p".into(),
        }),
        other => panic!("no made-up {other} event"),
    }
}

/// Waits (≤ 10 s) for the server to close `socket` because its access
/// ended, skipping the frames before.
async fn closed_for_access(socket: &mut Socket) {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(WsMessage::Close(Some(frame)))) => {
                    assert_eq!(u16::from(frame.code), server::ws::ACCESS_ENDED);
                    return;
                }
                Some(Ok(WsMessage::Close(None))) | None => panic!("closed without the reason"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("socket failed instead of closing: {e}"),
            }
        }
    })
    .await
    .expect("the socket closes within 10 s");
}

/// A staff member of `admin`'s account with their e-mail and id.
async fn colleague(admin: &Client) -> (String, String) {
    let email = format!("agent-{}@example.com", common::uuid());
    let id = admin.create_staff(&email, "agent").await;
    (email, id)
}

async fn a_session_socket_opens_only_from_our_own_origin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Shop").await;
    let (email, _) = colleague(&admin).await;
    let cookie = session_cookie(&app, &email, PASSWORD).await;
    let ours = app.state.config.public_url.origin().ascii_serialization();

    let foreign = open(
        &app,
        "",
        &[("cookie", &cookie), ("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(foreign.err(), Some(StatusCode::FORBIDDEN));
    // A look-alike of our origin (other port or scheme) is foreign too.
    let lookalike = format!("{ours}.evil.example");
    let refused = open(&app, "", &[("cookie", &cookie), ("origin", &lookalike)]).await;
    assert_eq!(refused.err(), Some(StatusCode::FORBIDDEN));

    // Browsers ask for compressed responses on the upgrade too; the 101 is
    // never compressed.
    let mut socket = open(
        &app,
        "",
        &[
            ("cookie", &cookie),
            ("origin", &ours),
            ("accept-encoding", "gzip, deflate, br"),
        ],
    )
    .await
    .expect("our own pages may open it");
    let ready = next_frame(&mut socket).await;
    assert_eq!(ready["type"], "ready", "{ready}");
}

async fn a_socket_without_valid_credentials_is_refused_with_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Shop").await;
    let ours = app.state.config.public_url.origin().ascii_serialization();
    assert_eq!(
        open(&app, "", &[("origin", &ours)]).await.err(),
        Some(StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        open(&app, "?token=odk_not-a-real-token", &[]).await.err(),
        Some(StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        open(
            &app,
            "",
            &[("cookie", "omnidesk_session=forged"), ("origin", &ours)]
        )
        .await
        .err(),
        Some(StatusCode::UNAUTHORIZED)
    );
    // A revoked token no longer opens it.
    let (status, token) = admin
        .post("/api/v1/api-tokens", json!({"name": "socket"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let query = format!("?token={}", token["secret"].as_str().unwrap());
    assert!(
        open(&app, &query, &[]).await.is_ok(),
        "a live token opens it"
    );
    let (status, _) = admin
        .delete(&format!(
            "/api/v1/api-tokens/{}",
            token["token"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        open(&app, &query, &[]).await.err(),
        Some(StatusCode::UNAUTHORIZED)
    );
    // Logged out is logged out for the socket too.
    let (email, _) = colleague(&admin).await;
    let cookie = session_cookie(&app, &email, PASSWORD).await;
    let http = reqwest::Client::new();
    let login = http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let set = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    let second = set.split(';').next().unwrap().to_owned();
    let csrf = login.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let logout = http
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &second)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        open(&app, "", &[("cookie", &second), ("origin", &ours)])
            .await
            .err(),
        Some(StatusCode::UNAUTHORIZED)
    );
    assert!(
        open(&app, "", &[("cookie", &cookie), ("origin", &ours)])
            .await
            .is_ok(),
        "the agent's other session still opens it"
    );
}

async fn a_socket_sees_neither_a_colleagues_private_events_nor_another_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Shop").await;
    let account = admin.account_id.clone().unwrap();
    let (ann_email, ann) = colleague(&admin).await;
    let (bob_email, bob) = colleague(&admin).await;
    let stranger = app.new_account("Other").await;
    let other_account = stranger.account_id.clone().unwrap();
    let (eve_email, _) = colleague(&stranger).await;
    let ours = app.state.config.public_url.origin().ascii_serialization();
    let mut sockets = Vec::new();
    for email in [&ann_email, &bob_email, &eve_email] {
        let cookie = session_cookie(&app, email, PASSWORD).await;
        let mut socket = open(&app, "", &[("cookie", &cookie), ("origin", &ours)])
            .await
            .expect("socket opens");
        assert_eq!(next_frame(&mut socket).await["type"], "ready");
        sockets.push(socket);
    }
    let (store, events) = (&app.state.store, &app.state.events);
    let publish = |account: String, audience: Option<String>, kind: &'static str| async move {
        let audience = match &audience {
            Some(staff) => Audience::Staff(staff),
            None => Audience::Account,
        };
        events
            .publish(store, &account, audience, event(kind))
            .await
            .expect("published")
    };
    let before = store.latest_event_seq(&account).await.unwrap();
    publish(account.clone(), Some(ann.clone()), "offer.taken").await;
    publish(other_account.clone(), None, "channel.updated").await;
    publish(account.clone(), Some(bob.clone()), "offer.withdrawn").await;
    publish(other_account.clone(), None, DONE).await;
    publish(account.clone(), None, DONE).await;

    let kinds = |frames: &[Value]| -> Vec<String> {
        frames
            .iter()
            .map(|f| f["type"].as_str().unwrap().to_owned())
            .collect()
    };
    let [ann_socket, bob_socket, eve_socket] = &mut sockets[..] else {
        unreachable!()
    };
    assert_eq!(
        kinds(&frames_until(ann_socket, DONE).await),
        ["offer.taken", DONE]
    );
    assert_eq!(
        kinds(&frames_until(bob_socket, DONE).await),
        ["offer.withdrawn", DONE]
    );
    assert_eq!(
        kinds(&frames_until(eve_socket, DONE).await),
        ["channel.updated", DONE]
    );

    // Replayed from the log (a reconnect with ?after=), the same holds.
    let cookie = session_cookie(&app, &bob_email, PASSWORD).await;
    let query = format!("?after={before}");
    let mut replayed = open(&app, &query, &[("cookie", &cookie), ("origin", &ours)])
        .await
        .expect("socket opens");
    let frames = frames_until(&mut replayed, "ready").await;
    assert_eq!(kinds(&frames), ["offer.withdrawn", DONE, "ready"]);
}

async fn a_socket_closes_at_once_when_its_access_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Shop").await;
    let ours = app.state.config.public_url.origin().ascii_serialization();
    let (email, agent_id) = colleague(&admin).await;
    let open_session = |cookie: String| {
        let app = &app;
        let ours = ours.clone();
        async move {
            let mut socket = open(app, "", &[("cookie", &cookie), ("origin", &ours)])
                .await
                .expect("opens");
            assert_eq!(next_frame(&mut socket).await["type"], "ready");
            socket
        }
    };
    // Two browsers of the agent; the first logs out.
    let first_cookie = session_cookie(&app, &email, PASSWORD).await;
    let mut first_socket = open_session(first_cookie.clone()).await;
    let mut second_socket = open_session(session_cookie(&app, &email, PASSWORD).await).await;
    let csrf = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", &first_cookie)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let logout = reqwest::Client::new()
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &first_cookie)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    closed_for_access(&mut first_socket).await;

    // An integration's token socket closes when the token is revoked.
    let (status, created) = admin
        .post("/api/v1/api-tokens", json!({"name": "CRM"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap();
    let mut token_socket = open(&app, &format!("?token={secret}"), &[]).await.unwrap();
    assert_eq!(next_frame(&mut token_socket).await["type"], "ready");
    let token_id = created["token"]["id"].as_str().unwrap();
    assert_eq!(
        admin
            .delete(&format!("/api/v1/api-tokens/{token_id}"))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    closed_for_access(&mut token_socket).await;

    // The agent's other browser stayed open until the agent is removed.
    app.state
        .publish(
            admin.account_id.as_deref().unwrap(),
            Audience::Account,
            event("channel.updated"),
        )
        .await;
    assert_eq!(
        next_frame(&mut second_socket).await["type"],
        "channel.updated"
    );
    assert_eq!(
        admin.delete(&format!("/api/v1/staff/{agent_id}")).await.0,
        StatusCode::NO_CONTENT
    );
    closed_for_access(&mut second_socket).await;
}

async fn a_socket_that_missed_live_events_is_caught_up_from_the_log_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_account("Shop").await;
    let account = admin.account_id.clone().unwrap();
    let (email, me) = colleague(&admin).await;
    let (_, colleague_id) = colleague(&admin).await;
    let cookie = session_cookie(&app, &email, PASSWORD).await;
    let mut socket = open(&app, "", &[("cookie", &cookie)]).await.expect("opens");
    let ready = next_frame(&mut socket).await;
    let start = ready["seq"].as_i64().unwrap();
    // Committed to the log but never fanned out live: exactly what a socket
    // whose live channel lagged (overflowed) has missed.
    let store = &app.state.store;
    let now = jiff::Timestamp::now();
    let mut expected = Vec::new();
    // A row an older version logged in a shape no kind has now is skipped
    // (and logged), not the end of the socket.
    store
        .append_event(
            &account,
            None,
            "message.status",
            r#"{"message_id":"m"}"#,
            now,
        )
        .await
        .unwrap();
    for i in 0..600 {
        // Every third one is a colleague's, which must stay unseen.
        let staff = match i % 3 {
            0 => Some(colleague_id.as_str()),
            1 => Some(me.as_str()),
            _ => None,
        };
        let data = json!({"offer_id": format!("o{i}"), "enquiry_id": "e", "staff_id": "s"});
        let stored = store
            .append_event(&account, staff, "offer.taken", &data.to_string(), now)
            .await
            .unwrap();
        if i % 3 != 0 {
            expected.push(stored.seq);
        }
    }
    // The next live event reveals the gap; the socket replays the log.
    let last = app
        .state
        .events
        .publish(store, &account, Audience::Account, event(DONE))
        .await
        .unwrap();
    expected.push(last);
    let frames = frames_until(&mut socket, DONE).await;
    let seqs: Vec<i64> = frames.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, expected, "every missed event once, in order");
    assert!(seqs[0] > start);
    assert!(frames[..frames.len() - 1].iter().all(|f| {
        let i: i64 = f["data"]["offer_id"].as_str().unwrap()[1..]
            .parse()
            .unwrap();
        f["type"] == "offer.taken" && i % 3 != 0
    }));
    // And live events keep flowing afterwards.
    let next = app
        .state
        .events
        .publish(
            store,
            &account,
            Audience::Staff(&me),
            event("channel.updated"),
        )
        .await
        .unwrap();
    let frame = next_frame(&mut socket).await;
    assert_eq!(
        (frame["type"].clone(), frame["seq"].as_i64()),
        (json!("channel.updated"), Some(next))
    );
}

on_both_backends!(
    a_session_socket_opens_only_from_our_own_origin,
    a_socket_without_valid_credentials_is_refused_with_401,
    a_socket_sees_neither_a_colleagues_private_events_nor_another_accounts,
    a_socket_that_missed_live_events_is_caught_up_from_the_log_in_order,
    a_socket_closes_at_once_when_its_access_ends,
);
