use jiff::civil::date;
use serde_json::json;

use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

fn schedule(json: serde_json::Value) -> Schedule {
    let input: ScheduleInput = serde_json::from_value(json).unwrap();
    Schedule::parse("schedule", &input).unwrap()
}

fn interval(start: &str, end: &str) -> OpenInterval {
    OpenInterval {
        start: ts(start),
        end: ts(end),
    }
}

#[test]
fn weekly_hours_cover_their_ranges_with_the_end_excluded() {
    let office = schedule(json!({"weekly": {"monday": ["09:00-17:00"]}}));
    let berlin = tz("Europe/Berlin");
    // 2026-01-05 is a Monday; Berlin is UTC+1 in winter.
    assert!(!office.covers(ts("2026-01-05T07:59:59Z"), &berlin));
    assert!(office.covers(ts("2026-01-05T08:00:00Z"), &berlin));
    assert!(office.covers(ts("2026-01-05T15:59:59Z"), &berlin));
    assert!(!office.covers(ts("2026-01-05T16:00:00Z"), &berlin));
    assert!(
        !office.covers(ts("2026-01-06T10:00:00Z"), &berlin),
        "Tuesday is closed"
    );
}

#[test]
fn a_closed_date_overrides_the_weekly_hours() {
    let office = schedule(json!({
        "weekly": {"friday": ["09:00-17:00"]},
        "exceptions": [{"date": "2026-12-25", "closed": true}]
    }));
    let utc = TimeZone::UTC;
    assert!(!office.covers(ts("2026-12-25T10:00:00Z"), &utc));
    assert!(
        office.covers(ts("2027-01-01T10:00:00Z"), &utc),
        "the next Friday is open"
    );
}

#[test]
fn special_hours_open_a_date_that_is_normally_closed() {
    let office = schedule(json!({
        "weekly": {"monday": ["09:00-17:00"]},
        "exceptions": [{"date": "2026-12-24", "hours": ["09:00-13:00"]}]
    }));
    let utc = TimeZone::UTC;
    // 2026-12-24 is a Thursday.
    assert!(office.covers(ts("2026-12-24T12:59:00Z"), &utc));
    assert!(!office.covers(ts("2026-12-24T13:00:00Z"), &utc));
}

#[test]
fn late_hours_continue_across_midnight_into_the_next_day() {
    let late = schedule(json!({"weekly": {"monday": ["22:00-24:00"], "tuesday": ["00:00-02:00"]}}));
    let utc = TimeZone::UTC;
    assert!(!late.covers(ts("2026-01-05T21:59:59Z"), &utc));
    assert!(late.covers(ts("2026-01-05T23:59:59Z"), &utc));
    assert!(late.covers(ts("2026-01-06T00:00:00Z"), &utc));
    assert!(late.covers(ts("2026-01-06T01:59:59Z"), &utc));
    assert!(!late.covers(ts("2026-01-06T02:00:00Z"), &utc));
    assert_eq!(
        late.preview_week(date(2026, 1, 5), &utc, &utc),
        vec![interval("2026-01-05T22:00:00Z", "2026-01-06T02:00:00Z")],
        "the two ranges are one opening"
    );
}

#[test]
fn sunday_night_hours_are_clipped_to_the_previewed_week() {
    let late = schedule(json!({"weekly": {"sunday": ["22:00-24:00"], "monday": ["00:00-02:00"]}}));
    let utc = TimeZone::UTC;
    // The week of Monday 2026-01-05: starts with Monday's 00:00-02:00 and
    // ends at Sunday 24:00, which is the end of the week.
    assert_eq!(
        late.preview_week(date(2026, 1, 5), &utc, &utc),
        vec![
            interval("2026-01-05T00:00:00Z", "2026-01-05T02:00:00Z"),
            interval("2026-01-11T22:00:00Z", "2026-01-12T00:00:00Z"),
        ]
    );
}

