//! The Messenger messaging window: a Page may reply freely for 24 hours after
//! the visitor's last message; from 24 hours to 7 days only a human agent may
//! reply, with the `HUMAN_AGENT` tag, and only if the Page's app is approved
//! for it; after that nothing can be sent until the visitor writes again.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// The standard window after the visitor's last inbound message.
pub const STANDARD_WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// The `HUMAN_AGENT` window after the visitor's last inbound message.
pub const HUMAN_AGENT_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);

/// What an agent sees when a reply can no longer be sent (exact product text).
pub const WINDOW_LAPSED_MESSAGE: &str = "Sorry, your message can no longer send; the 24-hour message window has lapsed. Close this enquiry, or wait until the visitor sends a message again.";

/// Where a conversation stands in the messaging window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WindowState {
    /// Inside 24 hours: any reply goes out as `RESPONSE`.
    Open { ends_at: Timestamp },
    /// 24 hours to 7 days: only a human reply, tagged `HUMAN_AGENT`, if allowed.
    HumanAgent { ends_at: Timestamp },
    /// Past 7 days: nothing can be sent until the visitor writes again.
    Lapsed,
}

/// Computes the window; see [`MessagingWindow::at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessagingWindow;

impl MessagingWindow {
    /// The window at `now` for a conversation whose last inbound message (from
    /// the visitor, never an echo of ours) arrived at `last_inbound`. Each
    /// window is half-open: at exactly 24 hours the standard window has ended.
    pub fn at(last_inbound: Timestamp, now: Timestamp) -> WindowState {
        let standard_end = last_inbound
            .saturating_add(STANDARD_WINDOW)
            .unwrap_or(last_inbound);
        let human_end = last_inbound
            .saturating_add(HUMAN_AGENT_WINDOW)
            .unwrap_or(last_inbound);
        if now < standard_end {
            WindowState::Open {
                ends_at: standard_end,
            }
        } else if now < human_end {
            WindowState::HumanAgent { ends_at: human_end }
        } else {
            WindowState::Lapsed
        }
    }
}

/// The only tag omnidesk sends (the others are deprecated or not for chat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageTag {
    #[serde(rename = "HUMAN_AGENT")]
    HumanAgent,
}

impl MessageTag {
    /// The Send API's `tag` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HumanAgent => "HUMAN_AGENT",
        }
    }
}

/// How a message is sent: the Send API's `messaging_type` (and `tag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "messaging_type", content = "tag")]
pub enum MessagingType {
    #[serde(rename = "RESPONSE")]
    Response,
    #[serde(rename = "MESSAGE_TAG")]
    MessageTag(MessageTag),
}

impl MessagingType {
    /// The Send API's `messaging_type` value.
    pub fn api_messaging_type(self) -> &'static str {
        match self {
            Self::Response => "RESPONSE",
            Self::MessageTag(_) => "MESSAGE_TAG",
        }
    }

    /// The Send API's `tag` value, when there is one.
    pub fn api_tag(self) -> Option<&'static str> {
        match self {
            Self::Response => None,
            Self::MessageTag(tag) => Some(tag.as_str()),
        }
    }
}

/// Why a message cannot be sent after 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LapseReason {
    /// More than 7 days since the visitor's last message.
    PastSevenDays,
    /// The channel does not allow the `HUMAN_AGENT` tag.
    HumanAgentTagNotAllowed,
    /// Automatic messages (welcome, away) may never use the tag.
    AutomaticMessage,
}

/// A message refused because the window has lapsed for it. Shown to agents
/// as exactly [`WINDOW_LAPSED_MESSAGE`]; `reason` is for logs and admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{}", WINDOW_LAPSED_MESSAGE)]
pub struct WindowLapsed {
    pub reason: LapseReason,
}

