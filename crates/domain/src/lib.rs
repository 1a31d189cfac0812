//! omnidesk's types and rules, with no I/O.
//!
//! Everything here is a pure function of its inputs (the clock is passed in),
//! so the rules are tested beside their definitions.
#![forbid(unsafe_code)]

pub mod staff;

use std::fmt;

/// A value that breaks a rule: names the field and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The field, as named in the API (`routing.destinations[1].percentage`).
    pub field: String,
    /// The rule, as a sentence fragment a user can act on.
    pub rule: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.rule)
    }
}

impl std::error::Error for ValidationError {}