#[test]
fn the_berlin_spring_forward_day_is_23_hours_long() {
    // 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC).
    let berlin = tz("Europe/Berlin");
    let all_day = schedule(json!({"weekly": {"sunday": ["00:00-24:00"]}}));
    let week = all_day.preview_week(date(2026, 3, 23), &berlin, &berlin);
    assert_eq!(
        week,
        vec![interval("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z")]
    );

    let night = schedule(json!({"weekly": {"sunday": ["01:00-04:00"]}}));
    assert!(
        night.covers(ts("2026-03-29T00:59:59Z"), &berlin),
        "01:59 CET"
    );
    assert!(
        night.covers(ts("2026-03-29T01:00:00Z"), &berlin),
        "03:00 CEST"
    );
    assert!(
        !night.covers(ts("2026-03-29T02:00:00Z"), &berlin),
        "04:00 CEST"
    );
}

#[test]
fn hours_inside_the_skipped_spring_forward_hour_open_an_hour_later_on_the_clock() {
    // 02:30 does not exist in Berlin on 2026-03-29; like calendars, it is read
    // with the winter offset, i.e. 03:30 CEST (01:30 UTC).
    let berlin = tz("Europe/Berlin");
    let odd = schedule(json!({"weekly": {"sunday": ["02:30-05:00"]}}));
    assert_eq!(
        odd.open_intervals_on(date(2026, 3, 29), &berlin),
        vec![interval("2026-03-29T01:30:00Z", "2026-03-29T03:00:00Z")]
    );
    assert!(
        !odd.covers(ts("2026-03-29T01:15:00Z"), &berlin),
        "03:15 CEST"
    );
    assert!(odd.covers(ts("2026-03-29T01:30:00Z"), &berlin));
}

#[test]
fn the_berlin_fall_back_night_keeps_the_repeated_hour_open() {
    // 2026-10-25: clocks go back from 03:00 CEST to 02:00 CET (01:00 UTC),
    // so 01:00-04:00 on the wall is four real hours.
    let berlin = tz("Europe/Berlin");
    let night = schedule(json!({"weekly": {"sunday": ["01:00-04:00"]}}));
    assert_eq!(
        night.open_intervals_on(date(2026, 10, 25), &berlin),
        vec![interval("2026-10-24T23:00:00Z", "2026-10-25T03:00:00Z")]
    );
    assert!(
        night.covers(ts("2026-10-25T00:30:00Z"), &berlin),
        "the first 02:30"
    );
    assert!(
        night.covers(ts("2026-10-25T01:30:00Z"), &berlin),
        "the second 02:30"
    );
    assert!(
        !night.covers(ts("2026-10-25T03:00:00Z"), &berlin),
        "04:00 CET"
    );
}

#[test]
fn new_york_office_hours_follow_daylight_saving_time() {
    let new_york = tz("America/New_York");
    let office = schedule(json!({"weekly": {"monday": ["09:00-17:00"]}}));
    // Before 2026-03-08 New York is UTC-5, after it UTC-4.
    assert!(office.covers(ts("2026-03-02T14:00:00Z"), &new_york));
    assert!(!office.covers(ts("2026-03-02T13:30:00Z"), &new_york));
    assert!(office.covers(ts("2026-03-09T13:30:00Z"), &new_york));
    assert!(!office.covers(ts("2026-03-09T21:00:00Z"), &new_york));
    // And back on 2026-11-01.
    assert!(!office.covers(ts("2026-11-02T13:30:00Z"), &new_york));
    assert!(office.covers(ts("2026-11-02T14:00:00Z"), &new_york));
}

