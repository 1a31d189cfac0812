//! Background work: each worker is a [`Job`] whose `run_once` claims and
//! processes due rows from the database (so a restart, or another node,
//! picks up whatever is left), run by one loop that sleeps until woken or
//! until its polling interval passes, and backs off on errors while counting
//! them — it never sleeps-and-retries silently.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::state::AppState;

pub mod retention;

/// Wake-ups for the workers: whoever creates work for a worker notifies it,
/// so it starts at once instead of at its next poll.
#[derive(Clone, Default)]
pub struct Wakers {
    pub inbox: Arc<Notify>,
    pub routing: Arc<Notify>,
    pub outbox: Arc<Notify>,
    pub media: Arc<Notify>,
    pub timers: Arc<Notify>,
    /// Visitor profile fetches (inbound).
    pub profiles: Arc<Notify>,
}

/// One kind of background work.
#[async_trait::async_trait]
pub trait Job: Send + Sync + 'static {
    /// For logs.
    fn name(&self) -> &'static str;
    /// The notifier that wakes this job.
    fn waker(&self, state: &AppState) -> Arc<Notify>;
    /// How long to sleep when there was nothing to do and nobody woke us.
    fn poll_interval(&self) -> Duration {
        Duration::from_secs(1)
    }
    /// Processes a batch of due work; returns how many items it handled
    /// (0 = nothing due).
    async fn run_once(&self, state: &AppState) -> anyhow::Result<usize>;
}

/// Runs `job` until `stop` is cancelled.
pub fn spawn(job: Arc<dyn Job>, state: AppState, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let waker = job.waker(&state);
        let mut consecutive_errors: u32 = 0;
        loop {
            if stop.is_cancelled() {
                break;
            }
            let delay = match job.run_once(&state).await {
                Ok(0) => {
                    consecutive_errors = 0;
                    job.poll_interval()
                }
                Ok(_) => {
                    consecutive_errors = 0;
                    continue;
                }
                Err(e) => {
                    consecutive_errors += 1;
                    let backoff = Duration::from_millis(200 * 2u64.pow(consecutive_errors.min(8)))
                        .min(Duration::from_secs(30));
                    tracing::error!(worker = job.name(), error = ?e, consecutive_errors, ?backoff, "worker failed");
                    backoff
                }
            };
            tokio::select! {
                () = stop.cancelled() => break,
                () = waker.notified() => {},
                () = tokio::time::sleep(delay) => {},
            }
        }
        tracing::debug!(worker = job.name(), "worker stopped");
    })
}

/// Every background job of the server, configured from `config`.
pub fn all(config: &Config) -> Vec<Arc<dyn Job>> {
    vec![
        // Inbound: webhook deliveries → conversations, then media and profiles.
        Arc::new(crate::inbound::InboxJob),
        Arc::new(crate::inbound::MediaJob::default()),
        Arc::new(crate::inbound::ProfileJob),
        // Routing: the queue, decisions, offer deadlines and grace periods.
        Arc::new(crate::routing::RoutingJob),
        Arc::new(crate::routing::TimerJob),
        // Outbound: replies and automatic messages, in order per visitor.
        Arc::new(crate::outbox::OutboxWorker::new(outbox_retry(config))),
        // Upkeep: scheduled connection checks and retention.
        Arc::new(crate::channels::check::ChannelCheckJob::new()),
        Arc::new(retention::RetentionJob::new(config)),
    ]
}

/// The outbox's retry schedule from the configuration.
pub fn outbox_retry(config: &Config) -> crate::outbox::policy::RetryPolicy {
    crate::outbox::policy::RetryPolicy {
        base: Duration::from_millis(config.outbox_retry_initial_ms),
        max_delay: Duration::from_millis(config.outbox_retry_max_ms),
        give_up_after: Duration::from_secs(config.outbox_give_up_after_secs),
    }
}
