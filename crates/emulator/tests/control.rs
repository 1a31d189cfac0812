//! The control API's own behaviour, the HTML pages, and start/stop.

mod common;

use std::time::Duration;

use common::*;
use emulator::control::types::{NewPage, NewUser, NewVisitor};
use emulator::{ControlClientError, EmulatorConfig};

#[tokio::test]
async fn the_index_lists_pages_and_links_each_visitor_to_a_chat_page() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let html = emu.get_text(emu.url("_emulator/")).await;
    assert!(html.contains("Acme Support"));
    let link = format!("/_emulator/chat/{}/{}", c.page_id, c.psid);
    assert!(html.contains(&link), "{html}");
    let chat = emu.get(emu.url(link.trim_start_matches('/'))).await;
    assert_eq!(chat.status(), 200);
    let chat = chat.text().await.unwrap();
    assert!(chat.contains("Vera Visitor"));
    assert!(
        chat.contains("/_emulator/visitors/'+psid+'/thread"),
        "polls the thread"
    );
}

#[tokio::test]
async fn a_chat_page_for_a_visitor_of_another_page_is_not_found() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let other = emu.page("Other").await;
    let resp = emu
        .get(emu.url(&format!("_emulator/chat/{}/{}", other.id, c.psid)))
        .await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn control_errors_say_what_is_wrong_with_the_right_status() {
    let emu = TestEmulator::start().await;
    let missing = emu.control.send_text("404404", "hi").await.unwrap_err();
    assert!(
        matches!(missing, ControlClientError::Status { status: 404, ref body, .. } if body.contains("visitor 404404"))
    );
    let user = emu.control.create_user("Ada").await.unwrap();
    let page = emu
        .control
        .create_page(&NewPage {
            id: Some("1001".into()),
            name: "P".into(),
            picture: None,
        })
        .await
        .unwrap();
    assert_eq!(page.id, "1001");
    let dup = emu
        .control
        .create_page(&NewPage {
            id: Some("1001".into()),
            name: "P".into(),
            picture: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(
        dup,
        ControlClientError::Status { status: 409, .. }
    ));
    let bad_task = emu
        .control
        .set_role("1001", &user.id, &["MESSAGE"])
        .await
        .unwrap_err();
    assert!(
        matches!(bad_task, ControlClientError::Status { status: 422, ref body, .. } if body.contains("MESSAGE"))
    );
}

#[tokio::test]
async fn scripted_ids_are_kept_and_the_overview_shows_everything() {
    let emu = TestEmulator::start().await;
    let body = serde_json::to_value(NewUser {
        id: Some("77".into()),
        name: "Ada".into(),
    })
    .unwrap();
    let resp = emu
        .http
        .post(emu.url("_emulator/users"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let page = emu.page("P").await;
    let v = emu
        .control
        .create_visitor(
            &page.id,
            &NewVisitor {
                psid: Some("555".into()),
                first_name: "Vi".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.psid, "555");
    let overview = emu.control.overview().await.unwrap();
    assert_eq!(overview.users[0].id, "77");
    assert_eq!(overview.pages[0].id, page.id);
    assert_eq!(overview.visitors[0].psid, "555");
}

#[tokio::test]
async fn the_clock_offset_moves_event_timestamps() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let before = emu
        .control
        .send_text(&c.psid, "now")
        .await
        .unwrap()
        .timestamp;
    let clock = emu.control.advance_clock(86_400_000).await.unwrap();
    assert_eq!(clock.offset_ms, 86_400_000);
    let after = emu
        .control
        .send_text(&c.psid, "tomorrow")
        .await
        .unwrap()
        .timestamp;
    assert!(after - before >= 86_400_000);
    let visitor = emu.control.visitor(&c.psid).await.unwrap();
    assert_eq!(visitor.last_inbound_ms, Some(after));
}

#[tokio::test]
async fn a_message_can_be_edited_at_most_five_times() {
    let emu = TestEmulator::start().await;
    let c = emu.connect().await;
    let mid = emu
        .control
        .send_text(&c.psid, "v0")
        .await
        .unwrap()
        .mid
        .unwrap();
    for i in 1..=5 {
        emu.control
            .edit(&c.psid, &mid, &format!("v{i}"))
            .await
            .unwrap();
    }
    let sixth = emu.control.edit(&c.psid, &mid, "v6").await.unwrap_err();
    assert!(matches!(
        sixth,
        ControlClientError::Status { status: 422, .. }
    ));
    let events = emu.receiver.wait_events(6).await;
    assert_eq!(events[5]["message_edit"]["num_edit"], 5);
}

#[tokio::test]
async fn shutdown_stops_the_server_and_run_returns_when_its_future_resolves() {
    let emu = TestEmulator::start().await;
    let base = emu.handle.base_url();
    emu.handle.shutdown().await.unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    assert!(client
        .get(base.join("_emulator/").unwrap())
        .send()
        .await
        .is_err());

    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(emulator::run(
        EmulatorConfig::new(APP_ID, APP_SECRET),
        async {
            let _ = rx.await;
        },
    ));
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("run returns promptly")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn default_pictures_of_pages_and_visitors_are_served_by_the_emulator_itself() {
    // Facebook's CDN cannot be reached offline: a browser showing a visitor's
    // or Page's picture must find it on the emulator.
    let emu = TestEmulator::start().await;
    let page = emu.page("Acme Shop").await;
    let visitor = emu
        .control
        .create_visitor(
            &page.id,
            &NewVisitor {
                first_name: "Vera".into(),
                last_name: "Visitor".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for url in [&page.picture, &visitor.profile_pic] {
        assert!(
            url.starts_with(emu.url("_emulator/pictures/").as_str()),
            "{url}"
        );
        let resp = emu.get(url.as_str()).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "image/svg+xml");
        assert!(resp.text().await.unwrap().starts_with("<svg"));
    }
    let svg = emu
        .get(visitor.profile_pic.as_str())
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains(">VV</text>"), "{svg}");
}
