//! Schemas of the OpenAPI document for values the Rust side keeps as plain
//! strings or as `domain` types (which know nothing of OpenAPI): the closed
//! sets of strings as enums, and the channel's routing and message
//! settings in full. Used as `#[schema(value_type = schema::EnquiryStatus)]`.
//!
//! The unit tests check each enum against the type that parses the values,
//! where there is one, so the document cannot list a value the API refuses.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

/// A string schema that is an enum of `values`, described by `doc`.
pub fn string_enum(doc: &str, values: &[&str]) -> RefOr<Schema> {
    let doc: Vec<&str> = doc.lines().map(str::trim).collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(doc.join("\n").trim()))
        .enum_values(Some(values.iter().copied()))
        .into()
}

macro_rules! string_enums {
    ($($(#[doc = $doc:literal])+ $name:ident [$($value:literal),+ $(,)?];)+) => {
        $(
            $(#[doc = $doc])+
            pub struct $name;

            impl $name {
                /// Every value, as the API writes it.
                pub const VALUES: &'static [&'static str] = &[$($value),+];
            }

            impl utoipa::PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    string_enum(concat!($($doc, "\n"),+), Self::VALUES)
                }
            }

            impl ToSchema for $name {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed(stringify!($name))
                }
            }
        )+

        /// Every enum of this module: (component name, values).
        pub const ALL_ENUMS: &[(&str, &[&str])] = &[$((stringify!($name), $name::VALUES)),+];
    };
}

string_enums! {
    /// Where an enquiry is in its life: `queued` (waiting under the account's
    /// limit), `routing`, `offered`, `active` (an agent serves it), `missed`
    /// (nobody could take it), `closed`.
    EnquiryStatus ["queued", "routing", "offered", "active", "missed", "closed"];
    /// Why an enquiry was closed: by an agent, or its channel was deleted.
    CloseReason ["agent", "channel_deleted"];
    /// `inbound` (from the visitor or the Page inbox) or `outbound` (sent by us).
    MessageDirection ["inbound", "outbound"];
    /// Who wrote a message: the visitor, a staff member, the system (welcome
    /// and away messages) or the Page (Facebook's own Page inbox).
    MessageAuthor ["visitor", "staff", "system", "page"];
    /// What a message is.
    MessageKind ["text", "attachment", "sticker", "postback", "quick_reply", "referral", "optin", "unknown"];
    /// Inbound messages are `received`; outbound ones go `queued` → `sending` →
    /// `sent` → `delivered` → `read`, or end `failed` (see `failure_reason`).
    MessageStatus ["received", "queued", "sending", "sent", "delivered", "read", "failed"];
    /// `pending` (downloading), `stored` (served at `download_url`), `failed`,
    /// `too_large` or `remote` (a link, see `url`).
    AttachmentStatus ["pending", "stored", "failed", "too_large", "remote"];
    /// Whether the visitor's Facebook profile (name, picture) was fetched.
    ProfileStatus ["pending", "fetched", "unavailable"];
    /// `active` (taking enquiries), `suspended` by an admin, or
    /// `disconnected` (the Page's access was lost; see `status_reason`).
    ChannelStatus ["active", "suspended", "disconnected"];
    /// An offer's state.
    OfferStatus ["open", "accepted", "declined", "expired", "withdrawn", "taken"];
    /// A staff member's role.
    Role ["admin", "agent"];
    /// A staff member's availability.
    Availability ["available", "away", "offline"];
    /// How a destination offers an enquiry to its members.
    DistributionStrategy ["ring_all", "longest_idle"];
    /// A Page permission's state in a Facebook login.
    PermissionStatus ["granted", "declined", "expired", "missing"];
    /// A Facebook login's state.
    FacebookLoginStatus ["started", "authorized", "used", "failed"];
    /// How a staff reply is titled for the visitor: as typed (`none`), with
    /// the staff member's first name (`first_name`, default) or their display
    /// name (`display_name`), e.g. `Ann: hello`.
    DisplayNameFormat ["none", "first_name", "display_name"];
}

/// A destination of alternative routing: tried in the order given.
#[derive(Serialize, ToSchema)]
pub struct AlternativeDestination {
    /// A destination id.
    pub id: String,
}

/// A destination of percentage routing and its share.
#[derive(Serialize, ToSchema)]
pub struct PercentageDestination {
    /// A destination id.
    pub id: String,
    /// A whole percentage, 1–100; the destinations' shares sum to 100.
    #[schema(minimum = 1, maximum = 100)]
    pub percentage: u32,
}

/// A destination of time routing and when it takes enquiries.
#[derive(Serialize, ToSchema)]
pub struct TimeDestination {
    /// A destination id.
    pub id: String,
    pub schedule: RoutingSchedule,
}

/// Opening hours in the channel's time zone: weekly hours, and dated
/// exceptions that replace a day's weekly hours.
#[derive(Serialize, ToSchema)]
pub struct RoutingSchedule {
    pub weekly: WeeklyHours,
    /// At most 366, one per date.
    #[schema(required = false)]
    pub exceptions: Vec<DateException>,
}

/// `HH:MM-HH:MM` wall-clock ranges per weekday (`24:00` may end a range; a
/// range never crosses midnight; at most 12 a day). A day left out is closed.
#[derive(Serialize, ToSchema)]
pub struct WeeklyHours {
    #[schema(required = false, example = json!(["09:00-12:00", "13:00-17:30"]))]
    pub monday: Vec<String>,
    #[schema(required = false)]
    pub tuesday: Vec<String>,
    #[schema(required = false)]
    pub wednesday: Vec<String>,
    #[schema(required = false)]
    pub thursday: Vec<String>,
    #[schema(required = false)]
    pub friday: Vec<String>,
    #[schema(required = false)]
    pub saturday: Vec<String>,
    #[schema(required = false)]
    pub sunday: Vec<String>,
}

