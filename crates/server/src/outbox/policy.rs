//! What the outbox does after a send attempt: pure functions, so the retry
//! schedule and the error handling are tested without a network.

use std::time::Duration;

use domain::window::{send_policy, MessagingType, MessagingWindow, WINDOW_LAPSED_MESSAGE};
use jiff::{SignedDuration, Timestamp};
use messenger::graph::{ErrorClass, GraphError};

/// How long and how often retryable sends are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry's delay; each next one doubles it.
    pub base: Duration,
    /// No single wait is longer than this.
    pub max_delay: Duration,
    /// After this long since the message was queued it is failed instead.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            give_up_after: Duration::from_secs(10 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`: exponential, capped, with
    /// "equal jitter" (half fixed, half random by `jitter` in 0..=1) so many
    /// messages failing together do not retry together.
    pub fn delay(&self, attempts: i64, jitter: f64) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let full = self
            .base
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_delay);
        full / 2 + full.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// What happens to a message after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Try again at this time.
    Retry { at: Timestamp },
    /// Give up: the message is failed with this code and reason (shown to the agent).
    Fail { code: String, reason: String },
    /// The channel lost its access: disconnect it and keep the message queued.
    Disconnect { reason: String },
}

/// Decides after `error` on attempt number `attempts` of a message queued at
/// `queued_at`.
pub fn after_error(
    error: &GraphError,
    attempts: i64,
    queued_at: Timestamp,
    now: Timestamp,
    policy: &RetryPolicy,
    jitter: f64,
) -> Outcome {
    let reason = facebook_reason(error);
    let code = error_code(error);
    match error.class() {
        ErrorClass::Retryable | ErrorClass::RateLimited { .. } => {
            let mut wait = policy.delay(attempts, jitter);
            if let ErrorClass::RateLimited {
                retry_after: Some(after),
            } = error.class()
            {
                wait = wait.max(after);
            }
            retry_or_give_up(wait, code, reason, attempts, queued_at, now, policy)
        }
        ErrorClass::WindowLapsed => Outcome::Fail {
            code: "window_lapsed".into(),
            reason: WINDOW_LAPSED_MESSAGE.into(),
        },
        ErrorClass::TokenLost | ErrorClass::PermissionMissing => Outcome::Disconnect { reason },
        ErrorClass::RecipientUnavailable | ErrorClass::Permanent => Outcome::Fail { code, reason },
    }
}

/// After a `TokenLost`/`PermissionMissing` error that the confirming
/// connection check did not confirm (the Page still has its access): the
/// failure was about something else, so the send is tried again like a
/// transient error — with back-off, and failed with Facebook's reason once
/// `give_up_after` has passed, so a recurring false alarm cannot loop forever.
pub fn after_false_alarm(
    error: &GraphError,
    attempts: i64,
    queued_at: Timestamp,
    now: Timestamp,
    policy: &RetryPolicy,
    jitter: f64,
) -> Outcome {
    let wait = policy.delay(attempts, jitter);
    retry_or_give_up(
        wait,
        error_code(error),
        facebook_reason(error),
        attempts,
        queued_at,
        now,
        policy,
    )
}

/// Retry after `wait`, unless that is past the message's give-up deadline.
fn retry_or_give_up(
    wait: Duration,
    code: String,
    reason: String,
    attempts: i64,
    queued_at: Timestamp,
    now: Timestamp,
    policy: &RetryPolicy,
) -> Outcome {
    let at = now + signed(wait);
    let deadline = queued_at + signed(policy.give_up_after);
    if at > deadline {
        Outcome::Fail {
            code,
            reason: format!("gave up after {attempts} attempts: {reason}"),
        }
    } else {
        Outcome::Retry { at }
    }
}

/// The Send API's `messaging_type` for a message now, or the lapsed window.
pub fn messaging_type(
    last_inbound_at: Option<Timestamp>,
    now: Timestamp,
    is_human: bool,
    human_agent_tag_allowed: bool,
) -> Option<messenger::graph::MessagingType> {
    let window = MessagingWindow::at(last_inbound_at?, now);
    match send_policy(window, is_human, human_agent_tag_allowed).ok()? {
        MessagingType::Response => Some(messenger::graph::MessagingType::Response),
        MessagingType::MessageTag(tag) => Some(messenger::graph::MessagingType::MessageTag(
            tag.as_str().to_owned(),
        )),
    }
}