/// How a message may be sent in `window`: inside 24 hours as `RESPONSE`;
/// from 24 hours to 7 days as `MESSAGE_TAG`/`HUMAN_AGENT`, only for a reply a
/// human typed and only if the channel allows the tag; otherwise refused.
/// The tag is never used inside 24 hours (Meta penalises tagging every message).
pub fn send_policy(
    window: WindowState,
    is_human_reply: bool,
    human_agent_tag_allowed: bool,
) -> Result<MessagingType, WindowLapsed> {
    match window {
        WindowState::Open { .. } => Ok(MessagingType::Response),
        WindowState::HumanAgent { .. } if !is_human_reply => Err(WindowLapsed {
            reason: LapseReason::AutomaticMessage,
        }),
        WindowState::HumanAgent { .. } if !human_agent_tag_allowed => Err(WindowLapsed {
            reason: LapseReason::HumanAgentTagNotAllowed,
        }),
        WindowState::HumanAgent { .. } => Ok(MessagingType::MessageTag(MessageTag::HumanAgent)),
        WindowState::Lapsed => Err(WindowLapsed {
            reason: LapseReason::PastSevenDays,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_window_is_open_for_24_hours_after_the_visitors_last_message() {
        let last = ts("2026-03-01T10:00:00Z");
        let end = ts("2026-03-02T10:00:00Z");
        assert_eq!(
            MessagingWindow::at(last, ts("2026-03-02T09:59:59Z")),
            WindowState::Open { ends_at: end }
        );
        assert_eq!(
            MessagingWindow::at(last, end),
            WindowState::HumanAgent {
                ends_at: ts("2026-03-08T10:00:00Z")
            }
        );
        assert_eq!(
            MessagingWindow::at(last, ts("2026-03-08T10:00:00Z")),
            WindowState::Lapsed
        );
    }

    #[test]
    fn a_clock_slightly_behind_the_last_message_still_counts_as_open() {
        let last = ts("2026-03-01T10:00:00Z");
        assert!(matches!(
            MessagingWindow::at(last, ts("2026-03-01T09:59:00Z")),
            WindowState::Open { .. }
        ));
    }

    #[test]
    fn inside_24_hours_every_message_is_a_plain_response() {
        let open = MessagingWindow::at(ts("2026-03-01T10:00:00Z"), ts("2026-03-01T11:00:00Z"));
        for (human, allowed) in [(true, true), (true, false), (false, true), (false, false)] {
            assert_eq!(
                send_policy(open, human, allowed),
                Ok(MessagingType::Response)
            );
        }
    }

    #[test]
    fn after_24_hours_only_a_human_reply_on_an_allowed_channel_is_tagged() {
        let late = MessagingWindow::at(ts("2026-03-01T10:00:00Z"), ts("2026-03-03T10:00:00Z"));
        let tagged = send_policy(late, true, true).unwrap();
        assert_eq!(tagged.api_messaging_type(), "MESSAGE_TAG");
        assert_eq!(tagged.api_tag(), Some("HUMAN_AGENT"));
        assert_eq!(
            send_policy(late, false, true).unwrap_err().reason,
            LapseReason::AutomaticMessage
        );
        assert_eq!(
            send_policy(late, true, false).unwrap_err().reason,
            LapseReason::HumanAgentTagNotAllowed
        );
    }

    #[test]
    fn after_7_days_the_agent_sees_the_exact_lapsed_message() {
        let err = send_policy(WindowState::Lapsed, true, true).unwrap_err();
        assert_eq!(err.reason, LapseReason::PastSevenDays);
        assert_eq!(
            err.to_string(),
            "Sorry, your message can no longer send; the 24-hour message window has lapsed. Close this enquiry, or wait until the visitor sends a message again."
        );
    }

    #[test]
    fn messaging_types_serialize_as_the_send_api_spells_them() {
        assert_eq!(
            serde_json::to_value(MessagingType::Response).unwrap(),
            serde_json::json!({"messaging_type": "RESPONSE"})
        );
        assert_eq!(
            serde_json::to_value(MessagingType::MessageTag(MessageTag::HumanAgent)).unwrap(),
            serde_json::json!({"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"})
        );
        assert_eq!(MessagingType::Response.api_tag(), None);
    }
}
