//! Configuration, layered: built-in defaults → TOML file → `OMNIDESK_*`
//! environment variables → command-line flags (each layer overrides the one
//! before). [`Config::load`] is a pure function of those layers so it is
//! tested without touching the process environment.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

/// Graph API base used when `OMNIDESK_GRAPH_URL` is unset.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
/// Facebook Login dialog base used when `OMNIDESK_DIALOG_URL` is unset.
pub const DEFAULT_DIALOG_URL: &str = "https://www.facebook.com";
/// Graph API version used when `OMNIDESK_GRAPH_VERSION` is unset.
pub const DEFAULT_GRAPH_VERSION: &str = "v25.0";

/// How often each channel's Facebook access is checked when
/// `channel_check_interval_secs` is unset: every 10 minutes.
pub const DEFAULT_CHANNEL_CHECK_INTERVAL_SECS: u64 = 600;

/// The outbox's first retry delay when `outbox_retry_initial_ms` is unset.
pub const DEFAULT_OUTBOX_RETRY_INITIAL_MS: u64 = 1_000;
/// The outbox's longest back-off wait when `outbox_retry_max_ms` is unset.
pub const DEFAULT_OUTBOX_RETRY_MAX_MS: u64 = 60_000;
/// How long a retryable send is tried before it is failed, when
/// `outbox_give_up_after_secs` is unset: 10 minutes.
pub const DEFAULT_OUTBOX_GIVE_UP_AFTER_SECS: u64 = 600;
/// Days processed webhook deliveries (and their dedupe keys) are kept when
/// `inbox_retention_days` is unset.
pub const DEFAULT_INBOX_RETENTION_DAYS: u64 = 7;
/// Days the browsers' event log is kept when `event_retention_days` is unset.
pub const DEFAULT_EVENT_RETENTION_DAYS: u64 = 7;

/// A value that must never be printed (the same type the Graph client uses
/// for tokens): its `Debug` and `Display` say `[redacted]`.
pub use messenger::Secret;

/// The server's configuration after all layers are applied.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The URL people and Facebook reach this server at (OAuth redirect, webhooks).
    pub public_url: Url,
    pub facebook_app_id: String,
    pub facebook_app_secret: Secret,
    pub facebook_verify_token: Secret,
    pub graph_url: Url,
    pub dialog_url: Url,
    pub graph_version: String,
    /// Base64 of 32 bytes; `None` = read or create `secret.key` in the data dir.
    pub secret_key: Option<Secret>,
    /// Largest JSON request body accepted by the API, in bytes.
    pub max_body_bytes: usize,
    /// How often each connected channel's Facebook access is checked.
    pub channel_check_interval_secs: u64,
    /// The outbox's first retry delay (doubling on each next attempt).
    pub outbox_retry_initial_ms: u64,
    /// The outbox's longest back-off wait. Facebook's own rate-limit
    /// estimate is honoured even when it is longer.
    pub outbox_retry_max_ms: u64,
    /// A send still failing this long after it was queued is failed.
    pub outbox_give_up_after_secs: u64,
    /// Processed webhook deliveries and their dedupe keys are deleted after this.
    pub inbox_retention_days: u64,
    /// The browsers' event log (reconnect catch-up) is deleted after this.
    pub event_retention_days: u64,
    /// Serve the web app from this folder instead of the built-in `ui/dist`
    /// (set by code, e.g. tests; `None` in every loaded configuration).
    pub ui_dir: Option<PathBuf>,
}

/// One layer of optional settings: a TOML file, the environment or flags.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConfigLayer {
    pub listen: Option<String>,
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub facebook_app_id: Option<String>,
    pub facebook_app_secret: Option<String>,
    pub facebook_verify_token: Option<String>,
    pub graph_url: Option<String>,
    pub dialog_url: Option<String>,
    pub graph_version: Option<String>,
    pub secret_key: Option<String>,
    pub max_body_bytes: Option<String>,
    pub channel_check_interval_secs: Option<String>,
    pub outbox_retry_initial_ms: Option<String>,
    pub outbox_retry_max_ms: Option<String>,
    pub outbox_give_up_after_secs: Option<String>,
    pub inbox_retention_days: Option<String>,
    pub event_retention_days: Option<String>,
}

