//! Messenger webhook items → the store's protocol-free [`InboundItem`]s.
//! Pure: every kind of the protocol notes has a mapping here, unit-tested
//! beside it.

use messenger::events::{Attachment, EventKind, MessagingEvent, ReactionAction};
use serde_json::{json, Map, Value};
use store::{InboundItem, NewInboundAttachment, NewInboundMessage, Reaction};

/// The visitor (PSID) an event belongs to and what it does, or `None` when
/// it names no visitor (e.g. a checkbox opt-in with only a `user_ref`).
pub fn to_inbound(event: &MessagingEvent, app_id: &str) -> Option<(String, InboundItem)> {
    let psid = event.person().id()?.to_owned();
    let item = match &event.kind {
        EventKind::Message(m) => {
            let attachments = m.attachments_deduped();
            let mut payload = Map::new();
            if let Some(qr) = &m.quick_reply {
                payload.insert("payload".into(), json!(qr.payload));
            }
            if let Some(referral) = &m.referral {
                payload.insert("referral".into(), to_value(referral));
            }
            let kind = if m.quick_reply.is_some() {
                "quick_reply"
            } else {
                content_kind(m.text.as_deref(), &attachments)
            };
            InboundItem::VisitorMessage(NewInboundMessage {
                external_id: Some(m.mid.clone()),
                kind: kind.into(),
                text: m.text.clone(),
                payload: payload_text(payload, &attachments),
                reply_to_external_id: m.reply_to.as_ref().map(|r| r.mid.clone()),
                attachments: files(&attachments),
            })
        }
        EventKind::Echo(e) => {
            let attachments = e.attachments_deduped();
            InboundItem::Echo {
                from_us: e.is_from_app(app_id),
                metadata: e.metadata.clone(),
                message: NewInboundMessage {
                    external_id: Some(e.mid.clone()),
                    kind: content_kind(e.text.as_deref(), &attachments).into(),
                    text: e.text.clone(),
                    payload: payload_text(Map::new(), &attachments),
                    reply_to_external_id: e.reply_to.as_ref().map(|r| r.mid.clone()),
                    attachments: files(&attachments),
                },
            }
        }
        EventKind::Postback(p) => {
            let mut payload = Map::new();
            if let Some(value) = &p.payload {
                payload.insert("payload".into(), json!(value));
            }
            if let Some(referral) = &p.referral {
                payload.insert("referral".into(), to_value(referral));
            }
            InboundItem::VisitorMessage(NewInboundMessage {
                external_id: p.mid.clone(),
                kind: "postback".into(),
                // Shown as what the visitor tapped.
                text: p.title.clone().or_else(|| p.payload.clone()),
                payload: payload_text(payload, &[]),
                ..NewInboundMessage::default()
            })
        }
        EventKind::Delivery(d) => InboundItem::Delivery {
            mids: d.mids.clone(),
            watermark: d.watermark,
        },
        EventKind::Read(r) => InboundItem::Read {
            watermark: r.watermark,
        },
        EventKind::Reaction(r) => InboundItem::Reaction {
            target: r.mid.clone(),
            reaction: match r.action {
                ReactionAction::React => Some(Reaction {
                    reaction: r.reaction.clone().unwrap_or_else(|| "other".into()),
                    emoji: r.emoji.clone(),
                }),
                ReactionAction::Unreact => None,
            },
        },
        EventKind::MessageEdit(e) => InboundItem::Edit {
            target: e.mid.clone(),
            text: e.text.clone(),
            num_edit: e.num_edit,
        },
        EventKind::Referral(r) => activity("referral", to_value(r)),
        EventKind::Optin(o) => activity("optin", to_value(o)),
        // Handed to us, or taken from us by another app (handover protocol).
        EventKind::PassThreadControl(c) if c.new_owner_app_id.as_deref() == Some(app_id) => {
            InboundItem::ThreadControl {
                ours: true,
                payload: event.raw.to_string(),
            }
        }
        EventKind::TakeThreadControl(c) if c.previous_owner_app_id.as_deref() == Some(app_id) => {
            InboundItem::ThreadControl {
                ours: false,
                payload: event.raw.to_string(),
            }
        }
        other => activity(
            "unknown",
            json!({"event": other.name(), "reason": unknown_reason(other), "raw": event.raw}),
        ),
    };
    Some((psid, item))
}

