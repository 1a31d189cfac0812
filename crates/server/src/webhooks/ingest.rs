//! Group commit for webhook deliveries: handlers hand their bytes to one
//! writer task, which writes everything pending in a single transaction and
//! answers each handler after the commit. Under load many deliveries share
//! one commit (one fsync), so the endpoint stays fast; nothing is answered
//! 200 before it is durable.

use std::sync::Arc;

use store::Store;
use tokio::sync::{mpsc, oneshot, Notify};

/// Most deliveries written in one transaction.
const MAX_BATCH: usize = 256;

struct Pending {
    body: Vec<u8>,
    done: oneshot::Sender<Result<String, String>>,
}

/// The handlers' side of the writer.
#[derive(Clone)]
pub struct Ingest {
    sender: mpsc::Sender<Pending>,
}

impl Ingest {
    /// Starts the writer task; it stops when every `Ingest` is dropped.
    pub fn spawn(store: Store, wake_inbox: Arc<Notify>) -> Self {
        let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(store, wake_inbox, receiver));
        Self { sender }
    }

    /// Stores `body` durably; returns its inbox id once committed.
    pub async fn store(&self, body: Vec<u8>) -> Result<String, String> {
        let (done, committed) = oneshot::channel();
        self.sender
            .send(Pending { body, done })
            .await
            .map_err(|_| "the inbox writer has stopped".to_owned())?;
        committed
            .await
            .map_err(|_| "the inbox writer stopped before committing".to_owned())?
    }
}

async fn write_batches(
    store: Store,
    wake_inbox: Arc<Notify>,
    mut receiver: mpsc::Receiver<Pending>,
) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let bodies: Vec<Vec<u8>> = batch
            .iter_mut()
            .map(|p| std::mem::take(&mut p.body))
            .collect();
        match store
            .insert_inbox_batch(&bodies, jiff::Timestamp::now())
            .await
        {
            Ok(ids) => {
                for (pending, id) in batch.into_iter().zip(ids) {
                    let _ = pending.done.send(Ok(id));
                }
                wake_inbox.notify_one();
            }
            Err(e) => {
                tracing::error!(error = ?e, deliveries = batch.len(), "could not store webhook deliveries");
                for pending in batch {
                    let _ = pending.done.send(Err(e.to_string()));
                }
            }
        }
    }
}
