//! Login throttling: failed attempts are counted in the database (so every
//! node sees them) per e-mail address and per client address.

use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};

use crate::error::ApiError;
use crate::state::AppState;

/// The window over which failures are counted.
pub const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Failures allowed per e-mail address within the window.
pub const MAX_PER_EMAIL: i64 = 5;
/// Failures allowed per client address within the window.
pub const MAX_PER_ADDRESS: i64 = 30;

/// The throttle keys of one attempt.
pub struct LoginKeys {
    pub email: String,
    pub address: String,
}

impl LoginKeys {
    pub fn new(email: &str, ip: IpAddr) -> Self {
        Self {
            email: format!("email:{email}"),
            address: format!("ip:{ip}"),
        }
    }
}

/// Refuses the attempt when either key has used up its failures.
pub async fn check(state: &AppState, keys: &LoginKeys, now: Timestamp) -> Result<(), ApiError> {
    let since = now - WINDOW;
    let by_email = state.store.count_login_failures(&keys.email, since).await?;
    let by_address = state
        .store
        .count_login_failures(&keys.address, since)
        .await?;
    if by_email >= MAX_PER_EMAIL || by_address >= MAX_PER_ADDRESS {
        return Err(ApiError::RateLimited {
            retry_after_secs: WINDOW.as_secs() as u64,
        });
    }
    Ok(())
}

pub async fn record_failure(
    state: &AppState,
    keys: &LoginKeys,
    now: Timestamp,
) -> Result<(), ApiError> {
    state.store.record_login_failure(&keys.email, now).await?;
    state.store.record_login_failure(&keys.address, now).await?;
    Ok(())
}

pub async fn record_success(state: &AppState, keys: &LoginKeys) -> Result<(), ApiError> {
    state.store.clear_login_failures(&keys.email).await?;
    Ok(())
}
