//! Every documented webhook payload kind, parsed from a fixture file.

use messenger::events::{
    build, dedupe_stickers, parse_batch, Attachment, EventKind, MessagingEvent, Party,
    ReactionAction, SharedKind, WebhookBatch, LIKE_STICKER_ID,
};
use std::path::PathBuf;

const PAGE: &str = "104857600000001";
const PSID: &str = "24012345678901234";
const T: i64 = 1458692752478;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn raw(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn batch(name: &str) -> WebhookBatch {
    parse_batch(&raw(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The single event of a single-event fixture.
fn only(name: &str) -> MessagingEvent {
    let b = batch(name);
    let events: Vec<_> = b.into_events().collect();
    assert_eq!(events.len(), 1, "{name} holds one event");
    events.into_iter().next().unwrap()
}

fn message(name: &str) -> messenger::events::Message {
    match only(name).kind {
        EventKind::Message(m) => m,
        other => panic!("{name}: expected a message, got {other:?}"),
    }
}

fn single_attachment(name: &str) -> Attachment {
    let m = message(name);
    assert_eq!(m.attachments.len(), 1, "{name}");
    m.attachments.into_iter().next().unwrap()
}

#[test]
fn a_text_message_names_page_person_time_and_text() {
    let e = only("text");
    assert_eq!(e.page_id, PAGE);
    assert_eq!(e.sender, Party::Id(PSID.into()));
    assert_eq!(e.recipient, Party::Id(PAGE.into()));
    assert_eq!(e.timestamp, T);
    assert!(!e.standby);
    let EventKind::Message(m) = &e.kind else {
        panic!("{:?}", e.kind)
    };
    assert_eq!(m.mid, "m_AbC123");
    assert_eq!(m.text.as_deref(), Some("hello, world!"));
    assert_eq!(e.dedupe_key(), "message:m_AbC123");
    assert_eq!(e.raw["message"]["mid"], "m_AbC123");
}

#[test]
fn media_attachments_carry_their_cdn_urls() {
    let url = |a: Attachment| a.url().map(str::to_owned);
    assert!(matches!(
        single_attachment("attachment_image"),
        Attachment::Image {
            sticker_id: None,
            ..
        }
    ));
    assert!(url(single_attachment("attachment_image"))
        .unwrap()
        .contains("fbcdn.net"));
    assert!(matches!(
        single_attachment("attachment_audio"),
        Attachment::Audio { url: Some(_) }
    ));
    assert!(matches!(
        single_attachment("attachment_video"),
        Attachment::Video { url: Some(_) }
    ));
    let file = single_attachment("attachment_file");
    assert_eq!(file.kind(), "file");
    assert!(url(file).unwrap().contains("invoice.pdf"));
}

#[test]
fn a_shared_link_is_a_fallback_with_url_and_title() {
    assert_eq!(
        single_attachment("attachment_fallback"),
        Attachment::Fallback {
            url: Some("https://example.com/a".into()),
            title: Some("Example article".into())
        }
    );
    // The older shape keeps url/title beside the (absent) payload.
    assert_eq!(
        single_attachment("attachment_fallback_without_payload"),
        Attachment::Fallback {
            url: Some("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com".into()),
            title: Some("Shared link".into())
        }
    );
}

#[test]
fn a_product_share_keeps_the_template_payload() {
    let Attachment::Template { payload } = single_attachment("attachment_template") else {
        panic!()
    };
    assert_eq!(payload["product"]["elements"][0]["title"], "Blue mug");
}

#[test]
fn reels_and_posts_are_shared_media_of_their_kind() {
    for (name, kind) in [
        ("attachment_reel", SharedKind::Reel),
        ("attachment_ig_reel", SharedKind::IgReel),
        ("attachment_post", SharedKind::Post),
        ("attachment_ig_post", SharedKind::IgPost),
    ] {
        let Attachment::Shared {
            kind: k,
            url,
            title,
            id,
        } = single_attachment(name)
        else {
            panic!("{name}")
        };
        assert_eq!(k, kind, "{name}");
        assert!(url.is_some(), "{name}");
        assert_eq!(title.as_deref(), Some("Summer sale"));
        assert_eq!(id.as_deref(), Some("17900000000000001"));
    }
}

#[test]
fn an_appointment_booking_has_times_in_seconds() {
    assert_eq!(
        single_attachment("attachment_appointment_booking"),
        Attachment::AppointmentBooking {
            booking_id: Some("998877".into()),
            status: Some("confirmed".into()),
            start_time: Some(1767261600),
            end_time: Some(1767265200),
            timezone: Some("Europe/Berlin".into()),
        }
    );
}

#[test]
fn a_quick_reply_answer_carries_its_payload() {
    let m = message("quick_reply");
    assert_eq!(m.text.as_deref(), Some("Red"));
    assert_eq!(m.quick_reply.unwrap().payload, "COLOR_RED");
}

#[test]
fn a_reply_names_the_quoted_message() {
    let m = message("reply_to");
    let r = m.reply_to.unwrap();
    assert_eq!(r.mid, "m_Earlier456");
    assert!(!r.is_self_reply);
}

#[test]
fn a_transition_sticker_reduces_to_one_sticker() {
    let m = message("sticker_transition");
    assert_eq!(m.attachments.len(), 2);
    let deduped = m.attachments_deduped();
    assert_eq!(deduped.len(), 1);
    let Attachment::Sticker { sticker_id, url } = &deduped[0] else {
        panic!("{deduped:?}")
    };
    assert_eq!(sticker_id, LIKE_STICKER_ID);
    assert!(url.is_some());
    // The sticker-only form is already reduced and stays as it is.
    let only = message("sticker_only");
    assert_eq!(only.attachments_deduped(), only.attachments);
    assert_eq!(only.attachments_deduped(), deduped);
}

#[test]
fn an_echo_of_our_own_send_carries_app_id_and_metadata() {
    let e = only("echo_own_app");
    assert_eq!(e.sender, Party::Id(PAGE.into()));
    assert_eq!(e.person(), &Party::Id(PSID.into()));
    let EventKind::Echo(echo) = &e.kind else {
        panic!("{:?}", e.kind)
    };
    assert!(echo.is_from_app("1517776481860111"));
    assert!(!echo.is_from_page_inbox());
    assert_eq!(echo.metadata.as_deref(), Some("omnidesk:msg:0190a1b2"));
    assert_eq!(echo.mid, "m_Echo789");
    assert_eq!(e.dedupe_key(), "echo:m_Echo789");
}

#[test]
fn an_echo_from_the_page_inbox_is_recognised_as_human() {
    let EventKind::Echo(echo) = only("echo_page_inbox").kind else {
        panic!()
    };
    assert!(echo.is_from_page_inbox());
    assert_eq!(echo.app_id.as_deref(), Some("263902037430900"));
    assert_eq!(echo.attachments.len(), 1);
}

#[test]
fn a_postback_carries_title_payload_and_referral() {
    let e = only("postback");
    let EventKind::Postback(p) = &e.kind else {
        panic!()
    };
    assert_eq!(p.title.as_deref(), Some("Get Started"));
    assert_eq!(p.payload.as_deref(), Some("GET_STARTED"));
    assert_eq!(
        p.referral.as_ref().unwrap().ref_param.as_deref(),
        Some("spring-campaign")
    );
    assert_eq!(e.dedupe_key(), "postback:m_Postback1");
}

#[test]
fn a_standby_postback_without_payload_is_kept_and_flagged() {
    let e = only("postback_standby_without_payload");
    assert!(e.standby);
    let EventKind::Postback(p) = &e.kind else {
        panic!()
    };
    assert_eq!(p.payload, None);
    assert_eq!(p.title.as_deref(), Some("Talk to a human"));
}

#[test]
fn deliveries_are_read_with_and_without_mids() {
    let EventKind::Delivery(d) = only("delivery").kind else {
        panic!()
    };
    assert_eq!(d.mids, vec!["m_AbC123", "m_AbC124"]);
    assert_eq!(d.watermark, 1458668856253);
    let e = only("delivery_without_mids");
    let EventKind::Delivery(d) = &e.kind else {
        panic!()
    };
    assert!(d.mids.is_empty());
    assert_eq!(
        e.dedupe_key(),
        format!("delivery:{PAGE}:{PSID}:1458668856253")
    );
}

#[test]
fn a_read_receipt_carries_its_watermark() {
    let e = only("read");
    assert!(matches!(e.kind, EventKind::Read(r) if r.watermark == 1458668856253));
}

#[test]
fn reactions_and_unreactions_are_told_apart() {
    let react = only("reaction_react");
    let unreact = only("reaction_unreact");
    let EventKind::Reaction(r) = &react.kind else {
        panic!()
    };
    assert_eq!(
        (r.action, r.reaction.as_deref(), r.mid.as_str()),
        (ReactionAction::React, Some("love"), "m_Echo789")
    );
    assert_eq!(r.emoji.as_deref(), Some("\u{2764}\u{fe0f}"));
    let EventKind::Reaction(u) = &unreact.kind else {
        panic!()
    };
    assert_eq!(u.action, ReactionAction::Unreact);
    assert_ne!(react.dedupe_key(), unreact.dedupe_key());
}

#[test]
fn a_message_edit_carries_the_new_text_and_count() {
    let e = only("message_edit");
    let EventKind::MessageEdit(m) = &e.kind else {
        panic!()
    };
    assert_eq!(m.mid, "m_AbC123");
    assert_eq!(m.text.as_deref(), Some("hello, world! (edited)"));
    assert_eq!(m.num_edit, Some(2));
    assert_ne!(
        e.dedupe_key(),
        only("text").dedupe_key(),
        "an edit is not a redelivery"
    );
}

#[test]
fn referrals_are_read_from_links_and_ads() {
    let EventKind::Referral(r) = only("referral").kind else {
        panic!()
    };
    assert_eq!(r.ref_param.as_deref(), Some("order-1234"));
    assert_eq!(r.source.as_deref(), Some("SHORTLINK"));
    assert_eq!(r.kind.as_deref(), Some("OPEN_THREAD"));
    assert!(r.referer_uri.is_some());
    let m = message("referral_ads");
    let r = m.referral.unwrap();
    assert_eq!(r.ad_id.as_deref(), Some("23850000000000001"));
    assert_eq!(
        r.ads_context_data.unwrap().ad_title.as_deref(),
        Some("Blue mug")
    );
}

#[test]
fn a_checkbox_optin_has_no_sender_but_a_user_ref() {
    let e = only("optin");
    assert_eq!(e.sender, Party::Absent);
    let EventKind::Optin(o) = &e.kind else {
        panic!()
    };
    assert_eq!(o.user_ref.as_deref(), Some("UR-5f1e2d"));
    assert_eq!(o.ref_param.as_deref(), Some("checkout-box"));
    let EventKind::Optin(o) = only("optin_marketing").kind else {
        panic!()
    };
    assert_eq!(o.kind.as_deref(), Some("notification_messages"));
    assert_eq!(
        o.notification_messages_token.as_deref(),
        Some("7422391110000000")
    );
    assert_eq!(o.token_expiry_timestamp, Some(1767225600000));
}

#[test]
fn handover_events_name_the_apps() {
    let EventKind::PassThreadControl(p) = only("pass_thread_control").kind else {
        panic!()
    };
    assert_eq!(p.previous_owner_app_id.as_deref(), Some("1517776481860111"));
    assert_eq!(p.new_owner_app_id.as_deref(), Some("263902037430900"));
    let EventKind::TakeThreadControl(t) = only("take_thread_control").kind else {
        panic!()
    };
    assert_eq!(t.metadata.as_deref(), Some("agent took over"));
    let EventKind::RequestThreadControl(r) = only("request_thread_control").kind else {
        panic!()
    };
    assert_eq!(r.requested_owner_app_id.as_deref(), Some("263902037430900"));
    let EventKind::AppRoles(roles) = only("app_roles").kind else {
        panic!()
    };
    assert_eq!(roles["1517776481860111"], vec!["primary_receiver"]);
}

#[test]
fn standby_items_are_parsed_like_messaging_items_and_flagged() {
    let events: Vec<_> = batch("standby").into_events().collect();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.standby));
    assert!(matches!(&events[0].kind, EventKind::Message(m) if m.mid == "m_Standby1"));
    assert!(matches!(events[1].kind, EventKind::Read(_)));
}

#[test]
fn a_chat_plugin_sender_is_a_user_ref() {
    let e = only("user_ref_sender");
    assert_eq!(e.sender, Party::UserRef("UR-5f1e2d".into()));
}

#[test]
fn a_multi_entry_batch_keeps_every_page_and_event() {
    let b = batch("multi_entry_batch");
    assert_eq!(b.entries.len(), 4);
    let pages: Vec<&str> = b.entries.iter().map(|e| e.page_id.as_str()).collect();
    assert_eq!(pages, [PAGE, "104857600000002", "104857600000002", PAGE]);
    assert_eq!(b.entries[0].events.len(), 3);
    assert!(b.entries[2].events[0].standby);
    assert_eq!(b.entries[3].changes.len(), 1);
    assert!(b.entries[3].events.is_empty());
    let mids: Vec<&str> = b.events().filter_map(|e| e.mid()).collect();
    assert_eq!(mids, ["m_B1", "m_B2", "m_B3"]);
    assert!(b.events().all(|e| e.timestamp >= T));
    let by_time: Vec<i64> = b.events_by_time().iter().map(|e| e.timestamp).collect();
    assert_eq!(by_time, [T, T + 1, T + 2, T + 5, T + 6]);
    let second = &b.entries[1].events[0];
    assert_eq!(second.page_id, "104857600000002");
    assert_eq!(second.sender, Party::Id("24099999999999999".into()));
}

#[test]
fn an_escaped_unicode_body_decodes_and_rebuilds_byte_for_byte() {
    let bytes = raw("escaped_unicode");
    let b = parse_batch(&bytes).unwrap();
    let EventKind::Message(m) = &b.entries[0].events[0].kind else {
        panic!()
    };
    assert_eq!(m.text.as_deref(), Some("Grüße aus München 👍 日本"));
    assert_eq!(build::body(&b).as_bytes(), bytes.as_slice());
}

#[test]
fn an_unknown_event_kind_is_kept_with_its_key() {
    let e = only("unknown_event_kind");
    let EventKind::Unknown { key, reason } = &e.kind else {
        panic!("{:?}", e.kind)
    };
    assert_eq!(key.as_deref(), Some("messaging_feedback_future"));
    assert!(reason.contains("unknown event kind"), "{reason}");
    assert_eq!(e.sender, Party::Id(PSID.into()));
    assert_eq!(e.raw["messaging_feedback_future"]["status"], "ACTIVE");
}

#[test]
fn an_unknown_attachment_type_does_not_hide_the_others() {
    let m = message("unknown_attachment_type");
    assert_eq!(m.attachments.len(), 2);
    let Attachment::Unknown { kind, payload } = &m.attachments[0] else {
        panic!()
    };
    assert_eq!(kind, "ig_story");
    assert_eq!(payload["story_id"], "17900000000000002");
    assert!(matches!(m.attachments[1], Attachment::Image { .. }));
    assert_eq!(dedupe_stickers(&m.attachments), m.attachments);
}

#[test]
fn a_malformed_item_becomes_unknown_and_spares_the_rest() {
    let events: Vec<_> = batch("malformed_item").into_events().collect();
    assert_eq!(events.len(), 5);
    assert!(matches!(&events[0].kind, EventKind::Message(m) if m.mid == "m_Good1"));
    assert!(matches!(&events[4].kind, EventKind::Message(m) if m.mid == "m_Good2"));
    for (i, what) in [(1, "mid"), (2, "explode"), (3, "not an object")] {
        let EventKind::Unknown { reason, .. } = &events[i].kind else {
            panic!("item {i}: {:?}", events[i].kind)
        };
        assert!(reason.contains(what), "item {i}: {reason}");
    }
    assert_eq!(events[3].raw, "not an object");
    // Distinct broken items still get distinct dedupe keys.
    assert_ne!(events[1].dedupe_key(), events[2].dedupe_key());
}

#[test]
fn every_fixture_survives_a_build_round_trip() {
    let mut seen = 0;
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let path = entry.unwrap().path();
        let first = parse_batch(&std::fs::read(&path).unwrap()).unwrap();
        let body = build::body(&first);
        assert!(body.is_ascii(), "{}", path.display());
        let again = parse_batch(body.as_bytes()).unwrap();
        let strip = |b: &WebhookBatch| -> Vec<_> {
            b.events()
                .map(|e| {
                    (
                        e.page_id.clone(),
                        e.sender.clone(),
                        e.recipient.clone(),
                        e.timestamp,
                        e.standby,
                        e.kind.clone(),
                    )
                })
                .collect()
        };
        assert_eq!(strip(&first), strip(&again), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 40, "only {seen} fixtures");
}

#[test]
fn redelivered_events_have_equal_dedupe_keys() {
    let a: Vec<String> = batch("multi_entry_batch")
        .events()
        .map(|e| e.dedupe_key())
        .collect();
    let b: Vec<String> = batch("multi_entry_batch")
        .events()
        .map(|e| e.dedupe_key())
        .collect();
    assert_eq!(a, b);
    let mut unique = a.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        a.len(),
        "distinct events, distinct keys: {a:?}"
    );
}

#[test]
fn a_body_that_is_not_a_batch_is_a_payload_error() {
    use messenger::events::PayloadError;
    assert!(matches!(
        parse_batch(b"nope"),
        Err(PayloadError::NotJson(_))
    ));
    assert_eq!(parse_batch(b"[]"), Err(PayloadError::NotAnObject));
    assert_eq!(
        parse_batch(br#"{"entry":[]}"#),
        Err(PayloadError::MissingObject)
    );
    assert_eq!(
        parse_batch(br#"{"object":"page","entry":{}}"#),
        Err(PayloadError::MissingEntry)
    );
    assert_eq!(
        parse_batch(br#"{"object":"page","entry":[]}"#)
            .unwrap()
            .entries
            .len(),
        0
    );
}
