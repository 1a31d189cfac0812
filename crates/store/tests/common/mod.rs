//! Setup shared by the store's integration tests: the two-backend test
//! generators and the account/staff/channel seeding every file needs.
//!
//! Each test file does `#[macro_use] mod common;` and uses only part of
//! this, hence the `dead_code` allowance.
#![allow(dead_code, unused_macros)]

use domain::channel::{ChannelName, ChannelStatus};
use domain::messages::MessageSettings;
use domain::routing::{RoutingRule, RoutingSettings, RoutingSettingsInput, TimeZoneName};
use domain::staff::{Availability, DistributionStrategy, Role};
use jiff::Timestamp;
use store::{
    Enquiry, InboundEvent, InboundItem, InboundOutcome, NewChannel, NewDestination,
    NewInboundMessage, NewStaff, Staff, Store, FACEBOOK_MESSENGER,
};

/// One `#[tokio::test]` on a fresh SQLite file and one on a fresh
/// PostgreSQL database per case; each case is `async fn case(store: Store)`.
macro_rules! on_both {
    ($($case:ident),+ $(,)?) => {
        backend_tests!(sqlite, Sqlite, "SQLite", store_only; $($case),+);
        backend_tests!(postgres, Postgres, "PostgreSQL", store_only; $($case),+);
    };
}

/// Like `on_both!`, for cases that also need the database itself (to
/// reopen it, migrate again, …): `async fn case(db: &TestDatabase, store: Store)`.
macro_rules! contract {
    ($($case:ident),+ $(,)?) => {
        backend_tests!(sqlite, Sqlite, "SQLite", with_db; $($case),+);
        backend_tests!(postgres, Postgres, "PostgreSQL", with_db; $($case),+);
    };
}

/// The module of one backend's tests: each opens a fresh store, checks it
/// really is that backend, and runs the case.
macro_rules! backend_tests {
    ($backend:ident, $dialect:ident, $label:literal, $mode:ident; $($case:ident),+) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = store::testing::TestDatabase::$backend();
                    let store = db
                        .store()
                        .await
                        .expect(concat!("opening the ", $label, " test store"));
                    assert_eq!(store.dialect(), store::Dialect::$dialect);
                    run_case!($mode, $case, db, store);
                }
            )+
        }
    };
}

/// Calls a case with what its kind takes.
macro_rules! run_case {
    (store_only, $case:ident, $db:ident, $store:ident) => {
        super::$case($store).await
    };
    (with_db, $case:ident, $db:ident, $store:ident) => {
        super::$case(&$db, $store).await
    };
}

/// A timestamp from RFC 3339 text.
pub fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A page id no other test uses (pages are unique across accounts).
pub fn unique_page_id() -> String {
    format!("page-{}", uuid::Uuid::new_v4().simple())
}

/// An active Messenger channel for `page_id` that routes nowhere yet.
pub fn new_channel(page_id: &str) -> NewChannel {
    NewChannel {
        kind: FACEBOOK_MESSENGER.into(),
        name: ChannelName::parse("Support").unwrap(),
        status: ChannelStatus::Active,
        status_reason: None,
        page_id: page_id.into(),
        page_name: "Acme".into(),
        picture_url: None,
        access_token_enc: "v1:sealed".into(),
        connected_by: Some("fb-user-1".into()),
        routing_settings: RoutingSettings {
            rule: RoutingRule::Alternative {
                destinations: Vec::new(),
            },
            sticky: false,
            time_zone: TimeZoneName::default(),
        },
        message_settings: MessageSettings::default(),
    }
}

/// Routing settings as an admin would submit them, e.g.
/// `{"rule": "alternative", "destinations": [{"id": …}]}`.
pub fn routing(json: serde_json::Value) -> RoutingSettings {
    let input: RoutingSettingsInput = serde_json::from_value(json).unwrap();
    RoutingSettings::parse_stored(&input).unwrap()
}

/// The offer timeout of the destinations [`destination`] creates.
pub const OFFER_TIMEOUT_SECS: i64 = 30;

/// Creates a destination of `members` with [`OFFER_TIMEOUT_SECS`]; returns
/// its id.
pub async fn destination(
    store: &Store,
    account_id: &str,
    name: &str,
    strategy: DistributionStrategy,
    members: &[String],
) -> String {
    store
        .create_destination(
            account_id,
            NewDestination {
                name: name.into(),
                offer_timeout_secs: OFFER_TIMEOUT_SECS,
                strategy,
                member_ids: members.to_vec(),
            },
        )
        .await
        .unwrap()
        .id
}

