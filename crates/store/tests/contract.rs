//! The store's contract, run against both backends.
//!
//! Each case is `async fn case(db: &TestDatabase, store: Store)`; `contract!`
//! generates one `#[tokio::test]` on a fresh SQLite file and one on a fresh
//! PostgreSQL database per case. PostgreSQL must be reachable (see
//! `store::testing`): an unreachable server fails these tests.

#[macro_use]
mod common;

use common::t as at;

use std::collections::HashSet;

use domain::staff::{Availability, DistributionStrategy, Role};
use jiff::{SignedDuration, Timestamp};
use store::testing::TestDatabase;
use store::{
    AccountUpdate, DestinationUpdate, Dialect, NewApiToken, NewDestination, NewSession, NewStaff,
    StaffUpdate, Store, StoreError,
};

contract!(
    a_new_account_has_the_default_limits,
    an_unknown_account_is_not_found,
    account_settings_can_be_changed,
    staff_are_created_offline_and_read_back_unchanged,
    an_email_is_unique_across_all_accounts,
    staff_are_listed_by_first_then_last_name,
    updating_staff_changes_only_the_given_fields,
    changing_to_a_taken_email_is_a_conflict,
    another_account_cannot_see_or_change_staff,
    a_new_password_is_what_login_finds,
    login_finds_a_member_by_email_in_any_account,
    admins_are_counted_per_account,
    availability_changes_are_timestamped_only_when_they_change,
    deleting_staff_removes_their_memberships_sessions_and_tokens,
    sessions_are_found_until_they_expire,
    a_session_needs_a_staff_member_of_its_account,
    expired_sessions_are_deleted_and_live_ones_kept,
    logging_out_deletes_the_session,
    api_tokens_are_found_by_hash_until_revoked,
    revoking_twice_keeps_the_first_revocation,
    api_tokens_are_scoped_to_their_account,
    touching_a_token_records_when_it_was_used,
    login_failures_are_counted_per_key_within_the_window,
    parallel_login_attempts_never_exceed_the_limit_and_a_success_is_taken_back,
    clearing_login_failures_resets_the_count,
    old_login_failures_are_pruned,
    destinations_keep_their_members_in_order,
    a_destination_name_is_unique_within_an_account,
    an_invalid_member_writes_nothing,
    updating_a_destination_replaces_its_members,
    another_account_cannot_see_or_change_destinations,
    deleting_a_destination_removes_it,
    data_survives_closing_and_reopening_the_store,
    concurrent_writers_all_succeed,
    concurrent_read_then_write_transactions_all_succeed,
    concurrent_edits_of_different_fields_are_all_kept,
    migrating_twice_is_harmless,
);

// ---------------------------------------------------------------- helpers

fn new_staff(email: &str, first: &str, last: &str, role: Role) -> NewStaff {
    NewStaff {
        email: email.to_owned(),
        password_hash: format!("hash-of-{email}"),
        role,
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        display_name: format!("{first} {last}"),
        capacity: 5,
    }
}

fn agent(email: &str) -> NewStaff {
    new_staff(email, "Ann", "Agent", Role::Agent)
}

fn new_destination(name: &str, member_ids: Vec<String>) -> NewDestination {
    NewDestination {
        name: name.to_owned(),
        offer_timeout_secs: 30,
        strategy: DistributionStrategy::RingAll,
        member_ids,
    }
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "expected NotFound, got {result:?}"
    );
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, name: &str) {
    match result {
        Err(StoreError::Conflict { constraint }) => assert_eq!(constraint, name),
        other => panic!("expected Conflict {{ {name} }}, got {other:?}"),
    }
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, StoreError>, field: &str, rule: &str) {
    match result {
        Err(StoreError::Invalid { field: f, rule: r }) => {
            assert_eq!((f.as_str(), r.as_str()), (field, rule))
        }
        other => panic!("expected Invalid {{ {field}: {rule} }}, got {other:?}"),
    }
}

fn session_for(account_id: &str, staff_id: &str, token: &str, expires_at: Timestamp) -> NewSession {
    NewSession {
        token_hash: token.to_owned(),
        account_id: account_id.to_owned(),
        staff_id: staff_id.to_owned(),
        csrf_token: format!("csrf-{token}"),
        expires_at,
    }
}

fn token_for(staff_id: &str, name: &str, hash: &str) -> NewApiToken {
    NewApiToken {
        staff_id: staff_id.to_owned(),
        name: name.to_owned(),
        token_hash: hash.to_owned(),
    }
}

// ---------------------------------------------------------------- accounts

