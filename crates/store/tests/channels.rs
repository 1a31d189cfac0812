//! Channels and Facebook logins in the store, on SQLite and PostgreSQL.

#[macro_use]
mod common;

use common::{account, admin, new_channel};

use domain::channel::{ChannelName, ChannelStatus};
use jiff::{SignedDuration, Timestamp};
use store::{ChannelUpdate, NewFacebookLogin, StateRefusal, Store, StoreError, FACEBOOK_MESSENGER};

on_both!(
    a_page_belongs_to_one_account_until_its_channel_is_deleted,
    a_status_change_reports_the_status_before_it,
    saving_routing_resets_the_percentage_tallies,
    a_login_state_is_taken_once_and_only_in_its_own_session,
    a_due_check_is_claimed_by_one_checker_only,
);

async fn a_page_belongs_to_one_account_until_its_channel_is_deleted(store: Store) {
    let first = account(&store, "First").await;
    let second = account(&store, "Second").await;
    let channel = store
        .create_channel(&first, new_channel("p1"))
        .await
        .unwrap();
    let err = store
        .create_channel(&second, new_channel("p1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { ref constraint } if constraint == "channel_page"),
        "{err:?}"
    );
    assert!(matches!(
        store.get_channel(&second, &channel.id).await,
        Err(StoreError::NotFound)
    ));
    let found = store
        .find_channel_by_page(FACEBOOK_MESSENGER, "p1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, channel.id);
    assert_eq!(
        store.channel_token_enc(&first, &channel.id).await.unwrap(),
        Some("v1:sealed".into())
    );

    store.delete_channel(&first, &channel.id).await.unwrap();
    assert!(store.list_channels(&first).await.unwrap().is_empty());
    assert!(store
        .find_channel_by_page(FACEBOOK_MESSENGER, "p1")
        .await
        .unwrap()
        .is_none());
    let kept = store
        .get_channel_even_deleted(&first, &channel.id)
        .await
        .unwrap();
    assert!(kept.deleted_at.is_some());
    // The Page is free for any account now.
    store
        .create_channel(&second, new_channel("p1"))
        .await
        .unwrap();
}

async fn a_status_change_reports_the_status_before_it(store: Store) {
    let acme = account(&store, "Acme").await;
    let channel = store
        .create_channel(&acme, new_channel("p2"))
        .await
        .unwrap();
    let at = Timestamp::from_millisecond(1_800_000_000_000).unwrap();
    let before = store
        .set_channel_status(
            &acme,
            &channel.id,
            ChannelStatus::Disconnected,
            Some("pages_messaging was revoked"),
            at,
        )
        .await
        .unwrap();
    assert_eq!(before.status, ChannelStatus::Active);
    let now = store.get_channel(&acme, &channel.id).await.unwrap();
    assert_eq!(now.status, ChannelStatus::Disconnected);
    assert_eq!(
        now.status_reason.as_deref(),
        Some("pages_messaging was revoked")
    );
    assert_eq!(now.status_changed_at, at);
    let again = store
        .set_channel_status(
            &acme,
            &channel.id,
            ChannelStatus::Disconnected,
            Some("x"),
            at,
        )
        .await
        .unwrap();
    assert_eq!(again.status, ChannelStatus::Disconnected);
}

async fn saving_routing_resets_the_percentage_tallies(store: Store) {
    let acme = account(&store, "Acme").await;
    let channel = store
        .create_channel(&acme, new_channel("p3"))
        .await
        .unwrap();
    let mut tx = store.write_tx().await.unwrap();
    sqlx::query(
        "INSERT INTO routing_tallies (account_id, channel_id, destination_id, assigned)
         VALUES ($1, $2, 'd1', 7)",
    )
    .bind(&acme)
    .bind(&channel.id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let tallies = || async {
        let mut tx = store.write_tx().await.unwrap();
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM routing_tallies WHERE account_id = $1 AND channel_id = $2",
        )
        .bind(&acme)
        .bind(&channel.id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.rollback().await.unwrap();
        count
    };
    store
        .update_channel(
            &acme,
            &channel.id,
            ChannelUpdate {
                name: Some(ChannelName::parse("Renamed").unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(tallies().await, 1, "a rename keeps the split");
    let mut routing = channel.routing_settings.clone();
    routing.sticky = true;
    let updated = store
        .update_channel(
            &acme,
            &channel.id,
            ChannelUpdate {
                routing_settings: Some(routing),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(updated.routing_settings.sticky);
    assert_eq!(updated.name, "Renamed");
    assert_eq!(tallies().await, 0, "new routing starts the split over");
}

async fn a_login_state_is_taken_once_and_only_in_its_own_session(store: Store) {
    let acme = account(&store, "Acme").await;
    let staff = admin(&store, &acme).await;
    let now = Timestamp::now();
    let new = |state: &str, expires_at| NewFacebookLogin {
        staff_id: staff.id.clone(),
        session_hash: "session-a".into(),
        state_hash: state.into(),
        expires_at,
    };
    let login = store
        .create_facebook_login(&acme, new("state-1", now + SignedDuration::from_mins(15)))
        .await
        .unwrap();
    assert_eq!(
        store
            .take_facebook_login_state("state-1", Some("session-b"), now)
            .await
            .unwrap()
            .unwrap_err(),
        StateRefusal::OtherSession
    );
    let taken = store
        .take_facebook_login_state("state-1", Some("session-a"), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.id, login.id);
    assert_eq!(taken.status, "authorized");
    assert_eq!(
        store
            .take_facebook_login_state("state-1", Some("session-a"), now)
            .await
            .unwrap()
            .unwrap_err(),
        StateRefusal::Used
    );
    assert_eq!(
        store
            .take_facebook_login_state("nope", Some("session-a"), now)
            .await
            .unwrap()
            .unwrap_err(),
        StateRefusal::Unknown
    );
    store
        .create_facebook_login(&acme, new("state-2", now - SignedDuration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(
        store
            .take_facebook_login_state("state-2", Some("session-a"), now)
            .await
            .unwrap()
            .unwrap_err(),
        StateRefusal::Expired
    );
}

async fn a_due_check_is_claimed_by_one_checker_only(store: Store) {
    let acme = account(&store, "Acme").await;
    let channel = store
        .create_channel(&acme, new_channel("p4"))
        .await
        .unwrap();
    let created = channel.last_check_at.unwrap();
    // Just connected: not due yet.
    assert!(store
        .claim_due_channel_checks(created, created, 10)
        .await
        .unwrap()
        .is_empty());
    let later = created + SignedDuration::from_secs(600);
    let claimed = store
        .claim_due_channel_checks(later, later, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].channel_id, channel.id);
    assert!(store
        .claim_due_channel_checks(later, later, 10)
        .await
        .unwrap()
        .is_empty());
}
