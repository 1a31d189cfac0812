//! `<data dir>/demo.json`: what the demo must remember between starts that
//! the database does not hold — the password it printed (only a hash is
//! stored) and whether seeding finished.
//!
//! The password is written before any staff member is created with it, so
//! an interrupted first start never leaves logins nobody can use; seeding
//! is idempotent and simply runs again until `seeded` is set.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The file's name inside the data directory.
pub const FILE_NAME: &str = "demo.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoState {
    /// The password of every demo login.
    pub password: String,
    /// The demo account, once seeding has finished.
    #[serde(default)]
    pub account_id: Option<String>,
}

impl DemoState {
    /// A fresh state with a new random password.
    pub fn new() -> Self {
        let token = server::crypto::random_token("");
        Self {
            password: format!("demo-{}", &token[..12]),
            account_id: None,
        }
    }

    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    /// The stored state, or `None` when the file does not exist yet.
    pub fn load(data_dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = Self::path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .with_context(|| format!("reading {} (delete it to start afresh)", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes the state atomically (temporary file, then rename), readable
    /// by the owner only: it holds a password.
    pub fn save(&self, data_dir: &Path) -> anyhow::Result<()> {
        let path = Self::path(data_dir);
        let tmp = data_dir.join(format!("{FILE_NAME}.tmp"));
        let text = serde_json::to_string_pretty(self).context("encoding the demo state")?;
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("restricting {}", tmp.display()))?;
        }
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))
    }
}

impl Default for DemoState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_state_is_read_back_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(DemoState::load(dir.path()).unwrap(), None);
        let state = DemoState {
            account_id: Some("acc".into()),
            ..DemoState::new()
        };
        state.save(dir.path()).unwrap();
        assert_eq!(DemoState::load(dir.path()).unwrap(), Some(state));
    }

    #[test]
    fn each_new_state_gets_its_own_password_long_enough_for_a_login() {
        let a = DemoState::new();
        let b = DemoState::new();
        assert_ne!(a.password, b.password);
        assert!(a.password.chars().count() >= 10, "{}", a.password);
    }

    #[test]
    fn a_damaged_state_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(DemoState::path(dir.path()), "{not json").unwrap();
        let error = format!("{:#}", DemoState::load(dir.path()).unwrap_err());
        assert!(error.contains("demo.json"), "{error}");
    }
}