#[test]
fn a_week_previewed_from_another_time_zone_shows_the_same_instants() {
    let new_york = tz("America/New_York");
    let berlin = tz("Europe/Berlin");
    let office = schedule(json!({"weekly": {
        "monday": ["09:00-17:00"], "tuesday": ["09:00-17:00"], "wednesday": ["09:00-17:00"],
        "thursday": ["09:00-17:00"], "friday": ["09:00-17:00"]
    }}));
    // A Berlin admin looks at the week of Monday 2026-03-02 (CET, UTC+1):
    // it runs from 2026-03-01T23:00Z to 2026-03-08T23:00Z.
    let week = office.preview_week(date(2026, 3, 2), &new_york, &berlin);
    assert_eq!(week.len(), 5);
    assert_eq!(
        week[0],
        interval("2026-03-02T14:00:00Z", "2026-03-02T22:00:00Z")
    );
    assert_eq!(
        week[4],
        interval("2026-03-06T14:00:00Z", "2026-03-06T22:00:00Z")
    );

    // From Auckland (UTC+13) the week of Tuesday 2026-03-03 starts at
    // 2026-03-02T11:00Z, in the middle of nothing, and ends 2026-03-09T11:00Z:
    // New York's Monday 2026-03-02 14:00Z is inside, Monday 2026-03-09 13:00Z is not.
    let auckland = tz("Pacific/Auckland");
    let week = office.preview_week(date(2026, 3, 3), &new_york, &auckland);
    assert_eq!(week.first().unwrap().start, ts("2026-03-02T14:00:00Z"));
    assert_eq!(week.last().unwrap().end, ts("2026-03-06T22:00:00Z"));
}

#[test]
fn exception_mistakes_are_named_by_field() {
    let cases = [
        (
            json!({"weekly": {"monday": ["09:00-17:00"]}, "exceptions": [{"date": "2026-12-25", "closed": true, "hours": ["09:00-10:00"]}]}),
            "schedule.exceptions[0].hours",
            "a closed date cannot have hours",
        ),
        (
            json!({"weekly": {"monday": ["09:00-17:00"]}, "exceptions": [{"date": "2026-12-25"}]}),
            "schedule.exceptions[0]",
            "give the date's hours, or mark it closed",
        ),
        (
            json!({"weekly": {"monday": ["09:00-17:00"]}, "exceptions": [{"date": "25.12.2026", "closed": true}]}),
            "schedule.exceptions[0].date",
            "must be a date like 2026-12-25 (got \"25.12.2026\")",
        ),
        (
            json!({"weekly": {"monday": ["09:00-17:00"]}, "exceptions": [
            {"date": "2026-12-25", "closed": true}, {"date": "2026-12-25", "hours": ["10:00-11:00"]}]}),
            "schedule.exceptions[1].date",
            "2026-12-25 is listed twice",
        ),
        (
            json!({"weekly": {}, "exceptions": [{"date": "2026-12-25", "closed": true}]}),
            "schedule",
            "must have opening hours on at least one day or date",
        ),
        (
            json!({"weekly": {"monday": ["17:00-09:00"]}}),
            "schedule.weekly.monday[0]",
            "",
        ),
    ];
    for (json, field, rule) in cases {
        let input: ScheduleInput = serde_json::from_value(json).unwrap();
        let err = Schedule::parse("schedule", &input).unwrap_err();
        assert_eq!(err.field, field);
        assert!(err.rule.starts_with(rule), "{err}");
    }
}

#[test]
fn a_schedule_round_trips_through_its_api_form() {
    let json = json!({
        "weekly": {"monday": ["09:00-12:00", "13:00-17:00"], "sunday": ["10:00-14:00"]},
        "exceptions": [
            {"date": "2026-12-24", "hours": ["09:00-13:00"]},
            {"date": "2026-12-25", "closed": true}
        ]
    });
    let parsed = schedule(json.clone());
    assert_eq!(serde_json::to_value(parsed.to_input()).unwrap(), json);
}

#[test]
fn a_schedule_deserializes_only_when_valid() {
    let ok: Schedule =
        serde_json::from_value(json!({"weekly": {"friday": ["09:00-17:00"]}})).unwrap();
    assert_eq!(ok.weekly.on(jiff::civil::Weekday::Friday).len(), 1);
    assert!(
        serde_json::from_value::<Schedule>(json!({"weekly": {"friday": ["17:00-09:00"]}})).is_err()
    );
}
