//! Opening hours: `HH:MM-HH:MM` ranges in wall-clock time, and a list of them
//! per weekday. `24:00` may end a range; a range never crosses midnight (write
//! `22:00-24:00` on one day and `00:00-02:00` on the next).

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Weekday;
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// Most ranges one day may have (a guard against pasted nonsense).
pub const MAX_RANGES_PER_DAY: usize = 12;

/// Minutes in a day; the largest end of a range (`24:00`).
const DAY_MINUTES: u16 = 24 * 60;

/// A half-open wall-clock range `[start, end)` in minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    start: u16,
    end: u16,
}

impl TimeRange {
    /// A range from `start` to `end` minutes after midnight; `start < end <= 1440`.
    pub fn new(start: u16, end: u16) -> Result<Self, String> {
        if end > DAY_MINUTES {
            return Err("must end at 24:00 at the latest".to_owned());
        }
        if start >= end {
            return Err(format!(
                "must start before it ends (got {}-{}); split a range across midnight into ...-24:00 and the next day's 00:00-...",
                hhmm(start),
                hhmm(end)
            ));
        }
        Ok(Self { start, end })
    }

    /// Parses `09:00-17:00` (an en dash and spaces around it are accepted too);
    /// the error is the rule broken.
    pub fn parse(text: &str) -> Result<Self, String> {
        let malformed = || format!("must be a time range like 09:00-17:00 (got {text:?})");
        let (start, end) = text.split_once(['-', '–']).ok_or_else(malformed)?;
        let start = parse_hhmm(start.trim()).ok_or_else(malformed)?;
        let end = parse_hhmm(end.trim()).ok_or_else(malformed)?;
        if start == DAY_MINUTES {
            return Err(malformed());
        }
        Self::new(start, end)
    }

    pub fn start_minutes(self) -> u16 {
        self.start
    }

    pub fn end_minutes(self) -> u16 {
        self.end
    }

    /// Whether `minute` (of the day, 0–1439) falls inside the range.
    pub fn contains_minute(self, minute: u16) -> bool {
        self.start <= minute && minute < self.end
    }
}

/// `HH:MM` with 0–23 hours (or exactly `24:00`) and 00–59 minutes.
fn parse_hhmm(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(DAY_MINUTES),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", hhmm(self.start), hhmm(self.end))
    }
}

impl TryFrom<String> for TimeRange {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TimeRange> for String {
    fn from(value: TimeRange) -> Self {
        value.to_string()
    }
}

/// Parses one day's ranges (`field` is the list's API path), sorted by start;
/// refuses malformed, overlapping, or too many ranges. Touching ranges
/// (`09:00-12:00`, `12:00-13:00`) are fine.
pub fn parse_day(field: &str, texts: &[String]) -> Result<Vec<TimeRange>, ValidationError> {
    if texts.len() > MAX_RANGES_PER_DAY {
        return Err(ValidationError::new(
            field,
            format!(
                "takes at most {MAX_RANGES_PER_DAY} time ranges (got {})",
                texts.len()
            ),
        ));
    }
    let mut ranges = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let range = TimeRange::parse(text)
            .map_err(|rule| ValidationError::new(format!("{field}[{i}]"), rule))?;
        ranges.push((range, i));
    }
    ranges.sort();
    for pair in ranges.windows(2) {
        let ((earlier, _), (later, i)) = (pair[0], pair[1]);
        if later.start < earlier.end {
            return Err(ValidationError::new(
                format!("{field}[{i}]"),
                format!("{later} overlaps {earlier}"),
            ));
        }
    }
    Ok(ranges.into_iter().map(|(range, _)| range).collect())
}

/// The weekdays in API order with their JSON names.
pub const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "monday"),
    (Weekday::Tuesday, "tuesday"),
    (Weekday::Wednesday, "wednesday"),
    (Weekday::Thursday, "thursday"),
    (Weekday::Friday, "friday"),
    (Weekday::Saturday, "saturday"),
    (Weekday::Sunday, "sunday"),
];

/// Opening hours per weekday; a day without ranges is closed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeeklyHours {
    /// Indexed Monday = 0 … Sunday = 6, each sorted without overlaps.
    days: [Vec<TimeRange>; 7],
}

/// Weekly hours as the API takes them: `{"monday": ["09:00-17:00"], …}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WeeklyHoursInput {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monday: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tuesday: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wednesday: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thursday: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub friday: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saturday: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sunday: Vec<String>,
    /// Anything else (a misspelt day) — refused by [`WeeklyHours::parse`] with its name.
    #[serde(flatten, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

