use serde_json::json;

use super::*;

const A: &str = "0190a1b2-0000-7000-8000-00000000000a";
const B: &str = "0190a1b2-0000-7000-8000-00000000000b";
const C: &str = "0190a1b2-0000-7000-8000-00000000000c";
const D: &str = "0190a1b2-0000-7000-8000-00000000000d";
const E: &str = "0190a1b2-0000-7000-8000-00000000000e";
const F: &str = "0190a1b2-0000-7000-8000-00000000000f";

fn known() -> Vec<DestinationId> {
    [A, B, C, D, E, F].map(DestinationId::from).to_vec()
}

fn parse_json(json: serde_json::Value) -> Result<RoutingSettings, ValidationError> {
    let input: RoutingSettingsInput = serde_json::from_value(json).unwrap();
    RoutingSettings::parse(&input, &known())
}

fn error(json: serde_json::Value) -> (String, String) {
    let err = parse_json(json).unwrap_err();
    (err.field, err.rule)
}

fn office() -> serde_json::Value {
    json!({"weekly": {"monday": ["09:00-17:00"]}})
}

#[test]
fn alternative_routing_keeps_the_admins_order() {
    let settings = parse_json(json!({
        "rule": "alternative", "sticky": true, "time_zone": "Europe/Berlin",
        "destinations": [{"id": C}, {"id": A}, {"id": B}]
    }))
    .unwrap();
    assert_eq!(
        settings.rule,
        RoutingRule::Alternative {
            destinations: vec![C.into(), A.into(), B.into()]
        }
    );
    assert!(settings.sticky);
    assert_eq!(settings.time_zone.as_str(), "Europe/Berlin");
}

#[test]
fn alternative_routing_takes_one_to_five_destinations() {
    assert!(parse_json(json!({"rule": "alternative", "destinations": [{"id": A}]})).is_ok());
    let six = [A, B, C, D, E, F].map(|id| json!({"id": id}));
    assert_eq!(
        error(json!({"rule": "alternative", "destinations": six})),
        (
            "routing.destinations".into(),
            "alternative routing takes 1 to 5 destinations (got 6)".into()
        )
    );
    assert_eq!(
        error(json!({"rule": "alternative", "destinations": []})).1,
        "alternative routing takes 1 to 5 destinations (got 0)"
    );
}

#[test]
fn percentages_must_sum_to_100() {
    let (field, rule) = error(json!({"rule": "percentage", "destinations": [
        {"id": A, "percentage": 50}, {"id": B, "percentage": 30}, {"id": C, "percentage": 10}
    ]}));
    assert_eq!(field, "routing.destinations[2].percentage");
    assert_eq!(rule, "percentages must sum to 100 (got 90)");
    let settings = parse_json(json!({"rule": "percentage", "destinations": [
        {"id": A, "percentage": 70}, {"id": B, "percentage": 30}
    ]}))
    .unwrap();
    assert_eq!(
        settings.rule,
        RoutingRule::Percentage {
            destinations: vec![(A.into(), 70), (B.into(), 30)]
        }
    );
}

#[test]
fn each_percentage_is_a_whole_number_of_at_least_one() {
    for bad in [
        json!(0),
        json!(33.5),
        json!("50"),
        json!(-1),
        json!(101),
        json!(null),
    ] {
        let (field, rule) = error(json!({"rule": "percentage", "destinations": [
            {"id": A, "percentage": 60}, {"id": B, "percentage": bad}
        ]}));
        assert_eq!(field, "routing.destinations[1].percentage");
        assert_eq!(rule, "must be a whole number from 1 to 100");
    }
}

#[test]
fn percentage_and_time_routing_need_at_least_two_destinations() {
    assert_eq!(
        error(json!({"rule": "percentage", "destinations": [{"id": A, "percentage": 100}]})).1,
        "percentage routing takes 2 to 5 destinations (got 1)"
    );
    assert_eq!(
        error(json!({"rule": "time", "destinations": [{"id": A, "schedule": office()}]})).1,
        "time routing takes 2 to 5 destinations (got 1)"
    );
}

