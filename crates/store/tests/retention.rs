//! Retention in the store, on SQLite and PostgreSQL: what grows with every
//! webhook, event and login is deleted once it is old enough, and nothing
//! that still matters is.

#[macro_use]
mod common;

use common::{admin, new_channel, unique_page_id};

use jiff::{SignedDuration, Timestamp};
use store::{InboundEvent, InboundItem, NewInboundMessage, NewSession, RetentionCutoffs, Store};

on_both!(
    only_deliveries_processed_before_the_cutoff_are_pruned_and_pending_or_failed_ones_stay,
    a_large_backlog_is_pruned_in_batches_until_nothing_is_left,
    a_dedupe_key_is_forgotten_only_after_the_retention_period,
    old_events_expired_sessions_and_old_login_failures_go_in_one_run,
);

const DAY: SignedDuration = SignedDuration::from_hours(24);

fn cutoffs(now: Timestamp) -> RetentionCutoffs {
    RetentionCutoffs {
        inbox_before: now - 7 * DAY,
        events_before: now - 7 * DAY,
        sessions_expired_by: now,
        login_failures_before: now - SignedDuration::from_mins(15),
    }
}

/// Stores `bodies` as deliveries and claims them all.
async fn deliveries(store: &Store, bodies: &[&str], now: Timestamp) -> Vec<String> {
    let bodies: Vec<Vec<u8>> = bodies.iter().map(|b| b.as_bytes().to_vec()).collect();
    let ids = store
        .insert_inbox_batch(&bodies, now - 30 * DAY)
        .await
        .unwrap();
    let claimed = store.claim_inbox(now, 60_000, 100).await.unwrap();
    assert_eq!(claimed.len(), ids.len());
    ids
}

async fn only_deliveries_processed_before_the_cutoff_are_pruned_and_pending_or_failed_ones_stay(
    store: Store,
) {
    let now = Timestamp::now();
    let ids = deliveries(
        &store,
        &["old done", "new done", "old failed", "pending"],
        now,
    )
    .await;
    store.inbox_done(&ids[0], now - 8 * DAY).await.unwrap();
    store.inbox_done(&ids[1], now - 6 * DAY).await.unwrap();
    store
        .inbox_failed(&ids[2], "not JSON", now - 8 * DAY)
        .await
        .unwrap();

    let pruned = store.apply_retention(&cutoffs(now), 100).await.unwrap();
    assert_eq!(pruned.inbox, 1);

    let left: Vec<(String, String)> = store
        .list_inbox()
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.status))
        .collect();
    assert_eq!(
        left,
        vec![
            (ids[1].clone(), "done".to_owned()),
            (ids[2].clone(), "failed".to_owned()),
            (ids[3].clone(), "pending".to_owned()),
        ]
    );
}

async fn a_large_backlog_is_pruned_in_batches_until_nothing_is_left(store: Store) {
    let now = Timestamp::now();
    let ids = deliveries(&store, &["1", "2", "3", "4", "5"], now).await;
    for id in &ids {
        store.inbox_done(id, now - 10 * DAY).await.unwrap();
    }
    let mut runs = Vec::new();
    loop {
        let pruned = store.apply_retention(&cutoffs(now), 2).await.unwrap();
        runs.push(pruned.inbox);
        if pruned.total() == 0 {
            break;
        }
        assert!(runs.len() < 10, "retention never finished: {runs:?}");
    }
    assert_eq!(runs, vec![2, 2, 1, 0]);
    assert!(store.list_inbox().await.unwrap().is_empty());
}

async fn a_dedupe_key_is_forgotten_only_after_the_retention_period(store: Store) {
    let account_id = store.create_account("Acme").await.unwrap().id;
    let channel = store
        .create_channel(&account_id, new_channel(&unique_page_id()))
        .await
        .unwrap();
    let event = InboundEvent {
        inbox_id: "inbox-1".into(),
        dedupe_key: "message:m_1".into(),
        account_id,
        channel_id: channel.id,
        psid: "psid-1".into(),
        at: Timestamp::now(),
        standby: false,
        item: InboundItem::VisitorMessage(NewInboundMessage {
            external_id: Some("m_1".into()),
            kind: "text".into(),
            text: Some("Hello".into()),
            ..NewInboundMessage::default()
        }),
    };
    store.apply_inbound(&event).await.unwrap();
    assert!(store.inbox_event_seen("message:m_1").await.unwrap());

    // Recorded just now: a week's retention keeps it.
    let pruned = store
        .apply_retention(&cutoffs(Timestamp::now()), 100)
        .await
        .unwrap();
    assert_eq!(pruned.inbox_events, 0);
    assert!(store.inbox_event_seen("message:m_1").await.unwrap());

    // A week and a minute later it is forgotten.
    let later = Timestamp::now() + 7 * DAY + SignedDuration::from_mins(1);
    let pruned = store.apply_retention(&cutoffs(later), 100).await.unwrap();
    assert_eq!(pruned.inbox_events, 1);
    assert!(!store.inbox_event_seen("message:m_1").await.unwrap());
}

async fn old_events_expired_sessions_and_old_login_failures_go_in_one_run(store: Store) {
    let now = Timestamp::now();
    let account_id = store.create_account("Acme").await.unwrap().id;
    let staff = admin(&store, &account_id).await;
    store
        .append_event(&account_id, None, "old", "{}", now - 8 * DAY)
        .await
        .unwrap();
    let recent = store
        .append_event(&account_id, None, "recent", "{}", now - 6 * DAY)
        .await
        .unwrap();
    for (hash, expires_at) in [("expired", now - DAY), ("valid", now + DAY)] {
        store
            .create_session(NewSession {
                token_hash: hash.into(),
                account_id: account_id.clone(),
                staff_id: staff.id.clone(),
                csrf_token: "csrf".into(),
                expires_at,
            })
            .await
            .unwrap();
    }
    store
        .record_login_failure("email:a@acme.example", now - SignedDuration::from_mins(20))
        .await
        .unwrap();
    store
        .record_login_failure("email:a@acme.example", now - SignedDuration::from_mins(5))
        .await
        .unwrap();

    let pruned = store.apply_retention(&cutoffs(now), 100).await.unwrap();
    assert_eq!(
        (pruned.events, pruned.sessions, pruned.login_failures),
        (1, 1, 1)
    );

    let events = store
        .events_since(&account_id, &staff.id, 0, 100)
        .await
        .unwrap();
    assert_eq!(events, vec![recent]);
    assert!(store.find_session("valid", now).await.unwrap().is_some());
    let epoch = Timestamp::UNIX_EPOCH;
    assert_eq!(
        store
            .count_login_failures("email:a@acme.example", epoch)
            .await
            .unwrap(),
        1
    );
    // Nothing left to do: a second run removes nothing.
    assert_eq!(
        store
            .apply_retention(&cutoffs(now), 100)
            .await
            .unwrap()
            .total(),
        0
    );
}
