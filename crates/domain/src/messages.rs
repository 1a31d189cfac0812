//! A channel's message settings: how staff names appear on replies, and the
//! automatic welcome and away messages.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::limits::MAX_MESSAGE_CHARS;
use crate::ValidationError;

/// How a staff reply is titled for the visitor (see [`crate::limits::compose_outgoing_text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayNameFormat {
    /// The reply is sent as typed.
    None,
    /// `Ann: hello` — personal without giving away a full name.
    #[default]
    FirstName,
    /// `Ann S. (Support): hello` — whatever display name the staff member chose.
    DisplayName,
}

text_enum!(DisplayNameFormat {
    None => "none",
    FirstName => "first_name",
    DisplayName => "display_name",
});

/// Sent on a visitor's very first message to a channel.
pub const DEFAULT_WELCOME_MESSAGE: &str =
    "Thanks for your message! One of our team will be with you shortly.";
/// Sent when an enquiry is missed (nobody could take it).
pub const DEFAULT_AWAY_MESSAGE: &str =
    "Sorry, nobody is available to answer right now. We have your message and will reply as soon as we can.";

/// The text of an automatic message: 1–2000 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AutoMessage(String);

impl AutoMessage {
    /// Trims `value` and checks it fits one Messenger message; errors name `field`.
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        crate::staff::parse_text(field, value, MAX_MESSAGE_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn default_welcome() -> Self {
        Self(DEFAULT_WELCOME_MESSAGE.to_owned())
    }

    pub fn default_away() -> Self {
        Self(DEFAULT_AWAY_MESSAGE.to_owned())
    }
}

impl TryFrom<String> for AutoMessage {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("message", &value)
    }
}

impl From<AutoMessage> for String {
    fn from(value: AutoMessage) -> Self {
        value.0
    }
}

impl fmt::Display for AutoMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A channel's message settings, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSettings {
    pub display_name_format: DisplayNameFormat,
    pub welcome_message: AutoMessage,
    pub away_message: AutoMessage,
    /// Whether staff may reply 24 hours to 7 days after the visitor's last
    /// message with the `HUMAN_AGENT` tag. Off by default: the Page's app needs
    /// Meta's approval for the Human Agent permission first.
    pub human_agent_tag: bool,
}

impl Default for MessageSettings {
    fn default() -> Self {
        Self {
            display_name_format: DisplayNameFormat::default(),
            welcome_message: AutoMessage::default_welcome(),
            away_message: AutoMessage::default_away(),
            human_agent_tag: false,
        }
    }
}

/// Message settings as the API takes them; anything left out keeps its default.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MessageSettingsInput {
    #[serde(default)]
    pub display_name_format: Option<String>,
    #[serde(default)]
    pub welcome_message: Option<String>,
    #[serde(default)]
    pub away_message: Option<String>,
    #[serde(default)]
    pub human_agent_tag: Option<bool>,
}

impl MessageSettings {
    /// Validates API input; errors name fields as `messages.welcome_message`.
    pub fn parse(input: &MessageSettingsInput) -> Result<Self, ValidationError> {
        let defaults = Self::default();
        let display_name_format = match &input.display_name_format {
            Some(text) => text.parse().map_err(|e: ValidationError| {
                ValidationError::new("messages.display_name_format", e.rule)
            })?,
            None => defaults.display_name_format,
        };
        let message = |field: &str, value: &Option<String>, default: AutoMessage| match value {
            Some(text) => AutoMessage::parse(&format!("messages.{field}"), text),
            None => Ok(default),
        };
        Ok(Self {
            display_name_format,
            welcome_message: message(
                "welcome_message",
                &input.welcome_message,
                defaults.welcome_message,
            )?,
            away_message: message("away_message", &input.away_message, defaults.away_message)?,
            human_agent_tag: input.human_agent_tag.unwrap_or(defaults.human_agent_tag),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_messages_keep_line_breaks_but_refuse_nul() {
        let text =
            AutoMessage::parse("messages.welcome", "Hello!\nWe answer within the hour.").unwrap();
        assert_eq!(text.as_str(), "Hello!\nWe answer within the hour.");
        let e = AutoMessage::parse("messages.welcome", "Hello\u{0}").unwrap_err();
        assert_eq!(e.field, "messages.welcome");
        assert_eq!(e.rule, crate::text::NO_CONTROL_CHARACTERS_BUT_LINES);
    }

    #[test]
    fn defaults_are_short_professional_and_fit_one_message() {
        let settings = MessageSettings::default();
        assert_eq!(settings.display_name_format, DisplayNameFormat::FirstName);
        assert!(!settings.human_agent_tag);
        for text in [DEFAULT_WELCOME_MESSAGE, DEFAULT_AWAY_MESSAGE] {
            assert!(AutoMessage::parse("m", text).is_ok());
            assert!(
                text.chars().count() < 160,
                "{text} is too long for a greeting"
            );
        }
    }

    #[test]
    fn an_auto_message_takes_up_to_2000_characters() {
        assert!(AutoMessage::parse("welcome_message", &"é".repeat(2000)).is_ok());
        let err = AutoMessage::parse("welcome_message", &"é".repeat(2001)).unwrap_err();
        assert_eq!(err.field, "welcome_message");
        assert_eq!(err.rule, "must be at most 2000 characters (got 2001)");
        assert!(AutoMessage::parse("away_message", "   ").is_err());
    }

    #[test]
    fn display_name_formats_use_their_api_names() {
        let json = serde_json::to_string(&DisplayNameFormat::DisplayName).unwrap();
        assert_eq!(json, "\"display_name\"");
        assert_eq!(
            "none".parse::<DisplayNameFormat>().unwrap(),
            DisplayNameFormat::None
        );
    }

    #[test]
    fn settings_input_keeps_defaults_for_what_it_leaves_out() {
        let input: MessageSettingsInput =
            serde_json::from_str(r#"{"welcome_message":" Hello there! "}"#).unwrap();
        let settings = MessageSettings::parse(&input).unwrap();
        assert_eq!(settings.welcome_message.as_str(), "Hello there!");
        assert_eq!(settings.away_message, AutoMessage::default_away());
        assert_eq!(settings.display_name_format, DisplayNameFormat::FirstName);
    }

    #[test]
    fn settings_input_errors_name_the_api_field() {
        let input = MessageSettingsInput {
            away_message: Some(String::new()),
            ..Default::default()
        };
        let err = MessageSettings::parse(&input).unwrap_err();
        assert_eq!(err.field, "messages.away_message");
        let input = MessageSettingsInput {
            display_name_format: Some("full_name".into()),
            ..Default::default()
        };
        let err = MessageSettings::parse(&input).unwrap_err();
        assert_eq!(err.field, "messages.display_name_format");
        assert_eq!(err.rule, "must be one of: none first_name display_name");
    }

    #[test]
    fn settings_round_trip_through_json() {
        let settings = MessageSettings {
            human_agent_tag: true,
            display_name_format: DisplayNameFormat::None,
            ..Default::default()
        };
        let json = serde_json::to_value(&settings).unwrap();
        assert_eq!(json["display_name_format"], "none");
        let back: MessageSettings = serde_json::from_value(json).unwrap();
        assert_eq!(back, settings);
    }
}
