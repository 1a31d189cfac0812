//! `signed_request`, the form field of the deauthorize and data-deletion
//! callbacks: `b64url(signature) "." b64url(payload)`, unpadded, where the
//! signature is HMAC-SHA256 (key = app secret) over the payload part *as
//! sent*, still encoded.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Base64url that writes no padding and reads with or without it.
const B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The only algorithm Facebook uses, and the only one accepted.
pub const ALGORITHM: &str = "HMAC-SHA256";

/// A verified `signed_request` payload.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedRequest {
    pub algorithm: String,
    /// Seconds since the epoch.
    pub issued_at: i64,
    /// The app-scoped id of the user who removed the app (not a PSID).
    pub user_id: String,
    pub expires: Option<i64>,
    /// The whole decoded payload.
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedRequestError {
    #[error("signed_request is not of the form <signature>.<payload>")]
    Malformed,
    #[error("signed_request {part} is not base64url")]
    BadEncoding { part: &'static str },
    #[error("signed_request signature does not match the app secret")]
    BadSignature,
    #[error("signed_request payload is not a JSON object: {0}")]
    BadPayload(String),
    #[error("signed_request algorithm {0:?} is not HMAC-SHA256")]
    UnsupportedAlgorithm(String),
    #[error("signed_request payload has no {0}")]
    MissingField(&'static str),
}

/// Verifies and decodes a `signed_request`.
pub fn parse(signed_request: &str, app_secret: &[u8]) -> Result<SignedRequest, SignedRequestError> {
    let (sig_part, payload_part) = signed_request
        .trim()
        .split_once('.')
        .ok_or(SignedRequestError::Malformed)?;
    if sig_part.is_empty() || payload_part.is_empty() || payload_part.contains('.') {
        return Err(SignedRequestError::Malformed);
    }
    let sig = B64
        .decode(sig_part)
        .map_err(|_| SignedRequestError::BadEncoding { part: "signature" })?;
    let payload = B64
        .decode(payload_part)
        .map_err(|_| SignedRequestError::BadEncoding { part: "payload" })?;
    let raw: Value = serde_json::from_slice(&payload)
        .map_err(|e| SignedRequestError::BadPayload(e.to_string()))?;
    if !raw.is_object() {
        return Err(SignedRequestError::BadPayload("not an object".into()));
    }
    // The algorithm is checked before the signature so that a payload
    // claiming another algorithm is named as such rather than as "mismatch".
    let algorithm = raw
        .get("algorithm")
        .and_then(Value::as_str)
        .ok_or(SignedRequestError::MissingField("algorithm"))?
        .to_owned();
    if !algorithm.eq_ignore_ascii_case(ALGORITHM) {
        return Err(SignedRequestError::UnsupportedAlgorithm(algorithm));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(payload_part.as_bytes());
    mac.verify_slice(&sig)
        .map_err(|_| SignedRequestError::BadSignature)?;
    let issued_at = raw
        .get("issued_at")
        .and_then(crate::lenient::int_of)
        .ok_or(SignedRequestError::MissingField("issued_at"))?;
    let user_id = raw
        .get("user_id")
        .and_then(crate::lenient::id_of)
        .ok_or(SignedRequestError::MissingField("user_id"))?;
    let expires = raw.get("expires").and_then(crate::lenient::int_of);
    Ok(SignedRequest {
        algorithm,
        issued_at,
        user_id,
        expires,
        raw,
    })
}

/// Produces a `signed_request` for `payload` as Facebook would (for the
/// emulator and tests). The payload should carry `"algorithm":"HMAC-SHA256"`.
pub fn sign(payload: &Value, app_secret: &[u8]) -> String {
    let payload_part = B64.encode(payload.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(payload_part.as_bytes());
    let sig_part = B64.encode(mac.finalize().into_bytes());
    format!("{sig_part}.{payload_part}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"app-secret";

    fn payload() -> Value {
        json!({"algorithm": "HMAC-SHA256", "issued_at": 1291836800, "user_id": "218471"})
    }

    #[test]
    fn a_signed_request_from_facebook_is_read() {
        let sr = sign(&payload(), SECRET);
        assert!(!sr.contains('='), "no padding: {sr}");
        let got = parse(&sr, SECRET).unwrap();
        assert_eq!(got.user_id, "218471");
        assert_eq!(got.issued_at, 1291836800);
        assert_eq!(got.expires, None);
        assert_eq!(got.raw, payload());
    }

    #[test]
    fn expires_and_numeric_user_ids_are_read() {
        let p = json!({"algorithm": "HMAC-SHA256", "issued_at": "1291836800", "user_id": 42, "expires": 1291840400});
        let got = parse(&sign(&p, SECRET), SECRET).unwrap();
        assert_eq!(
            (got.user_id.as_str(), got.expires),
            ("42", Some(1291840400))
        );
    }

    #[test]
    fn another_app_secret_is_rejected() {
        let sr = sign(&payload(), b"other");
        assert_eq!(parse(&sr, SECRET), Err(SignedRequestError::BadSignature));
    }

    #[test]
    fn a_tampered_payload_is_rejected() {
        let sr = sign(&payload(), SECRET);
        let (sig, _) = sr.split_once('.').unwrap();
        let forged = B64
            .encode(json!({"algorithm":"HMAC-SHA256","issued_at":1,"user_id":"999"}).to_string());
        assert_eq!(
            parse(&format!("{sig}.{forged}"), SECRET),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn another_algorithm_is_rejected() {
        let p = json!({"algorithm": "none", "issued_at": 1, "user_id": "1"});
        assert_eq!(
            parse(&sign(&p, SECRET), SECRET),
            Err(SignedRequestError::UnsupportedAlgorithm("none".into()))
        );
    }

    #[test]
    fn garbage_is_named_as_such() {
        assert_eq!(parse("abc", SECRET), Err(SignedRequestError::Malformed));
        assert_eq!(parse(".abc", SECRET), Err(SignedRequestError::Malformed));
        assert_eq!(
            parse("a*b.eyJ9", SECRET),
            Err(SignedRequestError::BadEncoding { part: "signature" })
        );
        let not_json = format!("{}.{}", B64.encode("sig"), B64.encode("hello"));
        assert!(matches!(
            parse(&not_json, SECRET),
            Err(SignedRequestError::BadPayload(_))
        ));
    }

    #[test]
    fn a_payload_without_user_id_is_rejected() {
        let p = json!({"algorithm": "HMAC-SHA256", "issued_at": 1});
        assert_eq!(
            parse(&sign(&p, SECRET), SECRET),
            Err(SignedRequestError::MissingField("user_id"))
        );
    }
}
