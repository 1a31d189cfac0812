//! Destinations: teams of staff that enquiries are routed to. Members are
//! kept in the order given (the order some strategies and the UI use).

use std::collections::{HashMap, HashSet};

use domain::staff::DistributionStrategy;
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{classify, is_foreign_key_violation, Context, StoreError};
use crate::rows::{ms, new_id, now, text, time};
use crate::{Store, WriteTx};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Destination {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub offer_timeout_secs: i64,
    pub strategy: DistributionStrategy,
    /// Staff ids in their configured order.
    pub member_ids: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDestination {
    pub name: String,
    pub offer_timeout_secs: i64,
    pub strategy: DistributionStrategy,
    pub member_ids: Vec<String>,
}

/// Changes to a destination; `None` keeps the current value, and
/// `member_ids` replaces the whole list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DestinationUpdate {
    pub name: Option<String>,
    pub offer_timeout_secs: Option<i64>,
    pub strategy: Option<DistributionStrategy>,
    pub member_ids: Option<Vec<String>>,
}

const COLUMNS: &str = "id, account_id, name, offer_timeout_secs, strategy, created_at, updated_at";

/// A destination row; members are filled in separately.
fn from_row(row: &AnyRow) -> Result<Destination, sqlx::Error> {
    Ok(Destination {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        name: row.try_get("name")?,
        offer_timeout_secs: row.try_get("offer_timeout_secs")?,
        strategy: text(row, "strategy")?,
        member_ids: Vec::new(),
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// The first member id that is listed twice or is not a staff member of the
/// account, as `Invalid { field: "member_ids[i]" }`.
pub(crate) fn check_members(
    member_ids: &[String],
    staff_ids: &HashSet<String>,
) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    for (i, id) in member_ids.iter().enumerate() {
        let field = format!("member_ids[{i}]");
        if !staff_ids.contains(id) {
            return Err(StoreError::invalid(field, "no such staff member"));
        }
        if !seen.insert(id) {
            return Err(StoreError::invalid(field, "is listed more than once"));
        }
    }
    Ok(())
}

/// Replaces the members of a destination after checking them.
async fn write_members(
    tx: &mut WriteTx<'_>,
    account_id: &str,
    destination_id: &str,
    member_ids: &[String],
) -> Result<(), StoreError> {
    let staff_ids: Vec<String> = sqlx::query_scalar("SELECT id FROM staff WHERE account_id = $1")
        .bind(account_id)
        .fetch_all(&mut **tx)
        .await
        .context("reading staff ids")?;
    check_members(member_ids, &staff_ids.into_iter().collect())?;
    sqlx::query("DELETE FROM destination_members WHERE account_id = $1 AND destination_id = $2")
        .bind(account_id)
        .bind(destination_id)
        .execute(&mut **tx)
        .await
        .context("clearing destination members")?;
    for (position, staff_id) in member_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO destination_members (account_id, destination_id, staff_id, position)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(account_id)
        .bind(destination_id)
        .bind(staff_id)
        .bind(position as i64)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            // Checked above, but on PostgreSQL the member may be deleted
            // concurrently; the foreign key catches it.
            if is_foreign_key_violation(&e) {
                StoreError::invalid(format!("member_ids[{position}]"), "no such staff member")
            } else {
                classify("adding a destination member", e)
            }
        })?;
    }
    Ok(())
}

impl Store {
    /// Creates a destination. A taken name is `Conflict { constraint:
    /// "destination_name" }`; a bad member is `Invalid` and nothing is written.
    #[tracing::instrument(skip(self, new), fields(name = %new.name))]
    pub async fn create_destination(
        &self,
        account_id: &str,
        new: NewDestination,
    ) -> Result<Destination, StoreError> {
        let at = now();
        let destination = Destination {
            id: new_id(),
            account_id: account_id.to_owned(),
            name: new.name,
            offer_timeout_secs: new.offer_timeout_secs,
            strategy: new.strategy,
            member_ids: new.member_ids,
            created_at: at,
            updated_at: at,
        };
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO destinations (id, account_id, name, offer_timeout_secs, strategy,
                                       created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&destination.id)
        .bind(&destination.account_id)
        .bind(&destination.name)
        .bind(destination.offer_timeout_secs)
        .bind(destination.strategy.as_str())
        .bind(ms(at))
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .context("creating a destination")?;
        write_members(
            &mut tx,
            account_id,
            &destination.id,
            &destination.member_ids,
        )
        .await?;
        tx.commit().await?;
        Ok(destination)
    }

