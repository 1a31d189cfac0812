//! What every handler and worker shares.

use std::path::PathBuf;
use std::sync::Arc;

use messenger::graph::GraphClient;
use store::Store;

use crate::config::Config;
use crate::crypto::SecretBox;
use crate::events::EventBus;
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
}
