//! The JSON shapes the API returns, built from store records. Secrets (hashes,
//! tokens) have no field here, so they cannot leak by accident.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

/// A staff member.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    pub id: String,
    pub email: String,
    #[schema(value_type = crate::api::schema::Role)]
    pub role: domain::staff::Role,
    pub first_name: String,
    pub last_name: String,
    /// The name shown to visitors when the channel's format is `display_name`.
    pub display_name: String,
    #[schema(value_type = crate::api::schema::Availability)]
    pub availability: domain::staff::Availability,
    /// How many enquiries this person serves at once.
    pub capacity: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<store::Staff> for StaffView {
    fn from(s: store::Staff) -> Self {
        Self {
            id: s.id,
            email: s.email,
            role: s.role,
            first_name: s.first_name,
            last_name: s.last_name,
            display_name: s.display_name,
            availability: s.availability,
            capacity: s.capacity,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// An account (tenant).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub name: String,
    /// Visitors who may have an open enquiry at once; more wait in line.
    pub max_concurrent_visitors: i64,
}

impl From<store::Account> for AccountView {
    fn from(a: store::Account) -> Self {
        Self {
            id: a.id,
            name: a.name,
            max_concurrent_visitors: a.max_concurrent_visitors,
        }
    }
}

/// An API token (its secret is shown once, at creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenView {
    pub id: String,
    pub name: String,
    /// The staff member the token acts as.
    pub staff_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl From<store::ApiToken> for ApiTokenView {
    fn from(t: store::ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            staff_id: t.staff_id,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A destination: a team of staff members that enquiries are routed to.
#[derive(Debug, Serialize, ToSchema)]
pub struct DestinationView {
    pub id: String,
    pub name: String,
    /// Seconds an offer waits for acceptance before routing moves on.
    pub offer_timeout_secs: i64,
    #[schema(value_type = crate::api::schema::DistributionStrategy)]
    pub strategy: domain::staff::DistributionStrategy,
    /// Staff members of the team, in order.
    pub member_ids: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<store::Destination> for DestinationView {
    fn from(d: store::Destination) -> Self {
        Self {
            id: d.id,
            name: d.name,
            offer_timeout_secs: d.offer_timeout_secs,
            strategy: d.strategy,
            member_ids: d.member_ids,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A list of items.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListOf<T: ToSchema> {
    pub items: Vec<T>,
}

impl<T: ToSchema> ListOf<T> {
    pub fn new(items: impl IntoIterator<Item = impl Into<T>>) -> Self {
        Self {
            items: items.into_iter().map(Into::into).collect(),
        }
    }
}
