//! What every handler and worker shares.

use std::path::PathBuf;
use std::sync::Arc;

use messenger::graph::GraphClient;
use store::Store;

use crate::api::enquiries::MessageView;
use crate::auth::access::AccessBus;
use crate::config::Config;
use crate::crypto::SecretBox;
use crate::events::{Audience, EventBus, LiveEvent, MessageEventData};
use crate::workers::Wakers;

/// Application state, cheap to clone (everything behind `Arc` or a pool).
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    /// Encrypts Page tokens at rest.
    pub secrets: SecretBox,
    /// The Graph API (Facebook, or the emulator in tests and demos).
    pub graph: GraphClient,
    /// Live events for agents' browsers.
    pub events: EventBus,
    /// Wake-ups for the background workers.
    pub wake: Wakers,
    /// Ended access (logout, revoked token, removed staff), for open sockets.
    pub access: AccessBus,
}

impl AppState {
    /// The current time. One place, so a later test clock has one seam.
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }

    /// Where message files live: `<data dir>/files`.
    pub fn files_dir(&self) -> PathBuf {
        self.config.data_dir.join("files")
    }

    /// Publishes a live event (logged and fanned out) after the caller's own
    /// write committed; a failed publish is logged and never undoes that work.
    pub async fn publish(&self, account_id: &str, audience: Audience<'_>, event: LiveEvent) {
        self.events
            .publish_logged(&self.store, account_id, audience, event)
            .await;
    }

    /// `message.created` / `message.updated` (`make` picks which) to the
    /// account, with the message as `GET …/messages` shows it.
    pub async fn publish_message(
        &self,
        make: fn(MessageEventData) -> LiveEvent,
        message: store::Message,
    ) {
        let account_id = message.account_id.clone();
        match self.store.message_detail(message).await {
            Ok(detail) => {
                let view = MessageView::from(detail);
                self.publish(&account_id, Audience::Account, make(view.into()))
                    .await;
            }
            Err(e) => tracing::warn!(error = %e, "could not read a message for its event"),
        }
    }
}
