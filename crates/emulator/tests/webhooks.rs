//! The webhook sender, seen from a tiny receiver that verifies signatures
//! with `messenger::signature::verify` and parses with `messenger::events`.

mod common;

use std::time::Duration;

use common::*;
use emulator::control::types::{DeliveryKind, NewVisitor, VisitorEvent};
use emulator::PAGE_INBOX_APP_ID;
use messenger::events::{parse_batch, EventKind};
use messenger::graph::{SendRequest, MESSENGER_FIELDS};

#[tokio::test]
async fn a_visitor_message_arrives_signed_with_both_headers_as_facebook_sends_it() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let receipt = emu.control.send_text(&c.psid, "Hi there").await.unwrap();
    emu.receiver.wait_events(1).await;
    let post = &emu.receiver.received("/webhook")[0];
    assert_eq!(post.header("user-agent"), Some("facebookexternalua"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    messenger::signature::verify(
        APP_SECRET.as_bytes(),
        &post.body,
        post.header("x-hub-signature-256"),
        None,
    )
    .expect("sha256 signature over the raw body");
    messenger::signature::verify(
        APP_SECRET.as_bytes(),
        &post.body,
        None,
        post.header("x-hub-signature"),
    )
    .expect("legacy sha1 signature");
    let batch = parse_batch(&post.body).unwrap();
    let event = batch.events().next().unwrap();
    assert_eq!(event.page_id, c.page_id);
    assert_eq!(event.timestamp, receipt.timestamp);
    match &event.kind {
        EventKind::Message(m) => {
            assert_eq!(m.text.as_deref(), Some("Hi there"));
            assert_eq!(Some(m.mid.clone()), receipt.mid);
        }
        other => panic!("expected a message, got {other:?}"),
    }
}

#[tokio::test]
async fn non_ascii_text_is_sent_as_escaped_unicode_and_the_signature_covers_those_bytes() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control
        .send_text(&c.psid, "Grüße 😀 https://a.example/x")
        .await
        .unwrap();
    emu.receiver.wait_events(1).await;
    let post = &emu.receiver.received("/webhook")[0];
    let raw = std::str::from_utf8(&post.body).unwrap();
    assert!(raw.is_ascii());
    assert!(
        raw.contains(r"Gr\u00fc\u00dfe \ud83d\ude00 https:\/\/a.example\/x"),
        "{raw}"
    );
    messenger::signature::verify(
        APP_SECRET.as_bytes(),
        &post.body,
        post.header("x-hub-signature-256"),
        None,
    )
    .unwrap();
    assert_eq!(
        post.json()["entry"][0]["messaging"][0]["message"]["text"],
        "Grüße 😀 https://a.example/x"
    );
}