/// The keys a layer knows, as written in TOML; the environment variable is
/// `OMNIDESK_` + the key in upper case.
pub const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "public_url",
    "facebook_app_id",
    "facebook_app_secret",
    "facebook_verify_token",
    "graph_url",
    "dialog_url",
    "graph_version",
    "secret_key",
    "max_body_bytes",
    "channel_check_interval_secs",
    "outbox_retry_initial_ms",
    "outbox_retry_max_ms",
    "outbox_give_up_after_secs",
    "inbox_retention_days",
    "event_retention_days",
];

/// A setting that stops start-up; the message names the setting.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {key}: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

impl ConfigError {
    fn new(key: &str, problem: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            problem: problem.into(),
        }
    }
}

impl ConfigLayer {
    fn set(&mut self, key: &str, value: String) {
        let slot = match key {
            "listen" => &mut self.listen,
            "data_dir" => &mut self.data_dir,
            "database_url" => &mut self.database_url,
            "public_url" => &mut self.public_url,
            "facebook_app_id" => &mut self.facebook_app_id,
            "facebook_app_secret" => &mut self.facebook_app_secret,
            "facebook_verify_token" => &mut self.facebook_verify_token,
            "graph_url" => &mut self.graph_url,
            "dialog_url" => &mut self.dialog_url,
            "graph_version" => &mut self.graph_version,
            "secret_key" => &mut self.secret_key,
            "max_body_bytes" => &mut self.max_body_bytes,
            "channel_check_interval_secs" => &mut self.channel_check_interval_secs,
            "outbox_retry_initial_ms" => &mut self.outbox_retry_initial_ms,
            "outbox_retry_max_ms" => &mut self.outbox_retry_max_ms,
            "outbox_give_up_after_secs" => &mut self.outbox_give_up_after_secs,
            "inbox_retention_days" => &mut self.inbox_retention_days,
            "event_retention_days" => &mut self.event_retention_days,
            _ => return,
        };
        *slot = Some(value);
    }

    /// Reads a TOML file. Unknown keys are returned so the caller can warn.
    pub fn from_toml(text: &str) -> Result<(Self, Vec<String>), ConfigError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::new("--config", e.to_string()))?;
        let mut layer = Self::default();
        let mut unknown = Vec::new();
        for (key, value) in table {
            if !KEYS.contains(&key.as_str()) {
                unknown.push(key);
                continue;
            }
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                other => {
                    return Err(ConfigError::new(
                        &key,
                        format!("expected a string, got {other}"),
                    ))
                }
            };
            layer.set(&key, text);
        }
        Ok((layer, unknown))
    }

    /// Reads `OMNIDESK_*` variables. Unknown `OMNIDESK_*` names are returned
    /// so the caller can warn about typos.
    pub fn from_env(vars: &BTreeMap<String, String>) -> (Self, Vec<String>) {
        let mut layer = Self::default();
        let mut unknown = Vec::new();
        for (name, value) in vars {
            let Some(key) = name.strip_prefix("OMNIDESK_") else {
                continue;
            };
            let key = key.to_lowercase();
            if KEYS.contains(&key.as_str()) {
                layer.set(&key, value.clone());
            } else if !key.starts_with("test_") && key != "log" {
                unknown.push(name.clone());
            }
        }
        (layer, unknown)
    }

    fn over(self, base: Self) -> Self {
        Self {
            listen: self.listen.or(base.listen),
            data_dir: self.data_dir.or(base.data_dir),
            database_url: self.database_url.or(base.database_url),
            public_url: self.public_url.or(base.public_url),
            facebook_app_id: self.facebook_app_id.or(base.facebook_app_id),
            facebook_app_secret: self.facebook_app_secret.or(base.facebook_app_secret),
            facebook_verify_token: self.facebook_verify_token.or(base.facebook_verify_token),
            graph_url: self.graph_url.or(base.graph_url),
            dialog_url: self.dialog_url.or(base.dialog_url),
            graph_version: self.graph_version.or(base.graph_version),
            secret_key: self.secret_key.or(base.secret_key),
            max_body_bytes: self.max_body_bytes.or(base.max_body_bytes),
            channel_check_interval_secs: self
                .channel_check_interval_secs
                .or(base.channel_check_interval_secs),
            outbox_retry_initial_ms: self
                .outbox_retry_initial_ms
                .or(base.outbox_retry_initial_ms),
            outbox_retry_max_ms: self.outbox_retry_max_ms.or(base.outbox_retry_max_ms),
            outbox_give_up_after_secs: self
                .outbox_give_up_after_secs
                .or(base.outbox_give_up_after_secs),
            inbox_retention_days: self.inbox_retention_days.or(base.inbox_retention_days),
            event_retention_days: self.event_retention_days.or(base.event_retention_days),
        }
    }
}