#[test]
fn a_destination_listed_twice_is_refused() {
    assert_eq!(
        error(json!({"rule": "alternative", "destinations": [{"id": A}, {"id": B}, {"id": A}]})),
        (
            "routing.destinations[2].id".into(),
            "destination is listed twice (also at destinations[0])".into()
        )
    );
}

#[test]
fn a_destination_of_another_account_is_no_such_destination() {
    assert_eq!(
        error(json!({"rule": "alternative", "destinations": [{"id": A}, {"id": "someone-elses"}]})),
        (
            "routing.destinations[1].id".into(),
            "no such destination".into()
        )
    );
    // Stored settings are read back without the account's list.
    let input: RoutingSettingsInput = serde_json::from_value(
        json!({"rule": "alternative", "destinations": [{"id": "someone-elses"}]}),
    )
    .unwrap();
    assert!(RoutingSettings::parse_stored(&input).is_ok());
}

#[test]
fn an_unknown_time_zone_or_rule_is_named() {
    let (field, rule) = error(
        json!({"rule": "alternative", "time_zone": "Europe/Atlantis", "destinations": [{"id": A}]}),
    );
    assert_eq!(field, "routing.time_zone");
    assert!(
        rule.starts_with("unknown time zone \"Europe/Atlantis\""),
        "{rule}"
    );
    assert_eq!(
        error(json!({"rule": "random", "destinations": [{"id": A}]})),
        (
            "routing.rule".into(),
            "must be one of: alternative percentage time".into()
        )
    );
}

#[test]
fn time_routing_needs_a_valid_schedule_for_each_destination() {
    assert_eq!(
        error(
            json!({"rule": "time", "destinations": [{"id": A, "schedule": office()}, {"id": B}]})
        ),
        (
            "routing.destinations[1].schedule".into(),
            "time routing needs a schedule for each destination".into()
        )
    );
    let (field, rule) = error(json!({"rule": "time", "destinations": [
        {"id": A, "schedule": office()},
        {"id": B, "schedule": {"weekly": {"tuesday": ["09:00-12:00", "11:00-13:00"]}}}
    ]}));
    assert_eq!(field, "routing.destinations[1].schedule.weekly.tuesday[1]");
    assert_eq!(rule, "11:00-13:00 overlaps 09:00-12:00");
}

#[test]
fn fields_of_another_rule_are_refused_rather_than_ignored() {
    assert_eq!(
        error(json!({"rule": "alternative", "destinations": [{"id": A, "percentage": 100}]})),
        (
            "routing.destinations[0].percentage".into(),
            "alternative routing does not take a percentage".into()
        )
    );
    assert_eq!(
        error(json!({"rule": "percentage", "destinations": [
            {"id": A, "percentage": 50, "schedule": office()}, {"id": B, "percentage": 50}
        ]}))
        .0,
        "routing.destinations[0].schedule"
    );
}

#[test]
fn settings_serialize_back_to_the_shape_the_api_takes() {
    for json in [
        json!({"rule": "alternative", "sticky": false, "time_zone": "UTC", "destinations": [{"id": B}, {"id": A}]}),
        json!({"rule": "percentage", "sticky": true, "time_zone": "America/New_York",
               "destinations": [{"id": A, "percentage": 25}, {"id": B, "percentage": 75}]}),
        json!({"rule": "time", "sticky": false, "time_zone": "Europe/Berlin", "destinations": [
            {"id": A, "schedule": {"weekly": {"monday": ["09:00-17:00"]}}},
            {"id": B, "schedule": {"weekly": {"saturday": ["10:00-14:00"]},
                                   "exceptions": [{"date": "2026-12-26", "closed": true}]}}
        ]}),
    ] {
        let settings = parse_json(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&settings).unwrap(), json);
        let back: RoutingSettings = serde_json::from_value(json).unwrap();
        assert_eq!(back, settings);
    }
}
