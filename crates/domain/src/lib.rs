//! omnidesk's types and rules, with no I/O.
//!
//! Everything here is a pure function of its inputs (the clock is passed in),
//! so the rules are tested beside their definitions. Handlers parse requests
//! into these types first, so invalid data never reaches the store.
//!
//! * [`staff`] — roles, availability, distribution strategies, staff fields.
//! * [`channel`] — channel names and statuses.
//! * [`messages`] — message settings: display-name format, welcome/away texts.
//! * [`routing`] — routing settings, schedules and the routing decision.
//! * [`limits`] — message and file limits, composing the text as sent.
//! * [`window`] — the 24-hour messaging window and which send type it allows.
#![forbid(unsafe_code)]

use std::fmt;

use serde::{Deserialize, Serialize};

/// Gives a fieldless enum its stable text form: `as_str`, `Display` and a
/// `FromStr` whose error lists the accepted values.
macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The stable text form used in the API and the database.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for $ty {
            type Err = $crate::ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err($crate::ValidationError::new(
                        stringify!($ty),
                        concat!("must be one of:", $(" ", $text),+),
                    )),
                }
            }
        }
    };
}

pub mod channel;
pub mod limits;
pub mod messages;
pub mod routing;
pub mod staff;
pub mod text;
pub mod window;

/// A value that breaks a rule: names the field and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

    /// The same rule, with the field moved under `prefix` (`name` → `channel.name`).
    pub fn under(self, prefix: &str) -> Self {
        Self {
            field: format!("{prefix}.{}", self.field),
            rule: self.rule,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.rule)
    }
}

impl std::error::Error for ValidationError {}
