//! A channel's routing settings: one rule (alternative, percentage or time),
//! sticky routing, and the channel's time zone — parsed from the JSON the API
//! takes and serialized back to the same shape:
//!
//! ```json
//! {"rule": "percentage", "sticky": true, "time_zone": "Europe/Berlin",
//!  "destinations": [{"id": "…", "percentage": 70}, {"id": "…", "percentage": 30}]}
//! ```
//!
//! Time routing gives each destination a `schedule` instead (see
//! [`super::schedule::ScheduleInput`]); alternative routing gives only ids.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::schedule::{Schedule, ScheduleInput};
use super::time_zone::TimeZoneName;
use super::DestinationId;
use crate::ValidationError;

/// Most destinations any rule takes.
pub const MAX_DESTINATIONS: usize = 5;

/// Which rule a channel routes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Alternative,
    Percentage,
    Time,
}

text_enum!(RuleKind {
    Alternative => "alternative",
    Percentage => "percentage",
    Time => "time",
});

impl RuleKind {
    /// How many destinations the rule takes.
    fn destination_count(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Self::Alternative => 1..=MAX_DESTINATIONS,
            Self::Percentage | Self::Time => 2..=MAX_DESTINATIONS,
        }
    }
}

/// A channel's routing rule with its destinations, in the admin's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingRule {
    /// Try each destination in order; move on when it cannot take the
    /// enquiry or nobody accepts in time.
    Alternative { destinations: Vec<DestinationId> },
    /// Split enquiries by whole percentages summing to 100.
    Percentage {
        destinations: Vec<(DestinationId, u8)>,
    },
    /// Send to the first destination whose schedule covers the moment.
    Time {
        destinations: Vec<(DestinationId, Schedule)>,
    },
}

impl RoutingRule {
    pub fn kind(&self) -> RuleKind {
        match self {
            Self::Alternative { .. } => RuleKind::Alternative,
            Self::Percentage { .. } => RuleKind::Percentage,
            Self::Time { .. } => RuleKind::Time,
        }
    }

    /// The destinations in the rule's order.
    pub fn destination_ids(&self) -> Vec<&DestinationId> {
        match self {
            Self::Alternative { destinations } => destinations.iter().collect(),
            Self::Percentage { destinations } => destinations.iter().map(|(id, _)| id).collect(),
            Self::Time { destinations } => destinations.iter().map(|(id, _)| id).collect(),
        }
    }
}

/// A channel's routing settings, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RoutingSettingsInput", into = "RoutingSettingsInput")]
pub struct RoutingSettings {
    pub rule: RoutingRule,
    /// Offer a returning visitor's enquiry to the agent who served them before.
    pub sticky: bool,
    /// The channel's time zone; time routing reads schedules in it.
    pub time_zone: TimeZoneName,
}

/// Routing settings as the API takes them (and as they are stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingSettingsInput {
    pub rule: String,
    #[serde(default)]
    pub sticky: bool,
    #[serde(default = "utc")]
    pub time_zone: String,
    #[serde(default)]
    pub destinations: Vec<DestinationInput>,
}

fn utc() -> String {
    "UTC".to_owned()
}

/// One destination of the rule: always an id; a `percentage` for percentage
/// routing; a `schedule` for time routing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationInput {
    pub id: String,
    /// Any JSON value, so a fraction or a string is named in the error rather
    /// than failing the whole request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleInput>,
}

impl RoutingSettings {
    /// Validates API input against the account's destinations. Errors name
    /// the API field (`routing.destinations[2].percentage`).
    pub fn parse(
        input: &RoutingSettingsInput,
        known_destination_ids: &[DestinationId],
    ) -> Result<Self, ValidationError> {
        parse(input, Some(known_destination_ids))
    }

    /// Validates everything but whether the destinations exist: for settings
    /// read back from the store (a deleted destination is then skipped by
    /// routing as `not_found`, never silently dropped from the settings).
    pub fn parse_stored(input: &RoutingSettingsInput) -> Result<Self, ValidationError> {
        parse(input, None)
    }

    /// The API form.
    pub fn to_input(&self) -> RoutingSettingsInput {
        let destination = |id: &DestinationId| DestinationInput {
            id: id.0.clone(),
            percentage: None,
            schedule: None,
        };
        let destinations = match &self.rule {
            RoutingRule::Alternative { destinations } => {
                destinations.iter().map(destination).collect()
            }
            RoutingRule::Percentage { destinations } => destinations
                .iter()
                .map(|(id, percent)| DestinationInput {
                    percentage: Some((*percent).into()),
                    ..destination(id)
                })
                .collect(),
            RoutingRule::Time { destinations } => destinations
                .iter()
                .map(|(id, schedule)| DestinationInput {
                    schedule: Some(schedule.to_input()),
                    ..destination(id)
                })
                .collect(),
        };
        RoutingSettingsInput {
            rule: self.rule.kind().to_string(),
            sticky: self.sticky,
            time_zone: self.time_zone.to_string(),
            destinations,
        }
    }
}