/// One date's hours instead of the weekly ones: `{"date": "2026-12-25",
/// "closed": true}` or `{"date": "2026-12-24", "hours": ["09:00-13:00"]}`.
#[derive(Serialize, ToSchema)]
pub struct DateException {
    #[schema(format = Date, example = "2026-12-25")]
    pub date: String,
    /// Closed all day.
    #[schema(required = false)]
    pub closed: bool,
    /// `HH:MM-HH:MM` ranges open on that date.
    #[schema(required = false)]
    pub hours: Vec<String>,
}

/// Alternative routing: 1–5 destinations, the first that can take the
/// enquiry gets it; on timeout or when nobody is available, the next.
#[derive(Serialize, ToSchema)]
pub struct AlternativeRouting {
    #[schema(inline)]
    pub rule: AlternativeRule,
    /// Offer the agent who served the visitor before first, when they can take it.
    #[schema(required = false, default = false)]
    pub sticky: bool,
    /// IANA time zone of the channel (default `UTC`).
    #[schema(required = false, default = "UTC", example = "Europe/Berlin")]
    pub time_zone: String,
    #[schema(min_items = 1, max_items = 5)]
    pub destinations: Vec<AlternativeDestination>,
}

/// Percentage routing: 2–5 destinations whose whole percentages sum to 100;
/// enquiries are split in those proportions.
#[derive(Serialize, ToSchema)]
pub struct PercentageRouting {
    #[schema(inline)]
    pub rule: PercentageRule,
    #[schema(required = false, default = false)]
    pub sticky: bool,
    #[schema(required = false, default = "UTC", example = "Europe/Berlin")]
    pub time_zone: String,
    #[schema(min_items = 2, max_items = 5)]
    pub destinations: Vec<PercentageDestination>,
}

/// Time routing: 2–5 destinations, each with opening hours in the channel's
/// time zone; an enquiry goes to the destination open when it arrives.
#[derive(Serialize, ToSchema)]
pub struct TimeRouting {
    #[schema(inline)]
    pub rule: TimeRule,
    #[schema(required = false, default = false)]
    pub sticky: bool,
    #[schema(required = false, default = "UTC", example = "Europe/Berlin")]
    pub time_zone: String,
    #[schema(min_items = 2, max_items = 5)]
    pub destinations: Vec<TimeDestination>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlternativeRule {
    Alternative,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PercentageRule {
    Percentage,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeRule {
    Time,
}

/// A channel's routing settings: one rule, told apart by `rule`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "rule", mapping(
    ("alternative" = "#/components/schemas/AlternativeRouting"),
    ("percentage" = "#/components/schemas/PercentageRouting"),
    ("time" = "#/components/schemas/TimeRouting"),
)))]
pub enum RoutingSettings {
    Alternative(AlternativeRouting),
    Percentage(PercentageRouting),
    Time(TimeRouting),
}

/// A channel's message settings.
#[derive(Serialize, ToSchema)]
pub struct MessageSettings {
    #[schema(value_type = DisplayNameFormat)]
    pub display_name_format: String,
    /// Sent on a visitor's very first message to the channel (1–2000 characters).
    pub welcome_message: String,
    /// Sent when an enquiry is missed (1–2000 characters).
    pub away_message: String,
    /// Staff may reply 24 hours to 7 days after the visitor's last message
    /// with Messenger's `HUMAN_AGENT` tag (needs Meta's approval of the app).
    pub human_agent_tag: bool,
}

/// Message settings to set; anything left out takes its default.
#[derive(Serialize, ToSchema)]
pub struct MessageSettingsInput {
    #[schema(value_type = Option<DisplayNameFormat>)]
    pub display_name_format: Option<String>,
    /// 1–2000 characters.
    pub welcome_message: Option<String>,
    /// 1–2000 characters.
    pub away_message: Option<String>,
    pub human_agent_tag: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> &'static [&'static str] {
        ALL_ENUMS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap()
    }

    #[test]
    fn each_enum_lists_values_the_api_accepts() {
        for v in EnquiryStatus::VALUES {
            assert!(v.parse::<store::EnquiryStatus>().is_ok(), "{v}");
        }
        for v in ChannelStatus::VALUES {
            assert!(v.parse::<domain::channel::ChannelStatus>().is_ok(), "{v}");
        }
        for v in DisplayNameFormat::VALUES {
            assert!(
                v.parse::<domain::messages::DisplayNameFormat>().is_ok(),
                "{v}"
            );
        }
        let json = |v: &str| serde_json::Value::String(v.to_owned());
        for v in Role::VALUES {
            serde_json::from_value::<domain::staff::Role>(json(v)).unwrap();
        }
        for v in Availability::VALUES {
            serde_json::from_value::<domain::staff::Availability>(json(v)).unwrap();
        }
        for v in DistributionStrategy::VALUES {
            serde_json::from_value::<domain::staff::DistributionStrategy>(json(v)).unwrap();
        }
        for v in ["alternative", "percentage", "time"] {
            assert!(v.parse::<domain::routing::settings::RuleKind>().is_ok());
        }
        assert_eq!(values("Role"), Role::VALUES);
    }
}