/// The item as an unknown activity with why it could not be applied (an
/// edit or reaction whose message never arrived): kept raw, never dropped.
pub fn as_unapplied(event: &MessagingEvent, reason: &str) -> Option<(String, InboundItem)> {
    let psid = event.person().id()?.to_owned();
    Some((
        psid,
        activity(
            "unknown",
            json!({"event": event.kind.name(), "reason": reason, "raw": event.raw}),
        ),
    ))
}

fn unknown_reason(kind: &EventKind) -> Option<&str> {
    match kind {
        EventKind::Unknown { reason, .. } => Some(reason),
        _ => None,
    }
}

fn activity(kind: &str, payload: Value) -> InboundItem {
    InboundItem::VisitorActivity(NewInboundMessage {
        kind: kind.into(),
        payload: Some(payload.to_string()),
        ..NewInboundMessage::default()
    })
}

fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `text`, `sticker` (only stickers), `attachment`, or `unknown` (empty).
fn content_kind(text: Option<&str>, attachments: &[Attachment]) -> &'static str {
    if !attachments.is_empty() {
        if attachments
            .iter()
            .all(|a| matches!(a, Attachment::Sticker { .. }))
        {
            "sticker"
        } else {
            "attachment"
        }
    } else if text.is_some() {
        "text"
    } else {
        "unknown"
    }
}

/// Media is downloaded; links, templates and the like are kept as they came
/// (in the payload, and as `remote` attachment rows).
fn files(attachments: &[Attachment]) -> Vec<NewInboundAttachment> {
    attachments
        .iter()
        .map(|a| NewInboundAttachment {
            kind: a.kind().to_owned(),
            source_url: a.url().map(str::to_owned),
            download: is_media(a) && a.url().is_some(),
        })
        .collect()
}

fn is_media(a: &Attachment) -> bool {
    matches!(
        a,
        Attachment::Image { .. }
            | Attachment::Audio { .. }
            | Attachment::Video { .. }
            | Attachment::File { .. }
            | Attachment::Sticker { .. }
    )
}

