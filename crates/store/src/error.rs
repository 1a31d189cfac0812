//! The store's one error type, and the single place where database errors
//! are classified.
//!
//! Policy: callers see *what happened to their request* — the row is missing
//! (or belongs to another account, which is the same thing), a unique value is
//! taken, an input refers to something that does not exist — and everything
//! else is a [`StoreError::Database`] naming the operation that failed, for
//! the server to log as a 500. Unique violations are recognised here once, for
//! both backends, and named by the constraint names in the migrations.

use sqlx::error::ErrorKind;

/// What went wrong in a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in this account (rows of other accounts look missing too).
    #[error("not found")]
    NotFound,
    /// A unique value is already taken; `constraint` names it
    /// (`staff_email`, `destination_name`, `api_token_hash`, `session_token`).
    #[error("already exists ({constraint})")]
    Conflict { constraint: String },
    /// An input refers to something that does not exist in this account,
    /// e.g. `member_ids[2]` → "no such staff member". Nothing was written.
    #[error("{field} {rule}")]
    Invalid { field: String, rule: String },
    /// The database failed while the store was `context` (e.g. "creating a
    /// staff member").
    #[error("database error while {context}")]
    Database {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// The embedded migrations could not be applied.
    #[error("could not apply database migrations")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// Turns a `sqlx::Error` into a [`StoreError`] with the operation's context.
pub(crate) trait Context<T> {
    fn context(self, context: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn context(self, context: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| classify(context, source))
    }
}

pub(crate) fn classify(context: &'static str, source: sqlx::Error) -> StoreError {
    match &source {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(db) if db.kind() == ErrorKind::UniqueViolation => {
            StoreError::Conflict {
                constraint: constraint_name(db.constraint(), db.message()),
            }
        }
        _ => StoreError::Database { context, source },
    }
}

/// Whether the error is a foreign key violation: a referenced row (an
/// account, a staff member) vanished or never existed.
pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.kind() == ErrorKind::ForeignKeyViolation)
}

/// SQLite reports the columns (`UNIQUE constraint failed: staff.email`), not
/// the constraint's name; PostgreSQL reports the name. Both become the name.
const SQLITE_UNIQUE_COLUMNS: &[(&str, &str)] = &[
    ("staff.email", "staff_email"),
    (
        "destinations.account_id, destinations.name",
        "destination_name",
    ),
    ("api_tokens.token_hash", "api_token_hash"),
    ("sessions.token_hash", "session_token"),
    ("channels.kind, channels.external_id", "channel_page"),
];

/// PostgreSQL's default names for primary keys we want to call by name.
const POSTGRES_ALIASES: &[(&str, &str)] = &[("sessions_pkey", "session_token")];

fn constraint_name(postgres_name: Option<&str>, message: &str) -> String {
    if let Some(name) = postgres_name {
        return POSTGRES_ALIASES
            .iter()
            .find(|(pg, _)| *pg == name)
            .map_or(name, |(_, ours)| ours)
            .to_owned();
    }
    let columns = message
        .strip_prefix("UNIQUE constraint failed: ")
        .unwrap_or(message);
    SQLITE_UNIQUE_COLUMNS
        .iter()
        .find(|(cols, _)| *cols == columns)
        .map_or(columns, |(_, name)| name)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_unique_messages_become_constraint_names() {
        assert_eq!(
            constraint_name(None, "UNIQUE constraint failed: staff.email"),
            "staff_email"
        );
        assert_eq!(
            constraint_name(
                None,
                "UNIQUE constraint failed: destinations.account_id, destinations.name"
            ),
            "destination_name"
        );
    }

    #[test]
    fn postgres_constraint_names_are_kept_or_aliased() {
        assert_eq!(
            constraint_name(Some("staff_email"), "whatever"),
            "staff_email"
        );
        assert_eq!(constraint_name(Some("sessions_pkey"), "x"), "session_token");
    }

    #[test]
    fn unknown_sqlite_constraints_keep_their_columns() {
        assert_eq!(
            constraint_name(None, "UNIQUE constraint failed: things.a, things.b"),
            "things.a, things.b"
        );
    }
}
