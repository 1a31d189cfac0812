//! `omnidesk demo`: the whole product offline in one process — the
//! Facebook emulator and the server wired to each other, on SQLite in a
//! data directory, seeded with a company, its staff, two connected Pages
//! and a few visitors. See `docs/demo.md`.
//!
//! [`start`] returns a [`DemoHandle`] (used by the tests, no subprocess);
//! [`run`] is what the command line calls.

pub mod banner;
pub mod cast;
mod facebook;
mod seed;
pub mod state_file;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use emulator::{ControlClient, Emulator, EmulatorConfig, EmulatorHandle, WebhookOptions};
use server::config::{Config, ConfigLayer};
use server::Application;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

use cast::{ADMIN, APP_ID, APP_SECRET, FIRST_MESSAGE, PAGES, TEAMS, VERIFY_TOKEN, VISITORS};
use state_file::DemoState;

/// Where the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// SQLite file, uploads, the data key and `demo.json`.
    pub data_dir: PathBuf,
    /// The server's address (port 0: any free port).
    pub listen: SocketAddr,
    /// The emulator's address (port 0: any free port).
    pub emulator_listen: SocketAddr,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data/demo"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            emulator_listen: SocketAddr::from(([127, 0, 0, 1], 8090)),
        }
    }
}

/// Why the demo could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("starting the Facebook emulator: {0}")]
    Emulator(#[from] emulator::EmulatorError),
    #[error("starting the server: {0:#}")]
    Server(anyhow::Error),
    #[error("preparing the demo: {0:#}")]
    Setup(anyhow::Error),
    #[error("the server stopped: {0:#}")]
    Stopped(anyhow::Error),
}

/// A demo login as the banner shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub role: String,
    pub email: String,
    /// E.g. the agent's destination.
    pub note: String,
}

/// A visitor and their Messenger window in the emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorLink {
    pub name: String,
    pub page_name: String,
    pub page_id: String,
    pub psid: String,
    pub chat_url: Url,
}

/// Everything a user (or test) needs to use the running demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoInfo {
    /// `http://host:port/` of the server.
    pub server_url: Url,
    /// `http://host:port/` of the emulator.
    pub emulator_url: Url,
    pub data_dir: PathBuf,
    /// The password of every demo login.
    pub password: String,
    /// Whether this start seeded the data (else it reused it).
    pub first_start: bool,
    /// The admin first, then the agents.
    pub logins: Vec<DemoLogin>,
    pub visitors: Vec<VisitorLink>,
}

/// A running demo. Dropping it stops both halves without waiting; call
/// [`DemoHandle::stop`] for a graceful stop.
pub struct DemoHandle {
    info: DemoInfo,
    emulator: Option<EmulatorHandle>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl DemoHandle {
    pub fn info(&self) -> &DemoInfo {
        &self.info
    }

    /// The emulator's control client (make visitors write, read what they got).
    pub fn fb(&self) -> ControlClient {
        ControlClient::new(self.info.emulator_url.clone())
    }

    /// Runs until `shutdown` completes (or the server fails), then stops.
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()>) -> Result<(), DemoError> {
        let server = self.server.as_mut().expect("a started demo has a server");
        tokio::select! {
            () = shutdown => self.stop().await,
            ended = server => {
                self.server = None;
                let error = match ended {
                    Ok(Ok(())) => anyhow::anyhow!("it ended on its own"),
                    Ok(Err(e)) => e,
                    Err(join) => anyhow::Error::new(join),
                };
                self.stop().await?;
                Err(DemoError::Stopped(error))
            }
        }
    }

    /// Stops the server (finishing in-flight requests and workers), then
    /// the emulator.
    pub async fn stop(mut self) -> Result<(), DemoError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .map_err(|e| DemoError::Stopped(e.into()))?
                .map_err(DemoError::Stopped)?;
        }
        if let Some(emulator) = self.emulator.take() {
            emulator.shutdown().await?;
        }
        Ok(())
    }
}

impl Drop for DemoHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `omnidesk demo`: starts, prints the banner, runs until `shutdown`.
pub async fn run(
    options: DemoOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DemoError> {
    let demo = start(options).await?;
    print!("\n{}\n", banner::banner(demo.info()));
    demo.run_until(shutdown).await
}

/// Starts the emulator and the server wired to each other, seeds the data
/// on the first start and reconnects the Pages on every start.
pub async fn start(options: DemoOptions) -> Result<DemoHandle, DemoError> {
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("creating the data dir {}", options.data_dir.display()))
        .map_err(DemoError::Setup)?;
    let emulator = Emulator::start(emulator_config(options.emulator_listen)).await?;
    let emulator_url = emulator.base_url();
    let app =
        Application::build(server_config(&options, &emulator_url).map_err(DemoError::Server)?)
            .await
            .map_err(DemoError::Server)?;
    let server_url = Url::parse(&format!("http://{}/", app.addr()))
        .context("the server's address")
        .map_err(DemoError::Server)?;
    let fb = emulator.control();
    let (info, first_start) = prepare(&app, &fb, &options, &server_url, &emulator_url)
        .await
        .map_err(DemoError::Setup)?;

    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let handle = DemoHandle {
        info,
        emulator: Some(emulator),
        stop: Some(stop),
        server: Some(server),
    };
    if first_start {
        // Something in the enquiry list from the start.
        fb.send_text(VISITORS[0].psid, FIRST_MESSAGE)
            .await
            .context("the first visitor's message")
            .map_err(DemoError::Setup)?;
    }
    Ok(handle)
}