async fn a_new_account_has_the_default_limits(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    assert_eq!(account.name, "Acme");
    assert_eq!(account.max_concurrent_visitors, 200);
    assert_eq!(account.away_grace_secs, 300);
    assert_eq!(store.get_account(&account.id).await.unwrap(), account);
}

async fn an_unknown_account_is_not_found(_: &TestDatabase, store: Store) {
    assert_not_found(
        store
            .get_account("0190f0f0-0000-7000-8000-000000000000")
            .await,
    );
    assert_not_found(
        store
            .create_staff("no-such-account", agent("a@x.com"))
            .await,
    );
}

async fn account_settings_can_be_changed(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let other = store.create_account("Other").await.unwrap();
    let update = AccountUpdate {
        max_concurrent_visitors: Some(50),
        ..AccountUpdate::default()
    };
    let updated = store.update_account(&account.id, update).await.unwrap();
    assert_eq!(updated.max_concurrent_visitors, 50);
    assert_eq!(
        (updated.name.as_str(), updated.away_grace_secs),
        ("Acme", 300)
    );
    assert_eq!(store.get_account(&account.id).await.unwrap(), updated);
    assert_eq!(store.get_account(&other.id).await.unwrap(), other);
    assert_not_found(
        store
            .update_account("no-such-account", AccountUpdate::default())
            .await,
    );
}

// ---------------------------------------------------------------- staff

async fn staff_are_created_offline_and_read_back_unchanged(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let staff = store
        .create_staff(
            &account.id,
            new_staff("ann@acme.com", "Ann", "Lee", Role::Admin),
        )
        .await
        .unwrap();
    assert_eq!(staff.account_id, account.id);
    assert_eq!(staff.role, Role::Admin);
    assert_eq!(staff.availability, Availability::Offline);
    assert_eq!(staff.capacity, 5);
    assert_eq!(staff.availability_changed_at, staff.created_at);
    assert_eq!(
        store.get_staff(&account.id, &staff.id).await.unwrap(),
        staff
    );
    assert_eq!(store.list_staff(&account.id).await.unwrap(), vec![staff]);
}

async fn an_email_is_unique_across_all_accounts(_: &TestDatabase, store: Store) {
    let a = store.create_account("A").await.unwrap();
    let b = store.create_account("B").await.unwrap();
    store.create_staff(&a.id, agent("ann@x.com")).await.unwrap();
    assert_conflict(
        store.create_staff(&a.id, agent("ann@x.com")).await,
        "staff_email",
    );
    assert_conflict(
        store.create_staff(&b.id, agent("ann@x.com")).await,
        "staff_email",
    );
    assert!(store.list_staff(&b.id).await.unwrap().is_empty());
}

async fn staff_are_listed_by_first_then_last_name(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    for (email, first, last) in [
        ("1@x.com", "bob", "Young"),
        ("2@x.com", "Ann", "Zed"),
        ("3@x.com", "Bob", "Adams"),
        ("4@x.com", "ann", "Baker"),
    ] {
        store
            .create_staff(&account.id, new_staff(email, first, last, Role::Agent))
            .await
            .unwrap();
    }
    let names: Vec<String> = store
        .list_staff(&account.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| format!("{} {}", s.first_name, s.last_name))
        .collect();
    assert_eq!(names, ["ann Baker", "Ann Zed", "Bob Adams", "bob Young"]);
}

