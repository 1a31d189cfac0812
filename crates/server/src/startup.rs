//! Building and running the server: one `Application::build` that `serve`,
//! `demo` and every test share.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use messenger::graph::{GraphClient, GraphConfig};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::crypto::SecretBox;
use crate::events::EventBus;
use crate::routes;
use crate::state::AppState;
use crate::workers::{self, Wakers};

/// A bound, migrated, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    addr: SocketAddr,
}

impl Application {
    /// Opens the database (applying migrations), loads the data key and
    /// binds the listener (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = crate::bootstrap::open_store(&config).await?;
        let secrets = SecretBox::load_or_create(
            config.secret_key.as_ref().map(|s| s.expose()),
            &config.data_dir,
        )?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let config = config.with_bound_port(addr.port());
        let graph = GraphClient::new(GraphConfig {
            base_url: config.graph_url.clone(),
            dialog_base_url: config.dialog_url.clone(),
            version: config.graph_version.clone(),
            app_id: config.facebook_app_id.clone(),
            app_secret: config.facebook_app_secret.expose().to_owned(),
            timeout: std::time::Duration::from_secs(30),
        });
        let state = AppState {
            store,
            config: Arc::new(config),
            secrets,
            graph,
            events: EventBus::new(),
            wake: Wakers::default(),
            access: Default::default(),
        };
        Ok(Self {
            listener,
            state,
            addr,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let app = routes::app(self.state.clone());
        let stop_workers = CancellationToken::new();
        let worker_tasks: Vec<_> = workers::all(&self.state.config)
            .into_iter()
            .map(|job| workers::spawn(job, self.state.clone(), stop_workers.clone()))
            .collect();
        tracing::info!(addr = %self.addr, "omnidesk listening");
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP");
        stop_workers.cancel();
        for task in worker_tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a worker ended abnormally");
            }
        }
        served?;
        self.state.store.close().await;
        tracing::info!("omnidesk stopped");
        Ok(())
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
