//! The Send and Attachment Upload APIs through the real `GraphClient`: what
//! the visitor receives, and every error class a product must handle.

mod common;

use common::*;
use emulator::control::types::{Direction, Fault};
use messenger::graph::{
    AttachmentKind, AttachmentSource, FileUpload, MessagingType, OutgoingMessage, SendRequest,
    SenderAction,
};
use messenger::ErrorClass;
use serde_json::json;

const HOUR_MS: i64 = 3_600_000;

async fn connected_with_inbound(emu: &TestEmulator) -> Connected {
    let c = emu.connect().await;
    emu.control.send_text(&c.psid, "Hello?").await.unwrap();
    c
}

#[tokio::test]
async fn a_reply_reaches_the_visitor_with_its_exact_text_type_and_metadata() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let text = "Grüße 👋 — how can we help?";
    let sent = emu
        .page_sends(
            &c,
            &SendRequest::text(&c.psid, text).with_metadata("crm:42"),
        )
        .await
        .unwrap();
    assert_eq!(sent.recipient_id.as_deref(), Some(c.psid.as_str()));
    let mid = sent.message_id.expect("a message id");
    assert!(mid.starts_with("m_"));
    let received = emu.control.received(&c.psid).await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].text.as_deref(), Some(text));
    assert_eq!(received[0].mid.as_deref(), Some(mid.as_str()));
    assert_eq!(received[0].messaging_type.as_deref(), Some("RESPONSE"));
    assert_eq!(received[0].metadata.as_deref(), Some("crm:42"));
    assert_eq!(received[0].app_id.as_deref(), Some(APP_ID));
}

#[tokio::test]
async fn me_messages_with_a_form_encoded_body_is_the_same_as_the_page_path() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let resp = emu
        .http
        .post(emu.url("v25.0/me/messages"))
        .form(&[
            ("access_token", c.page_token.as_str()),
            ("recipient", &json!({"id": c.psid}).to_string()),
            ("messaging_type", "UPDATE"),
            ("message", &json!({"text": "form body"}).to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let received = emu.control.received(&c.psid).await.unwrap();
    assert_eq!(received[0].text.as_deref(), Some("form body"));
    assert_eq!(received[0].messaging_type.as_deref(), Some("UPDATE"));
}

#[tokio::test]
async fn text_longer_than_2000_characters_is_a_bad_parameter() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let ok = "é".repeat(2000);
    emu.page_sends(&c, &SendRequest::text(&c.psid, ok))
        .await
        .expect("2000 characters are allowed");
    let err = emu
        .page_sends(&c, &SendRequest::text(&c.psid, "é".repeat(2001)))
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (100, None));
    assert_eq!(err.class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn an_unknown_psid_is_no_matching_user() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let err = emu
        .page_sends(&c, &SendRequest::text("999", "hi"))
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (100, Some(2018001)));
}

#[tokio::test]
async fn a_reply_after_24_hours_is_outside_the_window_but_human_agent_works_for_7_days() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    emu.control.advance_clock(25 * HOUR_MS).await.unwrap();
    let err = emu
        .page_sends(&c, &SendRequest::text(&c.psid, "late"))
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (10, Some(2018278)));
    assert_eq!(err.class(), ErrorClass::WindowLapsed);
    let human = SendRequest::text(&c.psid, "a human answers")
        .with_messaging_type(MessagingType::human_agent());
    emu.page_sends(&c, &human)
        .await
        .expect("HUMAN_AGENT is allowed within 7 days");
    emu.control.advance_clock(7 * 24 * HOUR_MS).await.unwrap();
    let err = emu.page_sends(&c, &human).await.unwrap_err();
    assert_eq!(codes(&err), (10, Some(2018278)));
    let received = emu.control.received(&c.psid).await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].tag.as_deref(), Some("HUMAN_AGENT"));
}

#[tokio::test]
async fn a_new_visitor_message_reopens_the_window() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    emu.control.advance_clock(30 * HOUR_MS).await.unwrap();
    emu.control
        .send_text(&c.psid, "still there?")
        .await
        .unwrap();
    emu.page_sends(&c, &SendRequest::text(&c.psid, "yes"))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_retired_message_tags_are_refused_with_error_100() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    for tag in [
        "ACCOUNT_UPDATE",
        "CONFIRMED_EVENT_UPDATE",
        "POST_PURCHASE_UPDATE",
    ] {
        let req = SendRequest::text(&c.psid, "update")
            .with_messaging_type(MessagingType::MessageTag(tag.into()));
        let err = emu.page_sends(&c, &req).await.unwrap_err();
        assert_eq!(codes(&err).0, 100, "{tag}");
    }
}

