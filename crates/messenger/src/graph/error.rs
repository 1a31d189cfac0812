//! Graph API errors and what the caller should do about them.
//!
//! Error policy: every failed call becomes one [`GraphError`]. Callers decide
//! with [`GraphError::class`], which reads the Graph `code`/`error_subcode`
//! (never the HTTP status: Facebook answers 400 for most errors and 5xx for
//! some temporary ones). The one exception is a 5xx whose body is not a
//! Graph error envelope: that is an outage and worth retrying.
//!
//! Messages never contain tokens: transport errors drop the request URL
//! (which carries `access_token`) before they are turned into text.

use serde_json::Value;
use std::time::Duration;

/// A failed Graph API call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Facebook answered with an error envelope `{"error":{...}}`.
    #[error("Graph API error {code}{} (HTTP {http_status}): {message}", subcode.map(|s| format!("/{s}")).unwrap_or_default())]
    Api {
        http_status: u16,
        code: i64,
        subcode: Option<i64>,
        message: String,
        error_type: Option<String>,
        fbtrace_id: Option<String>,
        is_transient: bool,
        /// The largest `estimated_time_to_regain_access` (minutes) found in
        /// `X-Business-Use-Case-Usage`, if any.
        retry_after_minutes: Option<u64>,
    },
    /// The request did not get an HTTP answer (connect failure, timeout, TLS…).
    #[error("Graph API unreachable{}: {message}", if *timeout { " (timed out)" } else { "" })]
    Transport { timeout: bool, message: String },
    /// An answer came back but not in a shape we understand.
    #[error("Graph API answer could not be read (HTTP {http_status}, {operation}): {message}")]
    Decode {
        http_status: u16,
        operation: &'static str,
        message: String,
    },
    /// The request could not be built (e.g. an invalid Content-Type).
    #[error("Graph API request is invalid: {message}")]
    InvalidRequest { message: String },
    /// The call succeeded at HTTP level but Facebook said `"success": false`.
    #[error("Graph API refused {operation}: the answer was {body}")]
    Unsuccessful {
        operation: &'static str,
        body: String,
    },
}

/// What to do about a [`GraphError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Temporary; retry with backoff.
    Retryable,
    /// Throttled; pause sends for this Page (and app) until `retry_after`
    /// (when Facebook gave an estimate), calling meanwhile extends the block.
    RateLimited { retry_after: Option<Duration> },
    /// The 24-hour (or tag) messaging window has closed for this person.
    WindowLapsed,
    /// The access token is no longer valid: the channel must be reconnected.
    TokenLost,
    /// A permission (e.g. `pages_messaging`) is missing or was revoked.
    PermissionMissing,
    /// The person cannot receive messages (blocked, unavailable, deleted).
    RecipientUnavailable,
    /// Retrying will not help (bad parameter, policy, thread owned by another
    /// app, Page restricted, …); show the reason.
    Permanent,
}

impl GraphError {
    /// How the caller should react, per the Messenger error table.
    pub fn class(&self) -> ErrorClass {
        match self {
            GraphError::Api {
                code,
                subcode,
                is_transient,
                retry_after_minutes,
                ..
            } => classify(*code, *subcode, *is_transient, *retry_after_minutes),
            GraphError::Transport { .. } => ErrorClass::Retryable,
            GraphError::Decode { http_status, .. } if *http_status >= 500 => ErrorClass::Retryable,
            GraphError::Decode { .. }
            | GraphError::InvalidRequest { .. }
            | GraphError::Unsuccessful { .. } => ErrorClass::Permanent,
        }
    }

    /// The Graph error code, for errors that carry one.
    pub fn code(&self) -> Option<(i64, Option<i64>)> {
        match self {
            GraphError::Api { code, subcode, .. } => Some((*code, *subcode)),
            _ => None,
        }
    }

    pub(crate) fn transport(err: reqwest::Error) -> Self {
        let timeout = err.is_timeout();
        // The URL carries the access token: never let it into the message.
        let err = err.without_url();
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        GraphError::Transport { timeout, message }
    }
}

