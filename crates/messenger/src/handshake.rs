//! The webhook verification handshake (`GET ?hub.mode&hub.verify_token&hub.challenge`).
//!
//! Facebook calls the callback when it is set; answering 200 with the raw
//! challenge proves we own it. Anything else must be answered with 403.

use sha2::{Digest, Sha256};

/// Why a handshake is refused (answer 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("hub.mode is {0:?}, expected \"subscribe\"")]
    WrongMode(Option<String>),
    #[error("hub.verify_token is missing")]
    MissingToken,
    #[error("hub.verify_token does not match")]
    TokenMismatch,
    #[error("hub.challenge is missing or empty")]
    MissingChallenge,
    #[error("no verify token is configured, so no handshake can succeed")]
    NotConfigured,
}

/// Checks the query of a handshake and returns the challenge to echo as
/// the plain-text body of a 200 answer. The token comparison runs in
/// constant time.
pub fn verify_subscription(
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Result<String, HandshakeError> {
    if expected_token.is_empty() {
        return Err(HandshakeError::NotConfigured);
    }
    if mode != Some("subscribe") {
        return Err(HandshakeError::WrongMode(mode.map(str::to_owned)));
    }
    let token = verify_token.ok_or(HandshakeError::MissingToken)?;
    if !constant_time_eq(token.as_bytes(), expected_token.as_bytes()) {
        return Err(HandshakeError::TokenMismatch);
    }
    match challenge {
        Some(c) if !c.is_empty() => Ok(c.to_owned()),
        _ => Err(HandshakeError::MissingChallenge),
    }
}

/// Compares two byte strings without an early exit. Hashing first makes the
/// inputs equal-length so the length does not leak through timing either.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (ha, hb) = (Sha256::digest(a), Sha256::digest(b));
    ha.iter()
        .zip(hb.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matching_subscribe_request_echoes_the_challenge() {
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("tok"), Some("1158201444"), "tok"),
            Ok("1158201444".to_owned())
        );
    }

    #[test]
    fn a_wrong_token_is_refused() {
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("tok2"), Some("1"), "tok"),
            Err(HandshakeError::TokenMismatch)
        );
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("to"), Some("1"), "tok"),
            Err(HandshakeError::TokenMismatch)
        );
        assert_eq!(
            verify_subscription(Some("subscribe"), None, Some("1"), "tok"),
            Err(HandshakeError::MissingToken)
        );
    }

    #[test]
    fn another_mode_is_refused() {
        assert_eq!(
            verify_subscription(Some("unsubscribe"), Some("tok"), Some("1"), "tok"),
            Err(HandshakeError::WrongMode(Some("unsubscribe".into())))
        );
        assert_eq!(
            verify_subscription(None, Some("tok"), Some("1"), "tok"),
            Err(HandshakeError::WrongMode(None))
        );
    }

    #[test]
    fn a_missing_challenge_is_refused() {
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("tok"), Some(""), "tok"),
            Err(HandshakeError::MissingChallenge)
        );
    }

    #[test]
    fn an_empty_configured_token_accepts_nobody() {
        assert_eq!(
            verify_subscription(Some("subscribe"), Some(""), Some("1"), ""),
            Err(HandshakeError::NotConfigured)
        );
    }
}