#[tokio::test]
async fn events_pending_together_are_batched_into_one_post_with_an_entry_per_page() {
    let emu =
        TestEmulator::start_with(|c| c.webhook.batch_window = Duration::from_millis(300)).await;
    let c = emu.connect().await;
    let second = emu.page_for(&c.user_id, "Second", &ALL_TASKS).await;
    let accounts = emu.graph.page_accounts(&c.user_token).await.unwrap();
    assert_eq!(
        accounts.len(),
        1,
        "the second Page was not granted at login"
    );
    let accounts = emu.pages_at_new_login().await;
    let second_token = accounts
        .iter()
        .find(|a| a.id == second.id)
        .unwrap()
        .access_token
        .clone()
        .unwrap();
    emu.graph
        .subscribe_app(&second.id, second_token.expose(), &MESSENGER_FIELDS)
        .await
        .unwrap();
    let other = emu
        .control
        .create_visitor(
            &second.id,
            &NewVisitor {
                first_name: "Otto".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    emu.control.send_text(&c.psid, "one").await.unwrap();
    emu.control.send_text(&c.psid, "two").await.unwrap();
    emu.control.send_text(&other.psid, "three").await.unwrap();
    emu.receiver.wait_events(3).await;
    let posts = emu.receiver.received("/webhook");
    assert_eq!(posts.len(), 1, "one POST for three pending events");
    let body = posts[0].json();
    let entries = body["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["id"], c.page_id.as_str());
    assert_eq!(entries[0]["messaging"].as_array().unwrap().len(), 2);
    assert_eq!(entries[1]["id"], second.id.as_str());
    assert_eq!(body["object"], "page");
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_the_product_answers_200() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.receiver.script(&[500, 503]);
    emu.control.send_text(&c.psid, "persist me").await.unwrap();
    let log = eventually_async("a successful delivery", || async {
        let log = emu.control.deliveries().await.unwrap();
        log.iter().any(|d| d.status == Some(200)).then_some(log)
    })
    .await;
    let attempts: Vec<(u32, Option<u16>)> = log
        .iter()
        .filter(|d| d.kind == DeliveryKind::Events)
        .map(|d| (d.attempt, d.status))
        .collect();
    assert_eq!(
        attempts,
        vec![(1, Some(500)), (2, Some(503)), (3, Some(200))]
    );
    let posts = emu.receiver.received("/webhook");
    assert_eq!(posts.len(), 3);
    assert!(
        posts.iter().all(|p| p.body == posts[0].body),
        "the same bytes are re-sent"
    );
}

#[tokio::test]
async fn the_duplicate_switch_delivers_every_post_twice() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control
        .update_webhook(|w| w.duplicate = true)
        .await
        .unwrap();
    emu.control.send_text(&c.psid, "twice").await.unwrap();
    let events = emu.receiver.wait_events(2).await;
    assert_eq!(events[0]["message"]["mid"], events[1]["message"]["mid"]);
}

#[tokio::test]
async fn the_reorder_switch_delivers_pending_events_newest_first() {
    let emu =
        TestEmulator::start_with(|c| c.webhook.batch_window = Duration::from_millis(300)).await;
    let c = emu.connect().await;
    emu.control
        .update_webhook(|w| w.reorder = true)
        .await
        .unwrap();
    for text in ["first", "second", "third"] {
        emu.control.send_text(&c.psid, text).await.unwrap();
    }
    let events = emu.receiver.wait_events(3).await;
    let texts: Vec<&str> = events
        .iter()
        .map(|e| e["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["third", "second", "first"]);
    let stamps: Vec<i64> = events
        .iter()
        .map(|e| e["timestamp"].as_i64().unwrap())
        .collect();
    assert!(
        stamps[0] >= stamps[2],
        "timestamps still tell the real order"
    );
}

#[tokio::test]
async fn after_the_failure_window_the_app_is_unsubscribed_from_the_page() {
    let emu =
        TestEmulator::start_with(|c| c.webhook.failure_window = Duration::from_millis(200)).await;
    let c = emu.connect().await;
    emu.receiver.set_failing(true);
    emu.control
        .send_text(&c.psid, "nobody listens")
        .await
        .unwrap();
    let log = eventually_async("the unsubscription", || async {
        let log = emu.control.deliveries().await.unwrap();
        log.iter()
            .any(|d| d.kind == DeliveryKind::Unsubscribed)
            .then_some(log)
    })
    .await;
    assert!(
        log.iter()
            .filter(|d| d.kind == DeliveryKind::Events)
            .count()
            >= 2,
        "retried first"
    );
    assert!(emu
        .graph
        .subscribed_apps(&c.page_id, &c.page_token)
        .await
        .unwrap()
        .is_empty());
    emu.receiver.set_failing(false);
    let before = emu.receiver.received("/webhook").len();
    emu.control.send_text(&c.psid, "lost").await.unwrap();
    emu.graph
        .subscribe_app(&c.page_id, &c.page_token, &MESSENGER_FIELDS)
        .await
        .unwrap();
    emu.control
        .send_text(&c.psid, "after resubscribing")
        .await
        .unwrap();
    let events = eventually("the event after resubscribing", || {
        let posts = emu.receiver.received("/webhook");
        (posts.len() > before).then(|| emu.receiver.events())
    })
    .await;
    let last = events.last().unwrap();
    assert_eq!(last["message"]["text"], "after resubscribing");
    assert!(
        events.iter().all(|e| e["message"]["text"] != "lost"),
        "nothing is sent while unsubscribed"
    );
}

#[tokio::test]
async fn every_message_the_app_sends_is_echoed_with_the_app_id_and_metadata() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control.send_text(&c.psid, "hi").await.unwrap();
    let sent = emu
        .page_sends(
            &c,
            &SendRequest::text(&c.psid, "hello back").with_metadata("crm:7"),
        )
        .await
        .unwrap();
    let events = emu.receiver.wait_events(2).await;
    let echo = &events[1];
    assert_eq!(
        echo["sender"]["id"],
        c.page_id.as_str(),
        "echo: sender is the Page"
    );
    assert_eq!(echo["recipient"]["id"], c.psid.as_str());
    assert_eq!(echo["message"]["is_echo"], true);
    assert_eq!(echo["message"]["app_id"], APP_ID.parse::<u64>().unwrap());
    assert_eq!(echo["message"]["metadata"], "crm:7");
    assert_eq!(echo["message"]["mid"].as_str(), sent.message_id.as_deref());
}

#[tokio::test]
async fn a_human_reply_from_the_page_inbox_is_echoed_with_the_inbox_app_id() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control
        .inbox_reply(&c.psid, "typed in Business Suite")
        .await
        .unwrap();
    let events = emu.receiver.wait_events(1).await;
    assert_eq!(
        events[0]["message"]["app_id"],
        PAGE_INBOX_APP_ID.parse::<u64>().unwrap()
    );
    assert_eq!(events[0]["message"]["text"], "typed in Business Suite");
    let received = emu.control.received(&c.psid).await.unwrap();
    assert_eq!(received[0].app_id.as_deref(), Some(PAGE_INBOX_APP_ID));
}

#[tokio::test]
async fn every_kind_of_visitor_event_parses_as_its_documented_kind() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let first = emu
        .control
        .send_text(&c.psid, "hi")
        .await
        .unwrap()
        .mid
        .unwrap();
    emu.page_sends(&c, &SendRequest::text(&c.psid, "answer"))
        .await
        .unwrap();
    emu.control
        .send_reply(&c.psid, "quoting", &first)
        .await
        .unwrap();
    emu.control
        .send_attachment(&c.psid, "image", "https://cdn.example/p.jpg")
        .await
        .unwrap();
    emu.control
        .send_sticker(&c.psid, 369239263222822, "https://cdn.example/like.png")
        .await
        .unwrap();
    emu.control
        .send_postback(&c.psid, "Get Started", "GET_STARTED")
        .await
        .unwrap();
    emu.control
        .send_quick_reply(&c.psid, "Yes", "YES")
        .await
        .unwrap();
    emu.control
        .react(&c.psid, &first, "love", "❤", "react")
        .await
        .unwrap();
    emu.control.edit(&c.psid, &first, "hi!").await.unwrap();
    emu.control.deliver(&c.psid).await.unwrap();
    emu.control.read(&c.psid).await.unwrap();
    emu.control
        .referral(&c.psid, "summer-ad", "ADS")
        .await
        .unwrap();
    emu.control.optin(&c.psid, "checkbox-1").await.unwrap();
    emu.receiver.wait_events(13).await;
    let mut kinds = Vec::new();
    for post in emu.receiver.received("/webhook") {
        for e in parse_batch(&post.body).unwrap().into_events() {
            kinds.push(e.kind);
        }
    }
    assert!(matches!(&kinds[0], EventKind::Message(m) if m.text.as_deref() == Some("hi")));
    assert!(matches!(&kinds[1], EventKind::Echo(_)));
    assert!(
        matches!(&kinds[2], EventKind::Message(m) if m.reply_to.as_ref().map(|r| r.mid.as_str()) == Some(first.as_str()))
    );
    assert!(matches!(&kinds[3], EventKind::Message(m) if m.attachments.len() == 1));
    assert!(matches!(&kinds[4], EventKind::Message(_)));
    assert!(
        matches!(&kinds[5], EventKind::Postback(p) if p.payload.as_deref() == Some("GET_STARTED"))
    );
    assert!(
        matches!(&kinds[6], EventKind::Message(m) if m.quick_reply.as_ref().map(|q| q.payload.as_str()) == Some("YES"))
    );
    assert!(matches!(&kinds[7], EventKind::Reaction(_)));
    assert!(matches!(&kinds[8], EventKind::MessageEdit(_)));
    assert!(matches!(&kinds[9], EventKind::Delivery(_)));
    assert!(matches!(&kinds[10], EventKind::Read(_)));
    assert!(matches!(&kinds[11], EventKind::Referral(_)));
    assert!(matches!(&kinds[12], EventKind::Optin(_)));
    assert_eq!(kinds.len(), 13);
}

#[tokio::test]
async fn delivery_and_read_watermarks_cover_the_pages_latest_message() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control.send_text(&c.psid, "hi").await.unwrap();
    let sent = emu
        .page_sends(&c, &SendRequest::text(&c.psid, "answer"))
        .await
        .unwrap();
    let answer_ts = emu.control.received(&c.psid).await.unwrap()[0].timestamp;
    emu.control.deliver(&c.psid).await.unwrap();
    emu.control.read(&c.psid).await.unwrap();
    let events = emu.receiver.wait_events(4).await;
    assert_eq!(events[2]["delivery"]["watermark"], answer_ts);
    assert_eq!(
        events[2]["delivery"]["mids"][0].as_str(),
        sent.message_id.as_deref()
    );
    assert_eq!(events[3]["read"]["watermark"], answer_ts);
}