#[tokio::test]
async fn a_visitor_who_blocked_the_page_is_not_available() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    emu.control.set_blocked(&c.psid, true).await.unwrap();
    let err = emu
        .page_sends(&c, &SendRequest::text(&c.psid, "hi"))
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (551, Some(1545041)));
    assert_eq!(err.class(), ErrorClass::RecipientUnavailable);
}

#[tokio::test]
async fn sender_actions_are_logged_and_cannot_be_mixed_with_a_message() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    emu.graph
        .sender_action(&c.page_id, &c.page_token, &c.psid, &SenderAction::TypingOn)
        .await
        .unwrap();
    let thread = emu.control.thread(&c.psid).await.unwrap();
    let last = thread.last().unwrap();
    assert_eq!(last.from, Direction::Page);
    assert_eq!(last.sender_action.as_deref(), Some("typing_on"));
    let resp = emu
        .http
        .post(emu.url(&format!("v25.0/{}/messages", c.page_id)))
        .query(&[("access_token", c.page_token.as_str())])
        .json(&json!({"recipient": {"id": c.psid}, "sender_action": "typing_on", "message": {"text": "x"}}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], 100);
    assert_eq!(body["error"]["error_subcode"], 2018014);
}

#[tokio::test]
async fn attachments_by_url_by_upload_id_and_by_multipart_file_all_reach_the_visitor() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let by_url = SendRequest::attachment(
        &c.psid,
        AttachmentKind::Image,
        AttachmentSource::Url {
            url: "https://cdn.example/cat.png".into(),
            is_reusable: false,
        },
    );
    emu.page_sends(&c, &by_url).await.unwrap();

    let id = emu
        .graph
        .upload_attachment_url(
            &c.page_id,
            &c.page_token,
            AttachmentKind::File,
            "https://cdn.example/a.pdf",
        )
        .await
        .unwrap();
    let by_id = SendRequest::attachment(
        &c.psid,
        AttachmentKind::File,
        AttachmentSource::Id(id.clone()),
    );
    emu.page_sends(&c, &by_id).await.unwrap();

    let file = FileUpload {
        kind: AttachmentKind::Image,
        filename: "photo.png".into(),
        content_type: "image/png".into(),
        bytes: bytes::Bytes::from_static(b"\x89PNG fake"),
    };
    let sent = emu
        .graph
        .send_attachment_file(
            &c.page_id,
            &c.page_token,
            &c.psid,
            &MessagingType::Response,
            file,
        )
        .await
        .unwrap();
    assert!(
        sent.attachment_id.is_some(),
        "is_reusable uploads return an id"
    );

    let received = emu.control.received(&c.psid).await.unwrap();
    assert_eq!(received.len(), 3);
    assert_eq!(
        received[0].attachments[0].url.as_deref(),
        Some("https://cdn.example/cat.png")
    );
    assert_eq!(
        received[1].attachments[0].attachment_id.as_deref(),
        Some(id.as_str())
    );
    assert_eq!(received[1].attachments[0].kind, "file");
    let uploaded = &received[2].attachments[0];
    assert_eq!(uploaded.filename.as_deref(), Some("photo.png"));
    assert_eq!(uploaded.size, Some(9));
    let served = emu
        .get(emu.url(uploaded.url.as_deref().unwrap().trim_start_matches('/')))
        .await;
    assert_eq!(served.bytes().await.unwrap().as_ref(), b"\x89PNG fake");
}

#[tokio::test]
async fn an_unknown_attachment_id_or_one_of_the_wrong_type_is_refused() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let id = emu
        .graph
        .upload_attachment_url(
            &c.page_id,
            &c.page_token,
            AttachmentKind::Image,
            "https://cdn.example/x.png",
        )
        .await
        .unwrap();
    let wrong_type =
        SendRequest::attachment(&c.psid, AttachmentKind::Video, AttachmentSource::Id(id));
    let err = emu.page_sends(&c, &wrong_type).await.unwrap_err();
    assert_eq!(codes(&err), (100, Some(2018047)));
    let unknown = SendRequest::attachment(
        &c.psid,
        AttachmentKind::Image,
        AttachmentSource::Id("123".into()),
    );
    let err = emu.page_sends(&c, &unknown).await.unwrap_err();
    assert_eq!(codes(&err), (100, Some(2018074)));
}

#[tokio::test]
async fn a_file_over_25_mb_is_too_large() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let file = FileUpload {
        kind: AttachmentKind::File,
        filename: "big.bin".into(),
        content_type: "application/octet-stream".into(),
        bytes: bytes::Bytes::from(vec![0u8; 25 * 1024 * 1024 + 1]),
    };
    let err = emu
        .graph
        .upload_attachment_file(&c.page_id, &c.page_token, file)
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (100, Some(2018109)));
}

