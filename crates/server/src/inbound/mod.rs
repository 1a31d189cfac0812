//! Inbound processing behind the webhook: the inbox worker (events → the
//! conversation, exactly once, in event-time order), the media downloader and
//! the profile fetcher. Each is a [`crate::workers::Job`] over rows claimed
//! with a lease, so a crash or restart resumes where it stopped.

pub mod convert;
mod inbox_job;
mod media;
mod notify;
mod profiles;

pub use inbox_job::InboxJob;
pub use media::{MediaJob, MAX_DOWNLOAD_BYTES};
pub use profiles::ProfileJob;

/// Retry delay after `attempts` failures: `base_ms` doubling, capped.
pub(crate) fn backoff_ms(base_ms: i64, attempts: i64, cap_ms: i64) -> i64 {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    base_ms.saturating_mul(1_i64 << exp).min(cap_ms)
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn retries_back_off_by_doubling_up_to_the_cap() {
        assert_eq!(backoff_ms(250, 1, 60_000), 250);
        assert_eq!(backoff_ms(250, 3, 60_000), 1_000);
        assert_eq!(backoff_ms(250, 40, 60_000), 60_000);
    }
}