/// Webhook timings like Facebook's (the same as `omnidesk emulator`).
fn emulator_config(listen: SocketAddr) -> EmulatorConfig {
    let mut config = EmulatorConfig::new(APP_ID, APP_SECRET);
    config.listen = listen;
    config.verify_token = Some(VERIFY_TOKEN.into());
    config.webhook = WebhookOptions {
        batch_window: std::time::Duration::from_millis(50),
        retry_initial: std::time::Duration::from_secs(1),
        retry_max: std::time::Duration::from_secs(60),
        failure_window: std::time::Duration::from_secs(3600),
        ..Default::default()
    };
    config
}

/// The server's configuration: SQLite in the data dir, Graph API and login
/// dialog at the emulator. The environment is deliberately not read — the
/// demo must not pick up a production `OMNIDESK_DATABASE_URL`.
fn server_config(options: &DemoOptions, emulator_url: &Url) -> anyhow::Result<Config> {
    let flags = ConfigLayer {
        listen: Some(options.listen.to_string()),
        data_dir: Some(options.data_dir.display().to_string()),
        facebook_app_id: Some(APP_ID.into()),
        facebook_app_secret: Some(APP_SECRET.into()),
        facebook_verify_token: Some(VERIFY_TOKEN.into()),
        graph_url: Some(emulator_url.to_string()),
        dialog_url: Some(emulator_url.to_string()),
        ..Default::default()
    };
    Ok(Config::load(
        ConfigLayer::default(),
        ConfigLayer::default(),
        flags,
    )?)
}

/// Wires the emulator's callbacks to the server, seeds (first start),
/// rebuilds the emulator's world and connects the Pages. Runs before the
/// server's workers start, so the connection check never sees the old,
/// forgotten Page tokens.
async fn prepare(
    app: &Application,
    fb: &ControlClient,
    options: &DemoOptions,
    server_url: &Url,
    emulator_url: &Url,
) -> anyhow::Result<(DemoInfo, bool)> {
    let webhook = server_url.join("webhooks/facebook")?;
    let deauthorize = server_url.join("webhooks/facebook/deauthorize")?;
    fb.update_webhook(|settings| {
        settings.url = Some(webhook);
        settings.deauthorize_url = Some(deauthorize);
    })
    .await
    .context("pointing the emulator's webhooks at the server")?;

    let state = app.state();
    let store = &state.store;
    let mut demo_state = match DemoState::load(&options.data_dir)? {
        Some(existing) => existing,
        None => {
            let fresh = DemoState::new();
            fresh.save(&options.data_dir)?;
            // Logins left by a lost demo.json get the new password.
            seed::reset_passwords(store, &fresh.password).await?;
            fresh
        }
    };
    let user_id = facebook::build_world(fb).await?;
    let first_start = demo_state.account_id.is_none();
    let account_id = match &demo_state.account_id {
        Some(id) => {
            let admin_id = any_admin(store, id).await?;
            facebook::connect_pages(state, fb, id, &admin_id, &user_id, None).await?;
            id.clone()
        }
        None => {
            let seeded = seed::seed(store, &demo_state.password).await?;
            let admin_id = any_admin(store, &seeded.account_id).await?;
            let routing = facebook::alternative_routing(&seeded.destination_ids);
            facebook::connect_pages(
                state,
                fb,
                &seeded.account_id,
                &admin_id,
                &user_id,
                Some(routing),
            )
            .await?;
            demo_state.account_id = Some(seeded.account_id.clone());
            demo_state.save(&options.data_dir)?;
            seeded.account_id
        }
    };
    tracing::info!(%account_id, first_start, "demo data ready");
    Ok((
        info(options, server_url, emulator_url, &demo_state, first_start)?,
        first_start,
    ))
}

/// An admin of the account to start the Facebook login as: the demo's own
/// admin when it still exists, else any.
async fn any_admin(store: &store::Store, account_id: &str) -> anyhow::Result<String> {
    let staff = store.list_staff(account_id).await?;
    let admins = || {
        staff
            .iter()
            .filter(|s| s.role == domain::staff::Role::Admin)
    };
    admins()
        .find(|s| s.email == ADMIN.email)
        .or_else(|| admins().next())
        .map(|s| s.id.clone())
        .context("the demo account has no admin left; delete the data dir to start afresh")
}

fn info(
    options: &DemoOptions,
    server_url: &Url,
    emulator_url: &Url,
    demo_state: &DemoState,
    first_start: bool,
) -> anyhow::Result<DemoInfo> {
    let mut logins = vec![DemoLogin {
        role: ADMIN.role.into(),
        email: ADMIN.email.into(),
        note: String::new(),
    }];
    logins.extend(TEAMS.iter().map(|t| DemoLogin {
        role: t.agent.role.into(),
        email: t.agent.email.into(),
        note: format!("{} {} ({})", t.agent.first_name, t.agent.last_name, t.name),
    }));
    let visitors = VISITORS
        .iter()
        .map(|v| {
            let page = PAGES[v.page];
            Ok(VisitorLink {
                name: format!("{} {}", v.first_name, v.last_name),
                page_name: page.name.into(),
                page_id: page.id.into(),
                psid: v.psid.into(),
                chat_url: emulator_url.join(&format!("_emulator/chat/{}/{}", page.id, v.psid))?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(DemoInfo {
        server_url: server_url.clone(),
        emulator_url: emulator_url.clone(),
        data_dir: options.data_dir.clone(),
        password: demo_state.password.clone(),
        first_start,
        logins,
        visitors,
    })
}
