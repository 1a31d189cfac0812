//! Webhook payload signatures (`X-Hub-Signature-256`, legacy `X-Hub-Signature`).
//!
//! Facebook signs the raw request body with HMAC (key = the app secret). The
//! check must run over the bytes exactly as received, never over re-serialised
//! JSON, and compare in constant time (`Mac::verify_slice` does).

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// Header carrying `sha256=<64 lowercase hex>`.
pub const SIGNATURE_256_HEADER: &str = "x-hub-signature-256";
/// Legacy header carrying `sha1=<40 lowercase hex>`.
pub const SIGNATURE_SHA1_HEADER: &str = "x-hub-signature";

/// Why a webhook body was not accepted as coming from Facebook.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no X-Hub-Signature-256 header")]
    Missing,
    #[error("signature header is not of the form sha256=<64 hex digits>")]
    Malformed,
    #[error("signature does not match the body")]
    Mismatch,
}

/// The `X-Hub-Signature-256` header value for `body`.
pub fn sign_sha256(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The legacy `X-Hub-Signature` header value for `body`.
pub fn sign_sha1(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a webhook body against its signature headers.
///
/// `X-Hub-Signature-256` is required when present; the SHA-1 header is only
/// used as a fallback when the SHA-256 one is absent.
pub fn verify(
    app_secret: &[u8],
    body: &[u8],
    sha256_header: Option<&str>,
    sha1_header: Option<&str>,
) -> Result<(), SignatureError> {
    match (sha256_header, sha1_header) {
        (Some(h), _) => verify_with::<Hmac<Sha256>>(app_secret, body, h, "sha256=", 32),
        (None, Some(h)) => verify_with::<Hmac<Sha1>>(app_secret, body, h, "sha1=", 20),
        (None, None) => Err(SignatureError::Missing),
    }
}

fn verify_with<M: Mac + hmac::digest::KeyInit>(
    app_secret: &[u8],
    body: &[u8],
    header: &str,
    prefix: &str,
    digest_len: usize,
) -> Result<(), SignatureError> {
    let hex_digest = header
        .trim()
        .strip_prefix(prefix)
        .ok_or(SignatureError::Malformed)?;
    let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    if expected.len() != digest_len {
        return Err(SignatureError::Malformed);
    }
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(app_secret)
        .expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret";

    #[test]
    fn a_body_signed_with_the_app_secret_verifies() {
        let body = br#"{"object":"page","entry":[]}"#;
        let header = sign_sha256(SECRET, body);
        assert!(header.starts_with("sha256=") && header.len() == 7 + 64);
        assert_eq!(verify(SECRET, body, Some(&header), None), Ok(()));
    }

    #[test]
    fn a_body_changed_by_one_byte_is_rejected() {
        let header = sign_sha256(SECRET, b"{\"a\":1}");
        assert_eq!(
            verify(SECRET, b"{\"a\":2}", Some(&header), None),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn another_secret_is_rejected() {
        let header = sign_sha256(b"other", b"{}");
        assert_eq!(
            verify(SECRET, b"{}", Some(&header), None),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_missing_or_malformed_header_is_named() {
        assert_eq!(
            verify(SECRET, b"{}", None, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, b"{}", Some("md5=00"), None),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, b"{}", Some("sha256=zz"), None),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, b"{}", Some("sha256=abcd"), None),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn the_legacy_sha1_header_is_a_fallback_only() {
        let body = b"{}";
        let sha1 = sign_sha1(SECRET, body);
        assert_eq!(verify(SECRET, body, None, Some(&sha1)), Ok(()));
        // A wrong SHA-256 header is not rescued by a right SHA-1 one.
        let wrong = sign_sha256(b"other", body);
        assert_eq!(
            verify(SECRET, body, Some(&wrong), Some(&sha1)),
            Err(SignatureError::Mismatch)
        );
    }
}