impl WeeklyHoursInput {
    fn days(&self) -> [&Vec<String>; 7] {
        [
            &self.monday,
            &self.tuesday,
            &self.wednesday,
            &self.thursday,
            &self.friday,
            &self.saturday,
            &self.sunday,
        ]
    }
}

impl WeeklyHours {
    /// Validates API input; `field` is its path (`routing.destinations[0].schedule.weekly`).
    pub fn parse(field: &str, input: &WeeklyHoursInput) -> Result<Self, ValidationError> {
        if let Some(key) = input.unknown.keys().next() {
            return Err(ValidationError::new(
                format!("{field}.{key}"),
                "is not a weekday; use monday … sunday",
            ));
        }
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        for (i, texts) in input.days().into_iter().enumerate() {
            days[i] = parse_day(&format!("{field}.{}", WEEKDAYS[i].1), texts)?;
        }
        Ok(Self { days })
    }

    /// The ranges open on `weekday`, sorted.
    pub fn on(&self, weekday: Weekday) -> &[TimeRange] {
        &self.days[weekday.to_monday_zero_offset() as usize]
    }

    /// Sets the ranges of one day (sorted and checked for overlaps by the caller).
    pub fn with_day(mut self, weekday: Weekday, ranges: Vec<TimeRange>) -> Self {
        self.days[weekday.to_monday_zero_offset() as usize] = ranges;
        self
    }

    /// Whether no day has any hours.
    pub fn is_closed_all_week(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// The API form.
    pub fn to_input(&self) -> WeeklyHoursInput {
        let texts = |i: usize| self.days[i].iter().map(ToString::to_string).collect();
        WeeklyHoursInput {
            monday: texts(0),
            tuesday: texts(1),
            wednesday: texts(2),
            thursday: texts(3),
            friday: texts(4),
            saturday: texts(5),
            sunday: texts(6),
            unknown: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ranges_parse_and_print_as_hh_mm() {
        let range = TimeRange::parse(" 9:05 – 17:30 ").unwrap();
        assert_eq!((range.start_minutes(), range.end_minutes()), (545, 1050));
        assert_eq!(range.to_string(), "09:05-17:30");
        assert_eq!(TimeRange::parse("22:00-24:00").unwrap().end_minutes(), 1440);
    }

    #[test]
    fn malformed_ranges_say_what_is_expected() {
        for bad in [
            "9-5",
            "09:00",
            "24:00-24:00",
            "09:60-10:00",
            "25:00-26:00",
            "a:bc-10:00",
            "09:00-24:01",
        ] {
            let rule = TimeRange::parse(bad).unwrap_err();
            assert!(rule.contains("like 09:00-17:00"), "{bad}: {rule}");
        }
    }

    #[test]
    fn a_range_must_start_before_it_ends_and_cannot_cross_midnight() {
        let rule = TimeRange::parse("22:00-02:00").unwrap_err();
        assert!(
            rule.starts_with("must start before it ends (got 22:00-02:00)"),
            "{rule}"
        );
        assert!(TimeRange::parse("10:00-10:00").is_err());
    }

    #[test]
    fn overlapping_ranges_name_the_later_one() {
        let err = parse_day(
            "weekly.monday",
            &strings(&["13:00-17:00", "09:00-12:00", "11:30-12:30"]),
        )
        .unwrap_err();
        assert_eq!(err.field, "weekly.monday[2]");
        assert_eq!(err.rule, "11:30-12:30 overlaps 09:00-12:00");
    }

    #[test]
    fn touching_ranges_are_allowed_and_sorted() {
        let day = parse_day("d", &strings(&["12:00-13:00", "09:00-12:00"])).unwrap();
        assert_eq!(
            day,
            vec![
                TimeRange::new(540, 720).unwrap(),
                TimeRange::new(720, 780).unwrap()
            ]
        );
    }

    #[test]
    fn a_misspelt_weekday_is_refused_by_name() {
        let input: WeeklyHoursInput =
            serde_json::from_value(serde_json::json!({"monday": ["09:00-17:00"], "thurday": []}))
                .unwrap();
        let err = WeeklyHours::parse("schedule.weekly", &input).unwrap_err();
        assert_eq!(err.field, "schedule.weekly.thurday");
    }

    #[test]
    fn weekly_hours_round_trip_through_the_api_form() {
        let json = serde_json::json!({"monday": ["09:00-17:00"], "saturday": ["10:00-12:00", "13:00-14:00"]});
        let input: WeeklyHoursInput = serde_json::from_value(json.clone()).unwrap();
        let hours = WeeklyHours::parse("w", &input).unwrap();
        assert_eq!(hours.on(Weekday::Saturday).len(), 2);
        assert!(hours.on(Weekday::Sunday).is_empty());
        assert_eq!(serde_json::to_value(hours.to_input()).unwrap(), json);
    }
}
