//! The inbox and inbound events in the store, on SQLite and PostgreSQL:
//! leases, exactly-once application, deferral, echo matching, edits, the
//! welcome.

#[macro_use]
mod common;

use common::{new_channel, unique_page_id};

use jiff::{SignedDuration, Timestamp};
use store::{InboundEvent, InboundItem, InboundOutcome, NewInboundMessage, NewOutgoing, Store};

on_both!(
    a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out,
    an_event_applied_twice_changes_the_conversation_once,
    an_edit_of_a_message_not_yet_stored_is_deferred_and_writes_nothing,
    an_echo_of_our_send_is_matched_by_metadata_before_its_mid_is_known,
    a_late_older_edit_goes_into_the_history_without_overwriting_the_newer_text,
    the_welcome_is_queued_once_per_visitor,
);

struct Fixture {
    store: Store,
    account_id: String,
    channel_id: String,
}

async fn fixture(store: Store) -> Fixture {
    let account_id = store.create_account("Acme").await.unwrap().id;
    let channel = store
        .create_channel(&account_id, new_channel(&unique_page_id()))
        .await
        .unwrap();
    Fixture {
        store,
        account_id,
        channel_id: channel.id,
    }
}

impl Fixture {
    fn event(&self, key: &str, at_ms: i64, item: InboundItem) -> InboundEvent {
        InboundEvent {
            inbox_id: "inbox-1".into(),
            dedupe_key: key.into(),
            account_id: self.account_id.clone(),
            channel_id: self.channel_id.clone(),
            psid: "psid-1".into(),
            at: Timestamp::from_millisecond(at_ms).unwrap(),
            standby: false,
            item,
        }
    }

    fn text(&self, mid: &str, at_ms: i64, text: &str) -> InboundEvent {
        self.event(
            &format!("message:{mid}"),
            at_ms,
            InboundItem::VisitorMessage(NewInboundMessage {
                external_id: Some(mid.into()),
                kind: "text".into(),
                text: Some(text.into()),
                ..NewInboundMessage::default()
            }),
        )
    }

    async fn apply(&self, event: &InboundEvent) -> InboundOutcome {
        self.store.apply_inbound(event).await.unwrap()
    }

    /// Every message of the visitor's (only) enquiry, in order.
    async fn conversation(&self) -> Vec<store::Message> {
        let enquiries = self
            .store
            .list_enquiries(&self.account_id, &Default::default(), None, 10)
            .await
            .unwrap();
        assert_eq!(enquiries.len(), 1, "one enquiry");
        self.store
            .list_enquiry_messages(&self.account_id, &enquiries[0].id, None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.message)
            .collect()
    }
}

const T0: i64 = 1_790_000_000_000;

async fn a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(store: Store) {
    let now = Timestamp::now();
    let ids = store
        .insert_inbox_batch(&[b"one".to_vec(), b"two".to_vec()], now)
        .await
        .unwrap();
    let first = store.claim_inbox(now, 1_000, 10).await.unwrap();
    assert_eq!(
        first.iter().map(|r| &r.id).collect::<Vec<_>>(),
        [&ids[0], &ids[1]]
    );
    assert_eq!(first[0].body, b"one");
    assert!(store.claim_inbox(now, 1_000, 10).await.unwrap().is_empty());
    store.inbox_done(&ids[0], now).await.unwrap();
    let later = now + SignedDuration::from_millis(1_001);
    let again = store.claim_inbox(later, 1_000, 10).await.unwrap();
    assert_eq!(again.len(), 1, "only the unfinished one comes back");
    assert_eq!(
        (again[0].id.clone(), again[0].attempts),
        (ids[1].clone(), 2)
    );
}

async fn an_event_applied_twice_changes_the_conversation_once(store: Store) {
    let f = fixture(store).await;
    let event = f.text("m1", T0, "hello");
    let InboundOutcome::Done(changes) = f.apply(&event).await else {
        panic!("the first application is done")
    };
    assert!(changes.enquiry_opened.is_some() && changes.visitor_created);
    assert_eq!(f.apply(&event).await, InboundOutcome::Duplicate);
    // The same message under another key (e.g. a standby copy) is still one.
    let mut copy = event.clone();
    copy.dedupe_key = "other-key".into();
    assert_eq!(f.apply(&copy).await, InboundOutcome::Duplicate);
    let texts: Vec<_> = f
        .conversation()
        .await
        .into_iter()
        .filter(|m| m.author == "visitor")
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, [Some("hello".to_owned())]);
}

