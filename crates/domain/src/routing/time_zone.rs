//! A channel's time zone, by IANA name, checked against jiff's bundled tzdb
//! (so it works on hosts without `/usr/share/zoneinfo`).

use std::fmt;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// An IANA time zone name known to the time-zone database (`Europe/Berlin`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZoneName {
    name: String,
    tz: TimeZone,
}

impl TimeZoneName {
    /// Looks `value` up (case-insensitively) and keeps its canonical spelling.
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let trimmed = value.trim();
        let unknown = || {
            ValidationError::new(
                field,
                format!("unknown time zone {trimmed:?}; use an IANA name like Europe/Berlin"),
            )
        };
        if trimmed.is_empty() {
            return Err(unknown());
        }
        let tz = TimeZone::get(trimmed).map_err(|_| unknown())?;
        let name = tz.iana_name().unwrap_or(trimmed).to_owned();
        Ok(Self { name, tz })
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }
}

impl Default for TimeZoneName {
    fn default() -> Self {
        Self::utc()
    }
}

impl PartialEq for TimeZoneName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZoneName {}

impl TryFrom<String> for TimeZoneName {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("time_zone", &value)
    }
}

impl From<TimeZoneName> for String {
    fn from(value: TimeZoneName) -> Self {
        value.name
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_names_are_accepted_in_their_canonical_spelling() {
        let tz = TimeZoneName::parse("routing.time_zone", "europe/berlin").unwrap();
        assert_eq!(tz.as_str(), "Europe/Berlin");
        assert_eq!(
            TimeZoneName::parse("f", "UTC").unwrap(),
            TimeZoneName::utc()
        );
    }

    #[test]
    fn an_unknown_time_zone_is_named_in_the_error() {
        let err = TimeZoneName::parse("routing.time_zone", "Mars/Olympus_Mons").unwrap_err();
        assert_eq!(err.field, "routing.time_zone");
        assert!(
            err.rule
                .starts_with("unknown time zone \"Mars/Olympus_Mons\""),
            "{err}"
        );
        assert!(TimeZoneName::parse("routing.time_zone", " ").is_err());
    }

    #[test]
    fn the_bundled_database_knows_zones_without_the_system_one() {
        // jiff's bundled copy answers even if the host has no zoneinfo files.
        let db = jiff::tz::TimeZoneDatabase::bundled();
        assert!(db.get("America/New_York").is_ok());
    }
}
