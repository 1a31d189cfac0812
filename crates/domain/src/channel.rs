//! Channels: a connected Facebook Page (or, later, another kind of inbox) with
//! a name an admin chose and a status saying whether it takes enquiries.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// A channel's display name: 1–40 characters (not bytes), trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChannelName(String);

impl ChannelName {
    /// Most characters a channel name may have.
    pub const MAX_CHARS: usize = 40;

    /// Trims `value` and checks its length; the error names the field `name`.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        crate::staff::parse_name("name", value, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChannelName {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ChannelName> for String {
    fn from(value: ChannelName) -> Self {
        value.0
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a channel takes enquiries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    /// Taking enquiries.
    Active,
    /// Stopped by an admin; data kept, webhooks still stored but not routed.
    Suspended,
    /// Page access lost (admin rights removed, app removed, token invalid);
    /// only logging in with Facebook again brings it back.
    Disconnected,
}

text_enum!(ChannelStatus {
    Active => "active",
    Suspended => "suspended",
    Disconnected => "disconnected",
});

impl ChannelStatus {
    /// Only an active channel routes new enquiries and sends messages.
    pub fn takes_enquiries(self) -> bool {
        self == Self::Active
    }

    /// An admin suspends an active channel. Suspending twice is harmless;
    /// a disconnected channel cannot be suspended (it must be reconnected).
    pub fn suspend(self) -> Result<Self, ValidationError> {
        match self {
            Self::Active | Self::Suspended => Ok(Self::Suspended),
            Self::Disconnected => Err(ValidationError::new(
                "status",
                "a disconnected channel must be reconnected with Facebook first",
            )),
        }
    }

    /// An admin resumes a suspended channel. Resuming an active channel is
    /// harmless; a disconnected one needs a new Facebook login, not a resume.
    pub fn resume(self) -> Result<Self, ValidationError> {
        match self {
            Self::Active | Self::Suspended => Ok(Self::Active),
            Self::Disconnected => Err(ValidationError::new(
                "status",
                "a disconnected channel must be reconnected with Facebook first",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_name_is_trimmed_and_counted_in_characters() {
        let name = ChannelName::parse("  Support Zürich  ").unwrap();
        assert_eq!(name.as_str(), "Support Zürich");
        // 40 multi-byte characters are fine, 41 are not.
        assert!(ChannelName::parse(&"ü".repeat(40)).is_ok());
        let err = ChannelName::parse(&"ü".repeat(41)).unwrap_err();
        assert_eq!(err.field, "name");
        assert_eq!(err.rule, "must be at most 40 characters (got 41)");
    }

    #[test]
    fn an_empty_channel_name_is_refused() {
        let err = ChannelName::parse(" \t ").unwrap_err();
        assert_eq!(err, ValidationError::new("name", "must not be empty"));
    }

    #[test]
    fn a_channel_name_deserializes_only_when_valid() {
        let name: ChannelName = serde_json::from_str("\" Sales \"").unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"Sales\"");
        assert!(serde_json::from_str::<ChannelName>("\"\"").is_err());
    }

    #[test]
    fn statuses_round_trip_through_their_text_form() {
        for status in [
            ChannelStatus::Active,
            ChannelStatus::Suspended,
            ChannelStatus::Disconnected,
        ] {
            assert_eq!(status.as_str().parse::<ChannelStatus>().unwrap(), status);
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
        let err = "paused".parse::<ChannelStatus>().unwrap_err();
        assert_eq!(err.rule, "must be one of: active suspended disconnected");
    }

    #[test]
    fn a_suspended_channel_resumes_but_a_disconnected_one_needs_reconnecting() {
        let suspended = ChannelStatus::Active.suspend().unwrap();
        assert_eq!(suspended, ChannelStatus::Suspended);
        assert!(!suspended.takes_enquiries());
        assert_eq!(suspended.resume().unwrap(), ChannelStatus::Active);
        assert!(ChannelStatus::Active.takes_enquiries());
        let err = ChannelStatus::Disconnected.resume().unwrap_err();
        assert!(err.rule.contains("reconnected"), "{err}");
        assert!(ChannelStatus::Disconnected.suspend().is_err());
    }
}
