//! Downloads inbound media (Meta CDN URLs expire) into the product's file
//! storage, `<data dir>/files/<account>/<uuid>`, keeping the content type.
//! At most 25 MB (`too_large` beyond); a failed download keeps the message
//! and is retried with backoff.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use store::{Attachment, StoredFile};
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

use super::backoff_ms;
use crate::state::AppState;
use crate::workers::Job;

/// The largest file kept (Messenger's own limit).
pub const MAX_DOWNLOAD_BYTES: u64 = domain::limits::MAX_FILE_BYTES;
const LEASE_MS: i64 = 5 * 60_000;
/// Tries before an attachment is `failed`.
const MAX_ATTEMPTS: i64 = 8;

pub struct MediaJob {
    http: reqwest::Client,
}

impl Default for MediaJob {
    fn default() -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("an HTTP client with default TLS"),
        }
    }
}

/// Why a download did not produce a file.
#[derive(Debug, thiserror::Error)]
enum DownloadError {
    #[error("the file is larger than {MAX_DOWNLOAD_BYTES} bytes")]
    TooLarge,
    #[error("{0}")]
    Failed(String),
}

#[async_trait::async_trait]
impl Job for MediaJob {
    fn name(&self) -> &'static str {
        "media"
    }

    fn waker(&self, state: &AppState) -> Arc<Notify> {
        state.wake.media.clone()
    }

    async fn run_once(&self, state: &AppState) -> anyhow::Result<usize> {
        let Some(attachment) = state
            .store
            .claim_due_download(state.now(), LEASE_MS)
            .await?
        else {
            return Ok(0);
        };
        let result = self.download(state, &attachment).await;
        let store = &state.store;
        let (account, id) = (&attachment.account_id, &attachment.id);
        let updated = match result {
            Ok(file) => store.attachment_stored(account, id, &file).await?,
            Err(DownloadError::TooLarge) => {
                let error = DownloadError::TooLarge.to_string();
                store
                    .attachment_download_failed(account, id, &error, None, "too_large")
                    .await?
            }
            Err(DownloadError::Failed(error)) => {
                let retry_at = (attachment.attempts < MAX_ATTEMPTS).then(|| {
                    Timestamp::now()
                        + SignedDuration::from_millis(backoff_ms(
                            1_000,
                            attachment.attempts,
                            3_600_000,
                        ))
                });
                tracing::warn!(attachment_id = %id, %error, attempts = attachment.attempts,
                    giving_up = retry_at.is_none(), "media download failed");
                store
                    .attachment_download_failed(account, id, &error, retry_at, "failed")
                    .await?
            }
        };
        if updated.status != "pending" {
            let message = store.get_message(account, &updated.message_id).await?;
            state
                .publish_message(crate::events::LiveEvent::MessageUpdated, message)
                .await;
        }
        Ok(1)
    }
}

impl MediaJob {
    async fn download(
        &self,
        state: &AppState,
        attachment: &Attachment,
    ) -> Result<StoredFile, DownloadError> {
        let url = attachment
            .source_url
            .as_deref()
            .ok_or_else(|| DownloadError::Failed("no URL".into()))?;
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| DownloadError::Failed(format!("fetching the file: {e}")))?;
        if !response.status().is_success() {
            return Err(DownloadError::Failed(format!(
                "the file server answered {}",
                response.status()
            )));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOWNLOAD_BYTES)
        {
            return Err(DownloadError::TooLarge);
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE)
            .map(|c| c.split(';').next().unwrap_or_default().trim().to_owned())
            .filter(|c| !c.is_empty());
        let file_name = header(reqwest::header::CONTENT_DISPOSITION)
            .as_deref()
            .and_then(disposition_file_name)
            .or_else(|| url_file_name(response.url()));
        let storage_key = format!("{}/{}", attachment.account_id, uuid::Uuid::now_v7());
        let path = state.files_dir().join(&storage_key);
        let mut written: u64 = 0;
        let result = async {
            let mut file = crate::files::create_private_file(&path).await?;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| std::io::Error::other(format!("reading the file: {e}")))?
            {
                written += chunk.len() as u64;
                if written > MAX_DOWNLOAD_BYTES {
                    return Ok(false);
                }
                file.write_all(&chunk).await?;
            }
            file.sync_all().await?;
            Ok::<bool, std::io::Error>(true)
        }
        .await;
        match result {
            Ok(true) => Ok(StoredFile {
                storage_key,
                content_type,
                file_name,
                size_bytes: i64::try_from(written).unwrap_or(i64::MAX),
            }),
            Ok(false) => {
                remove(&path).await;
                Err(DownloadError::TooLarge)
            }
            Err(e) => {
                remove(&path).await;
                Err(DownloadError::Failed(format!("storing the file: {e}")))
            }
        }
    }
}

async fn remove(path: &Path) {
    if let Err(e) = tokio::fs::remove_file(path).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "could not remove a partial file");
        }
    }
}

/// `attachment; filename="a.pdf"` → `a.pdf`.
fn disposition_file_name(value: &str) -> Option<String> {
    value.split(';').find_map(|part| {
        let (key, v) = part.trim().split_once('=')?;
        (key.eq_ignore_ascii_case("filename"))
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|n| !n.is_empty())
    })
}

/// The last path segment of the URL, when it looks like a file name.
fn url_file_name(url: &reqwest::Url) -> Option<String> {
    url.path_segments()?
        .next_back()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_comes_from_the_disposition_header_or_the_url() {
        assert_eq!(
            disposition_file_name(r#"attachment; filename="report.pdf""#).as_deref(),
            Some("report.pdf")
        );
        assert_eq!(disposition_file_name("inline"), None);
        let url = reqwest::Url::parse("https://cdn.example/a/b/photo.jpg?x=1").unwrap();
        assert_eq!(url_file_name(&url).as_deref(), Some("photo.jpg"));
    }
}
