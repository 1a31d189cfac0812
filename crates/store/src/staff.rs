//! Staff members: who can log in, their role, profile, availability and
//! capacity. The password hash is only ever read by [`Store::find_login`].

use domain::staff::{Availability, Role};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{classify, is_foreign_key_violation, Context, StoreError};
use crate::rows::{ms, new_id, now, text, time, truncate};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Staff {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub role: Role,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub availability: Availability,
    pub availability_changed_at: Timestamp,
    pub capacity: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A staff member to create. Values are validated by `domain` beforehand
/// (the e-mail lower-cased); new members start `offline`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStaff {
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub capacity: i64,
}

/// Changes to a staff member's profile; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffUpdate {
    pub email: Option<String>,
    pub role: Option<Role>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub capacity: Option<i64>,
}

/// What the login handler needs: the member and the hash to verify against.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginRecord {
    pub staff: Staff,
    pub password_hash: String,
}

const COLUMNS: &str = "id, account_id, email, role, first_name, last_name, display_name, \
                       availability, availability_changed_at, capacity, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Staff, sqlx::Error> {
    Ok(Staff {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        email: row.try_get("email")?,
        role: text(row, "role")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        display_name: row.try_get("display_name")?,
        availability: text(row, "availability")?,
        availability_changed_at: time(row, "availability_changed_at")?,
        capacity: row.try_get("capacity")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// Alphabetical by first then last name, ignoring case, the same on both
/// backends (their collations differ, so the order is not left to SQL).
pub(crate) fn sort_by_name(staff: &mut [Staff]) {
    staff.sort_by_cached_key(|s| {
        (
            s.first_name.to_lowercase(),
            s.last_name.to_lowercase(),
            s.id.clone(),
        )
    });
}

impl Store {
    /// Creates a staff member. The e-mail is unique across all accounts
    /// (it is the login): a taken one is `Conflict { constraint: "staff_email" }`.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
    pub async fn create_staff(&self, account_id: &str, new: NewStaff) -> Result<Staff, StoreError> {
        let at = now();
        let staff = Staff {
            id: new_id(),
            account_id: account_id.to_owned(),
            email: new.email,
            role: new.role,
            first_name: new.first_name,
            last_name: new.last_name,
            display_name: new.display_name,
            availability: Availability::Offline,
            availability_changed_at: at,
            capacity: new.capacity,
            created_at: at,
            updated_at: at,
        };
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO staff (id, account_id, email, password_hash, role, first_name, last_name,
                                display_name, availability, availability_changed_at, capacity,
                                created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&staff.id)
        .bind(&staff.account_id)
        .bind(&staff.email)
        .bind(&new.password_hash)
        .bind(staff.role.as_str())
        .bind(&staff.first_name)
        .bind(&staff.last_name)
        .bind(&staff.display_name)
        .bind(staff.availability.as_str())
        .bind(ms(at))
        .bind(staff.capacity)
        .bind(ms(at))
        .bind(ms(at))
        .execute(&mut *tx)
        .await
        .map_err(|e| foreign_account(e, "creating a staff member"))?;
        tx.commit().await?;
        Ok(staff)
    }

    #[tracing::instrument(skip(self))]
    pub async fn get_staff(&self, account_id: &str, id: &str) -> Result<Staff, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM staff WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id)
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .context("reading a staff member")?;
        from_row(&row).context("reading a staff member")
    }

    /// Every staff member of the account, by first then last name.
    #[tracing::instrument(skip(self))]
    pub async fn list_staff(&self, account_id: &str) -> Result<Vec<Staff>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM staff WHERE account_id = $1"
        ))
        .bind(account_id)
        .fetch_all(&self.pool)
        .await
        .context("listing staff")?;
        let mut staff = rows
            .iter()
            .map(from_row)
            .collect::<Result<Vec<_>, _>>()
            .context("listing staff")?;
        sort_by_name(&mut staff);
        Ok(staff)
    }

    /// Applies the `Some` fields and stamps `updated_at`.
    #[tracing::instrument(skip(self, update))]
    pub async fn update_staff(
        &self,
        account_id: &str,
        id: &str,
        update: StaffUpdate,
    ) -> Result<Staff, StoreError> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM staff WHERE account_id = $1 AND id = $2{}",
            self.dialect().for_update()
        ))
        .bind(account_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .context("reading a staff member to update")?;
        let mut staff = from_row(&row).context("reading a staff member to update")?;
        if let Some(email) = update.email {
            staff.email = email;
        }
        if let Some(role) = update.role {
            staff.role = role;
        }
        if let Some(first_name) = update.first_name {
            staff.first_name = first_name;
        }
        if let Some(last_name) = update.last_name {
            staff.last_name = last_name;
        }
        if let Some(display_name) = update.display_name {
            staff.display_name = display_name;
        }
        if let Some(capacity) = update.capacity {
            staff.capacity = capacity;
        }
        staff.updated_at = now();
        sqlx::query(
            "UPDATE staff SET email = $1, role = $2, first_name = $3, last_name = $4,
                              display_name = $5, capacity = $6, updated_at = $7
             WHERE account_id = $8 AND id = $9",
        )
        .bind(&staff.email)
        .bind(staff.role.as_str())
        .bind(&staff.first_name)
        .bind(&staff.last_name)
        .bind(&staff.display_name)
        .bind(staff.capacity)
        .bind(ms(staff.updated_at))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("updating a staff member")?;
        tx.commit().await?;
        Ok(staff)
    }

    /// Replaces the password hash (the caller hashes).
    #[tracing::instrument(skip(self, password_hash))]
    pub async fn set_staff_password(
        &self,
        account_id: &str,
        id: &str,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE staff SET password_hash = $1, updated_at = $2 WHERE account_id = $3 AND id = $4",
        )
        .bind(password_hash)
        .bind(ms(now()))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("setting a password")?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await
    }

    /// Deletes a staff member with their destination memberships, sessions
    /// and API tokens (they are logged out everywhere at once).
    #[tracing::instrument(skip(self))]
    pub async fn delete_staff(&self, account_id: &str, id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        for (sql, context) in [
            (
                "DELETE FROM destination_members WHERE account_id = $1 AND staff_id = $2",
                "removing a staff member from destinations",
            ),
            (
                "DELETE FROM sessions WHERE account_id = $1 AND staff_id = $2",
                "ending a staff member's sessions",
            ),
            (
                "DELETE FROM api_tokens WHERE account_id = $1 AND staff_id = $2",
                "deleting a staff member's API tokens",
            ),
        ] {
            sqlx::query(sql)
                .bind(account_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .context(context)?;
        }
        let done = sqlx::query("DELETE FROM staff WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("deleting a staff member")?;
        if done.rows_affected() == 0 {
            // Nothing of another account was touched: every delete filtered on it.
            return Err(StoreError::NotFound);
        }
        tx.commit().await
    }

    /// Sets availability. `availability_changed_at` moves only when the value
    /// changes, so re-announcing "available" does not reset idle time.
    #[tracing::instrument(skip(self))]
    pub async fn set_availability(
        &self,
        account_id: &str,
        id: &str,
        availability: Availability,
        at: Timestamp,
    ) -> Result<Staff, StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE staff SET availability = $1, availability_changed_at = $2
             WHERE account_id = $3 AND id = $4 AND availability <> $1",
        )
        .bind(availability.as_str())
        .bind(ms(truncate(at)))
        .bind(account_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .context("setting availability")?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM staff WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .context("reading availability")?;
        let staff = from_row(&row).context("reading availability")?;
        tx.commit().await?;
        Ok(staff)
    }

    /// The staff member with this e-mail, in any account, with the password
    /// hash — the one lookup not scoped to an account, because logging in is
    /// how the account becomes known.
    #[tracing::instrument(skip_all)]
    pub async fn find_login(&self, email: &str) -> Result<Option<LoginRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, password_hash FROM staff WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .context("looking up a login")?;
        row.map(|row| {
            Ok(LoginRecord {
                staff: from_row(&row)?,
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
        .context("looking up a login")
    }

    /// How many admins the account has (the last one may not be removed).
    #[tracing::instrument(skip(self))]
    pub async fn count_admins(&self, account_id: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE account_id = $1 AND role = $2")
            .bind(account_id)
            .bind(Role::Admin.as_str())
            .fetch_one(&self.pool)
            .await
            .context("counting admins")
    }
}

/// A staff member for an account that does not exist breaks the foreign key;
/// to the caller that account is simply not found.
fn foreign_account(error: sqlx::Error, context: &'static str) -> StoreError {
    if is_foreign_key_violation(&error) {
        StoreError::NotFound
    } else {
        classify(context, error)
    }
}

/// Fails with `Invalid { field, "no such staff member" }` unless `staff_id`
/// is a staff member of the account. Runs inside the caller's transaction.
pub(crate) async fn require_member(
    tx: &mut crate::WriteTx<'_>,
    account_id: &str,
    staff_id: &str,
    field: &str,
) -> Result<(), StoreError> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM staff WHERE account_id = $1 AND id = $2")
            .bind(account_id)
            .bind(staff_id)
            .fetch_optional(&mut **tx)
            .await
            .context("checking a staff member")?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::invalid(field, "no such staff member")),
    }
}