async fn an_edit_of_a_message_not_yet_stored_is_deferred_and_writes_nothing(store: Store) {
    let f = fixture(store).await;
    let edit = f.event(
        "edit:m1:1",
        T0 + 10,
        InboundItem::Edit {
            target: "m1".into(),
            text: Some("hello (edited)".into()),
            num_edit: Some(1),
        },
    );
    assert!(matches!(f.apply(&edit).await, InboundOutcome::Deferred(_)));
    assert!(!f.store.inbox_event_seen("edit:m1:1").await.unwrap());
    f.apply(&f.text("m1", T0, "hello")).await;
    assert!(matches!(f.apply(&edit).await, InboundOutcome::Done(_)));
    let visitor: Vec<_> = f
        .conversation()
        .await
        .into_iter()
        .filter(|m| m.author == "visitor")
        .collect();
    assert_eq!(visitor[0].text.as_deref(), Some("hello (edited)"));
}

async fn an_echo_of_our_send_is_matched_by_metadata_before_its_mid_is_known(store: Store) {
    let f = fixture(store).await;
    f.apply(&f.text("m1", T0, "hello")).await;
    let visitor = f.conversation().await[0].visitor_id.clone();
    let ours = f
        .store
        .enqueue_outgoing(
            &f.account_id,
            NewOutgoing {
                channel_id: f.channel_id.clone(),
                visitor_id: visitor,
                enquiry_id: None,
                author: "staff",
                staff_id: None,
                kind: "text",
                text: Some("Sam: hi".into()),
                is_human: true,
                attachment: None,
            },
            Timestamp::now(),
        )
        .await
        .unwrap();
    let echo = f.event(
        "echo:m_ours",
        T0 + 20,
        InboundItem::Echo {
            from_us: true,
            metadata: ours.metadata.clone(),
            message: NewInboundMessage {
                external_id: Some("m_ours".into()),
                kind: "text".into(),
                text: Some("Sam: hi".into()),
                ..NewInboundMessage::default()
            },
        },
    );
    let InboundOutcome::Done(changes) = f.apply(&echo).await else {
        panic!("the echo is applied")
    };
    assert!(changes.created.is_none(), "no second message");
    assert_eq!(changes.updated[0].id, ours.id);
    assert_eq!(changes.updated[0].external_id.as_deref(), Some("m_ours"));
    let again = f.store.get_message(&f.account_id, &ours.id).await.unwrap();
    assert_eq!(again.status, "sent");
}

async fn a_late_older_edit_goes_into_the_history_without_overwriting_the_newer_text(store: Store) {
    let f = fixture(store).await;
    f.apply(&f.text("m1", T0, "v0")).await;
    let edit = |n: i64, text: &str| {
        f.event(
            &format!("edit:m1:{n}"),
            T0 + n,
            InboundItem::Edit {
                target: "m1".into(),
                text: Some(text.into()),
                num_edit: Some(n),
            },
        )
    };
    f.apply(&edit(2, "v2")).await;
    f.apply(&edit(1, "v1")).await;
    let message = f
        .conversation()
        .await
        .into_iter()
        .find(|m| m.author == "visitor")
        .unwrap();
    assert_eq!(message.text.as_deref(), Some("v2"));
    let detail = f.store.message_detail(message).await.unwrap();
    assert_eq!(detail.edits.len(), 2);
}

async fn the_welcome_is_queued_once_per_visitor(store: Store) {
    let f = fixture(store).await;
    let InboundOutcome::Done(first) = f.apply(&f.text("m1", T0, "one")).await else {
        panic!("applied")
    };
    let welcome = first.welcome.expect("a welcome for the first message");
    assert_eq!(welcome.author, "system");
    assert_eq!(
        welcome.text.as_deref(),
        Some(domain::messages::DEFAULT_WELCOME_MESSAGE)
    );
    let InboundOutcome::Done(second) = f.apply(&f.text("m2", T0 + 1, "two")).await else {
        panic!("applied")
    };
    assert!(second.welcome.is_none());
    assert!(
        second.enquiry_opened.is_none(),
        "the open enquiry continues"
    );
}
