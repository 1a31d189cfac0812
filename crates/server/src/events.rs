//! Live events for agents' browsers.
//!
//! Every event is first appended to the account's numbered event log in the
//! database, then fanned out in-process over a broadcast channel to the
//! WebSockets of this node. A client that reconnects sends the last number it
//! saw and is replayed what it missed from the log. (Carrying events across
//! nodes on PostgreSQL, LISTEN/NOTIFY, plugs in here.)
//!
//! Event kinds and payloads are listed in `docs/events.md`.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use store::{Store, StoreError, StoredEvent};
use tokio::sync::broadcast;

/// Who may see an event.
#[derive(Debug, Clone, Copy)]
pub enum Audience<'a> {
    /// Every staff member of the account.
    Account,
    /// One staff member.
    Staff(&'a str),
}

/// An event as sent to browsers: `{"seq":…,"type":"…","at":"…","data":{…}}`.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    #[serde(skip)]
    pub account_id: String,
    #[serde(skip)]
    pub staff_id: Option<String>,
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub at: Timestamp,
    pub data: Value,
}

impl Event {
    /// Whether `staff_id` of `account_id` may see this event.
    pub fn is_for(&self, account_id: &str, staff_id: &str) -> bool {
        self.account_id == account_id && self.staff_id.as_deref().is_none_or(|s| s == staff_id)
    }

    pub fn from_stored(stored: StoredEvent) -> Self {
        Self {
            data: serde_json::from_str(&stored.payload).unwrap_or(Value::Null),
            account_id: stored.account_id,
            staff_id: stored.staff_id,
            seq: stored.seq,
            kind: stored.kind,
            at: stored.created_at,
        }
    }
}

/// Publishes events: log first, then live fan-out.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        // A slow socket that falls this far behind is told to resync from the log.
        let (sender, _) = broadcast::channel(4096);
        Self { sender }
    }

    /// Appends `kind` with `data` to the account's log and pushes it to
    /// connected sockets. Returns its sequence number.
    pub async fn publish(
        &self,
        store: &Store,
        account_id: &str,
        audience: Audience<'_>,
        kind: &str,
        data: Value,
    ) -> Result<i64, StoreError> {
        let staff_id = match audience {
            Audience::Account => None,
            Audience::Staff(id) => Some(id),
        };
        let stored = store
            .append_event(
                account_id,
                staff_id,
                kind,
                &data.to_string(),
                Timestamp::now(),
            )
            .await?;
        let seq = stored.seq;
        // No receiver is fine: nobody is connected on this node.
        let _ = self.sender.send(Arc::new(Event::from_stored(stored)));
        Ok(seq)
    }

    /// Like [`EventBus::publish`], but a failure is logged instead of
    /// returned: for callers whose own work already succeeded.
    pub async fn publish_logged(
        &self,
        store: &Store,
        account_id: &str,
        audience: Audience<'_>,
        kind: &str,
        data: Value,
    ) {
        if let Err(e) = self.publish(store, account_id, audience, kind, data).await {
            tracing::warn!(error = %e, kind, "could not publish an event");
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }
}
