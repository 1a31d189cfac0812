//! The outbox worker: sends stored outgoing messages to Messenger, in order
//! per visitor, retrying what is worth retrying and failing loudly (with
//! Facebook's reason) what is not.
//!
//! The store hands out one message per visitor at a time (the head of that
//! visitor's queue) under a lease, so a crash mid-send repeats at most that
//! one send. No database transaction is held across a Graph call.

pub mod policy;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use jiff::SignedDuration;
use messenger::graph::{AttachmentKind, FileUpload, GraphError, SendRequest};
use store::{Message, OutboxJob};
use tokio::sync::Notify;

use crate::events::LiveEvent;
use crate::state::AppState;
use crate::workers::Job;
use policy::{
    after_error, after_false_alarm, facebook_reason, messaging_type, Outcome, RetryPolicy,
};

/// A send is leased for this long; after a crash it is tried again once the
/// lease runs out. Longer than the Graph client's own timeout.
const LEASE: SignedDuration = SignedDuration::from_secs(120);
/// Sends started per batch (different visitors, sent concurrently).
const BATCH: usize = 8;

/// The outbox [`Job`].
pub struct OutboxWorker {
    pub retry: RetryPolicy,
}

impl OutboxWorker {
    pub fn new(retry: RetryPolicy) -> Self {
        Self { retry }
    }
}

#[async_trait::async_trait]
impl Job for OutboxWorker {
    fn name(&self) -> &'static str {
        "outbox"
    }

    fn waker(&self, state: &AppState) -> Arc<Notify> {
        state.wake.outbox.clone()
    }

    fn poll_interval(&self) -> Duration {
        // Retries come due without anyone waking us.
        Duration::from_millis(250)
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<usize> {
        let mut jobs = Vec::new();
        while jobs.len() < BATCH {
            match state.store.claim_outgoing(state.now(), LEASE).await? {
                Some(job) => jobs.push(job),
                None => break,
            }
        }
        let count = jobs.len();
        let results =
            futures::future::join_all(jobs.into_iter().map(|job| self.process(state, job))).await;
        for result in results {
            result?;
        }
        Ok(count)
    }
}

impl OutboxWorker {
    /// Sends one claimed message and records what happened.
    async fn process(&self, state: &AppState, job: OutboxJob) -> anyhow::Result<()> {
        let account_id = job.message.account_id.clone();
        let message_id = job.message.id.clone();
        let result = self.send(state, &job).await;
        let updated = match result {
            Ok(Sent(external_id)) => state
                .store
                .outgoing_sent(&account_id, &message_id, external_id.as_deref())
                .await
                .context("recording a sent message")?,
            Err(Attempt::Lapsed) => state
                .store
                .outgoing_failed(
                    &account_id,
                    &message_id,
                    "window_lapsed",
                    domain::window::WINDOW_LAPSED_MESSAGE,
                )
                .await
                .context("failing a message outside the window")?,
            Err(Attempt::Local(reason)) => state
                .store
                .outgoing_failed(&account_id, &message_id, "local", &reason)
                .await
                .context("failing an unsendable message")?,
            Err(Attempt::Graph(error)) => {
                let jitter: f64 = rand::random();
                let now = state.now();
                let mut outcome = after_error(
                    &error,
                    job.attempts,
                    job.queued_at,
                    now,
                    &self.retry,
                    jitter,
                );
                tracing::info!(%message_id, attempts = job.attempts, %error, ?outcome, "send failed");
                if let Outcome::Disconnect { reason } = &outcome {
                    // One confirming connection check decides: access gone →
                    // `channels` disconnects the channel (its precise reason,
                    // the channel.disconnected event) and the message waits
                    // for the reconnect; a false alarm → the send is retried.
                    let lost = crate::channels::confirm_access_lost(
                        state,
                        &account_id,
                        &job.message.channel_id,
                        reason,
                    )
                    .await
                    .context("confirming that the Page lost its access")?;
                    if !lost {
                        outcome = after_false_alarm(
                            &error,
                            job.attempts,
                            job.queued_at,
                            now,
                            &self.retry,
                            jitter,
                        );
                        tracing::info!(%message_id, ?outcome, "the connection check found the Page's access intact");
                    }
                }
                match outcome {
                    Outcome::Retry { at } => {
                        state
                            .store
                            .outgoing_retry(&account_id, &message_id, at, &error.to_string())
                            .await
                            .context("scheduling a retry")?;
                        return Ok(());
                    }
                    Outcome::Fail { code, reason } => state
                        .store
                        .outgoing_failed(&account_id, &message_id, &code, &reason)
                        .await
                        .context("failing a message")?,
                    Outcome::Disconnect { reason } => state
                        .store
                        .outgoing_hold(&account_id, &message_id, &reason)
                        .await
                        .context("holding a message")?,
                }
            }
        };
        publish_status(state, &updated).await;
        Ok(())
    }