#[tokio::test]
async fn a_sticker_and_a_quoted_reply_are_recorded_as_sent() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let inbound_mid = emu.control.thread(&c.psid).await.unwrap()[0]
        .mid
        .clone()
        .unwrap();
    let mut req = SendRequest::text(&c.psid, "quoted").with_reply_to(&inbound_mid);
    emu.page_sends(&c, &req).await.unwrap();
    req = SendRequest {
        message: OutgoingMessage::Sticker("369239263222822".into()),
        ..SendRequest::text(&c.psid, "")
    };
    emu.page_sends(&c, &req).await.unwrap();
    let received = emu.control.received(&c.psid).await.unwrap();
    assert_eq!(received[0].reply_to.as_deref(), Some(inbound_mid.as_str()));
    assert_eq!(received[1].attachments[0].sticker_id, Some(369239263222822));
}

#[tokio::test]
async fn a_user_token_cannot_send_and_a_missing_messaging_permission_is_named() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let err = emu
        .graph
        .send_message(&c.page_id, &c.user_token, &SendRequest::text(&c.psid, "x"))
        .await
        .unwrap_err();
    assert_eq!(codes(&err).0, 210);
    let resp = emu
        .http
        .delete(emu.url("v25.0/me/permissions/pages_messaging"))
        .query(&[("access_token", c.user_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let err = emu
        .page_sends(&c, &SendRequest::text(&c.psid, "x"))
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (10, None));
    assert!(err.to_string().contains("pages_messaging"));
    assert_eq!(err.class(), ErrorClass::PermissionMissing);
}

#[tokio::test]
async fn the_profile_api_returns_the_visitors_name_and_picture() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let profile = emu
        .graph
        .user_profile(&c.psid, &c.page_token)
        .await
        .unwrap();
    assert_eq!(profile.id, c.psid);
    assert_eq!(profile.first_name.as_deref(), Some("Vera"));
    assert_eq!(profile.display_name().as_deref(), Some("Vera Visitor"));
    assert!(profile.profile_pic.is_some());
    let err = emu
        .graph
        .user_profile("42", &c.page_token)
        .await
        .unwrap_err();
    assert_eq!(codes(&err), (100, Some(33)));
}

#[tokio::test]
async fn injected_faults_produce_transient_errors_until_cleared() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let hi = SendRequest::text(&c.psid, "hi");
    let send = || emu.graph.send_message(&c.page_id, &c.page_token, &hi);

    emu.control
        .set_fault(
            "messages",
            &Fault {
                status: Some(503),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = send().await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Retryable);
    assert!(matches!(
        err,
        messenger::GraphError::Api {
            http_status: 503,
            ..
        }
    ));

    emu.control
        .set_fault(
            "messages",
            &Fault {
                rate_limit: Some(80006),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = send().await.unwrap_err();
    assert_eq!(codes(&err), (80006, None));
    assert!(matches!(
        err,
        messenger::GraphError::Api {
            retry_after_minutes: Some(5),
            is_transient: true,
            ..
        }
    ));
    assert!(matches!(err.class(), ErrorClass::RateLimited { .. }));

    emu.control
        .set_fault(
            "messages",
            &Fault {
                error_1200: true,
                times: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = send().await.unwrap_err();
    assert_eq!(codes(&err), (1200, None));
    assert_eq!(err.class(), ErrorClass::Retryable);
    send()
        .await
        .expect("a fault limited to one call is gone after it");

    emu.control
        .set_fault(
            "messages",
            &Fault {
                latency_ms: 150,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let started = std::time::Instant::now();
    send().await.unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));

    emu.control
        .set_fault(
            "*",
            &Fault {
                status: Some(500),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        emu.graph.me(&c.user_token).await.is_err(),
        "* applies to every endpoint"
    );
    emu.control.clear_faults().await.unwrap();
    send().await.unwrap();
    emu.graph.me(&c.user_token).await.unwrap();
}

#[tokio::test]
async fn a_rate_limit_fault_carries_the_scripted_time_to_regain_access() {
    let emu = TestEmulator::start().await;
    let c = connected_with_inbound(&emu).await;
    let hi = SendRequest::text(&c.psid, "hi");
    emu.control
        .set_fault(
            "messages",
            &Fault {
                rate_limit: Some(613),
                regain_access_minutes: Some(0),
                times: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = emu.page_sends(&c, &hi).await.unwrap_err();
    assert_eq!(codes(&err), (613, None));
    assert!(
        matches!(
            err,
            messenger::GraphError::Api {
                retry_after_minutes: Some(0),
                ..
            }
        ),
        "{err:?}"
    );
    emu.page_sends(&c, &hi)
        .await
        .expect("the limit clears after the scripted call");
}
