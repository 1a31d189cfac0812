//! Flows many integration tests share: waiting for asynchronous results,
//! availability, offers, and a desk (server + emulator + admin + one
//! connected Page) to route enquiries on.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{Backend, Client, ConnectedPage, TestApp};

/// How long [`eventually`] waits: long enough for an offer to time out and
/// move on, short enough that a hang fails quickly.
pub const EVENTUALLY: Duration = Duration::from_secs(15);

/// Polls `check` every 25 ms for up to [`EVENTUALLY`] until it returns
/// `Some`; panics naming `what` otherwise.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(what, EVENTUALLY, check).await
}

/// [`eventually`] with a different bound, for work that takes longer.
pub async fn eventually_within<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Sets `client`'s own availability (`available`, `away`, `offline`).
pub async fn set_availability(client: &Client, availability: &str) {
    let (status, body) = client
        .put(
            "/api/v1/me/availability",
            json!({ "availability": availability }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The open offers `client` sees now.
pub async fn open_offers(client: &Client) -> Vec<Value> {
    let (status, body) = client.get("/api/v1/offers").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Waits until `client` has an open offer and returns the first one.
pub async fn first_offer(client: &Client) -> Value {
    eventually("an offer", || async {
        open_offers(client).await.into_iter().next()
    })
    .await
}

/// `client` accepts `offer`; the raw answer.
pub async fn accept(client: &Client, offer: &Value) -> (StatusCode, Value) {
    client
        .post(
            &format!("/api/v1/offers/{}/accept", offer["id"].as_str().unwrap()),
            json!({}),
        )
        .await
}

/// Sets the routing of channel `channel_id` (as the admin `admin`).
pub async fn set_routing(admin: &Client, channel_id: &str, routing: Value) {
    let (status, body) = admin
        .patch(
            &format!("/api/v1/channels/{channel_id}"),
            json!({ "routing": routing }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// An available agent in a destination "Team", so new channels route to them.
pub async fn team_with_agent(admin: &Client) -> Client {
    let agent = admin.staff_client("agent").await;
    let (status, body) = admin
        .post(
            "/api/v1/destinations",
            json!({"name": "Team", "member_ids": [agent.staff_id.clone().unwrap()]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    set_availability(&agent, "available").await;
    agent
}

/// A server with the emulator, an account "Acme" with its admin, and the
/// Page "Acme Support" connected as a channel.
pub struct Desk {
    pub app: TestApp,
    pub admin: Client,
    pub page: ConnectedPage,
}

impl Desk {
    pub async fn new(backend: Backend) -> Self {
        let app = TestApp::spawn_with_emulator(backend).await;
        let admin = app.new_account("Acme").await;
        let page = app.connect_page(&admin, "Acme Support").await;
        Self { app, admin, page }
    }

    /// Creates a destination "Team <random>" of `members` with this offer
    /// timeout and strategy (`ring_all`, `round_robin`, …); returns its id.
    pub async fn destination(
        &self,
        timeout_secs: u32,
        strategy: &str,
        members: &[&Client],
    ) -> String {
        let ids: Vec<&str> = members
            .iter()
            .map(|m| m.staff_id.as_deref().unwrap())
            .collect();
        let (status, body) = self
            .admin
            .post(
                "/api/v1/destinations",
                json!({"name": format!("Team {}", super::uuid()), "offer_timeout_secs": timeout_secs,
                       "strategy": strategy, "member_ids": ids}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Sets the routing of the Page's channel.
    pub async fn set_routing(&self, routing: Value) {
        set_routing(&self.admin, &self.page.channel_id, routing).await;
    }

    /// Routes to `destinations` in turn (the alternative rule, not sticky).
    pub async fn route_alternative(&self, destinations: &[&str]) {
        let destinations: Vec<Value> = destinations.iter().map(|id| json!({ "id": id })).collect();
        self.set_routing(json!({"rule": "alternative", "destinations": destinations}))
            .await;
    }
}