/// Facebook's own words for an error (without our wrapping), for agents.
pub fn facebook_reason(error: &GraphError) -> String {
    match error {
        GraphError::Api { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn error_code(error: &GraphError) -> String {
    match error.code() {
        Some((code, Some(sub))) => format!("{code}/{sub}"),
        Some((code, None)) => code.to_string(),
        None => "transport".into(),
    }
}

fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: i64, subcode: Option<i64>, message: &str) -> GraphError {
        GraphError::Api {
            http_status: 400,
            code,
            subcode,
            message: message.into(),
            error_type: None,
            fbtrace_id: None,
            is_transient: false,
            retry_after_minutes: None,
        }
    }

    fn outage() -> GraphError {
        GraphError::Decode {
            http_status: 503,
            operation: "send_message",
            message: "not JSON".into(),
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, 1.0), Duration::from_secs(1));
        assert_eq!(policy.delay(2, 1.0), Duration::from_secs(2));
        assert_eq!(policy.delay(4, 1.0), Duration::from_secs(8));
        assert_eq!(policy.delay(30, 1.0), Duration::from_secs(60));
        assert_eq!(
            policy.delay(4, 0.0),
            Duration::from_secs(4),
            "half is fixed"
        );
    }

    #[test]
    fn an_outage_is_retried_until_the_bound_then_failed_with_the_reason() {
        let policy = RetryPolicy::default();
        let queued = ts("2026-03-01T10:00:00Z");
        assert_eq!(
            after_error(
                &outage(),
                1,
                queued,
                ts("2026-03-01T10:00:01Z"),
                &policy,
                0.0
            ),
            Outcome::Retry {
                at: ts("2026-03-01T10:00:01.5Z")
            }
        );
        let late = after_error(
            &outage(),
            9,
            queued,
            ts("2026-03-01T10:09:50Z"),
            &policy,
            0.0,
        );
        let Outcome::Fail { reason, .. } = late else {
            panic!("expected a failure, got {late:?}");
        };
        assert!(reason.starts_with("gave up after 9 attempts"), "{reason}");
    }

    #[test]
    fn a_rate_limit_waits_at_least_as_long_as_facebook_asks() {
        let mut limited = api(613, None, "Calls to this api have exceeded the rate limit.");
        if let GraphError::Api {
            retry_after_minutes,
            ..
        } = &mut limited
        {
            *retry_after_minutes = Some(2);
        }
        let now = ts("2026-03-01T10:00:00Z");
        assert_eq!(
            after_error(&limited, 1, now, now, &RetryPolicy::default(), 0.0),
            Outcome::Retry {
                at: ts("2026-03-01T10:02:00Z")
            }
        );
    }

    #[test]
    fn a_lost_token_disconnects_instead_of_failing_the_message() {
        let now = ts("2026-03-01T10:00:00Z");
        let outcome = after_error(
            &api(190, Some(460), "The session has been invalidated"),
            1,
            now,
            now,
            &RetryPolicy::default(),
            0.5,
        );
        assert!(matches!(outcome, Outcome::Disconnect { .. }), "{outcome:?}");
    }

    #[test]
    fn an_unconfirmed_access_error_is_retried_and_eventually_failed() {
        let error = api(10, None, "Requires pages_messaging permission");
        let queued = ts("2026-03-01T10:00:00Z");
        assert_eq!(
            after_false_alarm(&error, 1, queued, queued, &RetryPolicy::default(), 1.0),
            Outcome::Retry {
                at: ts("2026-03-01T10:00:01Z")
            }
        );
        let late = after_false_alarm(
            &error,
            12,
            queued,
            ts("2026-03-01T10:09:59Z"),
            &RetryPolicy::default(),
            0.0,
        );
        assert_eq!(
            late,
            Outcome::Fail {
                code: "10".into(),
                reason: "gave up after 12 attempts: Requires pages_messaging permission".into()
            }
        );
    }

    #[test]
    fn a_permanent_error_fails_with_facebooks_message() {
        let now = ts("2026-03-01T10:00:00Z");
        assert_eq!(
            after_error(
                &api(100, None, "Invalid parameter"),
                1,
                now,
                now,
                &RetryPolicy::default(),
                0.5
            ),
            Outcome::Fail {
                code: "100".into(),
                reason: "Invalid parameter".into()
            }
        );
    }

    #[test]
    fn the_window_decides_between_response_tag_and_nothing() {
        let last = ts("2026-03-01T10:00:00Z");
        let day2 = ts("2026-03-02T11:00:00Z");
        assert_eq!(
            messaging_type(Some(last), ts("2026-03-01T11:00:00Z"), false, false),
            Some(messenger::graph::MessagingType::Response)
        );
        assert_eq!(
            messaging_type(Some(last), day2, true, true),
            Some(messenger::graph::MessagingType::human_agent())
        );
        assert_eq!(messaging_type(Some(last), day2, true, false), None);
        assert_eq!(messaging_type(Some(last), day2, false, true), None);
        assert_eq!(messaging_type(None, day2, true, true), None);
    }
}