/// A whole number ≥ 1 of `unit`, or `default` when unset.
fn positive(key: &str, value: Option<&str>, default: u64, unit: &str) -> Result<u64, ConfigError> {
    match value {
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| ConfigError::new(key, format!("must be a number of {unit} ≥ 1"))),
        None => Ok(default),
    }
}

fn parse_url(key: &str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::new(key, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(key, "must be an http:// or https:// URL"));
    }
    Ok(url)
}

impl Config {
    /// With `public_url` left at its default on port 0 (tests, `--listen
    /// 127.0.0.1:0`), the port actually bound: Facebook must be able to send
    /// the login callback back to it.
    pub fn with_bound_port(mut self, port: u16) -> Self {
        if self.public_url.port() == Some(0) {
            let _ = self.public_url.set_port(Some(port));
        }
        self
    }

    /// Applies the layers (later ones win) over the defaults and checks every value.
    pub fn load(
        file: ConfigLayer,
        env: ConfigLayer,
        flags: ConfigLayer,
    ) -> Result<Self, ConfigError> {
        let layer = flags.over(env.over(file));
        let listen: SocketAddr = layer
            .listen
            .as_deref()
            .unwrap_or("127.0.0.1:8080")
            .parse()
            .map_err(|_| ConfigError::new("listen", "must be an address like 127.0.0.1:8080"))?;
        let data_dir = PathBuf::from(layer.data_dir.as_deref().unwrap_or("./data"));
        if data_dir.as_os_str().is_empty() {
            return Err(ConfigError::new("data_dir", "must not be empty"));
        }
        let database_url = match layer.database_url {
            Some(url)
                if url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://") =>
            {
                url
            }
            Some(_) => {
                return Err(ConfigError::new(
                    "database_url",
                    "must start with sqlite: or postgres://",
                ))
            }
            None => default_sqlite_url(&data_dir),
        };
        let public_url = match layer.public_url {
            Some(url) => parse_url("public_url", &url)?,
            None => parse_url("public_url", &format!("http://{listen}"))?,
        };
        let max_body_bytes = match layer.max_body_bytes {
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1024)
                .ok_or_else(|| {
                    ConfigError::new("max_body_bytes", "must be a number of bytes ≥ 1024")
                })?,
            None => 1024 * 1024,
        };
        let graph_version = layer
            .graph_version
            .unwrap_or_else(|| DEFAULT_GRAPH_VERSION.into());
        let valid_version = graph_version
            .strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(major, minor)| {
                major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok()
            });
        if !valid_version {
            return Err(ConfigError::new("graph_version", "must look like v25.0"));
        }
        let channel_check_interval_secs = match layer.channel_check_interval_secs {
            Some(v) => v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                ConfigError::new(
                    "channel_check_interval_secs",
                    "must be a number of seconds ≥ 1",
                )
            })?,
            None => DEFAULT_CHANNEL_CHECK_INTERVAL_SECS,
        };
        let outbox_retry_initial_ms = positive(
            "outbox_retry_initial_ms",
            layer.outbox_retry_initial_ms.as_deref(),
            DEFAULT_OUTBOX_RETRY_INITIAL_MS,
            "milliseconds",
        )?;
        let outbox_retry_max_ms = positive(
            "outbox_retry_max_ms",
            layer.outbox_retry_max_ms.as_deref(),
            DEFAULT_OUTBOX_RETRY_MAX_MS.max(outbox_retry_initial_ms),
            "milliseconds",
        )?;
        if outbox_retry_max_ms < outbox_retry_initial_ms {
            return Err(ConfigError::new(
                "outbox_retry_max_ms",
                "must not be less than outbox_retry_initial_ms",
            ));
        }
        let outbox_give_up_after_secs = positive(
            "outbox_give_up_after_secs",
            layer.outbox_give_up_after_secs.as_deref(),
            DEFAULT_OUTBOX_GIVE_UP_AFTER_SECS,
            "seconds",
        )?;
        let inbox_retention_days = positive(
            "inbox_retention_days",
            layer.inbox_retention_days.as_deref(),
            DEFAULT_INBOX_RETENTION_DAYS,
            "days",
        )?;
        let event_retention_days = positive(
            "event_retention_days",
            layer.event_retention_days.as_deref(),
            DEFAULT_EVENT_RETENTION_DAYS,
            "days",
        )?;
        Ok(Self {
            listen,
            data_dir,
            database_url,
            public_url,
            facebook_app_id: layer.facebook_app_id.unwrap_or_default(),
            facebook_app_secret: Secret::new(layer.facebook_app_secret.unwrap_or_default()),
            facebook_verify_token: Secret::new(layer.facebook_verify_token.unwrap_or_default()),
            graph_url: parse_url(
                "graph_url",
                layer.graph_url.as_deref().unwrap_or(DEFAULT_GRAPH_URL),
            )?,
            dialog_url: parse_url(
                "dialog_url",
                layer.dialog_url.as_deref().unwrap_or(DEFAULT_DIALOG_URL),
            )?,
            graph_version,
            secret_key: layer.secret_key.map(Secret::new),
            max_body_bytes,
            channel_check_interval_secs,
            outbox_retry_initial_ms,
            outbox_retry_max_ms,
            outbox_give_up_after_secs,
            inbox_retention_days,
            event_retention_days,
            ui_dir: None,
        })
    }

    /// Reads the file (if any) and the process environment, logs unknown
    /// keys, and applies `flags` on top.
    pub fn from_sources(file: Option<&Path>, flags: ConfigLayer) -> Result<Self, ConfigError> {
        let file_layer = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::new("--config", format!("cannot read {}: {e}", path.display()))
                })?;
                let (layer, unknown) = ConfigLayer::from_toml(&text)?;
                for key in unknown {
                    tracing::warn!(%key, file = %path.display(), "unknown configuration key ignored");
                }
                layer
            }
            None => ConfigLayer::default(),
        };
        let vars: BTreeMap<String, String> = std::env::vars().collect();
        let (env_layer, unknown) = ConfigLayer::from_env(&vars);
        for name in unknown {
            tracing::warn!(%name, "unknown OMNIDESK_ environment variable ignored");
        }
        Self::load(file_layer, env_layer, flags)
    }

    /// A commented example configuration file.
    pub fn example_toml() -> &'static str {
        include_str!("../../../docs/omnidesk.example.toml")
    }
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("omnidesk.db").display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> ConfigLayer {
        let vars = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ConfigLayer::from_env(&vars).0
    }

    /// The configuration from these environment variables alone.
    fn load_env(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::load(Default::default(), env(pairs), Default::default())
    }

    #[test]
    fn defaults_give_sqlite_in_the_data_dir_on_port_8080() {
        let config = load_env(&[]).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url, "sqlite://./data/omnidesk.db?mode=rwc");
        assert_eq!(config.graph_url.as_str(), "https://graph.facebook.com/");
        assert_eq!(config.public_url.as_str(), "http://127.0.0.1:8080/");
    }

    #[test]
    fn the_channel_check_interval_defaults_to_ten_minutes_and_must_be_positive() {
        let config = load_env(&[]).unwrap();
        assert_eq!(config.channel_check_interval_secs, 600);
        let config = load_env(&[("OMNIDESK_CHANNEL_CHECK_INTERVAL_SECS", "5")]).unwrap();
        assert_eq!(config.channel_check_interval_secs, 5);
        let err = load_env(&[("OMNIDESK_CHANNEL_CHECK_INTERVAL_SECS", "0")]).unwrap_err();
        assert_eq!(err.key, "channel_check_interval_secs");
    }

    #[test]
    fn outbox_retries_and_retention_have_defaults_and_take_settings() {
        let config = load_env(&[]).unwrap();
        assert_eq!(
            (
                config.outbox_retry_initial_ms,
                config.outbox_retry_max_ms,
                config.outbox_give_up_after_secs,
                config.inbox_retention_days,
                config.event_retention_days
            ),
            (1_000, 60_000, 600, 7, 7)
        );
        let (file, unknown) = ConfigLayer::from_toml(
            "outbox_retry_initial_ms = 20\noutbox_retry_max_ms = 200\n\
             outbox_give_up_after_secs = 30\ninbox_retention_days = 2\nevent_retention_days = 3",
        )
        .unwrap();
        assert!(unknown.is_empty(), "{unknown:?}");
        let config = Config::load(file, Default::default(), Default::default()).unwrap();
        assert_eq!(
            (
                config.outbox_retry_initial_ms,
                config.outbox_retry_max_ms,
                config.outbox_give_up_after_secs,
                config.inbox_retention_days,
                config.event_retention_days
            ),
            (20, 200, 30, 2, 3)
        );
    }

    #[test]
    fn a_retry_cap_below_the_first_delay_or_a_zero_retention_is_refused() {
        let err = load_env(&[
            ("OMNIDESK_OUTBOX_RETRY_INITIAL_MS", "5000"),
            ("OMNIDESK_OUTBOX_RETRY_MAX_MS", "1000"),
        ])
        .unwrap_err();
        assert_eq!(err.key, "outbox_retry_max_ms");
        let err = load_env(&[("OMNIDESK_INBOX_RETENTION_DAYS", "0")]).unwrap_err();
        assert_eq!(err.key, "inbox_retention_days");
        assert!(err.to_string().contains("days ≥ 1"), "{err}");
    }

    #[test]
    fn a_public_url_on_port_zero_takes_the_bound_port() {
        let flags = ConfigLayer {
            listen: Some("127.0.0.1:0".into()),
            ..Default::default()
        };
        let config = Config::load(Default::default(), Default::default(), flags).unwrap();
        assert_eq!(
            config.with_bound_port(4321).public_url.as_str(),
            "http://127.0.0.1:4321/"
        );
        let fixed = ConfigLayer {
            public_url: Some("https://desk.example".into()),
            ..Default::default()
        };
        let config = Config::load(Default::default(), Default::default(), fixed).unwrap();
        assert_eq!(
            config.with_bound_port(4321).public_url.as_str(),
            "https://desk.example/"
        );
    }

    #[test]
    fn flags_beat_environment_which_beats_the_file() {
        let (file, _) = ConfigLayer::from_toml(
            "listen = \"127.0.0.1:1000\"\ndata_dir = \"/f\"\ngraph_version = \"v21.0\"",
        )
        .unwrap();
        let env = env(&[
            ("OMNIDESK_LISTEN", "127.0.0.1:2000"),
            ("OMNIDESK_DATA_DIR", "/e"),
        ]);
        let flags = ConfigLayer {
            listen: Some("127.0.0.1:3000".into()),
            ..Default::default()
        };
        let config = Config::load(file, env, flags).unwrap();
        assert_eq!(config.listen.port(), 3000);
        assert_eq!(config.data_dir, PathBuf::from("/e"));
        assert_eq!(config.graph_version, "v21.0");
    }

    #[test]
    fn a_bad_value_names_its_setting() {
        let err = load_env(&[("OMNIDESK_LISTEN", "nowhere")]).unwrap_err();
        assert_eq!(err.key, "listen");
        let err = load_env(&[("OMNIDESK_DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(
            err.to_string().starts_with("configuration: database_url:"),
            "{err}"
        );
        let err = load_env(&[("OMNIDESK_GRAPH_URL", "ftp://x")]).unwrap_err();
        assert_eq!(err.key, "graph_url");
    }

    #[test]
    fn unknown_keys_are_reported_for_a_warning() {
        let (_, unknown) = ConfigLayer::from_toml("lisen = \"x\"").unwrap();
        assert_eq!(unknown, vec!["lisen".to_string()]);
        let vars = [("OMNIDESK_LISEN".to_string(), "x".to_string())]
            .into_iter()
            .collect();
        assert_eq!(
            ConfigLayer::from_env(&vars).1,
            vec!["OMNIDESK_LISEN".to_string()]
        );
    }

    #[test]
    fn secrets_never_print() {
        let config = load_env(&[("OMNIDESK_FACEBOOK_APP_SECRET", "s3cr3t")]).unwrap();
        assert!(!format!("{config:?}").contains("s3cr3t"));
        assert_eq!(config.facebook_app_secret.expose(), "s3cr3t");
    }
}
