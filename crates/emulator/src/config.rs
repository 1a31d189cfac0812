//! Start-up settings of the emulator.

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

/// How the emulator is started. `EmulatorConfig::new` gives test-friendly
/// defaults (loopback, port 0, short webhook timings).
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Absolute base URL used in `paging.next` links and HTML pages.
    /// Defaults to `http://{bound address}`.
    pub public_url: Option<Url>,
    /// Webhook callback of the product. Set here, it is active at once for
    /// every field (no handshake, as the product may not be up yet).
    pub webhook_url: Option<Url>,
    /// The dashboard verify token sent in the `hub.verify_token` handshake.
    pub verify_token: Option<String>,
    /// "Deauthorize Callback URL" of the app (Facebook Login settings).
    pub deauthorize_url: Option<Url>,
    pub app_id: String,
    pub app_secret: String,
    pub app_name: String,
    /// "Require App Secret": reject calls without `appsecret_proof`.
    pub require_appsecret_proof: bool,
    /// Seed for ids and tokens, so a scripted scenario produces the same ids.
    pub seed: Option<u64>,
    pub webhook: WebhookOptions,
}

/// Timings and switches of the webhook sender.
#[derive(Clone, Debug)]
pub struct WebhookOptions {
    /// How long the sender waits to gather events into one POST.
    pub batch_window: Duration,
    /// First retry delay; doubled on every failure up to `retry_max`.
    pub retry_initial: Duration,
    pub retry_max: Duration,
    /// Continuous failure after which the app is unsubscribed from the Page
    /// (Facebook: 1 hour). Measured on the emulator clock.
    pub failure_window: Duration,
    /// Per-request timeout (Facebook: about 20 s).
    pub request_timeout: Duration,
    /// Re-send every successful POST once more.
    pub duplicate: bool,
    /// Deliver the events of a batch one by one, newest first.
    pub reorder: bool,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        Self {
            batch_window: Duration::from_millis(20),
            retry_initial: Duration::from_millis(100),
            retry_max: Duration::from_secs(30),
            failure_window: Duration::from_secs(3600),
            request_timeout: Duration::from_secs(20),
            duplicate: false,
            reorder: false,
        }
    }
}

impl EmulatorConfig {
    /// Loopback on a free port, no webhook yet, default timings.
    pub fn new(app_id: impl Into<String>, app_secret: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            webhook_url: None,
            verify_token: None,
            deauthorize_url: None,
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            app_name: "omnidesk".to_owned(),
            require_appsecret_proof: false,
            seed: None,
            webhook: WebhookOptions::default(),
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("webhook_url", &self.webhook_url)
            .field("deauthorize_url", &self.deauthorize_url)
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .field("require_appsecret_proof", &self.require_appsecret_proof)
            .field("seed", &self.seed)
            .field("webhook", &self.webhook)
            .finish()
    }
}