/// The classification table of §5 and §9 of the protocol notes.
pub fn classify(
    code: i64,
    subcode: Option<i64>,
    is_transient: bool,
    retry_after_minutes: Option<u64>,
) -> ErrorClass {
    use ErrorClass::*;
    let rate_limited = RateLimited {
        retry_after: retry_after_minutes.map(|m| Duration::from_secs(m.saturating_mul(60))),
    };
    match (code, subcode) {
        // Token invalid, whatever the subcode (458, 460, 463, 467, 492, 493…).
        (190, _) => TokenLost,
        // Message deleted: nothing to do, nothing to retry.
        (9_000_001, _) => Permanent,
        // Outside the window (standard, news, Instagram).
        (10, Some(2_018_278 | 2_018_065 | 2_534_022)) => WindowLapsed,
        // "They can't receive your messages right now".
        (10, Some(2_018_108)) => RecipientUnavailable,
        // Page restricted or feature-limited: an admin must look.
        (10, Some(1_893_063)) | (2022, _) => Permanent,
        // Another app controls the thread (handover protocol).
        (10, Some(2_018_300)) | (2_018_300, _) => Permanent,
        // Person not available / blocked.
        (551, _) | (200, Some(1_545_041)) => RecipientUnavailable,
        // Permission missing or revoked.
        (10, _) | (200, _) => PermissionMissing,
        // Tag overuse warning: stop tagged sends, pausing would not help.
        (613, Some(2_018_338)) => Permanent,
        // Rate limits.
        (4 | 17 | 32 | 613 | 80_001 | 80_006, _) => rate_limited,
        // Unknown / temporary.
        (1 | 2 | 1200 | -1, _) => Retryable,
        // Bad parameter, no matching user, unknown object, deprecated tag.
        (100, _) => Permanent,
        _ if is_transient => Retryable,
        _ => Permanent,
    }
}

/// Reads a Graph error envelope `{"error":{...}}` from a response body.
pub(crate) fn parse_envelope(
    http_status: u16,
    body: &[u8],
    buc_header: Option<&str>,
) -> Option<GraphError> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let e = v.get("error")?.as_object()?;
    let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
    let code = e.get("code").and_then(crate::lenient::int_of).unwrap_or(-1);
    Some(GraphError::Api {
        http_status,
        code,
        subcode: e.get("error_subcode").and_then(crate::lenient::int_of),
        message: text("message").unwrap_or_default(),
        error_type: text("type"),
        fbtrace_id: text("fbtrace_id"),
        is_transient: crate::lenient::flag_of(e.get("is_transient")),
        retry_after_minutes: buc_header.and_then(regain_access_minutes),
    })
}

/// A token error told only by `WWW-Authenticate: OAuth "Facebook Platform"
/// "invalid_token" "<message>"` (a 4xx without an error envelope).
pub(crate) fn from_www_authenticate(http_status: u16, header: Option<&str>) -> Option<GraphError> {
    let header = header?;
    if !(400..500).contains(&http_status) || !header.contains("\"invalid_token\"") {
        return None;
    }
    let message = header
        .rsplit('"')
        .nth(1)
        .filter(|m| *m != "invalid_token")
        .unwrap_or("invalid token")
        .to_owned();
    Some(GraphError::Api {
        http_status,
        code: 190,
        subcode: None,
        message,
        error_type: Some("OAuthException".to_owned()),
        fbtrace_id: None,
        is_transient: false,
        retry_after_minutes: None,
    })
}