#[tokio::test]
async fn standby_events_arrive_in_a_standby_entry_and_postbacks_lose_their_payload() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.control
        .visitor_event(
            &c.psid,
            VisitorEvent::Postback {
                title: "Menu".into(),
                payload: "MENU".into(),
            },
            true,
        )
        .await
        .unwrap();
    emu.receiver.wait_events(1).await;
    let body = emu.receiver.received("/webhook")[0].json();
    let entry = &body["entry"][0];
    assert!(entry.get("messaging").is_none());
    assert_eq!(entry["standby"][0]["postback"]["title"], "Menu");
    assert!(entry["standby"][0]["postback"].get("payload").is_none());
    let batch = parse_batch(&emu.receiver.received("/webhook")[0].body).unwrap();
    assert!(batch.events().next().unwrap().standby);
}

#[tokio::test]
async fn only_subscribed_fields_are_delivered() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    emu.graph
        .subscribe_app(&c.page_id, &c.page_token, &["messages"])
        .await
        .unwrap();
    emu.control.send_text(&c.psid, "hi").await.unwrap();
    emu.page_sends(&c, &SendRequest::text(&c.psid, "no echo"))
        .await
        .unwrap();
    emu.control.send_text(&c.psid, "again").await.unwrap();
    let events = emu.receiver.wait_events(2).await;
    assert_eq!(
        events[1]["message"]["text"], "again",
        "the echo was not subscribed"
    );
}

