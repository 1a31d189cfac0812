//! Login throttling: failed attempts are counted in the database (so every
//! node sees them) per e-mail address and per client address.

use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};

use store::AttemptLimit;

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

/// A login attempt already counted against its keys (see [`begin`]).
#[must_use = "a successful attempt must be taken back with `succeeded`"]
pub struct Attempt {
    id: String,
}

/// Counts the attempt before its password is checked — atomically with the
/// check of both limits, so parallel guesses cannot all slip through — or
/// refuses it when either key has used up its attempts in the window. A
/// wrong password then needs nothing more: it is already counted.
pub async fn begin(
    state: &AppState,
    keys: &LoginKeys,
    now: Timestamp,
) -> Result<Attempt, ApiError> {
    let limits = [
        AttemptLimit {
            key: &keys.email,
            max: MAX_PER_EMAIL,
        },
        AttemptLimit {
            key: &keys.address,
            max: MAX_PER_ADDRESS,
        },
    ];
    match state
        .store
        .reserve_login_attempt(&limits, now, now - WINDOW)
        .await?
    {
        Some(id) => Ok(Attempt { id }),
        None => Err(ApiError::RateLimited {
            retry_after_secs: WINDOW.as_secs() as u64,
        }),
    }
}

/// The password was right: this attempt does not count, and the e-mail
/// address's earlier failures are forgiven.
pub async fn succeeded(
    state: &AppState,
    keys: &LoginKeys,
    attempt: Attempt,
) -> Result<(), ApiError> {
    state.store.forget_login_attempt(&attempt.id).await?;
    state.store.clear_login_failures(&keys.email).await?;
    Ok(())
}

/// The attempt could not be judged (the server was too busy to check the
/// password): it does not count.
pub async fn withdraw(state: &AppState, attempt: Attempt) -> Result<(), ApiError> {
    state.store.forget_login_attempt(&attempt.id).await?;
    Ok(())
}

/// Checks `password` against `hash` for a counted `attempt`; an attempt the
/// server was too busy to check is withdrawn before the error is returned.
pub async fn verify(
    state: &AppState,
    attempt: Attempt,
    hash: Option<String>,
    password: String,
) -> Result<Option<Attempt>, ApiError> {
    match crate::auth::password::verify_password(hash, password).await {
        Ok(true) => Ok(Some(attempt)),
        Ok(false) => Ok(None),
        Err(e) => {
            withdraw(state, attempt).await?;
            Err(e.into())
        }
    }
}