fn payload_text(mut payload: Map<String, Value>, attachments: &[Attachment]) -> Option<String> {
    if attachments.iter().any(|a| !is_media(a)) {
        let raw: Vec<Value> = attachments.iter().map(Attachment::to_json).collect();
        payload.insert("attachments".into(), Value::Array(raw));
    }
    (!payload.is_empty()).then(|| Value::Object(payload).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use messenger::events::parse_batch;

    const APP: &str = "1000000000001";

    fn one(item: Value) -> MessagingEvent {
        let body =
            json!({"object": "page", "entry": [{"id": "P1", "time": 1, "messaging": [item]}]});
        let batch = parse_batch(body.to_string().as_bytes()).unwrap();
        batch.into_events().next().unwrap()
    }

    fn envelope(event: Value) -> Value {
        let mut item = json!({"sender": {"id": "U1"}, "recipient": {"id": "P1"}, "timestamp": 5});
        for (k, v) in event.as_object().unwrap() {
            item[k] = v.clone();
        }
        item
    }

    fn message(item: &InboundItem) -> &NewInboundMessage {
        match item {
            InboundItem::VisitorMessage(m) | InboundItem::VisitorActivity(m) => m,
            InboundItem::Echo { message, .. } => message,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn a_text_message_opens_as_text_with_its_mid() {
        let (psid, item) = to_inbound(
            &one(envelope(json!({"message": {"mid": "m1", "text": "hi"}}))),
            APP,
        )
        .unwrap();
        assert_eq!(psid, "U1");
        assert!(matches!(item, InboundItem::VisitorMessage(_)));
        let m = message(&item);
        assert_eq!((m.kind.as_str(), m.text.as_deref()), ("text", Some("hi")));
        assert_eq!(m.external_id.as_deref(), Some("m1"));
    }

    #[test]
    fn a_sticker_sent_as_two_attachments_is_one_sticker() {
        let (_, item) = to_inbound(
            &one(envelope(json!({"message": {"mid": "m2", "attachments": [
                {"type": "image", "payload": {"url": "https://cdn/x.png", "sticker_id": 369239263222822u64}},
                {"type": "sticker", "payload": {"url": "https://cdn/x.png", "sticker_id": 369239263222822u64}}
            ]}}))),
            APP,
        )
        .unwrap();
        let m = message(&item);
        assert_eq!(m.kind, "sticker");
        assert_eq!(m.attachments.len(), 1);
        assert!(m.attachments[0].download);
    }

    #[test]
    fn a_quick_reply_keeps_its_payload_and_text() {
        let (_, item) = to_inbound(
            &one(envelope(json!({"message": {"mid": "m3", "text": "Yes",
                "quick_reply": {"payload": "YES"}}}))),
            APP,
        )
        .unwrap();
        let m = message(&item);
        assert_eq!(m.kind, "quick_reply");
        assert_eq!(m.payload.as_deref(), Some(r#"{"payload":"YES"}"#));
    }

    #[test]
    fn a_postback_is_shown_as_the_button_title() {
        let (_, item) = to_inbound(
            &one(envelope(
                json!({"postback": {"title": "Get Started", "payload": "GET_STARTED"}}),
            )),
            APP,
        )
        .unwrap();
        assert!(matches!(item, InboundItem::VisitorMessage(_)));
        assert_eq!(message(&item).text.as_deref(), Some("Get Started"));
    }

    #[test]
    fn our_own_echo_is_told_from_a_page_inbox_reply() {
        let ours = envelope(
            json!({"message": {"is_echo": true, "app_id": 1000000000001u64,
            "metadata": "abc", "mid": "m4", "text": "hello"}}),
        );
        let mut ours = ours;
        ours["sender"] = json!({"id": "P1"});
        ours["recipient"] = json!({"id": "U1"});
        let (psid, item) = to_inbound(&one(ours.clone()), APP).unwrap();
        assert_eq!(psid, "U1");
        assert!(matches!(item, InboundItem::Echo { from_us: true, .. }));
        ours["message"]["app_id"] = json!(263902037430900u64);
        let (_, item) = to_inbound(&one(ours), APP).unwrap();
        assert!(matches!(item, InboundItem::Echo { from_us: false, .. }));
    }

    #[test]
    fn an_unreact_removes_the_reaction() {
        let (_, item) = to_inbound(
            &one(envelope(
                json!({"reaction": {"action": "unreact", "mid": "m1"}}),
            )),
            APP,
        )
        .unwrap();
        assert_eq!(
            item,
            InboundItem::Reaction {
                target: "m1".into(),
                reaction: None
            }
        );
    }

    #[test]
    fn a_thread_passed_to_us_is_ours_and_one_taken_from_us_is_not() {
        let passed = envelope(json!({"pass_thread_control": {
            "previous_owner_app_id": 222, "new_owner_app_id": 1000000000001u64}}));
        let (_, item) = to_inbound(&one(passed), APP).unwrap();
        assert!(matches!(
            item,
            InboundItem::ThreadControl { ours: true, .. }
        ));
        let taken = envelope(json!({"take_thread_control": {
            "previous_owner_app_id": 1000000000001u64, "new_owner_app_id": 222}}));
        let (_, item) = to_inbound(&one(taken), APP).unwrap();
        assert!(matches!(
            item,
            InboundItem::ThreadControl { ours: false, .. }
        ));
    }

    #[test]
    fn an_unknown_event_is_kept_raw() {
        let (_, item) =
            to_inbound(&one(envelope(json!({"brand_new_event": {"x": 1}}))), APP).unwrap();
        let m = message(&item);
        assert_eq!(m.kind, "unknown");
        assert!(m.payload.as_deref().unwrap().contains("brand_new_event"));
    }
}