fn parse(
    input: &RoutingSettingsInput,
    known: Option<&[DestinationId]>,
) -> Result<RoutingSettings, ValidationError> {
    let kind: RuleKind = input
        .rule
        .trim()
        .parse()
        .map_err(|e: ValidationError| ValidationError::new("routing.rule", e.rule))?;
    let time_zone = TimeZoneName::parse("routing.time_zone", &input.time_zone)?;
    let count = input.destinations.len();
    let allowed = kind.destination_count();
    if !allowed.contains(&count) {
        return Err(ValidationError::new(
            "routing.destinations",
            format!(
                "{kind} routing takes {} to {} destinations (got {count})",
                allowed.start(),
                allowed.end()
            ),
        ));
    }
    let ids = parse_ids(input, known)?;
    let rule = match kind {
        RuleKind::Alternative => {
            for (i, d) in input.destinations.iter().enumerate() {
                refuse_field(i, "percentage", d.percentage.is_some(), kind)?;
                refuse_field(i, "schedule", d.schedule.is_some(), kind)?;
            }
            RoutingRule::Alternative { destinations: ids }
        }
        RuleKind::Percentage => RoutingRule::Percentage {
            destinations: parse_percentages(input, ids)?,
        },
        RuleKind::Time => {
            let mut destinations = Vec::with_capacity(count);
            for ((i, d), id) in input.destinations.iter().enumerate().zip(ids) {
                refuse_field(i, "percentage", d.percentage.is_some(), kind)?;
                let field = format!("routing.destinations[{i}].schedule");
                let raw = d.schedule.as_ref().ok_or_else(|| {
                    ValidationError::new(
                        &field,
                        "time routing needs a schedule for each destination",
                    )
                })?;
                destinations.push((id, Schedule::parse(&field, raw)?));
            }
            RoutingRule::Time { destinations }
        }
    };
    Ok(RoutingSettings {
        rule,
        sticky: input.sticky,
        time_zone,
    })
}

/// The ids in order: each non-empty, listed once, and (when `known` is
/// given) one of the account's destinations.
fn parse_ids(
    input: &RoutingSettingsInput,
    known: Option<&[DestinationId]>,
) -> Result<Vec<DestinationId>, ValidationError> {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut ids = Vec::with_capacity(input.destinations.len());
    for (i, d) in input.destinations.iter().enumerate() {
        let field = format!("routing.destinations[{i}].id");
        let id = d.id.trim();
        if id.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        if let Some(earlier) = first_seen.insert(id, i) {
            return Err(ValidationError::new(
                field,
                format!("destination is listed twice (also at destinations[{earlier}])"),
            ));
        }
        if let Some(known) = known {
            if !known.iter().any(|k| k.as_str() == id) {
                return Err(ValidationError::new(field, "no such destination"));
            }
        }
        ids.push(DestinationId::from(id));
    }
    Ok(ids)
}

fn refuse_field(
    i: usize,
    name: &str,
    present: bool,
    kind: RuleKind,
) -> Result<(), ValidationError> {
    if present {
        Err(ValidationError::new(
            format!("routing.destinations[{i}].{name}"),
            format!("{kind} routing does not take a {name}"),
        ))
    } else {
        Ok(())
    }
}

fn parse_percentages(
    input: &RoutingSettingsInput,
    ids: Vec<DestinationId>,
) -> Result<Vec<(DestinationId, u8)>, ValidationError> {
    let mut destinations = Vec::with_capacity(ids.len());
    for ((i, d), id) in input.destinations.iter().enumerate().zip(ids) {
        refuse_field(i, "schedule", d.schedule.is_some(), RuleKind::Percentage)?;
        let field = format!("routing.destinations[{i}].percentage");
        let percent = d
            .percentage
            .as_ref()
            .and_then(serde_json::Value::as_u64)
            .filter(|p| (1..=100).contains(p))
            .ok_or_else(|| ValidationError::new(&field, "must be a whole number from 1 to 100"))?;
        destinations.push((id, percent as u8));
    }
    let sum: u32 = destinations.iter().map(|(_, p)| u32::from(*p)).sum();
    if sum != 100 {
        return Err(ValidationError::new(
            format!(
                "routing.destinations[{}].percentage",
                destinations.len() - 1
            ),
            format!("percentages must sum to 100 (got {sum})"),
        ));
    }
    Ok(destinations)
}

impl TryFrom<RoutingSettingsInput> for RoutingSettings {
    type Error = ValidationError;
    fn try_from(input: RoutingSettingsInput) -> Result<Self, Self::Error> {
        Self::parse_stored(&input)
    }
}

impl From<RoutingSettings> for RoutingSettingsInput {
    fn from(settings: RoutingSettings) -> Self {
        settings.to_input()
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
