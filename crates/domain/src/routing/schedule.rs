//! A destination's schedule for time routing: weekly hours plus dated
//! exceptions (holidays closed, special hours), in the channel's time zone.
//!
//! Wall-clock times become instants the way calendars (RFC 5545) and jiff's
//! "compatible" rule do: a time skipped by a DST jump is read with the offset
//! before the jump (02:30 on a spring-forward night opens at 03:30), a time
//! that occurs twice means its first occurrence. [`Schedule::covers`] and
//! [`Schedule::preview_week`] use the same intervals, so what an admin sees in
//! the preview is exactly when the destination takes enquiries.

use std::collections::BTreeSet;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::hours::{parse_day, TimeRange, WeeklyHours, WeeklyHoursInput};
use crate::ValidationError;

/// Most dated exceptions one schedule may list.
pub const MAX_EXCEPTIONS: usize = 366;

/// What happens on an exception's date instead of the weekly hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionHours {
    Closed,
    Open(Vec<TimeRange>),
}

/// A date whose hours replace the weekly hours (a holiday, a late opening).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateException {
    pub date: Date,
    pub hours: ExceptionHours,
}

/// Weekly hours with dated exceptions (serialized in the API form).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "ScheduleInput", into = "ScheduleInput")]
pub struct Schedule {
    pub weekly: WeeklyHours,
    /// Sorted by date, at most one per date.
    pub exceptions: Vec<DateException>,
}

/// One instant range during which a destination is open, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenInterval {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// A schedule as the API takes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScheduleInput {
    #[serde(default)]
    pub weekly: WeeklyHoursInput,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<DateExceptionInput>,
}

/// `{"date": "2026-12-25", "closed": true}` or `{"date": "2026-12-24", "hours": ["09:00-13:00"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DateExceptionInput {
    pub date: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<String>,
}