    async fn send(&self, state: &AppState, job: &OutboxJob) -> Result<Sent, Attempt> {
        let message = &job.message;
        let store = &state.store;
        let local = |e: &dyn std::fmt::Display| Attempt::Local(e.to_string());
        let channel = store
            .get_channel(&message.account_id, &message.channel_id)
            .await
            .map_err(|e| local(&e))?;
        let visitor = store
            .get_visitor(&message.account_id, &message.visitor_id)
            .await
            .map_err(|e| local(&e))?;
        let Some(messaging) = messaging_type(
            visitor.last_inbound_at,
            state.now(),
            job.is_human,
            channel.message_settings.human_agent_tag,
        ) else {
            return Err(Attempt::Lapsed);
        };
        let token = store
            .channel_token_enc(&message.account_id, &message.channel_id)
            .await
            .map_err(|e| local(&e))?
            .ok_or_else(|| Attempt::Local("the channel has no Page token".into()))?;
        let token = state.secrets.decrypt(&token).map_err(|e| local(&e))?;
        let response = match &job.attachment {
            Some(file) => {
                let key = file
                    .storage_key
                    .as_deref()
                    .ok_or_else(|| Attempt::Local("the file was not stored".into()))?;
                let bytes = tokio::fs::read(state.files_dir().join(key))
                    .await
                    .map_err(|e| Attempt::Local(format!("the stored file cannot be read: {e}")))?;
                let content_type = file
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into());
                let upload = FileUpload {
                    kind: AttachmentKind::parse(&file.kind)
                        .unwrap_or_else(|| AttachmentKind::for_content_type(&content_type)),
                    filename: file.file_name.clone().unwrap_or_else(|| "file".into()),
                    content_type,
                    bytes: bytes.into(),
                };
                state
                    .graph
                    .send_attachment_file(
                        &channel.page_id,
                        &token,
                        &job.recipient,
                        &messaging,
                        upload,
                    )
                    .await
            }
            None => {
                let request =
                    SendRequest::text(&job.recipient, message.text.clone().unwrap_or_default())
                        .with_messaging_type(messaging)
                        .with_metadata(message.id.clone());
                state
                    .graph
                    .send_message(&channel.page_id, &token, &request)
                    .await
            }
        };
        response.map(|r| Sent(r.message_id)).map_err(Attempt::Graph)
    }
}

/// The channel's message id, when Facebook gave one.
struct Sent(Option<String>);

/// Why an attempt did not send.
enum Attempt {
    /// Facebook (or the way to it) refused.
    Graph(GraphError),
    /// The window has lapsed for this message: never sent.
    Lapsed,
    /// Something on our side makes it unsendable (file gone, channel deleted…).
    Local(String),
}

/// Tells agents' browsers that an outgoing message changed status
/// (`message.updated` with the message as it is now).
pub async fn publish_status(state: &AppState, message: &Message) {
    state
        .publish_message(LiveEvent::MessageUpdated, message.clone())
        .await;
}

/// The reason shown for a Graph error (re-exported for handlers).
pub fn reason(error: &GraphError) -> String {
    facebook_reason(error)
}