async fn updating_staff_changes_only_the_given_fields(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let staff = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let updated = store
        .update_staff(
            &account.id,
            &staff.id,
            StaffUpdate {
                role: Some(Role::Admin),
                display_name: Some("Annie".into()),
                capacity: Some(9),
                ..StaffUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.role, Role::Admin);
    assert_eq!(updated.display_name, "Annie");
    assert_eq!(updated.capacity, 9);
    assert_eq!(updated.email, staff.email);
    assert_eq!(updated.first_name, staff.first_name);
    assert_eq!(updated.created_at, staff.created_at);
    assert!(updated.updated_at >= staff.updated_at);
    assert_eq!(
        store.get_staff(&account.id, &staff.id).await.unwrap(),
        updated
    );
}

async fn changing_to_a_taken_email_is_a_conflict(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let bob = store
        .create_staff(&account.id, agent("bob@x.com"))
        .await
        .unwrap();
    let update = StaffUpdate {
        email: Some("ann@x.com".into()),
        ..StaffUpdate::default()
    };
    assert_conflict(
        store.update_staff(&account.id, &bob.id, update).await,
        "staff_email",
    );
    assert_eq!(
        store.get_staff(&account.id, &bob.id).await.unwrap().email,
        "bob@x.com"
    );
}

async fn another_account_cannot_see_or_change_staff(_: &TestDatabase, store: Store) {
    let a = store.create_account("A").await.unwrap();
    let b = store.create_account("B").await.unwrap();
    let ann = store.create_staff(&a.id, agent("ann@x.com")).await.unwrap();
    assert_not_found(store.get_staff(&b.id, &ann.id).await);
    let update = StaffUpdate {
        first_name: Some("Mallory".into()),
        ..StaffUpdate::default()
    };
    assert_not_found(store.update_staff(&b.id, &ann.id, update).await);
    assert_not_found(store.set_staff_password(&b.id, &ann.id, "evil").await);
    assert_not_found(
        store
            .set_availability(&b.id, &ann.id, Availability::Available, Timestamp::now())
            .await,
    );
    assert_not_found(store.delete_staff(&b.id, &ann.id).await);
    assert!(store.list_staff(&b.id).await.unwrap().is_empty());
    // Untouched in its own account.
    assert_eq!(store.get_staff(&a.id, &ann.id).await.unwrap(), ann);
    let login = store.find_login("ann@x.com").await.unwrap().unwrap();
    assert_eq!(login.password_hash, "hash-of-ann@x.com");
}

async fn a_new_password_is_what_login_finds(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    store
        .set_staff_password(&account.id, &ann.id, "new-hash")
        .await
        .unwrap();
    let login = store.find_login("ann@x.com").await.unwrap().unwrap();
    assert_eq!(login.password_hash, "new-hash");
}

async fn login_finds_a_member_by_email_in_any_account(_: &TestDatabase, store: Store) {
    let a = store.create_account("A").await.unwrap();
    let b = store.create_account("B").await.unwrap();
    store.create_staff(&a.id, agent("ann@x.com")).await.unwrap();
    let bob = store.create_staff(&b.id, agent("bob@x.com")).await.unwrap();
    let login = store.find_login("bob@x.com").await.unwrap().unwrap();
    assert_eq!(login.staff, bob);
    assert_eq!(login.password_hash, "hash-of-bob@x.com");
    assert_eq!(store.find_login("nobody@x.com").await.unwrap(), None);
}

async fn admins_are_counted_per_account(_: &TestDatabase, store: Store) {
    let a = store.create_account("A").await.unwrap();
    let b = store.create_account("B").await.unwrap();
    store
        .create_staff(&a.id, new_staff("1@x.com", "A", "One", Role::Admin))
        .await
        .unwrap();
    let two = store
        .create_staff(&a.id, new_staff("2@x.com", "A", "Two", Role::Admin))
        .await
        .unwrap();
    store.create_staff(&a.id, agent("3@x.com")).await.unwrap();
    store
        .create_staff(&b.id, new_staff("4@x.com", "B", "One", Role::Admin))
        .await
        .unwrap();
    assert_eq!(store.count_admins(&a.id).await.unwrap(), 2);
    assert_eq!(store.count_admins(&b.id).await.unwrap(), 1);
    let demote = StaffUpdate {
        role: Some(Role::Agent),
        ..StaffUpdate::default()
    };
    store.update_staff(&a.id, &two.id, demote).await.unwrap();
    assert_eq!(store.count_admins(&a.id).await.unwrap(), 1);
}

async fn availability_changes_are_timestamped_only_when_they_change(
    _: &TestDatabase,
    store: Store,
) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let first = at("2030-01-01T09:00:00.123456Z");
    let staff = store
        .set_availability(&account.id, &ann.id, Availability::Available, first)
        .await
        .unwrap();
    assert_eq!(staff.availability, Availability::Available);
    assert_eq!(
        staff.availability_changed_at,
        at("2030-01-01T09:00:00.123Z")
    );
    let again = store
        .set_availability(
            &account.id,
            &ann.id,
            Availability::Available,
            at("2030-01-01T10:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(
        again.availability_changed_at,
        at("2030-01-01T09:00:00.123Z")
    );
    let away = store
        .set_availability(
            &account.id,
            &ann.id,
            Availability::Away,
            at("2030-01-01T11:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(away.availability, Availability::Away);
    assert_eq!(away.availability_changed_at, at("2030-01-01T11:00:00Z"));
    assert_eq!(store.get_staff(&account.id, &ann.id).await.unwrap(), away);
}

async fn deleting_staff_removes_their_memberships_sessions_and_tokens(
    _: &TestDatabase,
    store: Store,
) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let bob = store
        .create_staff(&account.id, agent("bob@x.com"))
        .await
        .unwrap();
    let team = store
        .create_destination(
            &account.id,
            new_destination("Sales", vec![ann.id.clone(), bob.id.clone()]),
        )
        .await
        .unwrap();
    let later = Timestamp::now() + SignedDuration::from_hours(1);
    store
        .create_session(session_for(&account.id, &ann.id, "ann-session", later))
        .await
        .unwrap();
    store
        .create_session(session_for(&account.id, &bob.id, "bob-session", later))
        .await
        .unwrap();
    store
        .create_api_token(&account.id, token_for(&ann.id, "CRM", "ann-token"))
        .await
        .unwrap();

    store.delete_staff(&account.id, &ann.id).await.unwrap();

    assert_not_found(store.get_staff(&account.id, &ann.id).await);
    assert_eq!(store.find_login("ann@x.com").await.unwrap(), None);
    let team = store.get_destination(&account.id, &team.id).await.unwrap();
    assert_eq!(team.member_ids, vec![bob.id.clone()]);
    assert_eq!(
        store
            .find_session("ann-session", Timestamp::now())
            .await
            .unwrap(),
        None
    );
    assert!(store
        .find_session("bob-session", Timestamp::now())
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.find_api_token("ann-token").await.unwrap(), None);
    assert!(store.list_api_tokens(&account.id).await.unwrap().is_empty());
    assert_not_found(store.delete_staff(&account.id, &ann.id).await);
}

// ---------------------------------------------------------------- sessions

async fn sessions_are_found_until_they_expire(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let expires_at = at("2030-01-01T12:00:00Z");
    let session = store
        .create_session(session_for(&account.id, &ann.id, "h1", expires_at))
        .await
        .unwrap();
    assert_eq!(session.csrf_token, "csrf-h1");
    let before = at("2030-01-01T11:59:59.999Z");
    assert_eq!(
        store.find_session("h1", before).await.unwrap(),
        Some(session)
    );
    assert_eq!(store.find_session("h1", expires_at).await.unwrap(), None);
    assert_eq!(store.find_session("other", before).await.unwrap(), None);
}

async fn a_session_needs_a_staff_member_of_its_account(_: &TestDatabase, store: Store) {
    let a = store.create_account("A").await.unwrap();
    let b = store.create_account("B").await.unwrap();
    let ann = store.create_staff(&a.id, agent("ann@x.com")).await.unwrap();
    let later = Timestamp::now() + SignedDuration::from_hours(1);
    assert_invalid(
        store
            .create_session(session_for(&b.id, &ann.id, "h1", later))
            .await,
        "staff_id",
        "no such staff member",
    );
    assert_eq!(
        store.find_session("h1", Timestamp::now()).await.unwrap(),
        None
    );
    store
        .create_session(session_for(&a.id, &ann.id, "h1", later))
        .await
        .unwrap();
    assert_conflict(
        store
            .create_session(session_for(&a.id, &ann.id, "h1", later))
            .await,
        "session_token",
    );
}

async fn expired_sessions_are_deleted_and_live_ones_kept(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let now = at("2030-01-01T12:00:00Z");
    for (token, expires_at) in [
        ("old", at("2030-01-01T11:00:00Z")),
        ("edge", now),
        ("live", at("2030-01-01T13:00:00Z")),
    ] {
        store
            .create_session(session_for(&account.id, &ann.id, token, expires_at))
            .await
            .unwrap();
    }
    assert_eq!(store.delete_expired_sessions(now).await.unwrap(), 2);
    let earlier = at("2030-01-01T10:00:00Z");
    assert_eq!(store.find_session("old", earlier).await.unwrap(), None);
    assert_eq!(store.find_session("edge", earlier).await.unwrap(), None);
    assert!(store.find_session("live", earlier).await.unwrap().is_some());
}

async fn logging_out_deletes_the_session(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let later = Timestamp::now() + SignedDuration::from_hours(1);
    store
        .create_session(session_for(&account.id, &ann.id, "h1", later))
        .await
        .unwrap();
    store.delete_session("h1").await.unwrap();
    assert_eq!(
        store.find_session("h1", Timestamp::now()).await.unwrap(),
        None
    );
    store.delete_session("h1").await.unwrap();
}

// ---------------------------------------------------------------- API tokens

async fn api_tokens_are_found_by_hash_until_revoked(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let token = store
        .create_api_token(&account.id, token_for(&ann.id, "CRM sync", "hash-1"))
        .await
        .unwrap();
    assert_eq!(token.name, "CRM sync");
    assert_eq!((token.last_used_at, token.revoked_at), (None, None));
    assert_eq!(
        store.find_api_token("hash-1").await.unwrap(),
        Some(token.clone())
    );
    assert_conflict(
        store
            .create_api_token(&account.id, token_for(&ann.id, "Copy", "hash-1"))
            .await,
        "api_token_hash",
    );

    let revoked = store
        .revoke_api_token(&account.id, &token.id)
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(store.find_api_token("hash-1").await.unwrap(), None);
    // Still listed, marked revoked.
    assert_eq!(
        store.list_api_tokens(&account.id).await.unwrap(),
        vec![revoked]
    );
}

async fn revoking_twice_keeps_the_first_revocation(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let token = store
        .create_api_token(&account.id, token_for(&ann.id, "CRM", "hash-1"))
        .await
        .unwrap();
    let first = store
        .revoke_api_token(&account.id, &token.id)
        .await
        .unwrap();
    let second = store
        .revoke_api_token(&account.id, &token.id)
        .await
        .unwrap();
    assert_eq!(first, second);
}

async fn api_tokens_are_scoped_to_their_account(_: &TestDatabase, store: Store) {
    let a = store.create_account("A").await.unwrap();
    let b = store.create_account("B").await.unwrap();
    let ann = store.create_staff(&a.id, agent("ann@x.com")).await.unwrap();
    let bob = store.create_staff(&b.id, agent("bob@x.com")).await.unwrap();
    assert_invalid(
        store
            .create_api_token(&b.id, token_for(&ann.id, "X", "h"))
            .await,
        "staff_id",
        "no such staff member",
    );
    let one = store
        .create_api_token(&a.id, token_for(&ann.id, "One", "h1"))
        .await
        .unwrap();
    let two = store
        .create_api_token(&a.id, token_for(&ann.id, "Two", "h2"))
        .await
        .unwrap();
    store
        .create_api_token(&b.id, token_for(&bob.id, "Bob's", "h3"))
        .await
        .unwrap();
    assert_eq!(
        store.list_api_tokens(&a.id).await.unwrap(),
        vec![one.clone(), two]
    );
    assert_not_found(store.revoke_api_token(&b.id, &one.id).await);
    assert!(store.find_api_token("h1").await.unwrap().is_some());
}

async fn touching_a_token_records_when_it_was_used(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let token = store
        .create_api_token(&account.id, token_for(&ann.id, "CRM", "hash-1"))
        .await
        .unwrap();
    let used = at("2030-05-06T07:08:09.010Z");
    store.touch_api_token(&token.id, used).await.unwrap();
    let found = store.find_api_token("hash-1").await.unwrap().unwrap();
    assert_eq!(found.last_used_at, Some(used));
    // Uses within a minute are not written again; a later one is.
    let soon = used + SignedDuration::from_secs(30);
    store.touch_api_token(&token.id, soon).await.unwrap();
    let found = store.find_api_token("hash-1").await.unwrap().unwrap();
    assert_eq!(found.last_used_at, Some(used));
    let later = used + SignedDuration::from_mins(2);
    store.touch_api_token(&token.id, later).await.unwrap();
    let found = store.find_api_token("hash-1").await.unwrap().unwrap();
    assert_eq!(found.last_used_at, Some(later));
    assert_not_found(store.touch_api_token("no-such-token", used).await);
}

// ---------------------------------------------------------------- login throttle

async fn login_failures_are_counted_per_key_within_the_window(_: &TestDatabase, store: Store) {
    let base = at("2030-01-01T12:00:00Z");
    for minutes in [0, 5, 10, 15] {
        store
            .record_login_failure("ann@x.com", base + SignedDuration::from_mins(minutes))
            .await
            .unwrap();
    }
    store.record_login_failure("10.0.0.1", base).await.unwrap();
    let since = base + SignedDuration::from_mins(5);
    assert_eq!(
        store
            .count_login_failures("ann@x.com", since)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store.count_login_failures("ann@x.com", base).await.unwrap(),
        4
    );
    assert_eq!(
        store.count_login_failures("10.0.0.1", base).await.unwrap(),
        1
    );
    assert_eq!(
        store.count_login_failures("bob@x.com", base).await.unwrap(),
        0
    );
}

async fn parallel_login_attempts_never_exceed_the_limit_and_a_success_is_taken_back(
    _: &TestDatabase,
    store: Store,
) {
    let now = at("2030-01-01T12:00:00Z");
    let since = now - SignedDuration::from_mins(15);
    let attempts = (0..20).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            let limits = [
                store::AttemptLimit {
                    key: "email:ann@x.com",
                    max: 3,
                },
                store::AttemptLimit {
                    key: "ip:10.0.0.1",
                    max: 30,
                },
            ];
            store
                .reserve_login_attempt(&limits, now, since)
                .await
                .unwrap()
        })
    });
    let mut granted = Vec::new();
    for attempt in attempts {
        granted.extend(attempt.await.unwrap());
    }
    assert_eq!(
        granted.len(),
        3,
        "only as many attempts as the limit allows"
    );
    let counts = || async {
        let email = store.count_login_failures("email:ann@x.com", since);
        let address = store.count_login_failures("ip:10.0.0.1", since);
        (email.await.unwrap(), address.await.unwrap())
    };
    assert_eq!(counts().await, (3, 3));
    // A successful attempt does not count against either key.
    store.forget_login_attempt(&granted[0]).await.unwrap();
    assert_eq!(counts().await, (2, 2));
}

