//! Connecting, migrating, and the write discipline shared by every module.

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::{Context, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The database behind a [`Store`], for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The dialect of a database URL, chosen by its scheme.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::invalid(
                "database_url",
                "must start with sqlite:// or postgres://",
            ))
        }
    }

    /// Appended to a `SELECT` of a row that the transaction will then
    /// rewrite: PostgreSQL locks it against concurrent read-modify-write
    /// (lost updates); SQLite needs nothing, its writers are serialised.
    pub fn for_update(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }

    /// A statement that makes concurrent transactions touching `$1` (a
    /// string key) wait for each other until commit: a PostgreSQL
    /// transaction-scoped advisory lock. SQLite's writers are serialised
    /// already, so it has none.
    pub fn lock_key(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres => Some("SELECT pg_advisory_xact_lock(hashtext($1))"),
        }
    }

    /// Appended to a `SELECT` that claims work rows: on PostgreSQL each
    /// worker (or node) locks the rows it takes and skips those another one
    /// holds; SQLite's writers are serialised, so it needs nothing.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// omnidesk's persistence: one cloneable handle over a connection pool.
///
/// Public methods are use cases, one module per resource (`staff.rs`,
/// `sessions.rs`, …). Every method that touches tenant data takes the
/// `account_id` and filters on it.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    dialect: Dialect,
    /// SQLite has one writer at a time; writers queue here instead of failing
    /// with `SQLITE_BUSY`. `None` on PostgreSQL, which has row-level locks.
    write_lock: Option<Arc<Mutex<()>>>,
}

/// A write transaction: on SQLite it also holds the store's writer lock until
/// it is committed, rolled back or dropped (dropping rolls back).
#[derive(Debug)]
pub struct WriteTx<'a> {
    // Declared before the guard so the transaction is dropped (and its
    // rollback queued) before the next writer may start.
    tx: Transaction<'static, Any>,
    _guard: Option<MutexGuard<'a, ()>>,
}

impl WriteTx<'_> {
    /// Makes the writes durable and releases the writer lock.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.context("committing a transaction")
    }

    /// Discards the writes and releases the writer lock.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx
            .rollback()
            .await
            .context("rolling back a transaction")
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl Store {
    /// Opens a pool on `sqlite://path` (the file is created if missing) or
    /// `postgres://…`. Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let dialect = Dialect::from_url(url)?;
        let (pool, write_lock) = match dialect {
            Dialect::Sqlite => {
                prepare_database_file(url)
                    .context("creating the SQLite database file and its directory")?;
                let pool = AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for pragma in SQLITE_PRAGMAS {
                                conn.execute(*pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&sqlite_url(url))
                    .await
                    .context("opening the SQLite database")?;
                (pool, Some(Arc::new(Mutex::new(()))))
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await
                    .context("connecting to PostgreSQL")?;
                (pool, None)
            }
        };
        Ok(Self {
            pool,
            dialect,
            write_lock,
        })
    }

    /// Applies the embedded migrations of this backend that are not applied yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        // Migrations write; on SQLite they queue behind other writers too.
        let _guard = self.lock_writes().await;
        migrator.run(&self.pool).await.map_err(StoreError::Migrate)
    }

    /// Checks that the database answers (for health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.pool
            .execute("SELECT 1")
            .await
            .context("pinging the database")?;
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a write transaction. On SQLite this first waits for the store's
    /// writer lock and then takes the database write lock up front
    /// (`BEGIN IMMEDIATE`), so a transaction never fails half-way when it
    /// upgrades from reading to writing.
    pub async fn write_tx(&self) -> Result<WriteTx<'_>, StoreError> {
        let guard = self.lock_writes().await;
        let tx = match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.pool.begin().await,
        }
        .context("beginning a transaction")?;
        Ok(WriteTx { tx, _guard: guard })
    }

    async fn lock_writes(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }
}

/// Per-connection settings: WAL lets readers run beside the writer;
/// `synchronous=NORMAL` is durable under WAL except on power loss mid-commit;
/// foreign keys are off by default in SQLite; the busy timeout covers other
/// processes (e.g. `omnidesk admin`) writing to the same file.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
];

/// The file path of a `sqlite:` URL (`sqlite://a/b.db?x=y` → `a/b.db`).
fn sqlite_path(url: &str) -> &str {
    let rest = url.strip_prefix("sqlite:").unwrap_or(url);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    rest.split('?').next().unwrap_or(rest)
}

/// A first run with `sqlite://data/omnidesk.db` should not fail because
/// `data/` does not exist yet. A new database file is created readable by
/// the owner only (its folder too); SQLite gives its WAL and shared-memory
/// files the database file's permissions.
fn prepare_database_file(url: &str) -> Result<(), sqlx::Error> {
    let path = std::path::Path::new(sqlite_path(url));
    if path.starts_with(":memory:") || path.as_os_str().is_empty() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(sqlx::Error::Io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(sqlx::Error::Io(e)),
    }
}

/// Adds `mode=rwc` (create the file if missing) unless the URL sets a mode.
fn sqlite_url(url: &str) -> String {
    match url.split_once('?') {
        Some((_, query)) if query.split('&').any(|p| p.starts_with("mode=")) => url.to_owned(),
        Some(_) => format!("{url}&mode=rwc"),
        None => format!("{url}?mode=rwc"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_files_are_created_unless_a_mode_is_given() {
        assert_eq!(sqlite_url("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(
            sqlite_url("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(sqlite_url("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
    }

    #[test]
    fn the_path_is_taken_from_a_sqlite_url() {
        assert_eq!(
            sqlite_path("sqlite://data/omnidesk.db?mode=rwc"),
            "data/omnidesk.db"
        );
        assert_eq!(sqlite_path("sqlite:///var/lib/o.db"), "/var/lib/o.db");
        assert_eq!(sqlite_path("sqlite:o.db"), "o.db");
    }

    /// Connections really carry the settings, and a missing directory is made.
    #[tokio::test]
    async fn sqlite_connections_use_wal_and_foreign_keys() {
        let dir = std::env::temp_dir().join(format!("omnidesk-store-{}", uuid::Uuid::new_v4()));
        let url = format!("sqlite://{}/nested/omnidesk.db", dir.display());
        let store = Store::connect(&url).await.unwrap();
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(journal, "wal");
        assert_eq!(foreign_keys, 1);
        assert_eq!(synchronous, 1, "NORMAL");
    }

    #[test]
    fn the_dialect_follows_the_url_scheme() {
        assert_eq!(Dialect::from_url("sqlite://x.db").unwrap(), Dialect::Sqlite);
        assert_eq!(
            Dialect::from_url("postgresql://h/db").unwrap(),
            Dialect::Postgres
        );
        assert!(matches!(
            Dialect::from_url("mysql://h/db"),
            Err(StoreError::Invalid { .. })
        ));
    }
}
