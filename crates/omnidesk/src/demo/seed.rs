//! Seeding the demo account through the product's own rules: staff go
//! through `server::api::staff::new_staff` (the API's validation and
//! password hashing), destinations through the store's use cases.
//!
//! Every step finds before it creates, so a first start that was
//! interrupted can simply seed again.

use anyhow::Context;
use domain::staff::DistributionStrategy;
use server::api::staff::{new_staff, CreateStaffRequest};
use store::Store;

use super::cast::{Person, ACCOUNT_NAME, ADMIN, TEAMS};

/// Offer timeout of the demo's destinations (the API's default).
const OFFER_TIMEOUT_SECS: i64 = 30;

/// The demo account as seeded.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub account_id: String,
    /// Destination ids in [`TEAMS`] order.
    pub destination_ids: Vec<String>,
}

/// Creates (or finds) the account, its admin, the agents and the
/// destinations; every login gets `password`.
pub async fn seed(store: &Store, password: &str) -> anyhow::Result<Seeded> {
    let account_id = match store.find_login(ADMIN.email).await? {
        Some(found) => found.staff.account_id,
        None => {
            let account = store
                .create_account(ACCOUNT_NAME)
                .await
                .context("creating the account")?;
            create_person(store, &account.id, ADMIN, password).await?;
            account.id
        }
    };
    let mut destination_ids = Vec::with_capacity(TEAMS.len());
    let existing = store.list_destinations(&account_id).await?;
    for team in TEAMS {
        let agent_id = match store.find_login(team.agent.email).await? {
            Some(found) => found.staff.id,
            None => create_person(store, &account_id, team.agent, password).await?,
        };
        let id = match existing.iter().find(|d| d.name == team.name) {
            Some(destination) => destination.id.clone(),
            None => {
                store
                    .create_destination(
                        &account_id,
                        store::NewDestination {
                            name: team.name.to_owned(),
                            offer_timeout_secs: OFFER_TIMEOUT_SECS,
                            strategy: DistributionStrategy::RingAll,
                            member_ids: vec![agent_id],
                        },
                    )
                    .await
                    .with_context(|| format!("creating the destination {}", team.name))?
                    .id
            }
        };
        destination_ids.push(id);
    }
    Ok(Seeded {
        account_id,
        destination_ids,
    })
}

/// Creates one staff member; returns their id.
async fn create_person(
    store: &Store,
    account_id: &str,
    person: Person,
    password: &str,
) -> anyhow::Result<String> {
    let new = new_staff(CreateStaffRequest {
        email: person.email.into(),
        password: password.into(),
        role: person.role.into(),
        first_name: person.first_name.into(),
        last_name: person.last_name.into(),
        display_name: None,
        capacity: None,
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
    .with_context(|| format!("checking the demo login {}", person.email))?;
    let staff = store
        .create_staff(account_id, new)
        .await
        .with_context(|| format!("creating the demo login {}", person.email))?;
    Ok(staff.id)
}

/// Gives every demo login `password` again: used when the data directory
/// holds the demo's account but its `demo.json` (the only copy of the
/// password) was lost.
pub async fn reset_passwords(store: &Store, password: &str) -> anyhow::Result<()> {
    let hash = server::auth::password::hash_password(password.to_owned()).await?;
    for person in std::iter::once(ADMIN).chain(TEAMS.iter().map(|t| t.agent)) {
        if let Some(found) = store.find_login(person.email).await? {
            store
                .set_staff_password(&found.staff.account_id, &found.staff.id, &hash)
                .await
                .with_context(|| format!("resetting the password of {}", person.email))?;
        }
    }
    Ok(())
}