    #[tracing::instrument(skip(self))]
    pub async fn get_destination(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<Destination, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM destinations WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id)
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .context("reading a destination")?;
        let mut destination = from_row(&row).context("reading a destination")?;
        destination.member_ids = sqlx::query_scalar(
            "SELECT staff_id FROM destination_members
             WHERE account_id = $1 AND destination_id = $2 ORDER BY position",
        )
        .bind(account_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .context("reading destination members")?;
        Ok(destination)
    }

    /// Every destination of the account, by name (ignoring case).
    #[tracing::instrument(skip(self))]
    pub async fn list_destinations(
        &self,
        account_id: &str,
    ) -> Result<Vec<Destination>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM destinations WHERE account_id = $1"
        ))
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .context("listing destinations")?;
        let mut destinations = rows
            .iter()
            .map(from_row)
            .collect::<Result<Vec<_>, _>>()
            .context("listing destinations")?;
        let members = sqlx::query(
            "SELECT destination_id, staff_id FROM destination_members
             WHERE account_id = $1 ORDER BY destination_id, position",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .context("listing destination members")?;
        let by_id: HashMap<String, usize> = destinations
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        for row in &members {
            let destination_id: String = row
                .try_get("destination_id")
                .context("listing destination members")?;
            let staff_id: String = row
                .try_get("staff_id")
                .context("listing destination members")?;
            if let Some(&i) = by_id.get(&destination_id) {
                destinations[i].member_ids.push(staff_id);
            }
        }
        destinations.sort_by_cached_key(|d| (d.name.to_lowercase(), d.id.clone()));
        Ok(destinations)
    }

    /// Applies the `Some` fields; `member_ids` replaces the member list.
    #[tracing::instrument(skip(self, update))]
    pub async fn update_destination(
        &self,
        account_id: &str,
        id: &str,
        update: DestinationUpdate,
    ) -> Result<Destination, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM destinations WHERE account_id = $1 AND id = $2{}",
            self.dialect().for_update()
        ))
        .bind(account_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .context("reading a destination to update")?;
        let mut destination = from_row(&row).context("reading a destination to update")?;
        if let Some(name) = update.name {
            destination.name = name;
        }
        if let Some(timeout) = update.offer_timeout_secs {
            destination.offer_timeout_secs = timeout;
        }
        if let Some(strategy) = update.strategy {
            destination.strategy = strategy;
        }
        destination.updated_at = now();
        sqlx::query(
            "UPDATE destinations SET name = $1, offer_timeout_secs = $2, strategy = $3,
                                     updated_at = $4
             WHERE account_id = $5 AND id = $6",
        )
        .bind(&destination.name)
        .bind(destination.offer_timeout_secs)
        .bind(destination.strategy.as_str())
        .bind(ms(destination.updated_at))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("updating a destination")?;
        match update.member_ids {
            Some(member_ids) => {
                write_members(&mut tx, account_id, id, &member_ids).await?;
                destination.member_ids = member_ids;
            }
            None => {
                destination.member_ids = sqlx::query_scalar(
                    "SELECT staff_id FROM destination_members
                     WHERE account_id = $1 AND destination_id = $2 ORDER BY position",
                )
                .bind(account_id)
                .bind(id)
                .fetch_all(&mut *tx)
                .await
                .context("reading destination members")?;
            }
        }
        tx.commit().await?;
        Ok(destination)
    }

    /// Deletes a destination and its member list.
    #[tracing::instrument(skip(self))]
    pub async fn delete_destination(&self, account_id: &str, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "DELETE FROM destination_members WHERE account_id = $1 AND destination_id = $2",
        )
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("removing destination members")?;
        let done = sqlx::query("DELETE FROM destinations WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("deleting a destination")?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_unknown_member_is_named_by_its_position() {
        let staff: HashSet<String> = ids(&["a", "b"]).into_iter().collect();
        let err = check_members(&ids(&["a", "x", "b"]), &staff).unwrap_err();
        assert!(matches!(
            err,
            StoreError::Invalid { ref field, ref rule }
                if field == "member_ids[1]" && rule == "no such staff member"
        ));
    }

    #[test]
    fn a_member_listed_twice_is_refused() {
        let staff: HashSet<String> = ids(&["a", "b"]).into_iter().collect();
        let err = check_members(&ids(&["a", "b", "a"]), &staff).unwrap_err();
        assert!(matches!(err, StoreError::Invalid { ref field, .. } if field == "member_ids[2]"));
        assert!(check_members(&ids(&["b", "a"]), &staff).is_ok());
    }
}