impl Schedule {
    /// Validates API input; `field` is its path (`routing.destinations[1].schedule`).
    pub fn parse(field: &str, input: &ScheduleInput) -> Result<Self, ValidationError> {
        let weekly = WeeklyHours::parse(&format!("{field}.weekly"), &input.weekly)?;
        if input.exceptions.len() > MAX_EXCEPTIONS {
            return Err(ValidationError::new(
                format!("{field}.exceptions"),
                format!(
                    "takes at most {MAX_EXCEPTIONS} dates (got {})",
                    input.exceptions.len()
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut exceptions = Vec::with_capacity(input.exceptions.len());
        for (i, raw) in input.exceptions.iter().enumerate() {
            let at = format!("{field}.exceptions[{i}]");
            let date: Date = raw.date.trim().parse().map_err(|_| {
                ValidationError::new(
                    format!("{at}.date"),
                    format!("must be a date like 2026-12-25 (got {:?})", raw.date),
                )
            })?;
            if !seen.insert(date) {
                return Err(ValidationError::new(
                    format!("{at}.date"),
                    format!("{date} is listed twice"),
                ));
            }
            let hours = match (raw.closed, raw.hours.is_empty()) {
                (true, true) => ExceptionHours::Closed,
                (false, false) => {
                    ExceptionHours::Open(parse_day(&format!("{at}.hours"), &raw.hours)?)
                }
                (true, false) => {
                    return Err(ValidationError::new(
                        format!("{at}.hours"),
                        "a closed date cannot have hours",
                    ))
                }
                (false, true) => {
                    return Err(ValidationError::new(
                        at,
                        "give the date's hours, or mark it closed",
                    ))
                }
            };
            exceptions.push(DateException { date, hours });
        }
        exceptions.sort_by_key(|e| e.date);
        let schedule = Self { weekly, exceptions };
        if schedule.is_never_open() {
            return Err(ValidationError::new(
                field,
                "must have opening hours on at least one day or date",
            ));
        }
        Ok(schedule)
    }

    /// The API form.
    pub fn to_input(&self) -> ScheduleInput {
        ScheduleInput {
            weekly: self.weekly.to_input(),
            exceptions: self
                .exceptions
                .iter()
                .map(|e| DateExceptionInput {
                    date: e.date.to_string(),
                    closed: e.hours == ExceptionHours::Closed,
                    hours: match &e.hours {
                        ExceptionHours::Closed => Vec::new(),
                        ExceptionHours::Open(ranges) => {
                            ranges.iter().map(ToString::to_string).collect()
                        }
                    },
                })
                .collect(),
        }
    }

    fn is_never_open(&self) -> bool {
        self.weekly.is_closed_all_week()
            && self
                .exceptions
                .iter()
                .all(|e| e.hours == ExceptionHours::Closed)
    }

    /// The wall-clock ranges open on `date`: its exception if it has one,
    /// otherwise its weekday's hours.
    pub fn hours_on(&self, date: Date) -> &[TimeRange] {
        match self.exceptions.binary_search_by_key(&date, |e| e.date) {
            Ok(i) => match &self.exceptions[i].hours {
                ExceptionHours::Closed => &[],
                ExceptionHours::Open(ranges) => ranges,
            },
            Err(_) => self.weekly.on(date.weekday()),
        }
    }

    /// The instants open on local `date` in `tz`, in order.
    pub fn open_intervals_on(&self, date: Date, tz: &TimeZone) -> Vec<OpenInterval> {
        self.hours_on(date)
            .iter()
            .filter_map(|range| {
                let start = wall_clock_instant(date, range.start_minutes(), tz)?;
                let end = wall_clock_instant(date, range.end_minutes(), tz)?;
                (start < end).then_some(OpenInterval { start, end })
            })
            .collect()
    }

    /// Whether the destination is open at `now` in `tz`.
    pub fn covers(&self, now: Timestamp, tz: &TimeZone) -> bool {
        let today = now.to_zoned(tz.clone()).date();
        // A DST jump at midnight can move one day's interval past the next
        // day's midnight, so the neighbouring days are asked too.
        [today.yesterday().ok(), Some(today), today.tomorrow().ok()]
            .into_iter()
            .flatten()
            .flat_map(|date| self.open_intervals_on(date, tz))
            .any(|interval| interval.start <= now && now < interval.end)
    }

    /// The open intervals of the week of `start`: from `start` 00:00 to seven
    /// days later in `view_tz` (the admin's calendar), with the hours read in
    /// `tz_of_schedule` (the channel's). Intervals are clipped to that week and
    /// merged where they touch (`22:00-24:00` then `00:00-02:00` is one).
    pub fn preview_week(
        &self,
        start: Date,
        tz_of_schedule: &TimeZone,
        view_tz: &TimeZone,
    ) -> Vec<OpenInterval> {
        let (Some(week_start), Some(week_end)) = (
            wall_clock_instant(start, 0, view_tz),
            start
                .checked_add(jiff::Span::new().days(7))
                .ok()
                .and_then(|end| wall_clock_instant(end, 0, view_tz)),
        ) else {
            return Vec::new();
        };
        // Local dates in the schedule's zone that can overlap the week: the
        // zones differ by at most a day or so, so pad by two days each side.
        let first = week_start.to_zoned(tz_of_schedule.clone()).date();
        let mut merged: Vec<OpenInterval> = Vec::new();
        for offset in -2..=9 {
            let Ok(date) = first.checked_add(jiff::Span::new().days(offset)) else {
                continue;
            };
            for interval in self.open_intervals_on(date, tz_of_schedule) {
                let start = interval.start.max(week_start);
                let end = interval.end.min(week_end);
                if start >= end {
                    continue;
                }
                match merged.last_mut() {
                    Some(last) if last.end >= start => last.end = last.end.max(end),
                    _ => merged.push(OpenInterval { start, end }),
                }
            }
        }
        merged
    }
}

impl TryFrom<ScheduleInput> for Schedule {
    type Error = ValidationError;
    fn try_from(input: ScheduleInput) -> Result<Self, Self::Error> {
        Self::parse("schedule", &input)
    }
}

impl From<Schedule> for ScheduleInput {
    fn from(schedule: Schedule) -> Self {
        schedule.to_input()
    }
}

/// The instant of wall-clock `minutes` after midnight of `date` in `tz`
/// (1440 is the next midnight), disambiguated the "compatible" way.
fn wall_clock_instant(date: Date, minutes: u16, tz: &TimeZone) -> Option<Timestamp> {
    let datetime = if minutes >= 24 * 60 {
        date.tomorrow().ok()?.at(0, 0, 0, 0)
    } else {
        date.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
    };
    datetime.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
