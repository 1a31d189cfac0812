//! What every handler and worker shares.

use std::sync::Arc;

use store::Store;

use crate::config::Config;
use crate::crypto::SecretBox;

/// Application state, cheap to clone (everything behind `Arc` or a pool).
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub secrets: SecretBox,
}

impl AppState {
    /// The current time. One place, so a later test clock has one seam.
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}
