//! A local stand-in for Facebook: the Graph API endpoints a Page app uses,
//! the login dialog, Pages and visitors, and a webhook sender that signs and
//! delivers events exactly as Facebook does. The product's tests, the
//! benchmark and offline demos talk to it instead of graph.facebook.com.
//!
//! Scenarios are scripted through the JSON control API under `/_emulator/`
//! (see [`control::ControlClient`]) and `docs/emulator.md`.
#![forbid(unsafe_code)]

pub mod config;
pub mod control;
mod fb_error;
mod graph;
mod html;
mod webhook;
mod world;

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use url::Url;

pub use config::{EmulatorConfig, WebhookOptions};
pub use control::{ControlClient, ControlClientError};
pub use world::PAGE_INBOX_APP_ID;

/// Why the emulator could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot bind the emulator to {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("emulator HTTP server failed: {0}")]
    Serve(std::io::Error),
    #[error("invalid public URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("cannot build the webhook HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// State shared by the HTTP handlers and the webhook sender.
pub(crate) struct Shared {
    world: Mutex<World>,
    /// Wakes the webhook sender when events are queued.
    pub(crate) wake: Notify,
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Url,
    pub(crate) shutdown: watch::Receiver<bool>,
}

pub(crate) use world::World;

impl Shared {
    /// Locks the world; a panic in another handler does not poison it for good.
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) type AppState = Arc<Shared>;

/// Entry point: `Emulator::start(config)`.
pub struct Emulator;

impl Emulator {
    /// Binds the listener (port 0 allowed), starts the HTTP server and the
    /// webhook sender, and returns once the emulator accepts connections.
    pub async fn start(config: EmulatorConfig) -> Result<EmulatorHandle, EmulatorError> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| EmulatorError::Bind {
                addr: config.listen,
                source,
            })?;
        let local = listener.local_addr().map_err(EmulatorError::Serve)?;
        let base_url = match &config.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{local}/"))?,
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let http = reqwest::Client::builder()
            .timeout(config.webhook.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let shared = Arc::new(Shared {
            world: Mutex::new(World::new(&config)),
            wake: Notify::new(),
            http,
            base_url: base_url.clone(),
            shutdown: shutdown_rx.clone(),
        });
        let sender = tokio::spawn(webhook::run_sender(shared.clone()));
        let app = graph::router(shared.clone()).merge(control::server::router(shared.clone()));
        let mut rx = shutdown_rx;
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                })
                .await
        });
        tracing::info!(%base_url, "Facebook emulator listening");
        Ok(EmulatorHandle {
            base_url,
            shutdown_tx,
            server: Some(server),
            sender: Some(sender),
        })
    }
}

/// A running emulator. Dropping it stops the emulator too (without waiting).
pub struct EmulatorHandle {
    base_url: Url,
    shutdown_tx: watch::Sender<bool>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    sender: Option<JoinHandle<()>>,
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
    }
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT/` — use as both Graph and dialog base URL.
    pub fn base_url(&self) -> Url {
        self.base_url.clone()
    }

    /// A typed client of the control API.
    pub fn control(&self) -> ControlClient {
        ControlClient::new(self.base_url.clone())
    }

    /// Stops accepting requests, finishes in-flight ones and stops the sender.
    pub async fn shutdown(mut self) -> Result<(), EmulatorError> {
        let _ = self.shutdown_tx.send(true);
        if let Some(sender) = self.sender.take() {
            let _ = sender.await;
        }
        match self.server.take() {
            Some(server) => match server.await {
                Ok(result) => result.map_err(EmulatorError::Serve),
                Err(join) => Err(EmulatorError::Serve(std::io::Error::other(join))),
            },
            None => Ok(()),
        }
    }
}

/// Runs the emulator until `shutdown` resolves (for `omnidesk emulator`).
pub async fn run(
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), EmulatorError> {
    let handle = Emulator::start(config).await?;
    shutdown.await;
    handle.shutdown().await
}
