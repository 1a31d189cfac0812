//! The limits the product keeps: message length, file size, concurrent
//! visitors — and composing a staff reply exactly as it will be sent.

use serde::{Deserialize, Serialize};

use crate::messages::DisplayNameFormat;

/// Most characters in one outgoing Messenger text, counted as sent (with the
/// display-name prefix).
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Largest file a staff member may send or a visitor's file we keep (Messenger's
/// per-asset limit).
pub const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;
/// Default most visitors an account serves at once (configurable per account).
pub const DEFAULT_MAX_CONCURRENT_VISITORS: u32 = 200;

/// A limit a message, file or visitor breaks, with the numbers to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum LimitError {
    #[error("a message cannot be empty")]
    EmptyMessage,
    #[error("a message {}", crate::text::NO_CONTROL_CHARACTERS_BUT_LINES)]
    ControlCharacters,
    #[error("a message may have at most {limit} characters as sent (this one has {length})")]
    MessageTooLong { limit: usize, length: usize },
    #[error("a file cannot be empty")]
    EmptyFile,
    #[error("a file may be at most {limit} bytes (25 MB); this one is {size} bytes")]
    FileTooLarge { limit: u64, size: u64 },
    #[error("the account already serves its maximum of {limit} concurrent visitors")]
    TooManyVisitors { limit: u32 },
}

/// The names a staff member may be shown by, for the display-name prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffNames {
    pub first_name: String,
    pub display_name: String,
}

/// The text as the visitor will receive it: `Ann: hello` with a name format,
/// `hello` with none. A blank name leaves the text unprefixed rather than
/// sending `: hello`. Refuses empty texts and texts over
/// [`MAX_MESSAGE_CHARS`] *as sent*, so the agent learns before sending.
pub fn compose_outgoing_text(
    format: DisplayNameFormat,
    staff: &StaffNames,
    text: &str,
) -> Result<String, LimitError> {
    if text.trim().is_empty() {
        return Err(LimitError::EmptyMessage);
    }
    if crate::text::check_lines("text", text).is_err() {
        return Err(LimitError::ControlCharacters);
    }
    let name = match format {
        DisplayNameFormat::None => "",
        DisplayNameFormat::FirstName => staff.first_name.trim(),
        DisplayNameFormat::DisplayName => staff.display_name.trim(),
    };
    let composed = if name.is_empty() {
        text.to_owned()
    } else {
        format!("{name}: {text}")
    };
    let length = composed.chars().count();
    if length > MAX_MESSAGE_CHARS {
        return Err(LimitError::MessageTooLong {
            limit: MAX_MESSAGE_CHARS,
            length,
        });
    }
    Ok(composed)
}

/// A file of 1 byte to [`MAX_FILE_BYTES`].
pub fn check_file_size(size: u64) -> Result<(), LimitError> {
    match size {
        0 => Err(LimitError::EmptyFile),
        s if s > MAX_FILE_BYTES => Err(LimitError::FileTooLarge {
            limit: MAX_FILE_BYTES,
            size,
        }),
        _ => Ok(()),
    }
}

/// Whether one more visitor may start being served, given how many are
/// served now and the account's maximum.
pub fn check_new_visitor(concurrent_visitors: u32, max: u32) -> Result<(), LimitError> {
    if concurrent_visitors < max {
        Ok(())
    } else {
        Err(LimitError::TooManyVisitors { limit: max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> StaffNames {
        StaffNames {
            first_name: "Ann".into(),
            display_name: "Ann S. (Support)".into(),
        }
    }

    #[test]
    fn a_reply_keeps_line_breaks_but_not_nul() {
        let staff = StaffNames {
            first_name: "Ann".into(),
            display_name: "Ann B".into(),
        };
        assert_eq!(
            compose_outgoing_text(DisplayNameFormat::None, &staff, "Hi,\n\tthere").unwrap(),
            "Hi,\n\tthere"
        );
        assert_eq!(
            compose_outgoing_text(DisplayNameFormat::None, &staff, "bad\u{0}text"),
            Err(LimitError::ControlCharacters)
        );
    }

    #[test]
    fn the_display_name_format_decides_the_prefix() {
        let text = "Hello, how can I help?";
        assert_eq!(
            compose_outgoing_text(DisplayNameFormat::None, &ann(), text).unwrap(),
            text
        );
        assert_eq!(
            compose_outgoing_text(DisplayNameFormat::FirstName, &ann(), text).unwrap(),
            "Ann: Hello, how can I help?"
        );
        assert_eq!(
            compose_outgoing_text(DisplayNameFormat::DisplayName, &ann(), text).unwrap(),
            "Ann S. (Support): Hello, how can I help?"
        );
    }

    #[test]
    fn a_blank_name_sends_the_text_without_a_dangling_colon() {
        let nameless = StaffNames {
            first_name: "  ".into(),
            display_name: String::new(),
        };
        assert_eq!(
            compose_outgoing_text(DisplayNameFormat::FirstName, &nameless, "hi").unwrap(),
            "hi"
        );
    }

    #[test]
    fn the_2000_character_limit_counts_the_prefix_and_characters_not_bytes() {
        let exactly = "ö".repeat(MAX_MESSAGE_CHARS);
        assert!(compose_outgoing_text(DisplayNameFormat::None, &ann(), &exactly).is_ok());
        // "Ann: " adds five characters, which tips it over.
        let err =
            compose_outgoing_text(DisplayNameFormat::FirstName, &ann(), &exactly).unwrap_err();
        assert_eq!(
            err,
            LimitError::MessageTooLong {
                limit: 2000,
                length: 2005
            }
        );
        assert_eq!(
            err.to_string(),
            "a message may have at most 2000 characters as sent (this one has 2005)"
        );
    }

    #[test]
    fn an_empty_reply_is_refused() {
        assert_eq!(
            compose_outgoing_text(DisplayNameFormat::FirstName, &ann(), " \n "),
            Err(LimitError::EmptyMessage)
        );
    }

    #[test]
    fn files_up_to_25_megabytes_are_accepted() {
        assert!(check_file_size(1).is_ok());
        assert!(check_file_size(25 * 1024 * 1024).is_ok());
        assert_eq!(
            check_file_size(25 * 1024 * 1024 + 1),
            Err(LimitError::FileTooLarge {
                limit: MAX_FILE_BYTES,
                size: 25 * 1024 * 1024 + 1
            })
        );
        assert_eq!(check_file_size(0), Err(LimitError::EmptyFile));
    }

    #[test]
    fn the_visitor_limit_admits_up_to_the_maximum() {
        assert!(check_new_visitor(199, DEFAULT_MAX_CONCURRENT_VISITORS).is_ok());
        assert_eq!(
            check_new_visitor(200, DEFAULT_MAX_CONCURRENT_VISITORS),
            Err(LimitError::TooManyVisitors { limit: 200 })
        );
    }

    #[test]
    fn limit_errors_serialize_with_a_code_and_their_numbers() {
        let json = serde_json::to_value(LimitError::MessageTooLong {
            limit: 2000,
            length: 2001,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "message_too_long", "limit": 2000, "length": 2001})
        );
    }
}