/// Creates an admin, Ada (unique e-mail, capacity 5).
pub async fn admin(store: &Store, account_id: &str) -> Staff {
    store
        .create_staff(
            account_id,
            NewStaff {
                email: format!("{}@acme.example", uuid::Uuid::new_v4().simple()),
                password_hash: "x".into(),
                role: Role::Admin,
                first_name: "Ada".into(),
                last_name: "Admin".into(),
                display_name: "Ada".into(),
                capacity: 5,
            },
        )
        .await
        .unwrap()
}

/// Creates an account; returns its id.
pub async fn account(store: &Store, name: &str) -> String {
    store.create_account(name).await.unwrap().id
}

/// Creates an active channel on a fresh page of the account with the given
/// routing; returns the channel id.
pub async fn channel(store: &Store, account_id: &str, routing_settings: RoutingSettings) -> String {
    store
        .create_channel(
            account_id,
            NewChannel {
                routing_settings,
                ..new_channel(&unique_page_id())
            },
        )
        .await
        .unwrap()
        .id
}

/// Creates an agent called `name` (unique e-mail) with the given capacity;
/// returns the staff id.
pub async fn agent(store: &Store, account_id: &str, name: &str, capacity: i64) -> String {
    store
        .create_staff(
            account_id,
            NewStaff {
                email: format!("{name}-{}@example.com", uuid::Uuid::new_v4().simple()),
                password_hash: "x".into(),
                role: Role::Agent,
                first_name: name.into(),
                last_name: "Agent".into(),
                display_name: name.into(),
                capacity,
            },
        )
        .await
        .unwrap()
        .id
}

/// Sets the availability of each of `staff_ids` as of `at`.
pub async fn set_availability(
    store: &Store,
    account_id: &str,
    staff_ids: &[String],
    availability: Availability,
    at: Timestamp,
) {
    for id in staff_ids {
        store
            .set_availability(account_id, id, availability, at)
            .await
            .unwrap();
    }
}

/// A visitor `psid` writes "hello" to the channel at `at` (a fresh message
/// and delivery); returns the enquiry it opened.
pub async fn visitor_writes(
    store: &Store,
    account_id: &str,
    channel_id: &str,
    psid: &str,
    at: Timestamp,
) -> Enquiry {
    let outcome = store
        .apply_inbound(&InboundEvent {
            inbox_id: uuid::Uuid::new_v4().to_string(),
            dedupe_key: uuid::Uuid::new_v4().to_string(),
            account_id: account_id.into(),
            channel_id: channel_id.into(),
            psid: psid.into(),
            at,
            standby: false,
            item: InboundItem::VisitorMessage(NewInboundMessage {
                external_id: Some(format!("m_{}", uuid::Uuid::new_v4().simple())),
                kind: "text".into(),
                text: Some("hello".into()),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let InboundOutcome::Done(changes) = outcome else {
        panic!("not applied: {outcome:?}");
    };
    changes.enquiry_opened.expect("an enquiry opened")
}

/// An account whose available agents are all members of one ring-all
/// destination "Sales", and a channel routing to it.
pub struct World {
    pub store: Store,
    pub account_id: String,
    pub channel_id: String,
    /// The agents' staff ids, in the order they were asked for.
    pub agents: Vec<String>,
    pub destination_id: String,
}

/// Builds a [`World`] with one agent per `(name, capacity)`, available
/// since 08:00 on 2026-03-01.
pub async fn ring_all_world(store: Store, agents: &[(&str, i64)]) -> World {
    let account_id = account(&store, "Acme").await;
    let mut ids = Vec::new();
    for (name, capacity) in agents {
        ids.push(agent(&store, &account_id, name, *capacity).await);
    }
    set_availability(
        &store,
        &account_id,
        &ids,
        Availability::Available,
        t("2026-03-01T08:00:00Z"),
    )
    .await;
    let destination_id = destination(
        &store,
        &account_id,
        "Sales",
        DistributionStrategy::RingAll,
        &ids,
    )
    .await;
    let channel_id = channel(
        &store,
        &account_id,
        routing(
            serde_json::json!({"rule": "alternative", "destinations": [{"id": destination_id}]}),
        ),
    )
    .await;
    World {
        store,
        account_id,
        channel_id,
        agents: ids,
        destination_id,
    }
}

impl World {
    /// A visitor writes: opens a queued enquiry (see [`visitor_writes`]).
    pub async fn visitor_writes(&self, psid: &str, at: Timestamp) -> Enquiry {
        visitor_writes(&self.store, &self.account_id, &self.channel_id, psid, at).await
    }
}
