//! Staff members, their roles and availability, and destinations (teams).

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// What a staff member may do. Admins manage the account; agents serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Agent,
}

/// Whether a staff member can be offered enquiries right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Available,
    Away,
    Offline,
}

/// How a destination picks who is offered an enquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistributionStrategy {
    /// Offer to every available member with free capacity; first to accept wins.
    RingAll,
    /// Offer to one member at a time, the one idle the longest.
    LongestIdle,
}

text_enum!(Role { Admin => "admin", Agent => "agent" });
text_enum!(Availability { Available => "available", Away => "away", Offline => "offline" });
text_enum!(DistributionStrategy { RingAll => "ring_all", LongestIdle => "longest_idle" });

/// A staff member's id (a UUID string created by the store).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffId(pub String);

impl StaffId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for StaffId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for StaffId {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for StaffId {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// Default number of enquiries a staff member serves at once.
pub const DEFAULT_CAPACITY: u32 = 5;
/// Most enquiries one staff member may be configured to serve at once.
pub const MAX_CAPACITY: u32 = 100;
/// Default seconds a destination waits for an offer to be accepted.
pub const DEFAULT_OFFER_TIMEOUT_SECS: u32 = 30;

/// A trimmed, non-empty name of at most `max` characters (not bytes).
pub fn parse_name(field: &str, value: &str, max: usize) -> Result<String, ValidationError> {
    let name = parse_length(field, value, max)?;
    crate::text::check_line(field, &name)?;
    Ok(name)
}

/// Like [`parse_name`], for text of several lines (line breaks and tabs kept).
pub fn parse_text(field: &str, value: &str, max: usize) -> Result<String, ValidationError> {
    let text = parse_length(field, value, max)?;
    crate::text::check_lines(field, &text)?;
    Ok(text)
}

/// Trims `value` and checks it has 1 to `max` characters.
fn parse_length(field: &str, value: &str, max: usize) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if chars > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters (got {chars})"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A lower-cased e-mail address with one `@`, a local part and a dotted domain.
pub fn parse_email(value: &str) -> Result<String, ValidationError> {
    let email = value.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(ValidationError::new(
            "email",
            "must be an e-mail address like name@example.com",
        ))
    }
}

/// A password of 10 to 1024 characters.
pub fn check_password(value: &str) -> Result<(), ValidationError> {
    let chars = value.chars().count();
    if chars < 10 {
        return Err(ValidationError::new(
            "password",
            "must be at least 10 characters",
        ));
    }
    if chars > 1024 {
        return Err(ValidationError::new(
            "password",
            "must be at most 1024 characters",
        ));
    }
    Ok(())
}

/// Capacity: 1 to [`MAX_CAPACITY`] enquiries at once.
pub fn check_capacity(value: u32) -> Result<u32, ValidationError> {
    if (1..=MAX_CAPACITY).contains(&value) {
        Ok(value)
    } else {
        Err(ValidationError::new(
            "capacity",
            format!("must be between 1 and {MAX_CAPACITY}"),
        ))
    }
}

/// Offer timeout: 5 to 600 seconds.
pub fn check_offer_timeout(value: u32) -> Result<u32, ValidationError> {
    if (5..=600).contains(&value) {
        Ok(value)
    } else {
        Err(ValidationError::new(
            "offer_timeout_secs",
            "must be between 5 and 600 seconds",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_text_form() {
        for role in [Role::Admin, Role::Agent] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        let err = "owner".parse::<Role>().unwrap_err();
        assert_eq!(err.rule, "must be one of: admin agent");
    }

    #[test]
    fn names_are_counted_in_characters_not_bytes() {
        assert_eq!(parse_name("name", "  Zoë  ", 4).unwrap(), "Zoë");
        assert!(parse_name("name", "ZZZZZ", 4).is_err());
        assert_eq!(parse_name("name", "   ", 4).unwrap_err().field, "name");
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(parse_email(" Ann@Example.COM ").unwrap(), "ann@example.com");
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(parse_email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn capacity_and_timeouts_have_bounds() {
        assert!(check_capacity(0).is_err());
        assert_eq!(check_capacity(5).unwrap(), 5);
        assert!(check_capacity(101).is_err());
        assert!(check_offer_timeout(4).is_err());
        assert_eq!(check_offer_timeout(30).unwrap(), 30);
    }
}
