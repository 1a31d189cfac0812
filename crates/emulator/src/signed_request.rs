//! `signed_request` as Facebook posts it to deauthorize and data-deletion
//! callbacks: `b64url(HMAC-SHA256(secret, payload_part)) + "." + payload_part`
//! where `payload_part = b64url(json)`, both without padding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Signs `payload` with the app secret.
pub fn sign(payload: &Value, app_secret: &[u8]) -> String {
    let payload_part = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(payload_part.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{sig}.{payload_part}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_encoded_payload_part() {
        let signed = sign(&serde_json::json!({"user_id": "1"}), b"secret");
        let (sig, payload) = signed.split_once('.').unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(payload.as_bytes());
        mac.verify_slice(&URL_SAFE_NO_PAD.decode(sig).unwrap())
            .unwrap();
        let decoded: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(decoded["user_id"], "1");
    }
}
