//! Encryption of secrets at rest (Page access tokens) and the random tokens
//! the server hands out (sessions, API tokens, CSRF, OAuth state).

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{bail, Context};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

const FORMAT_PREFIX: &str = "v1:";

/// AES-256-GCM with a random nonce per value. Ciphertexts are text:
/// `v1:` + base64(nonce ‖ ciphertext ‖ tag).
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Uses the configured key (base64 of 32 bytes) or the one in
    /// `data_dir/secret.key`, creating that file (mode 0600) on first run.
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        let encoded = match configured {
            Some(key) => key.trim().to_owned(),
            None => {
                let path = data_dir.join("secret.key");
                if path.exists() {
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?
                        .trim()
                        .to_owned()
                } else {
                    let mut key = [0u8; 32];
                    rand::thread_rng().fill_bytes(&mut key);
                    let encoded = STANDARD.encode(key);
                    write_private(&path, &encoded)
                        .with_context(|| format!("writing {}", path.display()))?;
                    tracing::info!(path = %path.display(), "generated a new secret key");
                    encoded
                }
            }
        };
        let bytes = STANDARD
            .decode(&encoded)
            .context("configuration: secret_key: must be base64")?;
        let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            bail!("configuration: secret_key: must be base64 of exactly 32 bytes");
        };
        Ok(Self::new(&key))
    }

    pub fn encrypt(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{FORMAT_PREFIX}{}", STANDARD.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> anyhow::Result<String> {
        let body = stored
            .strip_prefix(FORMAT_PREFIX)
            .context("unknown ciphertext format")?;
        let bytes = STANDARD.decode(body).context("ciphertext is not base64")?;
        if bytes.len() < 12 + 16 {
            bail!("ciphertext too short");
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| anyhow::anyhow!("ciphertext does not open with this key"))?;
        String::from_utf8(plain).context("decrypted secret is not UTF-8")
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        crate::files::create_private_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, contents.as_bytes())
}

/// A fresh random token: 32 bytes, base64url without padding, with a prefix
/// that says what it is (`odk_` API tokens, `ods_` sessions).
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// How a token is stored: lowercase hex SHA-256 (the token itself is never stored).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_and_never_appears_in_its_ciphertext() {
        let sbox = SecretBox::new(&[7u8; 32]);
        let sealed = sbox.encrypt("EAAB-page-token");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("EAAB"));
        assert_ne!(sealed, sbox.encrypt("EAAB-page-token"), "nonces differ");
        assert_eq!(sbox.decrypt(&sealed).unwrap(), "EAAB-page-token");
    }

    #[test]
    fn another_key_cannot_open_it() {
        let sealed = SecretBox::new(&[1u8; 32]).encrypt("x");
        assert!(SecretBox::new(&[2u8; 32]).decrypt(&sealed).is_err());
    }

    #[test]
    fn the_generated_key_file_is_reused_on_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretBox::load_or_create(None, dir.path()).unwrap();
        let sealed = first.encrypt("kept");
        let second = SecretBox::load_or_create(None, dir.path()).unwrap();
        assert_eq!(second.decrypt(&sealed).unwrap(), "kept");
    }

    #[test]
    fn a_configured_key_of_the_wrong_length_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = SecretBox::load_or_create(Some("c2hvcnQ="), dir.path()).unwrap_err();
        assert!(err.to_string().contains("secret_key"), "{err}");
    }
}