/// The largest `estimated_time_to_regain_access` in an
/// `X-Business-Use-Case-Usage` header value (`{"<id>":[{...}]}`).
pub fn regain_access_minutes(header: &str) -> Option<u64> {
    let v: Value = serde_json::from_str(header).ok()?;
    v.as_object()?
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|u| u.get("estimated_time_to_regain_access"))
        .filter_map(crate::lenient::int_of)
        .filter_map(|m| u64::try_from(m).ok())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorClass::*;

    fn class(code: i64, sub: Option<i64>) -> ErrorClass {
        classify(code, sub, false, None)
    }

    #[test]
    fn temporary_failures_are_retryable() {
        for code in [1, 2, 1200, -1] {
            assert_eq!(class(code, None), Retryable, "code {code}");
        }
        assert_eq!(class(1200, Some(2_018_000)), Retryable);
    }

    #[test]
    fn rate_limit_codes_pause_with_the_regain_estimate() {
        for code in [4, 17, 32, 613, 80_001, 80_006] {
            assert_eq!(class(code, None), RateLimited { retry_after: None });
        }
        assert_eq!(
            classify(80_006, None, true, Some(7)),
            RateLimited {
                retry_after: Some(Duration::from_secs(420))
            }
        );
    }

    #[test]
    fn tag_overuse_is_not_a_pause() {
        assert_eq!(class(613, Some(2_018_338)), Permanent);
    }

    #[test]
    fn outside_the_window_is_window_lapsed() {
        assert_eq!(class(10, Some(2_018_278)), WindowLapsed);
        assert_eq!(class(10, Some(2_018_065)), WindowLapsed);
        assert_eq!(class(10, Some(2_534_022)), WindowLapsed);
    }

    #[test]
    fn unreachable_people_are_recipient_unavailable() {
        assert_eq!(class(10, Some(2_018_108)), RecipientUnavailable);
        assert_eq!(class(551, None), RecipientUnavailable);
        assert_eq!(class(551, Some(1_545_041)), RecipientUnavailable);
        assert_eq!(class(200, Some(1_545_041)), RecipientUnavailable);
    }

    #[test]
    fn restricted_pages_and_foreign_thread_owners_are_permanent() {
        assert_eq!(class(10, Some(1_893_063)), Permanent);
        assert_eq!(class(2022, None), Permanent);
        assert_eq!(class(10, Some(2_018_300)), Permanent);
        assert_eq!(class(2_018_300, None), Permanent);
    }

    #[test]
    fn missing_permissions_are_named() {
        assert_eq!(class(10, None), PermissionMissing);
        assert_eq!(class(200, None), PermissionMissing);
        assert_eq!(class(200, Some(2_018_028)), PermissionMissing);
    }

    #[test]
    fn bad_parameters_and_deleted_messages_are_permanent() {
        assert_eq!(class(100, None), Permanent);
        assert_eq!(class(100, Some(2_018_001)), Permanent);
        assert_eq!(class(100, Some(33)), Permanent);
        assert_eq!(class(100, Some(1_893_061)), Permanent);
        assert_eq!(class(9_000_001, None), Permanent);
    }

    #[test]
    fn every_token_error_is_token_lost() {
        for sub in [None, Some(458), Some(459), Some(460), Some(463)] {
            assert_eq!(class(190, sub), TokenLost);
        }
        for sub in [464, 467, 492, 493] {
            assert_eq!(class(190, Some(sub)), TokenLost);
        }
        // Even when flagged transient, a dead token stays dead.
        assert_eq!(classify(190, Some(460), true, None), TokenLost);
    }

    #[test]
    fn unknown_codes_follow_is_transient() {
        assert_eq!(classify(12345, None, true, None), Retryable);
        assert_eq!(classify(12345, None, false, None), Permanent);
    }

    #[test]
    fn a_5xx_without_an_envelope_is_retryable_but_a_4xx_is_not() {
        let e = |s| GraphError::Decode {
            http_status: s,
            operation: "send",
            message: "not json".into(),
        };
        assert_eq!(e(502).class(), Retryable);
        assert_eq!(e(404).class(), Permanent);
        let t = GraphError::Transport {
            timeout: true,
            message: "x".into(),
        };
        assert_eq!(t.class(), Retryable);
    }

    #[test]
    fn the_class_ignores_the_http_status() {
        let body = br#"{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"A1b2C3"}}"#;
        let e = parse_envelope(500, body, None).unwrap();
        assert_eq!(e.class(), WindowLapsed);
        let body = br#"{"error":{"message":"Temporary send message failure","code":1200,"is_transient":true}}"#;
        assert_eq!(parse_envelope(400, body, None).unwrap().class(), Retryable);
    }

    #[test]
    fn the_envelope_fields_are_all_read() {
        let body = br#"{"error":{"message":"Calls to this api have exceeded the rate limit.","type":"OAuthException","code":"80006","error_subcode":"2446079","is_transient":true,"error_user_title":"Slow down","error_user_msg":"Try later","fbtrace_id":"AbC"}}"#;
        let buc = r#"{"1234":[{"type":"messenger","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":12}],"99":[{"type":"pages","estimated_time_to_regain_access":3}]}"#;
        let e = parse_envelope(400, body, Some(buc)).unwrap();
        assert_eq!(
            e,
            GraphError::Api {
                http_status: 400,
                code: 80006,
                subcode: Some(2_446_079),
                message: "Calls to this api have exceeded the rate limit.".into(),
                error_type: Some("OAuthException".into()),
                fbtrace_id: Some("AbC".into()),
                is_transient: true,
                retry_after_minutes: Some(12),
            }
        );
        assert_eq!(
            e.class(),
            RateLimited {
                retry_after: Some(Duration::from_secs(720))
            }
        );
        assert!(e.to_string().contains("80006/2446079"));
    }

    #[test]
    fn a_body_without_an_error_object_is_not_an_envelope() {
        assert!(parse_envelope(500, b"<html>Bad gateway</html>", None).is_none());
        assert!(parse_envelope(400, br#"{"data":[]}"#, None).is_none());
    }

    #[test]
    fn an_invalid_token_header_without_a_body_is_token_lost() {
        let h = r#"OAuth "Facebook Platform" "invalid_token" "Error validating access token: Session has expired""#;
        let e = from_www_authenticate(401, Some(h)).unwrap();
        assert_eq!(e.class(), TokenLost);
        assert!(e.to_string().contains("Session has expired"));
        assert!(from_www_authenticate(401, Some(r#"Basic realm="x""#)).is_none());
        assert!(from_www_authenticate(200, Some(h)).is_none());
    }

    #[test]
    fn a_usage_header_without_estimates_gives_none() {
        assert_eq!(
            regain_access_minutes(r#"{"1":[{"type":"pages","call_count":5}]}"#),
            None
        );
        assert_eq!(regain_access_minutes("not json"), None);
    }
}