#[tokio::test]
async fn the_app_subscription_call_verifies_the_callback_with_the_hub_challenge() {
    let emu = TestEmulator::start_with(|c| c.webhook_url = None).await;
    let app_token = format!("{APP_ID}|{APP_SECRET}");
    let subscribe = |callback: String, token: &'static str| {
        let emu = &emu;
        let app_token = app_token.clone();
        async move {
            emu.http
                .post(emu.url(&format!("v25.0/{APP_ID}/subscriptions")))
                .form(&[
                    ("object", "page"),
                    ("callback_url", callback.as_str()),
                    ("verify_token", token),
                    ("fields", "messages,message_echoes"),
                    ("access_token", app_token.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let bad = subscribe(emu.receiver.url("/webhook").to_string(), "wrong-token").await;
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["code"], 2200);
    let mismatch = subscribe(emu.receiver.url("/bad-webhook").to_string(), VERIFY_TOKEN).await;
    let body: serde_json::Value = mismatch.json().await.unwrap();
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("does not match challenge"));
    let ok = subscribe(emu.receiver.url("/webhook").to_string(), VERIFY_TOKEN).await;
    assert_eq!(ok.status(), 200);
    let subs = emu.control.subscriptions().await.unwrap();
    let app = subs.app.unwrap();
    assert_eq!(app.callback_url, emu.receiver.url("/webhook").as_str());
    assert_eq!(app.fields, ["messages", "message_echoes"]);
    let listed: serde_json::Value = emu
        .http
        .get(emu.url(&format!("v25.0/{APP_ID}/subscriptions")))
        .query(&[("access_token", app_token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["fields"][0]["name"], "messages");
    let c = emu.connect().await;
    emu.control
        .send_text(&c.psid, "now delivered")
        .await
        .unwrap();
    emu.receiver.wait_events(1).await;
}