async fn clearing_login_failures_resets_the_count(_: &TestDatabase, store: Store) {
    let base = at("2030-01-01T12:00:00Z");
    store.record_login_failure("ann@x.com", base).await.unwrap();
    store.record_login_failure("ann@x.com", base).await.unwrap();
    store.record_login_failure("bob@x.com", base).await.unwrap();
    store.clear_login_failures("ann@x.com").await.unwrap();
    assert_eq!(
        store.count_login_failures("ann@x.com", base).await.unwrap(),
        0
    );
    assert_eq!(
        store.count_login_failures("bob@x.com", base).await.unwrap(),
        1
    );
}

async fn old_login_failures_are_pruned(_: &TestDatabase, store: Store) {
    let base = at("2030-01-01T12:00:00Z");
    let earlier = base - SignedDuration::from_hours(2);
    store
        .record_login_failure("ann@x.com", earlier)
        .await
        .unwrap();
    store.record_login_failure("ann@x.com", base).await.unwrap();
    assert_eq!(store.prune_login_failures(base).await.unwrap(), 1);
    assert_eq!(
        store
            .count_login_failures("ann@x.com", earlier)
            .await
            .unwrap(),
        1
    );
}

// ---------------------------------------------------------------- destinations

async fn destinations_keep_their_members_in_order(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let mut ids = Vec::new();
    for email in ["a@x.com", "b@x.com", "c@x.com"] {
        ids.push(
            store
                .create_staff(&account.id, agent(email))
                .await
                .unwrap()
                .id,
        );
    }
    let order = vec![ids[2].clone(), ids[0].clone(), ids[1].clone()];
    let created = store
        .create_destination(
            &account.id,
            NewDestination {
                name: "Support".into(),
                offer_timeout_secs: 45,
                strategy: DistributionStrategy::LongestIdle,
                member_ids: order.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(created.member_ids, order);
    assert_eq!(created.offer_timeout_secs, 45);
    assert_eq!(created.strategy, DistributionStrategy::LongestIdle);
    assert_eq!(
        store
            .get_destination(&account.id, &created.id)
            .await
            .unwrap(),
        created
    );
    let empty = store
        .create_destination(&account.id, new_destination("after-hours", vec![]))
        .await
        .unwrap();
    // Listed by name ignoring case, members included.
    assert_eq!(
        store.list_destinations(&account.id).await.unwrap(),
        vec![empty, created]
    );
}

async fn a_destination_name_is_unique_within_an_account(_: &TestDatabase, store: Store) {
    let a = store.create_account("A").await.unwrap();
    let b = store.create_account("B").await.unwrap();
    store
        .create_destination(&a.id, new_destination("Sales", vec![]))
        .await
        .unwrap();
    assert_conflict(
        store
            .create_destination(&a.id, new_destination("Sales", vec![]))
            .await,
        "destination_name",
    );
    // Another account may use the same name.
    store
        .create_destination(&b.id, new_destination("Sales", vec![]))
        .await
        .unwrap();
    let support = store
        .create_destination(&a.id, new_destination("Support", vec![]))
        .await
        .unwrap();
    let rename = DestinationUpdate {
        name: Some("Sales".into()),
        ..DestinationUpdate::default()
    };
    assert_conflict(
        store.update_destination(&a.id, &support.id, rename).await,
        "destination_name",
    );
}

async fn an_invalid_member_writes_nothing(_: &TestDatabase, store: Store) {
    let a = store.create_account("A").await.unwrap();
    let b = store.create_account("B").await.unwrap();
    let ann = store.create_staff(&a.id, agent("ann@x.com")).await.unwrap();
    let bob = store.create_staff(&b.id, agent("bob@x.com")).await.unwrap();
    assert_invalid(
        store
            .create_destination(
                &a.id,
                new_destination("Sales", vec![ann.id.clone(), bob.id.clone()]),
            )
            .await,
        "member_ids[1]",
        "no such staff member",
    );
    assert!(store.list_destinations(&a.id).await.unwrap().is_empty());

    let sales = store
        .create_destination(&a.id, new_destination("Sales", vec![ann.id.clone()]))
        .await
        .unwrap();
    let bad = DestinationUpdate {
        name: Some("Renamed".into()),
        member_ids: Some(vec!["nobody".into()]),
        ..DestinationUpdate::default()
    };
    assert_invalid(
        store.update_destination(&a.id, &sales.id, bad).await,
        "member_ids[0]",
        "no such staff member",
    );
    assert_eq!(
        store.get_destination(&a.id, &sales.id).await.unwrap(),
        sales
    );
}

async fn updating_a_destination_replaces_its_members(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let bob = store
        .create_staff(&account.id, agent("bob@x.com"))
        .await
        .unwrap();
    let sales = store
        .create_destination(&account.id, new_destination("Sales", vec![ann.id.clone()]))
        .await
        .unwrap();
    let timeout_only = DestinationUpdate {
        offer_timeout_secs: Some(60),
        ..DestinationUpdate::default()
    };
    let updated = store
        .update_destination(&account.id, &sales.id, timeout_only)
        .await
        .unwrap();
    assert_eq!(updated.offer_timeout_secs, 60);
    assert_eq!(updated.member_ids, vec![ann.id.clone()]);

    let members = DestinationUpdate {
        strategy: Some(DistributionStrategy::LongestIdle),
        member_ids: Some(vec![bob.id.clone(), ann.id.clone()]),
        ..DestinationUpdate::default()
    };
    let updated = store
        .update_destination(&account.id, &sales.id, members)
        .await
        .unwrap();
    assert_eq!(updated.member_ids, vec![bob.id.clone(), ann.id.clone()]);
    assert_eq!(updated.strategy, DistributionStrategy::LongestIdle);
    assert_eq!(
        store.get_destination(&account.id, &sales.id).await.unwrap(),
        updated
    );
}

async fn another_account_cannot_see_or_change_destinations(_: &TestDatabase, store: Store) {
    let a = store.create_account("A").await.unwrap();
    let b = store.create_account("B").await.unwrap();
    let sales = store
        .create_destination(&a.id, new_destination("Sales", vec![]))
        .await
        .unwrap();
    assert_not_found(store.get_destination(&b.id, &sales.id).await);
    let rename = DestinationUpdate {
        name: Some("Mine".into()),
        ..DestinationUpdate::default()
    };
    assert_not_found(store.update_destination(&b.id, &sales.id, rename).await);
    assert_not_found(store.delete_destination(&b.id, &sales.id).await);
    assert!(store.list_destinations(&b.id).await.unwrap().is_empty());
    assert_eq!(
        store.get_destination(&a.id, &sales.id).await.unwrap(),
        sales
    );
}

async fn deleting_a_destination_removes_it(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let sales = store
        .create_destination(&account.id, new_destination("Sales", vec![ann.id.clone()]))
        .await
        .unwrap();
    store
        .delete_destination(&account.id, &sales.id)
        .await
        .unwrap();
    assert_not_found(store.get_destination(&account.id, &sales.id).await);
    assert!(store
        .list_destinations(&account.id)
        .await
        .unwrap()
        .is_empty());
    // The name is free again and the member is still a staff member.
    store
        .create_destination(&account.id, new_destination("Sales", vec![ann.id.clone()]))
        .await
        .unwrap();
    assert!(store.get_staff(&account.id, &ann.id).await.is_ok());
}

// ---------------------------------------------------------------- durability and concurrency

async fn data_survives_closing_and_reopening_the_store(db: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let sales = store
        .create_destination(&account.id, new_destination("Sales", vec![ann.id.clone()]))
        .await
        .unwrap();
    store.close().await;

    let reopened = db.store().await.unwrap();
    assert_eq!(reopened.get_account(&account.id).await.unwrap(), account);
    assert_eq!(reopened.get_staff(&account.id, &ann.id).await.unwrap(), ann);
    assert_eq!(
        reopened
            .get_destination(&account.id, &sales.id)
            .await
            .unwrap(),
        sales
    );
    reopened.close().await;
}

async fn concurrent_writers_all_succeed(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            let account_id = account.id.clone();
            tokio::spawn(async move {
                store
                    .create_staff(&account_id, agent(&format!("agent{i}@x.com")))
                    .await
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        let staff = task
            .await
            .unwrap()
            .expect("a concurrent create_staff failed");
        ids.insert(staff.id);
    }
    assert_eq!(ids.len(), 50);
    assert_eq!(store.list_staff(&account.id).await.unwrap().len(), 50);
}

/// Updates read the row before writing it: on SQLite a plain (deferred)
/// transaction would fail with SQLITE_BUSY when upgrading to a write lock
/// another writer took meanwhile. The store's writer queue prevents that.
async fn concurrent_read_then_write_transactions_all_succeed(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let mut staff = Vec::new();
    for i in 0..50 {
        staff.push(
            store
                .create_staff(&account.id, agent(&format!("a{i}@x.com")))
                .await
                .unwrap(),
        );
    }
    let tasks: Vec<_> = staff
        .iter()
        .enumerate()
        .map(|(i, member)| {
            let (store, account_id, id) = (store.clone(), account.id.clone(), member.id.clone());
            tokio::spawn(async move {
                let update = StaffUpdate {
                    capacity: Some(i as i64 + 1),
                    ..StaffUpdate::default()
                };
                store.update_staff(&account_id, &id, update).await
            })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("a concurrent update_staff failed");
    }
    let mut capacities: Vec<i64> = store
        .list_staff(&account.id)
        .await
        .unwrap()
        .iter()
        .map(|s| s.capacity)
        .collect();
    capacities.sort();
    assert_eq!(capacities, (1..=50).collect::<Vec<i64>>());
}

/// Two admins editing different fields of one member at the same moment:
/// both edits must survive (no lost update), on every backend.
async fn concurrent_edits_of_different_fields_are_all_kept(_: &TestDatabase, store: Store) {
    let account = store.create_account("Acme").await.unwrap();
    let ann = store
        .create_staff(&account.id, agent("ann@x.com"))
        .await
        .unwrap();
    let sales = store
        .create_destination(&account.id, new_destination("Sales", vec![]))
        .await
        .unwrap();
    for i in 0..20_i64 {
        let rename = {
            let (store, account_id, id) = (store.clone(), account.id.clone(), ann.id.clone());
            tokio::spawn(async move {
                let update = StaffUpdate {
                    display_name: Some(format!("Ann {i}")),
                    ..StaffUpdate::default()
                };
                store.update_staff(&account_id, &id, update).await
            })
        };
        let resize = {
            let (store, account_id, id) = (store.clone(), account.id.clone(), ann.id.clone());
            tokio::spawn(async move {
                let update = StaffUpdate {
                    capacity: Some(i + 1),
                    ..StaffUpdate::default()
                };
                store.update_staff(&account_id, &id, update).await
            })
        };
        let retime = {
            let (store, account_id, id) = (store.clone(), account.id.clone(), sales.id.clone());
            tokio::spawn(async move {
                let update = DestinationUpdate {
                    offer_timeout_secs: Some(10 + i),
                    ..DestinationUpdate::default()
                };
                store.update_destination(&account_id, &id, update).await
            })
        };
        let rename_team = {
            let (store, account_id, id) = (store.clone(), account.id.clone(), sales.id.clone());
            tokio::spawn(async move {
                let update = DestinationUpdate {
                    name: Some(format!("Sales {i}")),
                    ..DestinationUpdate::default()
                };
                store.update_destination(&account_id, &id, update).await
            })
        };
        rename.await.unwrap().unwrap();
        resize.await.unwrap().unwrap();
        retime.await.unwrap().unwrap();
        rename_team.await.unwrap().unwrap();
        let now = store.get_staff(&account.id, &ann.id).await.unwrap();
        assert_eq!(
            (now.display_name, now.capacity),
            (format!("Ann {i}"), i + 1)
        );
        let team = store.get_destination(&account.id, &sales.id).await.unwrap();
        assert_eq!(
            (team.name, team.offer_timeout_secs),
            (format!("Sales {i}"), 10 + i)
        );
    }
}

async fn migrating_twice_is_harmless(db: &TestDatabase, store: Store) {
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    let other = Store::connect(&db.url).await.unwrap();
    other.migrate().await.unwrap();
    assert!(matches!(
        other.dialect(),
        Dialect::Sqlite | Dialect::Postgres
    ));
}
